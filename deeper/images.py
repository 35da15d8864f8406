"""Tensors to pictures and back: images in [0, 1] to PIL (rounded as diffusers rounds them), grids
of images, latent channels as grey tiles, and nearest-neighbour enlargement for tiny images."""

import numpy as np
import torch
from PIL import Image


DAMAGED = ("The model's weights are likely damaged: check them with `python -m deeper.manifest --check` "
           "and restore the shipped ones with `git checkout -- data/`; on a GPU in float16, load in "
           "float32 instead (load_parts(dtype=torch.float32))")


def check_finite(values: torch.Tensor, what: str) -> torch.Tensor:
    """`values` unchanged, or a ValueError saying how many are NaN or infinite and the likely cause."""
    bad = (~torch.isfinite(values.detach())).sum().item()
    if bad:
        raise ValueError(f"{what} hold {bad:,} NaN or infinite values of {values.numel():,}, so the image "
                         f"would come out black. {DAMAGED}")
    return values


def to_pil(images: torch.Tensor) -> list[Image.Image]:
    """(b, 3, H, W) or (3, H, W) in [0, 1] -> PIL images, with the pipeline's exact rounding
    (NaN or infinite pixels are a ValueError: `check_finite`)."""
    check_finite(images, "the decoded images")
    if images.ndim == 3:
        images = images[None]
    arrays = (images.detach().cpu().permute(0, 2, 3, 1).float().numpy() * 255).round().astype("uint8")
    return [Image.fromarray(a) for a in arrays]


def from_pil(image: Image.Image, size: tuple[int, int] | None = None) -> torch.Tensor:
    """A PIL image -> (1, 3, H, W) float32 in [0, 1], resized to `size` (width, height) if given."""
    image = image.convert("RGB")
    if size is not None and image.size != tuple(size):
        image = image.resize(tuple(size), Image.Resampling.LANCZOS)
    return torch.from_numpy(np.asarray(image, dtype=np.float32) / 255).permute(2, 0, 1)[None]


def enlarge(image: Image.Image, min_side: int = 128) -> Image.Image:
    """Scale a small image up by a whole factor (nearest neighbour: pixels stay crisp) to at least `min_side`."""
    factor = max(1, -(-min_side // min(image.size)))
    return image if factor == 1 else image.resize((image.width * factor, image.height * factor), Image.Resampling.NEAREST)


def thumbnail(image: Image.Image, side: int) -> Image.Image:
    """`image` scaled so its longer side is `side`: crisp (nearest) when enlarging, smooth when shrinking."""
    factor = side / max(image.size)
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    resample = Image.Resampling.NEAREST if factor >= 1 else Image.Resampling.LANCZOS
    return image if size == image.size else image.resize(size, resample)


def image_grid(images: list[Image.Image], cols: int | None = None, side: int | None = None, pad: int = 2,
               background="white") -> Image.Image:
    """Images of one size in a grid, `cols` wide (all in one row by default), `pad` pixels apart;
    with `side`, each is first scaled (see `thumbnail`) so its longer side is that many pixels."""
    if not images:
        raise ValueError("image_grid needs at least one image")
    if side is not None:
        images = [thumbnail(image, side) for image in images]
    cols = cols or len(images)
    rows = -(-len(images) // cols)
    w, h = images[0].size
    grid = Image.new("RGB", (cols * w + (cols - 1) * pad, rows * h + (rows - 1) * pad), background)
    for k, image in enumerate(images):
        grid.paste(image.convert("RGB"), ((k % cols) * (w + pad), (k // cols) * (h + pad)))
    return grid


def channel_tiles(latents: torch.Tensor) -> list[Image.Image]:
    """Each channel of (c, h, w) latents as a grey image, scaled from its own min (black) to max (white)."""
    tiles = []
    for channel in latents.detach().float().cpu():
        low, high = channel.min(), channel.max()
        scaled = (channel - low) / (high - low) if high > low else torch.zeros_like(channel)
        tiles.append(Image.fromarray((scaled.numpy() * 255).round().astype("uint8")))
    return tiles
