"""Loading the five parts from a folder or a hub id, and the errors a student can act on."""

import shutil

import pytest
import torch

import deeper.sd.parts as parts_module
from deeper.paths import TINY_SD
from deeper.sd import load_parts, run
from deeper.sd.parts import dtype_keyword
from sd_fixtures import saved_tiny_folder, tiny_parts


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    return saved_tiny_folder(tmp_path_factory, "model")


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """A copy of data/tiny-sd, treated as shipped (load_parts checks what lies in data/ file by file)."""
    monkeypatch.setattr(parts_module, "DATA", tmp_path)
    copy = tmp_path / "tiny-sd"
    shutil.copytree(TINY_SD, copy)
    return copy


def test_loads_a_folder_and_makes_the_same_image(model_folder):
    parts = load_parts(model_folder, device="cpu")
    assert parts.model_id == str(model_folder) and parts.dtype == torch.float32
    assert parts.native_size == 32 and parts.vae_scale_factor == 4
    a, b = run(parts, "a 1", steps=3, seed=1), run(tiny_parts(), "a 1", steps=3, seed=1)
    assert torch.equal(a.latents, b.latents)


def test_loads_the_shipped_model_by_default():
    parts = load_parts(device="cpu")
    assert parts.model_id == str(TINY_SD) and parts.native_size == 32
    assert parts.text_encoder.dtype == parts.unet.dtype == torch.float32


def test_a_truncated_shipped_weight_file_is_named(shipped):
    weights = shipped / "unet" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:5000])
    with pytest.raises(ValueError, match=r"unet/diffusion_pytorch_model.safetensors is damaged or truncated.*git checkout"):
        load_parts(shipped, device="cpu")


def test_a_missing_shipped_weight_file_is_named(shipped):
    (shipped / "vae" / "diffusion_pytorch_model.safetensors").unlink()
    with pytest.raises(ValueError, match=r"vae/diffusion_pytorch_model.safetensors is missing"):
        load_parts(shipped, device="cpu")


def test_a_damaged_folder_of_ones_own_is_named(model_folder, tmp_path):
    copy = tmp_path / "mine"
    shutil.copytree(model_folder, copy)
    (copy / "text_encoder" / "model.safetensors").write_text("version https://git-lfs.github.com/spec/v1\n")
    with pytest.raises(ValueError, match=f"model_id '{copy}' could not be loaded"):
        load_parts(copy, device="cpu")


def test_neither_folder_nor_hub_id():
    with pytest.raises(ValueError, match="model_id must be a model folder or a hub id"):
        load_parts("no/such/folder", device="cpu")


def test_a_hub_id_that_cannot_be_reached():
    with pytest.raises(ValueError, match="model_id 'nobody-here/no-such-model' could not be loaded.*network"):
        load_parts("nobody-here/no-such-model", device="cpu")


def test_dtype_keyword_follows_diffusers_version():
    assert dtype_keyword("0.39.0") == "torch_dtype"
    assert dtype_keyword("0.40.0") == dtype_keyword("0.42.1") == "dtype"


def test_a_shipped_model_by_its_name():
    assert load_parts("tiny-sd", device="cpu").model_id == str(TINY_SD)
