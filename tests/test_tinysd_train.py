"""The training recipe, a few steps of every stage on a small subset on CPU: each loss falls, the
stages resume exactly where they stopped, and export writes a folder the pipeline loads.
Nothing here touches the shipped model."""

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from deeper.tinysd import check_model_folder, load_clip
from deeper.tinysd import train

TINY = ["--subset", "64", "--quiet", "--log-every", "1000", "--steps",
        "clip=16", "clip.batch=16", "clip.warmup=1", "clip.lr=3e-3",
        "vae=16", "vae.batch=8", "vae.warmup=1", "vae.lr=2e-3",
        "evaluator=30", "evaluator.batch=32", "evaluator.warmup=1",
        "unet=16", "unet.batch=16", "unet.warmup=1", "unet.lr=3e-3", "--latent-scale", "2"]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models run fastest on one thread, and a shared 2-core machine punishes two."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def recipe(tmp_path_factory):
    root = tmp_path_factory.mktemp("tinysd")
    results = train.main(["--checkpoints", str(root / "ckpt"), "--data", str(root / "data"), *TINY])
    return root, results


def falls(losses, k=4):
    return np.mean(losses[-k:]) < np.mean(losses[:k])


@pytest.mark.parametrize("stage", ["clip", "vae", "evaluator", "unet"])
def test_each_stage_loss_falls(recipe, stage):
    _, results = recipe
    state = results[stage]
    assert state["done"] and len(state["losses"]) == state["steps"]
    assert falls(state["losses"]), state["losses"]


def test_stages_report_their_metrics(recipe):
    _, results = recipe
    assert set(results["clip"]["metrics"]) == {"digit", "ink", "background", "thin or thick", "slanted or upright"}
    assert all(0 <= v <= 1 for v in results["clip"]["metrics"].values())
    assert results["vae"]["metrics"]["test_psnr_db"] > 5
    assert results["vae"]["metrics"]["scaling_factor"] > 0
    assert results["evaluator"]["metrics"]["ink"] == 1.0  # the colour read-out needs no training


def test_export_writes_a_loadable_pipeline(recipe):
    from diffusers import StableDiffusionPipeline
    root, results = recipe
    folder = check_model_folder(root / "data" / "tiny-sd")
    pipe = StableDiffusionPipeline.from_pretrained(folder)
    # the pipeline hands the UNet latents as large as it was trained on: unit variance times --latent-scale
    assert results["unet"]["latent_scale"] == 2
    assert pipe.vae.config.scaling_factor == pytest.approx(2 * results["vae"]["metrics"]["scaling_factor"])
    # SD's noise schedule, sampled by LMS on exponentially spaced sigmas (what the shipped folder has)
    assert pipe.scheduler.config.beta_schedule == "scaled_linear" and pipe.scheduler.config.use_exponential_sigmas
    unet_ema = load_file(root / "ckpt" / "unet" / "ema.safetensors")
    name = "conv_in.weight"
    assert torch.equal(pipe.unet.state_dict()[name], unet_ema[name].half().float())
    images = pipe("a red 7 on a white background", num_inference_steps=2, height=32, width=32,
                  output_type="pt").images
    assert images.shape == (1, 3, 32, 32)
    clip = load_clip(root / "data" / "tiny-clip", pipe.text_encoder)
    assert clip.vision_model.config.image_size == 32


def test_a_started_unet_keeps_its_latent_scale(recipe):
    """Exporting (or resuming) with another --latent-scale would pair the UNet with the wrong latents."""
    root, _ = recipe
    args = ["--checkpoints", str(root / "ckpt"), "--data", str(root / "other"), "--subset", "64", "--quiet",
            "--stages", "export"]
    with pytest.raises(SystemExit, match="trained with --latent-scale 2.0, not 3.0"):
        train.main([*args, "--latent-scale", "3"])
    assert not (root / "other").exists()


def test_a_stopped_stage_resumes_exactly(tmp_path):
    """Stopped after a chunk of steps and resumed, a stage ends with the very
    weights of an unbroken run: batches and noise are seeded by step, the optimizer is saved."""
    args = ["--subset", "64", "--quiet", "--stages", "evaluator", "--steps", "evaluator=40", "evaluator.batch=8"]
    train.main(["--checkpoints", str(tmp_path / "whole"), *args])
    paused = train.main(["--checkpoints", str(tmp_path / "parts"), "--chunk", "25", *args])
    assert paused["evaluator"]["step"] == 25 and not paused["evaluator"]["done"]
    resumed = train.main(["--checkpoints", str(tmp_path / "parts"), *args])
    assert resumed["evaluator"]["done"]
    whole = load_file(tmp_path / "whole" / "evaluator" / "model.safetensors")
    parts = load_file(tmp_path / "parts" / "evaluator" / "model.safetensors")
    assert all(torch.equal(whole[k], parts[k]) for k in whole)


def test_min_snr_lightens_only_the_nearly_clean_timesteps(recipe):
    """Min-SNR-5 divides a timestep's noise loss by SNR/5 where the SNR is over 5; --min-snr 0 is
    SD v1's plain loss. A UNet that predicts zero noise makes the weights plain to see."""
    from types import SimpleNamespace
    from deeper.tinysd.unet import unet_loss

    def zero_unet(x, t, encoder_hidden_states):
        return SimpleNamespace(sample=torch.zeros_like(x))

    latents, states = torch.randn(8, 4, 8, 8), torch.zeros(8, 77, 64)

    def loss(alpha_bar, min_snr):
        acp = torch.full((1000,), alpha_bar)
        return unet_loss(zero_unet, latents, states, acp, torch.Generator().manual_seed(0), min_snr=min_snr).item()

    assert loss(0.5, 5.0) == pytest.approx(loss(0.5, 0))  # SNR 1: weighted alike
    assert loss(0.99, 5.0) == pytest.approx(loss(0.99, 0) * 5 / 99, rel=1e-5)  # SNR 99: lightened 99/5 times
    _, results = recipe
    assert results["unet"]["min_snr"] == train.MIN_SNR_GAMMA  # the state says which loss trained it


def test_a_unit_scale_unet_moved_to_larger_latents_is_exact():
    """For Gaussian latents the best noise prediction is known at every scale: the one for unit
    variance, moved by `at_latent_scale` (what --distil-from trains toward, and what the bench's
    latent-scale rows sample with), must be the one for latents k times larger."""
    from types import SimpleNamespace
    from deeper.tinysd.unet import alphas_cumprod, at_latent_scale
    acp = alphas_cumprod().double()
    log_sigmas = ((1 - acp) / acp).sqrt().log().numpy()

    def sigma_at(t):  # float timesteps: log sigma linear between the integer ones
        return torch.from_numpy(np.exp(np.interp(np.asarray(t, dtype=np.float64), np.arange(1000), log_sigmas)))

    def best(sample, sigma, variance):  # E[noise | latent + sigma * noise], the latent ~ N(0, variance)
        sigma = sigma.reshape(-1, 1, 1, 1)
        return sigma * sample * (sigma ** 2 + 1).sqrt() / (variance + sigma ** 2)

    def unit_unet(sample, timestep, encoder_hidden_states=None):
        return SimpleNamespace(sample=best(sample, sigma_at(timestep), 1.0))

    k = 6.0
    t = torch.arange(100, 1000, 7)  # sigma / k stays inside SD's grid
    sample = torch.randn(len(t), 4, 8, 8, dtype=torch.float64)
    moved = at_latent_scale(unit_unet, acp, k)(sample, t).sample
    assert torch.allclose(moved, best(sample, sigma_at(t), k ** 2), rtol=1e-6)
    assert not torch.allclose(moved, unit_unet(sample, t).sample, rtol=1e-2)  # k matters


def recipe_without_unet(root, tmp_path):
    """A checkpoints folder with the recipe's finished clip, vae and evaluator, and no unet."""
    import shutil
    ckpt = tmp_path / "ckpt"
    for stage in ("clip", "vae", "evaluator"):
        shutil.copytree(root / "ckpt" / stage, ckpt / stage)
    return ckpt


def distil(ckpt, tmp_path, teacher, *more, steps=16):
    return train.main(["--checkpoints", str(ckpt), "--data", str(tmp_path / "data"), "--subset", "64", "--quiet",
                       "--stages", "unet", "--steps", f"unet={steps}", "unet.batch=16", "unet.warmup=1",
                       "unet.lr=3e-3", "--distil-from", str(teacher), *more])["unet"]


def test_distil_from_targets_the_teachers_predictions(recipe, tmp_path):
    """A UNet that already is its (unit-scale) teacher starts at zero loss, where noise targets
    would not; a fresh one learns toward the teacher moved to latents 3 times larger."""
    import json, shutil
    root, results = recipe
    teacher = root / "ckpt" / "unet" / "ema.safetensors"
    ckpt = recipe_without_unet(root, tmp_path)
    (ckpt / "unet").mkdir()
    shutil.copy(teacher, ckpt / "unet" / "ema.safetensors")
    (ckpt / "unet" / "state.json").write_text(json.dumps({"step": 1, "done": False, "steps": 2, "latent_scale": 1.0}))
    itself = distil(ckpt, tmp_path, teacher, steps=2)
    assert itself["losses"][0] < 1e-6 < np.mean(results["unet"]["losses"])

    fresh = distil(recipe_without_unet(root, tmp_path / "fresh"), tmp_path, teacher, "--latent-scale", "3")
    assert fresh["done"] and falls(fresh["losses"]), fresh["losses"]
    assert fresh["latent_scale"] == 3 and fresh["distilled_from"] == str(teacher)


def test_the_text_stage_learns_to_read_and_exports_only_the_text_tower(tmp_path):
    """The text stage on the shipped folder, a few steps: its loss falls, export rewrites the text
    encoder and the word list, and leaves the UNet and the VAE exactly as they were."""
    from safetensors.torch import load_file
    from deeper.paths import TINY_SD
    args = ["--checkpoints", str(tmp_path / "ckpt"), "--data", str(tmp_path / "data"), "--subset", "64", "--quiet",
            "--log-every", "1000", "--steps", "text=8", "text.batch=8", "text.warmup=1", "text.lr=1e-3"]
    state = train.main([*args, "--stages", "text"])["text"]
    assert state["done"] and len(state["losses"]) == 8
    assert falls(state["losses"], k=3), state["losses"]
    train.main([*args, "--stages", "export"])
    out = tmp_path / "data" / "tiny-sd"
    assert "backdrop" not in (out / "known_words.txt").read_text().split()
    for part in ("unet/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.safetensors"):
        a, b = load_file(TINY_SD / part), load_file(out / part)
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    new, old = load_file(out / "text_encoder/model.safetensors"), load_file(TINY_SD / "text_encoder/model.safetensors")
    assert any(not torch.equal(new[k], old[k]) for k in old)
