"""Prompt mixer: two prompts and a slider between them. The image is made from the text embeddings
(1 - w) * prompt_a + w * prompt_b with the same seed, so only the mixture changes. Images already
made are kept, so sliding back is instant."""

import ipywidgets as W

from deeper.images import enlarge
from deeper.sd import generate, mix_prompts

from .common import MessageLine, guarded, png_bytes, shows_errors

IMAGE_SIDE = 256


class PromptMixer(W.VBox):
    """`PromptMixer(parts, "a red 7 on a white background", "a blue 1 on a yellow background")`."""

    def __init__(self, parts, prompt_a: str, prompt_b: str, steps: int = 30, seed: int = 1):
        super().__init__()
        self.parts, self.steps, self.seed, self._made = parts, steps, seed, {}
        wide, label = W.Layout(width="95%"), {"description_width": "initial"}
        self.prompt_a = W.Text(value=prompt_a, description="prompt a (w = 0)", layout=wide, style=label,
                               continuous_update=False)
        self.prompt_b = W.Text(value=prompt_b, description="prompt b (w = 1)", layout=wide, style=label,
                               continuous_update=False)
        self.weight = W.FloatSlider(value=0.5, min=0, max=1, step=0.1, description="w", continuous_update=False)
        self.image = W.Image(format="png")
        self.caption = W.HTML()
        self.message = MessageLine()
        for widget, dom in [(self.weight, "deeper-mix-weight"), (self.image, "deeper-mix-image"),
                            (self.prompt_a, "deeper-mix-a"), (self.prompt_b, "deeper-mix-b")]:
            widget.add_class(dom)
        for control in (self.prompt_a, self.prompt_b, self.weight):
            control.observe(guarded(self, lambda change: self.show()), names="value")
        self.children = [self.prompt_a, self.prompt_b, self.weight, self.image, self.caption, self.message]
        self.show()

    @shows_errors
    def show(self):
        key = (self.prompt_a.value, self.prompt_b.value, round(self.weight.value, 6))
        if key not in self._made:
            embeds = mix_prompts(self.parts, *key)
            self._made[key] = png_bytes(enlarge(generate(self.parts, prompt_embeds=embeds, steps=self.steps,
                                                         seed=self.seed), IMAGE_SIDE))
        self.image.value = self._made[key]
        w = key[2]
        self.caption.value = f"{1 - w:.1f} × prompt a + {w:.1f} × prompt b &nbsp;·&nbsp; seed {self.seed}"
        self.message.clear()
