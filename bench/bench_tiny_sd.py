"""The tiny Stable Diffusion's targets, measured: prompt accuracy on held-out phrasings, negative
prompts, guidance, and the time of one image on this CPU. Prints a table.

    python bench/bench_tiny_sd.py                      # everything (the accuracy rows want a GPU)
    python bench/bench_tiny_sd.py --only accuracy      # on the GPU machine
    python bench/bench_tiny_sd.py --only reading       # the three held-out sets of a stranger's prompts (GPU)
    python bench/bench_tiny_sd.py --only timing        # on the laptop CPU
    python bench/bench_tiny_sd.py --only samplers --samples 300   # LMS against the other samplers at guidance 7.5
    python bench/bench_tiny_sd.py --only styles --samples 200     # do "thin", "thick", "slanted" draw?
    python bench/bench_tiny_sd.py --only latent-scale --samples 300   # would larger latents (train.py --latent-scale) help LMS?
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from deeper.paths import TINY_SD
from deeper.sd.settings import GUIDANCE_SCALE as GUIDANCE
from deeper.digits import held_out_prompts, load_evaluator
from deeper.tinysd import check_model_folder
from deeper.tinysd.unet import at_latent_scale

STEPS = 30


def load(folder, device):
    from diffusers import StableDiffusionPipeline
    pipe = StableDiffusionPipeline.from_pretrained(check_model_folder(folder)).to(device)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def pipeline_images(pipe, prompts, negative=None, guidance=GUIDANCE, seed=0, batch=500):
    """Images (n, 3, 32, 32) in [0, 1], `batch` prompts per pipeline call, seeded per call."""
    out = []
    for k in range(0, len(prompts), batch):
        chunk = prompts[k:k + batch]
        gen = torch.Generator(pipe.device).manual_seed(seed + k)
        neg = None if negative is None else [negative] * len(chunk)
        out.append(pipe(chunk, negative_prompt=neg, num_inference_steps=STEPS, guidance_scale=guidance,
                        height=32, width=32, generator=gen, output_type="pt").images.float().cpu())
    return torch.cat(out)


def held_out(n):
    """(prompts, specs): the same `n` held-out prompts for every row."""
    pairs = held_out_prompts(n, seed=1234)
    return [p for p, _ in pairs], [s for _, s in pairs]


def accuracy_rows(pipe, evaluator, n):
    from deeper.digits.captions import COLOURS, HELD_OUT_TEMPLATES, fill
    rows = []
    prompts, specs = held_out(n)
    for g in (GUIDANCE, 3.0, 1.0):
        images = pipeline_images(pipe, prompts, guidance=g)
        rows.append((f"held-out prompts, {STEPS} LMS steps, guidance {g}", n, evaluator.prompt_accuracy(images, specs)))
        if g == GUIDANCE:  # held_out_prompts cycles through the templates
            for k, template in enumerate(HELD_OUT_TEMPLATES):
                part = evaluator.prompt_accuracy(images[k::len(HELD_OUT_TEMPLATES)], specs[k::len(HELD_OUT_TEMPLATES)])
                rows.append((f"  held-out template '{template}'", len(specs[k::len(HELD_OUT_TEMPLATES)]), part))
    rng = np.random.default_rng(0)
    trained = [fill("a {ink} {n} on a {bg} background", s.digit, s.ink, s.background, "", rng) for s in specs]
    rows.append((f"training phrasing 'a {{ink}} {{n}} on a {{bg}} background', guidance {GUIDANCE}", n,
                 evaluator.prompt_accuracy(pipeline_images(pipe, trained), specs)))
    red = COLOURS.index("red")
    # a negative prompt at the default scale, then "red ink" pushed away from more gently
    for negative, g in ((None, GUIDANCE), ("red ink", GUIDANCE), ("red", GUIDANCE), ("red ink", 3.0), ("red ink", 5.0)):
        digits, inks, _ = evaluator.read(pipeline_images(pipe, ["a 3"] * n, negative=negative, guidance=g, seed=99))
        rows.append((f'"a 3", negative prompt {negative!r}, guidance {g}', n,
                     {"digit": (digits == 3).float().mean().item(), "red ink": (inks == red).float().mean().item()}))
    for prompt in ("red ink", "red"):  # what each negative prompt draws on its own: which digits?
        digits, inks, _ = evaluator.read(pipeline_images(pipe, [prompt] * n, seed=99))
        share = torch.bincount(digits, minlength=10).float() / n
        rows.append((f'"{prompt}" on its own, guidance {GUIDANCE}', n,
                     {"a 0": share[0].item(), "a 3": share[3].item(), "commonest digit": share.max().item(),
                      "red ink": (inks == red).float().mean().item()}))
    return rows


def style_rows(pipe, evaluator, n):
    """Do style words draw? The training phrasing with and without each word, random digits and
    colours; the share of images whose measured strokes earn thin, thick and slanted (the dataset's
    thresholds, so a word at 100% is drawn every time, and a deaf model leaves each row alike)."""
    from deeper.digits.attributes import TEMPLATE, read_attributes
    from deeper.digits.captions import COLOURS, fill, random_colours
    from deeper.digits.dataset import SLANTED, THICK, THIN
    rng = np.random.default_rng(7)
    digits, (inks, bgs) = rng.integers(0, 10, n), random_colours(rng, n)
    rows = []
    for style in ("", "thin", "thick", "slanted"):
        prompts = [fill(TEMPLATE, int(d), COLOURS[i], COLOURS[b], style, rng) for d, i, b in zip(digits, inks, bgs)]
        a = read_attributes(evaluator, pipeline_images(pipe, prompts, seed=5))
        rows.append((f"style word {style or '(none)'!r}, guidance {GUIDANCE}", n,
                     {"thin": (a.thickness < THIN).float().mean().item(), "thick": (a.thickness > THICK).float().mean().item(),
                      "slanted": (a.slant > SLANTED).float().mean().item()}))
    return rows


def timing_rows(pipe, repeats=5, threads_to_try=None):
    """Seconds for one 32x32 image, 30 steps with guidance, in a warm process (median of repeats),
    with one torch thread and with the default. On a 2-core machine that other work shares, one
    thread wins by far: this model's operations are too small to split, and a thread that loses
    its core makes the other wait."""
    import os
    rows, default = [], torch.get_num_threads()
    for threads in threads_to_try or sorted({1, default}):
        torch.set_num_threads(threads)
        pipeline_images(pipe, ["a red 7 on a white background"], batch=1)
        times, cpu = [], []
        for k in range(repeats):
            t, c = time.perf_counter(), time.process_time()
            pipeline_images(pipe, ["a red 7 on a white background"], seed=k, batch=1)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        # CPU seconds: with one thread, about what the wall clock would show on an idle machine
        rows.append((f"one image, {STEPS} steps, guidance {GUIDANCE}, warm, {threads} thread(s)", repeats,
                     {"median s": statistics.median(times), "min s": min(times),
                      "median cpu s": statistics.median(cpu), "load average": os.getloadavg()[0]}))
    torch.set_num_threads(default)
    return rows


def sampler_rows(pipe, evaluator, n, names=("LMS", "Euler", "DDIM", "DPM-Solver")):
    """Held-out accuracy at guidance 7.5 with each sampler in turn, and LMS on each spacing of its
    sigmas: same prompts, same starting noise. Samplers that have the option keep the model's own
    spacing (`use_exponential_sigmas` for tiny-sd); DDIM has none."""
    from deeper.sd import make_scheduler
    from deeper.sd.schedulers import SIGMA_SPACINGS, LMSScheduler

    class SecondOrderLMS(LMSScheduler):
        """LMS from its last two predictions instead of four: stable for steps twice as stiff."""
        def step(self, model_output, timestep, sample, order: int = 2, return_dict: bool = True):
            return super().step(model_output, timestep, sample, order=order, return_dict=return_dict)

    prompts, specs = held_out(n)
    shipped, rows = pipe.scheduler, []
    schedulers = {name: make_scheduler(name, shipped.config) for name in names}
    schedulers["LMS of order 2"] = SecondOrderLMS.from_config(shipped.config)
    # the same LMS on other spacings of its sigmas (the model's config chooses one)
    no_spacing = dict.fromkeys(SIGMA_SPACINGS, False)
    schedulers["LMS on evenly spaced timesteps"] = LMSScheduler.from_config(shipped.config, **no_spacing)
    for spacing in ("karras", "exponential"):
        schedulers[f"LMS on {spacing} sigmas"] = LMSScheduler.from_config(
            shipped.config, **{**no_spacing, f"use_{spacing}_sigmas": True})
    for name, scheduler in schedulers.items():
        pipe.scheduler = scheduler
        rows.append((f"held-out prompts, {STEPS} steps of {name}, guidance {GUIDANCE}", n,
                     evaluator.prompt_accuracy(pipeline_images(pipe, prompts), specs)))
    pipe.scheduler = shipped
    return rows


def latent_scale_rows(pipe, evaluator, n, scales=(1.0, 4.0, 5.0, 6.0, 7.0)):
    """Held-out accuracy at guidance 7.5 as if the UNet had been trained on latents k times larger
    (train.py --latent-scale k), measured without training: the shipped UNet reparametrised exactly
    (`at_latent_scale`), so LMS walks SD's sigma grid divided by k. (Sampling still starts from pure
    noise, which at large k no longer hides the latents: data/tiny-sd/README.md, "Tried on the way".)"""
    shipped_forward, shipped_factor = pipe.unet.forward, pipe.vae.config.scaling_factor
    prompts, specs = held_out(n)
    rows = []
    try:
        for k in scales:
            pipe.unet.forward = at_latent_scale(shipped_forward, pipe.scheduler.alphas_cumprod, k)
            pipe.vae.register_to_config(scaling_factor=shipped_factor * k)
            rows.append((f"held-out prompts, {STEPS} LMS steps, guidance {GUIDANCE}, latents {k:g} times larger", n,
                         evaluator.prompt_accuracy(pipeline_images(pipe, prompts), specs)))
    finally:  # the pipeline as it was, for whatever is measured next
        pipe.unet.forward = shipped_forward
        pipe.vae.register_to_config(scaling_factor=shipped_factor)
    return rows


def reading_rows(pipe, evaluator, n, templates=True):
    """All-three accuracy on each held-out set (deeper.digits.held_out: the test sets, then the
    validation sets), n prompts each, with the images whose ink and background came out swapped
    counted apart; then each template alone."""
    from deeper.digits.captions import COLOURS
    from deeper.digits.held_out import HELD_OUT_SETS, VALIDATION_SETS, held_out_set
    rows = []
    for name, set_templates in (HELD_OUT_SETS | VALIDATION_SETS).items():
        pairs = held_out_set(name, n, seed=4321)
        prompts, specs = [p for p, _ in pairs], [s for _, s in pairs]
        images = pipeline_images(pipe, prompts)
        digits, inks, bgs = evaluator.read(images)
        ink = torch.tensor([COLOURS.index(s.ink) for s in specs])
        bg = torch.tensor([COLOURS.index(s.background) for s in specs])
        swapped = ((inks == bg) & (bgs == ink)).float().mean().item()
        rows.append((f"held-out {name}, {STEPS} LMS steps, guidance {GUIDANCE}", n,
                     {**evaluator.prompt_accuracy(images, specs), "swapped": swapped}))
        if templates:
            k = len(set_templates)
            for j, template in enumerate(set_templates):
                rows.append((f"  '{template}'", len(specs[j::k]), evaluator.prompt_accuracy(images[j::k], specs[j::k])))
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=str(TINY_SD))
    p.add_argument("--evaluator", help="default: the evaluator folder beside the model's")
    p.add_argument("--samples", type=int, default=1000 if torch.cuda.is_available() else 100,
                   help="per accuracy row (default 1000 on a GPU, 100 on a CPU)")
    p.add_argument("--only", choices=["accuracy", "reading", "timing", "samplers", "styles", "latent-scale"])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--threads", type=int, nargs="*", help="torch thread counts to time (default: 1 and the default)")
    p.add_argument("--json", help="also write the rows here")
    args = p.parse_args()
    rows = []
    measured = {None: (reading_rows, accuracy_rows, style_rows), "accuracy": (accuracy_rows, style_rows),
                "reading": (reading_rows,),
                "samplers": (sampler_rows,), "styles": (style_rows,), "latent-scale": (latent_scale_rows,),
                "timing": ()}[args.only]
    if measured:
        pipe = load(args.model, args.device)
        evaluator = load_evaluator(args.evaluator or Path(args.model).parent / "evaluator", args.device)
        for measure in measured:
            rows += measure(pipe, evaluator, args.samples)
    if args.only in (None, "timing"):
        rows += timing_rows(load(args.model, "cpu"), threads_to_try=args.threads)
    print("| measurement | n | result |\n|---|---|---|")
    for name, n, result in rows:
        print(f"| {name} | {n} | " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                               for k, v in result.items()) + " |")
    print(f"(device: {torch.cuda.get_device_name() if args.device == 'cuda' else 'cpu'}; model {args.model})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump([{"measurement": a, "n": b, **c} for a, b, c in rows], f, indent=2)


if __name__ == "__main__":
    main()
