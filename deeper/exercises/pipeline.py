"""Notebook 10's exercise: how many denoising steps image-to-image runs at a given strength."""

from .core import Case, Exercise, compare_cases


def img2img_steps_solution(num_inference_steps, strength):
    return min(int(num_inference_steps * strength), num_inference_steps)


def _kept_start(num_inference_steps, strength):
    return int(num_inference_steps * (1 - strength))


def _rounded(num_inference_steps, strength):
    return min(round(num_inference_steps * strength), num_inference_steps)


img2img_steps = Exercise(
    "img2img_steps", "img2img_steps(num_inference_steps, strength): how many steps StableDiffusionImg2ImgPipeline runs",
    img2img_steps_solution,
    ["strength is the share of the schedule that is run: noise is added to the picture as it stands at that "
     "point, and only the steps after it are taken.",
     "The pipeline cuts towards zero: `int(num_inference_steps * strength)`, and never more than "
     "num_inference_steps."],
    compare_cases(lambda: [Case("img2img_steps(30, 0.8)", 30, 0.8), Case("img2img_steps(10, 0.25)", 10, 0.25),
                           Case("img2img_steps(30, 0.25)", 30, 0.25), Case("img2img_steps(16, 1.0)", 16, 1.0)],
                  mistakes=[(_kept_start, "That is where the run starts, the steps skipped: strength 0.8 runs 80% "
                                          "of the steps, not 20%"),
                            (_rounded, "The pipeline cuts towards zero with int(), it does not round: 30 x 0.25 "
                                       "= 7.5 runs 7 steps")]))

EXERCISES = [img2img_steps]
