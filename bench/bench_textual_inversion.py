"""Textual inversion on the shipped tiny model (CPU): learn `<teal>`, a colour its palette lacks, from
32 teal digits (`deeper.sd.textual_inversion`, notebook 14's settings), then draw 100 prompts naming it
and count the images whose ink is nearer to teal than to any palette colour (`deeper.digits.new_ink`).
Target: 80% of 100. Before learning (the token starts as 'blue') the same count, side by side, and
after learning what the ink reads as on each background. 50 LMS steps: with fewer the sampler's own
error pushes the off-palette ink to green or blue (the first recipe, this CPU, seed 0: 66% at 20 steps,
80% at 50).

The recipe: the noise loss at timesteps 400 to 999, plus a colour term (`image_weight=1`: the decoded
predicted clean image against the picture on the ink's pixels, `new_ink.ink_mask`, weighted by ᾱ_t),
with captions written by the training captions' grammar (`new_ink.captions`). This CPU, one thread,
learning seeds 0, 1, 2: 93%, 94%, 92% (black backgrounds 87%, 87%, 77%). The first recipe (the noise loss
alone, four fixed phrasings: `--image-weight 0 --fixed-captions`): 80%, 75%, 74% (black 40%, 63%, 53%),
the target met at seed 0 only. Where black failed the model itself drew blue or yellow-green ink (the
grids show it: the read-out was not what failed). The colour term needs the whole 200 steps: at 50, 100 or 150
(notebook 14's CI runs 50) a check on 20 white prompts drew less teal than the first recipe (50 steps, 12 LMS
steps: 6 against 16 of 20; 150 steps, 20 LMS steps: 13 against 18); at 200, 20 LMS steps, 100 white prompts:
92 against 87, and at 300 steps 86 (seed 0): the share moves with the step count, 200 is where it was measured.

Screened on a validation draw (150 prompts 'a <teal> N on a B background' with other digits, order and
sample seeds 1000+, 50 LMS steps, float32 on an H200 with TF32 off, which gave the CPU's numbers to the
point where both ran), seeds 0, 1, 2: the first recipe 73%, 73%, 75%; EMA 0.98 of the vector 72%, 71%,
69%; the mean of the last 50 steps 70%, 68%, 73%; grammar captions alone 79%, 76%, 61%; colour term 0.3
77%, 83%, 84%; 1: 94%, 89%, 79%; 3: 93%, 88%, 65%; 10: 93%, 61%, 46%; 1 without the ᾱ_t weight 36%, 39%, 49%;
1 with EMA 81%, 85%, 81%; 1 with grammar captions (chosen) 94%, 92%, 91% (another draw, seeds 5000+: 93%,
92%, 94%), with lr 0.03 94%, 89%, 91%, 64 pictures 93%, 88%, 93%, weight 0.5 88%, 87%, 89%, 2: 93%, 80%,
83%, with EMA 87%, 86%, 91%. Learning on the guided prediction (scale 7.5, or 3 mixed half and half with
the plain loss) broke the word: 0-48% (it stops naming any colour). Earlier, on 30 samples of the benchmark
draw, none better than the first recipe: the token starting between 'green' and 'blue', 64 pictures,
timesteps 600 or 200 to 999, lr 0.01 or 0.05 then 0.01, batch 16, 400 steps.

    .venv/bin/python bench/bench_textual_inversion.py [--steps 200] [--lr 0.05] [--seed 0]
        [--image-weight 1] [--fixed-captions] [--samples 100] [--sample-steps 50]
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
    p.add_argument("--image-weight", type=float, default=1.0,
                   help="the colour term's weight (learn_embedding's image_weight, on the ink's pixels); 0: the noise loss alone")
    p.add_argument("--fixed-captions", action="store_true", help="the four fixed phrasings instead of the grammar's")
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
    captions = new_ink.captions(TOKEN, digits, backgrounds, varied=not args.fixed_captions)
    learn_embedding(parts, TOKEN, images, captions, steps=args.steps, lr=args.lr, seed=args.seed, timesteps=(400, 1000),
                    image_weight=args.image_weight, image_mask=new_ink.ink_mask(images) if args.image_weight else None)
    learning = time.perf_counter() - start
    near, names, on = drawn(parts, args.samples, args.sample_steps)
    print(f"{args.steps} steps (Adam, lr {args.lr:g}, seed {args.seed}, colour term {args.image_weight:g}, "
          f"{'fixed' if args.fixed_captions else 'grammar'} captions) on {args.images} teal digits in "
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
