import pytest

from deeper.iteration import chunks, rows


def test_chunks_splits_into_rows_with_a_short_last_one():
    assert list(chunks(list(range(7)), 3)) == [[0, 1, 2], [3, 4, 5], [6]]


def test_chunks_is_lazy():
    gen = chunks(list(range(10)), 5)
    assert next(gen) == [0, 1, 2, 3, 4]
    assert next(gen) == [5, 6, 7, 8, 9]
    with pytest.raises(StopIteration):
        next(gen)


def test_rows_by_islice_matches_chunks_on_any_iterable():
    pixels = [i / 784 for i in range(784)]
    assert rows(iter(pixels), 28) == list(chunks(pixels, 28))
    assert len(rows(pixels, 28)) == 28


@pytest.mark.parametrize("size", [0, -1, 2.5, "28"])
def test_bad_size_is_a_clear_error(size):
    with pytest.raises(ValueError, match="size must be a positive integer"):
        list(chunks([1, 2, 3], size))
    with pytest.raises(ValueError, match="size must be a positive integer"):
        rows([1, 2, 3], size)
