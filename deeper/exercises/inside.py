"""Notebook 11's exercises: the classifier-free guidance line, the scheduler's two scalings, and
decoding latents with the VAE's scaling factor."""

import torch

from ..sd.vae import decode
from .core import Case, Exercise, Wrong, compare_cases
from .sd_cases import randn, scheduler, tiny_parts

ROUNDING = (1e-5, "float32 rounding: u + g * (t - u) and (1 - g) * u + g * t round differently")


# -- classifier-free guidance ---------------------------------------------------------------------
def guide_solution(u, t, guidance_scale):
    return u + guidance_scale * (t - u)


def guide_cases():
    u, t = randn(1, 4, 8, 8, seed=1), randn(1, 4, 8, 8, seed=2)
    return [Case(f"guide(u, t, {g})  (u, t: noise predictions of shape (1, 4, 8, 8))", u, t, g) for g in (7.5, 1.0, 3.0)]


def _swapped(u, t, guidance_scale):
    return t + guidance_scale * (u - t)


def _text_only(u, t, guidance_scale):
    return guidance_scale * t


def _no_difference(u, t, guidance_scale):
    return u + guidance_scale * t


guide = Exercise(
    "guide", "guide(u, t, guidance_scale): the guided noise prediction from the unconditional u and the prompt's t",
    guide_solution,
    ["Start from the unconditional prediction u and move towards the prompt's t: the direction is t - u.",
     "Go guidance_scale times that far: `u + guidance_scale * (t - u)` (at guidance 1 it is t itself)."],
    compare_cases(guide_cases, tolerance=ROUNDING, mistakes=[
        (_swapped, "Your guided prediction starts from the prompt's and moves away from it: did you swap u and t?"),
        (_text_only, "You scaled the prompt's prediction alone: guidance moves from u along t - u"),
        (_no_difference, "You added g * t to u: the step is along the difference, g * (t - u)"),
    ]))


# -- the scheduler's two scalings -----------------------------------------------------------------
def first_input_solution(scheduler, noise):
    latents = noise * scheduler.init_noise_sigma
    model_input = scheduler.scale_model_input(latents, scheduler.timesteps[0])
    return latents, model_input


def first_input_cases():
    return [Case(f"first_input(scheduler, noise) with {n} LMS steps", n, randn(1, 4, 8, 8, seed=n)) for n in (30, 5)]


def run_first_input(fn, steps, noise):
    result = fn(scheduler("LMS", steps), noise)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise Wrong(f"first_input returned {type(result).__name__}, not the pair (latents, model_input)")
    return dict(zip(("latents", "model_input"), result))


def _no_init_sigma(scheduler, noise):
    return noise, scheduler.scale_model_input(noise, scheduler.timesteps[0])


def _no_scaling(scheduler, noise):
    latents = noise * scheduler.init_noise_sigma
    return latents, latents


first_input = Exercise(
    "first_input", "first_input(scheduler, noise): the starting latents (noise times init_noise_sigma) and the "
    "UNet's input at the first timestep (scale_model_input)", first_input_solution,
    ["The sampler starts at the largest noise level: unit noise times `scheduler.init_noise_sigma`.",
     "The UNet was trained on inputs of variance about 1: `scheduler.scale_model_input(latents, "
     "scheduler.timesteps[0])` divides by sqrt(sigma² + 1). Return both, `latents, model_input`."],
    compare_cases(first_input_cases, run=run_first_input, mistakes=[
        (_no_init_sigma, "Your starting latents are the unit noise itself: scale them by scheduler.init_noise_sigma"),
        (_no_scaling, "Your model input equals the latents: the UNet needs scheduler.scale_model_input(latents, t)"),
    ]))


# -- decoding with the VAE's scaling factor -------------------------------------------------------
def to_image_solution(vae, latents):
    with torch.no_grad():
        image = vae.decode(latents / vae.config.scaling_factor).sample
    return (image / 2 + 0.5).clamp(0, 1)


def to_image_cases():
    return [Case(f"to_image(vae, latents) with latents of shape (1, 4, 8, 8), seed {s}", randn(1, 4, 8, 8, seed=s))
            for s in (3, 4)]


def _times_factor(vae, latents):
    with torch.no_grad():
        return (vae.decode(latents * vae.config.scaling_factor).sample / 2 + 0.5).clamp(0, 1)


def _no_range(vae, latents):
    with torch.no_grad():
        return vae.decode(latents / vae.config.scaling_factor).sample


to_image = Exercise(
    "to_image", "to_image(vae, latents): decode latents to images in [0, 1] (undo the scaling factor first)",
    to_image_solution,
    ["The UNet works on latents multiplied by `vae.config.scaling_factor`: divide it back out before "
     "`vae.decode(...)`, whose `.sample` is the image.",
     "The decoder gives pixels from -1 to 1: `(image / 2 + 0.5).clamp(0, 1)`."],
    compare_cases(to_image_cases, run=lambda fn, latents: fn(tiny_parts().vae, latents),
                  expect=lambda latents: decode(tiny_parts(), latents), mistakes=[
                      (_times_factor, "You multiplied by the scaling factor: the latents were multiplied by it "
                                      "when encoded, so divide before decoding"),
                      (_no_range, "Your pixels run from -1 to 1: map them to [0, 1] with / 2 + 0.5 and clamp"),
                  ], errors=[("DecoderOutput", "vae.decode returns an object: its image is .sample")]))

EXERCISES = [guide, first_input, to_image]
