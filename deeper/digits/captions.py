"""Captions for coloured MNIST digits: a named palette, templates in varied English, and the
held-out phrasings that prompt accuracy is measured on.

Why this shape: the model must learn that colour words bind to ink or to background by their
place in the sentence ("a red 7 on a white background" vs "red background, white 7"), that a
digit may be a word or a numeral, and that any attribute may be left unsaid (so "a 3" draws a 3
in any colours, and a negative prompt such as "red ink" has a meaning of its own). The held-out
templates are never trained on: prompt accuracy on them measures understanding, not recall.
"""

import re
from dataclasses import dataclass, replace

import numpy as np

# Named colours, RGB in [0, 1], far enough apart that a nearest-colour read-out is unambiguous.
PALETTE = {
    "black": (0.05, 0.05, 0.05),
    "white": (0.95, 0.95, 0.95),
    "gray": (0.50, 0.50, 0.50),
    "red": (0.85, 0.10, 0.10),
    "orange": (1.00, 0.55, 0.05),
    "yellow": (0.98, 0.90, 0.15),
    "green": (0.10, 0.65, 0.20),
    "blue": (0.10, 0.30, 0.90),
    "purple": (0.55, 0.15, 0.70),
    "pink": (1.00, 0.55, 0.80),
}
COLOURS = list(PALETTE)
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

# Templates. {n}: the digit as a word or a numeral; {word}/{numeral} force one; {ink}, {bg}:
# colour names; {style}: "thin ", "thick ", "slanted " or "" (only what the image shows).
TRAIN_TEMPLATES = {
    # everything said, in many orders and words (every word of the held-out phrasings is here,
    # none of their sentences is)
    "a {style}{ink} {n} on a {bg} background": 4,
    "the digit {word}, {style}{ink} strokes on {bg}": 2,
    "{n} in {ink} ink on {bg} paper": 2,
    "a {style}{ink} number {n} over a {bg} background": 2,
    "{bg} background, {ink} {n}": 2,
    "handwritten {n}, {ink} on {bg}": 2,
    "a {style}{n} written in {ink} on {bg}": 2,
    "the number {word} in {ink} on a {bg} background": 2,
    "{numeral}, {ink} ink, {bg} background": 2,
    "a picture of the digit {word} in {ink} on a {bg} background": 1,
    "a picture of a {style}{n}, {ink} ink on {bg} paper": 1,
    "an image of a {ink} {n} on a {bg} background": 1,
    "a photo of a {style}{ink} {n} on {bg}": 1,
    "{ink} number {n}, {bg} background": 1,
    "digit {n} in {ink} on {bg}": 1,
    "the digit {word} drawn in {ink} on {bg}": 1,
    "a {n} drawn in {ink} ink on a {bg} background": 1,
    "on {bg} paper, a {style}{ink} {n}": 1,
    "against a {bg} background, a {ink} {n}": 1,
    "{n} written in {ink} on a {bg} background": 1,
    "{bg} paper with a {ink} {n} on it": 1,
    "{ink} on {bg}: the number {n}": 1,
    "a {bg} background with a {style}{ink} {n}": 1,
    "number {word}, {ink} ink on {bg}": 1,
    "an image of a {ink} digit on a {bg} background: {n}": 1,
    # some attributes left out
    "a {style}{ink} {n}": 2,
    "a {n} on a {bg} background": 2,
    "{n} in {ink} ink": 2,
    "an image of the number {n}": 1,
    "a picture of a {style}{n} on {bg}": 1,
    "the digit {word}": 1,
    "a {style}{n}": 1,
    "{n}": 1,
    "{ink} ink on {bg} paper": 1,
    "{ink} ink": 1,
    "a {bg} background": 1,
}

STYLE_SAID = 0.9  # how often a template with a {style} slot says the style an image earned

# Evaluation only: all three attributes said, in orders and words the model never saw together.
HELD_OUT_TEMPLATES = [
    "a picture of a {ink} {n} on {bg}",
    "{ink} digit {n}, {bg} background",
    "an image of the number {word} drawn in {ink} on a {bg} background",
    "on a {bg} background, a {ink} {n}",
    "{numeral} written in {ink} ink on {bg} paper",
]


@dataclass(frozen=True)
class PromptSpec:
    """What a prompt asks for; None where the prompt leaves it open (anything matches)."""
    digit: int | None = None
    ink: str | None = None
    background: str | None = None
    style: str | None = None  # a style word the caption says; only CLIP's training reads it


def fill(template: str, digit: int, ink: str, bg: str, style: str, rng: np.random.Generator) -> str:
    n = WORDS[digit] if rng.random() < 0.5 else str(digit)
    text = template.format(n=n, word=WORDS[digit], numeral=digit, ink=ink, bg=bg,
                           style=f"{style} " if style else "")
    return re.sub(r"\b([Aa]) (?=[aeiou])", r"\1n ", text)  # "an orange", "an eight"


def spec_of(template: str, digit: int, ink: str, bg: str) -> PromptSpec:
    """Which attributes a filled template states."""
    says_digit = any(k in template for k in ("{n}", "{word}", "{numeral}"))
    return PromptSpec(digit if says_digit else None, ink if "{ink}" in template else None,
                      bg if "{bg}" in template else None)


def random_colours(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(ink, background) palette indices, uniform over ordered pairs of different colours."""
    ink = rng.integers(0, len(COLOURS), n)
    bg = (ink + rng.integers(1, len(COLOURS), n)) % len(COLOURS)
    return ink, bg


def training_captions(digits, inks, bgs, styles, rng: np.random.Generator):
    """One caption per image (training templates, weighted) and the PromptSpec it states.

    `styles` holds each image's measured style word or ""; a template's {style} says it nine times
    in ten (at one in two the first trained model hardly told a slanted 7 from a 7), and two thirds
    of the templates have no {style}, so "a 7" and "a thin 7" both describe a thin seven.
    """
    templates = list(TRAIN_TEMPLATES)
    weights = np.array(list(TRAIN_TEMPLATES.values()), dtype=float)
    picks = rng.choice(len(templates), size=len(digits), p=weights / weights.sum())
    captions, specs = [], []
    for t, d, i, b, s in zip(picks, digits, inks, bgs, styles):
        template = templates[t]
        style = s if rng.random() < STYLE_SAID else ""
        captions.append(fill(template, int(d), COLOURS[i], COLOURS[b], style, rng))
        specs.append(replace(spec_of(template, int(d), COLOURS[i], COLOURS[b]), style=style or None))
    return captions, specs


def held_out_prompts(n: int, seed: int = 0) -> list[tuple[str, PromptSpec]]:
    """`n` (prompt, spec) pairs from the held-out phrasings: digit, ink and background all stated,
    uniform over digits and colour pairs. The same seed gives the same list (for comparing models)."""
    rng = np.random.default_rng(seed)
    digits = rng.integers(0, 10, n)
    inks, bgs = random_colours(rng, n)
    out = []
    for k in range(n):
        template = HELD_OUT_TEMPLATES[k % len(HELD_OUT_TEMPLATES)]
        d, ink, bg = int(digits[k]), COLOURS[inks[k]], COLOURS[bgs[k]]
        out.append((fill(template, d, ink, bg, "", rng), PromptSpec(d, ink, bg)))
    return out
