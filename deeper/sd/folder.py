"""A hub-shaped SD v1 model folder (what `save_pretrained` writes), checked before loading.

`check_model_folder` exists because `from_pretrained` can quietly build a model with random
weights when a weight file is missing, and a truncated safetensors file gives an error that
names neither the file nor the cure. A course that shows noise teaches nothing, so the loader
calls this first and a student gets a message saying which file and how to restore it.
"""

import json
import struct
from pathlib import Path

from ..manifest import ShippedFileError, manifest_root, unchanged, verify

# Every file the pipeline reads, per component.
REQUIRED = {
    "model_index.json": "json",
    "scheduler/scheduler_config.json": "json",
    "tokenizer/tokenizer.json": "json",
    "tokenizer/tokenizer_config.json": "json",
    "text_encoder/config.json": "json",
    "text_encoder/model.safetensors": "safetensors",
    "unet/config.json": "json",
    "unet/diffusion_pytorch_model.safetensors": "safetensors",
    "vae/config.json": "json",
    "vae/diffusion_pytorch_model.safetensors": "safetensors",
}


class ModelFolderError(FileNotFoundError):
    """A file of the model folder is missing or damaged; the message says which and how to restore it."""


def check_safetensors(path: Path) -> None:
    """A safetensors file is an 8-byte header length, a JSON header, then the tensors' bytes; the
    header says where each tensor lies, so a truncated file is caught without loading it."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise ValueError("shorter than a safetensors header")
        (n,) = struct.unpack("<Q", head)
        if n > size - 8:
            raise ValueError("its header runs past the end of the file")
        header = json.loads(f.read(n))
    if not isinstance(header, dict):
        raise ValueError(f"its header is a JSON {type(header).__name__}, not the table of tensors")
    end = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)
                and 0 <= offsets[0] <= offsets[1]):
            raise ValueError(f"its header entry for {name!r} has no valid data_offsets")
        end = max(end, offsets[1])
    if 8 + n + end != size:
        raise ValueError(f"it holds {size:,} bytes where its header promises {8 + n + end:,}")


def restore_hint(folder: Path, data=None) -> str:
    """How to get a model folder back: git for one shipped in `data` (data/, or a copy of it), a new copy otherwise."""
    if data is None:
        return "Copy or download the model again."
    return f"Restore the shipped model with `git checkout -- data/{folder.resolve().relative_to(Path(data).resolve())}`."


def check_model_folder(folder, checksums: bool = True, restore: str | None = None) -> Path:
    """Raise `ModelFolderError` naming the first missing, empty or truncated file of an SD v1 folder.

    Checks every file `StableDiffusionPipeline.from_pretrained` reads (weights by their safetensors
    header, configs by parsing them), without loading any weights; a folder shipped in data/ (or a
    copy with its manifest) also by checksum, so damaged bytes behind an intact header are named.
    `checksums=False` skips that (an export writing new weights over data/); `restore` is the message's
    cure (`restore_hint` by default). Returns the folder as a Path.
    """
    folder = Path(folder)
    cure = restore or restore_hint(folder, manifest_root(folder))
    if not folder.is_dir():
        raise ModelFolderError(f"The model folder {folder} does not exist. {cure}")
    shipped_intact = unchanged(folder) if checksums else set()  # their JSON parses: no need to parse 3.6 MB again
    for name, kind in REQUIRED.items():
        path = folder / name
        if not path.is_file():
            raise ModelFolderError(f"The model file {path} is missing. {cure}")
        try:
            if path.stat().st_size == 0:
                raise ValueError("it is empty")
            if kind == "json" and path.resolve() not in shipped_intact:
                json.loads(path.read_text())
            elif kind == "safetensors":
                check_safetensors(path)
        except (ValueError, UnicodeDecodeError, struct.error, RecursionError) as e:  # RecursionError: JSON nested too deep
            raise ModelFolderError(f"The model file {path} is damaged or truncated ({e}). {cure}") from e
    if checksums:
        verify_shipped(folder)  # the bytes behind the headers
    return folder


def verify_shipped(path) -> None:
    """A shipped file or folder (data/, or a copy with its manifest) against data/MANIFEST.sha256: a
    `ModelFolderError` names the first damaged or missing file. Paths no manifest covers pass."""
    try:
        verify(path)
    except ShippedFileError as e:
        raise ModelFolderError(str(e)) from e
