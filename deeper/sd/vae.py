"""Between pixels and latents: the VAE's encoder and decoder with SD's latent scaling factor."""

import torch

from ..images import check_finite, to_pil


def decode(parts, latents: torch.Tensor) -> torch.Tensor:
    """Latents (b, 4, h, w) -> images (b, 3, H, W) in [0, 1], exactly as the pipeline decodes them.

    Latents holding NaN or infinities are a ValueError naming the likely cause: decoded, they would
    make an all-black image that says nothing."""
    check_finite(latents, "the latents")
    with torch.no_grad():
        image = parts.vae.decode(latents / parts.vae.config.scaling_factor, return_dict=False)[0]
    return (image / 2 + 0.5).clamp(0, 1)


def encode(parts, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Images (b, 3, H, W) in [0, 1] -> latents (b, 4, H/f, W/f), scaled as the UNet expects them.

    The VAE's encoder gives a distribution: its mean, or a sample when a `generator` is given.
    """
    vae = parts.vae
    with torch.no_grad():
        distribution = vae.encode(images.to(vae.device, vae.dtype) * 2 - 1).latent_dist
    latents = distribution.mean if generator is None else distribution.sample(generator)
    return latents * vae.config.scaling_factor


def decode_in_batches(parts, latents: torch.Tensor, batch_size: int | None = None) -> torch.Tensor:
    """`decode` a long stack of latents a few at a time (a step slider decodes every step of a run).

    By default as many as make up one 64x64 latent (SD's 512x512 image): one at a time for SD, whose
    decoder needs gigabytes per image, and 64 at a time for tiny-sd's 8x8.
    """
    batch_size = batch_size or max(1, 64 * 64 // (latents.shape[-2] * latents.shape[-1]))
    return torch.cat([decode(parts, chunk) for chunk in latents.split(batch_size)])


def decode_steps(parts, steps, which: int = 0) -> tuple[list, list]:
    """(decoded latents, decoded predicted clean images) of image `which` at every step of a run."""
    latents = torch.stack([step.latents[which] for step in steps])
    originals = torch.stack([step.pred_original[which] for step in steps])
    images = to_pil(decode_in_batches(parts, torch.cat([latents, originals])))
    return images[: len(steps)], images[len(steps):]
