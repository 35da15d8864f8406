"""Every number the paper notebooks state: prompt accuracy (deeper.tinysd's evaluator), a Fréchet
distance on that evaluator's digit-classifier features against real rendered digits for the same
prompts ("FID with LeNet features", at MNIST scale), UNet evaluations and wall time per image."""

import numpy as np
import scipy.linalg
import torch

from ..mnist import load_mnist
from ..tinysd.captions import COLOURS, held_out_prompts
from ..tinysd.dataset import PALETTE_RGB, pad, render
from .generate import generate, seconds_per_image


@torch.no_grad()
def features(evaluator, images: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    """(n, 128) activations of the digit classifier before its read-out layer."""
    body = evaluator.classifier.net[:-2]  # up to Flatten: drop Dropout and the final Linear
    return torch.cat([body((chunk.to(evaluator.device) * 2 - 1)).cpu() for chunk in images.float().split(batch)])


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """‖μ_a - μ_b‖² + Tr(Σ_a + Σ_b - 2 (Σ_a Σ_b)^½) between two sets of feature vectors."""
    a, b = a.double().numpy(), b.double().numpy()
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root.real))


def reference_images(specs, seed: int = 0) -> torch.Tensor:
    """Real MNIST test digits of each spec's class, rendered in its colours: what a perfect model draws."""
    _, _, (x, y) = load_mnist()
    rng = np.random.default_rng(seed)
    by_digit = [np.flatnonzero(y == d) for d in range(10)]
    rows = [rng.choice(by_digit[s.digit]) for s in specs]
    ink = PALETTE_RGB[[COLOURS.index(s.ink) for s in specs]]
    bg = PALETTE_RGB[[COLOURS.index(s.background) for s in specs]]
    return render(pad(x[rows]), ink, bg)


class Benchmark:
    """One fixed set of held-out prompts, its real reference features, and a way to score any
    denoiser on it: `bench.row(name, denoiser, steps, guidance_scale)`."""

    def __init__(self, parts, evaluator, n: int = 500, seed: int = 0, timing_repeats: int = 3):
        self.parts, self.evaluator, self.seed, self.timing_repeats = parts, evaluator, seed, timing_repeats
        pairs = held_out_prompts(n, seed)
        self.prompts, self.specs = [p for p, _ in pairs], [s for _, s in pairs]
        self.reference = features(evaluator, reference_images(self.specs, seed))

    def row(self, name: str, denoiser, steps: int, guidance_scale: float = 7.5) -> dict:
        images = generate(denoiser, self.parts, self.prompts, steps, self.seed, guidance_scale)
        accuracy = self.evaluator.prompt_accuracy(images, self.specs)
        row = {"model": name, "steps": steps, "guidance": guidance_scale,
               "unet_evals": steps * denoiser.evaluations_per_step(guidance_scale),
               "accuracy": accuracy["all"], "digit": accuracy["digit"], "ink": accuracy["ink"],
               "background": accuracy["background"],
               "frechet": frechet_distance(features(self.evaluator, images), self.reference)}
        if self.timing_repeats:
            row["seconds"] = seconds_per_image(denoiser, self.parts, steps, guidance_scale, self.timing_repeats)
        return row


COLUMNS = [("model", "{}"), ("steps", "{}"), ("guidance", "{:g}"), ("unet_evals", "{}"), ("accuracy", "{:.1%}"),
           ("digit", "{:.1%}"), ("ink", "{:.1%}"), ("background", "{:.1%}"), ("frechet", "{:.2f}"),
           ("seconds", "{:.3f}")]


def format_table(rows: list[dict]) -> str:
    """The rows as an aligned text table (columns a row lacks are left out)."""
    columns = [(k, f) for k, f in COLUMNS if any(k in r for r in rows)]
    cells = [[k for k, _ in columns]] + [[f.format(r[k]) if k in r else "" for k, f in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))) for row in cells]
    return "\n".join([lines[0], "-" * len(lines[0])] + lines[1:])


TEACHER_STEPS = (64, 32, 16, 8, 4, 2, 1)


def progressive_rows(bench: Benchmark, teacher, family, teacher_steps=TEACHER_STEPS) -> list[dict]:
    """The teacher with DDIM at each step count, then every student at its own, all at the
    family's guidance scale."""
    g = family.info["guidance_scale"]
    rows = [bench.row("teacher (DDIM)", teacher, n, g) for n in teacher_steps]
    return rows + [bench.row(f"student ({n})", family[n], n, g) for n in sorted(family.steps, reverse=True)]


def guided_rows(bench: Benchmark, teacher, family, guidance_scales=(1.0, 2.0, 4.0, 7.5), steps=(8, 4, 2),
                teacher_steps: int = 32) -> list[dict]:
    """For each guidance scale: the teacher at `teacher_steps` (the target), then the teacher and the
    w-conditioned student at each of `steps`."""
    rows = []
    for g in guidance_scales:
        rows.append(bench.row("teacher (DDIM)", teacher, teacher_steps, g))
        for n in steps:
            rows += [bench.row("teacher (DDIM)", teacher, n, g), bench.row("guided student", family[n], n, g)]
    return rows
