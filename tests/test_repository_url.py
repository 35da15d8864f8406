"""The repository URL is set in pyproject.toml alone; `make readme` rewrites the badges, the README's
table and every notebook's Colab setup cell from it."""

import shutil

import nbformat
import pytest

from notebooks import COURSE, REPO
from tools import nbtools, readme_table

FORK = "https://github.com/someone-else/a-fork"


@pytest.fixture
def fork(tmp_path, monkeypatch):
    """A copy of course/ and the README, with pyproject's URL changed to FORK."""
    shutil.copytree(COURSE, tmp_path / "course")
    shutil.copy(REPO / "README.md", tmp_path / "README.md")
    monkeypatch.setattr(nbtools, "repository_url", lambda: FORK)
    return tmp_path


def test_make_readme_rewrites_every_url_from_pyproject(fork):
    changed = readme_table.update_notebook_headers(fork / "course")
    assert changed == sorted(p.name for p in COURSE.glob("*.ipynb"))
    for path in sorted((fork / "course").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert f"https://colab.research.google.com/github/someone-else/a-fork/blob/main/course/{path.name}" \
            in nb.cells[0].source
        assert f"git clone -q --depth 1 {FORK} /content/deeper" in nb.cells[1].source
        assert "deeper-course" not in nb.cells[0].source + nb.cells[1].source
        original = nbformat.read(COURSE / path.name, as_version=4)
        assert [c.source for c in nb.cells[2:]] == [c.source for c in original.cells[2:]], "only the header changes"
    readme = readme_table.updated_readme(fork / "README.md", fork / "course")
    table = readme.partition(readme_table.START)[2].partition(readme_table.END)[0]
    assert table.count("someone-else/a-fork") == len(changed) and "deeper-course" not in table
    assert readme_table.update_notebook_headers(fork / "course") == [], "a second run changes nothing"


def test_a_notebook_without_a_badge_is_named(fork):
    path = fork / "course" / "01_mnist_lists_and_generators.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = nb.cells[0].source.split("[![Open in Colab]")[0]
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="01_mnist_lists_and_generators.ipynb: its title cell has no Colab badge"):
        readme_table.update_notebook_headers(fork / "course")
