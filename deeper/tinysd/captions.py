"""Until deeper/tinysd/new_ink.py moves to deeper/digits: its imports, from their new home."""
from ..digits.captions import *  # noqa: F401,F403
