"""A state machine over ConfigMaps in a namespace of its own, through the official ``kubernetes`` client.

Jepsen's split, for one client: the rules are API calls (create, get,
update with the current or a stale resourceVersion, delete, list with and
without a label selector, lists at a past resourceVersion, watches from a
past resourceVersion); a plain dictionary of what was stored is the model,
kept as it was after each write too; every answer is compared with it as
soon as it arrives. A list at the resourceVersion R of one of the run's
writes (resourceVersionMatch=Exact) must hold what the model held right
after that write (API-LIST-AT-VERSION); a watch from R must deliver the
run's changes after R, in order, and nothing else (API-WATCH-ORDER); when
the run ends, so must a watch from the resourceVersion the run started at.
Either may answer 410 Gone for a history compacted meanwhile
(API-WATCH-GONE allows that).

``OwnershipMachine`` covers deletion: ConfigMaps owning ConfigMaps
(ownerReferences by uid, some with blockOwnerDeletion) deleted with each
propagation policy, the answer checked at once (API-DELETE-PROPAGATION) and
the namespace then polled, bounded, until it holds what
``spec.apiserver.collect_garbage`` predicts once the garbage collector has
settled (API-GC-*; under Foreground the watch must show the blocking
dependents deleted before the owner); namespaces deleted with content (and
one object held by a finalizer, so that the namespace is certainly still
terminating when a create is tried: 403, API-NAMESPACE-TERMINATING), emptied
and removed (API-NAMESPACE-CASCADE); pods bound to a node deleted twice with
grace periods (API-GRACEFUL-DELETE). Against a real cluster the waits are
bounded by ``SETTLE_TIMEOUT_S``; the node named by the pods does not exist,
so no kubelet acts on them.

resourceVersions are compared as integers, as every etcd-backed API server
writes them (spec/apiserver.py, API-RV-MONOTONIC: the key's mod_revision);
the suite never assumes a fresh server, only that each write it makes gets
a resourceVersion above every one it saw before. An update that changes
nothing writes nothing and keeps the resourceVersion (upstream's
GuaranteedUpdate skips an unchanged object), so the model records no change
for it.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from conformance.violation import require
from spec.apiserver import (
    API_CREATE,
    API_DELETE_PROPAGATION,
    API_GC_BACKGROUND,
    API_GC_FOREGROUND,
    API_GC_ORPHAN,
    API_GRACEFUL_DELETE,
    API_LIST_AT_VERSION,
    API_LIST_SELECTORS,
    API_NAMESPACE_CASCADE,
    API_NAMESPACE_TERMINATING,
    API_NOT_FOUND,
    API_OPTIMISTIC_CONCURRENCY,
    API_RV_MONOTONIC,
    API_STATUS_ERRORS,
    API_WATCH_ORDER,
    FOREGROUND_FINALIZER,
    ORPHAN_FINALIZER,
    collect_garbage,
)
from spec.requirements import Requirement

NAMES = ("alpha", "beta", "gamma")
APPS = ("web", "db")
VALUES = ("1", "2", "3")
WATCH_TIMEOUT_S = 5
_namespaces = itertools.count(1)


@dataclass(frozen=True)
class Stored:
    value: str
    app: str
    resource_version: int


def _body(name: str, app: str, value: str, resource_version: str = "") -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": {"app": app}}
    if resource_version:
        metadata["resourceVersion"] = resource_version
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {"value": value}}


class ConfigMapMachine(RuleBasedStateMachine):
    #: Set by ``machine_for``: a ``kubernetes.client.ApiClient`` for the server under test.
    api: Any = None

    def __init__(self) -> None:
        super().__init__()
        from kubernetes import client  # an optional extra: imported only when the suite runs

        self.client = client
        self.core = client.CoreV1Api(self.api)
        self.namespace = f"kspec-{os.getpid()}-{next(_namespaces)}"
        self.core.create_namespace(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace}}
        )
        listed = self.core.list_namespaced_config_map(self.namespace)
        self.start = int(listed.metadata.resource_version)
        self.highest = self.start  # the highest resourceVersion seen
        self.model: dict[str, Stored] = {}
        #: The changes the run made, in order: (type, name, resourceVersion or None for a delete).
        self.changes: list[tuple[str, str, int | None]] = []
        #: (resourceVersion of a write, the model right after it, how many changes were made by then).
        self.history: list[tuple[int, dict[str, Stored], int]] = []

    # -- helpers ------------------------------------------------------------------------------

    def _fails(self, call: Any, code: int, reason: str, requirement: Requirement, what: str) -> None:
        """``call`` must fail with ``code`` and ``reason`` in a Kubernetes Status."""
        try:
            answer = call()
        except self.client.ApiException as error:
            got, body = error.status, error.body
        else:
            require(requirement, False, lambda: f"{what}: succeeded ({answer}), expected {code} {reason}")
        status = _status_of(body)
        require(requirement, got == code, lambda: f"{what}: HTTP {got} {body!r}, expected {code} {reason}")
        require(
            API_STATUS_ERRORS,
            status.get("kind") == "Status" and status.get("code") == code and status.get("reason") == reason,
            lambda: f"{what}: the error body is not a {code} {reason} Status: {body!r}",
        )

    def _written(self, obj: Any, what: str) -> int:
        """The resourceVersion of an object a write returned; it must exceed every one seen before."""
        version = int(obj.metadata.resource_version)
        require(
            API_RV_MONOTONIC,
            version > self.highest,
            lambda: f"{what}: resourceVersion {version}, not above {self.highest} seen before",
        )
        self.highest = version
        return version

    def _check_object(self, obj: Any, name: str, what: str) -> None:
        stored = self.model[name]
        got = (
            (obj.data or {}).get("value"),
            (obj.metadata.labels or {}).get("app"),
            int(obj.metadata.resource_version),
        )
        require(
            API_RV_MONOTONIC,
            got == (stored.value, stored.app, stored.resource_version),
            lambda: f"{what}: {name} is (value, app, resourceVersion) {got}, the model says {stored}",
        )

    # -- rules ----------------------------------------------------------------------------------

    @rule(name=st.sampled_from(NAMES), app=st.sampled_from(APPS), value=st.sampled_from(VALUES))
    def create(self, name: str, app: str, value: str) -> None:
        what = f"create {name}"
        if name in self.model:
            self._fails(
                lambda: self.core.create_namespaced_config_map(self.namespace, _body(name, app, value)),
                409,
                "AlreadyExists",
                API_CREATE,
                what,
            )
            return
        created = self.core.create_namespaced_config_map(self.namespace, _body(name, app, value))
        require(API_CREATE, bool(created.metadata.uid), lambda: f"{what}: no uid in {created.metadata}")
        version = self._written(created, what)
        self.model[name] = Stored(value, app, version)
        self.changes.append(("ADDED", name, version))
        self._remember(version)

    @rule(name=st.sampled_from(NAMES))
    def get(self, name: str) -> None:
        what = f"get {name}"
        if name not in self.model:
            self._fails(
                lambda: self.core.read_namespaced_config_map(name, self.namespace),
                404,
                "NotFound",
                API_NOT_FOUND,
                what,
            )
            return
        self._check_object(self.core.read_namespaced_config_map(name, self.namespace), name, what)

    @rule(
        name=st.sampled_from(NAMES),
        app=st.sampled_from(APPS),
        value=st.sampled_from(VALUES),
        stale=st.booleans(),
    )
    def update(self, name: str, app: str, value: str, stale: bool) -> None:
        what = f"update {name}"
        if name not in self.model:
            self._fails(
                lambda: self.core.replace_namespaced_config_map(
                    name, self.namespace, _body(name, app, value)
                ),
                404,
                "NotFound",
                API_NOT_FOUND,
                what,
            )
            return
        current = self.model[name].resource_version
        if stale:
            # Any other resourceVersion is stale: the one before this object's is never its own.
            self._fails(
                lambda: self.core.replace_namespaced_config_map(
                    name, self.namespace, _body(name, app, value, str(current - 1))
                ),
                409,
                "Conflict",
                API_OPTIMISTIC_CONCURRENCY,
                f"{what} with resourceVersion {current - 1} (stored: {current})",
            )
            return
        replaced = self.core.replace_namespaced_config_map(
            name, self.namespace, _body(name, app, value, str(current))
        )
        if (value, app) == (self.model[name].value, self.model[name].app):
            self._check_object(replaced, name, f"{what} changing nothing")
            return
        version = self._written(replaced, what)
        self.model[name] = Stored(value, app, version)
        self.changes.append(("MODIFIED", name, version))
        self._remember(version)

    @rule(name=st.sampled_from(NAMES))
    def delete(self, name: str) -> None:
        what = f"delete {name}"
        if name not in self.model:
            self._fails(
                lambda: self.core.delete_namespaced_config_map(name, self.namespace),
                404,
                "NotFound",
                API_NOT_FOUND,
                what,
            )
            return
        self.core.delete_namespaced_config_map(name, self.namespace)
        del self.model[name]
        self.changes.append(("DELETED", name, None))

    @rule(app=st.one_of(st.none(), st.sampled_from(APPS)))
    def list_objects(self, app: str | None) -> None:
        selector = f"app={app}" if app else None
        listed = self.core.list_namespaced_config_map(self.namespace, label_selector=selector)
        names = sorted(item.metadata.name for item in listed.items)
        wanted = sorted(name for name, stored in self.model.items() if app is None or stored.app == app)
        require(
            API_LIST_SELECTORS,
            names == wanted,
            lambda: f"list with labelSelector {selector!r}: {names}, the model holds {wanted}",
        )
        for item in listed.items:
            self._check_object(item, item.metadata.name, f"list {selector!r}")
        version = int(listed.metadata.resource_version)
        require(
            API_RV_MONOTONIC,
            version >= self.highest,
            lambda: f"list {selector!r}: resourceVersion {version} below {self.highest}, written before",
        )

    @precondition(lambda self: bool(self.history))
    @rule(data=st.data())
    def list_at_a_past_version(self, data: st.DataObject) -> None:
        """A list at resourceVersion R (resourceVersionMatch=Exact) is the model's state right after R."""
        version, then, _ = data.draw(st.sampled_from(self.history), label="version")
        what = f"list at resourceVersion {version} (Exact)"
        try:
            listed = self.core.list_namespaced_config_map(
                self.namespace, resource_version=str(version), resource_version_match="Exact"
            )
        except self.client.ApiException as error:
            code, body = error.status, error.body
            status = _status_of(body)
            require(API_LIST_AT_VERSION, code == 410, lambda: f"{what}: {code} {body!r}")
            require(API_STATUS_ERRORS, status.get("reason") == "Expired", lambda: f"{what}: {body!r}")
            return  # compacted meanwhile: a 410 is allowed
        got = {
            item.metadata.name: ((item.data or {}).get("value"), (item.metadata.labels or {}).get("app"))
            for item in listed.items
        }
        wanted = {name: (stored.value, stored.app) for name, stored in then.items()}
        require(API_LIST_AT_VERSION, got == wanted, lambda: f"{what}: {got}, the model then held {wanted}")
        require(
            API_LIST_AT_VERSION,
            listed.metadata.resource_version == str(version),
            lambda: f"{what}: the list says resourceVersion {listed.metadata.resource_version}",
        )

    @precondition(lambda self: bool(self.history))
    @rule(data=st.data())
    def watch_from_a_past_version(self, data: st.DataObject) -> None:
        """A watch from resourceVersion R delivers exactly the run's changes after R, in order."""
        version, _, made = data.draw(st.sampled_from(self.history), label="version")
        self._check_watch_from(version, self.changes[made:])

    def teardown(self) -> None:
        try:
            self._check_watch()
        finally:
            try:
                self.core.delete_namespace(self.namespace)
            except self.client.ApiException:
                pass  # a server without namespace deletion keeps it; the names never repeat

    def _remember(self, version: int) -> None:
        self.history.append((version, dict(self.model), len(self.changes)))

    def _check_watch(self) -> None:
        """A watch from the start replays every change in order, or ends with 410 Gone."""
        self._check_watch_from(self.start, self.changes)

    def _check_watch_from(self, start: int, changes: list[tuple[str, str, int | None]]) -> None:
        """A watch from ``start`` delivers ``changes`` (and nothing else) in order, or ends with 410 Gone."""
        if not changes:
            return
        from kubernetes import watch

        events: list[tuple[str, str, int]] = []
        failure: dict[str, Any] | None = None
        stream = watch.Watch()
        for event in stream.stream(
            self.core.list_namespaced_config_map,
            self.namespace,
            resource_version=str(start),
            timeout_seconds=WATCH_TIMEOUT_S,
        ):
            if event["type"] == "ERROR":
                failure = event.get("raw_object") or {}
                break
            obj = event["object"]
            events.append((event["type"], obj.metadata.name, int(obj.metadata.resource_version)))
            if len(events) >= len(changes):
                stream.stop()
        if failure is not None:
            require(API_WATCH_ORDER, failure.get("code") == 410, lambda: f"watch from {start}: {failure}")
            return  # the history was compacted meanwhile: API-WATCH-GONE allows that
        got = [(kind, name) for kind, name, _ in events]
        wanted = [(kind, name) for kind, name, _ in changes]
        require(
            API_WATCH_ORDER,
            got == wanted,
            lambda: f"a watch from {start} delivered {events}; the run made {changes}",
        )
        versions = [version for _, _, version in events]
        require(
            API_WATCH_ORDER,
            all(a < b for a, b in itertools.pairwise(versions)),
            lambda: f"a watch from {start} delivered resourceVersions out of order: {events}",
        )
        written = [(name, version) for kind, name, version in changes if version is not None]
        seen = [(name, version) for kind, name, version in events if kind != "DELETED"]
        require(
            API_WATCH_ORDER,
            seen == written,
            lambda: f"the watch's ADDED/MODIFIED resourceVersions {seen} are not the writes' {written}",
        )


def _status_of(body: str | bytes | None) -> dict[str, Any]:
    try:
        decoded = json.loads(body or b"{}")
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def machine_for(api: Any) -> type[ConfigMapMachine]:
    """The machine class bound to a ``kubernetes.client.ApiClient``."""
    return type("ConfigMapMachine", (ConfigMapMachine,), {"api": api})


# -- owners, dependents, propagation policies, namespaces, graceful deletion -------------------------------

OWNED = ("o1", "o2", "o3", "o4", "o5")
POLICIES = (None, "Background", "Foreground", "Orphan")
#: How long the controllers (garbage collector, namespace controller) get to settle, polled.
SETTLE_TIMEOUT_S = 30.0
_POLL_S = 0.02
HOLD_FINALIZER = "kspec.io/hold"
#: What a real cluster's root-CA publisher puts in every namespace; not the run's.
ROOT_CA_CONFIGMAP = "kube-root-ca.crt"


@dataclass(frozen=True)
class Owned:
    uid: str
    owners: tuple[str, ...]  # names of the owners its references name
    blocking: tuple[str, ...]  # the owners whose reference has blockOwnerDeletion: true


class OwnershipMachine(RuleBasedStateMachine):
    """ConfigMaps owning ConfigMaps, deleted with every propagation policy; namespaces deleted with
    content; pods deleted gracefully twice. After each delete the run waits (bounded, polling) for the
    state ``spec.apiserver.collect_garbage`` predicts once the controllers settle."""

    api: Any = None

    def __init__(self) -> None:
        super().__init__()
        from kubernetes import client

        self.client = client
        self.core = client.CoreV1Api(self.api)
        self.namespace = f"kspec-gc-{os.getpid()}-{next(_namespaces)}"
        self.core.create_namespace(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace}}
        )
        self.model: dict[str, Owned] = {}
        self.terminated = 0
        self.pods = 0

    # -- helpers ------------------------------------------------------------------------------

    def _raw(self, call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The answer's JSON as sent (the client would decode a delete's object as a Status)."""
        response = call(*args, _preload_content=False, **kwargs)
        return _status_of(response.data)

    def _state(self) -> dict[str, tuple[str, ...]]:
        listed = self.core.list_namespaced_config_map(self.namespace)
        by_uid = {stored.uid: name for name, stored in self.model.items()}
        state = {}
        for item in listed.items:
            if item.metadata.name == ROOT_CA_CONFIGMAP:
                continue
            references = item.metadata.owner_references or []
            state[item.metadata.name] = tuple(sorted(by_uid.get(r.uid, f"uid:{r.uid}") for r in references))
        return state

    def _wait_for(self, predicted: dict[str, tuple[str, ...]], requirement: Requirement, what: str) -> None:
        """Poll until the namespace holds what the model predicts; an object the model keeps that is
        gone fails at once (nothing brings it back)."""
        wanted = {name: tuple(sorted(owners)) for name, owners in predicted.items()}
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while True:
            state = self._state()
            lost = sorted(set(wanted) - set(state))
            require(
                requirement, not lost, lambda lost=lost: f"{what}: {lost} deleted; the model keeps {wanted}"
            )
            if state == wanted:
                return
            require(
                requirement,
                time.monotonic() < deadline,
                lambda state=state: (
                    f"{what}: after {SETTLE_TIMEOUT_S} s the namespace holds {state}, the model {wanted}"
                ),
            )
            time.sleep(_POLL_S)

    def _deletions_in_order(self, since: str, expected: set[str]) -> list[str]:
        """The names of the DELETED events after resourceVersion ``since``, until ``expected`` are seen."""
        from kubernetes import watch

        order: list[str] = []
        stream = watch.Watch()
        for event in stream.stream(
            self.core.list_namespaced_config_map,
            self.namespace,
            resource_version=since,
            timeout_seconds=WATCH_TIMEOUT_S,
        ):
            if event["type"] == "ERROR":
                break  # compacted meanwhile: the order cannot be checked
            if event["type"] == "DELETED":
                order.append(event["object"].metadata.name)
                if expected <= set(order):
                    stream.stop()
        return order

    # -- rules ----------------------------------------------------------------------------------

    @precondition(lambda self: len(self.model) < len(OWNED))
    @rule(
        picks=st.lists(st.integers(min_value=0, max_value=len(OWNED) - 1), min_size=1, max_size=2),
        block=st.booleans(),
    )
    def create(self, picks: list[int], block: bool) -> None:
        """A ConfigMap named after the first free name, owned by existing ones (chosen by index)."""
        name = next(n for n in OWNED if n not in self.model)
        existing = sorted(self.model)
        owners = sorted({existing[i % len(existing)] for i in picks}) if existing else []
        references = [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "name": owner,
                "uid": self.model[owner].uid,
                **({"blockOwnerDeletion": True} if block else {}),
            }
            for owner in owners
        ]
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, **({"ownerReferences": references} if references else {})},
        }
        created = self.core.create_namespaced_config_map(self.namespace, body)
        self.model[name] = Owned(created.metadata.uid, tuple(owners), tuple(owners) if block else ())

    @precondition(lambda self: bool(self.model))
    @rule(index=st.integers(min_value=0, max_value=len(OWNED) - 1), policy=st.sampled_from(POLICIES))
    def delete(self, index: int, policy: str | None) -> None:
        """An existing ConfigMap (chosen by index, owners first) deleted with ``policy``."""
        owners = {o for stored in self.model.values() for o in stored.owners}
        existing = sorted(self.model, key=lambda n: (n not in owners, n))
        name = existing[index % len(existing)]
        what = f"delete {name} with propagationPolicy {policy}"
        since = self.core.list_namespaced_config_map(self.namespace).metadata.resource_version
        body = {"propagationPolicy": policy} if policy else None
        answer = self._raw(
            self.core.delete_namespaced_config_map_with_http_info, name, self.namespace, body=body
        )
        finalizers = (answer.get("metadata") or {}).get("finalizers") or []
        if policy in ("Orphan", "Foreground"):
            wanted = ORPHAN_FINALIZER if policy == "Orphan" else FOREGROUND_FINALIZER
            require(
                API_DELETE_PROPAGATION,
                wanted in finalizers and bool(answer["metadata"].get("deletionTimestamp")),
                lambda: f"{what}: answered {answer}, not the object marked with the {wanted} finalizer",
            )
        else:
            require(
                API_DELETE_PROPAGATION,
                answer.get("kind") == "Status" and answer.get("status") == "Success",
                lambda: (
                    f"{what}: answered {answer}, not a Success Status (an object without finalizers goes)"
                ),
            )
        owners = {n: stored.owners for n, stored in self.model.items()}
        predicted = collect_garbage(owners, name, policy)
        requirement = {"Orphan": API_GC_ORPHAN, "Foreground": API_GC_FOREGROUND}.get(
            policy or "", API_GC_BACKGROUND
        )
        self._wait_for(predicted, requirement, what)
        blocking = {n for n, stored in self.model.items() if name in stored.blocking and n not in predicted}
        if policy == "Foreground" and blocking:
            order = self._deletions_in_order(since, blocking | {name})
            if name in order:
                early = sorted(n for n in blocking if n not in order[: order.index(name)])
                require(
                    API_GC_FOREGROUND,
                    not early,
                    lambda: f"{what}: the owner was deleted before its blocking dependents {early} ({order})",
                )
        self.model = {
            n: Owned(self.model[n].uid, refs, tuple(b for b in self.model[n].blocking if b in refs))
            for n, refs in predicted.items()
        }

    @rule(content=st.integers(min_value=0, max_value=3))
    def terminate_namespace(self, content: int) -> None:
        self.terminated += 1
        namespace = f"{self.namespace}-t{self.terminated}"
        what = f"namespace {namespace} deleted with {content} objects and one held by a finalizer"
        self.core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        for index in range(content):
            self.core.create_namespaced_config_map(namespace, {"metadata": {"name": f"c{index}"}})
        held = {"metadata": {"name": "held", "finalizers": [HOLD_FINALIZER]}}
        self.core.create_namespaced_config_map(namespace, held)
        answer = self._raw(self.core.delete_namespace_with_http_info, namespace)
        require(
            API_NAMESPACE_TERMINATING,
            (answer.get("status") or {}).get("phase") == "Terminating",
            lambda: f"{what}: the delete answered {answer}, not the namespace in phase Terminating",
        )
        try:
            late = self.core.create_namespaced_config_map(namespace, {"metadata": {"name": "late"}})
        except self.client.ApiException as error:
            code, body = error.status, error.body
            status = _status_of(body)
            require(
                API_NAMESPACE_TERMINATING,
                code == 403 and status.get("reason") == "Forbidden",
                lambda: f"{what}: a create answered {code} {body!r}, not 403 Forbidden",
            )
        else:
            require(API_NAMESPACE_TERMINATING, False, lambda: f"{what}: a create succeeded: {late.metadata}")
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while True:
            names = sorted(i.metadata.name for i in self.core.list_namespaced_config_map(namespace).items)
            names = [n for n in names if n != ROOT_CA_CONFIGMAP]
            if names == ["held"]:
                break
            require(
                API_NAMESPACE_CASCADE,
                time.monotonic() < deadline,
                lambda names=names: f"{what}: after {SETTLE_TIMEOUT_S} s it still holds {names}",
            )
            time.sleep(_POLL_S)
        self.core.patch_namespaced_config_map("held", namespace, {"metadata": {"finalizers": None}})
        while True:
            try:
                self.core.read_namespace(namespace)
            except self.client.ApiException as error:
                code = error.status
                require(API_NAMESPACE_CASCADE, code == 404, lambda code=code: f"{what}: read answered {code}")
                return
            require(
                API_NAMESPACE_CASCADE,
                time.monotonic() < deadline,
                lambda: f"{what}: still there {SETTLE_TIMEOUT_S} s after its content went",
            )
            time.sleep(_POLL_S)

    @rule(first=st.integers(min_value=1, max_value=100), second=st.integers(min_value=1, max_value=100))
    def delete_pod_twice(self, first: int, second: int) -> None:
        self.pods += 1
        name = f"p{self.pods}"
        what = f"pod {name} deleted with grace {first}, then {second}"
        body = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {"nodeName": "kspec-no-such-node", "containers": [{"name": "c", "image": "busybox"}]},
        }
        self.core.create_namespaced_pod(self.namespace, body)
        delete = self.core.delete_namespaced_pod_with_http_info
        marked = self._raw(delete, name, self.namespace, body={"gracePeriodSeconds": first})
        again = self._raw(delete, name, self.namespace, body={"gracePeriodSeconds": second})
        grace = (again.get("metadata") or {}).get("deletionGracePeriodSeconds")
        require(
            API_GRACEFUL_DELETE,
            (marked.get("metadata") or {}).get("deletionGracePeriodSeconds") == first
            and grace == min(first, second),
            lambda: (
                f"{what}: deletionGracePeriodSeconds {marked.get('metadata')} then {grace}, "
                f"expected {first} then {min(first, second)} (a later delete may only shorten it)"
            ),
        )
        self._raw(delete, name, self.namespace, body={"gracePeriodSeconds": 0})
        try:
            self.core.read_namespaced_pod(name, self.namespace)
        except self.client.ApiException as error:
            code = error.status
            require(API_GRACEFUL_DELETE, code == 404, lambda: f"{what}: read after grace 0 answered {code}")
        else:
            require(API_GRACEFUL_DELETE, False, lambda: f"{what}: still there after a delete with grace 0")

    def teardown(self) -> None:
        try:
            self.core.delete_namespace(self.namespace)
        except self.client.ApiException:
            pass


def ownership_machine_for(api: Any) -> type[OwnershipMachine]:
    """The ownership machine class bound to a ``kubernetes.client.ApiClient``."""
    return type("OwnershipMachine", (OwnershipMachine,), {"api": api})
