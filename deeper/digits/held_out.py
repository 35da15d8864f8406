"""The held-out prompts that say whether the tiny SD reads a sentence, never trained on
(`deeper.digits.grammar` rejects any caption that matches them, and its made-up words avoid their
role words).

Three generations of them:
- The test sets, reported and never used to choose anything (`bench/bench_tiny_sd.py --only reading`):
  - `structures`: sentence shapes the grammar never generates, in words it does use: a stranger's
    syntax with our vocabulary (written before the second reading round).
  - `words`: shapes the grammar generates, with role words no training caption contains ("sticker",
    "stencil", "quilt"): a stranger's vocabulary with our syntax. The model has never seen these
    tokens, so it must read the role from the sentence around them. Written on 2026-12-01, before
    the third reading round, whose change (more and longer made-up words, grammar.py) was made
    because the words set before it scored under its target.
  - `card`: the five phrasings the model card has always reported (`captions.HELD_OUT_TEMPLATES`).
- The validation sets, what a choice between towers is made on. Each was a test set once, and is
  one no longer: `seen structures` and `seen words` (the first, written before the first reading
  tower; one round's tower was chosen over another on them), `seen words 2` (the second round's
  words set: its score under target is why the third round changed the grammar). All stay out of
  training.

Every prompt states digit, ink and background. {n} is the digit as a word or a numeral, {word} and
{numeral} force one.
"""

import re

import numpy as np

from .captions import COLOURS, HELD_OUT_TEMPLATES, WORDS, PromptSpec, fill, random_colours

SEEN_STRUCTURES = [
    "{bg} background. {ink} ink. the digit {word}.",
    "i want the {n} in {ink} and the background in {bg}",
    "{ink} strokes make a {n} on the {bg} page",
    "digit {numeral} / {ink} / on {bg}",
    "{n}, please: {ink} on {bg}",
    "make the background {bg}, then write a {n} on it in {ink}",
    "a {n} ({ink}) on a {bg} background",
    "{ink} is the colour of the {n}, {bg} is the colour of the paper",
    "over {bg} paper, the number {word} is written in {ink} ink",
    "a drawing where the ink is {ink}, the digit is {n} and the background is {bg}",
    "{ink}-on-{bg} {n}",
    "the paper: {bg}. the pen: {ink}. the number: {n}.",
]

SEEN_ROLE_WORDS = ("backdrop", "chalk", "depict", "artwork", "symbol", "glyph", "wall", "poster",
                       "illustrate", "crayon", "snapshot", "board", "scrawl", "brushstrokes", "character", "slate")

SEEN_WORDS = [
    "a {ink} {n} on a {bg} backdrop",
    "{n} in {ink} chalk on {bg} paper",
    "depict a {ink} {n} on a {bg} background",
    "an artwork of the symbol {n}, {ink} on {bg}",
    "a {ink} glyph {n} against a {bg} wall",
    "{bg} poster with a {ink} {n} on it",
    "illustrate a {n} in {ink} crayon on a {bg} background",
    "a snapshot of a {ink} {n} on a {bg} board",
    "scrawl a {n} with {ink} brushstrokes on {bg}",
    "the character {word} in {ink} on a {bg} slate",
]

HELD_OUT_STRUCTURES = [
    "paint me a {n}, make it {ink} and set it on {bg}",
    "the {n} is {ink} and it is on a {bg} background",
    "{bg} behind, {ink} in front, the digit {word}",
    "the {n} is {ink}. the background? {bg}.",
    "number {numeral} in {ink}, background {bg}",
    "the digit {word} is {ink}, the background behind it is {bg}",
    "the background is {bg} and on it is a {ink} {n}",
    "a {bg}-coloured background and a {ink}-coloured {n}",
    "a {n} on {bg}. it is {ink}.",
    "the number is {word}: show it in {ink} on {bg}",
    "with {ink} ink, write the {n} on the {bg} paper",
    "the digit {numeral}, whose background is {bg} and whose ink is {ink}",
]

SEEN_ROLE_WORDS_2 = ("parchment", "doodle", "marks", "backing", "emblem", "icon", "banner", "placard",
                     "mural", "scribble", "felt", "cardboard", "hue", "tablet", "engrave", "integer", "plaque")

SEEN_WORDS_2 = [
    "a {ink} {n} on {bg} parchment",
    "doodle a {ink} {n} on a {bg} background",
    "a {n} in {ink} marks on a {bg} backing",
    "the emblem {n}, {ink} on {bg}",
    "a {ink} {n} icon on a {bg} banner",
    "{bg} placard, {ink} {n}",
    "a mural of a {ink} {n} on a {bg} background",
    "scribble the {n} using {ink} felt on {bg} cardboard",
    "a {n} with {ink} hue on a {bg} tablet",
    "engrave the integer {numeral} in {ink} on a {bg} plaque",
]

HELD_OUT_ROLE_WORDS = ("sticker", "stencil", "linen", "tattoo", "graffiti", "fence", "stamped", "velvet", "quilt",
                       "cartoon", "lettering", "pixel", "carpet", "sprayed", "numeric", "rug")

HELD_OUT_WORDS = [
    "a {ink} {n} sticker on a {bg} background",
    "stencil a {ink} {n} on {bg} linen",
    "a {n} tattoo, {ink} on {bg}",
    "graffiti of a {ink} {n} on a {bg} fence",
    "the {ink} {n} stamped on {bg} velvet",
    "a {ink} {n} on a {bg} quilt",
    "a cartoon {n} in {ink} on a {bg} background",
    "{ink} lettering: the {n}, on {bg}",
    "a pixel {n}, {ink}, over a {bg} carpet",
    "sprayed in {ink}, the numeric {numeral} on a {bg} rug",
]

# Role words no training caption may contain (grammar.py checks its lexicon against these, and its
# made-up "nonce" words avoid them too).
UNSEEN_ROLE_WORDS = HELD_OUT_ROLE_WORDS + SEEN_ROLE_WORDS_2 + SEEN_ROLE_WORDS

HELD_OUT_SETS = {"structures": HELD_OUT_STRUCTURES, "words": HELD_OUT_WORDS, "card": HELD_OUT_TEMPLATES}
VALIDATION_SETS = {"seen structures": SEEN_STRUCTURES, "seen words": SEEN_WORDS, "seen words 2": SEEN_WORDS_2}


def held_out_set(name: str, n: int, seed: int = 0) -> list[tuple[str, PromptSpec]]:
    """`n` (prompt, spec) pairs of one held-out set, cycling through its templates, uniform over
    digits and ordered colour pairs (a test set or a validation set). The same seed gives the same list."""
    templates = (HELD_OUT_SETS | VALIDATION_SETS)[name]
    rng = np.random.default_rng(seed)
    digits = rng.integers(0, 10, n)
    inks, bgs = random_colours(rng, n)
    out = []
    for k in range(n):
        d, ink, bg = int(digits[k]), COLOURS[inks[k]], COLOURS[bgs[k]]
        out.append((fill(templates[k % len(templates)], d, ink, bg, "", rng), PromptSpec(d, ink, bg)))
    return out


def template_pattern(template: str) -> re.Pattern:
    """A regex matching every filling of `template` (any digit, any colour words, "a"/"an")."""
    colour = r"[a-z]+"
    digit = "(?:" + "|".join(WORDS + [str(d) for d in range(10)]) + ")"
    parts = re.split(r"(\{\w+\})", template)
    out = []
    for p in parts:
        if p in ("{ink}", "{bg}"):
            out.append(colour)
        elif p in ("{n}", "{word}", "{numeral}"):
            out.append(digit)
        else:
            out.append(re.sub(r"\ba\b", "an?", re.escape(p)))  # "a" or "an", as fill() writes it
    return re.compile("".join(out) + r"$", re.IGNORECASE)


HELD_OUT_PATTERNS = [template_pattern(t) for ts in (HELD_OUT_SETS | VALIDATION_SETS).values() for t in ts]


def is_held_out(caption: str) -> bool:
    """Does `caption` have the shape of a held-out prompt? (The grammar never trains on one.)"""
    return any(p.match(caption) for p in HELD_OUT_PATTERNS)
