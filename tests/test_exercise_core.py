"""The checking core: bad input becomes a message and the kernel lives on; stubs, hints, the teacher
switch, and what check() hands back for the rest of the notebook."""

import pytest
import torch

from deeper.exercises.core import (FAILED, NOT_DONE, PASSED, TEACHER_ENV, Case, Exercise, compare_cases,
                                   difference, is_stub)


def shift_solution(x):
    return x + 1


def exercise(**options):
    """A fresh exercise: shift(x) adds one to a tensor."""
    return Exercise("shift", "shift(x): x + 1", shift_solution, ["Add one.", "`return x + 1`."],
                    compare_cases(lambda: [Case("shift(tensor([1., 2.]))", torch.tensor([1.0, 2.0]))], **options))


def run(fn, capsys, **options):
    e = exercise(**options)
    returned = e.check(fn)
    return e, returned, capsys.readouterr().out


def test_code_that_raises_is_a_message(capsys):
    e, _, out = run(lambda x: 1 / 0, capsys)
    assert e.status == FAILED and "shift(tensor([1., 2.])) raised ZeroDivisionError: division by zero" in out


def test_an_endless_loop_is_stopped(capsys):
    def shift(x):
        while True:
            pass
    e, _, out = run(shift, capsys)
    assert e.status == FAILED and "ran for more than 2 s and was stopped" in out


def test_the_wrong_type_is_named(capsys):
    e, _, out = run(lambda x: (x + 1).tolist(), capsys)
    assert "a tensor expected, got a list ([2.0, 3.0])" in out


def test_the_wrong_shape_is_named(capsys):
    e, _, out = run(lambda x: (x + 1)[None], capsys)
    assert "shape (2,) expected, got (1, 2)" in out


def test_changing_the_input_is_named(capsys):
    def shift(x):
        x += 1
        return x
    e, _, out = run(shift, capsys)
    assert e.status == FAILED and "changed its input" in out


def test_not_a_function(capsys):
    e, _, out = run(3, capsys)
    assert e.status == FAILED and "should be a function (a def); got an int: 3" in out


def test_a_tolerance_is_named_and_kept(capsys):
    e, _, out = run(lambda x: x + 1.001, capsys, tolerance=(1e-4, "float rounding"))
    assert "(allowed: 0.0001, float rounding)" in out
    e, _, _ = run(lambda x: x + 1.00001, capsys, tolerance=(1e-4, "float rounding"))
    assert e.status == PASSED


def test_exact_unless_a_tolerance_is_given():
    assert "exactly" in difference(torch.tensor([1.0]), torch.tensor([1.0 + 1e-7]))


def test_stubs_and_not_implemented_are_not_done(capsys):
    def shift(x):
        """Add one."""
        ...
    assert is_stub(shift) and not is_stub(shift_solution)
    e, returned, out = run(shift, capsys)
    assert e.status == NOT_DONE and "not done yet. Write it in this cell" in out and returned is shift_solution

    def shift(x):
        raise NotImplementedError
    assert run(shift, capsys)[0].status == NOT_DONE


def test_check_hands_back_the_students_function_once_it_passes(capsys):
    def shift(x):
        return 1 + x
    e, returned, out = run(shift, capsys)
    assert e.status == PASSED and returned is shift and "passed" in out
    e, returned, _ = run(lambda x: x, capsys)
    assert e.status == FAILED and returned is shift_solution


def test_checking_the_solution_it_carried_on_with_is_not_a_pass(capsys):
    """After a failed check the name holds the solution: checking it again must not pass."""
    e = exercise()
    shift = e.check(lambda x: x)
    e.check(shift)
    assert e.status == NOT_DONE and "shift is the course's solution now" in capsys.readouterr().out


def test_hints_come_in_turn(capsys):
    e = exercise()
    e.hint(), e.hint(), e.hint()
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["Hint 1 of 2: Add one.", "Hint 2 of 2: `return x + 1`.", "Hint 2 of 2: `return x + 1`."]


def test_the_solution_shows_the_reference_code_under_the_students_name(capsys):
    exercise().solution()
    assert "def shift(x):\n    return x + 1" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_the_teacher_switch_fills_a_stub_with_its_solution(value, monkeypatch, capsys):
    monkeypatch.setenv(TEACHER_ENV, value)

    def shift(x):
        ...
    e, returned, out = run(shift, capsys)
    assert e.status == PASSED and returned is shift_solution
    assert "Teacher mode" in out and "def shift(x):" in out


def test_the_teacher_switch_leaves_a_students_own_code_alone(monkeypatch, capsys):
    monkeypatch.setenv(TEACHER_ENV, "1")
    e, _, out = run(lambda x: x, capsys)
    assert e.status == FAILED and "Teacher mode" not in out


def test_off_by_default(monkeypatch, capsys):
    monkeypatch.delenv(TEACHER_ENV, raising=False)

    def shift(x):
        ...
    assert run(shift, capsys)[0].status == NOT_DONE


def test_a_solution_filled_into_a_notebook_uses_its_globals():
    """`in_notebook`: like pasting the solution into the cell, it reads the student's globals."""
    def total():
        return counter + 1  # noqa: F821 - a global of the "notebook"

    namespace = {"counter": 41}
    exec("def mine():\n    ...\n", namespace)
    e = Exercise("total", "", total, ["", ""], lambda fn, sol: None, in_notebook=True)
    assert e._filled(namespace["mine"])() == 42
