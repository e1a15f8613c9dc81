"""QUORUM-FAULT-TOLERANCE against an implementation: the seed's table, from the outside.

With ``(n - 1) // 2`` members of an n-member cluster crashed, a proposal
must still commit (after the time a leader election may take); with one
more crashed, no proposal may commit while they stay down, since no
majority is left to store it. ``invariants/quorum.py`` proves the
arithmetic; this test asks whether the implementation counts the same way.
Needs the ``faults`` contract (crash and restart).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.adapters import Implementation
from conformance.adapters.consensus import ConsensusProvider
from conformance.adapters.faults import Faults
from conformance.profiles import settings_for
from conformance.violation import require
from spec.entropy import SeededEntropy
from spec.quorum import QUORUM_FAULT_TOLERANCE, fault_tolerance
from spec.raft import LIVENESS_ELECTION_TIMEOUTS

pytestmark = pytest.mark.component("consensus")

#: An example's command; each example builds its own cluster, so they need not differ.
COMMAND = "quorum-probe"


@pytest.mark.requirement("QUORUM-FAULT-TOLERANCE")
def test_a_cluster_commits_with_its_tolerated_failures_and_not_with_one_more(
    kspec_implementation: Implementation,
) -> None:
    provider = kspec_implementation.component("consensus")
    probe = provider.new_cluster(size=1, entropy=SeededEntropy(0))
    has_faults = isinstance(probe, Faults)
    probe.close()
    if not has_faults:
        pytest.skip(f"not applicable: implementation {kspec_implementation.name!r} cannot crash members")

    @given(size=st.sampled_from((3, 5)), seed=st.integers(0, 2**32 - 1), data=st.data())
    def crash_and_propose(size: int, seed: int, data: st.DataObject) -> None:
        order = data.draw(st.permutations([f"n{i}" for i in range(1, size + 1)]), label="crash order")
        check_fault_tolerance(provider, size, seed, order)

    wall_clock = settings_for(provider)  # real processes take seconds per example
    (wall_clock(crash_and_propose) if wall_clock else crash_and_propose)()


def check_fault_tolerance(provider: ConsensusProvider, size: int, seed: int, positions: list[str]) -> None:
    """Crash the first ``fault_tolerance(size)`` of ``positions``, then one more, proposing after each.

    ``positions`` names members by position (``n1``, ``n2``, ...), mapped onto
    the cluster's own member names in its stable order.
    """
    cluster = provider.new_cluster(size=size, entropy=SeededEntropy(seed))
    try:
        assert isinstance(cluster, Faults)
        members = list(cluster.members())
        order = [members[int(name[1:]) - 1] for name in positions]
        tolerated = fault_tolerance(size)
        settle = LIVENESS_ELECTION_TIMEOUTS * provider.election_timeout_ns
        for member in order[:tolerated]:
            cluster.crash(member)
        cluster.advance(settle)
        outcome = cluster.propose(f"{COMMAND}-a")
        require(
            QUORUM_FAULT_TOLERANCE,
            outcome.status == "committed",
            lambda: (
                f"{size} members with {tolerated} crashed ({order[:tolerated]}): a proposal ended "
                f"{outcome!r} after {settle / 1e9:g} s to elect a leader"
            ),
        )
        cluster.crash(order[tolerated])
        cluster.advance(settle)
        outcome = cluster.propose(f"{COMMAND}-b")
        cluster.advance(provider.convergence_time_ns)
        applied = {
            member: [e for e in status.applied if e.command == f"{COMMAND}-b"]
            for member, status in cluster.status().items()
        }
        require(
            QUORUM_FAULT_TOLERANCE,
            outcome.status != "committed" and not any(applied.values()),
            lambda: (
                f"{size} members with {tolerated + 1} crashed ({order[: tolerated + 1]}): a proposal "
                f"ended {outcome!r} and was applied by {[m for m, a in applied.items() if a]}, "
                "without a majority to store it"
            ),
        )
    finally:
        cluster.close()
