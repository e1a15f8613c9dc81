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
only) and talks to this adapter over its stdin and stdout.

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
returns the index it was applied at), pysyncobj's ``FAIL_REASON`` codes, and
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

import atexit
import contextlib
import itertools
import mmap
import os
import pickle
import queue
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO, Any

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

_HEADER = struct.Struct("<I")


# The framing is pysyncobj_member.py's, repeated: that script imports pysyncobj
# at the top and runs outside any package.
def read_frame(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    body = stream.read(size)
    if len(body) < size:
        raise EOFError
    return pickle.loads(body)


def write_frame(stream: IO[bytes], message: object) -> None:
    body = pickle.dumps(message)
    stream.write(_HEADER.pack(len(body)) + body)
    stream.flush()


def free_loopback_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 right now (held together, so distinct)."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class MemberFailed(RuntimeError):
    """A member process did what no fault asked for: died, or stopped answering."""


class _Gone:
    def __repr__(self) -> str:
        return "<process gone>"


GONE = _Gone()


class _Process:
    """One incarnation of a member: its OS process and the thread that reads its replies."""

    def __init__(self, name: str, popen: subprocess.Popen[bytes]) -> None:
        self.name = name
        self.popen = popen
        self.replies: queue.Queue[Any] = queue.Queue()
        self.reader = threading.Thread(target=self._read, name=f"kspec-pysyncobj-{name}", daemon=True)
        self.reader.start()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def _read(self) -> None:
        assert self.popen.stdout is not None
        try:
            while True:
                self.replies.put(read_frame(self.popen.stdout))
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):
            self.replies.put(GONE)

    def send(self, message: object) -> bool:
        assert self.popen.stdin is not None
        try:
            write_frame(self.popen.stdin, message)
        except (OSError, ValueError):
            return False
        return True

    def await_reply(self, kind: str, rid: int, deadline: float, stale: list[Any]) -> Any:
        """The reply ``(kind, rid, ...)``; None at ``deadline``; GONE if the process ended.
        Replies to requests given up on earlier go to ``stale``."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                message = self.replies.get(timeout=remaining)
            except queue.Empty:
                return None
            if message is GONE:
                self.replies.put(GONE)
                return GONE
            if message[0] == kind and message[1] == rid:
                return message
            stale.append(message)

    def kill(self) -> None:
        """SIGKILL (a stopped process dies too), reap it, and end the reader thread."""
        with contextlib.suppress(ProcessLookupError):
            self.popen.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)
        for stream in (self.popen.stdin, self.popen.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self.reader.join(timeout=10)


_LIVE: weakref.WeakSet[PySyncObjCluster] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    """No member outlives the test process, whatever a test forgot to close."""
    for cluster in list(_LIVE):
        cluster.close()


class PySyncObjCluster:
    """A pysyncobj cluster of ``size`` member processes on loopback ports, journals in a temp dir."""

    def __init__(self, size: int, provider: PySyncObjProvider) -> None:
        if size < 1:
            raise ValueError(f"a pysyncobj cluster needs at least one member, not {size}")
        self.provider = provider
        self._closed = False
        self._processes: dict[str, _Process] = {}
        self._paused: set[str] = set()
        self._events: deque[str] = deque(maxlen=provider.timeline_limit)
        self._started = time.monotonic()
        self._rids = itertools.count(1)
        self._last_line = ""
        self._directory = tempfile.TemporaryDirectory(prefix="kspec-pysyncobj-")
        self.directory = Path(self._directory.name)
        self._members = tuple(f"n{i}" for i in range(1, size + 1))
        self.addresses = {
            m: f"127.0.0.1:{port}" for m, port in zip(self._members, free_loopback_ports(size), strict=True)
        }
        network = self.directory / "network"
        network.write_bytes(bytes(size * size))
        self._network_file = network.open("r+b")
        self._network = mmap.mmap(self._network_file.fileno(), size * size)
        _LIVE.add(self)
        try:
            for member in self._members:  # start them all, then wait: interpreters start in parallel
                self._spawn(member)
            for member in self._members:
                self._await_ready(member)
        except BaseException:
            self.close()
            raise
        self._event(f"started {', '.join(f'{m}={a}' for m, a in self.addresses.items())} in {self.directory}")

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
            rid = next(self._rids)
            process = self._processes[target]
            attempts += 1
            if not process.send(("propose", rid, command)):
                self._sleep_until(deadline, self.provider.retry_pause)
                continue  # never reached the member
            stale: list[Any] = []
            answer = process.await_reply("proposed", rid, deadline, stale)
            self._note_stale(target, stale)
            if answer is None or answer is GONE:
                why = "no answer" if answer is None else "its process ended"
                self._event(f"propose {command!r}: unknown ({why} from {target}, attempt {attempts})")
                return ProposeOutcome("unknown")
            result, reason = answer[2], answer[3]
            name = FAIL_REASONS.get(reason, repr(reason))
            if reason == SUCCESS and isinstance(result, int):
                self._event(f"propose {command!r}: committed at {result} (via {target}, attempt {attempts})")
                return ProposeOutcome("committed", result)
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
        snapshots = self._snapshots(deadline)
        silent = [m for m in self._reachable() if m not in snapshots]
        if silent:
            raise MemberFailed(
                f"member(s) {silent} are running and not paused but did not report their status within "
                f"{self.provider.status_timeout:g} s\n{self.timeline(30)}"
            )
        statuses = {member: _member_status(snapshot) for member, snapshot in snapshots.items()}
        self._note_statuses(statuses, snapshots)
        return statuses

    def advance(self, duration_ns: int) -> None:
        time.sleep(max(0, duration_ns) / NS)

    def pids(self) -> dict[str, int]:
        """The process id of every running member (paused ones included)."""
        return {member: process.pid for member, process in sorted(self._processes.items())}

    def close(self) -> None:
        """Kill every member, reap it, end its reader thread, remove the directory (idempotent)."""
        if self._closed:
            return
        self._closed = True
        for member in sorted(self._processes):
            self._processes.pop(member).kill()
        self._paused.clear()
        with contextlib.suppress(ValueError, BufferError):
            self._network.close()
        self._network_file.close()
        self._directory.cleanup()
        _LIVE.discard(self)

    # -- the faults contract -------------------------------------------------

    def members(self) -> tuple[str, ...]:
        return self._members

    def crash(self, member: str) -> None:
        process = self._processes.pop(member, None)
        self._paused.discard(member)
        if process is not None:
            process.kill()
            self._event(f"crash {member} (SIGKILL pid {process.pid})")

    def restart(self, member: str) -> None:
        if member in self._processes:
            return
        self._spawn(member)
        self._await_ready(member)
        self._event(f"restart {member} (pid {self._processes[member].pid})")

    def pause(self, member: str) -> None:
        process = self._processes.get(member)
        if process is None or member in self._paused:
            return
        os.kill(process.pid, signal.SIGSTOP)
        _wait_stopped(process.pid, stopped=True)
        self._paused.add(member)
        self._event(f"pause {member} (SIGSTOP)")

    def resume(self, member: str) -> None:
        process = self._processes.get(member)
        if process is None or member not in self._paused:
            return
        os.kill(process.pid, signal.SIGCONT)
        _wait_stopped(process.pid, stopped=False)
        self._paused.discard(member)
        self._event(f"resume {member} (SIGCONT)")

    def partition(self, groups: Sequence[Sequence[str]]) -> None:
        side = {member: number for number, group in enumerate(groups) for member in group}
        size = len(self._members)
        cut = bytearray(size * size)
        for a, src in enumerate(self._members):
            for b, dst in enumerate(self._members):
                if src in side and dst in side and side[src] != side[dst]:
                    cut[a * size + b] = 1
        self._network[:] = bytes(cut)
        self._event(f"partition {[list(g) for g in groups]} (members in no group reach everyone)")

    def heal(self) -> None:
        self._network[:] = bytes(len(self._members) ** 2)
        self._event("heal")

    # -- the history, for failure messages -----------------------------------

    def timeline(self, last: int) -> str:
        """The last ``last`` events (client calls, faults, status changes) with their wall-clock
        offsets, then the warnings pysyncobj logged.

        A status line reads ``n2 t5 follower(n1) c7 a7 tcp:13`` for each member that answered:
        term 5, follower of n1, commit index 7, last applied 7, TCP connections up to n1 and n3
        (pysyncobj's ``getStatus()`` partner status; ``tcp:-`` for none)."""
        events = list(self._events)[-last:]
        text = "\n".join(events) or "(no events)"
        logs = self._log_tails(10)
        if logs:
            text += f"\n\npysyncobj's own warnings and errors (member logs in {self.directory}):\n{logs}"
        return text

    # -- internals -----------------------------------------------------------

    def _event(self, text: str) -> None:
        self._events.append(f"{(time.monotonic() - self._started) * 1000:9.1f} ms  {text}")

    def _note_stale(self, member: str, stale: list[Any]) -> None:
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

    def _reachable(self) -> list[str]:
        return [m for m in self._members if m in self._processes and m not in self._paused]

    def _snapshots(self, deadline: float) -> dict[str, Any]:
        """Ask every reachable member at once; what answered by ``deadline``."""
        asked = {}
        for member in self._reachable():
            rid = next(self._rids)
            if self._processes[member].send(("status", rid)):
                asked[member] = rid
        snapshots = {}
        for member, rid in asked.items():
            stale: list[Any] = []
            answer = self._processes[member].await_reply("status", rid, deadline, stale)
            self._note_stale(member, stale)
            if answer is GONE:
                raise MemberFailed(f"member {member}'s process ended by itself\n{self.timeline(30)}")
            if answer is not None:
                snapshots[member] = answer[2]
        return snapshots

    def _choose_member(self, deadline: float) -> str | None:
        """Whom a client asks: the member leading the highest term, else the member most others
        follow, else any reachable member (pysyncobj forwards a command to its leader)."""
        snapshots = self._snapshots(min(deadline, time.monotonic() + self.provider.status_timeout))
        leaders = [(s["term"], m) for m, s in snapshots.items() if ROLES.get(s["state"]) == "leader"]
        if leaders:
            return max(leaders)[1]
        followed = Counter(self._member_at(s["leader"]) for s in snapshots.values())
        candidates = [m for m in followed if m in snapshots]
        if candidates:
            return max(candidates, key=lambda m: (followed[m], m))
        reachable = self._reachable()
        return reachable[0] if reachable else None

    def _spawn(self, member: str) -> None:
        log_path = self.directory / f"{member}.log"
        with log_path.open("ab") as log:
            popen = subprocess.Popen(
                [sys.executable, "-P", str(MEMBER_SCRIPT)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                close_fds=True,
                start_new_session=True,  # a terminal's Ctrl-C goes to the suite, which closes the cluster
            )
        process = _Process(member, popen)
        self._processes[member] = process
        process.send(
            {
                "name": member,
                "address": self.addresses[member],
                "addresses": [self.addresses[m] for m in self._members],
                "journal": str(self.directory / f"{member}.journal"),
                "network": str(self.directory / "network"),
                "conf": self.provider.syncobj_conf(),
            }
        )

    def _await_ready(self, member: str) -> None:
        process = self._processes[member]
        answer = process.await_reply("ready", 0, time.monotonic() + self.provider.startup_timeout, [])
        if answer is None or answer is GONE:
            self._processes.pop(member).kill()
            why = "exited" if answer is GONE else f"was not ready within {self.provider.startup_timeout:g} s"
            raise MemberFailed(f"pysyncobj member {member} {why}:\n{self._log_tail(member, 20)}")

    def _sleep_until(self, deadline: float, pause: float) -> None:
        time.sleep(max(0.0, min(pause, deadline - time.monotonic())))

    def _log_tail(self, member: str, lines: int) -> str:
        path = self.directory / f"{member}.log"
        try:
            text = path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _log_tails(self, lines: int) -> str:
        return "\n".join(tail for m in self._members if (tail := self._log_tail(m, lines)))


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


def _wait_stopped(pid: int, *, stopped: bool, timeout: float = 2.0) -> None:
    """Wait until the kernel shows ``pid`` stopped (or running again): signals are asynchronous."""
    stat = Path(f"/proc/{pid}/stat")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = stat.read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return  # no /proc (not Linux): the signal will land soon enough
        if (state in ("T", "t")) == stopped:
            return
        time.sleep(0.001)


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
