"""Clusters of member processes on loopback: what every real-process adapter shares.

``ProcessCluster`` starts one OS process per member in a temporary
directory, talks to each over its stdin and stdout (length-prefixed
pickles: the pipes are private to the adapter and its own children), and
carries out the ``faults`` contract with signals and a shared file of cut
links:

- ``crash``: SIGKILL, the member's memory gone at once (a stopped process
  dies too). What the process wrote stays with the operating system: these
  are process crashes, not power losses.
- ``restart``: a new process with the same name, port and directory.
- ``pause``/``resume``: SIGSTOP/SIGCONT, waited for until the kernel shows
  the process stopped (or running).
- ``partition``/``heal``: the ``network`` file holds one byte per directed
  link (``src * size + dst``), 1 where the link is cut; members map it and
  drop every message on a cut link, sending or receiving, so a partition
  takes effect at once, even on a paused member.

Every wait is bounded, every process is killed and reaped and the directory
removed on ``close`` (and at interpreter exit, whatever a test forgot).
Subclasses say how to start a member (``member_command``,
``member_config``) and speak the contract on top (``request``). Given a
subclass's blocking ``propose``, the cluster takes concurrent clients
(``submit``/``outcome`` of the consensus contract): each submission is a
thread running ``propose``, so every client gets the same retries and
timeouts as a lone one.

Members were pysyncobj's first (impl/peers/pysyncobj.py) and the reference
Raft's real driver's next (impl/raft/tcp.py).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
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
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

_HEADER = struct.Struct("<I")


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


def die_with_parent() -> None:
    """Best effort (Linux), called in a member: SIGKILL it when the adapter's process dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class CutLinks:
    """A member's read-only view of the ``network`` file: is the link src -> dst cut?"""

    def __init__(self, path: str | Path, members: Sequence[str]) -> None:
        self._file = open(path, "rb")
        self._size = len(members)
        self._map = mmap.mmap(self._file.fileno(), self._size * self._size, access=mmap.ACCESS_READ)
        self._index = {member: i for i, member in enumerate(members)}

    def cut(self, src: str, dst: str) -> bool:
        a, b = self._index.get(src), self._index.get(dst)
        if a is None or b is None:
            return False
        return self._map[a * self._size + b] != 0


def cut_links(members: Sequence[str], groups: Sequence[Sequence[str]]) -> bytes:
    """The ``network`` file's bytes for a partition into ``groups``: src -> dst is cut when both
    are in groups and the groups differ (a member in no group reaches everyone)."""
    side = {member: number for number, group in enumerate(groups) for member in group}
    size = len(members)
    cut = bytearray(size * size)
    for a, src in enumerate(members):
        for b, dst in enumerate(members):
            if src in side and dst in side and side[src] != side[dst]:
                cut[a * size + b] = 1
    return bytes(cut)


class NetworkFile:
    """The adapter's side of the ``network`` file: it cuts and heals links; members read it (``CutLinks``)."""

    def __init__(self, path: Path, members: Sequence[str]) -> None:
        self.path = path
        self.members = tuple(members)
        path.write_bytes(bytes(len(members) ** 2))
        self._file = path.open("r+b")
        self._map = mmap.mmap(self._file.fileno(), len(members) ** 2)

    def partition(self, groups: Sequence[Sequence[str]]) -> None:
        self._map[:] = cut_links(self.members, groups)

    def heal(self) -> None:
        self._map[:] = bytes(len(self.members) ** 2)

    def close(self) -> None:
        with contextlib.suppress(ValueError, BufferError):
            self._map.close()
        self._file.close()


class MemberFailed(RuntimeError):
    """A member process did what no fault asked for: died, or stopped answering."""


class _Gone:
    def __repr__(self) -> str:
        return "<process gone>"


GONE = _Gone()


class _NotSent:
    def __repr__(self) -> str:
        return "<request not sent>"


NOT_SENT = _NotSent()


class MemberProcess:
    """One incarnation of a member: its OS process and the thread that reads its replies.

    Replies are routed by ``(kind, rid)`` to whoever awaits them, so several
    threads (concurrent clients) may have requests outstanding at once; a
    reply nobody awaits (to a request given up on) is kept in ``late``.
    """

    def __init__(self, name: str, popen: subprocess.Popen[bytes]) -> None:
        self.name = name
        self.popen = popen
        self.late: queue.Queue[Any] = queue.Queue()
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._awaited: dict[tuple[str, int], queue.Queue[Any]] = {}
        self._gone = False
        self.reader = threading.Thread(target=self._read, name=f"kspec-member-{name}", daemon=True)
        self.reader.start()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def _read(self) -> None:
        assert self.popen.stdout is not None
        try:
            while True:
                message = read_frame(self.popen.stdout)
                with self._lock:
                    waiting = self._awaited.pop((message[0], message[1]), None)
                (waiting or self.late).put(message)
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):
            with self._lock:
                self._gone = True
                waiting_all, self._awaited = list(self._awaited.values()), {}
            for waiting in waiting_all:
                waiting.put(GONE)
            self.late.put(GONE)

    def send(self, message: object) -> bool:
        assert self.popen.stdin is not None
        try:
            with self._send_lock:
                write_frame(self.popen.stdin, message)
        except (OSError, ValueError):
            return False
        return True

    def ask(self, message: tuple[Any, ...], reply_kind: str, deadline: float) -> Any:
        """Send ``message`` (``(kind, rid, ...)``) and await the reply ``(reply_kind, rid, ...)``:
        the reply; None at ``deadline``; GONE if the process ended; NOT_SENT if the message never
        left (so it certainly had no effect)."""
        key = (reply_kind, message[1])
        waiting: queue.Queue[Any] = queue.Queue()
        with self._lock:
            if self._gone:
                return NOT_SENT
            self._awaited[key] = waiting
        if not self.send(message):
            with self._lock:
                self._awaited.pop(key, None)
            return NOT_SENT
        try:
            return waiting.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            with self._lock:
                self._awaited.pop(key, None)
            return None

    def late_replies(self) -> list[Any]:
        """The replies that arrived after their requests were given up on, since the last call."""
        replies = []
        while True:
            try:
                reply = self.late.get_nowait()
            except queue.Empty:
                return replies
            if reply is GONE:
                self.late.put(GONE)  # stays the last word
                return replies
            replies.append(reply)

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


def wait_stopped(pid: int, *, stopped: bool, timeout: float = 2.0) -> None:
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


class _Closeable(Protocol):
    def close(self) -> None: ...


_LIVE: weakref.WeakSet[_Closeable] = weakref.WeakSet()


def close_at_exit(cluster: _Closeable) -> None:
    """Have ``cluster.close()`` run at interpreter exit unless ``closed_already`` said it ran."""
    _LIVE.add(cluster)


def closed_already(cluster: _Closeable) -> None:
    _LIVE.discard(cluster)


@atexit.register
def _close_all() -> None:
    """No member outlives the test process, whatever a test forgot to close."""
    for cluster in list(_LIVE):
        cluster.close()


#: Run by ``spawn_dying_with_parent``: ask for SIGKILL when the parent dies, then become the program.
_EXEC_DYING = (
    "import ctypes, os, signal, sys\n"
    "try:\n"
    "    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)\n"
    "except (OSError, AttributeError):\n"
    "    pass\n"
    "os.execv(sys.argv[1], sys.argv[1:])\n"
)


def spawn_dying_with_parent(
    argv: Sequence[str], log_path: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start a program that is not ours (etcd) so that it dies with this process, its output in
    ``log_path``: a small Python stub sets PR_SET_PDEATHSIG (Linux; elsewhere only ``close_at_exit``
    helps) and execs it, so the pid is the program's own and signals reach it directly.

    PR_SET_PDEATHSIG fires when the *thread* that forked exits: call this from a thread that lives
    as long as the cluster (the test's main thread). ``env``: variables to set on top of ours."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _EXEC_DYING, *argv],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            close_fds=True,
            start_new_session=True,  # a terminal's Ctrl-C goes to the suite, which closes the cluster
            env=None if env is None else {**os.environ, **env},
        )


class SignalledMembers:
    """Crash, pause and resume member processes by signal, and keep the timeline of what was done.

    Shared by ``ProcessCluster`` and the etcd adapter (impl/peers/etcd.py), whose processes differ
    (framed control channel or none) but are stopped the same way. A subclass keeps
    ``_processes`` (member -> a process with ``pid``), ``_paused``, ``_events`` and ``_started``,
    and says how a process is killed and reaped (``_kill_process``).
    """

    _processes: dict[str, Any]
    _paused: set[str]
    _events: Any  # a list or a bounded deque of timeline lines
    _started: float

    def _kill_process(self, process: Any) -> None:
        process.kill()

    def crash(self, member: str) -> None:
        process = self._processes.pop(member, None)
        self._paused.discard(member)
        if process is not None:
            self._kill_process(process)
            self._event(f"crash {member} (SIGKILL pid {process.pid})")

    def pause(self, member: str) -> None:
        process = self._processes.get(member)
        if process is None or member in self._paused:
            return
        os.kill(process.pid, signal.SIGSTOP)
        wait_stopped(process.pid, stopped=True)
        self._paused.add(member)
        self._event(f"pause {member} (SIGSTOP)")

    def resume(self, member: str) -> None:
        process = self._processes.get(member)
        if process is None or member not in self._paused:
            return
        os.kill(process.pid, signal.SIGCONT)
        wait_stopped(process.pid, stopped=False)
        self._paused.discard(member)
        self._event(f"resume {member} (SIGCONT)")

    def pids(self) -> dict[str, int]:
        """The process id of every running member (paused ones included)."""
        return {member: process.pid for member, process in sorted(self._processes.items())}

    def _event(self, text: str) -> None:
        self._events.append(f"{(time.monotonic() - self._started) * 1000:9.1f} ms  {text}")


class ProcessCluster(SignalledMembers):
    """Member processes ``n1..n<size>`` on loopback ports, their files in a temp dir, with faults."""

    #: What the member logs are called in messages ("pysyncobj", "kspec raft").
    kind = "member"

    def __init__(
        self, size: int, *, startup_timeout: float, status_timeout: float, timeline_limit: int
    ) -> None:
        if size < 1:
            raise ValueError(f"a cluster needs at least one member, not {size}")
        self.startup_timeout = startup_timeout
        self.status_timeout = status_timeout
        self._closed = False
        self._processes: dict[str, MemberProcess] = {}
        self._paused: set[str] = set()
        self._events: deque[str] = deque(maxlen=timeline_limit)
        self._started = time.monotonic()
        self._rids = itertools.count(1)
        self._outcomes: list[Any] = []
        self._tickets_lock = threading.Lock()
        self._clients: list[threading.Thread] = []
        self._directory = tempfile.TemporaryDirectory(prefix=f"kspec-{self.kind.replace(' ', '-')}-")
        self.directory = Path(self._directory.name)
        self._members = tuple(f"n{i}" for i in range(1, size + 1))
        self.addresses = {
            m: f"127.0.0.1:{port}" for m, port in zip(self._members, free_loopback_ports(size), strict=True)
        }
        self.network_path = self.directory / "network"
        self._network = NetworkFile(self.network_path, self._members)
        close_at_exit(self)
        try:
            for member in self._members:  # start them all, then wait: interpreters start in parallel
                self._spawn(member)
            for member in self._members:
                self._await_ready(member)
        except BaseException:
            self.close()
            raise
        self._event(f"started {', '.join(f'{m}={a}' for m, a in self.addresses.items())} in {self.directory}")

    # -- what a subclass says ------------------------------------------------

    def member_command(self, member: str) -> list[str]:
        """The command line that starts ``member``'s process."""
        raise NotImplementedError

    def member_config(self, member: str) -> object:
        """The first frame ``member`` reads: everything it needs to start."""
        raise NotImplementedError

    # -- requests to members -------------------------------------------------

    def request(self, member: str, kind: str, *args: object, deadline: float, reply_kind: str = "") -> Any:
        """Send ``(kind, rid, *args)`` to ``member`` and await the reply ``(reply_kind or kind, rid,
        ...)``: the reply's fields after the rid; None if no answer by ``deadline``; GONE if the
        process ended; NOT_SENT if the request certainly never reached the member."""
        process = self._processes.get(member)
        if process is None:
            return NOT_SENT
        answer = process.ask((kind, next(self._rids), *args), reply_kind or kind, deadline)
        self.note_stale(member, process.late_replies())
        if answer is None or answer is GONE or answer is NOT_SENT:
            return answer
        return answer[2:]

    def snapshots(self, deadline: float) -> dict[str, Any]:
        """Ask every reachable member for its ``("status", rid)`` at once; what answered by
        ``deadline``."""
        replies: dict[str, Any] = {}
        incarnations = {member: self._processes.get(member) for member in self.reachable()}

        def ask(member: str) -> None:
            replies[member] = self.request(member, "status", deadline=deadline)

        askers = [threading.Thread(target=ask, args=(m,), daemon=True) for m in self.reachable()]
        for asker in askers:
            asker.start()
        for asker in askers:
            asker.join(timeout=max(0.0, deadline - time.monotonic()) + 1.0)
        snapshots = {}
        for member, answer in replies.items():
            if answer is GONE and self._processes.get(member) is incarnations[member]:
                # Not crashed on purpose meanwhile (by another thread): it died by itself.
                raise MemberFailed(f"member {member}'s process ended by itself\n{self.timeline(30)}")
            if answer is not None and answer is not GONE and answer is not NOT_SENT:
                snapshots[member] = answer[0]
        return snapshots

    # -- concurrent clients (ConcurrentClients) ----------------------------------

    def propose(self, command: object) -> Any:
        raise NotImplementedError

    def submit(self, command: object) -> int:
        """Start ``propose(command)`` on a thread of its own; ``outcome`` tells when it is done."""
        with self._tickets_lock:
            ticket = len(self._outcomes)
            self._outcomes.append(None)

        def client() -> None:
            outcome = self.propose(command)
            with self._tickets_lock:
                self._outcomes[ticket] = outcome

        thread = threading.Thread(target=client, name=f"kspec-client-{ticket}", daemon=True)
        self._clients.append(thread)
        thread.start()
        return ticket

    def outcome(self, ticket: int) -> Any:
        with self._tickets_lock:
            return self._outcomes[ticket]

    def note_stale(self, member: str, stale: list[Any]) -> None:
        """Late replies to requests given up on: a subclass may put them in the timeline."""

    def reachable(self) -> list[str]:
        return [m for m in self._members if m in self._processes and m not in self._paused]

    def advance(self, duration_ns: int) -> None:
        time.sleep(max(0, duration_ns) / 1e9)

    def close(self) -> None:
        """Kill every member, reap it, end its reader thread, remove the directory (idempotent)."""
        if self._closed:
            return
        self._closed = True
        for member in sorted(self._processes):
            self._processes.pop(member).kill()
        self._paused.clear()
        self._network.close()
        self._directory.cleanup()
        closed_already(self)
        for client in self._clients:  # members gone: every client's wait ends at once
            client.join(timeout=10)

    # -- the faults contract -------------------------------------------------

    def members(self) -> tuple[str, ...]:
        return self._members

    def restart(self, member: str) -> None:
        if member in self._processes:
            return
        self._spawn(member)
        self._await_ready(member)
        self._event(f"restart {member} (pid {self._processes[member].pid})")

    def partition(self, groups: Sequence[Sequence[str]]) -> None:
        self._network.partition(groups)
        self._event(f"partition {[list(g) for g in groups]} (members in no group reach everyone)")

    def heal(self) -> None:
        self._network.heal()
        self._event("heal")

    # -- the history, for failure messages -----------------------------------

    def timeline(self, last: int) -> str:
        """The last ``last`` events with their wall-clock offsets, then what members logged."""
        events = list(self._events)[-last:]
        text = "\n".join(events) or "(no events)"
        logs = self._log_tails(10)
        if logs:
            text += f"\n\n{self.kind}'s own warnings and errors (member logs in {self.directory}):\n{logs}"
        return text

    # -- internals -----------------------------------------------------------

    def _spawn(self, member: str) -> None:
        log_path = self.directory / f"{member}.log"
        with log_path.open("ab") as log:
            popen = subprocess.Popen(
                self.member_command(member),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                close_fds=True,
                start_new_session=True,  # a terminal's Ctrl-C goes to the suite, which closes the cluster
            )
        process = MemberProcess(member, popen)
        self._processes[member] = process
        process.send(self.member_config(member))

    def _await_ready(self, member: str) -> None:
        process = self._processes[member]
        deadline = time.monotonic() + self.startup_timeout
        answer = None
        while answer is None and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                reply = process.late.get(timeout=max(0.0, deadline - time.monotonic()))
                if reply is GONE or reply[:2] == ("ready", 0):
                    answer = reply
        if answer is None or answer is GONE:
            self._processes.pop(member).kill()
            why = "exited" if answer is GONE else f"was not ready within {self.startup_timeout:g} s"
            raise MemberFailed(f"{self.kind} member {member} {why}:\n{self._log_tail(member, 20)}")

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
