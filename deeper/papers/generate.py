"""Prompts to images with any denoiser (teacher or student) on the DDIM grid, from seeded noise:
the same seed gives teacher and student the very same starting latents."""

import time

import torch
from diffusers.utils.torch_utils import randn_tensor

from ..sd.loop import seed_generator
from ..sd.settings import GUIDANCE_SCALE
from ..sd.text import encode_prompt
from ..sd.vae import decode
from .ddim import Schedule, denoising_steps


def starting_noise(parts, n: int, seed: int) -> torch.Tensor:
    """(n, 4, h, w) standard normal latents from `seed` (DDIM starts at σ_999 ≈ 1: no scaling)."""
    c, h = parts.unet.config.in_channels, parts.unet.config.sample_size
    return randn_tensor((n, c, h, h), generator=seed_generator(seed), device=parts.device, dtype=torch.float32)


def ddim_images(denoiser, parts, prompts: list[str], steps: int, seed: int = 0, guidance_scale: float = GUIDANCE_SCALE,
                batch_size: int = 250, on_step=None) -> torch.Tensor:
    """Images (n, 3, H, W) in [0, 1], `batch_size` prompts at a time; example k always gets the k-th noise.
    `on_step(step, steps)` after each step of each batch (from 1)."""
    schedule = Schedule.from_scheduler(parts.scheduler)
    noise = starting_noise(parts, len(prompts), seed)
    images = []
    for start in range(0, len(prompts), batch_size):
        cond = encode_prompt(parts, prompts[start:start + batch_size]).float()
        for k, step in enumerate(denoising_steps(denoiser, noise[start:start + len(cond)], cond, steps, schedule,
                                                 guidance_scale=guidance_scale), 1):
            if on_step is not None:
                on_step(k, steps)
        latents = step.latents
        images.append(decode(parts, latents))
    return torch.cat(images)


def seconds_per_image(denoiser, parts, steps: int, guidance_scale: float = GUIDANCE_SCALE, repeats: int = 5) -> float:
    """Median wall time of one image (batch 1: what a user waits for), text encoding and decoding included."""
    times = []
    for k in range(repeats + 1):
        start = time.perf_counter()
        ddim_images(denoiser, parts, ["a red 7 on a white background"], steps, seed=k, guidance_scale=guidance_scale)
        times.append(time.perf_counter() - start)
    return sorted(times[1:])[len(times[1:]) // 2]  # the first run warms up
