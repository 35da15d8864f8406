"""The shipped students in `data/students/<family>/<steps>/`, and the teacher they came from.

Two families: "progressive" (the guided teacher at one fixed guidance scale, halved 64 -> 1) and
"guided" (w-conditioned, halved 32 -> 2). `Family` loads a student the first time it is asked for.
"""

from pathlib import Path

import torch

from ..paths import DATA
from .ddim import Schedule
from .denoisers import Teacher, load_student
from ..sd.text import encode_prompt

STUDENTS = DATA / "students"
FAMILIES = ("progressive", "guided")


def teacher_of(parts) -> Teacher:
    """The tiny SD's UNet under classifier-free guidance, as a denoiser."""
    return Teacher(parts.unet, Schedule.from_scheduler(parts.scheduler), encode_prompt(parts, [""]))


class Family:
    """The students of one family: `family.steps` lists the step counts there are students for;
    `family[4]` is the 4-step student (ValueError naming the available counts otherwise)."""

    def __init__(self, name: str, folder: Path = STUDENTS, device="cpu"):
        if name not in FAMILIES:
            raise ValueError(f"family must be one of {', '.join(FAMILIES)}; got {name!r}")
        self.name, self.folder, self.device = name, Path(folder) / name, device
        self.steps = sorted(int(p.name) for p in self.folder.glob("*") if p.name.isdigit())
        self._loaded = {}

    def __getitem__(self, steps: int):
        if steps not in self.steps:
            available = ", ".join(map(str, self.steps)) or "none (run the training: see deeper.papers.distill)"
            raise ValueError(f"no {self.name} student was distilled for {steps} steps; there are students for {available}")
        if steps not in self._loaded:
            self._loaded[steps] = load_student(self.folder / str(steps), self.device)
        return self._loaded[steps]

    @property
    def info(self) -> dict:
        """What the family was distilled for (its guidance scale or range), from its first student."""
        return self[self.steps[0]].info if self.steps else {}
