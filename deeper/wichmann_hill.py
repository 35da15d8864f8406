"""Wichmann-Hill (Applied Statistics algorithm AS 183, 1982): three small multiplicative
congruential generators whose scaled sum, mod 1, is one uniform number.

    x <- 171 x mod 30269,  y <- 172 y mod 30307,  z <- 170 z mod 30323
    u  = (x / 30269 + y / 30307 + z / 30323) mod 1

Three ways to hold the state: explicit `State` values with pure functions (`seed_state`, `step`,
`value`); a `WichmannHill` object; and the lesson's module-level `seed()`/`rand()` on a global
`rnd_state`. `rand_torch` draws n numbers at once by jumping ahead, to show that the algorithm was
never the slow part: Python's one-number-at-a-time loop was.
"""

import functools
import os
from numbers import Integral
from typing import NamedTuple

import torch

A = (171, 172, 170)  # the multipliers
M = (30269, 30307, 30323)  # the moduli: three primes


class State(NamedTuple):
    """The generator's whole state: three integers, x in 1..30268, y in 1..30306, z in 1..30322."""
    x: int
    y: int
    z: int


def seed_state(a) -> State:
    """The lesson's seeding: peel x, y and z off `a` with divmod (each + 1, so never 0)."""
    if isinstance(a, bool) or not isinstance(a, Integral):
        raise TypeError(f"seed must be an int, got {a!r} (a {type(a).__name__}); e.g. seed(457428938475)")
    a, x = divmod(int(a), 30268)
    a, y = divmod(a, 30306)
    a, z = divmod(a, 30322)
    return State(x + 1, y + 1, z + 1)


def check_state(state) -> State:
    """`state` as a State, or an error saying what a state is: three whole numbers, x in 1..30268,
    y in 1..30306, z in 1..30322 (a 0 would stay 0 forever: 171 * 0 mod 30269 is 0)."""
    if not isinstance(state, (tuple, list)) or len(state) != 3 or not all(
            isinstance(s, Integral) and not isinstance(s, bool) for s in state):
        raise TypeError(f"a Wichmann-Hill state is three whole numbers (x, y, z), as getstate() returns; got {state!r}")
    if not all(1 <= s < m for s, m in zip(state, M)):
        raise ValueError(f"a Wichmann-Hill state needs x in 1..30268, y in 1..30306 and z in 1..30322 "
                         f"(0 would stay 0 forever, and rand() return 0.0 forever); got {tuple(state)!r}")
    return State(*map(int, state))


def step(state: State) -> State:
    """One step of each of the three generators."""
    return State(*((a * s) % m for a, s, m in zip(A, state, M)))


def value(state: State) -> float:
    """The uniform number a state stands for: the three fractions summed, mod 1."""
    x, y, z = state
    return (x / 30269 + y / 30307 + z / 30323) % 1.0


def random_seed() -> int:
    """A seed from the operating system, as Python's `random` seeds itself at import."""
    return int.from_bytes(os.urandom(8), "little")


class WichmannHill:
    """A generator that carries its own state: many can run side by side without touching each other."""

    def __init__(self, seed: int | None = None):
        self.state = seed_state(random_seed() if seed is None else seed)

    def seed(self, a: int) -> None:
        self.state = seed_state(a)

    def rand(self) -> float:
        self.state = step(self.state)
        return value(self.state)

    def getstate(self) -> State:
        return self.state

    def setstate(self, state) -> None:
        """Go back to a state `getstate()` gave; anything else is an error, never a generator stuck at 0."""
        self.state = check_state(state)


# The lesson's version: one global state, as Python's `random` module has.
rnd_state: State = seed_state(random_seed())


def seed(a: int) -> None:
    global rnd_state
    rnd_state = seed_state(a)


def rand() -> float:
    global rnd_state
    rnd_state = step(rnd_state)
    return value(rnd_state)


@functools.cache
def _powers(a: int, m: int) -> torch.Tensor:
    """a^1 .. a^(m-1) mod m, built by doubling; a^(m-1) = 1 mod m (m prime), so this is a full period."""
    powers = torch.tensor([a], dtype=torch.int64)
    while len(powers) < m - 1:
        powers = torch.cat([powers, powers * powers[-1] % m])
    return powers[:m - 1]


def _stream(s0: int, a: int, m: int, n: int) -> tuple[torch.Tensor, int]:
    """One period (at most n long) of s_k / m for k = 1, 2, ..., and s_n. Since s_k = a^k s_0 mod m,
    every k is one jump from s_0."""
    return (_powers(a, m)[:n] * s0 % m).double() / m, pow(a, n, m) * s0 % m


def rand_torch(n: int, state: State) -> tuple[torch.Tensor, State]:
    """The next `n` numbers after `state` as a float64 tensor (the very numbers `rand()` would give),
    and the state after them."""
    state = check_state(state)
    u = torch.zeros(max(n, 0), dtype=torch.float64)
    if n < 1:
        return u, state
    last = []
    for s0, a, m in zip(state, A, M):
        # 1. one period of this generator, each s_k reached in one jump from s_0
        period, s_n = _stream(s0, a, m, n)
        last.append(s_n)
        # 2. add it over u period by period (blocks stay in cache; nothing n long is allocated)
        for start in range(0, n, len(period)):
            block = u[start:start + len(period)]
            block += period[:len(block)]
    # 3. mod 1: the sum is in [0, 3), so dropping the integer part is exact
    return u.frac_(), State(*last)
