"""Training the AutoencoderKL, and the two numbers it hands on: reconstruction PSNR and the
latent scaling factor (SD v1's 0.18215 plays the same role: unit-variance latents for the UNet).

The KL weight is as small as SD's (1e-6 against a summed reconstruction loss): the latents are
nearly deterministic, and the scaling factor, measured after training, makes their scale right.
"""

import torch
import torch.nn.functional as F

KL_WEIGHT = 1e-6


def vae_loss(vae, images: torch.Tensor, generator=None) -> torch.Tensor:
    """Per-pixel MSE in [-1, 1] plus the KL term (both normalised per pixel)."""
    x = images * 2 - 1
    posterior = vae.encode(x).latent_dist
    rebuilt = vae.decode(posterior.sample(generator)).sample
    return F.mse_loss(rebuilt, x) + KL_WEIGHT * posterior.kl().mean() / x[0].numel()


@torch.no_grad()
def reconstruct(vae, images: torch.Tensor) -> torch.Tensor:
    """Encode (posterior mode) and decode, back in [0, 1]."""
    return ((vae.decode(vae.encode(images * 2 - 1).latent_dist.mode()).sample + 1) / 2).clamp(0, 1)


@torch.no_grad()
def psnr(vae, images: torch.Tensor) -> float:
    """Mean PSNR in dB of the reconstructions, pixels in [0, 1]."""
    mse = ((reconstruct(vae, images) - images) ** 2).flatten(1).mean(1).clamp_min(1e-10)
    return (10 * torch.log10(1 / mse)).mean().item()


@torch.no_grad()
def scaling_factor(vae, images: torch.Tensor, generator: torch.Generator | None = None) -> float:
    """1 / std of latent samples, as SD's factor was measured."""
    return 1 / vae.encode(images * 2 - 1).latent_dist.sample(generator).std().item()
