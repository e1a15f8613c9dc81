"""The scheduler suite: the scheduler machine against ``--impl``'s scheduler component."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from conformance.adapters import Implementation
from conformance.profiles import settings_for
from conformance.scheduler.machine import machine_for

pytestmark = pytest.mark.component("scheduler")


@pytest.mark.requirement(
    "SCHED-FILTER-UNSCHEDULABLE",
    "SCHED-FILTER-NODENAME",
    "SCHED-FILTER-TAINT",
    "SCHED-FILTER-AFFINITY",
    "SCHED-FILTER-PORTS",
    "SCHED-FILTER-RESOURCES",
    "SCHED-FILTER-INTERPOD",
    "SCHED-FILTER-SPREAD",
    "SCHED-FILTER-MESSAGE",
    "SCHED-COMPLETE",
    "SCHED-NODES-TO-SCORE",
    "SCHED-SELECT-TOP",
)
def test_every_decision_is_the_specs(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("scheduler")
    run_state_machine_as_test(machine_for(provider), settings=settings_for(provider))
