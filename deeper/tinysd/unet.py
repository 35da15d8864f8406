"""The UNet's training step: SD v1's epsilon-prediction loss on VAE latents, conditioned on the
frozen CLIP text tower, with captions dropped 10% of the time so classifier-free guidance has an
unconditional prediction to push away from.

One addition to SD v1's recipe: Min-SNR-5 loss weights (Hang et al. 2023), which make a small
budget of steps go further by not letting the nearly-clean timesteps dominate the gradient.
"""

import torch
import torch.nn.functional as F

from .models import new_scheduler

CAPTION_DROPOUT = 0.1
MIN_SNR_GAMMA = 5.0


def alphas_cumprod(device=None) -> torch.Tensor:
    """ᾱ_t of SD's schedule (scaled_linear 0.00085-0.012, 1000 steps), from the scheduler itself."""
    return new_scheduler().alphas_cumprod.to(device)


@torch.no_grad()
def condition(text_encoder, vae, images, tokens, empty_tokens, scale, generator):
    """(latents, text states) for a batch, with captions dropped to the empty prompt at random."""
    drop = torch.rand(len(tokens), device=tokens.device, generator=generator) < CAPTION_DROPOUT
    tokens = torch.where(drop[:, None], empty_tokens[None], tokens)
    states = text_encoder(tokens)[0]
    latents = vae.encode(images * 2 - 1).latent_dist.sample(generator) * scale
    return latents, states


def unet_loss(unet, latents, states, acp: torch.Tensor, generator=None) -> torch.Tensor:
    """Noise the latents at random timesteps and score the UNet's noise prediction."""
    noise = torch.randn(latents.shape, device=latents.device, generator=generator)
    t = torch.randint(0, len(acp), (len(latents),), device=latents.device, generator=generator)
    a = acp[t][:, None, None, None]
    noisy = a.sqrt() * latents + (1 - a).sqrt() * noise
    pred = unet(noisy, t, encoder_hidden_states=states).sample
    snr = acp[t] / (1 - acp[t])
    weight = snr.clamp(max=MIN_SNR_GAMMA) / snr
    return (weight * F.mse_loss(pred, noise, reduction="none").flatten(1).mean(1)).mean()
