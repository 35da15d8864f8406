"""The course's command line: `python -m deeper generate "a red 7 on white" --steps 30 --seed 1 -o out.png`.

It runs on the same backend as the notebooks and widgets (`deeper.sd`); a bad argument is a
one-line message and exit status 2, never a traceback.
"""

import argparse
import sys
import warnings

from .paths import TINY_SD


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m deeper", description="Deep Learning Diving Deeper from the shell.")
    commands = p.add_subparsers(dest="command", required=True)
    g = commands.add_parser("generate", help="make an image from a prompt with Stable Diffusion")
    g.add_argument("prompt", help='what to draw, e.g. "a red 7 on white" ("" for no prompt)')
    g.add_argument("-o", "--output", default="out.png", help="where to write the PNG (default: out.png)")
    g.add_argument("--negative", default="", help="negative prompt: what to steer away from")
    g.add_argument("--guidance", type=float, default=7.5, help="guidance scale (default 7.5; 1 or less: none)")
    g.add_argument("--steps", type=int, default=30, help="denoising steps, 1 to 1000 (default 30)")
    g.add_argument("--seed", type=int, default=0, help="random seed, 0 to 2**32-1 (default 0)")
    g.add_argument("--scheduler", default="LMS", help="LMS, DDIM, Euler or DPM-Solver (default LMS)")
    g.add_argument("--height", type=int, default=None, help="image height (default: the model's own)")
    g.add_argument("--width", type=int, default=None, help="image width (default: the model's own)")
    g.add_argument("--model", default=str(TINY_SD), help="model folder or hub id (default: the shipped tiny-sd)")
    g.add_argument("--device", default=None, help="cuda, mps or cpu (default: CUDA, then Apple's MPS, then the CPU)")
    commands.add_parser("doctor", help="check this environment: versions, Colab or local, device and dtype, "
                        "the shipped models, the widget front end; and what to do about each problem")
    return p


def generate_command(args) -> None:
    from .sd import generate, load_parts

    parts = load_parts(args.model, device=args.device)
    image = generate(parts, args.prompt, negative_prompt=args.negative, guidance_scale=args.guidance,
                     steps=args.steps, seed=args.seed, scheduler=args.scheduler, height=args.height, width=args.width)
    image.save(args.output)
    print(f"wrote {args.output} ({image.width}x{image.height}, seed {args.seed}, {args.steps} steps)")


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.command == "doctor":
        from .doctor import main as doctor

        return doctor()
    warnings.showwarning = lambda message, *a, **k: print(f"warning: {message}", file=sys.stderr)
    try:
        generate_command(args)
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
