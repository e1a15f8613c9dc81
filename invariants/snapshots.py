"""Cluster snapshots for the feasibility oracle: small builders, and seeded generated snapshots.

The builders (``make_node``, ``make_pod``) write the few fields the filters
read as upstream's JSON and read it with ``spec.objects.from_dict``, so that
a test reads like a manifest. ``generate_problem`` draws a snapshot (nodes
with allocatable cpu/memory/pods, labels for hostname and zone, taints,
unschedulable; bound pods) and pending pods (requests, tolerations,
nodeSelector, required node affinity, required pod anti-affinity and
affinity, host ports, hard topology spread) from a ``Choices`` source, so
the same generator serves Hypothesis (``DrawChoices`` in
``conformance.strategies.objects``) and seeded runs (``SeededChoices``,
for the registered invariant and ``benchmarks/feasibility.py``).

Requirement IDs: none (they are in ``spec.scheduling.filters``).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar, cast

from spec.objects import from_dict
from spec.objects.core import Node, Pod
from spec.scheduling.filters import LABEL_HOSTNAME, LABEL_ZONE, ClusterSnapshot, bind

T = TypeVar("T")


class Choices(Protocol):
    """Where generated values come from (the shape of ``conformance.strategies.objects.Choices``)."""

    def integer(self, low: int, high: int) -> int: ...

    def pick(self, options: Sequence[T]) -> T: ...

    def coin(self) -> bool: ...


class SeededChoices:
    """Choices from a seeded ``random.Random``: the same seed, the same snapshot (the suite's
    ``RandomChoices`` too)."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def integer(self, low: int, high: int) -> int:
        return self._random.randint(low, high)

    def pick(self, options: Sequence[T]) -> T:
        return options[self._random.randrange(len(options))]

    def coin(self) -> bool:
        return self._random.random() < 0.5


# -- builders ----------------------------------------------------------------------------


def make_node(
    name: str,
    *,
    cpu: str = "4",
    memory: str = "8Gi",
    pods: int = 110,
    labels: Mapping[str, str] | None = None,
    taints: Sequence[Mapping[str, str]] = (),
    unschedulable: bool = False,
    allocatable: Mapping[str, str] | None = None,
) -> Node:
    """A node with allocatable cpu, memory and pods; ``kubernetes.io/hostname`` is its name unless given."""
    node_labels = {LABEL_HOSTNAME: name, **(labels or {})}
    spec: dict[str, Any] = {"taints": [dict(t) for t in taints]}
    if unschedulable:
        spec["unschedulable"] = True
    resources = {"cpu": cpu, "memory": memory, "pods": str(pods), **(allocatable or {})}
    return cast(
        Node,
        from_dict(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": name, "labels": node_labels},
                "spec": spec,
                "status": {"allocatable": resources},
            }
        ),
    )


def make_pod(
    name: str,
    *,
    namespace: str = "default",
    labels: Mapping[str, str] | None = None,
    cpu: str | None = None,
    memory: str | None = None,
    requests: Mapping[str, str] | None = None,
    host_ports: Sequence[int | Mapping[str, Any]] = (),
    node_name: str = "",
    spec: Mapping[str, Any] | None = None,
    status: Mapping[str, Any] | None = None,
) -> Pod:
    """A pod with one container (its requests and host ports); ``spec`` adds other PodSpec fields (JSON)."""
    container_requests = dict(requests or {})
    if cpu is not None:
        container_requests["cpu"] = cpu
    if memory is not None:
        container_requests["memory"] = memory
    ports = [
        {"containerPort": 8000 + i, "hostPort": p} if isinstance(p, int) else {"containerPort": 8000 + i, **p}
        for i, p in enumerate(host_ports)
    ]
    pod_spec: dict[str, Any] = {
        "containers": [{"name": "app", "resources": {"requests": container_requests}, "ports": ports}],
        **(spec or {}),
    }
    if node_name:
        pod_spec["nodeName"] = node_name
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels or {})},
        "spec": pod_spec,
    }
    if status:
        body["status"] = dict(status)
    return cast(Pod, from_dict(body))


def anti_affinity(labels: Mapping[str, str], topology_key: str = LABEL_HOSTNAME) -> dict[str, Any]:
    """``spec.affinity`` with one required anti-affinity term (JSON, for ``make_pod(spec=...)``)."""
    term = {"labelSelector": {"matchLabels": dict(labels)}, "topologyKey": topology_key}
    return {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}


def affinity(labels: Mapping[str, str], topology_key: str = LABEL_HOSTNAME) -> dict[str, Any]:
    """``spec.affinity`` with one required pod affinity term (JSON)."""
    term = {"labelSelector": {"matchLabels": dict(labels)}, "topologyKey": topology_key}
    return {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}


def spread(labels: Mapping[str, str], topology_key: str = LABEL_ZONE, max_skew: int = 1) -> dict[str, Any]:
    """One DoNotSchedule topology spread constraint (JSON)."""
    return {
        "maxSkew": max_skew,
        "topologyKey": topology_key,
        "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": dict(labels)},
    }


# -- generated problems ----------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A snapshot and the pods waiting to be placed on it, in queue order."""

    snapshot: ClusterSnapshot
    pending: tuple[Pod, ...]


@dataclass(frozen=True)
class Shape:
    """How big and how constrained a generated problem is.

    ``load`` is the pending pods' total cpu request as a percentage of the
    cluster's free cpu (about); above 100 makes most problems infeasible.
    The feature switches turn each kind of constraint on or off.
    """

    pods: int
    nodes: int
    existing: int = 0
    load: int = 60
    zones: int = 3
    taints: bool = True
    selectors: bool = True
    anti_affinity: bool = True
    affinity: bool = False
    ports: bool = True
    spread: bool = False
    zone_anti_affinity: bool = False


def mixed_shape(
    c: Choices, *, pods: tuple[int, int], nodes: tuple[int, int], existing: tuple[int, int]
) -> Shape:
    """A shape with sizes in the given ranges and the load, zones and constraint kinds drawn: the
    mix the feasibility tests sweep over."""
    return Shape(
        pods=c.integer(*pods),
        nodes=c.integer(*nodes),
        existing=c.integer(*existing),
        load=c.pick((20, 50, 150)),
        zones=c.integer(1, 3),
        affinity=c.coin(),
        spread=c.coin(),
        zone_anti_affinity=c.coin(),
    )


_TAINTS = ({"key": "dedicated", "value": "db", "effect": "NoSchedule"}, {"key": "gpu", "effect": "NoExecute"})
_APPS = ("web", "db", "cache", "batch", "api", "queue")


def generate_problem(c: Choices, shape: Shape) -> Problem:
    """A snapshot of ``shape.nodes`` nodes with ``shape.existing`` bound pods, and ``shape.pods`` pending."""
    zones = [f"zone-{i}" for i in range(max(shape.zones, 1))]
    node_cpu = [c.pick((2000, 4000, 8000)) for _ in range(shape.nodes)]
    nodes = []
    for i in range(shape.nodes):
        labels = {LABEL_ZONE: zones[i % len(zones)], "disk": c.pick(("ssd", "hdd"))}
        taints = [c.pick(_TAINTS)] if shape.taints and c.integer(0, 5) == 0 else []
        nodes.append(
            make_node(
                f"node-{i}",
                cpu=f"{node_cpu[i]}m",
                memory=f"{c.pick((2, 4, 16))}Gi",
                pods=c.pick((2, 4, 110)) if c.integer(0, 3) == 0 else 110,
                labels=labels,
                taints=taints,
                unschedulable=c.integer(0, 9) == 0,
            )
        )
    total_cpu = sum(node_cpu)
    existing = []
    for i in range(shape.existing):
        node = c.pick(nodes)
        # Bound pods take about a third of the cpu between them.
        # Bound pods carry only hostname anti-affinity, not the zone rules that would wall off zones.
        bound_shape = replace(shape, affinity=False, spread=False, zone_anti_affinity=False)
        pod = generated_pod(c, bound_shape, f"running-{i}", total_cpu * 30 // shape.load, shape.existing)
        existing.append(bind(pod, node.metadata.name))
    pending = tuple(generated_pod(c, shape, f"pod-{i}", total_cpu, shape.pods) for i in range(shape.pods))
    return Problem(ClusterSnapshot(tuple(nodes), tuple(existing)), pending)


def generated_pod(c: Choices, shape: Shape, name: str, total_cpu: int, count: int) -> Pod:
    """One pod of ``count`` sharing ``shape.load`` percent of ``total_cpu`` millicores, with the
    constraints ``shape`` switches on, each drawn now and then."""
    app = c.pick(_APPS)
    mean_cpu = max(total_cpu * shape.load // 100 // max(count, 1), 10)
    spec: dict[str, Any] = {}
    if shape.taints and c.integer(0, 3) == 0:
        spec["tolerations"] = [c.pick(({"key": "dedicated", "operator": "Exists"}, {"operator": "Exists"}))]
    if shape.selectors and c.integer(0, 4) == 0:
        spec["nodeSelector"] = {"disk": c.pick(("ssd", "hdd"))}
    elif shape.selectors and c.integer(0, 4) == 0:
        zone = f"zone-{c.integer(0, max(shape.zones, 1) - 1)}"
        term = {
            "matchExpressions": [{"key": LABEL_ZONE, "operator": c.pick(("In", "NotIn")), "values": [zone]}]
        }
        spec["affinity"] = {
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}
        }
    if shape.anti_affinity and c.integer(0, 2) == 0:
        key = LABEL_ZONE if shape.zone_anti_affinity and c.integer(0, 3) == 0 else LABEL_HOSTNAME
        spec["affinity"] = {**spec.get("affinity", {}), **anti_affinity({"app": app}, key)}
    if shape.affinity and c.integer(0, 4) == 0:
        # Mostly its own app (a group kept in one zone: the first pod may go anywhere).
        target = app if c.coin() else c.pick(_APPS)
        spec["affinity"] = {**spec.get("affinity", {}), **affinity({"app": target}, LABEL_ZONE)}
    if shape.spread and c.coin():
        spec["topologySpreadConstraints"] = [spread({"app": app}, LABEL_ZONE, c.integer(1, 2))]
    port_choices: tuple[int | Mapping[str, Any], ...] = (80, 443, {"hostPort": 80, "protocol": "UDP"})
    ports = [c.pick(port_choices)] if shape.ports and c.integer(0, 4) == 0 else []
    cpu = max(c.integer(mean_cpu // 2, mean_cpu * 3 // 2), 1)
    return make_pod(
        name,
        labels={"app": app},
        cpu=f"{cpu}m",
        memory=f"{c.integer(1, 8) * 256}Mi",
        host_ports=ports,
        spec=spec,
    )
