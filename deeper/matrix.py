"""The lesson's `Matrix`: a list of lists that Python reads as `m[i, j]`, built through the data model.

This is the reference version; notebook 02 grows the student's copy one dunder at a time and a test
checks that the two agree output for output.
"""

from numbers import Real


def check_rows(xs) -> list[list]:
    """`xs` as a list of equal-length lists of numbers, or a ValueError/TypeError naming the bad row."""
    rows = [list(row) if isinstance(row, (list, tuple)) else row for row in xs]
    if not rows:
        raise ValueError("an empty list: a matrix needs at least one row")
    for i, row in enumerate(rows):
        if not isinstance(row, list):
            raise TypeError(f"row {i} is {row!r} (a {type(row).__name__}), not a list of numbers")
        if len(row) != len(rows[0]):
            raise ValueError(f"ragged rows: row {i} has length {len(row)} but row 0 has length {len(rows[0])}")
        for j, x in enumerate(row):
            if not isinstance(x, Real):
                raise TypeError(f"row {i}, column {j} is {x!r} (a {type(x).__name__}), not a number")
    if not rows[0]:
        raise ValueError("empty rows: a matrix needs at least one column")
    return rows


def read_list(m, i, j):
    """m[i][j]: a list of lists is indexed twice."""
    return m[i][j]


def read_pair(m, i, j):
    """m[i, j]: a Matrix (or a tensor) takes the pair, one `__getitem__((i, j))` call."""
    return m[i, j]


def matmul_loops(a, b, shape_a, shape_b, read=read_list) -> list[list]:
    """The schoolbook triple loop, c[i][j] = sum_k a[i, k] b[k, j], reading elements with `read`."""
    (ar, ac), (br, bc) = shape_a, shape_b
    if ac != br:
        raise ValueError(f"cannot multiply shapes {tuple(shape_a)} and {tuple(shape_b)}: {ac} != {br}")
    c = [[0.0] * bc for _ in range(ar)]
    for i in range(ar):
        for j in range(bc):
            for k in range(ac):
                c[i][j] += read(a, i, k) * read(b, k, j)
    return c


class Matrix:
    """A list of lists read as `m[i, j]` (Python passes the tuple `(i, j)` to `__getitem__`)."""

    def __init__(self, xs):
        self.xs = check_rows(xs)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.xs), len(self.xs[0])

    def _check_index(self, idxs) -> tuple[int, int]:
        if not (isinstance(idxs, tuple) and len(idxs) == 2 and all(isinstance(k, int) for k in idxs)):
            raise TypeError(f"index a Matrix with two integers, m[i, j]; got {idxs!r}")
        for k, n in zip(idxs, self.shape):
            if not -n <= k < n:
                raise IndexError(f"index {idxs} is out of range for a Matrix of shape {self.shape}")
        return idxs

    def __getitem__(self, idxs):
        i, j = self._check_index(idxs)
        return self.xs[i][j]

    def __setitem__(self, idxs, value):
        i, j = self._check_index(idxs)
        if not isinstance(value, Real):
            raise TypeError(f"a Matrix holds numbers; got {value!r} (a {type(value).__name__}) for m[{i}, {j}]")
        self.xs[i][j] = value

    def __len__(self) -> int:
        return len(self.xs)

    def __iter__(self):
        return (list(row) for row in self.xs)

    def __eq__(self, other):
        if not isinstance(other, Matrix):
            return NotImplemented
        return self.xs == other.xs

    def __matmul__(self, other):
        if not isinstance(other, Matrix):
            return NotImplemented
        return Matrix(matmul_loops(self, other, self.shape, other.shape, read_pair))

    def __repr__(self) -> str:
        rows, cols = self.shape
        if rows * cols <= 36:
            return f"Matrix({self.xs!r})"
        return f"Matrix(shape={self.shape}, first row starts {self.xs[0][:4]!r}...)"
