"""The StatefulSet machine (conformance/workloads/statefulset.py) catches seeded StatefulSet controller bugs.

The same broken controllers as the scenario test (tests/controllers/test_statefulset.py), now found by
the machine's generated runs with the environment's faults (crashes, crashes mid-reconcile, a lagging
pod watch, readiness lost and regained); the reference passes the same runs.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis.stateful import run_state_machine_as_test

from conformance.violation import RequirementViolation
from conformance.workloads.statefulset import machine_for
from impl.controllers.garbagecollector import GarbageCollector
from impl.controllers.statefulset import StatefulSetController
from impl.controlplane import SimulatedControlPlaneProvider
from tests.controllers.seeded import seeded_bug_settings
from tests.controllers.test_statefulset import CreatesBeforeReady, IgnoresPartition, NeverDeletesCondemned

#: Rollouts and scale-downs need room: at 60 x 30 only the ordering bug shows.
SETTINGS = seeded_bug_settings(max_examples=150, stateful_step_count=50)


@pytest.mark.parametrize(
    ("controller", "requirement"),
    [
        (CreatesBeforeReady, "STATEFULSET-ORDERED-CREATE"),
        (IgnoresPartition, "STATEFULSET-PARTITION"),
        (NeverDeletesCondemned, "STATEFULSET-CONVERGE"),
    ],
    ids=["creates-before-ready", "ignores-partition", "never-deletes-condemned"],
)
def test_the_statefulset_machine_catches(controller: Any, requirement: str) -> None:
    provider = SimulatedControlPlaneProvider(controllers=(controller, GarbageCollector))
    with pytest.raises(RequirementViolation) as caught:
        run_state_machine_as_test(machine_for(provider), settings=SETTINGS)
    assert caught.value.requirement_id == requirement, str(caught.value)


def test_the_reference_passes_the_same_runs() -> None:
    provider = SimulatedControlPlaneProvider(controllers=(StatefulSetController, GarbageCollector))
    run_state_machine_as_test(machine_for(provider), settings=SETTINGS)
