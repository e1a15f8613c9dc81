"""The workloads suite: each workload machine against ``--impl``'s controllers component."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from conformance.adapters import Implementation
from conformance.profiles import settings_for
from conformance.workloads.deployment import machine_for as deployment_machine_for
from conformance.workloads.leaderelection import machine_for as leader_election_machine_for
from conformance.workloads.replicaset import machine_for

pytestmark = pytest.mark.component("controllers")


@pytest.mark.requirement(
    "REPLICASET-NO-OVERSHOOT", "REPLICASET-ESR", "API-GC-BACKGROUND", "API-GC-FOREGROUND", "API-GC-ORPHAN"
)
def test_replicasets_stay_bounded_and_converge(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("controllers")
    run_state_machine_as_test(machine_for(provider), settings=settings_for(provider))


@pytest.mark.requirement(
    "DEPLOY-ROLL-SURGE",
    "DEPLOY-ROLL-AVAILABILITY",
    "DEPLOY-ESR",
    "DEPLOY-ROLLBACK",
    "DEPLOY-CONDITIONS",
    "DEPLOY-PROGRESS-DEADLINE",
)
def test_deployments_roll_out_within_surge_and_availability(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("controllers")
    run_state_machine_as_test(deployment_machine_for(provider), settings=settings_for(provider))


@pytest.mark.requirement("MANAGER-LEADER-EXCLUSIVE", "MANAGER-LEADER-TAKEOVER")
def test_one_of_two_controller_managers_acts_and_the_other_takes_over(
    kspec_implementation: Implementation,
) -> None:
    provider = kspec_implementation.component("controllers")
    run_state_machine_as_test(leader_election_machine_for(provider), settings=settings_for(provider))
