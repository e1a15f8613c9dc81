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
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from conformance.violation import require
from spec.apiserver import (
    API_CREATE,
    API_LIST_AT_VERSION,
    API_LIST_SELECTORS,
    API_NOT_FOUND,
    API_OPTIMISTIC_CONCURRENCY,
    API_RV_MONOTONIC,
    API_STATUS_ERRORS,
    API_WATCH_ORDER,
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
