"""The EndpointSlice machine (conformance/workloads/endpointslice.py) catches seeded bugs, each a test-only
variant of the reference controller, with the right requirement ID; the reference passes the same runs."""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import Any

import pytest
from hypothesis.stateful import run_state_machine_as_test

from conformance.violation import RequirementViolation
from conformance.workloads.endpointslice import machine_for
from impl.controllers.endpointslice import EndpointSliceController
from impl.controllers.replicaset import ReplicaSetController
from impl.controlplane import SimulatedControlPlaneProvider
from spec.workloads.endpointslice import Endpoint, Slice
from tests.controllers.seeded import seeded_bug_settings

#: 80 examples caught every bug until a CI-like run (two workers) did not catch never-removes-endpoints.
SETTINGS = seeded_bug_settings(max_examples=160, stateful_step_count=30)


class KeepsTerminatingReady(EndpointSliceController):
    """ready = serving: a terminating pod that is still Ready stays ready (the compatibility rule ignored)."""

    def _pack(self, existing: list[Slice], desired: dict[str, Endpoint]) -> list[Slice]:
        changed = {uid: dataclasses.replace(e, ready=e.ready or e.serving) for uid, e in desired.items()}
        return super()._pack(existing, changed)


class ServicePortAsTarget(EndpointSliceController):
    """Publishes the Service's port instead of resolving targetPort against the pod."""

    def _pack(self, existing: list[Slice], desired: dict[str, Endpoint]) -> list[Slice]:
        changed = {
            uid: dataclasses.replace(e, ports=tuple((name, protocol, 80) for name, protocol, _ in e.ports))
            for uid, e in desired.items()
        }
        return super()._pack(existing, changed)


class NeverRemovesEndpoints(EndpointSliceController):
    """Keeps the endpoints of pods that are gone."""

    def _pack(self, existing: list[Slice], desired: dict[str, Endpoint]) -> list[Slice]:
        kept = {e.pod_uid: e for s in existing for e in s.endpoints}
        return super()._pack(existing, {**kept, **desired})


def _provider(controller: Any) -> SimulatedControlPlaneProvider:
    return SimulatedControlPlaneProvider(controllers=(ReplicaSetController, controller))


@pytest.mark.parametrize(
    ("controller", "requirement"),
    [
        (KeepsTerminatingReady, "ENDPOINTSLICE-CONDITIONS"),
        (partial(EndpointSliceController, max_endpoints_per_slice=101), "ENDPOINTSLICE-MAX-ENDPOINTS"),
        (ServicePortAsTarget, "ENDPOINTSLICE-PORTS"),
        (NeverRemovesEndpoints, "ENDPOINTSLICE-MATCHES-PODS"),
    ],
    ids=["keeps-terminating-ready", "101-per-slice", "service-port-as-target", "never-removes-endpoints"],
)
def test_the_endpointslice_machine_catches(controller: Any, requirement: str) -> None:
    with pytest.raises(RequirementViolation) as caught:
        run_state_machine_as_test(machine_for(_provider(controller)), settings=SETTINGS)
    assert caught.value.requirement_id == requirement, str(caught.value)


def test_the_reference_passes_the_same_runs() -> None:
    run_state_machine_as_test(machine_for(_provider(EndpointSliceController)), settings=SETTINGS)
