"""Imagic explorer: one input digit, one edit (ink colour, background, thicker or slanted strokes).
Fit runs Imagic's stages A and B; then the η slider shows the edit at
ē = η e_tgt + (1 - η) e_opt, beside two curves along η (the paper's Figure 9 at our scale): how
often the evaluator reads the target attribute, and how far the image has moved from the input."""

import ipywidgets as W
import numpy as np

from deeper.images import enlarge, to_pil
from deeper.mnist import load_mnist
from deeper.digits.attributes import (DEFAULT_BACKGROUND, DEFAULT_INK, DEFAULT_TARGET, EDITS, colour_name, make_edit,
                                      read_attributes)
from deeper.papers.imagic import Imagic, ImagicSettings, input_image, sweep
from deeper.digits.captions import COLOURS
from deeper.digits.dataset import PALETTE_RGB, pad, render

from .common import SLIDER_WIDTH, MessageLine, figure_png, guarded, png_bytes, shows_errors

SIDE = 160
# fixed, and never shrunk, so that neither a long caption nor a short row changes a picture's size
PICTURE = {"width": f"{SIDE}px", "height": f"{SIDE}px", "flex": "0 0 auto"}
STYLE_VALUES = {"thickness": ["thick"], "slant": ["slanted"]}


def curves_png(result, eta: float) -> bytes:
    """Target-attribute share and distance to the input against η, a line at the chosen η."""
    import matplotlib.pyplot as plt

    with plt.rc_context({"font.size": 13}):  # about 11 pt on screen at figure_png's 80 dpi: a projector's
        return _curves(plt, result, eta)


def _curves(plt, result, eta: float) -> bytes:
    fig, left = plt.subplots(figsize=(4.8, 3))
    left.plot(result.etas, result.hit, "o-", color="tab:blue", label="target attribute")
    left.plot(result.etas, result.hit_and_kept, "s--", color="tab:cyan", label="… and the rest kept")
    left.set(xlabel="η", ylabel="share of seeds", ylim=(-0.05, 1.05))
    right = left.twinx()
    right.plot(result.etas, result.distance, "^-", color="tab:red", label="distance to input")
    right.set_ylabel("RMS distance to input", color="tab:red")
    left.axvline(eta, color="gray", lw=1)
    lines = left.get_lines()[:2] + right.get_lines()
    left.legend(lines, [l.get_label() for l in lines], fontsize=12, loc="upper center", bbox_to_anchor=(0.5, -0.25),
                ncol=2, columnspacing=1, handlelength=1.5)  # under the axes: it covers no data
    return figure_png(fig)


class ImagicExplorer(W.VBox):
    """`ImagicExplorer(parts, evaluator)`: the input is MNIST test digit `index` in the chosen
    colours, or any image given to `set_image` (converted to 32x32 RGB, with a note)."""

    def __init__(self, parts, evaluator, index: int = 0, ink: str = DEFAULT_INK, background: str = DEFAULT_BACKGROUND,
                 edit: str = "ink", settings: ImagicSettings | None = None, etas=None, seeds=(0, 1, 2, 3)):
        super().__init__()
        self.parts, self.evaluator = parts, evaluator
        self.settings = settings or ImagicSettings()
        self.etas = [round(float(e), 3) for e in (np.linspace(0, 1.4, 15) if etas is None else etas)]
        self.seeds, self.result, self.imagic, self.pixels = list(seeds), None, None, None
        self._test_digits = None  # MNIST's test images, read at the first input
        self.index = W.BoundedIntText(value=index, min=0, max=9999, description="test digit")
        self.ink = W.Dropdown(options=COLOURS, value=ink, description="ink")
        self.background = W.Dropdown(options=COLOURS, value=background, description="background")
        self.edit = W.Dropdown(options=list(EDITS), value=edit, description="edit")
        self.value = W.Dropdown(options=[], description="to")
        self.prompt = W.Text(description="target", layout=W.Layout(width="420px"))
        self.fit_button = W.Button(description="Fit (stages A and B)", button_style="primary")
        self.progress = W.IntProgress(value=0, min=0, max=1, description="fitting")
        self.eta = W.SelectionSlider(options=self.etas, value=self.etas[0], description="η", continuous_update=True,
                                     layout=W.Layout(width=SLIDER_WIDTH))  # wide enough to drag one η at a time
        self.input_image, self.edit_image = W.Image(format="png", layout=PICTURE), W.Image(format="png", layout=PICTURE)
        self.curves = W.Image(format="png", layout={"max_width": "calc(100% - 4px)"})  # its own size (text not scaled down) where there is room; 4 px: its margins
        self.edit_caption = W.HTML()
        self.message = MessageLine()
        for widget, dom in [(self.index, "deeper-imagic-index"), (self.edit, "deeper-imagic-edit"),
                            (self.value, "deeper-imagic-value"), (self.prompt, "deeper-imagic-prompt"),
                            (self.fit_button, "deeper-imagic-fit"), (self.eta, "deeper-eta"),
                            (self.input_image, "deeper-imagic-input"), (self.edit_image, "deeper-imagic-output"),
                            (self.curves, "deeper-imagic-curves")]:
            widget.add_class(dom)
        # flex-start and visible overflow: each picture at its own size, and no sideways scrollbar of a
        # few pixels where an image's margin meets its column's edge; when the row is short of room the
        # caption wraps and the curves give way, the pictures keep their size
        column = lambda title, image, caption=None, flex="0 0 auto": W.VBox(  # noqa: E731
            [W.HTML(f"<b>{title}</b>"), image] + ([caption] if caption else []),
            layout=W.Layout(align_items="flex-start", overflow="visible", flex=flex, min_width="0"))
        self.children = [
            W.HBox([self.index, self.ink, self.background]), W.HBox([self.edit, self.value]), self.prompt,
            W.HBox([self.fit_button, self.progress]), self.eta,
            W.HBox([column("input", self.input_image), column("edit at η", self.edit_image, self.edit_caption, flex="0 1 auto"),
                    column("along η", self.curves, flex="0 1 auto")]),
            self.message,
        ]
        for control in (self.index, self.ink, self.background):
            control.observe(self._on_input, names="value")
        self.edit.observe(self._on_edit, names="value")
        self.value.observe(self._on_value, names="value")
        self.fit_button.on_click(guarded(self, lambda _: self.fit()))
        self.eta.observe(guarded(self, lambda _: self.show_eta()), names="value")
        self._on_input(None)

    # the input -------------------------------------------------------------------------------
    @shows_errors
    def _on_input(self, change):
        if self.ink.value == self.background.value:
            raise ValueError(f"ink and background are both {self.ink.value}: pick two colours")
        if self._test_digits is None:  # read (and checksummed) once, not at every change of digit or colour
            self._test_digits = load_mnist()[2][0]
        colour = lambda name: PALETTE_RGB[[COLOURS.index(name)]]  # noqa: E731
        self._use(render(pad(self._test_digits[[self.index.value]]), colour(self.ink.value),
                         colour(self.background.value)), "")

    @shows_errors
    def set_image(self, image):
        """Use any image as the input: converted to the model's size and RGB, with a note."""
        pixels, note = input_image(image, self.parts.native_size)
        self._use(pixels, note)

    def _use(self, pixels, note: str):
        self.pixels, self.result, self.imagic = pixels, None, None
        self.source = read_attributes(self.evaluator, pixels)
        self.input_image.value = png_bytes(enlarge(to_pil(pixels)[0], SIDE))
        self.edit_image.value, self.curves.value, self.edit_caption.value = b"", b"", ""
        self._on_edit(None)
        self.message.clear()
        if note:
            self.message.show_info(f"the input image was {note}")

    # the edit --------------------------------------------------------------------------------
    @shows_errors
    def _on_edit(self, change):
        kind = self.edit.value
        used = (colour_name(self.source.ink), colour_name(self.source.background))
        options = STYLE_VALUES.get(kind) or [c for c in COLOURS if c not in used]
        self.value.options = options
        self.value.value = DEFAULT_TARGET if DEFAULT_TARGET in options else options[0]
        self._on_value(None)

    def target(self):
        """The edit the evaluator will judge (from the input's read attributes and the dropdowns)."""
        return make_edit(self.edit.value, int(self.source.digit[0]), colour_name(self.source.ink),
                         colour_name(self.source.background), self.value.value)

    @shows_errors
    def _on_value(self, change):
        if self.value.value is not None:
            self.prompt.value = self.target().prompt

    # the three stages ------------------------------------------------------------------------
    @shows_errors
    def fit(self):
        """Stages A and B on the input, then stage C along every η (several seeds), then show."""
        if not self.prompt.value.strip():
            raise ValueError("the target prompt is empty: say what the edited image should show")
        s = self.settings
        self.progress.max, self.progress.value = s.embedding_steps + s.unet_steps, 0
        self.fit_button.disabled = True
        try:
            imagic = Imagic(self.parts, self.pixels, self.prompt.value, s)
            imagic.fit(progress=lambda stage, i, n, loss: self._tick(stage, i))
            self.result = sweep(imagic, self.evaluator, self.target(), self.etas, self.seeds)
            self.imagic = imagic
        finally:
            self.fit_button.disabled = False
        self.message.clear()
        self.show_eta()

    @shows_errors
    def show_fit(self, imagic, result):
        """Show a fit made elsewhere (a notebook's `Imagic` and its `sweep`) without fitting again;
        the input and the edit's dropdowns follow it."""
        if list(result.etas) != self.etas:
            raise ValueError(f"the sweep's η values {result.etas} are not the slider's {self.etas}")
        self._use(imagic.pixels, "")
        self.prompt.value = imagic.target_prompt
        self.imagic, self.result = imagic, result
        self.show_eta()

    def _tick(self, stage, i):
        self.progress.value = i if stage == "embedding" else self.settings.embedding_steps + i

    @shows_errors
    def show_eta(self):
        if self.result is None:
            return
        k = self.result.etas.index(self.eta.value)
        self.edit_image.value = png_bytes(enlarge(to_pil(self.result.images[k])[0], SIDE))
        self.curves.value = curves_png(self.result, self.eta.value)
        # the caption last: once it names this η, both pictures already show it
        self.edit_caption.value = (f"η = {self.eta.value:g} · target read in {self.result.hit[k]:.0%} of seeds "
                                   f"({self.result.hit_and_kept[k]:.0%} with the rest kept) · "
                                   f"distance {self.result.distance[k]:.3f}")
