"""The reference scheduling loop (impl/scheduler/loop.py): the queue, binding down the ranked list, requeues.

Every check is computed from the spec, not from what the loop returns: the
ranked list from spec/scheduling/scores.py's totals
(``framework.ranking_errors``), the bindings tried against it
(``framework.bind_attempt_errors``). Broken loops show the checks fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impl.scheduler.core import ReferenceScheduler
from impl.scheduler.loop import CycleResult, SchedulingLoop
from invariants.snapshots import make_node, make_pod
from spec.objects.core import Pod
from spec.scheduling.filters import ClusterSnapshot, bind
from spec.scheduling.framework import bind_attempt_errors, ranked_nodes, ranking_errors
from spec.scheduling.scores import total_scores


@dataclass
class FailingBinder:
    """Binding fails on the nodes in ``failing``; every call is recorded."""

    failing: set[str] = field(default_factory=set)
    calls: list[tuple[str, str]] = field(default_factory=list)

    def bind(self, pod: Pod, node_name: str) -> str | None:
        self.calls.append((pod.metadata.name, node_name))
        return "Operation cannot be fulfilled" if node_name in self.failing else None


def cluster(cpus: list[int]) -> list:
    """Nodes whose free cpu differs, so that LeastAllocated ranks them."""
    return [make_node(f"node-{i}", cpu=f"{cpu}m", memory="8Gi") for i, cpu in enumerate(cpus)]


def loop_on(nodes: list, binder: FailingBinder, **options: object) -> SchedulingLoop:
    loop = SchedulingLoop(ReferenceScheduler(seed=3), binder, **options)  # type: ignore[arg-type]
    for node in nodes:
        loop.node_added_or_changed(node, now=0.0)
    return loop


def spec_ranking(pod: Pod, snapshot: ClusterSnapshot, first: str) -> list[str]:
    totals = total_scores(pod, list(snapshot.nodes), snapshot)
    return ranked_nodes(totals, first)


# -- SCHED-RANKED: the decision's ranked list ------------------------------------------------------


@pytest.mark.requirement("SCHED-RANKED")
@settings(max_examples=40, deadline=None)
@given(cpus=st.lists(st.sampled_from([1000, 2000, 3000, 4000]), min_size=1, max_size=8))
def test_the_reference_ranks_every_scored_node_by_the_spec_totals(cpus: list[int]) -> None:
    nodes = cluster(cpus)
    snapshot = ClusterSnapshot(tuple(nodes))
    pod = make_pod("web", cpu="500m", memory="1Gi")
    decision = ReferenceScheduler(seed=1).schedule_objects(pod, snapshot)
    totals = total_scores(pod, list(nodes), snapshot)
    assert ranking_errors(decision["rankedNodes"], totals, decision["nodeName"]) == []


def test_ranking_errors_rejects_bad_rankings() -> None:
    totals = {"a": 300, "b": 200, "c": 100}
    assert ranking_errors(["a", "b", "c"], totals, "a") == []
    assert ranking_errors(["a", "c", "b"], totals, "a")  # out of order
    assert ranking_errors(["b", "a", "c"], totals, "a")  # not the selected node first
    assert ranking_errors(["a", "b"], totals, "a")  # a node missing
    assert ranking_errors(["a", "b", "b", "c"], totals, "a")  # a node twice
    # Ties: the selected node may be any top node, the rest follow by total.
    tied = {"a": 300, "b": 300, "c": 100}
    assert ranking_errors(["b", "a", "c"], tied, "b") == []


def test_ranked_nodes_keeps_scoring_order_among_equal_totals() -> None:
    assert ranked_nodes({"x": 5, "y": 9, "z": 5, "w": 9}, "w") == ["w", "y", "x", "z"]
    with pytest.raises(ValueError, match="not among the scored"):
        ranked_nodes({"x": 1}, "q")


# -- SCHED-BIND-NEXT: binding down the ranked list ------------------------------------------------


@pytest.mark.requirement("SCHED-BIND-NEXT")
@settings(max_examples=60, deadline=None)
@given(
    cpus=st.lists(st.sampled_from([1000, 2000, 3000, 4000]), min_size=1, max_size=6),
    failing=st.sets(st.integers(0, 5)),
)
def test_a_failed_binding_moves_down_the_ranked_list(cpus: list[int], failing: set[int]) -> None:
    nodes = cluster(cpus)
    binder = FailingBinder({f"node-{i}" for i in failing})
    loop = loop_on(nodes, binder)
    pod = make_pod("web", cpu="500m", memory="1Gi")
    loop.pod_added_or_changed(pod, now=0.0)
    snapshot = loop.snapshot()
    result = loop.schedule_one(now=0.0)
    assert result is not None
    ranked = spec_ranking(pod, snapshot, result.attempts[0][0])
    tried = [(node, error is None) for node, error in result.attempts]
    assert bind_attempt_errors(tried, ranked) == []
    if result.outcome == "bound":
        assert loop.bound["default/web"].spec.node_name == result.node_name == tried[-1][0]
    else:
        assert result.outcome == "bind-failed"
        assert set(binder.failing) >= {n.metadata.name for n in nodes}
        assert loop.queue.pending()["backoff"] == ["default/web"]


def test_bind_attempt_errors_rejects_what_the_seed_forbids() -> None:
    ranked = ["a", "b", "c"]
    assert bind_attempt_errors([("a", False), ("b", True)], ranked) == []
    assert bind_attempt_errors([("a", False), ("b", False), ("c", False)], ranked) == []
    assert bind_attempt_errors([("a", False), ("c", True)], ranked)  # skipped b
    assert bind_attempt_errors([("a", False), ("a", True)], ranked)  # the same node again
    assert bind_attempt_errors([("a", False)], ranked)  # gave up with nodes left
    assert bind_attempt_errors([("a", True), ("b", True)], ranked)  # went on after a success


class GiveUpAtOnceLoop(SchedulingLoop):
    """Seeded bug: "next-ranked" mode that gives up after the first failed binding."""

    def schedule_one(self, now: float) -> CycleResult | None:
        self.on_bind_failure = "requeue"
        try:
            return super().schedule_one(now)
        finally:
            self.on_bind_failure = "next-ranked"


def test_the_check_catches_a_loop_that_gives_up_after_one_failure() -> None:
    nodes = cluster([1000, 2000, 3000])
    pod = make_pod("web", cpu="500m", memory="1Gi")
    broken = GiveUpAtOnceLoop(ReferenceScheduler(seed=3), FailingBinder({"node-2"}))
    for node in nodes:
        broken.node_added_or_changed(node, now=0.0)
    broken.pod_added_or_changed(pod, now=0.0)
    snapshot = broken.snapshot()
    result = broken.schedule_one(now=0.0)
    assert result is not None and result.attempts == (("node-2", "Operation cannot be fulfilled"),)
    ranked = spec_ranking(pod, snapshot, "node-2")
    assert bind_attempt_errors([(n, e is None) for n, e in result.attempts], ranked) != []


def test_requeue_mode_tries_one_node_and_retries_after_the_backoff() -> None:
    binder = FailingBinder({"node-0"})
    loop = loop_on(cluster([4000]), binder, on_bind_failure="requeue")
    loop.pod_added_or_changed(make_pod("web", cpu="500m"), now=0.0)
    first = loop.schedule_one(now=0.0)
    assert first is not None and first.outcome == "bind-failed" and len(first.attempts) == 1
    assert loop.queue.pending()["backoff"] == ["default/web"]
    loop.tick(now=0.5)
    assert loop.schedule_one(now=0.5) is None  # still backing off (1 s after the first attempt)
    binder.failing.clear()
    loop.tick(now=1.0)
    second = loop.schedule_one(now=1.0)
    assert second is not None and second.outcome == "bound" and second.node_name == "node-0"


def test_an_unknown_bind_failure_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="on_bind_failure"):
        SchedulingLoop(ReferenceScheduler(), FailingBinder(), on_bind_failure="retry-forever")  # type: ignore[arg-type]


# -- the queue inside the loop ----------------------------------------------------------------------


@pytest.mark.requirement("SCHED-QUEUE-ORDER")
def test_the_loop_schedules_by_priority_then_arrival() -> None:
    binder = FailingBinder()
    loop = loop_on(cluster([8000]), binder)
    for now, (name, priority) in enumerate([("low", 0), ("high", 100), ("mid", 50), ("high-2", 100)]):
        loop.pod_added_or_changed(make_pod(name, cpu="100m", spec={"priority": priority}), now=float(now))
    while loop.schedule_one(now=10.0) is not None:
        pass
    assert [name for name, _ in binder.calls] == ["high", "high-2", "mid", "low"]


@pytest.mark.requirement("SCHED-QUEUE-MOVE")
def test_an_unschedulable_pod_waits_for_a_node_then_binds_there() -> None:
    binder = FailingBinder()
    loop = loop_on(cluster([1000]), binder)
    loop.pod_added_or_changed(make_pod("big", cpu="3"), now=0.0)
    result = loop.schedule_one(now=0.0)
    assert result is not None and result.outcome == "unschedulable"
    assert result.message == "0/1 nodes are available: 1 Insufficient cpu."
    assert loop.queue.pending()["unschedulable"] == ["default/big"]
    loop.tick(now=60.0)
    assert loop.schedule_one(now=60.0) is None  # no event yet: it keeps waiting
    loop.node_added_or_changed(make_node("large", cpu="4"), now=61.0)
    result = loop.schedule_one(now=61.0)
    assert result is not None and result.outcome == "bound" and result.node_name == "large"


def test_pods_of_other_schedulers_and_bound_pods_are_not_queued() -> None:
    loop = loop_on(cluster([4000]), FailingBinder())
    loop.pod_added_or_changed(make_pod("mine"), now=0.0)
    loop.pod_added_or_changed(make_pod("theirs", spec={"schedulerName": "other"}), now=0.0)
    loop.pod_added_or_changed(bind(make_pod("placed", cpu="1"), "node-0"), now=0.0)
    assert loop.queue.pending()["active"] == ["default/mine"]
    assert set(loop.bound) == {"default/placed"}
    # Bound by someone else while queued: it leaves the queue; deleted: it leaves the cache.
    loop.pod_added_or_changed(bind(make_pod("mine"), "node-0"), now=1.0)
    assert loop.queue.pending()["active"] == []
    loop.pod_removed("default/placed", now=2.0)
    assert set(loop.bound) == {"default/mine"}


# -- the columnar scheduler fed incrementally decides as the plain one fed whole snapshots ------------------


@settings(max_examples=30, deadline=None)
@given(
    cpus=st.lists(st.sampled_from([1000, 2000, 4000]), min_size=1, max_size=6),
    requests=st.lists(st.sampled_from([100, 300, 700, 1500]), min_size=1, max_size=20),
    failing=st.sets(st.integers(0, 5), max_size=2),
    removed=st.sets(st.integers(0, 19), max_size=4),
)
def test_the_incremental_columnar_loop_binds_as_the_plain_loop(
    cpus: list[int], requests: list[int], failing: set[int], removed: set[int]
) -> None:
    """The loop hands the columnar scheduler a snapshot only after cluster events and tells it of its
    own bindings with ``assume``; every cycle must still equal the plain scheduler's on whole snapshots."""
    from impl.scheduler.columnar import ColumnarScheduler

    nodes = cluster(cpus)
    failing_names = {f"node-{i}" for i in failing}
    plain = loop_on(nodes, FailingBinder(set(failing_names)))
    fast = SchedulingLoop(ColumnarScheduler(seed=3), FailingBinder(set(failing_names)))
    for node in nodes:
        fast.node_added_or_changed(node, now=0.0)
    for index, milli in enumerate(requests):
        pod = make_pod(f"p{index}", cpu=f"{milli}m")
        for loop in (plain, fast):
            loop.pod_added_or_changed(pod, now=float(index))
        if index in removed:  # a bound pod goes away: an event, so the next cycle sees a snapshot
            gone = f"default/p{index - 1}"
            for loop in (plain, fast):
                loop.pod_removed(gone, now=float(index))
        results = [loop.schedule_one(now=float(index)) for loop in (plain, fast)]
        assert results[0] == results[1]
    assert plain.bound == fast.bound
