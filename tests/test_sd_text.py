"""Prompts to token ids to embeddings: CLIP's markers, padding to 77, truncation told."""

import warnings

import pytest

from deeper.sd import PromptTruncatedWarning, encode_prompt, tokenize
from sd_fixtures import tiny_parts


def test_tokens_have_start_end_and_padding_to_77():
    tokens = tokenize(tiny_parts().tokenizer, "a photograph of an astronaut riding a horse")
    ids = tokens.input_ids[0].tolist()
    assert ids[:10] == [49406, 320, 8853, 539, 550, 18376, 6765, 320, 4558, 49407]
    assert len(ids) == 77 and set(ids[10:]) == {49407}
    assert tokens.attention_mask[0].tolist() == [1] * 10 + [0] * 67


def test_a_long_prompt_is_cut_to_77_and_told():
    prompt = " ".join(["digit"] * 500)
    with pytest.warns(PromptTruncatedWarning, match="500 tokens .* at most 75"):
        tokens = tokenize(tiny_parts().tokenizer, prompt)
    assert tokens.input_ids.shape == (1, 77) and tokens.input_ids[0, -1] == 49407


def test_a_short_prompt_is_not_warned_about():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tokenize(tiny_parts().tokenizer, "a red 7")


@pytest.mark.parametrize("prompt", ["", "🙂🎨 a 7", "красная семёрка", "赤い7", "a\tred\n7"])
def test_any_text_encodes_to_77_by_width(prompt):
    parts = tiny_parts()
    embeddings = encode_prompt(parts, prompt)
    assert embeddings.shape == (1, 77, parts.text_encoder.config.hidden_size)
    assert embeddings.isfinite().all()
