"""Notebook 12's image-to-image and guidance by a loss: what the notebook computed."""

import re

import pytest

from notebooks import executed, grid_of, text_output

pytestmark = pytest.mark.notebook
ORGANISED = "12_sd_organised.ipynb"


def test_hand_written_img2img_equals_the_pipeline_and_the_backend():
    out = text_output(executed(ORGANISED), "img2img-equals-pipeline").splitlines()
    assert out == ["same image as StableDiffusionImg2ImgPipeline: True", "same image as deeper.sd.edit: True"]


def test_strength_strip_and_feeding_back():
    nb = executed(ORGANISED)
    assert grid_of(nb, "img2img-strengths")["cols"] == ["the sketch"] + [f"strength {s}" for s in (0.2, 0.4, 0.6, 0.8, 1.0)]
    assert grid_of(nb, "img2img-feedback")["cols"] == ["the sketch", "pass 1", "pass 2", "pass 3", "pass 4"]


def test_blue_loss_makes_more_blue_and_its_cost_is_measured():
    nb = executed(ORGANISED)
    assert grid_of(nb, "loss-guidance")["rows"] == ["plain", "blue loss"]
    out = text_output(nb, "loss-guidance-measured")
    assert out.startswith('"a 7", 4 seeds, 20 steps; blue loss x 8 every 5 steps')
    share = [int(x) for x in re.search(r"nearest to blue: +plain (\d+)%, with the loss (\d+)%", out).groups()]
    channel = [float(x) for x in re.search(r"blue channel: +plain ([\d.]+), with the loss ([\d.]+)", out).groups()]
    plain_s, guided_s = (float(x) for x in re.search(r"per image, fastest: +plain ([\d.]+), with the loss ([\d.]+)", out).groups())
    assert share[1] >= share[0] and channel[1] > channel[0] + 0.1  # 4 seeds: the channel moves, the share may not
    assert plain_s > 0 and guided_s > 0
