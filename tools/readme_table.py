"""`make readme`: rewrite whatever the repository URL and the notebooks' title cells make.

The URL lives in one place, pyproject.toml's `[project.urls] Repository`. From it and from each
notebook's title cell this rewrites the README's table of notebooks, and each notebook's Colab badge
and Colab setup cell (`tools.nbtools` makes both). The site (`make site`) reads the URL itself.
"""

import re
import sys
from pathlib import Path

import nbformat

from . import nbtools
from .nbtools import COURSE, REPO

START, END = "<!-- notebooks:start -->", "<!-- notebooks:end -->"
BADGE = re.compile(r"\[!\[Open in Colab\]\(https://colab\.research\.google\.com/assets/colab-badge\.svg\)\]\([^)]*\)")


def table(course: Path = COURSE) -> str:
    rows = ["| notebook | what it teaches | open |", "|---|---|---|"]
    for path in sorted(Path(course).glob("*.ipynb")):
        title_cell = nbformat.read(path, as_version=4).cells[0].source.splitlines()
        title = title_cell[0].lstrip("# ").strip()
        teaches = next(line for line in title_cell if line.startswith("*Teaches:*"))
        rows.append(f"| [{title}](course/{path.name}) | {teaches.removeprefix('*Teaches:*').strip()} "
                    f"| {nbtools.badge(path.name)} |")
    return "\n".join(rows)


def updated_readme(readme: Path = REPO / "README.md", course: Path = COURSE) -> str:
    text = Path(readme).read_text()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table(course)}\n{END}{tail}"


def update_notebook_headers(course: Path = COURSE) -> list[str]:
    """Each notebook's badge and setup cell as nbtools makes them now; returns the names rewritten.
    Each file is read right before it is written, so a notebook edited meanwhile keeps its edits."""
    changed = []
    for path in sorted(Path(course).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        title, setup = nb.cells[0], nb.cells[1]
        new_title = BADGE.sub(lambda _: nbtools.badge(path.name), title.source)
        if new_title == title.source and new_title.find(nbtools.badge(path.name)) < 0:
            raise ValueError(f"{path}: its title cell has no Colab badge to rewrite; add one with tools.nbtools")
        if new_title != title.source or setup.source != nbtools.setup_source():
            title.source, setup.source = new_title, nbtools.setup_source()
            nbformat.write(nb, path)
            changed.append(path.name)
    return changed


if __name__ == "__main__":
    new = updated_readme()
    if "--check" in sys.argv:
        sys.exit(new != (REPO / "README.md").read_text())
    (REPO / "README.md").write_text(new)
    for name in update_notebook_headers():
        print(f"rewrote the header of course/{name}")
