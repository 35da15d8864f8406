"""The course's command line: `python -m deeper generate "a red 7 on white" --steps 30 --seed 1 -o out.png`.

It runs on the same backend as the notebooks and widgets (`deeper.sd`); a bad argument (or a
damaged model) is a one-line message and exit status 2, any other failure one line and status 1:
never a traceback. The device and the output path are checked before the model loads, and the
image is written through a temporary file, so a reader never finds half a PNG.
"""

import argparse
import os
import sys
import tempfile
import warnings
from pathlib import Path

from PIL import Image

from .device import pick_device
from .paths import TINY_SD


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m deeper", description="Deep Learning Diving Deeper from the shell.")
    commands = p.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser("generate", help="make an image from a prompt with Stable Diffusion")
    cmd.add_argument("prompt", help='what to draw, e.g. "a red 7 on white" ("" for no prompt)')
    cmd.add_argument("-o", "--output", default="out.png", help="where to write the PNG (default: out.png)")
    cmd.add_argument("--negative", default="", help="negative prompt: what to steer away from")
    cmd.add_argument("--negative-scale", type=float, default=None,
                     help="the negative prompt's own scale (default: guidance - 1, as diffusers; 2 pushes gently)")
    cmd.add_argument("--guidance", type=float,
                     help="guidance scale (default: deeper.sd's GUIDANCE_SCALE; 1 or less: none)")
    cmd.add_argument("--steps", type=int, default=30, help="denoising steps, 1 to 1000 (default 30)")
    cmd.add_argument("--seed", type=int, default=0, help="random seed, 0 to 2**32-1 (default 0)")
    cmd.add_argument("--scheduler", default="LMS", help="LMS, DDIM, Euler or DPM-Solver (default LMS)")
    cmd.add_argument("--height", type=int, default=None, help="image height (default: the model's own)")
    cmd.add_argument("--width", type=int, default=None, help="image width (default: the model's own)")
    cmd.add_argument("--model", default=str(TINY_SD), help="model folder or hub id (default: the shipped tiny-sd)")
    cmd.add_argument("--device", default=None, help="cuda, mps or cpu (default: CUDA, then Apple's MPS, then the CPU)")
    commands.add_parser("doctor", help="check this environment: versions, Colab or local, device and dtype, "
                        "the shipped models, the widget front end; and what to do about each problem")
    return p


def generate_command(args) -> None:
    output, image_format = check_output(args.output)
    pick_device(args.device)  # a device this machine lacks is an error now, not after loading the model
    from .sd import generate, load_parts

    parts = load_parts(args.model, device=args.device)
    guidance = {} if args.guidance is None else {"guidance_scale": args.guidance}  # else deeper.sd's default
    image = generate(parts, args.prompt, negative_prompt=args.negative, negative_scale=args.negative_scale, **guidance,
                     steps=args.steps, seed=args.seed, scheduler=args.scheduler, height=args.height, width=args.width)
    save_atomically(image, output, image_format)
    print(f"wrote {output} ({image.width}x{image.height}, seed {args.seed}, {args.steps} steps)")


def check_output(name: str) -> tuple[Path, str]:
    """The output path and the image format its extension names, checked before any work starts."""
    path = Path(name)
    if path.is_dir():
        raise ValueError(f"-o {name}: that is a directory; give a file name, e.g. -o {path / 'out.png'}")
    if not path.parent.is_dir():
        raise ValueError(f"-o {name}: the folder {path.parent} does not exist; create it or write elsewhere")
    if not os.access(path.parent, os.W_OK):
        raise ValueError(f"-o {name}: the folder {path.parent} is not writable; write elsewhere")
    if path.exists() and not os.access(path, os.W_OK):
        raise ValueError(f"-o {name}: the file exists and is not writable; remove it or write elsewhere")
    Image.init()
    image_format = Image.registered_extensions().get(path.suffix.lower())
    if image_format not in Image.SAVE:
        raise ValueError(f"-o {name}: {path.suffix or 'no extension'} names no image format to save; "
                         f"end the name in .png (or .jpg, .webp)")
    return path, image_format


def save_atomically(image, path: Path, image_format: str) -> None:
    """Write through a temporary file in the same folder, then rename: a reader never sees half a file,
    and two processes writing one path leave one whole image."""
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False) as tmp:
        try:
            image.save(tmp, format=image_format)
        except BaseException:
            Path(tmp.name).unlink(missing_ok=True)
            raise
    os.chmod(tmp.name, 0o666 & ~current_umask())
    os.replace(tmp.name, path)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
    except KeyboardInterrupt:
        print("interrupted: no image written", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - the promise is a message, never a traceback
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
