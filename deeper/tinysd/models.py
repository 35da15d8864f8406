"""The tiny Stable Diffusion's parts: the very classes SD v1 uses, in sizes a laptop CPU runs.

Every config lives here, so the untrained placeholder, the training recipe and the tests build
exactly the same architecture. Sizes were picked for one 30-step guided 32x32 image in about a
second on a 2-core CPU: the UNet is called on a doubled batch (guidance) 30 times, so it must
stay near 25 ms per call; the text tower is 64 wide (its 49,408-token embedding table dominates
its size); the VAE maps 32x32x3 to 4x8x8 latents, as SD maps 512x512x3 to 4x64x64.
"""

from diffusers import AutoencoderKL, LMSDiscreteScheduler, UNet2DConditionModel
from transformers import CLIPConfig, CLIPModel, CLIPTextConfig, CLIPVisionConfig

from ..digits.dataset import IMAGE_SIZE

LATENT_SIZE = 8
LATENT_CHANNELS = 4
TEXT_WIDTH = 64
MAX_TOKENS = 77


def clip_config() -> CLIPConfig:
    """A real CLIP, small: a 4-layer 64-wide text tower and a 4-layer ViT on 4x4 patches of 32x32."""
    text = CLIPTextConfig(
        vocab_size=49408, hidden_size=TEXT_WIDTH, intermediate_size=4 * TEXT_WIDTH,
        num_hidden_layers=4, num_attention_heads=4, max_position_embeddings=MAX_TOKENS,
        projection_dim=TEXT_WIDTH, bos_token_id=49406, eos_token_id=49407, pad_token_id=49407,
        hidden_act="quick_gelu")
    vision = CLIPVisionConfig(
        hidden_size=64, intermediate_size=256, num_hidden_layers=4, num_attention_heads=4,
        image_size=IMAGE_SIZE, patch_size=4, num_channels=3, projection_dim=TEXT_WIDTH,
        hidden_act="quick_gelu")
    return CLIPConfig(text_config=text.to_dict(), vision_config=vision.to_dict(), projection_dim=TEXT_WIDTH)


def new_clip() -> CLIPModel:
    return CLIPModel(clip_config())


def new_vae() -> AutoencoderKL:
    """32x32x3 -> 4x8x8: three resolution levels (two downsamplings), as SD's four give 8x."""
    return AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=LATENT_CHANNELS,
        down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3,
        block_out_channels=(32, 64, 64), layers_per_block=1, norm_num_groups=16,
        sample_size=IMAGE_SIZE, scaling_factor=1.0)


def new_unet() -> UNet2DConditionModel:
    """Cross-attention on the text tower's hidden states at 8x8 and 4x4, as SD attends at each level."""
    return UNet2DConditionModel(
        sample_size=LATENT_SIZE, in_channels=LATENT_CHANNELS, out_channels=LATENT_CHANNELS,
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        block_out_channels=(64, 96), layers_per_block=1, norm_num_groups=16,
        cross_attention_dim=TEXT_WIDTH, attention_head_dim=16, transformer_layers_per_block=1)


def new_scheduler() -> LMSDiscreteScheduler:
    """Stable Diffusion v1's noise schedule and sampler. One change, to sampling only: LMS walks
    exponentially spaced sigmas, every step shrinking sigma by the same share. With diffusers'
    default (evenly spaced timesteps) the last steps are large where guidance makes the tiny
    model's ODE stiff, and 4th-order LMS overshoots there (data/tiny-sd/README.md)."""
    return LMSDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
        steps_offset=1, use_exponential_sigmas=True)
