"""Tensors to pictures and back: images in [0, 1] to PIL (rounded as diffusers rounds them), grids
of images (`labelled_grid`: with their row and column labels drawn in), latent channels as grey
tiles, and nearest-neighbour enlargement for tiny images."""

import importlib.util
import io
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont, ImageOps, PngImagePlugin

# The PNG text chunk a labelled grid carries: its labels, so a test can tell it from a bare picture.
GRID_KEY = "deeper.labelled_grid"
FONT_SIZE = 15  # pixels: about 11 pt at 100% zoom, readable on a projector
ROW_LABEL_WIDTH = 280  # pixels at most; longer row labels wrap


DAMAGED = ("The model's weights are likely damaged: check them with `python -m deeper.manifest --check` "
           "and restore the shipped ones with `git checkout -- data/`; on a GPU in float16, load in "
           "float32 instead (load_parts(dtype=torch.float32))")


def check_finite(values: torch.Tensor, what: str) -> torch.Tensor:
    """`values` unchanged, or a ValueError saying how many are NaN or infinite and the likely cause."""
    bad = (~torch.isfinite(values.detach())).sum().item()
    if bad:
        raise ValueError(f"{what} hold {bad:,} NaN or infinite values of {values.numel():,}, so the image "
                         f"would come out black. {DAMAGED}")
    return values


def to_pil(images: torch.Tensor) -> list[Image.Image]:
    """(b, 3, H, W) or (3, H, W) in [0, 1] -> PIL images, with the pipeline's exact rounding
    (NaN or infinite pixels are a ValueError: `check_finite`)."""
    check_finite(images, "the decoded images")
    if images.ndim == 3:
        images = images[None]
    arrays = (images.detach().cpu().permute(0, 2, 3, 1).float().numpy() * 255).round().astype("uint8")
    return [Image.fromarray(a) for a in arrays]


def from_pil(image: Image.Image, size: tuple[int, int] | None = None) -> torch.Tensor:
    """A PIL image -> (1, 3, H, W) float32 in [0, 1], resized to `size` (width, height) if given."""
    image = image.convert("RGB")
    if size is not None and image.size != tuple(size):
        image = image.resize(tuple(size), Image.Resampling.LANCZOS)
    return torch.from_numpy(np.asarray(image, dtype=np.float32) / 255).permute(2, 0, 1)[None]


def enlarge(image: Image.Image, min_side: int = 128) -> Image.Image:
    """Scale a small image up by a whole factor (nearest neighbour: pixels stay crisp) to at least `min_side`."""
    factor = max(1, -(-min_side // min(image.size)))
    return image if factor == 1 else image.resize((image.width * factor, image.height * factor), Image.Resampling.NEAREST)


def thumbnail(image: Image.Image, side: int) -> Image.Image:
    """`image` scaled so its longer side is `side`: crisp (nearest) when enlarging, smooth when shrinking."""
    factor = side / max(image.size)
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    resample = Image.Resampling.NEAREST if factor >= 1 else Image.Resampling.LANCZOS
    return image if size == image.size else image.resize(size, resample)


def image_grid(images: list[Image.Image], cols: int | None = None, side: int | None = None, pad: int = 2,
               background="white") -> Image.Image:
    """Images of one size in a grid, `cols` wide (all in one row by default), `pad` pixels apart;
    with `side`, each is first scaled (see `thumbnail`) so its longer side is that many pixels."""
    if not images:
        raise ValueError("image_grid needs at least one image")
    if side is not None:
        images = [thumbnail(image, side) for image in images]
    cols = cols or len(images)
    rows = -(-len(images) // cols)
    w, h = images[0].size
    grid = Image.new("RGB", (cols * w + (cols - 1) * pad, rows * h + (rows - 1) * pad), background)
    for k, image in enumerate(images):
        grid.paste(image.convert("RGB"), ((k % cols) * (w + pad), (k // cols) * (h + pad)))
    return grid


def channel_tiles(latents: torch.Tensor) -> list[Image.Image]:
    """Each channel of (c, h, w) latents as a grey image, scaled from its own min (black) to max (white)."""
    tiles = []
    for channel in latents.detach().float().cpu():
        low, high = channel.min(), channel.max()
        scaled = (channel - low) / (high - low) if high > low else torch.zeros_like(channel)
        tiles.append(Image.fromarray((scaled.numpy() * 255).round().astype("uint8")))
    return tiles


@lru_cache(maxsize=None)
def label_font(size: int = FONT_SIZE) -> ImageFont.ImageFont:
    """DejaVu Sans at `size` pixels (the TrueType file matplotlib ships, found without importing it),
    else Pillow's own scalable font."""
    spec = importlib.util.find_spec("matplotlib")
    if spec and spec.submodule_search_locations:
        path = Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def wrap(text: str, font: ImageFont.ImageFont, width: float) -> list[str]:
    """`text` as lines no wider than `width` pixels (split at spaces and at its own newlines; a single
    word wider than that keeps a line to itself)."""
    lines = []
    for paragraph in str(text).split("\n"):
        line = ""
        for word in paragraph.split(" "):
            trial = f"{line} {word}" if line else word
            if line and font.getlength(trial) > width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return lines


@dataclass(frozen=True)
class LabelledGrid:
    """A grid of images with its labels drawn in. Shown in a notebook it is its PNG, which also
    carries the labels as a text chunk (`GRID_KEY`); `image` is the PIL picture."""

    image: Image.Image
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    title: str
    shape: tuple[int, int]  # (rows, columns) of pictures

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size

    def labels(self) -> dict:
        return {"rows": list(self.rows), "cols": list(self.cols), "title": self.title, "shape": list(self.shape)}

    def png(self) -> bytes:
        info = PngImagePlugin.PngInfo()
        info.add_itxt(GRID_KEY, json.dumps(self.labels()))
        buffer = io.BytesIO()
        self.image.save(buffer, format="PNG", pnginfo=info)
        return buffer.getvalue()

    def _repr_png_(self) -> bytes:
        return self.png()

    def save(self, path) -> None:
        Path(path).write_bytes(self.png())


def grid_labels(png: bytes) -> dict | None:
    """The labels a `LabelledGrid`'s PNG carries, or None for a PNG that is not one."""
    text = getattr(Image.open(io.BytesIO(png)), "text", {})
    return json.loads(text[GRID_KEY]) if GRID_KEY in text else None


def labelled_grid(images: list[Image.Image], cols: list[str] | None = None, rows: list[str] | None = None,
                  title: str = "", side: int | None = None, pad: int = 4, font_size: int = FONT_SIZE) -> LabelledGrid:
    """Images of one size in a grid with a label over each column (`cols`), beside each row (`rows`)
    and a `title` above, all drawn into the picture and wrapped to fit. With `cols` the grid is
    `len(cols)` pictures wide, else `len(images) // len(rows)`; `side` scales each picture first (see
    `thumbnail`). More than one picture needs labels: a grid whose rows and columns mean nothing
    written on it leaves the student to guess."""
    if not images:
        raise ValueError("labelled_grid needs at least one image")
    cols, rows = [str(c) for c in cols or []], [str(r) for r in rows or []]
    if len(images) > 1 and not (cols or rows):
        raise ValueError(f"labelled_grid got {len(images)} images and no labels: name the columns (cols=...) "
                         "or the rows (rows=...)")
    n_cols = len(cols) or (len(images) // len(rows) if rows else 1)
    n_rows = len(rows) or -(-len(images) // n_cols)
    if n_cols == 0 or n_rows * n_cols != len(images):
        raise ValueError(f"labelled_grid got {len(images)} images for {len(rows) or 'unlabelled'} rows and "
                         f"{len(cols) or 'unlabelled'} columns: the counts must match")
    if side is not None:
        images = [thumbnail(image, side) for image in images]
    font = label_font(font_size)
    line = font_size + 4
    w, h = images[0].size
    col_font, col_line = font, line  # smaller (down to 11 px) where a column's longest word would not fit
    for size in range(font_size, 10, -1):
        col_font, col_line = label_font(size), size + 4
        if all(col_font.getlength(word) <= w + pad for c in cols for word in c.split()):
            break
    col_lines = [wrap(c, col_font, w + pad) for c in cols]
    row_width = min(ROW_LABEL_WIDTH, max((font.getlength(r_line) for r in rows for r_line in r.split("\n")),
                                         default=0))
    row_lines = [wrap(r, font, row_width) for r in rows]
    row_band = int(row_width) + 2 * pad if rows else 0
    grid_w = n_cols * w + (n_cols - 1) * pad
    title_lines = wrap(title, font, row_band + grid_w) if title else []
    title_band = len(title_lines) * line + pad if title else 0
    col_band = max((len(ls) for ls in col_lines), default=0) * col_line + (pad if cols else 0)
    height = title_band + col_band + n_rows * h + (n_rows - 1) * pad
    canvas = Image.new("RGB", (row_band + grid_w, height), "white")
    draw = ImageDraw.Draw(canvas)
    ink = (34, 34, 34)
    for k, text in enumerate(title_lines):
        draw.text((0, k * line), text, font=font, fill=ink)
    top = title_band + col_band
    for j, lines in enumerate(col_lines):  # each column's label centred over it, its last line just above
        centre = row_band + j * (w + pad) + w / 2
        for k, text in enumerate(lines):
            y = top - pad - (len(lines) - k) * col_line
            draw.text((centre - col_font.getlength(text) / 2, y), text, font=col_font, fill=ink)
    for i, lines in enumerate(row_lines):  # each row's label right-aligned beside it, centred on it
        middle = top + i * (h + pad) + h / 2
        for k, text in enumerate(lines):
            y = middle - len(lines) * line / 2 + k * line
            draw.text((row_band - pad - font.getlength(text), y), text, font=font, fill=ink)
    for k, image in enumerate(images):
        canvas.paste(image.convert("RGB"), (row_band + (k % n_cols) * (w + pad), top + (k // n_cols) * (h + pad)))
    canvas = ImageOps.expand(canvas, border=pad, fill="white")
    return LabelledGrid(canvas, tuple(rows), tuple(cols), title, (n_rows, n_cols))
