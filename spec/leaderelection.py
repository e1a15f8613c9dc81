"""Leader election on a Lease: only one of several controller managers acts.

What it models: client-go ``tools/leaderelection/leaderelection.go``
(``tryAcquireOrRenew``, ``renew``) with the Lease lock of
``tools/leaderelection/resourcelock/leaselock.go``, as kube-controller-manager
runs it (``--leader-elect``, Lease ``kube-system/kube-controller-manager``).
Timings are k8s.io/component-base ``config/v1alpha1/defaults.go``
(``RecommendedDefaultLeaderElectionConfiguration``): lease duration 15 s,
renew deadline 10 s, retry period 2 s.

How it behaves (upstream):

- A candidate reads the Lease. If nobody holds it, or its holder is the
  candidate, or the record has not changed for ``leaseDurationSeconds``
  *since the candidate first observed it* (its own clock, not renewTime:
  client-go does not trust other machines' clocks), the candidate writes
  itself as holder, with ``renewTime`` now; the write carries the
  resourceVersion it read, so of two candidates racing only one succeeds.
- ``acquireTime`` and ``leaseTransitions`` change only when the holder does.
- The leader renews every retry period and stops leading when it has not
  renewed for the renew deadline (kube-controller-manager then exits).

What kspec asks for, and upstream does not promise: client-go says it does
not fence ("does not guarantee that only one client is acting as a
leader"); a leader paused for longer than the lease may act on waking
before it learns it lost. kspec's reference manager checks its own last
renewal before every round, so the property below holds for it, and the
suite states it for every manager it runs: it is the behaviour an operator
expects of ``--leader-elect``, and a manager that cannot keep it is worth
knowing about.

Requirements defined here (component "controllers"):

- MANAGER-LEADER-EXCLUSIVE: judged on a log of the managers' writes
  (``leadership_violations``).
- MANAGER-LEADER-TAKEOVER: when the leader stops, another manager leads
  within ``takeover_bound_s``.
- MANAGER-RESTART-FAILED: a controller that fails is restarted and the
  others keep running.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from spec.requirements import requirement

LEASE_DURATION_S: Final = 15.0
RENEW_DEADLINE_S: Final = 10.0
RETRY_PERIOD_S: Final = 2.0
#: kube-controller-manager's lock.
LEASE_NAMESPACE: Final = "kube-system"
LEASE_NAME: Final = "kube-controller-manager"
LEASE_PATH: Final = f"/apis/coordination.k8s.io/v1/namespaces/{LEASE_NAMESPACE}/leases/{LEASE_NAME}"

_SOURCE = (
    "client-go tools/leaderelection/leaderelection.go (tryAcquireOrRenew, renew), "
    "resourcelock/leaselock.go; component-base config/v1alpha1/defaults.go; "
    "kube-controller-manager --leader-elect"
)

MANAGER_LEADER_EXCLUSIVE = requirement(
    "MANAGER-LEADER-EXCLUSIVE",
    "Of controller managers sharing a leader-election Lease, one MUST write through the API only while its "
    "own latest write of the Lease is the latest write of the Lease by anyone and is less than "
    "leaseDurationSeconds old, and MUST NOT take the Lease from another holder whose latest write of it is "
    "less than leaseDurationSeconds old; so at most one manager acts at any moment.",
    component="controllers",
    source=_SOURCE,
)
MANAGER_LEADER_TAKEOVER = requirement(
    "MANAGER-LEADER-TAKEOVER",
    "When the leading controller manager stops (crash or pause) and another is running, the other MUST hold "
    "the Lease and act within leaseDuration + 2 retry periods of simulated time.",
    component="controllers",
    source=_SOURCE,
)
MANAGER_RESTART_FAILED = requirement(
    "MANAGER-RESTART-FAILED",
    "A controller manager MUST restart a controller whose work fails (a fresh instance that lists again) "
    "and MUST keep its other controllers running meanwhile.",
    component="controllers",
    source="kube-controller-manager: controllers run under utilruntime.HandleCrash and are restarted with "
    "the process (cmd/kube-controller-manager/app/controllermanager.go)",
)


@dataclass(frozen=True)
class LeaderRecord:
    """The Lease's spec as leader election reads and writes it."""

    holder: str
    lease_duration_s: float
    acquire_time: float
    renew_time: float
    transitions: int


def may_take(record: LeaderRecord | None, observed_at: float, now: float, identity: str) -> bool:
    """Whether ``identity`` may write itself as holder (tryAcquireOrRenew's checks before the update)."""
    if record is None or not record.holder or record.holder == identity:
        return True
    return observed_at + record.lease_duration_s <= now


def next_record(
    record: LeaderRecord | None, identity: str, now: float, lease_duration_s: float
) -> LeaderRecord:
    """The record ``identity`` writes when it acquires or renews."""
    if record is not None and record.holder == identity:
        return LeaderRecord(identity, lease_duration_s, record.acquire_time, now, record.transitions)
    transitions = 0 if record is None else record.transitions + (1 if record.holder else 0)
    return LeaderRecord(identity, lease_duration_s, now, now, transitions)


def takeover_bound_s(
    lease_duration_s: float = LEASE_DURATION_S, retry_period_s: float = RETRY_PERIOD_S
) -> float:
    """MANAGER-LEADER-TAKEOVER's bound: the lease runs out, the next try acquires, one retry of slack."""
    return lease_duration_s + 2 * retry_period_s


@dataclass(frozen=True)
class ManagerWrite:
    """One write a controller manager made through the API (an audit log entry).

    ``path`` is the object's: for a create, the collection's path and the
    new object's name, as an audit event's objectRef names it.
    """

    time: float
    manager: str
    method: str
    path: str
    succeeded: bool


def leadership_violations(
    writes: Iterable[ManagerWrite], lease_duration_s: float = LEASE_DURATION_S, lease_path: str = LEASE_PATH
) -> list[str]:
    """MANAGER-LEADER-EXCLUSIVE on a log of writes in time order: each violation, described.

    The Lease's holder over time is read off the log itself: a successful
    write of the Lease by a manager makes it the holder from that moment.
    """
    holder: str | None = None
    held_since = 0.0  # when the holder last wrote the Lease
    problems: list[str] = []
    for write in writes:
        if write.path == lease_path:
            if not write.succeeded:
                continue
            if holder is not None and holder != write.manager and write.time - held_since < lease_duration_s:
                problems.append(
                    f"t={write.time:.2f}: {write.manager} took the Lease from {holder}, whose last renewal "
                    f"at t={held_since:.2f} was {write.time - held_since:.2f} s old "
                    f"(lease {lease_duration_s} s)"
                )
            holder, held_since = write.manager, write.time
            continue
        if write.manager != holder:
            problems.append(
                f"t={write.time:.2f}: {write.manager} wrote {write.method} {write.path} while the Lease "
                f"was held by {holder}"
            )
        elif write.time - held_since >= lease_duration_s:
            problems.append(
                f"t={write.time:.2f}: {write.manager} wrote {write.method} {write.path} with its lease "
                f"last renewed at t={held_since:.2f} (expired after {lease_duration_s} s)"
            )
    return problems
