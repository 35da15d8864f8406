"""What verifying the shipped model's checksums costs: `load_parts()` with data/MANIFEST.sha256
checked (digests cached, as on every load after the first; and cold, every file hashed) against the
same load with the checksum step left out. Runs interleaved, so the machine's load hits all alike.

    .venv/bin/python bench/bench_manifest.py [--rounds 7]

Target (issue 19): at most 1.10x the plain load.
"""

import argparse
import os
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import torch

from deeper import manifest
from deeper.paths import TINY_SD
from deeper.sd import load_parts
from deeper.sd import folder as model_folder

TARGET = 1.10


@contextmanager
def checksums_off():
    """The load exactly as before the manifest: check_model_folder without its checksum step."""
    verify = model_folder.verify
    model_folder.verify = lambda path: None
    try:
        yield
    finally:
        model_folder.verify = verify


def timed(f) -> float:
    """CPU seconds this process spent in f() (all its threads): on a machine shared with other work,
    wall time measures the neighbours as much as the load."""
    start = time.process_time()
    f()
    return time.process_time() - start


def plain():
    with checksums_off():
        load_parts(TINY_SD, device="cpu", progress=False)


def cached():
    load_parts(TINY_SD, device="cpu", progress=False)


def cold(cache_root: Path):
    """A fresh, empty digest cache: every shipped file of the model is read and hashed."""
    os.environ["DEEPER_CACHE"] = tempfile.mkdtemp(dir=cache_root)
    load_parts(TINY_SD, device="cpu", progress=False)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=7, help="runs of each kind, interleaved (default 7)")
    rounds = p.parse_args().rounds
    files = [f for f in manifest.shipped_files(TINY_SD.parent) if f.is_relative_to(TINY_SD)]
    size = sum(f.stat().st_size for f in files)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; load_parts({TINY_SD.name!r}) on the CPU, "
          f"{len(files)} files, {size / 1e6:.1f} MB; CPU time of {rounds} interleaved runs each, ratios against the plain load\n")
    with tempfile.TemporaryDirectory() as tmp:
        kinds = {"plain load (checksum step left out)": plain,
                 "checksums verified, digests cached (every load after the first)": cached,
                 "checksums verified, cold (every file hashed)": lambda: cold(Path(tmp))}
        saved_cache = os.environ.get("DEEPER_CACHE")
        os.environ["DEEPER_CACHE"] = tempfile.mkdtemp(dir=tmp)  # the cached rows' own cache, warmed here
        for f in kinds.values():
            f()  # warm-up: imports, the OS file cache, the digest cache
        times = {name: [] for name in kinds}
        cached_cache = os.environ["DEEPER_CACHE"]
        names = list(kinds)
        for k in range(rounds):
            for name in names[k % 3:] + names[:k % 3]:  # each kind first in turn: no kind always runs first
                os.environ["DEEPER_CACHE"] = cached_cache
                times[name].append(timed(kinds[name]))
        os.environ["DEEPER_CACHE"] = cached_cache
        verify_cached = statistics.median(timed(lambda: manifest.verify(TINY_SD)) for _ in range(rounds))
        verify_cold = statistics.median(timed(lambda: manifest.verify(TINY_SD, use_cache=False)) for _ in range(rounds))
        if saved_cache is None:
            os.environ.pop("DEEPER_CACHE")
        else:
            os.environ["DEEPER_CACHE"] = saved_cache
    medians = {name: statistics.median(t) for name, t in times.items()}
    fastest = {name: min(t) for name, t in times.items()}
    baseline, best = medians["plain load (checksum step left out)"], fastest["plain load (checksum step left out)"]
    print(f"  {'':<66} {'median':>9}    {'ratio':>6} {'fastest':>9}    {'ratio':>6}")
    for name in medians:
        print(f"  {name:<66} {medians[name] * 1e3:9.1f} ms {medians[name] / baseline:6.3f}x "
              f"{fastest[name] * 1e3:9.1f} ms {fastest[name] / best:6.3f}x")
    print(f"\n  the checksum step alone (median): {verify_cached * 1e3:.2f} ms with cached digests, "
          f"{verify_cold * 1e3:.1f} ms hashing every file: {1 + verify_cached / baseline:.3f}x and "
          f"{1 + verify_cold / baseline:.3f}x of the plain load's median")
    worst = max(medians.values()) / baseline
    print(f"  target: at most {TARGET:.2f}x the plain load; the worst median here is {worst:.3f}x "
          f"({'met' if worst <= TARGET else 'NOT met'}). Runs wander by more than the step costs on a busy "
          f"machine: the step alone is the steadier measure")

if __name__ == "__main__":
    main()
