"""Broken Raft nodes: each has one classic bug, enabled by subclassing the
reference node here in tests/ (never in impl/), plus one broken adapter. The
suite must catch every one of them (tests/raft/test_suite_catches_bugs.py),
and tests/raft/test_core.py shows several failing the scenario they break."""

from __future__ import annotations

from dataclasses import dataclass
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
from impl.raft.sim import SimulatedRaftCluster, SimulatedRaftProvider
from spec.raft import LogEntry, ProposeOutcome


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
        return Ready(
            ready.hard_state,
            ready.entries_from,
            ready.entries,
            ready.messages,
            self.entries_between(self.applied + 1, self.last_index),
        )


class AcknowledgesWithoutPersisting(RaftNode):
    """Writes its hard state but never its log: it acknowledges entries that a crash then loses."""

    def ready(self) -> Ready:
        ready = super().ready()
        return Ready(ready.hard_state, None, (), ready.messages, ready.committed_entries)

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
