"""The tiny text-to-image Stable Diffusion shipped in `data/tiny-sd`: its parts, its training
recipe (`python -m deeper.tinysd.train`, `make train`) and its evaluator (prompt accuracy).

For other modules: `check_model_folder(folder)` before loading; `held_out_prompts(n, seed)` for
(prompt, PromptSpec) pairs in phrasings never trained on; `prompt_accuracy(images, specs)` to
score generated images; `load_evaluator()` to keep one evaluator around; `load_clip(...)` for the
whole tiny CLIP (text-image similarity).
"""

from .captions import COLOURS, PALETTE, PromptSpec, held_out_prompts
from .clip import load_clip
from .evaluator import Evaluator, load_evaluator, prompt_accuracy
from ..sd.folder import ModelFolderError
from .folder import check_model_folder

__all__ = ["COLOURS", "PALETTE", "PromptSpec", "held_out_prompts", "load_clip", "Evaluator",
           "load_evaluator", "prompt_accuracy", "ModelFolderError", "check_model_folder"]
