"""What a child process does to generator states: fork copies them, spawn does not, reseeding fixes it."""

import os

import pytest
import torch

from deeper import forking
from deeper import wichmann_hill as wh
from deeper.torch_rng import read_state


def test_a_forked_child_draws_what_the_parent_draws():
    wh.seed(457428938475)
    torch.manual_seed(1)
    result = forking.fork_draws(3)
    assert result.method == "fork" and result.note == ""
    assert result.parent == result.child and result.torch_parent == result.torch_child


def test_a_reseeded_child_draws_its_own_numbers():
    result = forking.fork_draws(3, wh.WichmannHill(1), torch.Generator(), reseed_child=True)
    assert result.parent != result.child and result.torch_parent != result.torch_child


def test_the_child_sees_the_parents_objects_as_they_were_at_the_fork():
    rng = wh.WichmannHill(5)
    result = forking.fork_draws(2, rng)
    fresh = wh.WichmannHill(5)
    assert result.child == [fresh.rand(), fresh.rand()]
    assert rng.state != wh.seed_state(5)  # the parent's own draws moved its state


def test_an_error_in_the_forked_child_comes_back_to_the_parent():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        forking.in_forked_child(lambda: 1 / 0)


def test_without_fork_a_spawned_child_starts_fresh_and_says_so(monkeypatch):
    monkeypatch.delattr(os, "fork")
    wh.seed(457428938475)
    result = forking.fork_draws(3)
    assert result.method == "spawn" and "os.fork does not exist" in result.note
    assert result.child != result.parent


def test_dataloader_workers_repeat_each_other_without_worker_init_fn():
    wh.seed(1)
    per_worker = forking.loader_draws(n=6, workers=2)
    assert sorted(per_worker) == [0, 1] and per_worker[0] == per_worker[1]


def test_reseed_worker_gives_each_worker_its_own_numbers():
    wh.seed(1)
    per_worker = forking.loader_draws(n=6, workers=2, worker_init_fn=forking.reseed_worker)
    assert per_worker[0] != per_worker[1]


def test_torch_state_reads_seed_position_and_words():
    gen = torch.Generator()
    gen.manual_seed(42)
    torch.rand(5, generator=gen)
    state = read_state(gen)
    assert (state.initial_seed, state.position, state.words.shape) == (42, 5, (624,))
