#!/usr/bin/env bash
# How data/tiny-sd's text tower learned to read a sentence (the `text` stage, reading.py): one
# command on one H200, inside the ten minutes the GPU machine allows a command. It measures the
# shipped model on the held-out sets first (side by side with training, the GPU has room), trains,
# exports to $DATA/tiny-sd and measures again. No network there: diffusers comes as a wheel in .whl
# and transformers 5.24 (the machine's 5.17 left the text stage silent past its deadline), MNIST and the CLIP vocabulary in .device-carry.
#   MINUTES=6.3 (the text stage's deadline, its plan fitted to it), CKPT=checkpoints/reading,
#   EXTRA (more train.py options, e.g. "--steps text.lr=2e-4"), NO_BENCH=1 (train and export only)
# To go on teaching the shipped tower with the first one still the teacher, carry the first tower as
# .old-text/model.safetensors.xz (`git show c814763^:data/tiny-sd/text_encoder/model.safetensors`,
# xz'd to fit the 64 MiB): the teacher folder is data/tiny-sd with that tower, the start data/tiny-sd's.
set -uo pipefail
OUT=${OUT:-/tmp/reading-out}; mkdir -p "$OUT"
DATA=${DATA:-/tmp/export}; CKPT=${CKPT:-checkpoints/reading}; start=$(date +%s)
if ls .whl/*.whl > /dev/null 2>&1 && [ ! -d /tmp/site/diffusers ]; then  # once, for runs side by side
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
fi
[ -d /tmp/site/diffusers ] && export PYTHONPATH=/tmp/site
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1 DEEPER_CACHE=$PWD/.device-carry
python3 -c "import torch, diffusers, transformers; print('torch', torch.__version__, 'diffusers', diffusers.__version__, 'transformers', transformers.__version__)"
TEACHER=(); if [ -f .old-text/model.safetensors.xz ]; then
  teacher=/tmp/teacher-$(basename "$CKPT"); rm -rf "$teacher" && cp -r data/tiny-sd "$teacher"
  python3 -c "import lzma, shutil, sys; shutil.copyfileobj(lzma.open('.old-text/model.safetensors.xz'), open(sys.argv[1] + '/text_encoder/model.safetensors', 'wb'))" "$teacher"
  TEACHER=(--teacher "$teacher" --text-from data/tiny-sd)
fi
BENCH="python3 bench/bench_tiny_sd.py --samples ${SAMPLES:-1000}"
[ -n "${BEFORE:-}" ] && $BENCH --only reading --model data/tiny-sd > "$OUT/bench_before.txt" 2>&1 &
# Every step is bounded: a command past its ten minutes returns nothing.
PYTHONFAULTHANDLER=1 timeout -s ABRT "${TRAIN_S:-400}" python3 -m deeper.tinysd.train --quiet --fit --log-every 250 --stages text "${TEACHER[@]}" \
  --minutes "${MINUTES:-6}" --checkpoints "$CKPT" ${EXTRA:-} > "$OUT/text.log" 2>&1
python3 -m deeper.tinysd.train --quiet --stages export "${TEACHER[@]}" --data "$DATA" --checkpoints "$CKPT" > "$OUT/export.log" 2>&1
cp "$CKPT/text/model.safetensors" "$OUT/text_model.safetensors"; cp "$CKPT/text/state.json" "$OUT/"
tar czf "$OUT/text_encoder.tgz" -C "$DATA/tiny-sd" text_encoder known_words.txt
grep -v Processor "$OUT/text.log" | tail -n 30; tail -n 3 "$OUT/export.log"
wait
[ -n "${NO_BENCH:-}" ] && { echo "total $(( $(date +%s) - start )) s"; exit 0; }  # measured in a later call
cp -r data/evaluator "$DATA/"
timeout "${BENCH_S:-150}" $BENCH --only reading --model "$DATA/tiny-sd" --json "$OUT/reading.json" > "$OUT/bench_after.txt" 2>&1
[ -n "${ACCURACY:-}" ] && timeout "${BENCH_S:-150}" $BENCH --only accuracy --model "$DATA/tiny-sd" >> "$OUT/bench_after.txt" 2>&1
grep "^|" "$OUT/bench_after.txt" | grep -v "^|   '"
echo "total $(( $(date +%s) - start )) s"
