"""deeper.images: tensors to PIL as diffusers rounds them, grids, latent channels, enlargement."""

import io

import numpy as np
import pytest
import torch
from diffusers.image_processor import VaeImageProcessor

from deeper.images import channel_tiles, enlarge, from_pil, grid_labels, image_grid, labelled_grid, to_pil


def test_to_pil_rounds_as_the_pipeline_does():
    images = torch.rand(2, 3, 8, 8)
    ours = to_pil(images)
    theirs = VaeImageProcessor().postprocess(images * 2 - 1, output_type="pil")
    assert all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(ours, theirs))


def test_from_pil_round_trips():
    image = to_pil(torch.rand(3, 8, 8))[0]
    assert np.array_equal(np.asarray(to_pil(from_pil(image))[0]), np.asarray(image))


def test_grid_and_enlarge_sizes():
    tiles = to_pil(torch.rand(5, 3, 32, 32))
    assert image_grid(tiles, cols=2, pad=2).size == (2 * 32 + 2, 3 * 32 + 2 * 2)
    assert enlarge(tiles[0], 128).size == (128, 128) and enlarge(tiles[0], 20).size == (32, 32)
    with pytest.raises(ValueError, match="at least one image"):
        image_grid([])


def test_channel_tiles_span_black_to_white():
    tiles = channel_tiles(torch.randn(4, 8, 8))
    assert len(tiles) == 4 and all(np.asarray(t).min() == 0 and np.asarray(t).max() == 255 for t in tiles)
    assert np.asarray(channel_tiles(torch.ones(1, 2, 2))[0]).max() == 0


def test_labelled_grid_draws_its_labels_and_carries_them_in_its_png():
    tiles = to_pil(torch.rand(6, 3, 32, 32))
    grid = labelled_grid(tiles, cols=["3 steps", "16 steps", "50 steps"], rows=["LMS", "Euler"], side=64)
    assert grid.shape == (2, 3) and grid.size[0] > 3 * 64 and grid.size[1] > 2 * 64
    assert grid_labels(grid.png()) == {"rows": ["LMS", "Euler"], "cols": ["3 steps", "16 steps", "50 steps"],
                                       "title": "", "shape": [2, 3]}
    pixels = np.asarray(grid.image)
    label_band = pixels[: pixels.shape[0] - 2 * 64 - 4 - 4, pixels.shape[1] - 64 - 4:]  # over the last column
    assert (label_band < 128).any(), "the column label is drawn in"
    assert grid._repr_png_() == grid.png()


def test_labelled_grid_wraps_long_labels_inside_the_picture():
    tiles = to_pil(torch.rand(2, 3, 32, 32))
    long = "a thin blue 5 on a pink background, seen at guidance 7.5"
    grid = labelled_grid(tiles, cols=[long, "short"], title=long * 3)
    assert grid.size[0] == 2 * 32 + 4 + 2 * 4  # the labels wrapped: no wider than the pictures
    assert grid.size[1] > 32 + 4 * 15


def test_labelled_grid_refuses_a_grid_without_labels_or_with_miscounted_ones():
    tiles = to_pil(torch.rand(4, 3, 8, 8))
    with pytest.raises(ValueError, match="no labels"):
        labelled_grid(tiles)
    with pytest.raises(ValueError, match="counts must match"):
        labelled_grid(tiles, cols=["a", "b", "c"])
    with pytest.raises(ValueError, match="counts must match"):
        labelled_grid(tiles, rows=["a", "b", "c"])
    assert labelled_grid(tiles[:1]).shape == (1, 1)  # one picture may go unlabelled
    assert grid_labels(png_bytes_of(image_grid(tiles))) is None


def png_bytes_of(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
