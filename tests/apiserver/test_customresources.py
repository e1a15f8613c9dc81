"""CustomResourceDefinitions served by the reference core (impl/apiserver/customresources.py).

Upstream behaviour checked: the CronTab walkthrough of the Kubernetes
documentation (custom-resource-definitions.md: the URL
``/apis/stable.example.com/v1/namespaces/*/crontabs/...``, shortNames in
discovery, 422 with the schema's messages, pruning, defaulting), the
registry's strategies (pkg/registry/customresource: generation and the
status subresource), the naming and establishing controllers (conditions),
the CRD finalizer (instances go with the CRD) and crdHandler (415 for a
strategic merge patch, 404 once the CRD is gone).
"""

from __future__ import annotations

import copy
import json
import urllib.parse
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impl.apiserver.core import Request
from impl.apiserver.watch import APIWatch
from tests.apiserver.helpers import Client, answer_problem, assert_status, bodies

GROUP = "stable.example.com"
CRONTABS = f"/apis/{GROUP}/v1/namespaces/default/crontabs"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "cronSpec": {"type": "string", "pattern": r"^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$"},
                "image": {"type": "string"},
                "replicas": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1},
            },
        },
        "status": {"type": "object", "properties": {"ready": {"type": "integer"}}},
    },
}


def crd(
    *,
    scope: str = "Namespaced",
    status: bool = True,
    versions: tuple[str, ...] = ("v1",),
    storage: str = "v1",
    plural: str = "crontabs",
    kind: str = "CronTab",
) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": scope,
            "names": {"plural": plural, "singular": kind.lower(), "kind": kind, "shortNames": ["ct"]},
            "versions": [
                {
                    "name": version,
                    "served": True,
                    "storage": version == storage,
                    "schema": {"openAPIV3Schema": copy.deepcopy(SCHEMA)},
                    **({"subresources": {"status": {}}} if status else {}),
                }
                for version in versions
            ],
        },
    }


def cron_tab(name: str = "my-new-cron-object", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "CronTab",
        "metadata": {"name": name},
        "spec": {"cronSpec": "* * * * */5", "image": "my-awesome-cron-image", **spec},
    }


@pytest.fixture
def client() -> Client:
    c = Client()
    c.ok("POST", CRDS, crd())
    return c


@pytest.mark.requirement("API-CRD-CONDITIONS")
def test_a_new_crd_is_established_with_its_names_accepted() -> None:
    c = Client()
    created = c.ok("POST", CRDS, crd())
    assert "conditions" not in created.get("status", {})  # the controllers run after the create
    stored = c.ok("GET", f"{CRDS}/crontabs.{GROUP}")
    conditions = {cond["type"]: cond for cond in stored["status"]["conditions"]}
    assert conditions["NamesAccepted"]["status"] == "True"
    assert conditions["NamesAccepted"]["reason"] == "NoConflicts"
    assert conditions["Established"]["status"] == "True"
    assert conditions["Established"]["reason"] == "InitialNamesAccepted"
    assert stored["status"]["acceptedNames"]["plural"] == "crontabs"
    assert stored["status"]["acceptedNames"]["listKind"] == "CronTabList"


@pytest.mark.requirement("API-CRD-CONDITIONS")
def test_every_crd_sent_carries_accepted_names_and_stored_versions() -> None:
    # No omitempty upstream, and the official client refuses a CRD without them.
    c = Client()
    watch = c.watch(CRDS)
    created = c.ok("POST", CRDS, crd())
    assert created["status"]["acceptedNames"] == {"plural": "", "kind": ""}
    assert created["status"]["storedVersions"] == ["v1"]
    events = c.drain(watch)
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED"]  # the naming controller's write
    assert events[0]["object"]["status"]["acceptedNames"] == {"plural": "", "kind": ""}
    assert events[1]["object"]["status"]["acceptedNames"]["plural"] == "crontabs"
    watch.close()
    listed = c.ok("GET", CRDS)
    assert listed["items"][0]["status"]["acceptedNames"]["kind"] == "CronTab"


@pytest.mark.requirement("API-CRD-SERVE")
def test_crud_through_the_crds_url(client: Client) -> None:
    assert_status(client.call("GET", f"/apis/{GROUP}/v2/namespaces/default/crontabs"), 404, "NotFound")
    created = client.ok("POST", CRONTABS, cron_tab(replicas=5))
    assert created["metadata"]["uid"] and created["metadata"]["generation"] == 1
    assert created["metadata"]["namespace"] == "default"
    rv = int(created["metadata"]["resourceVersion"])
    got = client.ok("GET", f"{CRONTABS}/my-new-cron-object")
    assert got == created
    assert_status(client.call("POST", CRONTABS, cron_tab(replicas=5)), 409, "AlreadyExists")
    listed = client.ok("GET", CRONTABS)
    assert listed["kind"] == "CronTabList" and [i["metadata"]["name"] for i in listed["items"]] == [
        "my-new-cron-object"
    ]
    everywhere = client.ok("GET", f"/apis/{GROUP}/v1/crontabs")
    assert len(everywhere["items"]) == 1
    changed = copy.deepcopy(got)
    changed["spec"]["image"] = "other"
    updated = client.ok("PUT", f"{CRONTABS}/my-new-cron-object", changed)
    assert int(updated["metadata"]["resourceVersion"]) > rv
    assert updated["metadata"]["generation"] == 2
    assert_status(client.call("PUT", f"{CRONTABS}/my-new-cron-object", changed), 409, "Conflict")
    merged = client.patch(f"{CRONTABS}/my-new-cron-object", {"spec": {"replicas": 7}}, MERGE)
    assert merged.status == 200 and merged.json()["spec"]["replicas"] == 7
    jsonp = client.patch(
        f"{CRONTABS}/my-new-cron-object",
        [{"op": "replace", "path": "/spec/replicas", "value": 8}],
        JSON_PATCH,
    )
    assert jsonp.status == 200 and jsonp.json()["spec"]["replicas"] == 8
    strategic = client.patch(
        f"{CRONTABS}/my-new-cron-object", {"spec": {}}, "application/strategic-merge-patch+json"
    )
    assert_status(strategic, 415, "UnsupportedMediaType")
    deleted = client.ok("DELETE", f"{CRONTABS}/my-new-cron-object")
    assert deleted["status"] == "Success"
    assert_status(client.call("GET", f"{CRONTABS}/my-new-cron-object"), 404, "NotFound")


@pytest.mark.requirement("API-CRD-SERVE")
def test_storage_layout_and_cluster_scope() -> None:
    c = Client()
    c.ok("POST", CRDS, crd(scope="Cluster"))
    obj = cron_tab()
    c.ok("POST", f"/apis/{GROUP}/v1/crontabs", obj)
    keys = [s.key for s in c.server.storage.page("/registry/", "/registry/", 0, 0).items]
    assert f"/registry/{GROUP}/crontabs/my-new-cron-object" in keys
    assert_status(c.call("GET", f"/apis/{GROUP}/v1/namespaces/default/crontabs/x"), 404, "NotFound")
    c2 = Client()
    c2.ok("POST", CRDS, crd())
    c2.ok("POST", CRONTABS, cron_tab())
    keys = [s.key for s in c2.server.storage.page("/registry/", "/registry/", 0, 0).items]
    assert f"/registry/{GROUP}/crontabs/default/my-new-cron-object" in keys
    assert_status(
        c2.call("POST", f"/apis/{GROUP}/v1/namespaces/nowhere/crontabs", cron_tab()), 404, "NotFound"
    )


@pytest.mark.requirement("API-CRD-SCHEMA")
def test_schema_violations_are_422_with_every_cause(client: Client) -> None:
    response = client.call("POST", CRONTABS, cron_tab(cronSpec="* * * *", replicas=15))
    status = assert_status(response, 422, "Invalid")
    assert status["details"]["kind"] == "CronTab" and status["details"]["group"] == GROUP
    messages = [cause["message"] for cause in status["details"]["causes"]]
    assert "Invalid value: 15: spec.replicas in body should be less than or equal to 10" in messages
    assert [cause["field"] for cause in status["details"]["causes"]] == ["spec.cronSpec", "spec.replicas"]
    client.ok("POST", CRONTABS, cron_tab(replicas=3))
    bad = client.patch(f"{CRONTABS}/my-new-cron-object", {"spec": {"replicas": "many"}}, MERGE)
    assert_status(bad, 422, "Invalid")
    bad_name = cron_tab()
    bad_name["metadata"]["name"] = "a/b"
    assert_status(client.call("POST", CRONTABS, bad_name), 422, "Invalid")


@pytest.mark.requirement("API-CRD-PRUNE")
@pytest.mark.requirement("API-CRD-DEFAULT")
def test_unknown_fields_are_pruned_and_defaults_applied(client: Client) -> None:
    obj = cron_tab(unknown="x")
    obj["extra"] = {"a": 1}
    created = client.ok("POST", CRONTABS, obj)
    assert "extra" not in created and "unknown" not in created["spec"]
    assert created["spec"]["replicas"] == 1  # the default
    stored = client.server.storage.get(f"/registry/{GROUP}/crontabs/default/my-new-cron-object")
    assert stored is not None and b"unknown" not in stored.value and b"extra" not in stored.value


@pytest.mark.requirement("API-CRD-DEFAULT")
def test_defaults_apply_when_read_from_storage(client: Client) -> None:
    key = f"/registry/{GROUP}/crontabs/default/old"
    old = cron_tab("old")
    old["metadata"]["namespace"] = "default"
    client.server.storage.create(key, json.dumps(old).encode())  # written before the default existed
    assert client.ok("GET", f"{CRONTABS}/old")["spec"]["replicas"] == 1


@pytest.mark.requirement("API-CRD-STATUS")
def test_status_subresource(client: Client) -> None:
    obj = cron_tab()
    obj["status"] = {"ready": 3}
    created = client.ok("POST", CRONTABS, obj)
    assert "status" not in created  # dropped on create
    with_status = copy.deepcopy(created)
    with_status["status"] = {"ready": 2}
    updated = client.ok("PUT", f"{CRONTABS}/my-new-cron-object/status", with_status)
    assert updated["status"] == {"ready": 2} and updated["metadata"]["generation"] == 1
    main = copy.deepcopy(updated)
    main["status"] = {"ready": 9}
    main["spec"]["image"] = "next"
    after = client.ok("PUT", f"{CRONTABS}/my-new-cron-object", main)
    assert after["status"] == {"ready": 2}  # ignored on the main resource
    assert after["metadata"]["generation"] == 2 and after["spec"]["image"] == "next"
    without_default = copy.deepcopy(after)
    del without_default["spec"]["replicas"]  # the default fills it again: no spec change
    assert client.ok("PUT", f"{CRONTABS}/my-new-cron-object", without_default)["metadata"]["generation"] == 2
    labelled = client.patch(
        f"{CRONTABS}/my-new-cron-object", {"metadata": {"labels": {"a": "b"}}}, MERGE
    ).json()
    assert labelled["metadata"]["generation"] == 2  # metadata is not spec
    patched = client.patch(
        f"{CRONTABS}/my-new-cron-object/status", {"status": {"ready": 5}, "spec": {"image": "x"}}, MERGE
    )
    assert patched.status == 200 and patched.json()["status"] == {"ready": 5}
    assert patched.json()["spec"]["image"] == "next"  # the status subresource writes status only
    bad = client.patch(f"{CRONTABS}/my-new-cron-object/status", {"status": {"ready": "x"}}, MERGE)
    assert_status(bad, 422, "Invalid")


@pytest.mark.requirement("API-CRD-STATUS")
def test_without_the_status_subresource_status_is_data() -> None:
    c = Client()
    c.ok("POST", CRDS, crd(status=False))
    obj = cron_tab()
    obj["status"] = {"ready": 3}
    assert c.ok("POST", CRONTABS, obj)["status"] == {"ready": 3}
    assert_status(c.call("GET", f"{CRONTABS}/my-new-cron-object/status"), 404, "NotFound")
    got = c.ok("GET", f"{CRONTABS}/my-new-cron-object")
    got["status"] = {"ready": 4}
    updated = c.ok("PUT", f"{CRONTABS}/my-new-cron-object", got)
    assert updated["status"] == {"ready": 4} and updated["metadata"]["generation"] == 2


@pytest.mark.requirement("API-CRD-DISCOVERY")
def test_discovery_lists_the_group_and_resource(client: Client) -> None:
    groups = client.ok("GET", "/apis")["groups"]
    entry = next(g for g in groups if g["name"] == GROUP)
    assert entry["preferredVersion"] == {"groupVersion": f"{GROUP}/v1", "version": "v1"}
    assert client.ok("GET", f"/apis/{GROUP}")["name"] == GROUP
    resources = client.ok("GET", f"/apis/{GROUP}/v1")
    assert resources["groupVersion"] == f"{GROUP}/v1"
    by_name = {r["name"]: r for r in resources["resources"]}
    assert by_name["crontabs"]["kind"] == "CronTab" and by_name["crontabs"]["shortNames"] == ["ct"]
    assert by_name["crontabs"]["namespaced"] is True and "watch" in by_name["crontabs"]["verbs"]
    assert by_name["crontabs/status"]["verbs"] == ["get", "patch", "update"]


@pytest.mark.requirement("API-CRD-SERVE")
def test_several_versions_one_storage_version() -> None:
    c = Client()
    c.ok("POST", CRDS, crd(versions=("v1beta1", "v1"), storage="v1"))
    groups = {g["name"]: g for g in c.ok("GET", "/apis")["groups"]}
    assert [v["version"] for v in groups[GROUP]["versions"]] == ["v1", "v1beta1"]
    beta = cron_tab()
    beta["apiVersion"] = f"{GROUP}/v1beta1"
    created = c.ok("POST", f"/apis/{GROUP}/v1beta1/namespaces/default/crontabs", beta)
    assert created["apiVersion"] == f"{GROUP}/v1beta1"
    stored = c.server.storage.get(f"/registry/{GROUP}/crontabs/default/my-new-cron-object")
    assert stored is not None and json.loads(stored.value)["apiVersion"] == f"{GROUP}/v1"
    assert c.ok("GET", f"{CRONTABS}/my-new-cron-object")["apiVersion"] == f"{GROUP}/v1"
    wrong = c.call("POST", CRONTABS, beta)
    assert_status(wrong, 400, "BadRequest")
    definition = c.ok("GET", f"{CRDS}/crontabs.{GROUP}")
    definition["spec"]["versions"][0]["served"] = False  # v1beta1 no longer served
    c.ok("PUT", f"{CRDS}/crontabs.{GROUP}", definition)
    assert_status(c.call("GET", f"/apis/{GROUP}/v1beta1/namespaces/default/crontabs"), 404, "NotFound")
    assert c.ok("GET", f"{CRONTABS}/my-new-cron-object")["apiVersion"] == f"{GROUP}/v1"
    groups = {g["name"]: g for g in c.ok("GET", "/apis")["groups"]}
    assert [v["version"] for v in groups[GROUP]["versions"]] == ["v1"]


@pytest.mark.requirement("API-CRD-SERVE")
def test_watch_sees_changes(client: Client) -> None:
    watch = client.watch(CRONTABS)
    created = client.ok("POST", CRONTABS, cron_tab())
    events = client.drain(watch)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "my-new-cron-object")]
    assert events[0]["object"] == created
    client.ok("DELETE", f"{CRONTABS}/my-new-cron-object")
    assert [e["type"] for e in client.drain(watch)] == ["DELETED"]
    watch.close()


@pytest.mark.requirement("API-CRD-DELETE")
def test_deleting_the_crd_removes_instances_and_stops_serving(client: Client) -> None:
    client.ok("POST", CRONTABS, cron_tab("a"))
    client.ok("POST", CRONTABS, cron_tab("b"))
    client.ok("DELETE", f"{CRDS}/crontabs.{GROUP}")
    assert_status(client.call("GET", CRONTABS), 404, "NotFound")
    assert_status(client.call("GET", f"/apis/{GROUP}/v1"), 404, "NotFound")
    assert GROUP not in [g["name"] for g in client.ok("GET", "/apis")["groups"]]
    keys = [s.key for s in client.server.storage.page("/registry/", "/registry/", 0, 0).items]
    assert not [key for key in keys if key.startswith(f"/registry/{GROUP}/")]
    client.ok("POST", CRDS, crd())  # a new CRD of the same name starts empty
    assert client.ok("GET", CRONTABS)["items"] == []
    client.ok("POST", CRONTABS, cron_tab("c"))
    refused = client.call("DELETE", f"{CRDS}/crontabs.{GROUP}", {"preconditions": {"uid": "other"}})
    assert_status(refused, 409, "Conflict")  # a failed delete deletes no instance
    assert [i["metadata"]["name"] for i in client.ok("GET", CRONTABS)["items"]] == ["c"]


@pytest.mark.requirement("API-CRD-STRUCTURAL")
def test_non_structural_and_unsupported_schemas_are_refused() -> None:
    c = Client()
    bad = crd()
    bad["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["x"] = {}
    status = assert_status(c.call("POST", CRDS, bad), 422, "Invalid")
    assert "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[x].type" in [
        cause["field"] for cause in status["details"]["causes"]
    ]
    cel = crd()
    cel["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["x-kubernetes-validations"] = [{"rule": "true"}]
    status = assert_status(c.call("POST", CRDS, cel), 422, "Invalid")
    assert "not supported by this server" in status["details"]["causes"][0]["message"]
    webhook = crd()
    webhook["spec"]["conversion"] = {"strategy": "Webhook"}
    status = assert_status(c.call("POST", CRDS, webhook), 422, "Invalid")
    assert status["details"]["causes"][0]["field"] == "spec.conversion.strategy"


@pytest.mark.requirement("API-CRD-CONDITIONS")
def test_a_name_another_crd_of_the_group_holds_is_not_accepted() -> None:
    c = Client()
    c.ok("POST", CRDS, crd())  # holds crontabs, crontab and the short name ct
    second = crd(plural="ct", kind="Other")
    second["spec"]["names"]["shortNames"] = []
    c.ok("POST", CRDS, second)
    stored = c.ok("GET", f"{CRDS}/ct.{GROUP}")
    conditions = {x["type"]: x for x in stored["status"]["conditions"]}
    assert conditions["NamesAccepted"]["status"] == "False"
    assert conditions["NamesAccepted"]["reason"] == "PluralConflict"
    assert conditions["NamesAccepted"]["message"] == '"ct" is already in use'
    assert "Established" not in conditions
    assert_status(c.call("GET", f"/apis/{GROUP}/v1/namespaces/default/ct"), 404, "NotFound")


# -- fuzz: random requests at a CRD's URLs -----------------------------------------------------------

_CR_PATHS = (
    CRONTABS,
    CRONTABS + "/fuzz",
    CRONTABS + "/fuzz/status",
    CRONTABS + "/fuzz/scale",
    f"/apis/{GROUP}/v1/crontabs",
    f"/apis/{GROUP}/v1",
    f"/apis/{GROUP}",
    f"{CRDS}/crontabs.{GROUP}",
    f"{CRDS}/crontabs.{GROUP}/status",
)


@st.composite
def cr_requests(draw: st.DrawFn) -> tuple[str, str, bytes, str]:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
    path = draw(st.sampled_from(_CR_PATHS))
    query = draw(
        st.dictionaries(
            st.sampled_from(
                ["watch", "limit", "labelSelector", "fieldSelector", "continue", "resourceVersion"]
            ),
            st.sampled_from(["", "0", "1", "x", "a=b", "metadata.name=fuzz", "spec.x=1"]),
            max_size=2,
        )
    )
    if query:
        path += "?" + urllib.parse.urlencode(query)
    if draw(st.booleans()):
        obj = cron_tab("fuzz")
        where = draw(
            st.sampled_from(
                [
                    ("spec",),
                    ("spec", "replicas"),
                    ("metadata",),
                    ("metadata", "name"),
                    ("kind",),
                    ("apiVersion",),
                    ("status",),
                    ("spec", "cronSpec"),
                ]
            )
        )
        target: Any = obj
        for step in where[:-1]:
            target = target.setdefault(step, {})
        target[where[-1]] = draw(
            st.none() | st.booleans() | st.integers(-20, 20) | st.text(max_size=6) | st.just({"x": [1]})
        )
        body = json.dumps(obj).encode()
    else:
        body = draw(bodies())
    content_type = draw(
        st.sampled_from(
            [
                "application/json",
                "application/merge-patch+json",
                "application/json-patch+json",
                "application/strategic-merge-patch+json",
                "text/plain",
            ]
        )
    )
    return method, path, body, content_type


@pytest.mark.requirement("API-BAD-INPUT")
@pytest.mark.requirement("API-STATUS-ERRORS")
@settings(max_examples=200, deadline=None)
@given(request=cr_requests())
def test_fuzzed_requests_at_custom_resources_get_statuses(request: tuple[str, str, bytes, str]) -> None:
    client = Client()
    client.ok("POST", CRDS, crd())
    client.ok("POST", CRONTABS, cron_tab("sentinel"))
    method, target, body, content_type = request
    split = urllib.parse.urlsplit(target)
    query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
    response = client.server.handle(Request(method, split.path, query, {"content-type": content_type}, body))
    if isinstance(response, APIWatch):
        response.close()
    else:
        assert answer_problem(response.status, response.body) is None, (request, response.body)
    if not (method == "DELETE" and split.path == f"{CRDS}/crontabs.{GROUP}"):
        assert client.ok("GET", f"{CRONTABS}/sentinel")["spec"]["image"] == "my-awesome-cron-image"


@pytest.mark.requirement("API-NAMESPACE-CASCADE", "API-GC-BACKGROUND")
def test_the_controllers_reach_custom_resources_through_discovery(client: Client) -> None:
    """The namespace controller empties custom resources too, and the collector follows references to
    and from them (upstream's controllers find every resource by discovery)."""
    from impl.controllers.client import ResourceClient, ServedResource
    from impl.controllers.runner import settle

    resources = ResourceClient.in_process(client.server)
    assert ServedResource(GROUP, "v1", "crontabs", "CronTab", True) in resources.served()
    owner = client.ok("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "owner"}})
    owned = cron_tab("owned")
    owned["metadata"]["ownerReferences"] = [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
    ]
    client.ok("POST", CRONTABS, owned)
    client.ok("DELETE", "/api/v1/namespaces/default/configmaps/owner")
    assert settle(resources)
    assert client.call("GET", f"{CRONTABS}/owned").status == 404  # collected with its owner

    client.ok("POST", "/api/v1/namespaces", {"metadata": {"name": "going"}})
    elsewhere = f"/apis/{GROUP}/v1/namespaces/going/crontabs"
    client.ok("POST", elsewhere, cron_tab("inside"))
    client.ok("DELETE", "/api/v1/namespaces/going")
    assert settle(resources)
    assert client.call("GET", f"{elsewhere}/inside").status == 404
    assert client.call("GET", "/api/v1/namespaces/going").status == 404
