"""Building course notebooks with the header every one of them shares.

Every notebook opens with: a title cell (`# NN · Title` and a `Teaches:` line, which the README
table is made from), the Colab badge, a setup cell that installs the course only on Colab, and a
cell tagged `parameters` (papermill overrides it in CI). Use `notebook(...)` to write one.
"""

import json
import tomllib
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
COURSE = REPO / "course"


def repository_url() -> str:
    """The one place the repository URL lives: `[project.urls] Repository` in pyproject.toml."""
    with open(REPO / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["urls"]["Repository"]


def colab_url(notebook_name: str) -> str:
    path = repository_url().removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{path}/blob/main/course/{notebook_name}"


def badge(notebook_name: str) -> str:
    return (f"[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(notebook_name)})")


def setup_source() -> str:
    url = repository_url()
    return (
        "# Setup. On Colab only: fetch the course and install it (its floors keep Colab's torch).\n"
        "# Elsewhere `make lab` has installed it already.\n"
        "import sys\n"
        "if \"google.colab\" in sys.modules:\n"
        f"    !git clone -q --depth 1 {url} /content/deeper\n"
        "    %pip install -q -e /content/deeper\n"
        "    sys.path.insert(0, \"/content/deeper\")\n"
        "    from deeper.doctor import doctor; doctor()  # one line: versions, GPU, models; what to do about a problem"
    )


def parameters_source(params: dict) -> str:
    lines = ["# Parameters: papermill replaces these in CI (CI=True: small settings, quiet progress bars)."]
    lines += [f"{name} = {value!r}" for name, value in params.items()]
    return "\n".join(lines)


def notebook(name: str, title: str, teaches: str, params: dict, cells: list[tuple[str, str]]) -> Path:
    """Write course/`name` with the shared header, then `cells`: ("md", text) or ("code", source).

    A code cell whose source starts with `#| tag: NAME` gets that tag (tests find cells by tag).
    """
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python"}}
    params = {"CI": False, **params}
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {title}\n\n*Teaches:* {teaches}\n\n{badge(name)}"),
        nbformat.v4.new_code_cell(setup_source()),
        nbformat.v4.new_code_cell(parameters_source(params), metadata={"tags": ["parameters"]}),
    ]
    for kind, text in cells:
        text = text.strip("\n")
        if kind == "md":
            nb.cells.append(nbformat.v4.new_markdown_cell(text))
            continue
        tags = []
        while text.startswith("#| tag: "):
            first, _, text = text.partition("\n")
            tags.append(first.removeprefix("#| tag: ").strip())
        nb.cells.append(nbformat.v4.new_code_cell(text, metadata={"tags": tags} if tags else {}))
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:02d}"  # stable ids keep regenerated notebooks' diffs small
    path = COURSE / name
    nbformat.write(nb, path)
    return path


def strip(path: Path) -> None:
    """Remove outputs, execution counts and widget state, in place (what git must hold)."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)


if __name__ == "__main__":  # python -m tools.nbtools strip course/*.ipynb
    import sys
    for p in sys.argv[2:]:
        strip(Path(p))
