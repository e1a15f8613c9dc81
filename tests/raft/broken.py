"""Broken Raft nodes: each has one classic bug, enabled by subclassing the
reference node here in tests/ (never in impl/), plus two broken adapters. The
suite must catch every one of them (tests/raft/test_suite_catches_bugs.py),
and tests/raft/test_core.py shows several failing the scenario they break."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from impl.raft.core import (
    AppendEntries,
    AppendResponse,
    HardState,
    InstallSnapshot,
    PendingRead,
    RaftNode,
    Ready,
)
from impl.raft.member import RegisterMachine
from impl.raft.sim import SimulatedRaftCluster, SimulatedRaftProvider, _Submission
from spec.raft import LogEntry, ProposeOutcome, RegisterRead


class CommitsOlderTermByCounting(RaftNode):
    """Figure 8's bug: commits an entry of an earlier term once a majority holds it."""

    def _may_commit_by_counting(self, index: int) -> bool:
        return True


class ForgetsVote(RaftNode):
    """Never persists its vote: after a restart it can vote again in the same term."""

    def _hard_state(self) -> HardState:
        return HardState(self.term, None, self.commit)


class StaysLeaderOnHigherTerm(RaftNode):
    """A leader that sees a higher term adopts it but does not step down."""

    def _on_higher_term(self, term: int, leader: str | None) -> None:
        if self.role == "leader":
            self.term = term
            self.vote = None
            return
        super()._on_higher_term(term, leader)


class SkipsLogMatchingCheck(RaftNode):
    """Accepts AppendEntries without checking the term of the entry at prev_index."""

    def _handle_append(self, m: AppendEntries) -> None:
        if m.prev_index > self.last_index:
            super()._handle_append(m)  # cannot place the entries at all: the reference's rejection
            return
        self._accept_entries(m.entries)
        last_new = m.prev_index + len(m.entries)
        self.commit = max(self.commit, min(m.commit, last_new))
        self._send(AppendResponse(self.term, self.id, m.src, True, last_new))


class KeepsConflictingEntries(RaftNode):
    """No conflict truncation: an entry it already holds at an index is never replaced."""

    def _accept_entries(self, entries: tuple[LogEntry, ...]) -> None:
        for entry in entries:
            if entry.index > self.last_index:
                self._append(entry)


class GrantsVotesToStaleLogs(RaftNode):
    """Grants votes (and pre-votes) without the section 5.4.1 up-to-date check."""

    def _grants_vote_to_log(self, last_index: int, last_term: int) -> bool:
        return True


class AppliesBeyondCommit(RaftNode):
    """Hands the driver every entry it holds to apply, committed or not."""

    def has_ready(self) -> bool:
        return super().has_ready() or self.applied < self.last_index

    def ready(self) -> Ready:
        ready = super().ready()
        return replace(ready, committed_entries=self.entries_between(self.applied + 1, self.last_index))


class AcknowledgesWithoutPersisting(RaftNode):
    """Writes its hard state but never its log: it acknowledges entries that a crash then loses."""

    def ready(self) -> Ready:
        ready = super().ready()
        return replace(ready, entries_from=None, entries=())

    def advance(self, ready: Ready) -> None:
        super().advance(ready)
        self._unstable_from = None


class NeverRepairsLogs(RaftNode):
    """A leader that ignores rejected appends: a follower that missed entries never catches up."""

    def _handle_append_response(self, m: AppendResponse) -> None:
        if m.success:
            super()._handle_append_response(m)
        elif m.src in self.progress:
            self.progress[m.src].recent_active = True


class ReportsTimeoutsAsRejected(SimulatedRaftCluster):
    """An adapter bug, not a node bug: it tells the client "rejected" when it does not know."""

    def propose(self, command: object) -> ProposeOutcome:
        outcome = super().propose(command)
        return ProposeOutcome("rejected") if outcome.status == "unknown" else outcome


@dataclass
class LyingProvider(SimulatedRaftProvider):
    def new_cluster(self, *, size: int, entropy: Any) -> SimulatedRaftCluster:
        return ReportsTimeoutsAsRejected(size, entropy, self)


class InstallsStaleSnapshots(RaftNode):
    """Installs every snapshot it is sent, even one older than what it already committed."""

    def _handle_snapshot(self, m: InstallSnapshot) -> None:
        if m.snapshot.index <= self.commit:
            self.log.clear()
            self.snapshot = m.snapshot
            self._unstable_snapshot = m.snapshot
            self._unstable_from = None
            self._mark_unstable(m.snapshot.index + 1)
            self.commit = m.snapshot.index
            self._send(AppendResponse(self.term, self.id, m.src, True, m.snapshot.index))
            return
        super()._handle_snapshot(m)


class AnswersReadsLocally(SimulatedRaftCluster):
    """An adapter bug: answers a read at once from the first member it reaches, bypassing the log.

    That member may be a follower that has not applied the latest writes, or
    a deposed leader: the read is stale (RAFT-CLIENT-LINEARIZABLE).
    """

    def submit(self, command: object) -> int:
        if not isinstance(command, RegisterRead):
            return super().submit(command)
        member = next((m for m in self.members() if self._reachable(m)), None)
        if member is None:
            return super().submit(command)
        process = self._processes[member]
        state = process.state
        assert isinstance(state, RegisterMachine)
        answer = ProposeOutcome("committed", len(process.applied), state.value)
        self._submissions.append(_Submission(command, deadline=self.simulation.now, outcome=answer))
        return len(self._submissions) - 1


@dataclass
class LocalReadsProvider(SimulatedRaftProvider):
    def new_cluster(self, *, size: int, entropy: Any) -> SimulatedRaftCluster:
        return AnswersReadsLocally(size, entropy, self)


class CountsHalfAsMajority(RaftNode):
    """Takes half the members, rounded down, for a majority: two such "majorities" of 4 need not meet."""

    def _is_quorum(self, voters: Iterable[str]) -> bool:
        members = set(self.membership)
        return bool(members) and len(set(voters) & members) >= max(1, len(members) // 2)


class LeaderTruncatesToFollower(RaftNode):
    """Repairs in the wrong direction: on a rejected append, a leader cuts its own uncommitted tail
    back to where the follower's log ends, as if the follower's log were the one to keep."""

    def _handle_append_response(self, m: AppendResponse) -> None:
        if not m.success and self.commit <= m.hint_index < self.last_index:
            self._truncate_from(m.hint_index + 1)
            self.progress[m.src].next = min(self.progress[m.src].next, self.last_index + 1)
        super()._handle_append_response(m)


# -- membership changes, reads, leadership transfer ------------------------------------


class AcceptsChangeWhilePending(RaftNode):
    """Accepts a configuration change while the previous one is still uncommitted (two at once)."""

    def _previous_change_committed(self) -> bool:
        return True


class ChangesBeforeCommittingInTerm(RaftNode):
    """The bug of Ongaro's 2015 raft-dev post: a new leader changes the configuration before it has
    committed an entry of its own term."""

    def _may_change_in_term(self) -> bool:
        return True


class KeepsLeadingWhenRemoved(RaftNode):
    """A leader that stays leader after the entry removing it commits."""

    def _after_commit(self) -> None:
        pass


class ReadsWithoutHeartbeat(RaftNode):
    """Serves a ReadIndex at its local commit index at once, without a heartbeat round to confirm
    that it still leads: a leader cut off from the others answers stale reads."""

    def _read_confirmed(self, read: PendingRead) -> bool:
        return True
