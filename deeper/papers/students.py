"""The shipped students in `data/students/<family>/<steps>/`, and the teacher they came from.

Two families: "progressive" (the guided teacher at one fixed guidance scale, halved 64 -> 1) and
"guided" (w-conditioned, halved 32 -> 2). `Family` loads a student the first time it is asked for.
"""

import json
from pathlib import Path

from ..paths import DATA
from ..sd.text import encode_prompt
from .ddim import Schedule
from .denoisers import STUDENT_INFO, Teacher, load_student

STUDENTS = DATA / "students"
FAMILIES = ("progressive", "guided")


def teacher_of(parts) -> Teacher:
    """The tiny SD's UNet under classifier-free guidance, as a denoiser."""
    return Teacher(parts.unet, Schedule.from_scheduler(parts.scheduler), encode_prompt(parts, [""]))


class Family:
    """The students of one family: `family.steps` lists the step counts there are students for;
    `family[4]` is the 4-step student (ValueError naming the available counts otherwise).
    `teacher_unet` is the tiny SD's UNet, the base of the first packed student."""

    def __init__(self, name: str, teacher_unet, folder: Path = STUDENTS):
        if name not in FAMILIES:
            raise ValueError(f"family must be one of {', '.join(FAMILIES)}; got {name!r}")
        self.name, self.folder, self.teacher_unet = name, Path(folder) / name, teacher_unet
        self.steps = sorted(int(p.name) for p in self.folder.glob("*") if p.name.isdigit())
        self._loaded = {}

    def __getitem__(self, steps: int):
        if steps not in self.steps:
            available = ", ".join(map(str, self.steps)) or "none (run the training: see deeper.papers.distill)"
            raise ValueError(f"no {self.name} student was distilled for {steps} steps; there are students for {available}")
        return self._load(str(steps))

    def _load(self, name: str):
        """A student by folder name, its base (the teacher or another student) loaded first."""
        if name not in self._loaded:
            base = json.loads((self.folder / name / STUDENT_INFO).read_text()).get("base")
            base_unet = self.teacher_unet if base in (None, "teacher") else self._load(base).unet
            self._loaded[name] = load_student(self.folder / name, self.teacher_unet.device, base_unet)
        return self._loaded[name]

    @property
    def info(self) -> dict:
        """What the family was distilled for (its guidance scale or range), from its first student."""
        return self[self.steps[0]].info if self.steps else {}
