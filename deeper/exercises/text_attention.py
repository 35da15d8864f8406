"""Notebook 14's exercise: the text encoder's input, token embeddings plus position embeddings."""

import torch

from ..sd.text_inside import position_embeddings, token_embeddings
from .core import Case, Exercise, compare_cases
from .sd_cases import tiny_parts


def input_embeddings_solution(text_encoder, ids):
    embeddings = getattr(text_encoder, "text_model", text_encoder).embeddings
    tokens = embeddings.token_embedding(ids)
    positions = embeddings.position_embedding(embeddings.position_ids[:, :ids.shape[1]])
    return tokens + positions


def input_embeddings_cases():
    tokenizer = tiny_parts().tokenizer
    prompts = [["a red 7 on a white background"], ["a blue 3", "seven in green ink on black paper"]]
    return [Case(f"input_embeddings(text_encoder, ids) for {p}",
                 tokenizer(p, padding="max_length", max_length=77, return_tensors="pt").input_ids) for p in prompts]


def run_input_embeddings(fn, ids):
    """The tiny SD's text encoder is handed over here, not copied with the case's inputs."""
    with torch.no_grad():
        return fn(tiny_parts().text_encoder, ids)


def _tokens_only(text_encoder, ids):
    return token_embeddings(text_encoder, ids)


def _positions_only(text_encoder, ids):
    return position_embeddings(text_encoder, ids.shape[1]).expand(ids.shape[0], -1, -1)


input_embeddings = Exercise(
    "input_embeddings", "input_embeddings(text_encoder, ids): what the transformer layers see, each id's token "
    "embedding plus the position embedding of its place", input_embeddings_solution,
    ["Both tables live in `text_encoder.embeddings` (`.text_model.embeddings` in older transformers): "
     "`token_embedding` is looked up by id, `position_embedding` by position 0, 1, ... 76.",
     "`embeddings.token_embedding(ids) + embeddings.position_embedding(embeddings.position_ids[:, :ids.shape[1]])`."],
    compare_cases(input_embeddings_cases, run=run_input_embeddings, mistakes=[
        (_tokens_only, "Yours are the token embeddings alone: add the position embeddings, or the layers cannot "
                       "tell 'a red 7 on white' from 'a white 7 on red'"),
        (_positions_only, "Yours are the position embeddings alone: add each id's token embedding"),
    ]))

EXERCISES = [input_embeddings]
