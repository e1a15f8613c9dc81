"""DaemonSet coverage: which nodes should run a daemon pod, and one sync of the controller's ``manage``.

What it models, in two parts that the proofs treat apart:

- **Eligibility** (``node_should_run_daemon_pod``): for one node and the
  DaemonSet's pod template, ``(shouldRun, shouldContinueRunning)``. The
  template's ``nodeName`` must be empty or the node's; ``nodeSelector`` and
  the required node affinity must match the node (``node_affinity_matches``);
  every NoSchedule and NoExecute taint must be tolerated by the template's
  tolerations plus those the controller adds to every daemon pod
  (``add_daemon_pod_tolerations``): ``not-ready`` and ``unreachable``
  (NoExecute), ``disk-pressure``, ``memory-pressure``, ``pid-pressure`` and
  ``unschedulable`` (NoSchedule), and ``network-unavailable`` (NoSchedule)
  for ``hostNetwork`` pods. A node whose untolerated taints are all
  NoSchedule keeps a daemon pod that already runs there (shouldContinueRunning)
  but gets no new one. ``spec.unschedulable`` is not looked at: a cordoned
  node carries the ``unschedulable`` taint, which daemon pods tolerate.
- **The sync** (``manage``), over each node's ``(shouldRun,
  shouldContinueRunning)`` and the daemon pods: ``pods_should_be_on_node``
  per node (create a pod on an eligible node that has none; on a node where
  pods may continue, delete Failed and Succeeded pods and all but the oldest
  of the others; elsewhere delete every pod), unscheduled pods pinned to
  nodes that no longer exist are deleted, and ``syncNodes`` makes at most
  ``burstReplicas`` (250) creations, in slow-start batches that stop after a
  batch with a failure, and at most 250 deletions.

Pods that are terminating are left alone, but still count as a node's pods
(no pod is created beside one that is going away); a terminal pod that is
also terminating is not counted at all (``getNodesToDaemonPods`` leaves it
out). ``after_sync`` and ``settle`` play the cluster: created pods appear
and run, deleted and terminating pods go away.

Upstream (kubernetes/kubernetes, read at master):

- ``pkg/controller/daemon/daemon_controller.go``: ``NodeShouldRunDaemonPod``,
  ``predicates``, ``NewPod``, ``podsShouldBeOnNode``, ``manage``,
  ``getNodesToDaemonPods``, ``getUnscheduledPodsWithoutNode``, ``syncNodes``,
  ``podByCreationTimestampAndPhase`` (scheduled pods first, then oldest, then
  by name), ``BurstReplicas = 250``.
- ``pkg/controller/daemon/util/daemonset_util.go``:
  ``AddOrUpdateDaemonPodTolerations``.
- ``staging/src/k8s.io/api/core/v1/toleration.go`` ``ToleratesTaint``;
  ``pkg/apis/core/v1/helper`` ``FindMatchingUntoleratedTaint``;
  ``staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity``
  ``GetRequiredNodeAffinity(pod).Match``.

Requirements defined here (component "controllers"):

- DAEMONSET-COVERAGE: two syncs whose calls succeed, each followed by the
  deleted and terminating pods going away and the created ones running,
  leave exactly one daemon pod on every node where it should run, none on a
  node where it should not continue running and at most one on the others;
  a sync of that state changes nothing. (Two, not one: a node whose only pod
  failed gets its failed pod deleted by one sync and a new one from the
  next, once the old one is gone.)
- DAEMONSET-TOLERATIONS: a node whose taints are all among the automatic
  tolerations' (network-unavailable only for hostNetwork pods) is eligible
  whenever its labels and name match; a node is eligible only if each of
  its NoSchedule and NoExecute taints is tolerated by the template or the
  automatic tolerations, and keeps a running pod only if each NoExecute
  taint is.

- DAEMONSET-ROLL-UNAVAILABLE: ``rolling_update_deletions`` (``rollingUpdate``
  without surge, pkg/controller/daemon/update.go) deletes an available
  old-template pod only while fewer than maxUnavailable nodes with daemon
  pods have none available; ``max_unavailable_of`` is ``UnavailableCount``.

- DAEMONSET-ROLL-SURGE: ``rolling_update_surge`` (``rollingUpdate`` with
  surge) creates a current pod beside an available old one on at most
  maxSurge nodes at a time, beside an unavailable old one at once, and
  deletes an old pod once the current one beside it is available;
  ``pods_should_be_on_node(..., surge=True)`` keeps at most one old and one
  current pod per node. ``max_surge_of`` is ``SurgeCount``,
  ``updated_desired_node_counts`` resolves both budgets (both 0 reads as
  maxUnavailable 1) and ``rolling_update_strategy_errors`` is the
  validation (not both 0, not both non-zero). ``surge_violations`` is the
  check of one state of such a rollout that the machine applies.

Not modelled: minReadySeconds (available is Ready), the failed-pod deletion backoff (it delays a
deletion, it does not change it), expectations, and a DaemonSet being
deleted or selecting everything (nothing is done). Scheduled pods on nodes
that no longer exist are the pod garbage collector's, not this controller's.
Node affinity terms with parse errors count as not matching, as upstream
ignores the error; the generated inputs are valid ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from spec.objects.core import Node, PodSpec, Toleration
from spec.requirements import requirement
from spec.scheduling.corev1 import required_node_affinity_matches, untolerated_taints
from spec.workloads.replicaset import SLOW_START_INITIAL_BATCH_SIZE, slow_start_batch

#: ``BurstReplicas`` in daemon_controller.go: creations or deletions per sync.
BURST_REPLICAS = 250

NO_SCHEDULE = "NoSchedule"
PREFER_NO_SCHEDULE = "PreferNoSchedule"
NO_EXECUTE = "NoExecute"
TAINT_EFFECTS = (NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE)

TAINT_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_UNREACHABLE = "node.kubernetes.io/unreachable"
TAINT_DISK_PRESSURE = "node.kubernetes.io/disk-pressure"
TAINT_MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure"
TAINT_PID_PRESSURE = "node.kubernetes.io/pid-pressure"
TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
TAINT_NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable"

#: ``AddOrUpdateDaemonPodTolerations``: (key, effect) tolerated with operator Exists, for every pod.
AUTOMATIC_TOLERATIONS: tuple[tuple[str, str], ...] = (
    (TAINT_NOT_READY, NO_EXECUTE),
    (TAINT_UNREACHABLE, NO_EXECUTE),
    (TAINT_DISK_PRESSURE, NO_SCHEDULE),
    (TAINT_MEMORY_PRESSURE, NO_SCHEDULE),
    (TAINT_PID_PRESSURE, NO_SCHEDULE),
    (TAINT_UNSCHEDULABLE, NO_SCHEDULE),
)
#: Added as well when the pod uses the host's network.
HOST_NETWORK_TOLERATIONS: tuple[tuple[str, str], ...] = ((TAINT_NETWORK_UNAVAILABLE, NO_SCHEDULE),)

_UPSTREAM = (
    "k/k pkg/controller/daemon/daemon_controller.go (NodeShouldRunDaemonPod, podsShouldBeOnNode, manage, "
    "getNodesToDaemonPods, syncNodes); pkg/controller/daemon/util/daemonset_util.go "
    "(AddOrUpdateDaemonPodTolerations)"
)

DAEMONSET_COVERAGE = requirement(
    "DAEMONSET-COVERAGE",
    "Two DaemonSet syncs whose calls succeed, each followed by deleted and terminating pods going away and "
    "created pods running, MUST leave exactly one daemon pod on every node where it should run, none on a "
    "node where it should not continue running and at most one on any other node, and a sync of that state "
    "MUST change nothing.",
    component="controllers",
    source=_UPSTREAM,
)
DAEMONSET_TOLERATIONS = requirement(
    "DAEMONSET-TOLERATIONS",
    "A node whose labels and name match a DaemonSet's template and whose taints are all tolerated by the "
    "automatic daemon pod tolerations (not-ready and unreachable NoExecute; disk-, memory-, pid-pressure "
    "and unschedulable NoSchedule; network-unavailable NoSchedule for hostNetwork pods) MUST be eligible, "
    "and a node MUST NOT be eligible while a NoSchedule or NoExecute taint is tolerated neither by the "
    "template nor by those, nor keep a running daemon pod while such a NoExecute taint is.",
    component="controllers",
    source=_UPSTREAM,
)


# -- eligibility -----------------------------------------------------------------------------


def add_daemon_pod_tolerations(spec: PodSpec) -> tuple[Toleration, ...]:
    """``AddOrUpdateDaemonPodTolerations``: the template's tolerations with the automatic ones.

    Upstream replaces a toleration with the same key, operator, value and
    effect (it may carry ``tolerationSeconds``) by the automatic one, which
    has none, so that the pod is never evicted for these taints.
    """
    wanted = AUTOMATIC_TOLERATIONS + (HOST_NETWORK_TOLERATIONS if spec.host_network else ())
    tolerations = list(spec.tolerations)
    for key, effect in wanted:
        automatic = Toleration(key=key, operator="Exists", effect=effect)
        same = [
            i
            for i, t in enumerate(tolerations)
            if (t.key, t.operator, t.value, t.effect) == (key, "Exists", "", effect)
        ]
        if same:
            for i in same:
                tolerations[i] = automatic
        else:
            tolerations.append(automatic)
    return tuple(tolerations)


def node_affinity_matches(spec: PodSpec, node: Node) -> bool:
    """``GetRequiredNodeAffinity(pod).Match``: the scheduler's NodeAffinity filter uses the same helper."""
    return required_node_affinity_matches(spec, node)


def node_should_run_daemon_pod(node: Node, spec: PodSpec) -> tuple[bool, bool]:
    """``NodeShouldRunDaemonPod``: (shouldRun, shouldContinueRunning) of the template ``spec`` on ``node``."""
    if spec.node_name and spec.node_name != node.metadata.name:
        return False, False
    if not node_affinity_matches(spec, node):
        return False, False
    tolerations = add_daemon_pod_tolerations(spec)
    taints = node.spec.taints
    if untolerated_taints(taints, tolerations, (NO_SCHEDULE, NO_EXECUTE)):
        return False, not untolerated_taints(taints, tolerations, (NO_EXECUTE,))
    return True, True


# -- the sync ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeEligibility:
    """One node as ``manage`` sees it: its name and ``NodeShouldRunDaemonPod``'s answer."""

    name: str
    should_run: bool
    should_continue_running: bool


@dataclass(frozen=True)
class DaemonPod:
    """A pod of the DaemonSet: the node it targets, its phase, whether it is being deleted, when it was
    created, and whether it is bound (``spec.nodeName``) or only pinned by node affinity."""

    name: str
    node: str
    phase: str = "Running"
    terminating: bool = False
    created: int = 0
    scheduled: bool = True
    #: Only looked at when the update allows surge: of the current template (``controller-revision-hash``),
    #: and available (Ready; minReadySeconds is not modelled, so Ready and available are one).
    updated: bool = False
    available: bool = False

    @property
    def terminal(self) -> bool:
        return self.phase in ("Failed", "Succeeded")


@dataclass(frozen=True)
class DaemonSetSync:
    """The calls of one sync: nodes to create a pod on and pods to delete, in the order they are issued."""

    creations: tuple[str, ...] = ()
    deletions: tuple[str, ...] = ()


def eligibility(nodes: Sequence[Node], spec: PodSpec) -> list[NodeEligibility]:
    return [NodeEligibility(n.metadata.name, *node_should_run_daemon_pod(n, spec)) for n in nodes]


def nodes_to_daemon_pods(pods: Sequence[DaemonPod]) -> dict[str, list[DaemonPod]]:
    """``getNodesToDaemonPods(..., false)``: pods by node, leaving out terminal pods being deleted."""
    by_node: dict[str, list[DaemonPod]] = {}
    for pod in pods:
        if pod.terminal and pod.terminating:
            continue
        by_node.setdefault(pod.node, []).append(pod)
    return by_node


def oldest_first(pod: DaemonPod) -> tuple[bool, int, str]:
    """``podByCreationTimestampAndPhase``: bound pods first, then by creation time, then by name."""
    return (not pod.scheduled, pod.created, pod.name)


def pods_should_be_on_node(
    should_run: bool,
    should_continue_running: bool,
    pods: Sequence[DaemonPod] | None,
    surge: bool = False,
) -> tuple[bool, list[str]]:
    """``podsShouldBeOnNode``: (create a pod here?, pods to delete). ``pods`` is None when the node has no
    entry in ``nodes_to_daemon_pods``.

    Without surge a node keeps the oldest of its running pods. With surge
    (``AllowsSurge``: the update's maxSurge is not 0) a node with no running
    pod left gets one at once, and a node keeps the oldest pod of the current
    template and the oldest of an older one, both only while the old one is
    Ready and the new one not yet available; all others are deleted.

    Here the spec departs from upstream on one node state: a node where a pod
    should no longer run (tainted NoSchedule, say, after its surge pod was
    created) but the old pod may continue. Upstream keeps both pods there, and
    the new one, which may never be scheduled, stays a surge in progress for
    good: the node keeps two daemon pods and, with maxSurge 1, the rollout of
    every other node stops (the failure k/k #118823 reports for surges started
    on such nodes, which PR #119317 fixed for new surges only; the KEP's pause
    "until conditions change" is for nodes still in the rollout). The node is
    not in the rollout any more, and ``rollingUpdate`` never starts a surge on
    it: the unavailable new pod is deleted and the old one continues.
    """
    if should_run and pods is None:
        return True, []
    if should_continue_running:
        to_delete = []
        running = []
        for pod in pods or ():
            if pod.terminating:
                continue
            if pod.terminal:
                to_delete.append(pod.name)
            else:
                running.append(pod)
        if not surge:
            if len(running) > 1:
                to_delete += [pod.name for pod in sorted(running, key=oldest_first)[1:]]
            return False, to_delete
        if len(running) <= 1:
            return not running and should_run, to_delete
        oldest_new: DaemonPod | None = None
        oldest_old: DaemonPod | None = None
        for pod in sorted(running, key=oldest_first):
            if pod.updated and oldest_new is None:
                oldest_new = pod
            elif not pod.updated and oldest_old is None:
                oldest_old = pod
            else:
                to_delete.append(pod.name)
        if oldest_new is not None and oldest_old is not None:
            if not oldest_old.available or oldest_new.available:
                to_delete.append(oldest_old.name)
            elif not should_run:
                to_delete.append(oldest_new.name)
        return False, to_delete
    if pods is not None:
        return False, [pod.name for pod in pods if not pod.terminating]
    return False, []


def manage(
    nodes: Sequence[NodeEligibility],
    pods: Sequence[DaemonPod],
    failed_creations: frozenset[int] = frozenset(),
    burst_replicas: int = BURST_REPLICAS,
    surge: bool = False,
) -> DaemonSetSync:
    """``manage`` and ``syncNodes``: the calls one sync makes. ``failed_creations`` are the positions of
    creations that fail (slow start stops after their batch); ``surge`` is ``AllowsSurge``."""
    by_node = nodes_to_daemon_pods(pods)
    needing: list[str] = []
    to_delete: list[str] = []
    # Without surge the call is the three-argument one the coverage proof's mutants replace.
    decide = partial(pods_should_be_on_node, surge=True) if surge else pods_should_be_on_node
    for node in nodes:
        create, delete = decide(node.should_run, node.should_continue_running, by_node.get(node.name))
        if create:
            needing.append(node.name)
        to_delete += delete
    known = {node.name for node in nodes}
    for name, on_node in by_node.items():
        if name not in known:
            to_delete += [pod.name for pod in on_node if not pod.scheduled]
    batches, _ = slow_start_batch(
        min(len(needing), burst_replicas), SLOW_START_INITIAL_BATCH_SIZE, failed_creations
    )
    return DaemonSetSync(tuple(needing[: sum(batches)]), tuple(to_delete[:burst_replicas]))


def sync(
    spec: PodSpec,
    nodes: Sequence[Node],
    pods: Sequence[DaemonPod],
    failed_creations: frozenset[int] = frozenset(),
) -> DaemonSetSync:
    """One sync of a DaemonSet with pod template ``spec`` over the cluster's ``nodes``."""
    return manage(eligibility(nodes, spec), pods, failed_creations)


def after_sync_and_settle(pods: Sequence[DaemonPod], done: DaemonSetSync) -> list[DaemonPod]:
    """Every call succeeded; then deleted and terminating pods are gone, created pods bound and running."""
    deleted = set(done.deletions)
    kept = [p for p in pods if p.name not in deleted and not p.terminating]
    start = max((p.created for p in pods), default=0) + 1
    created = [
        DaemonPod(f"new-{start + i}-{node}", node, created=start + i) for i, node in enumerate(done.creations)
    ]
    return kept + created


def is_covered(nodes: Sequence[NodeEligibility], pods: Sequence[DaemonPod]) -> list[str]:
    """DAEMONSET-COVERAGE's end state: what is wrong with it (empty when covered)."""
    problems = []
    for node in nodes:
        here = [p for p in pods if p.node == node.name]
        alive = [p for p in here if not p.terminal and not p.terminating]
        if node.should_run and (len(here) != 1 or len(alive) != 1):
            problems.append(
                f"node {node.name} should run one daemon pod, it has {len(here)} ({len(alive)} alive)"
            )
        elif not node.should_continue_running and here:
            problems.append(f"node {node.name} should run no daemon pod, it has {len(here)}")
        elif len(here) > 1 or len(here) != len(alive):
            problems.append(
                f"node {node.name} may keep one running daemon pod, it has {len(here)} ({len(alive)} alive)"
            )
    return problems


# -- the rolling update (maxSurge 0) ------------------------------------------------------------

DAEMONSET_ROLL_UNAVAILABLE = requirement(
    "DAEMONSET-ROLL-UNAVAILABLE",
    "A DaemonSet RollingUpdate with maxSurge 0 MUST delete an available pod of an old template only while "
    "fewer than maxUnavailable of the nodes where a daemon pod should run and that have daemon pods have "
    "no available pod, and after each sync those nodes with daemon pods but no available one MUST number "
    "at most maxUnavailable (when no pod became unavailable by other causes).",
    component="controllers",
    source="k/k pkg/controller/daemon/update.go (rollingUpdate, findUpdatedPodsOnNode); "
    "pkg/controller/daemon/util/daemonset_util.go (UnavailableCount)",
)


@dataclass(frozen=True)
class UpdatePod:
    """A daemon pod as ``rollingUpdate`` sees it: its node, whether it has the current template, whether it
    is available (Ready for minReadySeconds) and whether it is being deleted."""

    name: str
    node: str
    updated: bool
    available: bool
    terminating: bool = False


def rolling_update_deletions(pods: Sequence[UpdatePod], max_unavailable: int) -> list[str]:
    """``rollingUpdate`` without surge: the old pods to delete, in node order.

    ``pods`` are the daemon pods on the nodes where one should run. Here the
    spec departs from current upstream, whose ``rollingUpdate`` counts every
    node with daemon pods (only the budget comes from the nodes where a pod
    should run, ``updatedDesiredNodeCounts``): a new pod that can never be
    scheduled, on a node tainted NoSchedule after it was created (the node
    may keep its pod but should not run one), would hold the budget and stop
    the rollout for good. Upstream's 2017 ``getUnavailableNumbers`` counted
    only the nodes where a pod should run, as this does.

    Per node with daemon pods (``findUpdatedPodsOnNode``, which skips pods
    being deleted): more than one pod of a template counts as unavailable
    (``manage`` resolves it), so do no pod or both an old and a new one; an
    unavailable new pod counts as unavailable; an unavailable old pod may
    always be replaced and counts as unavailable; an available old pod is a
    candidate while fewer than ``maxUnavailable`` are unavailable, and as
    many candidates are deleted as ``maxUnavailable`` leaves room for.
    """
    by_node: dict[str, list[UpdatePod]] = {}
    for pod in pods:
        by_node.setdefault(pod.node, []).append(pod)
    unavailable = 0
    allowed: list[str] = []
    candidates: list[str] = []
    for node in sorted(by_node):
        live = [p for p in by_node[node] if not p.terminating]
        new = [p for p in live if p.updated]
        old = [p for p in live if not p.updated]
        if len(new) > 1 or len(old) > 1 or bool(new) == bool(old):
            unavailable += 1
        elif new:
            if not new[0].available:
                unavailable += 1
        elif not old[0].available:
            allowed.append(old[0].name)
            unavailable += 1
        elif unavailable < max_unavailable:
            candidates.append(old[0].name)
    room = min(max(max_unavailable - unavailable, 0), len(candidates))
    return allowed + candidates[:room]


def unavailable_nodes(pods: Sequence[UpdatePod]) -> int:
    """Nodes that have daemon pods but no available one (the count the budget bounds)."""
    nodes = {p.node for p in pods}
    return sum(1 for n in nodes if not any(p.available and not p.terminating for p in pods if p.node == n))


def max_unavailable_of(value: int | str | None, desired: int) -> int:
    """``UnavailableCount``: an int, or a percentage of desiredNumberScheduled rounded up; 1 by default."""
    if value is None:
        return 1
    if isinstance(value, str) and value.endswith("%"):
        return -(-int(value[:-1]) * desired // 100)
    return int(value)


# -- the rolling update with surge ---------------------------------------------------------------

DAEMONSET_ROLL_SURGE = requirement(
    "DAEMONSET-ROLL-SURGE",
    "A DaemonSet RollingUpdate with maxSurge > 0 (maxUnavailable 0) MUST NOT delete an available pod of an "
    "old template on a node that should run a daemon pod before the node's pod of the current template is "
    "available, so that no node with an available daemon pod when the rollout began goes without one; it "
    "MUST keep at most one current pod and two pods in all on a node (two old ones only for the moment "
    "a template change finds a surge under way), and MUST create a current pod next to an "
    "available old one only while fewer than maxSurge nodes have a current pod that is not yet available "
    "next to an old one (an unavailable old pod may be replaced at once).",
    component="controllers",
    source="k/k pkg/controller/daemon/update.go (rollingUpdate with surge, findUpdatedPodsOnNode, "
    "updatedDesiredNodeCounts); pkg/controller/daemon/daemon_controller.go (podsShouldBeOnNode with surge); "
    "pkg/controller/daemon/util/daemonset_util.go (SurgeCount, AllowsSurge); "
    "pkg/apis/apps/validation/validation.go (ValidateRollingUpdateDaemonSet)",
)


def scaled_value(value: int | str, total: int) -> int:
    """``GetScaledValueFromIntOrPercent(value, total, roundUp=true)``."""
    if isinstance(value, str) and value.endswith("%"):
        return -(-int(value[:-1]) * total // 100)
    return int(value)


def max_surge_of(value: int | str | None, desired: int) -> int:
    """``SurgeCount``: an int, or a percentage of desiredNumberScheduled rounded up; 0 by default."""
    return 0 if value is None else scaled_value(value, desired)


def allows_surge(value: int | str | None) -> bool:
    """``AllowsSurge``: ``SurgeCount(ds, 1)`` is not 0 (so "1%" allows surge)."""
    return max_surge_of(value, 1) != 0


def updated_desired_node_counts(
    max_surge: int | str | None, max_unavailable: int | str | None, desired: int
) -> tuple[int, int]:
    """``updatedDesiredNodeCounts``: (maxSurge, maxUnavailable) against ``desired`` nodes; both 0 (which
    validation forbids) is read as maxUnavailable 1."""
    surge = max_surge_of(max_surge, desired)
    unavailable = max_unavailable_of(max_unavailable, desired)
    if desired > 0 and surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def rolling_update_strategy_errors(
    max_surge: int | str | None, max_unavailable: int | str | None
) -> list[str]:
    """``ValidateRollingUpdateDaemonSet`` on the defaulted values (maxUnavailable 1, maxSurge 0): neither
    negative nor above 100%, not both 0, and not both non-zero (``getIntOrPercentValue`` of "0%" is 0)."""

    def value(v: int | str | None, default: int) -> int:
        if v is None:
            return default
        return int(v[:-1]) if isinstance(v, str) and v.endswith("%") else int(v)

    errors = []
    surge, unavailable = value(max_surge, 0), value(max_unavailable, 1)
    for field, raw, v in (("maxSurge", max_surge, surge), ("maxUnavailable", max_unavailable, unavailable)):
        if v < 0:
            errors.append(f"{field} must be greater than or equal to 0")
        if isinstance(raw, str) and v > 100:
            errors.append(f"{field} must not be greater than 100%")
    if surge == 0 and unavailable == 0:
        errors.append("maxUnavailable may not be 0 when maxSurge is 0")
    if surge != 0 and unavailable != 0:
        errors.append("maxSurge may not be set when maxUnavailable is non-zero")
    return errors


def rolling_update_surge(
    pods: Sequence[UpdatePod], should_run: Sequence[str], max_surge: int, desired: int
) -> DaemonSetSync:
    """``rollingUpdate`` with surge: the nodes to create a current pod on and the old pods to delete.

    ``should_run`` are the nodes where a daemon pod should run (``NodeShouldRunDaemonPod``'s shouldRun),
    ``desired`` their number. Per node with daemon pods (in node order; upstream walks a map, which changes
    which candidates are taken, not how many), over the pods not being deleted:

    - more than one pod of a template: left to ``manage``, and counted as a surge in progress;
    - a current pod only: nothing to do;
    - an old pod only: an unavailable one is replaced at once (a current pod is created beside it, or it is
      deleted on a node that should no longer run one); an available one on a node that should run one is a
      surge candidate; an available one elsewhere is deleted only once more nodes have an available pod than
      ``desired`` ("only delete a pod on node A when a pod on node B becomes available");
    - an old and a current pod: once the current one is available the old one is deleted, until then it is
      a surge in progress.

    Candidates get a current pod while the surges in progress leave room under ``max_surge``.
    """
    by_node: dict[str, list[UpdatePod]] = {}
    for pod in pods:
        by_node.setdefault(pod.node, []).append(pod)
    eligible = set(should_run)
    deletions: list[str] = []
    should_not_run: list[str] = []
    candidates: list[str] = []
    allowed: list[str] = []
    surging = 0
    available = 0
    for node in sorted(by_node):
        live = [p for p in by_node[node] if not p.terminating]
        new = [p for p in live if p.updated]
        old = [p for p in live if not p.updated]
        if len(new) > 1 or len(old) > 1:
            surging += 1
            continue
        if old:
            available += old[0].available
        elif new:
            available += new[0].available
        if not old:
            continue
        if not new:
            if not old[0].available:
                if node in eligible:
                    allowed.append(node)
                else:
                    deletions.append(old[0].name)
            elif node not in eligible:
                should_not_run.append(old[0].name)
            else:
                candidates.append(node)
        elif not new[0].available:
            surging += 1
        else:
            deletions.append(old[0].name)
    deletable = min(max(available - desired, 0), len(should_not_run))
    deletions += should_not_run[:deletable]
    room = min(max(max_surge - surging, 0), len(candidates))
    return DaemonSetSync(tuple(allowed + candidates[:room]), tuple(deletions))


def surge_violations(covered: Sequence[str], pods: Sequence[UpdatePod], max_surge: int) -> list[str]:
    """DAEMONSET-ROLL-SURGE as a check of one state of a rollout with surge (empty when it holds).

    ``covered``: the nodes that had an available daemon pod when the rollout began and should still run
    one; their old pods were available when every sync of the rollout looked at them (pods do not turn
    unready by themselves here), so a current pod beside an old one on such a node is a surge that counts
    against maxSurge. ``pods`` are the DaemonSet's pods now. Each covered node must have an available pod,
    at most one current pod and two pods in all not being deleted, and at most ``max_surge`` covered
    nodes may have both (a current pod that became available beside its old pod stays counted until the
    old one is deleted, in the same sync that may start the next surge: between syncs the count is within
    the bound).
    """
    problems = []
    both = []
    for node in sorted(covered):
        here = [p for p in pods if p.node == node]
        live = [p for p in here if not p.terminating]
        new = [p for p in live if p.updated]
        old = [p for p in live if not p.updated]
        if not any(p.available for p in live):
            problems.append(f"node {node} has no available daemon pod during a surge rollout")
        # Two old pods (of two older templates) may meet for a moment: a template change in the middle
        # of a surge; manage deletes the younger one before anything is created there.
        if len(new) > 1 or len(live) > 2:
            problems.append(f"node {node} has {len(old)} old and {len(new)} current daemon pods")
        if new and old:
            both.append(node)
    if len(both) > max_surge:
        problems.append(f"nodes {both} each have an old and a current daemon pod, maxSurge {max_surge}")
    return problems
