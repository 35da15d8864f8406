"""Captions from a grammar: how English says which colour is the ink and which the background.

The first model learned 36 fixed sentences and read the order of the colour words, not the
sentence (data/tiny-sd/README.md, "Reading a sentence"). Here a caption is composed from parts:
a sentence structure (ink first or background first; main clause, subordinate clause, prepositional
phrase, a command, a list of labelled attributes, a fragment, a long sentence), and words for each
role: the digit (word, numeral or noun phrase), the strokes, the surface behind them, the verb, the
picture. Any attribute may be left unsaid. A role word is now and then replaced by a made-up word
("nonce"), so the model learns to take a word's role from the sentence around it, as a reader
does with a word they don't know.

`caption(spec, rng)` writes one caption for a `PromptSpec`; every caption is reproducible from the
generator. Captions shaped like a held-out prompt (`held_out.is_held_out`) are never produced.
"""

import re

import numpy as np

from .captions import COLOURS, WORDS, PromptSpec
from .held_out import UNSEEN_ROLE_WORDS, is_held_out

# ---- words for each role ------------------------------------------------------------------------

COLOUR_WORDS = {c: [c] for c in COLOURS} | {"gray": ["gray", "grey"]}
DIGIT_HEADS = ["digit", "number", "numeral", "figure"]
PICTURES = ["a picture of", "an image of", "a photo of", "a drawing of", "an illustration of",
            "a render of", "a sketch of", "a close-up of"]
VERBS = ["draw", "paint", "write", "render", "sketch", "make", "show", "create", "generate", "print",
         "give me", "show me", "i want", "please draw", "can you draw", "let's see"]
PAST = ["written", "drawn", "painted", "sketched", "printed", "done", "rendered"]
INK_NOUNS = ["ink", "strokes", "lines", "paint", "pen", "marker", "colour", "color", "pencil"]
SURFACES = ["background", "paper", "page", "canvas", "card", "sheet", "surface", "square", "ground",
            "field", "tile", "bg"]
FILLERS = ["high quality", "centered", "simple", "clear", "plain", "neat", "clean", "nice and clear",
           "in the middle", "on its own", "minimal", "handwritten"]


def _pick(rng, options):
    return options[rng.integers(len(options))]


NONCE_RATE = 0.08  # how often a role word becomes a made-up word


class Words:
    """The role words of one caption, drawn from `rng` (with a made-up word now and then)."""

    def __init__(self, rng, nonce=None):
        self.rng, self.nonce = rng, nonce

    def word(self, options):
        if self.nonce is not None and self.rng.random() < NONCE_RATE:
            return self.nonce(self.rng)
        return _pick(self.rng, options)

    def surface(self):
        return self.word(SURFACES)

    def ink_noun(self):
        return self.word(INK_NOUNS)

    def verb(self):
        return self.word(VERBS)

    def picture(self):
        p = _pick(self.rng, PICTURES)
        if self.nonce is not None and self.rng.random() < NONCE_RATE:
            p = p.rsplit(" ", 2)[0] + " " + self.nonce(self.rng) + " of"
        return p


# ---- noun phrases and phrases for each attribute ----------------------------------------------

def digit_word(d: int, rng, form=None) -> str:
    form = form or ("word" if rng.random() < 0.5 else "numeral")
    return WORDS[d] if form == "word" else str(d)


def digit_phrase(spec: PromptSpec, w: Words, ink_adjective: str | None = None) -> str:
    """The digit as a noun phrase: "a 7", "the digit seven", "a thin red number 7", "a digit"."""
    rng = w.rng
    style = f"{spec.style} " if spec.style else ""
    ink = f"{ink_adjective} " if ink_adjective else ""
    if rng.random() < 0.5:  # "red thin" and "thin red" both occur
        adjectives = style + ink
    else:
        adjectives = ink + style
    if spec.digit is None:
        head = w.word(["digit", "number", "numeral", "handwritten digit"])
        return _pick(rng, ["a ", "any ", "some ", "a single "]) + adjectives + head
    n = digit_word(spec.digit, rng)
    form = rng.integers(8)
    if form == 0:
        return f"{adjectives}{n}"
    if form in (1, 2):
        return f"a {adjectives}{n}"
    if form == 3:
        return f"the {adjectives}{n}"
    if form == 4:
        return f"{_pick(rng, ['a', 'the'])} {adjectives}{w.word(DIGIT_HEADS)} {n}"
    if form == 5:
        return f"{_pick(rng, ['', 'the '])}{w.word(DIGIT_HEADS)} {n}" if not adjectives else f"the {adjectives}{n}"
    if form == 6:
        return f"a {adjectives}handwritten {n}"
    return f"a {adjectives}{n} {w.word(['digit', 'number'])}" if n.isdigit() else f"a {adjectives}{n}"


def ink_phrase(ink: str, w: Words) -> str:
    """After the digit: "in red", "written in red ink", "with red strokes", "whose strokes are red"."""
    rng = w.rng
    form = rng.integers(10)
    if form == 0:
        return f"in {ink}"
    if form == 1:
        return f"in {ink} {w.ink_noun()}"
    if form == 2:
        return f"{_pick(rng, PAST)} in {ink}"
    if form == 3:
        return f"{_pick(rng, PAST)} in {ink} {w.ink_noun()}"
    if form == 4:
        return f"with {ink} {w.ink_noun()}"
    if form == 5:
        return f"using {_pick(rng, ['', 'a '])}{ink} {w.ink_noun()}"
    if form == 6:
        return f"{_pick(rng, ['coloured', 'colored'])} {ink}"
    if form == 7:
        return f"whose {w.ink_noun()} {_pick(rng, ['is', 'are'])} {ink}"
    if form == 8:
        return f"that is {ink}"
    return f"in a {ink} {_pick(rng, ['colour', 'color', 'shade'])}"


def ink_noun_phrase(ink: str, w: Words) -> str:
    """The strokes as a noun phrase: "red ink", "red strokes", "a red pen"."""
    noun = w.ink_noun()
    return f"a {ink} {noun}" if noun in ("pen", "marker", "pencil") and w.rng.random() < 0.5 else f"{ink} {noun}"


def background_phrase(bg: str, w: Words) -> str:
    """Where the digit is: "on a blue background", "on blue", "against a blue canvas"."""
    rng = w.rng
    form = rng.integers(9)
    prep = _pick(rng, ["on", "on", "over", "against", "on top of", "in front of", "set on", "atop"])
    if form == 0:
        return f"on {bg}"
    if form == 1:
        return f"{prep} {bg}"
    if form in (2, 3, 4):
        return f"{prep} a {bg} {w.surface()}"
    if form == 5:
        return f"{prep} {bg} {w.surface()}"
    if form == 6:
        return f"on a sheet of {bg} paper"
    if form == 7:
        return f"{_pick(rng, ['on', 'against', 'over'])} a {w.surface()} {_pick(rng, ['of', 'that is', 'coloured', 'colored'])} {bg}"
    return f"with a {bg} {w.surface()}"


def background_noun_phrase(bg: str, w: Words) -> str:
    """The surface as a noun phrase: "a blue background", "blue paper", "a sheet of blue paper"."""
    rng = w.rng
    form = rng.integers(5)
    if form == 0:
        return f"{bg} {w.surface()}"
    if form == 1:
        return f"a sheet of {bg} paper"
    if form == 2:
        return f"a plain {bg} {w.surface()}"
    return f"a {bg} {w.surface()}"


def label_list(spec: PromptSpec, w: Words, ink: str | None, bg: str | None) -> str:
    """Attributes as labelled values, in any order: "digit: 7, ink: red, background: blue"."""
    rng = w.rng
    items = []
    if spec.digit is not None:
        n = digit_word(spec.digit, rng)
        label = _pick(rng, ["digit", "number", "numeral"])
        items.append(_label(rng, label, (f"{spec.style} " if spec.style else "") + n))
    if ink:
        items.append(_label(rng, _pick(rng, ["ink", "colour", "color", "ink colour", "stroke colour",
                                             "strokes", "pen", "digit colour"]), ink))
    if bg:
        items.append(_label(rng, _pick(rng, ["background", "bg", "paper", "background colour",
                                             "background color"]), bg))
    rng.shuffle(items)
    return _pick(rng, [", ", "; ", " | ", " - ", ", ", " "]).join(items)


def _label(rng, label, value):
    form = rng.integers(4)
    if form == 0:
        return f"{label}: {value}"
    if form == 1:
        return f"{label} {value}"
    if form == 2:
        return f"{label}={value}"
    return f"{value} {label}" if label not in ("digit", "number", "numeral") else f"{label}: {value}"


# ---- sentence structures -------------------------------------------------------------------------
# Each takes the parts and gives a sentence; None where the structure needs an attribute the spec
# leaves unsaid. D: the digit phrase maker, I: ink (or None), B: background (or None).

def _s_adjective(w, spec, ink, bg):          # a red 7 on a blue background
    return " ".join(filter(None, [_maybe_picture(w), digit_phrase(spec, w, ink), bg and background_phrase(bg, w)]))


def _s_postnominal(w, spec, ink, bg):        # a 7 in red ink on blue paper / a 7 on blue, in red
    d = digit_phrase(spec, w)
    i = ink and ink_phrase(ink, w)
    b = bg and background_phrase(bg, w)
    parts = [i, b] if w.rng.random() < 0.5 else [b, i]
    sep = _pick(w.rng, [" ", ", "])
    return " ".join(filter(None, [_maybe_picture(w), d])) + " " + sep.join(filter(None, parts))


def _s_background_first(w, spec, ink, bg):   # on a blue background, a red 7 / on blue paper, draw a 7 in red
    if not bg:
        return None
    b = background_phrase(bg, w)
    if w.rng.random() < 0.5:
        rest = digit_phrase(spec, w, ink)
    else:
        rest = " ".join(filter(None, [digit_phrase(spec, w), ink and ink_phrase(ink, w)]))
    lead = _pick(w.rng, ["", "", w.verb() + " ", _maybe_picture(w, 1.0) + " "])
    return f"{b}{_pick(w.rng, [', ', ' '])}{lead}{rest}"


def _s_surface_with(w, spec, ink, bg):       # a blue page with a red 7 on it / blue paper showing a 7 in red
    if not bg:
        return None
    s = background_noun_phrase(bg, w)
    d = digit_phrase(spec, w, ink) if w.rng.random() < 0.5 else \
        " ".join(filter(None, [digit_phrase(spec, w), ink and ink_phrase(ink, w)]))
    form = w.rng.integers(4)
    if form == 0:
        return f"{s} with {d} on it"
    if form == 1:
        return f"{s} showing {d}"
    if form == 2:
        return f"{s} and {d}"
    return f"{s}, {d}"


def _s_command(w, spec, ink, bg):            # draw a 7 with red ink on blue paper / paint a red 7
    v = w.verb()
    form = w.rng.integers(4)
    if form == 0 and ink:
        return " ".join(filter(None, [v, digit_phrase(spec, w), _pick(w.rng, ["with", "using"]),
                                      ink_noun_phrase(ink, w), bg and background_phrase(bg, w)]))
    if form == 1 and bg:
        return " ".join(filter(None, [v, digit_phrase(spec, w), background_phrase(bg, w), ink and ink_phrase(ink, w)]))
    if form == 2:
        return " ".join(filter(None, [v, digit_phrase(spec, w), ink and ink_phrase(ink, w), bg and background_phrase(bg, w)]))
    return " ".join(filter(None, [v, digit_phrase(spec, w, ink), bg and background_phrase(bg, w)]))


def _s_colours_on(w, spec, ink, bg):         # red on blue: the number 7 / 7, red on blue
    if not (ink and bg):
        return None
    pair = f"{ink} on {bg}" if w.rng.random() < 0.6 else f"{ink_noun_phrase(ink, w)} on {background_noun_phrase(bg, w)}"
    d = digit_phrase(spec, w)
    return _pick(w.rng, [f"{pair}: {d}", f"{d}, {pair}", f"{d}: {pair}", f"{pair}, {d}"])


def _s_fragments(w, spec, ink, bg):          # blue background, red 7 / red ink, blue paper, seven
    items = [digit_phrase(spec, w, ink) if ink and w.rng.random() < 0.5 else digit_phrase(spec, w)]
    if ink and ink not in items[0].split():
        items.append(ink_noun_phrase(ink, w))
    if bg:
        items.append(f"{bg} {w.surface()}")
    w.rng.shuffle(items)
    return _pick(w.rng, [", ", " ", "; ", ". "]).join(items)


def _s_labels(w, spec, ink, bg):             # digit: 7, ink: red, background: blue
    return label_list(spec, w, ink, bg)


def _s_clauses(w, spec, ink, bg):            # a 7 whose ink is red, where the background is blue
    rng = w.rng
    clauses = []
    if ink:
        clauses.append(_pick(rng, [f"the {w.ink_noun()} is {ink}", f"it is {_pick(rng, PAST)} in {ink}",
                                   f"the {_pick(rng, ['ink', 'strokes', 'lines'])} {_pick(rng, ['is', 'are'])} {ink}"]))
    if bg:
        clauses.append(_pick(rng, [f"the {w.surface()} is {bg}", f"the background is {bg}",
                                   f"the {w.surface()} behind it is {bg}"]))
    if not clauses:
        return None
    rng.shuffle(clauses)
    joined = _pick(rng, [" and ", ", and ", "; ", ", "]).join(clauses)
    d = " ".join(filter(None, [_maybe_picture(w), digit_phrase(spec, w)]))
    return _pick(rng, [f"{d} where {joined}", f"{d}, {joined}", f"{d}; {joined}", f"{d} such that {joined}",
                       f"{d}. {joined}", f"while {joined}, show {digit_phrase(spec, w)}"])


def _s_with(w, spec, ink, bg):               # a 7 with red strokes and a blue background
    parts = []
    if ink:
        parts.append(ink_noun_phrase(ink, w))
    if bg:
        parts.append(background_noun_phrase(bg, w))
    if not parts:
        return None
    w.rng.shuffle(parts)
    return " ".join(filter(None, [_maybe_picture(w), digit_phrase(spec, w), "with", " and ".join(parts)]))


def _s_long(w, spec, ink, bg):               # a long sentence with a filler or two
    core = _pick(w.rng, [_s_postnominal, _s_adjective, _s_command, _s_background_first])(w, spec, ink, bg)
    if core is None:
        return None
    fillers = list(w.rng.choice(FILLERS, size=w.rng.integers(1, 3), replace=False))
    return _pick(w.rng, [f"{core}, {', '.join(fillers)}", f"{fillers[0]}: {core}", f"{core}. {fillers[0]}"])


def _s_sequence(w, spec, ink, bg):           # take a blue sheet, then draw a red 7 on it
    if not bg:
        return None
    d = digit_phrase(spec, w, ink) if w.rng.random() < 0.5 else \
        " ".join(filter(None, [digit_phrase(spec, w), ink and ink_phrase(ink, w)]))
    first = _pick(w.rng, ["take", "start with", "first", "use"])
    return f"{first} {background_noun_phrase(bg, w)}, then {w.verb()} {d} on it"


STRUCTURES = {  # structure: weight
    _s_adjective: 3, _s_postnominal: 3, _s_background_first: 2, _s_surface_with: 1.5, _s_command: 3,
    _s_colours_on: 1, _s_fragments: 1.5, _s_labels: 1.5, _s_clauses: 1.5, _s_with: 1.5, _s_long: 1,
    _s_sequence: 0.5,
}


def _maybe_picture(w: Words, p: float = 0.25) -> str:
    return w.picture() if w.rng.random() < p else ""


def tidy(text: str) -> str:
    """Spaces and punctuation where a person puts them; "an" before a vowel."""
    text = re.sub(r"\s+", " ", text).strip(" ,;:.")
    text = re.sub(r"\s+([,;:.])", r"\1", text)
    text = re.sub(r"([,;])(?=[,;])", "", text)
    return re.sub(r"\b([Aa]) (?=[aeiou8])(?!one\b)", r"\1n ", text)


def caption(spec: PromptSpec, rng: np.random.Generator, nonce=None) -> str:
    """One caption stating exactly what `spec` states (its style word included, if any).
    Never shaped like a held-out prompt; "" now and then when the spec says nothing."""
    if spec.digit is None and spec.ink is None and spec.background is None and rng.random() < 0.5:
        return ""
    structures, weights = list(STRUCTURES), np.array(list(STRUCTURES.values()))
    for _ in range(100):
        w = Words(rng, nonce)
        ink = spec.ink and _pick(rng, COLOUR_WORDS[spec.ink])
        bg = spec.background and _pick(rng, COLOUR_WORDS[spec.background])
        make = structures[rng.choice(len(structures), p=weights / weights.sum())]
        text = make(w, spec, ink, bg)
        if text is None:
            continue
        text = tidy(text)
        if rng.random() < 0.15:
            text = text.capitalize()
        if not is_held_out(text):
            return text
    raise RuntimeError(f"no caption for {spec}")  # never seen: many structures fit every spec


# ---- the vocabulary the model is taught ------------------------------------------------------

def lexicon() -> set[str]:
    """Every word a training caption can contain (nonce words aside), lower case."""
    words = set(WORDS) | {str(d) for d in range(10)} | {w for ws in COLOUR_WORDS.values() for w in ws}
    words |= {"thin", "thick", "slanted", "upright"}
    rng = np.random.default_rng(0)
    # every function word of the structures, read off a sample of captions without nonce words
    for _ in range(20000):
        spec = PromptSpec(int(rng.integers(10)) if rng.random() < 0.8 else None,
                          _pick(rng, COLOURS) if rng.random() < 0.8 else None,
                          _pick(rng, COLOURS) if rng.random() < 0.8 else None)
        words |= set(split_words(caption(spec, rng)))
    return words


def split_words(text: str) -> list[str]:
    """Lower-case words of a prompt, as the known-word check sees them ("let's" is one word)."""
    return re.findall(r"[a-z0-9']+", text.lower())


def nonce_words(tokenizer, known: set[str], held_out=UNSEEN_ROLE_WORDS) -> list[str]:
    """Whole-word tokens of CLIP's vocabulary to stand in for an unknown word: alphabetic, 3 to 10
    letters, none that a caption uses, no held-out role word, no colour name."""
    avoid = known | set(held_out) | COLOUR_NAMES
    out = []
    for token in tokenizer.get_vocab():
        if token.endswith("</w>"):
            word = token[:-4]
            if word.isalpha() and word.isascii() and 3 <= len(word) <= 10 and word not in avoid:
                out.append(word)
    return sorted(out)


# Colour names outside the palette: never a nonce word (a made-up "brown" would teach that colour
# words can be ignored).
COLOUR_NAMES = {"brown", "cyan", "magenta", "violet", "teal", "navy", "maroon", "gold", "golden",
                "silver", "beige", "tan", "lime", "olive", "turquoise", "indigo", "crimson", "scarlet",
                "lavender", "peach", "cream", "ivory", "coral", "aqua", "amber", "mint", "rose", "ruby",
                "emerald", "azure", "charcoal", "khaki", "mauve", "lilac", "salmon", "bronze", "copper",
                "colours", "colors", "coloured", "colored", "dark", "light", "bright", "pale"}


def canonical_caption(spec: PromptSpec) -> str:
    return tidy(_canonical(spec))


def _canonical(spec: PromptSpec) -> str:
    """The sentence the first model was trained on for `spec` (captions.TRAIN_TEMPLATES): the text
    whose meaning the grammar's captions are taught to carry (reading.py)."""
    style = f"{spec.style} " if spec.style else ""
    d, i, b = spec.digit, spec.ink, spec.background
    if d is not None and i and b:
        return f"a {style}{i} {d} on a {b} background"
    if d is not None and i:
        return f"a {style}{i} {d}"
    if d is not None and b:
        return f"a picture of a {style}{d} on {b}"
    if d is not None:
        return f"a {style}{d}"
    if i and b:
        return f"{i} ink on {b} paper"
    if i:
        return f"{i} ink"
    if b:
        return f"a {b} background"
    return ""


KNOWN_WORDS_FILE = "known_words.txt"


def write_known_words(folder) -> None:
    """The words the text tower was taught, one a line, beside the model (`deeper.sd.text` reads it
    to name a prompt's unknown words; a hub model has no such file, and gets no such note)."""
    from pathlib import Path
    words = sorted(lexicon())
    colours = ", ".join(" or ".join(ws) for ws in COLOUR_WORDS.values())
    header = (f"# summary: ten colours ({colours}), the digits 0 to 9 as numerals or words, the style words "
              f"thin, thick, slanted and upright, and {len(words) - 35} other words its captions use\n"
              "# Words the tiny SD's text tower was trained on (deeper/digits/grammar.py); others it has never seen.\n")
    (Path(folder) / KNOWN_WORDS_FILE).write_text(header + "\n".join(words) + "\n")
