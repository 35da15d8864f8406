"""Guidance by a loss (the "Stable Diffusion Deep Dive"'s blue loss): every few steps, the gradient
of a loss on the predicted clean image nudges the latents, then the loop goes on as before.

Only the VAE's decoder is differentiated: the UNet's noise prediction is taken as it is, so a
nudge costs one decode and its backward pass, not a second UNet evaluation.
"""

import math
from numbers import Integral, Real
from typing import Callable, Iterator

import torch

from .loop import Step, _denoise
from .settings import checked_settings

SIGMA_SCHEDULERS = ("LMS", "Euler")  # those whose latents are x_0 + sigma * noise, so x̂_0 = x_t - sigma * ε̂


def colour_loss(images: torch.Tensor, colour) -> torch.Tensor:
    """One loss per image (b, 3, H, W) in [0, 1]: the mean distance |pixel - colour| over pixels and channels."""
    target = torch.as_tensor(colour, dtype=images.dtype, device=images.device)[None, :, None, None]
    return (images - target).abs().mean(dim=(1, 2, 3))


def colour_share(images: torch.Tensor, colour, palette) -> torch.Tensor:
    """The share of each image's pixels whose nearest colour of `palette` (k, 3) is `colour`: a read-out of "how much X"."""
    palette = torch.as_tensor(palette, dtype=torch.float32)
    pixels = images.float().permute(0, 2, 3, 1).reshape(images.shape[0], -1, 3)  # (b, HW, 3)
    nearest = torch.cdist(pixels, palette[None].expand(images.shape[0], -1, -1)).argmin(-1)  # (b, HW)
    wanted = torch.cdist(torch.as_tensor(colour, dtype=torch.float32)[None], palette).argmin()
    return (nearest == wanted).float().mean(dim=1)


def decode_with_grad(parts, latents: torch.Tensor) -> torch.Tensor:
    """`deeper.sd.decode` that keeps the graph, so a loss on the image has a gradient in the latents."""
    image = parts.vae.decode(latents / parts.vae.config.scaling_factor, return_dict=False)[0]
    return (image / 2 + 0.5).clamp(0, 1)


def loss_nudge(parts, loss: Callable[[torch.Tensor], torch.Tensor], loss_scale: float, every: int):
    """The `nudge` for `denoising_loop`: at every `every`-th step, latents -= loss_scale * sigma² * ∂loss/∂latents."""
    def nudge(i, t, sigma, latents, noise_pred):
        if i % every:
            return latents
        with torch.enable_grad():
            # 1. the clean latents the prediction implies, as a function of the latents
            latents = latents.detach().requires_grad_()
            pred_original = latents - sigma * noise_pred
            # 2. the loss on the image they decode to (one per image, summed: each image gets its own gradient)
            value = loss(decode_with_grad(parts, pred_original)).sum() * loss_scale
            # 3. one step down its gradient, larger where the noise is (sigma², as in the Deep Dive)
            grad, = torch.autograd.grad(value, latents)
        return (latents - sigma**2 * grad).detach()
    return nudge


def check_loss_guidance(loss, loss_scale, every, scheduler: str) -> None:
    if not callable(loss):
        raise ValueError(f"loss must be a function of images (b, 3, H, W) in [0, 1] giving one loss per image; got {loss!r}")
    if isinstance(loss_scale, bool) or not isinstance(loss_scale, Real) or not math.isfinite(loss_scale) or loss_scale < 0:
        raise ValueError(f"loss_scale must be a number 0 or above (0 turns the loss off); got {loss_scale!r}")
    if isinstance(every, bool) or not isinstance(every, Integral) or every < 1:
        raise ValueError(f"every must be a whole number of steps, at least 1; got {every!r}")
    if scheduler not in SIGMA_SCHEDULERS:
        raise ValueError(f"scheduler must be one that works in sigmas ({', '.join(SIGMA_SCHEDULERS)}) for guidance by a "
                         f"loss; got {scheduler!r}")


def loss_guided(parts, prompt="", *, loss, loss_scale: float, every: int = 5, **settings) -> Iterator[Step]:
    """`denoise`, with the latents nudged down `loss`'s gradient every `every` steps (from the first)."""
    s = checked_settings(parts, prompt=prompt, **settings)
    check_loss_guidance(loss, loss_scale, every, s.scheduler)
    return _denoise(parts, s, None, loss_nudge(parts, loss, loss_scale, every))


def with_and_without(parts, prompt, seeds, *, loss, loss_scale: float, every: int = 5, **settings) -> dict:
    """The same prompt and seeds drawn plainly and loss-guided, each image timed, the two interleaved:
    {"plain", "guided": images (n, 3, H, W), "plain_s", "guided_s": seconds per image, the fastest of
    the seeds' runs each way (on a busy machine the fastest is the one least slowed by others)}."""
    from time import perf_counter

    from .loop import denoise
    from .vae import decode

    images, seconds = {"plain": [], "guided": []}, {"plain": [], "guided": []}
    for seed in seeds:
        for kind in ("plain", "guided"):
            start = perf_counter()
            steps = (denoise(parts, prompt, seed=seed, **settings) if kind == "plain" else
                     loss_guided(parts, prompt, loss=loss, loss_scale=loss_scale, every=every, seed=seed, **settings))
            *_, last = steps
            images[kind].append(decode(parts, last.latents))
            seconds[kind].append(perf_counter() - start)
    return {"plain": torch.cat(images["plain"]), "guided": torch.cat(images["guided"]),
            "plain_s": min(seconds["plain"]), "guided_s": min(seconds["guided"])}
