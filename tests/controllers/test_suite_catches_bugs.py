"""The workloads suite (conformance/workloads/) catches seeded controller bugs, each a test-only variant."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.violation import RequirementViolation
from conformance.workloads.replicaset import machine_for
from impl.controllers.replicaset import ReplicaSetController
from impl.controlplane import SimulatedControlPlaneProvider

SETTINGS = settings(
    max_examples=100,
    stateful_step_count=30,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)


class NeverDeletes(ReplicaSetController):
    """Scales up but never down: the pods stay when spec.replicas is lowered."""

    def _manage(self, key: str, replicaset: Any, active: list[dict[str, Any]], now: float) -> None:
        replicas = int((replicaset.get("spec") or {}).get("replicas", 1))
        if len(active) < replicas:
            super()._manage(key, replicaset, active, now)


@pytest.mark.parametrize(
    ("controller", "requirement"),
    [
        (partial(ReplicaSetController, expectations=False), "REPLICASET-NO-OVERSHOOT"),
        (NeverDeletes, "REPLICASET-ESR"),
    ],
    ids=["ignores-expectations", "never-scales-down"],
)
def test_the_replicaset_machine_catches(controller: Any, requirement: str) -> None:
    provider = SimulatedControlPlaneProvider(controllers=(controller,))
    with pytest.raises(RequirementViolation) as caught:
        run_state_machine_as_test(machine_for(provider), settings=SETTINGS)
    assert caught.value.requirement_id == requirement, str(caught.value)


def test_the_reference_passes_the_same_runs() -> None:
    run_state_machine_as_test(machine_for(SimulatedControlPlaneProvider()), settings=SETTINGS)
