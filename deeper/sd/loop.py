"""The lesson's denoising loop with classifier-free guidance, as a generator: one `Step` per
iteration, so a progress bar, a Stop button, a callback or a step slider is just a `for` loop over it.

It does exactly what `StableDiffusionPipeline.__call__` does, in the same order, so for the same
seed the latents (and the image) are equal to the pipeline's, bit for bit on CPU.
"""

import inspect
from dataclasses import dataclass
from typing import Iterator

import torch
from diffusers.utils.torch_utils import randn_tensor

from .schedulers import make_scheduler
from .settings import Settings, checked_settings
from .text import encode_prompt


@dataclass(frozen=True)
class Step:
    """What one iteration of the loop produced."""

    index: int  # 0, 1, ... steps-1
    timestep: float  # t: the training timestep the UNet was told this step starts from
    sigma: float  # the noise level at t: x_t = x_0 + sigma * noise in the sigma (LMS/Euler) view
    latents: torch.Tensor  # the latents after this step (the next step's input)
    pred_original: torch.Tensor  # the clean latents x_0 the UNet's noise prediction implies at this step
    steps: int  # how many steps the run has in all


def seed_generator(seed: int) -> torch.Generator:
    """A CPU generator, so a seed gives the same starting noise on every device."""
    return torch.Generator("cpu").manual_seed(seed)


def initial_latents(parts, batch_size: int, height: int, width: int, generator, scheduler) -> torch.Tensor:
    """Gaussian noise in latent shape, scaled by the scheduler's initial sigma (call set_timesteps first)."""
    s = parts.vae_scale_factor
    shape = (batch_size, parts.unet.config.in_channels, height // s, width // s)
    latents = randn_tensor(shape, generator=generator, device=parts.device, dtype=parts.text_encoder.dtype)
    return latents * scheduler.init_noise_sigma


def guidance_embeddings(parts, prompt, negative_prompt, guidance_scale: float, prompt_embeds=None,
                        negative_scale: float | None = None) -> torch.Tensor:
    """[negative (or empty) prompt; prompt] embeddings when guiding, else the prompt's alone; with a
    `negative_scale`, [empty prompt; negative prompt; prompt] (`guidance_rows` rows per image)."""
    cond = encode_prompt(parts, prompt) if prompt_embeds is None else prompt_embeds
    rows = guidance_rows(parts.unet, guidance_scale, negative_scale)
    if rows == 1:
        return cond
    if isinstance(negative_prompt, str):
        negative_prompt = [negative_prompt] * cond.shape[0]
    negative = encode_prompt(parts, negative_prompt)
    return torch.cat([negative, cond] if rows == 2 else [encode_prompt(parts, [""] * cond.shape[0]), negative, cond])


def is_guided(unet, guidance_scale: float) -> bool:
    """The one meaning of guidance, diffusers' `do_classifier_free_guidance`: a scale above 1 runs the
    unconditional (or negative) batch beside the prompt's, unless the UNet takes the scale as an input
    (a guided student: `guidance_input`). A scale of 1 or less is the prompt's prediction alone."""
    return guidance_scale > 1 and unet.config.time_cond_proj_dim is None


def guidance_rows(unet, guidance_scale: float, negative_scale: float | None) -> int:
    """How many text embeddings each image's UNet batch holds: the prompt's (1), the negative's or the
    empty prompt's beside it when guided (2), and the empty prompt's as well when the negative prompt
    has a scale of its own (3)."""
    if not is_guided(unet, guidance_scale):
        return 1
    return 2 if negative_scale is None else 3


def guide(noise_pred: torch.Tensor, guidance_scale: float, negative_scale: float | None) -> torch.Tensor:
    """Classifier-free guidance on the UNet's batch of predictions (`guidance_rows` of them per image).

    As diffusers does it, the negative prompt's prediction takes the unconditional one's place, so
    the step moves from "not the negative" towards the prompt: prompt and negative both pushed by
    (scale - 1). With `negative_scale` k, the negative is a direction of its own (Liu et al. 2022,
    "Compositional Visual Generation", negation): uncond + scale * (prompt - uncond) - k * (negative - uncond).
    k = scale - 1 is diffusers' way again; a smaller k pushes away from the negative more gently.
    """
    if negative_scale is None:
        noise_pred_uncond, noise_pred_text = noise_pred.chunk(2)
        return noise_pred_uncond + guidance_scale * (noise_pred_text - noise_pred_uncond)
    noise_pred_uncond, noise_pred_negative, noise_pred_text = noise_pred.chunk(3)
    return (noise_pred_uncond + guidance_scale * (noise_pred_text - noise_pred_uncond)
            - negative_scale * (noise_pred_negative - noise_pred_uncond))


def guidance_embedding(guidance_scale: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of w = guidance_scale - 1, as diffusers' pipelines build `timestep_cond`
    (`get_guidance_scale_embedding`)."""
    w = (guidance_scale.float() - 1) * 1000.0
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float32, device=w.device)
                      * -(torch.log(torch.tensor(10000.0)) / (half - 1)))
    angles = w[:, None] * freqs[None, :]
    emb = torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)
    return torch.nn.functional.pad(emb, (0, dim % 2))


def guidance_input(unet, guidance_scale, like: torch.Tensor) -> torch.Tensor | None:
    """The `timestep_cond` of a UNet that takes the guidance scale (its `time_cond_proj_dim`), one row
    per example of `like`, as `StableDiffusionPipeline` gives it; None for any other UNet."""
    if unet.config.time_cond_proj_dim is None:
        return None
    g = torch.as_tensor(guidance_scale, device=like.device).float().expand(len(like))
    return guidance_embedding(g, unet.config.time_cond_proj_dim).to(like.dtype)


def step_kwargs(scheduler, generator) -> dict:
    """eta and generator for the schedulers whose `step` takes them, as the pipeline passes them."""
    accepted = inspect.signature(scheduler.step).parameters
    return {k: v for k, v in dict(eta=0.0, generator=generator).items() if k in accepted}


def step_sigmas(scheduler) -> list[float]:
    """The noise level at each timestep: the scheduler's own sigmas, else sqrt((1 - ᾱ_t) / ᾱ_t)."""
    if getattr(scheduler, "sigmas", None) is not None and len(scheduler.sigmas) >= len(scheduler.timesteps):
        return scheduler.sigmas[: len(scheduler.timesteps)].tolist()
    alpha_bar = scheduler.alphas_cumprod[scheduler.timesteps.long().cpu()]
    return ((1 - alpha_bar) / alpha_bar).sqrt().tolist()


def implied_original(scheduler, latents, noise_pred, t) -> torch.Tensor:
    """x̂_0 from x_t and the predicted noise, for schedulers whose step does not return it (DPM-Solver)."""
    alpha_bar = scheduler.alphas_cumprod.to(latents.device)[int(t)].to(latents.dtype)
    if scheduler.config.prediction_type == "v_prediction":
        return alpha_bar.sqrt() * latents - (1 - alpha_bar).sqrt() * noise_pred
    return (latents - (1 - alpha_bar).sqrt() * noise_pred) / alpha_bar.sqrt()


def denoising_loop(unet, scheduler, text_embeddings, latents, guidance_scale: float, generator=None, *,
                   start: int = 0, nudge=None, negative_scale: float | None = None) -> Iterator[Step]:
    """The loop itself. `text_embeddings` is [uncond; cond] when `is_guided` (twice the latents' batch),
    [uncond; negative; cond] with a `negative_scale` (see `guide`).

    `start` skips the schedule's first steps (image-to-image starts part-way: `deeper.sd.img2img`);
    `nudge(i, t, sigma, latents, noise_pred)`, if given, returns the latents the scheduler steps from
    (guidance by a loss: `deeper.sd.loss_guidance`). Step.index counts the steps run, from 0.
    """
    rows = guidance_rows(unet, guidance_scale, negative_scale)
    if len(text_embeddings) != len(latents) * rows:
        raise ValueError(f"text_embeddings must have {len(latents) * rows} rows for {len(latents)} latents at "
                         f"guidance_scale {guidance_scale:g} ([uncond; cond] when guided, [uncond; negative; cond] "
                         f"with a negative_scale); got {len(text_embeddings)}")
    timestep_cond = guidance_input(unet, guidance_scale, latents)
    extra = step_kwargs(scheduler, generator)
    timesteps, sigmas = scheduler.timesteps.tolist()[start:], step_sigmas(scheduler)[start:]  # read once: no GPU sync per step
    for i, t in enumerate(scheduler.timesteps[start:]):
        with torch.no_grad():
            # 1. the latents once per text embedding ([uncond, cond] when guided), scaled to the variance the UNet was trained on
            model_input = torch.cat([latents] * rows) if rows > 1 else latents
            model_input = scheduler.scale_model_input(model_input, t)
            # 2. the UNet predicts the noise in it
            noise_pred = unet(model_input, t, encoder_hidden_states=text_embeddings, timestep_cond=timestep_cond,
                              return_dict=False)[0]
            # 3. classifier-free guidance: move from the unconditional prediction towards the prompt's
            if rows > 1:
                noise_pred = guide(noise_pred, guidance_scale, negative_scale)
        if nudge is not None:  # 3b. a loss on the predicted clean image moves the latents (gradients need grad mode)
            latents = nudge(i, t, sigmas[i], latents, noise_pred)
        with torch.no_grad():
            # 4. the scheduler takes one step from x_t towards x_0
            output = scheduler.step(noise_pred, t, latents, **extra)
            pred_original = getattr(output, "pred_original_sample", None)
            if pred_original is None:
                pred_original = implied_original(scheduler, latents, noise_pred, t)
            latents = output.prev_sample
        yield Step(i, timesteps[i], sigmas[i], latents, pred_original, len(timesteps))


def denoise(parts, prompt="", *, prompt_embeds=None, **settings) -> Iterator[Step]:
    """Checked settings -> text embeddings -> starting noise -> `denoising_loop`, one Step at a time.

    `settings` are `Settings`' fields (negative_prompt, guidance_scale, steps, seed, scheduler, height,
    width). `prompt_embeds` (batch, 77, d) replaces the prompt's own embeddings (to mix prompts, say).
    Every argument is checked first: a bad one raises ValueError before any work starts.
    """
    return _denoise(parts, checked_settings(parts, prompt=prompt, **settings), prompt_embeds)


def _denoise(parts, s: Settings, prompt_embeds, nudge=None) -> Iterator[Step]:
    text_embeddings = guidance_embeddings(parts, s.prompt, s.negative_prompt, s.guidance_scale, prompt_embeds,
                                          s.negative_scale)
    sampler = make_scheduler(s.scheduler, parts.scheduler.config)
    sampler.set_timesteps(s.steps, device=parts.device)
    generator = seed_generator(s.seed)
    batch = text_embeddings.shape[0] // guidance_rows(parts.unet, s.guidance_scale, s.negative_scale)
    latents = initial_latents(parts, batch, s.height, s.width, generator, sampler)
    yield from denoising_loop(parts.unet, sampler, text_embeddings, latents, s.guidance_scale, generator, nudge=nudge,
                              negative_scale=s.negative_scale)
