"""pysyncobj (github.com/bakwc/PySyncObj) behind the suite's ``consensus`` and
``faults`` contracts (conformance/adapters/consensus.py and faults.py; the
protocols are structural, so nothing here imports the suite).

``tox -e pysyncobj`` runs the consensus suite against it; its findings are in
docs/findings.md (pysyncobj-1: after a long pause, two live members can stay
unconnected until the kernel resends a SYN) with their reproductions in
tests/peers/test_pysyncobj_findings.py.

One OS process per member, not one thread. A crash is then SIGKILL: the
member's memory is gone at once, as the ``faults`` contract asks, where a
thread could only be stopped by ``SyncObj.destroy()``, a graceful shutdown
that lets the member finish its tick and flush its journal. A pause is
SIGSTOP/SIGCONT, which threads cannot do at all. And every member has its
own interpreter: no shared GIL skewing one member's timers by another's
work, and none of pysyncobj's process-wide state (its DNS cache) shared.
Each member runs ``pysyncobj_member.py`` (standard library and pysyncobj
only) and talks to this adapter over its stdin and stdout; starting,
signalling and cutting links are ``impl/peers/processes.py``'s, shared with
the reference Raft's real driver.

What each fault is, honestly:

- ``crash``: SIGKILL. The operating system keeps what the process wrote, so
  nothing written is lost -- pysyncobj's journal is an mmap it never syncs
  (``FileJournal``), so a power loss could lose more, and this adapter does
  not model that: its crashes are process crashes, weaker than the
  simulator's, which also drop unsynced writes.
- ``restart``: a new process on the same port and journal file; pysyncobj
  reads back its log, term and vote and re-applies its log up to the commit
  index it had stored (at most a second stale: pysyncobj stores it once a
  second).
- ``pause``/``resume``: SIGSTOP/SIGCONT. A paused member cannot answer, so
  ``status`` leaves it out, as it leaves out crashed ones.
- ``partition``/``heal``: through pysyncobj's own ``transportClass`` hook:
  each member's TCP transport drops every message on a cut link, sending or
  receiving, read from a shared file of cut links that the adapter writes,
  so a partition takes effect at once even on a paused member. TCP
  connections stay up (a black hole that loses messages rather than refuses
  connections): pysyncobj sees a silent peer, not a disconnected one.

What a client observes: the result of a replicated method (``apply``
returns the index it was applied at and the answer of the register of
``spec.raft.apply_register``, which the member keeps), pysyncobj's ``FAIL_REASON`` codes, and
``getStatus()`` (term, state, leader, commit index, last applied). Mapped
to the contract: SUCCESS is ``committed`` at the index the method returned;
QUEUE_FULL, MISSING_LEADER, NOT_LEADER and REQUEST_DENIED mean the command
was never appended, and DISCARDED that another entry was applied at its
index, so its copy can never commit: the adapter tries again until the
client timeout and answers ``rejected`` if every attempt ended so.
LEADER_CHANGED (a forwarded command's leader changed before it said where
it appended the command, if it did), UNKNOWN_OUTCOME and no answer within
the client timeout are ``unknown``. ``commandsWaitLeader`` is off, so a
member without a leader refuses at once rather than queueing the command
past the client's timeout.

pysyncobj does not expose its log through a public API, so
``exposes_logs`` is False and the log-based requirements are reported not
applicable. The applied entries come from the replicated class, with two
private reads explained in pysyncobj_member.py (the index being applied and
each entry's term). Log compaction is configured never to run: the suite
does not yet check snapshots, and a compacted member's restart would start
from a dump rather than replay.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from impl.peers.processes import GONE, NOT_SENT, MemberFailed, ProcessCluster
from spec.raft import LogEntry, MemberStatus, ProposeOutcome, Role

MEMBER_SCRIPT = Path(__file__).with_name("pysyncobj_member.py")
NS = 1_000_000_000

# pysyncobj.config.FAIL_REASON, by value: this module does not import pysyncobj
# (tests/peers/test_pysyncobj.py checks that the values agree).
SUCCESS = 0
QUEUE_FULL = 1
MISSING_LEADER = 2
DISCARDED = 3
NOT_LEADER = 4
LEADER_CHANGED = 5
REQUEST_DENIED = 6
UNKNOWN_OUTCOME = 7
FAIL_REASONS = {
    SUCCESS: "SUCCESS",
    QUEUE_FULL: "QUEUE_FULL",
    MISSING_LEADER: "MISSING_LEADER",
    DISCARDED: "DISCARDED",
    NOT_LEADER: "NOT_LEADER",
    LEADER_CHANGED: "LEADER_CHANGED",
    REQUEST_DENIED: "REQUEST_DENIED",
    UNKNOWN_OUTCOME: "UNKNOWN_OUTCOME",
}
#: Failures after which no copy of this attempt can ever be applied: safe to try again.
NEVER_APPLIED = frozenset({QUEUE_FULL, MISSING_LEADER, DISCARDED, NOT_LEADER, REQUEST_DENIED})

#: pysyncobj's ``getStatus()['state']`` values (``_RAFT_STATE``).
ROLES: dict[int, Role] = {0: "follower", 1: "candidate", 2: "leader"}


class PySyncObjCluster(ProcessCluster):
    """A pysyncobj cluster of ``size`` member processes on loopback ports, journals in a temp dir."""

    kind = "pysyncobj"

    def __init__(self, size: int, provider: PySyncObjProvider) -> None:
        self.provider = provider
        self._last_line = ""
        super().__init__(
            size,
            startup_timeout=provider.startup_timeout,
            status_timeout=provider.status_timeout,
            timeline_limit=provider.timeline_limit,
        )

    def member_command(self, member: str) -> list[str]:
        return [sys.executable, "-P", str(MEMBER_SCRIPT)]

    def member_config(self, member: str) -> object:
        return {
            "name": member,
            "address": self.addresses[member],
            "addresses": [self.addresses[m] for m in self._members],
            "journal": str(self.directory / f"{member}.journal"),
            "network": str(self.network_path),
            "conf": self.provider.syncobj_conf(),
        }

    # -- the consensus contract ----------------------------------------------

    def propose(self, command: object) -> ProposeOutcome:
        """Ask the member that leads (or, failing that, the one most members follow) to apply
        ``command``; try again after definite refusals until the client timeout."""
        deadline = time.monotonic() + self.provider.client_timeout
        self._event(f"propose {command!r}: invoked")
        attempts = 0
        while time.monotonic() < deadline:
            target = self._choose_member(deadline)
            if target is None:
                self._sleep_until(deadline, self.provider.retry_pause)
                continue
            attempts += 1
            answer = self.request(target, "propose", command, deadline=deadline, reply_kind="proposed")
            if answer is NOT_SENT:
                self._sleep_until(deadline, self.provider.retry_pause)
                continue  # never reached the member
            if answer is None or answer is GONE:
                why = "no answer" if answer is None else "its process ended"
                self._event(f"propose {command!r}: unknown ({why} from {target}, attempt {attempts})")
                return ProposeOutcome("unknown")
            result, reason = answer
            name = FAIL_REASONS.get(reason, repr(reason))
            if reason == SUCCESS and isinstance(result, tuple):
                index, answer = result
                self._event(f"propose {command!r}: committed at {index} (via {target}, attempt {attempts})")
                return ProposeOutcome("committed", index, answer)
            if reason not in NEVER_APPLIED:
                self._event(f"propose {command!r}: unknown ({name} from {target}, attempt {attempts})")
                return ProposeOutcome("unknown")
            self._event(f"propose {command!r}: {name} from {target} (attempt {attempts}), trying again")
            self._sleep_until(deadline, self.provider.retry_pause)
        self._event(f"propose {command!r}: rejected (every attempt of {attempts} was refused)")
        return ProposeOutcome("rejected")

    def status(self) -> Mapping[str, MemberStatus]:
        """Every running, unpaused member's status (a paused one cannot answer)."""
        deadline = time.monotonic() + self.provider.status_timeout
        snapshots = self.snapshots(deadline)
        silent = [m for m in self.reachable() if m not in snapshots]
        if silent:
            raise MemberFailed(
                f"member(s) {silent} are running and not paused but did not report their status within "
                f"{self.provider.status_timeout:g} s\n{self.timeline(30)}"
            )
        statuses = {member: _member_status(snapshot) for member, snapshot in snapshots.items()}
        self._note_statuses(statuses, snapshots)
        return statuses

    # -- internals -----------------------------------------------------------

    def note_stale(self, member: str, stale: list[Any]) -> None:
        for message in stale:
            if message[0] == "proposed":
                reason = FAIL_REASONS.get(message[3], repr(message[3]))
                self._event(f"late answer from {member} to a proposal given up on: {reason}, {message[2]!r}")

    def _note_statuses(self, statuses: Mapping[str, MemberStatus], snapshots: Mapping[str, Any]) -> None:
        parts = []
        for member, s in sorted(statuses.items()):
            snapshot = snapshots[member]
            leader = self._member_at(snapshot["leader"])
            linked = "".join(sorted(str(self._member_at(a)).removeprefix("n") for a in snapshot["connected"]))
            parts.append(
                f"{member} t{s.term} {s.role}"
                + (f"({leader})" if leader and s.role != "leader" else "")
                + f" c{s.commit_index} a{s.last_applied} tcp:{linked or '-'}"
            )
        line = "status " + (" | ".join(parts) or "(no member up)")
        if line != self._last_line:
            self._last_line = line
            self._event(line)

    def _member_at(self, address: str | None) -> str | None:
        for member, known in self.addresses.items():
            if known == address:
                return member
        return address

    def _choose_member(self, deadline: float) -> str | None:
        """Whom a client asks: the member leading the highest term, else the member most others
        follow, else any reachable member (pysyncobj forwards a command to its leader)."""
        snapshots = self.snapshots(min(deadline, time.monotonic() + self.provider.status_timeout))
        leaders = [(s["term"], m) for m, s in snapshots.items() if ROLES.get(s["state"]) == "leader"]
        if leaders:
            return max(leaders)[1]
        followed = Counter(self._member_at(s["leader"]) for s in snapshots.values())
        candidates = [m for m in followed if m in snapshots]
        if candidates:
            return max(candidates, key=lambda m: (followed[m], m))
        reachable = self.reachable()
        return reachable[0] if reachable else None


def _member_status(snapshot: Mapping[str, Any]) -> MemberStatus:
    role = ROLES.get(snapshot["state"])
    if role is None:
        raise MemberFailed(f"pysyncobj reported state {snapshot['state']!r}, none of {sorted(ROLES)}")
    return MemberStatus(
        term=snapshot["term"],
        role=role,
        commit_index=snapshot["commit_index"],
        last_applied=snapshot["last_applied"],
        applied=tuple(LogEntry(index, term, command) for index, term, command in snapshot["applied"]),
    )


@dataclass
class PySyncObjProvider:
    """The ``consensus`` component: pysyncobj clusters with short, fixed timeouts (seconds)."""

    deterministic: bool = False
    #: pysyncobj has no public API to read its log.
    exposes_logs: bool = False
    raft_min_timeout: float = 0.2
    raft_max_timeout: float = 0.4
    append_entries_period: float = 0.05
    #: How often a member's tick runs when no socket wakes it (SyncObjConf.autoTickPeriod).
    tick_period: float = 0.02
    #: A leader steps down after this long without hearing from a majority.
    leader_fallback_timeout: float = 0.4
    #: No data on a connection for this long and pysyncobj drops it (>= raft_max_timeout).
    connection_timeout: float = 1.0
    connection_retry_time: float = 0.1
    #: How long ``propose`` keeps trying before it answers ``unknown``/``rejected``.
    client_timeout: float = 2.0
    retry_pause: float = 0.05
    status_timeout: float = 5.0
    startup_timeout: float = 20.0
    timeline_limit: int = 500

    @property
    def election_timeout_ns(self) -> int:
        """The longest randomized election timeout, plus the tick that notices it has passed."""
        return round((self.raft_max_timeout + self.tick_period) * NS)

    @property
    def convergence_time_ns(self) -> int:
        return 10 * self.election_timeout_ns

    def syncobj_conf(self) -> dict[str, Any]:
        """The ``SyncObjConf`` keyword arguments of every member."""
        return {
            "autoTickPeriod": self.tick_period,
            "raftMinTimeout": self.raft_min_timeout,
            "raftMaxTimeout": self.raft_max_timeout,
            "appendEntriesPeriod": self.append_entries_period,
            "leaderFallbackTimeout": self.leader_fallback_timeout,
            "connectionTimeout": self.connection_timeout,
            "connectionRetryTime": self.connection_retry_time,
            "commandsWaitLeader": False,
            "dynamicMembershipChange": False,
            "logCompactionMinEntries": 2**31,
            "logCompactionMinTime": 2**31,
            "bindRetryTime": 0.1,
            "maxBindRetries": 100,
        }

    def new_cluster(self, *, size: int, entropy: Any = None) -> PySyncObjCluster:
        """``entropy`` is ignored: pysyncobj draws its own timeouts from ``random``."""
        return PySyncObjCluster(size, self)


@dataclass(frozen=True)
class PySyncObjImplementation:
    name: str = "pysyncobj"
    description: str = ""
    components: Mapping[str, Any] = field(default_factory=dict)


def implementation() -> PySyncObjImplementation:
    """The factory ``--impl pysyncobj`` loads (entry point ``kspec.implementations``)."""
    try:
        version = metadata.version("pysyncobj")
    except metadata.PackageNotFoundError:
        raise ImportError("pysyncobj is not installed; pip install 'kspec[pysyncobj]'") from None
    return PySyncObjImplementation(
        description=f"pysyncobj {version}, one OS process per member on loopback ports",
        components={"consensus": PySyncObjProvider()},
    )
