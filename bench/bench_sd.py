"""Stable Diffusion taken apart, on the shipped tiny model (CPU): each pair measured side by side.

    .venv/bin/python bench/bench_sd.py [--rounds 5]

1. The hand-written loop (`deeper.sd.generate`) against `StableDiffusionPipeline`, same seed,
   30 steps with guidance: the largest difference in latents and pixels, and the wall-time ratio
   (rounds alternate between the two, so a busy machine slows both alike).
2. The step slider: the median time to show another step, over every step of a 30-step run.
3. A fresh Python process to its first image (import, load the model, 30 steps), as a kernel would.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
from diffusers import LMSDiscreteScheduler

from deeper.paths import TINY_SD
from deeper.sd import generate, load_parts, make_scheduler, run, seed_generator
from deeper.sd.settings import GUIDANCE_SCALE as GUIDANCE

PROMPT, NEGATIVE, STEPS, SEED = "a red 7 on a white background", "blue", 30, 1

FIRST_IMAGE = f"""
import time
start = time.perf_counter()
from deeper.sd import generate, load_parts
imported = time.perf_counter()
parts = load_parts({str(TINY_SD)!r}, device="cpu")
loaded = time.perf_counter()
generate(parts, {PROMPT!r}, steps={STEPS}, seed={SEED})
done = time.perf_counter()
print(imported - start, loaded - imported, done - loaded)
"""


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def loop_against_pipeline(parts, rounds: int) -> None:
    pipe, stock = parts.pipeline(), parts.pipeline()
    pipe.scheduler = make_scheduler("LMS", parts.scheduler.config)
    stock.scheduler = LMSDiscreteScheduler.from_config(parts.scheduler.config)
    settings = dict(negative_prompt=NEGATIVE, guidance_scale=GUIDANCE, steps=STEPS, seed=SEED)

    def pipeline(p=pipe, output_type="pil"):
        return p(PROMPT, negative_prompt=NEGATIVE, guidance_scale=GUIDANCE, num_inference_steps=STEPS,
                 generator=seed_generator(SEED), output_type=output_type).images

    contenders = {"pipeline, diffusers' LMS": lambda: pipeline(stock)[0], "pipeline": lambda: pipeline()[0],
                  "loop": lambda: generate(parts, PROMPT, **settings)}
    for fn in contenders.values():
        fn()  # warm up
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            times[name].append(timed(fn)[0])
    latents = run(parts, PROMPT, **settings).latents
    stock_latents = pipeline(stock, "latent")
    pixels = np.abs(np.asarray(contenders["loop"](), dtype=int) - np.asarray(contenders["pipeline, diffusers' LMS"](), dtype=int)).max()
    median = {name: statistics.median(ts) for name, ts in times.items()}
    print(f"1. hand-written loop vs StableDiffusionPipeline ({STEPS} LMS steps, guidance {GUIDANCE}, "
          f"negative prompt, seed {SEED}; median of {rounds} alternating rounds)")
    print(f"  {'max abs diff, latents':<44} {(latents - stock_latents).abs().max().item():12.3g}")
    print(f"  {'max abs diff, image pixels (0-255)':<44} {pixels:12d}")
    for name, seconds in median.items():
        print(f"  {name:<44} {seconds:10.3f} s   {STEPS / seconds:6.1f} steps/s")
    print("  (pipeline and loop: deeper.sd's LMS, diffusers' own with its coefficients computed in numpy)")
    ratios = [a / b for a, b in zip(times["loop"], times["pipeline"])]
    print(f"  {'time ratio loop/pipeline, same LMS (<= 1.05)':<44} {median['loop'] / median['pipeline']:12.3f}   "
          f"(per round: {', '.join(f'{r:.3f}' for r in ratios)})")
    print(f"  {'time ratio loop/pipeline with diffusers LMS':<44} {median['loop'] / median[next(iter(median))]:12.3f}")


def step_slider(parts) -> None:
    from widgets.step_slider import StepSlider

    result = run(parts, PROMPT, negative_prompt=NEGATIVE, guidance_scale=GUIDANCE, steps=STEPS, seed=SEED)
    build_s, slider = timed(lambda: StepSlider(result))
    times = []
    for _ in range(3):
        for i in range(STEPS):
            seconds, _ = timed(lambda: setattr(slider.slider, "value", i))
            times.append(seconds)
    print(f"\n2. step slider on a {STEPS}-step run")
    print(f"  {'decoding every step once (construction)':<40} {build_s * 1e3:10.1f} ms")
    print(f"  {'median time to show a step (target <= 30)':<40} {statistics.median(times) * 1e3:10.2f} ms   "
          f"(max {max(times) * 1e3:.2f} ms)")


def first_image(threads: int | None, rounds: int = 2) -> None:
    print(f"\n3. fresh process to first image (import, load, {STEPS} steps; target <= 8 s)")
    env = {**os.environ, **({"OMP_NUM_THREADS": str(threads)} if threads else {})}
    for _ in range(rounds):
        seconds, done = timed(lambda: subprocess.run([sys.executable, "-c", FIRST_IMAGE], capture_output=True,
                                                     text=True, check=True, env=env))
        imported, loaded, generated = map(float, done.stdout.split())
        print(f"  {'total':<40} {seconds:10.2f} s   (import {imported:.2f} s, load {loaded:.2f} s, "
              f"{STEPS} steps + decode {generated:.2f} s)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, model {TINY_SD}\n")
    parts = load_parts(TINY_SD, device="cpu")
    loop_against_pipeline(parts, args.rounds)
    step_slider(parts)
    first_image(args.threads)


if __name__ == "__main__":
    main()
