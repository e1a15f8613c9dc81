"""Leadership transfer (dissertation section 3.10; etcd-io/raft's
MsgTransferLeader and MsgTimeoutNow) on the synchronous test network.

The leader stops taking proposals, brings the target's log up to date, then
sends TimeoutNow; the target campaigns at once in the next term without
PreVote, and voters answer it even within CheckQuorum's lease; a transfer
not done within an election timeout is abandoned.
"""

from __future__ import annotations

from impl.raft.core import (
    Accepted,
    AppendEntries,
    NotLeader,
    Refused,
    TimeoutNow,
    TransferStarted,
    VoteRequest,
)
from tests.raft.network import Network


def cluster(size: int = 3) -> Network:
    net = Network([f"n{i}" for i in range(1, size + 1)])
    for _ in range(3):
        net.campaign("n1")
        if net["n1"].role == "leader":
            return net
    raise AssertionError("n1 did not become leader")


def test_a_transfer_to_an_up_to_date_follower_makes_it_leader_at_once() -> None:
    net = cluster()
    term = net["n1"].term
    assert net.transfer("n1", "n2") == TransferStarted("n2")
    assert [m for m in net.queue if isinstance(m, TimeoutNow)] == [TimeoutNow(term, "n1", "n2")]
    net.deliver()
    assert net.leaders() == ["n2"] and net["n2"].term == term + 1
    assert net["n1"].role == "follower" and net["n1"].leader == "n2"
    requests = [m for m in net.delivered if isinstance(m, VoteRequest) and m.src == "n2"]
    # No PreVote round, and every request says it is a transfer: n1 and n3
    # heard from n1 a moment ago and, within CheckQuorum's lease, would
    # ignore an ordinary vote request of a higher term.
    assert requests and all(not m.pre_vote and m.transfer for m in requests)


def test_a_lagging_target_is_brought_up_to_date_before_it_is_told_to_run() -> None:
    net = cluster()
    net.isolate("n3")
    for command in "abc":
        net.propose("n1", command)
        net.deliver()
    net.recover()
    assert net.transfer("n1", "n3") == TransferStarted("n3")
    assert not [m for m in net.queue if isinstance(m, TimeoutNow)]  # not yet: n3 lacks entries
    assert [m.dst for m in net.queue if isinstance(m, AppendEntries)] == ["n3"]
    net.deliver()
    assert net.leaders() == ["n3"]
    assert [e.command for e in net["n3"].log if e.command is not None] == ["a", "b", "c"]


def test_the_leader_takes_no_proposal_or_change_while_it_transfers() -> None:
    net = cluster()
    net.isolate("n3")
    net.transfer("n1", "n3")
    assert net.propose("n1", "x") == Refused("leadership transfer to n3 under way", transient=True)
    assert net.change("n1", "remove", "n2") == Refused("leadership transfer to n3 under way", transient=True)
    assert net["n1"].last_index == 1


def test_a_transfer_not_done_within_an_election_timeout_is_abandoned() -> None:
    net = cluster()
    net.isolate("n3")
    net.transfer("n1", "n3")
    net.tick("n1", net.config.election_ticks - 1)
    net.deliver()
    assert net["n1"].lead_transferee == "n3"
    net.tick("n1")
    net.deliver()
    assert net["n1"].lead_transferee is None and net["n1"].role == "leader"
    assert isinstance(net.propose("n1", "x"), Accepted)


def test_only_the_leader_transfers_and_only_to_another_member() -> None:
    net = cluster()
    assert net.transfer("n2", "n3") == NotLeader("n1")
    assert net.transfer("n1", "n1") == Refused("n1 already leads", transient=False)
    assert net.transfer("n1", "n9") == Refused("n9 is not a member", transient=False)


def test_a_repeated_transfer_request_for_the_same_target_changes_nothing() -> None:
    net = cluster()
    net.isolate("n3")
    net.transfer("n1", "n3")
    net.tick("n1", 3)
    elapsed = net["n1"].transfer_elapsed
    assert net.transfer("n1", "n3") == TransferStarted("n3")
    assert net["n1"].transfer_elapsed == elapsed
