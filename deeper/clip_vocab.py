"""The real 49,408-token CLIP vocabulary, built from OpenAI's `bpe_simple_vocab_16e6.txt.gz`.

No model hub is reachable, so the BPE file comes from inside the `open-clip-torch` wheel (fetched
with `pip download --no-deps`, never installed), and vocab.json / merges.txt are derived from it
exactly as OpenAI's simple tokenizer builds its encoder.
"""

import gzip
import json
from functools import lru_cache
from pathlib import Path

from .fetch import fetch
from .paths import cache_dir

BPE_MD5 = "933b7abbbbde62c36f02f0e6ccde464f"
BPE_URL = "https://github.com/openai/CLIP/raw/main/clip/bpe_simple_vocab_16e6.txt.gz"
BPE_WHEEL = "open-clip-torch==3.3.0"
BPE_MEMBER = "open_clip/bpe_simple_vocab_16e6.txt.gz"
VOCAB_SIZE = 49408


def bpe_path() -> Path:
    dest = cache_dir() / "bpe_simple_vocab_16e6.txt.gz"
    how_to = (f"To get it by hand: `pip download --no-deps {BPE_WHEEL}`, take {BPE_MEMBER} out of the "
              f"wheel (it is a zip) and put it at {dest}.")
    return fetch(dest, BPE_MD5, BPE_URL, BPE_WHEEL, BPE_MEMBER, how_to)


@lru_cache
def bytes_to_unicode() -> dict[int, str]:
    """OpenAI's map from each byte to a printable character, so BPE never sees whitespace or control bytes."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def vocab_and_merges(path: Path | None = None) -> tuple[dict[str, int], list[str]]:
    """(token -> id, merge lines) as in OpenAI's SimpleTokenizer: 256 bytes, the same with </w>,
    one token per merge, then the two special tokens: 49,408 in all."""
    lines = gzip.open(path or bpe_path()).read().decode("utf-8").split("\n")
    merges = lines[1 : 49152 - 256 - 2 + 1]
    vocab = list(bytes_to_unicode().values())
    vocab += [v + "</w>" for v in vocab]
    vocab += ["".join(merge.split()) for merge in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    assert len(vocab) == VOCAB_SIZE, len(vocab)
    return {token: i for i, token in enumerate(vocab)}, merges


def write_tokenizer_files(folder: Path) -> Path:
    """Write vocab.json and merges.txt, the files `CLIPTokenizer.from_pretrained(folder)` reads."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab, merges = vocab_and_merges()
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    return folder
