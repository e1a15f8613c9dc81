"""The DaemonSet machine (conformance/workloads/daemonset.py) against ``--impl``'s controllers component."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from conformance.adapters import Implementation
from conformance.profiles import settings_for
from conformance.workloads.daemonset import machine_for

pytestmark = pytest.mark.component("controllers")


@pytest.mark.requirement(
    "DAEMONSET-TOLERATIONS", "DAEMONSET-ROLL-UNAVAILABLE", "DAEMONSET-ROLL-SURGE", "DAEMONSET-COVERAGE"
)
def test_daemonsets_respect_taints_roll_within_budget_and_cover_their_nodes(
    kspec_implementation: Implementation,
) -> None:
    provider = kspec_implementation.component("controllers")
    run_state_machine_as_test(machine_for(provider), settings=settings_for(provider))
