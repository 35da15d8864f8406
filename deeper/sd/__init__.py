"""Stable Diffusion taken apart: load the parts, encode text, run the denoising loop one step at a
time, decode. The loop equals `StableDiffusionPipeline` for the same seed, bit for bit on CPU.

    parts = load_parts()                     # data/tiny-sd, or a hub id such as an SD v1 model
    for step in denoise(parts, "a red 7 on white", steps=30, seed=1):
        print(step.index, step.timestep, step.sigma)
    image = generate(parts, "a red 7 on white", steps=30, seed=1)
"""

from .compile import compile_unet
from .img2img import edit, image_to_image
from .loop import Step, denoise, denoising_loop, guidance_embeddings, initial_latents, seed_generator
from .parts import Parts, load_parts
from .run import Run, generate, run
from .schedulers import SCHEDULERS, make_scheduler
from .settings import Settings, checked_settings, settings_code
from .text import PromptTruncatedWarning, encode_prompt, mix_prompts, tokenize
from .vae import decode, decode_in_batches, encode

__all__ = ["Parts", "PromptTruncatedWarning", "Run", "SCHEDULERS", "Settings", "Step", "checked_settings", "compile_unet",
           "decode", "decode_in_batches", "denoise", "denoising_loop", "edit", "encode", "encode_prompt", "generate", "guidance_embeddings",
           "image_to_image", "initial_latents", "load_parts", "make_scheduler", "mix_prompts", "run", "seed_generator", "settings_code", "tokenize"]
