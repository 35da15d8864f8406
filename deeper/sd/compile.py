"""An optional speed-up on a GPU: the UNet under `torch.compile(mode="reduce-overhead")`, which
captures the whole forward pass in a CUDA graph. It pays when many images are made: the first call
compiles (about a minute for SD), later ones run several times faster than eager."""

import torch


def compile_unet(parts, mode: str = "reduce-overhead", fullgraph: bool = True):
    """Replace `parts.unet` by its compiled version (same weights, same outputs within rounding).

    Only on CUDA: on a CPU the compile costs more than it saves for the lesson's sizes. Keep the
    timesteps on the GPU (the loop does: `set_timesteps(..., device=parts.device)`), or every step
    copies one to the device and breaks the captured graph.
    """
    if parts.device.type != "cuda":
        raise ValueError(f"compile_unet needs the parts on a CUDA device; they are on {parts.device}")
    if not getattr(parts.unet, "_deeper_compiled", False):
        parts.unet = torch.compile(parts.unet, mode=mode, fullgraph=fullgraph)
        parts.unet._deeper_compiled = True
    return parts
