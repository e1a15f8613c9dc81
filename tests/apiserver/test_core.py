"""The API server's request core, called directly (sans-IO): fixed clock, seeded entropy, in-memory kv.

Each property is a checker that returns its problems, run on the reference
core (no problems) and on mutants that must be caught: an update that
ignores resourceVersion, a main-resource update that lets status through, a
generation bumped on every change, a watch that silently starts at the
compacted revision, continue tokens that repeat the last item.
"""

from __future__ import annotations

import json
import string
import urllib.parse
from typing import Any

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from impl.apiserver.core import APIServer, Request
from impl.apiserver.memory import MemoryKV
from impl.apiserver.watch import APIWatch
from spec import apiserver
from spec.entropy import SeededEntropy
from spec.kv import CompactionRequest, RangeRequest, WatchCreateRequest
from spec.objects.meta import KindModel
from tests.apiserver.helpers import (
    CONFIGMAPS,
    DEPLOYMENTS,
    NOW,
    PODS,
    Client,
    answer_problem,
    assert_status,
    config_map,
    deployment,
    edited,
    pod,
    requests,
)

# -- create, get, storage layout ---------------------------------------------------------------------


@pytest.mark.requirement("API-CREATE")
def test_create_fills_system_fields_from_the_injected_clock_and_entropy() -> None:
    first, again = Client(seed=3), Client(seed=3)
    created = first.ok("POST", PODS, pod())
    assert created["metadata"]["creationTimestamp"] == "2026-01-02T03:04:05Z"
    assert len(created["metadata"]["uid"]) == 36
    assert created["metadata"]["uid"] == again.ok("POST", PODS, pod())["metadata"]["uid"]  # deterministic
    assert created["status"] == {"phase": "Pending"}


@pytest.mark.requirement("API-CREATE")
def test_generate_name_appends_five_characters_of_upstreams_alphabet() -> None:
    client = Client()
    body = pod()
    body["metadata"] = {"generateName": "web-"}
    names = {client.ok("POST", PODS, body)["metadata"]["name"] for _ in range(5)}
    assert len(names) == 5
    for name in names:
        assert name.startswith("web-") and len(name) == 9
        assert set(name[4:]) <= set("bcdfghjklmnpqrstvwxz2456789")
    long = {"generateName": "x" * 70}
    assert len(client.ok("POST", CONFIGMAPS, {**config_map(), "metadata": long})["metadata"]["name"]) == 63


@pytest.mark.requirement("API-CREATE")
@pytest.mark.requirement("API-STATUS-ERRORS")
def test_create_of_a_taken_name_is_already_exists() -> None:
    client = Client()
    client.ok("POST", DEPLOYMENTS, deployment())
    status = assert_status(client.call("POST", DEPLOYMENTS, deployment()), 409, "AlreadyExists")
    assert status["message"] == 'deployments.apps "web" already exists'
    assert status["details"] == {"name": "web", "group": "apps", "kind": "deployments"}


@pytest.mark.requirement("API-NOT-FOUND")
def test_get_update_delete_of_a_missing_object_is_not_found() -> None:
    client = Client()
    status = assert_status(client.call("GET", PODS + "/x"), 404, "NotFound")
    assert status["message"] == 'pods "x" not found'
    assert status["details"] == {"name": "x", "kind": "pods"}
    assert_status(client.call("PUT", DEPLOYMENTS + "/web", deployment()), 404, "NotFound")
    status = assert_status(client.call("DELETE", DEPLOYMENTS + "/web"), 404, "NotFound")
    assert status["message"] == 'deployments.apps "web" not found'


@pytest.mark.requirement("API-STORAGE-LAYOUT")
def test_objects_are_stored_as_json_under_upstreams_keys() -> None:
    client = Client()
    client.ok("POST", PODS, pod())
    client.ok(
        "POST",
        "/api/v1/namespaces/default/services",
        {"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}], "selector": {"app": "web"}}},
    )
    client.ok("POST", "/api/v1/nodes", {"metadata": {"name": "node-1"}})
    client.ok("POST", DEPLOYMENTS, deployment())
    keys = {kv.key.decode(): kv for kv in client.kv.state.live()}
    for key in (
        "/registry/pods/default/web",
        "/registry/services/specs/default/web",
        "/registry/minions/node-1",
        "/registry/deployments/default/web",
        "/registry/namespaces/default",
    ):
        assert key in keys, sorted(keys)
    stored = json.loads(keys["/registry/pods/default/web"].value)
    assert stored["kind"] == "Pod" and "resourceVersion" not in stored["metadata"]
    assert apiserver.object_key(apiserver_info("nodes"), "", "n") == "/registry/minions/n"


def apiserver_info(resource: str) -> Any:
    from impl.apiserver.routing import RESOURCES

    return next(info for (group, _, name), info in RESOURCES.items() if name == resource and not group)


@pytest.mark.requirement("API-RV-MONOTONIC")
def test_resource_version_is_the_mod_revision_and_grows_with_every_write() -> None:
    client = Client()
    seen: list[int] = []
    created = client.ok("POST", PODS, pod())
    seen.append(int(created["metadata"]["resourceVersion"]))
    current = created
    for index in range(3):
        current = client.ok("PUT", PODS + "/web", edited(current, labels={"n": str(index)}))
        seen.append(int(current["metadata"]["resourceVersion"]))
        client.ok("POST", CONFIGMAPS, config_map(f"c{index}"))
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    stored = client.kv.call(RangeRequest(b"/registry/pods/default/web"))
    assert str(stored.kvs[0].mod_revision) == current["metadata"]["resourceVersion"]  # type: ignore[union-attr]
    listed = client.ok("GET", CONFIGMAPS)
    assert int(listed["metadata"]["resourceVersion"]) == client.kv.state.revision


# -- optimistic concurrency -----------------------------------------------------------------------------


def stale_update_problems(client: Client) -> list[str]:
    """A stale update must be 409 Conflict with upstream's message and must change nothing."""
    created = client.ok("POST", CONFIGMAPS, config_map("cc"))
    fresh = client.ok("PUT", CONFIGMAPS + "/cc", {**created, "data": {"a": "2"}})
    stale = client.call("PUT", CONFIGMAPS + "/cc", {**created, "data": {"a": "3"}})
    problems = []
    if stale.status != 409:
        problems.append(f"a stale update got {stale.status}, not 409")
    elif stale.json()["message"] != (
        'Operation cannot be fulfilled on configmaps "cc": the object has been modified; '
        "please apply your changes to the latest version and try again"
    ):
        problems.append(f"wrong message {stale.json()['message']!r}")
    after = client.ok("GET", CONFIGMAPS + "/cc")
    if after != fresh:
        problems.append(f"the stale update changed the object: {after['data']}")
    return problems


class IgnoresResourceVersion(APIServer):
    """Mutant: drops the client's resourceVersion, so every update is unconditional."""

    def _decode_body(self, request: Request, info: Any) -> KindModel:
        obj = super()._decode_body(request, info)
        return obj.replace(metadata=obj.metadata.replace(resource_version=""))


def mutant_client(server_class: type[APIServer], kv: MemoryKV | None = None) -> Client:
    kv = kv or MemoryKV()
    return Client(server_class(kv.client(), clock=lambda: NOW, entropy=SeededEntropy(1)), kv)


@pytest.mark.requirement("API-OPTIMISTIC-CONCURRENCY")
def test_a_stale_update_conflicts_and_the_mutant_that_ignores_resource_version_is_caught() -> None:
    assert stale_update_problems(Client()) == []
    assert stale_update_problems(mutant_client(IgnoresResourceVersion))


class RacingKV:
    """A kv client that lets another writer change a key right after the API server reads it."""

    def __init__(self, kv: MemoryKV, key: bytes, writes: int) -> None:
        self.kv, self.key, self.writes = kv, key, writes

    def call(self, request: Any) -> Any:
        response = self.kv.call(request)
        if isinstance(request, RangeRequest) and request.key == self.key and self.writes > 0:
            self.writes -= 1
            current = self.kv.call(RangeRequest(self.key)).kvs[0]  # type: ignore[union-attr]
            from spec.kv import PutRequest

            self.kv.call(PutRequest(self.key, current.value))  # same value, a new mod_revision
        return response

    def watch(self, request: WatchCreateRequest) -> Any:
        return self.kv.client().watch(request)


@pytest.mark.requirement("API-OPTIMISTIC-CONCURRENCY")
def test_updates_compare_the_mod_revision_they_read() -> None:
    kv = MemoryKV()
    Client(kv=kv).ok("POST", CONFIGMAPS, config_map("cc"))
    racing = RacingKV(kv, b"/registry/configmaps/default/cc", writes=1)
    client = Client(APIServer(racing, clock=lambda: NOW, entropy=SeededEntropy(1)), kv)
    current = client.ok("GET", CONFIGMAPS + "/cc")
    racing.writes = 1
    # With a resourceVersion: the write between read and Txn makes the Txn's compare fail -> Conflict.
    assert_status(client.call("PUT", CONFIGMAPS + "/cc", {**current, "data": {"a": "2"}}), 409, "Conflict")
    # Without one: GuaranteedUpdate reads again and succeeds.
    racing.writes = 2
    unconditional = {**current, "metadata": {"name": "cc"}, "data": {"a": "3"}}
    assert client.ok("PUT", CONFIGMAPS + "/cc", unconditional)["data"] == {"a": "3"}


# -- validation, namespaces, bad input -----------------------------------------------------------------


@pytest.mark.requirement("API-VALIDATION")
def test_an_invalid_object_is_422_with_every_cause_and_nothing_is_stored() -> None:
    client = Client()
    bad = deployment("Bad_Name", replicas=-1)
    bad["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    before = client.kv.state.revision
    status = assert_status(client.call("POST", DEPLOYMENTS, bad), 422, "Invalid")
    fields = {cause["field"] for cause in status["details"]["causes"]}
    assert {"metadata.name", "spec.replicas", "spec.template.metadata.labels"} <= fields, fields
    assert status["message"].startswith('Deployment.apps "Bad_Name" is invalid: [')
    assert client.kv.state.revision == before


@pytest.mark.requirement("API-NAMESPACE-EXISTS")
def test_creating_in_a_missing_namespace_is_namespace_not_found() -> None:
    client = Client()
    status = assert_status(client.call("POST", "/api/v1/namespaces/nope/pods", pod()), 404, "NotFound")
    assert status["message"] == 'namespaces "nope" not found'
    client.ok("POST", "/api/v1/namespaces", {"metadata": {"name": "nope"}})
    client.ok("POST", "/api/v1/namespaces/nope/pods", pod())


@pytest.mark.requirement("API-BAD-INPUT")
@pytest.mark.requirement("API-STATUS-ERRORS")
@pytest.mark.parametrize(
    ("method", "path", "raw", "code", "reason"),
    [
        ("POST", PODS, b"{not json", 400, "BadRequest"),
        ("POST", PODS, b"[1, 2]", 400, "BadRequest"),
        ("POST", PODS, json.dumps(config_map()).encode(), 400, "BadRequest"),
        ("POST", PODS, json.dumps({**pod(), "apiVersion": "v2"}).encode(), 400, "BadRequest"),
        ("POST", PODS, json.dumps({**pod(), "spec": {"containers": "x"}}).encode(), 400, "BadRequest"),
        ("POST", PODS, b"x" * (apiserver.MAX_REQUEST_BODY_BYTES + 1), 413, "RequestEntityTooLarge"),
        (
            "POST",
            "/api/v1/namespaces/other/pods",
            json.dumps(edited(pod(), namespace="x")).encode(),
            400,
            "BadRequest",
        ),
        ("PUT", PODS + "/other", json.dumps(pod()).encode(), 400, "BadRequest"),
        ("GET", "/api/v1/frobs", b"", 404, "NotFound"),
        ("GET", "/apis/nope/v1", b"", 404, "NotFound"),
        ("PATCH", PODS + "/web", b"{}", 415, "UnsupportedMediaType"),  # no patch Content-Type
        ("PATCH", PODS, b"{}", 405, "MethodNotAllowed"),
        ("DELETE", "/api/v1/pods", b"", 405, "MethodNotAllowed"),  # deletecollection is per namespace
        ("GET", PODS, b"", 400, "BadRequest"),  # with the bad labelSelector below
    ],
)
def test_bad_input_is_a_4xx_status(method: str, path: str, raw: bytes, code: int, reason: str) -> None:
    client = Client()
    client.ok("POST", PODS, pod("web"))
    query = {"labelSelector": "a in (b"} if (method, path, raw) == ("GET", PODS, b"") else {}
    assert_status(client.call(method, path, raw=raw, **query), code, reason)
    assert client.ok("GET", PODS + "/web")["metadata"]["name"] == "web"  # still serving, nothing lost


@pytest.mark.requirement("API-BAD-INPUT")
def test_strict_field_validation_rejects_unknown_fields() -> None:
    client = Client()
    body = {**config_map(), "spek": 1}
    status = assert_status(client.call("POST", CONFIGMAPS, body, fieldValidation="Strict"), 400, "BadRequest")
    assert 'unknown field "spek"' in status["message"]
    client.ok("POST", CONFIGMAPS, body)  # the default drops it


# -- generation and status ---------------------------------------------------------------------------------


def generation_problems(client: Client) -> list[str]:
    problems = []
    created = client.ok("POST", DEPLOYMENTS, deployment("g"))
    if created["metadata"].get("generation") != 1:
        problems.append(f"generation {created['metadata'].get('generation')} after create")
    relabeled = client.ok("PUT", DEPLOYMENTS + "/g", edited(created, labels={"x": "y"}, generation=9))
    if relabeled["metadata"].get("generation") != 1:
        problems.append("a metadata-only change (or the client) moved the generation")
    scaled = {**relabeled, "spec": {**relabeled["spec"], "replicas": 5}}
    scaled = client.ok("PUT", DEPLOYMENTS + "/g", scaled)
    if scaled["metadata"].get("generation") != 2:
        problems.append(f"a spec change left generation {scaled['metadata'].get('generation')}")
    cm = client.ok("POST", CONFIGMAPS, config_map("g"))
    cm = client.ok("PUT", CONFIGMAPS + "/g", {**cm, "data": {"b": "2"}})
    if cm["metadata"].get("generation", 0) != 0:
        problems.append("a ConfigMap (no generation tracking) got a generation")
    return problems


class BumpsGenerationAlways(APIServer):
    """Mutant: every update bumps the generation."""

    def _prepare_for_update(self, new: KindModel, old: KindModel, *, status_only: bool) -> KindModel:
        updated = super()._prepare_for_update(new, old, status_only=status_only)
        return updated.replace(metadata=updated.metadata.replace(generation=old.metadata.generation + 1))


@pytest.mark.requirement("API-GENERATION")
def test_generation_moves_with_spec_only() -> None:
    assert generation_problems(Client()) == []
    assert generation_problems(mutant_client(BumpsGenerationAlways))


def status_problems(client: Client) -> list[str]:
    problems = []
    created = client.ok("POST", DEPLOYMENTS, deployment("s"))
    with_status = {**created, "status": {"replicas": 7}}
    main = client.ok("PUT", DEPLOYMENTS + "/s", {**with_status, "spec": {**created["spec"], "replicas": 3}})
    if main.get("status"):
        problems.append(f"an update of the main resource changed status to {main['status']}")
    status_update = {**main, "status": {"replicas": 4}, "spec": {**main["spec"], "replicas": 9}}
    after = client.ok("PUT", DEPLOYMENTS + "/s/status", status_update)
    if after.get("status") != {"replicas": 4}:
        problems.append(f"/status did not set status: {after.get('status')}")
    if after["spec"]["replicas"] != 3:
        problems.append("/status changed spec")
    if after["metadata"]["generation"] != main["metadata"]["generation"]:
        problems.append("/status moved the generation")
    return problems


class StatusLeaks(APIServer):
    """Mutant: the main resource's update takes status from the client."""

    def _prepare_for_update(self, new: KindModel, old: KindModel, *, status_only: bool) -> KindModel:
        updated = super()._prepare_for_update(new, old, status_only=status_only)
        return updated if status_only else updated.replace(status=new.status)  # type: ignore[attr-defined]


@pytest.mark.requirement("API-STATUS-SUBRESOURCE")
def test_status_subresource_separates_spec_and_status() -> None:
    assert status_problems(Client()) == []
    assert status_problems(mutant_client(StatusLeaks))


# -- list: selectors and paging ----------------------------------------------------------------------------


@pytest.mark.requirement("API-LIST-SELECTORS")
def test_label_and_field_selectors() -> None:
    client = Client()
    client.ok("POST", "/api/v1/namespaces", {"metadata": {"name": "other"}})
    client.ok("POST", PODS, pod("a", {"tier": "web"}))
    client.ok("POST", PODS, pod("b", {"tier": "db"}))
    client.ok("POST", "/api/v1/namespaces/other/pods", pod("c", {"tier": "web"}))

    def names(path: str, **query: str) -> list[str]:
        return [item["metadata"]["name"] for item in client.ok("GET", path, **query)["items"]]

    assert names("/api/v1/pods", labelSelector="tier=web") == ["a", "c"]
    assert names("/api/v1/pods", labelSelector="tier!=web") == ["b"]
    assert names("/api/v1/pods", fieldSelector="metadata.namespace=other") == ["c"]
    assert names(PODS, fieldSelector="metadata.name!=a,status.phase=Pending") == ["b"]
    assert names(PODS, fieldSelector="spec.nodeName=") == ["a", "b"]
    status = assert_status(client.call("GET", PODS, fieldSelector="spec.image=x"), 400, "BadRequest")
    assert status["message"] == "field label not supported: spec.image"
    assert names("/api/v1/namespaces", fieldSelector="metadata.name=other") == ["other"]


def listed_in_pages(client: Client, path: str, limit: int, **query: str) -> tuple[list[str], set[str]]:
    """Every name over all pages, and the list resourceVersions seen."""
    names: list[str] = []
    versions: set[str] = set()
    token = ""
    while True:
        page = client.ok("GET", path, limit=str(limit), **({"continue": token} if token else {}), **query)
        assert len(page["items"]) <= limit
        names += [item["metadata"]["name"] for item in page["items"]]
        versions.add(page["metadata"]["resourceVersion"])
        token = page["metadata"].get("continue", "")
        if not token:
            return names, versions
        # A write between pages must not show: the pages are read at the first page's revision.
        client.ok("POST", CONFIGMAPS, config_map(f"late-{len(names)}-{token[-6:].lower()}"))


@pytest.mark.requirement("API-LIST-PAGING")
@given(
    names=st.sets(st.text(string.ascii_lowercase, min_size=1, max_size=6), min_size=0, max_size=12),
    limit=st.integers(1, 5),
    selected=st.booleans(),
)
def test_paging_yields_every_object_once_at_one_revision(names: set[str], limit: int, selected: bool) -> None:
    client = Client()
    for index, name in enumerate(sorted(names)):
        client.ok(
            "POST",
            CONFIGMAPS,
            {**config_map(name), "metadata": {"name": name, "labels": {"even": str(index % 2 == 0).lower()}}},
        )
    query = {"labelSelector": "even=true"} if selected else {}
    got, versions = listed_in_pages(client, CONFIGMAPS, limit, **query)
    expected = sorted(names)[:: 2 if selected else 1]
    assert got == expected
    assert len(versions) == 1


@pytest.mark.requirement("API-LIST-PAGING")
def test_remaining_item_count_and_a_continue_that_repeats_the_last_item_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = Client()
    for name in "abcde":
        client.ok("POST", CONFIGMAPS, config_map(name))
    first = client.ok("GET", CONFIGMAPS, limit="2")
    assert first["metadata"]["remainingItemCount"] == 3
    assert listed_in_pages(client, CONFIGMAPS, 2)[0] == list("abcde")

    original = apiserver.encode_continue

    def repeats_last(next_key: str, prefix: str, revision: int) -> str:
        return original(next_key.rstrip("\0"), prefix, revision)  # resumes AT the last key, not after it

    monkeypatch.setattr(apiserver, "encode_continue", repeats_last)
    mutant = Client()
    for name in "abcde":
        mutant.ok("POST", CONFIGMAPS, config_map(name))
    assert listed_in_pages(mutant, CONFIGMAPS, 2)[0] != list("abcde")


@pytest.mark.requirement("API-LIST-PAGING")
@pytest.mark.requirement("API-STATUS-ERRORS")
def test_list_resource_version_semantics_and_bad_tokens() -> None:
    client = Client()
    for name in "abc":
        client.ok("POST", CONFIGMAPS, config_map(name))
    at = client.ok("GET", CONFIGMAPS)["metadata"]["resourceVersion"]
    client.ok("POST", CONFIGMAPS, config_map("d"))
    exact = client.ok("GET", CONFIGMAPS, resourceVersion=at, resourceVersionMatch="Exact")
    assert [i["metadata"]["name"] for i in exact["items"]] == list("abc")
    assert exact["metadata"]["resourceVersion"] == at
    assert len(client.ok("GET", CONFIGMAPS, resourceVersion=at)["items"]) == 4  # NotOlderThan: the latest
    status = assert_status(client.call("GET", CONFIGMAPS, resourceVersionMatch="Exact"), 422, "Invalid")
    assert status["details"]["kind"] == "ListOptions"
    assert_status(
        client.call("GET", CONFIGMAPS, resourceVersion="0", resourceVersionMatch="Exact"), 422, "Invalid"
    )
    assert_status(client.call("GET", CONFIGMAPS, resourceVersion="abc"), 400, "BadRequest")
    for token in (
        "garbage!",
        apiserver.encode_continue("/registry/configmaps/../secrets/x", "/registry/configmaps/", 5),
    ):
        assert_status(client.call("GET", CONFIGMAPS, limit="1", **{"continue": token}), 400, "BadRequest")
    page = client.ok("GET", CONFIGMAPS, limit="1")
    client.ok("POST", CONFIGMAPS, config_map("e"))
    client.kv.call(CompactionRequest(client.kv.state.revision))  # the page's revision is gone
    expired = client.call("GET", CONFIGMAPS, limit="1", **{"continue": page["metadata"]["continue"]})
    assert_status(expired, 410, "Expired")
    future = client.call("GET", CONFIGMAPS, resourceVersion="999", resourceVersionMatch="Exact")
    status = assert_status(future, 504, "Timeout")  # upstream's one 5xx for client input, with its cause
    assert status["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge"


# -- watch -----------------------------------------------------------------------------------------------


def watch_order_problems(client: Client) -> list[str]:
    """A watch from R delivers every change after R, once, in order, with the right event types."""
    start = client.ok("GET", PODS)["metadata"]["resourceVersion"]
    watch = client.watch(PODS, resourceVersion=start)
    expected: list[tuple[str, str, str]] = []
    created = client.ok("POST", PODS, pod("a"))
    expected.append(("ADDED", "a", created["metadata"]["resourceVersion"]))
    updated = client.ok("PUT", PODS + "/a", edited(created, labels={"v": "2"}))
    expected.append(("MODIFIED", "a", updated["metadata"]["resourceVersion"]))
    client.ok("POST", CONFIGMAPS, config_map())  # another resource: not in this watch
    other = client.ok("POST", PODS, pod("b"))
    expected.append(("ADDED", "b", other["metadata"]["resourceVersion"]))
    client.ok("DELETE", PODS + "/a")
    expected.append(("DELETED", "a", str(client.kv.state.revision)))
    got = [
        (e["type"], e["object"]["metadata"]["name"], e["object"]["metadata"]["resourceVersion"])
        for e in client.drain(watch)
    ]
    return [] if got == expected else [f"expected {expected}, got {got}"]


@pytest.mark.requirement("API-WATCH-ORDER")
def test_watch_delivers_every_change_in_order() -> None:
    assert watch_order_problems(Client()) == []


@pytest.mark.requirement("API-WATCH-ORDER")
@pytest.mark.requirement("API-LIST-SELECTORS")
def test_watch_with_a_selector_turns_entering_and_leaving_into_added_and_deleted() -> None:
    client = Client()
    created = client.ok("POST", PODS, pod("a", {"tier": "db"}))
    watch = client.watch(
        PODS, labelSelector="tier=web", resourceVersion=created["metadata"]["resourceVersion"]
    )
    entered = client.ok("PUT", PODS + "/a", edited(created, labels={"tier": "web"}))
    touched = client.ok("PUT", PODS + "/a", edited(entered, labels={"tier": "web", "x": "1"}))
    left = client.ok("PUT", PODS + "/a", edited(touched, labels={"tier": "db"}))
    client.ok("DELETE", PODS + "/a")
    got = [(e["type"], e["object"]["metadata"]["resourceVersion"]) for e in client.drain(watch)]
    assert got == [
        ("ADDED", entered["metadata"]["resourceVersion"]),
        ("MODIFIED", touched["metadata"]["resourceVersion"]),
        ("DELETED", left["metadata"]["resourceVersion"]),
    ]


@pytest.mark.requirement("API-WATCH-ORDER")
def test_watch_without_resource_version_starts_with_the_current_state() -> None:
    client = Client()
    client.ok("POST", PODS, pod("a"))
    client.ok("POST", PODS, pod("b"))
    for rv in ("", "0"):
        events = client.drain(client.watch(PODS, **({"resourceVersion": rv} if rv else {})))
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
            ("ADDED", "a"),
            ("ADDED", "b"),
        ]


def watch_gone_problems(client: Client) -> list[str]:
    old = client.ok("POST", PODS, pod("a"))["metadata"]["resourceVersion"]
    for index in range(3):
        client.ok("POST", CONFIGMAPS, config_map(f"c{index}"))
    client.kv.call(CompactionRequest(client.kv.state.revision))
    events = client.drain(client.watch(PODS, resourceVersion=old))
    if len(events) != 1 or events[0]["type"] != "ERROR":
        return [f"a watch from compacted {old} got {events}"]
    status = events[0]["object"]
    if (status["code"], status["reason"]) != (410, "Expired") or "too old resource version" not in status[
        "message"
    ]:
        return [f"wrong Status {status}"]
    return []


class ClampingKV:
    """Mutant storage: a watch below the compact revision silently starts at it (changes are lost)."""

    def __init__(self, kv: MemoryKV) -> None:
        self.kv = kv

    def call(self, request: Any) -> Any:
        return self.kv.call(request)

    def watch(self, request: WatchCreateRequest) -> Any:
        from dataclasses import replace

        start = max(request.start_revision, self.kv.state.compact_revision)
        return self.kv.client().watch(replace(request, start_revision=start))


@pytest.mark.requirement("API-WATCH-GONE")
def test_a_watch_from_a_compacted_version_gets_410_and_the_clamping_mutant_is_caught() -> None:
    assert watch_gone_problems(Client()) == []
    kv = MemoryKV()
    mutant = Client(APIServer(ClampingKV(kv), clock=lambda: NOW, entropy=SeededEntropy(1)), kv)
    assert watch_gone_problems(mutant)


@pytest.mark.requirement("API-WATCH-BOOKMARK")
def test_bookmarks_never_pass_the_delivered_revision_and_never_go_back() -> None:
    client = Client()
    start = client.ok("GET", PODS)["metadata"]["resourceVersion"]
    watch = client.watch(PODS, resourceVersion=start, allowWatchBookmarks="true")
    assert watch.bookmark() is None  # nothing new since the start
    delivered = int(start)
    bookmarks: list[int] = []
    for index in range(4):
        client.ok("POST", PODS, pod(f"p{index}"))
        client.ok("POST", CONFIGMAPS, config_map(f"c{index}"))
        for event in watch.next_events(0.0):
            delivered = max(delivered, int(event["object"]["metadata"]["resourceVersion"]))
        watch.next_events(0.0)  # idle: a progress notification
        mark = watch.bookmark()
        if mark is not None:
            assert mark["type"] == "BOOKMARK" and mark["object"]["kind"] == "Pod"
            bookmarks.append(int(mark["object"]["metadata"]["resourceVersion"]))
    assert bookmarks and bookmarks == sorted(bookmarks)
    assert bookmarks[-1] <= client.kv.state.revision
    assert all(mark >= delivered - 1 for mark in bookmarks[-1:])
    without = client.watch(PODS, resourceVersion=start)
    client.ok("POST", PODS, pod("q"))
    without.next_events(0.0)
    assert without.bookmark() is None


# -- discovery -------------------------------------------------------------------------------------------


@pytest.mark.requirement("API-DISCOVERY")
def test_discovery_lists_every_served_resource() -> None:
    from impl.apiserver.routing import RESOURCES

    client = Client()
    assert client.ok("GET", "/api")["versions"] == ["v1"]
    groups = {group["name"] for group in client.ok("GET", "/apis")["groups"]}
    for (group, version, resource), info in RESOURCES.items():
        if group:
            assert group in groups
            assert client.ok("GET", f"/apis/{group}")["preferredVersion"]["version"] == version
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        listed = {item["name"]: item for item in client.ok("GET", path)["resources"]}
        assert listed[resource]["kind"] == info.kind and listed[resource]["namespaced"] == info.namespaced
        every_verb = {"create", "get", "list", "watch", "update", "patch", "delete"}
        if resource == "bindings":
            assert set(listed[resource]["verbs"]) == {"create"}
        elif resource == "namespaces":
            assert set(listed[resource]["verbs"]) == every_verb
        else:
            assert set(listed[resource]["verbs"]) == every_verb | {"deletecollection"}
        # CSRs' /status (and /approval) have their own strategies (impl/apiserver/certificates.py).
        has_status = info.model in apiserver.HAS_STATUS or resource == "certificatesigningrequests"
        assert (f"{resource}/status" in listed) == has_status
    assert client.ok("GET", "/version")["gitVersion"].startswith("v1.")
    assert client.call("GET", "/healthz").body == b"ok"


def test_discovery_lists_the_virtual_resources_it_answers() -> None:
    """SelfSubjectReview and TokenRequest are created and answered, never stored; discovery lists them
    as upstream does (kubectl finds ``auth whoami`` and ``create token`` by it), and nothing else."""
    client = Client()
    groups = {group["name"]: group for group in client.ok("GET", "/apis")["groups"]}
    assert groups["authentication.k8s.io"]["preferredVersion"]["groupVersion"] == "authentication.k8s.io/v1"
    assert client.ok("GET", "/apis/authentication.k8s.io")["versions"][0]["version"] == "v1"
    listed = client.ok("GET", "/apis/authentication.k8s.io/v1")["resources"]
    assert [(r["name"], r["kind"], r["verbs"], r["namespaced"]) for r in listed] == [
        ("selfsubjectreviews", "SelfSubjectReview", ["create"], False)
    ]
    core_v1 = {r["name"]: r for r in client.ok("GET", "/api/v1")["resources"]}
    token = core_v1["serviceaccounts/token"]
    assert (token["group"], token["version"], token["kind"], token["verbs"]) == (
        "authentication.k8s.io",
        "v1",
        "TokenRequest",
        ["create"],
    )
    assert client.call("GET", "/apis/authentication.k8s.io/v1/tokenreviews").status == 404
    assert client.call("GET", "/apis/authentication.k8s.io/v2").status == 404


# -- the spec's pure pieces ---------------------------------------------------------------------------------


@pytest.mark.requirement("API-LIST-PAGING")
@given(key=st.text(string.ascii_lowercase + "/-.", min_size=1, max_size=20), revision=st.integers(1, 2**40))
def test_continue_tokens_round_trip_and_never_leave_the_prefix(key: str, revision: int) -> None:
    prefix = "/registry/pods/"
    full = prefix + key
    try:
        decoded = apiserver.decode_continue(apiserver.encode_continue(full, prefix, revision), prefix)
    except apiserver.ContinueError:
        return  # a key with .. or // segments is refused
    assert decoded[0].startswith(prefix)
    if not key.startswith("/"):  # as upstream, a leading slash is read as the prefix's own
        assert decoded == (full, revision)


@pytest.mark.requirement("API-WATCH-ORDER")
def test_watch_event_type_table() -> None:
    table = {
        (True, False, False, True): "ADDED",
        (True, False, False, False): None,
        (False, True, True, False): "DELETED",
        (False, True, False, False): None,
        (False, False, True, True): "MODIFIED",
        (False, False, False, True): "ADDED",
        (False, False, True, False): "DELETED",
        (False, False, False, False): None,
    }
    for (created, deleted, old, new), expected in table.items():
        assert (
            apiserver.watch_event_type(created=created, deleted=deleted, old_matches=old, new_matches=new)
            == expected
        )


def test_core_reads_no_clock_and_no_global_randomness() -> None:
    """The core module imports neither time nor random (DESIGN.md: sans-IO cores)."""
    import impl.apiserver.core as core_module

    source = open(core_module.__file__, encoding="utf-8").read()
    for forbidden in ("import time", "import random", "datetime.now", "import socket", "import asyncio"):
        assert forbidden not in source
    assert Request("GET", "/").param("x") is None


@pytest.mark.requirement("API-OPTIMISTIC-CONCURRENCY")
@pytest.mark.requirement("API-STATUS-ERRORS")
def test_delete_preconditions_and_delete_answers() -> None:
    client = Client()
    created = client.ok("POST", CONFIGMAPS, config_map("d"))
    wrong_uid = {"preconditions": {"uid": "not-the-uid"}}
    status = assert_status(client.call("DELETE", CONFIGMAPS + "/d", wrong_uid), 409, "Conflict")
    assert "Precondition failed: UID in precondition: not-the-uid" in status["message"]
    stale = {"preconditions": {"resourceVersion": "1"}}
    assert_status(client.call("DELETE", CONFIGMAPS + "/d", stale), 409, "Conflict")
    assert_status(client.call("DELETE", CONFIGMAPS + "/d", raw=b"{nope"), 400, "BadRequest")
    assert_status(client.call("DELETE", CONFIGMAPS + "/d", raw=b"[]"), 400, "BadRequest")
    exact = {
        "preconditions": {
            "uid": created["metadata"]["uid"],
            "resourceVersion": created["metadata"]["resourceVersion"],
        }
    }
    answer = client.ok("DELETE", CONFIGMAPS + "/d", exact)
    assert answer["status"] == "Success" and answer["details"]["uid"] == created["metadata"]["uid"]
    client.ok("POST", PODS, pod("p"))
    assert client.ok("DELETE", PODS + "/p")["kind"] == "Pod"  # the pod registry returns the object


@pytest.mark.requirement("API-STATUS-SUBRESOURCE")
def test_status_subresource_routes() -> None:
    client = Client()
    namespace = client.ok("GET", "/api/v1/namespaces/default/status")
    assert namespace["kind"] == "Namespace" and namespace["status"]["phase"] == "Active"
    client.ok("POST", CONFIGMAPS, config_map("c"))
    assert_status(client.call("GET", CONFIGMAPS + "/c/status"), 404, "NotFound")  # no status subresource
    client.ok("POST", PODS, pod("p"))
    assert_status(client.call("DELETE", PODS + "/p/status"), 405, "MethodNotAllowed")
    assert_status(client.call("GET", PODS + "/p/scale"), 404, "NotFound")
    assert_status(client.call("POST", "/version"), 405, "MethodNotAllowed")
    assert_status(client.call("POST", "/api/v1"), 405, "MethodNotAllowed")
    assert_status(client.call("POST", PODS, pod("q"), dryRun="Some"), 422, "Invalid")
    assert_status(client.call("GET", PODS, limit="x"), 400, "BadRequest")
    assert_status(client.call("GET", PODS, watch="1", timeoutSeconds="x"), 400, "BadRequest")
    assert_status(client.call("GET", PODS, watch="1", sendInitialEvents="true"), 400, "BadRequest")
    assert_status(client.call("GET", "/api/v1/pods/p"), 404, "NotFound")  # a pod is named with its namespace


# -- fuzz, sans-IO -------------------------------------------------------------------------------------------


def fuzz_answer(client: Client, method: str, target: str, body: bytes) -> tuple[int, bytes]:
    """Send a fuzzed request to the core as the HTTP driver would (path decoded, query split)."""
    split = urllib.parse.urlsplit(target)
    query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
    response = client.server.handle(Request(method, urllib.parse.unquote(split.path), query, {}, body))
    if isinstance(response, APIWatch):
        response.close()
        return 200, b""
    return response.status, response.body


@pytest.mark.requirement("API-BAD-INPUT")
@pytest.mark.requirement("API-STATUS-ERRORS")
@given(request=requests())
def test_fuzzed_requests_to_the_core_get_4xx_statuses(request: tuple[str, str, bytes]) -> None:
    client = Client()
    client.ok("POST", CONFIGMAPS, config_map("sentinel"))
    assert answer_problem(*fuzz_answer(client, *request)) is None, request
    assert client.ok("GET", CONFIGMAPS + "/sentinel")["data"] == {"a": "1"}


class CrashesOnBadJSON(APIServer):
    """Mutant: decodes bodies without catching JSON errors (a bug the catch-all turns into a 500)."""

    def _decode_body(self, request: Request, info: Any) -> KindModel:
        json.loads(request.body)
        return super()._decode_body(request, info)


@pytest.mark.requirement("API-BAD-INPUT")
def test_the_fuzz_finds_the_mutant_that_crashes_on_bad_json() -> None:
    mutant = mutant_client(CrashesOnBadJSON)
    found = find(
        requests(),
        lambda request: answer_problem(*fuzz_answer(mutant, *request)) is not None,
        settings=settings(max_examples=2000, database=None, phases=[Phase.generate]),
    )
    assert answer_problem(*fuzz_answer(mutant, *found)) == "a 500 answer"
