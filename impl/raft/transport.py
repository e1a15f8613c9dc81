"""Raft messages between member processes over TCP: the real driver's network.

Each member listens on its address and keeps one outgoing connection per
peer; frames are ``<length u32><impl.raft.wire JSON>``. A message for a peer
that is not connected, or whose socket buffer is full (a paused peer), is
dropped, as a network may drop anything: Raft resends. A dropped message
starts a new connection attempt. Messages on a link that ``links`` says is
cut are dropped on both ends, so a partition holds even for messages that
were in flight. What arrives is decoded by ``impl.raft.wire``, which
rebuilds Raft types only; a connection sending anything else is closed.

Used by impl/raft/tcp_member.py (the consensus suite's members); any member
process that replicates through the reference Raft can use it.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Callable
from typing import Protocol

from impl.raft import wire
from impl.raft.core import Message

_LENGTH = struct.Struct("<I")
#: A peer's socket buffer beyond this many bytes: it is not reading (paused); drop what we would add.
MAX_BUFFERED = 1 << 20
#: A frame longer than this is not ours: close the connection.
MAX_FRAME = 64 << 20

log = logging.getLogger("kspec.raft")


class Links(Protocol):
    def cut(self, src: str, dst: str) -> bool: ...


class NoCuts:
    """A network nobody partitions."""

    def cut(self, src: str, dst: str) -> bool:
        return False


def host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


class Transport:
    """This member's side of the network: a listener, and outgoing connections to every peer."""

    def __init__(self, name: str, addresses: dict[str, tuple[str, int]], links: Links | None = None) -> None:
        """``addresses``: every member's (host, port), this one's included."""
        self.name = name
        self.own_address = addresses[name]
        self.addresses = {member: a for member, a in addresses.items() if member != name}
        self.links: Links = links or NoCuts()
        self.writers: dict[str, asyncio.StreamWriter] = {}
        self.connecting: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, message: Message) -> bool:
        """Queue ``message`` on its peer's connection; False if it was dropped here (never sent)."""
        dst = message.dst
        if self.links.cut(self.name, dst):
            return False
        writer = self.writers.get(dst)
        if writer is None or writer.is_closing():
            self.writers.pop(dst, None)
            self.connect(dst)
            return False
        if writer.transport.get_write_buffer_size() > MAX_BUFFERED:
            return False
        body = wire.encode(message)
        writer.write(_LENGTH.pack(len(body)) + body)
        return True

    def connect(self, peer: str) -> None:
        if peer in self.connecting or peer not in self.addresses:
            return
        self.connecting.add(peer)
        task = asyncio.get_running_loop().create_task(self._connect(peer))
        self._tasks.add(task)  # the loop keeps only a weak reference
        task.add_done_callback(self._tasks.discard)

    async def _connect(self, peer: str) -> None:
        host, port = self.addresses[peer]
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout=1.0)
            self.writers[peer] = writer
        except (TimeoutError, OSError):
            pass  # down, or not listening yet: the next message tries again
        finally:
            self.connecting.discard(peer)

    async def listen(self, deliver: Callable[[Message], None]) -> asyncio.Server:
        """Serve this member's address, handing every message for it to ``deliver``."""

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
                    if length > MAX_FRAME:
                        return
                    message = wire.decode(await reader.readexactly(length))
                    if getattr(message, "dst", None) != self.name or self.links.cut(message.src, self.name):
                        continue  # not ours, or in flight when the link was cut
                    deliver(message)
            except (asyncio.IncompleteReadError, ConnectionError, wire.WireError) as e:
                if isinstance(e, wire.WireError):
                    log.warning("dropping a connection that sent something that is not a Raft message: %s", e)
            finally:
                writer.close()

        return await asyncio.start_server(serve, *self.own_address, reuse_address=True)
