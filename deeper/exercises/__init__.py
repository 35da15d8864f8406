"""Exercises for the lessons, one module per notebook, on one checking core (`core`).

In a notebook: `from deeper.exercises import iteration as ex`, write the function in the
exercise's cell, then `chunks = ex.chunks.check(chunks)`; `ex.chunks.hint()`, `ex.chunks.solution()`.
`ex.EXERCISES` lists a notebook's exercises (for the progress view, widgets/exercise_progress.py).
"""
