"""Notebook 02's exercises: the `Matrix` dunders `__getitem__` (m[i, j]), `__len__`, `__iter__`, `__matmul__`.

Each method is checked on its own, in a fresh class beside the lesson's other methods, and
compared with the course's reference class `deeper.matrix.Matrix`.
"""

from .. import matrix as reference
from .core import Case, Exercise, Wrong, compare_cases

SMALL, TALL = [[1, 2, 3], [4, 5, 6]], [[7], [8], [9]]


class LessonMatrix:
    """The lesson's own class: the solutions (a test checks them against deeper.matrix.Matrix)."""

    def __init__(self, xs):
        self.xs = xs

    def __getitem__(self, idxs):
        return self.xs[idxs[0]][idxs[1]]

    def __len__(self):
        return len(self.xs)

    def __iter__(self):
        for row in self.xs:
            yield list(row)  # a copy: changing it must not change the matrix

    def __matmul__(self, other):
        (ar, ac), (br, bc) = (len(self.xs), len(self.xs[0])), (len(other.xs), len(other.xs[0]))
        assert ac == br, f"cannot multiply ({ar}, {ac}) by ({br}, {bc})"
        c = [[0.0] * bc for _ in range(ar)]
        for i in range(ar):
            for j in range(bc):
                for k in range(ac):
                    c[i][j] += self[i, k] * other[k, j]
        return Matrix(c)


Matrix = LessonMatrix  # the name the solutions use, as the lesson writes them


# -- m[i, j] --------------------------------------------------------------------------------------
def run_getitem(fn, xs, idxs):
    return type("Matrix", (LessonMatrix,), {"__getitem__": fn})(xs)[idxs]


def _swapped(self, idxs):
    return self.xs[idxs[1]][idxs[0]]


def _first_only(self, idxs):
    return self.xs[idxs[0]]


getitem = Exercise(
    "getitem", "m[i, j]: Python passes the tuple (i, j) as `idxs`; return row i's item j", LessonMatrix.__getitem__,
    ["`m[20, 15]` calls `__getitem__(m, (20, 15))`: idxs is a tuple, idxs[0] the row and idxs[1] the column.",
     "A list of lists is indexed twice: `return self.xs[idxs[0]][idxs[1]]`."],
    compare_cases(lambda: [Case("Matrix([[1, 2, 3], [4, 5, 6]])[0, 1]", SMALL, (0, 1)),
                           Case("Matrix([[1, 2, 3], [4, 5, 6]])[1, 2]", SMALL, (1, 2)),
                           Case("Matrix([[1, 2, 3], [4, 5, 6]])[-1, 0]", SMALL, (-1, 0))],
                  run=run_getitem, expect=lambda xs, idxs: reference.Matrix(xs)[idxs],
                  mistakes=[(_swapped, "You read m[j, i]: the row comes first, self.xs[idxs[0]][idxs[1]]"),
                            (_first_only, "That is the whole row: index it again with idxs[1]")],
                  errors=[("not tuple", "idxs is the pair (i, j): a list takes one index at a time, "
                           "self.xs[idxs[0]][idxs[1]]")]),
    function="__getitem__")


# -- len(m) ---------------------------------------------------------------------------------------
def run_len(fn, xs):
    return len(type("Matrix", (LessonMatrix,), {"__len__": fn})(xs))


def _elements(self):
    return len(self.xs) * len(self.xs[0])


def _columns(self):
    return len(self.xs[0])


length = Exercise(
    "length", "len(m): the number of rows, as for a list of lists", LessonMatrix.__len__,
    ["`len(m)` calls `m.__len__()`, which must return an int.",
     "The rows are in self.xs: `return len(self.xs)`."],
    compare_cases(lambda: [Case("len(Matrix([[1, 2, 3], [4, 5, 6]]))", SMALL),
                           Case("len(Matrix([[7], [8], [9]]))", TALL)],
                  run=run_len, expect=lambda xs: len(reference.Matrix(xs)),
                  mistakes=[(_elements, "That counts every element: len of a list of lists counts its rows"),
                            (_columns, "That is the number of columns: len counts the rows")],
                  errors=[("cannot be interpreted as an integer", "__len__ must return an int: did you forget `return`?")]),
    function="__len__")


# -- for row in m ---------------------------------------------------------------------------------
def run_iter(fn, xs):
    m = type("Matrix", (LessonMatrix,), {"__iter__": fn})(xs)
    rows = list(m)
    if rows and isinstance(rows[0], list):
        rows[0].append("changed")
        if xs[0] and xs[0][-1] == "changed":
            raise Wrong("changing a row you got from `for row in m` changed the matrix itself: "
                        "yield a copy of each row, list(row)")
    return [r[:-1] if i == 0 and isinstance(r, list) else r for i, r in enumerate(rows)]


def _flat(self):
    for row in self.xs:
        yield from row


iterate = Exercise(
    "iterate", "for row in m: yield each row, as a new list", LessonMatrix.__iter__,
    ["`for row in m` calls `iter(m)`, which calls `m.__iter__()`: make it a generator with `yield`.",
     "`for row in self.xs: yield list(row)` hands out copies, so a caller cannot change the matrix through them."],
    compare_cases(lambda: [Case("list(Matrix([[1, 2, 3], [4, 5, 6]]))", SMALL),
                           Case("list(Matrix([[7], [8], [9]]))", TALL)],
                  run=run_iter, expect=lambda xs: list(reference.Matrix(xs)),
                  mistakes=[(_flat, "You yield the numbers one by one: a Matrix iterates over its rows, each a list")],
                  errors=[("iter() returned non-iterator", "__iter__ must return an iterator: yield the rows "
                           "(or return iter(...)), not a list")]),
    function="__iter__")


# -- a @ b ----------------------------------------------------------------------------------------
def run_matmul(fn, xs_a, xs_b):
    cls = type("Matrix", (LessonMatrix,), {"__matmul__": fn})
    c = cls(xs_a) @ cls(xs_b)
    if not hasattr(c, "xs"):
        raise Wrong(f"a @ b returned {type(c).__name__} {c!r:.60}, not a Matrix: end with `return Matrix(c)`")
    rows = c.xs
    if len(rows) > 1 and all(r is rows[0] for r in rows):
        raise Wrong("every row of your answer is the same list object: `[[0.0] * bc] * ar` repeats one row; "
                    "make a new row each time, `[[0.0] * bc for _ in range(ar)]`")
    return [list(r) for r in rows]


def _no_sum(self, other):
    c = [[0.0] * len(other.xs[0]) for _ in self.xs]
    for i in range(len(self.xs)):
        for j in range(len(other.xs[0])):
            for k in range(len(other.xs)):
                c[i][j] = self[i, k] * other[k, j]
    return LessonMatrix(c)


def _transposed_b(self, other):
    c = [[0.0] * len(other.xs[0]) for _ in self.xs]
    for i in range(len(self.xs)):
        for j in range(len(other.xs[0])):
            for k in range(len(other.xs)):
                c[i][j] += self[i, k] * other[j, k]
    return LessonMatrix(c)


matmul = Exercise(
    "matmul", "a @ b by the triple loop, c[i][j] = sum over k of a[i, k] * b[k, j], returned as a Matrix",
    LessonMatrix.__matmul__,
    ["The answer has as many rows as self and as many columns as other: start from "
     "`c = [[0.0] * bc for _ in range(ar)]`, then loop over i, j and k.",
     "Inside the three loops: `c[i][j] += self[i, k] * other[k, j]`; at the end `return Matrix(c)`."],
    compare_cases(lambda: [Case("Matrix([[1, 2], [3, 4]]) @ Matrix([[5, 6], [7, 8]])", [[1, 2], [3, 4]], [[5, 6], [7, 8]]),
                           Case("Matrix([[1, 2, 3], [4, 5, 6]]) @ Matrix([[1, 0], [0, 1], [2, 3]])",
                                SMALL, [[1, 0], [0, 1], [2, 3]]),
                           Case("Matrix([[7], [8], [9]]) @ Matrix([[2]])", TALL, [[2]])],
                  run=run_matmul, expect=lambda a, b: (reference.Matrix(a) @ reference.Matrix(b)).xs,
                  mistakes=[(_no_sum, "Each c[i][j] holds only the last product: add them up with +="),
                            (_transposed_b, "You read other[j, k]: walk down other's column j, other[k, j]")]),
    function="__matmul__")

EXERCISES = [getitem, length, iterate, matmul]
