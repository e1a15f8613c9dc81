"""The filter predicates of upstream's default scheduling profile, and placing pods one after another.

What it models: whether one pod may go to one node of a cluster snapshot
(the nodes, and the pods already bound to them), as the Filter extension
point of kube-scheduler's default profile decides it, plugin by plugin in
upstream's order, with upstream's reason strings; the message a pod that
fits nowhere gets ("0/5 nodes are available: ..."); and placing pending pods
one by one, each checked against the snapshot plus the pods placed before it
(what the scheduler's assume step does between two scheduling cycles).

Upstream (kubernetes/kubernetes, read at the indexed versions):

- ``pkg/scheduler/apis/config/v1/default_plugins.go``: the filter order
  (``FILTER_ORDER``).
- ``pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go``:
  a pod tolerating ``node.kubernetes.io/unschedulable:NoSchedule`` ignores
  ``spec.unschedulable`` (``node_unschedulable``).
- ``plugins/nodename/node_name.go`` (``node_name``).
- ``plugins/tainttoleration/taint_toleration.go`` and
  ``k8s.io/api/core/v1/toleration.go`` ``ToleratesTaint`` /
  ``FindMatchingUntoleratedTaint``: NoSchedule and NoExecute taints, the
  first untolerated one in the node's order is named (``taint_toleration``).
- ``plugins/nodeaffinity/node_affinity.go`` and
  ``component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go``:
  nodeSelector ANDed with the required nodeSelectorTerms, terms ORed,
  expressions ANDed, an empty term or one that does not parse matches
  nothing, matchFields only ``In``/``NotIn`` with one value against
  ``metadata.name`` (``node_affinity``).
- ``plugins/nodeports/node_ports.go``, ``framework/types.go``
  ``HostPortInfo.CheckConflict`` and ``scheduler/util`` ``GetHostPorts``:
  host ports of app containers and restartable init containers, protocol
  defaults to TCP, hostIP to 0.0.0.0, which conflicts with every IP
  (``node_ports``).
- ``plugins/noderesources/fit.go`` ``fitsRequest`` and
  ``component-helpers/resource/helpers.go`` ``PodRequests``: requests are
  max(sum of app and sidecar containers, each init container plus the
  sidecars started before it) plus overhead; milli-cpu, bytes, and the
  value of extended, hugepages and other scalar resources
  (``node_resources_fit``).
- ``plugins/podtopologyspread/filtering.go`` and ``common.go``: hard
  (DoNotSchedule) constraints, nodes counted only when they carry every
  constraint's topology key and pass the inclusion policies (nodeAffinity
  Honor, nodeTaints Ignore by default), minDomains, matchLabelKeys
  (``pod_topology_spread``).
- ``plugins/interpodaffinity/filtering.go``: the incoming pod's required
  affinity (with the first-pod exception) and anti-affinity, and existing
  pods' required anti-affinity against the incoming pod, by topology domain
  (``inter_pod_affinity``).
- ``pkg/scheduler/framework/types.go`` ``FitError.Error``: the message
  (``unschedulable_message``).

Where the spec chooses (upstream is unordered or out of scope):

- Insufficient extended resources are reported sorted by name; upstream
  ranges over a Go map.
- Pods in phase Succeeded or Failed are not in the snapshot's view, as the
  scheduler's informer filters them out.
- A filter runs against the snapshot as given; PreFilter results that narrow
  the nodes (NodeName, NodeAffinity on ``metadata.name``) and the "didn't
  satisfy plugin(s)" message for nodes they cut are issue 7's, as are
  default topology spread constraints from Services (upstream's system
  defaults are all ScheduleAnyway, which does not filter).
- Malformed selectors raise ``SelectorError`` (validation rejects them).

Requirement IDs defined here (component "scheduler"): SCHED-FILTER-UNSCHEDULABLE,
SCHED-FILTER-NODENAME, SCHED-FILTER-TAINT, SCHED-FILTER-AFFINITY,
SCHED-FILTER-PORTS, SCHED-FILTER-RESOURCES, SCHED-FILTER-INTERPOD,
SCHED-FILTER-SPREAD, SCHED-FILTER-MESSAGE, SCHED-FEASIBLE-SOUND and
SCHED-FEASIBLE-COMPLETE (the last two are what ``invariants.feasibility``
promises about these filters).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Final

from spec import selectors
from spec.objects.core import (
    Container,
    ContainerPort,
    Node,
    Pod,
    PodAffinityTerm,
    Taint,
)
from spec.objects.meta import LabelSelector
from spec.quantity import Quantity
from spec.requirements import requirement
from spec.scheduling.corev1 import (
    find_untolerated_taint,
    required_node_affinity_matches,
    tolerations_tolerate_taint,
)

_UPSTREAM = "k/k pkg/scheduler/framework/plugins"

SCHED_FILTER_UNSCHEDULABLE = requirement(
    "SCHED-FILTER-UNSCHEDULABLE",
    "The scheduler MUST NOT place a pod on a node with spec.unschedulable unless the pod tolerates "
    "node.kubernetes.io/unschedulable:NoSchedule.",
    component="scheduler",
    source=f"{_UPSTREAM}/nodeunschedulable/node_unschedulable.go",
)
SCHED_FILTER_NODENAME = requirement(
    "SCHED-FILTER-NODENAME",
    "The scheduler MUST NOT place a pod whose spec.nodeName is set on any other node.",
    component="scheduler",
    source=f"{_UPSTREAM}/nodename/node_name.go",
)
SCHED_FILTER_TAINT = requirement(
    "SCHED-FILTER-TAINT",
    "The scheduler MUST NOT place a pod on a node with a NoSchedule or NoExecute taint that none of "
    "the pod's tolerations tolerates (Exists/Equal, an empty key with Exists matches every key, an "
    "empty effect every effect).",
    component="scheduler",
    source=f"{_UPSTREAM}/tainttoleration/taint_toleration.go; k8s.io/api core/v1 toleration.go",
)
SCHED_FILTER_AFFINITY = requirement(
    "SCHED-FILTER-AFFINITY",
    "The scheduler MUST place a pod only on a node that matches every nodeSelector label and, when "
    "set, one of the required nodeSelectorTerms (its matchExpressions and matchFields all matching).",
    component="scheduler",
    source=f"{_UPSTREAM}/nodeaffinity; component-helpers scheduling/corev1/nodeaffinity",
)
SCHED_FILTER_PORTS = requirement(
    "SCHED-FILTER-PORTS",
    "The scheduler MUST NOT place a pod on a node where another pod uses one of its host ports with "
    "the same protocol on the same hostIP or where either hostIP is 0.0.0.0.",
    component="scheduler",
    source=f"{_UPSTREAM}/nodeports/node_ports.go; pkg/scheduler/framework/types.go HostPortInfo",
)
SCHED_FILTER_RESOURCES = requirement(
    "SCHED-FILTER-RESOURCES",
    "The scheduler MUST NOT place a pod on a node where its requests (max of init containers and the "
    "sum of app containers, plus overhead) exceed allocatable minus the requests of the pods there, "
    "for cpu, memory, ephemeral-storage and extended resources, nor beyond allocatable pods.",
    component="scheduler",
    source=f"{_UPSTREAM}/noderesources/fit.go; component-helpers resource/helpers.go PodRequests",
)
SCHED_FILTER_INTERPOD = requirement(
    "SCHED-FILTER-INTERPOD",
    "The scheduler MUST honour required pod affinity and anti-affinity by topology domain: the pod's "
    "own terms against pods already placed, and placed pods' anti-affinity terms against the pod.",
    component="scheduler",
    source=f"{_UPSTREAM}/interpodaffinity/filtering.go",
)
SCHED_FILTER_SPREAD = requirement(
    "SCHED-FILTER-SPREAD",
    "The scheduler MUST NOT place a pod where a DoNotSchedule topology spread constraint would see "
    "matching pods in the node's domain + 1 - the global minimum exceed maxSkew (minimum 0 when "
    "fewer domains than minDomains), nor on a node without the constraint's topology key.",
    component="scheduler",
    source=f"{_UPSTREAM}/podtopologyspread/filtering.go, common.go",
)
SCHED_FILTER_MESSAGE = requirement(
    "SCHED-FILTER-MESSAGE",
    "A pod that fits no node MUST be reported as '0/N nodes are available: ' followed by the count "
    "of nodes per reason, 'count reason' strings sorted as strings and joined by ', ', ending in '.'.",
    component="scheduler",
    source="k/k pkg/scheduler/framework/types.go FitError.Error",
)
SCHED_FEASIBLE_SOUND = requirement(
    "SCHED-FEASIBLE-SOUND",
    "A placement the feasibility oracle returns MUST pass every filter when its pods are placed one "
    "after another in the returned order, each against the snapshot plus the pods placed before it.",
    component="scheduler",
    source="kspec issue 6 (invariants/feasibility.py) over the filters of this module",
)
SCHED_FEASIBLE_COMPLETE = requirement(
    "SCHED-FEASIBLE-COMPLETE",
    "The feasibility oracle MUST answer infeasible only when no placement of the pending pods, in "
    "their given order, passes every filter, and MUST name constraints that conflict.",
    component="scheduler",
    source="kspec issue 6 (invariants/feasibility.py) over the filters of this module",
)

# -- names and reasons (upstream constants) -------------------------------------------------

TAINT_NODE_UNSCHEDULABLE: Final = "node.kubernetes.io/unschedulable"
LABEL_HOSTNAME: Final = "kubernetes.io/hostname"
LABEL_ZONE: Final = "topology.kubernetes.io/zone"
DEFAULT_BIND_ALL_HOST_IP: Final = "0.0.0.0"

REASON_UNSCHEDULABLE: Final = "node(s) were unschedulable"
REASON_NODE_NAME: Final = "node(s) didn't match the requested node name"
REASON_NODE_AFFINITY: Final = "node(s) didn't match Pod's node affinity/selector"
REASON_NODE_PORTS: Final = "node(s) didn't have free ports for the requested pod ports"
REASON_TOO_MANY_PODS: Final = "Too many pods"
REASON_POD_AFFINITY: Final = "node(s) didn't match pod affinity rules"
REASON_POD_ANTI_AFFINITY: Final = "node(s) didn't match pod anti-affinity rules"
REASON_EXISTING_ANTI_AFFINITY: Final = "node(s) didn't satisfy existing pods anti-affinity rules"
REASON_SPREAD: Final = "node(s) didn't match pod topology spread constraints"
REASON_SPREAD_MISSING_LABEL: Final = REASON_SPREAD + " (missing required label)"

#: The effects the TaintToleration filter looks at.
FILTERED_TAINT_EFFECTS: Final = ("NoSchedule", "NoExecute")
CPU: Final = "cpu"
MEMORY: Final = "memory"
EPHEMERAL_STORAGE: Final = "ephemeral-storage"
PODS: Final = "pods"
#: upstream's int32 "no domain yet" minimum of the topology spread critical paths.
MAX_INT32: Final = 2**31 - 1


def untolerated_taint_reason(taint: Taint) -> str:
    """``node(s) had untolerated taint {key: value}`` (an empty value leaves ``{key: }``)."""
    return f"node(s) had untolerated taint {{{taint.key}: {taint.value}}}"


def insufficient_reason(resource: str) -> str:
    return f"Insufficient {resource}"


# -- the snapshot ------------------------------------------------------------------------


def pod_key(pod: Pod) -> str:
    """``namespace/name``, how pods are named in messages and placements."""
    return f"{pod.metadata.namespace}/{pod.metadata.name}"


def is_terminal(pod: Pod) -> bool:
    return pod.status.phase in ("Succeeded", "Failed")


def bind(pod: Pod, node_name: str) -> Pod:
    """``pod`` with ``spec.nodeName`` set, as the scheduler's assume step records it."""
    return pod.replace(spec=pod.spec.replace(node_name=node_name))


@dataclass(frozen=True)
class ClusterSnapshot:
    """The nodes, the pods bound to them (``spec.nodeName`` set), and the labels of namespaces.

    Namespaces not listed have no labels (namespaceSelector of affinity terms
    reads them). Pods bound to a node that is not in the snapshot are ignored,
    as are Succeeded and Failed pods.
    """

    nodes: tuple[Node, ...]
    pods: tuple[Pod, ...] = ()
    namespace_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [node.metadata.name for node in self.nodes]
        if len(set(names)) != len(names):
            raise ValueError(f"node names must be unique: {names}")
        unbound = [pod_key(pod) for pod in self.pods if not pod.spec.node_name]
        if unbound:
            raise ValueError(f"snapshot pods must be bound (spec.nodeName): {', '.join(unbound)}")

    @cached_property
    def node_by_name(self) -> dict[str, Node]:
        return {node.metadata.name: node for node in self.nodes}

    @cached_property
    def pods_by_node(self) -> dict[str, tuple[Pod, ...]]:
        """The non-terminal pods on each node of the snapshot (every node has an entry)."""
        placed: dict[str, list[Pod]] = {node.metadata.name: [] for node in self.nodes}
        for pod in self.pods:
            if pod.spec.node_name in placed and not is_terminal(pod):
                placed[pod.spec.node_name].append(pod)
        return {name: tuple(pods) for name, pods in placed.items()}

    def pods_on(self, node_name: str) -> tuple[Pod, ...]:
        return self.pods_by_node.get(node_name, ())

    def placed_pods(self) -> Iterable[tuple[Pod, Node]]:
        """Every pod the filters see, with its node."""
        for node in self.nodes:
            for pod in self.pods_on(node.metadata.name):
                yield pod, node

    def labels_of_namespace(self, namespace: str) -> Mapping[str, str]:
        return self.namespace_labels.get(namespace, {})

    def with_pod(self, pod: Pod, node_name: str) -> ClusterSnapshot:
        """The snapshot after binding ``pod`` to ``node_name``."""
        return ClusterSnapshot(self.nodes, (*self.pods, bind(pod, node_name)), self.namespace_labels)


# -- the static filters: the pod and the node alone -----------------------------------------


def node_unschedulable(pod: Pod, node: Node) -> str | None:
    """NodeUnschedulable: ``spec.unschedulable`` rejects pods that do not tolerate its taint."""
    tolerated = tolerations_tolerate_taint(
        pod.spec.tolerations, Taint(key=TAINT_NODE_UNSCHEDULABLE, effect="NoSchedule")
    )
    if node.spec.unschedulable and not tolerated:
        return REASON_UNSCHEDULABLE
    return None


def node_name(pod: Pod, node: Node) -> str | None:
    """NodeName: a pod naming a node fits only that node."""
    if pod.spec.node_name and pod.spec.node_name != node.metadata.name:
        return REASON_NODE_NAME
    return None


def taint_toleration(pod: Pod, node: Node) -> str | None:
    """TaintToleration: the first NoSchedule/NoExecute taint the pod does not tolerate, named."""
    taint = find_untolerated_taint(node.spec.taints, pod.spec.tolerations)
    return None if taint is None else untolerated_taint_reason(taint)


def node_affinity(pod: Pod, node: Node) -> str | None:
    """NodeAffinity: nodeSelector and required node affinity."""
    return None if required_node_affinity_matches(pod.spec, node) else REASON_NODE_AFFINITY


# -- host ports ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HostPort:
    """A used host port, sanitised as ``HostPortInfo`` does (TCP, 0.0.0.0 when empty)."""

    host_ip: str
    protocol: str
    port: int


def _sidecars(pod: Pod) -> tuple[Container, ...]:
    return tuple(c for c in pod.spec.init_containers if c.restart_policy == "Always")


def host_ports(pod: Pod) -> tuple[HostPort, ...]:
    """``GetHostPorts``: host ports > 0 of restartable init containers and app containers."""
    ports: list[ContainerPort] = [
        port for container in (*_sidecars(pod), *pod.spec.containers) for port in container.ports
    ]
    return tuple(
        HostPort(port.host_ip or DEFAULT_BIND_ALL_HOST_IP, port.protocol or "TCP", port.host_port)
        for port in ports
        if port.host_port > 0
    )


def host_port_conflicts(wanted: HostPort, used: Iterable[HostPort]) -> bool:
    """``HostPortInfo.CheckConflict``: same protocol and port, and the same IP or either one 0.0.0.0."""
    for port in used:
        if port.protocol != wanted.protocol or port.port != wanted.port:
            continue
        if DEFAULT_BIND_ALL_HOST_IP in (wanted.host_ip, port.host_ip) or wanted.host_ip == port.host_ip:
            return True
    return False


def pods_ports_conflict(first: Pod, second: Pod) -> bool:
    """Whether either pod's host ports conflict with the other's (the relation is symmetric)."""
    used = host_ports(second)
    return any(host_port_conflicts(port, used) for port in host_ports(first))


def node_ports(pod: Pod, node: Node, snapshot: ClusterSnapshot) -> str | None:
    """NodePorts: no wanted host port conflicts with one used on the node."""
    used = [port for other in snapshot.pods_on(node.metadata.name) for port in host_ports(other)]
    if any(host_port_conflicts(port, used) for port in host_ports(pod)):
        return REASON_NODE_PORTS
    return None


# -- resources -----------------------------------------------------------------------------

_NATIVE_PREFIX: Final = "kubernetes.io/"


def is_scalar_resource_name(name: str) -> bool:
    """``IsScalarResourceName``: extended (domain-qualified, not kubernetes.io), hugepages-*,
    attachable-volumes-*, or another resource in the kubernetes.io namespace."""
    if name.startswith(("hugepages-", "attachable-volumes-")):
        return True
    if _NATIVE_PREFIX in name:
        return True
    # Extended: qualified with a domain that is not kubernetes.io, and not requests.*.
    return "/" in name and not name.startswith("requests.")


def _add(total: dict[str, Quantity], resources: Mapping[str, Quantity]) -> None:
    for name, quantity in resources.items():
        total[name] = total[name] + quantity if name in total else quantity


def _max(total: dict[str, Quantity], resources: Mapping[str, Quantity]) -> None:
    for name, quantity in resources.items():
        if name not in total or quantity > total[name]:
            total[name] = quantity


def _container_requests(container: Container, non_missing: Mapping[str, Quantity]) -> Mapping[str, Quantity]:
    """A container's requests, with ``non_missing`` filling in the resources it does not list
    (``applyNonMissing``: only absent keys; an explicit 0 stays 0)."""
    requests = container.resources.requests
    if not non_missing:
        return requests
    return {**non_missing, **requests}


def pod_request_quantities(
    pod: Pod, non_missing: Mapping[str, Quantity] | None = None
) -> dict[str, Quantity]:
    """``PodRequests`` (KEP-753 formula): app containers and sidecars summed, each init container's
    peak (itself plus the sidecars before it) taken as a maximum, then the overhead added.

    ``non_missing`` is ``PodResourcesOptions.NonMissingContainerRequests``: defaults for the
    resources a container (app or init) does not list, as the scoring plugins use them.
    """
    defaults: Mapping[str, Quantity] = non_missing or {}
    total: dict[str, Quantity] = {}
    for container in pod.spec.containers:
        _add(total, _container_requests(container, defaults))
    sidecars: dict[str, Quantity] = {}
    init_peak: dict[str, Quantity] = {}
    for container in pod.spec.init_containers:
        requests = _container_requests(container, defaults)
        if container.restart_policy == "Always":
            _add(total, requests)
            _add(sidecars, requests)
            during = dict(sidecars)
        else:
            during = dict(requests)
            _add(during, sidecars)
        _max(init_peak, during)
    _max(total, init_peak)
    _add(total, pod.spec.overhead)
    return total


def resource_amounts(resources: Mapping[str, Quantity]) -> dict[str, int]:
    """``Resource.Add``'s integers: milli-cpu, bytes, pods, and the value of scalar resources."""
    amounts: dict[str, int] = {}
    for name, quantity in resources.items():
        if name == CPU:
            amounts[name] = quantity.milli_value()
        elif name in (MEMORY, EPHEMERAL_STORAGE, PODS) or is_scalar_resource_name(name):
            amounts[name] = quantity.value()
    return amounts


def pod_requests(pod: Pod) -> dict[str, int]:
    """What the pod requests, as NodeResourcesFit counts it (without ``pods``)."""
    amounts = resource_amounts(pod_request_quantities(pod))
    amounts.pop(PODS, None)
    return amounts


def node_allocatable(node: Node) -> dict[str, int]:
    return resource_amounts(node.status.allocatable)


def requested_on(node_name: str, snapshot: ClusterSnapshot) -> dict[str, int]:
    """``NodeInfo.Requested``: the requests of the pods on the node, summed."""
    total: Counter[str] = Counter()
    for pod in snapshot.pods_on(node_name):
        total.update(pod_requests(pod))
    return dict(total)


def insufficient_resources(pod: Pod, node: Node, snapshot: ClusterSnapshot) -> tuple[str, ...]:
    """``fitsRequest``'s reasons, in upstream's order: pods, cpu, memory, ephemeral-storage, scalars."""
    name = node.metadata.name
    allocatable = node_allocatable(node)
    reasons = []
    if len(snapshot.pods_on(name)) + 1 > allocatable.get(PODS, 0):
        reasons.append(REASON_TOO_MANY_PODS)
    wanted = pod_requests(pod)
    if not any(wanted.values()):
        return tuple(reasons)
    used = requested_on(name, snapshot)
    scalars = sorted(r for r in wanted if r not in (CPU, MEMORY, EPHEMERAL_STORAGE))
    for resource in (CPU, MEMORY, EPHEMERAL_STORAGE, *scalars):
        amount = wanted.get(resource, 0)
        if amount > 0 and amount > allocatable.get(resource, 0) - used.get(resource, 0):
            reasons.append(insufficient_reason(resource))
    return tuple(reasons)


def node_resources_fit(pod: Pod, node: Node, snapshot: ClusterSnapshot) -> tuple[str, ...] | None:
    """NodeResourcesFit: None when the pod fits, else every insufficient resource's reason."""
    return insufficient_resources(pod, node, snapshot) or None


# -- inter-pod affinity ----------------------------------------------------------------------


def _selector_matches(selector: LabelSelector | None, labels: Mapping[str, str]) -> bool:
    """A structured selector where nil matches nothing (``LabelSelectorAsSelector``)."""
    return selector is not None and selector.matches(labels)


def affinity_term_matches(
    term: PodAffinityTerm, owner: Pod, target: Pod, namespace_labels: Mapping[str, str]
) -> bool:
    """Whether ``target`` (in a namespace with ``namespace_labels``) is selected by ``owner``'s term.

    No namespaces and no namespaceSelector mean the owner's namespace; otherwise
    the listed namespaces or those the selector matches (``{}`` matches all).
    """
    if not term.namespaces and term.namespace_selector is None:
        in_namespace = target.metadata.namespace == owner.metadata.namespace
    else:
        in_namespace = target.metadata.namespace in term.namespaces or _selector_matches(
            term.namespace_selector, namespace_labels
        )
    return in_namespace and _selector_matches(term.label_selector, target.metadata.labels)


def required_affinity_terms(pod: Pod) -> tuple[PodAffinityTerm, ...]:
    affinity = pod.spec.affinity
    if affinity is None or affinity.pod_affinity is None:
        return ()
    return affinity.pod_affinity.required_during_scheduling_ignored_during_execution


def required_anti_affinity_terms(pod: Pod) -> tuple[PodAffinityTerm, ...]:
    affinity = pod.spec.affinity
    if affinity is None or affinity.pod_anti_affinity is None:
        return ()
    return affinity.pod_anti_affinity.required_during_scheduling_ignored_during_execution


def matches_all_affinity_terms(
    owner: Pod, target: Pod, terms: Sequence[PodAffinityTerm], namespace_labels: Mapping[str, str]
) -> bool:
    """``podMatchesAllAffinityTerms``: false for no terms."""
    return bool(terms) and all(affinity_term_matches(t, owner, target, namespace_labels) for t in terms)


def satisfies_pod_affinity(pod: Pod, node: Node, snapshot: ClusterSnapshot) -> bool:
    """``satisfyPodAffinity``: every term's domain holds a pod matching all terms, or no such pod
    is anywhere and the pod matches its own terms (the first of a group)."""
    terms = required_affinity_terms(pod)
    if not terms:
        return True
    labels = node.metadata.labels
    if any(term.topology_key not in labels for term in terms):
        return False
    own_labels = snapshot.labels_of_namespace(pod.metadata.namespace)
    matching_domains: set[tuple[str, str]] = set()
    for other, other_node in snapshot.placed_pods():
        ns_labels = snapshot.labels_of_namespace(other.metadata.namespace)
        if not matches_all_affinity_terms(pod, other, terms, ns_labels):
            continue
        for term in terms:
            if term.topology_key in other_node.metadata.labels:
                matching_domains.add((term.topology_key, other_node.metadata.labels[term.topology_key]))
    if all((term.topology_key, labels[term.topology_key]) in matching_domains for term in terms):
        return True
    return not matching_domains and matches_all_affinity_terms(pod, pod, terms, own_labels)


def satisfies_pod_anti_affinity(pod: Pod, node: Node, snapshot: ClusterSnapshot) -> bool:
    """``satisfyPodAntiAffinity``: no pod a term selects in the node's domain of that term."""
    labels = node.metadata.labels
    for term in required_anti_affinity_terms(pod):
        if term.topology_key not in labels:
            continue
        domain = labels[term.topology_key]
        for other, other_node in snapshot.placed_pods():
            if other_node.metadata.labels.get(term.topology_key) != domain:
                continue
            ns_labels = snapshot.labels_of_namespace(other.metadata.namespace)
            if affinity_term_matches(term, pod, other, ns_labels):
                return False
    return True


def satisfies_existing_pods_anti_affinity(pod: Pod, node: Node, snapshot: ClusterSnapshot) -> bool:
    """``satisfyExistingPodsAntiAffinity``: no placed pod's term selects the pod in a shared domain."""
    labels = node.metadata.labels
    ns_labels = snapshot.labels_of_namespace(pod.metadata.namespace)
    for other, other_node in snapshot.placed_pods():
        for term in required_anti_affinity_terms(other):
            key = term.topology_key
            if key not in other_node.metadata.labels or labels.get(key) != other_node.metadata.labels[key]:
                continue
            if affinity_term_matches(term, other, pod, ns_labels):
                return False
    return True


def inter_pod_affinity(pod: Pod, node: Node, snapshot: ClusterSnapshot) -> str | None:
    """InterPodAffinity: affinity, then the pod's anti-affinity, then existing pods' anti-affinity."""
    if not satisfies_pod_affinity(pod, node, snapshot):
        return REASON_POD_AFFINITY
    if not satisfies_pod_anti_affinity(pod, node, snapshot):
        return REASON_POD_ANTI_AFFINITY
    if not satisfies_existing_pods_anti_affinity(pod, node, snapshot):
        return REASON_EXISTING_ANTI_AFFINITY
    return None


# -- topology spread ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SpreadConstraint:
    """A topology spread constraint as the plugin holds it: selector parsed, defaults applied."""

    max_skew: int
    topology_key: str
    selector: selectors.Selector
    min_domains: int = 1
    node_affinity_policy: str = "Honor"
    node_taints_policy: str = "Ignore"


def hard_spread_constraints(pod: Pod) -> tuple[SpreadConstraint, ...]:
    """``filterTopologySpreadConstraints(..., DoNotSchedule)``: matchLabelKeys merged into the selector."""
    return spread_constraints(pod, "DoNotSchedule")


def spread_constraints(pod: Pod, when_unsatisfiable: str) -> tuple[SpreadConstraint, ...]:
    """``filterTopologySpreadConstraints``: the pod's constraints with that ``whenUnsatisfiable``
    (DoNotSchedule for the filter, ScheduleAnyway for the score), matchLabelKeys merged in."""
    constraints = []
    for c in pod.spec.topology_spread_constraints:
        if c.when_unsatisfiable != when_unsatisfiable:
            continue
        selector = selectors.label_selector_as_selector(
            None if c.label_selector is None else c.label_selector.to_selector()
        )
        keys = {key: pod.metadata.labels[key] for key in c.match_label_keys if key in pod.metadata.labels}
        if keys and not selector.selects_nothing:
            selector = selectors.selector_from_set(keys).add(*selector.requirements)
        constraints.append(
            SpreadConstraint(
                max_skew=c.max_skew,
                topology_key=c.topology_key,
                selector=selector,
                min_domains=1 if c.min_domains is None else c.min_domains,
                node_affinity_policy=c.node_affinity_policy or "Honor",
                node_taints_policy=c.node_taints_policy or "Ignore",
            )
        )
    return tuple(constraints)


def spread_node_eligible(
    pod: Pod, constraint: SpreadConstraint, constraints: Sequence[SpreadConstraint], node: Node
) -> bool:
    """Whether the node's pods count for ``constraint``: it has every constraint's key and passes
    the inclusion policies (``matchNodeInclusionPolicies``)."""
    if any(c.topology_key not in node.metadata.labels for c in constraints):
        return False
    if constraint.node_affinity_policy == "Honor" and not required_node_affinity_matches(pod.spec, node):
        return False
    return not (
        constraint.node_taints_policy == "Honor"
        and find_untolerated_taint(node.spec.taints, pod.spec.tolerations) is not None
    )


def spread_counts_pod(pod: Pod, constraint: SpreadConstraint, other: Pod) -> bool:
    """``countPodsMatchSelector``: same namespace, not terminating, selected.

    An empty selector counts no pod (upstream returns 0 for it), though it
    matches the incoming pod itself.
    """
    return (
        not constraint.selector.empty()
        and other.metadata.deletion_timestamp is None
        and other.metadata.namespace == pod.metadata.namespace
        and constraint.selector.matches(other.metadata.labels)
    )


def spread_domain_counts(
    pod: Pod, constraint: SpreadConstraint, constraints: Sequence[SpreadConstraint], snapshot: ClusterSnapshot
) -> dict[str, int]:
    """Matching pods per domain (topology value) over the eligible nodes; every eligible domain listed."""
    counts: dict[str, int] = {}
    for node in snapshot.nodes:
        if not spread_node_eligible(pod, constraint, constraints, node):
            continue
        value = node.metadata.labels[constraint.topology_key]
        matching = sum(
            1 for other in snapshot.pods_on(node.metadata.name) if spread_counts_pod(pod, constraint, other)
        )
        counts[value] = counts.get(value, 0) + matching
    return counts


def spread_min_match(constraint: SpreadConstraint, counts: Mapping[str, int]) -> int:
    """The global minimum: 0 with fewer domains than minDomains, upstream's MaxInt32 with none."""
    if len(counts) < constraint.min_domains:
        return 0
    return min(counts.values(), default=MAX_INT32)


def pod_topology_spread(pod: Pod, node: Node, snapshot: ClusterSnapshot) -> str | None:
    """PodTopologySpread: ``matchNum + selfMatch - minMatch <= maxSkew`` for every hard constraint."""
    constraints = hard_spread_constraints(pod)
    for constraint in constraints:
        value = node.metadata.labels.get(constraint.topology_key)
        if value is None:
            return REASON_SPREAD_MISSING_LABEL
        counts = spread_domain_counts(pod, constraint, constraints, snapshot)
        self_match = 1 if constraint.selector.matches(pod.metadata.labels) else 0
        skew = counts.get(value, 0) + self_match - spread_min_match(constraint, counts)
        if skew > constraint.max_skew:
            return REASON_SPREAD
    return None


# -- all filters, in upstream's order ----------------------------------------------------------

#: A filter as the framework runs it: the reasons of a rejection, empty when the node passes.
Filter = Callable[[Pod, Node, ClusterSnapshot], tuple[str, ...]]


def _reasons(answer: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if answer is None:
        return ()
    return (answer,) if isinstance(answer, str) else answer


#: The default profile's filter plugins in order (default_plugins.go); the volume plugins are left out.
FILTER_ORDER: Final[tuple[tuple[str, Filter], ...]] = (
    ("NodeUnschedulable", lambda pod, node, _: _reasons(node_unschedulable(pod, node))),
    ("NodeName", lambda pod, node, _: _reasons(node_name(pod, node))),
    ("TaintToleration", lambda pod, node, _: _reasons(taint_toleration(pod, node))),
    ("NodeAffinity", lambda pod, node, _: _reasons(node_affinity(pod, node))),
    ("NodePorts", lambda pod, node, snapshot: _reasons(node_ports(pod, node, snapshot))),
    ("NodeResourcesFit", lambda pod, node, snapshot: _reasons(node_resources_fit(pod, node, snapshot))),
    ("PodTopologySpread", lambda pod, node, snapshot: _reasons(pod_topology_spread(pod, node, snapshot))),
    ("InterPodAffinity", lambda pod, node, snapshot: _reasons(inter_pod_affinity(pod, node, snapshot))),
)
#: The filters that look at the pod and the node only, not at other pods.
STATIC_FILTERS: Final = ("NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity")


def filter_node(pod: Pod, node: Node, snapshot: ClusterSnapshot) -> tuple[str, ...]:
    """The reasons of the first filter that rejects the node (``RunFilterPlugins``); () if it fits."""
    for _, run in FILTER_ORDER:
        reasons = run(pod, node, snapshot)
        if reasons:
            return reasons
    return ()


def static_reasons(pod: Pod, node: Node) -> tuple[str, ...]:
    """The reasons of the first static filter (unschedulable, name, taints, node affinity) that rejects."""
    for answer in (node_unschedulable, node_name, taint_toleration, node_affinity):
        reason = answer(pod, node)
        if reason is not None:
            return (reason,)
    return ()


def node_reasons(pod: Pod, snapshot: ClusterSnapshot) -> dict[str, tuple[str, ...]]:
    """Every node that rejects the pod, with its reasons."""
    answers = {node.metadata.name: filter_node(pod, node, snapshot) for node in snapshot.nodes}
    return {name: reasons for name, reasons in answers.items() if reasons}


def feasible_nodes(pod: Pod, snapshot: ClusterSnapshot) -> tuple[str, ...]:
    return tuple(n.metadata.name for n in snapshot.nodes if not filter_node(pod, n, snapshot))


def unschedulable_message(rejections: Mapping[str, Sequence[str]], total_nodes: int | None = None) -> str:
    """``FitError.Error``: ``0/N nodes are available: 2 node(s) ..., 3 Insufficient cpu.``

    Each rejecting node adds one to the count of each of its reasons; the
    ``"count reason"`` strings are sorted as strings (so ``10 X`` comes before
    ``2 Y``), as upstream's ``sort.Strings`` does. ``total_nodes`` defaults to
    the number of rejecting nodes.
    """
    counts: Counter[str] = Counter(reason for reasons in rejections.values() for reason in reasons)
    total = len(rejections) if total_nodes is None else total_nodes
    message = f"0/{total} nodes are available:"
    histogram = sorted(f"{count} {reason}" for reason, count in counts.items())
    if histogram:
        message += f" {', '.join(histogram)}."
    return message


# -- placing pods one after another ------------------------------------------------------------


@dataclass(frozen=True)
class Rejection:
    """The first pod of a placement that a filter rejects, against the pods placed before it."""

    index: int
    pod: str
    node: str
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        return f"pod {self.pod} on node {self.node} (placed #{self.index}): {'; '.join(self.reasons)}"


def first_rejection(snapshot: ClusterSnapshot, placement: Sequence[tuple[Pod, str]]) -> Rejection | None:
    """Place the pods in order, each checked by every filter against the snapshot and the earlier ones.

    Returns the first rejection, or None when every pod passes. A node that
    is not in the snapshot rejects with the reason ``"no such node"``.
    """
    current = snapshot
    for index, (pod, node_name_) in enumerate(placement):
        node = current.node_by_name.get(node_name_)
        reasons = ("no such node",) if node is None else filter_node(pod, node, current)
        if reasons:
            return Rejection(index, pod_key(pod), node_name_, reasons)
        current = current.with_pod(pod, node_name_)
    return None


def place_all(snapshot: ClusterSnapshot, placement: Sequence[tuple[Pod, str]]) -> ClusterSnapshot:
    """The snapshot with every pod of ``placement`` bound (no filter is run)."""
    current = snapshot
    for pod, node in placement:
        current = current.with_pod(pod, node)
    return current
