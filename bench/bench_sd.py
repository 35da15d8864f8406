"""Stable Diffusion taken apart, on the shipped tiny model (CPU): each pair measured side by side.

    .venv/bin/python bench/bench_sd.py [--rounds 5]

1. The hand-written loop (`deeper.sd.generate`) against `StableDiffusionPipeline`, same seed,
   30 steps with guidance: the largest difference in latents and pixels, and the wall-time ratio
   (rounds alternate between the two, so a busy machine slows both alike).
2. The step slider: the median time to show another step, over every step of a 30-step run.
3. A fresh Python process to its first image (import, load the model, 30 steps, decode), as a kernel
   would, timed from its launch to the image (its exit, which a kernel never waits for, apart); beside
   it the libraries alone: a process that only imports the torch, diffusers and transformers modules
   the model's classes live in, the floor no import order in `deeper` can go below.
   `--compare OTHER_CHECKOUT` alternates with another checkout (say the previous commit in a worktree).

    .venv/bin/python bench/bench_sd.py --only first-image --rounds 7 --compare /tmp/old
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from diffusers import LMSDiscreteScheduler

from deeper.paths import TINY_SD
from deeper.sd import generate, load_parts, make_scheduler, run, seed_generator
from deeper.sd.settings import GUIDANCE_SCALE as GUIDANCE

CHECKOUT = Path(__file__).resolve().parent.parent  # part 3 times this checkout's deeper, whichever is installed

PROMPT, NEGATIVE, STEPS, SEED = "a red 7 on a white background", "blue", 30, 1

FIRST_IMAGE = f"""
import time
start = time.time()
from deeper.sd import generate, load_parts
imported = time.time()
parts = load_parts("data/tiny-sd", device="cpu", progress=False)
loaded = time.time()
generate(parts, {PROMPT!r}, steps={STEPS}, seed={SEED})
done = time.time()
print(start, imported, loaded, done, time.process_time())
"""

# The libraries' modules that hold the model's classes (the same paths in diffusers 0.39 and 0.42,
# transformers 5.15 and 5.24), and scipy's integrate for LMS: what any first image must import.
LIBRARIES_ALONE = """
import time
start = time.time()
import torch
import diffusers.models.autoencoders.autoencoder_kl, diffusers.models.unets.unet_2d_condition
import diffusers.schedulers.scheduling_lms_discrete
import transformers.models.clip.modeling_clip, transformers.models.clip.tokenization_clip
import scipy.integrate
done = time.time()
print(start, done, done, done, time.process_time())
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


def fresh_process(code: str, checkout: Path, env: dict) -> dict:
    """Seconds from launch: to the script's first line, to its end (the image), and the exit after it."""
    launched = time.time()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
                          cwd=checkout)
    ended = time.time()
    start, imported, loaded, finished, cpu = map(float, done.stdout.split()[-5:])
    return dict(total=finished - launched, startup=start - launched, imports=imported - start,
                load=loaded - imported, generate=finished - loaded, cpu=cpu, exit=ended - finished)


def first_image(threads: int | None, rounds: int, compare: Path | None) -> None:
    print(f"\n3. fresh process to first image (import, load, {STEPS} steps, decode; target <= 5 s), "
          f"median of {rounds} alternating rounds, load average {os.getloadavg()[0]:.1f} at the start")
    env = {**os.environ, **({"OMP_NUM_THREADS": str(threads)} if threads else {})}
    contenders = {f"this checkout ({CHECKOUT})": (FIRST_IMAGE, CHECKOUT)}
    if compare is not None:
        contenders[f"--compare {compare}"] = (FIRST_IMAGE, compare)
    contenders["the libraries alone (imports only)"] = (LIBRARIES_ALONE, CHECKOUT)
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, (code, checkout) in contenders.items():
            times[name].append(fresh_process(code, checkout, env))
    print(f"  {'':<40} {'to image':>9} {'cpu':>6} {'start':>6} {'import':>7} {'load':>6} {'steps':>6} {'exit':>6}")
    for name, runs in times.items():
        m = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        print(f"  {name:<40} {m['total']:8.2f}s {m['cpu']:6.2f} {m['startup']:6.2f} {m['imports']:7.2f} "
              f"{m['load']:6.2f} {m['generate']:6.2f} {m['exit']:6.2f}")
        each = ", ".join(f"{run['total']:.2f}" for run in runs)
        print(f"  {'':<40} (each round: {each})")
    print("  (seconds; 'to image' from launch to the decoded image, 'cpu' the process's CPU time by then, "
          "'exit' after it, which a kernel never waits for)")


PARTS = ("loop", "slider", "first-image")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own choice)")
    parser.add_argument("--only", choices=PARTS, action="append", help="run only this part (repeatable)")
    parser.add_argument("--compare", type=Path, default=None,
                        help="another checkout whose first image is timed beside this one's (part 3)")
    args = parser.parse_args()
    only = set(args.only or PARTS)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, model {TINY_SD}\n")
    if only & {"loop", "slider"}:
        parts = load_parts(TINY_SD, device="cpu")
        if "loop" in only:
            loop_against_pipeline(parts, args.rounds)
        if "slider" in only:
            step_slider(parts)
    if "first-image" in only:
        first_image(args.threads, args.rounds, args.compare)


if __name__ == "__main__":
    main()
