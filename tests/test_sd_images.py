"""deeper.images: tensors to PIL as diffusers rounds them, grids, latent channels, enlargement."""

import numpy as np
import pytest
import torch
from diffusers.image_processor import VaeImageProcessor

from deeper.images import channel_tiles, enlarge, from_pil, image_grid, to_pil


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
