"""Notebook 13's exercise: mixing two prompts' embeddings."""

from .core import Case, Exercise, compare_cases
from .sd_cases import randn


def mix_solution(a, b, w):
    return (1 - w) * a + w * b


def _swapped(a, b, w):
    return w * a + (1 - w) * b


def _added(a, b, w):
    return a + w * b


mix = Exercise(
    "mix", "mix(a, b, w): embeddings part way from prompt a's (w = 0) to prompt b's (w = 1)", mix_solution,
    ["At w = 0 the answer is a, at w = 1 it is b, and in between a weighted average of the two.",
     "`(1 - w) * a + w * b`."],
    compare_cases(lambda: [Case(f"mix(a, b, {w})  (a, b: embeddings of shape (1, 77, 32))",
                                randn(1, 77, 32, seed=7), randn(1, 77, 32, seed=8), w) for w in (0.0, 0.25, 1.0)],
                  tolerance=(1e-6, "float32 rounding of the weighted sum"), expect=lambda a, b, w: a.lerp(b, w),
                  mistakes=[(_swapped, "Your mix is prompt b at w = 0: w is how much of b, so w = 0 must give a"),
                            (_added, "You added w * b to all of a: take (1 - w) of a, so the weights sum to 1")]))

EXERCISES = [mix]
