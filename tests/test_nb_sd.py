"""What the Stable Diffusion notebooks (10-13) computed: the hand-written loops equal the pipeline
and the backend, and the widgets were saved with a run in them."""

import base64
import io
import re

import pytest
from PIL import Image

from notebooks import executed, grid_of, has_image, text_output, widget_states

pytestmark = pytest.mark.notebook

PIPELINE, INSIDE, ORGANISED, MIXING = ("10_sd_pipeline.ipynb", "11_sd_inside.ipynb", "12_sd_organised.ipynb",
                                       "13_sd_prompt_mixing.ipynb")


def saved_png_sizes(nb) -> list[tuple[int, int]]:
    """Sizes of the PNGs held by the Image widgets papermill saved."""
    sizes = []
    for model in widget_states(nb, "ImageModel"):
        value = model["state"].get("value")
        data = (base64.b64decode(value) if isinstance(value, str)
                else base64.b64decode(model.get("buffers", [{}])[0].get("data", "")) if model.get("buffers") else b"")
        if data.startswith(b"\x89PNG"):
            sizes.append(Image.open(io.BytesIO(data)).size)
    return sizes


def test_pipeline_notebook_shows_each_knob():
    nb = executed(PIPELINE)
    assert text_output(nb, "same-seed").strip() == "same seed, same image: True"
    steps = grid_of(nb, "steps")
    assert steps["rows"] == ["LMS (4th order)", "Euler (1st order)"] and steps["shape"] == [2, 5]
    assert {"8 steps", "30 steps"} <= set(steps["cols"])  # the pictures the prose cites
    assert grid_of(nb, "img2img")["cols"][:2] == ["the sketch", "strength 0.2"]
    assert grid_of(nb, "guidance")["rows"] == ["guidance 1.1", "guidance 3", "guidance 7", "guidance 14"]
    for tag in ("first-image", "seeds", "steps", "guidance", "negative", "img2img", "callback"):
        assert has_image(nb, tag), tag
    assert "kept after steps [1, 7, 13, 19, 25, 30] of 30" in text_output(nb, "callback")
    # the negative prompt "red ink" as the pipeline applies it, then with a scale of its own: the 3s counted
    gentle = grid_of(nb, "negative-scale")
    assert gentle["shape"] == [2, 8] and gentle["rows"][1] == "the same, negative_scale=2"
    counts = [int(m) for m in re.findall(r"(\d) of 8 read as a 3", text_output(nb, "negative-scale"))]
    reds = [int(m) for m in re.findall(r"(\d) in red ink", text_output(nb, "negative-scale"))]
    assert len(counts) == 2 and counts[1] >= 7 and counts[1] > counts[0] and reds == [0, 0], (counts, reds)
    assert grid_of(nb, "callback")["cols"] == ["after step 1", "after step 7", "after step 13", "after step 19",
                                               "after step 25", "after step 30"]


def test_pipeline_notebook_saved_the_panel_and_slider_with_a_run():
    nb = executed(PIPELINE)
    sliders = {m["state"].get("description"): m["state"] for m in widget_states(nb, "IntSliderModel")}
    assert sliders["step"]["max"] == 29 and sliders["step"]["value"] == 29
    html = " ".join(m["state"].get("value", "") for m in widget_states(nb, "HTMLModel"))
    assert "30 steps in" in html and "step 30 of 30" in html and "image = generate(" in html
    # the code sits one click away, under an accordion titled so (ipywidgets 8: titles; 7: _titles)
    titles = [str(m["state"].get("titles") or m["state"].get("_titles")) for m in widget_states(nb, "AccordionModel")]
    assert any("the same in code" in t for t in titles), titles
    assert len(saved_png_sizes(nb)) >= 5


def test_tokenizer_and_text_encoder():
    nb = executed(INSIDE)
    lines = text_output(nb, "tokens").splitlines()
    assert lines[0] == "49408 77 (77,)"
    assert lines[1].startswith("[49406, 320, 736, 278") and lines[1].endswith("49407, 49407]")
    assert "'<|startoftext|>' '<|endoftext|>'" in text_output(nb, "decode-tokens")
    assert "9 real tokens of 77" in text_output(nb, "mask")
    truncation = text_output(nb, "truncation")
    assert "109 positions uncut: the start marker, 107 tokens, the end marker" in truncation
    assert "(1, 77) cut: the start marker, 75 tokens, the end marker" in truncation
    assert "PromptTruncatedWarning: the prompt is 107 tokens but CLIP reads at most 75" in truncation
    assert text_output(nb, "embeddings").startswith("(1, 77, ") and "encode_prompt: True" in text_output(nb, "embeddings")
    assert text_output(nb, "uncond").startswith("[49406, 49407, 49407, 49407]")
    assert has_image(nb, "similarity")


def test_scheduler_and_vae():
    nb = executed(INSIDE)
    assert "init_noise_sigma 14.61" in text_output(nb, "scheduler")
    assert has_image(nb, "schedule-plot")
    # tiny-sd's LMS walks exponentially spaced sigmas: every step removes the same share of sigma
    spacing = text_output(nb, "sigma-spacing").splitlines()
    assert spacing[0] == "exponential sigmas: True" and has_image(nb, "sigma-spacing")
    assert "0.84" in spacing[2] and spacing[3].count("0.19") == 4
    assert "after scale_model_input 0.9" in text_output(nb, "scale-model-input")
    assert "(1, 3, 32, 32) -> (1, 4, 8, 8)" in text_output(nb, "vae")
    assert has_image(nb, "vae-roundtrip") and has_image(nb, "add-noise")


def test_hand_written_loop_equals_pipeline_and_backend():
    out = text_output(executed(INSIDE), "loop-equals-pipeline").splitlines()
    assert out == ["max |our loop - pipeline|       = 0.0", "max |our loop - deeper.sd loop| = 0.0"]


def test_homework_equals_backend_and_records_every_step():
    nb = executed(ORGANISED)
    assert text_output(nb, "record").startswith("70 steps recorded; t from 999.0 to 0.0")
    assert text_output(nb, "homework-equals-backend").strip() == "same image as deeper.sd.generate: True"
    assert has_image(nb, "samples") and grid_of(nb, "strips")["rows"] == ["the latents", "predicted clean image"]
    assert grid_of(nb, "strips")["cols"][-1] == "after step 70"
    sliders = {m["state"].get("description"): m["state"] for m in widget_states(nb, "IntSliderModel")}
    assert sliders["step"]["max"] == 69 and sliders["step"]["value"] == 35  # 70 steps, halfway


def test_prompt_mixing_ends_are_the_prompts():
    nb = executed(MIXING)
    assert "w = 0 is prompt a: True" in text_output(nb, "ends")
    assert "w = 1 is prompt b: True" in text_output(nb, "ends")
    assert grid_of(nb, "mixes")["cols"] == ["w = 0.0", "w = 0.25", "w = 0.5", "w = 0.75", "w = 1.0"]
    assert grid_of(nb, "background-mixes")["cols"][-1] == 'the prompt "a red 7 on a gray background"'
    weights = [m["state"] for m in widget_states(nb, "FloatSliderModel") if m["state"].get("description") == "w"]
    assert weights and weights[0]["value"] == 0.5
