"""Denoising-step slider: scrub a finished run step by step. At step i it shows what the latents
decode to (noisy early on), the clean image the model predicts from them, t and sigma, and the four
latent channels; Play runs through the steps. Every step is decoded once, up front, so moving the
slider only swaps pictures."""

from numbers import Integral

import ipywidgets as W

from deeper.images import channel_tiles, labelled_grid, thumbnail
from deeper.sd.vae import decode_steps

from .common import SLIDER_WIDTH, MessageLine, png_bytes, shows_errors

SIDE = 128  # pixels: each picture's longer side on screen (a projector's view holds a panel above it)
CHANNEL_SIDE = 26  # the four channels together no wider than the picture they explain


class StepSlider(W.VBox):
    """`StepSlider(run)` for a `deeper.sd.Run`, `StepSlider.from_steps(steps, parts)` for the steps of
    `deeper.sd.denoise`; `slider.follow(panel)` shows each run a prompt panel finishes."""

    def __init__(self, run=None, which: int = 0):
        super().__init__()
        self.which = which
        self._frames = []
        # No readout of its own: the slider counts from 0, people from 1, and the line beside it says
        # "step 18 of 30" where a readout would say 17.
        self.slider = W.IntSlider(description="step", min=0, max=0, continuous_update=True, readout=False,
                                  layout=W.Layout(width=SLIDER_WIDTH))
        self.play = W.Play(min=0, max=0, interval=250, description="play")
        W.link((self.play, "value"), (self.slider, "value"))
        self.info = W.HTML()
        self.latents_image = W.Image(format="png")
        self.original_image = W.Image(format="png")
        self.channels_image = W.Image(format="png")
        self.message = MessageLine()
        for widget, dom in [(self.slider, "deeper-step"), (self.play, "deeper-play"), (self.info, "deeper-step-info"),
                            (self.latents_image, "deeper-step-latents"), (self.original_image, "deeper-step-original"),
                            (self.channels_image, "deeper-step-channels")]:
            widget.add_class(dom)
        self.slider.observe(self._on_step, names="value")
        # flex-start: a picture keeps its own size instead of stretching to its title's width
        picture = lambda title, image: W.VBox([W.HTML(f"<b>{title}</b>"), image],  # noqa: E731
                                              layout=W.Layout(align_items="flex-start"))
        self.children = [
            W.HBox([self.play, self.slider, self.info]),
            W.HBox([picture("the latents, decoded", self.latents_image),
                    picture("the predicted clean image", self.original_image),
                    picture("the latent channels", self.channels_image)], layout=W.Layout(grid_gap="8px")),
            self.message,
        ]
        if run is not None:
            self.show_run(run)

    @classmethod
    def from_steps(cls, steps, parts, which: int = 0) -> "StepSlider":
        slider = cls(which=which)
        slider.show_steps(steps, parts)
        return slider

    def follow(self, panel) -> "StepSlider":
        """Show every run `panel` (a PromptPanel) finishes from now on, and its last one if any."""
        panel.on_run(self.show_run)
        if panel.run is not None:
            self.show_run(panel.run)
        return self

    @shows_errors
    def show_run(self, run):
        self.show_steps(run.steps, run.parts)

    @shows_errors
    def show_steps(self, steps, parts):
        """Decode every step of a run (once), then show the last one."""
        steps = list(steps)
        if not steps:
            raise ValueError("no steps to show: the run stopped before its first step")
        latents, originals = decode_steps(parts, steps, self.which)
        self._frames = [self._frame(*frame) for frame in zip(steps, latents, originals)]
        last = len(steps) - 1
        self.slider.max = self.play.max = last
        if self.slider.value == last:
            self.show_step(last)
        self.slider.value = last
        self.message.clear()

    def _frame(self, step, latents, original) -> dict:
        return dict(
            info=(f"step {step.index + 1} of {step.steps} &nbsp;·&nbsp; t = {step.timestep:.1f} &nbsp;·&nbsp; "
                  f"σ = {step.sigma:.3f}"),
            latents=png_bytes(thumbnail(latents, SIDE)), original=png_bytes(thumbnail(original, SIDE)),
            channels=png_bytes(labelled_grid(channel_tiles(step.latents[self.which]), side=CHANNEL_SIDE,
                                             cols=[str(c) for c in range(step.latents.shape[1])])),
        )

    @shows_errors
    def show_step(self, i: int):
        """Show step `i` (0 is the first) of the run on screen; with no run, or out of range, a message."""
        if not self._frames:
            raise ValueError("no run to show yet: give the slider a run (StepSlider(run), show_run or follow(panel))")
        if isinstance(i, bool) or not isinstance(i, Integral) or not 0 <= i < len(self._frames):
            raise IndexError(f"step {i!r} is out of range: this run has steps 0 to {len(self._frames) - 1}")
        frame = self._frames[i]
        self.info.value = frame["info"]
        self.latents_image.value = frame["latents"]
        self.original_image.value = frame["original"]
        self.channels_image.value = frame["channels"]
        self.message.clear()

    @shows_errors
    def _on_step(self, change):
        if self._frames:
            self.show_step(change["new"])
