"""Captioned colour MNIST: each digit drawn as ink over a background, at 32x32, with a caption.

An MNIST pixel is ink coverage, so a digit is rendered as background*(1-a) + ink*a: exact, and a
colour pair can be changed without touching the stroke. Style words come from the image itself:
stroke thickness is ink mass over edge length (2*sum(a) / total variation), slant is the shear of
the second moments (-mu11/mu02), so "thin" and "slanted" mean what they say.
"""

import numpy as np
import torch

from .captions import COLOURS, PALETTE, random_colours, training_captions
from .models import IMAGE_SIZE, MAX_TOKENS

PALETTE_RGB = torch.tensor([PALETTE[c] for c in COLOURS])
THIN, THICK = 1.6, 2.35  # stroke width in pixels: about the thinnest and thickest fifth of MNIST
SLANTED, UPRIGHT = 0.4, 0.05  # shear: about the most slanted sixth; nearly zero


def pad(x) -> torch.Tensor:
    """(n, 784) MNIST rows -> (n, 32, 32) ink coverage in [0, 1), centred as in the 28x28 original."""
    a = torch.as_tensor(x, dtype=torch.float32).view(-1, 28, 28)
    return torch.nn.functional.pad(a, (2, 2, 2, 2))


def render(alpha: torch.Tensor, ink: torch.Tensor, bg: torch.Tensor) -> torch.Tensor:
    """(n, 32, 32) coverage, (n, 3) ink and background RGB -> (n, 3, 32, 32) images in [0, 1]."""
    a = alpha[:, None]
    return bg[:, :, None, None] * (1 - a) + ink[:, :, None, None] * a


def measure_style(alpha: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(stroke thickness in pixels, slant) of each (n, H, W) coverage map, from its moments."""
    h, w = alpha.shape[-2:]
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
    mass = alpha.sum((1, 2)).clamp_min(1e-6)
    cx = (alpha * xs).sum((1, 2)) / mass
    cy = (alpha * ys).sum((1, 2)) / mass
    dx, dy = xs - cx[:, None, None], ys - cy[:, None, None]
    mu11 = (alpha * dx * dy).sum((1, 2)) / mass
    mu02 = (alpha * dy * dy).sum((1, 2)) / mass
    edges = (alpha[:, 1:] - alpha[:, :-1]).abs().sum((1, 2)) + (alpha[:, :, 1:] - alpha[:, :, :-1]).abs().sum((1, 2))
    return 2 * mass / edges.clamp_min(1e-6), -mu11 / mu02.clamp_min(1e-6)


def style_words(thickness: torch.Tensor, slant: torch.Tensor, rng: np.random.Generator) -> list[str]:
    """One style word an image earns ("thin", "thick", "slanted", "upright"), or "" if none."""
    out = []
    for t, s in zip(thickness.tolist(), slant.tolist()):
        earned = ["thin"] * (t < THIN) + ["thick"] * (t > THICK) + ["slanted"] * (s > SLANTED) + ["upright"] * (abs(s) < UPRIGHT)
        out.append(str(rng.choice(earned)) if earned else "")
    return out


class CaptionedDigits:
    """`variants` colourings and captions of every digit in one MNIST split, fixed by `seed`.

    Tokenized once up front (the CLIP tokenizer is the slow part), so a training step only
    gathers rows and renders them on its device. `spec` holds what each caption states, as
    colour/digit indices with -1 for "not said" (CLIP's positives and the tests use it).
    """

    def __init__(self, x, y, tokenizer, variants: int = 1, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.alpha = pad(x)
        self.labels = torch.as_tensor(y, dtype=torch.long)
        thickness, slant = measure_style(self.alpha)
        n = len(self.labels)
        self.image = torch.arange(n).repeat(variants)
        ink, bg = random_colours(rng, n * variants)
        styles = style_words(thickness, slant, rng) * variants
        digits = self.labels[self.image].numpy()
        self.captions, specs = training_captions(digits, ink, bg, styles, rng)
        self.ink, self.bg = torch.as_tensor(ink), torch.as_tensor(bg)
        self.spec = torch.tensor([[-1 if s.digit is None else s.digit,
                                   -1 if s.ink is None else COLOURS.index(s.ink),
                                   -1 if s.background is None else COLOURS.index(s.background)] for s in specs])
        self.tokens = tokenize(tokenizer, self.captions)

    def __len__(self) -> int:
        return len(self.image)

    def attributes(self, rows: torch.Tensor) -> torch.Tensor:
        """(n, 3) true digit, ink, background of the images at `rows`."""
        return torch.stack([self.labels[self.image[rows]], self.ink[rows], self.bg[rows]], 1)

    def images(self, rows: torch.Tensor, device=None) -> torch.Tensor:
        """(n, 3, 32, 32) in [0, 1] for `rows`, rendered on `device`."""
        alpha = self.alpha[self.image[rows]].to(device)
        palette = PALETTE_RGB.to(self.ink.device)
        return render(alpha, palette[self.ink[rows]].to(device), palette[self.bg[rows]].to(device))


def tokenize(tokenizer, captions: list[str]) -> torch.Tensor:
    """(n, 77) token ids, padded as SD v1's pipeline pads every prompt. Each distinct caption is
    tokenized once: captions repeat a lot, and the tokenizer is the slow part of building a split."""
    distinct = list(dict.fromkeys(captions))
    rows = tokenizer(distinct, truncation=True, max_length=MAX_TOKENS).input_ids
    table = np.full((len(distinct), MAX_TOKENS), tokenizer.pad_token_id, dtype=np.int64)
    for k, ids in enumerate(rows):
        table[k, : len(ids)] = ids
    where = {caption: k for k, caption in enumerate(distinct)}
    return torch.from_numpy(table[[where[c] for c in captions]])


assert IMAGE_SIZE == 32
