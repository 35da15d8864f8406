"""Imagic (Kawar et al., CVPR 2023): edit one real image with a text prompt, on the tiny SD.

A. Freeze the model; from the target prompt's embedding e_tgt, optimise an embedding e_opt that
   reconstructs the input image (the ordinary noise-prediction loss at random timesteps).
B. Freeze e_opt; fine-tune the UNet on the same image, so that e_opt reproduces it faithfully.
C. Sample from the fine-tuned model with ē = η e_tgt + (1 - η) e_opt: η = 0 gives the input back,
   larger η moves towards the prompt while keeping what e_opt and the fine-tuning learnt.
"""

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from ..images import from_pil
from ..sd.settings import GUIDANCE_SCALE
from ..sd.text import encode_prompt
from ..sd.vae import decode, encode
from .ddim import Schedule, sample
from .denoisers import Teacher
from .generate import starting_noise


@dataclass
class ImagicSettings:
    # Tried on the tiny SD: B at 300 steps of 1e-4 made the model reproduce the input from any
    # embedding (no edit at any η); A at 100 steps of 1e-3 left e_opt unable to reconstruct it.
    embedding_steps: int = 300    # stage A: Adam steps on e (SD: 1000 at lr 2e-3; diffusers' example 500 at 1e-3)
    embedding_lr: float = 2e-3
    unet_steps: int = 150         # stage B: Adam steps on the UNet (SD: 1500 at lr 5e-7, for 860M weights)
    unet_lr: float = 5e-5
    batch_size: int = 16          # noise draws of the one image per optimisation step
    sample_steps: int = 16        # stage C: DDIM steps
    guidance_scale: float = GUIDANCE_SCALE
    seed: int = 0


def input_image(image, size: int) -> tuple[torch.Tensor, str]:
    """(1, 3, size, size) in [0, 1] from a PIL image, an array or a tensor (HxW grey, HxWx3/4 or
    3xHxW, optionally a batch of one; uint8 or floats in [0, 1]), and a note saying what was converted ('' when nothing was). ValueError for what is no image."""
    notes = []
    if isinstance(image, torch.Tensor):
        image = image.detach().cpu().numpy()
    if isinstance(image, np.ndarray):
        array = image[0] if image.ndim == 4 and len(image) == 1 else image  # a batch of one
        if array.ndim == 3 and array.shape[0] in (1, 3, 4) and array.shape[-1] not in (1, 3, 4):
            array = array.transpose(1, 2, 0)  # channels first -> last
        if array.ndim == 3 and array.shape[-1] == 1:
            array = array[..., 0]
        if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)) or array.size == 0:
            raise ValueError(f"the input image must be H x W (grey) or H x W x 3/4 (colour); got shape {array.shape}")
        if array.dtype != np.uint8:
            if not np.isfinite(array).all():
                raise ValueError("the input image holds NaN or infinite values")
            array = (np.clip(array, 0, 1) * 255).round().astype(np.uint8)
        image = Image.fromarray(array)
    if not isinstance(image, Image.Image):
        raise ValueError(f"the input image must be a PIL image or an array; got {type(image).__name__}")
    if image.mode != "RGB":
        notes.append(f"converted from mode {image.mode} to RGB")
        if image.mode in ("RGBA", "LA", "P"):
            image = image.convert("RGBA")
            white = Image.new("RGBA", image.size, (255, 255, 255, 255))
            image = Image.alpha_composite(white, image)
        image = image.convert("RGB")
    if image.size != (size, size):
        notes.append(f"resized from {image.size[0]}x{image.size[1]} to {size}x{size}")
    return from_pil(image, (size, size)), "; ".join(notes)


def reconstruction_loss(unet, latents, embedding, schedule: Schedule, batch_size: int):
    """The noise-prediction loss of one image's latents (1, 4, h, w) under `embedding` (1, 77, d)."""
    x = latents.expand(batch_size, -1, -1, -1)
    t = torch.randint(0, schedule.num_train_timesteps, (batch_size,), device=x.device)
    eps = torch.randn_like(x)
    alpha, sigma = schedule(t, like=x)
    eps_hat = unet(alpha * x + sigma * eps, t, encoder_hidden_states=embedding.expand(batch_size, -1, -1)).sample
    return F.mse_loss(eps_hat, eps)


def optimize_embedding(unet, latents, e_tgt, schedule, steps: int, lr: float, batch_size: int, progress=None):
    """Stage A: e_opt, starting at e_tgt, with the UNet frozen."""
    e = e_tgt.detach().clone().requires_grad_(True)
    unet.requires_grad_(False)
    _minimise([e], lambda: reconstruction_loss(unet, latents, e, schedule, batch_size), steps, lr, "embedding", progress)
    return e.detach()


def finetune_unet(unet, latents, e_opt, schedule, steps: int, lr: float, batch_size: int, progress=None):
    """Stage B: a copy of the UNet fine-tuned on the image with e_opt frozen (the original is untouched)."""
    tuned = copy.deepcopy(unet).train().requires_grad_(True)
    _minimise(tuned.parameters(), lambda: reconstruction_loss(tuned, latents, e_opt, schedule, batch_size),
              steps, lr, "unet", progress)
    return tuned.eval().requires_grad_(False)


def _minimise(params, loss_fn, steps: int, lr: float, stage: str, progress=None):
    """Adam on `params` for `steps`; `progress(stage, step, steps, loss)` after each."""
    optimizer = torch.optim.Adam(params, lr=lr)
    for i in range(steps):
        loss = loss_fn()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if progress:
            progress(stage, i + 1, steps, loss.item())


def interpolate(e_tgt, e_opt, eta: float):
    """ē = η e_tgt + (1 - η) e_opt."""
    return eta * e_tgt + (1 - eta) * e_opt


class Imagic:
    """One input image and one target prompt: `fit()` runs stages A and B, `edit(etas)` stage C."""

    def __init__(self, parts, image, target_prompt: str, settings: ImagicSettings | None = None):
        self.parts, self.settings = parts, settings or ImagicSettings()
        self.schedule = Schedule.from_scheduler(parts.scheduler)
        self.pixels, self.note = input_image(image, parts.native_size)
        self.latents = encode(parts, self.pixels)
        self.target_prompt = target_prompt
        self.e_tgt = encode_prompt(parts, [target_prompt]).float()
        self.uncond = encode_prompt(parts, [""]).float()
        self.e_opt, self.unet = None, None

    def fit(self, progress=None) -> "Imagic":
        s = self.settings
        torch.manual_seed(s.seed)
        self.e_opt = optimize_embedding(self.parts.unet, self.latents, self.e_tgt, self.schedule,
                                        s.embedding_steps, s.embedding_lr, s.batch_size, progress)
        self.unet = finetune_unet(self.parts.unet, self.latents, self.e_opt, self.schedule,
                                  s.unet_steps, s.unet_lr, s.batch_size, progress)
        return self

    @torch.no_grad()
    def edit_latents(self, etas, seeds=None) -> torch.Tensor:
        """Stage C for every η (rows) and seed (columns), flattened η-major: the same starting noise
        for every η, as the paper fixes the seed while η moves."""
        if self.unet is None:
            raise ValueError("run fit() first: stages A and B make e_opt and the fine-tuned UNet")
        seeds = [self.settings.seed] if seeds is None else list(seeds)
        etas = torch.as_tensor(list(etas), dtype=torch.float32, device=self.e_tgt.device)
        etas = etas.repeat_interleave(len(seeds)).reshape(-1, 1, 1)
        cond = interpolate(self.e_tgt, self.e_opt, etas)
        noise = torch.cat([starting_noise(self.parts, 1, seed) for seed in seeds]).repeat(len(cond) // len(seeds), 1, 1, 1)
        teacher = Teacher(self.unet, self.schedule, self.uncond)
        return sample(teacher, noise, cond, self.settings.sample_steps, self.schedule,
                      guidance_scale=self.settings.guidance_scale)

    def edit(self, etas, seeds=None) -> torch.Tensor:
        """Images (len(etas) * len(seeds), 3, H, W) in [0, 1]."""
        return decode(self.parts, self.edit_latents(etas, seeds))


@dataclass
class Sweep:
    """Stage C measured along η (the paper's Fig. 9 at our scale): per η, the share of seeds whose
    image shows the target attribute, the share that also keeps the other attributes, and the
    RMS pixel distance to the input; `images[k]` is the first seed's edit at `etas[k]`."""
    etas: list
    hit: list
    hit_and_kept: list
    distance: list
    images: torch.Tensor


def sweep(imagic: Imagic, evaluator, edit, etas, seeds=(0,)) -> Sweep:
    """Run stage C along `etas` and judge each image with `edit` (a deeper.digits.attributes.Edit)."""
    from ..digits.attributes import read_attributes

    images = imagic.edit(etas, seeds).cpu()
    found = read_attributes(evaluator, images)
    source = read_attributes(evaluator, imagic.pixels)
    hit, kept = edit.hit(found), edit.kept(found, source)
    per_eta = lambda x: x.float().reshape(len(etas), len(seeds)).mean(1).tolist()  # noqa: E731
    distance = (images - imagic.pixels).pow(2).flatten(1).mean(1).sqrt()
    return Sweep(list(map(float, etas)), per_eta(hit), per_eta(hit & kept), per_eta(distance),
                 images.reshape(len(etas), len(seeds), *images.shape[1:])[:, 0])
