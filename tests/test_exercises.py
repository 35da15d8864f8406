"""Every exercise's check passes the reference, fails at least two typical wrong answers with their
own message, and reports a stub as not done yet (tests/test_exercise_core.py: the shared core)."""

import textwrap
from itertools import islice

import pytest
import torch

from deeper import wichmann_hill as wh
from deeper.exercises import (guided, imagic, inside, iteration, linear, matrix, mixing, organised, pipeline,
                              progressive, random_numbers, tensors)
from deeper.exercises.core import FAILED, NOT_DONE, PASSED
from deeper.linear import loss_and_gradients

LESSONS = [iteration, matrix, tensors, random_numbers, linear, pipeline, inside, organised, mixing,
           progressive, guided, imagic]
ALL = [e for lesson in LESSONS for e in lesson.EXERCISES]
CONTEXT = {"keep_clean": lambda ns: (ns["clean"],)}  # what a check takes besides the function


def student(source: str, exercise, **names):
    """The student's function from `source`, defined in a notebook-like namespace; and the check's context."""
    ns = {"torch": torch, "islice": islice, "wh": wh, "loss_and_gradients": loss_and_gradients,
          "Matrix": matrix.LessonMatrix, "rnd_state": None, "clean": {}, **names}
    exec(textwrap.dedent(source), ns)
    return ns[exercise.function], CONTEXT.get(exercise.name, lambda ns: ())(ns)


def verdict(exercise, fn, context, capsys):
    exercise.check(fn, *context)
    return exercise.status, capsys.readouterr().out


def test_sixteen_exercises_or_more_each_with_hints_and_a_solution():
    assert len(ALL) >= 16 and len({e.name for e in ALL}) == len(ALL) - 1  # `matmul` is in 02 and in 05
    for e in ALL:
        assert len(e.hints) >= 2 and e.task
        assert f"def {e.function}(" in e.solution_code()


@pytest.mark.parametrize("exercise", ALL, ids=lambda e: e.name)
def test_the_reference_passes(exercise):
    context = (organised.clean,) if exercise.name == "keep_clean" else ()
    assert exercise.outcome(exercise.reference, *context) == (PASSED, "")


@pytest.mark.parametrize("exercise", ALL, ids=lambda e: e.name)
def test_a_stub_is_not_done_yet(exercise, capsys):
    args = ", ".join(f"a{i}" for i in range(exercise.reference.__code__.co_argcount))
    fn, context = student(f"def {exercise.function}({args}):\n    ...  # your code\n", exercise)
    status, out = verdict(exercise, fn, context, capsys)
    assert status == NOT_DONE and "not done yet" in out


WRONG = {
    iteration.chunks: [
        ("def chunks(x, sz):\n    return [x[i:i + sz] for i in range(0, len(x), sz)]", "not a generator"),
        ("def chunks(x, sz):\n    for i in range(0, len(x) - sz + 1, sz):\n        yield x[i:i + sz]",
         "The last, shorter chunk is missing"),
        ("def chunks(x, sz):\n    for i in range(0, len(x), sz):\n        yield x[i:sz]", "must end at i + sz")],
    iteration.rows: [
        ("def rows(iterable, sz):\n    return list(iter(lambda: list(islice(iter(iterable), sz)), []))",
         "must be made once, outside the lambda"),
        ("def rows(iterable, sz):\n    it = iter(iterable)\n    return list(iter(lambda: list(islice(it, sz)), None))",
         "so the sentinel is []"),
        ("def rows(iterable, sz):\n    return [list(iterable[i:i + sz]) for i in range(0, len(iterable), sz)]",
         "A generator has no len()")],
    matrix.getitem: [
        ("def __getitem__(self, idxs):\n    return self.xs[idxs]", "idxs is the pair (i, j)"),
        ("def __getitem__(self, idxs):\n    return self.xs[idxs[1]][idxs[0]]", "You read m[j, i]")],
    matrix.length: [
        ("def __len__(self):\n    return len(self.xs) * len(self.xs[0])", "That counts every element"),
        ("def __len__(self):\n    len(self.xs)", "did you forget `return`")],
    matrix.iterate: [
        ("def __iter__(self):\n    return iter(self.xs)", "changed the matrix itself"),
        ("def __iter__(self):\n    for row in self.xs:\n        yield from row", "You yield the numbers one by one"),
        ("def __iter__(self):\n    return self.xs", "must return an iterator")],
    matrix.matmul: [
        ("""def __matmul__(self, other):
               c = [[0.0] * len(other.xs[0])] * len(self.xs)
               for i in range(len(self.xs)):
                   for j in range(len(other.xs[0])):
                       for k in range(len(other.xs)):
                           c[i][j] += self[i, k] * other[k, j]
               return Matrix(c)""", "the same list object"),
        ("""def __matmul__(self, other):
               c = [[0.0] * len(other.xs[0]) for _ in self.xs]
               for i in range(len(self.xs)):
                   for j in range(len(other.xs[0])):
                       for k in range(len(other.xs)):
                           c[i][j] += self[i, k] * other[k, j]
               return c""", "not a Matrix: end with `return Matrix(c)`"),
        ("""def __matmul__(self, other):
               c = [[0.0] * len(other.xs[0]) for _ in self.xs]
               for i in range(len(self.xs)):
                   for j in range(len(other.xs[0])):
                       for k in range(len(other.xs)):
                           c[i][j] = self[i, k] * other[k, j]
               return Matrix(c)""", "holds only the last product")],
    tensors.offset: [
        ("def offset(t, index):\n    return sum(i * s for i, s in zip(index, t.stride()))", "t.storage_offset()"),
        ("""def offset(t, index):
               position = 0
               for i, n in zip(index, t.shape):
                   position = position * n + i
               return t.storage_offset() + position""", "as if the tensor were contiguous")],
    random_numbers.rand: [
        ("""def rand():
               x, y, z = rnd_state
               x, y, z = (171 * x) % 30269, (172 * y) % 30307, (170 * z) % 30323
               rnd_state = x, y, z
               return (x / 30269 + y / 30307 + z / 30323) % 1.0""", "write `global rnd_state`"),
        ("""def rand():
               global rnd_state
               x, y, z = rnd_state
               x, y, z = (171 * x) % 30269, (172 * y) % 30307, (170 * z) % 30323
               rnd_state = x, y, z
               return x / 30269 + y / 30307 + z / 30323""", "outside [0, 1)"),
        ("""def rand():
               x, y, z = rnd_state
               x, y, z = (171 * x) % 30269, (172 * y) % 30307, (170 * z) % 30323
               return (x / 30269 + y / 30307 + z / 30323) % 1.0""", "twice in a row"),
        ("""def rand():
               global rnd_state
               x, y, z = rnd_state
               x, y, z = (171 * x) % 30269, (170 * y) % 30307, (172 * z) % 30323
               rnd_state = x, y, z
               return (x / 30269 + y / 30307 + z / 30323) % 1.0""", "Check each multiplier with its modulus")],
    random_numbers.reseed: [
        ("def reseed():\n    wh.seed(wh.random_seed())", "reseed torch too"),
        ("def reseed():\n    torch.seed()", "reseed `wh` itself"),
        ("def reseed():\n    wh.seed(1)\n    torch.manual_seed(1)", "two children drew the same numbers")],
    random_numbers.worker_init_fn: [
        ("def worker_init_fn(worker_id):\n    wh.seed(worker_id)", "not from worker_id alone"),
        ("def worker_init_fn(worker_id):\n    wh.seed(wh.random_seed())", "so a seeded run repeats"),
        ("def worker_init_fn(worker_id):\n    wh.seed(1)", "both workers drew the same numbers"),
        ("def worker_init_fn(worker_id):\n    raise ValueError('no seed for you')",
         "raised in a DataLoader worker: ValueError: no seed for you")],
    linear.matmul: [
        ("""def matmul(a, b):
               c = torch.zeros(a.shape[0], a.shape[1])
               for i in range(a.shape[0]):
                   for j in range(b.shape[1]):
                       for k in range(a.shape[1]):
                           c[i, j] += a[i, k] * b[k, j]
               return c""", "shape (3, 2) expected, got (3, 4)"),
        ("""def matmul(a, b):
               c = torch.zeros(a.shape[0], b.shape[1])
               for i in range(a.shape[0]):
                   for j in range(b.shape[1]):
                       for k in range(a.shape[1]):
                           c[i, j] = a[i, k] * b[k, j]
               return c""", "holds only the last product"),
        ("""def matmul(a, b):
               c = torch.zeros(a.shape[0], b.shape[1])
               for i in range(a.shape[0]):
                   for j in range(b.shape[1]):
                       for k in range(a.shape[1]):
                           c[i, j] += a[i, k] * b[j, k]
               return c""", "You read b[j, k]")],
    linear.gd_step: [
        ("""def gd_step(x, y, weights, bias, lr):
               loss, d_weights, d_bias = loss_and_gradients(x, y, weights, bias)
               weights = weights - lr * d_weights
               bias = bias - lr * d_bias
               return loss""", "the weights did not change"),
        ("""def gd_step(x, y, weights, bias, lr):
               loss, d_weights, d_bias = loss_and_gradients(x, y, weights, bias)
               weights += lr * d_weights
               bias += lr * d_bias
               return loss""", "You stepped uphill"),
        ("""def gd_step(x, y, weights, bias, lr):
               loss, d_weights, d_bias = loss_and_gradients(x, y, weights, bias)
               weights -= lr * d_weights
               return loss""", "The bias did not move")],
    pipeline.img2img_steps: [
        ("def img2img_steps(num_inference_steps, strength):\n    return int(num_inference_steps * (1 - strength))",
         "not 20%"),
        ("def img2img_steps(num_inference_steps, strength):\n    return round(num_inference_steps * strength)",
         "it does not round")],
    inside.first_input: [
        ("def first_input(scheduler, noise):\n    return noise, scheduler.scale_model_input(noise, scheduler.timesteps[0])",
         "scale them by scheduler.init_noise_sigma"),
        ("def first_input(scheduler, noise):\n    latents = noise * scheduler.init_noise_sigma\n    return latents, latents",
         "the UNet needs scheduler.scale_model_input"),
        ("def first_input(scheduler, noise):\n    return noise * scheduler.init_noise_sigma", "not the pair (latents, model_input)")],
    inside.to_image: [
        ("""def to_image(vae, latents):
               with torch.no_grad():
                   return (vae.decode(latents * vae.config.scaling_factor).sample / 2 + 0.5).clamp(0, 1)""",
         "You multiplied by the scaling factor"),
        ("""def to_image(vae, latents):
               with torch.no_grad():
                   return vae.decode(latents / vae.config.scaling_factor).sample""", "Your pixels run from -1 to 1"),
        ("""def to_image(vae, latents):
               with torch.no_grad():
                   return vae.decode(latents / vae.config.scaling_factor)""", "its image is .sample")],
    inside.guide: [
        ("def guide(u, t, guidance_scale):\n    return t + guidance_scale * (u - t)", "did you swap u and t?"),
        ("def guide(u, t, guidance_scale):\n    return guidance_scale * t", "You scaled the prompt's prediction alone")],
    organised.with_negative: [
        ("def with_negative(text_enc, prompts, negative_prompt):\n"
         "    return torch.cat([text_enc([''] * len(prompts)), text_enc(prompts)])",
         "These are the empty prompt's embeddings"),
        ("def with_negative(text_enc, prompts, negative_prompt):\n"
         "    return torch.cat([text_enc(prompts), text_enc([negative_prompt] * len(prompts))])", "The halves are swapped"),
        ("def with_negative(text_enc, prompts, negative_prompt):\n"
         "    return torch.cat([text_enc([negative_prompt]), text_enc(prompts)])",
         "one negative prompt for each prompt")],
    organised.keep_clean: [
        ("def keep_clean(i, t, latents, pred_original):\n    clean[i] = latents", "you recorded the latents"),
        ("def keep_clean(i, t, latents, pred_original):\n    clean[t] = pred_original", "keys are the timesteps t"),
        ("def keep_clean(i, t, latents, pred_original):\n    clean = {i: pred_original}", "your dict is still empty")],
    organised.start_part_way: [
        ("""def start_part_way(scheduler, latents, noise, strength):
               steps = len(scheduler.timesteps)
               timesteps = scheduler.timesteps[steps - int(steps * strength):]
               return scheduler.add_noise(latents, noise, scheduler.timesteps[:1]), timesteps""",
         "to the top of the schedule"),
        ("""def start_part_way(scheduler, latents, noise, strength):
               timesteps = scheduler.timesteps[int(len(scheduler.timesteps) * strength):]
               return scheduler.add_noise(latents, noise, timesteps[:1]), timesteps""", "not skipped"),
        ("""def start_part_way(scheduler, latents, noise, strength):
               return scheduler.add_noise(latents, noise, scheduler.timesteps[:1])""", "not the pair (latents, timesteps)")],
    mixing.mix: [
        ("def mix(a, b, w):\n    return w * a + (1 - w) * b", "Your mix is prompt b at w = 0"),
        ("def mix(a, b, w):\n    return a + w * b", "so the weights sum to 1")],
    progressive.target: [
        ("def target(z_t, z_t2, alpha_t, sigma_t, alpha_t2, sigma_t2):\n    return z_t2 - sigma_t2 / sigma_t * z_t",
         "You left out the division"),
        ("def target(z_t, z_t2, alpha_t, sigma_t, alpha_t2, sigma_t2):\n    r = sigma_t / sigma_t2\n"
         "    return (z_t2 - r * z_t) / (alpha_t2 - r * alpha_t)", "upside down")],
    guided.guided: [
        ("def guided(x_cond, x_uncond, w):\n    return x_uncond + w * (x_cond - x_uncond)", "You used w as the guidance scale"),
        ("def guided(x_cond, x_uncond, w):\n    return (1 + w) * x_uncond - w * x_cond", "are swapped")],
    imagic.eta_mix: [
        ("def eta_mix(e_tgt, e_opt, eta):\n    return eta * e_opt + (1 - eta) * e_tgt", "At η = 0 yours gives e_tgt"),
        ("def eta_mix(e_tgt, e_opt, eta):\n    eta = min(eta, 1.0)\n    return eta * e_tgt + (1 - eta) * e_opt",
         "don't clamp it")],
}
CASES = [(e, src, words) for e, wrongs in WRONG.items() for src, words in wrongs]


def test_every_exercise_names_two_typical_mistakes_or_more():
    assert set(WRONG) == set(ALL) and all(len(w) >= 2 for w in WRONG.values())


@pytest.mark.parametrize("exercise, source, words", CASES, ids=[f"{e.name}-{i}" for i, (e, _, _) in enumerate(CASES)])
def test_a_typical_mistake_gets_its_message(exercise, source, words, capsys):
    fn, context = student(source, exercise)
    status, out = verdict(exercise, fn, context, capsys)
    assert status == FAILED and words in out, out


def test_the_solutions_match_the_image_to_image_pipeline():
    """img2img_steps and start_part_way follow StableDiffusionImg2ImgPipeline.get_timesteps."""
    from types import SimpleNamespace

    from diffusers import StableDiffusionImg2ImgPipeline
    from deeper.exercises.sd_cases import randn, scheduler

    for steps, strength in ((30, 0.6), (10, 0.25), (16, 1.0), (7, 0.05)):
        sched = scheduler("Euler", steps)
        timesteps, n = StableDiffusionImg2ImgPipeline.get_timesteps(SimpleNamespace(scheduler=sched), steps, strength, "cpu")
        assert pipeline.img2img_steps_solution(steps, strength) == n
        latents, noise = randn(1, 4, 8, 8, seed=1), randn(1, 4, 8, 8, seed=2)
        noisy, mine = organised.start_part_way_solution(scheduler("Euler", steps), latents, noise, strength)
        assert torch.equal(mine, timesteps)
        if n:
            assert torch.equal(noisy, sched.add_noise(latents, noise, timesteps[:1]))
