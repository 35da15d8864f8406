"""`python -m deeper.papers.ship`: copy trained students from the training folder into
data/students, packed (`packing`): each as a quantised difference from the one before it."""

import argparse
import shutil
from pathlib import Path

from ..paths import TINY_SD
from ..sd.parts import load_parts
from .denoisers import load_student, save_packed_student
from .students import STUDENTS, Family

SHIP = {"progressive": ["32", "16", "8", "4", "2", "1"], "guided": ["16", "8", "4", "2"]}


def ship(trained: Path, out: Path = STUDENTS, model=TINY_SD, bits: int = 8, families=SHIP, teacher_unet=None) -> None:
    """Pack `families` ({family: [student folder names, in training order]}) from `trained` into `out`."""
    teacher_unet = teacher_unet or load_parts(model, device="cpu").unet
    for family, names in families.items():
        shutil.rmtree(Path(out) / family, ignore_errors=True)
        base_name, base_unet = "teacher", teacher_unet
        packed = Family(family, teacher_unet, out)
        for name in names:
            student = load_student(Path(trained) / family / name)
            save_packed_student(student, Path(out) / family / name, base_unet, base_name, bits)
            # the next one's base is this one as it will be unpacked, so rounding never piles up
            base_name, base_unet = name, packed._load(name).unet


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("trained", type=Path, help="the --out folder of deeper.papers.distill")
    parser.add_argument("--out", type=Path, default=STUDENTS)
    parser.add_argument("--bits", type=int, default=8)
    args = parser.parse_args()
    ship(args.trained, args.out, bits=args.bits)
