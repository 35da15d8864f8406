"""Stable Diffusion v1.5's shapes on a GPU (random weights: speed does not depend on them), side by side:
the pipeline, the hand-written loop, and the loop with the UNet under torch.compile.

    python bench/bench_sd_gpu.py                       # on the GPU machine: fp16, 512x512, 50 LMS steps
    python bench/bench_sd_gpu.py --size small --device cpu --dtype float32 --steps 4 --rounds 1   # a dry run

Reports UNet steps per second (the guided batch of two counts as one step), peak GPU memory, the
one-off compile time, and how far the compiled loop's images are from the eager ones.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from diffusers import LMSDiscreteScheduler

from deeper.images import to_pil
from deeper.sd import compile_unet, decode, denoise, make_scheduler, seed_generator
from deeper.sd.settings import GUIDANCE_SCALE as GUIDANCE

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from random_parts import random_parts  # noqa: E402 - a test fixture: SD's shapes with random weights

PROMPT, NEGATIVE, SEED = "a photograph of an astronaut riding a horse", "blurry", 1


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, device):
    sync(device)
    start = time.perf_counter()
    result = fn()
    sync(device)
    return time.perf_counter() - start, result


def peak_memory(fn, device) -> float:
    """GiB the GPU allocator held at most while `fn` ran (nan on CPU)."""
    if device.type != "cuda":
        fn()
        return float("nan")
    torch.cuda.reset_peak_memory_stats()
    fn()
    return torch.cuda.max_memory_allocated() / 2**30


def pixels(parts, latents) -> np.ndarray:
    return np.asarray(to_pil(decode(parts, latents))[0], dtype=np.int16)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--size", default="sd15", choices=["sd15", "small"])
    p.add_argument("--device", default="cuda")
    p.add_argument("--dtype", default="float16", choices=["float16", "bfloat16", "float32"])
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    device, dtype = torch.device(args.device), getattr(torch, args.dtype)
    if device.type == "cuda":
        print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}")
    start = time.perf_counter()
    parts = random_parts(args.size, seed=0, dtype=dtype, device=device)
    size = parts.native_size
    print(f"{args.size} shapes with random weights, {args.dtype}, {size}x{size}, {args.steps} LMS steps, "
          f"guidance {GUIDANCE}, negative prompt (built in {time.perf_counter() - start:.1f} s)\n")
    pipe = parts.pipeline()
    pipe.scheduler = make_scheduler("LMS", parts.scheduler.config)
    stock = parts.pipeline()
    stock.scheduler = LMSDiscreteScheduler.from_config(parts.scheduler.config)
    settings = dict(negative_prompt=NEGATIVE, guidance_scale=GUIDANCE, steps=args.steps, seed=SEED)

    def pipeline(p=pipe):
        return p(PROMPT, negative_prompt=NEGATIVE, guidance_scale=GUIDANCE, num_inference_steps=args.steps,
                 generator=seed_generator(SEED), output_type="latent").images

    def loop():
        *_, last = denoise(parts, PROMPT, **settings)
        return last.latents

    runs = {"pipeline, diffusers' LMS": lambda: pipeline(stock), "pipeline": pipeline, "loop": loop}
    latents = {name: fn() for name, fn in runs.items()}  # warm-up (cuDNN picks its kernels)
    times = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, fn in runs.items():
            times[name].append(timed(fn, device)[0])
    memory = {name: peak_memory(fn, device) for name, fn in runs.items()}

    compile_s = float("nan")
    if device.type == "cuda":
        compile_unet(parts)
        compile_s, latents["compiled loop"] = timed(loop, device)
        timed(loop, device)  # the second call may still record CUDA graphs
        times["compiled loop"] = [timed(loop, device)[0] for _ in range(args.rounds)]
        memory["compiled loop"] = peak_memory(loop, device)
        latents["compiled loop"] = loop()
    rate = {name: args.steps / statistics.median(ts) for name, ts in times.items()}

    base = "pipeline, diffusers' LMS"
    image = {name: pixels(parts, x) for name, x in latents.items()}
    print(f"{'':<26} {'steps/s':>9} {'x diffusers':>12} {'peak GiB':>9} {'latents vs diffusers':>21} "
          f"{'pixels vs diffusers (max, mean)':>32}")
    for name in latents:
        diff = (latents[name].float() - latents[base].float()).abs().max().item()
        px = np.abs(image[name] - image[base])
        print(f"{name:<26} {rate[name]:9.1f} {rate[name] / rate[base]:12.3f} {memory[name]:9.2f} "
              f"{diff:21.3g} {px.max():>20d}, {px.mean():.3f}")
    print("\n(the pipeline and loop rows use deeper.sd's LMS: diffusers' own, its coefficients computed in numpy)")
    print(f"loop / pipeline steps per second, same scheduler: {rate['loop'] / rate['pipeline']:.3f} (target >= 0.98)")
    if device.type == "cuda":
        compiled = rate["compiled loop"]
        print(f"compiled loop / eager pipeline: {compiled / rate[base]:.2f}x against diffusers' LMS, "
              f"{compiled / rate['pipeline']:.2f}x with the same LMS (target >= 4)")
        print(f"first compiled run (compiles): {compile_s:.1f} s; it pays after about "
              f"{compile_s / (args.steps / rate['pipeline'] - args.steps / compiled):.0f} images")
    print("per-round seconds:", {k: [round(t, 3) for t in v] for k, v in times.items()})


if __name__ == "__main__":
    main()
