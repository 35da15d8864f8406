"""Every picture of pictures in every executed notebook is a labelled grid (`deeper.images.labelled_grid`):
its PNG carries the labels drawn into it. The other pictures are matplotlib figures (plots, and the
odd single digit shown with `imshow` of an array), and no cell composes images without labels."""

import base64
import io
import re

import nbformat
import pytest
from PIL import Image

from deeper.images import grid_labels
from notebooks import COURSE, executed, notebook_names, widget_states

pytestmark = pytest.mark.notebook

# Pictures put together without their labels: the bare grid, or a grid or tensor drawn by imshow.
UNLABELLED = re.compile(r"\bimage_grid\(|imshow\((image_grid|to_pil|torch\.cat)\b")


def png_outputs(nb):
    """(cell source, PNG bytes) for every image a code cell displayed."""
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if "image/png" in out.get("data", {}):
                yield cell.source, base64.b64decode(out.data["image/png"])


def check_labels(labels: dict, where: str) -> None:
    n_rows, n_cols = labels["shape"]
    assert not labels["rows"] or len(labels["rows"]) == n_rows, where
    assert not labels["cols"] or len(labels["cols"]) == n_cols, where
    if n_rows * n_cols > 1:
        assert any(label.strip() for label in labels["rows"] + labels["cols"]), f"{where}: a grid with blank labels"


@pytest.mark.parametrize("name", notebook_names())
def test_no_cell_composes_pictures_without_labels(name):
    sources = [c.source for c in nbformat.read(COURSE / name, as_version=4).cells if c.cell_type == "code"]
    offending = [s for s in sources if UNLABELLED.search(s)]
    assert not offending, f"{name}: use deeper.images.labelled_grid for a grid of pictures:\n{offending[0]}"


@pytest.mark.parametrize("name", notebook_names())
def test_every_picture_is_a_labelled_grid_or_a_figure(name):
    nb = executed(name)
    for source, png in png_outputs(nb):
        where = f"{name}, the cell starting {source.splitlines()[0]!r}"
        labels = grid_labels(png)
        if labels is not None:
            check_labels(labels, where)
        else:
            software = getattr(Image.open(io.BytesIO(png)), "text", {}).get("Software", "")
            assert software.startswith("Matplotlib"), f"{where}: a picture that is neither a labelled grid nor a figure"
    for model in widget_states(nb, "ImageModel"):  # the widgets' grids (the panel's strip, the latent channels)
        value = model["state"].get("value")
        data = base64.b64decode(value) if isinstance(value, str) else base64.b64decode(
            (model.get("buffers") or [{}])[0].get("data", ""))
        if data.startswith(b"\x89PNG") and grid_labels(data) is not None:
            check_labels(grid_labels(data), f"{name}, a widget's picture")
