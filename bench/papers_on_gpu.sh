#!/usr/bin/env bash
# The three papers' benchmarks on the GPU machine in one command, side by side (the tiny models
# leave the GPU far from busy): progressive and guided over 1,000 prompts, and Imagic over 20
# test digits in five processes, then summarised. Carry .whl and the npz that
# bench/papers_on_gpu.py --write-test-split makes; data/ travels with the tree. Tables land in $OUT.
#   MNIST_TEST_NPZ (default checkpoints/papers-carry/mnist_test.npz)
set -uo pipefail
OUT=${OUT:-/tmp/bench-out}; mkdir -p "$OUT" /tmp/b
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=$PWD:/tmp/site PYTHONUNBUFFERED=1
export MNIST_TEST_NPZ=${MNIST_TEST_NPZ:-checkpoints/papers-carry/mnist_test.npz}
B="python3 bench/papers_on_gpu.py"
start=$(date +%s)
$B --only progressive guided --samples 1000 > /tmp/b/pg.log 2>&1 &
for k in 0 4 8 12 16; do $B --only imagic --image-range $k $((k + 4)) --log /tmp/b/imagic-$k.jsonl > /tmp/b/imagic-$k.out 2>&1 & done
wait
$B --summarise /tmp/b/imagic-*.jsonl > /tmp/b/imagic-summary.log 2>&1
grep -v "Loading\|torchvision\|Casting" /tmp/b/pg.log > "$OUT/pg.log"
grep -v "Loading\|torchvision" /tmp/b/imagic-summary.log > "$OUT/imagic-summary.log"
tar czf "$OUT/imagic.tgz" -C /tmp/b .  # the per-η curves of every run, for the notebook's figures
tail -n 60 "$OUT/pg.log"; tail -n 40 "$OUT/imagic-summary.log"
echo "total $(( $(date +%s) - start )) s"
