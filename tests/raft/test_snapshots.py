"""Snapshots and log compaction (Raft paper, section 7; etcd-io/raft's raftLog and restore).

Scenarios on the synchronous test network: a leader compacts its log, and a
follower that needs a compacted entry is caught up with InstallSnapshot; a
follower whose log disagrees has it replaced, one that already holds the
snapshot's last entry keeps what follows it; a stale snapshot changes
nothing; and a member restarts from its stored snapshot.
"""

from __future__ import annotations

import pytest

from impl.raft.core import (
    AppendEntries,
    AppendResponse,
    InstallSnapshot,
    RaftConfig,
    RaftNode,
    Snapshot,
)
from spec.raft import LogEntry, RaftHistory, commit_monotonic
from tests.raft.broken import InstallsStaleSnapshots
from tests.raft.network import Network, stored


def cluster(size: int = 3) -> Network:
    net = Network([f"n{i}" for i in range(1, size + 1)], RaftConfig())
    for _ in range(3):
        net.campaign("n1")
        if net["n1"].role == "leader":
            return net
    raise AssertionError("n1 did not become leader")


def commit_commands(net: Network, *commands: str) -> None:
    for command in commands:
        net.propose("n1", command)
        net.deliver()


def commands(applied: list[LogEntry]) -> list[object]:
    return [e.command for e in applied if e.command is not None]


def test_a_leader_compacts_what_it_applied_and_keeps_the_rest() -> None:
    net = cluster()
    commit_commands(net, "a", "b", "c")
    leader = net["n1"]
    assert (leader.applied, leader.last_index) == (4, 4)  # the no-op, then a, b, c
    snapshot = net.compact("n1", 3)
    assert (snapshot.index, snapshot.term) == (3, leader.term_at(3))
    assert [e.index for e in leader.log] == [4]
    assert leader.term_at(2) is None and leader.term_at(3) == snapshot.term
    status = leader.status()
    assert (status.snapshot_index, status.last_index, status.entry(4)) == (3, 4, leader.log[0])
    assert status.entry(3) is None


@pytest.mark.parametrize("index", [0, 5])
def test_compaction_is_refused_at_or_before_the_snapshot_and_beyond_applied(index: int) -> None:
    net = cluster()
    commit_commands(net, "a", "b", "c")
    with pytest.raises(ValueError, match="can compact only"):
        net.compact("n1", index)


def test_a_follower_that_missed_compacted_entries_gets_the_snapshot() -> None:
    net = cluster()
    net.isolate("n3")
    commit_commands(net, "a", "b", "c", "d")
    net.compact("n1", 4)
    net.recover()
    net.tick("n1", net.config.heartbeat_ticks)  # a heartbeat finds n3 behind; the repair needs index 1
    net.deliver()
    assert any(isinstance(m, InstallSnapshot) and m.dst == "n3" for m in net.delivered)
    follower = net["n3"]
    assert follower.snapshot.index == 4 and follower.commit == net["n1"].commit == 5
    assert net.applied["n3"] == net.applied["n1"]
    assert commands(net.applied["n3"]) == ["a", "b", "c", "d"]
    assert net.storage["n3"].snapshot.index == 4
    assert [e.index for e in net.storage["n3"].entries] == [5]


def test_a_follower_with_a_conflicting_log_has_it_replaced() -> None:
    # n3 led term 1 and holds two entries of it that no one else has: an uncommitted tail.
    old_term = {"n1": stored(1, vote="n3"), "n2": stored(1, vote="n3"), "n3": stored(1, 1, 1, vote="n3")}
    net = Network(["n1", "n2", "n3"], RaftConfig(), stored=old_term)
    net.isolate("n3")
    for _ in range(3):
        net.campaign("n1")
    assert net["n1"].role == "leader" and net["n1"].term == 2
    commit_commands(net, "a", "b", "c")
    net.compact("n1", 4)
    leader = net["n1"]
    net.recover()
    net.step(InstallSnapshot(leader.term, "n1", "n3", leader.snapshot))
    follower = net["n3"]
    assert follower.snapshot == leader.snapshot
    assert follower.log == [] and follower.commit == 4
    assert net.applied["n3"] == net.applied["n1"][:4]
    assert net.storage["n3"].entries == []
    reply = net.queue[-1]
    assert isinstance(reply, AppendResponse) and (reply.success, reply.index) == (True, 4)


def test_a_follower_holding_the_snapshots_last_entry_keeps_its_suffix() -> None:
    net = cluster()
    commit_commands(net, "a", "b", "c")
    leader = net["n1"]
    follower = net["n3"]
    follower.commit = 2  # pretend it has not learned the latest commit index yet
    follower.applied = 2
    net.applied["n3"] = net.applied["n3"][:2]
    log_before = list(follower.log)
    snapshot = Snapshot(3, leader.term_at(3) or 0, tuple(net.applied["n1"][:3]))
    net.step(InstallSnapshot(leader.term, "n1", "n3", snapshot))
    assert follower.snapshot.index == 0  # nothing installed ...
    assert follower.log == log_before  # ... nothing lost ...
    assert follower.commit == 3  # ... but the snapshot's index is known committed
    assert net.applied["n3"] == net.applied["n1"][:3]


def test_a_snapshot_at_or_below_the_commit_index_is_ignored() -> None:
    net = cluster()
    commit_commands(net, "a", "b", "c")
    leader, follower = net["n1"], net["n2"]
    snapshot = Snapshot(2, leader.term_at(2) or 0, tuple(net.applied["n1"][:2]))
    before = (list(follower.log), follower.commit, list(net.applied["n2"]))
    net.step(InstallSnapshot(leader.term, "n1", "n2", snapshot))
    assert (list(follower.log), follower.commit, list(net.applied["n2"])) == before
    reply = net.queue[-1]
    assert isinstance(reply, AppendResponse) and (reply.success, reply.index) == (True, follower.commit)


def test_an_append_below_the_commit_index_is_answered_with_the_commit_index() -> None:
    net = cluster()
    commit_commands(net, "a", "b")
    follower = net["n2"]
    log_before = list(follower.log)
    # A delayed append from earlier in the term, with an entry the follower committed since.
    net.step(AppendEntries(net["n1"].term, "n1", "n2", 0, 0, (LogEntry(1, 99, "rewrite"),), 0))
    assert follower.log == log_before
    reply = net.queue[-1]
    assert isinstance(reply, AppendResponse) and (reply.success, reply.index) == (True, follower.commit)


def test_a_member_restarts_from_its_snapshot_and_the_entries_after_it() -> None:
    net = cluster()
    commit_commands(net, "a", "b", "c")
    net.compact("n2", 3)
    applied_before = list(net.applied["n2"])
    net.crash("n2")
    restarted = net.restart("n2")
    assert restarted.snapshot.index == 3 and restarted.snapshot.data == tuple(applied_before[:3])
    assert restarted.last_index == 4 and restarted.commit == 4
    assert net.applied["n2"] == applied_before  # restored from the snapshot, then re-applied
    net.propose("n1", "d")
    net.deliver()
    assert commands(net.applied["n2"]) == ["a", "b", "c", "d"]


@pytest.mark.parametrize(("node_class", "safe"), [(RaftNode, True), (InstallsStaleSnapshots, False)])
def test_a_snapshot_delivered_late_does_not_take_a_member_back(
    node_class: type[RaftNode], safe: bool
) -> None:
    # raft.tla's DuplicateMessage: the network may hand over an old InstallSnapshot
    # long after the follower moved past it. A member that installs it anyway
    # un-commits entries and un-applies commands (RAFT-COMMIT-MONOTONIC).
    net = Network(["n1", "n2", "n3"], RaftConfig(), node_class=node_class)
    for _ in range(3):
        net.campaign("n1")
    net.isolate("n3")
    commit_commands(net, "a", "b", "c")
    net.compact("n1", 3)
    net.recover()
    net.tick("n1", net.config.heartbeat_ticks)
    net.deliver()
    (install,) = [m for m in net.delivered if isinstance(m, InstallSnapshot) and m.dst == "n3"]
    commit_commands(net, "d", "e")
    history = RaftHistory()
    history.record({i: n.status(tuple(net.applied[i])) for i, n in net.nodes.items()})
    assert net["n3"].commit == 6
    net.step(install)  # the duplicate, late
    now = {i: n.status(tuple(net.applied[i])) for i, n in net.nodes.items()}
    assert (net["n3"].commit == 6) is safe
    assert (not commit_monotonic(history, now)) is safe
