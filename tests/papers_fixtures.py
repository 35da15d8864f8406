"""Students for the tests: untrained copies of the random tiny model (tests of behaviour must not
depend on the shipped weights), saved as `data/students` is laid out."""

from functools import lru_cache
from pathlib import Path
import tempfile

from deeper.papers.ddim import Schedule
from deeper.papers.denoisers import Student, save_student, student_unet
from sd_fixtures import tiny_parts

FAMILY_STEPS = {"progressive": (1, 2, 4), "guided": (2, 4)}


@lru_cache(maxsize=None)
def students_folder() -> Path:
    """A folder with progressive students for 1, 2, 4 steps and guided ones for 2, 4."""
    parts = tiny_parts()
    folder = Path(tempfile.mkdtemp(prefix="students-"))
    schedule = Schedule.from_scheduler(parts.scheduler)
    for family, steps in FAMILY_STEPS.items():
        guided = family == "guided"
        for n in steps:
            info = {"method": family, "steps": n, "prediction": "v"}
            info.update({"guidance_range": [1.0, 8.0]} if guided else {"guidance_scale": 7.5})
            save_student(Student(student_unet(parts.unet, takes_guidance=guided), schedule, info), folder / family / str(n))
    return folder
