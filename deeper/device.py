"""Which accelerator the course runs on, and in which dtype: CUDA, then Apple's MPS, then the CPU.

`pick_device(DEVICE)` is what a notebook's `DEVICE = None` means. float16 halves memory and time on
a CUDA GPU; on MPS it gives NaNs (black images) in SD's VAE and attention on some macOS releases,
and on the CPU it is slow or unsupported, so those two run float32. Asking for a device this
machine lacks is a ValueError that says what to do, never a silent fall back.
"""

import os
from dataclasses import dataclass

import torch

KINDS = ("cuda", "mps", "cpu")

NO_CUDA = ("torch sees no CUDA GPU here. On Colab: Runtime > Change runtime type > a GPU, then run the "
           "notebook again; elsewhere use DEVICE = None (picks what there is) or 'cpu'")
NO_MPS = ("torch sees no Apple MPS device here (it needs an Apple-silicon Mac, macOS 12.3 or later, and a "
          "torch built with MPS). Use DEVICE = None (picks what there is) or 'cpu'")
MPS_FALLBACK = ("Apple's MPS does not implement an operation this needs. Restart the kernel with the "
                "environment variable PYTORCH_ENABLE_MPS_FALLBACK=1 (those operations then run on the CPU), "
                "or set DEVICE = 'cpu'")


@dataclass(frozen=True)
class DeviceChoice:
    """A device, the dtype to load models in there, and why: what a notebook prints after loading."""

    device: str
    dtype: torch.dtype
    why: str

    def __str__(self) -> str:
        return f"device {self.device}, {str(self.dtype).removeprefix('torch.')} ({self.why})"


def mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)  # torch builds without MPS lack the module on some versions
    return bool(mps and mps.is_available())


def cuda_name() -> str:
    try:
        return torch.cuda.get_device_name(0)
    except Exception:  # noqa: BLE001 - only a label: a driver that cannot name its GPU still runs it
        return "CUDA GPU"


def default_dtype(device: str) -> torch.dtype:
    """float16 on a CUDA GPU; float32 on MPS (float16 misbehaves there) and on the CPU."""
    return torch.float16 if device.startswith("cuda") else torch.float32


def pick_device(requested: str | torch.device | None = None, dtype: torch.dtype | None = None) -> DeviceChoice:
    """`requested` None: CUDA if there is one, else MPS, else the CPU. A named device ('cuda', 'cuda:1',
    'mps', 'cpu') is checked against this machine. `dtype` None: `default_dtype` of the device."""
    if requested is None or str(requested).strip() == "":
        if torch.cuda.is_available():
            device, why = "cuda", f"picked: {cuda_name()}"
        elif mps_available():
            device, why = "mps", "picked: Apple GPU (MPS); float16 misbehaves there, so float32"
        else:
            device, why = "cpu", "picked: no CUDA GPU or Apple MPS found"
    else:
        device, why = check_requested(str(requested).strip()), "asked for"
    if dtype is not None and not isinstance(dtype, torch.dtype):
        raise ValueError(f"dtype must be a torch dtype such as torch.float32; got {dtype!r}")
    return DeviceChoice(device, dtype or default_dtype(device), why)


def check_requested(name: str) -> str:
    kind, _, index = name.lower().partition(":")
    if kind not in KINDS or (index and not (kind == "cuda" and index.isdigit())):
        raise ValueError(f"DEVICE must be None (pick automatically), 'cuda', 'cuda:N', 'mps' or 'cpu'; got {name!r}")
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"DEVICE = {name!r}, but {NO_CUDA}")
        if index and int(index) >= torch.cuda.device_count():
            raise ValueError(f"DEVICE = {name!r}, but this machine has {torch.cuda.device_count()} CUDA GPU(s), "
                             f"numbered from 0")
    if kind == "mps" and not mps_available():
        raise ValueError(f"DEVICE = {name!r}, but {NO_MPS}")
    return name.lower()


def is_mps_unsupported(error: BaseException) -> bool:
    """The error an MPS device raises for an operation it lacks (torch names MPS and the fallback variable)."""
    text = str(error)
    return isinstance(error, (NotImplementedError, RuntimeError)) and "MPS" in text and (
        "not currently implemented" in text or "PYTORCH_ENABLE_MPS_FALLBACK" in text or "not supported" in text)


def explain_mps(error: BaseException) -> BaseException:
    """An MPS refusal as a RuntimeError saying what to do; any other error as it was."""
    if is_mps_unsupported(error) and os.environ.get("PYTORCH_ENABLE_MPS_FALLBACK") != "1":
        first = (str(error).strip().splitlines() or [""])[0]
        return RuntimeError(f"{MPS_FALLBACK}. (torch said: {first})")
    return error
