"""The scheduler suite: the scheduler machine against ``--impl``'s scheduler component.

``test_every_decision_is_the_specs`` runs the machine with every pod of one
priority, where no preemption is possible; ``test_preemption_is_the_specs``
runs it with priorities and checks preemption (SCHED-PREEMPT-*). A provider
whose ``preemption`` attribute is False declares that its schedulers do not
preempt: the preemption test is then skipped and its requirements reported
not applicable. A provider without the attribute is held to upstream's
default profile, which preempts.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.adapters import Implementation
from conformance.profiles import settings_for
from conformance.scheduler.machine import machine_for, preemption_supported

pytestmark = pytest.mark.component("scheduler")

#: The preemption run's share of the profile's examples (smaller clusters, most steps schedule).
PREEMPTION_EXAMPLES_DIVISOR = 2


@pytest.mark.requirement(
    "SCHED-FILTER-UNSCHEDULABLE",
    "SCHED-FILTER-NODENAME",
    "SCHED-FILTER-TAINT",
    "SCHED-FILTER-AFFINITY",
    "SCHED-FILTER-PORTS",
    "SCHED-FILTER-RESOURCES",
    "SCHED-FILTER-INTERPOD",
    "SCHED-FILTER-SPREAD",
    "SCHED-FILTER-MESSAGE",
    "SCHED-COMPLETE",
    "SCHED-NODES-TO-SCORE",
    "SCHED-SELECT-TOP",
    "SCHED-RANKED",
)
def test_every_decision_is_the_specs(
    kspec_implementation: Implementation, record_property: Callable[[str, object], None]
) -> None:
    provider = kspec_implementation.component("scheduler")
    machine = machine_for(provider)
    run_state_machine_as_test(machine, settings=settings_for(provider))
    # Information, not a verdict: pods greedy scheduling left pending that a joint placement fits.
    record_property("kspec_batch_gaps", len(machine.batch_gaps))


@pytest.mark.requirement(
    "SCHED-PREEMPT-ELIGIBLE",
    "SCHED-PREEMPT-CANDIDATE",
    "SCHED-PREEMPT-LOWER",
    "SCHED-PREEMPT-FITS",
    "SCHED-PREEMPT-MINIMAL",
    "SCHED-PREEMPT-PICK",
    "SCHED-PREEMPT-COMPLETE",
)
def test_preemption_is_the_specs(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("scheduler")
    if not preemption_supported(provider):
        pytest.skip("not applicable: the scheduler provider declares preemption = False")
    base = settings_for(provider) or settings.default
    fewer = settings(base, max_examples=max(10, base.max_examples // PREEMPTION_EXAMPLES_DIVISOR))
    run_state_machine_as_test(machine_for(provider, preemption=True), settings=fewer)
