"""Distillation on the random tiny model: the losses, a few training steps, and resuming."""

import json
import time

import pytest
import torch

from deeper.papers import distill
from deeper.papers.ddim import Schedule, timestep_grid
from deeper.papers.denoisers import Student, Teacher, student_unet
from deeper.papers.guided import checked_guidance, sample_guidance
from deeper.papers.progressive import match_loss, progressive_loss, student_times, two_step_target
from deeper.sd import encode_prompt
from sd_fixtures import tiny_parts


@pytest.fixture(scope="module")
def setup():
    parts = tiny_parts()
    schedule = Schedule.from_scheduler(parts.scheduler)
    teacher = Teacher(parts.unet, schedule, encode_prompt(parts, [""]))
    cond = encode_prompt(parts, ["a red 7 on a white background"] * 4)
    return parts, schedule, teacher, cond


def test_student_times_are_a_step_of_the_student_and_the_teachers_midpoint():
    for n in (1, 4, 32):
        t, t_mid, t_next = student_times(n, 200)
        student, teacher = timestep_grid(n), timestep_grid(2 * n)
        for a, m, b in zip(t.tolist(), t_mid.tolist(), t_next.tolist()):
            i = student.index(a)
            assert student[i + 1] == b and teacher[2 * i + 1] == m and a > m > b
    assert 999 in student_times(4, 400)[0].tolist()  # the top step is trained too


def test_a_student_equal_to_its_one_step_teacher_has_no_loss(setup):
    """If the teacher's x̂ never depends on z (a fixed image), two steps and one step agree: the
    target is that image, and a student predicting it exactly scores zero."""
    parts, schedule, _, cond = setup
    x = torch.randn(4, 4, 8, 8)
    fixed = lambda z, t, c: x.expand_as(z)  # noqa: E731
    t, t_mid, t_next = student_times(4, 4)
    z = torch.randn(4, 4, 8, 8)
    torch.testing.assert_close(two_step_target(fixed, z, t, t_mid, t_next, cond, schedule), x, rtol=1e-4, atol=1e-4)


def test_losses_are_finite_and_train_the_student(setup):
    parts, schedule, teacher, cond = setup
    x = torch.randn(4, 4, 8, 8)
    student = Student(student_unet(parts.unet), schedule)
    for loss in (progressive_loss(student, teacher, x, cond, 2, schedule, guidance_scale=7.5),
                 match_loss(student, teacher, x, cond, schedule, guidance_scale=7.5)):
        assert torch.isfinite(loss)
        loss.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in student.unet.parameters())
    assert all(p.grad is None for p in parts.unet.parameters())  # the teacher is never trained


def test_training_stops_at_a_deadline_and_resumes_where_an_unbroken_run_ends(setup, tmp_path):
    """The one trainer (deeper.training) on a student: stopped by its deadline and resumed from its
    folder, it ends with the very weights of a run that was never stopped."""
    from accelerate import Accelerator
    from deeper.training import Plan, Trainer
    parts, schedule, teacher, cond = setup
    plan = Plan(steps=30, batch=2, lr=1e-3, schedule="linear", weight_decay=0.0)
    acc = Accelerator(cpu=True)

    def fresh():
        torch.manual_seed(0)
        student = Student(student_unet(parts.unet), schedule)
        loss = lambda unet, gen: progressive_loss(student, teacher, torch.randn(2, 4, 8, 8, generator=gen),  # noqa: E731
                                                cond[:2], 1, schedule, guidance_scale=7.5)
        return student, loss

    whole, loss = fresh()
    Trainer(acc, plan, tmp_path / "whole").fit(whole.unet, loss)
    stopped, loss = fresh()
    first = Trainer(acc, plan, tmp_path / "parts", deadline=time.time() - 1).fit(stopped.unet, loss)
    assert first["step"] == 25 and not first["done"]  # the clock is read every 25 steps
    resumed, loss = fresh()
    second = Trainer(acc, plan, tmp_path / "parts").fit(resumed.unet, loss)
    assert second["done"] and second["step"] == 30 and len(second["losses"]) == 5
    moved = [not torch.equal(a, b) for a, b in zip(whole.unet.parameters(), fresh()[0].unet.parameters())]
    assert any(moved)
    assert all(torch.equal(a, b) for a, b in zip(whole.unet.parameters(), resumed.unet.parameters()))


def test_sampled_guidance_covers_the_range():
    g = sample_guidance(1000, (1.0, 8.0))
    assert 1.0 <= g.min() < 1.5 and 7.5 < g.max() <= 8.0


def test_guidance_outside_the_trained_range_is_warned():
    student = Student(None, None, {"guidance_range": [1.0, 8.0]})
    with pytest.warns(UserWarning, match="outside the trained range"):
        checked_guidance(student, 12.0)
    fixed = Student(None, None, {"guidance_scale": 7.5})
    with pytest.warns(UserWarning, match="distilled at guidance 7.5 only"):
        checked_guidance(fixed, 3.0)


@pytest.mark.slow
def test_a_whole_plan_runs_resumes_and_saves_its_students(tmp_path):
    """Both plans, a step or two per phase, stopped once on the way and resumed."""
    parts = tiny_parts()
    model = tmp_path / "model"
    parts.pipeline().save_pretrained(model)
    data = tmp_path / "data.pt"
    torch.save({"latents": torch.randn(16, 4, 8, 8).half(), "captions": ["a red 7"] * 8 + ["a 3"] * 8}, data)
    for plan in ("progressive", "guided"):
        args = dict(plan=plan, out=tmp_path / "out", data=data, model=model, seconds=0.5, batch_size=2,
                    device="cpu", log=lambda *a: None)
        assert not distill.run(**args, deadline=time.time())  # stops in the first phase
        assert distill.run(**args)
        folder = tmp_path / "out" / plan
        names = [p.name for p in distill.PLANS[plan]]
        assert all((folder / n / "student.json").exists() for n in names)
        assert not list(folder.glob("*/training"))  # the trainer's state goes once a student is saved
        info = json.loads((folder / names[-1] / "student.json").read_text())
        assert info["steps"] == distill.PLANS[plan][-1].n_student_steps and info["prediction"] == "v"
