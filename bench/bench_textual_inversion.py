"""Textual inversion on the shipped tiny model (CPU): learn `<teal>`, a colour its palette lacks, from
32 teal digits (`deeper.sd.textual_inversion`, notebook 14's settings), then draw 100 prompts naming it
and count the images whose ink is nearer to teal than to any palette colour (`deeper.digits.new_ink`).
Target: 80% of 100. Before learning (the token starts as 'blue') the same count, side by side, and
after learning what the ink reads as on each background. 50 LMS steps: with fewer the sampler's own
error pushes the off-palette ink to green or blue (this CPU, seed 0: 66% at 20 steps, 80% at 50; one
vector learned and drawn on an H200 in float32: 64% at 20, 75% at 30 and at 40, 78% at 50, 72% at 100).
The learning's seed moves the share by several points (this CPU, 50 steps: seeds 0, 1, 2 at 80%, 75%,
74%; at lr 0.01, seeds 1 and 2 at 84% and 69%), black backgrounds the weakest: the target is met at
seed 0, only just, and not at every seed. Recipes screened on 30 samples (50 LMS steps, one thread, learning
seeds 0, 1, 2; the shipped recipe there: 80% at seed 0), none better, none confirmed at 100: the token
starting at the mean of 'green' and 'blue' 80%, 77%, 73% (at lr 0.03: 80%, 83%, 73%); 64 pictures 80%,
77%, 73%; timesteps 600 to 999 83%, 77%, 40%; 200 to 999 60%, 53%; lr 0.05 for 100 steps then 0.01 for 100
(two calls) 73%, 63%, 70%; batch 16 for 100 steps 70% (seed 0); 400 steps 67% (seed 0). On 30 samples a share
moves about 8 points by chance, so these rule out only large gains; seed 2 stayed at 70-73% in all but one.

    .venv/bin/python bench/bench_textual_inversion.py [--steps 200] [--lr 0.05] [--seed 0]
        [--samples 100] [--sample-steps 50]
"""

import argparse
import collections
import time

from deeper.mnist import load_mnist
from deeper.sd import generate, load_parts
from deeper.sd.textual_inversion import add_token, learn_embedding
from deeper.digits import new_ink

TOKEN = "<teal>"


def drawn(parts, samples: int, steps: int):
    prompts = [f"a {TOKEN} {k % 10} on a {new_ink.BACKGROUNDS[k // 10 % 3]} background" for k in range(samples)]
    images = [im for k in range(0, samples, 25) for im in generate(parts, prompts[k:k + 25], steps=steps, seed=7 + k)]
    names = new_ink.nearest_names(images)
    on = {bg: collections.Counter(n for p, n in zip(prompts, names) if p.endswith(f"{bg} background"))
          for bg in new_ink.BACKGROUNDS}
    return new_ink.near_target(images), collections.Counter(names), on


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0, help="the learning's seed (its batches, noise and timesteps)")
    p.add_argument("--images", type=int, default=32)
    p.add_argument("--samples", type=int, default=100)
    p.add_argument("--sample-steps", type=int, default=50)
    p.add_argument("--model", default="tiny-sd", help="a model folder or hub id (default: the shipped tiny SD)")
    args = p.parse_args()
    parts = load_parts(args.model, device="cpu", progress=False)
    (x, y), _, _ = load_mnist()
    images, digits, backgrounds = new_ink.ink_images(x, y, count=args.images)
    add_token(parts, TOKEN, like="blue")
    near_before, names_before, _ = drawn(parts, args.samples, args.sample_steps)
    start = time.perf_counter()
    learn_embedding(parts, TOKEN, images, new_ink.captions(TOKEN, digits, backgrounds), steps=args.steps,
                    lr=args.lr, seed=args.seed, timesteps=(400, 1000))
    learning = time.perf_counter() - start
    near, names, on = drawn(parts, args.samples, args.sample_steps)
    print(f"{args.steps} steps (Adam, lr {args.lr:g}, seed {args.seed}) on {args.images} teal digits in "
          f"{learning:.0f} s; {args.samples} prompts "
          f"'a {TOKEN} N on a white/black/yellow background', {args.sample_steps} LMS steps each")
    print(f"{'':28}{'teal':>8}  ink read as")
    for label, n, c in [("before (the token = 'blue')", near_before, names_before), ("after learning", near, names)]:
        print(f"{label:28}{n.float().mean():8.0%}  {dict(c.most_common())}")
    for bg, c in on.items():
        print(f"  on {bg + ':':24}{c['teal'] / max(1, sum(c.values())):8.0%}  {dict(c.most_common())}")
    share = near.float().mean().item()
    print(f"the learned token draws teal in {share:.0%} of {args.samples} (target: at least 80%): "
          f"{'met' if share >= 0.8 else 'NOT met'}")


if __name__ == "__main__":
    main()
