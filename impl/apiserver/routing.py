"""URL paths of the Kubernetes REST API: which resource, namespace, name and subresource a path names.

Upstream: k8s.io/apiserver ``pkg/endpoints/request/requestinfo.go``
(``RequestInfoFactory.NewRequestInfo``): ``/api/v1/...`` is the core group,
``/apis/<group>/<version>/...`` the others; ``namespaces/<ns>/<resource>``
scopes a namespaced resource; ``<resource>/<name>/<subresource>``. The one
ambiguity, ``/api/v1/namespaces/<name>/status`` (and ``/finalize``), is a
namespace's own subresource, as upstream registers it.

Requirement IDs: none (API-DISCOVERY and API-BAD-INPUT cover what paths do).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from spec.objects.registry import KINDS, KindInfo

#: (group, version, resource) -> the kind served there. ``bindings`` only takes creates (a Binding
#: posted there binds the pod it names, as ``pods/<name>/binding`` does).
RESOURCES: Final[dict[tuple[str, str, str], KindInfo]] = {
    (info.group, info.version, info.resource): info for info in KINDS
}

#: The group versions served, core first, then the groups in the order of the kind registry.
GROUP_VERSIONS: Final[tuple[tuple[str, str], ...]] = tuple(
    dict.fromkeys((info.group, info.version) for info in RESOURCES.values())
)

#: Group versions whose only resources are virtual (created and answered, never stored): discovered, but
#: nothing under them is a ResourcePath (core.py answers selfsubjectreviews before routing).
VIRTUAL_GROUP_VERSIONS: Final[tuple[tuple[str, str], ...]] = (("authentication.k8s.io", "v1"),)

_NAMESPACE_SUBRESOURCES: Final = frozenset({"status", "finalize"})


@dataclass(frozen=True)
class ResourcePath:
    """A path that names a resource: a collection (no name) or one object, maybe a subresource of it."""

    info: KindInfo
    namespace: str | None  # None: all namespaces (or a cluster-scoped resource)
    name: str | None = None
    subresource: str | None = None


@dataclass(frozen=True)
class DiscoveryPath:
    """``/api``, ``/apis``, ``/apis/<group>``, or a group version's resource list."""

    group: str | None = None  # None with version None: /api or /apis (see ``legacy``)
    version: str | None = None
    legacy: bool = False  # /api... rather than /apis...


@dataclass(frozen=True)
class OtherPath:
    """``/version``, ``/healthz``, ``/readyz``, ``/livez``."""

    name: str


Route = ResourcePath | DiscoveryPath | OtherPath


def route(path: str) -> Route | None:
    """What ``path`` names, or None for a path this server does not serve (404)."""
    parts = [part for part in path.split("/") if part]
    if len(parts) == 1 and parts[0] in ("version", "healthz", "readyz", "livez"):
        return OtherPath(parts[0])
    if not parts or parts[0] not in ("api", "apis"):
        return None
    legacy = parts[0] == "api"
    if legacy:
        if len(parts) == 1:
            return DiscoveryPath(legacy=True)
        group, version, rest = "", parts[1], parts[2:]
    else:
        if len(parts) == 1:
            return DiscoveryPath()
        if len(parts) == 2:
            return DiscoveryPath(group=parts[1]) if _serves_group(parts[1]) else None
        group, version, rest = parts[1], parts[2], parts[3:]
    if (group, version) in VIRTUAL_GROUP_VERSIONS:
        return None if rest else DiscoveryPath(group=group, version=version)
    if (group, version) not in GROUP_VERSIONS:
        return None
    if not rest:
        return DiscoveryPath(group=group, version=version, legacy=legacy)
    return _resource_path(group, version, rest)


def _serves_group(group: str) -> bool:
    return any(served == group for served, _ in GROUP_VERSIONS + VIRTUAL_GROUP_VERSIONS if served)


def _resource_path(group: str, version: str, rest: list[str]) -> ResourcePath | None:
    namespace: str | None = None
    if (
        rest[0] == "namespaces"
        and len(rest) >= 3
        and not (len(rest) == 3 and rest[2] in _NAMESPACE_SUBRESOURCES)
    ):
        namespace, rest = rest[1], rest[2:]
    info = RESOURCES.get((group, version, rest[0]))
    if info is None or len(rest) > 3:
        return None
    if namespace is not None and not info.namespaced:
        return None
    if namespace is None and info.namespaced and len(rest) > 1:
        return None  # one namespaced object is always named with its namespace
    name = rest[1] if len(rest) >= 2 else None
    subresource = rest[2] if len(rest) == 3 else None
    return ResourcePath(info, namespace, name, subresource)
