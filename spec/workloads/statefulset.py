"""One sync of the StatefulSet controller's pod management as a step function over pods by ordinal.

What it models: ``updateStatefulSet`` of upstream's StatefulSet controller,
the part that creates and deletes pods to reach ``spec.replicas`` (scaling,
and replacing pods that failed), for both ``podManagementPolicy`` values:

- ``OrderedReady`` (the default; "monotonic" in the code): the pods of
  ordinals ``0 .. replicas-1`` are walked in ascending order and the walk
  stops at the first pod that is not Running and Ready: a missing pod is
  created, a Failed or Succeeded pod is deleted (it is recreated on a later
  sync, once it is gone), a Pending, unready or terminating pod is waited
  for. Only when every one of them is Running and Ready are the pods with
  higher ordinals ("condemned") removed, the highest first, one per sync:
  the highest is waited for while it terminates, deleted if it is Running
  and Ready, and if it is not, deleted only when it is the lowest unhealthy
  pod of the set (``firstUnavailablePod``), else waited for.
- ``Parallel``: every missing pod is created and every Failed or Succeeded
  one deleted, in slow-start batches (1, 2, 4, ... calls, the last batch cut
  to what remains, at most ``MaxBatchSize`` = 500) that stop after a batch
  with a failed call; if none failed, the condemned pods that are not
  terminating are deleted in the same kind of batches, highest ordinal
  first.

A pod is described by its ``PodState`` (``PENDING`` covers a created pod
that is Pending, or Running but not Ready). The outcome of the sync's API
calls is an input: the ordinals whose creation or deletion fails (a sync
makes at most one call per ordinal). ``after_sync`` applies the calls that
succeeded (a created pod is ``PENDING``, a deleted one ``TERMINATING``);
``settle`` is what the rest of the cluster does when pods become ready:
pending pods become Running and Ready, terminating pods go away.

Upstream (kubernetes/kubernetes, read at master):

- ``pkg/controller/statefulset/stateful_set_control.go``: ``updateStatefulSet``
  (``sync``; the split into replicas and condemned pods, ``firstUnavailablePod``),
  ``processReplica`` (``ordered_replicas``; under Parallel the replica
  calls of ``sync``), ``processCondemned`` (``ordered_condemned``),
  ``runForAll`` and ``slowStartBatch`` (``run_batches``,
  ``parallel_batches``), ``MaxBatchSize = 500``.
- ``pkg/controller/statefulset/stateful_set_utils.go``: ``isCreated``,
  ``isFailed``/``isSucceeded``, ``isTerminating``, ``isRunningAndReady``,
  ``isHealthy`` (available and not terminating), ``allowsBurst``
  (Parallel), ``descendingOrdinal``.

Updates (``sync_with_update``, ``rolling_update``): the ordinals whose pod is not
at the update revision are an input (``stale``); under RollingUpdate the
highest stale pod of ordinal ``>= partition`` is deleted (recreated at the
update revision by a later sync), one at a time, waiting while a pod above
it is not healthy; under OrderedReady only once the replicas are all
Running and Ready and no pod of ordinal ``>= replicas`` is left; OnDelete
deletes nothing for an update.

Requirements defined here (component "controllers"):

- STATEFULSET-ORDERED-CREATE: under OrderedReady a sync makes at most one
  creation or deletion, and creates pod ``i`` (or deletes a failed pod
  ``i < replicas``) only when pods ``0 .. i-1`` all exist and are Running
  and Ready and not terminating.
- STATEFULSET-ORDERED-DELETE: a sync never deletes a Running and Ready pod
  of ordinal ``< replicas``; it deletes pods of ordinal ``>= replicas``
  highest first. Under OrderedReady at most one, the highest existing pod,
  with no pod of a higher ordinal left (not even terminating), every pod
  ``0 .. replicas-1`` Running and Ready, and either the deleted pod is
  Running and Ready itself or every pod below it is. Under Parallel the
  deletions are issued from the highest ordinal down: no pod is deleted
  while the deletion of a higher, non-terminating one is not attempted.
- STATEFULSET-PARTITION: under RollingUpdate a sync deletes for update only
  the highest stale pod of ordinal ``>= partition``, with every pod above it
  updated and healthy (``updateStatefulSet``'s loop down to ``updateMin``).
- STATEFULSET-CONVERGE: from a settled state (no pod pending or
  terminating), a sync whose calls succeed followed by ``settle`` lowers
  ``convergence_rank`` unless the pods are exactly ``0 .. replicas-1``, all
  Running and Ready, in which case it changes nothing; so the set reaches
  exactly those ordinals when pods become ready. Under OrderedReady this
  needs at most one failed pod among the ordinals ``>= replicas``: with two
  of them the higher waits for the lower, which is never deleted first
  (upstream waits until a person deletes one).

Where upstream differs from what is often said (the tests show each case):

- The StatefulSet documentation ("Deployment and Scaling Guarantees") says
  that before a pod is terminated for scale-down all its predecessors are
  Running and Ready. ``processCondemned`` checks that only for a condemned
  pod that is itself unhealthy: with replicas ``0 .. r-1`` healthy, the
  highest condemned pod is deleted when it is Running and Ready, even while
  a lower condemned pod is Pending (``replicas=0``, pod 0 Pending, pod 1
  Ready: pod 1 is deleted). STATEFULSET-ORDERED-DELETE says what upstream
  does.
- Two failed condemned pods block a scale-down for good (see
  STATEFULSET-CONVERGE above): the higher one is not the first unhealthy
  pod, and the lower one is not reached while the higher one exists.

Not modelled: ``spec.ordinals.start`` (ordinals start at 0, the default),
``minReadySeconds`` (taken as 0: a Running and Ready pod is available),
``maxUnavailable`` (one pod at a time is updated), PVCs (stale claims, retention
policy), pods whose names have no ordinal (ignored upstream), a
StatefulSet being deleted (only its status is updated) and the
controller's expectations.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from spec.requirements import requirement

#: ``MaxBatchSize`` in stateful_set_control.go: the largest slow-start batch under Parallel.
MAX_BATCH_SIZE = 500

ORDERED_READY = "OrderedReady"
PARALLEL = "Parallel"
POD_MANAGEMENT_POLICIES = (ORDERED_READY, PARALLEL)

_UPSTREAM = (
    "k/k pkg/controller/statefulset/stateful_set_control.go (updateStatefulSet, processReplica, "
    "processCondemned, runForAll, slowStartBatch); stateful_set_utils.go (isRunningAndReady, isHealthy, "
    "allowsBurst)"
)

STATEFULSET_ORDERED_CREATE = requirement(
    "STATEFULSET-ORDERED-CREATE",
    "Under podManagementPolicy OrderedReady a StatefulSet sync MUST make at most one pod creation or "
    "deletion, and MUST create pod i, or delete a failed pod i < replicas, only when pods 0..i-1 all exist "
    "and are Running and Ready and not terminating.",
    component="controllers",
    source=_UPSTREAM,
)
STATEFULSET_ORDERED_DELETE = requirement(
    "STATEFULSET-ORDERED-DELETE",
    "A StatefulSet sync MUST NOT delete a Running and Ready pod of ordinal < replicas, and MUST delete pods "
    "of ordinal >= replicas highest first: under OrderedReady only the highest existing pod, when no pod of "
    "a higher ordinal exists, every pod 0..replicas-1 is Running and Ready and not terminating, and the pod "
    "itself or every pod below it is Running and Ready; under Parallel never a pod below a non-terminating "
    "one whose deletion is not attempted.",
    component="controllers",
    source=_UPSTREAM,
)
STATEFULSET_CONVERGE = requirement(
    "STATEFULSET-CONVERGE",
    "From a state with no pending or terminating pod, a StatefulSet sync whose calls succeed, followed by "
    "its new pods becoming Running and Ready and its deleted pods going away, MUST lower the convergence "
    "rank unless the pods are exactly ordinals 0..replicas-1, all Running and Ready, when it MUST change "
    "nothing (under OrderedReady: unless two pods of ordinal >= replicas have failed).",
    component="controllers",
    source=_UPSTREAM,
)


class PodState(enum.Enum):
    """What the controller sees of the pod with one ordinal."""

    MISSING = "missing"  # no pod with this ordinal
    PENDING = "pending"  # created; Pending, or Running but not Ready
    READY = "ready"  # Running and Ready, not terminating
    TERMINATING = "terminating"  # deletionTimestamp set, whatever its phase
    FAILED = "failed"  # phase Failed or Succeeded, not terminating

    @property
    def exists(self) -> bool:
        return self is not PodState.MISSING


#: The pods of a StatefulSet by ordinal; an ordinal that is not a key has no pod.
Pods = Mapping[int, PodState]


@dataclass(frozen=True)
class Actions:
    """The API calls of one sync, by ordinal, in the order they are issued."""

    creations: tuple[int, ...] = ()
    deletions: tuple[int, ...] = ()

    @property
    def calls(self) -> int:
        return len(self.creations) + len(self.deletions)


NO_ACTIONS = Actions()


def state_of(pods: Pods, ordinal: int) -> PodState:
    return pods.get(ordinal, PodState.MISSING)


def is_healthy(state: PodState) -> bool:
    """``isHealthy``: Running and Ready (available, with minReadySeconds 0) and not terminating."""
    return state is PodState.READY


def condemned(replicas: int, pods: Pods) -> list[int]:
    """The existing pods of ordinal ``>= replicas``, highest first (``descendingOrdinal``)."""
    return sorted((o for o, s in pods.items() if o >= replicas and s.exists), reverse=True)


def first_unhealthy(replicas: int, pods: Pods) -> int | None:
    """``firstUnavailablePod``: the lowest replica slot that is not healthy (a missing pod counts), else the
    lowest unhealthy condemned pod."""
    for ordinal in range(replicas):
        if not is_healthy(state_of(pods, ordinal)):
            return ordinal
    unhealthy = [o for o in condemned(replicas, pods) if not is_healthy(pods[o])]
    return min(unhealthy) if unhealthy else None


def ordered_replicas(replicas: int, pods: Pods) -> tuple[Actions, bool]:
    """``runForAll(replicas, processReplica)`` under OrderedReady: (the call made, whether the sync stops)."""
    for ordinal in range(replicas):
        state = state_of(pods, ordinal)
        if state is PodState.FAILED:
            return Actions(deletions=(ordinal,)), True
        if state is PodState.MISSING:
            return Actions(creations=(ordinal,)), True
        if state is not PodState.READY:  # pending, unready or terminating: wait for it
            return NO_ACTIONS, True
    return NO_ACTIONS, False


def ordered_condemned(replicas: int, pods: Pods) -> Actions:
    """``runForAll(condemned, processCondemned)`` under OrderedReady: the highest pod or nothing."""
    doomed = condemned(replicas, pods)
    if not doomed:
        return NO_ACTIONS
    highest = doomed[0]
    state = pods[highest]
    if state is PodState.TERMINATING:
        return NO_ACTIONS
    if state is not PodState.READY and highest != first_unhealthy(replicas, pods):
        return NO_ACTIONS
    return Actions(deletions=(highest,))


def parallel_batches(count: int) -> list[range]:
    """``slowStartBatch(1, count, ...)``: positions of each batch, 1, 2, 4, ... capped at MaxBatchSize."""
    batches = []
    start, size = 0, min(count, 1)
    while size > 0:
        batches.append(range(start, start + size))
        start += size
        size = min(2 * size, count - start, MAX_BATCH_SIZE)
    return batches


def run_batches(
    targets: list[int], call: dict[int, str], failing: frozenset[int]
) -> tuple[list[int], list[int], bool]:
    """Slow-start over ``targets`` (ordinals); ``call`` says which make a creation or a deletion.

    Returns (creations, deletions, whether a call failed); after a batch with
    a failed call no further batch starts.
    """
    creations: list[int] = []
    deletions: list[int] = []
    for batch in parallel_batches(len(targets)):
        failed = False
        for position in batch:
            ordinal = targets[position]
            kind = call.get(ordinal)
            if kind is None:
                continue
            (creations if kind == "create" else deletions).append(ordinal)
            failed = failed or ordinal in failing
        if failed:
            return creations, deletions, True
    return creations, deletions, False


def sync(
    replicas: int, pods: Pods, policy: str = ORDERED_READY, failing: frozenset[int] = frozenset()
) -> Actions:
    """One ``updateStatefulSet``: the creations and deletions it issues; ``failing`` are the ordinals whose
    call fails."""
    if replicas < 0:
        raise ValueError(f"spec.replicas cannot be negative: {replicas}")
    if policy not in POD_MANAGEMENT_POLICIES:
        raise ValueError(f"unknown podManagementPolicy {policy!r}")
    if policy == ORDERED_READY:
        done, stop = ordered_replicas(replicas, pods)
        return done if stop else ordered_condemned(replicas, pods)
    replica_calls = {}
    for ordinal in range(replicas):
        state = state_of(pods, ordinal)
        if state is PodState.MISSING:
            replica_calls[ordinal] = "create"
        elif state is PodState.FAILED:
            replica_calls[ordinal] = "delete"
    creations, deletions, failed = run_batches(list(range(replicas)), replica_calls, failing)
    if failed:
        return Actions(tuple(creations), tuple(deletions))
    doomed = condemned(replicas, pods)
    doomed_calls = {o: "delete" for o in doomed if pods[o] is not PodState.TERMINATING}
    _, more, _ = run_batches(doomed, doomed_calls, failing)
    return Actions(tuple(creations), (*deletions, *more))


def after_sync(pods: Pods, actions: Actions, failing: frozenset[int] = frozenset()) -> dict[int, PodState]:
    """The pods once the calls that succeeded are observed: new pods pending, deleted ones terminating."""
    after = {o: s for o, s in pods.items() if s.exists}
    for ordinal in actions.creations:
        if ordinal not in failing:
            after[ordinal] = PodState.PENDING
    for ordinal in actions.deletions:
        if ordinal not in failing:
            after[ordinal] = PodState.TERMINATING
    return after


def settle(pods: Pods) -> dict[int, PodState]:
    """Pods become ready and deletions complete: pending -> Running and Ready, terminating -> gone."""
    settled = {}
    for ordinal, state in pods.items():
        if state is PodState.PENDING:
            settled[ordinal] = PodState.READY
        elif state in (PodState.READY, PodState.FAILED):
            settled[ordinal] = state
    return settled


def is_settled(pods: Pods) -> bool:
    return all(s in (PodState.MISSING, PodState.READY, PodState.FAILED) for s in pods.values())


def is_complete(replicas: int, pods: Pods) -> bool:
    """Exactly the ordinals ``0 .. replicas-1`` exist, all Running and Ready."""
    existing = {o for o, s in pods.items() if s.exists}
    return existing == set(range(replicas)) and all(pods[o] is PodState.READY for o in existing)


def convergence_rank(replicas: int, pods: Pods) -> int:
    """STATEFULSET-CONVERGE's ranking of a settled state: the calls still needed.

    A missing replica needs one creation, a failed one a deletion and a
    creation; a pod of ordinal ``>= replicas`` needs one deletion.
    """
    rank = 0
    for ordinal in range(replicas):
        state = state_of(pods, ordinal)
        rank += {PodState.MISSING: 1, PodState.FAILED: 2}.get(state, 0)
    return rank + len(condemned(replicas, pods))


def failed_condemned(replicas: int, pods: Pods) -> int:
    """How many pods of ordinal ``>= replicas`` have failed (two block an OrderedReady scale-down)."""
    return sum(1 for o in condemned(replicas, pods) if pods[o] is PodState.FAILED)


STATEFULSET_PARTITION = requirement(
    "STATEFULSET-PARTITION",
    "Under the RollingUpdate strategy a StatefulSet sync MUST delete for update only a pod of ordinal >= "
    "partition that is not at the update revision, at most one, the highest such ordinal, and only when "
    "every pod above it (up to replicas-1) is at the update revision and Running and Ready.",
    component="controllers",
    source="k/k pkg/controller/statefulset/stateful_set_control.go (updateStatefulSet: the loop from "
    "len(replicas)-1 down to updateMin = partition)",
)


def rolling_update(replicas: int, pods: Pods, stale: frozenset[int], partition: int = 0) -> Actions:
    """The RollingUpdate part of ``updateStatefulSet``: from the highest replica down to ``partition``,
    delete the first pod not at the update revision (``stale``) that is not terminating, and stop at the
    first pod that is not healthy (a pod just created counts as not healthy)."""
    for target in range(replicas - 1, max(partition, 0) - 1, -1):
        state = state_of(pods, target)
        if target in stale and state.exists and state is not PodState.TERMINATING:
            return Actions(deletions=(target,))
        if not is_healthy(state):
            return NO_ACTIONS
    return NO_ACTIONS


def sync_with_update(
    replicas: int,
    pods: Pods,
    policy: str = ORDERED_READY,
    *,
    stale: frozenset[int] = frozenset(),
    partition: int = 0,
    on_delete: bool = False,
) -> Actions:
    """One ``updateStatefulSet`` with updates: ``sync``, then (RollingUpdate only) ``rolling_update``.

    Under OrderedReady the update runs only when ``sync`` made no call and waits for nothing (every replica
    Running and Ready, no pod of ordinal >= replicas). Under Parallel it runs after ``sync``'s calls on the
    pods as they then are (created and replaced pods are not healthy and are at the update revision)."""
    done = sync(replicas, pods, policy)
    if on_delete:
        return done
    if policy == ORDERED_READY:
        if done.calls or ordered_replicas(replicas, pods)[1] or condemned(replicas, pods):
            return done
        return rolling_update(replicas, pods, stale, partition)
    after = after_sync(pods, done)
    for ordinal in done.deletions:
        if ordinal < replicas:  # a failed replica is replaced by a pod not yet created
            after.pop(ordinal, None)
    fresh = stale - set(done.creations) - set(done.deletions)
    update = rolling_update(replicas, after, frozenset(fresh), partition)
    return Actions(done.creations, (*done.deletions, *update.deletions))
