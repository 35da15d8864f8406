"""An optional speed-up on a GPU: the UNet under `torch.compile(mode="reduce-overhead")`, which
captures the whole forward pass in a CUDA graph. It pays when many images are made: the first call
compiles (about a minute for SD), later ones run several times faster than eager."""

import torch


def compile_unet(parts, mode: str = "reduce-overhead", fullgraph: bool = True):
    """Replace `parts.unet` by its compiled version (same weights, same outputs within fp16 rounding).

    Before compiling, the UNet's weights go channels-last (the layout the GPU's convolutions prefer)
    and each attention layer's q, k and v projections become one matrix product. Only on CUDA: on a
    CPU the compile costs more than it saves for the lesson's sizes. Keep the timesteps on the GPU
    (the loop does: `set_timesteps(..., device=parts.device)`), or each step copies one over.
    """
    if parts.device.type != "cuda":
        raise ValueError(f"compile_unet needs the parts on a CUDA device; they are on {parts.device}")
    if not getattr(parts.unet, "_deeper_compiled", False):
        prepare_for_compile(parts.unet)
        parts.unet = torch.compile(parts.unet, mode=mode, fullgraph=fullgraph)
        parts.unet._deeper_compiled = True
    return parts


def prepare_for_compile(unet) -> None:
    """Channels-last weights and fused q/k/v projections, in place (outputs equal up to rounding)."""
    unet.to(memory_format=torch.channels_last)
    unet.fuse_qkv_projections()
