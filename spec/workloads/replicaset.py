"""One sync of the ReplicaSet controller as a step function: pods created and deleted toward spec.replicas.

What it models: ``manageReplicas`` once the controller's expectations are
satisfied (it does not act while creations or deletions it made are still
unobserved), reduced to numbers: ``spec.replicas``, the active pods it owns
(``controller.FilterActivePods``: not terminating, not Succeeded or
Failed), and which of the API calls it makes fail, given as an input
(``Outcomes``). The result says which calls were made and how many
succeeded; the active pods after the sync are ``active + created -
deleted`` once the informer has observed them.

Upstream (kubernetes/kubernetes, read at master):

- ``pkg/controller/replicaset/replica_set.go``: ``manageReplicas``
  (``manage_replicas``), ``BurstReplicas = 500`` (``BURST_REPLICAS``),
  ``slowStartBatch`` (``slow_start_batch``).
- ``pkg/controller/controller_utils.go``: ``SlowStartInitialBatchSize = 1``.

How it behaves (upstream):

- Too few pods: create ``min(spec.replicas - active, burstReplicas)``, in
  batches of 1, 2, 4, ... (each twice the last, the last one cut to what
  remains). The calls of one batch run concurrently; after a batch in which
  any call failed, no further batch starts. A creation rejected because the
  namespace is terminating counts as a success for the batching (no pod
  appears); the model leaves that case out.
  REFERENCE.md's "stopping at the first error" is this: the batch in
  which the first creation fails still runs to its end (its calls are
  concurrent), and no later batch starts.
- Too many pods: delete ``min(active - spec.replicas, burstReplicas)``,
  all at once (concurrently); a failed deletion does not stop the others.
  Which pods go first (``getPodsToDelete``) does not change the numbers.

Requirements defined here (component "controllers"), the first two on one
sync, the last two on the controller at work (conformance/workloads/):

- REPLICASET-CONVERGE: a sync never moves the active pods past
  ``spec.replicas`` or away from it, and when every call it makes succeeds
  and the distance is not 0, the distance ``|spec.replicas - active|``
  decreases, by ``min(distance, burstReplicas)``.
- REPLICASET-SLOW-START: a sync makes at most ``burstReplicas`` creations or
  deletions, and stops creating after a batch with a failure, so that at
  most one more creation fails than succeeds (a batch is never larger than
  one more than the successes before it): a quota that rejects every pod
  costs one request, not 500.
- REPLICASET-NO-OVERSHOOT: never more active pods than the larger of
  spec.replicas and what there was when it was set, however stale the
  controller's cache (what expectations are for).
- REPLICASET-ESR: with the desired state fixed and faults over, the pods
  and the status converge (Anvil's eventually stable reconciliation).
"""

from __future__ import annotations

from dataclasses import dataclass

from spec.requirements import requirement

#: ``BurstReplicas`` in replica_set.go: creations or deletions per sync.
BURST_REPLICAS = 500
#: ``SlowStartInitialBatchSize`` in controller_utils.go.
SLOW_START_INITIAL_BATCH_SIZE = 1

_UPSTREAM = (
    "k/k pkg/controller/replicaset/replica_set.go (manageReplicas, BurstReplicas, slowStartBatch); "
    "pkg/controller/controller_utils.go (SlowStartInitialBatchSize)"
)

REPLICASET_CONVERGE = requirement(
    "REPLICASET-CONVERGE",
    "A ReplicaSet sync MUST NOT move the number of its active pods past spec.replicas or further from "
    "it, and when every creation and deletion it attempts succeeds it MUST bring the number "
    "min(burstReplicas, |spec.replicas - active pods|) closer to spec.replicas.",
    component="controllers",
    source=_UPSTREAM,
)
REPLICASET_SLOW_START = requirement(
    "REPLICASET-SLOW-START",
    "A ReplicaSet sync MUST attempt at most burstReplicas (500) pod creations or deletions, and MUST "
    "create pods in batches of 1, 2, 4, ... that stop after a batch with a failed creation, so that no "
    "more than one creation fails beyond those that succeed.",
    component="controllers",
    source=_UPSTREAM,
)


REPLICASET_NO_OVERSHOOT = requirement(
    "REPLICASET-NO-OVERSHOOT",
    "The active pods a ReplicaSet controls MUST never outnumber the larger of its spec.replicas and the "
    "active pods it had when spec.replicas was last set, whatever its caches lag behind its own writes "
    "and however often the controller restarts.",
    component="controllers",
    source="k/k pkg/controller/replicaset/replica_set.go (expectations: manageReplicas only when "
    "satisfied), pkg/controller/controller_utils.go ControllerExpectations; Sieve (OSDI'22) stale states",
)
REPLICASET_ESR = requirement(
    "REPLICASET-ESR",
    "With spec.replicas fixed and faults over, a ReplicaSet MUST within a bounded time have exactly "
    "spec.replicas active pods, all Running and Ready, and a status saying so (replicas, readyReplicas, "
    "availableReplicas, observedGeneration = generation).",
    component="controllers",
    source="k/k pkg/controller/replicaset/replica_set.go (syncReplicaSet, calculateStatus); "
    "Anvil (OSDI'24) ESR",
)


@dataclass(frozen=True)
class Outcomes:
    """Which API calls of one sync fail, by position: the i-th creation attempted, the i-th deletion.

    Positions count calls in the order they are issued; the calls of one
    batch run concurrently, so only how many of a batch fail matters.
    """

    failed_creations: frozenset[int] = frozenset()
    failed_deletions: frozenset[int] = frozenset()


ALL_SUCCEED = Outcomes()


@dataclass(frozen=True)
class SyncResult:
    """What one ``manageReplicas`` did: creation batches attempted, creations and deletions that succeeded."""

    batches: tuple[int, ...] = ()
    created: int = 0
    deletions_attempted: int = 0
    deleted: int = 0

    @property
    def creations_attempted(self) -> int:
        return sum(self.batches)

    @property
    def failed_creations(self) -> int:
        return self.creations_attempted - self.created

    @property
    def failed_deletions(self) -> int:
        return self.deletions_attempted - self.deleted


def slow_start_batch(
    count: int, initial_batch_size: int, failed: frozenset[int]
) -> tuple[tuple[int, ...], int]:
    """``slowStartBatch``: (the batch sizes attempted, how many calls succeeded).

    Batches start at ``initial_batch_size`` and double, the last one cut to
    what remains of ``count``; a batch with a failed call (a position in
    ``failed``) is the last.
    """
    remaining = count
    attempted = 0
    successes = 0
    batches: list[int] = []
    batch = min(remaining, initial_batch_size)
    while batch > 0:
        failures = sum(1 for position in failed if attempted <= position < attempted + batch)
        batches.append(batch)
        attempted += batch
        successes += batch - failures
        if failures:
            break
        remaining -= batch
        batch = min(2 * batch, remaining)
    return tuple(batches), successes


def manage_replicas(
    replicas: int, active: int, outcomes: Outcomes = ALL_SUCCEED, burst_replicas: int | None = None
) -> SyncResult:
    """``manageReplicas``: create or delete pods toward ``replicas``, at most ``burstReplicas`` of them."""
    if replicas < 0 or active < 0:
        raise ValueError(f"replicas and active pods cannot be negative: {replicas}, {active}")
    burst = BURST_REPLICAS if burst_replicas is None else burst_replicas
    diff = active - replicas
    if diff < 0:
        count = min(-diff, burst)
        batches, created = slow_start_batch(count, SLOW_START_INITIAL_BATCH_SIZE, outcomes.failed_creations)
        return SyncResult(batches=batches, created=created)
    if diff > 0:
        count = min(diff, burst)
        failed = sum(1 for position in outcomes.failed_deletions if 0 <= position < count)
        return SyncResult(deletions_attempted=count, deleted=count - failed)
    return SyncResult()


def active_after(active: int, result: SyncResult) -> int:
    """The active pods once the informer has observed what the sync did."""
    return active + result.created - result.deleted


def distance(replicas: int, active: int) -> int:
    """REPLICASET-CONVERGE's ranking: how far the active pods are from ``spec.replicas``."""
    return abs(replicas - active)
