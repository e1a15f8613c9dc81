"""spec/workloads/deployment.py against upstream's own test tables, cited by test name.

k/k ``pkg/controller/deployment/util/deployment_util_test.go`` (TestResolveFenceposts,
TestNewRSNewReplicas, TestMaxUnavailable, TestDeploymentComplete) and
``pkg/controller/deployment/rolling_test.go`` (TestDeploymentController_reconcileNewReplicaSet,
_reconcileOldReplicaSets, _cleanupUnhealthyReplicas, _scaleDownOldReplicaSetsForRollingUpdate),
rows with the feature gates of the alpha podReplacementPolicy off (the default).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec.intstr import IntOrString, IntOrStringError
from spec.objects.apps import (
    Deployment,
    DeploymentSpec,
    DeploymentStrategy,
    ReplicaSet,
    ReplicaSetSpec,
    ReplicaSetStatus,
    RollingUpdateDeployment,
)
from spec.objects.meta import ObjectMeta
from spec.workloads.deployment import (
    ReplicaSetState,
    RolloutState,
    allowed_total,
    cleanup_unhealthy_replicas,
    deployment_complete,
    is_settled,
    kept_available,
    new_rs_new_replicas,
    reconcile_new_replica_set,
    reconcile_old_replica_sets,
    required_available,
    resolve_fenceposts,
    resolved_max_surge,
    resolved_max_unavailable,
    rollout_rank,
    rollout_state,
    rollout_step,
    scale_down_old_replica_sets,
    total_replicas,
)

RS = ReplicaSetState


def rs(replicas: int, available: int | None = None, pods: int | None = None, name: str = "") -> RS:
    available = replicas if available is None else available
    return RS(replicas=replicas, available=available, pods=replicas if pods is None else pods, name=name)


def settle(state: RolloutState) -> RolloutState:
    """Every pod the ReplicaSets want exists and becomes available."""
    return replace(
        state, new=RS.settled(state.new.replicas), old=tuple(RS.settled(o.replicas) for o in state.old)
    )


# -- deployment_util_test.go ------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_surge", "max_unavailable", "desired", "surge", "unavailable"),
    [
        ("0%", "0%", 0, 0, 1),
        ("39%", "39%", 10, 4, 3),
        (None, "39%", 10, 0, 3),
        ("39%", None, 10, 4, 0),
        (None, None, 10, 0, 1),
    ],
)
def test_resolve_fenceposts_upstream_table(
    max_surge: str | None, max_unavailable: str | None, desired: int, surge: int, unavailable: int
) -> None:
    # TestResolveFenceposts: strings as intstr.FromString, nil as ValueOrDefault(0).
    assert resolve_fenceposts(max_surge, max_unavailable, desired) == (surge, unavailable)


@pytest.mark.parametrize(("max_surge", "max_unavailable"), [("oops", "39%"), ("55%", "urg"), ("5", "1")])
def test_resolve_fenceposts_rejects_what_is_no_percentage(max_surge: str, max_unavailable: str) -> None:
    # TestResolveFenceposts' error rows: a string must be a percentage ("5" is not).
    with pytest.raises(IntOrStringError):
        resolve_fenceposts(max_surge, max_unavailable, 10)


@pytest.mark.parametrize(
    ("name", "replicas", "new_replicas", "max_surge", "expected"),
    [
        ("can not scale up - to newRSReplicas", 1, 5, 1, 5),
        ("scale up - to depReplicas", 6, 2, 10, 6),
    ],
)
def test_new_rs_new_replicas_upstream_table(
    name: str, replicas: int, new_replicas: int, max_surge: int, expected: int
) -> None:
    # TestNewRSNewReplicas: allRSs holds one other ReplicaSet of 5 replicas. (Its Recreate row is
    # outside the model.)
    assert new_rs_new_replicas(replicas, max_surge, 5, new_replicas) == expected, name


@pytest.mark.parametrize(
    ("replicas", "max_unavailable", "expected"),
    [(10, 5, 5), (10, 10, 10), (5, 10, 5), (0, 10, 0), (10, "50%", 5), (10, "100%", 10), (5, "100%", 5)],
)
def test_max_unavailable_upstream_table(replicas: int, max_unavailable: int | str, expected: int) -> None:
    # TestMaxUnavailable (maxSurge 1): capped at replicas, 0 for 0 replicas.
    state = RolloutState(replicas, 1, max_unavailable, rs(0))
    assert resolved_max_unavailable(state) == expected


@pytest.mark.parametrize(
    ("name", "desired", "current", "updated", "available", "expected"),
    [
        ("not complete: min but not all pods become available", 5, 5, 5, 4, False),
        ("not complete: min availability is not honored", 5, 5, 5, 3, False),
        ("complete", 5, 5, 5, 5, True),
        ("not complete: all pods are available but not updated", 5, 5, 4, 5, False),
        ("not complete: still running old pods", 1, 2, 1, 1, False),
        ("not complete: one replica deployment never comes up", 1, 1, 1, 0, False),
    ],
)
def test_deployment_complete_upstream_table(
    name: str, desired: int, current: int, updated: int, available: int, expected: bool
) -> None:
    # TestDeploymentComplete: status.replicas = current, updatedReplicas = updated (the new
    # ReplicaSet's pods), availableReplicas = available; the rest of the pods are old ones.
    new_available = min(available, updated)
    new = RS(replicas=updated, available=new_available, pods=updated)
    old = RS(replicas=current - updated, available=available - new_available, pods=current - updated)
    state = RolloutState(desired, 0, 1, new, (old,))
    assert deployment_complete(state) is expected, name


# -- rolling_test.go --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "replicas", "max_surge", "old", "new", "expected_new"),
    [
        ("should not scale up when old replica set is fully saturated", 10, 0, 10, 0, None),
        (
            "should scale up according to the maxSurge when old replica set is fully saturated",
            10,
            2,
            10,
            0,
            2,
        ),
        ("should scale up according to the maxSurge", 10, 2, 5, 0, 7),
        ("should not scale when maxSurge is fully saturated", 10, 2, 10, 2, None),
        ("should scale down when there are replicas above maxSurge", 10, 2, 2, 11, 10),
    ],
)
def test_reconcile_new_replica_set_upstream_table(
    name: str, replicas: int, max_surge: int, old: int, new: int, expected_new: int | None
) -> None:
    # TestDeploymentController_reconcileNewReplicaSet (maxUnavailable 0); None: no scaling.
    state = RolloutState(replicas, max_surge, 0, rs(new), (rs(old),))
    after = reconcile_new_replica_set(state)
    if expected_new is None:
        assert after == state, name
    else:
        assert after.new.replicas == expected_new, name
        assert after.old == state.old


@pytest.mark.parametrize(
    ("replicas", "max_unavailable", "old", "new", "old_available", "new_available", "expected_old"),
    [
        (10, 0, 10, 0, 10, 0, 9),
        (10, 2, 10, 0, 10, 0, 8),
        (10, 2, 10, 0, 8, 0, 8),  # unhealthy old replicas cleaned up
        (10, 2, 10, 0, 9, 0, 8),  # 1 unhealthy cleaned up, 1 available scaled down
        (10, 2, 8, 2, 8, 0, None),  # the new ReplicaSet's unavailable pods stop further scale-down
    ],
)
def test_reconcile_old_replica_sets_upstream_table(
    replicas: int,
    max_unavailable: int,
    old: int,
    new: int,
    old_available: int,
    new_available: int,
    expected_old: int | None,
) -> None:
    # TestDeploymentController_reconcileOldReplicaSets (maxSurge 0); upstream checks whether it
    # scaled, the table's expectedOldReplicas says to what.
    state = RolloutState(replicas, 0, max_unavailable, rs(new, new_available), (rs(old, old_available),))
    after = reconcile_old_replica_sets(state)
    if expected_old is None:
        assert after == state
    else:
        assert after.old[0].replicas == expected_old
        assert after.new == state.new


@pytest.mark.parametrize(
    ("old", "available", "max_cleanup", "cleaned"),
    [(10, 8, 1, 1), (10, 8, 3, 2), (10, 8, 0, 0), (10, 10, 3, 0)],
)
def test_cleanup_unhealthy_replicas_upstream_table(
    old: int, available: int, max_cleanup: int, cleaned: int
) -> None:
    # TestDeploymentController_cleanupUnhealthyReplicas.
    result = cleanup_unhealthy_replicas([rs(old, available)], max_cleanup)
    assert result.cleaned == cleaned and not result.failed
    assert result.old[0].replicas == old - cleaned


@pytest.mark.parametrize(
    ("replicas", "max_unavailable", "available", "old", "expected_old"),
    [
        (10, 0, 10, 10, 9),
        (10, 2, 10, 10, 8),
        (10, 2, 8, 10, None),
        (10, 2, 10, 0, None),
        (10, 2, 1, 10, None),
    ],
)
def test_scale_down_old_replica_sets_upstream_table(
    replicas: int, max_unavailable: int, available: int, old: int, expected_old: int | None
) -> None:
    # TestDeploymentController_scaleDownOldReplicaSetsForRollingUpdate: allRSs is the old ReplicaSet
    # alone (here with an empty new one), maxSurge 0.
    state = RolloutState(replicas, 0, max_unavailable, rs(0), (rs(old, available, pods=old),))
    after = scale_down_old_replica_sets(state)
    assert after.old[0].replicas == (old if expected_old is None else expected_old)


# -- ResolveFenceposts' doc comment: the order of scaling for small Deployments ------------------


@pytest.mark.parametrize(
    ("replicas", "max_unavailable", "max_surge", "moves"),
    [
        (2, "1%", "0%", ["old-1", "new+1", "old-1", "new+1"]),
        (1, "1%", "0%", ["old-1", "new+1"]),
        (2, "25%", "1%", ["new+1", "old-1", "new+1", "old-1"]),
        (1, "25%", "1%", ["new+1", "old-1"]),
        (2, "0%", "1%", ["new+1", "old-1", "new+1", "old-1"]),
        (1, "0%", "1%", ["new+1", "old-1"]),
    ],
)
def test_the_scaling_order_resolve_fenceposts_documents(
    replicas: int, max_unavailable: str, max_surge: str, moves: list[str]
) -> None:
    # "2 desired, max unavailable 1%, surge 0% - should scale old(-1), then new(+1), then old(-1),
    # then new(+1)" and the other lines of the comment above ResolveFenceposts; pods become
    # available between reconciles.
    state = RolloutState(replicas, max_surge, max_unavailable, rs(0), (rs(replicas),))
    seen = []
    while not deployment_complete(state):
        after = rollout_step(state)
        new_delta = after.new.replicas - state.new.replicas
        old_delta = total_replicas(after.old) - total_replicas(state.old)
        seen.append(f"new{new_delta:+d}" if new_delta else f"old{old_delta:+d}")
        state = settle(after)
    assert seen == moves
    assert rollout_step(state) == state


# -- properties of the model (the proofs are in invariants/deployment.py) ----------------------

percents = st.integers(0, 100).map(lambda p: f"{p}%")
int_or_percents = st.one_of(st.integers(0, 30), percents)


@st.composite
def rollout_states(draw: st.DrawFn, observed: bool = False) -> RolloutState:
    def replica_set() -> RS:
        replicas = draw(st.integers(0, 30))
        available = draw(st.integers(0, replicas if observed else 40))
        return RS(replicas=replicas, available=available, pods=draw(st.integers(available, 40)))

    max_surge, max_unavailable = draw(int_or_percents), draw(int_or_percents)
    if str(max_surge).rstrip("%") == "0" and str(max_unavailable).rstrip("%") == "0":
        max_unavailable = 1  # validation: not both 0
    old = tuple(replica_set() for _ in range(draw(st.integers(0, 3))))
    return RolloutState(draw(st.integers(0, 30)), max_surge, max_unavailable, replica_set(), old)


@given(rollout_states())
def test_a_step_scales_old_replica_sets_only_down_and_the_new_one_toward_replicas(
    state: RolloutState,
) -> None:
    after = rollout_step(state)
    assert all(0 <= a.replicas <= b.replicas for a, b in zip(after.old, state.old, strict=True))
    assert abs(after.new.replicas - state.replicas) <= abs(state.new.replicas - state.replicas)
    assert after.new.available == state.new.available  # status is what the controller read
    assert rollout_rank(after) <= rollout_rank(state)


@given(rollout_states())
def test_the_requirements_bounds_are_what_the_controller_resolves(state: RolloutState) -> None:
    # The requirements are written in the API's words; on the spec they agree with ResolveFenceposts.
    assert allowed_total(state) == state.replicas + resolved_max_surge(state)
    assert required_available(state) == state.replicas - resolved_max_unavailable(state)


@given(rollout_states(observed=True))
def test_examples_of_the_proved_requirements(state: RolloutState) -> None:
    after = rollout_step(state)
    before_total, after_total = total_replicas(state.replica_sets), total_replicas(after.replica_sets)
    assert after_total <= max(before_total, allowed_total(state))
    assert kept_available(after) >= min(kept_available(state), required_available(state))
    settled = settle(state)
    if deployment_complete(settled):
        assert rollout_step(settled) == settled
    else:
        assert rollout_rank(rollout_step(settled)) < rollout_rank(settled)


def test_both_zero_after_rounding_allows_one_unavailable_pod() -> None:
    # Valid (maxSurge 0, maxUnavailable 25%), but 25% of 3 rounds down to 0: upstream lets one go.
    state = RolloutState(3, 0, "25%", rs(0), (rs(3),))
    assert resolve_fenceposts(0, "25%", 3) == (0, 1)
    assert required_available(state) == 2
    assert rollout_step(state).old[0].replicas == 2


def test_cleanup_fails_on_a_replica_set_whose_status_is_behind_a_scale_down() -> None:
    # More available pods than spec.replicas: a negative count, upstream's "invalid request to
    # scale down", after the scale-downs already made.
    result = cleanup_unhealthy_replicas([rs(4, 2), rs(3, 5), rs(4, 1)], 10)
    assert result.failed
    assert [o.replicas for o in result.old] == [2, 3, 4]
    state = RolloutState(10, 0, 2, rs(2, 2), (rs(4, 2), rs(3, 5), rs(4, 1)))
    assert [o.replicas for o in reconcile_old_replica_sets(state).old] == [2, 3, 4]


def test_inactive_old_replica_sets_do_not_count_as_available() -> None:
    # FilterActiveReplicaSets: an old ReplicaSet at 0 replicas whose pods are still there is left
    # out of the available count of scaleDownOldReplicaSetsForRollingUpdate.
    state = RolloutState(4, 0, 1, rs(2, 2), (rs(0, 3, pods=3), rs(3, 3)))
    after = reconcile_old_replica_sets(state)
    assert [o.replicas for o in after.old] == [0, 1]  # 5 available counted, not 8 (which gives [0, 0])


def test_settled_and_rank() -> None:
    state = RolloutState(3, 1, 0, rs(3), (rs(0),))
    assert is_settled(state) and deployment_complete(state) and rollout_rank(state) == 0
    assert not is_settled(replace(state, new=rs(3, 2)))


def test_rollout_state_from_api_objects() -> None:
    deployment = Deployment(metadata=ObjectMeta(name="web"), spec=DeploymentSpec(replicas=4))
    new = ReplicaSet(metadata=ObjectMeta(name="web-b"), spec=ReplicaSetSpec(replicas=1))
    old = ReplicaSet(
        metadata=ObjectMeta(name="web-a"),
        spec=ReplicaSetSpec(replicas=4),
        status=ReplicaSetStatus(replicas=4, available_replicas=3),
    )
    state = rollout_state(deployment, new, [old])
    assert state.replicas == 4
    assert state.max_surge == IntOrString("25%") and state.max_unavailable == IntOrString("25%")
    assert state.new == RS(replicas=1, available=0, pods=0, name="web-b")
    assert state.old == (RS(replicas=4, available=3, pods=4, name="web-a"),)
    recreate = deployment.replace(spec=deployment.spec.replace(strategy=DeploymentStrategy(type="Recreate")))
    with pytest.raises(ValueError, match="RollingUpdate"):
        rollout_state(recreate, new)
    explicit = deployment.replace(
        spec=deployment.spec.replace(
            strategy=DeploymentStrategy(
                type="RollingUpdate",
                rolling_update=RollingUpdateDeployment(
                    max_surge=IntOrString(1), max_unavailable=IntOrString(0)
                ),
            )
        )
    )
    assert resolved_max_surge(rollout_state(explicit, new)) == 1


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        RS(replicas=-1, available=0, pods=0)
    with pytest.raises(ValueError, match="negative"):
        RolloutState(-1, 1, 1, rs(0))
