"""Iterators and generators, as the lesson uses them to turn 784 pixels into 28 rows of 28."""

from itertools import islice
from typing import Iterable, Iterator, Sequence


def chunks(x: Sequence, size: int) -> Iterator[Sequence]:
    """Yield successive slices of `x`, `size` items each (the last may be shorter)."""
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}")
    for i in range(0, len(x), size):
        yield x[i : i + size]


def rows(iterable: Iterable, size: int) -> list[list]:
    """The same rows from any iterable, through `iter(callable, sentinel)`: call `islice` on one
    shared iterator until it returns the sentinel `[]`."""
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}")
    it = iter(iterable)
    return list(iter(lambda: list(islice(it, size)), []))
