"""The sans-IO Raft node, driven by hand through the synchronous test network.

Scenarios come from the Raft paper (figures 7 and 8, sections 5.2-5.4, 9.6)
and etcd-io/raft's tests (PreVote, CheckQuorum). Each behaviour is checked
on the reference node and, where a switch or a broken variant removes it, on
that too, to show the assertion is not vacuous: it fails when the behaviour
is missing.
"""

from __future__ import annotations

import pytest

from impl.raft.core import (
    Accepted,
    AppendEntries,
    AppendResponse,
    NotLeader,
    RaftConfig,
    RaftNode,
    VoteRequest,
    VoteResponse,
)
from spec.raft import LogEntry, RaftHistory, leader_append_only, leader_completeness
from tests.raft.broken import (
    CommitsOlderTermByCounting,
    ForgetsVote,
    GrantsVotesToStaleLogs,
    KeepsConflictingEntries,
    LeaderTruncatesToFollower,
    StaysLeaderOnHigherTerm,
)
from tests.raft.network import PAPER, Network, entries, stored


def members(size: int) -> list[str]:
    return [f"n{i}" for i in range(1, size + 1)]


def elect(net: Network, member: str, attempts: int = 3) -> None:
    """Campaign until ``member`` leads (a first PreVote round may only teach it the current term)."""
    for _ in range(attempts):
        net.campaign(member)
        if net[member].role == "leader":
            return
    states = [(i, n.role, n.term) for i, n in net.nodes.items()]
    raise AssertionError(f"{member} did not become leader: {states}")


# -- elections (section 5.2) ---------------------------------------------------


@pytest.mark.parametrize("size", [1, 3, 5])
def test_a_member_that_times_out_becomes_the_only_leader(size: int) -> None:
    net = Network(members(size))
    net.campaign("n1")
    assert net.leaders() == ["n1"]
    term = net["n1"].term
    assert term == 1  # PreVote does not spend a term on the first round
    for i in members(size)[1:]:
        assert (net[i].role, net[i].term, net[i].leader, net[i].vote) == ("follower", 1, "n1", "n1")


def test_two_simultaneous_candidates_do_not_both_win() -> None:
    net = Network(members(5), RaftConfig(pre_vote=False))
    # Both time out before either's requests arrive: a split the randomized
    # timeout makes rare, and which voting once per term makes harmless.
    for candidate in ("n1", "n2"):
        while net[candidate].role != "candidate":
            net.tick(candidate)
    assert net["n1"].term == net["n2"].term == 1
    net.deliver()
    assert net.leaders() == ["n1"]  # its requests were queued first, so n3..n5 voted for it
    assert net["n2"].role == "follower" and net["n2"].term == 1


@pytest.mark.parametrize(("node_class", "steps_down"), [(RaftNode, True), (StaysLeaderOnHigherTerm, False)])
def test_a_leader_that_sees_a_higher_term_steps_down(node_class: type[RaftNode], steps_down: bool) -> None:
    net = Network(members(3), node_class=node_class)
    net.campaign("n1")
    term = net["n1"].term
    # A follower answering from a later term (say, after an election n1 missed).
    net.step(AppendResponse(term + 1, "n2", "n1", False, 0))
    assert net["n1"].term == term + 1
    assert (net["n1"].role == "follower") is steps_down


@pytest.mark.parametrize(("node_class", "wins"), [(RaftNode, False), (GrantsVotesToStaleLogs, True)])
def test_a_candidate_with_a_less_up_to_date_log_gets_no_votes(node_class: type[RaftNode], wins: bool) -> None:
    # Section 5.4.1: n2 and n3 hold an entry of term 2 that n1 lacks; electing
    # n1 could lose it if it was committed.
    net = Network(
        members(3),
        PAPER,
        node_class=node_class,
        stored={"n1": stored(2, 1, 1), "n2": stored(2, 1, 1, 2), "n3": stored(2, 1, 1, 2)},
    )
    net.campaign("n1")
    assert (net.leaders() == ["n1"]) is wins
    if not wins:
        assert net["n1"].term == 2  # PreVote failed, so no term was spent disrupting anyone


# -- PreVote and CheckQuorum (dissertation 9.6; etcd-io/raft) --------------------


def run_rounds(net: Network, rounds: int) -> None:
    """Tick every running member once per round and deliver what that causes."""
    for _ in range(rounds):
        for i in list(net.nodes):
            net.tick(i)
        net.deliver()


@pytest.mark.parametrize(("pre_vote", "disrupted"), [(True, False), (False, True)])
def test_prevote_keeps_a_member_that_was_cut_off_from_deposing_the_leader(
    pre_vote: bool, disrupted: bool
) -> None:
    net = Network(members(3), RaftConfig(pre_vote=pre_vote))
    net.campaign("n1")
    term = net["n1"].term
    net.isolate("n3")
    run_rounds(net, 5 * net.config.election_ticks)  # n3 times out again and again, alone
    assert (net["n3"].term > term) is disrupted  # without PreVote each timeout spends a term
    net.recover()
    run_rounds(net, 3 * net.config.heartbeat_ticks)
    # Without PreVote, n3's higher term reaches n1 in its answer to a heartbeat
    # and n1 steps down, though nothing was wrong with it.
    assert (net["n1"].role == "leader" and net["n1"].term == term) is not disrupted
    if not disrupted:
        assert (net["n3"].role, net["n3"].term, net["n3"].leader) == ("follower", term, "n1")


@pytest.mark.parametrize(("check_quorum", "steps_down"), [(True, True), (False, False)])
def test_check_quorum_makes_a_leader_cut_off_from_the_majority_step_down(
    check_quorum: bool, steps_down: bool
) -> None:
    net = Network(members(3), RaftConfig(check_quorum=check_quorum))
    net.campaign("n1")
    net.isolate("n1")
    net.tick("n1", 2 * net.config.election_ticks)
    assert (net["n1"].role == "follower") is steps_down


def test_a_member_hearing_from_its_leader_ignores_vote_requests() -> None:
    # etcd's lease: with CheckQuorum, a member that heard from a leader within
    # the election timeout ignores a higher-term vote request entirely.
    net = Network(members(3))
    net.campaign("n1")
    term = net["n1"].term
    net.step(VoteRequest(term + 1, "n3", "n2", 10, term))
    assert net["n2"].term == term and net["n2"].vote == "n1"
    assert not [m for m in net.queue if isinstance(m, VoteResponse)]


# -- log replication (section 5.3, figure 7) -------------------------------------

#: Figure 7: the leader of term 8 and six followers it may find.
FIGURE_7_LEADER = (1, 1, 1, 4, 4, 5, 5, 6, 6, 6)
FIGURE_7_FOLLOWERS = {
    "a": (1, 1, 1, 4, 4, 5, 5, 6, 6),
    "b": (1, 1, 1, 4),
    "c": (1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6),
    "d": (1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7),
    "e": (1, 1, 1, 4, 4, 4, 4),
    "f": (1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3),
}


def figure_7(case: str, node_class: type[RaftNode] = RaftNode) -> Network:
    """n1 leads term 8 with figure 7's log; n2 is follower ``case``; n3 (empty) gives n1 its majority."""
    follower = FIGURE_7_FOLLOWERS[case]
    net = Network(
        members(3),
        node_class=node_class,
        stored={"n1": stored(7, *FIGURE_7_LEADER), "n2": stored(max(follower), *follower)},
    )
    net.cut("n2", "n3")  # only n1 repairs n2's log
    elect(net, "n1")
    assert net["n1"].term == 8
    return net


@pytest.mark.parametrize("case", sorted(FIGURE_7_FOLLOWERS))
def test_the_leader_brings_every_figure_7_follower_to_its_log(case: str) -> None:
    net = figure_7(case)
    # The new leader's no-op entry (8) conflicts with whatever (c) and (d) hold
    # after index 10, so their extra entries go too.
    assert [t for t, _ in net.log("n1")] == [*FIGURE_7_LEADER, 8]
    assert net.log("n2") == net.log("n1")


@pytest.mark.parametrize("case", ["c", "d", "e", "f"])
def test_without_conflict_truncation_figure_7_followers_keep_stale_entries(case: str) -> None:
    net = figure_7(case, KeepsConflictingEntries)
    assert net.log("n2") != net.log("n1")


def test_fast_back_off_costs_one_rejection_per_conflicting_term_at_most() -> None:
    # Section 5.3: with the conflicting term in the rejection, the leader skips
    # a term of entries per round trip instead of one entry. Follower (f)
    # disagrees from index 4 on, with entries of terms 2 and 3: at most two
    # rejections, where decrementing next one entry at a time takes seven.
    net = figure_7("f")
    rejections = [
        m for m in net.delivered if isinstance(m, AppendResponse) and not m.success and m.src == "n2"
    ]
    assert 1 <= len(rejections) <= 2


def test_a_follower_rejects_entries_that_do_not_continue_its_log() -> None:
    # Figure 2, AppendEntries rule 2: no entry at prevLogIndex with prevLogTerm.
    net = Network(members(3), PAPER, stored={"n2": stored(3, 1, 2)})
    net.step(AppendEntries(3, "n1", "n2", 2, 3, entries(1, 2, 3)[2:], 0))
    reply = net.queue[-1]
    assert isinstance(reply, AppendResponse) and not reply.success
    assert net.log("n2") == [(1, "1/t1"), (2, "2/t2")]


# -- the commit rule (section 5.4.2, figure 8) ----------------------------------------


#: The paper's algorithm as figure 8 runs it: no no-op, no PreVote, no CheckQuorum lease.
FIGURE_2_ONLY = RaftConfig(noop_on_election=False, pre_vote=False, check_quorum=False)


def figure_8(node_class: type[RaftNode]) -> Network:
    """Figure 8, five members, from (b): S5 leads term 3 with 2/t3 that only it holds; S1 (term 2) and
    S2 hold 2/t2; S3 and S4 voted for S5 and hold only index 1. Then (c): S5 is down, S1 is elected
    for term 4 with S2 and S3 and replicates 2/t2 to S3, so 2/t2 sits on a majority."""
    net = Network(
        members(5),
        FIGURE_2_ONLY,
        node_class=node_class,
        stored={
            "n1": stored(2, 1, 2, commit=1),
            "n2": stored(2, 1, 2, commit=1),
            "n3": stored(3, 1, vote="n5", commit=1),
            "n4": stored(3, 1, vote="n5", commit=1),
            "n5": stored(3, 1, 3, vote="n5", commit=1),
        },
    )
    net.crash("n5")
    net.cut("n1", "n4")  # n4 neither votes for n1 nor receives its entries
    elect(net, "n1")
    assert net["n1"].term == 4
    assert [net[i].log[1] if len(net[i].log) > 1 else None for i in ("n1", "n2", "n3")] == [
        LogEntry(2, 2, "2/t2")
    ] * 3
    return net


@pytest.mark.parametrize(("node_class", "commits"), [(RaftNode, False), (CommitsOlderTermByCounting, True)])
def test_an_older_term_entry_on_a_majority_is_not_committed_by_counting(
    node_class: type[RaftNode], commits: bool
) -> None:
    net = figure_8(node_class)
    assert (net["n1"].commit == 2) is commits
    assert (LogEntry(2, 2, "2/t2") in net.applied["n1"]) is commits


@pytest.mark.parametrize(("node_class", "safe"), [(RaftNode, True), (CommitsOlderTermByCounting, False)])
def test_figure_8_the_entry_on_a_majority_can_still_be_overwritten(
    node_class: type[RaftNode], safe: bool
) -> None:
    net = figure_8(node_class)
    history = RaftHistory()
    history.record({i: n.status(tuple(net.applied[i])) for i, n in net.nodes.items()})
    # (d): S1 goes down, S5 comes back and wins term 5 with S2, S3 and S4
    # (its last term, 3, beats their 2) and overwrites index 2 where it is not committed.
    net.crash("n1")
    net.recover()
    net.restart("n5")
    elect(net, "n5")
    assert net.propose("n5", "x") == Accepted(3, net["n5"].term)
    net.deliver()
    overwritten = [i for i in ("n2", "n3", "n4") if net.log(i)[1:2] == [(3, "2/t3")]]
    # Correct members never committed 2/t2, so all accept the overwrite. Members
    # that committed it by counting keep it (an append below the commit index is
    # answered with the commit index): only n4 follows.
    assert overwritten == (["n2", "n3", "n4"] if safe else ["n4"])
    # Had n1 committed 2/t2 in (c), the new leader would lack a committed entry.
    now = {i: n.status(tuple(net.applied[i])) for i, n in net.nodes.items()}
    problems = leader_completeness(history, now)
    assert (not problems) is safe
    assert safe or "n5, leader of term 5, holds 2/t3:'2/t3' at index 2" in problems[0]


# -- persistence and restart ------------------------------------------------------------


@pytest.mark.parametrize(("node_class", "votes_twice"), [(RaftNode, False), (ForgetsVote, True)])
def test_a_restarted_member_keeps_its_term_vote_and_log(
    node_class: type[RaftNode], votes_twice: bool
) -> None:
    net = Network(members(3), RaftConfig(pre_vote=False, check_quorum=False), node_class=node_class)
    net.campaign("n1")
    net.propose("n1", "x")
    net.deliver()
    term, log = net["n3"].term, net.log("n3")
    last = len(log)
    net.step(VoteRequest(term + 1, "n2", "n3", last, term))  # n3 votes for n2 in term + 1
    assert net["n3"].vote == "n2"
    net.crash("n3")
    restarted = net.restart("n3")
    assert (restarted.term, net.log("n3")) == (term + 1, log)
    assert restarted.commit == last  # the hard state keeps the commit index too (etcd)
    assert net.applied["n3"] == list(restarted.log)  # ... so the committed prefix is re-applied at once
    net.queue.clear()
    net.step(VoteRequest(term + 1, "n1", "n3", last, term))  # another candidate, same term
    (answer,) = net.queue
    assert isinstance(answer, VoteResponse)
    assert answer.granted is votes_twice


def test_a_vote_is_persisted_in_the_ready_that_sends_it() -> None:
    # The Ready contract: the driver persists before it sends, so the grant
    # must travel in the same Ready as the hard state that records it.
    net = Network(members(3))
    net.step(VoteRequest(1, "n2", "n1", 0, 0))
    (ready,) = [r for r in net.readies["n1"] if r.messages]
    (grant,) = ready.messages
    assert isinstance(grant, VoteResponse) and grant.granted
    assert ready.hard_state is not None and (ready.hard_state.term, ready.hard_state.vote) == (1, "n2")


def test_entries_are_persisted_in_the_ready_that_acknowledges_them() -> None:
    net = Network(members(3))
    net.step(AppendEntries(1, "n2", "n1", 0, 0, entries(1, 1), 0))
    (ready,) = [r for r in net.readies["n1"] if r.messages]
    (ack,) = ready.messages
    assert isinstance(ack, AppendResponse) and ack.success and ack.index == 2
    assert ready.entries_from == 1 and ready.entries == entries(1, 1)
    assert net.storage["n1"].entries == list(entries(1, 1))


def test_a_truncation_is_persisted_as_a_replaced_suffix() -> None:
    net = Network(members(3), PAPER, stored={"n1": stored(2, 1, 2, 2)})
    net.step(AppendEntries(3, "n2", "n1", 1, 1, (LogEntry(2, 3, "new"),), 0))
    assert net.storage["n1"].entries == [LogEntry(1, 1, "1/t1"), LogEntry(2, 3, "new")]


# -- proposals ---------------------------------------------------------------------------


def test_a_proposal_to_a_member_that_does_not_lead_is_refused_with_a_hint() -> None:
    net = Network(members(3))
    assert net.propose("n2", "x") == NotLeader(None)
    net.campaign("n1")
    assert net.propose("n2", "x") == NotLeader("n1")
    assert net.log("n2") == [(1, None)]  # only the leader's no-op: nothing was appended


def test_a_proposal_commits_once_a_majority_holds_it_and_is_applied_everywhere() -> None:
    net = Network(members(3))
    net.campaign("n1")
    accepted = net.propose("n1", "x")
    assert accepted == Accepted(2, 1)
    assert net["n1"].commit == 1  # not before a majority has it
    net.deliver()
    assert net["n1"].commit == 2
    run_rounds(net, net.config.heartbeat_ticks)  # followers learn the commit index
    for i in members(3):
        assert [e.command for e in net.applied[i]] == [None, "x"]


def test_a_one_member_cluster_commits_at_once() -> None:
    net = Network(["n1"])
    net.campaign("n1")
    assert net.propose("n1", "x") == Accepted(2, 1)
    assert net["n1"].commit == 2 and [e.command for e in net.applied["n1"]] == [None, "x"]


def test_none_is_not_a_command() -> None:
    net = Network(["n1"])
    net.campaign("n1")
    with pytest.raises(ValueError, match="no-op"):
        net.propose("n1", None)


def test_the_config_rejects_impossible_timing() -> None:
    with pytest.raises(ValueError, match="heartbeat_ticks"):
        RaftConfig(election_ticks=2, heartbeat_ticks=2)
    with pytest.raises(ValueError, match="max_entries_per_append"):
        RaftConfig(max_entries_per_append=0)


@pytest.mark.parametrize(
    ("node_class", "append_only"), [(RaftNode, True), (LeaderTruncatesToFollower, False)]
)
def test_a_leader_never_cuts_its_own_log(node_class: type[RaftNode], append_only: bool) -> None:
    # n3 comes back from a long absence with an empty log; its rejection must move
    # the leader's next index for it, never the leader's own log (Leader Append-Only).
    net = Network(members(3), PAPER, node_class=node_class)
    elect(net, "n1")
    net.isolate("n3")
    net.isolate("n2")
    for command in ("a", "b"):
        net.propose("n1", command)  # appended, not committed: n1 is cut off ...
    net.queue.clear()  # ... and its appends are lost
    history = RaftHistory()
    history.record({i: n.status() for i, n in net.nodes.items()})
    net.recover()
    net.cut("n1", "n2")
    net.tick("n1", net.config.heartbeat_ticks)
    net.deliver()
    problems = leader_append_only(history, {"n1": net["n1"].status()})
    assert (not problems) is append_only
