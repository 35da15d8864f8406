"""Every notebook in course/ runs top to bottom under papermill with CI=True, without an error."""

import pytest

from notebooks import executed, notebook_names


@pytest.mark.notebook
@pytest.mark.parametrize("name", notebook_names())
def test_notebook_runs(name):
    nb = executed(name)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
