"""The Matrix inspector in pure Python: set values, assert on the traits and on the message line."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from deeper.matrix import Matrix
from widgets.matrix_inspector import MatrixInspector

ROWS = [[float(10 * i + j) for j in range(5)] for i in range(4)]  # m[i][j] == 10*i + j


def png_size(data: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(bytes(data))).size


@pytest.fixture
def inspector():
    return MatrixInspector(ROWS)


def test_a_list_of_lists_shows_its_shape_and_a_heat_map(inspector):
    assert "shape (4, 5)" in inspector.info.value
    assert bytes(inspector.image.value).startswith(b"\x89PNG")
    assert not inspector.message.error


def test_sliders_span_the_rows_and_columns(inspector):
    assert (inspector.row_slider.max, inspector.col_slider.max) == (3, 4)


def test_a_list_is_read_with_two_getitem_calls(inspector):
    inspector.row_slider.value, inspector.col_slider.value = 2, 3
    assert "m[2][3]" in inspector.expression.value
    assert "m.__getitem__(2).__getitem__(3)" in inspector.expression.value
    assert "23.0" in inspector.expression.value


def test_a_matrix_is_read_with_one_getitem_call_on_a_tuple():
    inspector = MatrixInspector(Matrix(ROWS))
    inspector.select(3, 1)
    assert "m[3, 1]" in inspector.expression.value
    assert "m.__getitem__((3, 1))" in inspector.expression.value
    assert "31.0" in inspector.expression.value


def test_the_matrix_trait_replaces_what_is_shown(inspector):
    inspector.matrix = torch.zeros(7, 9)
    assert (inspector.row_slider.max, inspector.col_slider.max) == (6, 8)
    assert isinstance(inspector.matrix, torch.Tensor)


def test_a_3d_tensor_gets_a_slice_slider_and_its_view_is_reported():
    flat = torch.arange(2 * 784, dtype=torch.float32).reshape(2, 784).clone()  # owns its storage
    inspector = MatrixInspector(flat.reshape(-1, 28, 28), name="imgs")
    inspector.select(1, 20, 15)
    assert inspector.slice_sliders[0].max == 1
    assert inspector.slice_sliders[0].layout.display != "none"
    assert inspector.slice_sliders[1].layout.display == "none"
    assert "imgs.__getitem__((1, 20, 15))" in inspector.expression.value
    assert f"tensor({784 + 20 * 28 + 15}.)" in inspector.expression.value
    assert "strides (784, 28, 1)" in inspector.info.value
    assert "torch.float32" in inspector.info.value
    assert "a view of a tensor of shape (2, 784)" in inspector.info.value


def test_a_tensor_that_owns_its_storage_is_not_a_view():
    assert "not a view" in MatrixInspector(torch.ones(3, 3)).info.value


def test_a_4d_tensor_gets_two_slice_sliders():
    inspector = MatrixInspector(torch.randn(2, 3, 4, 5))
    assert [s.max for s in inspector.slice_sliders] == [1, 2]
    assert inspector.index == (0, 0, 0, 0)


def test_moving_the_row_moves_the_highlight(inspector):
    before = inspector.image.value
    inspector.row_slider.value = 1
    assert inspector.image.value != before


def test_a_large_matrix_is_drawn_at_most_320_pixels_across():
    assert max(png_size(MatrixInspector(np.zeros((1000, 784))).image.value)) <= 320


def test_the_index_box_selects(inspector):
    inspector.index_box.value = "1, 4"
    assert (inspector.row_slider.value, inspector.col_slider.value) == (1, 4)


@pytest.mark.parametrize("bad, words", [
    ([[1, 2], [3]], "row 1"),
    ([], "empty list"),
    ([[1, "x"]], "row 0"),
    ([1.0, 2.0, 3.0], "flat list"),
    (torch.zeros(3), "1-D"),
    (torch.zeros(0, 3), "empty"),
    ("hello", "cannot show a str"),
])
def test_bad_matrices_are_explained_and_the_last_good_one_stays(inspector, bad, words):
    before = inspector.image.value
    inspector.matrix = bad
    assert words in inspector.message.error
    assert inspector.image.value == before
    assert inspector.matrix is ROWS


def test_an_index_out_of_range_gives_the_shape(inspector):
    inspector.select(9, 0)
    assert "out of range for shape (4, 5)" in inspector.message.error


def test_a_typed_index_out_of_range_gives_the_shape(inspector):
    inspector.index_box.value = "0, 99"
    assert "out of range for shape (4, 5)" in inspector.message.error


def test_an_unreadable_typed_index_is_explained(inspector):
    inspector.index_box.value = "twenty"
    assert "integers separated by commas" in inspector.message.error


def test_a_good_selection_clears_the_message(inspector):
    inspector.select(9, 0)
    inspector.row_slider.value = 2
    assert not inspector.message.error


def test_controls_carry_dom_classes_for_the_browser_tests(inspector):
    assert "deeper-row" in inspector.row_slider._dom_classes
    assert "deeper-col" in inspector.col_slider._dom_classes
    assert "deeper-expression" in inspector.expression._dom_classes


UNDRAWABLE = [  # each has a 2-D shape, so only drawing it could find the trouble (issue 19)
    (lambda: torch.eye(3).to_sparse(), "sparse tensor"),
    (lambda: torch.eye(3).to_sparse(layout=torch.sparse_csr), "sparse tensor"),
    (lambda: torch.zeros(3, 4, device="meta"), "meta tensor"),
    (lambda: torch.zeros(2, 3, 4, device="meta"), "meta tensor"),
    (lambda: np.array([[object(), None], [1, 2]], dtype=object), "dtype object"),
    (lambda: np.array([["a", "b"], ["c", "d"]]), "dtype <U1"),
    (lambda: np.zeros((2, 2), dtype="datetime64[s]"), "dtype datetime64"),
    (lambda: np.zeros((2, 2), dtype=[("x", "f4"), ("y", "i4")]), "holds no plain numbers"),
    (lambda: torch.ones(2, 2, dtype=torch.complex64), "complex tensor"),
    (lambda: np.ones((2, 2), dtype=complex), "complex array"),
]


@pytest.mark.parametrize("make, words", UNDRAWABLE, ids=[w for _, w in UNDRAWABLE])
def test_an_undrawable_input_leaves_the_last_matrix_working(inspector, make, words):
    inspector.row_slider.value = 1
    before = (inspector.image.value, inspector.expression.value, inspector.info.value)
    inspector.matrix = make()
    assert words in inspector.message.error
    assert inspector.matrix is ROWS
    assert (inspector.image.value, inspector.expression.value, inspector.info.value) == before
    inspector.row_slider.value = 3  # the next move draws the previous matrix, no exception escapes
    inspector.col_slider.value = 2
    assert "m[3][2]" in inspector.expression.value and "32.0" in inspector.expression.value
    assert not inspector.message.error


def test_a_slider_move_that_cannot_be_drawn_is_a_message(inspector):
    class Flaky(list):
        """A list of lists whose row 2 cannot be read (as a lazily loaded matrix might fail)."""
        def __getitem__(self, i):
            if i == 2:
                raise RuntimeError("row 2 is on a disk that went away")
            return list.__getitem__(self, i)

    inspector.matrix = Flaky(ROWS)
    before = inspector.image.value
    inspector.row_slider.value = 2  # raised out of the observer before issue 19
    assert "row 2 is on a disk that went away" in inspector.message.error
    assert inspector.image.value == before
    inspector.row_slider.value = 3
    assert not inspector.message.error and "m[3][0]" in inspector.expression.value


@pytest.mark.parametrize("values", [
    [[float("nan"), 1.0], [2.0, 3.0]], [[float("inf"), -float("inf")], [0.0, 1.0]], [[float("nan")] * 2] * 2])
def test_nan_and_infinity_are_drawn(values):
    inspector = MatrixInspector(torch.tensor(values))
    assert not inspector.message.error and bytes(inspector.image.value).startswith(b"\x89PNG")


def test_negative_indices_count_from_the_end_as_in_python(inspector):
    inspector.index_box.value = "-1, -2"
    assert (inspector.row_slider.value, inspector.col_slider.value) == (3, 3) and not inspector.message.error
    assert "m[-1, -2] counts from the end: it is m[3, 3]" in inspector.message.value
    assert "<code>33.0</code>" in inspector.expression.value  # ROWS[-1][-2], as Python reads it
    inspector.select(-5, 0)
    assert "out of range for shape (4, 5)" in inspector.message.error


def test_a_small_matrix_shows_its_numbers_and_a_large_one_does_not():
    plain = MatrixInspector(np.full((4, 5), 7.0)).image.value  # one colour: any other pixel is a digit
    pixels = np.asarray(Image.open(io.BytesIO(bytes(plain))).convert("RGB"))[64:128, 0:64]  # cell (1, 0), untinted
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 2
    big = np.asarray(Image.open(io.BytesIO(bytes(MatrixInspector(np.full((40, 40), 7.0)).image.value))).convert("RGB"))
    assert len(np.unique(big[100:200, 100:200].reshape(-1, 3), axis=0)) <= 3  # cells, tint and frame: no digits


def test_the_widget_says_how_to_pick_a_cell(inspector):
    assert "takes no clicks" in inspector.how_to_pick.value
