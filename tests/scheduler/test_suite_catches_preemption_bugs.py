"""The scheduler suite's preemption run catches seeded preemption bugs (SCHED-PREEMPT-*).

Each variant is the reference scheduler with one step of its PostFilter
(impl/scheduler/preemption.py) done wrong; the machine with preemption on
(``machine_for(provider, preemption=True)``) must fail with the requirement
the bug breaks, within a fixed derandomized budget. The last tests pin the
provider's ``preemption`` flag: a scheduler that never preempts fails
SCHED-PREEMPT-COMPLETE unless its provider says ``preemption = False``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.scheduler.machine import machine_for
from conformance.violation import RequirementViolation
from impl.scheduler.core import ReferenceScheduler, ReferenceSchedulerProvider
from impl.scheduler.preemption import DefaultPreemption
from spec.objects.core import Node, Pod
from spec.scheduling import preemption as spec
from spec.scheduling.filters import ClusterSnapshot
from spec.scheduling.preemption import Victims

SETTINGS = settings(
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.generate],  # the requirement of the first failure is the point, not a small example
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)


class EqualPriorityVictims(DefaultPreemption):
    """Counts pods of the preemptor's own priority as preemptible."""

    def may_preempt(self, victim: Pod, preemptor: Pod) -> bool:
        return spec.pod_priority(victim) <= spec.pod_priority(preemptor)


class NoReprieve(DefaultPreemption):
    """Evicts every lower-priority pod of the node instead of reprieving those that can stay."""

    def select_victims_on_node(self, pod: Pod, node: Node, snapshot: ClusterSnapshot) -> Victims | None:
        found = super().select_victims_on_node(pod, node, snapshot)
        if found is None:
            return None
        lower = [p for p in snapshot.pods_on(node.metadata.name) if self.may_preempt(p, pod)]
        return Victims(found.node, tuple(spec.by_importance(lower)))


class MostVictims(DefaultPreemption):
    """Picks the candidate with the most victims."""

    def pick(self, found: Sequence[Victims]) -> Victims:
        return max(found, key=lambda v: len(v.pods))


class IgnoresPreemptionPolicy(DefaultPreemption):
    """Preempts for a pod with preemptionPolicy Never."""

    def eligible(self, pod: Pod, snapshot: ClusterSnapshot) -> bool:
        return True


class IgnoresTerminatingVictims(DefaultPreemption):
    """Preempts again while the victims of its last preemption are still terminating."""

    def eligible(self, pod: Pod, snapshot: ClusterSnapshot) -> bool:
        return pod.spec.preemption_policy != spec.PREEMPT_NEVER


class BlindToNodeAffinity(DefaultPreemption):
    """Runs its dry run without the NodeAffinity filter, so a node the pod's affinity rejects can be
    nominated."""

    def rejection(
        self, pod: Pod, node: Node, snapshot: ClusterSnapshot
    ) -> tuple[str, tuple[str, ...]] | None:
        for name, run in self.filter_plugins:
            reasons = run(pod, node, snapshot)
            if reasons and name != "NodeAffinity":
                return name, reasons
        return None


def preempting_with(preemption: type[DefaultPreemption]) -> type[ReferenceScheduler]:
    def post_filter(self: ReferenceScheduler, pod: Pod, snapshot: ClusterSnapshot) -> dict[str, Any]:
        return preemption(self.filter_plugins, self._random).preempt(pod, snapshot)

    return type(f"Broken{preemption.__name__}", (ReferenceScheduler,), {"post_filter": post_filter})


class NeverPreempts(ReferenceScheduler):
    def post_filter(self, pod: Pod, snapshot: ClusterSnapshot) -> dict[str, Any]:
        return {}


def run(provider: ReferenceSchedulerProvider, budget: settings = SETTINGS) -> None:
    run_state_machine_as_test(machine_for(provider, preemption=True), settings=budget)


@pytest.mark.parametrize(
    ("scheduler_class", "requirements"),
    [
        (preempting_with(EqualPriorityVictims), {"SCHED-PREEMPT-LOWER"}),
        # Evicting more than needed also changes which node looks best: for a pod with spread or affinity,
        # where MINIMAL is not checked, PICK sees it.
        (preempting_with(NoReprieve), {"SCHED-PREEMPT-MINIMAL", "SCHED-PREEMPT-PICK"}),
        (preempting_with(MostVictims), {"SCHED-PREEMPT-PICK"}),
        (preempting_with(IgnoresPreemptionPolicy), {"SCHED-PREEMPT-ELIGIBLE"}),
        (preempting_with(IgnoresTerminatingVictims), {"SCHED-PREEMPT-ELIGIBLE"}),
        (preempting_with(BlindToNodeAffinity), {"SCHED-PREEMPT-CANDIDATE"}),
        (NeverPreempts, {"SCHED-PREEMPT-COMPLETE"}),
    ],
    ids=[
        "victims-of-equal-priority",
        "no-reprieve",
        "more-victims",
        "preemption-policy-never",
        "victims-still-terminating",
        "node-rejected-by-node-affinity",
        "never-preempts",
    ],
)
def test_the_preemption_run_catches(
    scheduler_class: type[ReferenceScheduler], requirements: set[str]
) -> None:
    provider = replace(ReferenceSchedulerProvider(), scheduler_class=scheduler_class)
    with pytest.raises(RequirementViolation) as caught:
        run(provider)
    assert caught.value.requirement_id in requirements, str(caught.value)


def test_a_scheduler_that_declares_no_preemption_is_not_held_to_it() -> None:
    # The same scheduler as "never-preempts", but its provider says so: the machine passes.
    provider = replace(ReferenceSchedulerProvider(), scheduler_class=NeverPreempts, preemption=False)
    run(provider, settings(SETTINGS, max_examples=20))


def test_the_reference_passes_the_preemption_run() -> None:
    run(ReferenceSchedulerProvider(), settings(SETTINGS, max_examples=30))


NO_PREEMPTION = """
from types import SimpleNamespace

from impl.scheduler.core import ReferenceSchedulerProvider

def no_preemption():
    provider = ReferenceSchedulerProvider(preemption=False)
    components = {"scheduler": provider}
    return SimpleNamespace(name="fake", description="a scheduler without preemption", components=components)
"""


def test_no_preemption_is_reported_not_applicable(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The subprocess runs in a temporary directory: it must import this checkout's packages.
    root = str(Path(__file__).resolve().parents[2])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    pytester.makepyfile(fakeimpl=NO_PREEMPTION)
    pytester.makepyfile(
        test_suite="""
        import pytest

        from conformance.scheduler.test_scheduler import test_preemption_is_the_specs

        pytestmark = pytest.mark.component("scheduler")
        """
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--impl", "fakeimpl:no_preemption", "-rs"
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    report = json.loads((pytester.path / "reports" / "conformance.json").read_text())
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"] if r["id"].startswith("SCHED-PREEMPT-")}
    assert len(verdicts) == 7 and set(verdicts.values()) == {"not applicable"}, verdicts
