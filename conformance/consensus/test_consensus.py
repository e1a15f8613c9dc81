"""The consensus suite: the stateful machine against ``--impl``'s consensus component.

Two tests, one per family of requirements, so the report says exactly what
was checked: the first needs only what every member reports (term, role,
commit index, applied entries) and ends with the liveness phase; the second
needs the members' logs and is not applicable to an implementation that does
not expose them. Both run clusters of 1, 3 and 5 members. A provider that is
not deterministic runs on wall-clock time with fewer, shorter examples
(``conformance.profiles.for_wall_clock``).
"""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.adapters import Implementation
from conformance.consensus.machine import machine_for
from conformance.profiles import for_wall_clock

pytestmark = pytest.mark.component("consensus")


@pytest.mark.requirement(
    "RAFT-ELECTION-SAFETY",
    "RAFT-STATE-MACHINE-SAFETY",
    "RAFT-COMMIT-MONOTONIC",
    "RAFT-APPLY-COMMITTED",
    "RAFT-PROPOSAL-OUTCOME",
    "RAFT-LIVENESS",
)
def test_consensus_safety_and_liveness_under_faults(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("consensus")
    run_state_machine_as_test(
        machine_for(provider, families=frozenset({"status", "liveness"})), settings=_settings(provider)
    )


@pytest.mark.requirement("RAFT-LEADER-APPEND-ONLY", "RAFT-LOG-MATCHING", "RAFT-LEADER-COMPLETENESS")
def test_consensus_logs_under_faults(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("consensus")
    if not getattr(provider, "exposes_logs", False):  # not saying so counts as not exposing them
        pytest.skip(
            f"not applicable: implementation {kspec_implementation.name!r} does not expose its members' logs"
        )
    run_state_machine_as_test(
        machine_for(provider, families=frozenset({"log"})), settings=_settings(provider)
    )


def _settings(provider: object) -> settings | None:
    """None (the loaded profile) for a simulated provider; scaled down for a real one."""
    return None if getattr(provider, "deterministic", True) else for_wall_clock(settings.default)
