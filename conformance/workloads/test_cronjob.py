"""The CronJob machine against ``--impl``'s controllers component."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from conformance.adapters import Implementation
from conformance.workloads.cronjob import machine_for
from conformance.workloads.environment import long_run_settings

pytestmark = pytest.mark.component("controllers")


@pytest.mark.requirement(
    "CRONJOB-SCHEDULE",
    "CRONJOB-DEADLINE",
    "CRONJOB-SUSPEND",
    "CRONJOB-FORBID-NO-OVERLAP",
    "CRONJOB-REPLACE",
    "CRONJOB-HISTORY",
    "CRONJOB-ESR",
)
def test_cronjobs_start_their_jobs_on_time_and_only_then(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("controllers")
    run_state_machine_as_test(machine_for(provider), settings=long_run_settings(provider))
