"""The exercises in the notebooks, run two ways under papermill.

As a student leaves them (the stubs): the usual CI run of each notebook (tests/notebooks.py,
shared with test_notebooks.py) must reach the end with every check saying "not done yet". With the
teacher switch on (DEEPER_TEACHER=1): a notebook made of only the exercise cells of every notebook
(each notebook's `exercises` cell, then its exercise cells: they need nothing else, since every
check hands the student's function what it works on) runs in one kernel, and every check must pass.
That keeps the second run to well under a minute instead of a second full run of every notebook.
"""

import copy

import nbformat
import papermill
import pytest

from notebooks import CELL_TIMEOUT, COURSE, OUTPUT, executed, notebook_names, widget_states

NOT_DONE, PASSED = "not done yet. Write it in this cell", "passed. Well done."


def exercise_tag(cell) -> str:
    tags = cell.get("metadata", {}).get("tags", [])
    return next((t for t in tags if t.startswith("ex-")), "")


def with_exercises() -> list[str]:
    return [n for n in notebook_names()
            if any(exercise_tag(c) for c in nbformat.read(COURSE / n, as_version=4).cells)]


def outputs_text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_every_lesson_notebook_has_exercises():
    assert with_exercises() == notebook_names()


@pytest.mark.notebook
@pytest.mark.parametrize("name", with_exercises())
def test_as_a_student_leaves_it_every_check_says_not_done_yet(name):
    nb = executed(name)
    cells = [c for c in nb.cells if exercise_tag(c)]
    assert cells
    for cell in cells:
        out = outputs_text(cell)
        assert NOT_DONE in out and not any(o.output_type == "error" for o in cell.outputs), (exercise_tag(cell), out)
    titles = [m["state"]["value"] for m in widget_states(nb, "HTMLModel") if "Exercises:" in m["state"].get("value", "")]
    assert titles == [f"<b>Exercises: 0 of {len(cells)} passed</b>"], titles  # the progress view, saved with the run


def teacher_notebook():
    """Every notebook's `exercises` cell and exercise cells, in order; and which exercise each cell holds."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    holds = []
    for name in with_exercises():
        for cell in nbformat.read(COURSE / name, as_version=4).cells:
            tags = cell.get("metadata", {}).get("tags", [])
            if cell.cell_type != "code" or not ("exercises" in tags or exercise_tag(cell)):
                continue
            holds.append(f"{name}:{exercise_tag(cell)}")
            cell = copy.deepcopy(cell)
            cell.metadata, cell.id = {}, f"c{len(nb.cells)}"
            nb.cells.append(cell)
    return nb, holds


@pytest.mark.notebook
def test_with_the_teacher_switch_every_exercise_is_filled_and_passes(monkeypatch):
    monkeypatch.setenv("DEEPER_TEACHER", "1")  # the kernel papermill starts inherits it
    nb, holds = teacher_notebook()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    source, out = OUTPUT / "teacher_exercises_in.ipynb", OUTPUT / "teacher_exercises.ipynb"
    nbformat.write(nb, source)
    papermill.execute_notebook(str(source), str(out), cwd=str(COURSE), execution_timeout=CELL_TIMEOUT,
                               kernel_name="python3", progress_bar=False)
    ran = nbformat.read(out, as_version=4)
    checked = [(h, c) for h, c in zip(holds, ran.cells) if not h.endswith(":")]
    assert len(checked) >= 16
    for where, cell in checked:
        text = outputs_text(cell)
        assert "Teacher mode" in text and PASSED in text, (where, text)
