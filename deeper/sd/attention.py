"""Where the UNet looks for each word: its cross-attention (the `attn2` layers, queries from the image,
keys from the 77 text embeddings) recorded at every step of a run, averaged over heads and layers.

A diffusers attention processor does the recording (`CrossAttentionRecorder`, installed for the run
with `unet.set_attn_processor` and the UNet's own processors put back afterwards), so it works on any
SD v1 UNet: nothing about its shapes is assumed but that each level halves the latents' sides.

    run, attention = attention_run(parts, "a red 7 on a white background", steps=30, seed=1)
    attention.word_map("red", step=29)   # (h, w) in [0, 1]: the latents' grid
"""

import re
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers.models.attention_processor import AttnProcessor

from .loop import guidance_rows
from .run import run
from .settings import checked_settings


@dataclass(frozen=True)
class Word:
    """A word of a prompt and the positions of its tokens among the 77 (1 is the first after the start marker)."""

    word: str
    positions: tuple[int, ...]
    pieces: tuple[str, ...]  # the tokens it splits into, as the vocabulary spells them

    @property
    def label(self) -> str:
        return self.word if len(self.pieces) == 1 else f"{self.word} ({len(self.pieces)} tokens)"

    def note(self) -> str:
        """'' for a word that is one token; else what the map of a word of several tokens is."""
        if len(self.pieces) == 1:
            return ""
        return (f"{self.word!r} splits into {len(self.pieces)} tokens ({', '.join(map(repr, self.pieces))}): "
                f"its map is the average of theirs")


def prompt_token_ids(tokenizer, prompt: str) -> list[int]:
    """The prompt's ids with start and end markers, uncut; a prompt over the text encoder's limit is a ValueError."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError(f"prompt must be a non-empty string to look at its words; got {prompt!r}")
    ids = tokenizer(prompt, verbose=False).input_ids
    limit = tokenizer.model_max_length
    if len(ids) > limit:
        raise ValueError(f"prompt is {len(ids) - 2} tokens, but CLIP reads at most {limit - 2} (its {limit} "
                         f"positions less the start and end markers): shorten it, so that every word has a map")
    return ids


def prompt_words(tokenizer, prompt: str) -> list[Word]:
    """Each word of `prompt` (as CLIP's tokenizer splits text: punctuation is a word of its own) and its tokens."""
    ids = prompt_token_ids(tokenizer, prompt)
    words, cursor = [], 1
    for text in prompt.split():
        for piece_ids, word in _pieces_of(tokenizer, text):
            n = len(piece_ids)
            while cursor + n <= len(ids) - 1 and ids[cursor:cursor + n] != piece_ids:
                cursor += 1
            if cursor + n > len(ids) - 1:
                break
            words.append(Word(word, tuple(range(cursor, cursor + n)), tuple(tokenizer.convert_ids_to_tokens(piece_ids))))
            cursor += n
    return words


def _pieces_of(tokenizer, text: str) -> list[tuple[list[int], str]]:
    """A space-free chunk of a prompt as words: letters and digits apart from punctuation ("7," -> "7", ",")."""
    parts = re.findall(r"[^\W_]+(?:'[^\W_]+)?|[^\w\s]+|_+", text)
    return [(ids, part) for part in parts if (ids := tokenizer(part, add_special_tokens=False).input_ids)]


def find_word(words: list[Word], word) -> Word:
    """`word` by its text (lower or upper case; its first appearance) or by its index in `words`."""
    if isinstance(word, int) and not isinstance(word, bool):
        if not 0 <= word < len(words):
            raise ValueError(f"word index {word} is out of range: the prompt has words 0 to {len(words) - 1}")
        return words[word]
    if not isinstance(word, str):
        raise ValueError(f"word must be a word of the prompt (a string) or its index; got {word!r}")
    wanted = word.strip().lower()
    for w in words:
        if w.word.lower() == wanted:
            return w
    raise ValueError(f"word {word!r} is not in the prompt; its words are {', '.join(repr(w.word) for w in words)}")


def layer_grid(positions: int, latent_h: int, latent_w: int) -> tuple[int, int]:
    """The (h, w) of a layer whose image has `positions` pixels: the latents' grid halved k times
    (each side rounded up, as the UNet's strided downsampling rounds it)."""
    h, w = latent_h, latent_w
    while h * w > positions:
        h, w = -(-h // 2), -(-w // 2)
    if h * w != positions:
        raise ValueError(f"a cross-attention layer with {positions} positions fits no level of a "
                         f"{latent_h}x{latent_w} latent grid")
    return h, w


class AttentionStore:
    """Sums of each step's cross-attention maps (batch, 77, h, w) on the latents' grid, and how many layers made them."""

    def __init__(self, latent_h: int, latent_w: int, rows: int = 1):
        self.size, self.rows = (latent_h, latent_w), rows  # rows: text embeddings per image (`guidance_rows`)
        self.sums, self.layers = [], []

    def begin_step(self, *_):
        """A forward pre-hook on the UNet: every UNet call is one step of the loop."""
        self.sums.append(None)
        self.layers.append(0)

    def add(self, probs: torch.Tensor, heads: int) -> None:
        """`probs` (batch * heads, positions, tokens) from one layer: the prompt's rows, averaged over heads."""
        batch = probs.shape[0] // heads
        probs = probs.detach().float().view(batch, heads, *probs.shape[1:]).mean(1)  # (b, positions, tokens)
        probs = probs[batch - batch // self.rows:]  # [unconditional; (negative;) prompt]: keep the prompt's
        h, w = layer_grid(probs.shape[1], *self.size)
        maps = probs.transpose(1, 2).reshape(probs.shape[0], probs.shape[2], h, w)
        if (h, w) != self.size:
            maps = F.interpolate(maps, size=self.size, mode="bilinear", align_corners=False)
        if not self.sums:
            self.begin_step()
        self.sums[-1] = maps if self.sums[-1] is None else self.sums[-1] + maps
        self.layers[-1] += 1

    def maps(self) -> torch.Tensor:
        """(steps, batch, 77, h, w): every step's map per token, averaged over heads and layers, on the CPU."""
        if not self.sums or self.sums[0] is None:
            raise ValueError("no cross-attention was recorded: the UNet has no attn2 layers, or it never ran")
        return torch.stack([s / n for s, n in zip(self.sums, self.layers)]).cpu()


class CrossAttentionRecorder(AttnProcessor):
    """diffusers' plain attention processor, which computes the attention probabilities explicitly,
    handing them to an `AttentionStore` as it goes. The output is the processor's own."""

    def __init__(self, store: AttentionStore):
        super().__init__()
        self.store = store

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None, *args, **kwargs):
        scores = attn.get_attention_scores

        def recording(query, key, mask=None):
            probs = scores(query, key, mask)
            self.store.add(probs, attn.heads)
            return probs

        attn.get_attention_scores = recording  # for this call only: the instance attribute hides the method
        try:
            return super().__call__(attn, hidden_states, encoder_hidden_states, attention_mask, temb, *args, **kwargs)
        finally:
            del attn.get_attention_scores


def cross_attention_names(unet) -> list[str]:
    return [name for name in unet.attn_processors if name.endswith("attn2.processor")]


@contextmanager
def recording_cross_attention(unet, latent_h: int, latent_w: int, rows: int = 1):
    """Inside the block, every UNet call records its cross-attention into the `AttentionStore` it yields;
    afterwards the UNet has its own processors back (also after an error)."""
    before = unet.attn_processors
    names = set(cross_attention_names(unet))
    if not names:
        raise ValueError("this UNet has no cross-attention layers (attn2) to record")
    store = AttentionStore(latent_h, latent_w, rows)
    unet.set_attn_processor({name: CrossAttentionRecorder(store) if name in names else p for name, p in before.items()})
    hook = unet.register_forward_pre_hook(store.begin_step)
    try:
        yield store
    finally:
        hook.remove()
        unet.set_attn_processor(before)


@dataclass
class CrossAttention:
    """A run's cross-attention: `maps` (steps, 77, h, w) for its first image, and the prompt's words."""

    prompt: str
    words: list[Word]
    maps: torch.Tensor

    @property
    def steps(self) -> int:
        return self.maps.shape[0]

    def word(self, word) -> Word:
        return find_word(self.words, word)

    def word_map(self, word, step: int = -1) -> torch.Tensor:
        """(h, w): where the UNet's cross-attention put `word` (text or index) at `step`, its tokens averaged."""
        if isinstance(step, bool) or not isinstance(step, int) or not -self.steps <= step < self.steps:
            raise ValueError(f"step must be a whole number from 0 to {self.steps - 1}; got {step!r}")
        w = self.word(word)
        return self.maps[step, list(w.positions)].mean(0)


def attention_run(parts, prompt: str, **settings):
    """`deeper.sd.run` with the cross-attention recorded: (Run, CrossAttention). `settings` as for `run`."""
    words = prompt_words(parts.tokenizer, prompt)  # before any work: an over-long prompt is a ValueError
    s = checked_settings(parts, prompt=prompt, **{k: v for k, v in settings.items() if k != "stop_after"})
    f = parts.vae_scale_factor
    with recording_cross_attention(parts.unet, s.height // f, s.width // f,
                                   guidance_rows(parts.unet, s.guidance_scale, s.negative_scale)) as store:
        result = run(parts, prompt, **settings)
    return result, CrossAttention(prompt, words, store.maps()[:, 0])


def attention_overlay(image, word_map: torch.Tensor, colormap: str = "inferno"):
    """(picture, low, high): `word_map` (h, w) scaled from its own minimum `low` (dark) to maximum `high`
    (bright), upsampled to `image`'s size (bilinear) in a colour map, laid over a grey copy of `image`."""
    import numpy as np
    from matplotlib import colormaps
    from PIL import Image

    low, high = float(word_map.min()), float(word_map.max())
    scaled = (word_map - low) / (high - low) if high > low else torch.zeros_like(word_map)
    size = image.size[::-1]
    up = F.interpolate(scaled[None, None].float(), size=size, mode="bilinear", align_corners=False)[0, 0].clamp(0, 1)
    heat = Image.fromarray((colormaps[colormap](up.numpy())[..., :3] * 255).astype(np.uint8))
    return Image.blend(image.convert("L").convert("RGB"), heat, 0.75), low, high
