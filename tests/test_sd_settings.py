"""Bad input to the backend: a ValueError that names the parameter and says what is allowed."""

import math

import pytest
import torch

from deeper.sd import Settings, checked_settings, generate, seed_generator, settings_code
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
    ("seed", -1, "seed must be a whole number from 0 to 2\\*\\*32 - 1"),
    ("seed", 2**64, "seed"),
    # torch keeps a seed's low 32 bits: each of these would silently draw a smaller seed's noise
    ("seed", 2**32, "seed must be a whole number from 0 to 2\\*\\*32 - 1 .4294967295.: torch's generator"),
    ("seed", 2**33, "seed"),
    ("seed", 2**63, "seed"),
    ("seed", 5 + 2**40, "seed"),
    ("seed", 2**64 - 1, "seed"),
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
    s = checked_settings(tiny_parts(), prompt="", seed=2**32 - 1, guidance_scale=0, steps=1000, scheduler="dpm_solver")
    assert s == Settings(prompt="", negative_prompt="", guidance_scale=0.0, steps=1000, seed=2**32 - 1,
                         scheduler="DPM-Solver", height=32, width=32)


def test_the_seed_range_is_what_torch_keeps():
    """Why seeds stop at 2**32 - 1: torch's CPU generator draws the same noise for seed + 2**32 (if a
    torch ever keeps all 64 bits, this fails and the range can grow)."""
    noise = lambda seed: torch.randn(16, generator=seed_generator(seed))  # noqa: E731
    assert torch.equal(noise(2**32), noise(0)) and torch.equal(noise(5 + 2**40), noise(5))
    assert not torch.equal(noise(2**32 - 1), noise(0)) and not torch.equal(noise(2**32 - 1), noise(2**31 - 1))


def test_every_seed_at_the_boundaries_draws_its_own_image():
    parts = tiny_parts()
    images = [generate(parts, "a 7", steps=1, seed=seed).tobytes() for seed in (0, 1, 2**31, 2**32 - 1)]
    assert len(set(images)) == 4


def test_no_seed_draws_one_and_records_it():
    s = checked_settings(tiny_parts(), seed=None)
    assert isinstance(s.seed, int) and 0 <= s.seed < 2**32


def test_empty_prompt_makes_an_image():
    assert generate(tiny_parts(), "", steps=2).size == (32, 32)


def test_settings_code_makes_the_same_image():
    parts = tiny_parts()
    s = checked_settings(parts, prompt="a 9", steps=3, seed=4)
    code = settings_code(s.as_kwargs(), "some/model")
    assert "load_parts('some/model')" in code
    namespace = {"load_parts": lambda *a: parts}
    exec(code.replace("from deeper.sd import generate, load_parts", "from deeper.sd import generate"), namespace)
    assert namespace["image"].tobytes() == generate(parts, **s.as_kwargs()).tobytes()
