"""torch's CPU generator state, read: a Mersenne Twister (MT19937) of 624 32-bit words and a position.

`Generator.get_state()` is a byte tensor; its layout (seed, words left, seeded flag, next index,
624 words, ...) is an implementation detail, so anything unexpected reads as `None`.
"""

from typing import NamedTuple

import numpy as np
import torch

N_WORDS = 624


class TorchState(NamedTuple):
    initial_seed: int
    position: int  # how many of the 624 words of the current block have been used
    words: np.ndarray  # the 624 state words (uint32 values)


def read_state(generator: torch.Generator | None = None) -> TorchState | None:
    raw = (generator or torch.default_generator).get_state().numpy().tobytes()
    if len(raw) < 24 + 8 * N_WORDS:
        return None
    seed, position = np.frombuffer(raw[:8], np.uint64)[0], np.frombuffer(raw[16:24], np.uint64)[0]
    words = np.frombuffer(raw[24:24 + 8 * N_WORDS], np.uint64)
    if position > N_WORDS or words.max() >= 2**32:
        return None
    return TorchState(int(seed), int(position), words.astype(np.uint32))
