"""What an image shows, read off by the tiny SD's evaluator: digit, ink and background (its own
read-out), plus stroke thickness and slant, measured from the ink coverage by the moments the
dataset's captions were made with (`deeper.digits.dataset.measure_style`)."""

from dataclasses import dataclass

import numpy as np
import torch

from .captions import COLOURS, fill
from .dataset import PALETTE_RGB, SLANTED, THICK, measure_style

EDITS = ("ink", "background", "thickness", "slant")
TEMPLATE = "a {style}{ink} {n} on a {bg} background"  # the tiny SD's most frequent training phrasing
# The Imagic explorer's first input, and the colour its colour edits aim for where they can
DEFAULT_INK, DEFAULT_BACKGROUND, DEFAULT_TARGET = "red", "white", "blue"
NO_INK = "black"  # the name an edit's prompt gives a read-out's missing ink (-1)


def coverage(images: torch.Tensor, ink: torch.Tensor, background: torch.Tensor) -> torch.Tensor:
    """(n, H, W) ink coverage in [0, 1]: each pixel's position between its background and ink colour
    (the inverse of the dataset's render). A missing ink (-1) gives no coverage."""
    ink_rgb = PALETTE_RGB[ink.clamp_min(0)][:, :, None, None]
    bg_rgb = PALETTE_RGB[background][:, :, None, None]
    direction = ink_rgb - bg_rgb
    a = ((images.float() - bg_rgb) * direction).sum(1) / (direction**2).sum(1).clamp_min(1e-6)
    return torch.where((ink >= 0)[:, None, None], a.clamp(0, 1), torch.zeros_like(a))


@dataclass
class Attributes:
    """One row per image."""
    digit: torch.Tensor
    ink: torch.Tensor         # palette index (COLOURS), -1 where no ink stands out
    background: torch.Tensor  # palette index
    thickness: torch.Tensor   # stroke width in pixels
    slant: torch.Tensor       # shear of the second moments (> 0 leans right)

    def __len__(self):
        return len(self.digit)


def colour_name(index) -> str:
    """The palette name of a read-out's colour index (a one-element tensor); NO_INK for -1."""
    return COLOURS[int(index[0])] if int(index[0]) >= 0 else NO_INK


def read_attributes(evaluator, images: torch.Tensor) -> Attributes:
    digit, ink, background = evaluator.read(images)
    thickness, slant = measure_style(coverage(images.cpu(), ink, background))
    return Attributes(digit, ink, background, thickness, slant)


@dataclass(frozen=True)
class Edit:
    """An Imagic edit of one input: the prompt to aim for, and how to tell it worked."""
    kind: str     # one of EDITS
    value: str    # the new colour name, or "thick" / "slanted"
    prompt: str

    def hit(self, a: Attributes) -> torch.Tensor:
        """Does each image show the target attribute?"""
        if self.kind in ("ink", "background"):
            return getattr(a, self.kind) == COLOURS.index(self.value)
        return a.thickness > THICK if self.kind == "thickness" else a.slant > SLANTED

    def kept(self, a: Attributes, source: Attributes) -> torch.Tensor:
        """Does each image keep the input's other attributes (digit and the colours not edited)?"""
        same = a.digit == source.digit[0]
        for colour in ("ink", "background"):
            if colour != self.kind:
                same &= getattr(a, colour) == getattr(source, colour)[0]
        return same


def make_edit(kind: str, digit: int, ink: str, background: str, value: str) -> Edit:
    """The target prompt for `kind`, in the tiny SD's trained phrasing, stating every attribute."""
    if kind not in EDITS:
        raise ValueError(f"edit must be one of {', '.join(EDITS)}; got {kind!r}")
    if kind == "ink":
        ink = value
    elif kind == "background":
        background = value
    if ink == background:
        raise ValueError(f"ink and background would both be {ink}")
    style = {"thickness": "thick", "slant": "slanted"}.get(kind, "")
    numeral = np.random.default_rng(1)  # its first draw says "numeral": "a red 7", not "a red seven"
    return Edit(kind, value, fill(TEMPLATE, digit, ink, background, style, numeral))
