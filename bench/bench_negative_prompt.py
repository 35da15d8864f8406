"""Why the negative prompt "red ink" costs "a 3" its digit at guidance 7.5, and what keeps it
(data/tiny-sd/README.md, notebook 10). The loop is run by hand with all three predictions kept apart
(the empty prompt's u, the prompt's p, the negative's n), so every row starts from the same latents
and differs only in how they are combined (`deeper.sd.loop.guide`):

- diffusers' way, `negative_scale` None: n + s (p - n), which is u + s (p - u) - (s - 1) (n - u):
  the negative pushed as hard as the prompt, 6.5 at s = 7.5;
- a negative with its own scale k (Liu et al. 2022's negation): u + s (p - u) - k (n - u).

Per row it prints how often the image reads as a 3 and has red ink, the digits read, the strokes'
ink coverage (share of pixels) and width, and for diffusers' way how often the clean image each
half (p, n) predicts reads as a 3 at steps 10 and 15 of 30, and the size of p - n against p. Then
what each text draws on its own (unguided, guidance 1): a negative pushes the strokes away from its own.

    python bench/bench_negative_prompt.py [--samples 200] [--guidance 7.5]
"""

import argparse

import torch

from deeper.digits.attributes import coverage, read_attributes
from deeper.digits.captions import COLOURS
from deeper.digits.evaluator import as_tensor as to_tensor, load_evaluator
from deeper.sd import generate
from deeper.sd.loop import guide, implied_original, initial_latents, seed_generator
from deeper.sd.parts import load_parts
from deeper.sd.schedulers import make_scheduler
from deeper.sd.settings import GUIDANCE_SCALE
from deeper.sd.text import encode_prompt
from deeper.sd.vae import decode

STEPS, LOOK_AT, PROMPT = 30, (10, 15), "a 3"
ROWS = [("", None), ("red", None), ("red ink", None), ("red ink", 4.5), ("red ink", 3), ("red ink", 2), ("red ink", 1),
        ("white background", None), ("blue background", None)]


def reads_3(evaluator, parts, latents) -> float:
    return (evaluator.read(decode(parts, latents))[0] == 3).float().mean().item()


@torch.no_grad()
def row(parts, evaluator, negative: str, negative_scale, n: int, guidance: float) -> str:
    scheduler = make_scheduler("LMS", parts.scheduler.config)
    scheduler.set_timesteps(STEPS, device=parts.device)
    latents = initial_latents(parts, n, 32, 32, seed_generator(99), scheduler)
    embeddings = torch.cat([encode_prompt(parts, [text] * n) for text in ("", negative, PROMPT)])
    sizes, halves = [], {}
    for i, t in enumerate(scheduler.timesteps):
        u, neg, p = parts.unet(scheduler.scale_model_input(torch.cat([latents] * 3), t), t,
                               encoder_hidden_states=embeddings).sample.chunk(3)
        sizes.append(((p - neg).flatten(1).norm(dim=1) / p.flatten(1).norm(dim=1)).mean())
        if i in LOOK_AT and negative_scale is None:
            halves[i] = (reads_3(evaluator, parts, implied_original(scheduler, latents, p, t)),
                         reads_3(evaluator, parts, implied_original(scheduler, latents, neg, t)))
        both = torch.cat([neg, p]) if negative_scale is None else torch.cat([u, neg, p])
        latents = scheduler.step(guide(both, guidance, negative_scale), t, latents).prev_sample
    images = decode(parts, latents).cpu()
    a = read_attributes(evaluator, images)
    ink_area = coverage(images, a.ink, a.background).flatten(1).mean(1)
    looked = "; ".join(f"step {i}: p {p:.0%}, n {q:.0%}" for i, (p, q) in halves.items()) or "-"
    k = f"{guidance - 1:g} (diffusers)" if negative_scale is None else f"{negative_scale:g}"
    return (f"| {negative!r} | {k} | {n} | {(a.digit == 3).float().mean():.1%} "
            f"| {(a.ink == COLOURS.index('red')).float().mean():.1%} | {torch.bincount(a.digit, minlength=10).tolist()} "
            f"| {ink_area.mean():.3f} | {a.thickness.mean():.2f} | {looked} | {torch.stack(sizes).mean():.3f} |")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--samples", type=int, default=200)
    p.add_argument("--guidance", type=float, default=GUIDANCE_SCALE)
    args = p.parse_args()
    parts = load_parts(progress=False)
    evaluator = load_evaluator(device=parts.device)
    print(f'"{PROMPT}" at guidance {args.guidance}, {STEPS} LMS steps, seeds from 99 (device: {parts.device})')
    print("| negative prompt | its scale k | n | a 3 | red ink | digits read (0-9) | ink coverage | stroke width px "
          "| reads as a 3, each half's clean image | size of p − n, mean over steps |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for negative, negative_scale in ROWS:
        print(row(parts, evaluator, negative, negative_scale, args.samples, args.guidance), flush=True)
    print("\n| drawn on its own, guidance 1 | n | ink coverage | stroke width px | digits read (0-9) |\n|---|---|---|---|---|")
    for text in ("", "red ink", "red", PROMPT):
        images = to_tensor(generate(parts, [text] * args.samples, guidance_scale=1.0, seed=99))
        a = read_attributes(evaluator, images)
        print(f"| {text!r} | {args.samples} | {coverage(images, a.ink, a.background).flatten(1).mean(1).mean():.3f} "
              f"| {a.thickness.mean():.2f} | {torch.bincount(a.digit, minlength=10).tolist()} |", flush=True)


if __name__ == "__main__":
    main()
