"""Stable Diffusion's five parts, loaded from a local folder or a hub id, and handed around together.

The lesson takes a pipeline apart: a CLIP tokenizer and text encoder, a UNet, a VAE and a
scheduler. `Parts` holds them; `load_parts` fills it with `from_pretrained`, and `Parts.pipeline()`
puts them back together as the library's `StableDiffusionPipeline`, sharing the same modules.
"""

import re
from contextlib import contextmanager
from dataclasses import dataclass
from math import lcm
from pathlib import Path

import diffusers
import torch
from packaging.version import Version

from ..device import explain_mps, pick_device
from ..manifest import manifest_root
from ..paths import DATA, TINY_SD
from .folder import ModelFolderError, check_model_folder, restore_hint
from .text import KnownWords, read_known_words

HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


def dtype_keyword(diffusers_version: str = diffusers.__version__) -> str:
    """diffusers 0.40 renamed from_pretrained(torch_dtype=...) to dtype=; Colab still has 0.39."""
    return "dtype" if Version(diffusers_version) >= Version("0.40") else "torch_dtype"


@dataclass
class Parts:
    """The tokenizer, text encoder, UNet, VAE and (the model's own) scheduler of one SD v1 model."""

    tokenizer: object
    text_encoder: torch.nn.Module
    unet: torch.nn.Module
    vae: torch.nn.Module
    scheduler: object
    model_id: str = ""
    device_note: str = ""  # which device and dtype load_parts picked and why: what notebooks print
    known_words: KnownWords | None = None  # the words the text encoder was trained on, where the folder lists them

    @property
    def device(self) -> torch.device:
        return self.unet.device

    @property
    def dtype(self) -> torch.dtype:
        return self.unet.dtype

    @property
    def vae_scale_factor(self) -> int:
        """Pixels per latent along a side (8 for SD, 4 for tiny-sd), as the pipeline computes it."""
        return 2 ** (len(self.vae.config.block_out_channels) - 1)

    @property
    def native_size(self) -> int:
        """The image side the UNet was trained at: its latent size times the VAE's scale factor."""
        return self.unet.config.sample_size * self.vae_scale_factor

    @property
    def size_step(self) -> int:
        """Heights and widths must be multiples of this (the pipeline wants multiples of 8)."""
        return lcm(8, self.vae_scale_factor)

    def components(self) -> dict:
        """Keyword arguments for any SD pipeline class: these parts, no safety checker."""
        return dict(tokenizer=self.tokenizer, text_encoder=self.text_encoder, unet=self.unet, vae=self.vae,
                    scheduler=self.scheduler, safety_checker=None, feature_extractor=None,
                    requires_safety_checker=False)

    def pipeline(self, cls=None):
        """The library's pipeline (`StableDiffusionPipeline` unless `cls` says otherwise) on these very modules."""
        cls = cls or diffusers.StableDiffusionPipeline
        pipe = cls(**self.components())
        pipe.set_progress_bar_config(disable=True)
        return pipe

    def to(self, device=None, dtype=None) -> "Parts":
        for module in (self.text_encoder, self.unet, self.vae):
            module.to(device) if dtype is None else module.to(device=device, dtype=dtype)  # diffusers warns on dtype=None
        return self


def load_parts(model_id=TINY_SD, device: str | None = None, dtype: torch.dtype | None = None,
               variant: str | None = None, progress: bool = True) -> Parts:
    """Load a model's parts from a local folder (hub-shaped), a model shipped in data/ by its name
    ("tiny-sd", the default), or a hub id ("stable-diffusion-v1-5/stable-diffusion-v1-5").

    `device` None picks CUDA, then Apple's MPS, then the CPU; `dtype` None is float16 on CUDA, else
    float32 (`deeper.device.pick_device`; `parts.device_note` says what was picked); `progress=False` hides the libraries' loading bars (notebooks in CI). On a GPU the VAE decodes a
    batch one image at a time (`vae.enable_slicing()`), so a 4-image grid of SD fits a Colab GPU.
    Raises ValueError naming `model_id` when the folder is incomplete or the hub cannot be reached.
    """
    choice = pick_device(device, dtype)
    device, dtype = choice.device, choice.dtype
    source = shipped_or_given(model_id)
    folder = Path(source)
    if folder.is_dir():
        check_shipped(folder)
    elif not HUB_ID.match(source):
        raise ValueError(f"model_id must be a model folder or a hub id like 'owner/name'; {source!r} is neither "
                         f"(no such folder, and not of that form)")
    try:
        with progress_bars(progress):
            pipe = diffusers.StableDiffusionPipeline.from_pretrained(
                source, safety_checker=None, requires_safety_checker=False, variant=variant, **{dtype_keyword(): dtype})
    except Exception as e:  # noqa: BLE001 - hub, file and format errors all mean "this model_id does not load"
        hint = ("" if folder.is_dir() else ". A hub id needs the network (or a copy in the hub cache); "
                f"offline, use a local folder such as {TINY_SD}")
        raise ValueError(f"model_id {source!r} could not be loaded: {first_line(e)}{hint}") from e
    parts = Parts(pipe.tokenizer, pipe.text_encoder, pipe.unet, pipe.vae, pipe.scheduler, model_id=source,
                  device_note=f"{folder.name if folder.is_dir() else source}: {choice}",
                  known_words=read_known_words(folder) if folder.is_dir() else None)
    for module in (parts.text_encoder, parts.unet, parts.vae):
        module.eval()
    if device != "cpu":
        parts.vae.enable_slicing()  # a batch decoded one image at a time: SD's decoder needs GBs per image
    try:
        return parts.to(device)
    except (RuntimeError, NotImplementedError) as e:
        raise explain_mps(e) from e


@contextmanager
def progress_bars(shown: bool):
    """diffusers' and transformers' progress bars on or off for a while, as they were afterwards."""
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    libraries = [(lib, lib.is_progress_bar_enabled()) for lib in (diffusers_logging, transformers_logging)]
    for lib, _ in libraries:
        lib.enable_progress_bar() if shown else lib.disable_progress_bar()
    try:
        yield
    finally:
        for lib, was in libraries:
            lib.enable_progress_bar() if was else lib.disable_progress_bar()


def shipped_or_given(model_id) -> str:
    """A bare name of a folder in data/ ("tiny-sd") means that folder, wherever the course is installed."""
    name = str(model_id)
    if not Path(name).exists() and "/" not in name and (DATA / name / "model_index.json").is_file():
        return str(DATA / name)
    return name


def check_shipped(folder: Path) -> None:
    """A model shipped in data/ (or a copy of data/ with its manifest) is checked file by file first
    (`deeper.sd.folder` knows its files, data/MANIFEST.sha256 their checksums): a
    clone without its LFS files, a cut-short download or damaged bytes are named, not loaded as noise."""
    data = DATA if folder.resolve().is_relative_to(DATA.resolve()) else manifest_root(folder)
    if data is not None:
        try:
            check_model_folder(folder, restore=restore_hint(folder, data))
        except ModelFolderError as e:
            raise ValueError(f"model_id {str(folder)!r}: {e}") from e


def first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0].rstrip(".")
