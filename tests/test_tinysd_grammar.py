"""The caption grammar and its held-out sets: what a caption states, what training never sees."""

import re

import numpy as np
import pytest

from deeper.digits.captions import COLOURS, WORDS, PromptSpec, TRAIN_TEMPLATES, fill, spec_of
from deeper.digits.grammar import (COLOUR_WORDS, canonical_caption, caption, lexicon, nonce_words, split_words,
                                   tidy)
from deeper.digits.held_out import (HELD_OUT_SETS, HELD_OUT_STRUCTURES, UNSEEN_ROLE_WORDS, VALIDATION_SETS,
                                    held_out_set, is_held_out)


def random_spec(rng) -> PromptSpec:
    digit = int(rng.integers(10)) if rng.random() < 0.8 else None
    ink, bg = (COLOURS[k] for k in rng.choice(len(COLOURS), 2, replace=False))
    return PromptSpec(digit, ink if rng.random() < 0.8 else None, bg if rng.random() < 0.8 else None,
                      "thin" if digit is not None and rng.random() < 0.2 else None)


@pytest.fixture(scope="module")
def sample():
    rng = np.random.default_rng(7)
    specs = [random_spec(rng) for _ in range(4000)]
    return specs, [caption(s, rng) for s in specs]


def said(words, colour):
    return any(w in words for w in COLOUR_WORDS[colour])


def test_a_caption_states_exactly_its_spec(sample):
    for spec, text in zip(*sample):
        words = split_words(text)
        digit_said = any(w in (WORDS[d], str(d)) for d in range(10) for w in words)
        assert digit_said == (spec.digit is not None), text
        if spec.digit is not None:
            assert WORDS[spec.digit] in words or str(spec.digit) in words, text
        for colour in COLOURS:
            assert said(words, colour) == (colour in (spec.ink, spec.background)), (spec, text)
        assert ("thin" in words) == (spec.style == "thin"), text


def test_captions_are_reproducible_and_varied(sample):
    specs, texts = sample
    rng = np.random.default_rng(7)
    again_specs = [random_spec(rng) for _ in range(len(specs))]
    assert again_specs == specs and [caption(s, rng) for s in specs[:200]] == texts[:200]
    shapes = {re.sub(r"\b(" + "|".join(sum(COLOUR_WORDS.values(), []) + WORDS) + r"|\d)\b", "_", t.lower())
              for t in texts}
    assert len(shapes) > 2000  # thousands of sentence shapes, not 36 sentences


def test_no_caption_is_shaped_like_a_held_out_prompt(sample):
    assert not any(is_held_out(t) for t in sample[1])
    for name in HELD_OUT_SETS | VALIDATION_SETS:
        assert all(is_held_out(p) for p, _ in held_out_set(name, 60, seed=2))
    assert not is_held_out("a red 7 on a blue background")  # the check can say no


def test_held_out_sets_are_reproducible_and_state_everything():
    for name in HELD_OUT_SETS | VALIDATION_SETS:
        pairs = held_out_set(name, 100, seed=5)
        assert pairs == held_out_set(name, 100, seed=5)
        for prompt, spec in pairs:
            words = split_words(prompt)
            assert spec.digit is not None and spec.ink != spec.background
            assert said(words, spec.ink) and said(words, spec.background), prompt


def test_held_out_words_are_unknown_and_held_out_structures_use_known_words():
    known = lexicon()
    assert not known & set(UNSEEN_ROLE_WORDS)
    for prompt, _ in held_out_set("words", 100, seed=1):
        assert set(split_words(prompt)) - known, f"{prompt!r} has no word a caption lacks"
    for prompt, _ in held_out_set("structures", 10 * len(HELD_OUT_STRUCTURES), seed=1):
        assert set(split_words(prompt)) <= known | {"then"}, prompt  # "then" is the one new function word


def test_nonce_words_avoid_known_and_held_out_words():
    class Vocab:
        def get_vocab(self):
            return {f"{w}</w>": k for k, w in enumerate(["red", "backdrop", "digit", "zebra", "brown", "ab", "x1y",
                                                           "sticker", "parchment"])}
    assert nonce_words(Vocab(), lexicon()) == ["zebra"]  # held-out role words of every generation avoided


def test_the_canonical_caption_is_a_sentence_the_first_model_was_trained_on():
    rng = np.random.default_rng(0)
    trained = {}
    for template in TRAIN_TEMPLATES:
        for d in range(10):
            for style in ("", "thin"):
                text = fill(template, d, "red", "blue", style, rng).replace(WORDS[d], str(d))
                trained.setdefault(tidy(text), spec_of(template, d, "red", "blue"))
    for digit in (None, 3):
        for ink in (None, "red"):
            for bg in (None, "blue"):
                spec = PromptSpec(digit, ink, bg)
                text = canonical_caption(spec)
                assert text == "" if spec == PromptSpec() else trained[text] == spec, text


def test_the_reading_teacher_is_told_what_the_caption_leaves_unsaid(tmp_path):
    """reading.py's step 2: whatever a caption says, the teacher's sentence names the image's digit,
    ink and background (so "red ink" is taught as the average over digits); "" stays ""."""
    import torch
    from deeper.tinysd.folder import new_tokenizer
    from deeper.tinysd.reading import build_pool

    class Rows:  # what build_pool reads of a CaptionedDigits: 40 rows, one image each
        image, labels = torch.arange(40), torch.arange(40) % 10
        ink, bg = torch.arange(40) % len(COLOURS), (torch.arange(40) + 3) % len(COLOURS)
        earned = torch.zeros(40, 4, dtype=torch.bool)

        def __len__(self):
            return 40

    pool = build_pool(Rows(), new_tokenizer(tmp_path), 400, seed=0)
    unsaid = 0
    for r, text, told in zip(pool.rows.tolist(), pool.captions, pool.teacher_captions):
        if not text:
            assert told == ""
            continue
        digit, ink, bg = r % 10, COLOURS[r % len(COLOURS)], COLOURS[(r + 3) % len(COLOURS)]
        assert told == canonical_caption(PromptSpec(digit, ink, bg)), (text, told)
        words = split_words(text)
        unsaid += str(digit) not in words and WORDS[digit] not in words
    assert unsaid > 20  # captions do leave the digit unsaid, and the teacher still names it
