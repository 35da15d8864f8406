"""Notebook 03's exercise: where an element of a tensor lives in its flat storage, from its strides."""

import torch

from .core import Case, Exercise, compare_cases


def offset_solution(t, index):
    return t.storage_offset() + sum(i * s for i, s in zip(index, t.stride()))


def offset_cases():
    imgs = torch.arange(3 * 4 * 5).reshape(3, 4, 5)  # three tiny "images" of 4 rows of 5
    return [Case("offset(imgs, (0, 2, 3))", imgs, (0, 2, 3)),
            Case("offset(imgs[2], (1, 4))", imgs[2], (1, 4)),
            Case("offset(imgs[0].T, (3, 1))", imgs[0].T, (3, 1)),
            Case("offset(imgs[1, ::2, 1:], (1, 2))", imgs[1, ::2, 1:], (1, 2))]


def _no_start(t, index):
    return sum(i * s for i, s in zip(index, t.stride()))


def _from_shape(t, index):
    position = 0
    for i, n in zip(index, t.shape):
        position = position * n + i
    return t.storage_offset() + position


offset = Exercise(
    "offset", "the position of t[index] in t's flat storage, from t.storage_offset() and t.stride()", offset_solution,
    ["Stride d says how many storage places one step along dimension d moves: index i along it moves i * stride[d].",
     "Start where the view starts, `t.storage_offset()`, and add `i * s` for each index i and stride s: "
     "`t.storage_offset() + sum(i * s for i, s in zip(index, t.stride()))`."],
    compare_cases(offset_cases, mistakes=[
        (_no_start, "You left out where the view starts in the storage: add t.storage_offset() "
                    "(imgs[2] starts 40 places in)"),
        (_from_shape, "You computed the position from the shape, as if the tensor were contiguous: "
                      "a transposed or sliced view steps by its strides, t.stride()"),
    ]))

EXERCISES = [offset]
