"""The EndpointSlice suite: the EndpointSlice machine against ``--impl``'s controllers component."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from conformance.adapters import Implementation
from conformance.workloads.endpointslice import machine_for
from conformance.workloads.environment import long_run_settings

pytestmark = pytest.mark.component("controllers")


@pytest.mark.requirement(
    "ENDPOINTSLICE-MATCHES-PODS",
    "ENDPOINTSLICE-CONDITIONS",
    "ENDPOINTSLICE-MAX-ENDPOINTS",
    "ENDPOINTSLICE-PORTS",
    "ENDPOINTSLICE-LABELS",
)
def test_endpointslices_follow_the_pods_of_their_services(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("controllers")
    run_state_machine_as_test(machine_for(provider), settings=long_run_settings(provider))
