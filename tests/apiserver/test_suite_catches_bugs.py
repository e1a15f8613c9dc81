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

from conformance.apiserver.machine import machine_for  # noqa: E402
from conformance.violation import RequirementViolation  # noqa: E402
from impl.apiserver.core import APIServer, Request  # noqa: E402
from impl.apiserver.http import new_server, wall_clock  # noqa: E402
from impl.apiserver.provider import ReferenceAPIServerProvider  # noqa: E402
from impl.apiserver.storage import KV  # noqa: E402
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


def _core(server_class: type[APIServer]) -> Any:
    def factory(kv: KV, seed: int) -> APIServer:
        server = server_class(kv, clock=wall_clock, entropy=SeededEntropy(seed))
        server.bootstrap()
        return server

    return factory


def _kv(wrapper: type[KVWrapper]) -> Any:
    return lambda kv, seed: new_server(wrapper(kv), seed=seed)


@pytest.mark.parametrize(
    ("factory", "requirement"),
    [
        (_core(LastWriteWins), "API-OPTIMISTIC-CONCURRENCY"),
        (_kv(CreateOverwrites), "API-CREATE"),
        (_kv(DropsEveryOtherEvent), "API-WATCH-ORDER"),
        (_kv(ReadsTheLatest), "API-LIST-AT-VERSION"),
    ],
    ids=["stale-update-accepted", "create-overwrites", "watch-drops-events", "lists-the-present"],
)
def test_the_machine_catches(factory: Any, requirement: str) -> None:
    provider = ReferenceAPIServerProvider(server_factory=factory)
    with provider.serve() as kubeconfig:
        api = config.new_client_from_config(config_file=str(kubeconfig))
        try:
            with pytest.raises(RequirementViolation) as caught:
                run_state_machine_as_test(
                    machine_for(api),
                    settings=settings(
                        max_examples=60,
                        stateful_step_count=20,
                        deadline=None,
                        database=None,
                        derandomize=True,  # the same examples every run
                        phases=[Phase.generate],
                        suppress_health_check=list(HealthCheck),
                        report_multiple_bugs=False,
                    ),
                )
        finally:
            api.close()
    assert caught.value.requirement_id == requirement, str(caught.value)


def test_the_reference_passes_the_same_runs() -> None:
    with ReferenceAPIServerProvider().serve() as kubeconfig:
        api = config.new_client_from_config(config_file=str(kubeconfig))
        try:
            run_state_machine_as_test(
                machine_for(api),
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
