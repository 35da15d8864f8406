"""Notebook 01's exercises: a `chunks` generator, and rows from any iterator with `iter(callable, sentinel)`."""

import inspect
from itertools import islice

from .core import Case, Exercise, Wrong, compare_cases


def chunks_solution(x, sz):
    for i in range(0, len(x), sz):
        yield x[i:i + sz]


def run_chunks(fn, x, sz):
    result = fn(x, sz)
    if not inspect.isgenerator(result):
        raise Wrong(f"chunks({x!r}, {sz}) returned a {type(result).__name__}, not a generator: "
                    "write it with `yield`, so each chunk is made only when it is asked for")
    return list(result)


def chunks_cases():
    return [Case("chunks([1, 2, 3, 4, 5, 6], 2)", [1, 2, 3, 4, 5, 6], 2),
            Case("chunks([1, 2, 3, 4, 5, 6, 7], 3)", [1, 2, 3, 4, 5, 6, 7], 3),
            Case("chunks([], 4)", [], 4),
            Case("chunks('abcde', 5)", "abcde", 5)]


def _drops_last(x, sz):
    for i in range(0, len(x) - sz + 1, sz):
        yield x[i:i + sz]


def _step_one(x, sz):
    for i in range(len(x)):
        yield x[i:i + sz]


def _end_is_size(x, sz):
    for i in range(0, len(x), sz):
        yield x[i:sz]


chunks = Exercise(
    "chunks", "a generator yielding x[0:sz], x[sz:2*sz], ... (the last may be shorter)", chunks_solution,
    ["Loop over the start of each chunk: `for i in range(0, len(x), sz):` counts 0, sz, 2*sz, ...",
     "Each chunk is the slice from i to i + sz: `yield x[i:i + sz]`. A slice past the end simply stops there."],
    compare_cases(chunks_cases, run=run_chunks, mistakes=[
        (_drops_last, "The last, shorter chunk is missing: let range run to len(x), a slice past the end is fine"),
        (_step_one, "Your chunks overlap: the loop must step by sz (range(0, len(x), sz)), not by 1"),
        (_end_is_size, "Only the first chunk is right: the slice must end at i + sz, not at sz"),
    ]))


def rows_solution(iterable, sz):
    it = iter(iterable)
    return list(iter(lambda: list(islice(it, sz)), []))


def rows_cases():
    return [Case("rows(range(7), 3)", range(7), 3),
            Case("rows([1, 2, 3, 4], 2)", [1, 2, 3, 4], 2),
            Case("rows((i * i for i in range(5)), 5)", "squares", 5)]


def run_rows(fn, iterable, sz):
    # a generator cannot be copied, so the case names it and it is made afresh here
    iterable = (i * i for i in range(5)) if iterable == "squares" else iterable
    return fn(iterable, sz)


def _no_sentinel_list(iterable, sz):
    it = iter(iterable)
    return list(iter(lambda: tuple(islice(it, sz)), ()))


def _with_len(iterable, sz):
    return [list(iterable[i:i + sz]) for i in range(0, len(iterable), sz)]


NO_LEN = ("A generator has no len() and cannot be sliced: take rows from one shared iterator, "
          "it = iter(iterable), with islice(it, sz)")


rows = Exercise(
    "rows", "rows of sz items from any iterable, with iter(callable, sentinel) and islice", rows_solution,
    ["Make one iterator first, `it = iter(iterable)`: each islice(it, sz) then takes the *next* sz items.",
     "`iter(f, sentinel)` calls f() until it returns sentinel. With f = lambda: list(islice(it, sz)), "
     "the end of the data is the empty list: `list(iter(lambda: list(islice(it, sz)), []))`."],
    compare_cases(rows_cases, run=run_rows, mistakes=[
        (_no_sentinel_list, "Each row must be a list: call list(islice(it, sz))"),
        (_with_len, "Rows must come from any iterator, through iter(callable, sentinel), not by slicing"),
    ], errors=[
        ("ran for more than", "With iter(callable, sentinel) the loop ends only when the callable returns the "
         "sentinel exactly: list(islice(it, sz)) returns [] at the end, so the sentinel is []; and "
         "`it = iter(iterable)` must be made once, outside the lambda"),
        ("has no len()", NO_LEN), ("not subscriptable", NO_LEN)]))

EXERCISES = [chunks, rows]
