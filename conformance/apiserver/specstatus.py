"""A state machine over Deployments through two clients: spec and status, generation, finalizers, patches.

Two official clients (two connections, as two controllers would hold) take
turns: each rule uses the one Hypothesis picks. Rules update a Deployment's
spec (replace with the current or a stale resourceVersion, or a merge
patch), write its status through ``/status``, send a status change through
the main resource, delete it (with or without a finalizer holding it) and
clear its finalizers. A model of spec.replicas, status.replicas, generation
and the deletion mark predicts every answer:

- generation is 1 on create and grows by one exactly when spec changes, or
  when an object with finalizers is marked for deletion (API-GENERATION,
  API-FINALIZERS);
- ``/status`` changes status only; the main resource keeps the stored status
  (API-STATUS-SUBRESOURCE);
- a stale resourceVersion conflicts and changes nothing
  (API-OPTIMISTIC-CONCURRENCY);
- a delete of an object with finalizers marks it (deletionTimestamp, 200
  with the object) and leaves it readable; the update that clears the last
  finalizer removes it (API-FINALIZERS);
- merge patches change exactly what they name (API-PATCH-MERGE).
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from conformance.violation import require
from spec.apiserver import (
    API_FINALIZERS,
    API_GENERATION,
    API_OPTIMISTIC_CONCURRENCY,
    API_STATUS_SUBRESOURCE,
)
from spec.patch import API_PATCH_MERGE

NAMES = ("web", "api")
HOLD = "kspec.io/hold"
_namespaces = itertools.count(1)


@dataclass(frozen=True)
class Wanted:
    """What the model says a stored Deployment is."""

    replicas: int
    status_replicas: int
    generation: int
    finalizers: tuple[str, ...]
    deleting: bool = False


def deployment(name: str, replicas: int, finalizers: tuple[str, ...]) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "finalizers": list(finalizers)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
            },
        },
    }


class SpecStatusMachine(RuleBasedStateMachine):
    #: Set by ``machine_for``: ``kubernetes.client.ApiClient`` objects for the server under test.
    apis: tuple[Any, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        from kubernetes import client  # an optional extra: imported only when the suite runs

        self.client = client
        self.apps = [client.AppsV1Api(api) for api in self.apis]
        self.namespace = f"kspec-gen-{os.getpid()}-{next(_namespaces)}"
        client.CoreV1Api(self.apis[0]).create_namespace(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace}}
        )
        self.model: dict[str, Wanted] = {}
        self.log: list[str] = []

    # -- helpers ------------------------------------------------------------------------------

    def _apps(self, which: int) -> Any:
        return self.apps[which % len(self.apps)]

    def _read(self, name: str) -> Any:
        return self.apps[0].read_namespaced_deployment(name, self.namespace)

    def _check(self, obj: Any, name: str, what: str) -> None:
        wanted = self.model[name]
        got = Wanted(
            obj.spec.replicas,
            (obj.status.replicas if obj.status else None) or 0,
            obj.metadata.generation,
            tuple(obj.metadata.finalizers or ()),
            obj.metadata.deletion_timestamp is not None,
        )
        history = "\n".join(self.log)
        require(
            API_GENERATION,
            got.generation == wanted.generation,
            lambda: f"{what}: generation {got.generation}, the model says {wanted.generation}\n{history}",
        )
        require(
            API_STATUS_SUBRESOURCE,
            (got.replicas, got.status_replicas) == (wanted.replicas, wanted.status_replicas),
            lambda: (
                f"{what}: spec.replicas {got.replicas} and status.replicas {got.status_replicas}, the model "
                f"says {wanted.replicas} and {wanted.status_replicas}\n{history}"
            ),
        )
        require(
            API_FINALIZERS,
            (got.finalizers, got.deleting) == (wanted.finalizers, wanted.deleting),
            lambda: (
                f"{what}: finalizers {got.finalizers}, being deleted {got.deleting}; the model says "
                f"{wanted.finalizers}, {wanted.deleting}\n{history}"
            ),
        )

    # -- rules ----------------------------------------------------------------------------------

    @precondition(lambda self: len(self.model) < len(NAMES))
    @rule(data=st.data(), replicas=st.integers(0, 5), hold=st.booleans(), which=st.integers(0, 1))
    def create(self, data: st.DataObject, replicas: int, hold: bool, which: int) -> None:
        name = data.draw(st.sampled_from([n for n in NAMES if n not in self.model]))
        finalizers = (HOLD,) if hold else ()
        created = self._apps(which).create_namespaced_deployment(
            self.namespace, deployment(name, replicas, finalizers)
        )
        self.model[name] = Wanted(replicas, 0, 1, finalizers)
        self.log.append(f"create {name} replicas={replicas} finalizers={finalizers}")
        self._check(created, name, f"create {name}")

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), replicas=st.integers(0, 5), stale=st.booleans(), which=st.integers(0, 1))
    def update_spec(self, data: st.DataObject, replicas: int, stale: bool, which: int) -> None:
        name = data.draw(st.sampled_from(sorted(self.model)))
        current = self._read(name)
        current.spec.replicas = replicas
        what = f"update {name} spec.replicas={replicas}{' (stale)' if stale else ''}"
        self.log.append(what)
        if stale:
            current.metadata.resource_version = str(int(current.metadata.resource_version) - 1)
            try:
                self._apps(which).replace_namespaced_deployment(name, self.namespace, current)
            except self.client.ApiException as error:
                code = error.status
                require(API_OPTIMISTIC_CONCURRENCY, code == 409, lambda: f"{what}: {code}, expected 409")
            else:
                require(API_OPTIMISTIC_CONCURRENCY, False, lambda: f"{what}: accepted, expected 409")
            self._check(self._read(name), name, f"after {what}")
            return
        wanted = self.model[name]
        changed = replicas != wanted.replicas
        updated = self._apps(which).replace_namespaced_deployment(name, self.namespace, current)
        self.model[name] = replace(wanted, replicas=replicas, generation=wanted.generation + changed)
        self._check(updated, name, what)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), replicas=st.integers(0, 5), which=st.integers(0, 1))
    def patch_spec(self, data: st.DataObject, replicas: int, which: int) -> None:
        name = data.draw(st.sampled_from(sorted(self.model)))
        what = f"merge-patch {name} spec.replicas={replicas}"
        self.log.append(what)
        wanted = self.model[name]
        patched = self._apps(which).patch_namespaced_deployment(
            name, self.namespace, {"spec": {"replicas": replicas}}
        )
        require(
            API_PATCH_MERGE,
            patched.spec.replicas == replicas,
            lambda: f"{what}: spec.replicas {patched.spec.replicas}",
        )
        changed = replicas != wanted.replicas
        self.model[name] = replace(wanted, replicas=replicas, generation=wanted.generation + changed)
        self._check(patched, name, what)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), replicas=st.integers(0, 5), spec_too=st.integers(0, 5), which=st.integers(0, 1))
    def update_status(self, data: st.DataObject, replicas: int, spec_too: int, which: int) -> None:
        """Through /status, with a spec change in the same body that must be ignored."""
        name = data.draw(st.sampled_from(sorted(self.model)))
        current = self._read(name)
        current.status = self.client.V1DeploymentStatus(replicas=replicas)
        current.spec.replicas = spec_too
        what = f"update {name}/status replicas={replicas} (spec.replicas {spec_too} in the body)"
        self.log.append(what)
        updated = self._apps(which).replace_namespaced_deployment_status(name, self.namespace, current)
        self.model[name] = replace(self.model[name], status_replicas=replicas)
        self._check(updated, name, what)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), replicas=st.integers(1, 5), which=st.integers(0, 1))
    def status_through_the_main_resource(self, data: st.DataObject, replicas: int, which: int) -> None:
        """A status change sent to the main resource is dropped; nothing else changes."""
        name = data.draw(st.sampled_from(sorted(self.model)))
        current = self._read(name)
        stored = (current.status.replicas if current.status else None) or 0
        current.status = self.client.V1DeploymentStatus(replicas=stored + replicas)
        what = f"update {name} with status.replicas changed"
        self.log.append(what)
        updated = self._apps(which).replace_namespaced_deployment(name, self.namespace, current)
        self._check(updated, name, what)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), which=st.integers(0, 1))
    def delete(self, data: st.DataObject, which: int) -> None:
        name = data.draw(st.sampled_from(sorted(self.model)))
        wanted = self.model[name]
        what = f"delete {name}"
        self.log.append(what)
        self._apps(which).delete_namespaced_deployment(name, self.namespace)
        if not wanted.finalizers:
            del self.model[name]
            self._gone(name, what)
            return
        if not wanted.deleting:
            # Marked once; generation grows for kinds that track it (BeforeDelete).
            self.model[name] = replace(wanted, deleting=True, generation=wanted.generation + 1)
        try:
            held = self._read(name)
        except self.client.ApiException as error:
            code = error.status
            require(API_FINALIZERS, False, lambda: f"after {what}: {code}, but {wanted.finalizers} hold it")
        self._check(held, name, f"after {what}")

    @precondition(lambda self: any(w.finalizers for w in self.model.values()))
    @rule(data=st.data(), which=st.integers(0, 1))
    def clear_finalizers(self, data: st.DataObject, which: int) -> None:
        name = data.draw(st.sampled_from(sorted(n for n, w in self.model.items() if w.finalizers)))
        wanted = self.model[name]
        what = f"clear the finalizers of {name}"
        self.log.append(what)
        self._apps(which).patch_namespaced_deployment(
            name, self.namespace, {"metadata": {"finalizers": None}}
        )
        if wanted.deleting:
            del self.model[name]
            self._gone(name, what)
            return
        self.model[name] = replace(wanted, finalizers=())
        self._check(self._read(name), name, what)

    def _gone(self, name: str, what: str) -> None:
        try:
            obj = self._read(name)
        except self.client.ApiException as error:
            code = error.status
            require(API_FINALIZERS, code == 404, lambda: f"after {what}: {code}, expected 404")
        else:
            require(API_FINALIZERS, False, lambda: f"after {what}: still there, {obj.metadata}")

    def teardown(self) -> None:
        for name, wanted in self.model.items():
            if wanted.finalizers:  # let the namespace go (if the run failed, the object may be gone)
                try:
                    self.apps[0].patch_namespaced_deployment(
                        name, self.namespace, {"metadata": {"finalizers": None}}
                    )
                except self.client.ApiException:
                    pass
        try:
            self.client.CoreV1Api(self.apis[0]).delete_namespace(self.namespace)
        except self.client.ApiException:
            pass  # a server without namespace deletion keeps it; the names never repeat


def spec_status_machine_for(*apis: Any) -> type[SpecStatusMachine]:
    """The machine bound to one or more ``kubernetes.client.ApiClient`` objects (one per client)."""
    return type("SpecStatusMachine", (SpecStatusMachine,), {"apis": tuple(apis)})
