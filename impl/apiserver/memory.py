"""A single-member in-memory etcd behind the ``kv`` contract: the API server's storage until etcd lands.

What it is: ``spec.kv.KVStore`` (the sequential model of etcd's v3 KV API)
behind a lock, with watch streams fed from the model's history
(``spec.kv.watch`` for the checks a create makes, ``spec.kv.events_between``
for what follows). It satisfies ``conformance/adapters/kv.py`` structurally
(``KVClient``, ``WatchStream``, ``KVCluster``, ``KVProvider``) without
importing the suite, so the API server talks to it exactly as it will talk
to the reference etcd or real etcd.

Threads: the HTTP driver runs requests on a thread pool, so every call takes
the lock, and ``receive`` waits on a condition that each write notifies.
Waiting uses the monotonic clock: this is runtime code, not a sans-IO core.

Cost: the model keeps every revision since the last compaction and scans it
per read and per watch poll (O(keys) per call), so this store is for tests
and demos; the API server never looks inside it.

Requirement IDs: none (it is checked against the same model it wraps).
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import replace
from typing import Any

from spec.kv import (
    Event,
    KVLimits,
    KVState,
    KVStore,
    Request,
    Response,
    ResponseHeader,
    WatchCreateRequest,
    WatchResponse,
    events_between,
    watch,
    watch_matches,
)


class MemoryKV:
    """One in-memory etcd member; ``client()`` hands out clients that share it."""

    def __init__(self, limits: KVLimits | None = None) -> None:
        self._store = KVStore(KVState(limits=limits or KVLimits()))
        self._changed = threading.Condition(threading.Lock())
        self._watch_ids = itertools.count(1)

    @property
    def state(self) -> KVState:
        """The model's state now (for tests that check what was stored)."""
        with self._changed:
            return self._store.state

    def call(self, request: Request) -> Response:
        with self._changed:
            before = (self._store.state.revision, self._store.state.compact_revision)
            response = self._store.apply(request)
            if (self._store.state.revision, self._store.state.compact_revision) != before:
                self._changed.notify_all()
            return response

    def open_watch(self, request: WatchCreateRequest) -> MemoryWatchStream:
        with self._changed:
            watch_id = request.watch_id or next(self._watch_ids)
        return MemoryWatchStream(self, replace(request, watch_id=watch_id))

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
    """A ``WatchStream``: the created response, then one response per revision with matching events.

    A watch whose start revision gets compacted before it caught up is
    canceled with ``compact_revision`` set, as etcd does. With
    ``progress_notify`` an idle ``receive`` returns a progress notification
    (no events, the current revision): everything up to it was delivered.
    """

    def __init__(self, kv: MemoryKV, request: WatchCreateRequest) -> None:
        self._kv = kv
        self._request = request
        self._key = request.key or b"\0"
        self._created = False
        self._canceled = False
        self._next = 0  # the first revision not yet delivered (set when created)

    def _catch_up(self, state: KVState) -> list[WatchResponse]:
        out: list[WatchResponse] = []
        if not self._created:
            self._created = True
            first = watch(
                state, replace(self._request, start_revision=self._request.start_revision, prev_kv=True)
            )
            if first.canceled:
                self._canceled = True
                if first.created:
                    return [first]
                created = WatchResponse(ResponseHeader(state.revision), self._request.watch_id, created=True)
                return [created, replace(first, watch_id=self._request.watch_id)]
            out.append(WatchResponse(ResponseHeader(state.revision), self._request.watch_id, created=True))
            self._next = self._request.start_revision or state.revision + 1
        if self._next <= state.revision:
            if self._next < state.compact_revision:
                self._canceled = True
                return [
                    *out,
                    WatchResponse(
                        ResponseHeader(0),
                        self._request.watch_id,
                        canceled=True,
                        compact_revision=state.compact_revision,
                    ),
                ]
            events = [
                e
                for e in events_between(state, self._key, self._request.range_end, self._next, state.revision)
                if watch_matches(self._request, e)
            ]
            self._next = state.revision + 1
            for _, group in itertools.groupby(events, key=lambda e: e.revision):
                batch = tuple(self._shape(e) for e in group)
                out.append(
                    WatchResponse(ResponseHeader(state.revision), self._request.watch_id, events=batch)
                )
        return out

    def _shape(self, event: Event) -> Event:
        return event if self._request.prev_kv else replace(event, prev_kv=None)

    def receive(self, timeout_s: float) -> list[WatchResponse]:
        deadline = time.monotonic() + max(timeout_s, 0.0)
        with self._kv._changed:
            while True:
                if self._canceled:
                    return []
                out = self._catch_up(self._kv._store.state)
                if out:
                    return out
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    if self._request.progress_notify:
                        return [
                            WatchResponse(
                                ResponseHeader(self._kv._store.state.revision), self._request.watch_id
                            )
                        ]
                    return []
                self._kv._changed.wait(remaining)

    def cancel(self) -> None:
        with self._kv._changed:
            self._canceled = True


class MemoryKVProvider:
    """A ``KVProvider`` of single-member in-memory stores (the ``kv`` contract's factory)."""

    deterministic = False
    limits = KVLimits()

    def new_cluster(self, *, size: int, entropy: Any) -> MemoryKV:
        if size != 1:
            raise ValueError("the in-memory store has exactly one member")
        return MemoryKV(self.limits)
