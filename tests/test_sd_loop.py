"""The hand-written denoising loop: equal to StableDiffusionPipeline for the same seed, one Step at a time."""

import dataclasses

import numpy as np
import pytest
import torch

from diffusers import LMSDiscreteScheduler

from deeper.images import to_pil
from deeper.papers.denoisers import ddim_scheduler, student_unet
from deeper.sd import SCHEDULERS, decode, denoise, encode_prompt, make_scheduler, run, seed_generator
from random_parts import SCHEDULER
from sd_fixtures import tiny_parts


def pipeline_latents(parts, prompt, scheduler="LMS", seed=1, steps=6, **kwargs):
    pipe = parts.pipeline()
    pipe.scheduler = make_scheduler(scheduler, parts.scheduler.config)
    return pipe(prompt, num_inference_steps=steps, generator=seed_generator(seed), output_type="latent", **kwargs).images


def last(steps):
    *_, step = steps
    return step


@pytest.mark.parametrize("scheduler", list(SCHEDULERS))
def test_equals_pipeline_bit_for_bit(scheduler):
    parts = tiny_parts()
    ours = last(denoise(parts, "a red 7 on white", negative_prompt="blue", guidance_scale=7.5, steps=6, seed=1,
                        scheduler=scheduler)).latents
    theirs = pipeline_latents(parts, "a red 7 on white", scheduler, negative_prompt="blue", guidance_scale=7.5)
    assert (ours - theirs).abs().max().item() == 0.0


def test_equals_the_pipeline_with_diffusers_own_lms():
    """Our LMS only computes its coefficients faster: the stock LMSDiscreteScheduler gives the same latents."""
    parts = tiny_parts()
    pipe = parts.pipeline()
    pipe.scheduler = LMSDiscreteScheduler.from_config(parts.scheduler.config)
    theirs = pipe("a red 7", num_inference_steps=8, generator=seed_generator(4), output_type="latent").images
    assert torch.equal(last(denoise(parts, "a red 7", steps=8, seed=4)).latents, theirs)


@pytest.mark.parametrize("steps", [4, 30, 1000])
def test_lms_coefficients_are_diffusers_own(steps):
    ours, theirs = make_scheduler("LMS", tiny_parts().scheduler.config), LMSDiscreteScheduler(**SCHEDULER)
    ours.set_timesteps(steps), theirs.set_timesteps(steps)
    for t in range(0, steps, max(1, steps // 40)):
        for order in range(1, min(t + 1, 4) + 1):
            for current in range(order):
                assert ours.get_lms_coefficient(order, t, current) == theirs.get_lms_coefficient(order, t, current)


def test_image_equals_pipeline_image():
    parts = tiny_parts()
    ours = run(parts, "a blue 3", steps=5, seed=3).image
    pipe = parts.pipeline()
    pipe.scheduler = make_scheduler("LMS", parts.scheduler.config)
    theirs = pipe("a blue 3", num_inference_steps=5, generator=seed_generator(3)).images[0]
    assert np.array_equal(np.asarray(ours), np.asarray(theirs))


def test_without_guidance_equals_pipeline():
    parts = tiny_parts()
    ours = last(denoise(parts, "a 1", guidance_scale=1.0, steps=4, seed=2)).latents
    assert torch.equal(ours, pipeline_latents(parts, "a 1", seed=2, steps=4, guidance_scale=1.0))


def test_a_guided_student_gets_its_guidance_as_in_the_pipeline():
    """A student that takes the scale as an input (notebook 21's) gets it as `timestep_cond`, with no
    unconditional batch: each scale draws its own latents, bit for bit the pipeline's."""
    parts = tiny_parts()
    unet = student_unet(parts.unet, takes_guidance=True).eval()
    torch.nn.init.normal_(unet.time_embedding.cond_proj.weight, std=0.1, generator=torch.Generator().manual_seed(3))
    student = dataclasses.replace(parts, unet=unet, scheduler=ddim_scheduler(parts.scheduler.config))
    drawn = {g: last(denoise(student, "a green 3", guidance_scale=g, steps=4, seed=2, scheduler="DDIM")).latents
             for g in (1.0, 4.0)}
    assert not torch.equal(drawn[1.0], drawn[4.0])
    for g, ours in drawn.items():
        assert torch.equal(ours, pipeline_latents(student, "a green 3", "DDIM", seed=2, steps=4, guidance_scale=g))


def test_a_batch_of_prompts_equals_pipeline():
    parts = tiny_parts()
    prompts = ["a red 7", "a green 2"]
    ours = last(denoise(parts, prompts, negative_prompt=["blue", ""], steps=4, seed=5)).latents
    assert ours.shape[0] == 2
    assert torch.equal(ours, pipeline_latents(parts, prompts, seed=5, steps=4, negative_prompt=["blue", ""]))


def test_prompt_embeds_replace_the_prompt():
    parts = tiny_parts()
    embeds = encode_prompt(parts, "a red 7")
    a = last(denoise(parts, "a red 7", steps=3, seed=1)).latents
    b = last(denoise(parts, "", prompt_embeds=embeds, steps=3, seed=1)).latents
    assert torch.equal(a, b)


def test_yields_one_step_per_iteration_with_t_and_sigma():
    parts = tiny_parts()
    steps = list(denoise(parts, "a 4", steps=5, seed=0))
    assert [s.index for s in steps] == list(range(5)) and all(s.steps == 5 for s in steps)
    assert steps[0].timestep == pytest.approx(999) and steps[0].sigma == pytest.approx(14.6, abs=0.1)
    assert all(a.sigma > b.sigma for a, b in zip(steps, steps[1:]))
    assert all(s.latents.shape == s.pred_original.shape == (1, 4, 8, 8) for s in steps)


@pytest.mark.parametrize("scheduler", ["DDIM", "DPM-Solver"])
def test_alpha_schedulers_give_sigma_and_predicted_original(scheduler):
    steps = list(denoise(tiny_parts(), "a 4", steps=4, seed=0, scheduler=scheduler))
    assert all(a.sigma > b.sigma > 0 for a, b in zip(steps, steps[1:]))
    assert all(torch.isfinite(s.pred_original).all() for s in steps)


def test_stopping_early_leaves_grad_mode_alone():
    parts = tiny_parts()
    loop = denoise(parts, "a 5", steps=10, seed=0)
    first = next(loop)
    assert torch.is_grad_enabled(), "the loop must not leave no_grad on between steps"
    loop.close()
    assert first.index == 0


def test_run_stops_when_asked_and_decodes_where_it_got_to():
    parts = tiny_parts()
    seen = []
    result = run(parts, "a 6", steps=8, seed=0, on_step=seen.append, should_stop=lambda: len(seen) == 3)
    assert result.stopped and len(result.steps) == 3 and len(seen) == 3
    assert np.array_equal(np.asarray(result.image), np.asarray(to_pil(decode(parts, seen[-1].latents))[0]))


def test_a_stopped_run_is_made_again_by_stop_after():
    parts = tiny_parts()
    stopped = run(parts, "a 6", steps=8, seed=0, should_stop=lambda: True)
    assert stopped.made_with == {**stopped.settings.as_kwargs(), "stop_after": 1} and "stop_after=1" in stopped.code()
    again = run(parts, **stopped.made_with)
    assert again.stopped and np.array_equal(np.asarray(again.image), np.asarray(stopped.image))
    whole = run(parts, "a 6", steps=2, seed=0, stop_after=2)
    assert not whole.stopped and whole.made_with == whole.settings.as_kwargs()
    with pytest.raises(ValueError, match="stop_after must be a whole number"):
        run(parts, "a 6", steps=2, stop_after=0)


def test_invalid_settings_raise_before_any_work():
    with pytest.raises(ValueError, match="steps"):
        denoise(tiny_parts(), "a 7", steps=0)


def test_lms_starting_part_way_takes_a_first_order_step():
    """Image-to-image starts part way down the schedule: the first step must be Euler's, not 4th order."""
    lms = make_scheduler("LMS", tiny_parts().scheduler.config)
    lms.set_timesteps(30)
    lms.set_begin_index(20)
    sample, noise = torch.randn(1, 4, 8, 8), torch.randn(1, 4, 8, 8)
    sigma, next_sigma = lms.sigmas[20], lms.sigmas[21]
    euler = sample + (next_sigma - sigma) * noise  # derivative = (x - x0) / sigma = the predicted noise
    assert torch.allclose(lms.step(noise, lms.timesteps[20], sample).prev_sample, euler, atol=1e-6)


def test_ddim_does_not_clip_latents():
    assert make_scheduler("DDIM", tiny_parts().scheduler.config).config.clip_sample is False


def test_a_negative_with_its_own_scale_is_diffusers_negative_at_scale_minus_one():
    """uncond + s (prompt - uncond) - k (negative - uncond) is diffusers' negative + s (prompt - negative)
    when k = s - 1 (up to rounding: the sums are taken in another order), and no negative at all at k = 0."""
    parts = tiny_parts()
    latents = lambda **kw: last(denoise(parts, "a red 7", guidance_scale=7.5, steps=6, seed=1, **kw)).latents
    diffusers_way = latents(negative_prompt="blue")
    assert torch.allclose(latents(negative_prompt="blue", negative_scale=6.5), diffusers_way, atol=1e-4)
    plain = latents()
    assert torch.allclose(latents(negative_prompt="blue", negative_scale=0), plain, atol=1e-4)
    assert not torch.allclose(diffusers_way, plain, atol=1e-2), "the negative prompt must change the picture"
    between = latents(negative_prompt="blue", negative_scale=3.25)  # affine in k: halfway is the mean
    assert torch.allclose(between, (diffusers_way + plain) / 2, atol=0.05 * (diffusers_way - plain).abs().max())


def test_a_negative_scale_is_in_the_code_of_its_run_and_left_out_otherwise():
    parts = tiny_parts()
    gentle = run(parts, "a 3", negative_prompt="red ink", negative_scale=2, steps=3, seed=0)
    assert "negative_scale=2.0" in gentle.code()
    assert np.array_equal(np.asarray(run(parts, **gentle.made_with).image), np.asarray(gentle.image))
    assert "negative_scale" not in run(parts, "a 3", negative_prompt="red ink", steps=3, seed=0).code()


@pytest.mark.parametrize("bad", [-1, True, "2", float("nan"), 101])
def test_a_bad_negative_scale_is_named(bad):
    with pytest.raises(ValueError, match="negative_scale must be None"):
        denoise(tiny_parts(), "a 3", negative_prompt="red ink", negative_scale=bad)
