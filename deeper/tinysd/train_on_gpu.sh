#!/usr/bin/env bash
# How the shipped data/tiny-sd was trained: this one command, on one H100, inside the ten minutes
# that machine allows a command (no network there: diffusers/transformers come as wheels in .whl,
# MNIST and the CLIP vocabulary in .device-carry). clip, vae and evaluator train side by side
# (the GPU is far from busy with any one of them), then the unet in the time left, then export and
# the accuracy benchmark. Results land in $OUT.
#   BUDGET=560 (seconds for everything), EXTRA="..." (more arguments for every training command)
set -uo pipefail
OUT=${OUT:-/tmp/tinysd-out}; mkdir -p "$OUT"
BUDGET=${BUDGET:-560}; DATA=${DATA:-data}; EXTRA=${EXTRA:-}
start=$(date +%s)
if [ -z "${NO_WHEELS:-}" ] && ls .whl/*.whl > /dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1
[ -d .device-carry ] && export DEEPER_CACHE=$PWD/.device-carry
nvidia-smi -L 2>/dev/null
python3 -c "import torch, diffusers, transformers, accelerate as a; print('torch', torch.__version__, 'diffusers', diffusers.__version__, 'transformers', transformers.__version__, 'accelerate', a.__version__)"
python3 -c "import deeper.tinysd.train" || exit 1
TRAIN="python3 -m deeper.tinysd.train --quiet --fit --log-every 500 --data $DATA --checkpoints ${CKPT:-checkpoints/tinysd} $EXTRA"
for s in clip vae evaluator; do $TRAIN --stages $s --minutes "${FIRST_MINUTES:-1.4}" > "$OUT/$s.log" 2>&1 & done
wait
tail -n 2 "$OUT"/clip.log "$OUT"/vae.log "$OUT"/evaluator.log
for s in clip vae evaluator; do grep -q "^$s: .*done" "$OUT/$s.log" || { tail -n 30 "$OUT/$s.log"; exit 1; }; done
left=$(( BUDGET - ($(date +%s) - start) - 80 ))  # keep 80 s for export and the benchmark
$TRAIN --stages unet --minutes "$(python3 -c "print($left / 60)")" 2>&1 | tee "$OUT/unet.log"
$TRAIN --stages export >> "$OUT/unet.log" 2>&1 || tail -n 20 "$OUT/unet.log"
python3 bench/bench_tiny_sd.py --only accuracy --model "$DATA/tiny-sd" --samples "${SAMPLES:-1000}" --json "$DATA/evaluator/bench.json" 2>&1 | grep -v Loading | tee "$OUT/bench.log"
# At most 8 files come back: the model, the rest, the logs, and the float32 weights to resume from.
C=${CKPT:-checkpoints/tinysd}
tar czf "$OUT/tiny-sd.tgz" -C "$DATA" tiny-sd
tar czf "$OUT/extras.tgz" -C "$DATA" tiny-clip evaluator
tar czf "$OUT/states.tgz" "$C"/*/state.json
cp "$C/unet/ema.safetensors" "$OUT/unet_ema.safetensors"
cp "$C/clip/model.safetensors" "$OUT/clip_model.safetensors"
for s in clip vae evaluator unet bench; do echo "== $s"; cat "$OUT/$s.log"; done > "$OUT/logs.txt" && rm "$OUT"/*.log
echo "total $(( $(date +%s) - start )) s"
