"""The API as the reconcile steps of the garbage collector and namespace controller see it: JSON objects
by kind, namespace and name (``Resources``).

``ResourceClient`` gives that view over any client of impl/apiclient.py
(in process on the sans-IO core, or over HTTP), with the same requests an
HTTP client sends (``/api/v1/namespaces/<ns>/<resource>/<name>``), so what a
controller does goes through admission, validation, preconditions and
finalizer handling exactly as a remote client's would.

Requirement IDs: none (the controllers' are in ``spec/apiserver.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from impl.apiclient import APIClient, InProcessClient
from impl.apiserver.core import APIServer
from spec.objects.registry import KINDS, KindInfo

#: The kinds the controllers look at: every served resource (bindings are not stored).
RESOURCES: tuple[KindInfo, ...] = tuple(info for info in KINDS if info.resource != "bindings")


@dataclass(frozen=True)
class ServedResource:
    """A resource found by discovery that spec/objects does not know (a custom resource): what the
    controllers use of a ``KindInfo``."""

    group: str
    version: str
    resource: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


Resource = KindInfo | ServedResource


class Resources(Protocol):
    """What a controller may do. Writes answer None when the object changed or went meanwhile."""

    def served(self) -> list[Resource]:
        """Every resource to look at: the built-in ones, then those discovery lists besides them."""
        ...

    def list(self, info: Resource, namespace: str | None = None) -> list[dict[str, Any]]: ...

    def get(self, info: Resource, namespace: str, name: str) -> dict[str, Any] | None: ...

    def update(
        self, info: Resource, obj: Mapping[str, Any], subresource: str = ""
    ) -> dict[str, Any] | None: ...

    def delete(self, info: Resource, namespace: str, name: str, options: Mapping[str, Any]) -> bool: ...


def path_of(info: Resource, namespace: str | None, name: str = "", subresource: str = "") -> str:
    root = f"/apis/{info.api_version}" if info.group else "/api/v1"
    path = (
        f"{root}/namespaces/{namespace}/{info.resource}"
        if info.namespaced and namespace
        else (f"{root}/{info.resource}")
    )
    if name:
        path += f"/{name}"
    if subresource:
        path += f"/{subresource}"
    return path


class ClientError(Exception):
    """An answer a controller does not expect (a 5xx, a 4xx other than 404, 409 and 422)."""


class ResourceClient:
    """``Resources`` over an impl/apiclient.py client."""

    def __init__(self, api: APIClient) -> None:
        self.api = api

    @classmethod
    def in_process(cls, server: APIServer) -> ResourceClient:
        return cls(InProcessClient(server))

    def _call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        status, answer = self.api.call(method, path, body)
        if status >= 500 or status in (400, 401, 403, 405, 415):
            raise ClientError(f"{method} {path}: {status} {str(answer)[:300]}")
        return status, answer

    def served(self) -> list[Resource]:
        """``RESOURCES`` plus the custom resources discovery lists (upstream's controllers discover
        every resource the same way: the garbage collector's and the namespace deleter's)."""
        known = {(info.group, info.resource) for info in RESOURCES}
        found: list[Resource] = list(RESOURCES)
        _, groups = self._call("GET", "/apis")
        for group in (groups or {}).get("groups") or ():
            version = (group.get("preferredVersion") or {}).get("version")
            if not version:
                continue
            status, listed = self._call("GET", f"/apis/{group['name']}/{version}")
            for resource in (listed or {}).get("resources") or () if status == 200 else ():
                name = resource.get("name", "")
                verbs = set(resource.get("verbs") or ())
                if "/" in name or (group["name"], name) in known or not {"list", "delete"} <= verbs:
                    continue
                found.append(
                    ServedResource(
                        group["name"], version, name, resource["kind"], bool(resource["namespaced"])
                    )
                )
        return found

    def list(self, info: Resource, namespace: str | None = None) -> list[dict[str, Any]]:
        _, answer = self._call("GET", path_of(info, namespace))
        items: Sequence[dict[str, Any]] = answer.get("items") or []
        for item in items:  # a typed list's items carry no apiVersion and kind
            item.setdefault("apiVersion", info.api_version)
            item.setdefault("kind", info.kind)
        return list(items)

    def get(self, info: Resource, namespace: str, name: str) -> dict[str, Any] | None:
        status, answer = self._call("GET", path_of(info, namespace, name))
        return dict(answer) if status == 200 else None

    def update(self, info: Resource, obj: Mapping[str, Any], subresource: str = "") -> dict[str, Any] | None:
        metadata = obj.get("metadata") or {}
        path = path_of(info, metadata.get("namespace"), metadata["name"], subresource)
        status, answer = self._call("PUT", path, dict(obj))
        if status in (404, 409, 422):
            return None
        return dict(answer)

    def delete(self, info: Resource, namespace: str, name: str, options: Mapping[str, Any]) -> bool:
        status, _ = self._call("DELETE", path_of(info, namespace, name), dict(options))
        return status < 300
