"""The Imagic explorer in pure Python: a random tiny model and an untrained evaluator, a few
optimisation steps (behaviour, not quality: quality is the notebook's and the benchmark's)."""

import numpy as np
import pytest
from PIL import Image

from deeper.papers.imagic import ImagicSettings
from deeper.digits.evaluator import DigitClassifier, Evaluator
from sd_fixtures import tiny_parts
from widgets.imagic_explorer import ImagicExplorer

QUICK = ImagicSettings(embedding_steps=2, unet_steps=2, batch_size=2, sample_steps=2)


@pytest.fixture
def widget():
    return ImagicExplorer(tiny_parts(), Evaluator(DigitClassifier()), index=3, ink="red", background="white",
                          settings=QUICK, etas=[0.0, 0.5, 1.0], seeds=(0, 1))


def test_shows_the_input_and_a_target_prompt(widget):
    assert bytes(widget.input_image.value).startswith(b"\x89PNG")
    assert widget.message.error == ""
    assert widget.prompt.value.endswith("background") and widget.value.value in widget.prompt.value


def test_edit_kinds_offer_their_values(widget):
    widget.edit.value = "thickness"
    assert list(widget.value.options) == ["thick"] and "thick" in widget.prompt.value
    widget.edit.value = "slant"
    assert "slanted" in widget.prompt.value
    widget.edit.value = "background"
    assert widget.value.value not in ("red", "white") or widget.value.value != widget.ink.value


def test_fit_fills_the_edit_and_the_curves(widget):
    widget.fit()
    assert widget.message.error == ""
    assert widget.progress.value == widget.progress.max == 4
    assert len(widget.result.hit) == 3 and all(0 <= p <= 1 for p in widget.result.hit)
    assert widget.result.distance[0] >= 0
    assert bytes(widget.curves.value).startswith(b"\x89PNG") and "η = 0" in widget.edit_caption.value
    first = bytes(widget.edit_image.value)
    widget.eta.value = 1.0
    assert "η = 1" in widget.edit_caption.value and bytes(widget.edit_image.value) != first


def test_same_colour_for_ink_and_background_is_refused(widget):
    before = bytes(widget.input_image.value)
    widget.background.value = "red"
    assert "both red" in widget.message.error
    assert bytes(widget.input_image.value) == before


def test_a_grey_image_of_another_size_is_converted_with_a_note(widget):
    widget.set_image(Image.fromarray((np.random.default_rng(0).random((28, 28)) * 255).astype(np.uint8)))
    assert "converted from mode L to RGB" in widget.message.value and "resized from 28x28 to 32x32" in widget.message.value
    assert widget.result is None


def test_an_rgba_array_is_converted(widget):
    widget.set_image(np.ones((32, 32, 4), dtype=np.float32))
    assert "mode RGBA" in widget.message.value and widget.message.error == ""


def test_what_is_no_image_is_refused(widget):
    before = bytes(widget.input_image.value)
    widget.set_image("a red 7")
    assert "must be a PIL image or an array" in widget.message.error
    widget.set_image(np.zeros((5, 5, 7)))
    assert "H x W x 3/4" in widget.message.error
    assert bytes(widget.input_image.value) == before


def test_an_empty_prompt_is_refused(widget):
    widget.prompt.value = "  "
    widget.fit()
    assert "target prompt is empty" in widget.message.error and widget.result is None


def test_dom_classes_for_the_browser(widget):
    assert "deeper-eta" in widget.eta._dom_classes and "deeper-imagic-fit" in widget.fit_button._dom_classes


def test_shows_a_fit_made_elsewhere(widget):
    from deeper.papers.imagic import Imagic, sweep

    imagic = Imagic(tiny_parts(), np.zeros((32, 32, 3), dtype=np.uint8), "a blue 1 on a white background", QUICK).fit()
    result = sweep(imagic, widget.evaluator, widget.target(), widget.etas, seeds=[0])
    widget.show_fit(imagic, result)
    assert widget.message.error == "" and widget.prompt.value == "a blue 1 on a white background"
    assert bytes(widget.curves.value).startswith(b"\x89PNG")
    other = sweep(imagic, widget.evaluator, widget.target(), [0.0, 1.0], seeds=[0])
    widget.show_fit(imagic, other)
    assert "are not the slider's" in widget.message.error


def test_mnist_is_read_once_however_often_the_digit_or_colour_changes(monkeypatch):
    import widgets.imagic_explorer as module
    reads = []
    real = module.load_mnist
    monkeypatch.setattr(module, "load_mnist", lambda: reads.append(1) or real())
    w = ImagicExplorer(tiny_parts(), Evaluator(DigitClassifier()), index=3, settings=QUICK, etas=[0.0], seeds=(0,))
    first = bytes(w.input_image.value)
    w.index.value = 4
    w.ink.value = "blue"
    assert len(reads) == 1
    assert bytes(w.input_image.value) != first  # and every change still draws its digit
