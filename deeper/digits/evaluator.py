"""Prompt accuracy: does a generated image show the digit and the colours its prompt asked for?

Two judges. The digit: a small CNN trained on MNIST rendered in random colours (any RGB pair
with visible contrast, not only the palette), shifted and noised, so that colour and the
wobble of generated strokes don't sway it. The colours: read straight off the pixels, without
learning, so there is nothing to fool: the background is the median colour of the 2-pixel frame
(MNIST digits never reach it), the ink is the median of the pixels farthest from that
background, and each is named by the nearest palette colour.
"""

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..paths import DATA
from .captions import COLOURS, PromptSpec
from .dataset import PALETTE_RGB, pad, render

EVALUATOR = DATA / "evaluator"
WEIGHTS = "digit_classifier.safetensors"
NO_INK = 0.15  # an image whose farthest pixel is this close to its background shows no digit
INK_CORE = 0.85  # ink pixels: at least this share of the farthest distance (stroke cores, not edges)


class DigitClassifier(nn.Module):
    """A 32x32 RGB digit classifier: three conv stages and a linear read-out."""

    def __init__(self, width: int = 32):
        super().__init__()

        def stage(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                    nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]

        self.net = nn.Sequential(
            *stage(3, width), nn.MaxPool2d(2), *stage(width, 2 * width), nn.MaxPool2d(2),
            *stage(2 * width, 4 * width), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
            nn.Linear(4 * width, 10))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits for (n, 3, 32, 32) images in [0, 1]."""
        return self.net(images * 2 - 1)


def random_contrast_colours(n: int, generator=None, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Random (ink, background) RGB pairs at least 0.35 apart; half of them palette colours."""
    ink = torch.rand(n, 3, generator=generator, device=device)
    bg = torch.rand(n, 3, generator=generator, device=device)
    far = (ink - bg).norm(dim=1) >= 0.35
    while not far.all():
        bg = torch.where(far[:, None], bg, torch.rand(n, 3, generator=generator, device=device))
        far = (ink - bg).norm(dim=1) >= 0.35
    pal = PALETTE_RGB.to(device)
    i = torch.randint(0, len(pal), (n,), generator=generator, device=device)
    j = (i + torch.randint(1, len(pal), (n,), generator=generator, device=device)) % len(pal)
    use = torch.rand(n, generator=generator, device=device)[:, None] < 0.5
    return torch.where(use, pal[i], ink), torch.where(use, pal[j], bg)


def augmented(alpha: torch.Tensor, generator=None) -> torch.Tensor:
    """(n, 32, 32) coverage -> coloured images, shifted up to 2 pixels, with a little pixel noise."""
    n, device = len(alpha), alpha.device
    shift = torch.randint(-2, 3, (2,), generator=generator, device=device).tolist()
    alpha = torch.roll(alpha, shifts=shift, dims=(1, 2))
    ink, bg = random_contrast_colours(n, generator, device)
    images = render(alpha, ink, bg)
    noise = torch.randn(images.shape, generator=generator, device=device) * 0.03
    return (images + noise).clamp(0, 1)


def classifier_loss(model: DigitClassifier, alpha, labels, generator=None) -> torch.Tensor:
    return F.cross_entropy(model(augmented(alpha, generator)), labels, label_smoothing=0.05)


def background_distance(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(background (n, 3), distance (n, H, W)): the background is the median of the 2-pixel frame, and
    each pixel's distance from it; the strokes are what stands far from it."""
    frame = torch.ones(images.shape[-2:], dtype=torch.bool, device=images.device)
    frame[2:-2, 2:-2] = False
    bg = images[:, :, frame].median(dim=2).values
    return bg, (images - bg[:, :, None, None]).norm(dim=1)


def read_colours(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(ink, background) palette indices of (n, 3, 32, 32) images in [0, 1]; ink is -1 where
    no pixel stands out from the background (no digit drawn)."""
    images = images.float()
    bg, dist = background_distance(images)
    pixels, dist = images.flatten(2), dist.flatten(1)  # (n, 3, HW), (n, HW)
    top = dist.max(dim=1).values
    ink_mask = dist >= INK_CORE * top[:, None]
    ink = pixels.masked_fill(~ink_mask[:, None], float("nan")).nanmedian(dim=2).values
    pal = PALETTE_RGB.to(images.device)
    ink_idx = torch.cdist(ink, pal).argmin(1)
    bg_idx = torch.cdist(bg, pal).argmin(1)
    return torch.where(top < NO_INK, -1, ink_idx), bg_idx


def as_tensor(images) -> torch.Tensor:
    """Accept a (n, 3, H, W) tensor in [0, 1], a (n, H, W, 3) numpy array (the pipeline's 'np'
    output), or a list of PIL images."""
    if isinstance(images, torch.Tensor):
        return images.float()
    if isinstance(images, np.ndarray):
        return torch.from_numpy(images).float().permute(0, 3, 1, 2)
    return torch.stack([torch.from_numpy(np.asarray(im.convert("RGB"), dtype=np.float32) / 255).permute(2, 0, 1)
                        for im in images])


class Evaluator:
    """Reads (digit, ink, background) off generated images; `prompt_accuracy` scores them."""

    def __init__(self, classifier: DigitClassifier, device=None):
        self.classifier = classifier.eval().to(device)
        self.device = device

    @torch.no_grad()
    def read(self, images, batch: int = 1000) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(digit, ink, background) indices of each image; colours index `captions.COLOURS`."""
        images = as_tensor(images)
        digits, inks, bgs = [], [], []
        for chunk in images.split(batch):
            chunk = chunk.to(self.device)
            digits.append(self.classifier(chunk).argmax(1).cpu())
            ink, bg = read_colours(chunk)
            inks.append(ink.cpu())
            bgs.append(bg.cpu())
        return torch.cat(digits), torch.cat(inks), torch.cat(bgs)

    def prompt_accuracy(self, images, specs: Sequence[PromptSpec]) -> dict[str, float]:
        """Shares of images whose digit, ink, background, both colours, and all three match their
        specs (an attribute a spec leaves as None always matches)."""
        digits, inks, bgs = self.read(images)
        if len(specs) != len(digits):
            raise ValueError(f"{len(digits)} images but {len(specs)} prompt specs")

        def match(read, wanted):
            return torch.tensor([w is None or int(r) == w for r, w in zip(read, wanted)])

        d = match(digits, [s.digit for s in specs])
        i = match(inks, [None if s.ink is None else COLOURS.index(s.ink) for s in specs])
        b = match(bgs, [None if s.background is None else COLOURS.index(s.background) for s in specs])
        return {"digit": d.float().mean().item(), "ink": i.float().mean().item(),
                "background": b.float().mean().item(), "colours": (i & b).float().mean().item(),
                "all": (d & i & b).float().mean().item()}


def save_evaluator(classifier: DigitClassifier, folder=EVALUATOR, test_accuracy: float | None = None) -> None:
    from safetensors.torch import save_file
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().float().contiguous() for k, v in classifier.state_dict().items()}, folder / WEIGHTS)
    info = {"class": "deeper.digits.evaluator.DigitClassifier", "input": "(n, 3, 32, 32) RGB in [0, 1]",
            "palette": COLOURS, "mnist_test_accuracy_in_colour": test_accuracy}
    (folder / "evaluator.json").write_text(json.dumps(info, indent=2) + "\n")


def load_evaluator(folder=EVALUATOR, device=None) -> Evaluator:
    """The shipped evaluator; a missing or damaged weight file is an error that names it."""
    from safetensors.torch import load_file

    from ..sd.folder import ModelFolderError, check_safetensors, verify_shipped
    path = Path(folder) / WEIGHTS
    how = "Restore it with `git checkout -- data/evaluator` (or retrain it with `make train`)."
    if not path.is_file():
        raise ModelFolderError(f"The evaluator file {path} is missing. {how}")
    try:
        check_safetensors(path)
    except (ValueError, UnicodeDecodeError) as e:
        raise ModelFolderError(f"The evaluator file {path} is damaged or truncated ({e}). {how}") from e
    verify_shipped(folder)  # the bytes behind the header
    classifier = DigitClassifier()
    classifier.load_state_dict(load_file(path))
    return Evaluator(classifier, device)


def prompt_accuracy(images, specs: Sequence[PromptSpec], evaluator: Evaluator | None = None) -> dict[str, float]:
    """Prompt accuracy of `images` against `specs` with the shipped evaluator (see Evaluator)."""
    return (evaluator or load_evaluator()).prompt_accuracy(images, specs)


@torch.no_grad()
def colour_mnist_accuracy(evaluator: Evaluator, x, y, seed: int = 0) -> dict[str, float]:
    """The evaluator on real MNIST digits rendered in random palette pairs: digit accuracy and
    colour read-out accuracy (the numbers its claims rest on)."""
    gen = torch.Generator().manual_seed(seed)
    alpha = pad(x)
    ink = torch.randint(0, len(COLOURS), (len(alpha),), generator=gen)
    bg = (ink + torch.randint(1, len(COLOURS), (len(alpha),), generator=gen)) % len(COLOURS)
    images = render(alpha, PALETTE_RGB[ink], PALETTE_RGB[bg])
    digits, inks, bgs = evaluator.read(images)
    y = torch.as_tensor(y)
    return {"digit": (digits == y).float().mean().item(), "ink": (inks == ink).float().mean().item(),
            "background": (bgs == bg).float().mean().item()}
