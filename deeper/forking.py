"""What a child process does to random number generators.

`os.fork` copies the parent's memory, generator states included, so parent and child draw the
very same "random" numbers until one of them reseeds. Where there is no fork (Windows), `spawn`
starts a fresh Python that inherits nothing: the functions here then spawn instead and say so.
"""

import multiprocessing
import os
import pickle
from typing import NamedTuple

import torch

from . import wichmann_hill as wh
from .wichmann_hill import WichmannHill

NO_FORK = ("os.fork does not exist on this system (Windows has no fork), so the child was started "
           "with spawn: a fresh Python that inherits nothing from the parent. Its generators start "
           "from whatever seeds a fresh Python gives them (Wichmann-Hill's comes from the OS at "
           "import), not from the parent's state.")


def can_fork() -> bool:
    return hasattr(os, "fork")


def start_method() -> str:
    """'fork' where the system has it, else 'spawn' (for DataLoader's multiprocessing_context too)."""
    return "fork" if can_fork() else "spawn"


def in_forked_child(fn, *args):
    """fn(*args) run in a forked child; its result comes back pickled through a pipe.

    The child ends with os._exit, so it never runs the parent's remaining code (in a notebook, the
    kernel's). Python 3.12+ warns that forking a multithreaded process (a Jupyter kernel is one)
    may deadlock the child: this child only computes, writes and exits.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # 1. the child: compute, send, exit without cleanup
        status = 1
        try:
            os.close(read_end)
            try:
                payload = pickle.dumps((True, fn(*args)))
            except Exception as e:  # noqa: BLE001 - the parent re-raises it
                payload = pickle.dumps((False, f"{type(e).__name__}: {e}"))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)  # 2. the parent: read until the child closes its end, then reap it
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    os.waitpid(pid, 0)
    if not payload:
        raise RuntimeError("the forked child died before sending a result")
    ok, result = pickle.loads(payload)
    if not ok:
        raise RuntimeError(f"in the forked child: {result}")
    return result


def in_spawned_child(fn, *args):
    """fn(*args) run in a freshly spawned Python (fn must be importable: defined in a module)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def draws(n: int, rng: WichmannHill | None = None, generator: torch.Generator | None = None,
          reseed: bool = False) -> tuple[list[float], list[float]]:
    """n Wichmann-Hill numbers (from `rng`, or the global `rand()`) and n from `torch.rand`
    (`generator`, or torch's global one); with `reseed`, both are first seeded afresh from the OS."""
    rand = rng.rand if rng is not None else wh.rand
    if reseed:
        (rng.seed if rng is not None else wh.seed)(wh.random_seed())
        (generator or torch.default_generator).seed()
    return [rand() for _ in range(n)], torch.rand(n, generator=generator).tolist()


class ForkResult(NamedTuple):
    """What parent and child drew, side by side, and how the child was started."""
    method: str  # "fork" or "spawn"
    parent: list[float]
    child: list[float]
    torch_parent: list[float]
    torch_child: list[float]

    @property
    def same(self) -> bool:
        return self.parent == self.child

    @property
    def note(self) -> str:
        return NO_FORK if self.method == "spawn" else ""


def fork_draws(n: int, rng: WichmannHill | None = None, generator: torch.Generator | None = None,
               reseed_child: bool = False) -> ForkResult:
    """Start a child, then let parent and child each draw n numbers from 'the same' generators."""
    if can_fork():
        child = in_forked_child(draws, n, rng, generator, reseed_child)
    else:  # nothing to inherit: the spawned child uses its own fresh global generators
        child = in_spawned_child(draws, n, None, None, reseed_child)
    parent = draws(n, rng, generator)
    return ForkResult(start_method(), parent[0], child[0], parent[1], child[1])


class NoisyDigits(torch.utils.data.Dataset):
    """A dataset whose items carry a "random augmentation" drawn from the global Wichmann-Hill
    state: each item is (worker id, item index, rand())."""

    def __init__(self, n: int = 8):
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        info = torch.utils.data.get_worker_info()
        return torch.tensor([info.id if info else -1, i, wh.rand()], dtype=torch.float64)


def reseed_worker(worker_id: int) -> None:
    """DataLoader's `worker_init_fn` fix: torch hands each worker its own seed (base seed + worker id);
    seed our generator from it. torch reseeds its own, Python's and numpy's generators, not ours."""
    wh.seed(torch.initial_seed() % 2**32)


def loader_draws(n: int = 8, workers: int = 2, worker_init_fn=None) -> dict[int, list[float]]:
    """Run NoisyDigits through a DataLoader with `workers` worker processes: the numbers each worker drew."""
    loader = torch.utils.data.DataLoader(NoisyDigits(n), batch_size=1, num_workers=workers,
                                         worker_init_fn=worker_init_fn, multiprocessing_context=start_method())
    per_worker: dict[int, list[float]] = {}
    for worker, _, u in torch.cat(list(loader)).tolist():
        per_worker.setdefault(int(worker), []).append(u)
    return per_worker
