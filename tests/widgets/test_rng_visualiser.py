"""The RNG-state visualiser in pure Python: click the buttons, assert on the traits and messages."""

import os

import pytest

from deeper.wichmann_hill import WichmannHill, seed_state
from widgets.rng_visualiser import FORK_DRAWS, RNGVisualiser


@pytest.fixture
def vis():
    return RNGVisualiser(seed=0)


def test_seeding_shows_the_three_state_integers(vis):
    assert vis.rng.state == seed_state(0) == (1, 1, 1)
    assert "x = 1" in vis.state.value and "y = 1" in vis.state.value and "z = 1" in vis.state.value
    assert bytes(vis.image.value).startswith(b"\x89PNG")


def test_draw_1_steps_the_state_by_the_recurrence(vis):
    vis.draw1_button.click()
    assert "x = 171" in vis.state.value and "y = 172" in vis.state.value and "z = 170" in vis.state.value
    assert vis.values == [WichmannHill(0).rand()]


def test_draw_100_adds_a_hundred_and_redraws(vis):
    before = vis.image.value
    vis.draw100_button.click()
    assert len(vis.values) == len(vis.states) == len(vis.torch_values) == 100
    assert "100 drawn" in vis.state.value and "100 drawn" in vis.torch_state.value
    assert vis.image.value != before


def test_the_torch_generator_follows_the_same_seed(vis):
    vis.seed_box.value = "7"
    vis.seed_button.click()
    assert "initial seed 7" in vis.torch_state.value and "next word 0 of 624" in vis.torch_state.value
    vis.draw1_button.click()
    assert "next word 1 of 624" in vis.torch_state.value


def test_seeding_again_replays_the_same_numbers(vis):
    vis.draw100_button.click()
    first = list(vis.values)
    vis.seed_button.click()
    assert vis.values == []
    vis.draw100_button.click()
    assert vis.values == first


def test_fork_shows_parent_and_child_drawing_the_same_numbers(vis):
    vis.fork_button.click()
    assert "the same" in vis.fork_output.value
    assert vis.fork_output.value.count("<td>same</td>") == FORK_DRAWS
    assert len(vis.values) == len(vis.states) == FORK_DRAWS
    assert vis.states[-1] == vis.rng.state  # the parent's history continues from where it was


def test_fork_with_a_reseeding_child_differs(vis):
    vis.reseed_child.value = True
    vis.fork_button.click()
    assert "different" in vis.fork_output.value


def test_fork_without_os_fork_explains_and_spawns(vis, monkeypatch):
    monkeypatch.delattr(os, "fork")
    vis.fork_button.click()
    assert not vis.message.error
    assert "os.fork does not exist" in vis.message.value and "spawn" in vis.message.value
    assert vis.fork_output.value.startswith("<div>spawn")
    assert len(vis.values) == FORK_DRAWS


@pytest.mark.parametrize("bad", ["abc", "1.5", ""])
def test_a_seed_that_is_not_an_int_is_a_message_and_nothing_changes(vis, bad):
    vis.draw1_button.click()
    vis.seed_box.value = bad
    vis.seed_button.click()
    assert f"the seed must be a whole number, such as 42 or -5; got {bad!r}" == vis.message.error  # not about types
    assert len(vis.values) == 1 and vis.rng.state == (171, 172, 170)


def test_a_negative_or_huge_seed_is_fine(vis):
    for seed in ["-5", str(2**70)]:
        vis.seed_box.value = seed
        vis.seed_button.click()
        assert not vis.message.error


def test_controls_carry_dom_classes_for_the_browser_tests(vis):
    assert "deeper-draw1" in vis.draw1_button._dom_classes
    assert "deeper-fork" in vis.fork_button._dom_classes
    assert "deeper-state" in vis.state._dom_classes


def test_the_count_of_draws_says_where_it_comes_from(vis):
    vis.draw100_button.click()
    assert "100 drawn ·" in vis.state.value  # only the Draw buttons so far: nothing to explain
    vis.fork_button.click()
    assert f"{100 + FORK_DRAWS} drawn (100 by the Draw buttons, {FORK_DRAWS} by the parent after Fork)" in vis.state.value
    assert "<th>parent and child</th>" in vis.fork_output.value  # the same/differ column is labelled
