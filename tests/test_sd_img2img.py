"""Image-to-image with the course's loop: equal to StableDiffusionImg2ImgPipeline for the same seed
and strength, bit for bit, and every bad input a ValueError naming its argument."""

import numpy as np
import pytest
import torch
from diffusers import StableDiffusionImg2ImgPipeline
from PIL import Image

from deeper.exercises.organised import start_part_way_solution
from deeper.sd import make_scheduler, seed_generator
from deeper.sd.img2img import edit, image_to_image, start_part_way
from sd_fixtures import tiny_parts


def picture(size=32, mode="RGB"):
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).convert(mode)


def pipeline(parts, scheduler):
    pipe = parts.pipeline(StableDiffusionImg2ImgPipeline)
    pipe.scheduler = make_scheduler(scheduler, parts.scheduler.config)
    return pipe


@pytest.mark.parametrize("scheduler, strength", [("LMS", 0.6), ("Euler", 0.5), ("DDIM", 0.8), ("DPM-Solver", 0.4),
                                                 ("LMS", 1.0)])
def test_equals_the_image_to_image_pipeline_bit_for_bit(scheduler, strength):
    parts = tiny_parts()
    *_, ours = image_to_image(parts, picture(), "a red 7 on white", strength=strength, negative_prompt="blue",
                              steps=10, seed=3, scheduler=scheduler)
    theirs = pipeline(parts, scheduler)("a red 7 on white", image=picture(), strength=strength, negative_prompt="blue",
                                        num_inference_steps=10, generator=seed_generator(3), output_type="latent").images
    assert ours.steps == int(10 * strength)
    assert torch.equal(ours.latents, theirs)


def test_pictures_equal_the_pipeline_for_a_batch_of_prompts():
    parts = tiny_parts()
    prompts = ["a red 7", "a green 2"]
    ours = edit(parts, picture(), prompts, strength=0.7, steps=6, seed=1, scheduler="Euler")
    theirs = pipeline(parts, "Euler")(prompts, image=picture(), strength=0.7, num_inference_steps=6,
                                      generator=seed_generator(1)).images
    assert [np.asarray(a).tolist() for a in ours] == [np.asarray(b).tolist() for b in theirs]


def test_the_exercise_reference_is_the_backend():
    assert start_part_way_solution is start_part_way


@pytest.mark.parametrize("kwargs, match", [
    (dict(strength=0), "strength must be a number above 0"), (dict(strength=1.5), "strength must be"),
    (dict(strength=True), "strength must be"), (dict(strength=0.05, steps=10), "strength 0.05 of 10 steps runs none"),
    (dict(image=picture(64)), "image must be an RGB image of 32x32 pixels.*got a RGB image of 64x64"),
    (dict(image=picture(mode="L")), "image must be an RGB image.*got a L image"),
    (dict(image=np.zeros((32, 32, 3))), "image must be a PIL image"),
    (dict(steps=0), "steps must be"),
])
def test_bad_input_names_the_argument(kwargs, match):
    kwargs = {"image": picture(), "strength": 0.5, **kwargs}
    with pytest.raises(ValueError, match=match):
        image_to_image(tiny_parts(), prompt="a 7", **kwargs)


def test_a_negative_with_its_own_scale_starts_part_way_too():
    parts = tiny_parts()
    latents = lambda **kw: image_to_image(parts, picture(), "a red 7", strength=0.6, negative_prompt="blue", steps=10,
                                          seed=3, **kw)
    *_, diffusers_way = latents()
    *_, own_scale = latents(negative_scale=6.5)
    assert own_scale.steps == 6 and torch.allclose(own_scale.latents, diffusers_way.latents, atol=1e-4)
