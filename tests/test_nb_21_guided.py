"""What notebook 21 (guided distillation) computed: the live stage starts blind to w and learns it,
the table covers w and steps, and the target line is printed."""

import re

import pytest

from notebooks import executed, table_rows, text_output

pytestmark = pytest.mark.notebook

GUIDED = "21_guided_distillation.ipynb"


def test_guided_live_stage_starts_blind_to_w_and_learns_it():
    """w's new projection starts at zero, so w moves nothing; a few steps lower the fixed batch's loss
    and make w move the student's x̂, less than it moves the teacher's this early."""
    out = text_output(executed(GUIDED), "live")
    numbers = lambda pattern: [float(x) for x in re.search(pattern, out).groups()]  # noqa: E731
    [blind] = numbers(r"before training, from guidance 1 to 7.5, x̂ moves by (\S+) \(RMS\)")
    before, after = numbers(r"fixed batch of 64: (\S+) before, (\S+) after")
    student, teacher = numbers(r"moves by (\S+) \(RMS\) for this student, (\S+) for the teacher")
    assert blind == 0 and after < before and 0 < student < teacher


def test_guided_table_covers_w_and_steps():
    nb = executed(GUIDED)
    rows = table_rows(text_output(nb, "table"))
    students = {(float(r[2]), int(r[1])) for r in rows if r[0] == "guided student"}
    assert students == {(g, n) for g in (1, 2, 4, 7.5) for n in (8, 4, 2)}
    assert all(int(r[3]) == int(r[1]) for r in rows if r[0] == "guided student")
    assert {int(r[1]) for r in rows if r[0].startswith("teacher")} == {32, 8, 4, 2}
    assert "16x fewer" in text_output(nb, "target")
    assert "(teacher DDIM / guided student)" in text_output(nb, "grid")
