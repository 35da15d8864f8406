"""Notebook 20's exercise (in `papers`, with 21's and 22's)."""

from .papers import target

EXERCISES = [target]
