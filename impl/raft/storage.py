"""A member's ``Storage`` in files with fsync, for the real driver (impl/raft/tcp_member.py).

Two files in the member's directory, as etcd keeps a WAL and snapshots:

- ``wal``: records appended one after another, each ``<length u32><crc32
  u32><payload>`` with the payload in ``impl.raft.wire``'s format: a hard
  state, or ``(entries_from, entries)`` meaning "the log from entries_from on
  is now these entries" (a conflicting suffix is truncated by the record
  that replaces it, never by rewriting old records). ``sync`` is one fsync
  of this file.
- ``snapshot``: the latest snapshot, replaced atomically (write a temporary
  file, fsync it, rename it over the old one, fsync the directory). After a
  snapshot the WAL is rewritten the same way, holding the hard state and the
  entries after the snapshot, so it does not grow for ever.

On load a record cut short or failing its checksum ends the WAL: it was
being written when the process died, so it was never synced and nothing
that depends on it was sent. The tail is cut off so that new records follow
the last good one.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

from impl.raft import wire
from impl.raft.core import HardState, Ready, Snapshot, Stored
from spec.raft import LogEntry

_RECORD = struct.Struct("<II")


class FileStorage:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._wal_path = directory / "wal"
        self._snapshot_path = directory / "snapshot"
        self._hard_state = HardState()
        self._snapshot = Snapshot()
        #: The stored entries after the snapshot, as a reader of the WAL would rebuild them.
        self._entries: list[LogEntry] = []
        self._wal = None
        self._dirty = False

    # -- Storage ---------------------------------------------------------------

    def load(self) -> Stored:
        if self._snapshot_path.exists():
            self._snapshot = wire.decode(self._snapshot_path.read_bytes())
        good_length = self._replay()
        self._wal = open(self._wal_path, "ab")
        if self._wal.tell() != good_length:
            self._wal.truncate(good_length)
            os.fsync(self._wal.fileno())
        self._entries = [e for e in self._entries if e.index > self._snapshot.index]
        return Stored(self._hard_state, tuple(self._entries), self._snapshot)

    def write_ready(self, ready: Ready) -> None:
        if ready.snapshot is not None:
            self.write_snapshot(ready.snapshot)
        if ready.hard_state is not None:
            self._hard_state = ready.hard_state
            self._append(ready.hard_state)
        if ready.entries_from is not None:
            self._replace_from(ready.entries_from, ready.entries)
            self._append((ready.entries_from, ready.entries))

    def write_snapshot(self, snapshot: Snapshot) -> None:
        _replace_atomically(self._snapshot_path, wire.encode(snapshot))
        self._snapshot = snapshot
        self._entries = [e for e in self._entries if e.index > snapshot.index]
        self._rewrite_wal()

    def sync(self) -> None:
        if self._dirty and self._wal is not None:
            self._wal.flush()
            os.fsync(self._wal.fileno())
            self._dirty = False

    def close(self) -> None:
        if self._wal is not None:
            self._wal.close()
            self._wal = None

    # -- internals -------------------------------------------------------------

    def _append(self, value: object) -> None:
        assert self._wal is not None, "load() first"
        self._wal.write(_frame(wire.encode(value)))
        self._dirty = True

    def _replace_from(self, first: int, entries: tuple[LogEntry, ...]) -> None:
        self._entries = [e for e in self._entries if e.index < first]
        self._entries.extend(entries)

    def _replay(self) -> int:
        """Read the WAL into memory; the length of its good prefix."""
        try:
            data = self._wal_path.read_bytes()
        except FileNotFoundError:
            return 0
        position = 0
        while position + _RECORD.size <= len(data):
            length, checksum = _RECORD.unpack_from(data, position)
            body = data[position + _RECORD.size : position + _RECORD.size + length]
            if len(body) < length or zlib.crc32(body) != checksum:
                break
            try:
                record = wire.decode(body)
            except wire.WireError:
                break
            if isinstance(record, HardState):
                self._hard_state = record
            else:
                first, entries = record
                self._replace_from(first, entries)
            position += _RECORD.size + length
        return position

    def _rewrite_wal(self) -> None:
        records = [self._hard_state]
        if self._entries:
            records.append((self._entries[0].index, tuple(self._entries)))
        if self._wal is not None:
            self._wal.close()
        _replace_atomically(self._wal_path, b"".join(_frame(wire.encode(r)) for r in records))
        self._wal = open(self._wal_path, "ab")
        self._dirty = False


def _frame(body: bytes) -> bytes:
    return _RECORD.pack(len(body), zlib.crc32(body)) + body


def _replace_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
