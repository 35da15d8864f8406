"""Make the sample images (run once; the PNGs are committed): `python data/samples/make_samples.py`.

`blue_3_on_yellow.png`: the second 3 of MNIST's test split, padded to 32x32 and drawn as ink over a
background (pixel = background * (1 - a) + ink * a, a the MNIST coverage), in the tiny model's
palette colours. The lesson's image-to-image starts from a rough sketch; this is ours. (The first 3
closes its loops and reads as an 8: the evaluator gives it 41% a 3, this one 98%.)
"""

from pathlib import Path

import numpy as np
from PIL import Image

from deeper.mnist import load_mnist

HERE = Path(__file__).resolve().parent
BLUE, YELLOW = np.array([0.10, 0.30, 0.90]), np.array([0.98, 0.90, 0.15])


def coloured_digit(digit: int, ink, background, nth: int = 0) -> Image.Image:
    """The `nth` (from 0) `digit` of MNIST's test split in those colours."""
    _, _, (x_test, y_test) = load_mnist()
    a = np.pad(x_test[np.flatnonzero(y_test == digit)[nth]].reshape(28, 28), 2)[..., None]
    return Image.fromarray((255 * (background * (1 - a) + ink * a)).round().astype(np.uint8))


if __name__ == "__main__":
    coloured_digit(3, BLUE, YELLOW, nth=1).save(HERE / "blue_3_on_yellow.png")
