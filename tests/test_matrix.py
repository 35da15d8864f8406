"""The reference Matrix: each dunder does what the lesson says, and bad input names the row."""

import pytest
import torch

from deeper.matrix import Matrix, matmul_loops, read_pair

ROWS = [[1, 2, 3], [4, 5, 6]]


@pytest.fixture
def m():
    return Matrix(ROWS)


def test_getitem_takes_the_pair_python_builds_from_i_comma_j(m):
    assert m[1, 2] == 6
    assert m.__getitem__((1, 2)) == 6
    assert m[-1, -1] == 6


def test_shape_len_and_iter(m):
    assert m.shape == (2, 3)
    assert len(m) == 2
    assert list(m) == ROWS


def test_iterating_hands_out_copies(m):
    for row in m:
        row[0] = 99
    assert m[0, 0] == 1


def test_the_matrix_keeps_its_own_copy_of_the_rows():
    rows = [[1, 2], [3, 4]]
    m = Matrix(rows)
    rows[0][0] = 99
    assert m[0, 0] == 1


def test_setitem_writes_one_element(m):
    m[0, 1] = 20
    assert m[0, 1] == 20 and list(m)[0] == [1, 20, 3]


def test_eq_compares_contents(m):
    assert m == Matrix([[1, 2, 3], [4, 5, 6]])
    assert m != Matrix([[1, 2, 3], [4, 5, 7]])
    assert (m == ROWS) is False  # a Matrix is not a list


def test_repr_shows_small_matrices_whole_and_large_ones_by_shape(m):
    assert repr(m) == "Matrix([[1, 2, 3], [4, 5, 6]])"
    assert "shape=(28, 28)" in repr(Matrix([[0.0] * 28] * 28))


def test_matmul_is_the_triple_loop_and_agrees_with_torch(m):
    other = Matrix([[1, 0], [0, 1], [1, 1]])
    assert m @ other == Matrix([[4, 5], [10, 11]])
    assert torch.equal(torch.tensor(ROWS) @ torch.tensor(list(other)), torch.tensor([[4, 5], [10, 11]]))


def test_the_triple_loop_reads_tensors_by_pair_as_the_lesson_does():
    a, b = torch.arange(6.).reshape(2, 3), torch.arange(6.).reshape(3, 2)
    assert torch.equal(torch.tensor(matmul_loops(a, b, a.shape, b.shape, read_pair)), a @ b)


def test_matmul_with_mismatched_shapes_names_both(m):
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(2, 3\)"):
        m @ m


def test_ragged_rows_name_the_row():
    with pytest.raises(ValueError, match="row 2 has length 2 but row 0 has length 3"):
        Matrix([[1, 2, 3], [4, 5, 6], [7, 8]])


def test_a_non_number_names_row_and_column():
    with pytest.raises(TypeError, match="row 1, column 0 is 'x'"):
        Matrix([[1, 2], ["x", 3]])


def test_a_row_that_is_not_a_list_is_named():
    with pytest.raises(TypeError, match="row 1 is 5"):
        Matrix([[1, 2], 5])


def test_empty_input_is_refused():
    with pytest.raises(ValueError, match="empty list"):
        Matrix([])
    with pytest.raises(ValueError, match="empty rows"):
        Matrix([[], []])


def test_an_index_out_of_range_gives_the_shape(m):
    with pytest.raises(IndexError, match=r"\(2, 3\) is out of range for a Matrix of shape \(2, 3\)"):
        m[2, 3]


def test_one_index_is_a_type_error_saying_how_to_index(m):
    with pytest.raises(TypeError, match=r"m\[i, j\]"):
        m[0]


def test_setting_a_non_number_is_refused(m):
    with pytest.raises(TypeError, match="holds numbers"):
        m[0, 0] = "seven"
