"""The consensus suite: the stateful machine against ``--impl``'s consensus component.

One test per family of requirements, so the report says exactly what was
checked: the first needs only what every member reports (term, role, commit
index, applied entries) and ends with the liveness phase; the second needs
the members' logs and is not applicable to an implementation that does not
expose them. The next two need optional capabilities of the contract
(membership changes and leadership transfer; linearizable reads): they are
not applicable to an implementation that does not offer them, and they too
end with the liveness phase, which must then hold for the configuration the
changes left. All run clusters of 1, 3 and 5 members. The last runs
concurrent clients on a register replicated through the log, under faults,
and checks what they saw for linearizability
(``conformance/consensus/clients.py``). A provider that
is not deterministic runs on wall-clock time with fewer, shorter examples
(``conformance.profiles.settings_for``).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from conformance.adapters import Implementation
from conformance.adapters.consensus import ConcurrentClients, capabilities
from conformance.consensus.clients import Step, check_client_history, schedules
from conformance.consensus.machine import CLUSTER_SIZES, machine_for
from conformance.profiles import settings_for
from conformance.strategies.entropy import entropies
from spec.entropy import Entropy, SeededEntropy

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
        machine_for(provider, families=frozenset({"status", "liveness"})), settings=settings_for(provider)
    )


@pytest.mark.requirement("RAFT-LEADER-APPEND-ONLY", "RAFT-LOG-MATCHING", "RAFT-LEADER-COMPLETENESS")
def test_consensus_logs_under_faults(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("consensus")
    if not getattr(provider, "exposes_logs", False):  # not saying so counts as not exposing them
        pytest.skip(
            f"not applicable: implementation {kspec_implementation.name!r} does not expose its members' logs"
        )
    run_state_machine_as_test(
        machine_for(provider, families=frozenset({"log"})), settings=settings_for(provider)
    )


@pytest.mark.requirement("RAFT-CONFIG-SAFETY", "RAFT-CONFIG-REMOVED-LEADER")
def test_consensus_membership_changes_under_faults(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("consensus")
    if "membership" not in capabilities(provider) or not getattr(provider, "exposes_logs", False):
        pytest.skip(
            f"not applicable: implementation {kspec_implementation.name!r} does not offer membership changes "
            "with its members' logs exposed"
        )
    families = {"status", "log", "membership", "liveness"} | (capabilities(provider) & {"transfer"})
    run_state_machine_as_test(
        machine_for(provider, families=frozenset(families)), settings=settings_for(provider)
    )


@pytest.mark.requirement("RAFT-READ-LINEARIZABLE")
def test_consensus_linearizable_reads_under_faults(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("consensus")
    if "read" not in capabilities(provider):
        pytest.skip(f"not applicable: implementation {kspec_implementation.name!r} does not offer reads")
    families = {"status", "read", "liveness"} | (capabilities(provider) & {"membership", "transfer"})
    run_state_machine_as_test(
        machine_for(provider, families=frozenset(families)), settings=settings_for(provider)
    )


@pytest.mark.requirement("RAFT-CLIENT-LINEARIZABLE")
def test_concurrent_clients_see_a_linearizable_register(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("consensus")
    # Whether clusters take concurrent clients is a property of the cluster type: ask one.
    probe = provider.new_cluster(size=1, entropy=SeededEntropy(0))
    takes_clients = isinstance(probe, ConcurrentClients)
    probe.close()
    if not takes_clients:
        pytest.skip(
            f"not applicable: implementation {kspec_implementation.name!r} does not take concurrent clients"
        )

    @given(size=st.sampled_from(CLUSTER_SIZES), entropy=entropies(), schedule=schedules())
    def clients_on_a_register(size: int, entropy: Entropy, schedule: list[Step]) -> None:
        check_client_history(provider, size, entropy, schedule)

    wall_clock = settings_for(provider)
    (wall_clock(clients_on_a_register) if wall_clock else clients_on_a_register)()

