"""Deletion in the request core and the in-process controllers: propagationPolicy and the garbage
collector, graceful deletion of pods, namespace termination, deletecollection, dryRun.

The expectations are upstream's (spec/apiserver.py cites the sources); the
controllers run through ``settle``, deterministically, after the requests.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impl.controllers import garbagecollector
from impl.controllers.client import ResourceClient
from impl.controllers.runner import settle
from spec.apiserver import collect_garbage
from spec.objects.base import Time
from spec.patch import MERGE_PATCH
from tests.apiserver.helpers import CONFIGMAPS, NOW, PODS, Client, assert_status, config_map, edited, pod

NAMESPACES = "/api/v1/namespaces"
POLICIES = (None, "Background", "Foreground", "Orphan")


def owned(name: str, owner: dict[str, Any], block: bool | None = None, **extra: Any) -> dict[str, Any]:
    reference: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
    }
    if block is not None:
        reference["blockOwnerDeletion"] = block
    reference.update(extra)
    return edited(config_map(name), ownerReferences=[reference])


def exists(client: Client, path: str) -> bool:
    response = client.call("GET", path)
    assert response.status in (200, 404), response.body
    return response.status == 200


def settled(client: Client) -> None:
    assert settle(ResourceClient.in_process(client.server)), "the controllers did not settle"


def family(client: Client, block: bool | None = None) -> dict[str, Any]:
    owner = client.ok("POST", CONFIGMAPS, config_map("owner"))
    owner["kind"] = "ConfigMap"
    client.ok("POST", CONFIGMAPS, owned("child", owner, block))
    return owner


# -- propagationPolicy and the garbage collector -----------------------------------------------------


@pytest.mark.requirement("API-DELETE-PROPAGATION", "API-GC-BACKGROUND")
def test_background_removes_the_owner_at_once_and_the_collector_its_dependents() -> None:
    client = Client()
    family(client)
    answer = client.ok("DELETE", CONFIGMAPS + "/owner", {"propagationPolicy": "Background"})
    assert answer["kind"] == "Status" and answer["status"] == "Success"
    assert not exists(client, CONFIGMAPS + "/owner")
    assert exists(client, CONFIGMAPS + "/child")  # the collector has not run yet
    settled(client)
    assert not exists(client, CONFIGMAPS + "/child")


@pytest.mark.requirement("API-GC-BACKGROUND")
def test_an_object_with_a_live_owner_stays_and_a_dangling_reference_is_dropped() -> None:
    client = Client()
    owner = family(client)
    other = client.ok("POST", CONFIGMAPS, config_map("other"))
    other["kind"] = "ConfigMap"
    two = owned("two", owner)
    two["metadata"]["ownerReferences"].append(
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "other", "uid": other["metadata"]["uid"]}
    )
    client.ok("POST", CONFIGMAPS, two)
    settled(client)
    assert exists(client, CONFIGMAPS + "/child") and exists(client, CONFIGMAPS + "/two")
    client.ok("DELETE", CONFIGMAPS + "/owner")
    settled(client)
    assert not exists(client, CONFIGMAPS + "/child")
    kept = client.ok("GET", CONFIGMAPS + "/two")  # a live owner is left: only the dead one's reference goes
    assert [r["name"] for r in kept["metadata"]["ownerReferences"]] == ["other"]


@pytest.mark.requirement("API-GC-BACKGROUND")
def test_owner_references_resolve_by_uid_and_namespace() -> None:
    client = Client()
    owner = family(client)
    impostor = owned("impostor", {**owner, "metadata": {**owner["metadata"], "uid": "not-the-owners-uid"}})
    client.ok("POST", CONFIGMAPS, impostor)
    client.ok("POST", NAMESPACES, {"metadata": {"name": "elsewhere"}})
    # A namespaced owner is looked for in the dependent's namespace only: there is none there.
    client.ok("POST", "/api/v1/namespaces/elsewhere/configmaps", owned("stranger", owner))
    # A cluster-scoped dependent of a namespaced owner kind is never collected.
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "n1", "ownerReferences": owned("x", owner)["metadata"]["ownerReferences"]},
    }
    client.ok(
        "POST",
        "/api/v1/nodes",
        edited(node, ownerReferences=[{**node["metadata"]["ownerReferences"][0], "uid": "gone"}]),
    )
    settled(client)
    assert exists(client, CONFIGMAPS + "/child")
    assert not exists(client, CONFIGMAPS + "/impostor")
    assert not exists(client, "/api/v1/namespaces/elsewhere/configmaps/stranger")
    assert exists(client, "/api/v1/nodes/n1")


@pytest.mark.requirement("API-DELETE-PROPAGATION", "API-GC-ORPHAN")
def test_orphan_keeps_the_dependents_and_removes_their_references_first() -> None:
    client = Client()
    family(client)
    marked = client.ok("DELETE", CONFIGMAPS + "/owner", {"propagationPolicy": "Orphan"})
    assert marked["metadata"]["finalizers"] == ["orphan"] and marked["metadata"]["deletionTimestamp"]
    assert marked["metadata"]["deletionGracePeriodSeconds"] == 0
    gc = ResourceClient.in_process(client.server)
    assert garbagecollector.reconcile(gc) == 2  # the reference removed, then the finalizer
    assert client.ok("GET", CONFIGMAPS + "/child")["metadata"].get("ownerReferences") is None
    assert not exists(client, CONFIGMAPS + "/owner")
    settled(client)
    assert exists(client, CONFIGMAPS + "/child")


@pytest.mark.requirement("API-DELETE-PROPAGATION")
def test_legacy_orphan_dependents_and_invalid_options() -> None:
    client = Client()
    family(client)
    assert client.call("DELETE", CONFIGMAPS + "/owner", {"orphanDependents": False}).status == 200  # gone
    client.ok("POST", CONFIGMAPS, edited(config_map("kept"), finalizers=["example.com/hold"]))
    accepted = client.call("DELETE", CONFIGMAPS + "/kept", {"orphanDependents": False})
    assert accepted.status == 202  # handlers/delete.go: cascading asked for and the object not gone yet
    client.ok("POST", CONFIGMAPS, config_map("o2"))
    marked = client.ok("DELETE", CONFIGMAPS + "/o2", {"orphanDependents": True})
    assert marked["metadata"]["finalizers"] == ["orphan"]
    both = client.call(
        "DELETE", CONFIGMAPS + "/child", {"orphanDependents": True, "propagationPolicy": "Orphan"}
    )
    status = assert_status(both, 422, "Invalid")
    assert status["details"]["kind"] == "DeleteOptions" and status["details"]["group"] == "meta.k8s.io"
    assert "cannot be both set" in status["message"]
    unknown = assert_status(
        client.call("DELETE", CONFIGMAPS + "/child", {"propagationPolicy": "Later"}), 422, "Invalid"
    )
    assert unknown["details"]["causes"][0]["reason"] == "FieldValueNotSupported"
    assert exists(client, CONFIGMAPS + "/child")  # an invalid delete deletes nothing
    by_query = client.call("DELETE", CONFIGMAPS + "/child", propagationPolicy="Foreground")
    assert by_query.status == 200 and by_query.json()["metadata"]["finalizers"] == ["foregroundDeletion"]


@pytest.mark.requirement("API-DELETE-PROPAGATION", "API-GC-FOREGROUND")
def test_foreground_keeps_the_owner_until_its_blocking_dependents_are_gone() -> None:
    client = Client()
    owner = family(client, block=True)
    client.ok("POST", CONFIGMAPS, edited(owned("held", owner, block=True), finalizers=["example.com/hold"]))
    marked = client.ok("DELETE", CONFIGMAPS + "/owner", {"propagationPolicy": "Foreground"})
    assert marked["metadata"]["finalizers"] == ["foregroundDeletion"]
    settled(client)
    # child went; held is marked but its own finalizer keeps it, and it blocks the owner.
    assert not exists(client, CONFIGMAPS + "/child")
    held = client.ok("GET", CONFIGMAPS + "/held")
    assert held["metadata"]["deletionTimestamp"]
    assert client.ok("GET", CONFIGMAPS + "/owner")["metadata"]["finalizers"] == ["foregroundDeletion"]
    client.ok("PUT", CONFIGMAPS + "/held", edited(held, finalizers=[]))
    settled(client)
    assert not exists(client, CONFIGMAPS + "/owner")


@pytest.mark.requirement("API-GC-FOREGROUND")
def test_a_dependent_that_does_not_block_lets_the_owner_go_first() -> None:
    client = Client()
    owner = family(client, block=False)
    client.ok("DELETE", CONFIGMAPS + "/owner", {"propagationPolicy": "Foreground"})
    gc = ResourceClient.in_process(client.server)
    garbagecollector.reconcile(gc)
    assert not exists(client, CONFIGMAPS + "/owner")
    settled(client)
    assert not exists(client, CONFIGMAPS + "/child")
    assert owner["metadata"]["uid"]


# -- graceful deletion ---------------------------------------------------------------------------------


def bound_pod(client: Client, name: str = "web", grace: int | None = None) -> dict[str, Any]:
    body = pod(name)
    body["spec"]["nodeName"] = "node-1"
    if grace is not None:
        body["spec"]["terminationGracePeriodSeconds"] = grace
    return client.ok("POST", PODS, body)


@pytest.mark.requirement("API-GRACEFUL-DELETE")
def test_a_bound_pod_gets_its_grace_period_and_a_second_delete_may_only_shorten_it() -> None:
    client = Client()
    bound_pod(client, grace=45)
    marked = client.ok("DELETE", PODS + "/web")
    assert marked["metadata"]["deletionGracePeriodSeconds"] == 45
    assert marked["metadata"]["deletionTimestamp"] == Time.of(NOW + timedelta(seconds=45)).rfc3339()
    longer = client.ok("DELETE", PODS + "/web", {"gracePeriodSeconds": 100})
    assert longer["metadata"]["deletionGracePeriodSeconds"] == 45
    assert longer["metadata"]["resourceVersion"] == marked["metadata"]["resourceVersion"]
    shorter = client.ok("DELETE", PODS + "/web", {"gracePeriodSeconds": 10})
    assert shorter["metadata"]["deletionGracePeriodSeconds"] == 10
    assert shorter["metadata"]["deletionTimestamp"] == Time.of(NOW + timedelta(seconds=10)).rfc3339()
    assert exists(client, PODS + "/web")
    client.ok("DELETE", PODS + "/web", {"gracePeriodSeconds": 0})
    assert not exists(client, PODS + "/web")


@pytest.mark.requirement("API-GRACEFUL-DELETE")
def test_the_default_grace_is_thirty_seconds_and_unbound_pods_go_at_once() -> None:
    client = Client()
    bound_pod(client, "bound")
    marked = client.ok("DELETE", PODS + "/bound")
    assert marked["metadata"]["deletionGracePeriodSeconds"] == 30
    assert marked["metadata"]["generation"] == 2  # the first graceful mark bumps it
    bound_pod(client, "negative")
    assert (
        client.ok("DELETE", PODS + "/negative", {"gracePeriodSeconds": -5})["metadata"][
            "deletionGracePeriodSeconds"
        ]
        == 1
    )  # BeforeDelete: a negative grace period is 1 s
    client.ok("POST", PODS, pod("pending"))
    gone = client.ok("DELETE", PODS + "/pending", {"gracePeriodSeconds": 60})
    assert gone["metadata"]["deletionGracePeriodSeconds"] == 0  # the pod registry returns the object
    assert not exists(client, PODS + "/pending")


# -- namespaces ------------------------------------------------------------------------------------------


@pytest.mark.requirement("API-NAMESPACE-TERMINATING", "API-NAMESPACE-CASCADE")
def test_a_namespace_terminates_refuses_new_content_and_goes_once_empty() -> None:
    client = Client()
    created = client.ok("POST", NAMESPACES, {"metadata": {"name": "team"}})
    assert created["spec"]["finalizers"] == ["kubernetes"]
    team = "/api/v1/namespaces/team/configmaps"
    client.ok("POST", team, config_map("a"))
    client.ok("POST", team, edited(config_map("held"), finalizers=["example.com/hold"]))
    marked = client.ok("DELETE", NAMESPACES + "/team")
    assert marked["status"]["phase"] == "Terminating" and marked["metadata"]["deletionTimestamp"]
    refused = assert_status(client.call("POST", team, config_map("late")), 403, "Forbidden")
    assert refused["message"] == (
        'configmaps "late" is forbidden: unable to create new content in namespace team because it is '
        "being terminated"
    )
    # An update of the namespace cannot drop the finalizer: only /finalize can.
    current = client.ok("GET", NAMESPACES + "/team")
    client.ok("PUT", NAMESPACES + "/team", {**current, "spec": {"finalizers": []}})
    assert client.ok("GET", NAMESPACES + "/team")["spec"]["finalizers"] == ["kubernetes"]
    settled(client)
    assert not exists(client, team + "/a")
    assert exists(client, NAMESPACES + "/team")  # held keeps it
    held = client.ok("GET", team + "/held")
    client.ok("PUT", team + "/held", edited(held, finalizers=[]))
    settled(client)
    assert not exists(client, NAMESPACES + "/team")


@pytest.mark.requirement("API-NAMESPACE-TERMINATING")
def test_the_immortal_namespaces_cannot_be_deleted() -> None:
    client = Client()
    for name in ("default", "kube-system", "kube-public"):
        status = assert_status(client.call("DELETE", f"{NAMESPACES}/{name}"), 403, "Forbidden")
        assert status["message"] == f'namespaces "{name}" is forbidden: this namespace may not be deleted'
    client.ok("DELETE", NAMESPACES + "/kube-node-lease")  # not immortal


@pytest.mark.requirement("API-NAMESPACE-CASCADE")
def test_bound_pods_hold_a_namespace_until_deleted_with_grace_zero() -> None:
    client = Client()
    client.ok("POST", NAMESPACES, {"metadata": {"name": "pods"}})
    body = pod("p")
    body["spec"]["nodeName"] = "node-1"
    client.ok("POST", "/api/v1/namespaces/pods/pods", body)
    client.ok("DELETE", NAMESPACES + "/pods")
    settled(client)
    assert client.ok("GET", "/api/v1/namespaces/pods/pods/p")["metadata"]["deletionGracePeriodSeconds"] == 30
    client.ok("DELETE", "/api/v1/namespaces/pods/pods/p", {"gracePeriodSeconds": 0})  # what a kubelet does
    settled(client)
    assert not exists(client, NAMESPACES + "/pods")


# -- deletecollection and dryRun -----------------------------------------------------------------------


@pytest.mark.requirement("API-DELETECOLLECTION")
def test_deletecollection_deletes_what_the_selectors_match() -> None:
    client = Client()
    for name, app in (("a", "web"), ("b", "web"), ("c", "db")):
        client.ok("POST", CONFIGMAPS, edited(config_map(name), labels={"app": app}))
    answer = client.ok("DELETE", CONFIGMAPS, labelSelector="app=web")
    assert answer["kind"] == "ConfigMapList"
    assert sorted(item["metadata"]["name"] for item in answer["items"]) == ["a", "b"]
    assert [exists(client, CONFIGMAPS + "/" + n) for n in "abc"] == [False, False, True]
    client.ok("POST", CONFIGMAPS, config_map("d"))
    client.ok("DELETE", CONFIGMAPS, fieldSelector="metadata.name=d")
    assert not exists(client, CONFIGMAPS + "/d") and exists(client, CONFIGMAPS + "/c")
    options = client.call("DELETE", CONFIGMAPS, {"propagationPolicy": "Sometimes"})
    assert_status(options, 422, "Invalid")
    assert exists(client, CONFIGMAPS + "/c")


@pytest.mark.requirement("API-DELETECOLLECTION")
def test_deletecollection_of_a_cluster_scoped_resource_but_not_of_namespaces() -> None:
    client = Client()
    for name in ("n1", "n2"):
        client.ok("POST", "/api/v1/nodes", {"metadata": {"name": name, "labels": {"pool": name}}})
    client.ok("DELETE", "/api/v1/nodes", labelSelector="pool=n1")
    assert [exists(client, "/api/v1/nodes/" + n) for n in ("n1", "n2")] == [False, True]
    assert_status(client.call("DELETE", NAMESPACES), 405, "MethodNotAllowed")
    resources = {r["name"]: r["verbs"] for r in client.ok("GET", "/api/v1")["resources"]}
    assert "deletecollection" in resources["nodes"] and "deletecollection" not in resources["namespaces"]


@pytest.mark.requirement("API-DRY-RUN")
def test_dry_run_answers_as_the_request_would_and_stores_nothing() -> None:
    client = Client()
    revision = client.server.storage.revision()
    created = client.ok("POST", CONFIGMAPS, config_map("dry"), dryRun="All")
    assert created["metadata"]["uid"] and "resourceVersion" not in created["metadata"]
    assert not exists(client, CONFIGMAPS + "/dry")
    assert_status(
        client.call("POST", CONFIGMAPS, {"metadata": {"name": "Bad_Name"}}, dryRun="All"), 422, "Invalid"
    )
    stored = client.ok("POST", CONFIGMAPS, config_map("real"))
    changed = client.ok("PUT", CONFIGMAPS + "/real", edited(stored, labels={"x": "y"}), dryRun="All")
    assert changed["metadata"]["labels"] == {"x": "y"}
    assert changed["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]
    assert "labels" not in client.ok("GET", CONFIGMAPS + "/real")["metadata"]
    patched = client.patch(CONFIGMAPS + "/real", {"data": {"a": "2"}}, MERGE_PATCH, dryRun="All")
    assert patched.status == 200 and patched.json()["data"] == {"a": "2"}
    assert client.ok("GET", CONFIGMAPS + "/real")["data"] == {"a": "1"}
    client.ok("DELETE", CONFIGMAPS + "/real", dryRun="All")
    assert exists(client, CONFIGMAPS + "/real")
    assert_status(client.call("DELETE", CONFIGMAPS + "/real", dryRun="Maybe"), 422, "Invalid")
    assert client.server.storage.revision() == revision + 1  # only the real create wrote


# -- the model's prediction (spec.apiserver.collect_garbage) against the reference -----------------------


@pytest.mark.requirement("API-GC-BACKGROUND", "API-GC-ORPHAN")
def test_the_model_predicts_chains_and_shared_dependents() -> None:
    graph = {"a": (), "x": (), "b": ("a",), "c": ("b",), "d": ("a", "x")}
    assert collect_garbage(graph, "a", "Background") == {"x": (), "d": ("x",)}
    assert collect_garbage(graph, "a", "Foreground") == {"x": (), "d": ("x",)}
    assert collect_garbage(graph, "a", "Orphan") == {"x": (), "b": (), "c": ("b",), "d": ("x",)}
    assert collect_garbage(graph, "c", None) == {"a": (), "x": (), "b": ("a",), "d": ("a", "x")}


@st.composite
def ownership_graphs(draw: st.DrawFn) -> tuple[dict[str, tuple[str, ...]], dict[str, bool], str, str | None]:
    size = draw(st.integers(min_value=1, max_value=6))
    names = [f"n{i}" for i in range(size)]
    owners = {
        name: tuple(sorted(set(draw(st.lists(st.sampled_from(names[:i]), max_size=2))))) if i else ()
        for i, name in enumerate(names)
    }
    blocks = {name: draw(st.booleans()) for name in names}
    return owners, blocks, draw(st.sampled_from(names)), draw(st.sampled_from(POLICIES))


@pytest.mark.requirement("API-GC-BACKGROUND", "API-GC-ORPHAN", "API-GC-FOREGROUND")
@settings(max_examples=60, deadline=None)
@given(ownership_graphs())
def test_the_collector_settles_where_the_model_predicts(
    case: tuple[dict[str, tuple[str, ...]], dict[str, bool], str, str | None],
) -> None:
    owners, blocks, deleted, policy = case
    client = Client()
    uids: dict[str, str] = {}
    for name, refs in owners.items():
        references = [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "name": r,
                "uid": uids[r],
                "blockOwnerDeletion": blocks[name],
            }
            for r in refs
        ]
        created = client.ok("POST", CONFIGMAPS, edited(config_map(name), ownerReferences=references))
        uids[name] = created["metadata"]["uid"]
    client.ok("DELETE", CONFIGMAPS + "/" + deleted, {"propagationPolicy": policy} if policy else None)
    settled(client)
    names = {uid: name for name, uid in uids.items()}
    state = {
        item["metadata"]["name"]: tuple(
            sorted(names[r["uid"]] for r in item["metadata"].get("ownerReferences", []))
        )
        for item in client.ok("GET", CONFIGMAPS)["items"]
    }
    assert state == collect_garbage(owners, deleted, policy)
