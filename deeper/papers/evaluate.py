"""Every number the paper notebooks state: prompt accuracy (deeper.digits' evaluator), a Fréchet
distance on that evaluator's digit-classifier features against real rendered digits for the same
prompts ("FID with LeNet features", at MNIST scale), UNet evaluations and wall time per image; and
for Imagic, how often each kind of edit reaches its target while keeping the rest. The real digits
are handed in: `mnist_test`, MNIST's test split (x, y) as `deeper.mnist.load_mnist()[2]` gives it."""

from pathlib import Path

import numpy as np
import scipy.linalg
import torch

from ..paths import DATA
from ..sd.settings import GUIDANCE_SCALE
from ..digits.captions import COLOURS, held_out_prompts
from ..digits.dataset import PALETTE_RGB, SLANTED, THICK, measure_style, pad, render
from ..digits.attributes import EDITS, make_edit
from .generate import ddim_images, seconds_per_image
from .imagic import Imagic, sweep


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


def reference_images(specs, mnist_test, seed: int = 0) -> torch.Tensor:
    """Real MNIST test digits of each spec's class, rendered in its colours: what a perfect model draws."""
    x, y = mnist_test
    rng = np.random.default_rng(seed)
    by_digit = [np.flatnonzero(y == d) for d in range(10)]
    rows = [rng.choice(by_digit[s.digit]) for s in specs]
    ink = PALETTE_RGB[[COLOURS.index(s.ink) for s in specs]]
    bg = PALETTE_RGB[[COLOURS.index(s.background) for s in specs]]
    return render(pad(x[rows]), ink, bg)


class Benchmark:
    """One fixed set of held-out prompts, its real reference features, and a way to score any
    denoiser on it: `bench.row(name, denoiser, steps, guidance_scale)`."""

    def __init__(self, parts, evaluator, mnist_test, n: int = 500, seed: int = 0, timing_repeats: int = 3, pairs=None,
                 progress=None):
        """`pairs`: (prompt, PromptSpec) pairs to score on instead of `n` of `held_out_prompts`;
        `progress(message)` as each row starts drawing and then timing (`print` will do): no silent wait."""
        self.parts, self.evaluator, self.seed, self.timing_repeats = parts, evaluator, seed, timing_repeats
        self.progress = progress or (lambda message: None)
        pairs = pairs or held_out_prompts(n, seed)
        self.prompts, self.specs = [p for p, _ in pairs], [s for _, s in pairs]
        self.reference = features(evaluator, reference_images(self.specs, mnist_test, seed))

    def row(self, name: str, denoiser, steps: int, guidance_scale: float = GUIDANCE_SCALE) -> dict:
        self.progress(f"{name}, {steps} step{'s' * (steps != 1)}, guidance {guidance_scale:g}: "
                      f"drawing {len(self.prompts)} images")

        def say_step(step, steps):  # a long row says how far it has got: the guided teacher's 64 steps take 20 s
            if step % 16 == 0 and step < steps:
                self.progress(f"    step {step} of {steps}")

        images = ddim_images(denoiser, self.parts, self.prompts, steps, self.seed, guidance_scale, on_step=say_step)
        accuracy = self.evaluator.prompt_accuracy(images, self.specs)
        row = {"model": name, "steps": steps, "guidance": guidance_scale,
               "unet_evals": steps * denoiser.evaluations_per_step(guidance_scale),
               "accuracy": accuracy["all"], "digit": accuracy["digit"], "ink": accuracy["ink"],
               "background": accuracy["background"],
               "frechet": frechet_distance(features(self.evaluator, images), self.reference)}
        if self.timing_repeats:
            self.progress(f"    {row['accuracy']:.1%} right; timing one image")
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


def guided_rows(bench: Benchmark, teacher, family, guidance_scales=(1.0, 2.0, 4.0, GUIDANCE_SCALE), steps=(8, 4, 2),
                teacher_steps: int = 32) -> list[dict]:
    """For each guidance scale: the teacher at `teacher_steps` (the target), then the teacher and the
    w-conditioned student at each of `steps`."""
    rows = []
    for g in guidance_scales:
        rows.append(bench.row("teacher (DDIM)", teacher, teacher_steps, g))
        for n in steps:
            rows += [bench.row("teacher (DDIM)", teacher, n, g), bench.row("guided student", family[n], n, g)]
    return rows


def target_comparison(rows: list[dict], steps: int = 4, guidance_scale: float = GUIDANCE_SCALE, teacher_steps: int = 32) -> dict:
    """From `guided_rows`' rows: the guided student at `steps` against the teacher's guided
    accuracy at `teacher_steps`, both at `guidance_scale`: the two rows, the gap in accuracy points
    (student minus teacher) and how many times fewer UNet evaluations the student makes."""
    def find(model, n):
        return next(r for r in rows if r["model"].startswith(model) and r["steps"] == n and r["guidance"] == guidance_scale)

    teacher, student = find("teacher", teacher_steps), find("guided student", steps)
    return {"teacher": teacher, "student": student, "points": 100 * (student["accuracy"] - teacher["accuracy"]),
            "fewer": teacher["unet_evals"] / student["unet_evals"]}


def imagic_inputs(mnist_test, n: int, seed: int = 0):
    """`n` MNIST test digits in random palette colours, neither thick nor slanted already (so every
    edit, thickening and slanting too, has somewhere to go): (images (n, 3, 32, 32), digits, inks,
    backgrounds, rows), `rows` being their places in the test split (the explorer's "test digit")."""
    x, y = mnist_test
    rng = np.random.default_rng(seed)
    alpha = pad(x)
    thickness, slant = measure_style(alpha)
    plain = np.flatnonzero(((thickness < THICK) & (slant.abs() < SLANTED / 2)).numpy())
    rows = rng.choice(plain, n, replace=False)
    ink = rng.integers(0, len(COLOURS), n)
    background = (ink + rng.integers(1, len(COLOURS), n)) % len(COLOURS)
    return render(alpha[rows], PALETTE_RGB[ink], PALETTE_RGB[background]), y[rows], ink, background, rows


def imagic_runs(parts, evaluator, mnist_test, n: int = 20, settings=None, etas=None, seeds=(0, 1), seed: int = 0,
                progress=None, images: range | None = None):
    """Imagic on `n` test digits (or the `images` among them), each with the four edits: one dict
    per (image, edit) with the target prompt and the sweep's per-η shares. `progress(run)` after each."""
    etas = list(np.linspace(0, 2, 9).round(3)) if etas is None else list(etas)
    pixels, digits, inks, backgrounds, _ = imagic_inputs(mnist_test, n, seed)
    rng = np.random.default_rng(seed + 1)
    others = len(COLOURS) - 2  # the colours neither ink nor background
    values = [(rng.integers(0, others), rng.integers(0, others)) for _ in range(n)]  # fixed per image, whichever are run
    runs = []
    for k in images or range(n):
        ink, bg = COLOURS[inks[k]], COLOURS[backgrounds[k]]
        other = [c for c in COLOURS if c not in (ink, bg)]
        targets = {"ink": other[values[k][0]], "background": other[values[k][1]], "thickness": "thick", "slant": "slanted"}
        for kind in EDITS:
            edit = make_edit(kind, int(digits[k]), ink, bg, targets[kind])
            imagic = Imagic(parts, pixels[k:k + 1], edit.prompt, settings).fit()
            result = sweep(imagic, evaluator, edit, etas, seeds)
            runs.append({"image": k, "edit": kind, "prompt": edit.prompt, "etas": etas, "hit": result.hit,
                         "hit_and_kept": result.hit_and_kept, "distance": result.distance})
            if progress:
                progress(runs[-1])
    return runs


def precomputed_imagic_table(card=None) -> str:
    """The Imagic table `bench/bench_papers.py --only imagic` measured, as the students' model card
    (`data/students/README.md`) records it: the first code block under its "### Imagic" heading.
    Notebook 22 shows it when it does not measure the edits itself (that takes many minutes)."""
    card = DATA / "students" / "README.md" if card is None else card
    text = Path(card).read_text(encoding="utf-8")
    _, heading, after = text.partition("### Imagic")
    blocks = after.split("```")
    if not heading or len(blocks) < 3:
        raise ValueError(f"{card} has no code block under a '### Imagic' heading: the precomputed table is missing")
    return "\n".join(line.strip() for line in blocks[1].strip().splitlines())


def imagic_summary(runs: list[dict]) -> list[dict]:
    """Per edit kind: the best single η for all images (its share of images with the target read and
    the rest kept), and the share of images for which some η of their own does it."""
    rows = []
    for kind in EDITS:
        mine = [r for r in runs if r["edit"] == kind]
        if not mine:
            continue
        table = np.array([r["hit_and_kept"] for r in mine])  # images x etas: shares over seeds
        best = int(table.mean(0).argmax())
        rows.append({"edit": kind, "images": len(mine), "best_eta": mine[0]["etas"][best],
                     "share_at_best_eta": float(table.mean(0)[best]),
                     "target_read_at_best_eta": float(np.mean([r["hit"][best] for r in mine])),
                     "distance_at_best_eta": float(np.mean([r["distance"][best] for r in mine])),
                     "images_with_some_eta": float((table.max(1) >= 0.5).mean())})
    return rows
