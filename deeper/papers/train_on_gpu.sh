#!/usr/bin/env bash
# How the shipped students in data/students were trained: this one command on one GPU, inside the
# ten minutes the GPU machine allows a command (no network there: diffusers/transformers come as
# wheels in .whl; the distillation data, written here by `python -m deeper.papers.data`, travels in
# checkpoints/papers). Both families train side by side (a 2.8M-parameter UNet leaves the GPU far
# from busy), each resumable; the students come back as float16 folders in $OUT, two to a tar.
#   BUDGET=500 (seconds of training for each family), EXTRA="..." (more arguments for both),
#   CK (the training folder), PLANS="progressive guided" (which to train), EXTRA_progressive="..."
#   (arguments for one plan only, e.g. --from-phase 2), PY and NO_WHEELS=1 (to try it on the CPU)
set -uo pipefail
OUT=${OUT:-/tmp/papers-out}; mkdir -p "$OUT"
BUDGET=${BUDGET:-500}; CK=${CK:-checkpoints/papers}; EXTRA=${EXTRA:-}; PY=${PY:-python3}
start=$(date +%s)
if [ -z "${NO_WHEELS:-}" ] && ls .whl/*.whl > /dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1
nvidia-smi -L 2>/dev/null
for plan in ${PLANS:-progressive guided}; do
  only="EXTRA_$plan"
  $PY -m deeper.papers.distill $plan --out "$CK" --data "$CK/data.pt" --seconds "$(( BUDGET - 40 ))" \
    --stop-after "$BUDGET" $EXTRA ${!only:-} > "$OUT/$plan.log" 2>&1 &
done
wait
tail -n 4 "$OUT"/*.log
cd "$CK"
k=0
for family in progressive guided; do
  for student in $(ls -d $family/*/ 2>/dev/null); do
    [ -f "$student/student.json" ] && echo "$student"
  done
done | grep -v -e round0 -e stage1 | xargs -n 2 | while read -r pair; do
  k=$((k + 1)); tar cf "$OUT/students-$k.tar" $pair
done
tar cf "$OUT/plans.tar" $(ls -d */*/ | sed 's|$|student.json|')
ls -la "$OUT"
echo "total $(( $(date +%s) - start )) s"
