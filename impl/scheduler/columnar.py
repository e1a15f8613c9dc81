"""The optimized reference scheduler: the spec's scheduling cycle on the cache's columns, with numpy.

What it models: the same cycle as ``impl/scheduler/core.py``'s plain
``ReferenceScheduler`` (upstream ``pkg/scheduler/schedule_one.go``
``schedulePod``: numFeasibleNodesToFind, filtering from the rotating start
index, the "0/N nodes are available" message, scoring, ``selectHost`` with
the reservoir tie break), decision for decision: the same feasible nodes in
the same order, the same reasons, the same totals, the same random draws.
What changes is how the work is done, as upstream's PreFilter/PreScore
"Skip" and the cache's ``NodeInfo`` aggregates make it cheap:

- **Vectorized filters** over every node at once (``impl/scheduler/cache.py``
  ``Columns``): NodeUnschedulable (a mask, unless the pod tolerates the
  unschedulable taint), NodeName (one index), NodeResourcesFit (pod count
  and each requested resource against allocatable minus requested, int64 or
  exact integers), and TaintToleration for nodes without NoSchedule/NoExecute
  taints (they pass); tainted nodes are grouped by their taints and each
  group is checked once.
- **NodeAffinity** only for a pod with a nodeSelector or required node
  affinity, over every node once per distinct selector while the nodes do
  not change (a mask kept with the columns).
- **Node-by-node filters only when the pod needs them**, run on the nodes
  the vectorized filters passed, in the rotating order, stopping once enough
  feasible nodes are found: NodePorts only for a pod with host ports and
  only on nodes with pods using host ports; PodTopologySpread only for a pod
  with DoNotSchedule constraints; InterPodAffinity only when the pod has
  required (anti-)affinity or some bound pod has required anti-affinity
  (upstream's PreFilter Skip). NodePorts is the spec's
  function on the cache's ``ClusterSnapshot``; PodTopologySpread and
  InterPodAffinity work out once per pod what does not depend on the node
  (the domain counts; the domains holding pods the terms select), as
  upstream's PreFilter state does (``spread_prefilter``,
  ``inter_pod_prefilter``), instead of the spec's rescan of every pod for
  every node.
- **Vectorized scores**: LeastAllocated (``(capacity - requested) * 100 //
  capacity`` per resource, the integer mean) and BalancedAllocation (the
  float64 fractions and ``int((1 - std) * 100)``, exact as the amounts stay
  below 2**53). TaintToleration is 100 everywhere when no candidate has a
  PreferNoSchedule taint, NodeAffinity 0 without preferred terms,
  PodTopologySpread 0 without ScheduleAnyway constraints, InterPodAffinity 0
  when neither the pod nor any bound pod has affinity terms, ImageLocality 0
  when no node holds one of the pod's images; otherwise the spec's plugin
  runs on the candidates.
- **Reasons** are computed only when no node fits (the only decision that
  reports them): per node, the first plugin in the profile's order that
  rejects, from the masks or the spec's function.

Plugins are pluggable as in the plain reference: a filter or score plugin
that is not the default one of its name (``spec.scheduling.filters.FILTER_ORDER``,
``spec.scheduling.scores.DEFAULT_SCORE_PLUGINS``) is run node by node as
given. ``schedule(pod, snapshot)`` (the ``scheduler`` contract) syncs the
cache with the snapshot by diffing; ``schedule_pod(pod)`` and ``assume(pod,
node)`` drive the cache directly (benchmarks/scheduler_throughput.py).

Requirement IDs: none defined here; the scheduler suite holds it to SCHED-*, and
tests/scheduler/test_columnar.py to the plain reference's decisions.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

import numpy as np

from impl.scheduler.cache import NATIVE, Columns, RequestsOf, SchedulerCache
from impl.scheduler.core import ReferenceSchedulerProvider
from impl.scheduler.preemption import DefaultPreemption
from spec.objects import from_dict
from spec.objects.core import Node, Pod, Taint
from spec.scheduling import filters, scores
from spec.scheduling.corev1 import find_untolerated_taint, tolerations_tolerate_taint
from spec.scheduling.filters import (
    CPU,
    FILTER_ORDER,
    MEMORY,
    PODS,
    REASON_NODE_AFFINITY,
    REASON_NODE_NAME,
    REASON_TOO_MANY_PODS,
    REASON_UNSCHEDULABLE,
    TAINT_NODE_UNSCHEDULABLE,
    ClusterSnapshot,
    Filter,
    bind,
    insufficient_reason,
    unschedulable_message,
    untolerated_taint_reason,
)
from spec.scheduling.framework import num_feasible_nodes_to_find, ranked_nodes
from spec.scheduling.scores import DEFAULT_SCORE_PLUGINS, MAX_NODE_SCORE, ScorePlugin

DEFAULT_FILTERS: Final[Mapping[str, Filter]] = dict(FILTER_ORDER)
DEFAULT_SCORES: Final[Mapping[str, ScorePlugin]] = {name: plugin for name, _, plugin in DEFAULT_SCORE_PLUGINS}
#: The filters done on the columns for every node (when they are the default plugins).
VECTOR_FILTERS: Final = (
    "NodeUnschedulable",
    "NodeName",
    "TaintToleration",
    "NodeAffinity",
    "NodeResourcesFit",
)


@dataclass
class PodFacts:
    """What the cycle needs to know about the pod, worked out once."""

    pod: Pod
    requests: dict[str, int]
    non_zero_cpu: int
    non_zero_memory: int
    tolerates_unschedulable: bool
    node_affinity: bool
    ports: bool
    hard_spread: bool
    required_pod_affinity: bool
    soft_spread: bool
    preferred_node_affinity: bool
    preferred_pod_affinity: bool
    images: tuple[str, ...]


def pod_facts(pod: Pod, requests: dict[str, int]) -> PodFacts:
    spec = pod.spec
    affinity = spec.affinity
    node_aff = affinity.node_affinity if affinity is not None else None
    non_zero = scores.non_zero_pod_requests(pod)
    return PodFacts(
        pod=pod,
        requests=requests,
        non_zero_cpu=non_zero.get(CPU, 0),
        non_zero_memory=non_zero.get(MEMORY, 0),
        tolerates_unschedulable=tolerations_tolerate_taint(
            spec.tolerations, Taint(key=TAINT_NODE_UNSCHEDULABLE, effect="NoSchedule")
        ),
        node_affinity=bool(spec.node_selector)
        or (
            node_aff is not None and node_aff.required_during_scheduling_ignored_during_execution is not None
        ),
        ports=bool(filters.host_ports(pod)),
        hard_spread=any(c.when_unsatisfiable == "DoNotSchedule" for c in spec.topology_spread_constraints),
        required_pod_affinity=bool(
            filters.required_affinity_terms(pod) or filters.required_anti_affinity_terms(pod)
        ),
        soft_spread=any(c.when_unsatisfiable == "ScheduleAnyway" for c in spec.topology_spread_constraints),
        preferred_node_affinity=node_aff is not None
        and bool(node_aff.preferred_during_scheduling_ignored_during_execution),
        preferred_pod_affinity=bool(scores.signed_preferred_terms(pod)),
        images=tuple(
            scores.normalized_image_name(c.image) for c in (*spec.init_containers, *spec.containers)
        ),
    )


# -- PreFilter: what the per-node filters need, worked out once per pod -------------------------


def spread_prefilter(pod: Pod, snapshot: ClusterSnapshot) -> Filter:
    """PodTopologySpread's filter with the domain counts computed once (upstream's PreFilter state).

    ``filters.pod_topology_spread`` recounts every domain for each node it is
    asked about; the counts do not depend on that node, so they are counted
    once here, and each node then costs a lookup per constraint.
    """
    constraints = filters.hard_spread_constraints(pod)
    prepared = []
    for constraint in constraints:
        counts = filters.spread_domain_counts(pod, constraint, constraints, snapshot)
        self_match = 1 if constraint.selector.matches(pod.metadata.labels) else 0
        prepared.append((constraint, counts, self_match - filters.spread_min_match(constraint, counts)))

    def run(_: Pod, node: Node, __: ClusterSnapshot) -> tuple[str, ...]:
        for constraint, counts, offset in prepared:
            value = node.metadata.labels.get(constraint.topology_key)
            if value is None:
                return (filters.REASON_SPREAD_MISSING_LABEL,)
            if counts.get(value, 0) + offset > constraint.max_skew:
                return (filters.REASON_SPREAD,)
        return ()

    return run


def inter_pod_prefilter(pod: Pod, snapshot: ClusterSnapshot) -> Filter:
    """InterPodAffinity's filter with the matching domains found once (upstream's PreFilter state:
    ``existingAntiAffinityCounts``, ``affinityCounts``, ``antiAffinityCounts``).

    The spec's ``satisfies_*`` functions scan every placed pod for each node;
    which (topology key, value) domains hold a matching pod does not depend
    on the node, so the placed pods are scanned once here.
    """
    affinity_terms = filters.required_affinity_terms(pod)
    anti_terms = filters.required_anti_affinity_terms(pod)
    own_namespace = snapshot.labels_of_namespace(pod.metadata.namespace)
    # satisfyPodAffinity: domains holding a pod that matches all the terms.
    affinity_domains: set[tuple[str, str]] = set()
    # satisfyPodAntiAffinity: per term, the values of its key holding a pod the term selects.
    anti_values: list[set[str]] = [set() for _ in anti_terms]
    # satisfyExistingPodsAntiAffinity: domains where a placed pod's term selects the pod.
    existing_domains: set[tuple[str, str]] = set()
    for other, other_node in snapshot.placed_pods():
        labels = other_node.metadata.labels
        other_namespace = snapshot.labels_of_namespace(other.metadata.namespace)
        if affinity_terms and filters.matches_all_affinity_terms(pod, other, affinity_terms, other_namespace):
            for term in affinity_terms:
                if term.topology_key in labels:
                    affinity_domains.add((term.topology_key, labels[term.topology_key]))
        for term, values in zip(anti_terms, anti_values, strict=True):
            if term.topology_key in labels and filters.affinity_term_matches(
                term, pod, other, other_namespace
            ):
                values.add(labels[term.topology_key])
        for term in filters.required_anti_affinity_terms(other):
            key = term.topology_key
            if key in labels and filters.affinity_term_matches(term, other, pod, own_namespace):
                existing_domains.add((key, labels[key]))
    first_of_group = not affinity_domains and (
        not affinity_terms or filters.matches_all_affinity_terms(pod, pod, affinity_terms, own_namespace)
    )

    def run(_: Pod, node: Node, __: ClusterSnapshot) -> tuple[str, ...]:
        labels = node.metadata.labels
        if affinity_terms:
            if any(term.topology_key not in labels for term in affinity_terms):
                return (filters.REASON_POD_AFFINITY,)
            here = all((t.topology_key, labels[t.topology_key]) in affinity_domains for t in affinity_terms)
            if not here and not first_of_group:
                return (filters.REASON_POD_AFFINITY,)
        for term, values in zip(anti_terms, anti_values, strict=True):
            if term.topology_key in labels and labels[term.topology_key] in values:
                return (filters.REASON_POD_ANTI_AFFINITY,)
        if any(labels.get(key) == value for key, value in existing_domains):
            return (filters.REASON_EXISTING_ANTI_AFFINITY,)
        return ()

    return run


@dataclass(eq=False)  # schedulers are compared by identity (the cache and masks hold arrays)
class ColumnarScheduler:
    """A drop-in for ``ReferenceScheduler`` (same fields, same decisions) over a ``SchedulerCache``."""

    seed: int = 0
    percentage_of_nodes_to_score: int = 0
    filter_plugins: Sequence[tuple[str, Filter]] = FILTER_ORDER
    score_plugins: Sequence[tuple[str, int, ScorePlugin]] = DEFAULT_SCORE_PLUGINS
    next_start_node_index: int = 0
    #: Whether an unschedulable pod may preempt (DefaultPreemption, as the plain reference).
    preemption: bool = True
    cache: SchedulerCache = field(init=False, repr=False)
    #: The weighted totals of the last scored decision, by node (for tests and debugging).
    last_totals: dict[str, int] = field(init=False, repr=False, default_factory=dict)
    _random: random.Random = field(init=False, repr=False)
    #: NodeAffinity's answers per distinct nodeSelector + required affinity, for the current columns.
    _affinity_masks: dict[str, np.ndarray] = field(init=False, repr=False, default_factory=dict)
    _affinity_columns: Columns | None = field(init=False, repr=False, default=None)

    #: What NodeResourcesFit and the resource scores count for a pod.
    requests_of: Callable[[Pod], dict[str, int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self.requests_of = self.pod_requests
        self.cache = SchedulerCache(requests_of=cast(RequestsOf, self.pod_requests))

    # -- hooks a variant may override (the seeded bugs of tests/scheduler do) -------------------

    @staticmethod
    def pod_requests(pod: Pod) -> dict[str, int]:
        return filters.pod_requests(pod)

    def pods_fit(self, pod_count: np.ndarray, allocatable_pods: np.ndarray) -> np.ndarray:
        """Whether one more pod fits the node's pod count (``fitsRequest``'s first check)."""
        return pod_count + 1 <= allocatable_pods

    def untolerated_taint(self, pod: Pod, taints: Sequence[Taint]) -> Taint | None:
        """TaintToleration's filter on a node's taints (``FindMatchingUntoleratedTaint``)."""
        return find_untolerated_taint(taints, pod.spec.tolerations)

    def scored_indices(self, feasible: np.ndarray) -> np.ndarray:
        """The nodes the score plugins rank: the feasible ones."""
        return feasible

    # -- the contract ---------------------------------------------------------------------------

    def schedule(self, pod: Mapping[str, Any], snapshot: Mapping[str, Any]) -> dict[str, Any]:
        self.cache.sync_json(snapshot)
        return self.schedule_pod(cast(Pod, from_dict(pod)))

    def schedule_objects(self, pod: Pod, snapshot: ClusterSnapshot) -> dict[str, Any]:
        self.cache.sync_objects(snapshot)
        return self.schedule_pod(pod)

    def assume(self, pod: Pod, node_name: str) -> Pod:
        """``AssumePod``: the pod bound to ``node_name`` joins the cache; returns the bound pod."""
        bound = bind(pod, node_name)
        self.cache.add_pod(bound)
        return bound

    # -- one cycle ------------------------------------------------------------------------------

    def schedule_pod(self, pod: Pod) -> dict[str, Any]:
        """One scheduling cycle for ``pod`` on the cache (``schedulePod``)."""
        cache = self.cache
        count = len(cache)
        self.last_totals = {}
        if not count:
            return {"nodeName": None, "message": "no nodes available to schedule pods", "reasons": {}}
        facts = pod_facts(pod, self.requests_of(pod))
        columns = cache.columns
        wanted = num_feasible_nodes_to_find(self.percentage_of_nodes_to_score, count)
        start = self.next_start_node_index % count
        passed = self._vector_filters(facts, columns)
        per_node = self._per_node_filters(facts)
        order = np.flatnonzero(passed)
        order = np.concatenate((order[order >= start], order[order < start]))
        if not per_node:
            feasible = order[:wanted]
        else:
            feasible = self._filter_in_order(facts, order, wanted, per_node)
        if len(feasible) >= wanted:
            examined = int((feasible[-1] - start) % count) + 1
        else:
            examined = count
        self.next_start_node_index = (start + examined) % count
        infos = cache.infos
        if not len(feasible):
            reasons = self._reasons(facts, columns, start)
            unschedulable = {
                "nodeName": None,
                "message": unschedulable_message(reasons, count),
                "reasons": {name: list(why) for name, why in reasons.items()},
            }
            return unschedulable | (self.post_filter(pod) if self.preemption else {})
        names = [infos[i].name for i in feasible.tolist()]
        if len(names) == 1:
            return {"nodeName": names[0], "scoredNodes": names, "rankedNodes": names}
        scored = self.scored_indices(feasible)
        totals = self._score(facts, columns, scored)
        self.last_totals = dict(zip((infos[i].name for i in scored.tolist()), totals.tolist(), strict=True))
        chosen = self._select(scored, totals)
        return {
            "nodeName": chosen,
            "scoredNodes": names,
            "rankedNodes": ranked_nodes(self.last_totals, chosen),
        }

    def post_filter(self, pod: Pod) -> dict[str, Any]:
        """PostFilter: the plain reference's preemption (impl/scheduler/preemption.py) on the cache's
        snapshot, drawing from the same random source, so decisions stay the plain reference's."""
        return DefaultPreemption(self.filter_plugins, self._random).preempt(pod, self.cache.snapshot())

    def _select(self, scored: np.ndarray, totals: np.ndarray) -> str:
        """``selectHost`` with the reservoir tie break over ``random.Random(seed).randrange``."""
        tied = np.flatnonzero(totals == totals.max())
        selected = int(tied[0])
        for position, candidate in enumerate(tied[1:].tolist(), start=2):
            if self._random.randrange(position) == 0:
                selected = candidate
        return self.cache.infos[int(scored[selected])].name

    # -- filters --------------------------------------------------------------------------------

    def _is_default(self, name: str, run: Filter) -> bool:
        return DEFAULT_FILTERS.get(name) is run

    def _vector_filters(self, facts: PodFacts, columns: Columns) -> np.ndarray:
        passed = np.ones(columns.size, dtype=bool)
        for name, run in self.filter_plugins:
            if not self._is_default(name, run) or name not in VECTOR_FILTERS:
                continue
            passed &= ~self._vector_reject(name, facts, columns)
        return passed

    def _vector_reject(self, name: str, facts: PodFacts, columns: Columns) -> np.ndarray:
        """The nodes plugin ``name`` (one of ``VECTOR_FILTERS``) rejects."""
        if name == "NodeUnschedulable":
            if facts.tolerates_unschedulable:
                return np.zeros(columns.size, dtype=bool)
            return columns.unschedulable
        if name == "NodeName":
            rejected = np.zeros(columns.size, dtype=bool)
            wanted = facts.pod.spec.node_name
            if wanted:
                rejected[:] = True
                if wanted in self.cache.index:
                    rejected[self.cache.index[wanted]] = False
            return rejected
        if name == "NodeAffinity":
            return self._node_affinity_rejects(facts, columns)
        if name == "TaintToleration":
            rejected = np.zeros(columns.size, dtype=bool)
            for taints, indices in columns.taint_groups.items():
                if self.untolerated_taint(facts.pod, taints) is not None:
                    rejected[indices] = True
            return rejected
        return np.asarray(self._insufficient(facts, columns).any(axis=0), dtype=bool)

    def _node_affinity_rejects(self, facts: PodFacts, columns: Columns) -> np.ndarray:
        """NodeAffinity over every node, kept per distinct selector while the nodes do not change
        (pods of one workload share it, so they pay once)."""
        if not facts.node_affinity:
            return np.zeros(columns.size, dtype=bool)
        if self._affinity_columns is not columns:
            self._affinity_masks = {}
            self._affinity_columns = columns
        spec = facts.pod.spec
        node_aff = spec.affinity.node_affinity if spec.affinity is not None else None
        required = node_aff.required_during_scheduling_ignored_during_execution if node_aff else None
        key = repr((spec.node_selector, required))
        mask = self._affinity_masks.get(key)
        if mask is None:
            mask = np.array(
                [filters.node_affinity(facts.pod, info.node) is not None for info in self.cache.infos],
                dtype=bool,
            )
            self._affinity_masks[key] = mask
        return mask

    def _resource_checks(self, facts: PodFacts) -> list[str]:
        """The resources NodeResourcesFit compares, in its reasons' order (after the pod count)."""
        if not any(facts.requests.values()):
            return []
        scalars = sorted(r for r in facts.requests if r not in (*NATIVE, PODS))
        return [r for r in (*NATIVE, *scalars) if facts.requests.get(r, 0) > 0]

    def _insufficient(self, facts: PodFacts, columns: Columns) -> np.ndarray:
        """Rows: too many pods, then each checked resource short; columns: nodes (``fitsRequest``)."""
        rows = [~self.pods_fit(columns.pod_count, columns.allocatable[PODS])]
        zero = np.zeros(columns.size, dtype=columns.dtype)
        for resource in self._resource_checks(facts):
            free = columns.allocatable.get(resource, zero) - columns.requested.get(resource, zero)
            rows.append(np.asarray(facts.requests[resource] > free, dtype=bool))
        return np.vstack(rows)

    def _per_node_filters(self, facts: PodFacts) -> list[tuple[str, Filter, np.ndarray | None]]:
        """The plugins to run node by node for this pod, each with the nodes it must look at (None:
        all); the others pass every node (upstream's PreFilter Skip) or were done on the columns."""
        cache = self.cache
        plugins: list[tuple[str, Filter, np.ndarray | None]] = []
        for name, run in self.filter_plugins:
            if not self._is_default(name, run):
                plugins.append((name, run, None))
            elif name == "NodePorts" and facts.ports:
                plugins.append((name, run, cache.columns.pods_with_ports > 0))
            elif name == "PodTopologySpread" and facts.hard_spread:
                plugins.append((name, spread_prefilter(facts.pod, cache.snapshot()), None))
            elif name == "InterPodAffinity" and (
                facts.required_pod_affinity or cache.pods_with_required_anti_affinity
            ):
                plugins.append((name, inter_pod_prefilter(facts.pod, cache.snapshot()), None))
        return plugins

    def _filter_in_order(
        self,
        facts: PodFacts,
        order: np.ndarray,
        wanted: int,
        per_node: Sequence[tuple[str, Filter, np.ndarray | None]],
    ) -> np.ndarray:
        """Run the node-by-node plugins on ``order`` until ``wanted`` nodes pass them all."""
        snapshot = self.cache.snapshot()
        infos = self.cache.infos
        feasible: list[int] = []
        for index in order.tolist():
            if len(feasible) >= wanted:
                break
            node = infos[index].node
            if all(
                (where is not None and not where[index]) or not run(facts.pod, node, snapshot)
                for _, run, where in per_node
            ):
                feasible.append(index)
        return np.array(feasible, dtype=np.int64)

    def _reasons(self, facts: PodFacts, columns: Columns, start: int) -> dict[str, tuple[str, ...]]:
        """Every node's reasons (all were examined): the first rejecting plugin's, in rotating order."""
        count = columns.size
        insufficient = self._insufficient(facts, columns)
        checked = self._resource_checks(facts)
        affinity_rejects = self._node_affinity_rejects(facts, columns)
        per_node = {name: (run, where) for name, run, where in self._per_node_filters(facts)}
        snapshot = self.cache.snapshot() if per_node else None
        tolerated_groups = {
            taints: self.untolerated_taint(facts.pod, taints) for taints in columns.taint_groups
        }
        reasons: dict[str, tuple[str, ...]] = {}
        for offset in range(count):
            index = (start + offset) % count
            info = self.cache.infos[index]
            for name, run in self.filter_plugins:
                why: tuple[str, ...] = ()
                if name in per_node:
                    prefiltered, where = per_node[name]
                    if where is None or where[index]:
                        assert snapshot is not None
                        why = prefiltered(facts.pod, info.node, snapshot)
                elif not self._is_default(name, run) or name not in VECTOR_FILTERS:
                    continue
                elif name == "NodeUnschedulable":
                    if columns.unschedulable[index] and not facts.tolerates_unschedulable:
                        why = (REASON_UNSCHEDULABLE,)
                elif name == "NodeName":
                    if facts.pod.spec.node_name and facts.pod.spec.node_name != info.name:
                        why = (REASON_NODE_NAME,)
                elif name == "NodeAffinity":
                    if affinity_rejects[index]:
                        why = (REASON_NODE_AFFINITY,)
                elif name == "TaintToleration":
                    if columns.hard_taints[index]:
                        taint = tolerated_groups[tuple(info.node.spec.taints)]
                        why = () if taint is None else (untolerated_taint_reason(taint),)
                else:
                    rows = insufficient[:, index].tolist()
                    labels = [REASON_TOO_MANY_PODS, *(insufficient_reason(r) for r in checked)]
                    why = tuple(label for label, short in zip(labels, rows, strict=True) if short)
                if why:
                    reasons[info.name] = why
                    break
        return reasons

    # -- scores ---------------------------------------------------------------------------------

    def _score(self, facts: PodFacts, columns: Columns, scored: np.ndarray) -> np.ndarray:
        """Each scored node's weighted total (``prioritizeNodes``)."""
        totals = np.zeros(len(scored), dtype=np.int64)
        nodes: list[Node] | None = None
        for name, weight, plugin in self.score_plugins:
            values = self._vector_score(name, plugin, facts, columns, scored)
            if values is None:
                if nodes is None:
                    nodes = [self.cache.infos[i].node for i in scored.tolist()]
                by_name = plugin(facts.pod, nodes, self.cache.snapshot())
                values = np.array([by_name[node.metadata.name] for node in nodes], dtype=np.int64)
            totals += weight * values
        return totals

    def _vector_score(
        self, name: str, plugin: ScorePlugin, facts: PodFacts, columns: Columns, scored: np.ndarray
    ) -> np.ndarray | None:
        """A default plugin's scores from the columns, or None to run the spec's plugin."""
        if DEFAULT_SCORES.get(name) is not plugin:
            return None
        size = len(scored)
        if name == "NodeResourcesFit":
            return self._least_allocated(facts, columns, scored)
        if name == "NodeResourcesBalancedAllocation":
            return self._balanced(facts, columns, scored)
        if name == "TaintToleration":
            skip = not columns.prefer_taints[scored].any()
            return np.full(size, MAX_NODE_SCORE, dtype=np.int64) if skip else None
        if name == "NodeAffinity":
            return None if facts.preferred_node_affinity else np.zeros(size, dtype=np.int64)
        if name == "PodTopologySpread":
            return None if facts.soft_spread else np.zeros(size, dtype=np.int64)
        if name == "InterPodAffinity":
            skip = not facts.preferred_pod_affinity and not self.cache.pods_with_affinity_terms
            return np.zeros(size, dtype=np.int64) if skip else None
        if name == "ImageLocality":
            skip = not any(image in self.cache.image_nodes for image in facts.images)
            return np.zeros(size, dtype=np.int64) if skip else None
        return None

    def _least_allocated(self, facts: PodFacts, columns: Columns, scored: np.ndarray) -> np.ndarray:
        """``leastResourceScorer`` on cpu and memory, weight 1 each; a resource with capacity 0 skipped."""
        total = np.zeros(len(scored), dtype=columns.dtype)
        weights = np.zeros(len(scored), dtype=np.int64)
        for resource, non_zero, wanted in (
            (CPU, columns.non_zero_cpu, facts.non_zero_cpu),
            (MEMORY, columns.non_zero_memory, facts.non_zero_memory),
        ):
            capacity = columns.allocatable[resource][scored]
            used = non_zero[scored] + wanted
            has = capacity != 0
            safe = np.where(has, capacity, 1)
            score = np.where(has & (used <= capacity), (capacity - used) * MAX_NODE_SCORE // safe, 0)
            total = total + np.where(has, score, 0)
            weights += has
        return np.where(weights > 0, total // np.maximum(weights, 1), 0).astype(np.int64)

    def _balanced(self, facts: PodFacts, columns: Columns, scored: np.ndarray) -> np.ndarray:
        """``balancedResourceScorer`` on the actual requests; a pod requesting neither: all 0."""
        size = len(scored)
        wanted_cpu, wanted_memory = facts.requests.get(CPU, 0), facts.requests.get(MEMORY, 0)
        if wanted_cpu == 0 and wanted_memory == 0:
            return np.zeros(size, dtype=np.int64)
        fractions = []
        present = []
        for resource, wanted in ((CPU, wanted_cpu), (MEMORY, wanted_memory)):
            capacity = columns.allocatable[resource][scored]
            requested = columns.requested[resource][scored] + wanted
            has = capacity != 0
            safe = np.where(has, capacity, 1)
            # Python's int / int and numpy's float64 division agree below 2**53 (Columns.exact above).
            fraction = np.minimum((requested / safe).astype(np.float64), 1.0)
            fractions.append(fraction)
            present.append(has)
        both = present[0] & present[1]
        std = np.where(both, np.abs((fractions[0] - fractions[1]) / 2), 0.0)
        scores: np.ndarray = np.trunc((1 - std) * MAX_NODE_SCORE).astype(np.int64)
        return scores


@dataclass
class ColumnarSchedulerProvider(ReferenceSchedulerProvider):
    """The ``scheduler`` component of the reference implementation: the columnar scheduler, with the
    plain reference provider's settings (preemption, ``attach`` through the API)."""

    #: The scheduler class to make (the project's tests substitute broken ones).
    scheduler_class: type[Any] = ColumnarScheduler
