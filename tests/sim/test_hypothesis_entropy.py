"""HypothesisEntropy: Hypothesis drives the run, replays it exactly and shrinks it."""

from __future__ import annotations

import ast
import re

import pytest
from hypothesis import given, reproduce_failure, settings
from hypothesis import strategies as st

from conformance.strategies.entropy import HypothesisEntropy
from impl.sim import NetworkConfig, SeededEntropy, Simulation
from tests.sim.helpers import MS, records
from tests.sim.scenarios import chaos_run


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_after_max_draws_the_drawn_seed_takes_over(data: st.DataObject) -> None:
    entropy = HypothesisEntropy(data, max_draws=5)
    for _ in range(5):
        assert 0.0 <= entropy.random() < 1.0
    assert entropy.remaining_draws == 0
    expected = SeededEntropy(entropy.fallback_seed)
    assert [entropy.random() for _ in range(50)] == [expected.random() for _ in range(50)]
    assert [entropy.randint(3, 9) for _ in range(50)] == [expected.randint(3, 9) for _ in range(50)]
    fork = entropy.fork("p")
    expected_fork = SeededEntropy(entropy.fallback_seed).fork("p")
    assert [fork.choice("abcdef") for _ in range(50)] == [expected_fork.choice("abcdef") for _ in range(50)]


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_forks_share_the_draw_budget(data: st.DataObject) -> None:
    entropy = HypothesisEntropy(data, max_draws=3)
    fork = entropy.fork("a")
    fork.random()
    fork.fork("b").randint(0, 5)
    assert entropy.remaining_draws == 1
    entropy.choice([1, 2])
    assert fork.remaining_draws == 0
    with pytest.raises(ValueError, match="empty range"):
        fork.randint(1, 0)
    with pytest.raises(IndexError):
        fork.choice([])


@settings(max_examples=5, deadline=None)
@given(st.data())
def test_a_run_far_longer_than_the_budget_completes(data: st.DataObject) -> None:
    entropy = HypothesisEntropy(data, max_draws=50)
    sim = chaos_run(entropy)
    assert entropy.remaining_draws == 0
    assert sim.events_processed > 100


def test_max_draws_is_validated() -> None:
    @settings(max_examples=1, deadline=None)
    @given(st.data())
    def construct(data: st.DataObject) -> None:
        HypothesisEntropy(data, max_draws=-1)

    with pytest.raises(ValueError, match="max_draws must be an int >= 0"):
        construct()


def _traces_of_every_example() -> list[str]:
    traces: list[str] = []

    @settings(max_examples=15, deadline=None, derandomize=True, database=None)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        traces.append(chaos_run(HypothesisEntropy(data, max_draws=300)).trace.render())

    run()
    return traces


def test_the_same_drawn_choices_give_the_same_trace() -> None:
    # derandomize=True makes Hypothesis generate the same choices on both
    # runs, so every example's trace must come out identical.
    first = _traces_of_every_example()
    second = _traces_of_every_example()
    assert first == second
    assert len(set(first)) > 5


def _burst_keeps_order(data: st.DataObject, failing: list[str]) -> None:
    """A property that is false: with reordering on, a burst may arrive out of order."""
    sim = Simulation(
        HypothesisEntropy(data, max_draws=100),
        NetworkConfig(min_latency_ns=MS, max_latency_ns=5 * MS, duplicate_rate=0.2, reorder_rate=0.2),
    )
    inbox = sim.mailbox("b")
    sim.add_mailbox("a")
    count = data.draw(st.integers(min_value=1, max_value=10), label="messages")
    for i in range(count):
        sim.send_external("a", "b", i)
    sim.run()
    order = [p for _, p in inbox]
    if order != sorted(order):
        failing.append(sim.trace.render())
        raise AssertionError("out of order:\n" + sim.trace.render())


def test_hypothesis_shrinks_to_a_minimal_fault_and_replays_it_with_the_same_trace() -> None:
    failing: list[str] = []

    def body(data: st.DataObject) -> None:
        _burst_keeps_order(data, failing)

    search = settings(
        derandomize=True, database=None, print_blob=True, max_examples=500, deadline=None
    )(given(st.data())(body))
    with pytest.raises(AssertionError, match="out of order") as caught:
        search()
    minimal = failing[-1]  # Hypothesis re-runs the shrunk example last, to report it
    # Shrinking towards 0 means "no fault": the minimal run is two messages,
    # the first one reordered, nothing duplicated.
    lines = minimal.split("\n")
    assert sum(" send " in line for line in lines) == 2, minimal
    assert sum(" reorder " in line for line in lines) == 1, minimal
    assert not any(" duplicate " in line for line in lines), minimal

    # Replay the reported example the way a developer would, with the
    # @reproduce_failure blob Hypothesis printed: same choices, same trace.
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    found = re.search(r"@reproduce_failure\('([^']+)', (b'[^']*')\)", notes)
    assert found, notes
    version, blob = found.group(1), ast.literal_eval(found.group(2))
    failing.clear()
    replay = reproduce_failure(version, blob)(
        settings(database=None, deadline=None)(given(st.data())(body))
    )
    with pytest.raises(AssertionError, match="out of order"):
        replay()
    assert failing and all(trace == minimal for trace in failing)


def test_hypothesis_driven_network_draws_stay_within_bounds() -> None:
    @settings(max_examples=30, deadline=None)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        sim = Simulation(
            HypothesisEntropy(data, max_draws=40),
            NetworkConfig(min_latency_ns=2 * MS, max_latency_ns=4 * MS, reorder_rate=0.5),
        )
        sim.add_mailbox("a")
        sim.add_mailbox("b")
        for i in range(30):
            sim.send_external("a", "b", i)
        sim.run()
        reordered = {r.payload for r in records(sim, "reorder")}
        for envelope in sim.mailbox("b").envelopes:
            limit = 8 * MS if envelope.payload in reordered else 4 * MS
            assert 2 * MS <= envelope.time <= limit

    check()
