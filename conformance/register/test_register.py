"""The register suite: the stateful machine against ``--impl``'s register."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from conformance.adapters import Implementation
from conformance.register.machine import machine_for

pytestmark = pytest.mark.component("register")


@pytest.mark.requirement("REG-READ-LATEST", "REG-REPLICA-PREFIX", "REG-CONVERGE")
def test_register_under_faults(kspec_implementation: Implementation) -> None:
    run_state_machine_as_test(machine_for(kspec_implementation.component("register")))
