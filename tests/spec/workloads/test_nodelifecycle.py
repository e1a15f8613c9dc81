"""spec/workloads/nodelifecycle.py: Ready=Unknown after the grace period, the taints of a Ready status,
and the taint manager's eviction delay. The cases follow those of k/k
``pkg/controller/tainteviction/taint_eviction_test.go`` (TestCreatePod, TestUpdateNode,
TestUpdateNodeWithMultipleTaints: not tolerated -> at once, tolerationSeconds -> after the smallest,
none -> never) and ``pkg/controller/nodelifecycle/node_lifecycle_controller_test.go``
(TestMonitorNodeHealthUpdateStatus: Unknown once the grace period is over)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec.objects.core import Taint, Toleration
from spec.workloads.nodelifecycle import (
    NODE_MONITOR_GRACE_PERIOD_S,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    earliest_eviction,
    eviction_delay,
    noexecute_taints,
    ready_after_probe,
)

UNREACHABLE = Taint(key=TAINT_UNREACHABLE, effect="NoExecute")
NOT_READY = Taint(key=TAINT_NOT_READY, effect="NoExecute")


def tolerate(key: str, seconds: int | None, effect: str = "NoExecute") -> Toleration:
    return Toleration(key=key, operator="Exists", effect=effect, toleration_seconds=seconds)


def test_grace_period_is_the_v1_32_default() -> None:
    assert NODE_MONITOR_GRACE_PERIOD_S == 50.0


@pytest.mark.requirement("NODE-LIFECYCLE-READY-UNKNOWN")
@given(st.sampled_from(["True", "False", "Unknown"]), st.floats(0, 1000), st.floats(0, 200))
def test_unknown_only_after_the_grace_period(ready: str, probe: float, elapsed: float) -> None:
    after = ready_after_probe(ready, probe, probe + elapsed)
    if elapsed > NODE_MONITOR_GRACE_PERIOD_S:
        assert after == "Unknown"
    else:
        assert after == ready


@pytest.mark.requirement("NODE-LIFECYCLE-UNREACHABLE-TAINT")
def test_taints_follow_the_ready_condition() -> None:
    assert noexecute_taints("Unknown", False) == {TAINT_UNREACHABLE}
    assert noexecute_taints("False", False) == {TAINT_NOT_READY}
    assert noexecute_taints("True", False) == frozenset()
    # Master disruption mode: nothing tainted.
    assert noexecute_taints("Unknown", True) == frozenset()
    assert noexecute_taints("False", True) == frozenset()


@pytest.mark.requirement("NODE-LIFECYCLE-EVICT-AFTER-TOLERATION", "NODE-LIFECYCLE-NO-EARLY-EVICTION")
@pytest.mark.parametrize(
    ("tolerations", "taints", "delay"),
    [
        ([], [UNREACHABLE], 0.0),  # not tolerated: at once
        ([tolerate(TAINT_NOT_READY, 300)], [UNREACHABLE], 0.0),  # tolerates another key only
        ([tolerate(TAINT_UNREACHABLE, 300, effect="NoSchedule")], [UNREACHABLE], 0.0),  # another effect
        ([tolerate(TAINT_UNREACHABLE, 300)], [UNREACHABLE], 300.0),
        ([tolerate(TAINT_UNREACHABLE, None)], [UNREACHABLE], None),  # forever
        ([tolerate(TAINT_UNREACHABLE, -5)], [UNREACHABLE], 0.0),  # negative is 0
        ([tolerate("", 20)], [UNREACHABLE, NOT_READY], 20.0),  # empty key, Exists: every taint
        ([tolerate(TAINT_UNREACHABLE, 30), tolerate(TAINT_NOT_READY, 10)], [UNREACHABLE, NOT_READY], 10.0),
        ([tolerate(TAINT_UNREACHABLE, 30)], [UNREACHABLE, NOT_READY], 0.0),  # one taint not tolerated
        ([tolerate(TAINT_UNREACHABLE, None), tolerate(TAINT_UNREACHABLE, 40)], [UNREACHABLE], 40.0),
        ([tolerate(TAINT_UNREACHABLE, 30)], [Taint(key=TAINT_UNREACHABLE, effect="NoSchedule")], None),
        ([], [], None),
    ],
)
def test_eviction_delay(tolerations: list[Toleration], taints: list[Taint], delay: float | None) -> None:
    assert eviction_delay(tolerations, taints) == delay


def test_earliest_eviction() -> None:
    assert earliest_eviction(10.0, 30.0) == 10.0 + NODE_MONITOR_GRACE_PERIOD_S + 30.0
    assert earliest_eviction(10.0, None) is None
