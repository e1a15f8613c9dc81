"""The Score plugins of upstream's default scheduling profile, their normalization and weighted total.

What it models: how kube-scheduler ranks the nodes that passed the filters
(``spec.scheduling.filters``) for one pod. Each Score plugin gives every
candidate node a raw score; plugins with a NormalizeScore step rescale the
raw scores of all candidates to 0..MaxNodeScore (100); the framework then
multiplies each plugin's score by the plugin's weight and sums them per node
(``prioritizeNodes`` in ``pkg/scheduler/schedule_one.go``). Every function
here takes the pod, the candidate nodes (the feasible ones, in the
scheduler's order) and the cluster snapshot, and returns ``{node name:
score}`` for the candidates, already normalized.

Upstream (kubernetes/kubernetes; the stored versions read are named by commit):

- ``pkg/scheduler/apis/config/v1/default_plugins.go`` (and
  ``apis/config/testing/defaults``): the score weights TaintToleration 3,
  NodeAffinity 2, NodeResourcesFit 1, PodTopologySpread 2, InterPodAffinity
  2, NodeResourcesBalancedAllocation 1, ImageLocality 1 (``DEFAULT_WEIGHTS``).
- ``plugins/noderesources/least_allocated.go`` (``leastResourceScorer``,
  ``leastRequestedScore``) and ``resource_allocation.go`` (``score``,
  ``calculateResourceAllocatableRequest``, ``calculatePodResourceRequest``;
  read at the version with ``useRequested`` and ``isBestEffortPod``):
  NodeResourcesFit's default LeastAllocated strategy on cpu and memory,
  weight 1 each, on *non-zero* requests: a container that does not list cpu
  or memory counts 100m / 200Mi (``pkg/scheduler/util/pod_resources.go``
  ``DefaultMilliCPURequest``, ``DefaultMemoryRequest``, passed as
  ``NonMissingContainerRequests`` to ``component-helpers/resource/helpers.go``
  ``PodRequests``; ``applyNonMissing`` fills absent keys only)
  (``least_allocated_scores``). A resource whose allocatable is 0 is left
  out of the average.
- ``plugins/noderesources/balanced_allocation.go`` (commit 02d7708a, the
  version with PreScore's best-effort skip, kubernetes#129138):
  ``balancedResourceScorer`` on the *actual* requests (``useRequested``):
  fractions capped at 1, std = |f1 - f2| / 2 for two resources, score
  ``int((1 - std) * 100)``; a pod requesting neither cpu nor memory is
  skipped (every node 0) (``balanced_allocation_scores``).
- ``plugins/imagelocality/image_locality.go`` (current form: init and app
  containers, ``maxContainerThreshold`` per container): each image of the
  pod present on the node scores its size times the fraction of all nodes
  that have it; the sum is clamped to [23 MiB, 1000 MiB x containers] and
  scaled to 0..100; an image named without a tag means ``:latest``
  (``normalizedImageName``) (``image_locality_scores``).
- ``plugins/tainttoleration/taint_toleration.go``: the number of
  PreferNoSchedule taints the pod's tolerations with effect PreferNoSchedule
  or empty do not tolerate, normalized reversed by
  ``plugins/helper/normalize_score.go`` ``DefaultNormalizeScore``
  (``taint_toleration_scores``).
- ``plugins/nodeaffinity/node_affinity.go``: the sum of the weights of the
  preferred terms the node matches (terms of weight 0 ignored), normalized
  by ``DefaultNormalizeScore`` (``node_affinity_scores``).
- ``plugins/interpodaffinity/scoring.go``: per topology domain, the
  incoming pod's preferred affinity (+weight) and anti-affinity (-weight)
  terms against existing pods, existing pods' required affinity terms
  (+hardPodAffinityWeight, default 1) and preferred affinity (+weight) and
  anti-affinity (-weight) terms against the incoming pod; a node scores the
  sum over its domains, min-max normalized over the candidates
  (``inter_pod_affinity_scores``).
- ``plugins/podtopologyspread/scoring.go``: ScheduleAnyway constraints; a
  candidate without every constraint's key is ignored (0); otherwise each
  constraint adds ``matching pods in the node's domain x log(domains + 2) +
  maxSkew - 1`` (hostname constraints count the node's own pods and use the
  number of candidates as domains), rounded; normalized as
  ``100 x (max + min - score) / max`` (``pod_topology_spread_scores``).

Versions read (the stored index holds several versions of each file; the
current form is followed, and where an older stored copy differs, the
difference is named): ``least_allocated.go`` at 05c351a9 (older: a weight
map) and the current ``leastResourceScorer`` (skips a resource with
allocatable 0); ``resource_allocation.go`` in its current form (``useRequested``,
``isBestEffortPod``) and at 007f7ae7 (older: per-container
``GetNonzeroRequestForResource``); ``balanced_allocation.go`` at 02d7708a;
``image_locality.go`` at 007f7ae7 (older: one 1000 MiB threshold, app
containers only) and its current ``calculatePriority`` / ``sumImageScores``;
``interpodaffinity/scoring.go`` at 007f7ae7 (older: min and max start at 0)
and its current ``NormalizeScore`` (true min and max); ``podtopologyspread/scoring.go``
at 02fb06df (a variant that counts pods by the incoming pod's owner
reference; the current version, followed here, counts by selector);
``framework/types.go`` ``calculateResource`` (``NonZeroRequested`` of bound
pods uses the same defaults, ``getNonMissingContainerRequests`` without
pod-level resources). The test module names the test files and cases.

Where the spec chooses:

- PodTopologySpread's system default constraints (hostname maxSkew 3, zone
  maxSkew 5, ScheduleAnyway) apply only to pods selected by a Service,
  ReplicaSet, ReplicationController or StatefulSet (``DefaultSelector``);
  the snapshot has none of those, so a pod without constraints of its own
  gets 0 from that plugin, as upstream gives a pod no controller selects.
- NodeAffinity's PreScore fails the scheduling cycle on a preferred term
  that does not parse; validation rejects such terms, and here they match
  no node.
- Volume-related scoring (VolumeBinding's capacity scoring is off by
  default), DRA extended resources, pod-level resources, in-place resize
  (status resources) and the alpha Gt/Lt toleration operators are out of
  scope.

Requirement IDs defined here (component "scheduler"): SCHED-SCORE-LEAST-ALLOCATED,
SCHED-SCORE-BALANCED, SCHED-SCORE-IMAGE-LOCALITY, SCHED-SCORE-TAINT,
SCHED-SCORE-NODE-AFFINITY, SCHED-SCORE-INTERPOD, SCHED-SCORE-SPREAD and
SCHED-SCORE-TOTAL.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from spec.objects.core import Node, Pod, PodAffinityTerm, WeightedPodAffinityTerm
from spec.quantity import Quantity
from spec.requirements import requirement
from spec.scheduling.corev1 import node_selector_term_matches, tolerations_tolerate_taint
from spec.scheduling.filters import (
    CPU,
    LABEL_HOSTNAME,
    MEMORY,
    ClusterSnapshot,
    SpreadConstraint,
    affinity_term_matches,
    node_allocatable,
    pod_request_quantities,
    pod_requests,
    requested_on,
    required_affinity_terms,
    resource_amounts,
    spread_constraints,
    spread_counts_pod,
    spread_node_eligible,
)

_UPSTREAM = "k/k pkg/scheduler/framework/plugins"

SCHED_SCORE_LEAST_ALLOCATED = requirement(
    "SCHED-SCORE-LEAST-ALLOCATED",
    "NodeResourcesFit MUST score a node (allocatable - requested) * 100 / allocatable for cpu and memory "
    "(0 when requested exceeds allocatable), averaged with weight 1 each, where requested counts the "
    "node's pods and the pod with 100m cpu / 200Mi memory for each container that does not list them.",
    component="scheduler",
    source=f"{_UPSTREAM}/noderesources/least_allocated.go, resource_allocation.go; "
    "pkg/scheduler/util/pod_resources.go",
)
SCHED_SCORE_BALANCED = requirement(
    "SCHED-SCORE-BALANCED",
    "NodeResourcesBalancedAllocation MUST score a node (1 - std) * 100 truncated, std being the standard "
    "deviation of the requested/allocatable fractions (capped at 1) of cpu and memory with the pod "
    "added, and MUST give every node 0 for a pod that requests neither.",
    component="scheduler",
    source=f"{_UPSTREAM}/noderesources/balanced_allocation.go",
)
SCHED_SCORE_IMAGE_LOCALITY = requirement(
    "SCHED-SCORE-IMAGE-LOCALITY",
    "ImageLocality MUST score a node by the sizes of the pod's images present on it, each scaled by the "
    "fraction of nodes holding it, clamped to [23 MiB, 1000 MiB per container] and mapped onto 0..100.",
    component="scheduler",
    source=f"{_UPSTREAM}/imagelocality/image_locality.go",
)
SCHED_SCORE_TAINT = requirement(
    "SCHED-SCORE-TAINT",
    "TaintToleration MUST score nodes by their PreferNoSchedule taints the pod does not tolerate, "
    "normalized reversed: 100 - 100 * count / max count (100 for all when no node has one).",
    component="scheduler",
    source=f"{_UPSTREAM}/tainttoleration/taint_toleration.go; helper/normalize_score.go",
)
SCHED_SCORE_NODE_AFFINITY = requirement(
    "SCHED-SCORE-NODE-AFFINITY",
    "NodeAffinity MUST score a node by the summed weights of the pod's preferred node affinity terms it "
    "matches, normalized to 100 * sum / max sum.",
    component="scheduler",
    source=f"{_UPSTREAM}/nodeaffinity/node_affinity.go; helper/normalize_score.go",
)
SCHED_SCORE_INTERPOD = requirement(
    "SCHED-SCORE-INTERPOD",
    "InterPodAffinity MUST score a node by the weights of preferred affinity (+) and anti-affinity (-) "
    "terms between the pod and the existing pods in the node's topology domains, existing pods' "
    "required affinity counting hardPodAffinityWeight 1, min-max normalized to 0..100.",
    component="scheduler",
    source=f"{_UPSTREAM}/interpodaffinity/scoring.go",
)
SCHED_SCORE_SPREAD = requirement(
    "SCHED-SCORE-SPREAD",
    "PodTopologySpread MUST score a node by the matching pods in its domain of each ScheduleAnyway "
    "constraint weighted by log(domains + 2) plus maxSkew - 1, normalized to "
    "100 * (max + min - score) / max, and 0 for a node missing a constraint's topology key.",
    component="scheduler",
    source=f"{_UPSTREAM}/podtopologyspread/scoring.go",
)
SCHED_SCORE_TOTAL = requirement(
    "SCHED-SCORE-TOTAL",
    "Every normalized plugin score MUST lie in 0..100, and a node's total MUST be the sum of its plugin "
    "scores times the default weights (TaintToleration 3, NodeAffinity 2, PodTopologySpread 2, "
    "InterPodAffinity 2, NodeResourcesFit 1, NodeResourcesBalancedAllocation 1, ImageLocality 1).",
    component="scheduler",
    source="k/k pkg/scheduler/schedule_one.go prioritizeNodes; "
    "pkg/scheduler/apis/config/v1/default_plugins.go",
)

MAX_NODE_SCORE: Final = 100
MIN_NODE_SCORE: Final = 0

#: ``schedutil.DefaultMilliCPURequest`` and ``DefaultMemoryRequest``: what a container that lists no
#: cpu or memory request counts as when resources are scored.
DEFAULT_MILLI_CPU_REQUEST: Final = 100
DEFAULT_MEMORY_REQUEST: Final = 200 * 1024 * 1024
_NON_MISSING_REQUESTS: Final[Mapping[str, Quantity]] = {
    CPU: Quantity.from_milli(DEFAULT_MILLI_CPU_REQUEST),
    MEMORY: Quantity.from_int(DEFAULT_MEMORY_REQUEST),
}
#: NodeResourcesFit's and BalancedAllocation's default ``resources`` (name, weight).
SCORED_RESOURCES: Final = ((CPU, 1), (MEMORY, 1))

#: ImageLocality's bounds: 23 MiB, and 1000 MiB per container.
MB: Final = 1024 * 1024
IMAGE_MIN_THRESHOLD: Final = 23 * MB
IMAGE_MAX_CONTAINER_THRESHOLD: Final = 1000 * MB

#: InterPodAffinityArgs.hardPodAffinityWeight's default.
HARD_POD_AFFINITY_WEIGHT: Final = 1

#: A candidate's score per node name.
NodeScores = dict[str, int]


def _names(nodes: Sequence[Node]) -> list[str]:
    return [node.metadata.name for node in nodes]


def default_normalize(scores: Mapping[str, int], reverse: bool) -> NodeScores:
    """``helper.DefaultNormalizeScore(MaxNodeScore, reverse, scores)``.

    Scores become ``100 * score / max`` (integer division), reversed as
    ``100 - that``; when the maximum is 0 every node gets 0, or 100 reversed.
    """
    highest = max(scores.values(), default=0)
    if highest == 0:
        return {name: MAX_NODE_SCORE if reverse else score for name, score in scores.items()}
    normalized = {}
    for name, score in scores.items():
        scaled = MAX_NODE_SCORE * score // highest
        normalized[name] = MAX_NODE_SCORE - scaled if reverse else scaled
    return normalized


# -- NodeResourcesFit (LeastAllocated) -------------------------------------------------------


def non_zero_pod_requests(pod: Pod) -> dict[str, int]:
    """The pod's requests with 100m cpu / 200Mi memory for each container that does not list them."""
    return resource_amounts(pod_request_quantities(pod, _NON_MISSING_REQUESTS))


def non_zero_requested_on(node_name: str, snapshot: ClusterSnapshot) -> dict[str, int]:
    """``NodeInfo.NonZeroRequested``: the non-zero requests of the node's pods, summed."""
    total: dict[str, int] = {}
    for other in snapshot.pods_on(node_name):
        for name, amount in non_zero_pod_requests(other).items():
            total[name] = total.get(name, 0) + amount
    return total


def least_requested_score(requested: int, capacity: int) -> int:
    """``leastRequestedScore``: the unused share of the capacity on 0..100, 0 when over-requested."""
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


def least_allocated_score(pod: Pod, node: Node, snapshot: ClusterSnapshot) -> int:
    """One node's LeastAllocated score: the weighted mean over the resources the node has."""
    allocatable = node_allocatable(node)
    requested = non_zero_requested_on(node.metadata.name, snapshot)
    wanted = non_zero_pod_requests(pod)
    total = weight_sum = 0
    for resource, weight in SCORED_RESOURCES:
        capacity = allocatable.get(resource, 0)
        if capacity == 0:
            continue
        used = requested.get(resource, 0) + wanted.get(resource, 0)
        total += least_requested_score(used, capacity) * weight
        weight_sum += weight
    return total // weight_sum if weight_sum else 0


def least_allocated_scores(pod: Pod, nodes: Sequence[Node], snapshot: ClusterSnapshot) -> NodeScores:
    """NodeResourcesFit with the LeastAllocated strategy (no NormalizeScore: already 0..100)."""
    return {node.metadata.name: least_allocated_score(pod, node, snapshot) for node in nodes}


# -- NodeResourcesBalancedAllocation -----------------------------------------------------------


def balanced_resource_score(requested: Sequence[int], allocatable: Sequence[int]) -> int:
    """``balancedResourceScorer``: ``(1 - std) * 100`` of the capped fractions, truncated."""
    fractions = [min(req / alloc, 1.0) for req, alloc in zip(requested, allocatable, strict=True) if alloc]
    std = 0.0
    if len(fractions) == 2:
        std = abs((fractions[0] - fractions[1]) / 2)
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) * (f - mean) for f in fractions) / len(fractions))
    return int((1 - std) * MAX_NODE_SCORE)


def balanced_allocation_scores(pod: Pod, nodes: Sequence[Node], snapshot: ClusterSnapshot) -> NodeScores:
    """NodeResourcesBalancedAllocation on the actual requests; a best-effort pod is skipped (all 0)."""
    wanted = pod_requests(pod)
    if all(wanted.get(resource, 0) == 0 for resource, _ in SCORED_RESOURCES):
        return {node.metadata.name: 0 for node in nodes}
    scores = {}
    for node in nodes:
        allocatable = node_allocatable(node)
        # Requested, not NonZeroRequested: useRequested is set for this plugin.
        used = requested_on(node.metadata.name, snapshot)
        requested = [used.get(r, 0) + wanted.get(r, 0) for r, _ in SCORED_RESOURCES]
        capacities = [allocatable.get(r, 0) for r, _ in SCORED_RESOURCES]
        scores[node.metadata.name] = balanced_resource_score(requested, capacities)
    return scores


# -- ImageLocality -------------------------------------------------------------------------------


def normalized_image_name(name: str) -> str:
    """``normalizedImageName``: ``:latest`` appended when the name has no tag after its last ``/``."""
    if name.rfind(":") <= name.rfind("/"):
        return name + ":latest"
    return name


def node_image_sizes(node: Node) -> dict[str, int]:
    """``NodeInfo.ImageStates``' sizes: every name of every image in ``status.images``."""
    return {name: image.size_bytes for image in node.status.images for name in image.names}


def image_spread(snapshot: ClusterSnapshot) -> dict[str, int]:
    """``ImageStateSummary.NumNodes``: how many nodes of the snapshot hold each image name."""
    counts: dict[str, int] = {}
    for node in snapshot.nodes:
        for name in node_image_sizes(node):
            counts[name] = counts.get(name, 0) + 1
    return counts


def image_locality_priority(sum_scores: int, containers: int) -> int:
    """``calculatePriority``: the sum clamped to [23 MiB, 1000 MiB x containers], mapped onto 0..100."""
    max_threshold = IMAGE_MAX_CONTAINER_THRESHOLD * containers
    clamped = min(max(sum_scores, IMAGE_MIN_THRESHOLD), max_threshold)
    return MAX_NODE_SCORE * (clamped - IMAGE_MIN_THRESHOLD) // (max_threshold - IMAGE_MIN_THRESHOLD)


def image_locality_scores(pod: Pod, nodes: Sequence[Node], snapshot: ClusterSnapshot) -> NodeScores:
    """ImageLocality: no NormalizeScore; the spread divides by every node of the snapshot."""
    total_nodes = len(snapshot.nodes)
    spread = image_spread(snapshot)
    containers = (*pod.spec.init_containers, *pod.spec.containers)
    scores = {}
    for node in nodes:
        sizes = node_image_sizes(node)
        total = 0
        for container in containers:
            name = normalized_image_name(container.image)
            if name in sizes:
                # scaledImageScore: int64(float64(size) * spread).
                total += int(sizes[name] * (spread[name] / total_nodes))
        # A pod always has a container (validation); max() keeps the division defined regardless.
        scores[node.metadata.name] = image_locality_priority(total, max(len(containers), 1))
    return scores


# -- TaintToleration -----------------------------------------------------------------------------


def intolerable_prefer_no_schedule_taints(pod: Pod, node: Node) -> int:
    """``countIntolerableTaintsPreferNoSchedule`` with ``getAllTolerationPreferNoSchedule``."""
    tolerations = [t for t in pod.spec.tolerations if t.effect in ("", "PreferNoSchedule")]
    return sum(
        1
        for taint in node.spec.taints
        if taint.effect == "PreferNoSchedule" and not tolerations_tolerate_taint(tolerations, taint)
    )


def taint_toleration_scores(pod: Pod, nodes: Sequence[Node], snapshot: ClusterSnapshot) -> NodeScores:
    """TaintToleration: fewer untolerated PreferNoSchedule taints, higher score."""
    raw = {node.metadata.name: intolerable_prefer_no_schedule_taints(pod, node) for node in nodes}
    return default_normalize(raw, reverse=True)


# -- NodeAffinity --------------------------------------------------------------------------------


def preferred_node_affinity_weight(pod: Pod, node: Node) -> int:
    """The summed weights of the preferred terms the node matches (weight-0 terms are dropped)."""
    affinity = pod.spec.affinity
    if affinity is None or affinity.node_affinity is None:
        return 0
    preferred = affinity.node_affinity.preferred_during_scheduling_ignored_during_execution
    return sum(
        t.weight for t in preferred if t.weight != 0 and node_selector_term_matches(t.preference, node)
    )


def node_affinity_scores(pod: Pod, nodes: Sequence[Node], snapshot: ClusterSnapshot) -> NodeScores:
    """NodeAffinity: preferred terms' weights, normalized to the best candidate."""
    raw = {node.metadata.name: preferred_node_affinity_weight(pod, node) for node in nodes}
    return default_normalize(raw, reverse=False)


# -- InterPodAffinity ----------------------------------------------------------------------------


def _preferred_affinity(pod: Pod) -> tuple[WeightedPodAffinityTerm, ...]:
    affinity = pod.spec.affinity
    if affinity is None or affinity.pod_affinity is None:
        return ()
    return affinity.pod_affinity.preferred_during_scheduling_ignored_during_execution


def _preferred_anti_affinity(pod: Pod) -> tuple[WeightedPodAffinityTerm, ...]:
    affinity = pod.spec.affinity
    if affinity is None or affinity.pod_anti_affinity is None:
        return ()
    return affinity.pod_anti_affinity.preferred_during_scheduling_ignored_during_execution


#: Points per topology domain: (topology key, value) -> sum.
TopologyScore = dict[tuple[str, str], int]


def signed_preferred_terms(pod: Pod) -> list[tuple[PodAffinityTerm, int]]:
    """The pod's preferred terms with their weights: + for affinity, - for anti-affinity."""
    return [(t.pod_affinity_term, t.weight) for t in _preferred_affinity(pod)] + [
        (t.pod_affinity_term, -t.weight) for t in _preferred_anti_affinity(pod)
    ]


def inter_pod_topology_score(pod: Pod, snapshot: ClusterSnapshot) -> TopologyScore:
    """``PreScore``'s ``topologyScore``: ``processExistingPod`` over every pod of the snapshot.

    For each existing pod on a node with labels, a term adds its weight to the
    existing pod's node's domain of the term's topology key when it selects
    the other pod: the incoming pod's preferred terms selecting the existing
    pod, and the existing pod's required affinity terms (weight
    hardPodAffinityWeight) and preferred terms selecting the incoming pod.
    """
    topology_score: TopologyScore = {}
    incoming_terms = signed_preferred_terms(pod)
    pod_namespace_labels = snapshot.labels_of_namespace(pod.metadata.namespace)
    for existing, node in snapshot.placed_pods():
        if not node.metadata.labels:
            continue
        existing_terms = [(term, HARD_POD_AFFINITY_WEIGHT) for term in required_affinity_terms(existing)]
        existing_terms += signed_preferred_terms(existing)
        # (term, weight, owner of the term, pod it must select, that pod's namespace labels)
        candidates = [
            (term, weight, pod, existing, snapshot.labels_of_namespace(existing.metadata.namespace))
            for term, weight in incoming_terms
        ] + [(term, weight, existing, pod, pod_namespace_labels) for term, weight in existing_terms]
        for term, weight, owner, target, namespace_labels in candidates:
            value = node.metadata.labels.get(term.topology_key)
            if value is not None and affinity_term_matches(term, owner, target, namespace_labels):
                key = (term.topology_key, value)
                topology_score[key] = topology_score.get(key, 0) + weight
    return topology_score


def inter_pod_affinity_raw_scores(pod: Pod, nodes: Sequence[Node], snapshot: ClusterSnapshot) -> NodeScores:
    """InterPodAffinity's ``Score``: the points of the node's domains."""
    topology_score = inter_pod_topology_score(pod, snapshot)
    return {
        node.metadata.name: sum(
            points
            for (key, value), points in topology_score.items()
            if node.metadata.labels.get(key) == value
        )
        for node in nodes
    }


def min_max_normalize(scores: Mapping[str, int]) -> NodeScores:
    """InterPodAffinity's ``NormalizeScore``: ``int(100 * (score - min) / (max - min))``, 0 if all equal."""
    if not scores:
        return {}
    lowest, highest = min(scores.values()), max(scores.values())
    spread = highest - lowest
    return {
        name: int(MAX_NODE_SCORE * ((score - lowest) / spread)) if spread > 0 else 0
        for name, score in scores.items()
    }


def inter_pod_affinity_scores(pod: Pod, nodes: Sequence[Node], snapshot: ClusterSnapshot) -> NodeScores:
    """InterPodAffinity: the node's domains' points, min-max normalized over the candidates."""
    return min_max_normalize(inter_pod_affinity_raw_scores(pod, nodes, snapshot))


# -- PodTopologySpread -----------------------------------------------------------------------------


def topology_normalizing_weight(size: int) -> float:
    """``topologyNormalizingWeight``: log(domains + 2), so more domains weigh each pod more."""
    return math.log(size + 2)


def pod_topology_spread_raw_scores(pod: Pod, nodes: Sequence[Node], snapshot: ClusterSnapshot) -> NodeScores:
    """``PreScore`` and ``Score``: the raw score of each candidate that has every constraint's key.

    Candidates missing a key are left out (upstream's ``IgnoredNodes``), and so
    is every candidate when the pod has no ScheduleAnyway constraint (Skip).
    """
    constraints = spread_constraints(pod, "ScheduleAnyway")
    # requireAllTopologies: the pod has constraints of its own, so candidates without every key are ignored.
    counted = [node for node in nodes if all(c.topology_key in node.metadata.labels for c in constraints)]
    if not constraints or not counted:
        return {}
    # Per constraint: its weight, log(domains + 2), and (but for hostname, counted per node in Score)
    # the matching pods of each counted candidate's domain over every node of the snapshot that passes
    # the constraint's inclusion policies.
    weights: list[float] = []
    domain_counts: list[dict[str, int]] = []
    for constraint in constraints:
        key = constraint.topology_key
        if key == LABEL_HOSTNAME:
            weights.append(topology_normalizing_weight(len(counted)))
            domain_counts.append({})
            continue
        counts = dict.fromkeys({node.metadata.labels[key] for node in counted}, 0)
        for node in snapshot.nodes:
            value = node.metadata.labels.get(key)
            if value in counts and spread_node_eligible(pod, constraint, constraints, node):
                counts[value] += _spread_matches_on(pod, constraint, node, snapshot)
        weights.append(topology_normalizing_weight(len(counts)))
        domain_counts.append(counts)
    raw: NodeScores = {}
    for node in counted:
        score = 0.0
        for constraint, weight, counts in zip(constraints, weights, domain_counts, strict=True):
            if constraint.topology_key == LABEL_HOSTNAME:
                count = _spread_matches_on(pod, constraint, node, snapshot)
            else:
                count = counts[node.metadata.labels[constraint.topology_key]]
            # scoreForCount: maxSkew - 1 waters down the differences between domains.
            score += count * weight + (constraint.max_skew - 1)
        raw[node.metadata.name] = _round_half_away(score)
    return raw


def _spread_matches_on(pod: Pod, constraint: SpreadConstraint, node: Node, snapshot: ClusterSnapshot) -> int:
    """``countPodsMatchSelector`` on one node."""
    return sum(
        1 for other in snapshot.pods_on(node.metadata.name) if spread_counts_pod(pod, constraint, other)
    )


def pod_topology_spread_scores(pod: Pod, nodes: Sequence[Node], snapshot: ClusterSnapshot) -> NodeScores:
    """PodTopologySpread's ScheduleAnyway scoring, normalized: fewer matching pods, higher score."""
    return _spread_normalize(pod_topology_spread_raw_scores(pod, nodes, snapshot), _names(nodes))


def _round_half_away(value: float) -> int:
    """Go's ``math.Round``: halves away from zero (Python's ``round`` goes to even).

    The spread scores are never negative (counts and maxSkew >= 1), so only that side is needed.
    """
    whole = math.floor(value)
    return whole + 1 if value - whole >= 0.5 else whole


def _spread_normalize(raw: Mapping[str, int], names: Sequence[str]) -> NodeScores:
    """PodTopologySpread's ``NormalizeScore``: fewer matching pods, higher score; ignored nodes 0."""
    lowest = min(raw.values(), default=0)
    highest = max([0, *raw.values()])
    normalized = {}
    for name in names:
        if name not in raw:
            normalized[name] = 0
        elif highest == 0:
            normalized[name] = MAX_NODE_SCORE
        else:
            normalized[name] = MAX_NODE_SCORE * (highest + lowest - raw[name]) // highest
    return normalized


# -- the profile -----------------------------------------------------------------------------------

#: A Score plugin with its NormalizeScore: candidates' scores on 0..100.
ScorePlugin = Callable[[Pod, Sequence[Node], ClusterSnapshot], NodeScores]

#: The default profile's score plugins and weights, in default_plugins.go's order.
DEFAULT_SCORE_PLUGINS: Final[tuple[tuple[str, int, ScorePlugin], ...]] = (
    ("TaintToleration", 3, taint_toleration_scores),
    ("NodeAffinity", 2, node_affinity_scores),
    ("NodeResourcesFit", 1, least_allocated_scores),
    ("PodTopologySpread", 2, pod_topology_spread_scores),
    ("InterPodAffinity", 2, inter_pod_affinity_scores),
    ("NodeResourcesBalancedAllocation", 1, balanced_allocation_scores),
    ("ImageLocality", 1, image_locality_scores),
)
DEFAULT_WEIGHTS: Final[Mapping[str, int]] = {name: weight for name, weight, _ in DEFAULT_SCORE_PLUGINS}


def plugin_scores(pod: Pod, nodes: Sequence[Node], snapshot: ClusterSnapshot) -> dict[str, NodeScores]:
    """Every default plugin's normalized scores for the candidates, by plugin name."""
    return {name: plugin(pod, nodes, snapshot) for name, _, plugin in DEFAULT_SCORE_PLUGINS}


def weighted_total(scores_by_plugin: Mapping[str, Mapping[str, int]], names: Sequence[str]) -> NodeScores:
    """``prioritizeNodes``' ``TotalScore``: each plugin's score times its default weight, summed."""
    return {
        name: sum(DEFAULT_WEIGHTS[plugin] * scores[name] for plugin, scores in scores_by_plugin.items())
        for name in names
    }


def total_scores(pod: Pod, nodes: Sequence[Node], snapshot: ClusterSnapshot) -> NodeScores:
    """The candidates' weighted totals under the default profile."""
    return weighted_total(plugin_scores(pod, nodes, snapshot), _names(nodes))
