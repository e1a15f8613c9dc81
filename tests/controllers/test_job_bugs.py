"""The Job machine (conformance/workloads/job.py) catches seeded Job controller bugs, each a test-only
variant of impl/controllers/job.py that changes what the spec's step sees, and the reference passes the
same runs.

Budget: 40 examples of 20 steps. Measured over four derandomized budgets ((40, 20), (30, 25), (50, 15),
(35, 20)): ignores-backoff-limit and exceeds-parallelism caught in 4 of 4, counts-a-success-twice in 3 of 4;
budgets of 5-12 examples missed each bug at least once.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis.stateful import run_state_machine_as_test

from conformance.violation import RequirementViolation
from conformance.workloads.job import machine_for
from impl.controllers.job import JobController
from impl.controlplane import SimulatedControlPlaneProvider
from spec.workloads.job import JobState, JobSync, sync_job
from tests.controllers.seeded import seeded_bug_settings

SETTINGS = seeded_bug_settings(max_examples=40, stateful_step_count=20)


class IgnoresBackoffLimit(JobController):
    """Never fails a Job: keeps replacing failed pods whatever backoffLimit says (the issue's bug)."""

    def _plan(self, state: JobState) -> JobSync:
        return sync_job(replace(state, backoff_limit=10**9))


class ExceedsParallelism(JobController):
    """Runs one pod more than parallelism (an off-by-one in wantActive)."""

    def _plan(self, state: JobState) -> JobSync:
        return sync_job(replace(state, parallelism=state.parallelism + 1))


class CountsSuccessTwice(JobController):
    """Counts every succeeded pod twice: a NonIndexed Job is Complete with half its completions."""

    def _plan(self, state: JobState) -> JobSync:
        return sync_job(replace(state, succeeded=2 * state.succeeded))


def _provider(controller: Any) -> SimulatedControlPlaneProvider:
    return SimulatedControlPlaneProvider(controllers=(controller,))


@pytest.mark.requirement("JOB-BACKOFF-LIMIT", "JOB-ACTIVE-BOUND", "JOB-ESR")
@pytest.mark.parametrize(
    ("controller", "requirement"),
    [
        (IgnoresBackoffLimit, "JOB-BACKOFF-LIMIT"),
        (ExceedsParallelism, "JOB-ACTIVE-BOUND"),
        (CountsSuccessTwice, "JOB-ESR"),
    ],
    ids=["ignores-backoff-limit", "exceeds-parallelism", "counts-a-success-twice"],
)
def test_the_job_machine_catches(controller: Any, requirement: str) -> None:
    with pytest.raises(RequirementViolation) as caught:
        run_state_machine_as_test(machine_for(_provider(controller)), settings=SETTINGS)
    assert caught.value.requirement_id == requirement, str(caught.value)


def test_the_reference_passes_the_same_runs() -> None:
    run_state_machine_as_test(machine_for(_provider(JobController)), settings=SETTINGS)
