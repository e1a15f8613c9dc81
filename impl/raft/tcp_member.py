"""The reference Raft's real driver: one member in its own OS process, over TCP on loopback.

``python -m impl.raft.tcp_member``, started by ``impl/raft/tcp.py``. It runs
the same ``RaftMember`` as the simulator (impl/raft/member.py) on real
time, real sockets and real files:

- time: an asyncio timer calls ``tick`` every ``tick_ms``; election timeouts
  are drawn from ``random.Random(seed)``, the seed given by the adapter;
- disk: ``FileStorage`` (impl/raft/storage.py), fsync before any message
  that depends on what was written;
- network: ``Transport`` (impl/raft/transport.py), TCP between members,
  messages on a link the adapter has cut (the shared ``network`` file,
  impl/peers/processes.py) dropped on both ends.

Control, over stdin and stdout (frames of impl/peers/processes.py): the
first frame is the configuration; the member answers ``("ready", 0)`` once
it listens. Then:

- ``("status", rid)`` -> ``("status", rid, MemberStatus)``
- ``("propose", rid, command)`` -> ``("propose", rid, answer)`` where answer
  is ``("committed", index, result)``, ``("lost", index)`` (another entry
  was applied at its index), ``("not_leader", leader)`` or ``("refused",
  reason, transient)``. A proposal whose fate this incarnation never learns
  gets no answer; the adapter bounds its wait.
- ``("read", rid)`` -> ``("read", rid, answer)``: ``("ok", commands)``,
  ``("failed",)``, ``("not_leader", leader)`` or ``("refused", reason,
  transient)``.
- ``("transfer", rid, target)`` -> ``("transfer", rid, answer)``:
  ``("started",)``, ``("not_leader", leader)`` or ``("refused", reason,
  transient)``.

End of stdin ends the process at once, as a crash would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import sys
import threading
from pathlib import Path
from typing import Any, BinaryIO

from impl.peers.processes import CutLinks, die_with_parent, read_frame, write_frame
from impl.raft.core import Accepted, NotLeader, RaftConfig, RaftNode, ReadStarted, Refused
from impl.raft.member import RaftMember
from impl.raft.storage import FileStorage
from impl.raft.transport import Transport, host_port

log = logging.getLogger("kspec.raft")


class Member:
    """The process: a ``RaftMember``, its listener, its ticker and its control channel."""

    def __init__(self, config: dict[str, Any], replies: BinaryIO) -> None:
        self.name: str = config["name"]
        self.config = config
        self.replies = replies
        self.reply_lock = threading.Lock()
        addresses = {m: host_port(a) for m, a in config["addresses"].items()}
        links = CutLinks(config["network"], list(config["addresses"]))
        self.transport = Transport(self.name, addresses, links)
        self.raft = RaftMember(
            self.name,
            tuple(config["addresses"]),
            RaftConfig(**config["raft"]),
            RaftNode,
            config.get("snapshot_every"),
            config.get("snapshot_keep", 0),
        )
        self.storage = FileStorage(Path(config["data_dir"]))
        self.tick_s = config["tick_ms"] / 1000

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self.raft.boot(self.storage, self.transport.send, random.Random(self.config["seed"]))
        server = await self.transport.listen(self.raft.step)
        loop.call_later(self.tick_s, self._tick)
        threading.Thread(target=self._read_control, args=(loop,), daemon=True).start()
        self.reply(("ready", 0))
        async with server:
            await server.serve_forever()

    # -- Raft traffic ------------------------------------------------------------

    def _tick(self) -> None:
        self.raft.tick()
        asyncio.get_running_loop().call_later(self.tick_s, self._tick)

    # -- control -----------------------------------------------------------------

    def reply(self, message: object) -> None:
        with self.reply_lock:
            try:
                write_frame(self.replies, message)
            except (BrokenPipeError, ValueError):
                os._exit(0)  # the adapter is gone

    def _read_control(self, loop: asyncio.AbstractEventLoop) -> None:
        requests = sys.stdin.buffer
        while True:
            try:
                request = read_frame(requests)
            except EOFError:
                os._exit(0)  # the adapter closed us: stop at once, as a crash would
            loop.call_soon_threadsafe(self._handle, request)

    def _handle(self, request: tuple[Any, ...]) -> None:
        kind, rid = request[0], request[1]
        if kind == "status":
            self.reply(("status", rid, self.raft.status()))
        elif kind == "propose":
            self._propose(rid, request[2])
        elif kind == "read":
            self._read(rid)
        elif kind == "transfer":
            answer = self.raft.transfer(request[2])
            self.reply(("transfer", rid, _refusal(answer) or ("started",)))
        else:
            log.warning("unknown control request %r", kind)

    def _propose(self, rid: int, command: object) -> None:
        def decided(applied: bool, result: object) -> None:
            # Called as the entry at its index is applied: the last one applied.
            index = self.raft.applied[-1].index
            self.reply(("propose", rid, ("committed", index, result) if applied else ("lost", index)))

        answer = self.raft.propose(command, decided)
        if not isinstance(answer, Accepted):
            self.reply(("propose", rid, _refusal(answer)))

    def _read(self, rid: int) -> None:
        def served(commands: tuple[object, ...] | None) -> None:
            self.reply(("read", rid, ("failed",) if commands is None else ("ok", commands)))

        answer = self.raft.read(served)
        if not isinstance(answer, ReadStarted):
            self.reply(("read", rid, _refusal(answer)))


def _refusal(answer: object) -> tuple[object, ...] | None:
    if isinstance(answer, NotLeader):
        return ("not_leader", answer.leader)
    if isinstance(answer, Refused):
        return ("refused", answer.reason, answer.transient)
    return None


def main() -> None:
    die_with_parent()
    replies = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames on the reply stream
    config = read_frame(sys.stdin.buffer)
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format=f"%(asctime)s {config['name']} pid {os.getpid()} %(levelname)s %(name)s: %(message)s",
    )
    member = Member(config, replies)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(member.run())


if __name__ == "__main__":
    main()
