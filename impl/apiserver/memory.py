"""A single-member in-memory etcd behind the ``kv`` contract: the API server's storage without etcd.

What it is: the reference etcd's store and watch hub (``impl/etcd/store.py``
``EtcdStore``, ``impl/etcd/watch.py`` ``WatchHub``) behind a lock, without
Raft, a WAL or a network: the state machine a member applies its log to,
answering every request at once. ``tests/etcd`` holds that store to the
sequential model (``spec.kv``) and that hub to etcd's watch guarantees, so
this is the model's behaviour at the optimized store's cost (a range is two
bisections, a watch is fed on commit instead of rescanning history). It
satisfies ``conformance/adapters/kv.py`` structurally (``KVClient``,
``WatchStream``, ``KVCluster``, ``KVProvider``) without importing the suite,
so the API server talks to it exactly as it talks to the reference etcd or
real etcd.

Threads: the HTTP driver runs requests on a thread pool, so every call takes
the lock, and ``receive`` waits on a condition that each write notifies.
Waiting uses the monotonic clock: this is runtime code, not a sans-IO core.

Requirement IDs: none (the store and hub are checked in tests/etcd, the
streams here in tests/apiserver/test_memory.py).
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import replace
from typing import Any

from impl.etcd.store import EtcdStore
from impl.etcd.watch import Watcher, WatchHub
from spec.kv import (
    KVLimits,
    KVState,
    Request,
    Response,
    ResponseHeader,
    WatchCreateRequest,
    WatchResponse,
)


class MemoryKV:
    """One in-memory etcd member; ``client()`` hands out clients that share it."""

    def __init__(self, limits: KVLimits | None = None) -> None:
        self._store = EtcdStore(limits or KVLimits())
        self._hub = WatchHub(self._store)
        self._changed = threading.Condition(threading.Lock())
        self._watch_ids = itertools.count(1)

    @property
    def state(self) -> KVState:
        """The store now as the model's ``KVState`` (a copy, O(history): for tests of what was stored)."""
        with self._changed:
            return self._store.as_state()

    def call(self, request: Request) -> Response:
        with self._changed:
            before = (self._store.revision, self._store.compact_revision)
            response = self._store.apply(request)
            if (self._store.revision, self._store.compact_revision) != before:
                if self._store.compact_revision != before[1]:
                    # The hub learns of commits, not compactions: catch up (or cancel) watches behind it.
                    self._hub.rebind(self._store)
                self._changed.notify_all()
            return response

    def open_watch(self, request: WatchCreateRequest) -> MemoryWatchStream:
        with self._changed:
            watch_id = request.watch_id or next(self._watch_ids)
            return MemoryWatchStream(self, self._hub.create(request), watch_id)

    def client(self, member: str | None = None) -> MemoryKVClient:
        return MemoryKVClient(self)

    # KVCluster
    def members(self) -> tuple[str, ...]:
        return ("memory",)

    def advance(self, duration_ns: int) -> None:
        """No time-driven behaviour: leases expire only through ``LeaseExpire`` (spec.kv)."""

    def close(self) -> None:
        pass


class MemoryKVClient:
    """A ``KVClient`` of a ``MemoryKV``: never ``Unavailable``, never ``Indeterminate``."""

    def __init__(self, kv: MemoryKV) -> None:
        self._kv = kv

    def call(self, request: Request) -> Response:
        return self._kv.call(request)

    def watch(self, request: WatchCreateRequest) -> MemoryWatchStream:
        return self._kv.open_watch(request)

    def close(self) -> None:
        pass


class MemoryWatchStream:
    """A ``WatchStream`` over one watcher of the hub: what it queued, or a wait for the next write.

    With ``progress_notify`` an idle ``receive`` returns a progress
    notification (no events, the current revision): everything up to it was
    delivered, since the hub queues a revision's events as it commits.
    """

    def __init__(self, kv: MemoryKV, watcher: Watcher, watch_id: int) -> None:
        self._kv = kv
        self._watcher = watcher
        self._watch_id = watch_id
        self._closed = False

    def receive(self, timeout_s: float) -> list[WatchResponse]:
        deadline = time.monotonic() + max(timeout_s, 0.0)
        watcher = self._watcher
        with self._kv._changed:
            while True:
                if self._closed:
                    return []
                if watcher.responses:
                    out = list(watcher.responses)
                    watcher.responses.clear()
                    if any(r.canceled for r in out):
                        self._closed = True
                    return [self._with_id(r) for r in out]
                if watcher.canceled:
                    return []
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    if watcher.request.progress_notify:
                        return [self._with_id(WatchResponse(ResponseHeader(self._kv._store.revision)))]
                    return []
                self._kv._changed.wait(remaining)

    def _with_id(self, response: WatchResponse) -> WatchResponse:
        return replace(response, watch_id=self._watch_id)

    def cancel(self) -> None:
        with self._kv._changed:
            self._closed = True
            self._kv._hub.cancel(self._watcher)


class MemoryKVProvider:
    """A ``KVProvider`` of single-member in-memory stores (the ``kv`` contract's factory)."""

    deterministic = False
    limits = KVLimits()

    def new_cluster(self, *, size: int, entropy: Any) -> MemoryKV:
        if size != 1:
            raise ValueError("the in-memory store has exactly one member")
        return MemoryKV(self.limits)
