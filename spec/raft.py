"""Raft consensus: what a cluster observation must satisfy, step after step.

What it models: the seed's promise that etcd is "strongly consistent" and
"works in a leader-member fashion" (seed, "Etcd"), made precise by the Raft
paper's safety argument (Ongaro & Ousterhout, "In Search of an Understandable
Consensus Algorithm", figure 3 and section 5.4), the invariants of
ongardie/raft.tla, and etcd-io/raft's behaviour. The suite observes a cluster
repeatedly: at each observation every running member reports a
``MemberStatus`` (term, role, vote, commit index, what it applied and, if the
implementation exposes it, its log), and ``RaftHistory`` accumulates what
earlier observations showed. Each requirement is one small function over the
history and the new observation that returns the problems it finds (an empty
list when the property holds), so the suite can name the requirement and the
counterexample.

Requirements defined here:

- RAFT-ELECTION-SAFETY (figure 3): at most one leader per term, over the whole
  history, not only within one snapshot (raft.tla's ``ElectionSafety`` is a
  property of all states of a behaviour).
- RAFT-LEADER-APPEND-ONLY (figure 3): while a member leads a term, its log only
  grows.
- RAFT-LOG-MATCHING (figure 3): two logs with an entry of the same index and
  term are identical up to that index.
- RAFT-LEADER-COMPLETENESS (figure 3): an entry committed in term T is in the
  log of every leader of a term > T.
- RAFT-STATE-MACHINE-SAFETY (figure 3): no two members apply different entries
  at one index, over the whole history (including earlier incarnations).
- RAFT-COMMIT-MONOTONIC: the committed prefix a member reports is never lost or
  contradicted. The paper keeps ``commitIndex`` volatile (figure 2, "Volatile
  state on all servers ... initialized to 0"), so a commit index that drops to
  0 at a restart is legitimate; etcd-io/raft persists it in ``HardState``.
  Either is allowed: the requirement is that within one incarnation the
  commit index never decreases, and that in every later observation,
  including after restarts, the member's log (when exposed) and its applied
  entries still agree with every entry it ever reported committed. This is
  etcd's TLA+ ``CommittedIsDurableInv`` seen from outside.
- RAFT-APPLY-COMMITTED: a member applies entries in index order without gaps,
  never beyond its commit index (figure 2: "If commitIndex > lastApplied:
  increment lastApplied, apply log[lastApplied]"; etcd-io/raft's
  ``appliedTo`` refuses to pass ``committed``).
- RAFT-PROPOSAL-OUTCOME: what a client is told is true. A proposal reported
  committed at index i is the command every member applies at i; a proposal
  reported rejected is never applied (section 8: a client must be able to
  tell whether its command took effect).
- RAFT-CLIENT-LINEARIZABLE (section 8): clients that write and read a
  register through the log (``RegisterWrite``, ``RegisterRead``,
  ``apply_register``) see a linearizable register, judged by
  ``conformance/checkers/linearizability.py`` over the history of their
  calls and answers.
- RAFT-LIVENESS (section 5.2 and 5.6, "timing and availability"): once faults
  stop and a majority is up and connected, a leader exists within a bounded
  number of election timeouts, a proposal submitted then commits, and every
  member applies every committed entry. With membership changes, "majority"
  and "every member" mean those of the current configuration, the one the
  leader reports.
- RAFT-CONFIG-SAFETY (dissertation section 4.1; Ongaro, raft-dev, "bug in
  single-server membership changes", 2015; etcd-io/raft's pendingConfIndex):
  membership changes one server at a time. Every configuration entry adds or
  removes exactly one member of the configuration before it in the log; a
  leader never appends a configuration entry while an earlier one in its log
  is uncommitted; and a leader that already uses a configuration it has not
  committed (one that takes effect when appended, as the dissertation's
  does) has committed an entry of its own term before appending it. Without
  these, two configurations whose majorities do not overlap can both decide.
- RAFT-CONFIG-REMOVED-LEADER (dissertation section 4.2.2): a leader removed
  from the configuration steps down once the entry that removes it commits.
- RAFT-READ-LINEARIZABLE (dissertation section 6.4, ReadIndex; etcd's
  ReadOnlySafe): a read reflects every command acknowledged committed before
  the read began, and none a client was told was rejected.

Configuration entries carry a ``ConfigChange`` as their command, so that the
suite can tell them from client commands; ``MemberStatus.config`` is the
configuration a member uses now.

What is deliberately NOT checked: anything about message contents or timers
(the suite sees only what a member reports), and the no-op entry a leader may
append at the start of its term (etcd does, the paper's figure 2 does not;
both are allowed, so ``LogEntry.command`` is None for it and clients never
propose None).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from spec.requirements import requirement

_PAPER = "Ongaro & Ousterhout, In Search of an Understandable Consensus Algorithm"

#: The liveness bound, in election timeouts (the provider states how long one
#: is). Randomized timeouts make a split vote unlikely but not impossible
#: (section 5.2), so the bound allows several rounds.
LIVENESS_ELECTION_TIMEOUTS = 10

RAFT_ELECTION_SAFETY = requirement(
    "RAFT-ELECTION-SAFETY",
    "There MUST be at most one leader per term, over the whole history of the cluster.",
    component="consensus",
    source=f"{_PAPER}, figure 3 (Election Safety); raft.tla ElectionSafety",
)
RAFT_LEADER_APPEND_ONLY = requirement(
    "RAFT-LEADER-APPEND-ONLY",
    "A leader MUST never overwrite or delete entries in its log during its term; it only appends.",
    component="consensus",
    source=f"{_PAPER}, figure 3 (Leader Append-Only)",
)
RAFT_LOG_MATCHING = requirement(
    "RAFT-LOG-MATCHING",
    "If two members' logs contain an entry with the same index and term, the logs MUST be identical "
    "in all entries up through that index.",
    component="consensus",
    source=f"{_PAPER}, figure 3 (Log Matching); raft.tla LogMatching",
)
RAFT_LEADER_COMPLETENESS = requirement(
    "RAFT-LEADER-COMPLETENESS",
    "An entry committed in term T MUST be present in the log of every leader of every term after T.",
    component="consensus",
    source=f"{_PAPER}, figure 3 (Leader Completeness), section 5.4",
)
RAFT_STATE_MACHINE_SAFETY = requirement(
    "RAFT-STATE-MACHINE-SAFETY",
    "Two members MUST NOT apply different entries at the same log index, at any time in the history.",
    component="consensus",
    source=f"{_PAPER}, figure 3 (State Machine Safety)",
)
RAFT_COMMIT_MONOTONIC = requirement(
    "RAFT-COMMIT-MONOTONIC",
    "A member's commit index MUST never decrease while it runs, and the entries it has reported "
    "committed MUST never be lost from its log or contradicted by what it applies, even across restarts.",
    component="consensus",
    source=f"{_PAPER}, figure 2 (commitIndex volatile); etcd raft HardState.Commit; "
    "etcd raft TLA+ CommittedIsDurableInv",
)
RAFT_APPLY_COMMITTED = requirement(
    "RAFT-APPLY-COMMITTED",
    "A member MUST apply entries in index order without gaps and MUST NOT apply an entry beyond its "
    "commit index.",
    component="consensus",
    source=f"{_PAPER}, figure 2 (Rules for Servers: apply log[lastApplied] while commitIndex > "
    "lastApplied); etcd raft raftLog.appliedTo",
)
RAFT_PROPOSAL_OUTCOME = requirement(
    "RAFT-PROPOSAL-OUTCOME",
    "A proposal reported committed at index i MUST be the command every member applies at index i, "
    "and a proposal reported rejected MUST never be applied.",
    component="consensus",
    source=f"{_PAPER}, section 8 (client interaction)",
)
RAFT_LIVENESS = requirement(
    "RAFT-LIVENESS",
    "Once faults stop and a majority of members is up and connected, a leader that every running member "
    "follows for a whole election timeout MUST emerge within "
    f"{LIVENESS_ELECTION_TIMEOUTS} election timeouts, a proposal submitted then MUST commit, and every "
    "member up MUST apply every committed entry within the stated convergence time.",
    component="consensus",
    source=f"{_PAPER}, sections 5.2 and 5.6 (timing and availability); TigerBeetle VOPR liveness mode",
)

RAFT_CLIENT_LINEARIZABLE = requirement(
    "RAFT-CLIENT-LINEARIZABLE",
    "What concurrent clients observe of a register replicated through the log (writes, and reads "
    "answered when applied) MUST be linearizable; an operation whose outcome a client never learned may "
    "have taken effect or not.",
    component="consensus",
    source=f"{_PAPER}, section 8 (client interaction: linearizable semantics); Herlihy & Wing 1990",
)
_DISSERTATION = "Ongaro, Consensus: Bridging Theory and Practice (dissertation, 2014)"
_SINGLE_SERVER_BUG = 'Ongaro, raft-dev 2015, "bug in single-server membership changes"'

RAFT_CONFIG_SAFETY = requirement(
    "RAFT-CONFIG-SAFETY",
    "Membership MUST change one server at a time: every configuration entry MUST add or remove exactly "
    "one member of the configuration before it, a leader MUST NOT append a configuration entry while an "
    "earlier one in its log is uncommitted, and a leader that uses a configuration as soon as it is "
    "appended MUST have committed an entry of its own term before appending it.",
    component="consensus",
    source=f"{_DISSERTATION}, section 4.1; {_SINGLE_SERVER_BUG}; etcd raft pendingConfIndex",
)
RAFT_CONFIG_REMOVED_LEADER = requirement(
    "RAFT-CONFIG-REMOVED-LEADER",
    "A leader removed from the configuration MUST step down once the configuration entry that removes "
    "it is committed.",
    component="consensus",
    source=f"{_DISSERTATION}, section 4.2.2; etcd raft Config.StepDownOnRemoval",
)
RAFT_READ_LINEARIZABLE = requirement(
    "RAFT-READ-LINEARIZABLE",
    "A read served after ReadIndex MUST reflect every command acknowledged committed before the read "
    "began, and MUST NOT reflect a command whose client was told it was rejected.",
    component="consensus",
    source=f"{_DISSERTATION}, section 6.4 (ReadIndex); etcd raft ReadOnlySafe",
)

Role = Literal["follower", "pre-candidate", "candidate", "leader"]
ROLES: tuple[Role, ...] = ("follower", "pre-candidate", "candidate", "leader")


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One log entry. ``command`` is None for a leader's no-op entry."""

    index: int
    term: int
    command: object = None

    def __repr__(self) -> str:
        return f"{self.index}/t{self.term}:{self.command!r}"


ConfigAction = Literal["add", "remove"]


@dataclass(frozen=True, slots=True)
class ConfigChange:
    """The command of a configuration entry: one member added or removed (dissertation 4.1).

    ``members`` is the whole configuration the entry sets, so a log alone
    tells which configuration is in force after any of its entries.
    """

    action: ConfigAction
    member: str
    members: frozenset[str]

    def __repr__(self) -> str:
        sign = "+" if self.action == "add" else "-"
        return f"Config({sign}{self.member})"


def configuration_of(entry: LogEntry) -> frozenset[str] | None:
    """The configuration ``entry`` sets, if it is a configuration entry."""
    command = entry.command
    return command.members if isinstance(command, ConfigChange) else None


def is_client_command(command: object) -> bool:
    """Not the leader's no-op (None) and not a configuration change."""
    return command is not None and not isinstance(command, ConfigChange)


@dataclass(frozen=True)
class MemberStatus:
    """What one running member reports about itself at one instant.

    ``applied`` holds the entries this incarnation applied, in order
    (``last_applied`` is the index of the last); entries restored from a
    snapshot count as applied. ``log`` is None when the implementation does
    not expose its log; the log-based requirements are then not applicable
    to it. ``snapshot_index`` is how far the log was compacted: the log holds
    the entries after it (section 7), and entries up to it are committed and
    live only in the snapshot. ``config`` is the configuration the member
    uses now (empty for a member that joins and has not heard of one yet),
    or None if the implementation does not report it.
    """

    term: int
    role: Role
    commit_index: int
    last_applied: int
    applied: tuple[LogEntry, ...] = ()
    voted_for: str | None = None
    log: tuple[LogEntry, ...] | None = None
    snapshot_index: int = 0
    config: frozenset[str] | None = None

    @property
    def last_index(self) -> int:
        """The index of the last entry, compacted or not (0 for an empty log or one not exposed)."""
        if self.log:
            return self.log[-1].index
        return self.snapshot_index

    def entry(self, index: int) -> LogEntry | None:
        """The log entry at ``index``, or None if absent, compacted, or the log is not exposed."""
        if self.log is None:
            return None
        position = index - self.snapshot_index - 1
        if 0 <= position < len(self.log):
            return self.log[position]
        return None


#: One observation: every running member's status, by member name.
Observation = Mapping[str, MemberStatus]

ProposeStatus = Literal["committed", "rejected", "unknown"]


@dataclass(frozen=True)
class ProposeOutcome:
    """What a client learns of a proposal.

    ``committed``: the command is the entry at ``index``. ``rejected``: it was
    not appended anywhere and never will be (no leader took it). ``unknown``:
    no answer within the client timeout; it may still commit, or not.
    """

    status: ProposeStatus
    index: int | None = None
    #: What the state machine answered when it applied the command (``apply_register``).
    result: object = None

    def __post_init__(self) -> None:
        if (self.status == "committed") != (self.index is not None):
            raise ValueError(f"a committed outcome has an index and no other does: {self!r}")


# -- the replicated state machine clients observe ---------------------------------


@dataclass(frozen=True)
class RegisterWrite:
    """Set the replicated register to ``value``; ``id`` makes every command unique (section 8)."""

    id: int
    value: int


@dataclass(frozen=True)
class RegisterRead:
    """Answer the register's value at this point of the log (a read through the log is linearizable)."""

    id: int


def apply_register(value: int | None, command: object) -> tuple[int | None, object]:
    """The state machine a consensus implementation runs for RAFT-CLIENT-LINEARIZABLE: (new value, answer).

    A write sets the value and answers None; a read answers the value (None
    before any write); any other command leaves the value and answers None.
    """
    if isinstance(command, RegisterWrite):
        return command.value, None
    if isinstance(command, RegisterRead):
        return value, value
    return value, None


@dataclass(frozen=True)
class ChangeOutcome:
    """What a client learns of a membership change of ``member``; statuses as for ``ProposeOutcome``."""

    status: ProposeStatus
    member: str
    index: int | None = None

    def __post_init__(self) -> None:
        if (self.status == "committed") != (self.index is not None):
            raise ValueError(f"a committed outcome has an index and no other does: {self!r}")


ReadStatus = Literal["ok", "failed"]


@dataclass(frozen=True)
class ReadOutcome:
    """What a linearizable read returns: ``commands``, the client commands the state machine had
    applied, in order, when the read was served. ``failed``: no answer (a read changes nothing, so
    a failed read needs no further thought)."""

    status: ReadStatus
    commands: tuple[object, ...] = ()


TransferOutcome = Literal["transferred", "failed"]


def still_holds(before: Sequence[LogEntry], now: MemberStatus) -> bool:
    """Whether ``now``'s log keeps every entry of ``before`` that it has not compacted into its snapshot.

    With compaction a log shrinks at the front (section 7): entries at or
    below ``now.snapshot_index`` are then in the snapshot, not the log.
    """
    return all(now.entry(e.index) == e for e in before if e.index > now.snapshot_index)


@dataclass(frozen=True)
class CommittedEntry:
    """An entry some member reported committed.

    ``by_term`` bounds the term in which it was committed from above: a
    member's term never lags the leader it learned a commit from, so the
    commit happened in a term <= the reporter's term at that observation.
    Leader completeness is required of leaders of terms above this bound.
    """

    entry: LogEntry
    by_term: int
    reporter: str


@dataclass
class RaftHistory:
    """What earlier observations showed; updated by ``record`` after each check.

    The harness calls ``restarted(member)`` when it restarts a member, since an
    incarnation's volatile state (commit index, applied entries) may start
    over, and ``acknowledged``/``rejected`` for what clients were told.
    """

    #: term -> the member first seen leading it.
    leaders: dict[int, str] = field(default_factory=dict)
    #: (member, term) -> its log when last seen leading that term.
    leader_logs: dict[tuple[str, int], tuple[LogEntry, ...]] = field(default_factory=dict)
    #: index -> the entry first reported committed there.
    committed: dict[int, CommittedEntry] = field(default_factory=dict)
    #: index -> (first member seen applying it, the entry).
    applied: dict[int, tuple[str, LogEntry]] = field(default_factory=dict)
    #: member -> index -> entry, everything the member ever reported committed (all incarnations).
    reported_committed: dict[str, dict[int, LogEntry]] = field(default_factory=dict)
    #: member -> its incarnation (0, then +1 per restart).
    incarnation: dict[str, int] = field(default_factory=dict)
    #: member -> (incarnation, status) when last observed.
    last_seen: dict[str, tuple[int, MemberStatus]] = field(default_factory=dict)
    #: command -> the index a client was told it committed at.
    acknowledged: dict[object, int] = field(default_factory=dict)
    #: commands a client was told were rejected.
    rejected: set[object] = field(default_factory=set)
    #: index -> (action, member) of membership changes a client was told committed there.
    changes: dict[int, tuple[ConfigAction, str]] = field(default_factory=dict)
    observations: int = 0

    def restarted(self, member: str) -> None:
        self.incarnation[member] = self.incarnation.get(member, 0) + 1

    def proposal_completed(self, command: object, outcome: ProposeOutcome) -> None:
        if outcome.status == "committed":
            assert outcome.index is not None
            self.acknowledged[command] = outcome.index
        elif outcome.status == "rejected":
            self.rejected.add(command)

    def change_completed(self, action: ConfigAction, outcome: ChangeOutcome) -> None:
        if outcome.status == "committed":
            assert outcome.index is not None
            self.changes[outcome.index] = (action, outcome.member)

    def record(self, observation: Observation) -> None:
        """Fold ``observation`` into the history (after it has been checked)."""
        self.observations += 1
        for member, status in sorted(observation.items()):
            if status.role == "leader":
                self.leaders.setdefault(status.term, member)
                if status.log is not None:
                    self.leader_logs[(member, status.term)] = status.log
            reported = self.reported_committed.setdefault(member, {})
            for entry in committed_entries(status):
                reported.setdefault(entry.index, entry)
                known = self.committed.get(entry.index)
                if known is None or (known.entry == entry and status.term < known.by_term):
                    self.committed[entry.index] = CommittedEntry(entry, status.term, member)
            for entry in status.applied:
                self.applied.setdefault(entry.index, (member, entry))
            self.last_seen[member] = (self.incarnation.get(member, 0), status)


def committed_entries(status: MemberStatus) -> list[LogEntry]:
    """The entries ``status`` reports committed: its log up to its commit index, and what it applied."""
    found: dict[int, LogEntry] = {e.index: e for e in status.applied}
    if status.log is not None:
        for entry in status.log:
            if entry.index > status.commit_index:
                break
            found.setdefault(entry.index, entry)
    return [found[i] for i in sorted(found)]


# -- the requirements, one function each --------------------------------------
#
# Each takes the history of earlier observations and the new observation and
# returns the problems it finds, worded for a failure report. None of them
# changes the history.


def election_safety(history: RaftHistory, observation: Observation) -> list[str]:
    """RAFT-ELECTION-SAFETY: one leader per term, now and in every earlier observation."""
    problems: list[str] = []
    leaders_now: dict[int, str] = {}
    for member, status in sorted(observation.items()):
        if status.role != "leader":
            continue
        other = leaders_now.setdefault(status.term, member)
        if other != member:
            problems.append(f"{other} and {member} are both leaders of term {status.term} right now")
        earlier = history.leaders.get(status.term)
        if earlier is not None and earlier != member:
            problems.append(f"{member} leads term {status.term}, which {earlier} was seen leading before")
    return problems


def leader_append_only(history: RaftHistory, observation: Observation) -> list[str]:
    """RAFT-LEADER-APPEND-ONLY: a leader's log at term T extends what it held earlier in term T."""
    problems: list[str] = []
    for member, status in sorted(observation.items()):
        if status.role != "leader" or status.log is None:
            continue
        before = history.leader_logs.get((member, status.term))
        if before is not None and not still_holds(before, status):
            problems.append(
                f"{member}, leader of term {status.term}, held {list(before)} and now holds "
                f"{list(status.log)}: an entry was overwritten or removed"
            )
    return problems


def log_matching(observation: Observation) -> list[str]:
    """RAFT-LOG-MATCHING: same index and term at two members => identical prefixes up to there."""
    problems: list[str] = []
    logs = sorted((m, {e.index: e for e in s.log}) for m, s in observation.items() if s.log is not None)
    for position, (a, log_a) in enumerate(logs):
        for b, log_b in logs[position + 1 :]:
            # The highest index where both hold an entry of the same term: the
            # logs must agree on every index up to there that both hold.
            agreed = max(
                (i for i, e in log_a.items() if i in log_b and log_b[i].term == e.term), default=None
            )
            if agreed is None:
                continue
            for index in sorted(i for i in log_a if i <= agreed and i in log_b):
                if log_a[index] != log_b[index]:
                    problems.append(
                        f"{a} and {b} both hold index {agreed} of term {log_a[agreed].term} but differ "
                        f"at index {index}: {log_a[index]!r} vs {log_b[index]!r}"
                    )
                    break
    return problems


def leader_completeness(history: RaftHistory, observation: Observation) -> list[str]:
    """RAFT-LEADER-COMPLETENESS: every leader holds every entry committed in an earlier term."""
    problems: list[str] = []
    for member, status in sorted(observation.items()):
        if status.role != "leader" or status.log is None:
            continue
        for index, known in sorted(history.committed.items()):
            if known.by_term >= status.term:
                continue
            if index <= status.snapshot_index:
                continue  # compacted into the snapshot, which holds only committed entries
            held = status.entry(index)
            if held != known.entry:
                problems.append(
                    f"{member}, leader of term {status.term}, holds {held!r} at index {index}, but "
                    f"{known.reporter} reported {known.entry!r} committed there by term {known.by_term}"
                )
                break  # the first missing entry is the story; the rest follow from it
    return problems


def state_machine_safety(history: RaftHistory, observation: Observation) -> list[str]:
    """RAFT-STATE-MACHINE-SAFETY: one entry per index, whoever applies it and whenever."""
    problems: list[str] = []
    seen: dict[int, tuple[str, LogEntry]] = dict(history.applied)
    for member, status in sorted(observation.items()):
        for entry in status.applied:
            first = seen.setdefault(entry.index, (member, entry))
            if first[1] != entry:
                problems.append(
                    f"{member} applied {entry!r} at index {entry.index}, "
                    f"where {first[0]} applied {first[1]!r}"
                )
                break
    return problems


def commit_monotonic(history: RaftHistory, observation: Observation) -> list[str]:
    """RAFT-COMMIT-MONOTONIC: a member's committed prefix is never lost or contradicted."""
    problems: list[str] = []
    for member, status in sorted(observation.items()):
        incarnation = history.incarnation.get(member, 0)
        last = history.last_seen.get(member)
        if last is not None and last[0] == incarnation and status.commit_index < last[1].commit_index:
            problems.append(
                f"{member}'s commit index went from {last[1].commit_index} to {status.commit_index} "
                "without a restart"
            )
        reported = history.reported_committed.get(member, {})
        applied = {e.index: e for e in status.applied}
        log_end = status.last_index
        for index, entry in sorted(reported.items()):
            if index in applied and applied[index] != entry:
                problems.append(
                    f"{member} reported {entry!r} committed, and now applied {applied[index]!r} there"
                )
                break
            if status.log is None or index <= status.snapshot_index:
                continue
            if index > log_end or status.entry(index) != entry:
                problems.append(
                    f"{member} reported {entry!r} committed; its log now holds {status.entry(index)!r} "
                    f"at index {index}"
                )
                break
    return problems


def apply_committed(observation: Observation) -> list[str]:
    """RAFT-APPLY-COMMITTED: applied in order, no gaps, never past the commit index."""
    problems: list[str] = []
    for member, status in sorted(observation.items()):
        if status.last_applied > status.commit_index:
            problems.append(
                f"{member} applied up to index {status.last_applied} with commit index {status.commit_index}"
            )
            continue
        indexes = [e.index for e in status.applied]
        if indexes and (indexes != list(range(indexes[0], indexes[0] + len(indexes)))):
            problems.append(f"{member} applied indexes {indexes}: out of order or with a gap")
        elif indexes and indexes[-1] != status.last_applied:
            problems.append(
                f"{member} reports last applied {status.last_applied} but applied up to {indexes[-1]}"
            )
    return problems


def proposal_outcomes(history: RaftHistory, observation: Observation) -> list[str]:
    """RAFT-PROPOSAL-OUTCOME: acknowledged commands sit where the client was told; rejected never apply."""
    problems: list[str] = []
    if not history.acknowledged and not history.rejected and not history.changes:
        return problems
    for member, status in sorted(observation.items()):
        for entry in committed_entries(status):
            if entry.command is None:
                continue
            if entry.command in history.rejected:
                problems.append(f"{member} committed {entry!r}, a proposal its client was told was rejected")
            told = history.acknowledged.get(entry.command)
            if told is not None and told != entry.index:
                problems.append(
                    f"{member} committed {entry!r}; its client was told it committed at index {told}"
                )
        by_index = {e.index: e for e in committed_entries(status)}
        for command, index in sorted(history.acknowledged.items(), key=lambda item: item[1]):
            held = by_index.get(index)
            if held is not None and held.command != command:
                problems.append(
                    f"{member} committed {held!r} at index {index}; a client was told {command!r} "
                    "committed there"
                )
        for index, (action, changed) in sorted(history.changes.items()):
            held = by_index.get(index)
            if held is None:
                continue
            change = held.command
            if not isinstance(change, ConfigChange) or (change.action, change.member) != (action, changed):
                problems.append(
                    f"{member} committed {held!r} at index {index}; a client was told the change "
                    f"{action} {changed} committed there"
                )
    return problems


# -- membership changes --------------------------------------------------------


def config_entries(status: MemberStatus) -> list[LogEntry]:
    """The configuration entries in ``status``'s log (not those compacted into its snapshot)."""
    return [e for e in status.log or () if isinstance(e.command, ConfigChange)]


def config_safety(history: RaftHistory, observation: Observation) -> list[str]:
    """RAFT-CONFIG-SAFETY: one server at a time, one change at a time, and the new-leader rule."""
    problems: list[str] = []
    for member, status in sorted(observation.items()):
        changes = config_entries(status)
        for before, after in itertools.pairwise(changes):
            problems += _single_server_problems(member, before, after)
        if status.role == "leader":
            problems += _leader_change_problems(member, status, changes)
    return problems


def _single_server_problems(member: str, before: LogEntry, after: LogEntry) -> list[str]:
    old, change = configuration_of(before), after.command
    assert old is not None and isinstance(change, ConfigChange)
    expected = old | {change.member} if change.action == "add" else old - {change.member}
    if change.members == expected and expected != old:
        return []
    return [
        f"{member} holds {after!r} setting {sorted(change.members)} after {before!r} set {sorted(old)}: "
        "not one server added or removed"
    ]


def _leader_change_problems(member: str, status: MemberStatus, changes: list[LogEntry]) -> list[str]:
    """A leader's own configuration entries: none while an earlier one was uncommitted, and, if it
    uses one before committing it, only after an entry of its term committed."""
    problems: list[str] = []
    for position, change in enumerate(changes):
        if change.term != status.term:
            continue
        if position > 0 and changes[position - 1].index > status.commit_index:
            problems.append(
                f"{member}, leader of term {status.term} with commit index {status.commit_index}, appended "
                f"{change!r} while {changes[position - 1]!r} was uncommitted"
            )
    if not changes:
        return problems
    last = changes[-1]
    uses_uncommitted = last.index > status.commit_index and status.config == configuration_of(last)
    if last.term == status.term and uses_uncommitted:
        # Terms never decrease along a log, so the leader has committed an
        # entry of its term exactly when the entry at its commit index is of
        # its term. Compacted into the snapshot, that term is not shown.
        at_commit = status.entry(status.commit_index)
        unknown = at_commit is None and status.commit_index > 0
        if not unknown and (at_commit is None or at_commit.term != status.term):
            problems.append(
                f"{member}, leader of term {status.term} with commit index {status.commit_index}, uses "
                f"{last!r} but had committed no entry of its term when it appended it"
            )
    return problems


def removed_leader(history: RaftHistory, observation: Observation) -> list[str]:
    """RAFT-CONFIG-REMOVED-LEADER: no leader whose committed configuration leaves it out."""
    problems: list[str] = []
    for member, status in sorted(observation.items()):
        if status.role != "leader" or status.config is None or member in status.config:
            continue
        setting = [e for e in config_entries(status) if configuration_of(e) == status.config]
        # No entry in the log sets it: it came from the snapshot, hence committed.
        index = setting[-1].index if setting else status.snapshot_index
        if index <= status.commit_index:
            problems.append(
                f"{member} leads term {status.term} though the configuration {sorted(status.config)} it "
                f"committed (index {index} <= commit index {status.commit_index}) leaves it out"
            )
    return problems


# -- reads ------------------------------------------------------------------------


def read_linearizable(
    acknowledged_before: Mapping[object, int], rejected: Iterable[object], outcome: ReadOutcome
) -> list[str]:
    """RAFT-READ-LINEARIZABLE: a served read holds every command acknowledged before it began.

    ``acknowledged_before`` maps each command a client was told committed,
    before the read was issued, to its index.
    """
    if outcome.status != "ok":
        return []
    seen = set(outcome.commands)
    problems: list[str] = []
    missing = sorted(
        (index, command) for command, index in acknowledged_before.items() if command not in seen
    )
    if missing:
        shown = ", ".join(f"{command!r} (index {index})" for index, command in missing[:5])
        problems.append(
            f"a read returned {list(outcome.commands)}, missing {len(missing)} command(s) acknowledged "
            f"committed before it began: {shown}"
        )
    wrongly = sorted(repr(c) for c in set(rejected) & seen)
    if wrongly:
        problems.append(f"a read returned command(s) {', '.join(wrongly)} whose clients were told rejected")
    return problems


# -- liveness -------------------------------------------------------------------


def leader_of(observation: Observation) -> str | None:
    """The member leading the highest term any running member is in, if one leads it."""
    if not observation:
        return None
    top = max(s.term for s in observation.values())
    leaders = sorted(m for m, s in observation.items() if s.role == "leader" and s.term == top)
    return leaders[0] if leaders else None


def current_config(observation: Observation) -> frozenset[str] | None:
    """The configuration the leader of the highest term reports, if there is one and it reports it."""
    leader = leader_of(observation)
    return None if leader is None else observation[leader].config


def agreed_leader(observation: Observation) -> str | None:
    """For RAFT-LIVENESS: the leader every running member of its configuration follows, if any.

    Members outside the configuration the leader reports (removed, or added
    by a change that never committed) do not count: nobody sends them
    anything, so they may well lag in term.

    A leader alone is not enough: a member still campaigning (say, one that
    was cut off until a moment ago) may depose it at once, and a proposal the
    deposed leader had appended may then be lost or, without a no-op entry,
    left uncommitted until the next leader commits an entry of its own term,
    all of which Raft allows. The liveness phase also asks that the same
    leader be agreed on for a whole election timeout: a leader that was cut
    off until a moment ago may still step down at its next CheckQuorum check.
    """
    leader = leader_of(observation)
    if leader is None:
        return None
    term = observation[leader].term
    config = observation[leader].config
    for member, status in observation.items():
        if config is not None and member not in config:
            continue
        if member != leader and (status.role != "follower" or status.term != term):
            return None
    return leader


def missing_applied(
    observation: Observation, indexes: Iterable[int], members: Iterable[str] | None = None
) -> dict[str, list[int]]:
    """For RAFT-LIVENESS: per member (of ``members``, if given), which of ``indexes`` it has not
    applied yet (if any)."""
    wanted = sorted(set(indexes))
    among = None if members is None else set(members)
    missing = {}
    for member, status in sorted(observation.items()):
        if among is not None and member not in among:
            continue
        lacking = [i for i in wanted if i > status.last_applied]
        if lacking:
            missing[member] = lacking
    return missing
