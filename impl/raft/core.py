"""A sans-IO Raft node in the etcd-io/raft style: ``step``, ``tick``, ``ready``, ``advance``.

The node never touches a clock, a socket, a disk or the global ``random``:
the driver feeds it messages (``step``) and logical clock ticks (``tick``),
asks it what to do (``ready``), does it in order -- persist the hard state and
entries and sync, then send the messages, then apply the committed entries --
and acknowledges with ``advance``. Randomized election timeouts come from a
``Randomness`` the driver supplies (the simulator passes its ``Entropy``).
Sources: the Raft paper (Ongaro & Ousterhout, figure 2 and sections 5, 8,
9.6 of the dissertation for PreVote), ongardie/raft.tla (one method per
action: ``_campaign`` is Timeout + RequestVote, ``_become_leader`` is
BecomeLeader, ``propose`` is ClientRequest, ``_maybe_commit`` is
AdvanceCommitIndex, ``_send_append`` is AppendEntries, ``step`` is Receive)
and etcd-io/raft's raft.go (PreVote, CheckQuorum and the lease that makes a
member ignore vote requests while it hears from a leader, the conflict hint
for fast back-off, the empty entry a new leader appends).

Choices, and why:

- Persist before send, always. A vote, a term and appended entries reach the
  disk (with ``sync``) before any message that depends on them leaves; etcd
  lets a leader write its own log in parallel with sending (dissertation
  10.2.1), a refinement this node does not need.
- ``HardState`` holds term, vote AND commit index, as etcd's does: the commit
  index then survives a restart, so a restarted member re-applies its
  committed prefix at once instead of waiting for a leader (the paper keeps
  commitIndex volatile; both are correct).
- A new leader appends an entry with no command (``config.noop_on_election``,
  on by default as in etcd): its term then has an entry to commit, which
  commits everything before it (section 8; figure 8's fix in practice). The
  option exists because, with it on and unbounded appends, a node that
  commits by counting older-term replicas (the figure 8 bug) is
  indistinguishable from a correct one: every match index a leader learns in
  its term is at least its no-op's index. The project's bug hunts
  (tests/raft/test_suite_catches_bugs.py) turn it off, as the paper's figure 2
  does not have it.
- Appends are pipelined optimistically (etcd's replicate state): after sending
  entries the leader assumes they arrive; a rejection carries a hint and the
  leader backs off to it. Heartbeats are appends of whatever follows
  ``next``, usually nothing, so they also repair lost appends.
- A candidate re-sends its vote requests to members that have not answered
  every heartbeat interval (raft.tla lets RequestVote fire any time for a
  member not yet heard from); etcd waits for the next election instead. It
  makes elections survive message loss.
- Commands are opaque values; None is reserved for the no-op.
- Snapshots (section 7, etcd's raftLog with its snapshot offset). The driver
  decides when to compact: it snapshots its state machine at an applied
  index, persists the snapshot, and calls ``compact``; the node then forgets
  the entries up to there. A follower that needs a compacted entry gets an
  ``InstallSnapshot`` instead of entries; it installs the snapshot unless it
  already holds (and commits) that prefix, and hands it to the driver in
  ``Ready.snapshot`` to persist and to restore its state machine from.
  As in etcd, an append whose ``prev_index`` is below the follower's commit
  index is answered with the commit index, since everything up to it is
  committed and so matches any current leader (Leader Completeness).

- Membership changes are single-server changes (dissertation 4.1), not joint
  consensus (paper section 6): one member is added or removed per
  configuration entry, and any majority of the configuration before shares a
  member with any majority of the one after, so no joint phase is needed.
  The suite's contract adds or removes one member at a time, so the joint
  machinery (two entries per change, two majorities per decision) would buy
  nothing here; etcd-io/raft offers both and uses the simple one for
  one-member changes. The entry carries ``spec.raft.ConfigChange`` with the
  whole new configuration. A configuration takes effect when its entry is
  APPENDED to a log, committed or not (dissertation 4.1; etcd instead applies
  it once committed), so a member's configuration is always the last
  configuration entry in its log, else its snapshot's, else the bootstrap
  ``members`` it was started with; truncating the entry reverts it. Every
  majority (votes, commit index, CheckQuorum, ReadIndex) is counted over
  that configuration with ``spec.quorum.is_quorum``, a leader being removed
  does not count itself (dissertation 4.2.2), and steps down once the entry
  that removes it commits. A leader accepts a change only when the previous
  configuration entry in its log is committed and, per Ongaro's 2015 raft-dev
  correction ("bug in single-server membership changes"), once it has
  committed an entry of its own term: with configurations in force from
  append, a leader elected without the latest uncommitted configuration
  could otherwise append a change whose majority misses one of a competing
  configuration. A member that knows it was removed (the entry that removes
  it is committed), or that was started empty to join, never campaigns; it
  still votes, since servers answer requests without consulting their
  configuration (dissertation 4.1). A member removed by an entry not yet
  committed does campaign, without counting its own vote (dissertation
  4.2.2): it may be the only one holding that entry, and the others cannot
  elect a leader without its vote, since its log is longer -- the suite's
  liveness phase found exactly that deadlock when removed members stayed
  quiet. The leader keeps replicating to a member it removes, without
  counting it, until the removal commits, and then sends it the commit
  index once more: it then knows it is out and stays quiet, rather than
  timing out and disturbing the others (PreVote and the lease would only
  contain that, section 4.2.3).
  There are no non-voting learners (dissertation 4.2.1's catch-up rounds):
  a new member counts towards the majority at once, so adding one to a
  cluster that has lost members can stall commits until it catches up, as
  the dissertation warns. When ``noop_on_election`` is off (paper mode), a
  leader asked for a change or a read before it has an entry of its own
  term appends a no-op then, and refuses until it commits.
- ReadIndex (dissertation 6.4, etcd's ReadOnlySafe): ``read_index`` at the
  leader, once it has committed an entry of its term, records its commit
  index and starts a heartbeat round; every AppendEntries carries the
  leader's latest read sequence number and every answer echoes it, so an
  answer confirms the reads started before that append was sent. When a
  majority of the configuration (the leader included, if a member) has
  confirmed, ``Ready.read_states`` hands the read index to the driver, which
  serves the read once it has applied that far. Followers refuse reads
  (``NotLeader`` with their leader as a hint); the client asks the leader,
  as it does for proposals. Reads pending when the leader steps down are
  dropped: the driver sees the member is no longer leader and fails them.
- Leadership transfer (dissertation 3.10, etcd's MsgTransferLeader and
  MsgTimeoutNow): the leader stops accepting proposals and changes, brings
  the target's log up to date, and sends ``TimeoutNow``; the target
  campaigns at once in a new term, without PreVote, with vote requests
  marked as a transfer so that voters do not ignore them for CheckQuorum's
  lease (etcd's campaignTransfer). A transfer not done within an election
  timeout is abandoned and proposals are accepted again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from spec.quorum import is_quorum
from spec.raft import ConfigAction, ConfigChange, LogEntry, MemberStatus, Role, configuration_of


class Randomness(Protocol):
    """Where the node's randomized election timeout comes from (``spec.entropy.Entropy`` fits)."""

    def randint(self, a: int, b: int) -> int: ...


@dataclass(frozen=True)
class RaftConfig:
    """Timing in ticks (the driver decides how long a tick is) and the optional behaviours."""

    #: The election timeout is drawn from [election_ticks, 2 * election_ticks - 1] (etcd).
    election_ticks: int = 10
    heartbeat_ticks: int = 2
    pre_vote: bool = True
    check_quorum: bool = True
    #: Entries per AppendEntries message (etcd's MaxSizePerMsg, counted in entries).
    max_entries_per_append: int = 64
    noop_on_election: bool = True

    def __post_init__(self) -> None:
        if self.heartbeat_ticks < 1 or self.election_ticks <= self.heartbeat_ticks:
            raise ValueError(
                f"need 1 <= heartbeat_ticks < election_ticks, got {self.heartbeat_ticks} and "
                f"{self.election_ticks}"
            )
        if self.max_entries_per_append < 1:
            raise ValueError(f"max_entries_per_append must be >= 1, got {self.max_entries_per_append}")


# -- messages ------------------------------------------------------------------
#
# Each carries its sender and destination (the driver sends ``m`` to ``m.dst``)
# and a compact repr for the simulator's trace.


@dataclass(frozen=True, slots=True)
class VoteRequest:
    """RequestVote (figure 2), or a PreVote when ``pre_vote`` (term is then the term it would campaign in)."""

    term: int
    src: str
    dst: str
    last_index: int
    last_term: int
    pre_vote: bool = False
    #: Sent by a leadership transfer's target: voters answer it even within CheckQuorum's lease.
    transfer: bool = False

    def __repr__(self) -> str:
        kind = "PreVote" if self.pre_vote else "Vote"
        forced = " transfer" if self.transfer else ""
        return f"{kind}(t{self.term} last={self.last_index}/t{self.last_term}{forced})"


@dataclass(frozen=True, slots=True)
class VoteResponse:
    term: int
    src: str
    dst: str
    granted: bool
    pre_vote: bool = False

    def __repr__(self) -> str:
        kind = "PreVoteResp" if self.pre_vote else "VoteResp"
        return f"{kind}(t{self.term} {'granted' if self.granted else 'rejected'})"


@dataclass(frozen=True, slots=True)
class AppendEntries:
    term: int
    src: str
    dst: str
    prev_index: int
    prev_term: int
    entries: tuple[LogEntry, ...]
    commit: int
    #: The leader's latest ReadIndex sequence number when it sent this (0: none yet).
    read_seq: int = 0

    def __repr__(self) -> str:
        read = f" read={self.read_seq}" if self.read_seq else ""
        return (
            f"App(t{self.term} prev={self.prev_index}/t{self.prev_term} "
            f"{list(self.entries)} commit={self.commit}{read})"
        )


@dataclass(frozen=True, slots=True)
class AppendResponse:
    """``success``: ``index`` is the follower's match index. Otherwise ``index`` is
    the rejected ``prev_index`` and (``hint_index``, ``hint_term``) the follower's
    last entry that may still match (etcd's reject hint)."""

    term: int
    src: str
    dst: str
    success: bool
    index: int
    hint_index: int = 0
    hint_term: int = 0
    #: The ``read_seq`` of the append this answers.
    read_seq: int = 0

    def __repr__(self) -> str:
        read = f" read={self.read_seq}" if self.read_seq else ""
        if self.success:
            return f"AppResp(t{self.term} ok match={self.index}{read})"
        return f"AppResp(t{self.term} reject {self.index} hint={self.hint_index}/t{self.hint_term}{read})"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The state machine as of ``index`` (whose entry had ``term``): it stands for every entry up to there.

    ``data`` is the driver's: the node carries it and never looks inside.
    """

    index: int = 0
    term: int = 0
    data: object = None
    #: The configuration in force as of ``index`` (None: the bootstrap members, no change before it).
    membership: frozenset[str] | None = None

    def __repr__(self) -> str:
        return f"Snapshot({self.index}/t{self.term})"


@dataclass(frozen=True, slots=True)
class InstallSnapshot:
    """The leader's snapshot, sent instead of entries a follower needs and the leader has compacted."""

    term: int
    src: str
    dst: str
    snapshot: Snapshot

    def __repr__(self) -> str:
        return f"InstallSnap(t{self.term} {self.snapshot!r})"


@dataclass(frozen=True, slots=True)
class TimeoutNow:
    """A leader hands over: the target campaigns at once (leadership transfer, dissertation 3.10)."""

    term: int
    src: str
    dst: str

    def __repr__(self) -> str:
        return f"TimeoutNow(t{self.term})"


Message = VoteRequest | VoteResponse | AppendEntries | AppendResponse | InstallSnapshot | TimeoutNow


# -- what goes in and out ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HardState:
    """What must be on disk before any message that depends on it is sent."""

    term: int = 0
    vote: str | None = None
    commit: int = 0


@dataclass(frozen=True)
class Stored:
    """What a restarting node reads back from its disk: the entries follow the snapshot."""

    hard_state: HardState = HardState()
    entries: tuple[LogEntry, ...] = ()
    snapshot: Snapshot = Snapshot()


@dataclass(frozen=True)
class Ready:
    """What the driver must do, in this order, then call ``advance(ready)``.

    1. Persist ``snapshot`` (if not None: a snapshot received from the leader)
       and drop every stored entry up to its index; persist ``hard_state``
       (if not None) and, if ``entries_from`` is not None, replace every
       stored entry with index >= ``entries_from`` by ``entries`` (a
       conflict truncates the tail). Sync.
    2. Send ``messages`` (each to its ``dst``).
    3. Restore the state machine from ``snapshot`` (if not None), then apply
       ``committed_entries`` in order.
    """

    hard_state: HardState | None
    entries_from: int | None
    entries: tuple[LogEntry, ...]
    messages: tuple[Message, ...]
    committed_entries: tuple[LogEntry, ...]
    snapshot: Snapshot | None = None
    #: Confirmed ReadIndex requests: serve each once the state machine has applied its index.
    read_states: tuple[ReadState, ...] = ()

    @property
    def must_sync(self) -> bool:
        return self.hard_state is not None or self.entries_from is not None or self.snapshot is not None


@dataclass(frozen=True)
class Accepted:
    """``propose`` appended the command at ``index`` in ``term``; it may still be lost."""

    index: int
    term: int


@dataclass(frozen=True)
class NotLeader:
    """``propose`` refused: this member is not the leader. ``leader`` is whom it follows, if known."""

    leader: str | None


@dataclass(frozen=True)
class Refused:
    """The leader refused a request. ``transient``: it may accept the same request a moment later
    (a change pending, no entry of its term committed yet, a transfer under way)."""

    reason: str
    transient: bool


@dataclass(frozen=True)
class ReadStarted:
    """``read_index`` accepted: the read index is ``index``, confirmed later through ``Ready.read_states``."""

    index: int


@dataclass(frozen=True)
class TransferStarted:
    """``transfer_leadership`` accepted: the leader brings ``target`` up to date, then tells it to run."""

    target: str


@dataclass(frozen=True, slots=True)
class ReadState:
    """A confirmed ReadIndex request: ``context`` as the driver passed it, and the read index."""

    context: object
    index: int


@dataclass
class PendingRead:
    """A ReadIndex request waiting for a majority to confirm this leader (etcd's readIndexStatus)."""

    context: object
    index: int
    seq: int
    acks: set[str]


@dataclass
class Progress:
    """The leader's view of one follower (figure 2's nextIndex and matchIndex)."""

    next: int
    match: int = 0
    #: Heard from in the current CheckQuorum interval (etcd's RecentActive).
    recent_active: bool = False


# -- the node ------------------------------------------------------------------


@dataclass
class RaftNode:
    """One member. Build it with ``RaftNode.start``; drive it with step/tick/ready/advance."""

    id: str
    #: The bootstrap configuration: in force until a configuration entry or a snapshot says otherwise
    #: (empty for a member started to join a cluster, which learns its configuration from the leader).
    members: tuple[str, ...]
    config: RaftConfig
    randomness: Randomness
    # Persistent state (figure 2).
    term: int = 0
    vote: str | None = None
    #: The entries after ``snapshot.index``; the snapshot stands for those before.
    log: list[LogEntry] = field(default_factory=list)
    snapshot: Snapshot = Snapshot()
    # Volatile state.
    commit: int = 0
    applied: int = 0
    role: Role = "follower"
    leader: str | None = None
    election_elapsed: int = 0
    heartbeat_elapsed: int = 0
    randomized_timeout: int = 0
    votes: dict[str, bool] = field(default_factory=dict)
    progress: dict[str, Progress] = field(default_factory=dict)
    #: The configuration in force: the last configuration entry's, else the snapshot's, else ``members``.
    membership: frozenset[str] = frozenset()
    #: The index of the entry that set ``membership`` (the snapshot's index, or 0, if none in the log).
    membership_index: int = 0
    #: Leadership transfer under way: its target, and ticks since it started.
    lead_transferee: str | None = None
    transfer_elapsed: int = 0
    pending_reads: list[PendingRead] = field(default_factory=list)
    read_seq: int = 0
    #: This campaign follows a TimeoutNow: its vote requests say so.
    _transfer_campaign: bool = False
    # What the driver has not been given yet.
    _messages: list[Message] = field(default_factory=list)
    _read_states: list[ReadState] = field(default_factory=list)
    _unstable_from: int | None = None
    _unstable_snapshot: Snapshot | None = None
    _persisted: HardState = HardState()

    @classmethod
    def start(
        cls,
        id: str,
        members: Sequence[str],
        config: RaftConfig,
        randomness: Randomness,
        stored: Stored | None = None,
        *,
        applied: int = 0,
    ) -> RaftNode:
        """A node as it comes up: from ``stored`` after a restart, empty the first time.

        ``applied`` is how far the driver's state machine already is: at least
        the snapshot's index, since the driver restores it from the snapshot,
        and no further when it rebuilds the rest by re-applying, as the
        simulator does.
        """
        if members and id not in members:
            raise ValueError(f"{id!r} is not one of the members {tuple(members)}")
        stored = stored or Stored()
        hs, snapshot = stored.hard_state, stored.snapshot
        for position, entry in enumerate(stored.entries, start=snapshot.index + 1):
            if entry.index != position:
                raise ValueError(
                    f"stored log is not contiguous after the snapshot: {entry!r} at position {position}"
                )
        last_index = snapshot.index + len(stored.entries)
        node = cls(
            id=id,
            members=tuple(sorted(members)),
            config=config,
            randomness=randomness,
            term=hs.term,
            vote=hs.vote,
            log=list(stored.entries),
            snapshot=snapshot,
            commit=max(min(hs.commit, last_index), snapshot.index),
            applied=max(applied, snapshot.index),
        )
        node._persisted = hs
        node._recompute_membership()
        node._reset_election_timer()
        return node

    # -- the log -----------------------------------------------------------

    @property
    def last_index(self) -> int:
        return self.snapshot.index + len(self.log)

    def term_at(self, index: int) -> int | None:
        """The term of the entry at ``index``: 0 before the first entry or past the end, None if compacted."""
        offset = index - self.snapshot.index
        if offset == 0:
            return self.snapshot.term
        if 1 <= offset <= len(self.log):
            return self.log[offset - 1].term
        return None if index < self.snapshot.index else 0

    def entries_between(self, first: int, last: int) -> tuple[LogEntry, ...]:
        """The entries ``first..last`` (inclusive) still in the log (none that were compacted)."""
        start = max(first, self.snapshot.index + 1) - self.snapshot.index - 1
        return tuple(self.log[start : max(start, last - self.snapshot.index)])

    @property
    def last_term(self) -> int:
        term = self.term_at(self.last_index)
        assert term is not None  # the last index is never compacted away
        return term

    def _append(self, entry: LogEntry) -> None:
        self.log.append(entry)
        self._mark_unstable(entry.index)
        members = configuration_of(entry)
        if members is not None:
            self._set_membership(members, entry.index)  # in force from now on, committed or not

    def _truncate_from(self, index: int) -> None:
        del self.log[index - self.snapshot.index - 1 :]
        self._mark_unstable(index)
        if self.membership_index >= index:
            self._recompute_membership()  # the entry that set it is gone: back to the one before

    def _mark_unstable(self, index: int) -> None:
        if self._unstable_from is None or index < self._unstable_from:
            self._unstable_from = index

    def _log_is_up_to_date(self, last_index: int, last_term: int) -> bool:
        """Section 5.4.1: the candidate's log is at least as up-to-date as ours."""
        return last_term > self.last_term or (last_term == self.last_term and last_index >= self.last_index)

    @property
    def peers(self) -> tuple[str, ...]:
        """The other members of the configuration in force."""
        return tuple(sorted(self.membership - {self.id}))

    @property
    def is_member(self) -> bool:
        """Whether this member belongs to its own configuration (only members count towards majorities)."""
        return self.id in self.membership

    @property
    def may_campaign(self) -> bool:
        """Members campaign; so does one removed by an entry it does not know committed (dissertation
        4.2.2: it may be the only one holding that entry, and needed to commit it), though it does
        not count its own vote. A member that joins knows no configuration and waits."""
        return self.is_member or (bool(self.membership) and self._config_change_pending())

    def _is_quorum(self, voters: Iterable[str]) -> bool:
        """A majority of the configuration in force (``spec.quorum``); non-members do not count."""
        return bool(self.membership) and is_quorum(frozenset(voters), self.membership)

    # -- the configuration (single-server changes, dissertation 4.1) ----------

    def _membership_at(self, index: int) -> tuple[frozenset[str], int]:
        """The configuration in force after entry ``index`` (>= the snapshot's) and the index that set it."""
        for entry in reversed(self.entries_between(self.snapshot.index + 1, index)):
            members = configuration_of(entry)
            if members is not None:
                return members, entry.index
        if self.snapshot.membership is not None:
            return self.snapshot.membership, self.snapshot.index
        return frozenset(self.members), 0

    def _recompute_membership(self) -> None:
        self._set_membership(*self._membership_at(self.last_index))

    def _set_membership(self, members: frozenset[str], index: int) -> None:
        self.membership, self.membership_index = members, index
        if self.role != "leader":
            return
        for peer in self.peers:
            if peer not in self.progress:
                # A new member: probe from the entry that added it; it rejects
                # and the usual back-off (or a snapshot) fills in the rest.
                self.progress[peer] = Progress(next=max(1, self.last_index))
        # A removed member keeps getting entries, uncounted, until its removal
        # commits (``_after_commit``): it then holds the entry that removes it
        # and stops campaigning, instead of disrupting the others.
        if self.lead_transferee is not None and self.lead_transferee not in self.membership:
            self._abort_transfer()

    def _committed_in_term(self) -> bool:
        """Whether this leader has committed an entry of its own term (then, by Leader Completeness,
        its commit index covers everything committed before its term)."""
        return self.term_at(self.commit) == self.term

    def _config_change_pending(self) -> bool:
        """Whether the configuration entry in force is not committed yet."""
        return self.membership_index > self.commit

    def _ensure_term_entry(self) -> None:
        """Paper mode: append the no-op a new etcd leader appends at once, for a change or a read."""
        if self.last_term != self.term:
            self._append(LogEntry(self.last_index + 1, self.term, None))
            self._broadcast_append()
            self._maybe_commit()

    # -- driver interface --------------------------------------------------

    def tick(self) -> None:
        """One logical clock tick."""
        if self.role == "leader":
            self._tick_heartbeat()
        else:
            self._tick_election()

    def step(self, m: Message) -> None:
        """Handle one message (raft.tla's Receive): term rules first, then by type."""
        if m.term > self.term:
            if isinstance(m, VoteRequest):
                if self._in_lease() and not m.transfer:
                    # etcd: while a member hears from a live leader it ignores
                    # vote requests, so a member that rejoins after a partition
                    # cannot depose a working leader (CheckQuorum's other half).
                    return
                if not m.pre_vote:
                    self._on_higher_term(m.term, None)
            elif isinstance(m, VoteResponse) and m.pre_vote and m.granted:
                pass  # a granted pre-vote carries the term the candidate will campaign in
            else:
                self._on_higher_term(
                    m.term, m.src if isinstance(m, AppendEntries | InstallSnapshot | TimeoutNow) else None
                )
        elif m.term < self.term:
            self._reject_stale(m)
            return

        if isinstance(m, VoteRequest):
            self._handle_vote_request(m)
        elif isinstance(m, VoteResponse):
            self._handle_vote_response(m)
        elif isinstance(m, AppendEntries | InstallSnapshot):
            if self.role == "leader":
                return  # another leader of our term cannot exist; ignore rather than obey it
            if self.role != "follower":
                self._become_follower(self.term, m.src)
            self.leader = m.src
            self.election_elapsed = 0
            if isinstance(m, AppendEntries):
                self._handle_append(m)
            else:
                self._handle_snapshot(m)
        elif isinstance(m, TimeoutNow):
            self._handle_timeout_now(m)
        elif self.role == "leader":
            self._handle_append_response(m)

    def propose(self, command: object) -> Accepted | NotLeader | Refused:
        """ClientRequest: append ``command`` if this member leads; it commits later, or never."""
        if command is None:
            raise ValueError("None is reserved for the leader's no-op entry")
        if isinstance(command, ConfigChange):
            raise ValueError("configuration changes go through propose_change")
        if self.role != "leader":
            return NotLeader(self.leader)
        if self.lead_transferee is not None:
            return Refused(f"leadership transfer to {self.lead_transferee} under way", transient=True)
        return self._append_and_replicate(command)

    def _append_and_replicate(self, command: object) -> Accepted:
        entry = LogEntry(self.last_index + 1, self.term, command)
        self._append(entry)
        self._broadcast_append()
        self._maybe_commit()  # a one-member cluster commits at once
        return Accepted(entry.index, entry.term)

    def propose_change(self, action: ConfigAction, member: str) -> Accepted | NotLeader | Refused:
        """Add or remove one member: a configuration entry, in force at once on this leader."""
        if self.role != "leader":
            return NotLeader(self.leader)
        refused = self._refuse_change(action, member)
        if refused is not None:
            return refused
        members = self.membership | {member} if action == "add" else self.membership - {member}
        return self._append_and_replicate(ConfigChange(action, member, members))

    def _refuse_change(self, action: ConfigAction, member: str) -> Refused | None:
        if action == "add" and member in self.membership:
            return Refused(f"{member} is already a member", transient=False)
        if action == "remove" and member not in self.membership:
            return Refused(f"{member} is not a member", transient=False)
        if action == "remove" and self.membership == {member}:
            return Refused(f"{member} is the last member", transient=False)
        if self.lead_transferee is not None:
            return Refused(f"leadership transfer to {self.lead_transferee} under way", transient=True)
        if not self._previous_change_committed():
            return Refused(
                f"the configuration entry at {self.membership_index} is not committed yet", transient=True
            )
        if not self._may_change_in_term():
            self._ensure_term_entry()
            return Refused(f"no entry of term {self.term} committed yet", transient=True)
        return None

    def _previous_change_committed(self) -> bool:
        """One change at a time (dissertation 4.1): the configuration in force is committed."""
        return not self._config_change_pending()

    def _may_change_in_term(self) -> bool:
        """Ongaro's 2015 correction: a leader changes the configuration only after it committed an
        entry of its own term."""
        return self._committed_in_term()

    def read_index(self, context: object) -> ReadStarted | NotLeader | Refused:
        """ReadIndex: confirm leadership with a heartbeat round, then hand ``context`` back with the
        read index in ``Ready.read_states``."""
        if self.role != "leader":
            return NotLeader(self.leader)
        if not self._committed_in_term():
            # Until then the commit index may lag what earlier leaders committed.
            self._ensure_term_entry()
            return Refused(f"no entry of term {self.term} committed yet", transient=True)
        self.read_seq += 1
        self.pending_reads.append(PendingRead(context, self.commit, self.read_seq, {self.id}))
        if not self._release_reads():  # a one-member configuration confirms at once
            self._broadcast_append()
        return ReadStarted(self.commit)

    def transfer_leadership(self, target: str) -> TransferStarted | NotLeader | Refused:
        """Hand leadership to ``target``: bring it up to date, then tell it to campaign."""
        if self.role != "leader":
            return NotLeader(self.leader)
        if target == self.id:
            return Refused(f"{target} already leads", transient=False)
        if target not in self.membership:
            return Refused(f"{target} is not a member", transient=False)
        if self.lead_transferee == target:
            return TransferStarted(target)
        self.lead_transferee = target
        self.transfer_elapsed = 0
        if self.progress[target].match == self.last_index:
            self._send(TimeoutNow(self.term, self.id, target))
        else:
            self._send_append(target)
        return TransferStarted(target)

    def _abort_transfer(self) -> None:
        self.lead_transferee = None
        self.transfer_elapsed = 0

    def compact(self, index: int, data: object) -> Snapshot:
        """Forget the entries up to ``index``: ``data`` is the driver's state machine as of there.

        ``index`` must be applied already. Returns the snapshot, which the
        driver persists (dropping the stored entries it stands for) before
        anything else happens; until then the disk still has the entries.
        """
        if not self.snapshot.index < index <= self.applied:
            raise ValueError(
                f"can compact only past the snapshot ({self.snapshot.index}) up to applied ({self.applied}), "
                f"not to {index}"
            )
        term = self.term_at(index)
        assert term is not None
        membership, _ = self._membership_at(index)
        del self.log[: index - self.snapshot.index]
        self.snapshot = Snapshot(index, term, data, membership)
        if self.membership_index <= index:
            self.membership_index = index  # set by the snapshot now (same configuration)
        return self.snapshot

    def has_ready(self) -> bool:
        return bool(
            self._messages
            or self._read_states
            or self._unstable_from is not None
            or self._unstable_snapshot is not None
            or self.commit > self.applied
            or self._hard_state() != self._persisted
        )

    def ready(self) -> Ready:
        """What to persist, send and apply now (see ``Ready``); no state changes until ``advance``."""
        hs = self._hard_state()
        start = self._unstable_from
        snapshot = self._unstable_snapshot
        applied = snapshot.index if snapshot is not None else self.applied
        return Ready(
            hard_state=hs if hs != self._persisted else None,
            entries_from=start,
            entries=self.entries_between(start, self.last_index) if start is not None else (),
            messages=tuple(self._messages),
            committed_entries=self.entries_between(applied + 1, self.commit),
            snapshot=snapshot,
            read_states=tuple(self._read_states),
        )

    def advance(self, ready: Ready) -> None:
        """The driver did everything ``ready`` asked (the node was not stepped in between)."""
        if ready.hard_state is not None:
            self._persisted = ready.hard_state
        if ready.entries_from is not None:
            self._unstable_from = None
        if ready.snapshot is not None:
            self._unstable_snapshot = None
            self.applied = ready.snapshot.index
        del self._messages[: len(ready.messages)]
        del self._read_states[: len(ready.read_states)]
        if ready.committed_entries:
            self.applied = ready.committed_entries[-1].index

    def status(self, applied: tuple[LogEntry, ...] = ()) -> MemberStatus:
        """The member as the suite sees it; ``applied`` is what the driver's state machine applied."""
        return MemberStatus(
            term=self.term,
            role=self.role,
            commit_index=self.commit,
            last_applied=self.applied,
            applied=applied,
            voted_for=self.vote,
            log=tuple(self.log),
            snapshot_index=self.snapshot.index,
            config=self.membership,
        )

    def _hard_state(self) -> HardState:
        return HardState(self.term, self.vote, self.commit)

    def _send(self, m: Message) -> None:
        self._messages.append(m)

    # -- roles (raft.tla: Timeout, BecomeLeader; etcd: becomeX) ------------------

    def _reset_election_timer(self) -> None:
        self.election_elapsed = 0
        self.heartbeat_elapsed = 0
        ticks = self.config.election_ticks
        self.randomized_timeout = ticks + self.randomness.randint(0, ticks - 1)

    def _become_follower(self, term: int, leader: str | None) -> None:
        if term != self.term:
            self.term = term
            self.vote = None
        self.role = "follower"
        self.leader = leader
        self.votes = {}
        self.progress = {}
        self.pending_reads = []  # the driver fails them: this member no longer leads
        self._abort_transfer()
        self._reset_election_timer()

    def _on_higher_term(self, term: int, leader: str | None) -> None:
        """Figure 2: a message with a higher term makes any member a follower of that term."""
        self._become_follower(term, leader)

    def _campaign(self, pre_vote: bool, transfer: bool = False) -> None:
        """Timeout + RequestVote: a PreVote round first if enabled (it does not touch the term).

        ``transfer``: the leader handed over (TimeoutNow); the vote requests say so.
        """
        if pre_vote:
            self.role = "pre-candidate"
            campaign_term = self.term + 1
        else:
            self.role = "candidate"
            self.term += 1
            self.vote = self.id
            campaign_term = self.term
        self.leader = None
        self.progress = {}
        self.pending_reads = []
        self._abort_transfer()
        self._reset_election_timer()
        self.votes = {self.id: True}
        self._transfer_campaign = transfer
        if self._tally_votes():
            return  # a one-member cluster wins alone
        self._request_votes(campaign_term, pre_vote)

    def _request_votes(self, campaign_term: int, pre_vote: bool) -> None:
        for peer in self.peers:
            if peer not in self.votes:
                request = VoteRequest(
                    campaign_term,
                    self.id,
                    peer,
                    self.last_index,
                    self.last_term,
                    pre_vote,
                    self._transfer_campaign and not pre_vote,
                )
                self._send(request)

    def _become_leader(self) -> None:
        self.role = "leader"
        self.leader = self.id
        self.votes = {}
        self._transfer_campaign = False
        self._reset_election_timer()
        self.progress = {p: Progress(next=self.last_index + 1) for p in self.peers}
        if self.config.noop_on_election:
            self._append(LogEntry(self.last_index + 1, self.term, None))
        self._broadcast_append()
        self._maybe_commit()

    def _in_lease(self) -> bool:
        return (
            self.config.check_quorum
            and self.leader is not None
            and self.election_elapsed < self.config.election_ticks
        )

    # -- ticks ---------------------------------------------------------------

    def _tick_election(self) -> None:
        self.election_elapsed += 1
        self.heartbeat_elapsed += 1
        if self.election_elapsed >= self.randomized_timeout:
            if self.may_campaign:
                self._campaign(pre_vote=self.config.pre_vote)
            else:
                # Removed for good, or joining and not yet told of a
                # configuration that has it: it could only disrupt the members.
                self._become_follower(self.term, self.leader)
            return
        campaigning = self.role in ("candidate", "pre-candidate")
        if campaigning and self.heartbeat_elapsed >= self.config.heartbeat_ticks:
            self.heartbeat_elapsed = 0
            pre_vote = self.role == "pre-candidate"
            self._request_votes(self.term + 1 if pre_vote else self.term, pre_vote)

    def _tick_heartbeat(self) -> None:
        self.election_elapsed += 1
        self.heartbeat_elapsed += 1
        if self.lead_transferee is not None:
            self.transfer_elapsed += 1
            if self.transfer_elapsed >= self.config.election_ticks:
                self._abort_transfer()  # etcd: give up after an election timeout, take proposals again
        if self.election_elapsed >= self.config.election_ticks:
            self.election_elapsed = 0
            if self.config.check_quorum:
                active = {self.id} | {peer for peer, p in self.progress.items() if p.recent_active}
                if not self._is_quorum(active):
                    # CheckQuorum (etcd): a leader that has not heard from a
                    # majority for an election timeout steps down, so clients
                    # stop waiting on a leader cut off in a minority.
                    self._become_follower(self.term, None)
                    return
                for p in self.progress.values():
                    p.recent_active = False
        if self.heartbeat_elapsed >= self.config.heartbeat_ticks:
            self.heartbeat_elapsed = 0
            self._broadcast_append()

    # -- votes ---------------------------------------------------------------

    def _handle_vote_request(self, m: VoteRequest) -> None:
        # etcd's canVote: we already voted for them (a repeated request), or we
        # have not voted and know no leader in this term, or it is a pre-vote
        # for a later term (which promises nothing).
        can_vote = (
            self.vote == m.src
            or (self.vote is None and self.leader is None)
            or (m.pre_vote and m.term > self.term)
        )
        if can_vote and self._grants_vote_to_log(m.last_index, m.last_term):
            if not m.pre_vote:
                self.vote = m.src
                self.election_elapsed = 0
            # A granted pre-vote answers in the candidate's future term so it can
            # tell the answer from one to an older round.
            self._send(VoteResponse(m.term, self.id, m.src, True, m.pre_vote))
        else:
            self._send(VoteResponse(self.term, self.id, m.src, False, m.pre_vote))

    def _grants_vote_to_log(self, last_index: int, last_term: int) -> bool:
        return self._log_is_up_to_date(last_index, last_term)

    def _handle_vote_response(self, m: VoteResponse) -> None:
        if m.pre_vote:
            if self.role != "pre-candidate" or (m.granted and m.term != self.term + 1):
                return  # not campaigning, or an answer to an earlier round
        elif self.role != "candidate":
            return
        self.votes.setdefault(m.src, m.granted)  # the network may duplicate answers
        if self._tally_votes():
            return
        if self._is_quorum(voter for voter, granted in self.votes.items() if not granted):
            self._become_follower(self.term, None)

    def _tally_votes(self) -> bool:
        """Move on if a majority granted: a pre-candidate campaigns for real, a candidate leads."""
        if not self._is_quorum(voter for voter, granted in self.votes.items() if granted):
            return False
        if self.role == "pre-candidate":
            self._campaign(pre_vote=False)
        else:
            self._become_leader()
        return True

    # -- replication, follower side ----------------------------------------------

    def _handle_append(self, m: AppendEntries) -> None:
        if m.prev_index < self.commit:
            # Everything up to our commit index is committed, so it matches any
            # current leader's log: say how far we are (etcd's handleAppendEntries).
            # This is also how an append reaching below our snapshot is answered.
            self._send(AppendResponse(self.term, self.id, m.src, True, self.commit, read_seq=m.read_seq))
            return
        if m.prev_index > self.last_index or self.term_at(m.prev_index) != m.prev_term:
            # Log Matching check failed. Hint the leader at our last entry that
            # can still match: the highest index <= prev_index whose term is
            # <= the leader's prev_term (etcd's findConflictByTerm), so it skips
            # a whole term of mismatches per round trip.
            hint = self._find_conflict_by_term(min(m.prev_index, self.last_index), m.prev_term)
            hint_term = self.term_at(hint) or 0  # hint >= our snapshot's index: its term is known
            reject = AppendResponse(
                self.term, self.id, m.src, False, m.prev_index, hint, hint_term, m.read_seq
            )
            self._send(reject)
            return
        self._accept_entries(m.entries)
        last_new = m.prev_index + len(m.entries)
        # Figure 2: commitIndex = min(leaderCommit, index of last new entry);
        # entries past last_new were not checked against this leader's log.
        self.commit = max(self.commit, min(m.commit, last_new))
        self._send(AppendResponse(self.term, self.id, m.src, True, last_new, read_seq=m.read_seq))

    def _accept_entries(self, entries: tuple[LogEntry, ...]) -> None:
        """Figure 2: delete a conflicting entry and all that follow it, then append what is new."""
        for entry in entries:
            if entry.index <= self.last_index:
                if self.term_at(entry.index) == entry.term:
                    continue  # already held (a duplicate or retransmission)
                self._truncate_from(entry.index)
            self._append(entry)

    def _find_conflict_by_term(self, index: int, term: int) -> int:
        # Never below the snapshot: its term is the last one known there.
        while index > self.snapshot.index and (self.term_at(index) or 0) > term:
            index -= 1
        return index

    def _handle_snapshot(self, m: InstallSnapshot) -> None:
        """Install the leader's snapshot unless we hold and commit what it stands for (etcd's restore)."""
        snapshot = m.snapshot
        if snapshot.index <= self.commit:
            self._send(AppendResponse(self.term, self.id, m.src, True, self.commit))
            return
        if self.term_at(snapshot.index) == snapshot.term:
            # Our log holds the entry the snapshot ends with, hence (Log Matching)
            # everything before it: commit up to there and keep what follows.
            self.commit = snapshot.index
        else:
            # Our log disagrees or is too short: it is replaced by the snapshot.
            self.log.clear()
            self.snapshot = snapshot
            self._unstable_snapshot = snapshot
            self._unstable_from = None
            self._mark_unstable(snapshot.index + 1)  # every stored entry after it goes too
            self.commit = snapshot.index
            self._recompute_membership()  # the snapshot's configuration
        self._send(AppendResponse(self.term, self.id, m.src, True, snapshot.index))

    def _handle_timeout_now(self, m: TimeoutNow) -> None:
        """The leader hands over: campaign now, skipping PreVote (etcd's campaignTransfer)."""
        if self.is_member and self.role != "leader":
            self._campaign(pre_vote=False, transfer=True)

    def _reject_stale(self, m: Message) -> None:
        """A message from an older term: answer requests with our term so the sender steps down."""
        if isinstance(m, AppendEntries):
            self._send(AppendResponse(self.term, self.id, m.src, False, m.prev_index, 0, 0))
        elif isinstance(m, InstallSnapshot):
            self._send(AppendResponse(self.term, self.id, m.src, False, m.snapshot.index, 0, 0))
        elif isinstance(m, VoteRequest):
            self._send(VoteResponse(self.term, self.id, m.src, False, m.pre_vote))

    # -- replication, leader side ------------------------------------------------

    def _send_append(self, peer: str) -> None:
        progress = self.progress[peer]
        prev = progress.next - 1
        prev_term = self.term_at(prev)
        if prev_term is None:
            # The entries it needs are compacted: send the snapshot instead
            # and assume, as with entries, that it arrives.
            self._send(InstallSnapshot(self.term, self.id, peer, self.snapshot))
            progress.next = self.snapshot.index + 1
            return
        entries = self.entries_between(prev + 1, prev + self.config.max_entries_per_append)
        append = AppendEntries(self.term, self.id, peer, prev, prev_term, entries, self.commit, self.read_seq)
        self._send(append)
        if entries:
            progress.next = entries[-1].index + 1  # optimistic: assume it arrives

    def _broadcast_append(self) -> None:
        for peer in list(self.progress):  # the members, and any removed by an uncommitted entry
            self._send_append(peer)

    def _handle_append_response(self, m: AppendResponse) -> None:
        progress = self.progress.get(m.src)
        if progress is None:
            return
        progress.recent_active = True
        if m.read_seq:
            self._acknowledge_reads(m.src, m.read_seq)
        if m.success:
            progress.match = max(progress.match, m.index)
            progress.next = max(progress.next, progress.match + 1)
            if self._maybe_commit():
                self._broadcast_append()  # tell followers at once, as etcd does
            elif progress.next <= self.last_index:
                self._send_append(m.src)
            if self.role == "leader" and m.src == self.lead_transferee and progress.match == self.last_index:
                self._send(TimeoutNow(self.term, self.id, m.src))  # up to date: it may run now
            return
        if m.index <= progress.match:
            return  # a rejection of something older than what it has acknowledged since
        # etcd's fast back-off: our last entry at or below the hint whose term is
        # <= the follower's term there is the next candidate for a match.
        probe = self._find_conflict_by_term(m.hint_index, m.hint_term) if m.hint_term else m.hint_index
        progress.next = max(progress.match + 1, min(m.index, probe + 1))
        self._send_append(m.src)

    def _acknowledge_reads(self, peer: str, seq: int) -> None:
        """``peer`` answered an append sent after every read up to ``seq`` began: it still had no
        newer leader then, so it confirms those reads."""
        for read in self.pending_reads:
            if read.seq > seq:
                break
            read.acks.add(peer)
        self._release_reads()

    def _release_reads(self) -> bool:
        """Hand the driver every read a majority confirmed (earlier reads are confirmed by whatever
        confirms a later one); whether any was released."""
        confirmed = 0
        for position, read in enumerate(self.pending_reads):
            if self._read_confirmed(read):
                confirmed = position + 1
        for read in self.pending_reads[:confirmed]:
            self._read_states.append(ReadState(read.context, read.index))
        del self.pending_reads[:confirmed]
        return confirmed > 0

    def _read_confirmed(self, read: PendingRead) -> bool:
        """A majority of the configuration answered since the read began: no newer leader had
        been elected before it began, so nothing was committed then that this leader lacks."""
        return self._is_quorum(read.acks)

    def _maybe_commit(self) -> bool:
        """AdvanceCommitIndex: the highest index a majority of the configuration holds, if the
        figure 8 rule allows it. A leader being removed does not count itself (dissertation 4.2.2),
        and steps down once the entry that removes it commits."""
        match = {peer: p.match for peer, p in self.progress.items()}
        match[self.id] = self.last_index
        held = sorted({match.get(m, 0) for m in self.membership}, reverse=True)
        for candidate in held:
            if candidate <= self.commit:
                return False
            if self._is_quorum(m for m in self.membership if match.get(m, 0) >= candidate):
                if not self._may_commit_by_counting(candidate):
                    return False
                self.commit = candidate
                self._after_commit()
                return True
        return False

    def _after_commit(self) -> None:
        """Once the configuration in force is committed: stop replicating to members it removed, and a
        leader it removed tells the others, then steps down (dissertation 4.2.2)."""
        if self.membership_index > self.commit:
            return
        for gone in [peer for peer in self.progress if peer not in self.membership]:
            self._send_append(gone)  # a last one, with the commit index: it knows it is out, stays quiet
            del self.progress[gone]
        if not self.is_member:
            self._broadcast_append()
            self._become_follower(self.term, None)

    def _may_commit_by_counting(self, index: int) -> bool:
        """Section 5.4.2 (figure 8): only entries of the leader's own term are committed by counting
        replicas; earlier entries are committed with them, by the Log Matching property."""
        return self.term_at(index) == self.term
