"""The StatefulSet machine against ``--impl``'s controllers component."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from conformance.adapters import Implementation
from conformance.profiles import settings_for
from conformance.workloads.statefulset import machine_for

pytestmark = pytest.mark.component("controllers")


@pytest.mark.requirement("STATEFULSET-ORDERED-CREATE", "STATEFULSET-PARTITION", "STATEFULSET-CONVERGE")
def test_statefulsets_create_in_order_respect_the_partition_and_converge(
    kspec_implementation: Implementation,
) -> None:
    provider = kspec_implementation.component("controllers")
    run_state_machine_as_test(machine_for(provider), settings=settings_for(provider))
