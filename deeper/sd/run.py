"""A whole generation: the loop driven to its end (or stopped), decoded, and kept as a `Run`
that remembers its settings and every step, for a step slider or for making the image again."""

from dataclasses import dataclass, field
from typing import Callable

from PIL import Image

from ..device import explain_mps
from ..images import to_pil
from .loop import Step, _denoise
from .settings import Settings, checked_settings, settings_code
from .vae import decode


@dataclass
class Run:
    """A finished (or stopped) run: its checked settings, its steps, and its decoded images."""

    settings: Settings
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

    @property
    def made_with(self) -> dict:
        """The settings that draw this image again: a stopped run's add `stop_after`, the steps it ran."""
        settings = self.settings.as_kwargs()
        return {**settings, "stop_after": len(self.steps)} if self.stopped else settings

    def code(self) -> str:
        """Python that makes this image again (a stopped run's image too)."""
        return settings_code(self.made_with, self.parts.model_id)


def run(parts, prompt="", *, on_step: Callable[[Step], None] | None = None,
        should_stop: Callable[[], bool] | None = None, prompt_embeds=None, stop_after: int | None = None,
        **settings) -> Run:
    """Generate, keeping every step. `on_step(step)` is called after each step; when `should_stop()`
    turns true, or after `stop_after` steps, the loop ends there and the run is decoded from the
    latents it had reached (the schedule is still that of all `steps`)."""
    s = checked_settings(parts, prompt=prompt, **settings)
    if stop_after is not None and (isinstance(stop_after, bool) or not isinstance(stop_after, int) or stop_after < 1):
        raise ValueError(f"stop_after must be a whole number of steps, at least 1; got {stop_after!r}")
    steps, stopped = [], False
    try:
        for step in _denoise(parts, s, prompt_embeds):
            steps.append(step)
            if on_step is not None:
                on_step(step)
            if (should_stop is not None and should_stop()) or len(steps) == stop_after:
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
    return result.images if isinstance(result.settings.prompt, list) else result.image
