"""Progressive distillation (Salimans & Ho, ICLR 2022) on SD's discrete schedule.

A student starts as a copy of its teacher and learns to do in one DDIM step what the teacher does
in two; then it becomes the teacher and the step count halves again (64 -> 32 -> ... -> 1).
Here the teacher of the first round is the tiny SD under classifier-free guidance at one fixed
scale, so every student also folds guidance in: one UNet evaluation a step instead of two.
Before the rounds, round 0 makes the v-prediction student match the guided ε-teacher step for
step (`match_loss`); the rounds then use `progressive_loss`.

The loss is ‖v - v̂‖², which is the paper's "SNR+1" weighting of ‖x - x̂‖² (σ² = 1/(SNR+1)).
"""

import torch
import torch.nn.functional as F

from .ddim import ddim_step, distillation_target, timestep_grid, v_from_x


def noisy(x, t, schedule):
    """z_t = α_t x + σ_t ε for a batch of clean latents and timesteps; at the top timestep, pure
    noise ε, because that is where every sampler starts. SD's terminal SNR is not zero: on latents
    of unit variance α_999 x is small beside ε, but on larger latents it is not, and a student
    trained on z_999 = α x + σ ε learns to lean on a signal it never gets when it samples."""
    eps = torch.randn_like(x)
    alpha, sigma = schedule(t, like=x)
    top = (torch.as_tensor(t, device=x.device) == schedule.num_train_timesteps - 1).reshape(-1, *[1] * (x.ndim - 1))
    return torch.where(top, eps, alpha * x + sigma * eps)


def student_times(n_student_steps: int, batch: int, num_train_timesteps: int = 1000, device="cpu"):
    """For each example, a student step i ~ U{1..N}: its start t, the teacher's midpoint t' and its
    end t'' (t'' = CLEAN for the last step). t' and t'' come from the teacher's grid of 2N steps."""
    student = torch.tensor(timestep_grid(n_student_steps, num_train_timesteps))
    teacher = torch.tensor(timestep_grid(2 * n_student_steps, num_train_timesteps))
    i = torch.randint(1, n_student_steps + 1, (batch,))
    return student[i - 1].to(device), teacher[2 * i - 1].to(device), student[i].to(device)


def full_precision(x):
    """The teacher runs in float32 even under the student's bf16 autocast: the target divides by
    α_t'' - (σ_t''/σ_t) α_t, which is about 0.007 at the top of a 64-step grid."""
    return torch.autocast(x.device.type, enabled=False)


@torch.no_grad()
def two_step_target(teacher, z_t, t, t_mid, t_next, cond, schedule, **teacher_kwargs):
    """x̃: the prediction that takes z_t in one DDIM step where the teacher's two steps
    t -> t' -> t'' take it. No clipping inside the teacher's steps."""
    with full_precision(z_t):
        return _two_step_target(teacher, z_t.float(), t, t_mid, t_next, cond.float(), schedule, **teacher_kwargs)


def _two_step_target(teacher, z_t, t, t_mid, t_next, cond, schedule, **teacher_kwargs):
    # 1. teacher step t -> t'
    a_t, s_t = schedule(t, like=z_t)
    a_mid, s_mid = schedule(t_mid, like=z_t)
    z_mid = ddim_step(z_t, teacher(z_t, t, cond, **teacher_kwargs), a_t, s_t, a_mid, s_mid)
    # 2. teacher step t' -> t'', predicting from the new point z_t'
    a_next, s_next = schedule(t_next, like=z_t)
    z_next = ddim_step(z_mid, teacher(z_mid, t_mid, cond, **teacher_kwargs), a_mid, s_mid, a_next, s_next)
    # 3. the single-step target
    return distillation_target(z_t, z_next, a_t, s_t, a_next, s_next)


def v_loss(student, z_t, t, x_target, cond, schedule, **student_kwargs):
    """‖v(x̃) - v̂‖²: the student's v against the v that would give x̃ at (z_t, t)."""
    alpha, sigma = schedule(t, like=z_t)
    v_target = v_from_x(z_t, x_target, alpha, sigma)
    return F.mse_loss(student.v(z_t, t, cond, **student_kwargs).float(), v_target.float())


def progressive_loss(student, teacher, x, cond, n_student_steps, schedule, **kwargs):
    """One batch of a round: the student (N steps) learns two of the teacher's steps (2N)."""
    t, t_mid, t_next = student_times(n_student_steps, len(x), schedule.num_train_timesteps, x.device)
    z_t = noisy(x, t, schedule)
    x_target = two_step_target(teacher, z_t, t, t_mid, t_next, cond, schedule, **kwargs)
    return v_loss(student, z_t, t, x_target, cond, schedule, **kwargs)


def match_loss(student, teacher, x, cond, schedule, **kwargs):
    """Round 0 (and guided distillation's stage 1): at any timestep, the student's one evaluation
    learns the guided teacher's x̂ (two evaluations)."""
    t = torch.randint(0, schedule.num_train_timesteps, (len(x),)).to(x.device)
    z_t = noisy(x, t, schedule)
    with torch.no_grad(), full_precision(z_t):
        x_target = teacher(z_t, t, cond, **kwargs)
    return v_loss(student, z_t, t, x_target, cond, schedule, **kwargs)
