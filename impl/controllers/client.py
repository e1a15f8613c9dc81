"""The API as the controllers see it: JSON objects by kind, namespace and name (``APIClient``).

``InProcessClient`` answers through ``APIServer.handle`` with the same
requests an HTTP client would send (``/api/v1/namespaces/<ns>/<resource>/<name>``),
so what a controller does goes through admission, validation, preconditions
and finalizer handling exactly as a remote client's would.

Requirement IDs: none (the controllers' are in ``spec/apiserver.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from impl.apiserver.core import APIServer, Request, Response
from spec.objects.registry import KINDS, KindInfo

#: The kinds the controllers look at: every served resource (bindings are not stored).
RESOURCES: tuple[KindInfo, ...] = tuple(info for info in KINDS if info.resource != "bindings")


class APIClient(Protocol):
    """What a controller may do. Writes answer None when the object changed or went meanwhile."""

    def list(self, info: KindInfo, namespace: str | None = None) -> list[dict[str, Any]]: ...

    def get(self, info: KindInfo, namespace: str, name: str) -> dict[str, Any] | None: ...

    def update(
        self, info: KindInfo, obj: Mapping[str, Any], subresource: str = ""
    ) -> dict[str, Any] | None: ...

    def delete(self, info: KindInfo, namespace: str, name: str, options: Mapping[str, Any]) -> bool: ...


def path_of(info: KindInfo, namespace: str | None, name: str = "", subresource: str = "") -> str:
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
    """An answer a controller does not expect (a 5xx, a 4xx other than 404 and 409)."""


class InProcessClient:
    """``APIClient`` over the request core, in process."""

    def __init__(self, server: APIServer) -> None:
        self.server = server

    def _call(self, method: str, path: str, body: Any = None) -> Response:
        data = b"" if body is None else json.dumps(body).encode()
        response = self.server.handle(Request(method, path, {}, {"content-type": "application/json"}, data))
        assert isinstance(response, Response)
        if response.status >= 500 or response.status in (400, 401, 403, 405, 415):
            raise ClientError(f"{method} {path}: {response.status} {response.body[:300]!r}")
        return response

    def list(self, info: KindInfo, namespace: str | None = None) -> list[dict[str, Any]]:
        response = self._call("GET", path_of(info, namespace))
        items: Sequence[dict[str, Any]] = response.json().get("items") or []
        for item in items:  # a typed list's items carry no apiVersion and kind
            item.setdefault("apiVersion", info.api_version)
            item.setdefault("kind", info.kind)
        return list(items)

    def get(self, info: KindInfo, namespace: str, name: str) -> dict[str, Any] | None:
        response = self._call("GET", path_of(info, namespace, name))
        return response.json() if response.status == 200 else None

    def update(self, info: KindInfo, obj: Mapping[str, Any], subresource: str = "") -> dict[str, Any] | None:
        metadata = obj.get("metadata") or {}
        path = path_of(info, metadata.get("namespace"), metadata["name"], subresource)
        response = self._call("PUT", path, obj)
        if response.status in (404, 409, 422):
            return None
        result: dict[str, Any] = response.json()
        return result

    def delete(self, info: KindInfo, namespace: str, name: str, options: Mapping[str, Any]) -> bool:
        response = self._call("DELETE", path_of(info, namespace, name), dict(options))
        return response.status < 300
