"""spec/raft.py: each requirement's check on hand-built observations it must
accept and ones it must reject, taken from the paper's figures where one fits."""

from __future__ import annotations

from dataclasses import replace

import pytest

from spec.raft import (
    ChangeOutcome,
    ConfigAction,
    ConfigChange,
    LogEntry,
    MemberStatus,
    Observation,
    ProposeOutcome,
    RaftHistory,
    RegisterRead,
    RegisterWrite,
    Role,
    agreed_leader,
    apply_committed,
    apply_register,
    commit_monotonic,
    committed_entries,
    config_safety,
    current_config,
    election_safety,
    leader_append_only,
    leader_completeness,
    leader_of,
    log_matching,
    missing_applied,
    proposal_outcomes,
    removed_leader,
    state_machine_safety,
)


def log(*terms: int, commands: dict[int, object] | None = None) -> tuple[LogEntry, ...]:
    """Entries with the given terms at 1, 2, ...; commands default to "<index>/t<term>"."""
    commands = commands or {}
    return tuple(LogEntry(i, t, commands.get(i, f"{i}/t{t}")) for i, t in enumerate(terms, start=1))


def member(
    term: int,
    role: Role = "follower",
    *,
    entries: tuple[LogEntry, ...] | None = None,
    commit: int = 0,
    applied: int = 0,
) -> MemberStatus:
    """A member whose applied entries are its first ``applied`` log entries."""
    return MemberStatus(
        term=term,
        role=role,
        commit_index=commit,
        last_applied=applied,
        applied=tuple((entries or ())[:applied]),
        log=entries,
    )


def recorded(*observations: Observation) -> RaftHistory:
    history = RaftHistory()
    for observation in observations:
        history.record(observation)
    return history


# -- RAFT-ELECTION-SAFETY ------------------------------------------------------------


def test_election_safety_accepts_one_leader_per_term() -> None:
    history = recorded({"a": member(1, "leader"), "b": member(1)})
    assert election_safety(history, {"a": member(2), "b": member(2, "leader")}) == []


def test_election_safety_rejects_two_leaders_of_one_term_at_once() -> None:
    assert election_safety(RaftHistory(), {"a": member(3, "leader"), "b": member(3, "leader")})


def test_election_safety_rejects_a_second_leader_of_a_term_seen_earlier() -> None:
    # a led term 3 and is gone (crashed); b leads term 3 later: still two leaders of term 3.
    history = recorded({"a": member(3, "leader"), "b": member(3)})
    assert election_safety(history, {"b": member(3, "leader")})


# -- RAFT-LEADER-APPEND-ONLY ------------------------------------------------------------


def test_leader_append_only_accepts_a_growing_log() -> None:
    history = recorded({"a": member(2, "leader", entries=log(1, 2))})
    assert leader_append_only(history, {"a": member(2, "leader", entries=log(1, 2, 2))}) == []


def test_leader_append_only_rejects_an_overwritten_entry() -> None:
    history = recorded({"a": member(2, "leader", entries=log(1, 2))})
    changed = log(1, 2, commands={2: "other"})
    assert leader_append_only(history, {"a": member(2, "leader", entries=changed)})


def compacted(status: MemberStatus, through: int) -> MemberStatus:
    """``status`` after compacting its log through ``through`` (section 7): the entries move to a snapshot."""
    assert status.log is not None
    return replace(status, log=tuple(e for e in status.log if e.index > through), snapshot_index=through)


def test_a_compacted_log_reports_entries_after_its_snapshot_only() -> None:
    status = compacted(member(2, entries=log(1, 2, 2, 2)), 2)
    assert (status.entry(2), status.entry(3), status.last_index) == (None, LogEntry(3, 2, "3/t2"), 4)
    assert compacted(member(2, entries=log(1, 2)), 2).last_index == 2  # all of it in the snapshot


def test_leader_append_only_accepts_a_leader_compacting_its_log() -> None:
    history = recorded({"a": member(2, "leader", entries=log(1, 2, 2))})
    now = compacted(member(2, "leader", entries=log(1, 2, 2, 2)), 2)
    assert leader_append_only(history, {"a": now}) == []
    everything = compacted(member(2, "leader", entries=log(1, 2, 2)), 3)
    assert leader_append_only(history, {"a": everything}) == []


def test_leader_append_only_rejects_a_changed_entry_after_the_snapshot() -> None:
    history = recorded({"a": member(2, "leader", entries=log(1, 2, 2))})
    now = compacted(member(2, "leader", entries=log(1, 2, 2, commands={3: "other"})), 1)
    assert leader_append_only(history, {"a": now})
    shorter = compacted(member(2, "leader", entries=log(1, 2)), 1)
    assert leader_append_only(history, {"a": shorter})  # 3/t2 vanished without a snapshot to hold it


def test_leader_append_only_does_not_compare_different_terms() -> None:
    # A member that leads term 4 after term 2 may have had its log repaired in between.
    history = recorded({"a": member(2, "leader", entries=log(1, 2, 2))})
    assert leader_append_only(history, {"a": member(4, "leader", entries=log(1, 3, 4))}) == []


# -- RAFT-LOG-MATCHING ---------------------------------------------------------------------


def test_log_matching_accepts_the_figure_7_logs() -> None:
    leader = log(1, 1, 1, 4, 4, 5, 5, 6, 6, 6)
    followers = [
        log(1, 1, 1, 4, 4, 5, 5, 6, 6),
        log(1, 1, 1, 4),
        log(1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6),
        log(1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7),
        log(1, 1, 1, 4, 4, 4, 4),
        log(1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3),
    ]
    observation = {"leader": member(8, "leader", entries=leader)}
    observation |= {f"f{i}": member(8, entries=f) for i, f in enumerate(followers)}
    assert log_matching(observation) == []


def test_log_matching_rejects_equal_entries_over_different_prefixes() -> None:
    a = log(1, 2, 3)
    b = log(1, 1, 3)  # index 3 of term 3 in both, but index 2 differs
    assert log_matching({"a": member(3, entries=a), "b": member(3, entries=b)})


def test_log_matching_rejects_one_index_and_term_with_two_commands() -> None:
    a = log(1, 2)
    b = log(1, 2, commands={2: "other"})
    assert log_matching({"a": member(2, entries=a), "b": member(2, entries=b)})


# -- RAFT-LEADER-COMPLETENESS --------------------------------------------------------------


def test_leader_completeness_requires_later_leaders_to_hold_committed_entries() -> None:
    # b reported 2/t2 committed while in term 2; a leads term 3 without it.
    history = recorded({"b": member(2, entries=log(1, 2), commit=2)})
    assert leader_completeness(history, {"a": member(3, "leader", entries=log(1, 3))})
    assert leader_completeness(history, {"a": member(3, "leader", entries=log(1, 2, 3))}) == []


def test_leader_completeness_takes_a_snapshot_for_the_committed_entries_it_covers() -> None:
    history = recorded({"b": member(2, entries=log(1, 2, 2), commit=3)})
    leader = compacted(member(3, "leader", entries=log(1, 2, 2, 3)), 2)
    assert leader_completeness(history, {"a": leader}) == []
    wrong_after_snapshot = compacted(member(3, "leader", entries=log(1, 2, 3)), 2)
    assert leader_completeness(history, {"a": wrong_after_snapshot})


def test_leader_completeness_asks_nothing_of_leaders_of_the_reporting_term() -> None:
    # Figure 8 (c): 2/t2 may become committed in term 4, when S5 of term 3 never had it.
    # Reported in term 4, it binds leaders of terms after 4 only.
    history = recorded({"s1": member(4, "leader", entries=log(1, 2, 4), commit=3)})
    assert leader_completeness(history, {"s5": member(4, entries=log(1, 3))}) == []
    assert leader_completeness(history, {"s5": member(5, "leader", entries=log(1, 3))})


def test_history_keeps_the_earliest_term_an_entry_was_reported_committed_in() -> None:
    history = recorded(
        {"b": member(5, entries=log(1, 2), commit=2)}, {"c": member(3, entries=log(1, 2), commit=2)}
    )
    assert history.committed[2].by_term == 3


# -- RAFT-STATE-MACHINE-SAFETY --------------------------------------------------------------


def test_state_machine_safety_rejects_different_entries_applied_at_one_index() -> None:
    assert state_machine_safety(
        RaftHistory(),
        {
            "a": member(2, entries=log(1, 2), commit=2, applied=2),
            "b": member(3, entries=log(1, 3), commit=2, applied=2),
        },
    )


def test_state_machine_safety_remembers_what_a_crashed_member_applied() -> None:
    history = recorded({"a": member(2, entries=log(1, 2), commit=2, applied=2)})
    assert state_machine_safety(history, {"b": member(3, entries=log(1, 3), commit=2, applied=2)})
    assert state_machine_safety(history, {"b": member(3, entries=log(1, 2, 3), commit=3, applied=3)}) == []


# -- RAFT-COMMIT-MONOTONIC ----------------------------------------------------------------


def test_commit_monotonic_rejects_a_commit_index_going_back_without_a_restart() -> None:
    history = recorded({"a": member(2, entries=log(1, 2), commit=2)})
    assert commit_monotonic(history, {"a": member(2, entries=log(1, 2), commit=1)})


def test_commit_monotonic_allows_a_volatile_commit_index_to_restart_from_zero() -> None:
    # The paper keeps commitIndex volatile: after a restart it starts at 0.
    history = recorded({"a": member(2, entries=log(1, 2), commit=2, applied=2)})
    history.restarted("a")
    assert commit_monotonic(history, {"a": member(2, entries=log(1, 2), commit=0)}) == []


def test_commit_monotonic_rejects_a_committed_entry_lost_across_a_restart() -> None:
    history = recorded({"a": member(2, entries=log(1, 2), commit=2)})
    history.restarted("a")
    assert commit_monotonic(history, {"a": member(2, entries=log(1), commit=0)})
    assert commit_monotonic(history, {"a": member(3, entries=log(1, 3), commit=0)})


def test_commit_monotonic_accepts_committed_entries_moving_into_a_snapshot() -> None:
    history = recorded({"a": member(2, entries=log(1, 2, 2), commit=3)})
    assert commit_monotonic(history, {"a": compacted(member(2, entries=log(1, 2, 2), commit=3), 3)}) == []
    history.restarted("a")
    lost = compacted(member(2, entries=log(1, 2), commit=2), 2)
    assert commit_monotonic(history, {"a": lost})  # 3/t2 neither in the snapshot nor the log


def test_commit_monotonic_without_logs_still_compares_applied_entries() -> None:
    before = MemberStatus(2, "follower", 2, 2, log(1, 2))
    history = recorded({"a": before})
    history.restarted("a")
    after = MemberStatus(3, "follower", 2, 2, log(1, 3))
    assert commit_monotonic(history, {"a": after})


# -- RAFT-APPLY-COMMITTED -------------------------------------------------------------------


def test_apply_committed_rejects_applying_past_the_commit_index() -> None:
    assert apply_committed({"a": member(2, entries=log(1, 2), commit=1, applied=2)})


def test_apply_committed_rejects_gaps_and_a_wrong_last_applied() -> None:
    gap = MemberStatus(2, "follower", 3, 3, (LogEntry(1, 1), LogEntry(3, 2)))
    assert apply_committed({"a": gap})
    wrong_last = MemberStatus(2, "follower", 3, 3, log(1, 2))
    assert apply_committed({"a": wrong_last})
    assert apply_committed({"a": member(2, entries=log(1, 2), commit=2, applied=1)}) == []


# -- RAFT-PROPOSAL-OUTCOME -------------------------------------------------------------------


def test_proposal_outcomes_hold_when_clients_were_told_the_truth() -> None:
    history = RaftHistory()
    history.proposal_completed("2/t2", ProposeOutcome("committed", 2))
    history.proposal_completed("never", ProposeOutcome("rejected"))
    assert proposal_outcomes(history, {"a": member(2, entries=log(1, 2), commit=2, applied=2)}) == []


def test_proposal_outcomes_reject_a_command_committed_elsewhere_than_acknowledged() -> None:
    history = RaftHistory()
    history.proposal_completed("2/t2", ProposeOutcome("committed", 3))
    assert proposal_outcomes(history, {"a": member(2, entries=log(1, 2), commit=2, applied=2)})


def test_proposal_outcomes_reject_applying_a_rejected_command() -> None:
    history = RaftHistory()
    history.proposal_completed("2/t2", ProposeOutcome("rejected"))
    assert proposal_outcomes(history, {"a": member(2, entries=log(1, 2), commit=2, applied=2)})


def test_an_unknown_outcome_constrains_nothing() -> None:
    history = RaftHistory()
    history.proposal_completed("2/t2", ProposeOutcome("unknown"))
    assert (history.acknowledged, history.rejected) == ({}, set())


def test_a_committed_outcome_needs_an_index_and_no_other_has_one() -> None:
    with pytest.raises(ValueError):
        ProposeOutcome("committed")
    with pytest.raises(ValueError):
        ProposeOutcome("unknown", 3)


# -- RAFT-LIVENESS helpers and shared values ----------------------------------------------------


def test_agreed_leader_needs_every_running_member_to_follow_it() -> None:
    steady = {"a": member(4, "leader"), "b": member(4), "c": member(4)}
    assert agreed_leader(steady) == "a"
    campaigning = {"a": member(4, "leader"), "b": member(4), "c": member(3, "pre-candidate")}
    assert leader_of(campaigning) == "a"
    assert agreed_leader(campaigning) is None
    assert agreed_leader({"a": member(4, "leader"), "b": member(5)}) is None


def test_missing_applied_names_each_lagging_member() -> None:
    observation = {
        "a": member(2, entries=log(1, 2), commit=2, applied=2),
        "b": member(2, entries=log(1, 2), commit=1, applied=1),
    }
    assert missing_applied(observation, [1, 2]) == {"b": [2]}


def test_committed_entries_combines_the_committed_log_prefix_and_what_was_applied() -> None:
    status = member(2, entries=log(1, 2, 2), commit=2, applied=1)
    assert committed_entries(status) == list(log(1, 2))


def test_the_register_state_machine_answers_reads_with_the_last_write() -> None:
    value, answer = apply_register(None, RegisterRead(1))
    assert (value, answer) == (None, None)
    value, answer = apply_register(value, RegisterWrite(2, 7))
    assert (value, answer) == (7, None)
    assert apply_register(value, RegisterRead(3)) == (7, 7)
    assert apply_register(value, "anything else") == (7, None)  # other commands leave it alone


# -- membership changes: RAFT-CONFIG-SAFETY, RAFT-CONFIG-REMOVED-LEADER ------------------------

ABC = frozenset("abc")


def change(index: int, term: int, action: ConfigAction, who: str, members: str) -> LogEntry:
    return LogEntry(index, term, ConfigChange(action, who, frozenset(members)))


def test_config_safety_accepts_one_server_at_a_time_each_after_the_last_committed() -> None:
    entries = (
        LogEntry(1, 1),
        change(2, 1, "add", "d", "abcd"),
        LogEntry(3, 1),
        change(4, 1, "remove", "a", "bcd"),
    )
    leader = replace(member(1, "leader", entries=entries, commit=3), config=frozenset("bcd"))
    assert config_safety(RaftHistory(), {"a": leader}) == []


def test_config_safety_rejects_a_change_of_two_servers() -> None:
    entries = (change(1, 1, "add", "d", "abcd"), change(2, 1, "add", "e", "abcdef"))
    (problem,) = config_safety(RaftHistory(), {"b": member(1, entries=entries, commit=2)})
    assert "not one server added or removed" in problem


def test_config_safety_rejects_a_leader_that_appended_a_change_while_another_was_uncommitted() -> None:
    entries = (LogEntry(1, 1), change(2, 1, "add", "d", "abcd"), change(3, 1, "add", "e", "abcde"))
    leader = replace(member(1, "leader", entries=entries, commit=1), config=frozenset("abcde"))
    (problem,) = config_safety(RaftHistory(), {"a": leader})
    assert "while 2/t1:Config(+d) was uncommitted" in problem


def test_config_safety_allows_a_follower_two_uncommitted_changes() -> None:
    # The leader committed the first before appending the second; this
    # follower just has not heard of that commit yet.
    entries = (LogEntry(1, 1), change(2, 1, "add", "d", "abcd"), change(3, 1, "add", "e", "abcde"))
    assert config_safety(RaftHistory(), {"b": member(1, entries=entries, commit=1)}) == []


def test_config_safety_allows_a_new_leader_uncommitted_changes_of_earlier_terms() -> None:
    entries = (
        LogEntry(1, 1),
        change(2, 1, "add", "d", "abcd"),
        change(3, 1, "add", "e", "abcde"),
        LogEntry(4, 2),
    )
    leader = replace(member(2, "leader", entries=entries, commit=1), config=frozenset("abcde"))
    assert config_safety(RaftHistory(), {"a": leader}) == []


def test_config_safety_rejects_a_leader_using_a_change_before_it_committed_in_its_term() -> None:
    noop_uncommitted = (LogEntry(1, 1), LogEntry(2, 2), change(3, 2, "add", "d", "abcd"))
    leader = replace(member(2, "leader", entries=noop_uncommitted, commit=1), config=frozenset("abcd"))
    (problem,) = config_safety(RaftHistory(), {"a": leader})
    assert "had committed no entry of its term" in problem
    no_noop = (LogEntry(1, 1), change(2, 2, "add", "d", "abcd"))
    leader = replace(member(2, "leader", entries=no_noop, commit=1), config=frozenset("abcd"))
    assert config_safety(RaftHistory(), {"a": leader})
    # Committed its no-op first: fine. And an implementation that applies a
    # configuration only once committed (etcd) does not use it yet: fine too.
    leader = replace(member(2, "leader", entries=noop_uncommitted, commit=2), config=frozenset("abcd"))
    assert config_safety(RaftHistory(), {"a": leader}) == []
    leader = replace(member(2, "leader", entries=noop_uncommitted, commit=1), config=ABC)
    assert config_safety(RaftHistory(), {"a": leader}) == []


def test_removed_leader_rejects_a_leader_whose_committed_removal_leaves_it_out() -> None:
    entries = (LogEntry(1, 1), change(2, 1, "remove", "a", "bc"))
    pending = replace(member(1, "leader", entries=entries, commit=1), config=frozenset("bc"))
    assert removed_leader(RaftHistory(), {"a": pending}) == []  # still managing the change
    committed = replace(pending, commit_index=2)
    (problem,) = removed_leader(RaftHistory(), {"a": committed})
    assert "leaves it out" in problem
    assert removed_leader(RaftHistory(), {"b": replace(committed, config=frozenset("bc"))}) == []


def test_a_committed_change_must_be_the_change_at_its_index() -> None:
    history = RaftHistory()
    history.change_completed("add", ChangeOutcome("committed", "d", 2))
    history.change_completed("remove", ChangeOutcome("unknown", "b"))
    assert history.changes == {2: ("add", "d")}
    right = member(1, entries=(LogEntry(1, 1), change(2, 1, "add", "d", "abcd")), commit=2)
    assert proposal_outcomes(history, {"a": right}) == []
    wrong = member(1, entries=(LogEntry(1, 1), LogEntry(2, 1, "x")), commit=2)
    (problem,) = proposal_outcomes(history, {"a": wrong})
    assert "the change add d committed there" in problem
    with pytest.raises(ValueError):
        ChangeOutcome("committed", "d")


def test_liveness_helpers_count_only_the_members_of_the_leaders_configuration() -> None:
    # c was removed: nobody sends it anything, so it lags in term and applies nothing new.
    leader = replace(member(4, "leader", entries=log(1, 4), commit=2, applied=2), config=frozenset("ab"))
    follower = replace(member(4, entries=log(1, 4), commit=2, applied=2), config=frozenset("ab"))
    removed = replace(member(3, "pre-candidate", entries=log(1), commit=1, applied=1), config=ABC)
    observation = {"a": leader, "b": follower, "c": removed}
    assert current_config(observation) == frozenset("ab")
    assert agreed_leader(observation) == "a"
    assert missing_applied(observation, [2], current_config(observation)) == {}
    assert missing_applied(observation, [2]) == {"c": [2]}


def test_config_safety_accepts_a_leader_whose_committed_entry_of_its_term_was_compacted() -> None:
    # The no-op (index 5, term 2) is in the snapshot; entries 6 and 7 of term 2
    # are not committed yet, but the entry at the commit index, 5, was.
    entries = (LogEntry(6, 2, "x"), LogEntry(7, 2, "y"), change(8, 2, "add", "d", "abcd"))
    leader = MemberStatus(2, "leader", 5, 5, log=entries, snapshot_index=5, config=frozenset("abcd"))
    assert config_safety(RaftHistory(), {"a": leader}) == []
    committed_earlier = replace(leader, log=(LogEntry(6, 2, "x"), *entries[1:]), commit_index=6)
    assert config_safety(RaftHistory(), {"a": committed_earlier}) == []
    older_term_at_commit = replace(leader, log=(LogEntry(6, 1, "x"), *entries[1:]), commit_index=6)
    assert config_safety(RaftHistory(), {"a": older_term_at_commit})
