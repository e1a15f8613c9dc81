"""The scale subresource (impl/apiserver/scale.py, routed by the core): an autoscaling/v1 Scale in and out."""

from __future__ import annotations

import pytest

from tests.apiserver.helpers import DEPLOYMENTS, Client, config_map, deployment

SCALE = f"{DEPLOYMENTS}/web/scale"


@pytest.fixture
def client() -> Client:
    client = Client()
    client.ok("POST", DEPLOYMENTS, deployment("web", replicas=2))
    return client


@pytest.mark.requirement("API-SCALE-SUBRESOURCE")
def test_get_answers_the_owners_replicas_selector_and_version(client: Client) -> None:
    owner = client.ok("GET", f"{DEPLOYMENTS}/web")
    got = client.ok("GET", SCALE)
    assert got["kind"] == "Scale" and got["apiVersion"] == "autoscaling/v1"
    assert got["metadata"]["name"] == "web" and got["metadata"]["namespace"] == "default"
    assert got["metadata"]["uid"] == owner["metadata"]["uid"]
    assert got["metadata"]["resourceVersion"] == owner["metadata"]["resourceVersion"]
    assert got["spec"] == {"replicas": 2}
    assert got["status"] == {"replicas": 0, "selector": "app=web"}


@pytest.mark.requirement("API-SCALE-SUBRESOURCE", "API-GENERATION")
def test_put_sets_spec_replicas_as_an_update_does(client: Client) -> None:
    current = client.ok("GET", SCALE)
    current["spec"]["replicas"] = 5
    answer = client.ok("PUT", SCALE, current)
    owner = client.ok("GET", f"{DEPLOYMENTS}/web")
    assert owner["spec"]["replicas"] == 5 and owner["metadata"]["generation"] == 2
    assert answer["spec"] == {"replicas": 5}
    assert answer["metadata"]["resourceVersion"] == owner["metadata"]["resourceVersion"]
    assert int(answer["metadata"]["resourceVersion"]) > int(current["metadata"]["resourceVersion"])


@pytest.mark.requirement("API-SCALE-SUBRESOURCE", "API-OPTIMISTIC-CONCURRENCY")
def test_a_stale_scale_conflicts_and_changes_nothing(client: Client) -> None:
    stale = client.ok("GET", SCALE)
    fresh = dict(stale, spec={"replicas": 3})
    client.ok("PUT", SCALE, fresh)
    stale["spec"]["replicas"] = 9
    response = client.call("PUT", SCALE, stale)
    assert response.status == 409 and response.json()["reason"] == "Conflict"
    assert client.ok("GET", f"{DEPLOYMENTS}/web")["spec"]["replicas"] == 3


@pytest.mark.requirement("API-SCALE-SUBRESOURCE")
def test_negative_replicas_are_invalid(client: Client) -> None:
    response = client.call("PUT", SCALE, {"spec": {"replicas": -1}})
    assert response.status == 422
    status = response.json()
    assert status["message"] == (
        'Scale.autoscaling "web" is invalid: '
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
    )
    assert status["details"]["causes"][0]["field"] == "spec.replicas"
    assert client.ok("GET", f"{DEPLOYMENTS}/web")["spec"]["replicas"] == 2


@pytest.mark.requirement("API-SCALE-SUBRESOURCE")
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/merge-patch+json", {"spec": {"replicas": 7}}),
        ("application/strategic-merge-patch+json", {"spec": {"replicas": 7}}),
        ("application/json-patch+json", [{"op": "replace", "path": "/spec/replicas", "value": 7}]),
    ],
)
def test_a_patch_applies_to_the_scale(client: Client, content_type: str, body: object) -> None:
    response = client.patch(SCALE, body, content_type)
    assert response.status == 200, response.body
    assert response.json()["spec"] == {"replicas": 7}
    assert client.ok("GET", f"{DEPLOYMENTS}/web")["spec"]["replicas"] == 7


def test_unscalable_kinds_and_missing_owners_have_no_scale(client: Client) -> None:
    client.ok("POST", "/api/v1/namespaces/default/configmaps", config_map("settings"))
    assert client.call("GET", "/api/v1/namespaces/default/configmaps/settings/scale").status == 404
    assert client.call("GET", f"{DEPLOYMENTS}/absent/scale").status == 404
    assert client.call("DELETE", SCALE).status == 405
    assert client.call("PUT", SCALE, {"metadata": {"name": "other"}, "spec": {"replicas": 1}}).status == 400


@pytest.mark.requirement("API-DISCOVERY")
def test_discovery_lists_the_scale_subresources(client: Client) -> None:
    resources = {r["name"]: r for r in client.ok("GET", "/apis/apps/v1")["resources"]}
    for name in ("deployments/scale", "replicasets/scale", "statefulsets/scale"):
        assert resources[name]["kind"] == "Scale" and resources[name]["group"] == "autoscaling"
        assert resources[name]["verbs"] == ["get", "patch", "update"]
    assert "daemonsets/scale" not in resources
