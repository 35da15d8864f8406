"""The step slider in pure Python: one frame per step, t and sigma, quick to move, follows a panel."""

import io

import pytest
from PIL import Image

from deeper.images import grid_labels
from deeper.sd import denoise, run
from sd_fixtures import tiny_parts
from widgets.prompt_panel import PromptPanel
from widgets.step_slider import CHANNEL_SIDE, StepSlider


@pytest.fixture(scope="module")
def finished():
    return run(tiny_parts(), "a green 4", steps=6, seed=2)


def test_shows_the_last_step_of_a_run(finished):
    slider = StepSlider(finished)
    assert slider.slider.max == slider.play.max == 5 and slider.slider.value == 5
    assert "step 6 of 6" in slider.info.value
    channels = Image.open(io.BytesIO(bytes(slider.channels_image.value)))
    picture = Image.open(io.BytesIO(bytes(slider.latents_image.value)))
    assert 3 * CHANNEL_SIDE < channels.width <= picture.width  # no larger than the image they explain
    assert grid_labels(bytes(slider.channels_image.value))["cols"] == ["0", "1", "2", "3"]


def test_the_slider_shows_no_number_of_its_own_to_disagree_with_its_step_line(finished):
    slider = StepSlider(finished)
    slider.slider.value = 2
    assert not slider.slider.readout and "step 3 of 6" in slider.info.value
    assert slider.info in slider.children[0].children  # the step line sits beside the slider


def test_moving_the_slider_shows_that_step(finished):
    slider = StepSlider(finished)
    before = bytes(slider.latents_image.value)
    slider.slider.value = 0
    assert "step 1 of 6" in slider.info.value and "t = 999.0" in slider.info.value
    assert f"σ = {finished.steps[0].sigma:.3f}" in slider.info.value
    assert bytes(slider.latents_image.value) != before


def test_play_moves_the_slider(finished):
    slider = StepSlider(finished)
    slider.play.value = 2
    assert slider.slider.value == 2 and "step 3 of 6" in slider.info.value


def test_works_on_the_backend_loop():
    steps = list(denoise(tiny_parts(), "a 1", steps=3, seed=0))
    slider = StepSlider.from_steps(steps, tiny_parts())
    assert slider.slider.max == 2


def test_follows_a_prompt_panel():
    panel = PromptPanel(tiny_parts(), background=False)
    panel.steps.value = 3
    slider = StepSlider().follow(panel)
    panel.generate()
    assert slider.slider.max == 2 and "step 3 of 3" in slider.info.value


def test_moving_the_slider_decodes_nothing(finished, monkeypatch):
    """Every step is decoded once, up front: moving only swaps pictures (bench/bench_sd.py times it)."""
    slider = StepSlider(finished)
    monkeypatch.setattr(finished.parts.vae, "decode", lambda *args, **kwargs: pytest.fail("decoded on a move"))
    shown = set()
    for i in [0, 3, 1, 5, 2, 4]:
        slider.slider.value = i
        shown.add(bytes(slider.latents_image.value))
    assert not slider.message.error and len(shown) == 6


def test_no_steps_is_a_message():
    slider = StepSlider()
    slider.show_steps([], tiny_parts())
    assert "no steps" in slider.message.error


@pytest.mark.parametrize("i", [0, 5, -1])
def test_showing_a_step_with_no_run_is_a_message(i):
    slider = StepSlider()
    slider.show_step(i)
    assert "no run to show yet" in slider.message.error


@pytest.mark.parametrize("i", [6, -1, 99, 2.5, "3", True])
def test_a_step_out_of_range_is_a_message_and_the_picture_stays(finished, i):
    slider = StepSlider(finished)
    before = (slider.info.value, slider.original_image.value)
    slider.show_step(i)
    assert "out of range: this run has steps 0 to 5" in slider.message.error
    assert (slider.info.value, slider.original_image.value) == before
    slider.show_step(2)
    assert not slider.message.error and "step 3 of 6" in slider.info.value
