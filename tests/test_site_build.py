"""`make site` builds only from notebooks the tests ran and saw pass; anything else stops it with a
message saying what happened and what to do. (The built site itself is checked by tests/site.)"""

import nbformat
import pytest

from notebooks import COURSE, REPO, notebook_names
from tools import nbtools, site

NAME = notebook_names()[0]


@pytest.fixture
def executed(tmp_path):
    """A folder of 'executed' notebooks: copies of course/ with an output in each code cell."""
    for name in notebook_names():
        nb = nbformat.read(COURSE / name, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran\n")]
        nbformat.write(nb, tmp_path / name)
    return tmp_path


def test_a_notebook_that_ran_becomes_a_page_with_local_instructions(executed):
    nb = site.page(NAME, executed)
    assert nb.cells[0].source.startswith("# ") and f"**[Open in Colab]({nbtools.colab_url(NAME)})**" in nb.cells[0].source
    how = nb.cells[1].source
    assert f"git clone {nbtools.repository_url()}" in how and "make lab" in how and nbtools.colab_url(NAME) in how


def test_a_notebook_the_tests_did_not_run(executed):
    (executed / NAME).unlink()
    with pytest.raises(site.SiteError, match=f"course/{NAME} has not been executed by the tests.*Run `make test` first"):
        site.write_source(executed / "site", executed)
    assert not (executed / "site").exists(), "nothing is written when a notebook is missing"


def test_a_notebook_that_failed_in_ci(executed):
    nb = nbformat.read(executed / NAME, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.outputs.append(nbformat.v4.new_output("error", ename="ValueError", evalue="steps must be >= 1", traceback=[]))
    nbformat.write(nb, executed / NAME)
    with pytest.raises(site.SiteError, match=f"course/{NAME} failed when the tests ran it: cell \\d+ raised "
                                             "ValueError: steps must be >= 1. Fix the notebook"):
        site.checked_executed(NAME, executed)


def test_a_notebook_changed_since_the_tests_ran_it(executed):
    nb = nbformat.read(executed / NAME, as_version=4)
    next(c for c in nb.cells[3:] if c.cell_type == "code").source += "\nprint('an older version')"
    nbformat.write(nb, executed / NAME)
    with pytest.raises(site.SiteError, match=f"course/{NAME} has changed since the tests ran it"):
        site.checked_executed(NAME, executed)


def test_papermills_injected_parameters_are_not_a_change(executed):
    nb = nbformat.read(executed / NAME, as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell("CI = True", metadata={"tags": ["injected-parameters"]}))
    nbformat.write(nb, executed / NAME)
    site.checked_executed(NAME, executed)


def test_index_is_the_readme_with_working_links(tmp_path):
    text = site.index_markdown(REPO / "README.md", tmp_path)
    for name in notebook_names():
        assert f"](course/{name})" in text and f"[Open in Colab]({nbtools.colab_url(name)})" in text
    assert "colab-badge.svg" not in text, "read offline, the index shows no picture from Colab"
    assert f"]({nbtools.repository_url()}/blob/main/HACKING.md)" in text
    assert "](docs/screenshots/prompt_panel.png)" in text and (tmp_path / "docs/screenshots/prompt_panel.png").is_file()


def test_config_points_the_launch_buttons_at_the_repository():
    config = site.config("A title")
    assert nbtools.repository_url() in config and "colab.research.google.com" in config
    assert '"execute_notebooks": "off"' in config and "html-manager/embed.js" in config
