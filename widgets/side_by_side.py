"""Teacher and student side by side: one prompt, one seed, the steps chosen with a slider. The
teacher samples with DDIM at that many steps (two UNet evaluations a step, for guidance); the
student distilled for that many steps samples with one evaluation a step; the teacher at 64 steps
stands beside them as the reference both try to match."""

import time
import warnings

import ipywidgets as W

from deeper.images import enlarge, to_pil
from deeper.papers.generate import ddim_images
from deeper.papers.guided import checked_guidance
from deeper.papers.students import FAMILIES, STUDENTS, Family, teacher_of
from deeper.sd.settings import GUIDANCE_SCALE

from .common import MessageLine, png_bytes, shows_errors

SIDE = 160  # pixels: each picture's side on screen
PICTURE = {"width": f"{SIDE}px", "height": f"{SIDE}px"}  # fixed, so that a long caption cannot stretch one picture
REFERENCE_STEPS = 64


class SideBySide(W.VBox):
    """`SideBySide(parts)`: the tiny SD (or any parts) against its students in the `students` folder;
    the reference is the teacher at `reference_steps`."""

    def __init__(self, parts, students=STUDENTS, family: str = "progressive", prompt: str = "a red 7 on a white background",
                 steps: int = 4, seed: int = 0, guidance_scale: float = GUIDANCE_SCALE, reference_steps: int = REFERENCE_STEPS):
        super().__init__()
        self.parts, self.students, self.reference_steps = parts, students, reference_steps
        self.teacher = teacher_of(parts)
        self._families, self._reference = {}, {}
        self.family = W.Dropdown(options=list(FAMILIES), value=family, description="students")
        self.prompt = W.Text(value=prompt, description="prompt", continuous_update=False)
        self.seed = W.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed")
        self.steps = W.IntSlider(value=steps, min=1, max=REFERENCE_STEPS, description="steps", continuous_update=False)
        self.guidance = W.FloatSlider(value=guidance_scale, min=1.0, max=15.0, step=0.5, description="guidance",
                                      continuous_update=False)
        self.teacher_image, self.student_image, self.reference_image = (W.Image(format="png", layout=PICTURE) for _ in range(3))
        self.teacher_caption, self.student_caption, self.reference_caption = (W.HTML() for _ in range(3))
        self.message = MessageLine()
        for widget, dom in [(self.family, "deeper-family"), (self.prompt, "deeper-prompt"), (self.seed, "deeper-seed"),
                            (self.steps, "deeper-steps"), (self.guidance, "deeper-guidance"),
                            (self.teacher_image, "deeper-teacher-image"), (self.student_image, "deeper-student-image"),
                            (self.reference_image, "deeper-reference-image")]:
            widget.add_class(dom)
        column = lambda image, caption: W.VBox([image, caption], layout={"margin": "0 24px 0 0"})  # noqa: E731
        self.children = [
            W.HBox([self.family, self.prompt]), W.HBox([self.steps, self.guidance, self.seed]),
            W.HBox([column(self.teacher_image, self.teacher_caption), column(self.student_image, self.student_caption),
                    column(self.reference_image, self.reference_caption)]),
            self.message,
        ]
        for control in (self.family, self.prompt, self.seed, self.steps, self.guidance):
            control.observe(self._on_change, names="value")
        self.update()

    def students_of(self, name: str) -> Family:
        if name not in self._families:
            self._families[name] = Family(name, self.parts.unet, self.students)
        return self._families[name]

    @shows_errors
    def _on_change(self, change):
        self.update()

    @shows_errors
    def update(self):
        """Draw the three pictures for the current settings (a message says what could not be drawn)."""
        self.message.clear()
        family = self.students_of(self.family.value)
        guidance, note = self._guidance(family)
        steps, prompt, seed = self.steps.value, [self.prompt.value], self.seed.value
        self._show(self.teacher_image, self.teacher_caption, f"teacher · DDIM {steps} steps", self.teacher, steps, guidance)
        key = (prompt[0], seed, guidance)
        if key not in self._reference:
            self._reference[key] = self._draw(self.teacher, self.reference_steps, guidance)
        self._put(self.reference_image, self.reference_caption, f"teacher · DDIM {self.reference_steps} steps (reference)",
                  *self._reference[key])
        if steps not in family.steps:
            self.student_image.value, self.student_caption.value = b"", f"<i>no student for {steps} steps</i>"
            family[steps]  # raises the message that names the step counts there are students for
        student = family[steps]
        self._show(self.student_image, self.student_caption, f"{family.name} student · {steps} steps", student, steps, guidance)
        if note:
            self.message.show_info(note)

    def _guidance(self, family: Family) -> tuple[float, str]:
        """The scale to use, and a warning when it is outside what the students were trained on."""
        info = family.info
        if "guidance_scale" in info:  # distilled at one scale: the slider follows it
            self.guidance.unobserve(self._on_change, names="value")
            self.guidance.value, self.guidance.disabled = info["guidance_scale"], True
            self.guidance.observe(self._on_change, names="value")
            return info["guidance_scale"], ""
        self.guidance.disabled = False
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            checked_guidance(family[family.steps[0]], self.guidance.value)
        return self.guidance.value, "; ".join(f"warning: {w.message}" for w in caught)

    def _draw(self, denoiser, steps: int, guidance: float):
        start = time.perf_counter()
        image = ddim_images(denoiser, self.parts, [self.prompt.value], steps, self.seed.value, guidance)
        seconds = time.perf_counter() - start
        evaluations = steps * denoiser.evaluations_per_step(guidance)
        return png_bytes(enlarge(to_pil(image)[0], SIDE)), f"{evaluations} UNet evaluations · {seconds:.2f} s"

    def _show(self, image, caption, title, denoiser, steps, guidance):
        self._put(image, caption, title, *self._draw(denoiser, steps, guidance))

    @staticmethod
    def _put(image, caption, title, png, detail):
        image.value, caption.value = png, f"<b>{title}</b><br>{detail}"
