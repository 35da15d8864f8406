"""What notebook 21 (guided distillation) computed: the live stage starts blind to w, the table
covers w and steps, and the target line is printed."""

import pytest

from notebooks import executed, table_rows, text_output

pytestmark = pytest.mark.notebook

GUIDED = "21_guided_distillation.ipynb"


def test_guided_live_stage_starts_blind_to_w():
    out = text_output(executed(GUIDED), "live")
    assert "before training, guidance 1 and 7.5 give the same output: True" in out


def test_guided_table_covers_w_and_steps():
    nb = executed(GUIDED)
    rows = table_rows(text_output(nb, "table"))
    students = {(float(r[2]), int(r[1])) for r in rows if r[0] == "guided student"}
    assert students == {(g, n) for g in (1, 2, 4, 7.5) for n in (8, 4, 2)}
    assert all(int(r[3]) == int(r[1]) for r in rows if r[0] == "guided student")
    assert {int(r[1]) for r in rows if r[0].startswith("teacher")} == {32, 8, 4, 2}
    assert "16x fewer" in text_output(nb, "target")
    assert "(teacher DDIM / guided student)" in text_output(nb, "grid")
