"""Cross-attention per word (deeper.sd.attention) and the text encoder by hand (deeper.sd.text_inside),
on the random tiny parts: maps of the right shape that sum to 1 over the tokens, processors restored,
words found (and not found), the layers run by hand equal to text_encoder(ids)."""

import pytest
import torch

from deeper.sd import run, tokenize
from deeper.sd.attention import (AttentionStore, attention_overlay, attention_run, cross_attention_names, layer_grid,
                                 prompt_words, recording_cross_attention)
from deeper.sd.text_inside import encode_embeddings, position_embeddings, swapped_embeddings, token_embeddings
from sd_fixtures import tiny_parts

PROMPT = "a red 7 on a white background"


def test_the_layers_by_hand_equal_the_text_encoder():
    parts = tiny_parts()
    ids = tokenize(parts.tokenizer, [PROMPT, "a blue 3, thick strokes"]).input_ids
    with torch.no_grad():
        hidden = token_embeddings(parts.text_encoder, ids) + position_embeddings(parts.text_encoder)
        assert torch.allclose(encode_embeddings(parts.text_encoder, hidden), parts.text_encoder(ids)[0], atol=1e-6)


def test_a_swapped_embedding_is_the_other_words_prompt():
    """'red' with 'blue''s embedding is exactly the prompt that says 'blue' (position for position)."""
    parts = tiny_parts()
    with torch.no_grad():
        blue = parts.text_encoder(tokenize(parts.tokenizer, PROMPT.replace("red", "blue")).input_ids)[0]
    assert torch.allclose(swapped_embeddings(parts, PROMPT, "red", "blue"), blue, atol=1e-6)
    with pytest.raises(ValueError, match="word 'green' is not in the prompt"):
        swapped_embeddings(parts, PROMPT, "green", "blue")
    with pytest.raises(ValueError, match="'cyan' is 2 tokens"):
        swapped_embeddings(parts, PROMPT, "red", "cyan")


def test_words_and_their_tokens():
    words = prompt_words(tiny_parts().tokenizer, "a cyan 7, on white")
    assert [w.word for w in words] == ["a", "cyan", "7", ",", "on", "white"]
    assert words[1].positions == (2, 3) and words[1].pieces == ("cy", "an</w>") and "splits into 2" in words[1].note()
    assert words[2].positions == (4,) and words[0].note() == ""


def test_bad_words_and_prompts_are_value_errors_naming_them():
    parts = tiny_parts()
    with pytest.raises(ValueError, match="prompt is 80 tokens"):
        prompt_words(parts.tokenizer, " ".join(["red"] * 80))
    with pytest.raises(ValueError, match="prompt must be a non-empty string"):
        prompt_words(parts.tokenizer, "  ")
    _, attention = attention_run(parts, PROMPT, steps=2, seed=1)
    with pytest.raises(ValueError, match="word 'cat' is not in the prompt"):
        attention.word_map("cat")
    with pytest.raises(ValueError, match="step must be"):
        attention.word_map("red", step=5)


def test_maps_are_probabilities_per_step_and_the_processors_come_back():
    parts = tiny_parts()
    before = {name: type(p) for name, p in parts.unet.attn_processors.items()}
    result, attention = attention_run(parts, PROMPT, steps=3, seed=1)
    assert {name: type(p) for name, p in parts.unet.attn_processors.items()} == before
    assert attention.maps.shape == (3, 77, 8, 8) and len(result.steps) == 3
    assert torch.allclose(attention.maps.sum(1), torch.ones(3, 8, 8), atol=1e-4)  # softmax over the 77 tokens
    plain = run(parts, PROMPT, steps=3, seed=1)
    assert torch.allclose(plain.latents, result.latents, atol=1e-4)  # the same maths, rounded differently
    red = attention.word_map("red", 2)
    assert red.shape == (8, 8) and torch.equal(red, attention.maps[2, 2])
    assert torch.equal(attention.word_map(1), attention.maps[-1, 2])  # by index: the second word


def test_the_processors_come_back_after_an_error():
    parts = tiny_parts()
    before = dict(parts.unet.attn_processors)
    with pytest.raises(RuntimeError):
        with recording_cross_attention(parts.unet, 8, 8, rows=1):
            raise RuntimeError("boom")
    assert dict(parts.unet.attn_processors) == before


def test_unguided_runs_record_the_prompt_alone():
    _, attention = attention_run(tiny_parts(), PROMPT, steps=2, seed=1, guidance_scale=1.0)
    assert attention.maps.shape == (2, 77, 8, 8)


@pytest.mark.parametrize("positions, grid", [(64, (8, 8)), (16, (4, 4)), (4096, (64, 64)), (1024, (32, 32)),
                                             (48 * 64, (48, 64)), (12 * 16, (12, 16)), (6 * 8, (6, 8))])
def test_layer_grids_follow_the_latents_halving(positions, grid):
    big = (64, 64) if grid[0] == grid[1] else (48, 64)
    assert layer_grid(positions, *big) == grid


def test_odd_sides_round_up_as_the_unet_does():
    assert layer_grid(5 * 4, 9, 7) == (5, 4) and layer_grid(3 * 2, 9, 7) == (3, 2)
    with pytest.raises(ValueError, match="fits no level"):
        layer_grid(10, 8, 8)


def test_a_store_upsamples_and_averages_layers():
    store = AttentionStore(4, 4, rows=2)
    store.begin_step()
    heads = 2
    fine = torch.full((2 * heads, 16, 3), 1 / 3)
    coarse = torch.zeros(2 * heads, 4, 3)
    coarse[..., 0] = 1
    store.add(fine, heads)
    store.add(coarse, heads)
    maps = store.maps()
    assert maps.shape == (1, 1, 3, 4, 4)
    assert torch.allclose(maps[0, 0, 0], torch.full((4, 4), (1 / 3 + 1) / 2))


def test_the_overlay_is_the_images_size():
    from PIL import Image
    picture, low, high = attention_overlay(Image.new("RGB", (32, 32), "white"), torch.arange(64.0).view(8, 8))
    assert picture.size == (32, 32) and (low, high) == (0.0, 63.0)


def test_every_cross_attention_layer_is_found():
    names = cross_attention_names(tiny_parts().unet)
    assert names and all(n.endswith("attn2.processor") for n in names)


def test_a_store_keeps_the_prompts_rows_of_a_three_way_batch():
    """With a negative prompt of its own scale the UNet's batch is [uncond; negative; prompt]."""
    store = AttentionStore(4, 4, rows=3)
    probs = torch.stack([torch.full((16, 3), float(k)) for k in range(3)])  # one head, a row each
    store.add(probs, heads=1)
    assert store.maps().shape == (1, 1, 3, 4, 4) and (store.maps() == 2).all()


def test_a_run_with_a_negative_scale_records_the_prompt():
    result, attention = attention_run(tiny_parts(), PROMPT, steps=2, seed=1, negative_prompt="blue", negative_scale=2)
    assert attention.maps.shape == (2, 77, 8, 8) and result.settings.negative_scale == 2
