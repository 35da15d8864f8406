"""Where the course keeps its files: the shipped `data/` folder and a download cache."""

import os
from pathlib import Path

# The repository root: the package is installed editable (Makefile, Colab setup cell), so the
# shipped `data/` folder sits beside it.
REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
TINY_SD = DATA / "tiny-sd"


def cache_dir() -> Path:
    """Downloaded inputs (MNIST, the CLIP vocabulary): $DEEPER_CACHE, else ~/.cache/deeper."""
    path = Path(os.environ.get("DEEPER_CACHE", Path.home() / ".cache" / "deeper"))
    path.mkdir(parents=True, exist_ok=True)
    return path
