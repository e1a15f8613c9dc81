"""The apiserver suite (conformance/apiserver/machine.py) catches seeded bugs of the reference API server.

Each variant serves a broken core or a broken kv client through the same
``ReferenceAPIServerProvider``; the machine must fail with the requirement
the bug breaks. A variant it does not catch fails this test.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

config = pytest.importorskip("kubernetes.config")

from conformance.apiserver.machine import machine_for, ownership_machine_for  # noqa: E402
from conformance.apiserver.specstatus import spec_status_machine_for  # noqa: E402
from conformance.violation import violated_requirements  # noqa: E402
from impl.apiserver.core import APIServer, Request  # noqa: E402
from impl.apiserver.http import new_server, wall_clock  # noqa: E402
from impl.apiserver.provider import ReferenceAPIServerProvider  # noqa: E402
from impl.apiserver.storage import KV  # noqa: E402
from impl.controllers import garbagecollector  # noqa: E402
from impl.controllers.client import Resources  # noqa: E402
from impl.controllers.runner import DEFAULT_CONTROLLERS, Controller  # noqa: E402
from spec import apiserver  # noqa: E402
from spec.entropy import SeededEntropy  # noqa: E402
from spec.kv import (  # noqa: E402
    CompareTarget,
    RangeRequest,
    Response,
    TxnRequest,
    WatchCreateRequest,
    WatchResponse,
)
from spec.kv import Request as KVRequest  # noqa: E402
from spec.objects import apps, core  # noqa: E402
from spec.objects.registry import info_of  # noqa: E402


class LastWriteWins(APIServer):
    """Drops the resourceVersion an update carries: a stale update overwrites a newer object."""

    def _decode_body(self, request: Request, info: Any) -> Any:
        obj = super()._decode_body(request, info)
        if request.method == "PUT":
            obj = obj.replace(metadata=obj.metadata.replace(resource_version=""))
        return obj


class KVWrapper:
    def __init__(self, inner: KV) -> None:
        self.inner = inner

    def call(self, request: KVRequest) -> Response:
        return self.inner.call(request)

    def watch(self, request: WatchCreateRequest) -> Any:
        return self.inner.watch(request)

    def close(self) -> None:
        self.inner.close()


class CreateOverwrites(KVWrapper):
    """Storage that drops a txn's "key does not exist yet" compare: a create replaces what is there."""

    def call(self, request: KVRequest) -> Response:
        if isinstance(request, TxnRequest) and any(
            c.target == CompareTarget.MOD and c.mod_revision == 0 for c in request.compare
        ):
            request = replace(request, compare=())
        return self.inner.call(request)


class DropsEveryOtherEvent(KVWrapper):
    """Watch streams that lose every second response with events."""

    def watch(self, request: WatchCreateRequest) -> Any:
        return _Dropping(self.inner.watch(request))


class _Dropping:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.count = 0

    def receive(self, timeout_s: float) -> list[WatchResponse]:
        kept = []
        for response in self.inner.receive(timeout_s):
            if response.events:
                self.count += 1
                if self.count % 2 == 0:
                    continue
            kept.append(response)
        return kept

    def cancel(self) -> None:
        self.inner.cancel()


class ReadsTheLatest(KVWrapper):
    """Storage that answers every range at the current revision: a list at a past version sees the present."""

    def call(self, request: KVRequest) -> Response:
        if isinstance(request, RangeRequest) and request.revision:
            request = replace(request, revision=0)
        return self.inner.call(request)


class AcceptsCreatesWhileTerminating(APIServer):
    """NamespaceLifecycle that only checks that the namespace exists."""

    def _admit_namespace(self, target: Any, obj: Any) -> None:
        if (
            self.storage.get(apiserver.object_key(info_of(core.Namespace), "", obj.metadata.namespace))
            is None
        ):
            super()._admit_namespace(target, obj)


class LengthensGrace(APIServer):
    """A second delete of a pod starts its grace period afresh, with whatever the request asks."""

    def _delete(self, request: Request, target: Any) -> Any:
        if target.info.model is core.Pod and target.name:
            pod, stored = self._read(target, target.name)
            if pod.metadata.deletion_timestamp is not None:
                fresh = pod.replace(
                    metadata=pod.metadata.replace(deletion_timestamp=None, deletion_grace_period_seconds=None)
                )
                self.storage.update(stored.key, self._encode(fresh), stored.mod_revision)
        return super()._delete(request, target)


class StatusWritesSpec(APIServer):
    """An update of /status that also takes the spec of the body (the status strategy forgotten)."""

    def _prepare_for_update(self, new: Any, old: Any, *, status_only: bool) -> Any:
        prepared = super()._prepare_for_update(new, old, status_only=status_only)
        if status_only and hasattr(new, "spec"):
            prepared = prepared.replace(spec=new.spec)
        return prepared


class GenerationOnEveryUpdate(APIServer):
    """generation bumped by every update of the main resource, spec changed or not."""

    def _prepare_for_update(self, new: Any, old: Any, *, status_only: bool) -> Any:
        prepared = super()._prepare_for_update(new, old, status_only=status_only)
        if (
            not status_only
            and old.metadata.generation
            and prepared.metadata.generation == old.metadata.generation
        ):
            prepared = prepared.replace(
                metadata=prepared.metadata.replace(generation=old.metadata.generation + 1)
            )
        return prepared


class FinalizersIgnored(APIServer):
    """A delete that removes an object its finalizers should hold."""

    def _delete(self, request: Request, target: Any) -> Any:
        if target.name and target.info.model is apps.Deployment:
            obj, stored = self._read(target, target.name)
            if obj.metadata.finalizers:
                cleared = obj.replace(metadata=obj.metadata.replace(finalizers=()))
                self.storage.update(stored.key, self._encode(cleared), stored.mod_revision)
        return super()._delete(request, target)


def gc_deletes_orphans(client: Resources) -> int:
    """A collector that deletes the dependents of an owner deleted with Orphan."""
    actions = 0
    for owner in garbagecollector.Graph(client).nodes:
        if owner.deleting and apiserver.ORPHAN_FINALIZER in owner.finalizers:
            for dependent in owner.dependents:
                actions += garbagecollector._delete(client, dependent, "Background")
    return actions + garbagecollector.reconcile(client)


def gc_drops_foreground_first(client: Resources) -> int:
    """A collector that lets a Foreground owner go before its (blocking) dependents."""
    actions = 0
    for owner in garbagecollector.Graph(client).nodes:
        if owner.deleting and apiserver.FOREGROUND_FINALIZER in owner.finalizers:
            stripped = garbagecollector._without_finalizer(owner.obj, apiserver.FOREGROUND_FINALIZER)
            actions += client.update(owner.info, stripped) is not None
    return actions + garbagecollector.reconcile(client)


def _gc(broken: Controller) -> tuple[Controller, ...]:
    return tuple(broken if c is garbagecollector.reconcile else c for c in DEFAULT_CONTROLLERS)


def _core(server_class: type[APIServer]) -> Any:
    def factory(kv: KV, seed: int) -> APIServer:
        server = server_class(kv, clock=wall_clock, entropy=SeededEntropy(seed))
        server.bootstrap()
        return server

    return factory


def _kv(wrapper: type[KVWrapper]) -> Any:
    return lambda kv, seed: new_server(wrapper(kv), seed=seed)


_SETTINGS = dict(
    stateful_step_count=20,
    deadline=None,
    database=None,
    derandomize=True,  # the same examples every run
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)


@pytest.mark.parametrize(
    ("machine", "factory", "controllers", "requirement"),
    [
        (machine_for, _core(LastWriteWins), DEFAULT_CONTROLLERS, "API-OPTIMISTIC-CONCURRENCY"),
        (machine_for, _kv(CreateOverwrites), DEFAULT_CONTROLLERS, "API-CREATE"),
        (machine_for, _kv(DropsEveryOtherEvent), DEFAULT_CONTROLLERS, "API-WATCH-ORDER"),
        (machine_for, _kv(ReadsTheLatest), DEFAULT_CONTROLLERS, "API-LIST-AT-VERSION"),
        (ownership_machine_for, _kv(KVWrapper), _gc(gc_deletes_orphans), "API-GC-ORPHAN"),
        (ownership_machine_for, _kv(KVWrapper), _gc(gc_drops_foreground_first), "API-GC-FOREGROUND"),
        (
            ownership_machine_for,
            _core(AcceptsCreatesWhileTerminating),
            DEFAULT_CONTROLLERS,
            "API-NAMESPACE-TERMINATING",
        ),
        (ownership_machine_for, _core(LengthensGrace), DEFAULT_CONTROLLERS, "API-GRACEFUL-DELETE"),
        (spec_status_machine_for, _core(StatusWritesSpec), DEFAULT_CONTROLLERS, "API-STATUS-SUBRESOURCE"),
        (spec_status_machine_for, _core(GenerationOnEveryUpdate), DEFAULT_CONTROLLERS, "API-GENERATION"),
        (spec_status_machine_for, _core(FinalizersIgnored), DEFAULT_CONTROLLERS, "API-FINALIZERS"),
    ],
    ids=[
        "stale-update-accepted",
        "create-overwrites",
        "watch-drops-events",
        "lists-the-present",
        "gc-deletes-orphans",
        "foreground-owner-first",
        "creates-while-terminating",
        "grace-lengthened",
        "status-writes-spec",
        "generation-on-every-update",
        "finalizers-ignored",
    ],
)
def test_the_machine_catches(machine: Any, factory: Any, controllers: Any, requirement: str) -> None:
    provider = ReferenceAPIServerProvider(server_factory=factory, controllers=controllers)
    with provider.serve() as kubeconfig:
        api = config.new_client_from_config(config_file=str(kubeconfig))
        try:
            # A wall-clock run (the controllers run in a thread) may come back as a Flaky error around
            # the violation when Hypothesis' replay goes differently: the violation is what counts.
            with pytest.raises(BaseException) as caught:
                run_state_machine_as_test(machine(api), settings=settings(max_examples=100, **_SETTINGS))
        finally:
            api.close()
    assert violated_requirements(caught.value)[:1] == (requirement,), repr(caught.value)


@pytest.mark.parametrize(
    "machine",
    [machine_for, ownership_machine_for, spec_status_machine_for],
    ids=["configmaps", "ownership", "spec-status"],
)
def test_the_reference_passes_the_same_runs(machine: Any) -> None:
    with ReferenceAPIServerProvider().serve() as kubeconfig:
        api = config.new_client_from_config(config_file=str(kubeconfig))
        try:
            run_state_machine_as_test(
                machine(api),
                settings=settings(
                    max_examples=30,
                    stateful_step_count=20,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                ),
            )
        finally:
            api.close()


def test_kubeconfig_implementation_names_a_file(tmp_path: Any) -> None:
    from conformance.adapters import ImplementationError, load_implementation

    loaded = load_implementation(f"kubeconfig:{tmp_path / 'missing'}")
    assert loaded.provides("apiserver") and not loaded.provides("kv")
    with pytest.raises(FileNotFoundError), loaded.component("apiserver").serve():
        pass
    with pytest.raises(ImplementationError, match="needs the path"):
        load_implementation("kubeconfig:")
