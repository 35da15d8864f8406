"""Why the negative prompt "red ink" costs "a 3" its digit at guidance 7.5 (data/tiny-sd/README.md,
notebook 10): the loop run by hand, with both halves of guidance kept apart, for the negative
prompts "" (plain guidance), "red" and "red ink". Per negative prompt it prints

- how often the finished image reads as a 3, and which digits it reads as otherwise;
- how often the clean image each half predicts reads as a 3 at steps 10 and 15 of 30: do the
  prompt's half and the negative's half draw the same digit from the same latents?
- the size of the prompt's prediction minus the negative's, against the prompt's: what guidance
  multiplies by 7.5.

    python bench/bench_negative_prompt.py [--samples 200] [--guidance 7.5]
"""

import argparse

import torch

from deeper.sd.loop import implied_original, initial_latents, seed_generator
from deeper.sd.parts import load_parts
from deeper.sd.schedulers import make_scheduler
from deeper.sd.settings import GUIDANCE_SCALE
from deeper.sd.text import encode_prompt
from deeper.sd.vae import decode
from deeper.digits.evaluator import load_evaluator

STEPS, LOOK_AT = 30, (10, 15)


def reads_3(evaluator, parts, latents) -> float:
    return (evaluator.read(decode(parts, latents))[0] == 3).float().mean().item()


@torch.no_grad()
def row(parts, evaluator, negative: str, n: int, guidance: float) -> str:
    scheduler = make_scheduler("LMS", parts.scheduler.config)
    scheduler.set_timesteps(STEPS)
    latents = initial_latents(parts, n, 32, 32, seed_generator(99), scheduler)
    embeddings = torch.cat([encode_prompt(parts, [negative] * n), encode_prompt(parts, ["a 3"] * n)])
    sizes, halves = [], {}
    for i, t in enumerate(scheduler.timesteps):
        both = parts.unet(scheduler.scale_model_input(torch.cat([latents] * 2), t), t,
                          encoder_hidden_states=embeddings).sample
        negative_half, prompt_half = both.chunk(2)
        sizes.append(((prompt_half - negative_half).flatten(1).norm(dim=1) / prompt_half.flatten(1).norm(dim=1)).mean())
        if i in LOOK_AT:
            halves[i] = (reads_3(evaluator, parts, implied_original(scheduler, latents, prompt_half, t)),
                         reads_3(evaluator, parts, implied_original(scheduler, latents, negative_half, t)))
        latents = scheduler.step(negative_half + guidance * (prompt_half - negative_half), t, latents).prev_sample
    digits = evaluator.read(decode(parts, latents))[0]
    looked = "; ".join(f"step {i}: prompt's half {p:.0%}, negative's {q:.0%}" for i, (p, q) in halves.items())
    return (f"| {negative!r} | {n} | {(digits == 3).float().mean():.1%} | {torch.bincount(digits, minlength=10).tolist()} "
            f"| {looked} | {torch.stack(sizes).mean():.3f} |")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--samples", type=int, default=200)
    p.add_argument("--guidance", type=float, default=GUIDANCE_SCALE)
    args = p.parse_args()
    parts, evaluator = load_parts(), load_evaluator()
    print(f'"a 3" at guidance {args.guidance}, {STEPS} LMS steps, seeds from 99 (device: {parts.device})')
    print("| negative prompt | n | a 3 | digits read (0-9) | reads as a 3, each half's clean image | "
          "size of prompt − negative, mean over steps |")
    print("|---|---|---|---|---|---|")
    for negative in ("", "red", "red ink"):
        print(row(parts, evaluator, negative, args.samples, args.guidance))


if __name__ == "__main__":
    main()
