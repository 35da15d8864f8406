"""Guided distillation (Meng et al., CVPR 2023) on the tiny SD.

Stage 1: one student x̂(z_t, c, w) learns the classifier-free-guided teacher
x̂^w = (1 + w) x̂(z_t, c) - w x̂(z_t, ∅) for every w in a range, w entering like the timestep
(a sinusoidal embedding through the UNet's `time_cond_proj_dim`). Stage 2: progressive distillation
of that student, a fresh w for every example. We speak in diffusers' guidance_scale g = 1 + w.
Never put classifier-free guidance on top of such a student: guidance would compound.
"""

import warnings

import torch

from .progressive import match_loss, progressive_loss

GUIDANCE_RANGE = (1.0, 8.0)  # guidance scales g the guided students are trained on


def sample_guidance(n: int, guidance_range=GUIDANCE_RANGE, device="cpu") -> torch.Tensor:
    low, high = guidance_range
    return low + (high - low) * torch.rand(n, device=device)


def stage1_loss(student, teacher, x, cond, schedule, guidance_range=GUIDANCE_RANGE):
    """The w-conditioned student's single evaluation learns the teacher's guided x̂, w ~ U[range]."""
    g = sample_guidance(len(x), guidance_range, x.device)
    return match_loss(student, teacher, x, cond, schedule, guidance_scale=g)


def stage2_loss(student, teacher, x, cond, n_student_steps, schedule, guidance_range=GUIDANCE_RANGE):
    """A progressive round of the w-conditioned student, each example with its own w."""
    g = sample_guidance(len(x), guidance_range, x.device)
    return progressive_loss(student, teacher, x, cond, n_student_steps, schedule, guidance_scale=g)


def checked_guidance(student, guidance_scale: float) -> float:
    """The guidance scale to give a student, warning when it lies outside what it was trained on
    (a guided student extrapolates there; a fixed-guidance student ignores the value)."""
    info = student.info
    if "guidance_range" in info:
        low, high = info["guidance_range"]
        if not low <= guidance_scale <= high:
            warnings.warn(f"guidance {guidance_scale} lies outside the trained range [{low}, {high}]: "
                          "the student extrapolates", stacklevel=2)
    elif "guidance_scale" in info and guidance_scale != info["guidance_scale"]:
        warnings.warn(f"this student was distilled at guidance {info['guidance_scale']} only; "
                      f"{guidance_scale} makes no difference to it", stacklevel=2)
    return guidance_scale
