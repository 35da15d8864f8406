"""DDIM in alpha/sigma and the distillation target: the maths of PAPERS.md, checked against
diffusers where diffusers does the same thing, and against its own definitions where not."""

import pytest
import torch
from diffusers import DDIMScheduler

from deeper.papers.ddim import CLEAN, Schedule, ddim_step, distillation_target, sample, timestep_grid
from deeper.papers.progressive import noisy
from deeper.papers.denoisers import Student, Teacher, ddim_scheduler, student_unet
from deeper.sd import denoising_loop, encode_prompt
from deeper.sd.loop import guidance_embedding
from random_parts import random_parts


@pytest.fixture(scope="module")
def parts():
    return random_parts("small", seed=0)


@pytest.fixture(scope="module")
def schedule(parts):
    return Schedule.from_scheduler(parts.scheduler)


@pytest.mark.parametrize("n", [1, 2, 4, 8, 16, 32, 64])
def test_grid_halves_into_every_second_point(n):
    assert timestep_grid(n) == timestep_grid(2 * n)[::2]


@pytest.mark.parametrize("n", [1, 3, 4, 64])
def test_grid_is_diffusers_trailing_spacing_then_clean(n, parts):
    ddim = DDIMScheduler.from_config(parts.scheduler.config, timestep_spacing="trailing")
    ddim.set_timesteps(n)
    assert timestep_grid(n) == ddim.timesteps.tolist() + [CLEAN]


def test_grid_refuses_impossible_step_counts():
    for n in (0, -1, 1001):
        with pytest.raises(ValueError, match="n_steps"):
            timestep_grid(n)


def test_schedule_alpha_sigma(schedule, parts):
    abar = parts.scheduler.alphas_cumprod
    alpha, sigma = schedule(torch.tensor([0, 500, 999]))
    torch.testing.assert_close(alpha**2, abar[[0, 500, 999]])
    torch.testing.assert_close(alpha**2 + sigma**2, torch.ones(3))
    assert schedule(CLEAN) == (1.0, 0.0)


def test_target_step_lands_where_the_teachers_two_steps_land(schedule):
    torch.manual_seed(0)
    z_t, x1, x2 = torch.randn(3, 2, 4, 8, 8)
    t, t_mid, t_next = 999, 983, 968
    (a, s), (am, sm), (an, sn) = schedule(t), schedule(t_mid), schedule(t_next)
    z_next = ddim_step(ddim_step(z_t, x1, a, s, am, sm), x2, am, sm, an, sn)
    x_target = distillation_target(z_t, z_next, a, s, an, sn)
    torch.testing.assert_close(ddim_step(z_t, x_target, a, s, an, sn), z_next, rtol=1e-4, atol=1e-4)


def test_target_of_a_last_step_is_the_teachers_clean_image(schedule):
    z_t, z_clean = torch.randn(2, 1, 4, 8, 8)
    assert torch.equal(distillation_target(z_t, z_clean, *schedule(15), *schedule(CLEAN)), z_clean)


def test_an_exact_denoiser_gives_back_its_image(schedule):
    x = torch.randn(1, 4, 8, 8)
    for n in (1, 3, 64):
        torch.testing.assert_close(sample(lambda z, t, c: x, torch.randn_like(x), None, n, schedule), x)


@pytest.mark.parametrize("n, g", [(4, 7.5), (8, 7.5), (4, 0.5)])
def test_teacher_sampler_equals_the_course_loop_with_diffusers_ddim(parts, schedule, n, g):
    """Where 1000/n is whole, diffusers' DDIM (trailing, last step to ᾱ = 1) walks our grid; and a
    guidance scale means the same to both (0.5, as any scale of 1 or less: the prompt's prediction alone)."""
    cond = encode_prompt(parts, ["a red 7", "a blue 2"])
    uncond = encode_prompt(parts, [""])
    noise = torch.randn(2, 4, 8, 8, generator=torch.Generator().manual_seed(1))
    teacher = Teacher(parts.unet, schedule, uncond)
    ours = sample(teacher, noise, cond, n, schedule, guidance_scale=g)
    ddim = DDIMScheduler.from_config(parts.scheduler.config, timestep_spacing="trailing", set_alpha_to_one=True,
                                         clip_sample=False)
    ddim.set_timesteps(n)
    *_, last = denoising_loop(parts.unet, ddim, torch.cat([uncond, uncond, cond]) if g > 1 else cond, noise, g)
    assert teacher.evaluations_per_step(g) == (2 if g > 1 else 1)
    torch.testing.assert_close(ours, last.latents, rtol=1e-4, atol=1e-4)


def test_a_scale_of_1_or_less_among_a_batch_of_scales_is_the_prompts_prediction_alone(parts, schedule):
    z, t, cond = torch.randn(2, 4, 8, 8), torch.tensor([500, 500]), encode_prompt(parts, ["a red 7", "a blue 2"])
    teacher = Teacher(parts.unet, schedule, encode_prompt(parts, [""]))
    with torch.no_grad():
        both = teacher.eps(z, t, cond, torch.tensor([0.5, 7.5]))
        torch.testing.assert_close(both[:1], teacher.eps(z[:1], t[:1], cond[:1], 0.5), rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(both[1:], teacher.eps(z[1:], t[1:], cond[1:], 7.5), rtol=1e-4, atol=1e-4)


def test_guidance_embedding_is_diffusers(parts):
    from diffusers import StableDiffusionPipeline

    g = torch.tensor([1.0, 2.0, 7.5])
    expected = StableDiffusionPipeline.get_guidance_scale_embedding(None, g - 1, embedding_dim=256)
    torch.testing.assert_close(guidance_embedding(g, 256), expected)


def test_guided_student_starts_as_its_teacher(parts, schedule):
    """The new projection of w is zero, so before training the student's UNet is the teacher's."""
    unet = student_unet(parts.unet, takes_guidance=True)
    z, cond = torch.randn(2, 4, 8, 8), encode_prompt(parts, ["a", "b"])
    t = torch.tensor([10, 900])
    with torch.no_grad():
        got = Student(unet, schedule).v(z, t, cond, guidance_scale=torch.tensor([2.0, 7.0]))
        torch.testing.assert_close(got, parts.unet(z, t, encoder_hidden_states=cond).sample)


def test_guided_student_keeps_its_learnt_projection(parts):
    first = student_unet(parts.unet, takes_guidance=True)
    torch.nn.init.ones_(first.time_embedding.cond_proj.weight)
    second = student_unet(first, takes_guidance=True)
    assert torch.equal(second.time_embedding.cond_proj.weight, first.time_embedding.cond_proj.weight)


def test_student_sampler_equals_the_pipeline_with_its_saved_scheduler(parts, schedule):
    """A guided v-student, sampled by StableDiffusionPipeline with the scheduler we save beside it,
    gives our sampler's latents: the pipeline feeds w through timestep_cond and adds no guidance."""
    torch.manual_seed(3)
    unet = student_unet(parts.unet, takes_guidance=True)
    torch.nn.init.normal_(unet.time_embedding.cond_proj.weight, std=0.1)
    noise = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(2))
    cond = encode_prompt(parts, ["a green 3"])
    ours = sample(Student(unet, schedule), noise, cond, 4, schedule, guidance_scale=4.0)
    pipe = parts.pipeline()
    pipe.unet, pipe.scheduler = unet, ddim_scheduler(parts.scheduler.config)
    theirs = pipe(prompt_embeds=cond, guidance_scale=4.0, num_inference_steps=4, latents=noise,
                  output_type="latent").images
    torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-4)


def test_students_train_their_first_step_on_pure_noise_as_samplers_start(schedule):
    """At the top timestep a training latent is pure noise, whatever the image (SD's terminal SNR is
    not zero, and large latents would show through); below it, z_t = α_t x + σ_t ε."""
    x = torch.full((4, 4, 8, 8), 6.0)
    t = torch.tensor([999, 999, 500, 0])
    torch.manual_seed(0)
    z = noisy(x, t, schedule)
    torch.manual_seed(0)
    eps = torch.randn_like(x)
    torch.testing.assert_close(z[:2], eps[:2])
    alpha, sigma = schedule(t[2:], like=x[2:])
    torch.testing.assert_close(z[2:], alpha * x[2:] + sigma * eps[2:])
