"""Inside CLIP's text encoder: token embeddings plus position embeddings, then the transformer layers
(causal: each position sees only those before it) and a final layer norm. Built by hand here, so that
embeddings can be changed before the layers see them (swap one word's for another's; a learned one)."""

import torch


def text_tower(text_encoder):
    """The module holding `embeddings`, `encoder` and `final_layer_norm` (transformers 5 dropped `.text_model`)."""
    return getattr(text_encoder, "text_model", text_encoder)


def token_embeddings(text_encoder, ids: torch.Tensor) -> torch.Tensor:
    """(batch, 77) ids -> (batch, 77, d): each id's learned vector, one row of the embedding table."""
    return text_tower(text_encoder).embeddings.token_embedding(ids.to(text_encoder.device))


def position_embeddings(text_encoder, length: int = 77) -> torch.Tensor:
    """(1, length, d): the learned vector for each place in the sequence."""
    embeddings = text_tower(text_encoder).embeddings
    return embeddings.position_embedding(embeddings.position_ids[:, :length])


def causal_mask(length: int, dtype=torch.float32, device=None) -> torch.Tensor:
    """(1, 1, length, length), added to attention scores: 0 where position i may see j (j <= i), else -inf."""
    mask = torch.full((length, length), torch.finfo(dtype).min, dtype=dtype, device=device).triu(1)
    return mask[None, None]


def encode_embeddings(text_encoder, hidden: torch.Tensor) -> torch.Tensor:
    """(batch, 77, d) input embeddings (token + position) -> the text encoder's last hidden state, as
    `text_encoder(ids)[0]` computes it from the ids."""
    tower = text_tower(text_encoder)
    mask = causal_mask(hidden.shape[1], hidden.dtype, hidden.device)
    out = tower.encoder(inputs_embeds=hidden, attention_mask=mask, is_causal=True).last_hidden_state
    return tower.final_layer_norm(out)


def token_id(tokenizer, word: str) -> int:
    """The id of a word that is one token of the vocabulary; a ValueError naming `word` otherwise."""
    ids = tokenizer(word, add_special_tokens=False).input_ids if isinstance(word, str) else []
    if len(ids) != 1:
        raise ValueError(f"word must be one token of the vocabulary to swap its embedding; {word!r} is "
                         f"{len(ids)} tokens")
    return ids[0]


def swapped_embeddings(parts, prompt: str, word: str, replacement: str) -> torch.Tensor:
    """The prompt's text embeddings (1, 77, d) with `word`'s token embedding replaced by `replacement`'s
    before the transformer layers: the sentence still says `word`, the encoder reads the other."""
    from .text import tokenize
    ids = tokenize(parts.tokenizer, prompt).input_ids.to(parts.text_encoder.device)
    old, new = token_id(parts.tokenizer, word), token_id(parts.tokenizer, replacement)
    if not (ids == old).any():
        raise ValueError(f"word {word!r} is not in the prompt {prompt!r}")
    with torch.no_grad():
        table = text_tower(parts.text_encoder).embeddings.token_embedding.weight
        tokens = token_embeddings(parts.text_encoder, ids)
        tokens = torch.where((ids == old)[..., None], table[new], tokens)
        return encode_embeddings(parts.text_encoder, tokens + position_embeddings(parts.text_encoder, ids.shape[1]))
