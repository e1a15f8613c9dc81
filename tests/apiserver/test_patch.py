"""PATCH in the request core: the three patch types, then the update path (preconditions, validation, ...)."""

from __future__ import annotations

import json

import pytest

from impl.apiserver.core import APIServer
from impl.apiserver.memory import MemoryKV
from spec.entropy import SeededEntropy
from spec.patch import JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH
from tests.apiserver.helpers import (
    CONFIGMAPS,
    DEPLOYMENTS,
    NOW,
    PODS,
    Client,
    assert_status,
    config_map,
    deployment,
    pod,
)
from tests.apiserver.test_core import RacingKV


def rv(obj: dict[str, object]) -> int:
    return int(obj["metadata"]["resourceVersion"])  # type: ignore[index]


@pytest.mark.requirement("API-PATCH-MERGE")
def test_merge_patch_of_a_config_map() -> None:
    client = Client()
    created = client.ok("POST", CONFIGMAPS, config_map("m", {"a": "1", "b": "2"}))
    response = client.patch(CONFIGMAPS + "/m", {"data": {"a": None, "c": "3"}}, MERGE_PATCH)
    assert response.status == 200, response.body
    patched = response.json()
    assert patched["data"] == {"b": "2", "c": "3"}
    assert rv(patched) > rv(created) and patched["metadata"]["uid"] == created["metadata"]["uid"]
    assert client.ok("GET", CONFIGMAPS + "/m") == patched
    # "; charset=utf-8" is cut off the Content-Type, as upstream does
    again = client.patch(CONFIGMAPS + "/m", {"data": {"d": "4"}}, MERGE_PATCH + "; charset=utf-8")
    assert again.json()["data"] == {"b": "2", "c": "3", "d": "4"}


@pytest.mark.requirement("API-PATCH-JSON")
def test_json_patch_applies_in_order_and_a_failed_test_stores_nothing() -> None:
    client = Client()
    client.ok("POST", CONFIGMAPS, config_map("j", {"a": "1"}))
    ops = [
        {"op": "test", "path": "/data/a", "value": "1"},
        {"op": "add", "path": "/metadata/labels", "value": {"app/x": "y"}},
        {"op": "replace", "path": "/data/a", "value": "2"},
    ]
    patched = client.patch(CONFIGMAPS + "/j", ops, JSON_PATCH).json()
    assert patched["data"] == {"a": "2"} and patched["metadata"]["labels"] == {"app/x": "y"}
    before = client.kv.state.revision
    failing = [
        {"op": "remove", "path": "/metadata/labels/app~1x"},
        {"op": "test", "path": "/data/a", "value": "1"},
    ]
    status = assert_status(client.patch(CONFIGMAPS + "/j", failing, JSON_PATCH), 422, "Invalid")
    assert status["message"] == "the server rejected our request due to an error in our request"
    missing = [{"op": "replace", "path": "/data/nope", "value": "x"}]
    assert_status(client.patch(CONFIGMAPS + "/j", missing, JSON_PATCH), 422, "Invalid")
    assert client.kv.state.revision == before
    assert client.ok("GET", CONFIGMAPS + "/j")["metadata"]["labels"] == {"app/x": "y"}


@pytest.mark.requirement("API-PATCH-JSON")
@pytest.mark.requirement("API-BAD-INPUT")
@pytest.mark.parametrize(
    ("content_type", "raw"),
    [
        (JSON_PATCH, b'{"op": "add"}'),  # not an array
        (JSON_PATCH, b"[1]"),  # not an array of objects
        (JSON_PATCH, b"[{"),  # not JSON
        (MERGE_PATCH, b"{nope"),
        (MERGE_PATCH, b'"text"'),
        (STRATEGIC_MERGE_PATCH, b"[]"),
        (STRATEGIC_MERGE_PATCH, b"\xff"),
        (STRATEGIC_MERGE_PATCH, b'{"data": {"a": "2", "$retainKeys": 1}}'),  # data exists: merged
    ],
)
def test_malformed_patch_bodies_are_400(content_type: str, raw: bytes) -> None:
    client = Client()
    client.ok("POST", CONFIGMAPS, config_map("x"))
    before = client.kv.state.revision
    assert_status(client.patch(CONFIGMAPS + "/x", None, content_type, raw=raw), 400, "BadRequest")
    assert client.kv.state.revision == before


@pytest.mark.requirement("API-PATCH-CONTENT-TYPE")
@pytest.mark.requirement("API-STATUS-ERRORS")
@pytest.mark.parametrize(
    "content_type", ["application/json", "text/plain", "application/apply-patch+yaml", ""]
)
def test_other_content_types_are_415(content_type: str) -> None:
    client = Client()
    client.ok("POST", CONFIGMAPS, config_map("u"))
    status = assert_status(
        client.patch(CONFIGMAPS + "/u", {"data": {}}, content_type), 415, "UnsupportedMediaType"
    )
    assert status["message"].startswith(
        "the body of the request was in an unknown format - accepted media types"
    )
    assert MERGE_PATCH in status["message"] and STRATEGIC_MERGE_PATCH in status["message"]


@pytest.mark.requirement("API-PATCH-STRATEGIC")
def test_strategic_merge_patch_adds_an_env_var_to_one_container() -> None:
    client = Client()
    body = pod("s")
    body["spec"]["containers"].append({"name": "side", "image": "envoy"})
    client.ok("POST", PODS, body)
    patch = {"spec": {"containers": [{"name": "app", "env": [{"name": "MODE", "value": "fast"}]}]}}
    patched = client.patch(PODS + "/s", patch, STRATEGIC_MERGE_PATCH).json()
    app, side = patched["spec"]["containers"]
    assert app["env"] == [{"name": "MODE", "value": "fast"}] and app["image"] == "nginx:1.27"
    assert side["name"] == "side" and "env" not in side
    # the same body as a merge patch replaces the list: the container loses its image -> 422
    assert_status(client.patch(PODS + "/s", patch, MERGE_PATCH), 422, "Invalid")


@pytest.mark.requirement("API-PATCH-CONTENT-TYPE")
@pytest.mark.requirement("API-OPTIMISTIC-CONCURRENCY")
def test_a_resource_version_in_the_patch_is_a_precondition() -> None:
    client = Client()
    created = client.ok("POST", CONFIGMAPS, config_map("p"))
    current = str(rv(created))
    ok = client.patch(
        CONFIGMAPS + "/p", {"metadata": {"resourceVersion": current}, "data": {"a": "2"}}, MERGE_PATCH
    )
    assert ok.status == 200, ok.body
    stale = {"metadata": {"resourceVersion": current}, "data": {"a": "3"}}
    assert_status(client.patch(CONFIGMAPS + "/p", stale, MERGE_PATCH), 409, "Conflict")
    assert_status(
        client.patch(
            CONFIGMAPS + "/p",
            [{"op": "replace", "path": "/metadata/resourceVersion", "value": "1"}],
            JSON_PATCH,
        ),
        409,
        "Conflict",
    )
    assert client.ok("GET", CONFIGMAPS + "/p")["data"] == {"a": "2"}


@pytest.mark.requirement("API-OPTIMISTIC-CONCURRENCY")
def test_a_patch_is_applied_again_after_a_concurrent_write() -> None:
    kv = MemoryKV()
    Client(kv=kv).ok("POST", CONFIGMAPS, config_map("r", {"n": "0"}))
    racing = RacingKV(kv, b"/registry/configmaps/default/r", writes=0)
    client = Client(APIServer(racing, clock=lambda: NOW, entropy=SeededEntropy(1)), kv)
    racing.writes = 2  # two writes land between the read and the Txn: GuaranteedUpdate retries
    patched = client.patch(CONFIGMAPS + "/r", {"data": {"m": "1"}}, STRATEGIC_MERGE_PATCH)
    assert patched.status == 200 and patched.json()["data"] == {"n": "0", "m": "1"}
    # with the resourceVersion read before the race, the patch conflicts instead
    current = client.ok("GET", CONFIGMAPS + "/r")
    racing.writes = 1
    conditional = {
        "metadata": {"resourceVersion": current["metadata"]["resourceVersion"]},
        "data": {"m": "2"},
    }
    assert_status(client.patch(CONFIGMAPS + "/r", conditional, MERGE_PATCH), 409, "Conflict")


@pytest.mark.requirement("API-VALIDATION")
@pytest.mark.requirement("API-PATCH-CONTENT-TYPE")
def test_a_patch_that_makes_the_object_invalid_is_422_and_stores_nothing() -> None:
    client = Client()
    client.ok("POST", DEPLOYMENTS, deployment("v"))
    before = client.kv.state.revision
    status = assert_status(
        client.patch(DEPLOYMENTS + "/v", {"spec": {"replicas": -1}}, MERGE_PATCH), 422, "Invalid"
    )
    assert "spec.replicas" in {cause["field"] for cause in status["details"]["causes"]}
    # a patched object that is not of the kind's shape: NewInvalid on the field "patch"
    status = assert_status(
        client.patch(DEPLOYMENTS + "/v", {"spec": {"replicas": "many"}}, MERGE_PATCH), 422, "Invalid"
    )
    assert status["details"]["causes"][0]["field"] == "patch"
    assert_status(client.patch(DEPLOYMENTS + "/v", {"kind": "Pod"}, MERGE_PATCH), 422, "Invalid")
    assert_status(client.patch(DEPLOYMENTS + "/v", [1], MERGE_PATCH), 422, "Invalid")
    bad_list = {"spec": {"template": {"spec": {"containers": [{"image": "no-name"}]}}}}
    assert_status(client.patch(DEPLOYMENTS + "/v", bad_list, STRATEGIC_MERGE_PATCH), 422, "Invalid")
    assert client.kv.state.revision == before


@pytest.mark.requirement("API-PATCH-CONTENT-TYPE")
def test_a_patch_cannot_rename_or_move_the_object_and_a_missing_object_is_404() -> None:
    client = Client()
    client.ok("POST", CONFIGMAPS, config_map("n"))
    rename = client.patch(CONFIGMAPS + "/n", {"metadata": {"name": "other"}}, MERGE_PATCH)
    assert "does not match the name on the URL" in assert_status(rename, 400, "BadRequest")["message"]
    assert_status(
        client.patch(CONFIGMAPS + "/n", {"metadata": {"namespace": "kube-system"}}, MERGE_PATCH),
        400,
        "BadRequest",
    )
    assert_status(client.patch(CONFIGMAPS + "/missing", {"data": {}}, MERGE_PATCH), 404, "NotFound")
    assert_status(client.patch(CONFIGMAPS, {"data": {}}, MERGE_PATCH), 405, "MethodNotAllowed")
    uid = client.patch(CONFIGMAPS + "/n", {"metadata": {"uid": "another"}}, MERGE_PATCH)
    assert_status(uid, 422, "Invalid")


@pytest.mark.requirement("API-GENERATION")
@pytest.mark.requirement("API-STATUS-SUBRESOURCE")
def test_patch_bumps_generation_on_spec_only_and_respects_the_status_subresource() -> None:
    client = Client()
    created = client.ok("POST", DEPLOYMENTS, deployment("g"))
    assert created["metadata"]["generation"] == 1
    labelled = client.patch(DEPLOYMENTS + "/g", {"metadata": {"labels": {"x": "y"}}}, MERGE_PATCH).json()
    assert labelled["metadata"]["generation"] == 1
    scaled = client.patch(DEPLOYMENTS + "/g", {"spec": {"replicas": 5}}, STRATEGIC_MERGE_PATCH).json()
    assert scaled["metadata"]["generation"] == 2 and scaled["spec"]["replicas"] == 5
    forged = {"metadata": {"generation": 40}, "status": {"replicas": 9}}
    ignored = client.patch(DEPLOYMENTS + "/g", forged, MERGE_PATCH).json()
    assert ignored["metadata"]["generation"] == 2 and ignored.get("status", {}).get("replicas") is None
    status_patch = {"status": {"replicas": 3}, "spec": {"replicas": 1}}
    on_status = client.patch(DEPLOYMENTS + "/g/status", status_patch, MERGE_PATCH).json()
    assert on_status["status"]["replicas"] == 3 and on_status["spec"]["replicas"] == 5
    assert on_status["metadata"]["generation"] == 2
    conditions = {
        "status": {"conditions": [{"type": "Available", "status": "True", "reason": "r", "message": ""}]}
    }
    merged = client.patch(DEPLOYMENTS + "/g/status", conditions, STRATEGIC_MERGE_PATCH).json()
    assert merged["status"]["replicas"] == 3 and merged["status"]["conditions"][0]["type"] == "Available"


def test_discovery_lists_the_patch_verb() -> None:
    client = Client()
    resources = {r["name"]: r["verbs"] for r in client.ok("GET", "/api/v1")["resources"]}
    assert "patch" in resources["pods"] and "patch" in resources["pods/status"]
    assert "patch" in resources["configmaps"]


def test_a_patch_that_changes_nothing_writes_nothing() -> None:
    client = Client()
    created = client.ok("POST", CONFIGMAPS, config_map("same", {"a": "1"}))
    before = client.kv.state.revision
    same = client.patch(CONFIGMAPS + "/same", {"data": {"a": "1"}}, MERGE_PATCH).json()
    assert same == created and client.kv.state.revision == before
    assert json.loads(json.dumps(same)) == same
