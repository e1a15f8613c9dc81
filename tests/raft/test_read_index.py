"""ReadIndex (dissertation section 6.4; etcd-io/raft's ReadOnlySafe) on the
synchronous test network.

A leader takes a read only once it has committed an entry of its term; the
read index is its commit index then; the read is handed to the driver only
after a majority of the configuration answered an append sent after the read
began; followers refuse and name the leader. A leader cut off from the others
cannot confirm, so it cannot serve a stale read -- unlike a variant that
serves reads from its local commit index, which the spec's
RAFT-READ-LINEARIZABLE check flags.
"""

from __future__ import annotations

import pytest

from impl.raft.core import (
    AppendEntries,
    AppendResponse,
    NotLeader,
    RaftConfig,
    RaftNode,
    ReadStarted,
    ReadState,
    Refused,
)
from spec.raft import LogEntry, ReadOutcome, is_client_command, read_linearizable
from tests.raft.broken import ReadsWithoutHeartbeat
from tests.raft.network import PAPER, Network


def cluster(size: int = 3, **kwargs: object) -> Network:
    net = Network([f"n{i}" for i in range(1, size + 1)], **kwargs)  # type: ignore[arg-type]
    for _ in range(3):
        net.campaign("n1")
        if net["n1"].role == "leader":
            return net
    raise AssertionError("n1 did not become leader")


def serve(net: Network, member: str, state: ReadState) -> ReadOutcome:
    """What the driver answers for a confirmed read: the state machine once it reached the read index."""
    applied = net.applied[member]
    assert applied and applied[-1].index >= state.index, "the driver waits until it applied the read index"
    return ReadOutcome("ok", tuple(e.command for e in applied if is_client_command(e.command)))


def test_a_read_is_confirmed_by_a_heartbeat_round_and_returns_the_commit_index() -> None:
    net = cluster()
    net.propose("n1", "x")
    net.deliver()
    assert net.read_index("n1", "r1") == ReadStarted(2)
    assert net.read_states["n1"] == []  # not before a majority has answered
    heartbeats = [m for m in net.queue if isinstance(m, AppendEntries)]
    assert {m.dst for m in heartbeats} == {"n2", "n3"} and all(m.read_seq == 1 for m in heartbeats)
    net.deliver()
    assert net.read_states["n1"] == [ReadState("r1", 2)]
    assert serve(net, "n1", net.read_states["n1"][0]).commands == ("x",)


def test_answers_to_appends_sent_before_the_read_do_not_confirm_it() -> None:
    net = cluster()
    term = net["n1"].term
    net.read_index("n1", "r1")
    net.queue.clear()
    net.step(AppendResponse(term, "n2", "n1", True, 1, read_seq=0))  # sent before the read began
    assert net.read_states["n1"] == []
    net.step(AppendResponse(term, "n3", "n1", True, 1, read_seq=1))
    assert net.read_states["n1"] == [ReadState("r1", 1)]


def test_later_reads_confirm_earlier_ones_and_each_keeps_its_own_index() -> None:
    net = cluster()
    net.cut("n1", "n2")
    net.cut("n1", "n3")
    net.read_index("n1", "r1")
    net.propose("n1", "x")  # appended, not committed: r2's index is still 1
    net.read_index("n1", "r2")
    net.deliver()
    assert net.read_states["n1"] == []
    net.recover()
    net.tick("n1", net.config.heartbeat_ticks)
    net.deliver()
    assert net.read_states["n1"] == [ReadState("r1", 1), ReadState("r2", 1)]


def test_a_one_member_cluster_confirms_at_once() -> None:
    net = cluster(1)
    assert net.read_index("n1", "r") == ReadStarted(1)
    assert net.read_states["n1"] == [ReadState("r", 1)]


def test_a_follower_refuses_a_read_and_names_its_leader() -> None:
    net = cluster()
    assert net.read_index("n2", "r") == NotLeader("n1")


def test_a_leader_takes_no_read_before_it_commits_an_entry_of_its_term() -> None:
    # Until then its commit index may lag what an earlier leader committed.
    net = Network(["n1", "n2", "n3"])
    net.drop = lambda m: isinstance(m, AppendEntries)
    for _ in range(3):
        net.campaign("n1")
        if net["n1"].role == "leader":
            break
    assert net["n1"].role == "leader" and net["n1"].commit == 0
    assert net.read_index("n1", "r") == Refused("no entry of term 1 committed yet", transient=True)
    net.recover()
    net.tick("n1", net.config.heartbeat_ticks)
    net.deliver()
    assert isinstance(net.read_index("n1", "r"), ReadStarted)


def test_in_paper_mode_a_read_makes_the_leader_append_its_no_op() -> None:
    net = cluster(config=PAPER)
    assert net["n1"].last_index == 0
    assert isinstance(net.read_index("n1", "r"), Refused)
    assert net.log("n1") == [(1, None)]
    net.deliver()
    assert net.read_index("n1", "r") == ReadStarted(1)


def test_reads_pending_when_the_leader_steps_down_are_dropped() -> None:
    net = cluster()
    net.isolate("n1")
    net.read_index("n1", "r")
    net.tick("n1", 2 * net.config.election_ticks)  # CheckQuorum: no majority heard from
    assert net["n1"].role == "follower"
    assert net["n1"].pending_reads == [] and net.read_states["n1"] == []


@pytest.mark.parametrize(("node_class", "stale"), [(RaftNode, False), (ReadsWithoutHeartbeat, True)])
def test_a_leader_cut_off_from_the_majority_serves_no_stale_read(
    node_class: type[RaftNode], stale: bool
) -> None:
    # No CheckQuorum lease, so that n3 votes as soon as n2 asks (with it, a
    # randomized timeout would do the same a little later).
    net = cluster(node_class=node_class, config=RaftConfig(check_quorum=False))
    net.propose("n1", "x")
    net.deliver()
    net.isolate("n1")
    for _ in range(3):  # the others elect n2, which commits "y"
        net.campaign("n2")
    assert net["n2"].role == "leader" and net["n1"].role == "leader"  # n1 does not know yet
    net.propose("n2", "y")
    net.deliver()
    acknowledged = {"x": 2, "y": 4}  # both told committed before the read began
    assert [e.command for e in net.applied["n2"]][-1] == "y"
    assert isinstance(net.read_index("n1", "r"), ReadStarted)
    net.deliver()
    net.tick("n1", net.config.heartbeat_ticks)
    net.deliver()
    if not stale:
        assert net.read_states["n1"] == []  # no majority answers a leader cut off from it
        return
    (state,) = net.read_states["n1"]
    outcome = serve(net, "n1", state)
    assert outcome.commands == ("x",)
    problems = read_linearizable(acknowledged, (), outcome)
    assert (
        problems
        and "missing 1 command(s) acknowledged committed before it began: 'y' (index 4)" in problems[0]
    )


def test_the_spec_accepts_a_read_holding_every_acknowledged_command_and_rejects_a_rejected_one() -> None:
    assert read_linearizable({"x": 2}, ("z",), ReadOutcome("ok", ("x", "w"))) == []
    assert read_linearizable({"x": 2}, (), ReadOutcome("failed")) == []
    (problem,) = read_linearizable({}, ("z",), ReadOutcome("ok", ("z",)))
    assert "'z'" in problem and "rejected" in problem
    assert LogEntry(1, 1, "x").command == "x"
