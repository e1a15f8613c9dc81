"""Shared pieces of the API server tests: a core on the in-memory store with a fixed clock and seed.

``Client`` calls the sans-IO core directly (no sockets), so these tests are
deterministic: the clock is fixed, the entropy seeded.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from impl.apiserver.core import APIServer, Request, Response
from impl.apiserver.memory import MemoryKV
from impl.apiserver.watch import APIWatch
from spec.entropy import SeededEntropy

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
PODS = "/api/v1/namespaces/default/pods"
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
CONFIGMAPS = "/api/v1/namespaces/default/configmaps"


def pod(name: str = "web", labels: dict[str, str] | None = None, image: str = "nginx:1.27") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, **({"labels": labels} if labels else {})},
        "spec": {"containers": [{"name": "app", "image": image}]},
    }


def deployment(name: str = "web", replicas: int = 2) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
            },
        },
    }


def config_map(name: str = "settings", data: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data or {"a": "1"}}


class Client:
    """Calls the core the way the HTTP driver does, with JSON in and out."""

    def __init__(self, server: APIServer | None = None, kv: MemoryKV | None = None, seed: int = 7) -> None:
        self.kv = kv or MemoryKV()
        self.server = server or APIServer(self.kv.client(), clock=lambda: NOW, entropy=SeededEntropy(seed))
        self.server.bootstrap()

    def request(
        self, method: str, path: str, body: Any = None, raw: bytes | None = None, **query: str
    ) -> Response | APIWatch:
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        return self.server.handle(Request(method, path, {k: [v] for k, v in query.items()}, {}, data))

    def call(
        self, method: str, path: str, body: Any = None, raw: bytes | None = None, **query: str
    ) -> Response:
        response = self.request(method, path, body, raw, **query)
        assert isinstance(response, Response), response
        return response

    def ok(self, method: str, path: str, body: Any = None, **query: str) -> dict[str, Any]:
        response = self.call(method, path, body, **query)
        assert response.status < 300, response.body
        result: dict[str, Any] = response.json()
        return result

    def watch(self, path: str, **query: str) -> APIWatch:
        response = self.request("GET", path, watch="true", **query)
        assert isinstance(response, APIWatch), getattr(response, "body", response)
        return response

    def drain(self, watch: APIWatch, rounds: int = 3) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        for _ in range(rounds):
            events += watch.next_events(0.0)
        return events


def edited(obj: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    copied = copy.deepcopy(obj)
    copied["metadata"].update(metadata)
    return copied


def assert_status(response: Response, code: int, reason: str) -> dict[str, Any]:
    """The response is a Failure Status with ``code`` and ``reason``; returns it."""
    assert response.status == code, response.body
    status: dict[str, Any] = response.json()
    assert status["kind"] == "Status" and status["apiVersion"] == "v1", status
    assert status["status"] == "Failure" and status["code"] == code and status["reason"] == reason, status
    return status
