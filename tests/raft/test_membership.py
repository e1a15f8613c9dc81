"""Single-server membership changes (dissertation sections 4.1-4.2; Ongaro's 2015
raft-dev post "bug in single-server membership changes"), on the synchronous
test network.

A configuration is in force from the moment its entry is appended; majorities
are counted over it; a leader takes one change at a time, and only once it has
committed an entry of its own term; a removed leader steps down when its
removal commits; a removed member stops campaigning; snapshots carry the
configuration. The classic dangers are shown on broken variants next to the
reference, and the spec's checks (RAFT-CONFIG-SAFETY,
RAFT-CONFIG-REMOVED-LEADER) are shown to flag them.
"""

from __future__ import annotations

import pytest

from impl.raft.core import Accepted, AppendEntries, NotLeader, RaftConfig, RaftNode, Refused
from spec.raft import (
    ConfigChange,
    LogEntry,
    Observation,
    RaftHistory,
    config_safety,
    configuration_of,
    removed_leader,
    state_machine_safety,
)
from tests.raft.broken import (
    AcceptsChangeWhilePending,
    ChangesBeforeCommittingInTerm,
    KeepsLeadingWhenRemoved,
)
from tests.raft.network import PAPER, Network


def members(size: int) -> list[str]:
    return [f"n{i}" for i in range(1, size + 1)]


def elect(net: Network, member: str, attempts: int = 3) -> None:
    for _ in range(attempts):
        net.campaign(member)
        if net[member].role == "leader":
            return
    raise AssertionError(
        f"{member} did not become leader: {[(i, n.role, n.term) for i, n in net.nodes.items()]}"
    )


def observe(net: Network) -> Observation:
    return {i: n.status(tuple(net.applied[i])) for i, n in net.nodes.items()}


def run_rounds(net: Network, rounds: int) -> None:
    for _ in range(rounds):
        for i in list(net.nodes):
            net.tick(i)
        net.deliver()


def cluster(size: int = 3, joining: tuple[str, ...] = (), **kwargs: object) -> Network:
    net = Network(members(size), joining=joining, **kwargs)  # type: ignore[arg-type]
    elect(net, "n1")
    return net


# -- adding a member ----------------------------------------------------------------


def test_an_added_member_catches_up_and_the_change_commits() -> None:
    net = cluster(3, joining=("n4",))
    assert net["n4"].membership == frozenset() and not net["n4"].is_member  # started empty, to join
    answer = net.change("n1", "add", "n4")
    assert answer == Accepted(2, 1)
    net.deliver()
    everyone = frozenset(members(4))
    assert net["n1"].commit == 2
    run_rounds(net, net.config.heartbeat_ticks)
    for i in members(4):
        assert net[i].membership == everyone
        assert [configuration_of(e) for e in net.applied[i]] == [None, everyone]
    entry = net["n1"].log[1]
    assert entry.command == ConfigChange("add", "n4", everyone)


def test_a_configuration_is_in_force_when_appended_not_when_committed() -> None:
    # n3 is down and n4 unreachable: in the old configuration n1 and n2 are a
    # majority, but the new one (four members) needs three, so nothing commits
    # until n4 answers -- not the change, not what follows it.
    net = cluster(3, joining=("n4",))
    net.crash("n3")
    net.isolate("n4")
    assert isinstance(net.change("n1", "add", "n4"), Accepted)
    assert net["n1"].membership == frozenset(members(4))  # at once, on the leader ...
    net.deliver()
    assert net["n2"].membership == frozenset(members(4))  # ... and on each follower that appends it
    net.propose("n1", "x")
    net.deliver()
    assert net["n1"].commit == 1  # two of four is no majority
    net.recover()
    run_rounds(net, net.config.heartbeat_ticks)
    assert net["n1"].commit == 3
    assert [e.command for e in net.applied["n4"]][-1] == "x"


def test_a_one_member_cluster_grows_to_two_and_needs_both() -> None:
    net = cluster(1, joining=("n2",))
    net.isolate("n2")
    assert isinstance(net.change("n1", "add", "n2"), Accepted)
    assert isinstance(net.propose("n1", "x"), Accepted)
    assert net["n1"].commit == 1  # alone it is no longer a majority
    net.recover()
    run_rounds(net, net.config.heartbeat_ticks)
    assert net["n1"].commit == 3 and net["n2"].commit == 3


def test_a_member_being_added_is_caught_up_by_snapshot_and_learns_the_configuration() -> None:
    net = cluster(3, joining=("n4",))
    for command in "abc":
        net.propose("n1", command)
        net.deliver()
    net.compact("n1", 4)
    assert isinstance(net.change("n1", "add", "n4"), Accepted)
    net.deliver()
    assert net["n4"].snapshot.index == 4
    assert net["n4"].membership == frozenset(members(4))  # from the entry after the snapshot
    assert net.applied["n4"] == net.applied["n1"]


# -- one change at a time --------------------------------------------------------------


@pytest.mark.parametrize(("node_class", "refused"), [(RaftNode, True), (AcceptsChangeWhilePending, False)])
def test_a_second_change_is_refused_while_the_first_is_uncommitted(
    node_class: type[RaftNode], refused: bool
) -> None:
    net = cluster(3, joining=("n4", "n5"), node_class=node_class)
    net.isolate("n3")
    net.isolate("n4")  # the first change needs three of four: it cannot commit yet
    assert isinstance(net.change("n1", "add", "n4"), Accepted)
    net.deliver()
    second = net.change("n1", "add", "n5")
    assert isinstance(second, Refused) is refused
    # Two changes in flight: {n1..n3} and {n1..n5} differ by two members, and
    # n1, n2 (a majority of the first) and n3, n4, n5 (of the second) share none.
    problems = config_safety(RaftHistory(), observe(net))
    assert (not problems) is refused
    if refused:
        assert isinstance(second, Refused) and second.transient
        net.recover()
        run_rounds(net, net.config.heartbeat_ticks)
        assert net["n1"].commit == 2
        assert isinstance(net.change("n1", "add", "n5"), Accepted)  # now it may
    else:
        assert "while 2/t1:Config(+n4) was uncommitted" in problems[0]


def test_changes_that_cannot_be_single_server_changes_are_refused() -> None:
    net = cluster(1)
    assert net.change("n1", "add", "n1") == Refused("n1 is already a member", transient=False)
    assert net.change("n1", "remove", "n9") == Refused("n9 is not a member", transient=False)
    assert net.change("n1", "remove", "n1") == Refused("n1 is the last member", transient=False)


def test_a_follower_refuses_a_change_and_names_its_leader() -> None:
    net = cluster(3)
    assert net.change("n2", "remove", "n3") == NotLeader("n1")


# -- Ongaro's 2015 correction: a new leader commits an entry of its term first ----------


def test_a_new_leader_refuses_a_change_until_it_commits_its_no_op() -> None:
    net = Network(members(3))
    net.drop = lambda m: isinstance(m, AppendEntries)  # it wins, but its no-op reaches nobody
    elect(net, "n1")
    assert net["n1"].commit == 0 and net["n1"].last_index == 1
    answer = net.change("n1", "remove", "n3")
    assert answer == Refused("no entry of term 1 committed yet", transient=True)
    net.recover()
    run_rounds(net, net.config.heartbeat_ticks)
    assert net["n1"].commit == 1
    assert isinstance(net.change("n1", "remove", "n3"), Accepted)


def test_in_paper_mode_a_change_makes_the_leader_append_its_no_op_first() -> None:
    net = Network(members(3), PAPER)
    elect(net, "n1")
    assert net["n1"].last_index == 0  # figure 2: no no-op on election
    assert isinstance(net.change("n1", "remove", "n3"), Refused)
    assert net.log("n1") == [(1, None)]
    net.deliver()
    assert isinstance(net.change("n1", "remove", "n3"), Accepted)


@pytest.mark.parametrize(("node_class", "safe"), [(RaftNode, True), (ChangesBeforeCommittingInTerm, False)])
def test_the_single_server_change_bug_of_2015(node_class: type[RaftNode], safe: bool) -> None:
    """The scenario of Ongaro's post, four members growing to five, twice.

    n1 leads term 1 of {n1..n4}, appends C1 = +n5, and gets it only to n5
    before it crashes. n2 wins term 2 with n3 and n4, in {n1..n4}; n4 never
    receives anything from it. If n2 appended C2 = +n6 now, before committing
    its no-op, C2 would commit with n2, n3, n6 (three of {n1,n2,n3,n4,n6}),
    and n1 could come back and win term 3 with n4 and n5 (three of
    {n1..n5}): it would overwrite the committed C2. The reference refuses C2
    until its no-op commits, which needs n4 -- and then n4's log beats n1's.
    """
    net = Network(members(4), RaftConfig(check_quorum=False), node_class=node_class, joining=("n5", "n6"))
    elect(net, "n1")
    for other in ("n2", "n3", "n4"):
        net.cut("n1", other)
    assert net.change("n1", "add", "n5") == Accepted(2, 1)
    net.deliver()
    assert net.log("n5") == net.log("n1") and net["n1"].commit == 1  # C1: on n1 and n5 only
    net.crash("n1")
    net.drop = lambda m: isinstance(m, AppendEntries) and m.dst == "n4"
    elect(net, "n2")
    assert net["n2"].term == 2 and net["n2"].commit == 1
    answer = net.change("n2", "add", "n6")
    assert isinstance(answer, Refused) is safe
    net.deliver()
    net.recover()
    net.restart("n1")
    for old_side in ("n1", "n4", "n5"):
        for new_side in ("n2", "n3", "n6"):
            net.cut(old_side, new_side)
    history = RaftHistory()
    history.record(observe(net))
    elect(net, "n1", attempts=4)
    assert net["n1"].term == 3
    net.deliver()
    now = observe(net)
    assert (not state_machine_safety(history, now)) is safe
    if not safe:
        # n2 applied C2 at index 3; n1 committed its own no-op there.
        assert net.applied["n2"][2].command == ConfigChange(
            "add", "n6", frozenset({"n1", "n2", "n3", "n4", "n6"})
        )
        assert net.applied["n1"][2] == LogEntry(3, 3, None)


def test_the_spec_flags_a_leader_that_uses_a_change_appended_before_it_committed_in_its_term() -> None:
    net = Network(members(3), node_class=ChangesBeforeCommittingInTerm)
    net.drop = lambda m: isinstance(m, AppendEntries)
    elect(net, "n1")
    assert isinstance(net.change("n1", "remove", "n3"), Accepted)
    problems = config_safety(RaftHistory(), observe(net))
    assert problems and "had committed no entry of its term" in problems[0]


# -- removing members ----------------------------------------------------------------------


@pytest.mark.parametrize(("node_class", "steps_down"), [(RaftNode, True), (KeepsLeadingWhenRemoved, False)])
def test_a_removed_leader_steps_down_once_its_removal_commits(
    node_class: type[RaftNode], steps_down: bool
) -> None:
    # Without CheckQuorum's lease, so that the others vote as soon as n2 asks.
    net = cluster(3, node_class=node_class, config=RaftConfig(check_quorum=False))
    net.cut("n1", "n3")
    assert net.change("n1", "remove", "n1") == Accepted(2, 1)
    assert net["n1"].membership == {"n2", "n3"} and net["n1"].role == "leader"
    net.deliver()
    # n2 holds the entry, and n1 with it: two of three of the old configuration,
    # but n1 does not count itself in the new one, where n2 alone is no majority.
    assert net["n1"].commit == 1 and net["n1"].role == "leader"
    net.recover()
    net.tick("n1", net.config.heartbeat_ticks)
    net.deliver()
    assert net["n1"].commit == 2
    assert (net["n1"].role == "follower") is steps_down
    problems = removed_leader(RaftHistory(), observe(net))
    assert (not problems) is steps_down
    if steps_down:
        net.tick("n1", 3 * net.config.election_ticks)
        assert net["n1"].role == "follower"  # not a member: it never campaigns
        assert not [m for m in net.queue if m.src == "n1"]
        elect(net, "n2")  # the others elect a leader among themselves
        assert net["n2"].membership == {"n2", "n3"}


def test_a_member_removed_by_an_uncommitted_entry_still_campaigns_to_commit_it() -> None:
    # Found by the suite's liveness phase: n1 leads {n1, n2}, appends its own
    # removal and loses leadership before n2 has the entry. n2 cannot win
    # without n1's vote (n1's log is longer); had n1 stayed quiet, as a
    # removed member, nobody would ever lead. Dissertation 4.2.2: it still
    # campaigns, without counting its own vote, wins with n2's, commits the
    # removal, and only then steps down for good.
    net = cluster(2)
    net.isolate("n2")
    assert isinstance(net.change("n1", "remove", "n1"), Accepted)
    net.tick("n1", 2 * net.config.election_ticks)  # CheckQuorum: n2 is the whole configuration
    net.deliver()  # to no one: n2 is cut off
    assert net["n1"].role == "follower" and net["n1"].may_campaign
    assert net.log("n2") == [(1, None)]
    net.recover()
    run_rounds(net, 6 * net.config.election_ticks)
    assert net.leaders() == ["n2"] and net["n2"].membership == {"n2"}
    assert net["n1"].commit >= net["n1"].membership_index and not net["n1"].may_campaign


def test_a_removed_follower_learns_of_its_removal_and_stops_campaigning() -> None:
    net = cluster(3)
    term = net["n1"].term
    assert isinstance(net.change("n1", "remove", "n3"), Accepted)
    net.deliver()
    assert net["n3"].membership == {"n1", "n2"}  # the leader kept it informed until the change committed
    assert "n3" not in net["n1"].progress  # ... and then stopped
    net.isolate("n3")
    net.tick("n3", 5 * net.config.election_ticks)
    assert (net["n3"].role, net["n3"].term) == ("follower", term)
    assert not [m for m in net.queue if m.src == "n3"]


def test_the_leader_keeps_committing_with_the_smaller_configuration() -> None:
    net = cluster(5)
    assert isinstance(net.change("n1", "remove", "n5"), Accepted)
    net.deliver()
    net.crash("n4")
    net.crash("n5")
    net.cut("n1", "n3")
    # {n1..n4}: n1 and n2 are two of four -- no majority; with n3 it is three.
    net.propose("n1", "x")
    net.deliver()
    assert net["n1"].commit == 2
    net.recover()
    run_rounds(net, net.config.heartbeat_ticks)
    assert net["n1"].commit == 3


def test_an_uncommitted_configuration_is_undone_with_its_entry() -> None:
    net = cluster(5, joining=("n6",), config=RaftConfig(check_quorum=False))
    for other in ("n3", "n4", "n5", "n6"):
        net.cut("n1", other)
    assert isinstance(net.change("n1", "add", "n6"), Accepted)
    net.deliver()
    assert net["n2"].membership == frozenset(members(6))  # appended, so in force
    net.crash("n1")
    net.cut("n2", "n3")  # n2's longer log would beat n3's; keep it out of the election
    elect(net, "n3")
    net.recover()
    run_rounds(net, net.config.heartbeat_ticks)
    assert net["n2"].membership == frozenset(
        members(5)
    )  # the entry was truncated, and the configuration with it
    assert all(configuration_of(e) is None for e in net["n2"].log)


# -- snapshots and restarts carry the configuration -----------------------------------------


def test_a_snapshot_carries_the_configuration_as_of_its_index_and_a_restart_restores_it() -> None:
    net = cluster(3, joining=("n4",))
    assert isinstance(net.change("n1", "add", "n4"), Accepted)
    net.deliver()
    net.propose("n1", "x")
    net.deliver()
    run_rounds(net, net.config.heartbeat_ticks)
    snapshot = net.compact("n2", 3)
    assert snapshot.membership == frozenset(members(4))
    assert all(configuration_of(e) is None for e in net["n2"].log)  # the change lives in the snapshot only
    net.crash("n2")
    restarted = net.restart("n2")
    assert restarted.membership == frozenset(members(4))
    assert restarted.status().config == frozenset(members(4))


def test_a_snapshot_taken_before_any_change_keeps_the_bootstrap_configuration() -> None:
    net = cluster(3)
    net.propose("n1", "x")
    net.deliver()
    snapshot = net.compact("n1", 2)
    assert snapshot.membership == frozenset(members(3))
