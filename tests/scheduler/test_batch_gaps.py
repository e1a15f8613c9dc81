"""The scheduler machine's batch check: greedy gaps are found and recorded as information, not failures."""

from __future__ import annotations

from typing import Any, cast

from conformance.scheduler.machine import machine_for
from impl.scheduler.core import ReferenceSchedulerProvider
from invariants.snapshots import make_node, make_pod


def test_a_gap_of_greedy_placement_is_recorded() -> None:
    machine_class = machine_for(ReferenceSchedulerProvider())
    machine = machine_class()
    machine.nodes = [make_node("big", cpu="2"), make_node("small", cpu="1")]
    data = cast(Any, None)  # no preemption among equal priorities: nothing is drawn
    machine._decide(make_pod("first", cpu="1"), data)  # LeastAllocated: onto "big"
    machine._decide(make_pod("second", cpu="2"), data)  # fits nowhere now; first on small would fit both
    assert [p.spec.node_name for p in machine.pods] == ["big"]
    assert [p.metadata.name for p in machine.pending] == ["second"]
    machine.teardown()
    assert machine_class.batch_gaps == [
        "1 pod(s) left pending on 2 nodes that a joint placement of all 2 pods fits"
    ]


def test_no_gap_when_nothing_could_fit_anyway() -> None:
    machine_class = machine_for(ReferenceSchedulerProvider())
    machine = machine_class()
    machine.nodes = [make_node("only", cpu="1")]
    machine._decide(make_pod("first", cpu="1"), cast(Any, None))
    machine._decide(make_pod("second", cpu="1"), cast(Any, None))
    machine.teardown()
    assert machine_class.batch_gaps == []
