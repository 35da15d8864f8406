"""The one checking core every lesson's exercises share (Kaggle Learn's `q.check()`, `q.hint()`,
`q.solution()`, for functions a student writes in a notebook).

A student defines a function in the exercise's cell and calls `NAME = ex.NAME.check(NAME)`. The check runs
`fn` on several cases against the course's reference and prints one line: passed, not done yet
(the cell still holds its stub, a body of `...`), or failed with what is wrong in the student's
words. Whatever the student's code does (raises, loops for ever, returns the wrong type or shape,
changes its input) becomes that line; the kernel lives on. `check` returns the function the rest of
the notebook should use: the student's once it passes, else the solution, so every later cell
still runs. With the teacher switch on (environment variable DEEPER_TEACHER=1, or
`%env DEEPER_TEACHER=1` in a notebook) a stub is filled with its solution: the check prints the
solution's code and passes.
"""

import copy
import dis
import inspect
import math
import os
import signal
import textwrap
import threading
import types
from contextlib import contextmanager
from typing import Callable

import torch

PASSED, NOT_DONE, FAILED = "passed", "not done yet", "failed"
TEACHER_ENV = "DEEPER_TEACHER"
TIME_LIMIT = 2.0  # seconds a student's code may run in one check before it is stopped


class Wrong(Exception):
    """What is wrong with a student's answer, in a sentence for the student."""


class NotDone(Exception):
    """The student's code says it is not written yet (a stub, or NotImplementedError)."""


def teacher_mode() -> bool:
    """The teacher switch: DEEPER_TEACHER=1 fills every stub with its solution (read at each check)."""
    return os.environ.get(TEACHER_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def is_stub(fn) -> bool:
    """A function whose body does nothing (`...`, `pass` or only a docstring) is a stub."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    ops = [i for i in dis.get_instructions(code) if i.opname not in ("RESUME", "NOP", "CACHE")]
    names = [i.opname for i in ops]
    return ((names == ["LOAD_CONST", "RETURN_VALUE"] and ops[0].argval is None)
            or (names == ["RETURN_CONST"] and ops[0].argval is None))


@contextmanager
def time_limit(seconds: float, what: str):
    """Stop code that runs longer than `seconds` with Wrong (SIGALRM: Unix, main thread only)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def stop(signum, frame):
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except TimeoutError:
        raise Wrong(f"{what} ran for more than {seconds:g} s and was stopped: does a loop never end?") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def attempt(fn, *args, label: str, seconds: float = TIME_LIMIT):
    """fn(*args), with the student's exception, endless loop or NotImplementedError turned into a sentence."""
    try:
        with time_limit(seconds, label):
            return fn(*args)
    except (Wrong, NotDone):
        raise
    except NotImplementedError:
        raise NotDone from None
    except Exception as e:  # noqa: BLE001 - any error in the student's code becomes the message
        raise Wrong(f"{label} raised {type(e).__name__}: {e}") from None


def show(x, limit: int = 90) -> str:
    """A short readable form of a value for a message."""
    if isinstance(x, torch.Tensor):
        return f"a tensor of shape {tuple(x.shape)}" if x.numel() > 6 else f"tensor({x.tolist()})"
    text = repr(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def kind(x) -> str:
    if inspect.isgenerator(x):
        return "a generator"
    name = type(x).__name__
    return f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"


def difference(expected, got, tolerance: tuple[float, str] | None = None, where: str = "") -> str:
    """'' when `got` is `expected` (exactly, or within `tolerance` = (atol, why) for floats), else
    what differs first: type, length, shape, dtype, or the values and where."""
    at = f" at {where}" if where else ""
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            return f"a tensor expected{at}, got {kind(got)} ({show(got)})"
        if got.shape != expected.shape:
            return f"shape {tuple(expected.shape)} expected{at}, got {tuple(got.shape)}"
        if got.dtype != expected.dtype:
            return f"dtype {expected.dtype} expected{at}, got {got.dtype}"
        if tolerance is None:
            if torch.equal(got, expected):
                return ""
            allowed = " (exactly: the maths allows no rounding here)"
        else:
            allowed = f" (allowed: {tolerance[0]:g}, {tolerance[1]})"
        gap = (got.double() - expected.double()).abs().nan_to_num(math.inf)
        if tolerance is not None and gap.max() <= tolerance[0]:
            return ""
        index = tuple(int(i) for i in torch.unravel_index(gap.argmax(), gap.shape)) if gap.ndim else ()
        place = f" at index {index}" if index else ""
        return (f"values differ{at}: largest difference {gap.max().item():.3g}{place}, "
                f"expected {expected[index].item():.6g}, got {got[index].item():.6g}{allowed}")
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"a dict expected{at}, got {kind(got)} ({show(got)})"
        if sorted(map(repr, got)) != sorted(map(repr, expected)):
            return f"keys {show(sorted(expected))} expected{at}, got {show(sorted(got))}"
        for key in expected:
            message = difference(expected[key], got[key], tolerance, f"{where}[{key!r}]" if where else str(key))
            if message:
                return message
        return ""
    if isinstance(expected, (list, tuple)):
        if type(got) is not type(expected):
            return f"{kind(expected)} expected{at}, got {kind(got)} ({show(got)})"
        if len(got) != len(expected):
            return f"{len(expected)} items expected{at}, got {len(got)}: {show(got)}"
        for i, (expected_i, got_i) in enumerate(zip(expected, got)):
            message = difference(expected_i, got_i, tolerance, f"{where}[{i}]" if where else f"item {i}")
            if message:
                return message
        return ""
    if isinstance(expected, float) and isinstance(got, (int, float)) and not isinstance(got, bool):
        allowed = 0.0 if tolerance is None else tolerance[0]
        if abs(got - expected) <= allowed:
            return ""
        return f"{expected!r} expected{at}, got {got!r}"
    if type(got) is not type(expected):
        return f"{kind(expected)} expected{at}, got {kind(got)} ({show(got)})"
    return "" if got == expected else f"{show(expected)} expected{at}, got {show(got)}"


def joined(first: str, then: str) -> str:
    """Two sentences, with a full stop between them unless the first already ends in one."""
    return f"{first}{'' if first.endswith(('.', '?', '!', ':')) else '.'} {then}"


def same(a, b) -> bool:
    """Equal, tensors included (to tell whether a student's code changed its input)."""
    return difference(a, b) == ""


class Case:
    """One call of the student's function: its arguments and how the student would write the call."""

    def __init__(self, label: str, *args):
        self.label, self.args = label, args


def compare_cases(cases: Callable[[], list[Case]], mistakes: list[tuple[Callable, str]] = (),
                  tolerance: tuple[float, str] | None = None, mutates: bool = False,
                  expect: Callable | None = None, run: Callable | None = None,
                  errors: list[tuple[str, str]] = ()):
    """A judge that runs the function on every case beside the solution and compares the answers.

    `mistakes`: (a typical wrong solution, what to tell the student) — when the student's answer
    equals that wrong solution's, the message says so. `run(fn, *args)` calls a candidate (default
    fn(*args)); `expect(*args)` gives the expected answer (default: the solution's). Inputs are
    copied first; unless `mutates`, a changed input is an error. `errors`: (words in the message of
    an error the student's code raised or a time limit, advice to add).
    """
    def judge(fn, solution):
        run_ = run or (lambda f, *a: f(*a))
        for case in cases():
            expected = expect(*case.args) if expect else run_(solution, *copy.deepcopy(case.args))
            args = copy.deepcopy(case.args)
            got = attempt(run_, fn, *args, label=case.label)
            if not mutates and not same(list(args), list(case.args)):
                raise Wrong(f"{case.label} changed its input; work on new values and leave the arguments as they were")
            message = difference(expected, got, tolerance)
            if not message:
                continue
            for wrong, advice in mistakes:
                try:
                    typical = run_(wrong, *copy.deepcopy(case.args))
                except Exception:  # noqa: BLE001 - a typical mistake may raise where the student's did not
                    continue
                if not difference(typical, got, tolerance):
                    raise Wrong(joined(f"{case.label}: {message}", advice))
            raise Wrong(f"{case.label}: {message}")
    return with_advice(judge, errors)


def with_advice(judge, errors: list[tuple[str, str]]):
    """`judge`, with advice added to a Wrong whose message holds the words of one of `errors`."""
    def judged(fn, solution, *context):
        try:
            judge(fn, solution, *context)
        except Wrong as e:
            advice = [a for words, a in errors if words in str(e)]
            if advice:
                raise Wrong(joined(str(e), advice[0])) from None
            raise
    return judged


class Exercise:
    """One exercise: check(fn) judges it, hint() gives the hints in turn, solution() shows the code.

    `judge(fn, solution)` raises Wrong with the student's message, or returns when fn is right.
    `in_notebook`: the solution is handed back bound to the student's globals (like pasting it into
    the cell), for solutions that use the notebook's own variables (`rnd_state`).
    """

    def __init__(self, name: str, task: str, solution: Callable, hints: list[str], judge: Callable,
                 in_notebook: bool = False, function: str | None = None):
        self.name, self.task, self.reference, self.hints = name, task, solution, hints
        self.function = function or name  # what the student's function is called
        self.judge, self.in_notebook = judge, in_notebook
        self.status, self.message, self.hints_given = NOT_DONE, "", 0
        self.listeners: list[Callable] = []  # called with the exercise after every check (the progress view)

    def __repr__(self) -> str:
        return f"<exercise {self.name}: {self.status}>"

    def _filled(self, fn):
        """The solution to carry on with (bound to the student's globals when `in_notebook`)."""
        sol = self.reference
        if self.in_notebook and hasattr(fn, "__globals__"):
            return types.FunctionType(sol.__code__, fn.__globals__, sol.__name__, sol.__defaults__, sol.__closure__)
        return sol

    def outcome(self, fn, *context) -> tuple[str, str]:
        """(status, message) for `fn`, without printing."""
        if fn is None or is_stub(fn):
            return NOT_DONE, ""
        if not callable(fn):
            return FAILED, f"{self.name} should be a function (a def); got {kind(fn)}: {show(fn)}"
        try:
            self.judge(fn, self._filled(fn), *context)
        except NotDone:
            return NOT_DONE, ""
        except Wrong as e:
            return FAILED, str(e)
        except Exception as e:  # noqa: BLE001 - an answer odd enough to trip the check itself
            return FAILED, f"your answer could not be checked: {type(e).__name__}: {e}"
        return PASSED, ""

    def check(self, fn=None, *context):
        """Judge `fn`, print the verdict, and return the function later cells should use."""
        is_solution = getattr(fn, "__code__", None) is self.reference.__code__
        if teacher_mode() and (fn is None or is_stub(fn) or is_solution):
            filled = self._filled(fn)
            print(f"Teacher mode ({TEACHER_ENV}=1): the solution fills this exercise.\n")
            print(self.solution_code())
            status, message = self.outcome(filled, *context)
            self._report(status, message)
            return filled
        if is_solution:
            self._report(NOT_DONE, "", note=f"{self.function} is the course's solution now, the one the notebook "
                         "carried on with: write yours in the exercise's cell and run that cell.")
            return fn
        status, message = self.outcome(fn, *context)
        self._report(status, message)
        return fn if status == PASSED else self._filled(fn)

    def _report(self, status: str, message: str, note: str = "") -> None:
        self.status, self.message = status, message
        if status == PASSED:
            print(f"✓ {self.name}: passed. Well done.")
        elif status == NOT_DONE:
            print(f"… {self.name}: not done yet. {note or 'Write it in this cell, in place of the stub'} "
                  f"(ex.{self.name}.hint() helps); meanwhile the notebook carries on with the reference solution.")
        else:
            print(f"✗ {self.name}: {message}\n  (ex.{self.name}.hint() helps; the notebook carries on "
                  "with the reference solution until yours passes.)")
        for listener in list(self.listeners):
            listener(self)

    def hint(self) -> None:
        """Print the next hint (the last one again once all are given)."""
        i = min(self.hints_given, len(self.hints) - 1)
        self.hints_given += 1
        print(f"Hint {i + 1} of {len(self.hints)}: {self.hints[i]}")

    def solution_code(self) -> str:
        source = textwrap.dedent(inspect.getsource(self.reference))
        source = source.replace(f"def {self.reference.__name__}(", f"def {self.function}(", 1)
        return source.rstrip() + "\n"

    def solution(self) -> None:
        """Print the reference code."""
        print(f"Solution to {self.name}:\n")
        print(self.solution_code())
