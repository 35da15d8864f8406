"""The coloured-MNIST world the tiny SD draws: the palette and captions (`captions`, and the caption
grammar and held-out sets: `grammar`, `held_out`), the rendering and style measures (`dataset`),
the evaluator that reads digit and colours off an image (`evaluator`: prompt accuracy) and the
attributes Imagic's edits are judged by (`attributes`). Only this package knows the palette.
"""

from .captions import COLOURS, PALETTE, PromptSpec, held_out_prompts
from .evaluator import Evaluator, load_evaluator, prompt_accuracy

__all__ = ["COLOURS", "PALETTE", "PromptSpec", "held_out_prompts", "Evaluator", "load_evaluator", "prompt_accuracy"]
