"""The attention explorer in pure Python: a word and a step pick a picture; bad input is a message."""

from sd_fixtures import tiny_parts
from widgets.attention_explorer import AttentionExplorer


def explorer(prompt="a red 7 on a white background"):
    return AttentionExplorer(tiny_parts(), prompt, steps=3, seed=1)


def test_it_opens_on_the_last_step_and_a_content_word():
    w = explorer()
    assert w.slider.max == 2 and w.slider.value == 2
    assert w.word.label == "red" and not w.message.error
    assert bytes(w.attention_image.value).startswith(b"\x89PNG") and "step 3 of 3" in w.info.value


def test_moving_the_word_or_the_step_changes_the_map():
    w = explorer()
    before = bytes(w.attention_image.value)
    w.show_word("background")
    assert w.word.label == "background" and bytes(w.attention_image.value) != before
    w.show_step(0)
    assert "step 1 of 3" in w.info.value and "background" in w.info.value
    assert w.original_image.value and not w.message.error


def test_a_repeated_word_is_listed_twice():
    labels = [label for label, _ in explorer().word.options]
    assert labels[:2] == ["a (word 1)", "red"] and "a (word 5)" in labels


def test_a_word_not_in_the_prompt_is_a_message_and_the_picture_stays():
    w = explorer()
    before = bytes(w.attention_image.value)
    w.show_word("cat")
    assert "'cat' is not in the prompt" in w.message.error
    assert bytes(w.attention_image.value) == before


def test_a_word_of_several_tokens_is_averaged_and_says_so():
    w = explorer("a cyan 7 on a white background")
    w.show_word("cyan")
    assert w.word.label == "cyan (2 tokens)"
    assert "splits into 2 tokens" in w.note.value and "average" in w.note.value


def test_a_prompt_over_77_tokens_is_a_message():
    w = explorer()
    before = bytes(w.attention_image.value)
    w.prompt.value = " ".join(["red"] * 80)
    assert "prompt is 80 tokens" in w.message.error and "at most 75" in w.message.error
    assert bytes(w.attention_image.value) == before


def test_a_new_prompt_keeps_the_word_when_it_is_still_there():
    w = explorer()
    w.show_word("white")
    w.prompt.value = "a blue 3 on a white background"
    assert w.word.label == "white" and not w.message.error


def test_a_step_out_of_range_is_a_message():
    w = explorer()
    w.show_step(7)
    assert "out of range" in w.message.error
