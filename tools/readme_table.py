"""`make readme`: rewrite the README's table of notebooks from each notebook's title cell."""

import sys

import nbformat

from .nbtools import COURSE, REPO, badge

START, END = "<!-- notebooks:start -->", "<!-- notebooks:end -->"


def table() -> str:
    rows = ["| notebook | what it teaches | open |", "|---|---|---|"]
    for path in sorted(COURSE.glob("*.ipynb")):
        title_cell = nbformat.read(path, as_version=4).cells[0].source.splitlines()
        title = title_cell[0].lstrip("# ").strip()
        teaches = next(line for line in title_cell if line.startswith("*Teaches:*"))
        rows.append(f"| [{title}](course/{path.name}) | {teaches.removeprefix('*Teaches:*').strip()} "
                    f"| {badge(path.name)} |")
    return "\n".join(rows)


def updated_readme() -> str:
    text = (REPO / "README.md").read_text()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table()}\n{END}{tail}"


if __name__ == "__main__":
    new = updated_readme()
    if "--check" in sys.argv:
        sys.exit(new != (REPO / "README.md").read_text())
    (REPO / "README.md").write_text(new)
