"""``check(state)``: each rollout and ReplicaSet invariant accepts good concrete states and rejects
hand-built bad ones, as the stateful machines will call it after every step.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invariants.deployment import (
    ROLLOUT_AVAILABILITY_BOUNDED,
    ROLLOUT_AVAILABILITY_SYMBOLIC,
    ROLLOUT_PROGRESS_BOUNDED,
    ROLLOUT_PROGRESS_SYMBOLIC,
    ROLLOUT_SURGE_BOUNDED,
    ROLLOUT_SURGE_SYMBOLIC,
    RolloutStep,
)
from invariants.framework import Invariant
from invariants.replicaset import (
    CONVERGE_BOUNDED,
    CONVERGE_SYMBOLIC,
    SLOW_START_BOUNDED,
    SLOW_START_SYMBOLIC,
    ReplicaSetSync,
)
from spec.workloads.deployment import ReplicaSetState, RolloutState, rollout_step
from spec.workloads.replicaset import Outcomes, SyncResult, manage_replicas
from tests.invariants.test_rollout_encodings import rollout_states, settled

SURGE = [ROLLOUT_SURGE_BOUNDED, ROLLOUT_SURGE_SYMBOLIC]
AVAILABILITY = [ROLLOUT_AVAILABILITY_BOUNDED, ROLLOUT_AVAILABILITY_SYMBOLIC]
PROGRESS = [ROLLOUT_PROGRESS_BOUNDED, ROLLOUT_PROGRESS_SYMBOLIC]
CONVERGE = [CONVERGE_BOUNDED, CONVERGE_SYMBOLIC]
SLOW_START = [SLOW_START_BOUNDED, SLOW_START_SYMBOLIC]


def key(invariant: Invariant[Any]) -> str:
    return invariant.key


def ready(replicas: int) -> ReplicaSetState:
    return ReplicaSetState.settled(replicas)


def step(before: RolloutState, new: int, *old: int) -> RolloutStep:
    """What a controller did: the same ReplicaSets with these spec.replicas (status as before)."""
    return RolloutStep(
        before,
        RolloutState(
            before.replicas,
            before.max_surge,
            before.max_unavailable,
            before.new.scaled(new),
            tuple(rs.scaled(r) for rs, r in zip(before.old, old, strict=True)),
        ),
    )


START = RolloutState(4, "25%", "25%", ready(0), (ready(4),))  # a rollout of 4 replicas starts


@pytest.mark.parametrize("invariant", SURGE + AVAILABILITY + PROGRESS, ids=key)
@given(state=st.one_of(rollout_states(observed=True), rollout_states().map(settled), rollout_states()))
def test_rollout_invariants_accept_what_the_spec_does(
    invariant: Invariant[RolloutStep], state: RolloutState
) -> None:
    assert invariant.check(RolloutStep(state, rollout_step(state))) == []


# -- DEPLOY-ROLL-SURGE ---------------------------------------------------------------------------------


@pytest.mark.parametrize("invariant", SURGE, ids=key)
def test_surge_accepts_growth_within_the_surge(invariant: Invariant[RolloutStep]) -> None:
    assert invariant.check(step(START, 1, 4)) == []
    # Above the limit already (maxSurge was lowered): scaling down is fine.
    above = RolloutState(4, 0, 1, ready(3), (ready(3),))
    assert invariant.check(step(above, 3, 1)) == []


@pytest.mark.parametrize("invariant", SURGE, ids=key)
def test_surge_rejects_one_pod_too_many(invariant: Invariant[RolloutStep]) -> None:
    assert invariant.check(step(START, 2, 4)) == [
        "replicas=4, maxSurge=25%, maxUnavailable=25%; new RS spec 0 (0 available); old RSs (oldest first) "
        "spec 4 (4 available): the reconcile scales the new RS 0 -> 2: sum of spec.replicas 4 -> 6 > 5 = "
        "replicas + maxSurge(1)"
    ]


@pytest.mark.parametrize("invariant", SURGE, ids=key)
def test_surge_rejects_growth_above_the_limit(invariant: Invariant[RolloutStep]) -> None:
    above = RolloutState(4, 0, 1, ready(3), (ready(3),))
    (problem,) = invariant.check(step(above, 4, 3))
    assert problem.endswith("sum of spec.replicas 6 -> 7 > 4 = replicas + maxSurge(0)")


# -- DEPLOY-ROLL-AVAILABILITY ----------------------------------------------------------------------------

TEN = RolloutState(10, "25%", "25%", ready(0), (ready(10),))  # maxUnavailable: 2 of 10


@pytest.mark.parametrize("invariant", AVAILABILITY, ids=key)
def test_availability_accepts_scaling_down_to_the_minimum(invariant: Invariant[RolloutStep]) -> None:
    assert invariant.check(step(TEN, 0, 8)) == []
    # Unhealthy replicas may go whatever the count: they are not available.
    sick = RolloutState(10, "25%", "25%", ready(0), (ReplicaSetState(10, 6, 10),))
    assert invariant.check(step(sick, 0, 6)) == []


@pytest.mark.parametrize("invariant", AVAILABILITY, ids=key)
def test_availability_rejects_one_pod_too_many(invariant: Invariant[RolloutStep]) -> None:
    assert invariant.check(step(TEN, 0, 7)) == [
        "replicas=10, maxSurge=25%, maxUnavailable=25%; new RS spec 0 (0 available); old RSs (oldest first) "
        "spec 10 (10 available): the reconcile scales old RS #1 10 -> 7: available pods kept 10 -> 7 < 8 = "
        "replicas - maxUnavailable(2)"
    ]


@pytest.mark.parametrize("invariant", AVAILABILITY, ids=key)
def test_availability_rejects_any_available_pod_when_below_the_minimum(
    invariant: Invariant[RolloutStep],
) -> None:
    sick = RolloutState(10, "25%", "25%", ready(0), (ReplicaSetState(10, 6, 10),))
    (problem,) = invariant.check(step(sick, 0, 5))
    assert problem.endswith("available pods kept 6 -> 5 < 8 = replicas - maxUnavailable(2)")


@pytest.mark.parametrize("invariant", AVAILABILITY, ids=key)
def test_availability_counts_the_fallback(invariant: Invariant[RolloutStep]) -> None:
    # maxSurge 0 and 25% of 3 both come to 0 pods: upstream allows 1 unavailable, not 0 and not 2.
    three = RolloutState(3, 0, "25%", ready(0), (ready(3),))
    assert invariant.check(step(three, 0, 2)) == []
    assert invariant.check(step(three, 0, 1))


@pytest.mark.parametrize("invariant", AVAILABILITY, ids=key)
def test_availability_says_nothing_of_states_whose_status_is_behind(
    invariant: Invariant[RolloutStep],
) -> None:
    # Documented limit: the guarantee is for observed states (status not ahead of spec).
    lagging = RolloutState(
        1, 1, 0, ReplicaSetState(0, 0, 0), (ReplicaSetState(1, 0, 0), ReplicaSetState(1, 2, 2))
    )
    assert invariant.check(RolloutStep(lagging, rollout_step(lagging))) == []


# -- DEPLOY-ROLL-PROGRESS ----------------------------------------------------------------------------------


@pytest.mark.parametrize("invariant", PROGRESS, ids=key)
def test_progress_accepts_a_step_and_a_complete_rollout_left_alone(invariant: Invariant[RolloutStep]) -> None:
    assert invariant.check(step(START, 1, 4)) == []
    done = RolloutState(4, "25%", "25%", ready(4), (ready(0),))
    assert invariant.check(step(done, 4, 0)) == []
    # Waiting for pods that are not available yet is no lack of progress.
    waiting = RolloutState(4, "25%", "25%", ReplicaSetState(1, 0, 1), (ready(3),))
    assert invariant.check(step(waiting, 1, 3)) == []


@pytest.mark.parametrize("invariant", PROGRESS, ids=key)
def test_progress_rejects_a_stuck_rollout(invariant: Invariant[RolloutStep]) -> None:
    (problem,) = invariant.check(step(START, 0, 4))
    assert problem.endswith(
        "the reconcile changes nothing: every pod is available and the rollout is not complete, yet nothing "
        "changes (rank 8)"
    )


@pytest.mark.parametrize("invariant", PROGRESS, ids=key)
def test_progress_rejects_touching_a_complete_rollout(invariant: Invariant[RolloutStep]) -> None:
    done = RolloutState(4, "25%", "25%", ready(4), (ready(0),))
    assert invariant.check(step(done, 4, 1))


@pytest.mark.parametrize("invariant", PROGRESS, ids=key)
def test_progress_rejects_a_change_that_does_not_lower_the_rank(invariant: Invariant[RolloutStep]) -> None:
    waiting = RolloutState(4, "25%", "25%", ReplicaSetState(1, 0, 1), (ready(3),))
    (problem,) = invariant.check(step(waiting, 0, 3))
    assert problem.endswith("rank 6 -> 7 does not decrease")
    # Overshooting replicas as far as it was short of them: a change, but no closer.
    (problem,) = invariant.check(step(waiting, 7, 3))
    assert problem.endswith("rank 6 -> 6 does not decrease")


# -- REPLICASET-CONVERGE ----------------------------------------------------------------------------------


@pytest.mark.parametrize("invariant", CONVERGE + SLOW_START, ids=key)
@given(
    replicas=st.integers(0, 1200),
    active=st.integers(0, 1200),
    failed=st.frozensets(st.integers(0, 600), max_size=6),
    failed_deletions=st.frozensets(st.integers(0, 600), max_size=6),
)
def test_replicaset_invariants_accept_what_the_spec_does(
    invariant: Invariant[ReplicaSetSync],
    replicas: int,
    active: int,
    failed: frozenset[int],
    failed_deletions: frozenset[int],
) -> None:
    result = manage_replicas(replicas, active, Outcomes(failed, failed_deletions))
    assert invariant.check(ReplicaSetSync(replicas, active, result)) == []


@pytest.mark.parametrize("invariant", CONVERGE, ids=key)
def test_converge_rejects_overshooting(invariant: Invariant[ReplicaSetSync]) -> None:
    overshoot = SyncResult(batches=(1, 2), created=3)
    assert invariant.check(ReplicaSetSync(5, 3, overshoot)) == [
        "6 active pods is past spec.replicas=5 or further from it than 3",
        "every call succeeded, yet the distance is 2 -> 1, not 0",
    ]
    away = SyncResult(deletions_attempted=1, deleted=1)
    assert invariant.check(ReplicaSetSync(5, 3, away))[0] == (
        "2 active pods is past spec.replicas=5 or further from it than 3"
    )


@pytest.mark.parametrize("invariant", CONVERGE, ids=key)
def test_converge_rejects_falling_short_when_everything_succeeded(
    invariant: Invariant[ReplicaSetSync],
) -> None:
    short = SyncResult(batches=(1, 2), created=3)
    assert invariant.check(ReplicaSetSync(10, 0, short)) == [
        "every call succeeded, yet the distance is 10 -> 7, not 0"
    ]
    # With a failure, falling short is what slow start does.
    failed = SyncResult(batches=(1, 2), created=2)
    assert invariant.check(ReplicaSetSync(10, 0, failed)) == []


# -- REPLICASET-SLOW-START ------------------------------------------------------------------------------


@pytest.mark.parametrize("invariant", SLOW_START, ids=key)
def test_slow_start_rejects_more_than_burst(invariant: Invariant[ReplicaSetSync]) -> None:
    batches = (1, 2, 4, 8, 16, 32, 64, 128, 256, 89)
    assert invariant.check(ReplicaSetSync(600, 0, SyncResult(batches=batches, created=600))) == [
        "600 creations attempted, more than burstReplicas=500"
    ]
    assert invariant.check(ReplicaSetSync(0, 600, SyncResult(deletions_attempted=600, deleted=600))) == [
        "600 deletions attempted, more than burstReplicas=500"
    ]


@pytest.mark.parametrize("invariant", SLOW_START, ids=key)
def test_slow_start_rejects_a_batch_after_a_failed_one(invariant: Invariant[ReplicaSetSync]) -> None:
    # The first creation failed, yet a batch of 2 followed (and failed too).
    assert invariant.check(ReplicaSetSync(10, 0, SyncResult(batches=(1, 2), created=0))) == [
        "3 creations failed but only 0 succeeded",
        "3 creations failed, more than the last batch (2): a batch started after one with a failure",
    ]


@pytest.mark.parametrize("invariant", SLOW_START, ids=key)
def test_slow_start_rejects_batches_that_do_not_start_at_one_and_double(
    invariant: Invariant[ReplicaSetSync],
) -> None:
    assert invariant.check(ReplicaSetSync(10, 0, SyncResult(batches=(2, 4), created=6))) == [
        "the first batch has 2 creations, more than 1"
    ]
    problems = invariant.check(ReplicaSetSync(10, 0, SyncResult(batches=(1, 1, 4), created=6)))
    assert problems == [
        "a batch of 1 after one of 1: batches (1, 1, 4) do not double",
        "a batch of 4 after one of 1: batches (1, 1, 4) do not double",
    ]
    # The last batch may be cut to what remains.
    assert invariant.check(ReplicaSetSync(10, 0, SyncResult(batches=(1, 2, 4, 3), created=10))) == []
