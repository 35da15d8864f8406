"""Image-to-image with the course's loop: encode a picture with the VAE, noise it to a timestep
part-way down the schedule (`add_noise`), and run `denoising_loop` from there.

It does what `StableDiffusionImg2ImgPipeline.__call__` does, in the same order (the VAE's sample
and then the noise drawn from one seeded generator), so for the same seed and strength the latents
are equal to the pipeline's, bit for bit on CPU.
"""

from numbers import Real
from typing import Iterator

import torch
from diffusers.utils.torch_utils import randn_tensor
from PIL import Image

from ..images import from_pil, to_pil
from .loop import Step, denoising_loop, guidance_embeddings, guidance_rows, seed_generator
from .schedulers import make_scheduler
from .settings import Settings, checked_settings
from .vae import decode, encode


def check_strength(strength) -> float:
    """How much of the schedule to run: 1 starts from pure noise, near 0 keeps the picture."""
    if isinstance(strength, bool) or not isinstance(strength, Real) or not 0 < strength <= 1:
        raise ValueError(f"strength must be a number above 0 and at most 1 (the share of the steps run: "
                         f"1 forgets the picture, 0.2 barely changes it); got {strength!r}")
    return float(strength)


def check_image(image, width: int, height: int) -> Image.Image:
    """A PIL image in RGB mode of the run's size: anything else is a ValueError saying how to convert it."""
    if not isinstance(image, Image.Image):
        raise ValueError(f"image must be a PIL image (RGB, {width}x{height}); got {type(image).__name__}")
    if image.mode != "RGB" or image.size != (width, height):
        raise ValueError(f"image must be an RGB image of {width}x{height} pixels (this run's width x height); got "
                         f"a {image.mode} image of {image.width}x{image.height}: use "
                         f"image.convert('RGB').resize(({width}, {height}))")
    return image


def steps_run(steps: int, strength: float) -> int:
    """How many of `steps` image-to-image runs: int(steps * strength), as the pipeline counts them."""
    return min(int(steps * strength), steps)


def start_part_way(scheduler, latents, noise, strength):
    """(latents noised to the first timestep run, the timesteps left), for a scheduler whose timesteps are set."""
    steps = len(scheduler.timesteps)
    t_start = steps - min(int(steps * strength), steps)  # skip the first steps: run int(steps * strength)
    timesteps = scheduler.timesteps[t_start:]
    return scheduler.add_noise(latents, noise, timesteps[:1]), timesteps


def image_to_image(parts, image, prompt="", *, strength=0.8, **settings) -> Iterator[Step]:
    """`denoise` from a picture instead of pure noise: one Step per step run (int(steps * strength) of them).

    `image` is a PIL RGB image of the run's width x height; every argument is checked before any work.
    """
    s = checked_settings(parts, prompt=prompt, **settings)
    strength = check_strength(strength)
    check_image(image, s.width, s.height)
    if steps_run(s.steps, strength) < 1:
        raise ValueError(f"strength {strength:g} of {s.steps} steps runs none (int(steps * strength) = 0): "
                         f"raise strength to at least {1 / s.steps:.3g} or take more steps")
    return _image_to_image(parts, image, strength, s)


def _image_to_image(parts, image, strength: float, s: Settings) -> Iterator[Step]:
    # 1. the text embeddings, exactly as for text to image
    text_embeddings = guidance_embeddings(parts, s.prompt, s.negative_prompt, s.guidance_scale,
                                          negative_scale=s.negative_scale)
    batch = text_embeddings.shape[0] // guidance_rows(parts.unet, s.guidance_scale, s.negative_scale)
    # 2. the schedule, and where in it to start
    sampler = make_scheduler(s.scheduler, parts.scheduler.config)
    sampler.set_timesteps(s.steps, device=parts.device)
    start = s.steps - steps_run(s.steps, strength)
    if hasattr(sampler, "set_begin_index"):  # the sigma schedulers index their sigmas from here (DDIM has none)
        sampler.set_begin_index(start)
    # 3. the picture's latents: a sample of the VAE's distribution, then the noise, from one generator
    generator = seed_generator(s.seed)
    # (laid out in memory as the pipeline's image processor lays it out: a convolution rounds by layout)
    pixels = from_pil(image).clone(memory_format=torch.channels_last)
    latents = encode(parts, pixels, generator).to(parts.text_encoder.dtype)
    latents = torch.cat([latents] * batch)
    noise = randn_tensor(latents.shape, generator=generator, device=parts.device, dtype=latents.dtype)
    latents, _ = start_part_way(sampler, latents, noise, strength)
    # 4. the course's loop, from the first timestep run
    yield from denoising_loop(parts.unet, sampler, text_embeddings, latents, s.guidance_scale, generator,
                              start=start, negative_scale=s.negative_scale)


def edit(parts, image, prompt="", **settings) -> Image.Image | list[Image.Image]:
    """Picture and prompt to picture (a list for a list of prompts): `image_to_image` run and decoded."""
    *_, last = image_to_image(parts, image, prompt, **settings)
    images = to_pil(decode(parts, last.latents))
    return images if isinstance(prompt, list) else images[0]
