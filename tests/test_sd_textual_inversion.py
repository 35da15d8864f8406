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


def test_the_read_out_tells_teal_from_the_palette():
    alpha = torch.zeros(3, 32, 32)
    alpha[:, 10:22, 14:18] = 1
    ink = torch.stack([torch.tensor(new_ink.TEAL), PALETTE_RGB[6], PALETTE_RGB[7]])  # teal, green, blue
    images = render(alpha, ink, PALETTE_RGB[1].expand(3, 3))
    assert new_ink.near_target(images).tolist() == [True, False, False]
    assert new_ink.nearest_names(images) == ["teal", "green", "blue"]
    blank = render(torch.zeros(1, 32, 32), ink[:1], PALETTE_RGB[1][None])
    assert new_ink.nearest_names(blank) == ["none"] and not new_ink.near_target(blank).item()
