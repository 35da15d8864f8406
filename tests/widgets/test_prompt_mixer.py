"""The prompt mixer in pure Python: the ends are the prompts' own images, the middle something between."""

import io

import numpy as np
from PIL import Image

from deeper.sd import generate
from sd_fixtures import tiny_parts
from widgets import prompt_mixer
from widgets.prompt_mixer import PromptMixer


def pixels(data) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(bytes(data))).convert("RGB").resize((32, 32), Image.Resampling.NEAREST))


def test_the_ends_are_the_prompts_own_images():
    mixer = PromptMixer(tiny_parts(), "a red 7", "a blue 1", steps=3, seed=2)
    mixer.weight.value = 0.0
    assert np.array_equal(pixels(mixer.image.value), np.asarray(generate(tiny_parts(), "a red 7", steps=3, seed=2)))
    mixer.weight.value = 1.0
    assert np.array_equal(pixels(mixer.image.value), np.asarray(generate(tiny_parts(), "a blue 1", steps=3, seed=2)))
    assert "0.0 × prompt a + 1.0 × prompt b" in mixer.caption.value


def test_sliding_back_shows_the_image_made_before_without_drawing_it_again(monkeypatch):
    mixer = PromptMixer(tiny_parts(), "a red 7", "a blue 1", steps=2)
    at_half, drawn = bytes(mixer.image.value), []
    monkeypatch.setattr(prompt_mixer, "generate", lambda *args, **kwargs: drawn.append(kwargs) or generate(*args, **kwargs))
    mixer.weight.value = 0.3
    assert len(drawn) == 1 and bytes(mixer.image.value) != at_half
    mixer.weight.value = 0.5
    assert len(drawn) == 1 and bytes(mixer.image.value) == at_half


def test_a_long_prompt_still_mixes():
    mixer = PromptMixer(tiny_parts(), "a red 7", " ".join(["one"] * 200), steps=2)
    assert not mixer.message.error and bytes(mixer.image.value).startswith(b"\x89PNG")
