"""The consensus suite must catch broken Raft nodes: each variant in
tests/raft/broken.py has one classic bug, and the stateful machine
(conformance/consensus/machine.py) must find a violation of a requirement that
bug breaks within a fixed, derandomized budget, while the reference node
passes the very same hunt.

Paper mode. The hunts run the nodes as the paper's figure 2 describes them,
without the no-op entry a new leader appends in etcd (``noop_on_election``).
The no-op hides two of these bugs almost completely, which is why etcd has it:

- committing an older-term entry by counting replicas (figure 8) makes no
  difference at all when appends carry the whole suffix, since every match
  index a leader learns in its term then covers its no-op;
- a vote forgotten across a restart is harmless once the winner's no-op has
  reached the voter (the other candidate's log is then stale), so the crash
  must fall in the few milliseconds in between.

Without the no-op both are found within a few dozen examples; with it, not in
thousands. The reference passes the hunt in both modes (the second reference
test), and the conformance suite proper runs etcd's default.

The classic bugs are hunted with the core families only (``CORE``): the
rules of the optional capabilities (membership, transfer, reads) live in a
subclass of the machine that ``machine_for`` leaves out then, so those hunts
run the schedules they always ran; with the extra rules drawn among the
others, a crash timed as precisely as ``ForgetsVote`` needs is no longer
found within the budget. The reference passes the hunt with every family,
and the capabilities' own bugs are hunted with every family too.

Two seeded membership bugs are not in the hunt, because a sequential client
cannot provoke them: the adapter waits for each change to commit, so a
leader never holds two pending changes (``AcceptsChangeWhilePending``), and a
change appended before the new leader's no-op committed has committed by the
time the machine looks (``ChangesBeforeCommittingInTerm``). Scripted scenarios
in tests/raft/test_membership.py show both, and the spec's checks flagging them.

Each expected set lists the requirements the bug can break first, not just the
one it usually shows up as: a double vote, say, is an election-safety
violation, but the two leaders' logs can diverge before the second leader is
observed. The derandomized examples depend on the machine's source (Hypothesis
seeds them from the digest of the ``ConsensusMachine`` class), so editing the
machine changes which schedule finds a bug first; ``BUDGET`` records where a
bug needed more than the common budget.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from conformance.consensus.clients import Step, check_client_history, schedules
from conformance.consensus.machine import CLUSTER_SIZES, FAMILIES, machine_for
from conformance.consensus.test_quorum import check_fault_tolerance
from conformance.strategies.entropy import entropies
from conformance.violation import violated_requirements
from impl.raft.core import RaftConfig, RaftNode
from impl.raft.sim import SimulatedRaftProvider
from spec.entropy import Entropy
from tests.raft.broken import (
    AcknowledgesWithoutPersisting,
    AppliesBeyondCommit,
    CommitsOlderTermByCounting,
    CountsHalfAsMajority,
    ForgetsVote,
    GrantsVotesToStaleLogs,
    KeepsConflictingEntries,
    KeepsLeadingWhenRemoved,
    LeaderTruncatesToFollower,
    LocalReadsProvider,
    LyingProvider,
    NeverRepairsLogs,
    ReadsWithoutHeartbeat,
    SkipsLogMatchingCheck,
    StaysLeaderOnHigherTerm,
)

#: Derandomized, so the verdict is the same on every run; no shrinking, since
#: finding the bug is the point and a minimal example is not needed here. The
#: parent is Hypothesis' default profile, not whichever the plugin loaded, so
#: the hunt is the same under any --kspec-profile and outside pytest.
HUNT = settings(
    settings.get_profile("default"),
    max_examples=400,
    stateful_step_count=50,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    report_multiple_bugs=False,
    suppress_health_check=list(HealthCheck),
)

PAPER_MODE = RaftConfig(noop_on_election=False)

# What a lost or overwritten committed entry can show up as first.
LOST_COMMIT = {
    "RAFT-STATE-MACHINE-SAFETY",
    "RAFT-LEADER-COMPLETENESS",
    "RAFT-COMMIT-MONOTONIC",
    "RAFT-PROPOSAL-OUTCOME",
}
# ... and what two logs diverging at an index and term can.
DIVERGED = LOST_COMMIT | {"RAFT-LOG-MATCHING"}


#: The families of the classic bugs' hunts: the core protocol, without the
#: optional capabilities' rules (machine_for then builds the plain machine, so
#: these hunts run the very schedules they ran before those rules existed).
CORE = frozenset({"status", "log", "liveness"})


#: Bugs that need more examples than ``HUNT`` gives at the machine's current
#: digest. ForgetsVote needs a crash in the few milliseconds between a vote
#: and the winner's first append; since the machine learned the membership
#: family (which edited ``ConsensusMachine`` and so its digest), the first
#: schedule that finds it is example 481 (it was within 400 before).
BUDGET: dict[type[RaftNode], int] = {ForgetsVote: 600}


def hunt(
    provider: SimulatedRaftProvider, families: frozenset[str] = FAMILIES, examples: int | None = None
) -> None:
    budget = HUNT if examples is None else settings(HUNT, max_examples=examples)
    run_state_machine_as_test(machine_for(provider, families=families), settings=budget)


@pytest.mark.parametrize(
    ("node_class", "violated"),
    [
        (CommitsOlderTermByCounting, LOST_COMMIT),
        (ForgetsVote, {"RAFT-ELECTION-SAFETY"} | DIVERGED),
        (StaysLeaderOnHigherTerm, {"RAFT-ELECTION-SAFETY"} | DIVERGED),
        (SkipsLogMatchingCheck, DIVERGED),
        # A follower that never truncates can also just stay stuck, never
        # applying what the others committed: that breaks RAFT-LIVENESS.
        (KeepsConflictingEntries, DIVERGED | {"RAFT-LIVENESS"}),
        (GrantsVotesToStaleLogs, LOST_COMMIT),
        (AppliesBeyondCommit, {"RAFT-APPLY-COMMITTED", "RAFT-STATE-MACHINE-SAFETY"}),
        (AcknowledgesWithoutPersisting, LOST_COMMIT),
        (NeverRepairsLogs, {"RAFT-LIVENESS"}),
        # Cutting its own log: caught as such, or as the lost commits and divergence it causes.
        (LeaderTruncatesToFollower, {"RAFT-LEADER-APPEND-ONLY", "RAFT-LIVENESS"} | DIVERGED),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else None,
)
def test_the_machine_catches_a_broken_node(node_class: type[RaftNode], violated: set[str]) -> None:
    # Hypothesis may find several distinct failures and raise them as a group.
    with pytest.raises((AssertionError, ExceptionGroup)) as caught:
        hunt(SimulatedRaftProvider(config=PAPER_MODE, node_class=node_class), CORE, BUDGET.get(node_class))
    found = set(violated_requirements(caught.value))
    assert found, f"the failure names no requirement: {caught.value!r}"
    assert found <= violated, f"expected violations of {sorted(violated)}, got {sorted(found)}"


@pytest.mark.parametrize(
    ("node_class", "violated"),
    [
        # Found as soon as the machine removes the leader.
        (KeepsLeadingWhenRemoved, {"RAFT-CONFIG-REMOVED-LEADER"}),
        # Found by the read_through_deposed_leader rule: a paused leader,
        # deposed meanwhile, asked for a read the moment it resumes.
        (ReadsWithoutHeartbeat, {"RAFT-READ-LINEARIZABLE"}),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else None,
)
def test_the_machine_catches_a_broken_capability(node_class: type[RaftNode], violated: set[str]) -> None:
    with pytest.raises((AssertionError, ExceptionGroup)) as caught:
        hunt(SimulatedRaftProvider(config=PAPER_MODE, node_class=node_class))
    found = set(violated_requirements(caught.value))
    assert found, f"the failure names no requirement: {caught.value!r}"
    assert found <= violated, f"expected violations of {sorted(violated)}, got {sorted(found)}"


def test_the_machine_catches_an_adapter_that_reports_timeouts_as_rejections() -> None:
    # A proposal whose outcome is unknown may still commit: a client told
    # "rejected" would be lied to.
    with pytest.raises((AssertionError, ExceptionGroup)) as caught:
        hunt(LyingProvider(config=PAPER_MODE), CORE)
    assert set(violated_requirements(caught.value)) == {"RAFT-PROPOSAL-OUTCOME"}


@pytest.mark.parametrize("config", [PAPER_MODE, RaftConfig()], ids=["paper mode", "etcd mode"])
def test_the_reference_node_passes_the_same_hunt(config: RaftConfig) -> None:
    # With every family: membership changes, transfers and reads among the faults.
    hunt(SimulatedRaftProvider(config=config))


# -- RAFT-CLIENT-LINEARIZABLE: what concurrent clients see -------------------------------------


def hunt_clients(provider: SimulatedRaftProvider) -> None:
    @HUNT
    @given(size=st.sampled_from(CLUSTER_SIZES), entropy=entropies(), schedule=schedules())
    def clients_on_a_register(size: int, entropy: Entropy, schedule: list[Step]) -> None:
        check_client_history(provider, size, entropy, schedule)

    clients_on_a_register()


@pytest.mark.parametrize(
    "provider",
    [
        # Acknowledged writes a crash loses: a later read does not see them.
        SimulatedRaftProvider(config=PAPER_MODE, node_class=AcknowledgesWithoutPersisting),
        # Reads answered from whichever member the adapter reaches, not through the log: stale.
        LocalReadsProvider(),
    ],
    ids=["AcknowledgesWithoutPersisting", "AnswersReadsLocally"],
)
def test_the_client_history_catches_what_clients_would_notice(provider: SimulatedRaftProvider) -> None:
    with pytest.raises((AssertionError, ExceptionGroup)) as caught:
        hunt_clients(provider)
    assert set(violated_requirements(caught.value)) == {"RAFT-CLIENT-LINEARIZABLE"}


def test_the_reference_passes_the_client_history_hunt() -> None:
    hunt_clients(SimulatedRaftProvider())


# -- QUORUM-FAULT-TOLERANCE --------------------------------------------------------------------


@pytest.mark.parametrize(("node_class", "counts_right"), [(RaftNode, True), (CountsHalfAsMajority, False)])
def test_the_fault_tolerance_check_catches_a_wrong_majority(
    node_class: type[RaftNode], counts_right: bool
) -> None:
    provider = SimulatedRaftProvider(node_class=node_class)
    try:
        for size, order in ((3, ["n2", "n1", "n3"]), (5, ["n1", "n3", "n5", "n2", "n4"])):
            check_fault_tolerance(provider, size, seed=7, positions=order)
    except AssertionError as error:
        assert not counts_right, error
        assert violated_requirements(error) == ("QUORUM-FAULT-TOLERANCE",)
    else:
        assert counts_right, "a cluster that commits without a majority passed"
