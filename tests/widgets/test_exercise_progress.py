"""The progress view follows the checks: not done yet, then failed with the message, then passed."""

from deeper.exercises import iteration
from deeper.exercises.core import Exercise, compare_cases, Case
from widgets.exercise_progress import ExerciseProgress


def fresh():
    """A fresh exercise (the lesson modules' are shared by the whole test session)."""
    return Exercise("double", "double(x): twice x", lambda x: 2 * x, ["Multiply."],
                    compare_cases(lambda: [Case("double(3)", 3)]))


def test_starts_not_done():
    view = ExerciseProgress([fresh(), fresh()])
    assert set(view.statuses.values()) == {"not done yet"}
    assert "0 of 2 passed" in view.title.value


def test_follows_each_check(capsys):
    exercise = fresh()
    view = ExerciseProgress([exercise])
    exercise.check(lambda x: x + 1)
    assert view.statuses == {"double": "failed"}
    assert "double(3): 6 expected, got 4" in view.message.value
    exercise.check(lambda x: x * 2)
    assert view.statuses == {"double": "passed"} and "1 of 1 passed" in view.title.value
    assert view.message.value == ""


def test_lists_a_lessons_exercises():
    view = ExerciseProgress(iteration.EXERCISES)
    assert "ex.chunks" in view.table.value and "ex.rows" in view.table.value
