"""The node lifecycle suite: the node lifecycle machine against ``--impl``'s controllers component."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from conformance.adapters import Implementation
from conformance.workloads.environment import long_run_settings
from conformance.workloads.nodelifecycle import machine_for

pytestmark = pytest.mark.component("controllers")


@pytest.mark.requirement(
    "NODE-LIFECYCLE-READY-UNKNOWN",
    "NODE-LIFECYCLE-UNREACHABLE-TAINT",
    "NODE-LIFECYCLE-NO-EARLY-EVICTION",
    "NODE-LIFECYCLE-EVICT-AFTER-TOLERATION",
)
def test_dead_nodes_are_tainted_and_their_pods_evicted_on_time(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("controllers")
    run_state_machine_as_test(machine_for(provider), settings=long_run_settings(provider))
