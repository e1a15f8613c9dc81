"""Preemption by priority: upstream's DefaultPreemption PostFilter plugin, as plain functions.

What it models: when no node passes the filters for a pod, the scheduler
may evict (preempt) pods of lower priority from one node so that the pod
fits there. The plugin nominates that node (``status.nominatedNodeName``)
and deletes the victims; the pod itself is bound in a later scheduling
cycle, once the victims are gone.

Upstream (kubernetes/kubernetes, read at the indexed versions:
``pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go``
at 008b3652, ``pkg/scheduler/framework/preemption/preemption.go`` at
00e6d951, and for the statuses ``noderesources/fit.go`` (the
``Unresolvable`` flag of v1.36) and ``interpodaffinity/filtering.go``;
older versions treated any terminating lower-priority pod on the nominated
node as blocking, and every resource shortage as resolvable):

- ``PodEligibleToPreemptOthers``: a pod with ``preemptionPolicy: Never``
  preempts nothing; nor does a pod whose nominated node holds a
  lower-priority pod that is terminating because of preemption (a deletion
  timestamp and the condition ``DisruptionTarget=True`` with reason
  ``PreemptionByScheduler``), unless its nominated node is now rejected as
  unresolvable (``pod_eligible_to_preempt_others``).
- ``findCandidates`` / ``NodesForStatusCode(Unschedulable)``: only nodes
  whose filter status is ``Unschedulable`` are tried; a node rejected with
  ``UnschedulableAndUnresolvable`` is not (``potential_nodes``). The filters
  that answer unresolvable: NodeUnschedulable, NodeName, TaintToleration,
  NodeAffinity, NodeResourcesFit when a request exceeds the node's whole
  allocatable (``InsufficientResource.Unresolvable``), PodTopologySpread for
  a node without the topology key, and InterPodAffinity for unmet required
  affinity (``is_unresolvable``). NodePorts, the rest of NodeResourcesFit,
  topology skew and both anti-affinity checks can be resolved by removing
  pods.
- ``SelectVictimsOnNode``: remove every pod of lower priority from the node
  (``isPreemptionAllowed``: strictly lower ``PodPriority``); no such pod,
  or the pod still failing a filter without them, and the node is no
  candidate. Then reprieve them in ``MoreImportantPod`` order (higher
  priority first, then earlier start time), each kept if the pod still
  passes every filter with it back; the rest are the victims, most
  important first (``select_victims_on_node``).
- ``DryRunPreemption``: candidates are tried from a random offset until
  ``calculateNumCandidates`` of them are found: 10 % of the potential
  nodes (``minCandidateNodesPercentage``) but at least 100
  (``minCandidateNodesAbsolute``), never more than there are
  (``num_candidates``).
- ``pickOneNodeForPreemption``: among the candidates, in this order, fewest
  PodDisruptionBudget violations, lowest highest-victim priority, smallest
  sum of (victim priority + 2^31), fewest victims, latest earliest start
  time among the highest-priority victims (a victim without a start time
  counts as started now, i.e. latest: ``util.GetPodStartTime``), then the
  first of the remaining nodes, in Go map order, i.e. any of them
  (``best_candidates``, ``pick_one_node_for_preemption``).

Where the spec chooses or leaves out:

- Priority is ``spec.priority`` (0 when unset, as ``corev1helpers.PodPriority``
  reads it); resolving ``priorityClassName`` to a priority is the admission
  plugin's job and out of scope.
- PodDisruptionBudgets are out of scope: ``spec.objects`` has no
  PodDisruptionBudget, so every victim is non-violating, the PDB-first
  reprieve pass is empty and criterion 1 ties every candidate. The
  criterion is kept (``Victims.num_pdb_violations``) so that the order of
  the criteria stays upstream's.
- Nominated pods (``RunFilterPluginsWithNominatedPods``) are out of scope:
  a snapshot holds bound pods only.
- The random offset of ``DryRunPreemption`` is the caller's
  (``dry_run_preemption``); ``candidates`` tries every potential node.

Requirement IDs defined here (component "scheduler"): SCHED-PREEMPT-ELIGIBLE,
SCHED-PREEMPT-CANDIDATE, SCHED-PREEMPT-LOWER, SCHED-PREEMPT-FITS,
SCHED-PREEMPT-MINIMAL, SCHED-PREEMPT-PICK, SCHED-PREEMPT-COMPLETE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cmp_to_key
from typing import Final

from spec.objects.core import Node, Pod
from spec.requirements import requirement
from spec.scheduling import filters
from spec.scheduling.filters import ClusterSnapshot, pod_key

_UPSTREAM = (
    "k/k pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go; "
    "pkg/scheduler/framework/preemption/preemption.go"
)

SCHED_PREEMPT_ELIGIBLE = requirement(
    "SCHED-PREEMPT-ELIGIBLE",
    "The scheduler MUST NOT preempt for a pod with preemptionPolicy Never, nor for a pod whose nominated "
    "node holds a lower-priority pod terminating by preemption (unless that node is now unresolvable).",
    component="scheduler",
    source=f"{_UPSTREAM} PodEligibleToPreemptOthers",
)
SCHED_PREEMPT_CANDIDATE = requirement(
    "SCHED-PREEMPT-CANDIDATE",
    "The scheduler MUST NOT nominate a node whose filter rejection preemption cannot resolve "
    "(UnschedulableAndUnresolvable: NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, a "
    "request above allocatable, a missing topology spread key, unmet required pod affinity).",
    component="scheduler",
    source=f"{_UPSTREAM} findCandidates (NodesForStatusCode Unschedulable)",
)
SCHED_PREEMPT_LOWER = requirement(
    "SCHED-PREEMPT-LOWER",
    "Every victim of a preemption MUST be a pod bound to the nominated node with a priority strictly "
    "lower than the preemptor's, and a preemption MUST name at least one victim.",
    component="scheduler",
    source=f"{_UPSTREAM} isPreemptionAllowed, DryRunPreemption",
)
SCHED_PREEMPT_FITS = requirement(
    "SCHED-PREEMPT-FITS",
    "With its victims removed, the preemptor MUST pass every filter on the nominated node.",
    component="scheduler",
    source=f"{_UPSTREAM} SelectVictimsOnNode",
)
SCHED_PREEMPT_MINIMAL = requirement(
    "SCHED-PREEMPT-MINIMAL",
    "For a preemptor without hard topology spread constraints or required pod affinity (the filters "
    "that are then monotone in the pods on the node), putting back any single victim MUST make the "
    "preemptor fail a filter on the nominated node (victims are reprieved when they can stay).",
    component="scheduler",
    source=f"{_UPSTREAM} SelectVictimsOnNode (reprieve)",
)
SCHED_PREEMPT_PICK = requirement(
    "SCHED-PREEMPT-PICK",
    "The scheduler MUST nominate the best candidate by, in order: fewest PDB violations, lowest "
    "highest-victim priority, smallest sum of victim priorities, fewest victims, latest start of the "
    "highest-priority victims; past 100 potential nodes, the best of those it dry-ran.",
    component="scheduler",
    source=f"{_UPSTREAM} pickOneNodeForPreemption, DryRunPreemption",
)
SCHED_PREEMPT_COMPLETE = requirement(
    "SCHED-PREEMPT-COMPLETE",
    "A scheduler that preempts MUST NOT leave an eligible unschedulable pod without a nomination while "
    "some node is a candidate: resolvably rejected, and passing every filter with its lower-priority "
    "pods removed.",
    component="scheduler",
    source=f"{_UPSTREAM} Preempt, findCandidates",
)

PREEMPT_NEVER: Final = "Never"
PREEMPT_LOWER_PRIORITY: Final = "PreemptLowerPriority"
DISRUPTION_TARGET: Final = "DisruptionTarget"
REASON_PREEMPTION_BY_SCHEDULER: Final = "PreemptionByScheduler"
MIN_CANDIDATE_NODES_PERCENTAGE: Final = 10
MIN_CANDIDATE_NODES_ABSOLUTE: Final = 100
#: Added to each victim's priority in the sum criterion, so that negative priorities sum upward.
PRIORITY_OFFSET: Final = 2**31


# -- who may preempt whom ---------------------------------------------------------------------


def pod_priority(pod: Pod) -> int:
    """``corev1helpers.PodPriority``: ``spec.priority``, 0 when unset."""
    return pod.spec.priority or 0


def preemption_allowed(victim: Pod, preemptor: Pod) -> bool:
    """``isPreemptionAllowed`` with the default ``IsEligiblePod``: strictly lower priority."""
    return pod_priority(victim) < pod_priority(preemptor)


def terminating_by_preemption(pod: Pod) -> bool:
    """``podTerminatingByPreemption``: being deleted, with ``DisruptionTarget`` True for preemption."""
    if pod.metadata.deletion_timestamp is None:
        return False
    for condition in pod.status.conditions:
        if condition.type == DISRUPTION_TARGET:
            return condition.status == "True" and condition.reason == REASON_PREEMPTION_BY_SCHEDULER
    return False


def rejection(pod: Pod, node: Node, snapshot: ClusterSnapshot) -> tuple[str, tuple[str, ...]] | None:
    """The first filter plugin that rejects ``node``, with its reasons; None when the node passes."""
    for name, run in filters.FILTER_ORDER:
        reasons = run(pod, node, snapshot)
        if reasons:
            return name, reasons
    return None


def is_unresolvable(plugin: str, reasons: Sequence[str], pod: Pod, node: Node) -> bool:
    """Whether a rejection is ``UnschedulableAndUnresolvable``: removing pods cannot lift it."""
    if plugin in filters.STATIC_FILTERS:
        return True
    if plugin == "NodeResourcesFit":
        # fit.go: Unresolvable when the request exceeds the node's whole allocatable.
        allocatable = filters.node_allocatable(node)
        return any(amount > allocatable.get(name, 0) for name, amount in filters.pod_requests(pod).items())
    if plugin == "PodTopologySpread":
        return filters.REASON_SPREAD_MISSING_LABEL in reasons
    if plugin == "InterPodAffinity":
        return filters.REASON_POD_AFFINITY in reasons
    return False


def node_unresolvable(pod: Pod, node: Node, snapshot: ClusterSnapshot) -> bool:
    found = rejection(pod, node, snapshot)
    return found is not None and is_unresolvable(found[0], found[1], pod, node)


def pod_eligible_to_preempt_others(pod: Pod, snapshot: ClusterSnapshot) -> tuple[bool, str]:
    """``PodEligibleToPreemptOthers``: (eligible, why not)."""
    if pod.spec.preemption_policy == PREEMPT_NEVER:
        return False, "not eligible due to preemptionPolicy=Never."
    nominated = snapshot.node_by_name.get(pod.status.nominated_node_name)
    if nominated is None:
        return True, ""
    if node_unresolvable(pod, nominated, snapshot):
        return True, ""
    for other in snapshot.pods_on(nominated.metadata.name):
        if preemption_allowed(other, pod) and terminating_by_preemption(other):
            return False, "not eligible due to a terminating pod on the nominated node."
    return True, ""


def potential_nodes(pod: Pod, snapshot: ClusterSnapshot) -> tuple[Node, ...]:
    """The nodes that reject the pod with a status preemption might resolve (``Unschedulable``)."""
    found = []
    for node in snapshot.nodes:
        rejected = rejection(pod, node, snapshot)
        if rejected is not None and not is_unresolvable(rejected[0], rejected[1], pod, node):
            found.append(node)
    return tuple(found)


# -- victims on one node -----------------------------------------------------------------------


def start_key(pod: Pod) -> tuple[int, float]:
    """``GetPodStartTime`` as an ordered key: a pod without a start time counts as started now,
    later than every recorded start."""
    start = pod.status.start_time
    return (1, 0.0) if start is None else (0, start.timestamp())


def more_important_pod(first: Pod, second: Pod) -> bool:
    """``util.MoreImportantPod``: higher priority, or equal priority and started earlier."""
    if pod_priority(first) != pod_priority(second):
        return pod_priority(first) > pod_priority(second)
    return start_key(first) < start_key(second)


def by_importance(pods: Sequence[Pod]) -> list[Pod]:
    """The pods most important first (a stable sort; pods neither more important keep their order)."""

    def compare(a: Pod, b: Pod) -> int:
        if more_important_pod(a, b):
            return -1
        return 1 if more_important_pod(b, a) else 0

    return sorted(pods, key=cmp_to_key(compare))


def without_pods(snapshot: ClusterSnapshot, pods: Sequence[Pod]) -> ClusterSnapshot:
    """The snapshot without ``pods`` (matched by namespace/name)."""
    gone = {pod_key(pod) for pod in pods}
    kept = tuple(p for p in snapshot.pods if pod_key(p) not in gone)
    return ClusterSnapshot(snapshot.nodes, kept, snapshot.namespace_labels)


def lower_priority_pods(pod: Pod, node_name: str, snapshot: ClusterSnapshot) -> tuple[Pod, ...]:
    """The pods on the node that ``pod`` may preempt."""
    return tuple(p for p in snapshot.pods_on(node_name) if preemption_allowed(p, pod))


def fits(pod: Pod, node: Node, snapshot: ClusterSnapshot) -> bool:
    return not filters.filter_node(pod, node, snapshot)


@dataclass(frozen=True)
class Victims:
    """A candidate: the node and the pods to evict there, most important first."""

    node: str
    pods: tuple[Pod, ...]
    num_pdb_violations: int = 0


def select_victims_on_node(pod: Pod, node: Node, snapshot: ClusterSnapshot) -> Victims | None:
    """``SelectVictimsOnNode``: the victims on ``node``, or None when the node is no candidate.

    Every lower-priority pod is removed; if the pod then fails a filter (or
    there was none to remove) the node is no candidate. Otherwise each
    removed pod, most important first, is put back and kept if the pod still
    fits. (The PDB-violating pass comes first upstream; with PDBs out of
    scope it is empty.)
    """
    potential = lower_priority_pods(pod, node.metadata.name, snapshot)
    if not potential:
        return None
    current = without_pods(snapshot, potential)
    if not fits(pod, node, current):
        return None
    victims = []
    for candidate in by_importance(potential):
        with_it = current.with_pod(candidate, node.metadata.name)
        if fits(pod, node, with_it):
            current = with_it
        else:
            victims.append(candidate)
    return Victims(node.metadata.name, tuple(victims))


def candidates(pod: Pod, snapshot: ClusterSnapshot) -> list[Victims]:
    """Every candidate: the potential nodes where victims can be found, in the snapshot's node order."""
    found = []
    for node in potential_nodes(pod, snapshot):
        victims = select_victims_on_node(pod, node, snapshot)
        if victims is not None:
            found.append(victims)
    return found


def num_candidates(
    num_potential_nodes: int,
    percentage: int = MIN_CANDIDATE_NODES_PERCENTAGE,
    absolute: int = MIN_CANDIDATE_NODES_ABSOLUTE,
) -> int:
    """``calculateNumCandidates``: ``percentage`` of the potential nodes, at least ``absolute``, at most
    all of them."""
    return min(max(num_potential_nodes * percentage // 100, absolute), num_potential_nodes)


def dry_run_preemption(
    pod: Pod,
    snapshot: ClusterSnapshot,
    offset: int,
    percentage: int = MIN_CANDIDATE_NODES_PERCENTAGE,
    absolute: int = MIN_CANDIDATE_NODES_ABSOLUTE,
) -> list[Victims]:
    """``DryRunPreemption`` run one node after another: from ``offset`` in the potential nodes, stop
    once ``num_candidates`` candidates are found (none of them violates a PDB: PDBs are out of scope).

    ``percentage`` and ``absolute`` are ``DefaultPreemptionArgs``' minCandidateNodesPercentage and
    minCandidateNodesAbsolute."""
    nodes = potential_nodes(pod, snapshot)
    wanted = num_candidates(len(nodes), percentage, absolute)
    found: list[Victims] = []
    for i in range(len(nodes)):
        if len(found) >= wanted:
            break
        victims = select_victims_on_node(pod, nodes[(offset + i) % len(nodes)], snapshot)
        if victims is not None:
            found.append(victims)
    return found


# -- picking the node ------------------------------------------------------------------------------


def earliest_start_of_highest(victims: Victims) -> tuple[int, float]:
    """``GetEarliestPodStartTime``: the earliest start among the victims of the highest priority."""
    highest = max(pod_priority(p) for p in victims.pods)
    return min(start_key(p) for p in victims.pods if pod_priority(p) == highest)


def preference(victims: Victims) -> tuple[int, int, int, int, tuple[int, float]]:
    """The criteria of ``pickOneNodeForPreemption`` as one key, smaller preferred, compared in order.

    The start-time criterion prefers the latest start, so its key is negated.
    """
    start = earliest_start_of_highest(victims)
    return (
        victims.num_pdb_violations,
        max(pod_priority(p) for p in victims.pods),
        sum(pod_priority(p) + PRIORITY_OFFSET for p in victims.pods),
        len(victims.pods),
        (-start[0], -start[1]),
    )


def best_candidates(found: Sequence[Victims]) -> list[str]:
    """The nodes tied on every criterion for the best; upstream picks the first of them in Go map
    order, that is any one."""
    if not found:
        return []
    best = min(preference(v) for v in found)
    return [v.node for v in found if preference(v) == best]


def pick_one_node_for_preemption(found: Sequence[Victims]) -> str | None:
    """``pickOneNodeForPreemption``: a best candidate (the first in ``found``'s order), None for none."""
    best = best_candidates(found)
    return best[0] if best else None


def preempt(pod: Pod, snapshot: ClusterSnapshot, offset: int = 0) -> Victims | None:
    """``Evaluator.Preempt`` without its API calls: the chosen candidate, or None (not eligible, or
    no candidate)."""
    eligible, _ = pod_eligible_to_preempt_others(pod, snapshot)
    if not eligible:
        return None
    found = dry_run_preemption(pod, snapshot, offset)
    chosen = pick_one_node_for_preemption(found)
    return next((v for v in found if v.node == chosen), None)
