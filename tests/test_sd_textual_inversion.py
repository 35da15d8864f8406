"""Textual inversion (deeper.sd.textual_inversion) on a copy of the random tiny parts: a new token with
its own row, only that row learned, and bad input named; the teal read-out (deeper.digits.new_ink)."""

import copy

import pytest
import torch

from deeper.sd.textual_inversion import add_token, embedding_table, learn_embedding
from deeper.digits import new_ink
from deeper.digits.dataset import PALETTE_RGB, render
from sd_fixtures import tiny_parts


@pytest.fixture
def parts():
    return copy.deepcopy(tiny_parts())  # adding a token changes the tokenizer and the table


def test_a_new_token_is_one_piece_with_its_own_row(parts):
    rows = embedding_table(parts).num_embeddings
    new = add_token(parts, "<teal>", like="blue")
    assert new == rows and embedding_table(parts).num_embeddings == rows + 1
    assert parts.tokenizer.tokenize("a <teal> 3") == ["a</w>", "<teal>", "3</w>"]
    table = embedding_table(parts).weight
    assert torch.equal(table[new], table[parts.tokenizer.convert_tokens_to_ids("blue</w>")])
    assert add_token(parts, "<teal>", like="green") == new  # again: the same row, reset


def test_only_the_new_row_is_learned(parts):
    new = add_token(parts, "<teal>", like="blue")
    before = embedding_table(parts).weight.detach().clone()
    unet_before = [p.detach().clone() for p in parts.unet.parameters()]
    trainable_before = [p.requires_grad for m in (parts.text_encoder, parts.unet) for p in m.parameters()]
    images = torch.rand(4, 3, 32, 32)
    learned = learn_embedding(parts, "<teal>", images, ["a <teal> 3 on a white background"] * 4, steps=3, batch_size=2)
    after = embedding_table(parts).weight
    changed = (after != before).any(1).nonzero().flatten().tolist()
    assert changed == [new] and torch.equal(after[new], learned.vector)
    assert all(torch.equal(a, b) for a, b in zip(unet_before, parts.unet.parameters()))
    assert len(learned.losses) == 3
    # each part's parameters are left as trainable or frozen as they were found
    assert [p.requires_grad for m in (parts.text_encoder, parts.unet) for p in m.parameters()] == trainable_before


def test_the_clean_image_term_changes_what_is_learned(parts):
    """image_weight adds a loss on the decoded predicted clean image: the vector differs from the noise
    loss's alone, its mask decides which pixels count, and the VAE stays as it was."""
    add_token(parts, "<teal>", like="blue")
    images = torch.rand(4, 3, 32, 32)
    captions = ["a <teal> 3 on a white background"] * 4
    vae_before = [p.detach().clone() for p in parts.vae.parameters()]
    trainable = [p.requires_grad for p in parts.vae.parameters()]

    def learned(**options):
        add_token(parts, "<teal>", like="blue")  # each from the same start
        return learn_embedding(parts, "<teal>", images, captions, steps=3, batch_size=2, seed=1, **options).vector

    plain = learned()
    assert torch.equal(plain, learned(image_weight=0.0))  # 0: the noise loss alone, as before
    whole = learned(image_weight=100.0)
    assert not torch.allclose(whole, plain, atol=1e-6)
    top = torch.zeros(4, 1, 32, 32)
    top[:, :, :16] = 1
    assert not torch.allclose(learned(image_weight=100.0, image_mask=top), whole, atol=1e-6)
    assert torch.equal(learned(image_weight=100.0, image_mask=torch.ones(4, 1, 32, 32)), whole)  # None: every pixel
    assert all(torch.equal(a, b) for a, b in zip(vae_before, parts.vae.parameters()))
    assert [p.requires_grad for p in parts.vae.parameters()] == trainable


def test_bad_input_is_named(parts):
    with pytest.raises(ValueError, match="token must be a non-empty string without spaces"):
        add_token(parts, "two words", like="blue")
    with pytest.raises(ValueError, match="'cyan' is 2 tokens"):
        add_token(parts, "<x>", like="cyan")
    with pytest.raises(ValueError, match="is not in the tokenizer"):
        learn_embedding(parts, "<never>", torch.rand(1, 3, 32, 32), ["a <never>"])
    add_token(parts, "<teal>", like="blue")
    with pytest.raises(ValueError, match="must pair up"):
        learn_embedding(parts, "<teal>", torch.rand(2, 3, 32, 32), ["a <teal> 1"])
    with pytest.raises(ValueError, match="must name the token"):
        learn_embedding(parts, "<teal>", torch.rand(1, 3, 32, 32), ["a blue 1"])
    with pytest.raises(ValueError, match="steps must be a whole number"):
        learn_embedding(parts, "<teal>", torch.rand(1, 3, 32, 32), ["a <teal> 1"], steps=0)
    for weight in (-1.0, "1", True, float("nan")):
        with pytest.raises(ValueError, match="image_weight must be a number, at least 0"):
            learn_embedding(parts, "<teal>", torch.rand(1, 3, 32, 32), ["a <teal> 1"], image_weight=weight)
    for mask in (torch.ones(1, 3, 32, 32), torch.ones(2, 1, 32, 32), [[1.0]]):
        with pytest.raises(ValueError, match=r"image_mask must be a tensor \(n, 1, H, W\)"):
            learn_embedding(parts, "<teal>", torch.rand(1, 3, 32, 32), ["a <teal> 1"], image_weight=1.0, image_mask=mask)
    with pytest.raises(ValueError, match="image_mask is used only with image_weight > 0"):
        learn_embedding(parts, "<teal>", torch.rand(1, 3, 32, 32), ["a <teal> 1"], image_mask=torch.ones(1, 1, 32, 32))


def test_the_read_out_tells_teal_from_the_palette():
    alpha = torch.zeros(3, 32, 32)
    alpha[:, 10:22, 14:18] = 1
    ink = torch.stack([torch.tensor(new_ink.TEAL), PALETTE_RGB[6], PALETTE_RGB[7]])  # teal, green, blue
    images = render(alpha, ink, PALETTE_RGB[1].expand(3, 3))
    assert new_ink.near_target(images).tolist() == [True, False, False]
    assert new_ink.nearest_names(images) == ["teal", "green", "blue"]
    blank = render(torch.zeros(1, 32, 32), ink[:1], PALETTE_RGB[1][None])
    assert new_ink.nearest_names(blank) == ["none"] and not new_ink.near_target(blank).item()


def test_the_ink_mask_and_the_captions():
    alpha = torch.zeros(2, 32, 32)
    alpha[:, 10:22, 14:18] = 1
    images = render(alpha, torch.tensor(new_ink.TEAL).expand(2, 3), torch.stack([PALETTE_RGB[0], PALETTE_RGB[1]]))
    assert torch.equal(new_ink.ink_mask(images), alpha[:, None])
    digits, backgrounds = [3, 7, 0, 5], ["white", "black", "yellow", "white"]
    varied = new_ink.captions("<teal>", digits, backgrounds)
    assert len(varied) == 4 and all(c.count("<teal>") == 1 for c in varied)
    assert all(b in c.lower() for c, b in zip(varied, backgrounds))
    assert varied == new_ink.captions("<teal>", digits, backgrounds)  # reproducible from the seed
    fixed = new_ink.captions("<teal>", digits, backgrounds, varied=False)
    assert fixed[0] in ("a <teal> 3 on a white background", "3 in <teal> ink on white paper",
                        "white background, <teal> 3", "the digit three, <teal> strokes on white")
