"""The distillation data: latents of the tiny SD's own training images, with their captions.

`python -m deeper.papers.data --out checkpoints/papers/data.pt` renders the MNIST training split
as the tiny SD saw it (`deeper.digits.dataset.CaptionedDigits`) and encodes it with its VAE, here,
so the GPU machine (no network, no MNIST) only loads one small file.
"""

import argparse
from pathlib import Path

import torch

from ..mnist import load_mnist
from ..paths import TINY_SD
from ..sd.parts import load_parts
from ..sd.vae import encode
from ..digits.dataset import CaptionedDigits


def training_latents(parts, limit: int | None = None, seed: int = 1, batch_size: int = 500):
    """(latents (n, 4, 8, 8), captions) of the first `limit` training digits, as the tiny SD saw them."""
    (x, y), _, _ = load_mnist()
    if limit:
        x, y = x[:limit], y[:limit]
    digits = CaptionedDigits(x, y, parts.tokenizer, variants=1, seed=seed)
    generator = torch.Generator().manual_seed(seed)
    rows = torch.arange(len(digits))
    latents = torch.cat([encode(parts, digits.images(chunk), generator).cpu() for chunk in rows.split(batch_size)])
    return latents, digits.captions


def prepare(out: Path, model=TINY_SD, limit: int | None = 24_000, seed: int = 1) -> Path:
    """Write {"latents": (n, 4, 8, 8) float16, "captions": n strings} for the training split."""
    latents, captions = training_latents(load_parts(model, device="cpu", dtype=torch.float32), limit, seed)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    torch.save({"latents": latents.half(), "captions": captions}, out)
    return Path(out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("checkpoints/papers/data.pt"))
    parser.add_argument("--limit", type=int, default=24_000, help="digits (24k: 12 MB, carried to the GPU)")
    args = parser.parse_args()
    print(prepare(args.out, limit=args.limit))
