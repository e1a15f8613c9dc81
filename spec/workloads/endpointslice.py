"""EndpointSlices of a Service: which pods are endpoints, their conditions and ports, and how they are packed.

What it models, on the JSON of Services and Pods:

- **Membership** (``should_be_endpoint``): a pod of the Service's namespace
  whose labels its (non-empty) selector matches, with a pod IP, not
  Succeeded or Failed; a terminating pod (deletionTimestamp set) stays an
  endpoint (``ShouldPodBeInEndpoints(pod, includeTerminating=true)``).
  A Service without a selector gets no slices from this controller.
- **Conditions** (``endpoint_conditions``): ``serving`` = the pod's Ready
  condition is True, ``terminating`` = deletionTimestamp set, ``ready`` =
  ``publishNotReadyAddresses`` or (serving and not terminating).
- **Ports** (``endpoint_ports``): for each Service port, the pod's port
  its ``targetPort`` names: a number is that number, a name is the
  containerPort of that name and protocol in the pod (a port the pod does
  not have is left out, ``findPort``); a missing targetPort is ``port``.
  Endpoints with different port lists go to different slices.
- **Packing** (``pack``): one sync's slices from the ones that exist: an
  endpoint already in a slice of its port list stays there (updated), the
  others fill the slices with room, then new slices of at most
  ``maxEndpointsPerSlice`` (100); a slice left empty is deleted, so a
  Service with no endpoints has no slice (upstream keeps one empty
  placeholder slice then). Upstream's reconciler packs the same way (keep, fill, create)
  with extra rules to limit churn that do not change what the slices say.

Every slice carries ``kubernetes.io/service-name: <service>`` and
``endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io``
and the Service as its controlling owner; addressType IPv4.

Upstream (kubernetes/kubernetes, read at master):

- ``staging/src/k8s.io/endpointslice/utils.go``: ``podToEndpoint``,
  ``getEndpointPorts``; ``staging/src/k8s.io/endpointslice/util``
  ``ShouldPodBeInEndpoints``; ``reconciler.go`` ``reconcileByAddressType``,
  ``reconcileByPortMapping``.
- ``pkg/controller/endpointslice/endpointslice_controller.go``
  (``maxEndpointsPerSlice`` 100, the controller name); ``pkg/api/v1/pod``
  ``FindPort``.

Requirements defined here (component "controllers"):

- ENDPOINTSLICE-MATCHES-PODS: every endpoint stands for a pod the selector
  matches (at all times); once settled, each such pod has exactly one.
- ENDPOINTSLICE-CONDITIONS: ready/serving/terminating as above.
- ENDPOINTSLICE-MAX-ENDPOINTS: no slice has more than 100 endpoints.
- ENDPOINTSLICE-PORTS: a slice's ports are its endpoints' (targetPort resolved).
- ENDPOINTSLICE-LABELS: the labels and owner reference above.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from spec.requirements import requirement
from spec.selectors import selector_from_set

MAX_ENDPOINTS_PER_SLICE: Final = 100
CONTROLLER_NAME: Final = "endpointslice-controller.k8s.io"
LABEL_SERVICE_NAME: Final = "kubernetes.io/service-name"
LABEL_MANAGED_BY: Final = "endpointslice.kubernetes.io/managed-by"

_UPSTREAM = (
    "k/k staging/src/k8s.io/endpointslice/utils.go (podToEndpoint, getEndpointPorts), "
    "staging/src/k8s.io/endpointslice/reconciler.go, pkg/controller/endpointslice/endpointslice_controller.go"
)

ENDPOINTSLICE_MATCHES_PODS = requirement(
    "ENDPOINTSLICE-MATCHES-PODS",
    "Every endpoint in a Service's EndpointSlices MUST stand for a pod of its namespace that its selector "
    "matches, and once pods stop changing every such pod with a pod IP that is not Succeeded or Failed "
    "MUST have exactly one endpoint in them, with the pod's IP and a targetRef to it.",
    component="controllers",
    source=_UPSTREAM + "; staging/src/k8s.io/endpointslice/util ShouldPodBeInEndpoints",
)
ENDPOINTSLICE_CONDITIONS = requirement(
    "ENDPOINTSLICE-CONDITIONS",
    "An endpoint's conditions MUST be serving = the pod is Ready, terminating = the pod has a "
    "deletionTimestamp, ready = publishNotReadyAddresses or (serving and not terminating), once the "
    "controller has seen the pod as it is.",
    component="controllers",
    source="k/k staging/src/k8s.io/endpointslice/utils.go podToEndpoint",
)
ENDPOINTSLICE_MAX_ENDPOINTS = requirement(
    "ENDPOINTSLICE-MAX-ENDPOINTS",
    "An EndpointSlice the controller writes MUST NOT hold more than maxEndpointsPerSlice (100) endpoints.",
    component="controllers",
    source="k/k pkg/controller/endpointslice/endpointslice_controller.go (maxEndpointsPerSlice); "
    "staging/src/k8s.io/endpointslice/reconciler.go",
)
ENDPOINTSLICE_PORTS = requirement(
    "ENDPOINTSLICE-PORTS",
    "An EndpointSlice's ports MUST be, for each Service port, its name, protocol and the pod's port its "
    "targetPort names (a number as is, a name resolved to the containerPort of that name and protocol, "
    "left out when the pod has none), the same for every endpoint of the slice.",
    component="controllers",
    source="k/k staging/src/k8s.io/endpointslice/utils.go getEndpointPorts; pkg/api/v1/pod FindPort",
)
ENDPOINTSLICE_LABELS = requirement(
    "ENDPOINTSLICE-LABELS",
    "An EndpointSlice the controller writes MUST carry the labels kubernetes.io/service-name=<service> and "
    "endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io and an ownerReference to its "
    "Service with controller true.",
    component="controllers",
    source=_UPSTREAM,
)

Ports = tuple[tuple[str, str, int], ...]  # (name, protocol, port) in the Service's order


@dataclass(frozen=True)
class Endpoint:
    """One endpoint, as the suite compares them: the pod, its address, its conditions and its ports."""

    pod_uid: str
    pod_name: str
    address: str
    node_name: str
    ready: bool
    serving: bool
    terminating: bool
    ports: Ports


@dataclass(frozen=True)
class Slice:
    """One EndpointSlice's content: its name ("" for one to create), ports and endpoints."""

    name: str
    ports: Ports
    endpoints: tuple[Endpoint, ...]


def selector_of(service: Mapping[str, Any]) -> Mapping[str, str]:
    return (service.get("spec") or {}).get("selector") or {}


def pod_is_ready(pod: Mapping[str, Any]) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or ()
    )


def selects(service: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    """The Service's selector (non-empty) matches the pod, in the same namespace."""
    selector = selector_of(service)
    if not selector:
        return False
    if (pod.get("metadata") or {}).get("namespace") != (service.get("metadata") or {}).get("namespace"):
        return False
    return selector_from_set(selector).matches((pod.get("metadata") or {}).get("labels") or {})


def should_be_endpoint(service: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    """ENDPOINTSLICE-MATCHES-PODS: selected, has an IP, not terminal (terminating pods stay)."""
    status = pod.get("status") or {}
    return (
        selects(service, pod)
        and bool(status.get("podIP") or status.get("podIPs"))
        and status.get("phase") not in ("Succeeded", "Failed")
    )


def endpoint_conditions(serving: bool, terminating: bool, publish_not_ready: bool) -> tuple[bool, bool, bool]:
    """ENDPOINTSLICE-CONDITIONS: (ready, serving, terminating) of ``podToEndpoint``."""
    return publish_not_ready or (serving and not terminating), serving, terminating


def endpoint_ports(service: Mapping[str, Any], pod: Mapping[str, Any]) -> Ports:
    """ENDPOINTSLICE-PORTS: ``getEndpointPorts``: each Service port resolved against the pod."""
    out = []
    containers = (pod.get("spec") or {}).get("containers") or ()
    for port in (service.get("spec") or {}).get("ports") or ():
        protocol = port.get("protocol") or "TCP"
        target = port.get("targetPort", port.get("port"))
        number: int | None
        if isinstance(target, int):
            number = target
        elif isinstance(target, str) and target.isdigit():
            number = int(target)
        else:
            number = next(
                (
                    int(cp["containerPort"])
                    for c in containers
                    for cp in c.get("ports") or ()
                    if cp.get("name") == target and (cp.get("protocol") or "TCP") == protocol
                ),
                None,
            )
        if number is None:
            continue
        out.append((port.get("name") or "", protocol, number))
    return tuple(out)


def to_endpoint(service: Mapping[str, Any], pod: Mapping[str, Any]) -> Endpoint:
    metadata, status = pod.get("metadata") or {}, pod.get("status") or {}
    ready, serving, terminating = endpoint_conditions(
        pod_is_ready(pod),
        bool(metadata.get("deletionTimestamp")),
        bool((service.get("spec") or {}).get("publishNotReadyAddresses")),
    )
    return Endpoint(
        pod_uid=metadata.get("uid", ""),
        pod_name=metadata.get("name", ""),
        address=status.get("podIP") or ((status.get("podIPs") or [{}])[0].get("ip", "")),
        node_name=(pod.get("spec") or {}).get("nodeName", ""),
        ready=ready,
        serving=serving,
        terminating=terminating,
        ports=endpoint_ports(service, pod),
    )


def desired_endpoints(service: Mapping[str, Any], pods: Iterable[Mapping[str, Any]]) -> dict[str, Endpoint]:
    """The Service's endpoints by pod uid, from the pods as they are."""
    return {
        endpoint.pod_uid: endpoint
        for endpoint in (to_endpoint(service, pod) for pod in pods if should_be_endpoint(service, pod))
    }


def pack(
    existing: Sequence[Slice], desired: Mapping[str, Endpoint], max_per_slice: int = MAX_ENDPOINTS_PER_SLICE
) -> list[Slice]:
    """One sync's slices (the step function): keep each desired endpoint in the existing slice of its
    port list that holds it, fill existing slices with room with the new ones, then new slices (name "")
    of at most ``max_per_slice``; slices left empty are dropped. Existing slices come back in their order,
    new ones after them, endpoints sorted by pod name within what was added."""
    placed: set[str] = set()
    kept: list[tuple[str, Ports, list[Endpoint]]] = []
    for current in existing:
        endpoints: list[Endpoint] = []
        for endpoint in current.endpoints:
            wanted = desired.get(endpoint.pod_uid)
            if wanted is None or wanted.ports != current.ports or endpoint.pod_uid in placed:
                continue
            if len(endpoints) >= max_per_slice:
                continue  # an over-full slice sheds its surplus; it is placed again below
            placed.add(endpoint.pod_uid)
            endpoints.append(wanted)
        kept.append((current.name, current.ports, endpoints))
    remaining = sorted(
        (e for uid, e in desired.items() if uid not in placed), key=lambda e: (e.pod_name, e.pod_uid)
    )
    for endpoint in remaining:
        home = next((s for s in kept if s[1] == endpoint.ports and len(s[2]) < max_per_slice), None)
        if home is None:
            home = ("", endpoint.ports, [])
            kept.append(home)
        home[2].append(endpoint)
    return [Slice(name, ports, tuple(endpoints)) for name, ports, endpoints in kept if endpoints]


def slice_problems(slices: Sequence[Slice], max_per_slice: int = MAX_ENDPOINTS_PER_SLICE) -> list[str]:
    """ENDPOINTSLICE-MAX-ENDPOINTS and ENDPOINTSLICE-PORTS on one Service's slices: what is wrong."""
    problems = []
    for s in slices:
        if len(s.endpoints) > max_per_slice:
            problems.append(f"slice {s.name} holds {len(s.endpoints)} endpoints (at most {max_per_slice})")
        for e in s.endpoints:
            if e.ports != s.ports:
                problems.append(
                    f"slice {s.name}: endpoint {e.pod_name} has ports {e.ports}, the slice {s.ports}"
                )
    return problems


def read_slice(slice_: Mapping[str, Any]) -> Slice:
    """An EndpointSlice's JSON as the spec's ``Slice``."""
    ports: Ports = tuple(
        (p.get("name") or "", p.get("protocol") or "TCP", int(p.get("port", 0)))
        for p in slice_.get("ports") or ()
    )
    endpoints = []
    for e in slice_.get("endpoints") or ():
        conditions = e.get("conditions") or {}
        ref = e.get("targetRef") or {}
        endpoints.append(
            Endpoint(
                pod_uid=ref.get("uid", ""),
                pod_name=ref.get("name", ""),
                address=(e.get("addresses") or [""])[0],
                node_name=e.get("nodeName", ""),
                ready=bool(conditions.get("ready")),
                serving=bool(conditions.get("serving")),
                terminating=bool(conditions.get("terminating")),
                ports=ports,
            )
        )
    return Slice((slice_.get("metadata") or {}).get("name", ""), ports, tuple(endpoints))
