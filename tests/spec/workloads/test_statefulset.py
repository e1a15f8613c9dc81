"""spec/workloads/statefulset.py: one sync under OrderedReady and Parallel, on the cases upstream's
stateful_set_control_test.go walks through (scale up one pod at a time waiting for readiness, scale down
from the highest ordinal, failed pods replaced, Parallel bursting), and runs to convergence.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec.workloads.statefulset import (
    NO_ACTIONS,
    ORDERED_READY,
    PARALLEL,
    Actions,
    PodState,
    after_sync,
    convergence_rank,
    is_complete,
    parallel_batches,
    settle,
    sync,
)

R, P, T, F = PodState.READY, PodState.PENDING, PodState.TERMINATING, PodState.FAILED


@pytest.mark.requirement("STATEFULSET-ORDERED-CREATE")
def test_ordered_scale_up_one_at_a_time() -> None:
    assert sync(3, {}) == Actions(creations=(0,))
    assert sync(3, {0: P}) == NO_ACTIONS  # waits for pod 0 to be Running and Ready
    assert sync(3, {0: R}) == Actions(creations=(1,))
    assert sync(3, {0: R, 1: T}) == NO_ACTIONS
    assert sync(3, {0: R, 1: F}) == Actions(deletions=(1,))  # replaced: deleted now, created once gone


@pytest.mark.requirement("STATEFULSET-ORDERED-DELETE")
def test_ordered_scale_down_highest_first() -> None:
    pods = {0: R, 1: R, 2: R, 3: R}
    assert sync(1, pods) == Actions(deletions=(3,))
    assert sync(1, {0: R, 1: R, 2: R, 3: T}) == NO_ACTIONS  # one at a time
    assert sync(1, {0: P, 1: R, 2: R}) == NO_ACTIONS  # a replica is not ready: nothing goes
    assert sync(1, {0: R, 1: R, 2: P}) == Actions(deletions=(2,))  # the first unhealthy pod may go
    assert sync(1, {0: R, 1: P, 2: P}) == NO_ACTIONS  # pod 2 waits: pod 1 is the first unhealthy one


def test_parallel_bursts() -> None:
    assert sync(3, {}, PARALLEL) == Actions(creations=(0, 1, 2))
    assert sync(1, {0: R, 1: R, 2: T, 3: P}, PARALLEL) == Actions(deletions=(3, 1))
    # A failed creation ends the batches after its own: positions 0 | 1, 2 | 3..6.
    assert sync(7, {}, PARALLEL, failing=frozenset({1})) == Actions(creations=(0, 1, 2))
    # And then no condemned pod is deleted.
    assert sync(1, {0: F, 5: R}, PARALLEL, failing=frozenset({0})) == Actions(deletions=(0,))
    assert [len(b) for b in parallel_batches(10)] == [1, 2, 4, 3]
    assert max(len(b) for b in parallel_batches(3000)) == 500


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="negative"):
        sync(-1, {})
    with pytest.raises(ValueError, match="podManagementPolicy"):
        sync(1, {}, "Burst")


@pytest.mark.requirement("STATEFULSET-CONVERGE")
@given(
    replicas=st.integers(0, 6),
    policy=st.sampled_from([ORDERED_READY, PARALLEL]),
    pods=st.dictionaries(st.integers(0, 8), st.sampled_from([R, P, T]), max_size=8),
)
def test_runs_converge_when_pods_become_ready(replicas: int, policy: str, pods: dict[int, PodState]) -> None:
    state = settle(pods)
    for _ in range(20):
        if is_complete(replicas, state):
            break
        rank = convergence_rank(replicas, state)
        state = settle(after_sync(state, sync(replicas, state, policy)))
        assert convergence_rank(replicas, state) < rank
    assert is_complete(replicas, state)
    assert sync(replicas, state, policy) == NO_ACTIONS
