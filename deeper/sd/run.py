"""A whole generation: the loop driven to its end (or stopped), decoded, and kept as a `Run`
that remembers its settings and every step, for a step slider or for making the image again."""

from dataclasses import dataclass, field
from typing import Callable

from PIL import Image

from ..device import explain_mps
from ..images import to_pil
from .loop import Step, _denoise
from .settings import checked_settings, settings_code
from .vae import decode


@dataclass
class Run:
    """A finished (or stopped) run: its checked settings, its steps, and its decoded images."""

    settings: dict
    steps: list[Step]
    images: list[Image.Image]
    parts: object = field(repr=False)
    stopped: bool = False

    @property
    def image(self) -> Image.Image:
        return self.images[0]

    @property
    def latents(self):
        return self.steps[-1].latents

    def code(self) -> str:
        """Python that makes this image again."""
        return settings_code(self.settings, self.parts.model_id)


def run(parts, prompt="", *, on_step: Callable[[Step], None] | None = None,
        should_stop: Callable[[], bool] | None = None, prompt_embeds=None, **settings) -> Run:
    """Generate, keeping every step. `on_step(step)` is called after each step; when `should_stop()`
    turns true the loop ends there and the run is decoded from the latents it had reached."""
    s = checked_settings(parts, prompt=prompt, **settings)
    steps, stopped = [], False
    try:
        for step in _denoise(parts, s, prompt_embeds):
            steps.append(step)
            if on_step is not None:
                on_step(step)
            if should_stop is not None and should_stop():
                stopped = step.index < step.steps - 1
                break
        images = to_pil(decode(parts, steps[-1].latents))
    except (RuntimeError, NotImplementedError) as e:  # an MPS that lacks an operation says what to do
        error = explain_mps(e)
        if error is e:
            raise
        raise error from e
    return Run(s, steps, images, parts, stopped)


def generate(parts, prompt="", **settings) -> Image.Image | list[Image.Image]:
    """Prompt to image (a list of images for a list of prompts): `run` without keeping the steps' story."""
    result = run(parts, prompt, **settings)
    return result.images if isinstance(result.settings["prompt"], list) else result.image
