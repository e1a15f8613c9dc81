"""The scheduler-through-the-API suite (conformance/scheduler/through_api.py) catches seeded bugs.

Each variant is the reference provider with its algorithm or its API driver
broken; the scenarios run against the reference API server on loopback, as
in the suite, and must fail with the requirement the bug breaks.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from conformance.scheduler.through_api import run_scenarios
from conformance.violation import RequirementViolation
from impl.apiserver.provider import ReferenceAPIServerProvider
from impl.scheduler.apidriver import APIScheduler
from impl.scheduler.core import ReferenceSchedulerProvider
from impl.scheduler.loop import CycleResult
from tests.scheduler.test_suite_catches_bugs import (
    ScoresEveryNode,
    no_execute_ignored,
    replaced,
    scheduler_with,
)

config = pytest.importorskip("kubernetes.config")


class NeverMarks(APIScheduler):
    """Leaves an unschedulable pod without its PodScheduled=False condition."""

    def _mark_unschedulable(self, result: CycleResult) -> None:
        pass


def violation_of(provider: ReferenceSchedulerProvider) -> str:
    with pytest.raises(BaseException) as caught:  # a RequirementViolation, maybe inside a FlakyFailure
        run_scenarios(provider, ReferenceAPIServerProvider(), config, settle_timeout_s=5.0)
    error = caught.value
    while not isinstance(error, RequirementViolation):
        inner = getattr(error, "exceptions", None)
        assert inner, f"not a requirement violation: {caught.value!r}"
        error = inner[0]
    return error.requirement_id


@pytest.mark.parametrize(
    ("provider", "requirements"),
    [
        (
            replace(
                ReferenceSchedulerProvider(),
                scheduler_class=scheduler_with(replaced("TaintToleration", no_execute_ignored)),
            ),
            {"SCHED-FILTER-TAINT"},
        ),
        (replace(ReferenceSchedulerProvider(), api_scheduler_class=NeverMarks), {"SCHED-API-PROGRESS"}),
        (
            replace(ReferenceSchedulerProvider(), scheduler_class=ScoresEveryNode),
            {"SCHED-COMPLETE"}
            | {
                f"SCHED-FILTER-{k}"
                for k in ("UNSCHEDULABLE", "TAINT", "AFFINITY", "PORTS", "RESOURCES", "INTERPOD")
            },
        ),
    ],
    ids=["noexecute-ignored", "never-marks-unschedulable", "binds-unfiltered-nodes"],
)
def test_the_scenarios_catch(provider: ReferenceSchedulerProvider, requirements: set[str]) -> None:
    assert violation_of(provider) in requirements
