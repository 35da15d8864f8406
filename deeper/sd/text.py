"""Prompts to CLIP token ids to text embeddings, as the pipeline does it (and tells when it cuts)."""

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch


class PromptTruncatedWarning(UserWarning):
    """A prompt longer than CLIP's 77 positions lost its end."""


class UnknownWordsWarning(UserWarning):
    """A prompt has words the model was never trained on (only models that ship their word list)."""


# A model folder may list the words its text encoder was trained on, one a line (data/tiny-sd does;
# a hub model doesn't, and gets no note). A line "# summary: ..." says in a phrase what it knows.
KNOWN_WORDS_FILE = "known_words.txt"


@dataclass(frozen=True)
class KnownWords:
    words: frozenset
    summary: str


def read_known_words(folder) -> KnownWords | None:
    """The folder's word list, or None where it ships none."""
    path = Path(folder) / KNOWN_WORDS_FILE
    if not path.is_file():
        return None
    lines = path.read_text().splitlines()
    summary = next((l.split(":", 1)[1].strip() for l in lines if l.startswith("# summary:")), "")
    return KnownWords(frozenset(l.strip() for l in lines if l.strip() and not l.startswith("#")), summary)


def prompt_words(prompt: str) -> list[str]:
    """Lower-case words of a prompt, as the word list holds them ("let's" is one word, "red-on-blue" three)."""
    return re.findall(r"[a-z0-9']+", prompt.lower())


def unknown_words(known: KnownWords | None, prompt: str) -> list[str]:
    """The prompt's words that `known` lacks, in order, each once; [] for a model without a list."""
    if known is None:
        return []
    return list(dict.fromkeys(w for w in prompt_words(prompt) if w not in known.words))


def vocabulary_note(known: KnownWords | None, prompt: str) -> str:
    """'' when the model knows every word of `prompt` (or ships no list); else a sentence naming the others."""
    unknown = unknown_words(known, prompt)
    if not unknown:
        return ""
    them = "it" if len(unknown) == 1 else "them"
    return (f"this model never saw {', '.join(map(repr, unknown))} in training, so it can only guess {them} "
            f"from the words around {them}; it knows {known.summary or 'only the words it was trained on'}")


def empty_prompt_note(known: KnownWords | None, prompt: str) -> str:
    """For a model with a word list: an empty prompt draws an unconditioned picture, and says so."""
    if known is None or prompt.strip():
        return ""
    return "the prompt is empty, so this is an unconditioned picture: any digit, in any colours"


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
    return (f"the prompt is {len(ids) - 2} tokens but CLIP reads at most {limit - 2} (its {limit} positions "
            f"less the start and end markers), so the end was dropped: {shorten(dropped)!r}")


def shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def encode_prompt(parts, prompts: str | list[str]) -> torch.Tensor:
    """Text embeddings (batch, 77, d) from the text encoder's last hidden state, as the pipeline makes them.
    Words the model never saw in training get an `UnknownWordsWarning` (models that ship a word list)."""
    for prompt in [prompts] if isinstance(prompts, str) else prompts:
        note = vocabulary_note(getattr(parts, "known_words", None), prompt)
        if note:
            warnings.warn(UnknownWordsWarning(note), stacklevel=2)
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
