"""Notebook 14's exercise (deeper.exercises.text_attention): the reference passes, a stub is not done
yet, and two typical wrong answers get their own advice (as tests/test_exercises.py does for the others)."""

import pytest

from deeper.exercises import text_attention
from deeper.exercises.core import FAILED, NOT_DONE, PASSED
from test_exercises import student, verdict

EXERCISE = text_attention.input_embeddings
WRONG = [
    ("def input_embeddings(text_encoder, ids):\n    return text_encoder.embeddings.token_embedding(ids)",
     "Yours are the token embeddings alone"),
    ("def input_embeddings(text_encoder, ids):\n    e = text_encoder.embeddings\n"
     "    return e.position_embedding(e.position_ids[:, :77]).expand(len(ids), -1, -1)",
     "Yours are the position embeddings alone"),
]


def test_the_reference_passes():
    assert EXERCISE.outcome(EXERCISE.reference) == (PASSED, "")


def test_a_stub_is_not_done_yet(capsys):
    fn, context = student("def input_embeddings(text_encoder, ids):\n    ...  # your code\n", EXERCISE)
    status, out = verdict(EXERCISE, fn, context, capsys)
    assert status == NOT_DONE and "not done yet" in out


@pytest.mark.parametrize("source, words", WRONG)
def test_a_typical_mistake_gets_its_message(source, words, capsys):
    fn, context = student(source, EXERCISE)
    status, out = verdict(EXERCISE, fn, context, capsys)
    assert status == FAILED and words in out, out


def test_a_written_solution_passes(capsys):
    source = ("def input_embeddings(text_encoder, ids):\n    e = text_encoder.embeddings\n"
              "    return e.token_embedding(ids) + e.position_embedding(e.position_ids[:, :ids.shape[1]])")
    fn, context = student(source, EXERCISE)
    assert verdict(EXERCISE, fn, context, capsys)[0] == PASSED
