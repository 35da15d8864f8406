"""Contrastive training of the tiny CLIP, and loading it back for the lesson's similarity.

Our captions often describe several images of one batch equally well ("a 7" fits every seven),
so the plain CLIP loss, which calls every other pair a negative, would punish true matches.
Each image's target is instead spread over every caption in the batch that fits it (and each
caption's over every image it fits): the same loss where captions are unique, honest where not.
A caption that says a style word ("a thick 7") fits only the images that earned it.
Images enter as pixels scaled to [-1, 1], the VAE's convention, with no further normalisation.
"""

from pathlib import Path

import torch
import torch.nn.functional as F
from transformers import CLIPModel

from .models import clip_config


def fits(spec: torch.Tensor, attributes: torch.Tensor, said_style=None, earned=None) -> torch.Tensor:
    """(n_images, n_captions) bool: caption j says nothing that image i contradicts (-1 = unsaid).
    With `said_style` (n_captions,) style indices or -1 and `earned` (n_images, n_styles) bool,
    a caption's style word must be one the image earned."""
    s, a = spec[None, :, :], attributes[:, None, :]
    ok = ((s == a) | (s < 0)).all(-1)
    if said_style is not None:
        ok &= (said_style[None, :] < 0) | earned[:, said_style.clamp_min(0)]
    return ok


def clip_loss(model: CLIPModel, images: torch.Tensor, tokens: torch.Tensor, spec: torch.Tensor,
              attributes: torch.Tensor, said_style=None, earned=None) -> torch.Tensor:
    """Symmetric cross-entropy of CLIP's logits against the 'fits' targets."""
    logits = model(input_ids=tokens, pixel_values=images * 2 - 1).logits_per_image
    target = fits(spec, attributes, said_style, earned).float()
    image_loss = -(F.log_softmax(logits, 1) * target / target.sum(1, keepdim=True)).sum(1).mean()
    text_loss = -(F.log_softmax(logits, 0) * target / target.sum(0, keepdim=True)).sum(0).mean()
    return (image_loss + text_loss) / 2


VISION_FILE = "vision_and_projections.safetensors"


def save_clip_extras(model: CLIPModel, folder) -> None:
    """Everything of the CLIP but its text tower (shipped once, as the pipeline's text_encoder)."""
    from safetensors.torch import save_file
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.config.save_pretrained(folder)
    weights = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()
               if not k.startswith("text_model.")}
    save_file(weights, folder / VISION_FILE)


def load_clip(clip_folder, text_encoder) -> CLIPModel:
    """The whole tiny CLIP in float32: the shipped text encoder plus the vision tower and projections."""
    from safetensors.torch import load_file

    from ..sd.folder import ModelFolderError, verify_shipped
    from .folder import RESTORE
    path = Path(clip_folder) / VISION_FILE
    if not path.is_file():
        raise ModelFolderError(f"The CLIP file {path} is missing. {RESTORE}")
    verify_shipped(clip_folder)  # against data/MANIFEST.sha256
    model = CLIPModel(clip_config())
    state = {k: v.float() for k, v in load_file(path).items()}
    state.update({f"text_model.{k}": v.float() for k, v in text_encoder.state_dict().items()})
    model.load_state_dict(state, strict=True)
    return model.eval()
