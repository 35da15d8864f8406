"""Bad input to the backend: a ValueError that names the parameter and says what is allowed."""

import math

import pytest

from deeper.sd import checked_settings, generate, settings_code
from sd_fixtures import tiny_parts

BAD = [
    ("guidance_scale", math.nan, "guidance_scale must be a number from 0 to 100"),
    ("guidance_scale", -1, "guidance_scale"),
    ("guidance_scale", 1e6, "guidance_scale"),
    ("guidance_scale", math.inf, "guidance_scale"),
    ("guidance_scale", "7", "guidance_scale"),
    ("steps", 0, "steps must be a whole number from 1 to 1000"),
    ("steps", 1001, "steps"),
    ("steps", 2.5, "steps"),
    ("steps", True, "steps"),
    ("seed", -1, "seed must be a whole number from 0 to 2\\*\\*64 - 1"),
    ("seed", 2**64, "seed"),
    ("seed", 1.5, "seed"),
    ("height", 33, "height must be a multiple of 8 from 8 to 128"),
    ("width", 0, "width"),
    ("width", 4096, "width"),
    ("scheduler", "PNDM", "scheduler must be one of LMS, DDIM, Euler, DPM-Solver"),
    ("prompt", None, "prompt must be a string"),
    ("prompt", 7, "prompt"),
    ("prompt", [], "prompt"),
    ("negative_prompt", ["a", "b"], "negative_prompt"),
]


@pytest.mark.parametrize("name, value, message", BAD, ids=[f"{n}={v!r}" for n, v, _ in BAD])
def test_bad_setting_is_named(name, value, message):
    with pytest.raises(ValueError, match=message):
        checked_settings(tiny_parts(), **{name: value})


def test_unknown_setting_is_named():
    with pytest.raises(ValueError, match="unknown setting.*num_steps"):
        checked_settings(tiny_parts(), num_steps=3)


def test_defaults_and_edges_are_accepted():
    s = checked_settings(tiny_parts(), prompt="", seed=2**64 - 1, guidance_scale=0, steps=1000, scheduler="dpm_solver")
    assert s == dict(prompt="", negative_prompt="", guidance_scale=0.0, steps=1000, seed=2**64 - 1,
                     scheduler="DPM-Solver", height=32, width=32)


def test_no_seed_draws_one_and_records_it():
    s = checked_settings(tiny_parts(), seed=None)
    assert isinstance(s["seed"], int) and 0 <= s["seed"] < 2**32


def test_empty_prompt_makes_an_image():
    assert generate(tiny_parts(), "", steps=2).size == (32, 32)


def test_settings_code_makes_the_same_image():
    parts = tiny_parts()
    s = checked_settings(parts, prompt="a 9", steps=3, seed=4)
    code = settings_code(s, "some/model")
    assert "load_parts('some/model')" in code
    namespace = {"load_parts": lambda *a: parts}
    exec(code.replace("from deeper.sd import generate, load_parts", "from deeper.sd import generate"), namespace)
    assert namespace["image"].tobytes() == generate(parts, **s).tobytes()
