"""spec/workloads/replicaset.py: manageReplicas and slowStartBatch on upstream's examples.

k/k ``pkg/controller/replicaset/replica_set_test.go`` TestSyncReplicaSetCreateFailures (100 pods
wanted, the API accepts 10: 10 created, at most 1 + 2 + 4 + 8 calls), and the table of
TestSlowStartBatch as projects that copied ``slowStartBatch`` carry it (10 calls; limits 0, 10
and 5 give 0/1, 10/10 and 5/7 successes/calls).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec.workloads.replicaset import (
    BURST_REPLICAS,
    Outcomes,
    SyncResult,
    active_after,
    distance,
    manage_replicas,
    slow_start_batch,
)


def failing_from(limit: int, up_to: int = 1000) -> frozenset[int]:
    """The API accepts the first ``limit`` calls and rejects the rest (a quota)."""
    return frozenset(range(limit, up_to))


@pytest.mark.parametrize(
    ("count", "limit", "successes", "calls"),
    [(10, 0, 0, 1), (10, 10, 10, 10), (10, 5, 5, 7)],
)
def test_slow_start_batch_table(count: int, limit: int, successes: int, calls: int) -> None:
    batches, done = slow_start_batch(count, 1, failing_from(limit))
    assert done == successes
    assert sum(batches) == calls


def test_sync_replica_set_create_failures() -> None:
    # TestSyncReplicaSetCreateFailures: CreateLimit 10, the ReplicaSet wants 100.
    result = manage_replicas(100, 0, Outcomes(failed_creations=failing_from(10)))
    assert result.created == 10
    assert result.batches == (1, 2, 4, 8)
    assert result.creations_attempted <= 1 + 2 + 4 + 8


def test_batches_double_and_the_last_is_cut() -> None:
    assert manage_replicas(10, 0).batches == (1, 2, 4, 3)
    assert manage_replicas(14, 0).batches == (1, 2, 4, 7)
    assert manage_replicas(0, 0) == SyncResult()


def test_at_most_burst_replicas_per_sync() -> None:
    result = manage_replicas(2000, 0)
    assert result.creations_attempted == result.created == BURST_REPLICAS
    assert result.batches == (1, 2, 4, 8, 16, 32, 64, 128, 245)
    deleting = manage_replicas(0, 1200)
    assert deleting.deletions_attempted == deleting.deleted == BURST_REPLICAS
    assert manage_replicas(3, 0, burst_replicas=2).created == 2


def test_a_failure_in_a_batch_ends_the_sync_after_that_batch() -> None:
    # Positions 3..6 are the third batch (4 calls): one failure there, the rest of it still runs.
    result = manage_replicas(20, 0, Outcomes(failed_creations=frozenset({4})))
    assert result.batches == (1, 2, 4)
    assert result.created == 6 and result.failed_creations == 1


def test_failed_deletions_do_not_stop_the_others() -> None:
    result = manage_replicas(2, 10, Outcomes(failed_deletions=frozenset({0, 5, 99})))
    assert result.deletions_attempted == 8 and result.deleted == 6
    assert active_after(10, result) == 4


@given(
    replicas=st.integers(0, 1200),
    active=st.integers(0, 1200),
    failed_creations=st.frozensets(st.integers(0, 600), max_size=5),
    failed_deletions=st.frozensets(st.integers(0, 600), max_size=5),
)
def test_examples_of_the_proved_requirements(
    replicas: int, active: int, failed_creations: frozenset[int], failed_deletions: frozenset[int]
) -> None:
    result = manage_replicas(replicas, active, Outcomes(failed_creations, failed_deletions))
    after = active_after(active, result)
    assert min(active, replicas) <= after <= max(active, replicas)
    assert result.creations_attempted <= BURST_REPLICAS and result.deletions_attempted <= BURST_REPLICAS
    assert result.failed_creations <= result.created + 1
    everything = manage_replicas(replicas, active)
    assert distance(replicas, active_after(active, everything)) == max(
        0, distance(replicas, active) - BURST_REPLICAS
    )


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        manage_replicas(-1, 0)
