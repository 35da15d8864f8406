"""What git holds: notebooks stripped and built to the shared header; README and environment.yml in step."""

import re
import tomllib

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement

from notebooks import COURSE, REPO, notebook_names
from tools import nbtools, readme_table

NOTEBOOKS = notebook_names()


def test_there_are_notebooks():
    assert NOTEBOOKS, "course/ holds no notebook"


@pytest.fixture(params=NOTEBOOKS)
def nb(request):
    return request.param, nbformat.read(COURSE / request.param, as_version=4)


def test_notebook_is_stripped(nb):
    name, notebook = nb
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: run `python -m tools.nbtools strip`"
    assert "widgets" not in notebook.metadata, f"{name} carries widget state"


def test_notebook_name(nb):
    assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", nb[0])


def test_notebook_opens_with_title_and_badge(nb):
    name, notebook = nb
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert "*Teaches:*" in first.source
    assert nbtools.badge(name) in first.source, "the badge must point at this notebook in the repository"


def test_setup_cell_installs_only_on_colab(nb):
    name, notebook = nb
    setup = notebook.cells[1].source
    assert setup == nbtools.setup_source(), f"{name}: the setup cell drifted from tools/nbtools.py"
    assert 'if "google.colab" in sys.modules:' in setup
    install_lines = [l for l in setup.splitlines() if "pip install" in l or "git clone" in l]
    assert install_lines and all(l.startswith("    ") for l in install_lines), "installs only inside the Colab branch"
    assert nbtools.repository_url() in setup


def test_parameters_cell(nb):
    name, notebook = nb
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{name}: one cell tagged parameters"
    assert re.search(r"^CI = False$", tagged[0].source, re.M)


def test_readme_lists_every_notebook():
    assert readme_table.updated_readme() == (REPO / "README.md").read_text(), "run `make readme`"
    readme = (REPO / "README.md").read_text()
    for name in NOTEBOOKS:
        assert nbtools.colab_url(name) in readme


def test_repository_url_lives_in_one_place():
    url = nbtools.repository_url()
    for path in list(REPO.glob("**/*.py")) + list(REPO.glob("*.md")) + list(REPO.glob("*.toml")):
        if ".venv" in path.parts or path.name == "pyproject.toml":
            continue
        assert url not in path.read_text(errors="ignore") or path.name == "README.md", f"{path} repeats the URL"


def test_environment_yml_matches_pyproject():
    """conda users install the package itself, so they get pyproject's dependencies; any package
    environment.yml pins must be one pyproject depends on, at a version its constraint admits."""
    with open(REPO / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    deps = {Requirement(d).name: Requirement(d) for d in project["dependencies"]}
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert any(p.startswith("-e .") for p in pip_section), "environment.yml must install the package"
    for pin in (Requirement(p) for p in pip_section if not p.startswith("-e")):
        assert pin.name in deps, f"environment.yml pins {pin.name}, which pyproject does not depend on"
        version = next(iter(pin.specifier)).version
        assert deps[pin.name].specifier.contains(version), f"{pin} is outside pyproject's {deps[pin.name]}"
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert python == "python" + project["requires-python"]


def test_readme_pictures_exist():
    """Each screenshot the README shows is in docs/screenshots (made by `make screenshots`)."""
    readme = (REPO / "README.md").read_text()
    pictures = re.findall(r"\]\((docs/screenshots/[^)]+\.png)\)", readme)
    assert pictures, "the README shows the widgets"
    for picture in pictures:
        assert (REPO / picture).is_file(), f"{picture} is missing: run `make screenshots`"


# The layout of deeper/: each package imports only the packages below it (and the plain modules at
# the top, such as deeper.paths); the entry points (`python -m deeper`, the doctor) sit above all.
LAYERS = {"sd": 1, "digits": 2, "tinysd": 3, "papers": 4, "exercises": 5}
ENTRY_POINTS = {"__main__", "doctor"}
DEEPER = REPO / "deeper"


def layer(module: str) -> int:
    """A module's layer, `module` dotted inside deeper ("sd.parts", "paths")."""
    top = module.split(".")[0]
    return LAYERS.get(top, 9 if top in ENTRY_POINTS else 0)


def deeper_imports(path):
    """(line, module inside deeper) for every import of deeper in the file at `path`, relative ones resolved."""
    import ast
    package = list(path.relative_to(DEEPER).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - node.level + 1]
            names = [".".join(base + node.module.split("."))] if node.module else [".".join(base + [a.name]) for a in node.names]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            full = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            names = [n.removeprefix("deeper").lstrip(".") for n in full if n == "deeper" or n.startswith("deeper.")]
        else:
            continue
        yield from ((node.lineno, name) for name in names if name)


def test_imports_run_downward():
    upward = []
    for path in sorted(DEEPER.rglob("*.py")):
        here = ".".join(path.relative_to(DEEPER).with_suffix("").parts)
        for line, name in deeper_imports(path):
            if layer(name) > layer(here):
                upward.append(f"deeper/{path.relative_to(DEEPER)}:{line} imports deeper.{name}")
    assert not upward, "imports that run upward (LAYERS in this test):\n" + "\n".join(upward)



# Words that are colours outside the palette's sense: PIL's canvases, matplotlib's lines and colour maps.
NOT_THE_PALETTE = {("deeper/images.py", "white"), ("widgets/prompt_panel.py", "white"),
                   ("widgets/matrix_inspector.py", "black"), ("widgets/matrix_inspector.py", "white"),
                   ("widgets/imagic_explorer.py", "gray"), ("widgets/rng_visualiser.py", "gray")}


def test_only_deeper_digits_knows_the_palette():
    """No module of deeper/ or widgets/ outside deeper/digits names a palette colour or restates its
    RGB: a palette change is one edit there. Docstrings and example prompts inside longer strings don't count."""
    import ast
    captions = ast.parse((DEEPER / "digits" / "captions.py").read_text())
    PALETTE = next(ast.literal_eval(n.value) for n in captions.body
                   if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "PALETTE")
    rgb = {tuple(round(v, 3) for v in c) for c in PALETTE.values()}
    found = []
    for path in sorted([*DEEPER.rglob("*.py"), *(REPO / "widgets").rglob("*.py")]):
        where = path.relative_to(REPO).as_posix()
        if where.startswith("deeper/digits/"):
            continue
        tree = ast.parse(path.read_text())
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                      and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in PALETTE and id(node) not in docstrings:
                if (where, node.value) not in NOT_THE_PALETTE:
                    found.append(f"{where}:{node.lineno} names {node.value!r}")
            if isinstance(node, ast.Tuple) and len(node.elts) == 3 and all(
                    isinstance(e, ast.Constant) and isinstance(e.value, float) for e in node.elts):
                if tuple(round(e.value, 3) for e in node.elts) in rgb:
                    found.append(f"{where}:{node.lineno} restates a palette colour")
    assert not found, "palette colours outside deeper/digits:\n" + "\n".join(found)
