"""Stable Diffusion's parts with random weights, built from configurations written here (no hub).

A test and benchmark fixture. Two sizes: `"sd15"`, the real Stable Diffusion v1.5 shapes (for GPU
benchmarks: the speed of a model does not depend on its weights), and `"small"`, the tiny SD's image
and latent shapes (`deeper.tinysd.models`: 32x32 images, 4x8x8 latents, 77 tokens) in narrower
layers than its own, for tests that must not wait for, or depend on, the trained one.
"""

import torch
from diffusers import AutoencoderKL, LMSDiscreteScheduler, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from deeper.clip_vocab import VOCAB_SIZE, write_tokenizer_files
from deeper.paths import cache_dir
from deeper.sd.parts import Parts
from deeper.tinysd.models import IMAGE_SIZE, LATENT_CHANNELS, LATENT_SIZE, MAX_TOKENS

# Stable Diffusion's noise schedule, as the lesson builds its LMS scheduler.
SCHEDULER = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
                 steps_offset=1)

CONFIGS = {
    "sd15": dict(
        text_encoder=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                          projection_dim=768),
        unet=dict(sample_size=64, block_out_channels=(320, 640, 1280, 1280), layers_per_block=2,
                  down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
                  up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
                  cross_attention_dim=768, attention_head_dim=8),
        vae=dict(block_out_channels=(128, 256, 512, 512), layers_per_block=2, sample_size=512,
                 down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4),
    ),
    "small": dict(
        text_encoder=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                          projection_dim=32),
        unet=dict(sample_size=LATENT_SIZE, block_out_channels=(32, 64), layers_per_block=1,
                  down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
                  up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
                  cross_attention_dim=32, attention_head_dim=8, norm_num_groups=8),
        vae=dict(block_out_channels=(16, 16, 16), layers_per_block=1, sample_size=IMAGE_SIZE, norm_num_groups=8,
                 down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3),
    ),
}


def clip_tokenizer() -> CLIPTokenizer:
    """The real CLIP tokenizer (49,408 tokens, 77 positions), from the vocabulary in the cache."""
    folder = cache_dir() / "clip-tokenizer"
    if not (folder / "merges.txt").exists():
        write_tokenizer_files(folder)
    return CLIPTokenizer.from_pretrained(folder, model_max_length=MAX_TOKENS)


def random_parts(size: str = "small", seed: int = 0, dtype=torch.float32, device="cpu") -> Parts:
    """Parts of the given size ("small" or "sd15") with weights drawn from `seed`."""
    if size not in CONFIGS:
        raise ValueError(f"size must be one of {sorted(CONFIGS)}; got {size!r}")
    config = CONFIGS[size]
    torch.manual_seed(seed)
    with torch.device(device):  # built where it runs: SD's 860M-parameter UNet initialises in seconds on a GPU
        text_encoder = CLIPTextModel(CLIPTextConfig(vocab_size=VOCAB_SIZE, max_position_embeddings=MAX_TOKENS,
                                                    hidden_act="quick_gelu", **config["text_encoder"]))
        unet = UNet2DConditionModel(in_channels=LATENT_CHANNELS, out_channels=LATENT_CHANNELS, **config["unet"])
        vae = AutoencoderKL(in_channels=3, out_channels=3, latent_channels=LATENT_CHANNELS, scaling_factor=0.18215, **config["vae"])
    modules = [m.eval() for m in (text_encoder, unet, vae)]
    if dtype != torch.float32:  # (diffusers warns on any dtype cast, so cast only when asked)
        modules = [m.to(dtype=dtype) for m in modules]
    return Parts(clip_tokenizer(), *modules, LMSDiscreteScheduler(**SCHEDULER), model_id=f"random-{size}")
