"""What recording the cross-attention costs (`deeper.sd.attention`), on the shipped tiny model (CPU):
a plain 30-step run and the same run with every attn2 layer's probabilities recorded, measured side
by side (rounds alternate between the two, so a busy machine slows both alike). Target: at most 20%
over the plain run.

    .venv/bin/python bench/bench_attention.py [--rounds 5] [--steps 30]
"""

import argparse
import statistics
import time

from deeper.sd import load_parts, run
from deeper.sd.attention import attention_run

PROMPT, SEED = "a red 7 on a white background", 1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--model", default="tiny-sd", help="a model folder or hub id (default: the shipped tiny SD)")
    args = p.parse_args()
    parts = load_parts(args.model, device="cpu", progress=False)
    contenders = {"plain run": lambda: run(parts, PROMPT, steps=args.steps, seed=SEED),
                  "run recording cross-attention": lambda: attention_run(parts, PROMPT, steps=args.steps, seed=SEED)}
    for fn in contenders.values():
        fn()  # warm up
    times = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    plain = statistics.median(times["plain run"])
    print(f"{args.steps} steps, guidance 7.5, median of {args.rounds} alternating rounds")
    print(f"{'':32}{'seconds':>9}{'ratio':>8}")
    for name, ts in times.items():
        median = statistics.median(ts)
        print(f"{name:32}{median:9.3f}{median / plain:8.2f}")
    overhead = statistics.median(times["run recording cross-attention"]) / plain - 1
    print(f"recording costs {overhead:+.0%} over the plain run (target: at most +20%): "
          f"{'met' if overhead <= 0.20 else 'NOT met'}")


if __name__ == "__main__":
    main()
