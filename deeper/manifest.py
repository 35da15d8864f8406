"""A checksum for every file shipped in `data/`, checked when a shipped file is loaded.

A weight file whose bytes were damaged behind an intact header loads without complaint and draws
black; its checksum says so before anything runs. The manifest is `data/MANIFEST.sha256`, in the
format `sha256sum -c` reads. After shipping new or changed files in data/, regenerate it:

    python -m deeper.manifest --write     # write data/MANIFEST.sha256 from the files now in data/
    python -m deeper.manifest --check     # verify every file (exit status 1 naming each bad one)

Each file is hashed once: the digest is cached by path, size and modification time (in
`cache_dir()`), so loading the model again costs one `stat` per file.
"""

import argparse
import hashlib
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .paths import DATA, cache_dir

NAME = "MANIFEST.sha256"
SKIPPED = {"__pycache__", "cache"}  # data/cache/ is ignored by git: nothing in it ships


class ShippedFileError(OSError):
    """A shipped file is missing or differs from its checksum; the message says which and what to do."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def shipped_files(root: Path = DATA) -> list[Path]:
    """Every file under `root` that ships (the manifest itself, hidden files and caches left out)."""
    root = Path(root)
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED and not d.startswith("."))
        found += [Path(folder) / f for f in sorted(files) if not f.startswith(".") and f != NAME
                  and not f.endswith(".pyc")]
    return found


def manifest_text(root: Path = DATA) -> str:
    """The manifest the files under `root` call for now: `<sha256>  <path from root>` per line."""
    root = Path(root)
    return "".join(f"{sha256(p)}  {p.relative_to(root).as_posix()}\n" for p in shipped_files(root))


def write_manifest(root: Path = DATA) -> Path:
    path = Path(root) / NAME
    path.write_text(manifest_text(root))
    return path


def read_manifest(root: Path = DATA) -> dict[str, str]:
    """{path from root: sha256} as the manifest in `root` lists them."""
    path = Path(root) / NAME
    entries = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            raise ShippedFileError(f"{path} line {number} is not '<sha256>  <path>': {line!r}. "
                                   f"Regenerate it with `python -m deeper.manifest --write`.")
        entries[name] = digest
    return entries


def manifest_root(path) -> Path | None:
    """The nearest folder at or above `path` that holds a manifest (data/, or a copy of it), or None."""
    path = Path(path).resolve()
    return next((folder for folder in (path, *path.parents) if (folder / NAME).is_file()), None)


# --- hashing once per file --------------------------------------------------------------------------
def _cache_file() -> Path | None:
    try:
        return cache_dir() / "checksums.json"
    except (OSError, ValueError):
        return None  # no writable cache: every load hashes again, which is slower but still right


def _load_cache(path: Path | None) -> dict:
    try:
        return json.loads(path.read_text()) if path is not None else {}
    except (OSError, ValueError):
        return {}


def _save_cache(path: Path | None, cache: dict) -> None:
    """Written through a temporary file, so two kernels saving at once never leave it half written."""
    if path is None:
        return
    try:
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as tmp:
            json.dump(cache, tmp)
        Path(tmp.name).replace(path)
    except OSError:
        pass


def cached_sha256(path: Path, cache: dict) -> str:
    """The file's sha256, from `cache` when its size and mtime are those it was hashed at."""
    stat = path.stat()
    key, seen = str(path.resolve()), [stat.st_size, stat.st_mtime_ns]
    hit = cache.get(key)
    if hit is not None and hit[:2] == seen:
        return hit[2]
    digest = sha256(path)
    cache[key] = [*seen, digest]
    return digest


# --- verifying on load ------------------------------------------------------------------------------
def _listed_under(path: Path) -> tuple[Path | None, dict[str, str]]:
    """The folder of the manifest above `path` (None if none) and its entries for the files at or under `path`."""
    root = manifest_root(path)
    if root is None:
        return None, {}
    return root, {name: digest for name, digest in read_manifest(root).items() if (root / name).is_relative_to(path)}


@contextmanager
def _hash_cache(use_cache: bool = True):
    """The digest cache for a while, saved afterwards if it learnt anything."""
    cache_file = _cache_file() if use_cache else None
    cache = _load_cache(cache_file)
    before = dict(cache)
    try:
        yield cache
    finally:
        if cache != before:
            _save_cache(cache_file, cache)


def verify(path, use_cache: bool = True) -> None:
    """Raise ShippedFileError naming the first file at or under `path` that is missing or differs from
    its checksum in the manifest above it. A path no manifest covers (a model of your own) passes."""
    path = Path(path).resolve()
    root, entries = _listed_under(path)
    if root is None:
        return
    with _hash_cache(use_cache) as cache:
        for name, digest in entries.items():
            file = root / name
            shown = f"{root.name}/{name}"
            if not file.is_file():
                raise ShippedFileError(f"The shipped file {file} is missing. Restore it with "
                                       f"`git checkout -- {shown}`.")
            if cached_sha256(file, cache) != digest:
                raise ShippedFileError(
                    f"The shipped file {file} is damaged: its contents differ from its checksum in "
                    f"{root / NAME}. Restore it with `git checkout -- {shown}`; if you changed it on "
                    f"purpose, record it with `python -m deeper.manifest --write`.")


def unchanged(path) -> set[Path]:
    """The files at or under `path` (resolved) whose bytes are those the manifest above it lists: a
    loader need not parse again what it knows shipped intact. Empty where no manifest covers `path`,
    or where the manifest cannot be read (`verify` names that)."""
    path = Path(path).resolve()
    try:
        root, entries = _listed_under(path)
    except ShippedFileError:
        return set()
    if root is None:
        return set()
    with _hash_cache() as cache:
        return {root / name for name, digest in entries.items()
                if (root / name).is_file() and cached_sha256(root / name, cache) == digest}


def check_all(root: Path = DATA) -> list[str]:
    """One line per problem with the files under `root` and its manifest (empty when all is well)."""
    root = Path(root)
    listed = read_manifest(root)
    present = {p.relative_to(root).as_posix(): p for p in shipped_files(root)}
    problems = [f"missing: {name}" for name in listed if name not in present]
    problems += [f"not in the manifest: {name}" for name in present if name not in listed]
    problems += [f"changed: {name}" for name, p in present.items() if name in listed and sha256(p) != listed[name]]
    return problems


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m deeper.manifest", description=__doc__.split("\n\n")[0])
    action = p.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help=f"write data/{NAME} from the files in data/")
    action.add_argument("--check", action="store_true", help="verify every file in data/ against the manifest")
    p.add_argument("--root", default=str(DATA), help="the folder the manifest covers (default: data/)")
    args = p.parse_args(argv)
    root = Path(args.root)
    if args.write:
        path = write_manifest(root)
        print(f"wrote {path} ({len(read_manifest(root))} files)")
        return 0
    try:
        problems = check_all(root)
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s). Restore shipped files with `git checkout -- data/`, or, after "
              f"shipping changes on purpose, run `python -m deeper.manifest --write`.", file=sys.stderr)
        return 1
    print(f"ok  {len(read_manifest(root))} files in {root} match {NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
