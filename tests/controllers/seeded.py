"""The Hypothesis settings every seeded-bug test of the workload machines runs with.

Derandomized and generate-only, so that whether a seeded bug is caught is
the same on every run and machine; each test picks how many examples and
steps its machine needs to reach its bugs.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings


def seeded_bug_settings(*, max_examples: int, stateful_step_count: int) -> settings:
    return settings(
        max_examples=max_examples,
        stateful_step_count=stateful_step_count,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
