"""Wichmann-Hill against values worked out by hand from AS 183's recurrences:
x <- 171 x mod 30269, y <- 172 y mod 30307, z <- 170 z mod 30323, u = (x/30269 + y/30307 + z/30323) mod 1."""

import pytest
import torch

from deeper import wichmann_hill as wh
from deeper.wichmann_hill import State, WichmannHill, rand_torch, seed_state, step, value


def test_seed_peels_x_y_z_off_with_divmod():
    # 457428938475 = 15112625 * 30268 + 4975  -> x = 4975 + 1
    # 15112625     =      498 * 30306 + 20237 -> y = 20237 + 1
    # 498          =        0 * 30322 + 498   -> z = 498 + 1
    assert seed_state(457428938475) == State(4976, 20238, 499)


def test_seed_zero_starts_every_generator_at_one():
    assert seed_state(0) == State(1, 1, 1)
    # 30273 = 1 * 30268 + 5 -> x = 6; 1 = 0 * 30306 + 1 -> y = 2; z = 0 + 1
    assert seed_state(30273) == State(6, 2, 1)


def test_three_steps_from_seed_zero_by_hand():
    s1 = step(State(1, 1, 1))
    assert s1 == State(171, 172, 170)  # just the multipliers
    s2 = step(s1)
    assert s2 == State(29241, 29584, 28900)  # 171^2, 172^2, 170^2: all still below their moduli
    s3 = step(s2)
    # 171 * 29241 = 5000211 = 165 * 30269 + 5826
    # 172 * 29584 = 5088448 = 167 * 30307 + 27179
    # 170 * 28900 = 4913000 = 162 * 30323 + 674
    assert s3 == State(5826, 27179, 674)


def test_values_by_hand():
    # 171/30269 + 172/30307 + 170/30323 = 0.0056493 + 0.0056753 + 0.0056063 = 0.0169309
    assert value(State(171, 172, 170)) == pytest.approx(0.0169309062, abs=1e-10)
    # 0.9660379 + 0.9761441 + 0.9530719 = 2.8952539 -> mod 1 = 0.8952539
    assert value(State(29241, 29584, 28900)) == pytest.approx(0.8952539112, abs=1e-10)


def test_the_global_seed_and_rand_follow_the_recurrence():
    wh.seed(0)
    assert wh.rnd_state == State(1, 1, 1)
    assert wh.rand() == value(State(171, 172, 170))
    assert wh.rand() == value(State(29241, 29584, 28900))
    assert wh.rnd_state == State(29241, 29584, 28900)


def test_an_object_carries_its_own_state():
    a, b = WichmannHill(0), WichmannHill(0)
    first = [a.rand() for _ in range(3)]
    assert b.state == State(1, 1, 1)  # drawing from a did not move b
    assert [b.rand() for _ in range(3)] == first


def test_saving_and_restoring_the_state_replays_the_same_numbers():
    g = WichmannHill(42)
    saved = g.getstate()
    first = [g.rand() for _ in range(5)]
    g.setstate(saved)
    assert [g.rand() for _ in range(5)] == first


def test_object_and_global_versions_agree():
    wh.seed(457428938475)
    g = WichmannHill(457428938475)
    assert [wh.rand() for _ in range(100)] == [g.rand() for _ in range(100)]


@pytest.mark.parametrize("n", [1, 2, 30268, 30269, 61000])  # across each generator's period m - 1
def test_vectorised_version_gives_the_same_numbers_and_state(n):
    g = WichmannHill(457428938475)
    numbers, state = rand_torch(n, g.state)
    expected = [g.rand() for _ in range(n)]
    assert numbers.dtype == torch.float64
    assert numbers.tolist() == expected
    assert state == g.state


def test_vectorised_version_of_nothing_is_empty():
    numbers, state = rand_torch(0, State(1, 1, 1))
    assert numbers.shape == (0,) and state == State(1, 1, 1)


def test_numbers_are_uniform_enough():
    numbers, _ = rand_torch(100_000, seed_state(1))
    assert 0 <= numbers.min() and numbers.max() < 1
    assert abs(numbers.mean().item() - 0.5) < 0.01
    assert torch.histc(numbers, bins=10, min=0, max=1).min() > 9_000


@pytest.mark.parametrize("bad", [1.5, "42", None, True, [1, 2]])
def test_a_seed_of_the_wrong_type_is_a_clear_error(bad):
    with pytest.raises(TypeError, match="seed must be an int"):
        wh.seed(bad)
    with pytest.raises(TypeError, match="seed must be an int"):
        WichmannHill(bad) if bad is not None else seed_state(bad)


@pytest.mark.parametrize("bad", [(0, 0, 0), (0, 1, 1), (1, 1, 30323), (30269, 1, 1), (-5, 1, 1), (1, 30307, 1)])
def test_a_state_out_of_range_is_refused_not_stuck_at_zero(bad):
    g = WichmannHill(1)
    with pytest.raises(ValueError, match=r"x in 1\.\.30268, y in 1\.\.30306 and z in 1\.\.30322.*0\.0 forever"):
        g.setstate(bad)
    assert g.getstate() == seed_state(1)  # the generator is as it was
    with pytest.raises(ValueError, match="needs x in"):
        rand_torch(5, bad)


@pytest.mark.parametrize("bad", [("a", 1, 1), (1, 2), (1, 2, 3, 4), (1.0, 2, 3), (True, 1, 1), "abc", None, 7])
def test_a_state_of_the_wrong_kind_is_a_clear_error(bad):
    g = WichmannHill(1)
    with pytest.raises(TypeError, match=r"three whole numbers \(x, y, z\), as getstate\(\) returns"):
        g.setstate(bad)
    assert g.getstate() == seed_state(1)


def test_the_largest_states_are_accepted():
    g = WichmannHill()
    g.setstate([30268, 30306, 30322])
    assert g.getstate() == State(30268, 30306, 30322) and 0 < g.rand() < 1
