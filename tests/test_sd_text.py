"""Prompts to token ids to embeddings: CLIP's markers, padding to 77, truncation told."""

import dataclasses
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


# ---- words the model never saw (models that ship a word list) ----------------------------------

from deeper.sd.text import (KnownWords, UnknownWordsWarning, empty_prompt_note, read_known_words,  # noqa: E402
                            unknown_words, vocabulary_note)

TINY_WORDS = KnownWords(frozenset({"a", "red", "7", "on", "blue", "background"}), "ten colours and the digits")


def test_unknown_words_are_named_once_in_order():
    assert unknown_words(TINY_WORDS, "a Red 7 on a blue background") == []
    assert unknown_words(TINY_WORDS, "a red cat on a bleu cat") == ["cat", "bleu"]
    note = vocabulary_note(TINY_WORDS, "a red cat")
    assert "'cat'" in note and "ten colours and the digits" in note


def test_a_model_without_a_word_list_gets_no_note():
    assert unknown_words(None, "a cat") == [] and vocabulary_note(None, "a cat") == ""
    assert empty_prompt_note(None, "") == ""
    assert empty_prompt_note(TINY_WORDS, "  ") and not empty_prompt_note(TINY_WORDS, "a 7")


def test_the_shipped_model_lists_its_words_and_encode_prompt_warns():
    import warnings
    from deeper.paths import TINY_SD
    known = read_known_words(TINY_SD)
    assert known is not None and {"red", "grey", "7", "seven", "background", "thin"} <= known.words
    assert "backdrop" not in known.words and "ten colours" in known.summary
    parts = dataclasses.replace(tiny_parts(), known_words=known)
    with pytest.warns(UnknownWordsWarning, match="'cat'"):
        encode_prompt(parts, "a red cat")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encode_prompt(parts, "a red 7 on a grey background")
        encode_prompt(tiny_parts(), "a red cat")  # no list, no warning
