"""A process's disk: a key-value store that survives crashes, but only what was synced.

Models the page cache and ``fsync``: writes and deletes are visible to reads
at once, and become durable only at the next ``sync()``. A crash keeps
exactly the synced state and loses every unsynced write and delete, the
failure FoundationDB's simulator and etcd's robustness tests inject to find
code that acknowledges before it persists (etcd-io/raft's Ready contract: an
entry must be persisted before the messages that depend on it are sent).

Not modelled (yet): torn or partial syncs, corruption, latent sector errors
(TigerBeetle's storage faults). A sync is atomic and instantaneous.

Values are stored as given, not copied: store immutable values (``bytes``,
``str``, numbers, tuples, frozen dataclasses). A mutable value changed after
``write`` would change what the disk "holds" without a write, and a copy on
every write would slow every run to protect against that mistake.

Keys are strings; ``keys()`` returns them sorted so that iteration order
never depends on insertion history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# A unique marker for "deleted but not yet synced"; None is a valid value.
_DELETED: Any = object()


class Disk:
    """A simulated disk. Obtain one as ``ctx.disk`` or ``Simulation.disk(address)``."""

    __slots__ = ("_on_sync", "_synced", "_unsynced", "address", "syncs")

    def __init__(self, address: str, on_sync: Callable[[Disk, int], None] | None = None) -> None:
        self.address = address
        self._synced: dict[str, Any] = {}
        # key -> value, or _DELETED; applied to _synced in write order at sync.
        self._unsynced: dict[str, Any] = {}
        self._on_sync = on_sync
        self.syncs = 0

    def write(self, key: str, value: Any) -> None:
        """Set ``key``; durable only after the next ``sync()``."""
        if not isinstance(key, str):
            raise TypeError(f"disk keys are str, got {type(key).__name__}")
        self._unsynced[key] = value

    def delete(self, key: str) -> None:
        """Remove ``key`` (absent keys are fine); durable only after the next ``sync()``."""
        if not isinstance(key, str):
            raise TypeError(f"disk keys are str, got {type(key).__name__}")
        self._unsynced[key] = _DELETED

    def read(self, key: str, default: Any = None) -> Any:
        """The current value, synced or not (like reading through the page cache)."""
        value = self._unsynced.get(key, self)
        if value is self:
            return self._synced.get(key, default)
        if value is _DELETED:
            return default
        return value

    def __contains__(self, key: str) -> bool:
        return self.read(key, _DELETED) is not _DELETED

    def keys(self, prefix: str = "") -> list[str]:
        """Current keys starting with ``prefix``, sorted."""
        current = {k for k in self._synced if k.startswith(prefix)}
        for k, v in self._unsynced.items():
            if not k.startswith(prefix):
                continue
            if v is _DELETED:
                current.discard(k)
            else:
                current.add(k)
        return sorted(current)

    @property
    def unsynced_count(self) -> int:
        """Writes and deletes a crash would lose now."""
        return len(self._unsynced)

    def sync(self) -> None:
        """Make every write and delete so far durable."""
        pending = self._unsynced
        count = len(pending)
        if count:
            synced = self._synced
            for k, v in pending.items():
                if v is _DELETED:
                    synced.pop(k, None)
                else:
                    synced[k] = v
            self._unsynced = {}
        self.syncs += 1
        if self._on_sync is not None:
            self._on_sync(self, count)

    def synced_snapshot(self) -> dict[str, Any]:
        """A copy of the durable state, for tests and checkers."""
        return dict(self._synced)

    def _crash(self) -> int:
        """Lose unsynced changes; return how many were lost."""
        lost = len(self._unsynced)
        self._unsynced = {}
        return lost

    def __repr__(self) -> str:
        return (
            f"Disk({self.address!r}, synced_keys={len(self._synced)}, "
            f"unsynced={len(self._unsynced)})"
        )
