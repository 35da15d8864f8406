"""The UNet's training step: SD v1's epsilon-prediction loss on VAE latents, conditioned on the
frozen CLIP text tower, with captions dropped 10% of the time so classifier-free guidance has an
unconditional prediction to push away from.

The text tower and the VAE encoder are frozen and deterministic, so their outputs for the whole
captioned dataset are computed once (`encode_dataset`) and each step only samples from them:
the same training, with the UNet alone in the loop.

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
def encode_latents(vae, images_of, n: int, device, batch: int = 2048):
    """(latent mean, latent std) of rows 0..n-1: `images_of(rows)` renders their images."""
    means, stds = [], []
    for rows in torch.arange(n, device=device).split(batch):
        dist = vae.encode(images_of(rows) * 2 - 1).latent_dist
        means.append(dist.mean)
        stds.append(dist.std)
    return torch.cat(means), torch.cat(stds)


@torch.no_grad()
def encode_dataset(text_encoder, vae, images_of, tokens: torch.Tensor, batch: int = 2048):
    """(latent mean, latent std, text states) of every row: `images_of(rows)` renders images,
    `tokens` holds each row's caption. States are kept in float16 (77x64 numbers per caption)."""
    means, stds = encode_latents(vae, images_of, len(tokens), tokens.device, batch)
    states = torch.cat([text_encoder(t)[0].half() for t in tokens.split(batch)])
    return means, stds, states


def conditioned_batch(rows, means, stds, states, empty_states, scale, generator):
    """(scaled latent samples, text states) for `rows`, captions dropped to the empty prompt at random."""
    drop = torch.rand(len(rows), device=rows.device, generator=generator) < CAPTION_DROPOUT
    cond = torch.where(drop[:, None, None], empty_states[None], states[rows].float())
    noise = torch.randn(means[rows].shape, device=rows.device, generator=generator)
    return (means[rows] + stds[rows] * noise) * scale, cond


def unet_loss(unet, latents, states, acp: torch.Tensor, generator=None, min_snr=MIN_SNR_GAMMA,
              teacher=None) -> torch.Tensor:
    """Noise the latents at random timesteps and score the UNet's noise prediction, Min-SNR
    weighted (`min_snr` 0: SD v1's plain loss, which weighs the nearly-clean timesteps fully).
    With a `teacher` (same call signature as the UNet) the target is its prediction instead of
    the noise drawn: a clean target, so the UNet learns the teacher's function in fewer steps."""
    noise = torch.randn(latents.shape, device=latents.device, generator=generator)
    t = torch.randint(0, len(acp), (len(latents),), device=latents.device, generator=generator)
    a = acp[t][:, None, None, None]
    noisy = a.sqrt() * latents + (1 - a).sqrt() * noise
    pred = unet(noisy, t, encoder_hidden_states=states).sample
    target = noise
    if teacher is not None:
        with torch.no_grad():
            target = teacher(noisy, t, encoder_hidden_states=states).sample.float()
    snr = acp[t] / (1 - acp[t])
    weight = snr.clamp(max=min_snr) / snr if min_snr else torch.ones_like(snr)
    return (weight * F.mse_loss(pred.float(), target, reduction="none").flatten(1).mean(1)).mean()


def _interp(x: torch.Tensor, xp: torch.Tensor, fp: torch.Tensor) -> torch.Tensor:
    """np.interp for increasing `xp`, clamped at both ends."""
    x = x.clamp(xp[0], xp[-1])
    i = torch.searchsorted(xp, x).clamp(1, len(xp) - 1)
    w = (x - xp[i - 1]) / (xp[i] - xp[i - 1])
    return fp[i - 1] + w * (fp[i] - fp[i - 1])


def at_latent_scale(unet, acp: torch.Tensor, k: float):
    """`unet` (a noise predictor for unit-variance latents) as a predictor for latents k times
    larger, exactly: latents k times larger at noise k*sigma are the same images at noise sigma,
    so the answer at (x, sigma) is `unet`'s at (x / k, sigma / k). Takes and gives what the
    pipeline's UNet call does (inputs divided by sqrt(sigma^2 + 1), integer or float timesteps).
    With it, LMS walks SD's sigma grid divided by k: bench/bench_tiny_sd.py --only latent-scale
    measures that without training, and train.py --distil-from trains a plain UNet to match it."""
    sigmas = ((1 - acp.double()) / acp.double()).sqrt()
    steps = torch.arange(len(sigmas), dtype=torch.float64, device=sigmas.device)

    def predict(sample, timestep, *args, **kwargs):
        t = torch.as_tensor(timestep, dtype=torch.float64, device=sigmas.device).reshape(-1)
        sigma = _interp(t, steps, sigmas)
        unit_t = _interp((sigma / k).log(), sigmas.log(), steps)
        rescale = (sigma ** 2 + 1).sqrt() / (k * ((sigma / k) ** 2 + 1).sqrt())
        rescale = rescale.to(sample.device, sample.dtype).reshape(-1, *[1] * (sample.dim() - 1))
        return unet(sample * rescale, unit_t.to(sample.device, torch.float32), *args, **kwargs)
    return predict
