"""pods/<name>/binding in the request core (API-POD-BINDING): what a scheduler posts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.apiserver.helpers import PODS, Client, assert_status, edited, pod


def binding(name: str, node: str, kind: str = "Node") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": name},
        "target": {"kind": kind, "name": node},
    }


@pytest.mark.requirement("API-POD-BINDING")
def test_a_binding_assigns_the_node_once() -> None:
    client = Client()
    created = client.ok("POST", PODS, pod("web"))
    answer = client.call("POST", PODS + "/web/binding", binding("web", "node-1"))
    assert answer.status == 201, answer.body
    assert answer.json()["status"] == "Success"
    bound = client.ok("GET", PODS + "/web")
    assert bound["spec"]["nodeName"] == "node-1"
    assert {"type": "PodScheduled", "status": "True"}.items() <= bound["status"]["conditions"][-1].items()
    assert int(bound["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    again = assert_status(
        client.call("POST", PODS + "/web/binding", binding("web", "node-2")), 409, "Conflict"
    )
    assert 'already assigned to node "node-1"' in again["message"]
    assert client.ok("GET", PODS + "/web")["spec"]["nodeName"] == "node-1"


@pytest.mark.requirement("API-POD-BINDING")
def test_bad_bindings_are_refused_and_change_nothing() -> None:
    client = Client()
    client.ok("POST", PODS, pod("web"))
    assert_status(client.call("POST", PODS + "/web/binding", binding("other", "node-1")), 400, "BadRequest")
    invalid = assert_status(client.call("POST", PODS + "/web/binding", binding("web", "")), 422, "Invalid")
    assert invalid["details"]["causes"][0]["field"] == "target.name"
    assert_status(client.call("POST", PODS + "/web/binding", binding("web", "x", kind="Pod")), 422, "Invalid")
    assert_status(
        client.call("POST", PODS + "/missing/binding", binding("missing", "node-1")), 404, "NotFound"
    )
    assert_status(client.call("GET", PODS + "/web/binding"), 405, "MethodNotAllowed")
    assert "nodeName" not in client.ok("GET", PODS + "/web")["spec"]


@pytest.mark.requirement("API-POD-BINDING")
def test_a_pod_being_deleted_is_not_bound() -> None:
    client = Client()
    client.ok("POST", PODS, edited(pod("going"), finalizers=["example.com/hold"]))
    client.ok("DELETE", PODS + "/going")
    refused = assert_status(
        client.call("POST", PODS + "/going/binding", binding("going", "node-1")), 409, "Conflict"
    )
    assert "being deleted" in refused["message"]


def test_discovery_lists_the_binding_subresource() -> None:
    resources = {r["name"]: r for r in Client().ok("GET", "/api/v1")["resources"]}
    assert resources["pods/binding"]["verbs"] == ["create"] and resources["pods/binding"]["kind"] == "Binding"


@pytest.mark.requirement("API-POD-BINDING")
def test_the_bindings_collection_binds_the_pod_it_names() -> None:
    client = Client()
    client.ok("POST", PODS, pod("web"))
    bindings = "/api/v1/namespaces/default/bindings"
    answer = client.call("POST", bindings, binding("web", "node-3"))
    assert answer.status == 201, answer.body
    assert client.ok("GET", PODS + "/web")["spec"]["nodeName"] == "node-3"
    assert_status(client.call("POST", bindings, binding("web", "node-4")), 409, "Conflict")
    assert_status(client.call("POST", bindings, binding("missing", "node-1")), 404, "NotFound")
    assert_status(client.call("GET", bindings), 405, "MethodNotAllowed")
    assert_status(client.call("GET", bindings + "/web"), 405, "MethodNotAllowed")
    listed = {r["name"]: r for r in client.ok("GET", "/api/v1")["resources"]}
    assert listed["bindings"]["verbs"] == ["create"] and listed["bindings"]["kind"] == "Binding"
