"""Checking a hub-shaped model folder before loading it, so a missing or cut-short weight file is
named in a sentence instead of surfacing as a deep safetensors or JSON error."""

import json
import struct
from pathlib import Path

WEIGHTED = ("text_encoder", "unet", "vae")
LFS_POINTER = b"version https://git-lfs"


def check_model_folder(folder: Path) -> None:
    """Raise ValueError naming the first missing or truncated file of the SD folder `folder`."""
    folder = Path(folder)
    how_to = (f"Restore it with `git checkout -- {folder}` (or `git lfs pull` for a clone without LFS files), "
              f"or point model_id at another model folder or hub id.")
    index = folder / "model_index.json"
    if not index.is_file():
        raise ValueError(f"model_id {str(folder)!r}: {index} is missing, so this is not a model folder. {how_to}")
    parts = json.loads(index.read_text())
    for name in ("tokenizer", "scheduler", *WEIGHTED):
        if name in parts and not (folder / name).is_dir():
            raise ValueError(f"model_id {str(folder)!r}: the folder {folder / name} is missing. {how_to}")
    for name in WEIGHTED:
        weights = sorted((folder / name).glob("*.safetensors")) + sorted((folder / name).glob("*.bin"))
        if not weights:
            raise ValueError(f"model_id {str(folder)!r}: no weight file in {folder / name}. {how_to}")
        for path in weights:
            problem = weight_file_problem(path)
            if problem:
                raise ValueError(f"model_id {str(folder)!r}: {path} {problem}. {how_to}")


def weight_file_problem(path: Path) -> str:
    """'' if the file looks whole; else what is wrong with it (LFS pointer, truncated, unreadable)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8)
        if head.startswith(LFS_POINTER[:8]) and f.read(len(LFS_POINTER) - 8) == LFS_POINTER[8:]:
            return "is a git-lfs pointer, not the weights"
        if path.suffix != ".safetensors":
            return "" if size > 0 else "is empty"
        if len(head) < 8:
            return f"is truncated ({size} bytes)"
        (header_len,) = struct.unpack("<Q", head)
        try:
            header = json.loads(f.read(header_len))
        except (ValueError, MemoryError, OverflowError):
            return f"is truncated or damaged (its header does not read; {size} bytes)"
    end = max((t["data_offsets"][1] for k, t in header.items() if k != "__metadata__"), default=0)
    expected = 8 + header_len + end
    if size < expected:
        return f"is truncated ({size:,} of {expected:,} bytes)"
    return ""
