"""The scheduler cache: nodes and bound pods kept incrementally, with columnar node data for numpy.

What it models: upstream's scheduler cache (``pkg/scheduler/backend/cache/cache.go``:
``AddNode``/``UpdateNode``/``RemoveNode``, ``AddPod``/``RemovePod`` and
``AssumePod``) and the per-node aggregates of ``framework.NodeInfo``
(``pkg/scheduler/framework/types.go``: ``Requested``, ``NonZeroRequested``,
the pods, ``UsedPorts``, ``PodsWithRequiredAntiAffinity``, ``ImageStates``
and the cache's ``imageStates`` counting how many nodes hold an image).
Adding or removing a pod updates its node's aggregates (and the columns in
place) instead of recomputing them per scheduling cycle, as
``NodeInfo.AddPod`` / ``RemovePod`` do.

The columns (``Columns``) hold, per node in the cache's node order, the
allocatable and requested amounts of cpu, memory, ephemeral-storage, pods
and every extended resource seen, the non-zero cpu/memory requests the
scores use, and masks: unschedulable, has a NoSchedule/NoExecute taint, has
a PreferNoSchedule taint, has pods using host ports. They are rebuilt from
the per-node ``NodeInfo`` only when the node set changes (a node added,
removed, updated or reordered); a pod bound or removed updates them in
place. ``impl/scheduler/columnar.py`` runs the scheduling cycle on them.

The node order is the order the scheduler examines nodes in (the spec's
snapshot order): nodes are appended as they are added, and ``sync`` takes
the order of the snapshot it is given. Upstream's node tree interleaves
zones instead; the spec, and so the reference, follows the snapshot.

For the ``scheduler`` contract, which hands over a whole snapshot per call,
``sync_json`` diffs the snapshot against the cache: a node or pod is parsed
and re-added only when it is new or changed (same name and, when both are
set, uid and resourceVersion; otherwise the same JSON content), so a run of
calls that each add one bound pod costs one parse of that pod plus the
comparison of the rest.

Requirement IDs: none defined here; what the cache feeds must give the
spec's decisions (SCHED-*), which tests/scheduler/test_columnar.py checks
against the plain reference.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

import numpy as np

from spec.objects import from_dict
from spec.objects.core import Node, Pod
from spec.scheduling.filters import (
    CPU,
    EPHEMERAL_STORAGE,
    FILTERED_TAINT_EFFECTS,
    MEMORY,
    PODS,
    ClusterSnapshot,
    host_ports,
    is_terminal,
    node_allocatable,
    pod_requests,
    required_affinity_terms,
    required_anti_affinity_terms,
)
from spec.scheduling.scores import node_image_sizes, non_zero_pod_requests

#: The resources with a column of their own; extended resources get columns as they are seen.
NATIVE: Final = (CPU, MEMORY, EPHEMERAL_STORAGE)
#: Amounts at or beyond this make the columns Python integers (numpy object arrays), so that
#: sums and products never wrap around as int64 would; the float fractions of
#: BalancedAllocation are exact below 2**53.
EXACT_LIMIT: Final = 2**53

#: What a pod requests, as the fit check and the scores count it (spec.scheduling.filters.pod_requests).
RequestsOf = Callable[[Pod], dict[str, int]]


def pod_has_affinity_terms(pod: Pod) -> bool:
    """Whether the pod carries any pod affinity or anti-affinity term (required or preferred):
    the InterPodAffinity score then looks at it from the other side."""
    affinity = pod.spec.affinity
    if affinity is None:
        return False
    for part in (affinity.pod_affinity, affinity.pod_anti_affinity):
        if part is not None and (
            part.required_during_scheduling_ignored_during_execution
            or part.preferred_during_scheduling_ignored_during_execution
        ):
            return True
    return False


@dataclass
class PodInfo:
    """A bound pod and what the aggregates take from it (``framework.PodInfo``)."""

    pod: Pod
    node_name: str
    requests: dict[str, int]
    non_zero_cpu: int
    non_zero_memory: int
    uses_ports: bool
    #: Required anti-affinity terms: InterPodAffinity's filter must look at existing pods.
    required_anti_affinity: bool
    #: Any affinity term: InterPodAffinity's score must look at existing pods.
    affinity_terms: bool
    #: Succeeded/Failed pods are kept (a later update may matter) but count nowhere.
    terminal: bool


def pod_info(pod: Pod, requests_of: RequestsOf) -> PodInfo:
    non_zero = non_zero_pod_requests(pod)
    return PodInfo(
        pod=pod,
        node_name=pod.spec.node_name,
        requests=requests_of(pod),
        non_zero_cpu=non_zero.get(CPU, 0),
        non_zero_memory=non_zero.get(MEMORY, 0),
        uses_ports=bool(host_ports(pod)),
        required_anti_affinity=bool(required_anti_affinity_terms(pod)),
        affinity_terms=pod_has_affinity_terms(pod) or bool(required_affinity_terms(pod)),
        terminal=is_terminal(pod),
    )


@dataclass
class NodeInfo:
    """One node and the aggregates of its non-terminal pods (``framework.NodeInfo``)."""

    node: Node
    allocatable: dict[str, int]
    image_sizes: dict[str, int]
    requested: dict[str, int] = field(default_factory=dict)
    non_zero_cpu: int = 0
    non_zero_memory: int = 0
    pod_count: int = 0
    pods_with_ports: int = 0
    pods_with_required_anti_affinity: int = 0
    pods_with_affinity_terms: int = 0

    @property
    def name(self) -> str:
        return self.node.metadata.name

    @property
    def hard_taints(self) -> bool:
        return any(t.effect in FILTERED_TAINT_EFFECTS for t in self.node.spec.taints)

    @property
    def prefer_taints(self) -> bool:
        return any(t.effect == "PreferNoSchedule" for t in self.node.spec.taints)

    def add(self, info: PodInfo, sign: int = 1) -> None:
        """``NodeInfo.AddPod`` (sign 1) or ``RemovePod`` (sign -1)."""
        for resource, amount in info.requests.items():
            self.requested[resource] = self.requested.get(resource, 0) + sign * amount
        self.non_zero_cpu += sign * info.non_zero_cpu
        self.non_zero_memory += sign * info.non_zero_memory
        self.pod_count += sign
        self.pods_with_ports += sign * info.uses_ports
        self.pods_with_required_anti_affinity += sign * info.required_anti_affinity
        self.pods_with_affinity_terms += sign * info.affinity_terms


class Columns:
    """The nodes' data as arrays, index i being the cache's i-th node."""

    def __init__(self, infos: Sequence[NodeInfo]) -> None:
        self.size = len(infos)
        extended = sorted(
            {r for info in infos for r in (*info.allocatable, *info.requested)} - {*NATIVE, PODS}
        )
        amounts = [
            abs(v)
            for info in infos
            for v in (*info.allocatable.values(), *info.requested.values(), info.non_zero_memory)
        ]
        #: int64 unless some amount is large enough for sums or * 100 to leave int64 (then exact ints).
        self.exact = bool(amounts) and max(amounts) >= EXACT_LIMIT // 1024
        dtype: Any = object if self.exact else np.int64
        self.dtype = dtype

        def column(values: Iterable[int]) -> np.ndarray:
            return np.array(list(values), dtype=dtype)

        self.allocatable: dict[str, np.ndarray] = {
            r: column(info.allocatable.get(r, 0) for info in infos) for r in (*NATIVE, PODS, *extended)
        }
        self.requested: dict[str, np.ndarray] = {
            r: column(info.requested.get(r, 0) for info in infos) for r in (*NATIVE, *extended)
        }
        self.non_zero_cpu = column(info.non_zero_cpu for info in infos)
        self.non_zero_memory = column(info.non_zero_memory for info in infos)
        self.pod_count = np.array([info.pod_count for info in infos], dtype=np.int64)
        self.unschedulable = np.array([info.node.spec.unschedulable for info in infos], dtype=bool)
        self.hard_taints = np.array([info.hard_taints for info in infos], dtype=bool)
        self.prefer_taints = np.array([info.prefer_taints for info in infos], dtype=bool)
        self.pods_with_ports = np.array([info.pods_with_ports for info in infos], dtype=np.int64)
        #: Nodes grouped by their NoSchedule/NoExecute taints: the TaintToleration filter reads only
        #: those, so it runs once per group.
        groups: dict[tuple[Any, ...], list[int]] = {}
        for index, info in enumerate(infos):
            if info.hard_taints:
                groups.setdefault(tuple(info.node.spec.taints), []).append(index)
        self.taint_groups = {key: np.array(indices, dtype=np.int64) for key, indices in groups.items()}

    def fits_exactly(self, amounts: Iterable[int]) -> bool:
        """Whether ``amounts`` keep the int64 columns exact (else they must be rebuilt as exact)."""
        return self.exact or all(abs(a) < EXACT_LIMIT // 1024 for a in amounts)

    def add(self, index: int, info: PodInfo, sign: int) -> bool:
        """Update node ``index``'s columns for a pod bound (1) or removed (-1); False when the pod
        brings a resource without a column or an amount too big for int64 (rebuild instead)."""
        if any(r not in self.requested for r in info.requests if r != PODS):
            return False
        after = [self.requested[r][index] + sign * a for r, a in info.requests.items() if r != PODS]
        after += [
            self.non_zero_cpu[index] + sign * info.non_zero_cpu,
            self.non_zero_memory[index] + sign * info.non_zero_memory,
        ]
        if not self.fits_exactly(int(a) for a in after):
            return False
        for resource, amount in info.requests.items():
            if resource != PODS:
                self.requested[resource][index] += sign * amount
        self.non_zero_cpu[index] += sign * info.non_zero_cpu
        self.non_zero_memory[index] += sign * info.non_zero_memory
        self.pod_count[index] += sign
        self.pods_with_ports[index] += sign * info.uses_ports
        return True


def _same(key_a: Mapping[str, Any], key_b: Mapping[str, Any]) -> bool:
    """Whether two objects' JSON are the same version: uid and resourceVersion when both have them."""
    meta_a, meta_b = key_a.get("metadata") or {}, key_b.get("metadata") or {}
    if meta_a.get("uid") and meta_a.get("resourceVersion") and meta_b.get("uid"):
        return bool(
            meta_a.get("uid") == meta_b.get("uid")
            and meta_a.get("resourceVersion") == meta_b.get("resourceVersion")
        )
    return key_a == key_b


class SchedulerCache:
    """Nodes (in scheduling order) and bound pods, with ``NodeInfo`` aggregates and ``Columns``."""

    def __init__(self, requests_of: RequestsOf = pod_requests) -> None:
        self.requests_of = requests_of
        self.infos: list[NodeInfo] = []
        self.index: dict[str, int] = {}
        #: Every bound pod by key, whether or not its node is in the cache (as a snapshot may list pods
        #: of nodes it does not have; they count once the node is added).
        self.pods: dict[Any, PodInfo] = {}
        self.pods_by_node: dict[str, dict[Any, PodInfo]] = {}
        self.namespace_labels: dict[str, dict[str, str]] = {}
        #: How many nodes list each image name (``imageStates``' NumNodes).
        self.image_nodes: dict[str, int] = {}
        self.pods_with_required_anti_affinity = 0
        self.pods_with_affinity_terms = 0
        #: Bumped on every change; the spec snapshot built for plugins without a vectorized form is
        #: reused while it stays the same.
        self.version = 0
        self._columns: Columns | None = None
        self._snapshot: tuple[int, ClusterSnapshot] | None = None
        self._node_json: dict[str, Mapping[str, Any]] = {}
        self._pod_json: dict[Any, Mapping[str, Any]] = {}
        self._namespaces_json: Mapping[str, Any] = {}

    # -- nodes ------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.infos)

    @property
    def nodes(self) -> list[Node]:
        return [info.node for info in self.infos]

    def add_node(self, node: Node) -> None:
        """``AddNode``, or ``UpdateNode`` when a node of that name is cached (its place is kept)."""
        name = node.metadata.name
        info = NodeInfo(node, node_allocatable(node), node_image_sizes(node))
        for pod in self.pods_by_node.get(name, {}).values():
            if not pod.terminal:
                info.add(pod)
        if name in self.index:
            old = self.infos[self.index[name]]
            self._count_images(old, -1)
            self.infos[self.index[name]] = info
        else:
            self.index[name] = len(self.infos)
            self.infos.append(info)
            self._count_pods_of(info, 1)
        self._count_images(info, 1)
        self._changed(structure=True)

    def remove_node(self, name: str) -> None:
        """``RemoveNode``: its pods stay cached (they no longer count), as upstream keeps them until
        they are deleted."""
        position = self.index.pop(name)
        info = self.infos.pop(position)
        for later in self.infos[position:]:
            self.index[later.name] -= 1
        self._count_images(info, -1)
        self._count_pods_of(info, -1)
        self._changed(structure=True)

    def reorder(self, names: Sequence[str]) -> None:
        """Put the cached nodes in the order ``names`` gives (all of them, each once)."""
        self.infos = [self.infos[self.index[name]] for name in names]
        self.index = {name: i for i, name in enumerate(names)}
        self._changed(structure=True)

    def _count_images(self, info: NodeInfo, sign: int) -> None:
        for image in info.image_sizes:
            self.image_nodes[image] = self.image_nodes.get(image, 0) + sign
            if not self.image_nodes[image]:
                del self.image_nodes[image]

    def _count_pods_of(self, info: NodeInfo, sign: int) -> None:
        self.pods_with_required_anti_affinity += sign * info.pods_with_required_anti_affinity
        self.pods_with_affinity_terms += sign * info.pods_with_affinity_terms

    # -- pods -------------------------------------------------------------------------------------

    @staticmethod
    def pod_key(pod: Pod) -> Any:
        return (pod.metadata.namespace, pod.metadata.name)

    def add_pod(self, pod: Pod, key: Any = None) -> None:
        """``AddPod`` / ``AssumePod`` of a bound pod (``spec.nodeName`` set); an existing key is updated."""
        if not pod.spec.node_name:
            raise ValueError(f"cached pods must be bound (spec.nodeName): {pod.metadata.name}")
        key = self.pod_key(pod) if key is None else key
        if key in self.pods:
            self.remove_pod(key)
        info = pod_info(pod, self.requests_of)
        self.pods[key] = info
        self.pods_by_node.setdefault(info.node_name, {})[key] = info
        self._account(info, 1)

    def remove_pod(self, key: Any) -> None:
        """``RemovePod`` (or ``ForgetPod`` of an assumed one)."""
        info = self.pods.pop(key)
        on_node = self.pods_by_node[info.node_name]
        del on_node[key]
        if not on_node:
            del self.pods_by_node[info.node_name]
        self._account(info, -1)

    def _account(self, info: PodInfo, sign: int) -> None:
        position = self.index.get(info.node_name)
        if position is None or info.terminal:
            self._changed(structure=False)
            return
        self.infos[position].add(info, sign)
        self.pods_with_required_anti_affinity += sign * info.required_anti_affinity
        self.pods_with_affinity_terms += sign * info.affinity_terms
        in_place = self._columns is not None and self._columns.add(position, info, sign)
        self._changed(structure=not in_place)

    def _changed(self, structure: bool) -> None:
        self.version += 1
        if structure:
            self._columns = None

    # -- what the scheduler reads --------------------------------------------------------------

    @property
    def columns(self) -> Columns:
        if self._columns is None:
            self._columns = Columns(self.infos)
        return self._columns

    def snapshot(self) -> ClusterSnapshot:
        """The cache as the spec's ``ClusterSnapshot`` (for plugins run node by node), kept while
        nothing changes."""
        if self._snapshot is None or self._snapshot[0] != self.version:
            snapshot = ClusterSnapshot(
                tuple(self.nodes), tuple(info.pod for info in self.pods.values()), self.namespace_labels
            )
            self._snapshot = (self.version, snapshot)
        return self._snapshot[1]

    # -- the contract's snapshots ----------------------------------------------------------------

    def sync_json(self, snapshot: Mapping[str, Any]) -> None:
        """Make the cache hold ``snapshot`` (the contract's JSON), parsing only what changed."""
        node_bodies = list(snapshot.get("nodes", ()))
        names = [str((body.get("metadata") or {}).get("name", "")) for body in node_bodies]
        if len(set(names)) != len(names):
            raise ValueError(f"node names must be unique: {names}")
        for name in [n for n in self.index if n not in set(names)]:
            self.remove_node(name)
            del self._node_json[name]
        for name, body in zip(names, node_bodies, strict=True):
            seen = self._node_json.get(name)
            if seen is None or not _same(seen, body):
                node = cast(Node, from_dict(body))
                self.add_node(node)
                self._node_json[name] = copy.deepcopy(body)
        if [info.name for info in self.infos] != names:
            self.reorder(names)
        keys = []
        counts: dict[tuple[str, str], int] = {}
        for body in snapshot.get("pods", ()):
            meta = body.get("metadata") or {}
            base = (str(meta.get("namespace") or "default"), str(meta.get("name", "")))
            # Snapshots may repeat a name; each copy is its own pod.
            counts[base] = counts.get(base, 0) + 1
            keys.append((*base, counts[base]))
        wanted = set(keys)
        for key in [k for k in self.pods if k not in wanted]:
            self.remove_pod(key)
            del self._pod_json[key]
        for key, body in zip(keys, snapshot.get("pods", ()), strict=True):
            seen = self._pod_json.get(key)
            if seen is None or not _same(seen, body):
                pod = cast(Pod, from_dict(body))
                self.add_pod(pod, key)
                self._pod_json[key] = copy.deepcopy(body)
        namespaces = snapshot.get("namespaces", {}) or {}
        if namespaces != self._namespaces_json:
            self.namespace_labels = {name: dict(labels) for name, labels in dict(namespaces).items()}
            self._namespaces_json = copy.deepcopy(namespaces)
            self._changed(structure=False)

    def sync_objects(self, snapshot: ClusterSnapshot) -> None:
        """Make the cache hold ``snapshot`` (spec objects), re-adding only nodes and pods that differ."""
        names = [node.metadata.name for node in snapshot.nodes]
        for name in [n for n in self.index if n not in set(names)]:
            self.remove_node(name)
        for node in snapshot.nodes:
            position = self.index.get(node.metadata.name)
            if position is None or self.infos[position].node != node:
                self.add_node(node)
        if [info.name for info in self.infos] != names:
            self.reorder(names)
        keys = []
        counts: dict[tuple[str, str], int] = {}
        for pod in snapshot.pods:
            base = self.pod_key(pod)
            counts[base] = counts.get(base, 0) + 1
            keys.append((*base, counts[base]))
        wanted = set(keys)
        for key in [k for k in self.pods if k not in wanted]:
            self.remove_pod(key)
        for key, pod in zip(keys, snapshot.pods, strict=True):
            cached = self.pods.get(key)
            if cached is None or (cached.pod is not pod and cached.pod != pod):
                self.add_pod(pod, key)
        namespaces = {name: dict(labels) for name, labels in snapshot.namespace_labels.items()}
        if namespaces != self.namespace_labels:
            self.namespace_labels = namespaces
            self._changed(structure=False)
