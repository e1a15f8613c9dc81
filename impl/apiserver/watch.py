"""A watch as the API server streams it: kv watch responses in, Kubernetes watch events out.

Upstream: k8s.io/apiserver ``pkg/storage/etcd3/watcher.go`` (``transform``:
a create is ADDED, a delete is DELETED carrying the last state with the
delete's revision as resourceVersion, an update MODIFIED; with a selector,
an object that starts matching is ADDED and one that stops matching is
DELETED, ``spec.apiserver.watch_event_type``), ``pkg/endpoints/handlers/
watch.go`` (each event a JSON object ``{"type": ..., "object": ...}``; an
error after the watch started is an ERROR event with a Status, then the
stream ends) and ``pkg/storage/cacher`` (BOOKMARK events: an object of the
kind with only ``metadata.resourceVersion``; a watch from a compacted
version gets the 410 Expired Status, API-WATCH-GONE).

Sans-IO: ``next_events(timeout_s)`` asks the kv stream for what arrived
within ``timeout_s`` and returns the events; the driver decides when to ask,
when to send a bookmark and when the watch's time is up.

Requirement IDs: none defined here (API-WATCH-ORDER, API-WATCH-GONE and
API-WATCH-BOOKMARK are declared in ``spec/apiserver.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from spec import apiserver
from spec.kv import Event, EventType, KeyValue, WatchResponse
from spec.objects.registry import KindInfo

Decoded = dict[str, Any]
#: Decode a stored value with the resourceVersion to give it; None if it cannot be read.
Decoder = Callable[[bytes, int], Decoded | None]
#: Whether the object stored at (key, value, mod_revision) is selected; None if it cannot be read.
Selects = Callable[[str, bytes, int], bool | None]


class KVWatchStream(Protocol):
    def receive(self, timeout_s: float) -> list[WatchResponse]: ...

    def cancel(self) -> None: ...


class APIWatch:
    """One open watch; the driver writes what ``next_events`` and ``bookmark`` return, then ``close``."""

    status = 200

    def __init__(
        self,
        stream: KVWatchStream,
        *,
        info: KindInfo,
        decode: Decoder,
        selects: Selects,
        start_revision: int,
        initial: list[Decoded],
        bookmarks: bool,
        timeout_seconds: int | None,
    ) -> None:
        self._stream = stream
        self._info = info
        self._decode = decode
        self._selects = selects
        self._pending: list[dict[str, Any]] = [{"type": "ADDED", "object": obj} for obj in initial]
        #: Every change up to this revision has been delivered (or filtered out).
        self.progress = start_revision
        self._bookmarked = start_revision
        self.bookmarks = bookmarks
        self.timeout_seconds = timeout_seconds
        self.closed = False

    def next_events(self, timeout_s: float) -> list[dict[str, Any]]:
        """The events that are ready now or arrive within ``timeout_s``; [] once closed."""
        if self._pending:
            ready, self._pending = self._pending, []
            return ready
        if self.closed:
            return []
        out: list[dict[str, Any]] = []
        for response in self._stream.receive(timeout_s):
            if response.canceled:
                out.append(self._ended(response))
                self.close()
                break
            if response.created:
                continue
            if response.is_progress_notify():
                # etcd sends progress only once the watcher has sent everything up to it.
                self.progress = max(self.progress, response.header.revision)
                continue
            for event in response.events:
                translated = self._translate(event)
                if translated is not None:
                    out.append(translated)
                if translated is not None and translated["type"] == "ERROR":
                    self.close()
                    return out
                self.progress = max(self.progress, event.revision)
        return out

    def bookmark(self) -> dict[str, Any] | None:
        """A BOOKMARK at the delivered revision, if asked for and it moved on since the last one."""
        if not self.bookmarks or self.closed or self.progress <= self._bookmarked:
            return None
        self._bookmarked = self.progress
        return {
            "type": "BOOKMARK",
            "object": {
                "kind": self._info.kind,
                "apiVersion": self._info.api_version,
                "metadata": {"resourceVersion": str(self.progress), "creationTimestamp": None},
            },
        }

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._stream.cancel()

    def _ended(self, response: WatchResponse) -> dict[str, Any]:
        if response.compact_revision:
            # The oldest version a watch can still start from is one before the compact revision.
            status = apiserver.too_old_resource_version(self.progress, response.compact_revision - 1)
        else:
            status = apiserver.failure(500, "InternalError", f"watch canceled: {response.cancel_reason}")
        return {"type": "ERROR", "object": status}

    def _translate(self, event: Event) -> dict[str, Any] | None:
        # Selection is decided on the stored bytes (shared, cached attributes); only what is sent is decoded.
        previous = event.prev_kv
        if event.type == EventType.DELETE:
            if previous is None:
                message = f"the deleted object at revision {event.revision} is compacted"
                return {"type": "ERROR", "object": apiserver.expired(message)}
            if not self._selected(previous):
                return None
            deleted = self._decode(previous.value, event.revision)
            return None if deleted is None else {"type": "DELETED", "object": deleted}
        new_matches = self._selected(event.kv)
        if new_matches is None:
            return None
        kind = apiserver.watch_event_type(
            created=event.is_create(),
            deleted=False,
            old_matches=previous is not None and bool(self._selected(previous)),
            new_matches=new_matches,
        )
        if kind is None:
            return None
        if kind == "DELETED":
            # The object left the selection: upstream sends its old state with the new revision.
            assert previous is not None
            left = self._decode(previous.value, event.revision)
            return None if left is None else {"type": kind, "object": left}
        current = self._decode(event.kv.value, event.kv.mod_revision)
        return None if current is None else {"type": kind, "object": current}

    def _selected(self, kv: KeyValue) -> bool | None:
        return self._selects(kv.key.decode(), kv.value, kv.mod_revision)
