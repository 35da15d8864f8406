"""Notebook 04's exercises: Wichmann-Hill's `rand`, reseeding a forked child, and a DataLoader `worker_init_fn`."""

import signal

import torch

from .. import wichmann_hill as wh
from ..forking import can_fork, in_forked_child, loader_draws, reseed_worker, NO_FORK
from .core import Exercise, Wrong, attempt, with_advice

SEEDS = (457428938475, 1, 2**40 + 7)
rnd_state = None  # the solution's global, as in the notebook (filled in, the solution uses the notebook's)


def rand_solution():
    global rnd_state
    x, y, z = rnd_state
    x = (171 * x) % 30269
    y = (172 * y) % 30307
    z = (170 * z) % 30323
    rnd_state = x, y, z
    return (x / 30269 + y / 30307 + z / 30323) % 1.0


def rand_judge(fn, solution):
    """Five draws after each seed, read and written through the notebook's own global `rnd_state`."""
    names = getattr(fn, "__globals__", None)
    if names is None:
        raise Wrong("rand must be a function defined with def in the notebook")
    saved = names.get("rnd_state")
    try:
        for seed in SEEDS:
            names["rnd_state"] = tuple(wh.seed_state(seed))
            right = wh.WichmannHill(seed)
            previous = None
            for k in range(1, 6):
                got = attempt(fn, label=f"rand() after seed({seed})")
                expected = right.rand()
                if not isinstance(got, float):
                    raise Wrong(f"rand() after seed({seed}) returned {got!r}, not a float: return the number")
                if got == previous:
                    raise Wrong(f"rand() gave {got!r} twice in a row: store the new x, y, z back in rnd_state")
                if got >= 1 or got < 0:
                    raise Wrong(f"rand() gave {got!r}, outside [0, 1): the three fractions add up to between 0 and 3; "
                                "keep the part after the point, % 1.0")
                if got != expected:
                    raise Wrong(f"draw {k} after seed({seed}): {expected!r} expected, got {got!r} (exactly: the same "
                                "integers give the same float). Check each multiplier with its modulus: 171 and 30269, "
                                "172 and 30307, 170 and 30323")
                previous = got
            if tuple(names.get("rnd_state") or ()) != tuple(right.state):
                raise Wrong(f"after five draws rnd_state is {names.get('rnd_state')!r}, but should be "
                            f"{tuple(right.state)}: keep the new integers, rnd_state = x, y, z")
    finally:
        names["rnd_state"] = saved


rand = Exercise(
    "rand", "Wichmann-Hill's rand(): step x, y and z in the global rnd_state, return the sum of the fractions mod 1",
    rand_solution,
    ["rand changes rnd_state, so it must say `global rnd_state` first; then `x, y, z = rnd_state`.",
     "Step each: `x = (171 * x) % 30269` (and 172 with 30307, 170 with 30323), store them, `rnd_state = x, y, z`, "
     "and `return (x / 30269 + y / 30307 + z / 30323) % 1.0`."],
    with_advice(rand_judge, [("UnboundLocalError", "rand assigns to rnd_state, so Python treats it as a local "
                              "variable: write `global rnd_state` as rand's first line")]),
    in_notebook=True)


# -- reseeding a forked child ---------------------------------------------------------------------
def reseed_solution():
    wh.seed(wh.random_seed())  # fresh entropy from the operating system, different in every process
    torch.seed()


def _child_draws(fn, seconds):
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # an endless loop ends the child, not the kernel
    signal.setitimer(signal.ITIMER_REAL, seconds)
    fn()
    return [wh.rand() for _ in range(3)], torch.rand(3).tolist()


def reseed_judge(fn, solution):
    """Two forked children call fn, then draw from wh and torch; the parent draws without reseeding."""
    if not can_fork():
        raise Wrong(f"this check needs os.fork. {NO_FORK}")
    saved_wh, saved_torch = wh.rnd_state, torch.get_rng_state()
    try:
        wh.seed(SEEDS[0])
        torch.manual_seed(42)
        try:
            children = [in_forked_child(_child_draws, fn, 5.0) for _ in range(2)]
        except RuntimeError as e:
            died = "died" in str(e)
            raise Wrong("reseed() did not finish within 5 s in the child: does a loop never end?" if died
                        else f"reseed() failed {str(e).removeprefix('in the forked child: ')}".replace(
                            "failed ", "failed: ", 1)) from None
        parent = [wh.rand() for _ in range(3)], torch.rand(3).tolist()
    finally:
        wh.rnd_state = saved_wh
        torch.set_rng_state(saved_torch)
    (wh_child, torch_child), other = children
    if wh_child == parent[0]:
        raise Wrong("after reseed() the child's Wichmann-Hill numbers equal the parent's: reseed `wh` itself, "
                    "wh.seed(...) (the notebook's own seed() sets the notebook's rnd_state, not wh's)")
    if torch_child == parent[1]:
        raise Wrong("after reseed() the child's torch numbers equal the parent's: reseed torch too, torch.seed()")
    if other[0] == wh_child or other[1] == torch_child:
        raise Wrong("two children drew the same numbers: a fixed seed gives every child one same stream; seed from "
                    "something that differs per process (wh.random_seed() reads the OS's entropy, torch.seed() too)")


reseed = Exercise(
    "reseed", "reseed(): called first thing in a forked child, it reseeds wh and torch so the child draws its own numbers",
    reseed_solution,
    ["After a fork the child holds copies of both generators' states: each needs a new seed, one that differs "
     "from process to process.",
     "`wh.seed(wh.random_seed())` seeds Wichmann-Hill from the operating system's entropy; `torch.seed()` does "
     "the same for torch's global generator."],
    reseed_judge)


# -- a DataLoader's worker_init_fn ----------------------------------------------------------------
def worker_numbers(fn, torch_seed: int):
    torch.manual_seed(torch_seed)  # the loader's base seed comes from torch's global generator
    wh.seed(SEEDS[0])
    return loader_draws(n=8, workers=2, worker_init_fn=fn)


def worker_judge(fn, solution):
    """Three runs of a two-worker DataLoader: workers must differ, a seed must repeat, a new seed must not."""
    saved_wh, saved_torch = wh.rnd_state, torch.get_rng_state()
    try:
        try:
            first, again, other = (attempt(worker_numbers, fn, s, label="the DataLoader with your worker_init_fn",
                                           seconds=30) for s in (0, 0, 1))
        except Wrong as e:
            if "Original Traceback" not in str(e):
                raise
            error = str(e).strip().splitlines()[-1]  # the worker's own error, after its traceback
            raise Wrong(f"your worker_init_fn raised in a DataLoader worker: {error}") from None
    finally:
        wh.rnd_state = saved_wh
        torch.set_rng_state(saved_torch)
    workers = list(first.values())
    if len(workers) > 1 and workers[0] == workers[1]:
        raise Wrong("both workers drew the same numbers: worker_init_fn must reseed wh (the generator NoisyDigits "
                    "draws from) with a seed that differs per worker, torch.initial_seed()")
    if first != again:
        raise Wrong("the same torch seed gave different numbers: seed from torch.initial_seed() (the loader's base "
                    "seed plus the worker's id), not from the OS, so a seeded run repeats")
    if first == other:
        raise Wrong("a different torch seed gave the very same numbers, so every run (every epoch) repeats the same "
                    "augmentations: seed from torch.initial_seed(), not from worker_id alone")


worker_init_fn = Exercise(
    "worker_init_fn", "worker_init_fn(worker_id): reseed wh in each DataLoader worker from the seed torch gives it",
    reseed_worker,
    ["torch gives each worker its own seed, `torch.initial_seed()` inside the worker: the loader's base seed "
     "plus the worker's id. torch reseeds its own generator with it, but not ours.",
     "`wh.seed(torch.initial_seed() % 2**32)`: different in each worker, and the same again when torch is seeded."],
    worker_judge)

EXERCISES = [rand, reseed, worker_init_fn]
