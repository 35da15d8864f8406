"""Attention explorer: for a word of the prompt, where the UNet's cross-attention puts it at each step
(averaged over heads and layers, upsampled to the image), beside the clean image the model predicts at
that step. Generate records a run; the word list and the step slider then only swap pictures."""

import ipywidgets as W

from deeper.images import thumbnail
from deeper.sd.attention import attention_run, attention_overlay, prompt_words
from deeper.sd.settings import GUIDANCE_SCALE
from deeper.sd.vae import decode_steps

from .common import SLIDER_WIDTH, MessageLine, guarded, png_bytes, shows_errors

SIDE = 256


class AttentionExplorer(W.VBox):
    """`AttentionExplorer(parts, "a red 7 on a white background", steps=30, seed=1)`; `show_word("red")`
    and `show_step(i)` do from code what the word list and the slider do."""

    def __init__(self, parts, prompt: str = "a red 7 on a white background", steps: int = 30, seed: int = 1,
                 guidance_scale: float = GUIDANCE_SCALE):
        super().__init__()
        self.parts, self.settings = parts, dict(steps=steps, seed=seed, guidance_scale=guidance_scale)
        self.attention, self._originals, self._cache = None, [], {}
        self.prompt = W.Text(value=prompt, description="prompt", layout=W.Layout(width="60%"), continuous_update=False)
        self.generate_button = W.Button(description="Generate", button_style="primary", icon="play")
        self.word = W.Dropdown(description="word", options=[], layout=W.Layout(width="260px"))
        self.slider = W.IntSlider(description="step", min=0, max=0, readout=False, continuous_update=True,
                                  layout=W.Layout(width=SLIDER_WIDTH))
        self.info = W.HTML()
        self.original_image = W.Image(format="png")
        self.attention_image = W.Image(format="png")
        self.attention_title = W.HTML()
        self.note = W.HTML()
        self.message = MessageLine()
        for widget, dom in [(self.prompt, "deeper-attention-prompt"), (self.generate_button, "deeper-attention-generate"),
                            (self.word, "deeper-attention-word"), (self.slider, "deeper-attention-step"),
                            (self.info, "deeper-attention-info"), (self.original_image, "deeper-attention-original"),
                            (self.attention_image, "deeper-attention-map"), (self.note, "deeper-attention-note")]:
            widget.add_class(dom)
        self.generate_button.on_click(guarded(self, lambda _: self.generate()))
        self.prompt.observe(guarded(self, lambda change: self.generate()), names="value")
        self.word.observe(guarded(self, lambda change: self._show()), names="value")
        self.slider.observe(guarded(self, lambda change: self._show()), names="value")
        picture = lambda title, image: W.VBox([title if isinstance(title, W.HTML) else W.HTML(f"<b>{title}</b>"), image])  # noqa: E731
        self.children = [
            W.HBox([self.prompt, self.generate_button]),
            W.HBox([self.word, self.slider, self.info]),
            W.HBox([picture("the predicted clean image", self.original_image),
                    picture(self.attention_title, self.attention_image)]),
            self.note, self.message,
        ]
        self.generate()

    @shows_errors
    def generate(self):
        """Run the prompt with the attention recorded; keep the word and step when they still exist."""
        prompt = self.prompt.value
        prompt_words(self.parts.tokenizer, prompt)  # a bad prompt is a message before any work
        run, attention = attention_run(self.parts, prompt, **self.settings)
        _, originals = decode_steps(self.parts, run.steps)
        self.attention, self._originals, self._cache = attention, originals, {}
        old_word, old_step = self.word.label, self.slider.value
        labels = [w.label for w in attention.words]
        options = [(f"{label} (word {k + 1})" if labels.count(label) > 1 else label, k) for k, label in enumerate(labels)]
        new_index = next((k for (label, k) in options if label == old_word), self._default_word())
        with _Quiet(self):
            self.word.options = options
            self.word.value = new_index
            self.slider.max = attention.steps - 1
            self.slider.value = min(old_step, attention.steps - 1) if old_step else attention.steps - 1
        self.message.clear()
        self._show()

    def _default_word(self) -> int:
        """The first colour-or-content word: skip 'a', 'the', 'on' and punctuation where we can."""
        skip = {"a", "an", "the", "on", "in", "of", "with", ",", "."}
        return next((k for k, w in enumerate(self.attention.words) if w.word.lower() not in skip), 0)

    @shows_errors
    def show_word(self, word):
        """Show `word` (its text, or its index in the prompt): a word not in the prompt is a message."""
        if self.attention is None:
            raise ValueError("no run yet: generate first")
        w = self.attention.word(word)
        self.word.value = self.attention.words.index(w)

    @shows_errors
    def show_step(self, step: int):
        if self.attention is None:
            raise ValueError("no run yet: generate first")
        if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step < self.attention.steps:
            raise IndexError(f"step {step!r} is out of range: this run has steps 0 to {self.attention.steps - 1}")
        self.slider.value = step

    def _show(self):
        if self.attention is None or getattr(self, "_quiet", False) or self.word.value is None:
            return
        step, k = self.slider.value, self.word.value
        word = self.attention.words[k]
        key = (k, step)
        if key not in self._cache:
            original = self._originals[step]
            overlay, low, high = attention_overlay(original, self.attention.word_map(k, step))
            self._cache[key] = (png_bytes(thumbnail(original, SIDE)), png_bytes(thumbnail(overlay, SIDE)), low, high)
        original, overlay, low, high = self._cache[key]
        self.original_image.value, self.attention_image.value = original, overlay
        self.attention_title.value = f"<b>where “{word.word}” is attended</b>"
        self.info.value = f"step {step + 1} of {self.attention.steps} · word “{word.word}”"
        self.note.value = (f"bright: most attention, from {low:.3f} (dark) to {high:.3f} (bright) of each position's "
                           f"attention over the 77 tokens; averaged over heads and layers"
                           + (f". {word.note()}" if word.note() else ""))
        self.message.clear()


class _Quiet:
    """While setting options, the step and the word, `_show` waits (it draws once at the end)."""

    def __init__(self, widget):
        self.widget = widget

    def __enter__(self):
        self.widget._quiet = True

    def __exit__(self, *exc):
        self.widget._quiet = False
