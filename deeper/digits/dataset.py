"""Captioned colour MNIST: each digit drawn as ink over a background, at 32x32, with a caption.

An MNIST pixel is ink coverage, so a digit is rendered as background*(1-a) + ink*a: exact, and a
colour pair can be changed without touching the stroke. Style words come from the image itself:
stroke thickness is ink mass over edge length (2*sum(a) / total variation), slant is the shear of
the second moments (-mu11/mu02), so "thin" and "slanted" mean what they say.
"""

import numpy as np
import torch

from .captions import COLOURS, PALETTE, random_colours, training_captions

IMAGE_SIZE = 32  # MNIST's 28x28 digits, centred
PALETTE_RGB = torch.tensor([PALETTE[c] for c in COLOURS])
THIN, THICK = 1.6, 2.35  # stroke width in pixels: about the thinnest and thickest fifth of MNIST
SLANTED, UPRIGHT = 0.4, 0.05  # shear: about the most slanted sixth; nearly zero
STYLES = ("thin", "thick", "slanted", "upright")


def pad(x) -> torch.Tensor:
    """(n, 784) MNIST rows -> (n, IMAGE_SIZE, IMAGE_SIZE) ink coverage in [0, 1), centred as in the
    28x28 original."""
    a = torch.as_tensor(x, dtype=torch.float32).view(-1, 28, 28)
    margin = (IMAGE_SIZE - 28) // 2
    return torch.nn.functional.pad(a, (margin, IMAGE_SIZE - 28 - margin) * 2)


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


def earned_styles(thickness: torch.Tensor, slant: torch.Tensor) -> torch.Tensor:
    """(n, 4) bool: which of STYLES each image earns (a thick upright 7 earns two)."""
    return torch.stack([thickness < THIN, thickness > THICK, slant > SLANTED, slant.abs() < UPRIGHT], 1)


def style_words(earned: torch.Tensor, rng: np.random.Generator) -> list[str]:
    """One style word an image earns, picked at random, or "" if none."""
    return [str(rng.choice([STYLES[k] for k in np.flatnonzero(row)])) if row.any() else "" for row in earned.numpy()]


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
        self.earned = earned_styles(*measure_style(self.alpha))  # per MNIST image
        n = len(self.labels)
        self.image = torch.arange(n).repeat(variants)
        ink, bg = random_colours(rng, n * variants)
        styles = style_words(self.earned, rng) * variants
        digits = self.labels[self.image].numpy()
        self.captions, specs = training_captions(digits, ink, bg, styles, rng)
        self.ink, self.bg = torch.as_tensor(ink), torch.as_tensor(bg)
        self.spec = torch.tensor([[-1 if s.digit is None else s.digit,
                                   -1 if s.ink is None else COLOURS.index(s.ink),
                                   -1 if s.background is None else COLOURS.index(s.background)] for s in specs])
        self.said_style = torch.tensor([-1 if s.style is None else STYLES.index(s.style) for s in specs])
        self.tokens = tokenize(tokenizer, self.captions)

    def __len__(self) -> int:
        return len(self.image)

    def attributes(self, rows: torch.Tensor) -> torch.Tensor:
        """(n, 3) true digit, ink, background of the images at `rows`."""
        return torch.stack([self.labels[self.image[rows]], self.ink[rows], self.bg[rows]], 1)

    def styles(self, rows: torch.Tensor) -> torch.Tensor:
        """(n, 4) bool: which of STYLES the images at `rows` earn."""
        return self.earned[self.image[rows]]

    def same_colours_and_digit(self, generator, groups: int, size: int) -> torch.Tensor:
        """`groups * size` rows, in groups of `size` that share digit, ink and background, so that
        inside a group only the handwriting and the style words tell the captions apart. In a batch
        of random rows a "thick red 7" hardly ever meets a thin red 7, and CLIP learns to ignore
        style words (the first trained models did: "thin" and "thick" gave the same embedding)."""
        if not hasattr(self, "_by_combo"):
            combo = (self.labels[self.image] * len(COLOURS) + self.ink) * len(COLOURS) + self.bg
            counts = torch.bincount(combo, minlength=10 * len(COLOURS) ** 2)
            self._by_combo = (combo, combo.argsort(), counts.cumsum(0) - counts, counts)
        combo, order, starts, counts = self._by_combo
        device = combo.device
        first = torch.randint(0, len(combo), (groups,), generator=generator, device=device)
        c = combo[first]
        pick = (torch.rand(groups, size, generator=generator, device=device) * counts[c][:, None]).long()
        return order[starts[c][:, None] + pick].flatten()

    def images(self, rows: torch.Tensor, device=None) -> torch.Tensor:
        """(n, 3, 32, 32) in [0, 1] for `rows`, rendered on `device`."""
        alpha = self.alpha[self.image[rows]].to(device)
        palette = PALETTE_RGB.to(self.ink.device)
        return render(alpha, palette[self.ink[rows]].to(device), palette[self.bg[rows]].to(device))


def tokenize(tokenizer, captions: list[str]) -> torch.Tensor:
    """(n, 77) token ids, padded as SD v1's pipeline pads every prompt. Each distinct caption is
    tokenized once: captions repeat a lot, and the tokenizer is the slow part of building a split."""
    distinct = list(dict.fromkeys(captions))
    length = tokenizer.model_max_length
    rows = tokenizer(distinct, truncation=True, max_length=length).input_ids
    table = np.full((len(distinct), length), tokenizer.pad_token_id, dtype=np.int64)
    for k, ids in enumerate(rows):
        table[k, : len(ids)] = ids
    where = {caption: k for k, caption in enumerate(distinct)}
    return torch.from_numpy(table[[where[c] for c in captions]])

