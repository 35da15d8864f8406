"""Notebook 21's exercise (in `papers`, with 20's and 22's)."""

from .papers import guided

EXERCISES = [guided]
