"""The prompt panel in pure Python: generate, stop, settings as a dict and as code, bad input as a message."""

import io
import threading
from contextlib import contextmanager
import math

import numpy as np
import pytest
from PIL import Image

from deeper.sd import generate
from sd_fixtures import tiny_parts
from widgets.prompt_panel import IMAGE_SIDE, PromptPanel


def png(data) -> Image.Image:
    return Image.open(io.BytesIO(bytes(data)))


@pytest.fixture
def panel():
    p = PromptPanel(tiny_parts(), prompt="a red 7", background=False)
    p.steps.value = 4
    return p


def test_generate_shows_the_image_the_backend_makes(panel):
    panel.seed.value = "3"
    panel.generate()
    assert not panel.message.error
    expected = generate(tiny_parts(), "a red 7", steps=4, seed=3)
    shown = png(panel.image.value)
    assert shown.size[0] >= IMAGE_SIDE
    assert np.array_equal(np.asarray(shown.resize((32, 32), Image.Resampling.NEAREST).convert("RGB")), np.asarray(expected))
    assert panel.progress.value == panel.progress.max == 4
    assert png(panel.strip.value).width > png(panel.strip.value).height


def test_settings_are_shown_as_a_dict_and_as_code(panel):
    panel.negative_prompt.value = "blue"
    panel.scheduler.value = "DDIM"
    panel.generate()
    assert panel.run.settings.negative_prompt == "blue" and panel.run.settings.scheduler == "DDIM"
    assert "&#x27;scheduler&#x27;: &#x27;DDIM&#x27;" in panel.settings_view.value
    assert "generate(" in panel.code_view.value and "load_parts(" in panel.code_view.value
    assert panel.code_box.selected_index is None  # one click away: the panel stays one view high


def test_stop_ends_the_run_cleanly(panel):
    panel.steps.value = 10
    panel.on_run(lambda run: None)
    original = panel._on_step

    def stop_after_two(step, every):
        original(step, every)
        if step.index == 1:
            panel.stop()

    panel._on_step = stop_after_two
    panel.generate()
    assert panel.run.stopped and len(panel.run.steps) == 2
    assert "stopped at step 2 of 10" in panel.progress_label.value
    assert not panel.generate_button.disabled and panel.stop_button.disabled


def test_new_seed_button_draws_a_seed(panel):
    panel.new_seed.click()
    assert panel.seed.value.isdigit() and int(panel.seed.value) < 2**32


@pytest.mark.parametrize("control, value, message", [
    ("guidance_scale", math.nan, "guidance_scale must be a number from 0 to 100"),
    ("guidance_scale", -2.0, "guidance_scale"),
    ("guidance_scale", 1e9, "guidance_scale"),
    ("steps", 0, "steps must be a whole number from 1 to 1000"),
    ("steps", 5000, "steps"),
    ("seed", "-1", "seed must be a whole number from 0 to 2**32 - 1"),
    ("seed", str(2**64), "seed"),
    ("seed", str(2**32), "seed must be a whole number from 0 to 2**32 - 1"),
    ("seed", str(5 + 2**40), "seed"),
    ("seed", "lucky", "seed"),
])
def test_bad_input_is_a_message_and_the_image_stays(panel, control, value, message):
    panel.generate()
    before = bytes(panel.image.value)
    getattr(panel, control).value = value
    panel.generate()
    assert message in panel.message.error
    assert bytes(panel.image.value) == before


def test_a_long_prompt_is_told_it_was_cut(panel):
    panel.prompt.value = " ".join(["seven"] * 500)
    panel.generate()
    assert not panel.message.error
    assert "CLIP reads at most 75" in panel.message.value


def test_unusual_text_generates(panel):
    for prompt in ["", "🙂 семь 七"]:
        panel.prompt.value = prompt
        panel.generate()
        assert not panel.message.error


def test_background_run_can_be_waited_for():
    panel = PromptPanel(tiny_parts(), background=True)
    panel.steps.value = 3
    panel.generate()
    panel.wait(60)
    assert panel.run is not None and not panel.running and not panel.message.error


def test_dom_classes_for_the_browser(panel):
    for widget, dom in [(panel.generate_button, "deeper-generate"), (panel.stop_button, "deeper-stop"),
                        (panel.prompt, "deeper-prompt")]:
        assert dom in widget._dom_classes


# --- after a run: everything shown belongs to one run, and the message is current (issue 19) ----------
@contextmanager
def failing(module, at_call: int, error=RuntimeError("the UNet broke")):
    """`module` raises `error` on its `at_call`-th forward call (1 is the first) while the block runs."""
    calls = []

    def hook(*_):
        calls.append(1)
        if len(calls) == at_call:
            raise error

    handle = module.register_forward_pre_hook(hook)
    try:
        yield calls
    finally:
        handle.remove()


def shown(panel):
    return (bytes(panel.image.value), bytes(panel.strip.value), panel.settings_view.value, panel.progress_label.value,
            panel.progress.value, panel.progress.max, panel.run)


@pytest.mark.parametrize("at_call, step", [(6, 6), (1, 1), (20, 20)])
def test_a_run_that_fails_midway_leaves_the_last_run_on_screen(panel, at_call, step):
    panel.generate()
    before = shown(panel)
    panel.steps.value, panel.seed.value = 20, "9"
    with failing(panel.parts.unet, at_call):  # guidance 7.5: one UNet call a step (the batch holds both halves)
        panel.generate()
    assert shown(panel) == before  # not the failed run's preview, nor "step 5/20"
    assert f"the run failed at step {step} of 20, so the previous run is still shown" in panel.message.error
    assert "the UNet broke" in panel.message.error
    assert not panel.generate_button.disabled and panel.stop_button.disabled
    panel.generate()  # and the next run is whole again
    assert panel.run.settings.steps == 20 and not panel.message.error
    assert "20 steps in" in panel.progress_label.value


def test_a_first_run_that_fails_shows_no_image(panel):
    with failing(panel.parts.unet, 2, ValueError("shapes do not match")):
        panel.generate()
    assert panel.run is None and bytes(panel.image.value) == b"" and panel.progress_label.value == ""
    assert "failed at step 2 of 4, so no image was made: shapes do not match" in panel.message.error


def test_a_decoder_that_fails_after_the_last_step_leaves_the_last_run(panel):
    panel.generate()
    before = shown(panel)
    panel.seed.value = "3"
    with failing(panel.parts.vae.decoder, 1, MemoryError("out of memory")):
        panel.generate()
    assert shown(panel) == before
    assert "so the previous run is still shown: MemoryError: out of memory" in panel.message.error


def test_the_in_progress_message_goes_when_the_run_ends_well():
    panel = PromptPanel(tiny_parts(), background=True)
    panel.steps.value = 3
    release, first_step = threading.Event(), threading.Event()
    on_step = panel._on_step

    def slow(step, every):
        first_step.set()
        release.wait(30)
        on_step(step, every)

    panel._on_step = slow
    panel.generate()
    assert first_step.wait(30)
    panel.generate()  # a second click while the first run works
    assert "a run is in progress" in panel.message.error
    release.set()
    panel.wait(60)
    assert not panel.running and panel.message.value == ""
    assert "3 steps in" in panel.progress_label.value


def test_a_unet_that_turns_to_nan_is_named_not_drawn_black(panel):
    panel.generate()
    before = shown(panel)
    panel.seed.value = "5"
    handle = panel.parts.unet.register_forward_hook(lambda module, args, output: (output[0] * float("nan"),))
    try:
        panel.generate()
    finally:
        handle.remove()
    assert shown(panel) == before
    assert "NaN or infinite" in panel.message.error and "weights are likely damaged" in panel.message.error


def test_words_the_model_never_saw_are_named_after_the_run():
    import dataclasses
    from deeper.sd.text import KnownWords
    known = KnownWords(frozenset({"a", "red", "7"}), "ten colours and the digits")
    p = PromptPanel(dataclasses.replace(tiny_parts(), known_words=known), prompt="a red cat", background=False)
    p.steps.value = 2
    p.generate()
    assert not p.message.error and p.run is not None  # drawn all the same, and said
    assert "&#x27;cat&#x27;" in p.message.value and "ten colours" in p.message.value
    p.prompt.value = "a red 7"
    p.generate()
    assert p.message.value == ""
    p.prompt.value = ""
    p.generate()
    assert "unconditioned" in p.message.value


def test_a_hub_model_gets_no_note_about_words(panel):
    panel.prompt.value = "a cat"
    panel.generate()
    assert panel.message.value == ""


# --- polish (issue 21) ------------------------------------------------------------------------------------
def test_enter_in_a_prompt_box_generates(panel):
    panel.prompt.value = "a blue 2"
    panel.prompt._handle_custom_msg({"event": "submit"}, [])  # what the front end sends on Enter
    assert panel.run is not None and panel.run.settings.prompt == "a blue 2"
    panel.negative_prompt._handle_custom_msg({"event": "submit"}, [])
    assert panel.run.settings.negative_prompt == "" and not panel.message.error


def test_stop_is_coloured_only_while_it_can_be_clicked(panel):
    assert panel.stop_button.disabled and panel.stop_button.button_style == ""
    during = []
    original = panel._on_step
    panel._on_step = lambda step, every: (during.append((panel.stop_button.disabled, panel.stop_button.button_style)),
                                          original(step, every))
    panel.generate()
    assert during[0] == (False, "warning")
    assert panel.stop_button.disabled and panel.stop_button.button_style == ""


def test_while_a_run_goes_the_last_runs_strip_and_settings_are_greyed(panel):
    panel.generate()
    strip, settings = bytes(panel.strip.value), panel.settings_view.value
    during = []
    original = panel._on_step
    panel._on_step = lambda step, every: (during.append((bytes(panel.strip.value), panel.settings_view.value)),
                                          original(step, every))
    panel.seed.value = "5"
    panel.generate()
    grey_strip, grey_settings = during[0]
    assert grey_strip != strip and png(grey_strip).size == png(strip).size
    assert np.asarray(png(grey_strip)).mean() > np.asarray(png(strip).convert("RGB")).mean()  # faded towards white
    assert "the previous run" in grey_settings and settings in grey_settings
    assert "the previous run" not in panel.settings_view.value and "&#x27;seed&#x27;: 5" in panel.settings_view.value


def test_after_stop_the_settings_and_code_make_the_image_that_was_drawn(panel):
    panel.steps.value = 10
    original = panel._on_step

    def stop_after_three(step, every):
        original(step, every)
        if step.index == 2:
            panel.stop()

    panel._on_step = stop_after_three
    panel.generate()
    assert panel.run.made_with["steps"] == 10 and panel.run.made_with["stop_after"] == 3
    assert "stop_after=3" in panel.run.code() and "&#x27;stop_after&#x27;: 3" in panel.settings_view.value
    again = generate(tiny_parts(), **panel.run.made_with)
    assert np.array_equal(np.asarray(again), np.asarray(panel.run.image))


def test_the_strip_is_labelled_with_its_steps(panel):
    from deeper.images import grid_labels

    panel.generate()
    assert grid_labels(bytes(panel.strip.value))["cols"] == ["step 1", "step 2", "step 3", "step 4"]


def test_the_negative_prompt_takes_a_scale_of_its_own(panel):
    panel.negative_prompt.value = "red ink"
    panel.generate()
    assert panel.run.settings.negative_scale is None and "negative_scale" not in panel.code_view.value
    diffusers_way = bytes(panel.image.value)
    panel.negative_scale.value = " 2 "
    panel.generate()
    assert not panel.message.error and panel.run.settings.negative_scale == 2.0
    assert "negative_scale=2.0" in panel.code_view.value and bytes(panel.image.value) != diffusers_way
    expected = generate(tiny_parts(), "a red 7", negative_prompt="red ink", negative_scale=2, steps=4, seed=1)
    assert np.array_equal(np.asarray(png(panel.image.value).resize((32, 32), Image.Resampling.NEAREST).convert("RGB")),
                          np.asarray(expected))


@pytest.mark.parametrize("value, message", [("gentle", "the negative prompt's scale must be empty"),
                                            ("-1", "negative_scale must be None"), ("1e9", "negative_scale")])
def test_a_bad_negative_scale_is_a_message_and_the_image_stays(panel, value, message):
    panel.generate()
    before = bytes(panel.image.value)
    panel.negative_scale.value = value
    panel.generate()
    assert message in panel.message.error and bytes(panel.image.value) == before
