"""One pysyncobj member in its own OS process, driven by ``impl/peers/pysyncobj.py``.

Run as a script (``python -P pysyncobj_member.py``; ``-P`` so that this
directory, whose ``pysyncobj.py`` is the adapter, does not shadow the
library). It imports only the standard library and pysyncobj, never kspec.

Protocol: length-prefixed pickles on stdin (requests) and stdout (replies).
The first request is the member's configuration; the member answers
``("ready", 0)`` once its port is bound. Then:

- ``("status", rid)`` -> ``("status", rid, snapshot)``, taken inside
  pysyncobj's tick thread (an on-tick callback, public API) so that term,
  role, commit index and applied entries are one consistent instant;
- ``("propose", rid, command)`` -> ``("proposed", rid, result, fail_reason)``,
  the result being ``(index, answer)``: where the command was applied and
  what the register of ``spec.raft.apply_register`` answered
  when pysyncobj calls the replicated method's callback back (never, if it
  never does; the adapter bounds its wait).

End of stdin ends the process at once. Partitions come from a shared
``network`` file (one byte per directed link, written by the adapter): the
transport (pysyncobj's ``transportClass`` hook) drops every Raft message on a
cut link, in both directions, whatever state this process is in.

What pysyncobj does not offer publicly and this script reads anyway, with why:

- the index of the entry being applied: ``raftLastApplied`` (a public
  property) is the index of the entry before it while the replicated method
  runs, since pysyncobj increments it after the call;
- the term of each applied entry, and the entries applied without calling a
  replicated method (the leader's no-op at the start of its term): read from
  pysyncobj's journal, the private ``_SyncObj__raftLog``. Without them the
  applied sequence would have gaps that pysyncobj does not have, and two
  members applying different no-ops at one index would look alike.
"""

from __future__ import annotations

import collections
import ctypes
import logging
import mmap
import os
import pickle
import signal
import struct
import sys
import threading
from typing import Any, BinaryIO

from pysyncobj import SyncObj, SyncObjConf, replicated
from pysyncobj.transport import TCPTransport

_HEADER = struct.Struct("<I")
_REGULAR = 0  # pysyncobj's _COMMAND_TYPE.REGULAR: the first byte of a client command's log entry


def read_frame(stream: BinaryIO) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    body = stream.read(size)
    if len(body) < size:
        raise EOFError
    return pickle.loads(body)


def write_frame(stream: BinaryIO, message: object) -> None:
    body = pickle.dumps(message)
    stream.write(_HEADER.pack(len(body)) + body)
    stream.flush()


class Network:
    """The cut links, shared with the adapter: byte ``src * size + dst`` is 1 if src->dst is cut."""

    def __init__(self, path: str, size: int, index: dict[str, int]) -> None:
        self._file = open(path, "rb")  # held open for the process's life
        self._map = mmap.mmap(self._file.fileno(), size * size, access=mmap.ACCESS_READ)
        self._size = size
        self._index = index

    def cut(self, src: str, dst: str) -> bool:
        a, b = self._index.get(src), self._index.get(dst)
        if a is None or b is None:
            return False
        return self._map[a * self._size + b] != 0


def partitionable_transport(network: Network, self_address: str) -> type[TCPTransport]:
    class PartitionableTransport(TCPTransport):  # type: ignore[misc]
        """pysyncobj's TCP transport, losing every message on a cut link."""

        def send(self, node: Any, message: Any) -> bool:
            if network.cut(self_address, node.address):
                return True  # sent, and lost on the wire
            return bool(super().send(node, message))

        def _onMessageReceived(self, node: Any, message: Any) -> None:
            if network.cut(getattr(node, "address", ""), self_address):
                return  # it was in flight when the link was cut
            super()._onMessageReceived(node, message)

    return PartitionableTransport


class Member(SyncObj):  # type: ignore[misc]
    """The replicated state machine: it records every entry it applies, in order."""

    def __init__(self, self_address: str, partners: list[str], conf: SyncObjConf, transport: type) -> None:
        # Before SyncObj's constructor: its tick thread may replay the journal at once.
        self.applied: list[tuple[int, int, object]] = []
        self.register: object = None
        self.status_requests: collections.deque[int] = collections.deque()
        self.reply: Any = None
        super().__init__(self_address, partners, conf, transportClass=transport)
        self.addOnTickCallback(self._on_tick)

    @replicated  # type: ignore[misc]
    def apply(self, command: object) -> tuple[int, object]:
        """Apply ``command``: (its index, the register's answer)."""
        index = self.raftLastApplied + 1
        self._catch_up(index - 1)
        self.applied.append((index, self._term_at(index), command))
        return index, self._apply_register(command)

    def _apply_register(self, command: object) -> object:
        """``spec.raft.apply_register``, by the commands' type names (this script imports no kspec):
        a write sets the register and answers None, a read answers its value."""
        kind = type(command).__name__
        if kind == "RegisterWrite":
            self.register = getattr(command, "value", None)
            return None
        if kind == "RegisterRead":
            return self.register
        return None

    def _term_at(self, index: int) -> int:
        log = self._SyncObj__raftLog
        position = index - log[0][1]
        if 0 <= position < len(log) and log[position][1] == index:
            return int(log[position][2])
        return -1  # not in the journal: a term no entry has, so any comparison shows it

    def _command_at(self, index: int) -> object:
        log = self._SyncObj__raftLog
        position = index - log[0][1]
        if 0 <= position < len(log) and log[position][1] == index:
            data = log[position][0]
            if data[:1] != bytes([_REGULAR]):
                return None  # a no-op (or another entry pysyncobj keeps to itself)
            return ("unrecorded regular entry",)  # applied without calling our method: show it
        return ("not in journal",)

    def _catch_up(self, upto: int) -> None:
        """Record the entries pysyncobj applied without calling ``apply``, up to ``upto``."""
        last = self.applied[-1][0] if self.applied else 0
        for index in range(last + 1, upto + 1):
            self.applied.append((index, self._term_at(index), self._command_at(index)))

    def _on_tick(self) -> None:
        while self.status_requests:
            rid = self.status_requests.popleft()
            self._catch_up(self.raftLastApplied)
            status = self.getStatus()
            leader = status["leader"]
            snapshot = {
                "term": status["raft_term"],
                "state": status["state"],
                "leader": None if leader is None else leader.address,
                "commit_index": status["commit_idx"],
                "last_applied": status["last_applied"],
                "applied": list(self.applied),
                # getStatus() says 2 for a partner this member has a TCP connection to, 0 otherwise.
                "connected": sorted(
                    key.removeprefix("partner_node_status_server_")
                    for key, value in status.items()
                    if key.startswith("partner_node_status_server_") and value == 2
                ),
            }
            self.reply(("status", rid, snapshot))


def _die_with_parent() -> None:
    """Best effort (Linux): SIGKILL this process when the adapter's process dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main() -> None:
    _die_with_parent()
    requests = sys.stdin.buffer
    replies = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames on the reply stream
    config = read_frame(requests)
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format=f"%(asctime)s {config['name']} pid {os.getpid()} %(levelname)s %(name)s: %(message)s",
    )
    lock = threading.Lock()

    def reply(message: object) -> None:
        with lock:
            try:
                write_frame(replies, message)
            except (BrokenPipeError, ValueError):
                os._exit(0)  # the adapter is gone

    index = {address: i for i, address in enumerate(config["addresses"])}
    network = Network(config["network"], len(config["addresses"]), index)
    conf = SyncObjConf(journalFile=config["journal"], **config["conf"])
    partners = [a for a in config["addresses"] if a != config["address"]]
    member = Member(config["address"], partners, conf, partitionable_transport(network, config["address"]))
    member.reply = reply
    member.waitBinded()
    reply(("ready", 0))

    while True:
        try:
            request = read_frame(requests)
        except EOFError:
            os._exit(0)  # the adapter closed us: stop at once, as a crash would
        kind, rid = request[0], request[1]
        if kind == "status":
            member.status_requests.append(rid)
        elif kind == "propose":

            def answered(result: object, error: object, rid: int = rid) -> None:
                reply(("proposed", rid, result, error))

            member.apply(request[2], callback=answered)


if __name__ == "__main__":
    main()
