"""What the Stable Diffusion exercises check with: the tiny SD's parts (loaded once) and its schedulers."""

import functools
import json

import torch

from ..paths import TINY_SD
from ..sd.schedulers import make_scheduler


@functools.cache
def tiny_parts():
    """The shipped tiny SD on the CPU, loaded once per kernel: checks are exact on the CPU."""
    from ..sd.parts import load_parts

    return load_parts(TINY_SD, device="cpu", progress=False)


def scheduler(name: str = "LMS", steps: int | None = None):
    """A fresh scheduler of the tiny SD's config (no model needed), with `steps` timesteps set."""
    config = json.loads((TINY_SD / "scheduler" / "scheduler_config.json").read_text())
    s = make_scheduler(name, config)
    if steps:
        s.set_timesteps(steps)
    return s


def randn(*shape, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))
