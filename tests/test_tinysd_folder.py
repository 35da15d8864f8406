"""The shipped data/tiny-sd: a hub-shaped folder the pipeline loads, in float32 on CPU, and a
check that names a missing or truncated file instead of running on random weights."""

import shutil

import pytest
import torch

from deeper.paths import DATA, TINY_SD
from deeper.tinysd import ModelFolderError, check_model_folder, load_clip
from deeper.sd.folder import REQUIRED


@pytest.fixture(scope="module")
def pipe():
    from diffusers import StableDiffusionPipeline
    return StableDiffusionPipeline.from_pretrained(check_model_folder(TINY_SD))


def test_shipped_folder_is_complete_and_small():
    assert check_model_folder(TINY_SD) == TINY_SD
    total = sum(f.stat().st_size for f in DATA.rglob("*") if f.is_file())
    assert total <= 40e6, f"data/ holds {total / 1e6:.1f} MB"


def test_pipeline_parts_are_sd_v1_classes_in_float32(pipe):
    from diffusers import AutoencoderKL, LMSDiscreteScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer
    assert isinstance(pipe.tokenizer, CLIPTokenizer) and len(pipe.tokenizer) == 49408
    assert isinstance(pipe.text_encoder, CLIPTextModel)
    assert isinstance(pipe.vae, AutoencoderKL) and isinstance(pipe.unet, UNet2DConditionModel)
    assert isinstance(pipe.scheduler, LMSDiscreteScheduler)
    sc = pipe.scheduler.config
    assert (sc.beta_schedule, sc.beta_start, sc.beta_end, sc.num_train_timesteps) == ("scaled_linear", 0.00085, 0.012, 1000)
    assert sc.use_exponential_sigmas  # LMS on evenly spaced timesteps overshoots on this model (its README)
    assert pipe.safety_checker is None and pipe.feature_extractor is None
    for part in (pipe.text_encoder, pipe.vae, pipe.unet):
        assert next(part.parameters()).dtype == torch.float32
    assert pipe.tokenizer("a photograph of an astronaut riding a horse").input_ids == [
        49406, 320, 8853, 539, 550, 18376, 6765, 320, 4558, 49407]


def test_latents_are_4x8x8_and_images_32x32(pipe):
    with torch.no_grad():
        latent = pipe.vae.encode(torch.zeros(1, 3, 32, 32)).latent_dist.mode()
    assert latent.shape == (1, 4, 8, 8)
    image = pipe("a red 7 on a white background", num_inference_steps=3, height=32, width=32,
                 generator=torch.Generator().manual_seed(0), output_type="pt").images
    assert image.shape == (1, 3, 32, 32)


def test_whole_clip_loads_for_similarity(pipe):
    clip = load_clip(DATA / "tiny-clip", pipe.text_encoder)
    assert torch.equal(clip.text_model.embeddings.token_embedding.weight,
                       pipe.text_encoder.embeddings.token_embedding.weight)


@pytest.fixture
def copy(tmp_path):
    folder = tmp_path / "tiny-sd"
    shutil.copytree(TINY_SD, folder)
    return folder


@pytest.mark.parametrize("name", ["unet/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors"])
def test_truncated_weights_are_named(copy, name):
    path = copy / name
    path.write_bytes(path.read_bytes()[:-1000])
    with pytest.raises(ModelFolderError, match=f"{name}.*truncated.*git checkout -- data/tiny-sd.*make train"):
        check_model_folder(copy)


@pytest.mark.parametrize("name", list(REQUIRED))
def test_missing_files_are_named(copy, name):
    (copy / name).unlink()
    with pytest.raises(ModelFolderError, match=f"{name} is missing"):
        check_model_folder(copy)


def test_damaged_config_and_empty_file_are_named(copy):
    (copy / "unet/config.json").write_text('{"sample_size": 8,')
    with pytest.raises(ModelFolderError, match="unet/config.json is damaged"):
        check_model_folder(copy)
    (copy / "unet/config.json").write_text("")
    with pytest.raises(ModelFolderError, match="empty"):
        check_model_folder(copy)


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(ModelFolderError, match="does not exist"):
        check_model_folder(tmp_path / "nowhere")


def write_header(path, header):
    """Replace a safetensors file's header with `header` (any JSON) and keep the tensor bytes after it."""
    import json
    import struct
    data = path.read_bytes()
    body = data[8 + struct.unpack("<Q", data[:8])[0]:]
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + body)


@pytest.mark.parametrize("header, says", [
    ([1, 2, 3], "header is a JSON list"),
    ("weights", "header is a JSON str"),
    (None, "header is a JSON NoneType"),
    ({"conv_in.weight": {"dtype": "F16", "shape": [4]}}, "'conv_in.weight' has no valid data_offsets"),
    ({"conv_in.weight": {"dtype": "F16", "shape": [4], "data_offsets": ["0", "8"]}}, "no valid data_offsets"),
    ({"conv_in.weight": {"dtype": "F16", "shape": [4], "data_offsets": [8]}}, "no valid data_offsets"),
    ({"conv_in.weight": {"dtype": "F16", "shape": [4], "data_offsets": [8, 0]}}, "no valid data_offsets"),
    ({"conv_in.weight": [0, 8]}, "no valid data_offsets"),
    ({"conv_in.weight": {"data_offsets": [0, 10**12]}}, "header promises"),
])
@pytest.mark.parametrize("name", ["unet/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.safetensors"])
def test_a_header_of_the_wrong_shape_is_named(copy, name, header, says):
    write_header(copy / name, header)
    with pytest.raises(ModelFolderError, match=f"{name} is damaged or truncated.*{says}"):
        check_model_folder(copy)


def test_a_header_nested_too_deep_is_named(copy):
    import struct
    path = copy / "unet/diffusion_pytorch_model.safetensors"
    data = path.read_bytes()
    body = data[8 + struct.unpack("<Q", data[:8])[0]:]
    text = b"[" * 100_000 + b"]" * 100_000
    path.write_bytes(struct.pack("<Q", len(text)) + text + body)
    with pytest.raises(ModelFolderError, match="diffusion_pytorch_model.safetensors is damaged or truncated"):
        check_model_folder(copy)
