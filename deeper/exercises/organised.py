"""Notebook 12's exercises, the lesson's homework: a negative prompt in the guidance batch, a
callback that records the predicted clean latents, and image-to-image's start part-way."""

import functools

import torch

from ..sd.img2img import start_part_way
from ..sd.loop import denoise, guidance_embeddings
from ..sd.settings import GUIDANCE_SCALE
from ..sd.text import encode_prompt
from .core import Case, Exercise, Wrong, attempt, compare_cases, difference
from .pipeline import img2img_steps_solution
from .sd_cases import randn, scheduler, tiny_parts

PROMPTS = ["a red 7 on a white background", "a green 2 on a black background"]


def tiny_text_enc(prompts):
    """What the check hands the student's function as `text_enc`: the tiny SD's, like the notebook's."""
    return encode_prompt(tiny_parts(), prompts)


# -- a negative prompt ----------------------------------------------------------------------------
def with_negative_solution(text_enc, prompts, negative_prompt):
    text = text_enc(prompts)
    uncond = text_enc([negative_prompt] * len(prompts))
    return torch.cat([uncond, text])


def _ignores_negative(text_enc, prompts, negative_prompt):
    return guidance_embeddings(tiny_parts(), prompts, "", GUIDANCE_SCALE)


def _text_first(text_enc, prompts, negative_prompt):
    return torch.cat([text_enc(prompts), text_enc([negative_prompt] * len(prompts))])


with_negative = Exercise(
    "with_negative", "with_negative(text_enc, prompts, negative_prompt): the guidance batch [negative; prompts] of "
    "text embeddings, the negative prompt where the empty prompt was", with_negative_solution,
    ["Guidance needs two halves: first the embeddings the image is pushed away from (the empty prompt until now, "
     "the negative prompt here), then the prompts'.",
     "One negative prompt per image: `torch.cat([text_enc([negative_prompt] * len(prompts)), text_enc(prompts)])`."],
    compare_cases(lambda: [Case(f'with_negative({PROMPTS[:1]!r}, "blue ink")', PROMPTS[:1], "blue ink"),
                           Case(f'with_negative({PROMPTS!r}, "white background")', PROMPTS, "white background")],
                  run=lambda fn, prompts, negative: fn(tiny_text_enc, prompts, negative),
                  expect=lambda prompts, negative: guidance_embeddings(tiny_parts(), prompts, negative, GUIDANCE_SCALE),
                  mistakes=[(_ignores_negative, "These are the empty prompt's embeddings: put the negative prompt's "
                                                "where the empty prompt's were"),
                            (_text_first, "The halves are swapped: mk_samples splits the UNet's answer as "
                                          "u, t = ....chunk(2), so the negative prompt comes first")],
                  errors=[("shape (4, 77", "one negative prompt for each prompt: [negative_prompt] * len(prompts)"),
                          ("shape (3, 77", "one negative prompt for each prompt: [negative_prompt] * len(prompts)")]))


# -- a callback that records the predicted clean latents ------------------------------------------
clean = {}  # the solution's record, as in the notebook


def keep_clean_solution(i, t, latents, pred_original):
    clean[i] = pred_original


@functools.cache
def loop_steps():
    """A short run of the course's loop (3 steps), made once: what the callback is called with."""
    return list(denoise(tiny_parts(), PROMPTS[0], steps=3, seed=1))


def keep_clean_judge(fn, solution, record):
    """Call fn(i, t, latents, pred_original) after each step of a run; `record` must then map i to pred_original."""
    if not isinstance(record, dict):
        raise Wrong(f"pass the dict your callback fills: ex.keep_clean.check(keep_clean, clean), not {type(record).__name__}")
    record.clear()
    steps = loop_steps()
    for step in steps:
        attempt(fn, step.index, step.timestep, step.latents, step.pred_original, label=f"your callback at step {step.index}")
    expected = {s.index: s.pred_original for s in steps}
    if not record:
        raise Wrong("after 3 steps your dict is still empty: store into it, clean[i] = pred_original (assigning "
                    "`clean = ...` inside the function makes a new local variable)")
    if sorted(record, key=repr) == sorted((s.timestep for s in steps), key=repr):
        raise Wrong("your dict's keys are the timesteps t: key it by the step number i, clean[i] = pred_original")
    if len(record) == len(steps) and all(not difference(s.latents, record.get(s.index)) for s in steps):
        raise Wrong("you recorded the latents after each step: the predicted clean image is pred_original")
    message = difference(expected, record)
    if message:
        raise Wrong(f"after 3 steps: {message}")


keep_clean = Exercise(
    "keep_clean", "keep_clean(i, t, latents, pred_original): a callback that records each step's predicted clean "
    "latents in the dict `clean`, by step number", keep_clean_solution,
    ["mk_samples calls the callback after every step with the step number i, the timestep t, the latents and "
     "pred_original, the clean latents the model predicts from them.",
     "Store, don't assign: `clean[i] = pred_original`."],
    keep_clean_judge, in_notebook=True)


# -- image-to-image: start part-way ---------------------------------------------------------------
start_part_way_solution = start_part_way  # the reference is the backend's (deeper/sd/img2img.py)


def run_start(fn, steps, latents, noise, strength):
    result = fn(scheduler("Euler", steps), latents, noise, strength)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise Wrong(f"start_part_way returned {type(result).__name__}, not the pair (latents, timesteps)")
    return dict(zip(("latents", "timesteps"), result))


def _from_the_top(scheduler, latents, noise, strength):
    steps = len(scheduler.timesteps)
    timesteps = scheduler.timesteps[steps - img2img_steps_solution(steps, strength):]
    return scheduler.add_noise(latents, noise, scheduler.timesteps[:1]), timesteps


def _strength_skips(scheduler, latents, noise, strength):
    timesteps = scheduler.timesteps[int(len(scheduler.timesteps) * strength):]
    return scheduler.add_noise(latents, noise, timesteps[:1]), timesteps


start_part_way = Exercise(
    "start_part_way", "start_part_way(scheduler, latents, noise, strength): image-to-image's starting latents "
    "(add_noise at the first timestep run) and the timesteps left to run", start_part_way_solution,
    ["Of the scheduler's timesteps, run only the last int(steps * strength): skip the first "
     "t_start = steps - int(steps * strength).",
     "Noise the picture's latents to the first timestep you run: "
     "`scheduler.add_noise(latents, noise, timesteps[:1])`; return it and `timesteps`."],
    compare_cases(lambda: [Case(f"start_part_way(scheduler, latents, noise, {s}) with {n} Euler steps",
                                n, randn(1, 4, 8, 8, seed=5), randn(1, 4, 8, 8, seed=6), s)
                           for n, s in ((30, 0.6), (10, 0.2))],
                  run=run_start, mistakes=[
                      (_from_the_top, "You noised the latents to the top of the schedule, pure noise: add the noise "
                                      "of the first timestep you run, timesteps[:1]"),
                      (_strength_skips, "strength is the share of steps run, not skipped: at 0.6 run the last 60%")]))

EXERCISES = [with_negative, keep_clean, start_part_way]
