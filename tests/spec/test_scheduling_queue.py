"""The scheduling queue (spec/scheduling/queue.py) on upstream's rules: order, backoff, moves."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invariants.snapshots import make_pod
from spec.objects.core import Pod
from spec.scheduling.queue import (
    MAX_BACKOFF_S,
    QueuedPod,
    SchedulingQueue,
    backoff_duration,
)


def pod(name: str, priority: int = 0) -> Pod:
    return make_pod(name, spec={"priority": priority})


@pytest.mark.requirement("SCHED-QUEUE-ORDER")
def test_higher_priority_first_then_the_earlier() -> None:
    queue = SchedulingQueue()
    queue.add(pod("low-early", 0), now=1.0)
    queue.add(pod("high-late", 10), now=3.0)
    queue.add(pod("high-early", 10), now=2.0)
    queue.add(pod("low-late", 0), now=4.0)
    order = []
    while (queued := queue.pop()) is not None:
        order.append(queued.pod.metadata.name)
    assert order == ["high-early", "high-late", "low-early", "low-late"]


@pytest.mark.requirement("SCHED-QUEUE-BACKOFF")
def test_backoff_doubles_from_one_second_to_ten() -> None:
    assert [backoff_duration(n) for n in range(1, 8)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]


@pytest.mark.requirement("SCHED-QUEUE-BACKOFF")
@given(attempts=st.integers(1, 1000))
def test_backoff_is_capped_and_never_shrinks(attempts: int) -> None:
    assert 1.0 <= backoff_duration(attempts) <= MAX_BACKOFF_S
    assert backoff_duration(attempts) <= backoff_duration(attempts + 1)


@pytest.mark.requirement("SCHED-QUEUE-MOVE")
def test_an_unschedulable_pod_waits_for_an_event_then_for_its_backoff() -> None:
    queue = SchedulingQueue()
    queue.add(pod("web"), now=0.0)
    for attempt in range(1, 4):  # fail three times: the backoff reaches 4 s
        queued = queue.pop()
        assert queued is not None and queued.attempts == attempt
        queue.add_unschedulable(queued, now=100.0 * attempt)
        assert queue.pending()["unschedulable"] == ["default/web"]
        queue.flush_backoff_completed(now=100.0 * attempt + 50)  # no event: it stays
        assert queue.pop() is None
        queue.move_all_to_active_or_backoff(now=100.0 * attempt + 50)  # backoff long over
        assert queue.pending()["active"] == ["default/web"]
    queued = queue.pop()
    assert queued is not None and queued.attempts == 4
    queue.add_unschedulable(queued, now=1000.0)
    queue.move_all_to_active_or_backoff(now=1001.0)  # 8 s of backoff from 1000: not yet
    assert queue.pending() == {"active": [], "backoff": ["default/web"], "unschedulable": []}
    queue.flush_backoff_completed(now=1007.9)
    assert queue.pop() is None
    queue.flush_backoff_completed(now=1008.0)
    assert queue.pending()["active"] == ["default/web"]


@pytest.mark.requirement("SCHED-QUEUE-MOVE")
def test_a_pod_whose_cycle_saw_an_event_goes_to_backoff_not_unschedulable() -> None:
    queue = SchedulingQueue()
    queue.add(pod("web"), now=0.0)
    queued = queue.pop()
    assert queued is not None
    queue.move_all_to_active_or_backoff(now=0.5)  # a node was added while "web" was being scheduled
    queue.add_unschedulable(queued, now=0.6)
    assert queue.pending() == {"active": [], "backoff": ["default/web"], "unschedulable": []}
    queue.flush_backoff_completed(now=1.6)
    assert isinstance(queue.pop(), QueuedPod)


@pytest.mark.requirement("SCHED-QUEUE-MOVE")
def test_unschedulable_pods_are_flushed_after_five_minutes() -> None:
    queue = SchedulingQueue()
    queue.add(pod("web"), now=0.0)
    queued = queue.pop()
    assert queued is not None
    queue.add_unschedulable(queued, now=10.0)
    queue.flush_unschedulable_leftover(now=310.0)
    assert queue.pending()["unschedulable"] == ["default/web"]
    queue.flush_unschedulable_leftover(now=310.1)
    assert queue.pending()["active"] == ["default/web"]


def test_an_update_replaces_the_queued_pod_wherever_it_waits() -> None:
    queue = SchedulingQueue()
    queue.add(pod("a"), now=0.0)
    assert queue.update(pod("a", priority=7))
    popped = queue.pop()
    assert popped is not None and popped.pod.spec.priority == 7
    queue.add_unschedulable(popped, now=1.0)
    assert queue.update(pod("a", priority=9)) and queue.unschedulable["default/a"].pod.spec.priority == 9
    assert not queue.update(pod("b"))  # not queued: nothing to update
