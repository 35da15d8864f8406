"""Timing for the notebooks and benchmarks: the best of a few runs, in seconds per call."""

import timeit


def seconds(f, repeat: int = 3) -> float:
    """Seconds per call of f(): the best of `repeat` runs, each of enough calls to last >= 0.2 s."""
    timer = timeit.Timer(f)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat, number)) / number
