"""Prompts to CLIP token ids to text embeddings, as the pipeline does it (and tells when it cuts)."""

import warnings

import torch


class PromptTruncatedWarning(UserWarning):
    """A prompt longer than CLIP's 77 positions lost its end."""


def tokenize(tokenizer, prompts: str | list[str]) -> dict:
    """Token ids padded to 77 (start 49406, the tokens, end/padding 49407), cut to 77 with a warning."""
    prompts = [prompts] if isinstance(prompts, str) else list(prompts)
    for prompt in prompts:
        note = truncation_note(tokenizer, prompt)
        if note:
            warnings.warn(PromptTruncatedWarning(note), stacklevel=2)
    limit = tokenizer.model_max_length
    return tokenizer(prompts, padding="max_length", max_length=limit, truncation=True, return_tensors="pt")


def truncation_note(tokenizer, prompt: str) -> str:
    """'' when `prompt` fits CLIP's 77 positions; else a sentence saying how long it is and what is dropped."""
    limit = tokenizer.model_max_length
    ids = tokenizer(prompt, verbose=False).input_ids
    if len(ids) <= limit:
        return ""
    dropped = tokenizer.decode(ids[limit - 1 : -1])
    return (f"the prompt is {len(ids) - 2} tokens but CLIP reads at most {limit - 2}, so the end was "
            f"dropped: {shorten(dropped)!r}")


def shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def encode_prompt(parts, prompts: str | list[str]) -> torch.Tensor:
    """Text embeddings (batch, 77, d) from the text encoder's last hidden state, as the pipeline makes them."""
    tokens = tokenize(parts.tokenizer, prompts)
    encoder = parts.text_encoder
    mask = tokens.attention_mask.to(encoder.device) if getattr(encoder.config, "use_attention_mask", False) else None
    with torch.no_grad():
        embeddings = encoder(tokens.input_ids.to(encoder.device), attention_mask=mask)[0]
    return embeddings.to(dtype=encoder.dtype, device=encoder.device)


def mix_prompts(parts, prompt_a: str, prompt_b: str, weight: float) -> torch.Tensor:
    """Embeddings part way from `prompt_a`'s (weight 0) to `prompt_b`'s (weight 1): (1 - w) a + w b."""
    if not 0 <= weight <= 1:
        raise ValueError(f"weight must be from 0 (all prompt_a) to 1 (all prompt_b); got {weight!r}")
    return torch.lerp(encode_prompt(parts, prompt_a), encode_prompt(parts, prompt_b), float(weight))
