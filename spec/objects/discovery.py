"""discovery.k8s.io/v1: EndpointSlice, the endpoints of a Service.

Upstream: kubernetes/api ``discovery/v1/types.go``. An EndpointSlice has no
spec: ``addressType``, ``endpoints`` and ``ports`` sit at the top level.
Defaults (port name ``""``, protocol TCP) are in ``spec.objects.defaults``
(k/k ``pkg/apis/discovery/v1/defaults.go``).

Requirement IDs: none.
"""

from __future__ import annotations

from typing import ClassVar, Final

from spec.objects.base import AlwaysWritten, FrozenMap, Int32, Model, Seq
from spec.objects.core import ObjectReference
from spec.objects.meta import KindModel

ADDRESS_TYPES: Final = ("IPv4", "IPv6", "FQDN")
#: The label that ties a slice to its Service.
SERVICE_NAME_LABEL: Final = "kubernetes.io/service-name"


class EndpointConditions(Model):
    ready: bool | None = None
    serving: bool | None = None
    terminating: bool | None = None


class ForZone(Model):
    name: str = ""


class EndpointHints(Model):
    for_zones: Seq[ForZone] = ()


class Endpoint(AlwaysWritten):
    _always_written: ClassVar[tuple[str, ...]] = ("addresses",)

    addresses: Seq[str] = ()
    conditions: EndpointConditions = EndpointConditions()
    hostname: str | None = None
    target_ref: ObjectReference | None = None
    deprecated_topology: FrozenMap[str, str] = FrozenMap()
    node_name: str | None = None
    zone: str | None = None
    hints: EndpointHints | None = None


class EndpointPort(Model):
    name: str | None = None
    protocol: str | None = None
    port: Int32 | None = None
    app_protocol: str | None = None


class EndpointSlice(AlwaysWritten, KindModel):
    api_version: ClassVar[str] = "discovery.k8s.io/v1"
    kind: ClassVar[str] = "EndpointSlice"
    # Upstream writes the list even when empty: a slice with no endpoints says
    # "no backends", which readers must not confuse with a missing field.
    _always_written: ClassVar[tuple[str, ...]] = ("address_type", "endpoints")

    address_type: str = ""
    endpoints: Seq[Endpoint] = ()
    ports: Seq[EndpointPort] = ()
