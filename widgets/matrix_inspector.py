"""Matrix inspector: a list of lists, a `Matrix`, a numpy array or a tensor (2-D, or 3-D/4-D by
choosing slices) shown as a heat map; pick a row and column and see `m[i, j]`, its value, and the
`__getitem__` call Python made to get it. A small matrix shows its numbers in the cells; an index may
count from the end (-1), as Python's does. For tensors also the shape, strides, dtype and whether it
is a view of another tensor."""

import html

import ipywidgets as W
import numpy as np
from PIL import Image, ImageDraw

from deeper.images import label_font
from deeper.matrix import check_rows

from .common import MessageLine, png_bytes, shows_errors

IMAGE_PIXELS = 320  # the heat map's longer side is at most this many pixels
MAX_SLICE_DIMS = 2  # a 4-D tensor is two slice sliders and a 2-D picture
NUMBERS_FROM = 28  # pixels: cells at least this big (matrices up to 11 a side) show their numbers
HOW_TO_PICK = ("Pick a cell with the sliders or by typing its index (-1 counts from the end); the picture "
               "itself takes no clicks: core ipywidgets' Image has no click events.")


def _is_tensor(m) -> bool:
    return type(m).__module__.startswith("torch") and hasattr(m, "stride")


def _check(m) -> tuple[str, tuple, np.ndarray | None]:
    """(kind, shape, the rows as an array for a list or Matrix) for what the inspector can show, or a
    clear error for what it cannot. Tensors are not copied: each picture reads only its own slice."""
    if _is_tensor(m) or isinstance(m, np.ndarray):
        kind, shape = ("tensor" if _is_tensor(m) else "array"), tuple(m.shape)
        _check_numbers(m, kind)
        if not 2 <= len(shape) <= 2 + MAX_SLICE_DIMS:
            raise ValueError(f"a {len(shape)}-D {kind} of shape {shape}: the inspector shows "
                             f"2-D to {2 + MAX_SLICE_DIMS}-D (reshape it, e.g. x.reshape(-1, 28, 28))")
        if 0 in shape:
            raise ValueError(f"an empty {kind} of shape {shape}: nothing to show")
        return kind, shape, None
    rows = getattr(m, "xs", m)  # the lesson's Matrix keeps its list of lists in .xs
    if not isinstance(rows, (list, tuple)):
        raise TypeError(f"cannot show a {type(m).__name__}: give a list of lists, a Matrix or a tensor")
    if rows and not isinstance(rows[0], (list, tuple)):
        raise ValueError(f"a flat list of {len(rows)} numbers is 1-D: split it into rows first "
                         f"(e.g. list(chunks(x, 28)))")
    array = np.array(check_rows(rows), dtype=np.float64)
    return ("list" if rows is m else "matrix"), array.shape, array


def _check_numbers(m, kind: str) -> None:
    """A clear error for a tensor or array that has a shape but no plain real numbers to draw."""
    if kind == "tensor":
        import torch

        what = ("a meta tensor has a shape but no values: make it on a real device (e.g. torch.zeros(..., device='cpu'))"
                if m.is_meta else
                f"a sparse tensor (layout {m.layout}): show its dense form, x.to_dense()" if m.layout != torch.strided else
                f"a complex tensor ({m.dtype}): show x.real, x.imag or x.abs()" if m.is_complex() else None)
    else:
        what = (None if m.dtype.kind in "biuf" else
                f"a complex array ({m.dtype}): show x.real, x.imag or abs(x)" if m.dtype.kind == "c" else
                f"an array of dtype {m.dtype} holds no plain numbers: convert it, e.g. x.astype(float)")
    if what:
        raise TypeError(f"cannot show {what}")


def _plane(m, rows: np.ndarray | None, lead: tuple, steps: tuple) -> np.ndarray:
    """The 2-D picture at index `lead`, every steps-th row and column (large matrices are thinned)."""
    source = rows if rows is not None else m[lead]
    small = source[::steps[0], ::steps[1]]
    if _is_tensor(small):
        small = small.detach().cpu().double().numpy()
    return np.asarray(small, dtype=np.float64)


def _heat_map(small: np.ndarray, si: int, sj: int) -> bytes:
    """PNG of a 2-D array in viridis, each cell a square, row si and column sj tinted, (si, sj) boxed;
    cells big enough show their numbers."""
    from matplotlib import colormaps

    finite = np.isfinite(small)
    lo, hi = (small[finite].min(), small[finite].max()) if finite.any() else (0.0, 0.0)
    scaled = np.where(finite, (small - lo) / (hi - lo) if hi > lo else 0.0, 0.0)
    rgb = colormaps["viridis"](scaled)[..., :3]
    rgb[~finite] = (1.0, 1.0, 1.0)  # NaN and infinities in white: they have no place on the scale
    rgb[si, :] = 0.7 * rgb[si, :] + 0.3
    rgb[:, sj] = 0.7 * rgb[:, sj] + 0.3
    cell = max(1, IMAGE_PIXELS // max(small.shape))
    big = np.repeat(np.repeat(rgb, cell, axis=0), cell, axis=1)
    top, left, edge = si * cell, sj * cell, 2 if cell >= 6 else 1
    box = big[top:top + cell, left:left + cell]
    for side in (np.s_[:edge], np.s_[-edge:], np.s_[:, :edge], np.s_[:, -edge:]):
        box[side] = (1.0, 0.1, 0.1)  # a red frame around (i, j)
    if cell < NUMBERS_FROM:
        return png_bytes(big)
    picture = Image.fromarray((big * 255).round().astype(np.uint8))
    draw, font = ImageDraw.Draw(picture), label_font(max(11, min(18, cell // 4)))
    for (i, j), value in np.ndenumerate(small):
        text = f"{value:.3g}"
        ink = "black" if rgb[i, j].mean() > 0.5 else "white"  # viridis is dark at the low end, light at the high
        x, y = (j + 0.5) * cell - font.getlength(text) / 2, (i + 0.5) * cell - font.size / 2 - 1
        draw.text((x, y), text, font=font, fill=ink)
    return png_bytes(picture)


def _picture(m, kind: str, shape: tuple, rows: np.ndarray | None, index: tuple, name: str) -> tuple[bytes, str]:
    """(heat map PNG, expression HTML) at `index`: computed before anything on screen changes, so what
    cannot be drawn leaves the last picture there."""
    *lead, i, j = index
    steps = tuple(max(1, -(-n // IMAGE_PIXELS)) for n in shape[-2:])  # at most ~320 cells a side
    small = _plane(m, rows, tuple(lead), steps)
    return _heat_map(small, i // steps[0], j // steps[1]), _expression(m, kind, name, index)


def _expression(m, kind: str, name: str, index: tuple) -> str:
    """`m[i, j]`, the __getitem__ call(s) that computed it, and the value, read from `m` itself."""
    if kind == "list":
        i, j = index
        text, call, value = f"{name}[{i}][{j}]", f"{name}.__getitem__({i}).__getitem__({j})", m[i][j]
    else:
        text, call, value = f"{name}[{', '.join(map(str, index))}]", f"{name}.__getitem__({index})", m[index]
    return (f'<code>{html.escape(text)}</code> &nbsp;is&nbsp; <code>{html.escape(call)}</code>'
            f' &nbsp;→&nbsp; <b><code>{html.escape(repr(value))}</code></b>')


def _describe(m, kind: str, shape: tuple) -> str:
    """One line: the shape, and for tensors the strides, dtype and whether it is a view."""
    if kind == "list":
        return f"a list of {shape[0]} lists of {shape[1]} · shape ({shape[0]}, {shape[1]})"
    if kind == "matrix":
        return f"a {type(m).__name__} · shape ({shape[0]}, {shape[1]})"
    if kind == "array":
        view = "a view of another array" if m.base is not None else "owns its memory"
        return f"numpy array · shape {m.shape} · strides {m.strides} (bytes) · dtype {m.dtype} · {view}"
    base = m._base
    view = f"a view of a tensor of shape {tuple(base.shape)}" if base is not None else "not a view"
    return (f"tensor · shape {tuple(m.shape)} · strides {m.stride()} · dtype {m.dtype} · "
            f"storage offset {m.storage_offset()} · {view}")


class MatrixInspector(W.VBox):
    """Show `m` as a heat map and read one element of it: `inspector.matrix = x` or `inspector.show(x)`."""

    def __init__(self, m=None, name: str = "m"):
        super().__init__()
        self._m, self._kind, self._shape, self._rows, self.name = None, None, None, None, name
        self.image = W.Image(format="png", layout=W.Layout(align_self="flex-start"))  # natural size, not stretched
        self.info = W.HTML()
        self.slice_sliders = [W.IntSlider(description=f"dim {k}", min=0, max=0) for k in range(MAX_SLICE_DIMS)]
        self.row_slider = W.IntSlider(description="row i", min=0, max=0)
        self.col_slider = W.IntSlider(description="column j", min=0, max=0)
        self.index_box = W.Text(description="index", placeholder="e.g. 20, 15", continuous_update=False)
        self.expression = W.HTML()
        self.how_to_pick = W.HTML(f'<span style="color:#555">{html.escape(HOW_TO_PICK)}</span>')
        self.message = MessageLine()
        for widget, dom in [(self.row_slider, "deeper-row"), (self.col_slider, "deeper-col"),
                            (self.index_box, "deeper-index"), (self.expression, "deeper-expression"),
                            (self.image, "deeper-heatmap"), (self.info, "deeper-shape")]:
            widget.add_class(dom)
        for k, slider in enumerate(self.slice_sliders):
            slider.add_class(f"deeper-slice-{k}")
            slider.layout.display = "none"
        for slider in [*self.slice_sliders, self.row_slider, self.col_slider]:
            slider.observe(self._on_slider, names="value")
        self.index_box.observe(self._on_index_box, names="value")
        self.children = [self.info, self.image, *self.slice_sliders, self.row_slider, self.col_slider,
                         self.index_box, self.expression, self.how_to_pick, self.message]
        self._busy = False
        if m is not None:
            self.show(m)

    @property
    def matrix(self):
        return self._m

    @matrix.setter
    def matrix(self, m):
        self.show(m)

    @property
    def index(self) -> tuple[int, ...]:
        """The index now selected: the slice dims, then row and column."""
        dims = 0 if self._shape is None else len(self._shape) - 2
        return (*[s.value for s in self.slice_sliders[:dims]], self.row_slider.value, self.col_slider.value)

    @shows_errors
    def show(self, m, name: str | None = None):
        """Inspect `m`: anything it cannot show becomes a message, and the previous matrix stays."""
        kind, shape, rows = _check(m)
        dims = len(shape) - 2
        index = (*[min(s.value, n - 1) for s, n in zip(self.slice_sliders[:dims], shape)],
                 min(self.row_slider.value, shape[-2] - 1), min(self.col_slider.value, shape[-1] - 1))
        name = name or self.name
        picture = _picture(m, kind, shape, rows, index, name)  # raises before anything has changed
        info = html.escape(_describe(m, kind, shape))
        self._m, self._kind, self._shape, self._rows, self.name = m, kind, shape, rows, name
        self._busy = True
        try:
            for k, slider in enumerate(self.slice_sliders):
                slider.max = shape[k] - 1 if k < dims else 0
                slider.value = index[k] if k < dims else 0
                slider.layout.display = None if k < dims else "none"
            self.row_slider.max, self.col_slider.max = shape[-2] - 1, shape[-1] - 1
            self.row_slider.value, self.col_slider.value = index[-2:]
        finally:
            self._busy = False
        self.info.value = info
        self.message.clear()
        self.image.value, self.expression.value = picture

    @shows_errors
    def select(self, *index: int):
        """Select `index` (slice dims, row, column; negative ones count from the end, as in Python); out of
        range is an IndexError giving the shape."""
        if self._shape is None:
            raise ValueError("nothing to index yet: show a matrix first")
        shape = self._shape
        if len(index) != len(shape) or not all(isinstance(k, (int, np.integer)) for k in index):
            raise IndexError(f"give {len(shape)} integers for shape {shape}; got {index}")
        if not all(-n <= k < n for k, n in zip(index, shape)):
            raise IndexError(f"index {tuple(index)} is out of range for shape {shape}")
        typed, index = tuple(int(k) for k in index), tuple(int(k) % n for k, n in zip(index, shape))
        picture = _picture(self._m, self._kind, shape, self._rows, index, self.name)
        self._busy = True
        try:
            for slider, k in zip([*self.slice_sliders[:len(shape) - 2], self.row_slider, self.col_slider], index):
                slider.value = k
        finally:
            self._busy = False
        if typed != index:
            self.message.show_info(f"{self.name}[{', '.join(map(str, typed))}] counts from the end: it is "
                                   f"{self.name}[{', '.join(map(str, index))}]")
        else:
            self.message.clear()
        self.image.value, self.expression.value = picture

    @shows_errors
    def _on_slider(self, change):
        if not self._busy and self._shape is not None:
            self._render()
            self.message.clear()

    @shows_errors
    def _on_index_box(self, change):
        text = change["new"].strip().strip("[]()")
        if text:
            try:
                index = [int(part) for part in text.split(",")]
            except ValueError:
                raise ValueError(f"write the index as integers separated by commas, e.g. 20, 15; got {change['new']!r}")
            self.select(*index)

    def _render(self):
        self.image.value, self.expression.value = _picture(self._m, self._kind, self._shape, self._rows,
                                                           self.index, self.name)
