"""Where the course keeps its files: the shipped `data/` folder and a download cache."""

import os
from pathlib import Path

# The repository root: the package is installed editable (Makefile, Colab setup cell), so the
# shipped `data/` folder sits beside it.
REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
TINY_SD = DATA / "tiny-sd"


def cache_dir() -> Path:
    """Downloaded inputs (MNIST, the CLIP vocabulary): $DEEPER_CACHE, else ~/.cache/deeper.

    An empty DEEPER_CACHE counts as unset (as XDG_CACHE_HOME does), never as the current folder.
    """
    given = os.environ.get("DEEPER_CACHE", "").strip()
    path = Path(given).expanduser() if given else Path.home() / ".cache" / "deeper"
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"DEEPER_CACHE={given!r} is a file, not a folder: point it at a folder "
                                 f"(or unset it to use ~/.cache/deeper)")
    path.mkdir(parents=True, exist_ok=True)
    return path
