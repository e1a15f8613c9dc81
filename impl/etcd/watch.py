"""The reference etcd's watch hub: every watch of one member, fed by its store's commits.

A watch is created against the member's ``EtcdStore``: the created response
first (or the canceled one: a negative start revision, an empty range, a
compacted start revision, as ``spec.kv.watch`` answers), then the events
from its start revision up to the store's current revision (etcd's unsynced
watchers catch up from history, watchable_store.go ``syncWatchers``), then,
as a synced watcher, the events of every revision the store commits. Each
response holds the events of one revision, so no revision is split across
responses (KV-WATCH-ATOMIC). A DELETE event carries the key and the
delete's revision; ``prev_kv``, if asked, is the pair at the revision before
the event, none for a create or below the compact revision.

When the store is replaced (a member restored from a snapshot rebuilds its
store), ``rebind`` moves every watch to the new store and catches each up
from the revision after its last event, or cancels it with the compact
revision if that history is gone, as etcd does with a watcher that fell
behind a compaction.

Progress notifications (``progress``) answer with the current revision and
no events, as etcd's RequestProgress does for a synced watcher.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from impl.etcd.store import EtcdStore
from spec.kv import (
    ERR_COMPACTED,
    WATCH_RANGE_EMPTY,
    Change,
    Event,
    EventType,
    KeyValue,
    ResponseHeader,
    WatchCreateRequest,
    WatchFilter,
    WatchResponse,
)

_FILTERED = {WatchFilter.NOPUT: EventType.PUT, WatchFilter.NODELETE: EventType.DELETE}


@dataclass
class Watcher:
    request: WatchCreateRequest
    key: bytes
    #: The next revision this watcher has not been sent.
    next_revision: int
    responses: deque[WatchResponse] = field(default_factory=deque)
    canceled: bool = False

    def wants(self, change: Change) -> bool:
        key, end = self.key, self.request.range_end
        if end == b"":
            return change.key == key
        if end == b"\0":
            return change.key >= key
        return key <= change.key < end


class WatchHub:
    def __init__(self, store: EtcdStore) -> None:
        self.store = store
        self.watchers: list[Watcher] = []
        store.on_commit = self._on_commit

    def create(self, request: WatchCreateRequest) -> Watcher:
        store = self.store
        header = ResponseHeader(store.revision)
        key = request.key or b"\0"  # v3rpc: an empty key is the smallest key
        watcher = Watcher(request, key, request.start_revision or store.revision + 1)
        answer = watcher.responses.append
        if request.start_revision < 0:
            answer(WatchResponse(header, created=True, canceled=True, cancel_reason=ERR_COMPACTED.message))
            watcher.canceled = True
            return watcher
        if request.range_end not in (b"", b"\0") and key >= request.range_end:
            answer(WatchResponse(header, created=True, canceled=True, cancel_reason=WATCH_RANGE_EMPTY))
            watcher.canceled = True
            return watcher
        answer(WatchResponse(header, created=True))
        self.watchers.append(watcher)
        self._catch_up(watcher)
        return watcher

    def cancel(self, watcher: Watcher) -> None:
        watcher.canceled = True
        if watcher in self.watchers:
            self.watchers.remove(watcher)

    def progress(self, watcher: Watcher) -> None:
        if not watcher.canceled:
            watcher.responses.append(WatchResponse(ResponseHeader(self.store.revision)))

    def rebind(self, store: EtcdStore) -> None:
        """Follow a new store (restored from a snapshot) and catch every watch up with it."""
        self.store = store
        store.on_commit = self._on_commit
        for watcher in list(self.watchers):
            self._catch_up(watcher)

    def _catch_up(self, watcher: Watcher) -> None:
        store = self.store
        if watcher.next_revision < store.compact_revision:
            # chooseAll sends this response without a revision, so its header has none
            watcher.responses.append(
                WatchResponse(ResponseHeader(0), canceled=True, compact_revision=store.compact_revision)
            )
            self.cancel(watcher)
            return
        if watcher.next_revision > store.revision:
            return
        changes = store.changes(watcher.key, watcher.request.range_end, watcher.next_revision, store.revision)
        self._send(watcher, changes)
        watcher.next_revision = store.revision + 1

    def _on_commit(self, revision: int, changes: list[Change]) -> None:
        # Events are immutable: each is made once per commit (with and without prev_kv) and shared by
        # every watcher that wants it, not rebuilt per watcher (a simulated cluster has a thousand).
        shared: dict[tuple[int, bool], Event] = {}

        def event(change: Change, with_prev: bool) -> Event:
            made = shared.get((id(change), with_prev))
            if made is None:
                made = shared[(id(change), with_prev)] = self._event(change, with_prev)
            return made

        for watcher in self.watchers:
            if watcher.next_revision > revision:
                continue  # it caught up past this revision already
            self._send(watcher, [c for c in changes if watcher.wants(c)], event)
            watcher.next_revision = revision + 1

    def _send(
        self,
        watcher: Watcher,
        changes: Iterable[Change],
        event_of: Callable[[Change, bool], Event] | None = None,
    ) -> None:
        make = event_of or self._event
        by_revision: dict[int, list[Event]] = {}
        for change in changes:
            event = make(change, watcher.request.prev_kv)
            if all(event.type != _FILTERED[f] for f in watcher.request.filters):
                by_revision.setdefault(change.revision, []).append(event)
        header = ResponseHeader(self.store.revision)
        for _, events in sorted(by_revision.items()):
            watcher.responses.append(WatchResponse(header, events=tuple(events)))

    def _event(self, change: Change, with_prev: bool) -> Event:
        if change.kv is None:
            event = Event(EventType.DELETE, KeyValue(change.key, mod_revision=change.revision))
        else:
            event = Event(EventType.PUT, change.kv)
        if not with_prev or event.is_create() or change.revision - 1 < self.store.compact_revision:
            return event
        return replace(event, prev_kv=self.store.get(change.key, change.revision - 1))
