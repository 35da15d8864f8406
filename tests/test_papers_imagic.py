"""Imagic's stages on the random tiny model, and the checks on its input image."""

import numpy as np
import pytest
import torch
from PIL import Image

from deeper.digits.attributes import Attributes, coverage, make_edit
from deeper.papers.imagic import Imagic, ImagicSettings, input_image, interpolate
from deeper.digits.captions import COLOURS
from deeper.digits.dataset import PALETTE_RGB, render
from sd_fixtures import tiny_parts

QUICK = ImagicSettings(embedding_steps=3, unet_steps=3, batch_size=2, sample_steps=2, embedding_lr=1e-2)


@pytest.fixture(scope="module")
def fitted():
    image = (np.random.default_rng(0).random((32, 32, 3)) * 255).astype(np.uint8)
    return Imagic(tiny_parts(), image, "a blue 7 on a white background", QUICK).fit()


def test_stage_a_moves_the_embedding_from_the_target(fitted):
    assert not torch.equal(fitted.e_opt, fitted.e_tgt)
    assert (fitted.e_opt - fitted.e_tgt).abs().max() < 0.1  # a few small Adam steps from e_tgt


def test_stage_b_tunes_a_copy_and_leaves_the_model_alone(fitted):
    original = dict(tiny_parts().unet.named_parameters())
    tuned = dict(fitted.unet.named_parameters())
    assert any(not torch.equal(tuned[k], original[k]) for k in original)
    assert fitted.unet is not tiny_parts().unet


def test_interpolation_ends_at_e_opt_and_e_tgt(fitted):
    assert torch.equal(interpolate(fitted.e_tgt, fitted.e_opt, 0.0), fitted.e_opt)
    assert torch.equal(interpolate(fitted.e_tgt, fitted.e_opt, 1.0), fitted.e_tgt)


def test_edits_share_the_noise_across_eta(fitted):
    images = fitted.edit([0.0, 0.0, 1.0], seeds=[0])
    assert images.shape == (3, 3, 32, 32)
    torch.testing.assert_close(images[0], images[1])
    two_seeds = fitted.edit([0.5], seeds=[0, 1])
    assert not torch.equal(two_seeds[0], two_seeds[1])


def test_edit_before_fit_is_refused():
    with pytest.raises(ValueError, match="run fit"):
        Imagic(tiny_parts(), np.zeros((32, 32, 3)), "a 7", QUICK).edit([0.5])


@pytest.mark.parametrize("image,note", [
    (np.zeros((32, 32, 3), dtype=np.uint8), ""),
    (np.zeros((28, 28), dtype=np.float32), "converted from mode L to RGB; resized from 28x28 to 32x32"),
    (torch.zeros(1, 3, 32, 32), ""),
    (Image.new("RGBA", (64, 64)), "converted from mode RGBA to RGB; resized from 64x64 to 32x32"),
])
def test_input_images_are_converted_with_a_note(image, note):
    pixels, said = input_image(image, 32)
    assert pixels.shape == (1, 3, 32, 32) and said == note


def test_transparent_pixels_become_white():
    pixels, _ = input_image(Image.new("RGBA", (32, 32), (255, 0, 0, 0)), 32)
    assert torch.allclose(pixels, torch.ones_like(pixels))


@pytest.mark.parametrize("image,match", [
    ("a picture", "must be a PIL image or an array"),
    (np.zeros((5, 5, 7)), "H x W x 3/4"),
    (np.zeros((0, 4)), "H x W"),
    (np.full((8, 8), np.nan), "NaN"),
])
def test_what_is_no_image_is_refused(image, match):
    with pytest.raises(ValueError, match=match):
        input_image(image, 32)


def test_coverage_inverts_the_render():
    alpha = torch.rand(3, 32, 32)
    ink, bg = torch.tensor([3, 7, 0]), torch.tensor([1, 2, 5])
    images = render(alpha, PALETTE_RGB[ink], PALETTE_RGB[bg])
    torch.testing.assert_close(coverage(images, ink, bg), alpha, rtol=1e-5, atol=1e-5)


def test_edits_judge_the_target_and_the_rest():
    edit = make_edit("ink", 7, "red", "white", "blue")
    assert edit.prompt == "a blue 7 on a white background"
    source = Attributes(*(torch.tensor([v]) for v in (7, COLOURS.index("red"), COLOURS.index("white"), 1.8, 0.0)))
    found = Attributes(torch.tensor([7, 7, 1]), torch.tensor([COLOURS.index("blue")] * 3),
                       torch.tensor([COLOURS.index("white"), COLOURS.index("pink"), COLOURS.index("white")]),
                       torch.ones(3), torch.zeros(3))
    assert edit.hit(found).tolist() == [True, True, True]
    assert edit.kept(found, source).tolist() == [True, False, False]
    assert make_edit("slant", 4, "orange", "black", "slanted").prompt == "a slanted orange 4 on a black background"
    with pytest.raises(ValueError, match="would both be white"):
        make_edit("ink", 1, "red", "white", "white")
    with pytest.raises(ValueError, match="edit must be one of"):
        make_edit("size", 1, "red", "white", "big")


def test_the_precomputed_imagic_table_is_the_cards(tmp_path):
    from deeper.papers.evaluate import precomputed_imagic_table

    table = precomputed_imagic_table()
    assert [line.split()[0] for line in table.splitlines()[:4]] == ["ink", "background", "thickness", "slant"]
    card = tmp_path / "README.md"
    card.write_text("# Students\n\n### Imagic\nno table yet\n")
    with pytest.raises(ValueError, match="precomputed table is missing"):
        precomputed_imagic_table(card)
