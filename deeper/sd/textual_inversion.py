"""Textual inversion (Gal et al., 2022): teach a frozen model a new word by learning only that word's
embedding, one vector, from a few pictures, with the UNet's own training loss (predict the noise).

    token_id = add_token(parts, "<teal>", like="blue")      # a new row in the embedding table
    result = learn_embedding(parts, "<teal>", images, captions, steps=150)
    generate(parts, "a <teal> 3 on a white background")    # the word now draws what it learned
"""

from dataclasses import dataclass, replace
from typing import Callable

import torch
import torch.nn.functional as F

from . import text
from .text_inside import encode_embeddings, position_embeddings, text_tower, token_embeddings, token_id
from .vae import encode


def embedding_table(parts) -> torch.nn.Embedding:
    return text_tower(parts.text_encoder).embeddings.token_embedding


def add_token(parts, token: str, like: str) -> int:
    """Add `token` to the tokenizer (kept whole: it is never split) and a row for it to the text encoder's
    embedding table, starting as the embedding of the word `like`. Adding it again resets its row."""
    if not isinstance(token, str) or not token.strip() or any(c.isspace() for c in token):
        raise ValueError(f"token must be a non-empty string without spaces, like '<teal>'; got {token!r}")
    start = token_id(parts.tokenizer, like)  # a ValueError naming `word` when `like` is not one token
    parts.tokenizer.add_tokens([token])
    new = parts.tokenizer.convert_tokens_to_ids(token)
    if embedding_table(parts).num_embeddings <= new:
        parts.text_encoder.resize_token_embeddings(len(parts.tokenizer), mean_resizing=False)
    with torch.no_grad():
        table = embedding_table(parts).weight
        table[new] = table[start]
    known = getattr(parts, "known_words", None)
    if known is not None:  # the model now knows the token's word(s): no "never saw" warning for it
        parts.known_words = replace(known, words=known.words | set(text.prompt_words(token)))
    return new


def ids_of(parts, captions: list[str]) -> torch.Tensor:
    return text.tokenize(parts.tokenizer, captions).input_ids.to(parts.text_encoder.device)


def text_states(parts, ids: torch.Tensor, new: int, vector: torch.Tensor) -> torch.Tensor:
    """The captions' text embeddings with the new token's embedding taken from `vector` (so its gradient flows there)."""
    tokens = token_embeddings(parts.text_encoder, ids)
    tokens = torch.where((ids == new)[..., None], vector.to(tokens.dtype), tokens)
    return encode_embeddings(parts.text_encoder, tokens + position_embeddings(parts.text_encoder, ids.shape[1]))


def noise_prediction(unet, latents, states, alphas_cumprod, generator, timesteps=None):
    """Noise the latents at random timesteps t (from `timesteps` = (first, last + 1), all of them by
    default) and ask the UNet for the noise: (noisy latents, ᾱ_t, the noise, the UNet's prediction of it)."""
    low, high = timesteps or (0, len(alphas_cumprod))
    noise = torch.randn(latents.shape, generator=generator).to(latents.device, latents.dtype)
    t = torch.randint(low, high, (len(latents),), generator=generator).to(latents.device)
    a = alphas_cumprod.to(latents.device, latents.dtype)[t][:, None, None, None]
    noisy = a.sqrt() * latents + (1 - a).sqrt() * noise  # x_t = sqrt(ᾱ_t) x_0 + sqrt(1 - ᾱ_t) ε
    return noisy, a, noise, unet(noisy, t, encoder_hidden_states=states).sample


def noise_prediction_loss(unet, latents, states, alphas_cumprod, generator, timesteps=None) -> torch.Tensor:
    """SD's training loss: `noise_prediction`'s mean squared error."""
    _, _, noise, predicted = noise_prediction(unet, latents, states, alphas_cumprod, generator, timesteps)
    return F.mse_loss(predicted.float(), noise.float())


def clean_image_loss(parts, noisy, alpha, predicted, images, mask) -> torch.Tensor:
    """The predicted clean image x̂0 = (x_t - sqrt(1 - ᾱ_t) ε̂) / sqrt(ᾱ_t), decoded by the (frozen) VAE, against
    the pictures: the squared error over `mask`'s pixels (n, 1, H, W), each picture's weighted by ᾱ_t (at the
    noisiest steps x̂0 is mostly guesswork)."""
    x0 = (noisy - (1 - alpha).sqrt() * predicted) / alpha.sqrt()
    vae = parts.vae
    decoded = vae.decode((x0 / vae.config.scaling_factor).to(vae.dtype), return_dict=False)[0].float() / 2 + 0.5
    mask = mask.to(decoded.device, decoded.dtype)
    per_image = (((decoded - images.to(decoded.device, decoded.dtype)) ** 2) * mask).sum((1, 2, 3))
    per_image = per_image / (decoded.shape[1] * mask.sum((1, 2, 3)).clamp(min=1))
    return (alpha.flatten().float() * per_image).mean()


@dataclass
class Learned:
    """What `learn_embedding` did: the token, its id, the loss at each step, and the vector it wrote."""

    token: str
    token_id: int
    losses: list[float]
    vector: torch.Tensor
    start: torch.Tensor  # the vector it started from


def learn_embedding(parts, token: str, images: torch.Tensor, captions: list[str], steps: int = 150,
                    lr: float = 0.05, batch_size: int = 8, seed: int = 0, timesteps: tuple[int, int] | None = None,
                    image_weight: float = 0.0, image_mask: torch.Tensor | None = None,
                    on_step: Callable[[int, float], None] | None = None) -> Learned:
    """Learn `token`'s embedding (added with `add_token` first) from `images` (n, 3, H, W) in [0, 1] and
    their `captions` (each naming the token), at `timesteps` (first, last + 1): all by default, as in
    training; the noisier ones alone where what is learned is a colour. Everything else stays frozen; the vector is written into
    the embedding table at the end. `on_step(step, loss)` is called after every step.

    `image_weight` > 0 adds a second term, in pixels rather than noise: the predicted clean image, decoded,
    against the picture over `image_mask` (n, 1, H, W) of 0s and 1s, all pixels when None; the ink's pixels
    (`deeper.digits.new_ink.ink_mask`) make it a colour term, which the noise loss alone learns only weakly
    (`clean_image_loss`; each step then also runs the VAE's decoder, forwards and back)."""
    if token not in parts.tokenizer.get_vocab():
        raise ValueError(f"token {token!r} is not in the tokenizer: add it with add_token(parts, {token!r}, like=...)")
    if len(images) != len(captions) or not len(images):
        raise ValueError(f"images and captions must pair up: got {len(images)} images and {len(captions)} captions")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a whole number, at least 1; got {steps!r}")
    if isinstance(image_weight, bool) or not isinstance(image_weight, (int, float)) or not image_weight >= 0:
        raise ValueError(f"image_weight must be a number, at least 0 (0: the noise loss alone); got {image_weight!r}")
    if image_mask is not None:
        if not isinstance(image_mask, torch.Tensor) or image_mask.shape != (len(images), 1, *images.shape[-2:]):
            shape = tuple(image_mask.shape) if isinstance(image_mask, torch.Tensor) else type(image_mask).__name__
            raise ValueError(f"image_mask must be a tensor (n, 1, H, W) = {(len(images), 1, *images.shape[-2:])} "
                             f"matching the images; got {shape}")
        if not image_weight:
            raise ValueError("image_mask is used only with image_weight > 0; got image_weight 0")
    new = parts.tokenizer.convert_tokens_to_ids(token)
    missing = [c for c in captions if token not in c]
    if missing:
        raise ValueError(f"every caption must name the token {token!r}; {missing[0]!r} does not")
    generator = torch.Generator().manual_seed(seed)
    latents = encode(parts, images)  # once: the VAE is frozen
    ids = ids_of(parts, captions)
    table = embedding_table(parts).weight
    start = table[new].detach().clone()
    vector = torch.nn.Parameter(start.float().clone())
    optimiser = torch.optim.Adam([vector], lr=lr)
    acp = parts.scheduler.alphas_cumprod
    if image_weight and image_mask is None:
        image_mask = torch.ones(len(images), 1, *images.shape[-2:])
    frozen = [p for m in (parts.text_encoder, parts.unet, parts.vae) for p in m.parameters() if p.requires_grad]
    for p in frozen:
        p.requires_grad_(False)
    losses = []
    try:
        for step in range(steps):
            rows = torch.randint(0, len(latents), (min(batch_size, len(latents)),), generator=generator)
            states = text_states(parts, ids[rows], new, vector)
            noisy, alpha, noise, predicted = noise_prediction(parts.unet, latents[rows], states, acp, generator, timesteps)
            loss = F.mse_loss(predicted.float(), noise.float())  # noise_prediction_loss
            if image_weight:
                loss = loss + image_weight * clean_image_loss(parts, noisy, alpha, predicted, images[rows], image_mask[rows])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
            if on_step is not None:
                on_step(step, losses[-1])
    finally:
        for p in frozen:
            p.requires_grad_(True)
    with torch.no_grad():
        table[new] = vector.to(table.dtype)
    return Learned(token, new, losses, vector.detach().clone(), start)
