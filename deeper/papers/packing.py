"""Students stored small: each weight matrix as its difference from the model it was distilled
from, quantised in groups of 64 to 8 or 4 bits with one float16 scale per group; vectors (biases,
norms) whole in float16. A 2.8M-parameter UNet is 5.5 MB in float16, about 2.9 MB at 8 bits and
1.5 MB at 4, which is what lets every student of both families ship inside data/'s budget.

Each student's base is the *unpacked* previous one, so quantisation errors do not pile up along
the chain of rounds: every student is off only by its own rounding.
"""

import torch

GROUP = 64


def quantise(delta: torch.Tensor, bits: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(codes, scales) of a flat float tensor: symmetric integers in [-(2^(b-1)-1), 2^(b-1)-1]."""
    qmax = 2 ** (bits - 1) - 1
    groups = torch.nn.functional.pad(delta.float().flatten(), (0, -delta.numel() % GROUP)).view(-1, GROUP)
    scales = (groups.abs().amax(1) / qmax).half().clamp_min(torch.finfo(torch.float16).tiny)
    codes = (groups / scales.float()[:, None]).round().clamp(-qmax, qmax).to(torch.int8)
    if bits == 4:  # two codes a byte
        nibbles = (codes + 8).to(torch.uint8).view(-1, 2)
        codes = nibbles[:, 0] | (nibbles[:, 1] << 4)
    return codes.flatten(), scales


def dequantise(codes: torch.Tensor, scales: torch.Tensor, bits: int, shape) -> torch.Tensor:
    if bits == 4:
        codes = torch.stack([codes & 15, codes >> 4], 1).to(torch.int8) - 8
    values = codes.view(-1, GROUP).float() * scales.float()[:, None]
    n = torch.Size(shape).numel()
    return values.flatten()[:n].view(shape)


def pack(state: dict, base: dict, bits: int = 8) -> dict:
    """safetensors-ready tensors for `state` given `base` (same keys and shapes)."""
    if bits not in (4, 8):
        raise ValueError(f"bits must be 4 or 8; got {bits}")
    out = {"__bits__": torch.tensor(bits)}
    for name, weight in state.items():
        if weight.ndim < 2:
            out[name] = weight.half().contiguous()
            continue
        reference = base[name].float() if name in base else torch.zeros_like(weight, dtype=torch.float32)
        codes, scales = quantise(weight.float() - reference, bits)
        out[name + ":codes"], out[name + ":scales"] = codes.contiguous(), scales.contiguous()
    return out


def unpack(tensors: dict, base: dict, shapes: dict) -> dict:
    """The float32 state dict that `pack` stored; `shapes` maps every name to its shape (a fresh
    model's state dict shapes), since a weight the base lacks counts from zero."""
    bits = int(tensors["__bits__"])
    state = {}
    for name, shape in shapes.items():
        if name in tensors:
            state[name] = tensors[name].float()
            continue
        delta = dequantise(tensors[name + ":codes"], tensors[name + ":scales"], bits, shape)
        state[name] = (base[name].float() if name in base else 0) + delta
    return state
