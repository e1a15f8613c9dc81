"""The reference API server over HTTP, driven by the official ``kubernetes`` Python client.

The server runs on a free loopback port in a background thread (module
fixture, always stopped; every wait bounded), on the in-memory kv store.
Raw HTTP (``http.client``) covers what the client cannot send: bodies over
3 MiB and a Hypothesis fuzz of random requests, which must each get a 4xx
Status (never a 5xx) while the server keeps serving with nothing lost.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

kubernetes = pytest.importorskip("kubernetes")
pytest.importorskip("aiohttp")

from kubernetes import client as k8s  # noqa: E402
from kubernetes import watch as k8s_watch  # noqa: E402

from impl.apiserver.http import ServerThread, new_server  # noqa: E402
from impl.apiserver.memory import MemoryKV  # noqa: E402
from impl.controllers.runner import ControllerLoop  # noqa: E402
from spec import apiserver  # noqa: E402
from spec.kv import CompactionRequest  # noqa: E402
from tests.apiserver.helpers import answer_problem, config_map, deployment, pod, requests  # noqa: E402

WATCH_TIMEOUT_S = 5


class Running:
    def __init__(self) -> None:
        self.kv = MemoryKV()
        self.thread = ServerThread(new_server(self.kv.client(), seed=11), bookmark_interval_s=0.2)
        self.controllers = ControllerLoop(self.thread.server)

    def start(self) -> Running:
        self.thread.start(timeout_s=10)
        self.controllers.start()
        configuration = k8s.Configuration()
        configuration.host = self.thread.url
        self.api = k8s.ApiClient(configuration)
        self.core = k8s.CoreV1Api(self.api)
        self.apps = k8s.AppsV1Api(self.api)
        return self

    def raw(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(self.thread.host, self.thread.port, timeout=10)
        try:
            connection.request(
                method, path, body=body, headers=headers or {"Content-Type": "application/json"}
            )
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    running = Running().start()
    try:
        yield running
    finally:
        running.api.close()
        running.controllers.stop()
        running.thread.stop(timeout_s=10)


def events_until(stream: Iterator[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    got = []
    for event in stream:
        got.append(event)
        if len(got) == count:
            break
    return got


@pytest.mark.requirement("API-CREATE")
@pytest.mark.requirement("API-WATCH-ORDER")
@pytest.mark.requirement("API-OPTIMISTIC-CONCURRENCY")
def test_pod_lifecycle_through_the_official_client(server: Running) -> None:
    core = server.core
    created = core.create_namespaced_pod("default", pod("lifecycle", {"app": "web"}))
    assert created.metadata.uid and created.status.phase == "Pending"
    start = created.metadata.resource_version
    assert core.read_namespaced_pod("lifecycle", "default").metadata.resource_version == start
    names = [p.metadata.name for p in core.list_namespaced_pod("default", label_selector="app=web").items]
    assert "lifecycle" in names

    created.metadata.labels["version"] = "2"
    updated = core.replace_namespaced_pod("lifecycle", "default", created)
    assert int(updated.metadata.resource_version) > int(start)
    with pytest.raises(k8s.ApiException) as stale:
        core.replace_namespaced_pod("lifecycle", "default", created)  # still carries the old resourceVersion
    assert stale.value.status == 409
    assert "the object has been modified" in json.loads(stale.value.body)["message"]

    core.delete_namespaced_pod("lifecycle", "default")
    with pytest.raises(k8s.ApiException) as gone:
        core.read_namespaced_pod("lifecycle", "default")
    assert gone.value.status == 404

    stream = k8s_watch.Watch().stream(
        core.list_namespaced_pod,
        "default",
        resource_version=start,
        field_selector="metadata.name=lifecycle",
        timeout_seconds=WATCH_TIMEOUT_S,
    )
    events = events_until(stream, 2)
    assert [(e["type"], e["object"].metadata.resource_version) for e in events] == [
        ("MODIFIED", updated.metadata.resource_version),
        ("DELETED", str(int(updated.metadata.resource_version) + 1)),
    ]


@pytest.mark.requirement("API-GENERATION")
@pytest.mark.requirement("API-WATCH-ORDER")
def test_deployment_lifecycle_through_the_official_client(server: Running) -> None:
    apps = server.apps
    created = apps.create_namespaced_deployment("default", deployment("shop", replicas=2))
    assert created.metadata.generation == 1 and created.spec.strategy.type == "RollingUpdate"
    stream = k8s_watch.Watch().stream(
        apps.list_namespaced_deployment,
        "default",
        resource_version=created.metadata.resource_version,
        timeout_seconds=WATCH_TIMEOUT_S,
    )
    created.spec.replicas = 5
    scaled = apps.replace_namespaced_deployment("shop", "default", created)
    assert scaled.metadata.generation == 2
    listed = apps.list_namespaced_deployment("default")
    assert [d.metadata.name for d in listed.items] == ["shop"]
    assert int(listed.metadata.resource_version) >= int(scaled.metadata.resource_version)
    apps.delete_namespaced_deployment("shop", "default")
    events = events_until(stream, 2)
    assert [e["type"] for e in events] == ["MODIFIED", "DELETED"]
    assert events[0]["object"].spec.replicas == 5
    with pytest.raises(k8s.ApiException) as missing:
        apps.read_namespaced_deployment("shop", "default")
    assert json.loads(missing.value.body)["message"] == 'deployments.apps "shop" not found'


@pytest.mark.requirement("API-SCALE-SUBRESOURCE")
def test_scale_through_the_official_client(server: Running) -> None:
    apps = server.apps
    apps.create_namespaced_deployment("default", deployment("scaled", replicas=1))
    scale = apps.read_namespaced_deployment_scale("scaled", "default")
    assert scale.spec.replicas == 1 and scale.status.selector == "app=scaled"
    patched = apps.patch_namespaced_deployment_scale("scaled", "default", {"spec": {"replicas": 4}})
    assert patched.spec.replicas == 4
    scale = apps.read_namespaced_deployment_scale("scaled", "default")
    scale.spec.replicas = 6
    assert apps.replace_namespaced_deployment_scale("scaled", "default", scale).spec.replicas == 6
    assert apps.read_namespaced_deployment("scaled", "default").spec.replicas == 6
    apps.delete_namespaced_deployment("scaled", "default")


@pytest.mark.requirement("API-LIST-PAGING")
def test_config_maps_paged_through_the_official_client(server: Running) -> None:
    core = server.core
    core.create_namespace({"metadata": {"name": "paging"}})
    for index in range(7):
        core.create_namespaced_config_map("paging", config_map(f"cm-{index}", {"i": str(index)}))
    names, token, versions = [], None, set()
    while True:
        page = core.list_namespaced_config_map("paging", limit=3, _continue=token)
        names += [item.metadata.name for item in page.items]
        versions.add(page.metadata.resource_version)
        token = page.metadata._continue
        if not token:
            break
    assert names == [f"cm-{index}" for index in range(7)] and len(versions) == 1
    changed = core.read_namespaced_config_map("cm-0", "paging")
    changed.data = {"i": "changed"}
    assert core.replace_namespaced_config_map("cm-0", "paging", changed).data == {"i": "changed"}
    core.delete_namespaced_config_map("cm-0", "paging")
    assert len(core.list_namespaced_config_map("paging").items) == 6


@pytest.mark.requirement("API-NAMESPACE-EXISTS", "API-NAMESPACE-CASCADE")
def test_namespace_lifecycle_through_the_official_client(server: Running) -> None:
    core = server.core
    created = core.create_namespace({"metadata": {"name": "team-a"}})
    assert created.status.phase == "Active"
    assert created.metadata.labels["kubernetes.io/metadata.name"] == "team-a"
    names = [n.metadata.name for n in core.list_namespace().items]
    assert {"default", "kube-system", "team-a"} <= set(names)
    core.create_namespaced_config_map("team-a", config_map("x"))
    with pytest.raises(k8s.ApiException) as missing:
        core.create_namespaced_config_map("team-b", config_map("x"))
    assert missing.value.status == 404
    assert json.loads(missing.value.body)["message"] == 'namespaces "team-b" not found'
    core.delete_namespace("team-a")  # answered with the Terminating namespace
    # The namespace controller in the server process empties it, finalizes it, and it goes.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            core.read_namespace("team-a")
        except k8s.ApiException as error:
            assert error.status == 404
            break
        time.sleep(0.02)
    else:
        raise AssertionError("namespace team-a was not removed within 10 s")


@pytest.mark.requirement("API-WATCH-GONE")
def test_a_watch_from_a_compacted_version_raises_410_in_the_official_client(server: Running) -> None:
    core = server.core
    core.create_namespace({"metadata": {"name": "compacted"}})
    old = core.create_namespaced_config_map("compacted", config_map("a")).metadata.resource_version
    core.create_namespaced_config_map("compacted", config_map("b"))
    core.create_namespaced_config_map("compacted", config_map("c"))  # old + 1 is now below the compaction
    server.kv.call(CompactionRequest(server.kv.state.revision))
    stream = k8s_watch.Watch().stream(
        core.list_namespaced_config_map, "compacted", resource_version=old, timeout_seconds=WATCH_TIMEOUT_S
    )
    with pytest.raises(k8s.ApiException) as expired:
        events_until(stream, 1)
    assert expired.value.status == 410


@pytest.mark.requirement("API-WATCH-BOOKMARK")
def test_bookmarks_reach_the_official_client(server: Running) -> None:
    core = server.core
    start = core.list_namespaced_pod("default").metadata.resource_version
    core.create_namespaced_config_map("default", config_map("moves-the-revision"))
    stream = k8s_watch.Watch().stream(
        core.list_namespaced_pod,
        "default",
        resource_version=start,
        allow_watch_bookmarks=True,
        timeout_seconds=WATCH_TIMEOUT_S,
    )
    event = events_until(stream, 1)[0]
    assert event["type"] == "BOOKMARK"
    assert int(event["raw_object"]["metadata"]["resourceVersion"]) > int(start)


@pytest.mark.requirement("API-DISCOVERY")
def test_discovery_through_the_official_client(server: Running) -> None:
    resources = k8s.CoreV1Api(server.api).get_api_resources().resources
    assert {"pods", "pods/status", "configmaps", "namespaces"} <= {r.name for r in resources}
    groups = {g.name for g in k8s.ApisApi(server.api).get_api_versions().groups}
    assert {"apps", "batch", "rbac.authorization.k8s.io"} <= groups
    assert k8s.VersionApi(server.api).get_code().git_version.startswith("v1.")


@pytest.mark.requirement("API-BAD-INPUT")
def test_a_body_over_3_mib_is_413_over_http(server: Running) -> None:
    status, body = server.raw(
        "POST", "/api/v1/namespaces/default/configmaps", b"x" * (apiserver.MAX_REQUEST_BODY_BYTES + 1)
    )
    assert status == 413 and json.loads(body)["reason"] == "RequestEntityTooLarge"
    status, _ = server.raw("GET", "/healthz")
    assert status == 200


# -- fuzz ----------------------------------------------------------------------------------------------


@pytest.mark.requirement("API-BAD-INPUT")
@pytest.mark.requirement("API-STATUS-ERRORS")
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
@given(request=requests())
def test_fuzzed_requests_get_4xx_statuses_and_the_server_keeps_serving(
    server: Running, request: tuple[str, str, bytes]
) -> None:
    if not getattr(server, "sentinel", None):
        server.core.create_namespaced_config_map("kube-system", config_map("sentinel"))
        server.sentinel = True  # type: ignore[attr-defined]
    method, path, body = request
    status, answer = server.raw(method, path, body)
    assert answer_problem(status, answer) is None, (method, path, body, answer)
    assert server.raw("GET", "/healthz") == (200, b"ok")
    assert server.core.read_namespaced_config_map("sentinel", "kube-system").data == {"a": "1"}


# -- PATCH through the official client -----------------------------------------------------------------------


@pytest.mark.requirement("API-PATCH-STRATEGIC")
@pytest.mark.requirement("API-PATCH-MERGE")
@pytest.mark.requirement("API-PATCH-JSON")
def test_config_map_patches_through_the_official_client(server: Running) -> None:
    core = server.core
    core.create_namespaced_config_map("default", config_map("patched", {"a": "1", "b": "2"}))
    # a dict body: the client sends a strategic merge patch
    patched = core.patch_namespaced_config_map("patched", "default", {"data": {"c": "3"}})
    assert patched.data == {"a": "1", "b": "2", "c": "3"}
    # a list body: a JSON patch
    ops = [{"op": "test", "path": "/data/a", "value": "1"}, {"op": "remove", "path": "/data/b"}]
    patched = core.patch_namespaced_config_map("patched", "default", ops)
    assert patched.data == {"a": "1", "c": "3"}
    # a merge patch, asked for by content type
    patched = core.patch_namespaced_config_map(
        "patched", "default", {"data": {"a": None}}, _content_type="application/merge-patch+json"
    )
    assert patched.data == {"c": "3"}
    with pytest.raises(k8s.ApiException) as failed:
        core.patch_namespaced_config_map(
            "patched", "default", [{"op": "test", "path": "/data/c", "value": "x"}]
        )
    assert failed.value.status == 422
    assert core.read_namespaced_config_map("patched", "default").data == {"c": "3"}


@pytest.mark.requirement("API-PATCH-STRATEGIC")
@pytest.mark.requirement("API-GENERATION")
def test_pod_and_deployment_patches_through_the_official_client(server: Running) -> None:
    core, apps = server.core, server.apps
    body = pod("patched-pod")
    body["spec"]["containers"].append({"name": "side", "image": "envoy"})
    core.create_namespaced_pod("default", body)
    patch = {"spec": {"containers": [{"name": "app", "env": [{"name": "MODE", "value": "fast"}]}]}}
    patched = core.patch_namespaced_pod("patched-pod", "default", patch)
    app, side = patched.spec.containers
    assert [(e.name, e.value) for e in app.env] == [("MODE", "fast")] and app.image == "nginx:1.27"
    assert side.name == "side" and side.env is None
    status = core.patch_namespaced_pod_status(
        "patched-pod",
        "default",
        {"status": {"conditions": [{"type": "Ready", "status": "True"}]}},
    )
    assert [c.type for c in status.status.conditions] == ["Ready"]

    created = apps.create_namespaced_deployment("default", deployment("patched-deploy"))
    scaled = apps.patch_namespaced_deployment("patched-deploy", "default", {"spec": {"replicas": 4}})
    assert scaled.spec.replicas == 4 and scaled.metadata.generation == created.metadata.generation + 1


@pytest.mark.requirement("API-PATCH-CONTENT-TYPE")
@pytest.mark.requirement("API-OPTIMISTIC-CONCURRENCY")
@pytest.mark.requirement("API-VALIDATION")
def test_patch_failures_through_the_official_client(server: Running) -> None:
    core = server.core
    created = core.create_namespaced_config_map("default", config_map("patch-fail"))
    stale = {"metadata": {"resourceVersion": created.metadata.resource_version}, "data": {"a": "2"}}
    core.patch_namespaced_config_map("patch-fail", "default", stale)  # current: applies
    with pytest.raises(k8s.ApiException) as conflict:
        core.patch_namespaced_config_map("patch-fail", "default", stale)  # now stale
    assert conflict.value.status == 409
    with pytest.raises(k8s.ApiException) as invalid:
        core.patch_namespaced_config_map("patch-fail", "default", {"metadata": {"labels": {"bad key!": "x"}}})
    assert invalid.value.status == 422
    assert json.loads(invalid.value.body)["reason"] == "Invalid"
    path = "/api/v1/namespaces/default/configmaps/patch-fail"
    code, answer = server.raw("PATCH", path, b'{"data": {}}', {"Content-Type": "application/json"})
    assert code == 415 and json.loads(answer)["reason"] == "UnsupportedMediaType"
    code, answer = server.raw("PATCH", path, b"{nope", {"Content-Type": "application/merge-patch+json"})
    assert code == 400 and json.loads(answer)["reason"] == "BadRequest"
    assert core.read_namespaced_config_map("patch-fail", "default").data == {"a": "2"}
