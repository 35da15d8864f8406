"""A student sees only what the lesson means them to see: under CI (no progress bars) no cell of any
notebook writes to stderr, so no pink warning box appears that a lesson did not ask for."""

import pytest

from notebooks import executed, notebook_names

pytestmark = pytest.mark.notebook


@pytest.mark.parametrize("name", notebook_names())
def test_no_cell_writes_to_stderr(name):
    noise = [(cell.source.splitlines()[0], out.text[:300]) for cell in executed(name).cells if cell.cell_type == "code"
             for out in cell.outputs if out.output_type == "stream" and out.name == "stderr"]
    assert not noise, f"{name}: {noise}"
