"""Executing course notebooks with papermill, once per test session, and reading what they computed."""

import base64
import json
import os
import re
import time
from functools import lru_cache
from pathlib import Path

import nbformat
import papermill

REPO = Path(__file__).resolve().parent.parent
COURSE = REPO / "course"
# make test-colab sets NOTEBOOK_OUTPUT, so its runs land beside make test's (the site is built from those).
OUTPUT = REPO / os.environ.get("NOTEBOOK_OUTPUT", "tests/output/notebooks")
CELL_TIMEOUT = 600  # seconds: a per-cell limit; a hung cell fails its notebook instead of CI
TIMES = OUTPUT / "times.json"


def notebook_names() -> list[str]:
    return sorted(p.name for p in COURSE.glob("*.ipynb"))


@lru_cache(maxsize=None)
def executed(name: str) -> nbformat.NotebookNode:
    """Run course/`name` with CI=True into tests/output/notebooks/ and return the executed notebook.

    Cached, so the notebook run and every test asserting on it share one execution.
    """
    OUTPUT.mkdir(parents=True, exist_ok=True)
    out = OUTPUT / name
    start = time.perf_counter()
    papermill.execute_notebook(
        str(COURSE / name), str(out), parameters={"CI": True}, cwd=str(COURSE),
        execution_timeout=CELL_TIMEOUT, kernel_name="python3", progress_bar=False,
    )
    times = json.loads(TIMES.read_text()) if TIMES.exists() else {}
    times[name] = round(time.perf_counter() - start, 1)
    TIMES.write_text(json.dumps(times, indent=1, sort_keys=True))
    return nbformat.read(out, as_version=4)


def tagged(nb, tag: str):
    """The code cell carrying `tag` (tests find cells by tag, not position)."""
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    return cells[0]


def text_output(nb, tag: str) -> str:
    """Everything the tagged cell printed or returned as text."""
    parts = []
    for out in tagged(nb, tag).outputs:
        if out.output_type == "stream":
            parts.append(out.text)
        elif "data" in out and "text/plain" in out.data:
            parts.append(out.data["text/plain"])
    return "".join(parts)


def grid_of(nb, tag: str) -> dict:
    """The labels of the one labelled grid (`deeper.images.labelled_grid`) the tagged cell displayed."""
    from deeper.images import grid_labels

    grids = [grid_labels(base64.b64decode(out.data["image/png"])) for out in tagged(nb, tag).outputs
             if "image/png" in out.get("data", {})]
    assert len(grids) == 1 and grids[0] is not None, f"{tag}: expected one labelled grid"
    return grids[0]


def has_image(nb, tag: str) -> bool:
    return any("image/png" in out.get("data", {}) for out in tagged(nb, tag).outputs)


def widget_states(nb, model_name: str | None = None) -> list[dict]:
    """The widget models papermill saved in the notebook's metadata, optionally of one model class."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    models = [m for m in state.values()]
    return [m for m in models if model_name is None or m.get("model_name") == model_name]


def png_of(model: dict) -> bytes:
    """An Image widget's saved value: inline base64, or its first binary buffer."""
    value = model["state"].get("value")
    if isinstance(value, str) and value:
        return base64.b64decode(value)
    buffers = model.get("buffers") or [{}]
    return base64.b64decode(buffers[0].get("data", ""))


def table_rows(text: str) -> list[list[str]]:
    """The body of a `deeper.papers.evaluate.format_table` table (header and rule skipped), split into cells."""
    lines = text.strip().splitlines()
    return [re.split(r"\s{2,}", line.strip()) for line in lines[2:]]
