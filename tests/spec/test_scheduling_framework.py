"""How many nodes the scheduler filters for, and which scored node it picks (spec/scheduling/framework.py).

The cases of ``test_nodes_to_find_matches_upstream`` are upstream's
``TestNumFeasibleNodesToFind`` (kubernetes/kubernetes
``pkg/scheduler/schedule_one_test.go``); the others are the formula worked out
at the cluster sizes named in the brief of issue 7.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec.scheduling.framework import (
    num_feasible_nodes_to_find,
    reservoir_tie_break,
    select_host,
    top_nodes,
)


@pytest.mark.requirement("SCHED-NODES-TO-SCORE")
@pytest.mark.parametrize(
    ("percentage", "nodes", "expected"),
    [
        (None, 10, 10),
        (40, 10, 10),
        (None, 1000, 420),
        (40, 1000, 400),
        (None, 6000, 300),
        (40, 6000, 2400),
    ],
)
def test_nodes_to_find_matches_upstream(percentage: int | None, nodes: int, expected: int) -> None:
    assert num_feasible_nodes_to_find(percentage, nodes) == expected


@pytest.mark.requirement("SCHED-NODES-TO-SCORE")
@pytest.mark.parametrize(
    ("nodes", "expected"),
    [
        (0, 0),
        (1, 1),
        (99, 99),  # below minFeasibleNodesToFind: every node
        (100, 100),  # 50 % of 100 is 50, raised to the minimum of 100
        (101, 100),  # 50 % of 101 is 50 (integer division)
        (1000, 420),  # 50 - 1000 / 125 = 42 %
        (5000, 500),  # 50 - 40 = 10 %
        (5624, 337),  # 50 - 44 = 6 %
        (5625, 281),  # 50 - 45 = 5 %, the floor
        (6000, 300),  # 50 - 48 = 2 %, floored to 5 %
    ],
)
def test_nodes_to_find_with_the_adaptive_percentage(nodes: int, expected: int) -> None:
    assert num_feasible_nodes_to_find(None, nodes) == expected


@pytest.mark.requirement("SCHED-NODES-TO-SCORE")
@pytest.mark.parametrize(
    ("percentage", "nodes", "expected"),
    [
        (0, 1000, 420),  # 0 means adaptive, as an unset value does
        (30, 1000, 300),
        (5, 1000, 100),  # never fewer than 100
        (100, 5000, 5000),
        (1, 50, 50),  # a small cluster is searched whole whatever the percentage
    ],
)
def test_nodes_to_find_with_an_explicit_percentage(percentage: int, nodes: int, expected: int) -> None:
    assert num_feasible_nodes_to_find(percentage, nodes) == expected


@pytest.mark.requirement("SCHED-NODES-TO-SCORE")
@given(st.integers(0, 20000), st.one_of(st.none(), st.integers(0, 100)))
def test_nodes_to_find_is_between_the_minimum_and_all_nodes(nodes: int, percentage: int | None) -> None:
    found = num_feasible_nodes_to_find(percentage, nodes)
    assert min(nodes, 100) <= found <= max(nodes, 100)
    if nodes >= 100:
        assert found >= 100


# -- selectHost -----------------------------------------------------------------------------------


def _first(tied: object) -> str:
    raise AssertionError(f"no tie expected: {tied}")


@pytest.mark.requirement("SCHED-SELECT-TOP")
def test_select_host_takes_the_highest_total() -> None:
    assert select_host({"a": 1, "b": 2}, _first) == "b"
    assert select_host({"a": 3}, _first) == "a"


@pytest.mark.requirement("SCHED-SELECT-TOP")
def test_select_host_leaves_ties_to_the_caller() -> None:
    # upstream TestSelectHost: machine1.1, 1.2, 1.3 tie at 3; machine2.1 has 2, machine3.1 has 1.
    scores = {"machine1.1": 3, "machine1.2": 3, "machine2.1": 2, "machine3.1": 1, "machine1.3": 3}
    assert top_nodes(scores) == ["machine1.1", "machine1.2", "machine1.3"]
    assert select_host(scores, lambda tied: tied[-1]) == "machine1.3"
    with pytest.raises(ValueError, match="not one of the top nodes"):
        select_host(scores, lambda tied: "machine2.1")


@pytest.mark.requirement("SCHED-SELECT-TOP")
def test_select_host_rejects_an_empty_list() -> None:
    with pytest.raises(ValueError, match="empty priorityList"):
        select_host({}, _first)


@pytest.mark.requirement("SCHED-SELECT-TOP")
def test_reservoir_tie_break_replays_upstreams_scan() -> None:
    tied = ["a", "b", "c"]
    # intn(2) == 0 takes b, intn(3) != 0 keeps it.
    answers = iter([0, 1])
    assert reservoir_tie_break(lambda n: next(answers))(tied) == "b"
    # A uniform source chooses each tied node about equally often.
    rng = random.Random(7)
    counts = Counter(reservoir_tie_break(rng.randrange)(tied) for _ in range(3000))
    assert set(counts) == set(tied)
    assert all(800 < count < 1200 for count in counts.values()), counts


@pytest.mark.requirement("SCHED-SELECT-TOP")
@given(st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 1200), min_size=1), st.randoms())
def test_the_selected_host_has_the_highest_total(scores: dict[str, int], rng: random.Random) -> None:
    chosen = select_host(scores, reservoir_tie_break(rng.randrange))
    assert scores[chosen] == max(scores.values())
