"""The CronJob machine (conformance/workloads/cronjob.py) catches seeded CronJob controller bugs.

Each bug is a test-only variant of the reference controller; the machine must
report it with the requirement it breaks, and the reference must pass the
same runs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis.stateful import run_state_machine_as_test

from conformance.violation import RequirementViolation
from conformance.workloads.cronjob import machine_for
from impl.controllers.cronjob import CronJobController
from impl.controlplane import SimulatedControlPlaneProvider
from impl.node.simkubelet import EPOCH
from spec.workloads.cronjob import CronJobView
from tests.controllers.seeded import seeded_bug_settings

SETTINGS = seeded_bug_settings(max_examples=30, stateful_step_count=20)


class ForbidOverlaps(CronJobController):
    """Forbid starts overlapping runs (issue 10's bug): Forbid read as Allow."""

    def _view(self, cronjob: Any) -> CronJobView:
        view = super()._view(cronjob)
        policy = "Allow" if view.concurrency_policy == "Forbid" else view.concurrency_policy
        return replace(view, concurrency_policy=policy)


class StartsEarly(CronJobController):
    """Its clock runs 30 s fast: a Job starts half a minute before its scheduled time."""

    @staticmethod
    def _date(now: float) -> datetime:
        return EPOCH + timedelta(seconds=now + 30)


class IgnoresDeadline(CronJobController):
    """Reads no startingDeadlineSeconds: a missed time is started however late it is."""

    def _view(self, cronjob: Any) -> CronJobView:
        return replace(super()._view(cronjob), starting_deadline_seconds=None)


class KeepsHistory(CronJobController):
    """Never cleans up finished Jobs."""

    def _view(self, cronjob: Any) -> CronJobView:
        return replace(
            super()._view(cronjob), successful_jobs_history_limit=None, failed_jobs_history_limit=None
        )


class IgnoresSuspend(CronJobController):
    """Starts Jobs of a suspended CronJob."""

    def _view(self, cronjob: Any) -> CronJobView:
        return replace(super()._view(cronjob), suspend=False)


def _provider(controller: Any) -> SimulatedControlPlaneProvider:
    return SimulatedControlPlaneProvider(controllers=(controller,))


@pytest.mark.parametrize(
    ("controller", "requirement"),
    [
        (ForbidOverlaps, "CRONJOB-FORBID-NO-OVERLAP"),
        (StartsEarly, "CRONJOB-SCHEDULE"),
        (IgnoresDeadline, "CRONJOB-DEADLINE"),
        (KeepsHistory, "CRONJOB-HISTORY"),
        (IgnoresSuspend, "CRONJOB-SUSPEND"),
    ],
    ids=["forbid-overlaps", "starts-early", "ignores-deadline", "keeps-history", "ignores-suspend"],
)
def test_the_cronjob_machine_catches(controller: Any, requirement: str) -> None:
    with pytest.raises(RequirementViolation) as caught:
        run_state_machine_as_test(machine_for(_provider(controller)), settings=SETTINGS)
    assert caught.value.requirement_id == requirement, str(caught.value)


def test_the_reference_passes_the_same_runs() -> None:
    run_state_machine_as_test(machine_for(_provider(CronJobController)), settings=SETTINGS)
