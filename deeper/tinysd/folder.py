"""The tiny SD's folder `data/tiny-sd`: written with `save_pretrained` by the export, checked before
loading with `deeper.sd.folder`'s check and this model's cure (retrain it)."""

import json
from pathlib import Path

import torch
from transformers import CLIPTokenizer

from ..clip_vocab import write_tokenizer_files
from ..sd import folder as sd_folder
from .models import MAX_TOKENS

RESTORE = ("Restore the shipped model with `git checkout -- data/tiny-sd` "
           "(or retrain it with `make train`).")


def check_model_folder(folder, checksums: bool = True) -> Path:
    """`deeper.sd.folder.check_model_folder`, its messages naming how to restore or retrain the tiny SD."""
    return sd_folder.check_model_folder(folder, checksums, restore=RESTORE)


def new_tokenizer(folder) -> CLIPTokenizer:
    """CLIP's real tokenizer (49,408 tokens), padding to 77 as SD v1's does."""
    write_tokenizer_files(folder)
    return CLIPTokenizer.from_pretrained(folder, model_max_length=MAX_TOKENS, pad_token="<|endoftext|>")


def save_model_folder(folder, tokenizer, text_encoder, vae, unet, scheduler,
                      dtype=torch.float16) -> Path:
    """Write a folder `StableDiffusionPipeline.from_pretrained` loads, weights in `dtype` (fp16 by
    default: half the bytes in git; loading them into a float32 model on CPU is exact)."""
    from diffusers import StableDiffusionPipeline  # heavy import, only needed here
    pipe = StableDiffusionPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.to(dtype=dtype)
    pipe.save_pretrained(folder, safe_serialization=True)
    pipe.to(dtype=torch.float32)
    # transformers 5 loads a model in the dtype its config names ("auto"); the CPU loop runs in
    # float32 beside a float32 UNet, so the config asks for float32 whatever the file stores.
    config = Path(folder) / "text_encoder" / "config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "dtype": "float32"}, indent=2) + "\n")
    add_sd_scheduler_settings(folder)
    return check_model_folder(folder, checksums=False)  # new weights: `python -m deeper.manifest --write` records them


# SD v1's scheduler_config.json carries these for the schedulers a student may swap in: without
# clip_sample=False, DDIMScheduler.from_config clips the latents to [-1, 1] and draws noise.
SD_SCHEDULER_SETTINGS = {"clip_sample": False, "set_alpha_to_one": False, "skip_prk_steps": True}


def add_sd_scheduler_settings(folder) -> None:
    config = Path(folder) / "scheduler" / "scheduler_config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), **SD_SCHEDULER_SETTINGS}, indent=2) + "\n")
