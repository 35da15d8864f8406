"""The captioned dataset: colours, captions, held-out phrasings and style words mean what they say."""

import re

import numpy as np
import pytest
import torch

from deeper.mnist import load_mnist
from deeper.digits.captions import (COLOURS, HELD_OUT_TEMPLATES, PALETTE, TRAIN_TEMPLATES, WORDS, PromptSpec,
                                    held_out_prompts, random_colours, training_captions)
from deeper.digits.dataset import STYLES, CaptionedDigits, measure_style, pad
from deeper.tinysd.folder import new_tokenizer


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return new_tokenizer(tmp_path_factory.mktemp("tokenizer"))


@pytest.fixture(scope="module")
def digits(mnist, tokenizer):
    (x, y), _, _ = mnist
    return CaptionedDigits(x[:500], y[:500], tokenizer, variants=4, seed=0)


def test_palette_has_eight_or_more_distinct_colours():
    rgb = torch.tensor(list(PALETTE.values()))
    assert len(COLOURS) >= 8
    assert torch.cdist(rgb, rgb).add(torch.eye(len(rgb))).min() > 0.3


def test_ink_never_equals_background():
    ink, bg = random_colours(np.random.default_rng(0), 10_000)
    assert (ink != bg).all()
    assert len(set(zip(ink.tolist(), bg.tolist()))) == len(COLOURS) * (len(COLOURS) - 1)


def test_images_are_the_digit_in_its_colours(digits):
    rows = torch.arange(len(digits))
    images = digits.images(rows)
    assert images.shape == (len(digits), 3, 32, 32)
    palette = torch.tensor([PALETTE[c] for c in COLOURS])
    corner = images[:, :, 0, 0]
    assert torch.allclose(corner, palette[digits.bg])  # MNIST never reaches the frame
    alpha = digits.alpha[digits.image]
    full = alpha.flatten(1).argmax(1)  # the most inked pixel is close to the ink colour
    inked = images.flatten(2)[rows, :, full]
    assert ((inked - palette[digits.ink]).norm(dim=1) < 0.1).float().mean() > 0.95


def test_captions_state_what_the_spec_says(digits):
    words = {d: (WORDS[d], str(d)) for d in range(10)}
    for caption, spec, attrs in zip(digits.captions, digits.spec.tolist(), digits.attributes(torch.arange(len(digits))).tolist()):
        d, ink, bg = spec
        tokens = re.findall(r"[a-z]+|\d", caption)
        if d >= 0:
            assert d == attrs[0] and any(w in tokens for w in words[d]), caption
        if ink >= 0:
            assert ink == attrs[1] and COLOURS[ink] in tokens, caption
        if bg >= 0:
            assert bg == attrs[2] and COLOURS[bg] in tokens, caption
        assert set(tokens) & set(COLOURS) <= {COLOURS[attrs[1]], COLOURS[attrs[2]]}, caption


def test_captions_vary_and_leave_attributes_out(digits):
    assert len(set(digits.captions)) > 0.8 * len(digits)
    spec = digits.spec
    assert (spec[:, 0] < 0).any() and (spec[:, 1] < 0).any() and (spec[:, 2] < 0).any()
    assert (spec >= 0).all(1).float().mean() > 0.5  # mostly everything said
    numerals = sum(bool(re.search(r"\d", c)) for c in digits.captions)
    assert 0.2 * len(digits) < numerals < 0.8 * len(digits)  # digits as words and as numerals


def test_held_out_phrasings_are_never_trained_on(digits):
    assert not set(HELD_OUT_TEMPLATES) & set(TRAIN_TEMPLATES)
    prompts = held_out_prompts(200, seed=3)
    assert held_out_prompts(200, seed=3) == prompts  # reproducible
    assert not {p for p, _ in prompts} & set(digits.captions)
    for prompt, spec in prompts:
        assert isinstance(spec, PromptSpec) and spec.ink != spec.background
        assert None not in (spec.digit, spec.ink, spec.background)
        assert spec.ink in prompt and spec.background in prompt


def test_captions_are_tokenized_as_the_pipeline_does(digits, tokenizer):
    k = 7
    expected = tokenizer(digits.captions[k], padding="max_length", max_length=77, truncation=True).input_ids
    assert digits.tokens[k].tolist() == expected


def test_style_words_follow_the_moments():
    # a thin upright bar, a thick one, and a bar leaning right (top to the right)
    thin = torch.zeros(1, 32, 32); thin[0, 6:26, 15] = 1
    thick = torch.zeros(1, 32, 32); thick[0, 6:26, 13:18] = 1
    lean = torch.zeros(1, 32, 32)
    for k, row in enumerate(range(6, 26)):
        lean[0, row, 22 - k // 2] = 1
    t, s = measure_style(torch.cat([thin, thick, lean]))
    assert t[0] < 1.6 < 2.35 < t[1]
    assert abs(s[0]) < 0.05 and s[2] > 0.4


def test_training_captions_say_style_only_when_earned():
    rng = np.random.default_rng(1)
    captions, _ = training_captions([1] * 400, [0] * 400, [1] * 400, [""] * 400, rng)
    assert not any(w in c for c in captions for w in ("thin", "thick", "slanted", "upright"))
    captions, _ = training_captions([1] * 400, [0] * 400, [1] * 400, ["thin"] * 400, rng)
    assert any("thin" in c for c in captions)


def test_pad_centres_the_28px_digit(mnist):
    (x, _), _, _ = mnist
    a = pad(x[:10])
    assert a.shape == (10, 32, 32) and a[:, :2].sum() == 0 and a[:, :, -2:].sum() == 0


def test_clip_targets_hold_style_words_to_what_the_image_earned():
    from deeper.tinysd.clip import fits
    spec = torch.tensor([[7, 0, 1], [7, 0, 1], [7, 0, 1]])  # three captions for a red... 7
    said = torch.tensor([-1, STYLES.index("thin"), STYLES.index("thick")])
    attributes = torch.tensor([[7, 0, 1], [7, 0, 1]])
    earned = torch.tensor([[True, False, False, True], [False, True, False, False]])  # thin upright; thick
    assert fits(spec, attributes, said, earned).tolist() == [[True, True, False], [True, False, True]]
    assert fits(spec, attributes).all()  # without style: every caption fits both


def test_clip_groups_share_digit_and_colours(digits):
    gen = torch.Generator().manual_seed(0)
    rows = digits.same_colours_and_digit(gen, groups=6, size=4).view(6, 4)
    attrs = digits.attributes(rows.flatten()).view(6, 4, 3)
    assert (attrs == attrs[:, :1]).all()
    assert len(set(rows.flatten().tolist())) > 6  # not one row repeated
