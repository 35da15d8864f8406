"""The hub-shaped folder `data/tiny-sd`: written with `save_pretrained`, checked before loading.

`check_model_folder` exists because `from_pretrained` can quietly build a model with random
weights when a weight file is missing, and a truncated safetensors file gives an error that
names neither the file nor the cure. A course that shows noise teaches nothing, so the loader
calls this first and a student gets a message saying which file and how to restore it.
"""

import json
import struct
from pathlib import Path

import torch
from transformers import CLIPTokenizer

from ..clip_vocab import write_tokenizer_files
from ..manifest import ShippedFileError, unchanged, verify
from .models import MAX_TOKENS

RESTORE = ("Restore the shipped model with `git checkout -- data/tiny-sd` "
           "(or retrain it with `make train`).")

# Every file the pipeline reads, per component.
REQUIRED = {
    "model_index.json": "json",
    "scheduler/scheduler_config.json": "json",
    "tokenizer/tokenizer.json": "json",
    "tokenizer/tokenizer_config.json": "json",
    "text_encoder/config.json": "json",
    "text_encoder/model.safetensors": "safetensors",
    "unet/config.json": "json",
    "unet/diffusion_pytorch_model.safetensors": "safetensors",
    "vae/config.json": "json",
    "vae/diffusion_pytorch_model.safetensors": "safetensors",
}


class ModelFolderError(FileNotFoundError):
    """A file of the model folder is missing or damaged; the message says which and how to restore it."""


def _check_safetensors(path: Path) -> None:
    """A safetensors file is an 8-byte header length, a JSON header, then the tensors' bytes; the
    header says where each tensor lies, so a truncated file is caught without loading it."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise ValueError("shorter than a safetensors header")
        (n,) = struct.unpack("<Q", head)
        if n > size - 8:
            raise ValueError("its header runs past the end of the file")
        header = json.loads(f.read(n))
    if not isinstance(header, dict):
        raise ValueError(f"its header is a JSON {type(header).__name__}, not the table of tensors")
    end = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)
                and 0 <= offsets[0] <= offsets[1]):
            raise ValueError(f"its header entry for {name!r} has no valid data_offsets")
        end = max(end, offsets[1])
    if 8 + n + end != size:
        raise ValueError(f"it holds {size:,} bytes where its header promises {8 + n + end:,}")


def check_model_folder(folder, checksums: bool = True) -> Path:
    """Raise `ModelFolderError` naming the first missing, empty or truncated file of a tiny-sd folder.

    Checks every file `StableDiffusionPipeline.from_pretrained` reads (weights by their safetensors
    header, configs by parsing them), without loading any weights; a folder shipped in data/ (or a
    copy with its manifest) also by checksum, so damaged bytes behind an intact header are named.
    `checksums=False` skips that (an export writing new weights over data/). Returns the folder as a Path.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelFolderError(f"The model folder {folder} does not exist. {RESTORE}")
    shipped_intact = unchanged(folder) if checksums else set()  # their JSON parses: no need to parse 3.6 MB again
    for name, kind in REQUIRED.items():
        path = folder / name
        if not path.is_file():
            raise ModelFolderError(f"The model file {path} is missing. {RESTORE}")
        try:
            if path.stat().st_size == 0:
                raise ValueError("it is empty")
            if kind == "json" and path.resolve() not in shipped_intact:
                json.loads(path.read_text())
            elif kind == "safetensors":
                _check_safetensors(path)
        except (ValueError, UnicodeDecodeError, struct.error, RecursionError) as e:  # RecursionError: JSON nested too deep
            raise ModelFolderError(f"The model file {path} is damaged or truncated ({e}). {RESTORE}") from e
    if checksums:
        verify_shipped(folder)  # the bytes behind the headers
    return folder


def verify_shipped(path) -> None:
    """A shipped file or folder (data/, or a copy with its manifest) against data/MANIFEST.sha256: a
    `ModelFolderError` names the first damaged or missing file. Paths no manifest covers pass."""
    try:
        verify(path)
    except ShippedFileError as e:
        raise ModelFolderError(str(e)) from e


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
