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

Not modelled: ``maxSurge`` (a DaemonSet whose update lets two pods share a
node; ``podsShouldBeOnNode`` with surge is left out, the default maxSurge
is 0), the failed-pod deletion backoff (it delays a
deletion, it does not change it), expectations, and a DaemonSet being
deleted or selecting everything (nothing is done). Scheduled pods on nodes
that no longer exist are the pod garbage collector's, not this controller's.
Node affinity terms with parse errors count as not matching, as upstream
ignores the error; the generated inputs are valid ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
    should_run: bool, should_continue_running: bool, pods: Sequence[DaemonPod] | None
) -> tuple[bool, list[str]]:
    """``podsShouldBeOnNode`` without surge: (create a pod here?, pods to delete). ``pods`` is None when the
    node has no entry in ``nodes_to_daemon_pods``."""
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
        if len(running) > 1:
            to_delete += [pod.name for pod in sorted(running, key=oldest_first)[1:]]
        return False, to_delete
    if pods is not None:
        return False, [pod.name for pod in pods if not pod.terminating]
    return False, []


def manage(
    nodes: Sequence[NodeEligibility],
    pods: Sequence[DaemonPod],
    failed_creations: frozenset[int] = frozenset(),
    burst_replicas: int = BURST_REPLICAS,
) -> DaemonSetSync:
    """``manage`` and ``syncNodes``: the calls one sync makes. ``failed_creations`` are the positions of
    creations that fail (slow start stops after their batch)."""
    by_node = nodes_to_daemon_pods(pods)
    needing: list[str] = []
    to_delete: list[str] = []
    for node in nodes:
        create, delete = pods_should_be_on_node(
            node.should_run, node.should_continue_running, by_node.get(node.name)
        )
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
    "fewer than maxUnavailable of the nodes with daemon pods have no available pod, and after each sync "
    "the nodes with daemon pods but no available one MUST number at most maxUnavailable (when no pod "
    "became unavailable by other causes).",
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
