"""Shared pieces of the API server tests: a core on the in-memory store with a fixed clock and seed.

``Client`` calls the sans-IO core directly (no sockets), so these tests are
deterministic: the clock is fixed, the entropy seeded.
"""

from __future__ import annotations

import copy
import json
import urllib.parse
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

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

    def patch(
        self, path: str, body: Any, content_type: str, raw: bytes | None = None, **query: str
    ) -> Response:
        """A PATCH with ``content_type``: ``body`` as JSON, or ``raw`` bytes."""
        data = raw if raw is not None else json.dumps(body).encode()
        response = self.server.handle(
            Request("PATCH", path, {k: [v] for k, v in query.items()}, {"content-type": content_type}, data)
        )
        assert isinstance(response, Response), response
        return response

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


# -- random requests (the fuzz tests) ----------------------------------------------------------------

_SEGMENTS = st.sampled_from(
    [
        "api",
        "apis",
        "v1",
        "apps",
        "namespaces",
        "default",
        "pods",
        "configmaps",
        "deployments",
        "status",
        "nodes",
        "x",
        "..",
        "%2F",
        "scale",
        "binding",
        "watch",
    ]
) | st.text("abcxyz-.0123456789", min_size=1, max_size=8)
_SERVED_PATHS = (
    PODS,
    PODS + "/fuzz",
    PODS + "/fuzz/status",
    DEPLOYMENTS,
    DEPLOYMENTS + "/fuzz",
    DEPLOYMENTS + "/fuzz/status",
    CONFIGMAPS,
    CONFIGMAPS + "/fuzz",
    "/api/v1/namespaces",
    "/api/v1/namespaces/fuzz",
    "/api/v1/nodes/fuzz",
    "/api/v1/pods",
)
_QUERY_KEYS = st.sampled_from(
    [
        "labelSelector",
        "fieldSelector",
        "limit",
        "continue",
        "resourceVersion",
        "resourceVersionMatch",
        "fieldValidation",
        "timeoutSeconds",
        "pretty",
        "x",
    ]
)
_QUERY_VALUES = st.sampled_from(
    [
        "",
        "0",
        "1",
        "-1",
        "Exact",
        "NotOlderThan",
        "a=b",
        "a in (",
        "=",
        "Strict",
        "metadata.name=x",
        "spec.foo=1",
        "99999999999999999999",
    ]
) | st.text(max_size=10)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["empty", "bytes", "json", "mutated"]))
    if kind == "empty":
        return b""
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    if kind == "json":
        return json.dumps(draw(_JSON)).encode()
    obj: dict[str, Any] = draw(st.sampled_from([pod("fuzz"), config_map("fuzz"), deployment("fuzz")]))
    path = draw(
        st.sampled_from(
            [
                ("metadata",),
                ("metadata", "name"),
                ("spec",),
                ("kind",),
                ("apiVersion",),
                ("metadata", "namespace"),
                ("metadata", "labels"),
                ("data",),
            ]
        )
    )
    target: Any = obj
    for step in path[:-1]:
        target = target.setdefault(step, {})
    target[path[-1]] = draw(_JSON)
    return json.dumps(obj).encode()


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, bytes]:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]))
    if draw(st.booleans()):  # a path the server serves, so that bodies reach the handlers
        path = draw(st.sampled_from(_SERVED_PATHS))
    else:
        segments = draw(st.lists(_SEGMENTS, min_size=0, max_size=7))
        path = "/" + "/".join(urllib.parse.quote(s, safe="%") for s in segments)
    query = draw(st.dictionaries(_QUERY_KEYS, _QUERY_VALUES, max_size=3))
    if query:
        path += "?" + urllib.parse.urlencode(query)
    return method, path, draw(bodies())


def answer_problem(status: int, body: bytes) -> str | None:
    """What is wrong with the answer to a fuzzed request, or None.

    Every failure must be a Status whose code is the HTTP status, and no
    failure may be a 5xx, except upstream's 504 for a resourceVersion the
    store has not reached (which says so with its cause).
    """
    if status >= 500 and not (status == 504 and b"ResourceVersionTooLarge" in body):
        return f"a {status} answer"
    if status >= 400:
        try:
            answer = json.loads(body)
        except ValueError:
            return "a failure that is not JSON"
        if not (isinstance(answer, dict) and answer.get("kind") == "Status" and answer.get("code") == status):
            return f"a failure that is not a Status with code {status}"
    return None
