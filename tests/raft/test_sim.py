"""The reference Raft in the simulator: the driver's persist-then-send order,
restart from disk, what ``propose`` tells a client, and determinism."""

from __future__ import annotations

import pytest

from impl.raft.core import RaftConfig, RaftNode
from impl.raft.sim import MS, SimulatedRaftCluster, SimulatedRaftProvider
from spec.raft import RegisterRead, RegisterWrite, agreed_leader, leader_of
from tests.raft.broken import ForgetsVote, ReadsWithoutHeartbeat

SECOND = 1_000 * MS


def settled_cluster(size: int = 3, seed: int = 7, **provider: object) -> SimulatedRaftCluster:
    cluster = SimulatedRaftProvider(**provider).new_cluster(size=size, entropy=seed)  # type: ignore[arg-type]
    cluster.advance(SECOND)
    assert agreed_leader(cluster.status()) is not None
    return cluster


@pytest.mark.parametrize(("node_class", "keeps_everything"), [(RaftNode, True), (ForgetsVote, False)])
def test_a_crash_between_events_loses_nothing_a_member_has_revealed(
    node_class: type[RaftNode], keeps_everything: bool
) -> None:
    # The driver syncs before it sends, and the simulator runs one handler at a
    # time, so between events every member's term, vote and log are on disk.
    cluster = settled_cluster(node_class=node_class)
    for command in range(3):
        assert cluster.propose(command).status == "committed"
    kept = []
    for member in cluster.members():
        before = cluster.status()[member]
        cluster.crash(member)
        cluster.restart(member)
        after = cluster.status()[member]
        kept.append((after.term, after.voted_for, after.log) == (before.term, before.voted_for, before.log))
        cluster.advance(SECOND)
    assert all(kept) is keeps_everything


def test_a_restarted_member_reapplies_its_committed_prefix_at_once() -> None:
    cluster = settled_cluster()
    for command in range(3):
        cluster.propose(command)
    cluster.advance(100 * MS)
    follower = next(m for m, s in cluster.status().items() if s.role == "follower")
    before = cluster.status()[follower]
    cluster.crash(follower)
    cluster.restart(follower)
    after = cluster.status()[follower]
    assert after.commit_index == before.commit_index  # the hard state keeps it
    assert after.applied == before.applied and after.last_applied == before.last_applied


def test_a_healthy_cluster_commits_a_proposal_where_it_says() -> None:
    cluster = settled_cluster()
    outcome = cluster.propose("x")
    assert outcome.status == "committed" and outcome.index is not None
    cluster.advance(100 * MS)
    for status in cluster.status().values():
        assert status.applied[outcome.index - 1].command == "x"


def test_a_proposal_to_a_leader_cut_off_from_the_rest_has_an_unknown_outcome() -> None:
    cluster = settled_cluster()
    leader = leader_of(cluster.status())
    assert leader is not None
    cluster.partition([[leader], [m for m in cluster.members() if m != leader]])
    assert cluster.propose("x").status == "unknown"
    # It was appended, so it may yet commit: the leader holds it, nobody else does.
    holders = [m for m, s in cluster.status().items() if s.log and any(e.command == "x" for e in s.log)]
    assert holders == [leader]


def test_a_proposal_no_leader_can_take_is_rejected() -> None:
    cluster = settled_cluster()
    for member in cluster.members()[1:]:
        cluster.crash(member)
    assert cluster.propose("x").status == "rejected"
    (alone,) = cluster.status().values()
    assert alone.log is not None and all(e.command != "x" for e in alone.log)


def test_status_shows_running_members_only() -> None:
    cluster = settled_cluster(size=5)
    cluster.crash("n2")
    cluster.pause("n3")
    assert sorted(cluster.status()) == ["n1", "n3", "n4", "n5"]


def test_the_same_seed_gives_the_same_run_and_another_seed_another() -> None:
    def timeline(seed: int) -> str:
        cluster = settled_cluster(seed=seed)
        cluster.set_message_faults(drop_rate=0.2, duplicate_rate=0.2, reorder_rate=0.2)
        for command in range(5):
            cluster.propose(command)
        return cluster.timeline(500)

    assert timeline(3) == timeline(3)
    assert timeline(3) != timeline(4)


def test_the_provider_states_its_timeouts_in_simulated_time() -> None:
    provider = SimulatedRaftProvider(config=RaftConfig(election_ticks=10), tick_ns=10 * MS)
    assert provider.election_timeout_ns == 190 * MS  # the longest draw: 19 ticks
    assert provider.convergence_time_ns >= provider.election_timeout_ns


def test_a_member_back_from_a_long_crash_is_caught_up_by_snapshot() -> None:
    # Members compact every 8 applied entries, keeping 2: after 20 commits the
    # entries a member crashed since the start needs are gone from every log.
    cluster = settled_cluster(trace_limit=None)
    follower = next(m for m, s in cluster.status().items() if s.role == "follower")
    cluster.crash(follower)
    for command in range(20):
        assert cluster.propose(command).status == "committed"
    leader = agreed_leader(cluster.status())
    assert leader is not None and cluster.status()[leader].snapshot_index > 2
    cluster.restart(follower)
    cluster.advance(SECOND)
    installs = [
        record
        for record in cluster.simulation.trace.records()
        if record.kind == "deliver"
        and record.dst == follower
        and type(record.payload).__name__ == "InstallSnapshot"
    ]
    assert installs, "the follower was never sent a snapshot"
    status = cluster.status()
    assert status[follower].applied == status[leader].applied
    assert [e.command for e in status[follower].applied if e.command is not None] == list(range(20))


def test_without_compaction_the_log_is_never_snapshotted() -> None:
    cluster = settled_cluster(snapshot_every=None)
    for command in range(20):
        cluster.propose(command)
    assert all(status.snapshot_index == 0 for status in cluster.status().values())


def test_concurrent_submissions_commit_in_order_and_reads_answer_from_the_log() -> None:
    for size in (1, 3):
        cluster = settled_cluster(size=size)
        tickets = [cluster.submit(RegisterWrite(1, 10)), cluster.submit(RegisterWrite(2, 20))]
        read = cluster.submit(RegisterRead(3))
        assert cluster.outcome(read) is None or size == 1  # a lone member commits at once
        cluster.advance(100 * MS)
        writes = [cluster.outcome(t) for t in tickets]
        answer = cluster.outcome(read)
        assert all(w is not None and w.status == "committed" for w in writes)
        assert answer is not None and answer.status == "committed"
        indexes = [w.index for w in writes if w is not None]
        assert indexes == sorted(indexes) and answer.index is not None and answer.index > max(indexes)
        assert answer.result == 20  # the register as of the read's place in the log


def test_a_submission_without_a_majority_ends_unknown_or_rejected_at_its_deadline() -> None:
    cluster = settled_cluster(size=3)
    leader = agreed_leader(cluster.status())
    assert leader is not None
    for member in cluster.members():
        if member != leader:
            cluster.crash(member)
    ticket = cluster.submit(RegisterWrite(1, 1))
    cluster.advance(cluster.provider.client_timeout_ns - MS)
    assert cluster.outcome(ticket) is None
    cluster.advance(2 * MS)
    outcome = cluster.outcome(ticket)
    assert outcome is not None and outcome.status == "unknown"  # appended by the leader: it may yet commit


# -- the optional capabilities: membership, reads, leadership transfer ------------------


def test_an_added_member_joins_and_applies_everything() -> None:
    cluster = settled_cluster()
    for command in range(3):
        cluster.propose(command)
    outcome = cluster.add_member()
    assert outcome.status == "committed" and outcome.member == "n4"
    assert cluster.members() == ("n1", "n2", "n3", "n4")
    assert cluster.propose("x").status == "committed"
    cluster.advance(100 * MS)
    status = cluster.status()
    assert status["n4"].config == frozenset({"n1", "n2", "n3", "n4"})
    assert status["n4"].applied == status["n1"].applied


def test_a_removed_leader_is_shut_down_and_the_rest_carry_on() -> None:
    cluster = settled_cluster(size=3)
    leader = leader_of(cluster.status())
    assert leader is not None
    outcome = cluster.remove_member(leader)
    assert outcome.status == "committed"
    assert leader not in cluster.members() and leader not in cluster.status()
    assert cluster.propose("x").status == "committed"
    new_leader = leader_of(cluster.status())
    assert new_leader is not None and new_leader != leader
    assert cluster.status()[new_leader].config == frozenset(cluster.members())
    with pytest.raises(ValueError, match="for good"):
        cluster.restart(leader)


def test_removing_the_last_member_is_rejected() -> None:
    cluster = settled_cluster(size=1)
    assert cluster.remove_member("n1").status == "rejected"


def test_a_read_returns_every_committed_command_and_a_follower_sends_the_client_to_the_leader() -> None:
    cluster = settled_cluster()
    for command in range(3):
        assert cluster.propose(command).status == "committed"
    follower = next(m for m, s in cluster.status().items() if s.role == "follower")
    assert cluster.read().commands == (0, 1, 2)
    assert cluster.read(follower).commands == (0, 1, 2)


def test_leadership_moves_to_the_target() -> None:
    cluster = settled_cluster()
    follower = next(m for m, s in cluster.status().items() if s.role == "follower")
    assert cluster.transfer_leadership(follower) == "transferred"
    assert leader_of(cluster.status()) == follower
    assert cluster.propose("x").status == "committed"


@pytest.mark.parametrize(("node_class", "stale"), [(RaftNode, False), (ReadsWithoutHeartbeat, True)])
def test_a_deposed_leader_asked_for_a_read_serves_no_stale_state(
    node_class: type[RaftNode], stale: bool
) -> None:
    # The leader freezes; the others elect a new one and commit "y"; the old
    # leader wakes up still believing it leads, and a client connected to it reads.
    cluster = settled_cluster(node_class=node_class)
    assert cluster.propose("x").status == "committed"
    old = leader_of(cluster.status())
    assert old is not None
    cluster.pause(old)
    cluster.advance(SECOND)
    assert cluster.propose("y").status == "committed"
    cluster.resume(old)
    outcome = cluster.read(old)
    assert outcome.status == "ok"
    assert (outcome.commands == ("x",)) is stale
    assert stale or outcome.commands == ("x", "y")
