"""Loading the five parts from a folder or a hub id, and the errors a student can act on."""

import shutil

import pytest
import torch

from deeper.sd import load_parts, run
from deeper.sd.parts import dtype_keyword
from sd_fixtures import tiny_parts


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model") / "tiny"
    tiny_parts().pipeline().save_pretrained(folder)
    return folder


@pytest.fixture
def damaged(model_folder, tmp_path):
    copy = tmp_path / "tiny"
    shutil.copytree(model_folder, copy)
    return copy


def test_loads_a_folder_and_makes_the_same_image(model_folder):
    parts = load_parts(model_folder, device="cpu")
    assert parts.model_id == str(model_folder) and parts.dtype == torch.float32
    assert parts.native_size == 32 and parts.vae_scale_factor == 4
    a, b = run(parts, "a 1", steps=3, seed=1), run(tiny_parts(), "a 1", steps=3, seed=1)
    assert torch.equal(a.latents, b.latents)


def test_a_truncated_weight_file_is_named(damaged):
    weights = damaged / "unet" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:5000])
    with pytest.raises(ValueError, match=r"unet/diffusion_pytorch_model.safetensors is truncated.*git checkout"):
        load_parts(damaged, device="cpu")


def test_a_missing_weight_file_is_named(damaged):
    (damaged / "vae" / "diffusion_pytorch_model.safetensors").unlink()
    with pytest.raises(ValueError, match=r"no weight file in .*vae"):
        load_parts(damaged, device="cpu")


def test_an_lfs_pointer_is_named(damaged):
    (damaged / "text_encoder" / "model.safetensors").write_text("version https://git-lfs.github.com/spec/v1\noid sha256:0\n")
    with pytest.raises(ValueError, match="git-lfs pointer"):
        load_parts(damaged, device="cpu")


def test_neither_folder_nor_hub_id():
    with pytest.raises(ValueError, match="model_id must be a model folder or a hub id"):
        load_parts("no/such/folder", device="cpu")


def test_a_hub_id_that_cannot_be_reached():
    with pytest.raises(ValueError, match="model_id 'nobody-here/no-such-model' could not be loaded"):
        load_parts("nobody-here/no-such-model", device="cpu")


def test_dtype_keyword_follows_diffusers_version():
    assert dtype_keyword("0.39.0") == "torch_dtype"
    assert dtype_keyword("0.40.0") == dtype_keyword("0.42.1") == "dtype"
