"""DEVICE = None picks CUDA, then MPS, then the CPU, with a dtype that works there; each backend's
availability is faked, so these run on any machine."""

import pytest
import torch

from deeper import device as dev
from deeper.paths import TINY_SD
from deeper.sd import parts as parts_module


@pytest.fixture
def machine(monkeypatch):
    """`machine(cuda=..., mps=...)` fakes what torch reports about this machine's accelerators."""

    def fake(cuda=False, mps=False, gpus=1):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: gpus if cuda else 0)
        monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=0: "Tesla T4")
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)

    return fake


def test_cuda_first_in_float16(machine):
    machine(cuda=True, mps=True)
    choice = dev.pick_device()
    assert (choice.device, choice.dtype) == ("cuda", torch.float16)
    assert "Tesla T4" in str(choice) and "float16" in str(choice)


def test_mps_without_cuda_in_float32(machine):
    machine(cuda=False, mps=True)
    choice = dev.pick_device(None)
    assert (choice.device, choice.dtype) == ("mps", torch.float32)
    assert "MPS" in choice.why and "float16 misbehaves" in choice.why


def test_cpu_when_neither(machine):
    machine()
    choice = dev.pick_device()
    assert (choice.device, choice.dtype) == ("cpu", torch.float32)
    assert "no CUDA GPU or Apple MPS" in str(choice)


def test_asked_for_device_is_kept(machine):
    machine(cuda=True, mps=True, gpus=2)
    assert dev.pick_device("cpu") == dev.DeviceChoice("cpu", torch.float32, "asked for")
    assert dev.pick_device("mps").dtype == torch.float32
    assert dev.pick_device("cuda:1").device == "cuda:1"
    assert dev.pick_device("cuda", dtype=torch.float32).dtype == torch.float32


@pytest.mark.parametrize("name, words", [
    ("cuda", "Runtime > Change runtime type"),
    ("cuda:0", "no CUDA GPU"),
    ("mps", "Apple-silicon Mac"),
])
def test_missing_accelerator_says_what_to_do(machine, name, words):
    machine()
    with pytest.raises(ValueError, match=words):
        dev.pick_device(name)


@pytest.mark.parametrize("name", ["gpu", "cuda:x", "mps:1", "tpu"])
def test_unknown_device_names_the_choices(machine, name):
    machine(cuda=True)
    with pytest.raises(ValueError, match="DEVICE must be None .*'cuda', 'cuda:N', 'mps' or 'cpu'"):
        dev.pick_device(name)


def test_cuda_index_past_the_gpus(machine):
    machine(cuda=True, gpus=1)
    with pytest.raises(ValueError, match="has 1 CUDA GPU"):
        dev.pick_device("cuda:1")


def test_bad_dtype():
    with pytest.raises(ValueError, match="torch dtype"):
        dev.pick_device("cpu", dtype="half")


def test_mps_refusal_says_what_to_do(monkeypatch):
    monkeypatch.delenv("PYTORCH_ENABLE_MPS_FALLBACK", raising=False)
    refusal = NotImplementedError("The operator 'aten::foo' is not currently implemented for the MPS device. "
                                  "As a temporary fix, you can set the environment variable "
                                  "`PYTORCH_ENABLE_MPS_FALLBACK=1`")
    explained = dev.explain_mps(refusal)
    assert isinstance(explained, RuntimeError) and "PYTORCH_ENABLE_MPS_FALLBACK=1" in str(explained)
    assert "DEVICE = 'cpu'" in str(explained) and "aten::foo" in str(explained)
    other = RuntimeError("shapes do not match")
    assert dev.explain_mps(other) is other


@pytest.mark.parametrize("cuda, mps, device, dtype", [
    (True, True, "cuda", torch.float16),
    (False, True, "mps", torch.float32),
    (False, False, "cpu", torch.float32),
])
def test_load_parts_uses_the_pick(machine, monkeypatch, cuda, mps, device, dtype):
    """load_parts loads in the picked dtype, moves to the picked device, and says so in device_note."""
    machine(cuda=cuda, mps=mps)
    moved = []
    monkeypatch.setattr(parts_module.Parts, "to", lambda self, device=None, dtype=None: moved.append(device) or self)
    parts = parts_module.load_parts(TINY_SD, progress=False)
    assert moved == [device]
    assert parts.unet.dtype == dtype
    assert parts.device_note.startswith(f"tiny-sd: device {device}, {str(dtype)[6:]} (picked")


def test_load_parts_refuses_a_missing_mps(machine):
    machine()
    with pytest.raises(ValueError, match="no Apple MPS device"):
        parts_module.load_parts(TINY_SD, device="mps")


def test_mps_refusal_during_generation_says_what_to_do(monkeypatch):
    """An MPS that lacks an operation mid-run: the error names the fallback variable and DEVICE='cpu'."""
    import importlib

    from random_parts import random_parts

    run_module = importlib.import_module("deeper.sd.run")  # the module; `deeper.sd.run` is also its function

    monkeypatch.delenv("PYTORCH_ENABLE_MPS_FALLBACK", raising=False)

    def refuse(*args, **kwargs):
        raise NotImplementedError("The operator 'aten::_upsample' is not currently implemented for the MPS device.")
        yield

    monkeypatch.setattr(run_module, "_denoise", refuse)
    with pytest.raises(RuntimeError, match="PYTORCH_ENABLE_MPS_FALLBACK=1"):
        run_module.run(random_parts(), "a red 7", steps=2)
