"""Notebook 22's exercise (in `papers`, with 20's and 21's)."""

from .papers import eta_mix

EXERCISES = [eta_mix]
