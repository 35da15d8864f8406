"""The three papers' claims, measured side by side: each progressive student against the teacher
with DDIM, the guided students against the guided teacher, and Imagic's four kinds of edit over
test digits. Prints the tables and the ratios the issue's targets are stated in.

    python bench/bench_papers.py                          # all three (Imagic takes a while on a CPU)
    python bench/bench_papers.py --only progressive guided --samples 1000
    python bench/bench_papers.py --only imagic --images 20 --json imagic.json
    python bench/bench_papers.py --only reading --samples 300   # 4-step students against the teacher on each
                                                                # held-out set of a stranger's prompts
    python bench/bench_papers.py --only imagic --image-range 0 10 --log a.jsonl   # split between processes,
    python bench/bench_papers.py --summarise a.jsonl b.jsonl                      # then put together
"""

import argparse
import json
import time

import torch

from deeper.mnist import load_mnist
from deeper.papers.evaluate import (Benchmark, format_table, guided_rows, imagic_runs, imagic_summary,
                                    progressive_rows, target_comparison)
from deeper.papers.imagic import ImagicSettings
from deeper.papers.students import Family, teacher_of
from deeper.sd import load_parts
from deeper.digits.evaluator import load_evaluator


def find(rows, model, steps, guidance=None):
    return next(r for r in rows if r["model"].startswith(model) and r["steps"] == steps
                and (guidance is None or r["guidance"] == guidance))


def progressive(parts, evaluator, bench):
    rows = progressive_rows(bench, teacher_of(parts), Family("progressive", parts.unet))
    print(format_table(rows))
    best = find(rows, "teacher", 64)
    print("\nagainst the 64-step teacher:")
    for r in rows:
        if r is not best:
            print(f"  {r['model']:<15} {r['steps']:>2} steps: {100 * (r['accuracy'] - best['accuracy']):+6.1f} points, "
                  f"{best['unet_evals'] / r['unet_evals']:5.0f}x fewer UNet evaluations"
                  + (f", {best['seconds'] / r['seconds']:5.1f}x faster" if "seconds" in r else ""))
    four = find(rows, "student", 4)
    gap = 100 * (four["accuracy"] - best["accuracy"])
    print(f"target (4-step student within 2 points of the 64-step teacher): {gap:+.1f} points -> "
          f"{'met' if gap >= -2 else 'missed'}")
    return rows


def guided(parts, evaluator, bench):
    rows = guided_rows(bench, teacher_of(parts), Family("guided", parts.unet))
    print(format_table(rows))
    target = target_comparison(rows)
    gap, fewer = target["points"], target["fewer"]
    print(f"\ntarget (4 steps within 3 points of the teacher's 32 at guidance 7.5, >= 16x fewer evaluations): "
          f"{gap:+.1f} points, {fewer:.0f}x fewer -> {'met' if gap >= -3 and fewer >= 16 else 'missed'}")
    return rows


def reading(parts, evaluator, mnist_test, n, seed=4321):
    """The 4-step students beside their teacher (DDIM, 32 steps) on each held-out set of
    deeper.digits.held_out, all at guidance 7.5: do the students read a sentence as the teacher does?"""
    from deeper.digits.held_out import HELD_OUT_SETS, held_out_set
    teacher = teacher_of(parts)
    progressive_4, guided_4 = Family("progressive", parts.unet)[4], Family("guided", parts.unet)[4]
    rows = []
    for name in HELD_OUT_SETS:
        bench = Benchmark(parts, evaluator, mnist_test, timing_repeats=0, pairs=held_out_set(name, n, seed))
        found = [bench.row(f"{name}: teacher (DDIM)", teacher, 32),
                 bench.row(f"{name}: progressive", progressive_4, 4),
                 bench.row(f"{name}: guided", guided_4, 4)]
        for r in found[1:]:
            gap = 100 * (r["accuracy"] - found[0]["accuracy"])
            print(f"  {r['model']:<28} 4 steps: {gap:+5.1f} points against the teacher's 32 -> "
                  f"{'met' if gap >= -2 else 'missed'} (target: within 2)")
        rows += found
    print(format_table(rows))
    return rows


def imagic(parts, evaluator, mnist_test, images, settings, first=0, last=None, log=None):
    start = time.time()

    def progress(run):
        print(f"  image {run['image']:2d} {run['edit']:<10} {time.time() - start:5.0f} s  "
              f"target and the rest kept along η: {' '.join(f'{p:.1f}' for p in run['hit_and_kept'])}", flush=True)
        if log:
            with open(log, "a") as f:
                f.write(json.dumps(run) + "\n")

    runs = imagic_runs(parts, evaluator, mnist_test, images, settings, progress=progress,
                       images=range(first, last or images))
    summarise(runs)
    return {"runs": runs, "summary": imagic_summary(runs)}


def summarise(runs):
    summary = imagic_summary(runs)
    for row in summary:
        print(f"  {row['edit']:<11} best η {row['best_eta']:.2f}: target and the rest kept in "
              f"{row['share_at_best_eta']:.0%} of {row['images']} images (target read in "
              f"{row['target_read_at_best_eta']:.0%}), some η of their own in {row['images_with_some_eta']:.0%}; "
              f"distance to the input {row['distance_at_best_eta']:.3f}")
    met = sum(r["share_at_best_eta"] >= 0.9 for r in summary)
    print(f"target (>= 3 of 4 edit kinds at >= 0.9 with the rest unchanged, one η per kind): {met} of 4 -> "
          f"{'met' if met >= 3 else 'missed'}")


def main(mnist_test=None):
    """`mnist_test`: MNIST's test split (x, y), the real digits the scores compare with (default: load_mnist's)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", choices=["progressive", "guided", "reading", "imagic"],
                        default=["progressive", "guided", "imagic"])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--image-range", type=int, nargs=2, default=None, metavar=("FIRST", "STOP"),
                        help="run only these of the --images test digits (to split the work between processes)")
    parser.add_argument("--log", default=None, help="append each Imagic run to this JSON-lines file")
    parser.add_argument("--summarise", nargs="+", default=None, help="summarise JSON-lines files of Imagic runs and stop")
    parser.add_argument("--timing-repeats", type=int, default=5)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.summarise:
        summarise([json.loads(line) for path in args.summarise for line in open(path)])
        return
    mnist_test = load_mnist()[2] if mnist_test is None else mnist_test
    parts = load_parts("tiny-sd", device=args.device, dtype=torch.float32, progress=False)
    evaluator = load_evaluator(device=args.device)
    print(f"device: {args.device}, {args.samples} held-out prompts, seconds are one image at batch 1\n")
    results = {}
    if {"progressive", "guided"} & set(args.only):
        bench = Benchmark(parts, evaluator, mnist_test, n=args.samples, timing_repeats=args.timing_repeats)
    for name in ("progressive", "guided"):
        if name in args.only:
            print(f"== {name} distillation ==")
            results[name] = globals()[name](parts, evaluator, bench)
            print()
    if "reading" in args.only:
        print("== the 4-step students on the held-out sets ==")
        results["reading"] = reading(parts, evaluator, mnist_test, args.samples)
    if "imagic" in args.only:
        print(f"== Imagic, {args.images} test digits x 4 edits ==")
        first, stop = args.image_range or (0, args.images)
        results["imagic"] = imagic(parts, evaluator, mnist_test, args.images, ImagicSettings(), first, stop, args.log)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
