"""Guidance by a loss: a nudge down the loss's gradient, off at scale 0, and bad settings named."""

import pytest
import torch

from deeper.sd import decode, denoise
from deeper.sd.loss_guidance import colour_loss, colour_share, loss_guided, loss_nudge, with_and_without
from sd_fixtures import tiny_parts

BLUE = (0.1, 0.3, 0.9)


def blue(images):
    return colour_loss(images, BLUE)


def test_scale_zero_is_the_plain_loop_bit_for_bit():
    parts = tiny_parts()
    *_, plain = denoise(parts, "a 7", steps=6, seed=2)
    *_, guided = loss_guided(parts, "a 7", loss=blue, loss_scale=0.0, every=2, steps=6, seed=2)
    assert torch.equal(plain.latents, guided.latents)


def test_a_nudge_lowers_the_loss_of_the_predicted_clean_image():
    parts = tiny_parts()
    latents, noise_pred, sigma = torch.randn(2, 4, 8, 8), torch.randn(2, 4, 8, 8), 1.0
    nudged = loss_nudge(parts, blue, loss_scale=1.0, every=5)(0, 999, sigma, latents, noise_pred)
    before, after = (blue(decode(parts, x - sigma * noise_pred)) for x in (latents, nudged))
    assert (after < before).all()
    assert loss_nudge(parts, blue, 1.0, every=5)(3, 999, sigma, latents, noise_pred) is latents  # not a 5th step


def test_colour_share_reads_the_nearest_palette_colour():
    images = torch.tensor(BLUE)[None, :, None, None].repeat(2, 1, 4, 4)
    images[1, :, :2] = 1.0  # the top half white
    assert colour_share(images, BLUE, [(1, 1, 1), BLUE, (0, 0, 0)]).tolist() == [1.0, 0.5]


def test_with_and_without_times_both_for_each_seed():
    out = with_and_without(tiny_parts(), "a 7", [0, 1], loss=blue, loss_scale=0.0, steps=3)
    assert out["plain"].shape == out["guided"].shape == (2, 3, 32, 32) and torch.equal(out["plain"], out["guided"])
    assert out["plain_s"] > 0 and out["guided_s"] > 0


@pytest.mark.parametrize("kwargs, match", [
    (dict(loss="blue"), "loss must be a function"), (dict(loss_scale=-1), "loss_scale must be a number 0 or above"),
    (dict(loss_scale=float("nan")), "loss_scale must be"), (dict(every=0), "every must be a whole number"),
    (dict(scheduler="DDIM"), "scheduler must be one that works in sigmas"), (dict(steps=0), "steps must be"),
])
def test_bad_settings_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        loss_guided(tiny_parts(), "a 7", **{"loss": blue, "loss_scale": 1.0, **kwargs})
