"""The tiny text-to-image Stable Diffusion shipped in `data/tiny-sd`: its parts and losses, and its
training recipe (`python -m deeper.tinysd.train`, `make train`); its world (palette, captions,
evaluator) is `deeper.digits`.

For other modules: `check_model_folder(folder)` before loading; `load_clip(...)` for the whole tiny
CLIP (text-image similarity).
"""

from ..sd.folder import ModelFolderError
from .clip import load_clip
from .folder import check_model_folder

__all__ = ["load_clip", "ModelFolderError", "check_model_folder"]
