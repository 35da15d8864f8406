"""A colour the tiny model's palette lacks, for textual inversion: MNIST digits drawn in it (by the
training set's own renderer), captions naming it by a new token, and a read-out of how many generated
images have their ink nearer to it than to any palette colour."""

import re

import numpy as np
import torch

from . import grammar
from .captions import COLOURS, PALETTE, WORDS, PromptSpec
from .dataset import PALETTE_RGB, pad, render
from .evaluator import INK_CORE, NO_INK, as_tensor, background_distance

TEAL = (0.0, 0.55, 0.55)  # between green, blue and gray, and nearest to none of them
BACKGROUNDS = ("white", "black", "yellow")


def ink_images(x, y, ink=TEAL, count: int = 32, seed: int = 0) -> tuple[torch.Tensor, list[int], list[str]]:
    """`count` MNIST digits (rows of `x`, labels `y`) drawn in `ink` on a background from BACKGROUNDS:
    (images (n, 3, 32, 32) in [0, 1], their digits, their background names)."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(x), size=count, replace=False)
    backgrounds = [BACKGROUNDS[k % len(BACKGROUNDS)] for k in range(count)]
    bg = torch.tensor([PALETTE[b] for b in backgrounds])
    images = render(pad(x[rows]), torch.tensor(ink).expand(count, 3), bg)
    return images, [int(d) for d in np.asarray(y)[rows]], backgrounds


def captions(token: str, digits: list[int], backgrounds: list[str], seed: int = 0, varied: bool = True) -> list[str]:
    """A caption per image naming its ink by `token`: written by the training captions' grammar
    (`grammar.caption`, a palette word standing in for the ink, then replaced by the token), or with
    `varied=False` in four fixed phrasings. Varied captions teach the token as the ink's word in any
    sentence, not as part of four (the benchmark's prompts are none of them)."""
    rng = np.random.default_rng(seed)
    if varied:
        stand_in = next(c for c in COLOURS if c not in backgrounds and c != "gray")  # "gray" has a second spelling
        out = []
        for d, b in zip(digits, backgrounds):
            text = grammar.caption(PromptSpec(digit=d, ink=stand_in, background=b), rng)
            out.append(re.sub(rf"(?i)\b{stand_in}\b", token, text))
        return out
    templates = ["a {ink} {n} on a {bg} background", "{n} in {ink} ink on {bg} paper", "{bg} background, {ink} {n}",
                 "the digit {word}, {ink} strokes on {bg}"]
    return [templates[rng.integers(len(templates))].format(ink=token, n=d, word=WORDS[d], bg=b)
            for d, b in zip(digits, backgrounds)]


def ink_mask(images) -> torch.Tensor:
    """(n, 1, H, W) 1.0 on each picture's ink (its pixels at least half as far from the background, the
    median of the 2-pixel frame, as the farthest), 0.0 elsewhere: where a colour term looks."""
    _, dist = background_distance(as_tensor(images))
    return (dist > 0.5 * dist.flatten(1).max(dim=1).values[:, None, None]).float()[:, None]


def ink_rgb(images) -> torch.Tensor:
    """(n, 3) the ink colour of each image, read as the evaluator reads it: the median of the pixels
    farthest from the background (the median of the 2-pixel frame); NaN where no digit stands out."""
    images = as_tensor(images)
    _, dist = background_distance(images)
    pixels, dist = images.flatten(2), dist.flatten(1)
    top = dist.max(dim=1).values
    ink = pixels.masked_fill(~(dist >= INK_CORE * top[:, None])[:, None], float("nan")).nanmedian(dim=2).values
    return torch.where((top < NO_INK)[:, None], float("nan"), ink)


def near_target(images, target=TEAL) -> torch.Tensor:
    """(n,) bool: the image's ink is nearer to `target` than to every palette colour."""
    ink = ink_rgb(images)
    to_target = (ink - torch.tensor(target)).norm(dim=1)
    to_palette = torch.cdist(ink, PALETTE_RGB).min(dim=1).values
    return (to_target < to_palette) & ~ink.isnan().any(1)


def nearest_names(images, target=TEAL, target_name: str = "teal") -> list[str]:
    """Each image's ink named by the nearest of the palette and the target ('none' where no digit shows)."""
    ink = ink_rgb(images)
    names = COLOURS + [target_name]
    table = torch.cat([PALETTE_RGB, torch.tensor([target])])
    nearest = torch.cdist(ink.nan_to_num(0), table).argmin(1)
    return ["none" if ink[k].isnan().any() else names[int(nearest[k])] for k in range(len(ink))]
