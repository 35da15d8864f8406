"""The tiny text-to-image Stable Diffusion shipped in `data/tiny-sd`: its parts, its training
recipe (`python -m deeper.tinysd.train`, `make train`) and its evaluator (prompt accuracy)."""

from .folder import ModelFolderError, check_model_folder

__all__ = ["ModelFolderError", "check_model_folder"]
