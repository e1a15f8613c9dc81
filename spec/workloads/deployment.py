"""The RollingUpdate strategy of the Deployment controller as pure functions over numbers.

What it models: one reconcile of a Deployment whose strategy is
RollingUpdate, the way upstream's controller computes it, reduced to the
numbers it looks at: the Deployment's ``spec.replicas``, ``maxSurge`` and
``maxUnavailable``, and for each of its ReplicaSets ``spec.replicas``,
``status.replicas`` and ``status.availableReplicas``. A ``RolloutState``
holds them (the new ReplicaSet, whose template is the Deployment's, and the
old ones, oldest first); ``rollout_step`` is one reconcile.

Upstream (kubernetes/kubernetes, read at master; cited by function):

- ``pkg/controller/deployment/util/deployment_util.go``: ``ResolveFenceposts``
  (``resolve_fenceposts``), ``MaxSurge`` and ``MaxUnavailable``
  (``resolved_max_surge``, ``resolved_max_unavailable``), ``NewRSNewReplicas``
  (``new_rs_new_replicas``), ``DeploymentComplete`` (``deployment_complete``),
  ``GetReplicaCountForReplicaSets`` and
  ``GetAvailableReplicaCountForReplicaSets`` (sums below).
- ``pkg/controller/deployment/rolling.go``: ``rolloutRolling``
  (``rollout_step``), ``reconcileNewReplicaSet``
  (``reconcile_new_replica_set``), ``reconcileOldReplicaSets``
  (``reconcile_old_replica_sets``), ``cleanupUnhealthyReplicas``
  (``cleanup_unhealthy_replicas``), ``scaleDownOldReplicaSetsForRollingUpdate``
  (``scale_down_old_replica_sets``).
- ``pkg/controller/controller_utils.go``: ``FilterActiveReplicaSets`` (old
  ReplicaSets with ``spec.replicas`` 0 are left out of the old-ReplicaSet
  reconcile) and ``ReplicaSetsByCreationTimestamp`` (oldest first).
- ``staging/src/k8s.io/apimachinery/pkg/util/intstr``
  ``GetScaledValueFromIntOrPercent``: ``spec.intstr.scaled_value``.
- ``staging/src/k8s.io/api/apps/v1/types.go`` ``RollingUpdateDeployment``: the
  API's own words for maxSurge ("Absolute number is calculated from
  percentage by rounding up ... the total number of old and new pods do not
  exceed 130% of desired pods") and maxUnavailable ("calculated from
  percentage by rounding down ... the total number of pods available at all
  times during the update is at least 70% of desired pods"). The
  requirements are stated in these words, not by calling the controller's
  functions, so that a controller that resolves them wrongly fails them.

Requirements defined here (component "controllers"), each with the
predicate that defines it:

- DEPLOY-ROLL-SURGE (``allowed_total``): a reconcile never raises the sum of
  the ReplicaSets' ``spec.replicas`` above ``replicas + maxSurge``, and never
  raises a sum that is above it already (after the user lowered maxSurge or
  replicas).
- DEPLOY-ROLL-AVAILABILITY (``required_available``, ``kept_available``): a
  reconcile never removes available pods so that fewer than ``replicas -
  maxUnavailable`` remain, and removes none when fewer remain already.
  Counted are the available pods the controller's own scaling removes: the
  ReplicaSet controller deletes unavailable pods first
  (``controller.ActivePods`` ranks not-ready before ready), so a ReplicaSet
  scaled to ``r`` keeps ``min(available, r)`` available pods. Pods that
  fail by themselves between reconciles change ``available``; no controller
  can promise anything about those.
- DEPLOY-ROLL-PROGRESS (``rollout_rank``): a reconcile that changes any
  ``spec.replicas`` lowers ``rollout_rank`` (the old ReplicaSets'
  ``spec.replicas`` plus the new ReplicaSet's distance to ``replicas``,
  never below 0), and once every pod of every ReplicaSet is available
  (``is_settled``) a reconcile changes nothing exactly when the rollout is
  complete. So if pods become available between reconciles, the rollout
  completes after at most ``rollout_rank`` reconciles. The issue's wording,
  "every step either changes nothing because the rollout is complete, or
  reduces the rank", is false while pods are not available yet: the
  controller then rightly waits and changes nothing.

- DEPLOY-ESR (``deployment_complete`` on the cluster): with the spec fixed, not
  paused and faults over, the rollout eventually completes (checked by the
  workloads suite, conformance/workloads/deployment.py, on a whole cluster).

Where the issue's wording and upstream's code differ (the counterexamples
are Z3's, see ``invariants.deployment`` and docs/invariants.md):

- maxUnavailable "rounded down" is not the whole story: when maxSurge and
  maxUnavailable both resolve to 0 (maxSurge 0 and a maxUnavailable
  percentage below one pod, e.g. ``replicas=3, maxSurge=0,
  maxUnavailable=25%``), ``ResolveFenceposts`` takes maxUnavailable as 1
  "on the theory that surge might not work due to quota"; a rollout could
  not progress otherwise. Upstream guarantees availability against that
  value, so ``required_available`` includes the rule. ``MaxUnavailable`` also
  caps it at ``replicas`` (and is 0 for ``replicas=0``).
- Availability holds for states whose ReplicaSet status is not ahead of
  its spec (``status.availableReplicas <= spec.replicas``, ``is_observed``):
  after a ReplicaSet is scaled down and before its controller has deleted
  the pods, upstream's ``scaleDownOldReplicaSetsForRollingUpdate`` counts
  pods that are about to go as available and can scale further down than
  maxUnavailable allows. Z3's smallest case: ``replicas=1, maxSurge=1,
  maxUnavailable=0``, new ReplicaSet at 0, old ones ``spec 1 (0
  available)`` and ``spec 1 (2 available)`` (just scaled from 2): the
  cleanup takes the first, the scale-down counts 2 available pods against
  minAvailable 1 and scales the second to 0, so the one available pod that
  was to stay goes as well. Nothing in rolling.go waits for a ReplicaSet's
  ``status.observedGeneration``; the requirement is stated for observed
  states and the proofs assume them.
- Upstream adds ``replicas + maxSurge`` (and sums ReplicaSets) in int32.
  ``maxSurge: 2147483647`` is valid (validation only asks for a
  non-negative value); then ``NewRSNewReplicas``'s ``maxTotalPods`` wraps
  negative for any ``replicas >= 1``, ``currentPodCount >= maxTotalPods``
  always holds and the new ReplicaSet is never scaled up: the rollout never
  completes (found by reading; Go's int32 addition wraps silently). The spec
  computes with exact integers; the proofs cover values whose sums fit in
  an int32.

REFERENCE.md ("Controllers") agrees with upstream on everything it states
about the rollout; it leaves out what the model also follows: a new
ReplicaSet above ``replicas`` is scaled down to it first, ``MaxUnavailable``
is capped at ``replicas`` (0 for 0 replicas), only old ReplicaSets with
``spec.replicas > 0`` take part in the scale-down and count as available,
and a cleanup that meets a ReplicaSet with more available pods than
``spec.replicas`` stops the reconcile of the old ReplicaSets.

Not modelled: ``spec.paused`` and scaling events (``sync``, proportional
scaling, which runs instead of the rollout when ``spec.replicas`` changed),
the Recreate strategy, progress deadlines and conditions, revision history
cleanup, and the alpha ``podReplacementPolicy: TerminationComplete``
(feature gate DeploymentPodReplacementPolicy, off by default), under which
``NewRSNewReplicas`` also counts terminating pods. The model is the default
behaviour, where terminating pods are not counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from spec.intstr import IntOrString, scaled_value
from spec.objects.apps import Deployment, ReplicaSet
from spec.objects.defaults import default_deployment
from spec.requirements import requirement

IntOrPercent = IntOrString | int | str

_UPSTREAM = (
    "k/k pkg/controller/deployment/rolling.go (rolloutRolling, reconcileNewReplicaSet, "
    "reconcileOldReplicaSets, cleanupUnhealthyReplicas, scaleDownOldReplicaSetsForRollingUpdate); "
    "pkg/controller/deployment/util/deployment_util.go (ResolveFenceposts, MaxSurge, MaxUnavailable, "
    "NewRSNewReplicas, DeploymentComplete)"
)
_API = "k8s.io/api apps/v1 types.go RollingUpdateDeployment (maxSurge, maxUnavailable)"

DEPLOY_ROLL_SURGE = requirement(
    "DEPLOY-ROLL-SURGE",
    "A RollingUpdate reconcile of a Deployment MUST NOT make the sum of its ReplicaSets' spec.replicas "
    "exceed replicas + maxSurge (a percentage of replicas rounded up), and MUST NOT raise a sum that "
    "exceeds it already.",
    component="controllers",
    source=f"{_API}: 'Absolute number is calculated from percentage by rounding up'; {_UPSTREAM}",
)
DEPLOY_ROLL_AVAILABILITY = requirement(
    "DEPLOY-ROLL-AVAILABILITY",
    "A RollingUpdate reconcile of a Deployment MUST NOT scale its ReplicaSets so that fewer than "
    "replicas - maxUnavailable (a percentage of replicas rounded down; 1 if maxSurge and maxUnavailable "
    "both resolve to 0) of their available pods remain, and MUST NOT remove an available pod when fewer "
    "remain already; pods that fail by themselves are not counted against it.",
    component="controllers",
    source=f"{_API}: 'calculated from percentage by rounding down', 'at least 70% of desired pods'; "
    f"{_UPSTREAM}",
)
DEPLOY_ROLL_PROGRESS = requirement(
    "DEPLOY-ROLL-PROGRESS",
    "A RollingUpdate reconcile that changes any ReplicaSet's spec.replicas MUST decrease the rollout's "
    "rank (the old ReplicaSets' spec.replicas plus the new ReplicaSet's distance to replicas), and when "
    "every pod of every ReplicaSet is available it MUST change nothing if and only if the rollout is "
    "complete, so that the rollout completes when pods become available.",
    component="controllers",
    source=_UPSTREAM,
)

DEPLOY_ESR = requirement(
    "DEPLOY-ESR",
    "With a Deployment's spec fixed, not paused, and faults over, its controller MUST eventually complete "
    "the rollout: the new ReplicaSet (template equal to the Deployment's) at spec.replicas with that many "
    "available pods, every old ReplicaSet scaled to 0 with no pods, and status.updatedReplicas, "
    "status.replicas and status.availableReplicas equal to spec.replicas with status.observedGeneration "
    "equal to metadata.generation.",
    component="controllers",
    source="k/k pkg/controller/deployment/util/deployment_util.go (DeploymentComplete); "
    "pkg/controller/deployment/sync.go (calculateStatus, syncRolloutStatus); Anvil (OSDI'24) ESR",
)


# -- the state ------------------------------------------------------------------


@dataclass(frozen=True)
class ReplicaSetState:
    """What the Deployment controller reads of one ReplicaSet.

    ``replicas`` is ``spec.replicas``; ``pods`` is ``status.replicas`` (pods
    that exist) and ``available`` is ``status.availableReplicas``. Status lags
    spec: right after a scale-down ``pods`` and ``available`` may exceed
    ``replicas`` until the ReplicaSet controller has deleted the extra pods.
    """

    replicas: int
    available: int
    pods: int
    name: str = ""

    def __post_init__(self) -> None:
        for field_name in ("replicas", "available", "pods"):
            if getattr(self, field_name) < 0:
                raise ValueError(f"{field_name} of a ReplicaSet cannot be negative: {self!r}")

    @classmethod
    def settled(cls, replicas: int, name: str = "") -> ReplicaSetState:
        """A ReplicaSet whose ``replicas`` pods all exist and are available."""
        return cls(replicas=replicas, available=replicas, pods=replicas, name=name)

    @property
    def unhealthy(self) -> int:
        """``spec.replicas - status.availableReplicas``, what ``cleanupUnhealthyReplicas`` may remove."""
        return self.replicas - self.available

    def scaled(self, replicas: int) -> ReplicaSetState:
        """The same ReplicaSet after its ``spec.replicas`` is set; the status catches up later."""
        return replace(self, replicas=replicas)


@dataclass(frozen=True)
class RolloutState:
    """A Deployment with strategy RollingUpdate and its ReplicaSets.

    ``old`` lists the old ReplicaSets oldest first, the order upstream sorts
    them in (``ReplicaSetsByCreationTimestamp``). ``max_surge`` and
    ``max_unavailable`` are as in the API (``3`` or ``"25%"``); ``None``
    means 0 (``intstr.ValueOrDefault`` in ``ResolveFenceposts``; defaulting
    sets both to 25%).
    """

    replicas: int
    max_surge: IntOrPercent | None
    max_unavailable: IntOrPercent | None
    new: ReplicaSetState
    old: tuple[ReplicaSetState, ...] = ()

    def __post_init__(self) -> None:
        if self.replicas < 0:
            raise ValueError(f"replicas cannot be negative: {self.replicas}")

    @property
    def replica_sets(self) -> tuple[ReplicaSetState, ...]:
        """Every ReplicaSet, the old ones first (upstream's ``append(oldRSs, newRS)``)."""
        return (*self.old, self.new)


def total_replicas(replica_sets: Sequence[ReplicaSetState]) -> int:
    """The sum of ``spec.replicas`` (``GetReplicaCountForReplicaSets``)."""
    return sum(rs.replicas for rs in replica_sets)


def total_available(replica_sets: Sequence[ReplicaSetState]) -> int:
    """The sum of ``status.availableReplicas`` (``GetAvailableReplicaCountForReplicaSets``)."""
    return sum(rs.available for rs in replica_sets)


# -- resolving maxSurge and maxUnavailable -----------------------------------------


def resolve_max_surge(max_surge: IntOrPercent | None, replicas: int) -> int:
    """maxSurge in pods: a percentage of ``replicas`` rounded up (``GetScaledValueFromIntOrPercent``)."""
    return scaled_value(0 if max_surge is None else max_surge, replicas, round_up=True)


def resolve_max_unavailable(max_unavailable: IntOrPercent | None, replicas: int) -> int:
    """maxUnavailable as a number of pods: a percentage of ``replicas`` rounded down."""
    return scaled_value(0 if max_unavailable is None else max_unavailable, replicas, round_up=False)


def resolve_fenceposts(
    max_surge: IntOrPercent | None, max_unavailable: IntOrPercent | None, desired: int
) -> tuple[int, int]:
    """``ResolveFenceposts``: (surge, unavailable) in pods; both 0 makes unavailable 1.

    Validation forbids both 0 as written, but a percentage of maxUnavailable
    can round down to 0 (``maxSurge: 0, maxUnavailable: 25%`` with 3
    replicas); upstream then allows one unavailable pod so that the rollout
    can move at all.
    """
    surge = resolve_max_surge(max_surge, desired)
    unavailable = resolve_max_unavailable(max_unavailable, desired)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def resolved_max_surge(state: RolloutState) -> int:
    """``MaxSurge`` of a RollingUpdate Deployment."""
    return resolve_fenceposts(state.max_surge, state.max_unavailable, state.replicas)[0]


def resolved_max_unavailable(state: RolloutState) -> int:
    """``MaxUnavailable``: 0 for 0 replicas, otherwise the resolved value capped at ``replicas``."""
    if state.replicas == 0:
        return 0
    unavailable = resolve_fenceposts(state.max_surge, state.max_unavailable, state.replicas)[1]
    return min(unavailable, state.replicas)


# -- the requirements' own bounds, in the API's words ----------------------------------


def allowed_total(state: RolloutState) -> int:
    """DEPLOY-ROLL-SURGE's bound: ``replicas + maxSurge``, a percentage rounded up as the API documents.

    Computed from ``spec.intstr.scaled_value`` directly, not with the
    controller's ``resolve_fenceposts``, so that a controller resolving
    maxSurge wrongly is measured against what the API promises.
    """
    surge = scaled_value(0 if state.max_surge is None else state.max_surge, state.replicas, round_up=True)
    return state.replicas + surge


def required_available(state: RolloutState) -> int:
    """DEPLOY-ROLL-AVAILABILITY's bound: ``replicas - maxUnavailable``, never below 0.

    maxUnavailable as the API documents it (a percentage rounded down), with
    the one rule upstream adds (``ResolveFenceposts``): when it and maxSurge
    both come to 0 pods, one pod may be unavailable. Computed from
    ``spec.intstr.scaled_value`` directly, like ``allowed_total``.
    """
    ms = 0 if state.max_surge is None else state.max_surge
    mu = 0 if state.max_unavailable is None else state.max_unavailable
    surge = scaled_value(ms, state.replicas, round_up=True)
    unavailable = scaled_value(mu, state.replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return max(state.replicas - unavailable, 0)


def kept_available(state: RolloutState) -> int:
    """Available pods the ReplicaSets keep: ``min(available, spec.replicas)`` each.

    A ReplicaSet scaled below its available pods deletes the surplus, and
    deletes unavailable pods before available ones (``controller.ActivePods``
    ranks not-ready before ready), so this is what is left of the available
    pods once the ReplicaSet controller has acted on the spec.
    """
    return sum(min(rs.available, rs.replicas) for rs in state.replica_sets)


def is_observed(state: RolloutState) -> bool:
    """No ReplicaSet's status is ahead of its spec: ``available <= spec.replicas`` for each.

    True once the ReplicaSet controller has acted on every scale-down; the
    availability guarantee is for these states (see the module docstring).
    """
    return all(rs.available <= rs.replicas for rs in state.replica_sets)


def is_settled(state: RolloutState) -> bool:
    """Every pod every ReplicaSet wants exists and is available (the premise of DEPLOY-ROLL-PROGRESS)."""
    return all(rs.pods == rs.available == rs.replicas for rs in state.replica_sets)


def rollout_rank(state: RolloutState) -> int:
    """DEPLOY-ROLL-PROGRESS's ranking: old ``spec.replicas`` + the new ReplicaSet's distance to ``replicas``.

    0 exactly when the old ReplicaSets are scaled to 0 and the new one to
    ``replicas``.
    """
    return total_replicas(state.old) + abs(state.replicas - state.new.replicas)


def deployment_complete(state: RolloutState) -> bool:
    """``DeploymentComplete`` on the status the controller computes from the ReplicaSets.

    ``calculateStatus``: updatedReplicas is the new ReplicaSet's
    ``status.replicas``, replicas the sum of ``status.replicas``,
    availableReplicas the sum of ``status.availableReplicas``. The
    observedGeneration clause holds for the reconcile that computes it.
    """
    return (
        state.new.pods == state.replicas
        and sum(rs.pods for rs in state.replica_sets) == state.replicas
        and total_available(state.replica_sets) == state.replicas
    )


# -- one reconcile --------------------------------------------------------------------


def new_rs_new_replicas(
    replicas: int, max_surge: IntOrPercent | None, all_replicas: int, new_replicas: int
) -> int:
    """``NewRSNewReplicas`` for RollingUpdate: how far the new ReplicaSet may grow within the surge.

    ``all_replicas`` is the sum of ``spec.replicas`` over the ReplicaSets
    (``GetReplicaCountForReplicaSets(allRSs)``). Upstream resolves maxSurge
    here with ``GetScaledValueFromIntOrPercent`` directly, the same value as
    ``resolve_max_surge``.
    """
    max_total = replicas + resolve_max_surge(max_surge, replicas)
    if all_replicas >= max_total:
        return new_replicas
    return new_replicas + min(max_total - all_replicas, replicas - new_replicas)


def reconcile_new_replica_set(state: RolloutState) -> RolloutState:
    """``reconcileNewReplicaSet``: scale the new ReplicaSet down to ``replicas``, or up within the surge."""
    new = state.new
    if new.replicas == state.replicas:
        return state
    if new.replicas > state.replicas:
        return replace(state, new=new.scaled(state.replicas))
    target = new_rs_new_replicas(
        state.replicas, state.max_surge, total_replicas(state.replica_sets), new.replicas
    )
    return replace(state, new=new.scaled(target))


@dataclass(frozen=True)
class Cleanup:
    """What ``cleanupUnhealthyReplicas`` did: the old ReplicaSets after it, how many it removed, failure."""

    old: tuple[ReplicaSetState, ...]
    cleaned: int
    failed: bool = False


def cleanup_unhealthy_replicas(old: Sequence[ReplicaSetState], max_cleanup: int) -> Cleanup:
    """``cleanupUnhealthyReplicas``: oldest first, scale each old ReplicaSet down by its unhealthy replicas.

    At most ``max_cleanup`` in total. A ReplicaSet with more available pods
    than ``spec.replicas`` (status behind a scale-down) gives a negative
    count; upstream returns an error there, after the scale-downs already
    made, and ``reconcileOldReplicaSets`` then does nothing more.
    """
    updated = list(old)
    cleaned = 0
    for index, rs in enumerate(old):
        if cleaned >= max_cleanup:
            break
        if rs.replicas == 0 or rs.replicas == rs.available:
            continue
        count = min(max_cleanup - cleaned, rs.unhealthy)
        if rs.replicas - count > rs.replicas:
            return Cleanup(tuple(updated), cleaned, failed=True)
        updated[index] = rs.scaled(rs.replicas - count)
        cleaned += count
    return Cleanup(tuple(updated), cleaned)


def scale_down_old_replica_sets(state: RolloutState) -> RolloutState:
    """``scaleDownOldReplicaSetsForRollingUpdate``: scale old ReplicaSets down to minAvailable, oldest first.

    Available pods are counted over ``state.replica_sets`` (upstream's
    ``allRSs``, which ``reconcile_old_replica_sets`` builds from the active
    old ReplicaSets and the new one) from their status; it removes at most
    ``available - (replicas - maxUnavailable)`` replicas.
    """
    min_available = state.replicas - resolved_max_unavailable(state)
    available = total_available(state.replica_sets)
    if available <= min_available:
        return state
    to_scale_down = available - min_available
    scaled_down = 0
    updated = list(state.old)
    for index, rs in enumerate(state.old):
        if scaled_down >= to_scale_down:
            break
        if rs.replicas == 0:
            continue
        count = min(rs.replicas, to_scale_down - scaled_down)
        updated[index] = rs.scaled(rs.replicas - count)
        scaled_down += count
    return replace(state, old=tuple(updated))


def reconcile_old_replica_sets(state: RolloutState) -> RolloutState:
    """``reconcileOldReplicaSets``: remove unhealthy old replicas first, then scale old ReplicaSets down.

    Only the active old ReplicaSets (``spec.replicas > 0``,
    ``FilterActiveReplicaSets``) take part. The budget is ``maxScaledDown =
    allPods - minAvailable - newRSUnavailable``: the new ReplicaSet's pods
    that are not available yet count as unavailable already, so old pods are
    not taken down while the new ones are not serving.
    """
    active = [index for index, rs in enumerate(state.old) if rs.replicas > 0]
    old_pods = total_replicas(state.old)
    if old_pods == 0:
        return state
    all_pods = total_replicas(state.replica_sets)
    min_available = state.replicas - resolved_max_unavailable(state)
    new_unavailable = state.new.replicas - state.new.available
    max_scaled_down = all_pods - min_available - new_unavailable
    if max_scaled_down <= 0:
        return state
    cleanup = cleanup_unhealthy_replicas([state.old[i] for i in active], max_scaled_down)
    after_cleanup = _with_old(state, active, cleanup.old)
    if cleanup.failed:
        return after_cleanup
    scaled = scale_down_old_replica_sets(replace(after_cleanup, old=cleanup.old))
    return _with_old(state, active, scaled.old)


def _with_old(
    state: RolloutState, indices: Sequence[int], updated: Sequence[ReplicaSetState]
) -> RolloutState:
    old = list(state.old)
    for index, rs in zip(indices, updated, strict=True):
        old[index] = rs
    return replace(state, old=tuple(old))


def rollout_step(state: RolloutState) -> RolloutState:
    """One reconcile of ``rolloutRolling``: scale the new ReplicaSet if it can, else scale old ones down.

    Returns the ReplicaSets with their new ``spec.replicas``; their status is
    what the controller read (pods change later, by the ReplicaSet
    controller and the kubelet).
    """
    scaled_up = reconcile_new_replica_set(state)
    if scaled_up != state:
        return scaled_up
    return reconcile_old_replica_sets(state)


# -- from the API objects --------------------------------------------------------------


def replica_set_state(replica_set: ReplicaSet) -> ReplicaSetState:
    """A ``ReplicaSetState`` of a ``spec.objects.apps.ReplicaSet`` (``spec.replicas`` defaults to 1)."""
    replicas = 1 if replica_set.spec.replicas is None else replica_set.spec.replicas
    return ReplicaSetState(
        replicas=replicas,
        available=replica_set.status.available_replicas,
        pods=replica_set.status.replicas,
        name=replica_set.metadata.name or "",
    )


def rollout_state(deployment: Deployment, new: ReplicaSet, old: Sequence[ReplicaSet] = ()) -> RolloutState:
    """A ``RolloutState`` of a defaulted RollingUpdate ``spec.objects.apps.Deployment`` and its ReplicaSets.

    ``old`` must be oldest first. A Deployment whose fields are unset gets
    upstream's defaults (replicas 1, maxSurge and maxUnavailable 25%) from
    ``spec.objects.defaults.default_deployment``.
    """
    defaulted = default_deployment(deployment)
    strategy = defaulted.spec.strategy
    if strategy.type != "RollingUpdate" or strategy.rolling_update is None:
        raise ValueError(f"the rollout model is for strategy RollingUpdate, not {strategy.type!r}")
    rolling = strategy.rolling_update
    return RolloutState(
        replicas=1 if defaulted.spec.replicas is None else defaulted.spec.replicas,
        max_surge=rolling.max_surge,
        max_unavailable=rolling.max_unavailable,
        new=replica_set_state(new),
        old=tuple(replica_set_state(rs) for rs in old),
    )


# -- rollback (kubectl rollout undo) and the revision of the new ReplicaSet ----------------------------

_ROLLBACK = (
    "kubectl pkg/polymorphichelpers/rollback.go (DeploymentRollbacker.Rollback, deploymentRevision; "
    "recalled, not re-read this session); k/k pkg/controller/deployment/sync.go getNewReplicaSet and "
    "util/deployment_util.go SetNewReplicaSetAnnotations (an existing new ReplicaSet's revision is raised "
    "to the old ones' largest + 1)"
)

DEPLOY_ROLLBACK = requirement(
    "DEPLOY-ROLLBACK",
    "Rolling a Deployment back to revision N (0: the revision before the latest) MUST set its pod "
    "template to that revision's ReplicaSet's template without the pod-template-hash label, and MUST be "
    "refused while the Deployment is paused or when the revision is not in its history; the controller "
    "MUST then reuse that ReplicaSet, creating none, and once it has synced the Deployment's generation "
    "the ReplicaSet whose template is the Deployment's MUST carry the largest revision of its "
    "ReplicaSets, no two of which carry the same revision.",
    component="controllers",
    source=_ROLLBACK,
)

PAUSED_ROLLBACK = (
    "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again"
)


class RollbackRefused(Exception):
    """``kubectl rollout undo`` refused, with kubectl's message."""


def rollback_revision(revisions: Sequence[int], to_revision: int, *, name: str, paused: bool) -> int:
    """The revision ``kubectl rollout undo --to-revision=to_revision`` goes back to, among ``revisions``
    (the revision annotations of the Deployment's ReplicaSets).

    ``deploymentRevision``: 0 means the second largest revision (the one before the latest); another
    number must be one of them. A paused Deployment is refused first.
    """
    if paused:
        raise RollbackRefused(PAUSED_ROLLBACK)
    if to_revision > 0:
        if to_revision not in revisions:
            raise RollbackRefused(f"unable to find specified revision {to_revision} in history")
        return to_revision
    distinct = sorted(set(revisions), reverse=True)
    if len(distinct) < 2:
        raise RollbackRefused(f'no rollout history found for deployment "{name}"')
    return distinct[1]


def revision_violations(revisions: Sequence[int], new_revision: int | None) -> list[str]:
    """DEPLOY-ROLLBACK's controller part on a synced Deployment: revisions unique, the new one largest."""
    problems = []
    duplicates = sorted({r for r in revisions if revisions.count(r) > 1})
    if duplicates:
        problems.append(f"revisions {duplicates} carried by more than one ReplicaSet")
    if new_revision is not None and revisions and new_revision < max(revisions):
        problems.append(
            f"the new ReplicaSet's revision {new_revision} is below the largest, {max(revisions)}"
        )
    return problems


# -- conditions and the progress deadline (sync.go syncRolloutStatus, progress.go, util) -------------------

_CONDITIONS = (
    "k/k pkg/controller/deployment/sync.go (syncRolloutStatus, calculateStatus, getNewReplicaSet), "
    "progress.go, deployment_controller.go (checkPausedConditions), util/deployment_util.go "
    "(DeploymentProgressing, DeploymentTimedOut, SetDeploymentCondition; recalled, not re-read this session)"
)

PROGRESSING, AVAILABLE = "Progressing", "Available"
NEW_RS_CREATED, FOUND_NEW_RS = "NewReplicaSetCreated", "FoundNewReplicaSet"
RS_UPDATED, NEW_RS_AVAILABLE, TIMED_OUT = (
    "ReplicaSetUpdated",
    "NewReplicaSetAvailable",
    "ProgressDeadlineExceeded",
)
PAUSED, RESUMED = "DeploymentPaused", "DeploymentResumed"
MIN_AVAILABLE, MIN_UNAVAILABLE = "MinimumReplicasAvailable", "MinimumReplicasUnavailable"

DEPLOY_CONDITIONS = requirement(
    "DEPLOY-CONDITIONS",
    "A Deployment's status MUST carry an Available condition, True (MinimumReplicasAvailable) exactly when "
    "its available replicas reach replicas - maxUnavailable, and, with a progress deadline, a Progressing "
    "condition that is True with reason NewReplicaSetAvailable once the rollout is complete.",
    component="controllers",
    source=_CONDITIONS,
)
DEPLOY_PROGRESS_DEADLINE = requirement(
    "DEPLOY-PROGRESS-DEADLINE",
    "A rollout that makes no progress (no more updated, ready or available replicas, no fewer old ones) "
    "for progressDeadlineSeconds since its Progressing condition was last updated MUST get Progressing "
    "False with reason ProgressDeadlineExceeded within a bounded time, and MUST NOT before that, nor "
    "while paused or complete.",
    component="controllers",
    source=_CONDITIONS,
)


@dataclass(frozen=True)
class Condition:
    """A Deployment condition; times are seconds on the controller's clock."""

    type: str
    status: str
    reason: str
    last_update: float
    last_transition: float


@dataclass(frozen=True)
class StatusCounts:
    replicas: int
    updated: int
    ready: int
    available: int


def condition_of(conditions: Sequence[Condition], kind: str) -> Condition | None:
    return next((c for c in conditions if c.type == kind), None)


def set_condition(conditions: Sequence[Condition], new: Condition) -> tuple[Condition, ...]:
    """``SetDeploymentCondition``: nothing changes if status and reason are the same; the transition time
    is kept if only the reason changes."""
    current = condition_of(conditions, new.type)
    if current is not None and current.status == new.status and current.reason == new.reason:
        return tuple(conditions)
    if current is not None and current.status == new.status:
        new = replace(new, last_transition=current.last_transition)
    return (*(c for c in conditions if c.type != new.type), new)


def made_progress(before: StatusCounts, after: StatusCounts) -> bool:
    """``DeploymentProgressing``: more updated, ready or available replicas, or fewer old ones."""
    return (
        after.updated > before.updated
        or after.replicas - after.updated < before.replicas - before.updated
        or after.ready > before.ready
        or after.available > before.available
    )


def timed_out(progressing: Condition | None, deadline_s: int, now: float) -> bool:
    """``DeploymentTimedOut``."""
    if progressing is None or progressing.reason == NEW_RS_AVAILABLE:
        return False
    if progressing.reason == TIMED_OUT:
        return True
    return progressing.last_update + deadline_s < now


def rollout_conditions(
    previous: Sequence[Condition],
    *,
    before: StatusCounts,
    after: StatusCounts,
    min_available: int,
    complete: bool,
    paused: bool,
    deadline_s: int | None,
    created_new: bool,
    now: float,
) -> tuple[Condition, ...]:
    """The conditions one sync writes: getNewReplicaSet's, checkPausedConditions', calculateStatus'
    Available, then (not paused) syncRolloutStatus' Progressing."""
    conditions = tuple(previous)
    if deadline_s is None:
        conditions = tuple(c for c in conditions if c.type != PROGRESSING)
    else:
        current = condition_of(conditions, PROGRESSING)
        if created_new:
            conditions = set_condition(conditions, Condition(PROGRESSING, "True", NEW_RS_CREATED, now, now))
        elif current is None:
            conditions = set_condition(conditions, Condition(PROGRESSING, "True", FOUND_NEW_RS, now, now))
        current = condition_of(conditions, PROGRESSING)
        if current is None or current.reason != TIMED_OUT:
            if paused and (current is None or current.reason != PAUSED):
                conditions = set_condition(conditions, Condition(PROGRESSING, "Unknown", PAUSED, now, now))
            elif not paused and current is not None and current.reason == PAUSED:
                conditions = set_condition(conditions, Condition(PROGRESSING, "Unknown", RESUMED, now, now))
    if after.available >= min_available:
        conditions = set_condition(conditions, Condition(AVAILABLE, "True", MIN_AVAILABLE, now, now))
    else:
        conditions = set_condition(conditions, Condition(AVAILABLE, "False", MIN_UNAVAILABLE, now, now))
    if paused or deadline_s is None:
        return conditions
    current = condition_of(conditions, PROGRESSING)
    if after.replicas == after.updated and current is not None and current.reason == NEW_RS_AVAILABLE:
        return conditions  # the rollout completed earlier: a resync estimates nothing
    if complete:
        return set_condition(conditions, Condition(PROGRESSING, "True", NEW_RS_AVAILABLE, now, now))
    if made_progress(before, after):
        # Progress refreshes lastUpdateTime even with the same reason (the special case upstream notes).
        kept = current.last_transition if current is not None and current.status == "True" else now
        updated = Condition(PROGRESSING, "True", RS_UPDATED, now, kept)
        return (*(c for c in conditions if c.type != PROGRESSING), updated)
    if timed_out(current, deadline_s, now):
        return set_condition(conditions, Condition(PROGRESSING, "False", TIMED_OUT, now, now))
    return conditions
