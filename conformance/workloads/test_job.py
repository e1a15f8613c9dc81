"""The Job machine (conformance/workloads/job.py) against ``--impl``'s controllers component."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from conformance.adapters import Implementation
from conformance.profiles import settings_for
from conformance.workloads.job import machine_for

pytestmark = pytest.mark.component("controllers")


@pytest.mark.requirement(
    "JOB-ACTIVE-BOUND", "JOB-COMPLETIONS-BOUND", "JOB-BACKOFF-LIMIT", "JOB-ESR", "JOB-SUSPEND"
)
def test_jobs_stay_bounded_and_finish(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("controllers")
    run_state_machine_as_test(machine_for(provider), settings=settings_for(provider))
