"""Prompt panel: Stable Diffusion with the knobs of the lesson. Prompt, negative prompt, guidance
scale, steps, seed (and a new random one), scheduler; Generate shows progress and can be stopped;
then the image, a strip of intermediate steps, and the run's settings as a dict and (one click away)
as code. Enter in a prompt box generates too; while a run goes, the last run's strip and settings
are greyed. Laid out so the panel and a step slider under it fit one view of a projector
(1920x1080 at 150%: tests/test_projector.py measures it).

Generation runs in a background thread inside a kernel, so the Stop button can be clicked while
it works; outside a kernel (tests, scripts) it runs to the end before `generate()` returns.
"""

import html
import io
import pprint
import secrets
import threading
import time

import ipywidgets as W
import numpy as np
import torch
from PIL import Image

from deeper.images import enlarge, labelled_grid, to_pil
from deeper.sd import SCHEDULERS, Settings, checked_settings, decode, decode_in_batches, run
from deeper.sd.settings import GUIDANCE_SCALE, SEED_LIMIT, SEED_RANGE
from deeper.sd.text import empty_prompt_note, truncation_note, vocabulary_note

from .common import MessageLine, error_text, guarded, png_bytes, shows_errors

IMAGE_SIDE = 192  # small images are enlarged (crisp pixels) to at least this
STRIP_STEPS = 8
STRIP_SIDE = 96
PREVIEWS = 10  # the predicted image is shown about this many times during a run


def in_kernel() -> bool:
    """True inside a Jupyter kernel (where a click must not wait for the run to finish)."""
    from IPython import get_ipython

    return getattr(get_ipython(), "kernel", None) is not None


class PromptPanel(W.VBox):
    """`PromptPanel(parts)`: generate with `parts` (from `deeper.sd.load_parts`) by clicking Generate,
    or from code with `panel.generate()` (then `panel.wait()` when it runs in the background)."""

    def __init__(self, parts, prompt: str = "a red 7 on a white background", background: bool | None = None):
        super().__init__()
        self.parts, self.run = parts, None
        self.background = in_kernel() if background is None else background
        self._stop, self._thread, self._listeners = threading.Event(), None, []
        label = {"description_width": "initial"}  # side by side: one row fewer on a projector
        self.prompt = W.Text(value=prompt, description="prompt", layout=W.Layout(width="46%"), style=label)
        self.negative_prompt = W.Text(description="negative prompt", placeholder="what to avoid",
                                      layout=W.Layout(width="30%"), style=label)
        # empty: pushed away from as hard as the prompt is pushed towards (guidance - 1), as diffusers does
        self.negative_scale = W.Text(description="its scale", placeholder="guidance − 1", layout=W.Layout(width="22%"),
                                     style=label)
        self.guidance_scale = W.FloatText(value=GUIDANCE_SCALE, description="guidance", layout=W.Layout(width="150px"))
        self.steps = W.IntText(value=30, description="steps", layout=W.Layout(width="150px"))
        self.seed = W.Text(value="1", description="seed", layout=W.Layout(width="220px"))
        self.new_seed = W.Button(description="new seed", layout=W.Layout(width="90px"))
        self.scheduler = W.Dropdown(options=list(SCHEDULERS), value="LMS", description="scheduler",
                                    layout=W.Layout(width="210px"))
        self.generate_button = W.Button(description="Generate", button_style="primary", icon="play")
        self.stop_button = W.Button(description="Stop", icon="stop", disabled=True)  # coloured while it can be clicked
        self.progress = W.IntProgress(min=0, max=1, value=0, layout=W.Layout(width="220px"))
        self.progress_label = W.HTML()
        self.image = W.Image(format="png")
        self.strip = W.Image(format="png", layout=W.Layout(max_width="calc(100% - 4px)"))  # its margins inside the column
        self.settings_view = W.HTML()
        self.code_view = W.HTML()
        self.code_box = W.Accordion(children=[self.code_view], selected_index=None)  # open it to see the code
        self.code_box.set_title(0, "the same in code")
        self.message = MessageLine()
        for widget, dom in [(self.prompt, "deeper-prompt"), (self.negative_prompt, "deeper-negative-prompt"),
                            (self.negative_scale, "deeper-negative-scale"),
                            (self.guidance_scale, "deeper-guidance"), (self.steps, "deeper-steps"),
                            (self.seed, "deeper-seed"), (self.new_seed, "deeper-new-seed"),
                            (self.scheduler, "deeper-scheduler"), (self.generate_button, "deeper-generate"),
                            (self.stop_button, "deeper-stop"), (self.progress, "deeper-progress"),
                            (self.image, "deeper-image"), (self.strip, "deeper-strip"),
                            (self.settings_view, "deeper-settings"), (self.code_view, "deeper-code")]:
            widget.add_class(dom)
        self.generate_button.on_click(guarded(self, lambda _: self.generate()))
        self.stop_button.on_click(guarded(self, lambda _: self.stop()))
        self.new_seed.on_click(guarded(self, lambda _: self._draw_seed()))
        for box in (self.prompt, self.negative_prompt, self.negative_scale):  # Enter in a text box: Generate
            box.on_msg(guarded(self, self._on_box_message))
        beside_image = W.VBox([W.HTML("<b>intermediate steps</b>"), self.strip, self.settings_view, self.code_box],
                              layout=W.Layout(flex="1 1 auto", min_width="0", margin="0 0 0 8px", align_items="flex-start"))
        self.children = [
            W.HBox([self.prompt, self.negative_prompt, self.negative_scale]),
            W.HBox([self.guidance_scale, self.steps, self.seed, self.new_seed, self.scheduler]),
            W.HBox([self.generate_button, self.stop_button, self.progress, self.progress_label]),
            self.message,
            W.HBox([self.image, beside_image]),
        ]

    # --- reading the controls -------------------------------------------------------------------
    def settings(self) -> dict:
        """The controls as `deeper.sd` settings (unchecked: `checked_settings` says what is wrong)."""
        return dict(prompt=self.prompt.value, negative_prompt=self.negative_prompt.value,
                    negative_scale=parse_negative_scale(self.negative_scale.value),
                    guidance_scale=self.guidance_scale.value, steps=self.steps.value,
                    seed=parse_seed(self.seed.value), scheduler=self.scheduler.value)

    def _draw_seed(self):
        self.seed.value = str(secrets.randbelow(SEED_LIMIT))

    def _on_box_message(self, _box, content, _buffers):
        """A text box's front end says "submit" when Enter is pressed in it (what `Text.on_submit`, deprecated
        in ipywidgets 8, listened for); a run already going is left alone rather than refused."""
        if content.get("event") == "submit" and not self.running:
            self.generate()

    # --- running ----------------------------------------------------------------------------------
    @shows_errors
    def generate(self):
        """Check the settings (a bad one is a message; the image on screen stays), then run."""
        if self.running:
            raise ValueError("a run is in progress: wait for it, or click Stop")
        settings = checked_settings(self.parts, **self.settings())
        known = self.parts.known_words  # None for a hub model: no notes about words
        prompts = (settings.prompt, settings.negative_prompt)
        notes = [truncation_note(self.parts.tokenizer, p) for p in prompts]
        notes += [empty_prompt_note(known, settings.prompt)] + [vocabulary_note(known, p) for p in prompts]
        self.message.clear()
        self._stop.clear()
        shown = self._on_screen()  # the last run's: put back if this one fails
        self._show_running(True)
        self.strip.value, self.settings_view.value, self.code_view.value = (
            greyed_png(shown[4]), greyed_html(shown[5]), greyed_html(shown[6]))
        self.progress.max, self.progress.value = settings.steps, 0
        self.progress_label.value = "starting"
        work = lambda: self._work(settings, "; ".join(n for n in notes if n), shown)  # noqa: E731
        if self.background:
            self._thread = threading.Thread(target=work, daemon=True)
            self._thread.start()
        else:
            work()

    def stop(self):
        """End the run after the step in progress; its image is what the latents had become."""
        self._stop.set()

    def wait(self, timeout: float | None = None):
        """Block until a background run has finished."""
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def on_run(self, callback):
        """Call `callback(run)` after every finished or stopped run (a StepSlider follows a panel so)."""
        self._listeners.append(callback)

    @shows_errors
    def _work(self, settings: Settings, note: str, shown: tuple):
        start = time.perf_counter()
        every = max(1, settings.steps // PREVIEWS)
        # Generate comes back only when everything is done, listeners included (a step slider
        # following the panel decodes its frames here), so a click on it is never refused.
        try:
            try:
                result = run(self.parts, on_step=lambda step: self._on_step(step, every),
                             should_stop=self._stop.is_set, **settings.as_kwargs())
                self._show(result)
            except Exception as e:  # noqa: BLE001 - a failed run leaves the last one on screen, whole
                self._put_back(shown, settings.steps, e)
                return
            self.run = result
            seconds = time.perf_counter() - start
            done = (f"stopped at step {len(result.steps)} of {settings.steps}" if result.stopped
                    else f"{settings.steps} steps in {seconds:.1f} s")
            self.progress_label.value = html.escape(done)
            self.message.show_info(note) if note else self.message.clear()  # "a run is in progress" is over
            for listener in self._listeners:
                listener(result)
        finally:
            self._show_running(False)

    def _show_running(self, running: bool):
        """Generate off and Stop on while a run goes; a Stop that cannot be clicked also loses its colour."""
        self.generate_button.disabled, self.stop_button.disabled = running, not running
        self.stop_button.button_style = "warning" if running else ""

    def _on_step(self, step, every: int):
        self.progress.value = step.index + 1
        self.progress_label.value = (f"step {step.index + 1}/{step.steps} · t = {step.timestep:.0f} · "
                                     f"σ = {step.sigma:.2f}")
        if (step.index + 1) % every == 0:
            preview = to_pil(decode(self.parts, step.pred_original[:1]))[0]
            self.image.value = png_bytes(enlarge(preview, IMAGE_SIDE))

    def _show(self, result):
        """The run's image, strip and settings, all drawn before any of them goes on screen."""
        chosen = sorted(set(np.linspace(0, len(result.steps) - 1, STRIP_STEPS).round().astype(int)))
        latents = torch.stack([result.steps[i].latents[0] for i in chosen])
        strip = png_bytes(labelled_grid(to_pil(decode_in_batches(self.parts, latents)),
                                        cols=[f"step {i + 1}" for i in chosen], side=STRIP_SIDE))
        image = png_bytes(enlarge(result.image, IMAGE_SIDE))
        self.image.value, self.strip.value = image, strip
        settings = pprint.pformat(result.made_with, sort_dicts=False, width=10_000)  # one line, wrapped to fit
        self.settings_view.value = (f"<pre style='white-space: pre-wrap; margin: 2px 0'><b>settings</b> "
                                    f"{html.escape(settings)}</pre>")
        self.code_view.value = f"<pre>{html.escape(result.code())}</pre>"

    def _on_screen(self) -> tuple:
        return (self.image.value, self.progress.max, self.progress.value, self.progress_label.value,
                self.strip.value, self.settings_view.value, self.code_view.value)

    def _put_back(self, shown: tuple, steps: int, error: Exception):
        """After a failed run: the last run's image, progress, strip and settings again (ungreyed), and a
        message saying where this run failed."""
        failed_at = self.progress.value + 1
        (self.image.value, self.progress.max, self.progress.value, self.progress_label.value, self.strip.value,
         self.settings_view.value, self.code_view.value) = shown
        kept = "the previous run is still shown" if self.run is not None else "no image was made"
        self.message.show_error(f"the run failed at step {min(failed_at, steps)} of {steps}, so {kept}: "
                                f"{error_text(error)}")


def parse_seed(text: str) -> int:
    """The seed box's text as an int (a Text box, so every seed survives the browser's doubles)."""
    try:
        return int(str(text).strip())
    except ValueError:
        raise ValueError(f"{SEED_RANGE}; got {text!r}") from None


def parse_negative_scale(text: str) -> float | None:
    """The negative scale box's text: empty is None (diffusers' way), else a number (`checked_settings` checks it)."""
    text = str(text).strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"the negative prompt's scale must be empty (pushed away from as hard as the prompt is "
                         f"pushed towards, as diffusers does) or a number from 0 to 100, say 2; got {text!r}") from None


def greyed_png(png: bytes) -> bytes:
    """A picture faded towards white (b"" stays b""): the last run's strip while the next one works."""
    if not png:
        return png
    image = Image.open(io.BytesIO(bytes(png))).convert("RGB")
    return png_bytes(Image.blend(image, Image.new("RGB", image.size, "white"), 0.65))


def greyed_html(value: str) -> str:
    """The last run's settings, faded and said to be so, while the next run works."""
    if not value:
        return value
    return (f'<div class="deeper-previous" style="opacity:0.45">(the previous run\'s, until this one ends)'
            f"{value}</div>")
