"""Pod watches by node, indexed: one kv watch of every pod feeds the watches of each node's kubelet.

Every kubelet watches the pods with ``fieldSelector=spec.nodeName=<node>``.
Given a kv watch each, a cluster of N nodes makes every pod event travel N
times through the store's watch hub and N times through the selector,
only to be dropped N - 1 times. kube-apiserver's watch cache avoids that
with a trigger index on exactly this field (pkg/registry/core/pod/storage
``NodeNameTriggerFunc``, k8s.io/apiserver pkg/storage/cacher
``IndexerFuncs``): an event goes only to the watchers whose node it names,
before or after the change. So does this.

``NodeNameIndex.watch`` gives a ``KVWatchStream`` like the store's, fed from
one kv watch of the pods prefix: it holds the events of its node whose key
lies in its range and whose revision is at least its start. The API watch
on top applies the full selector as before, so what a client sees is the
same; only the work is not repeated per node.

It is for single-threaded drivers (the simulated cluster): ``receive``
pumps the shared watch without waiting, whatever its timeout, and a watch
that starts at a revision the index has already routed is given a kv watch
of its own. Each indexed watch is told how far the index has routed
(progress), as a kv watch of every pod would have shown it. A shared
watch that is canceled (compaction) cancels every indexed one with the
same response, and the index starts afresh on the next watch.

Requirement IDs: none (the watches keep API-WATCH-* as before).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from spec.kv import Event, EventType, KeyValue, ResponseHeader, WatchCreateRequest, WatchResponse

if TYPE_CHECKING:
    from impl.apiserver.watch import KVWatchStream

#: The node names a stored pod version names (spec.nodeName), from its stored bytes; "" for none.
NodeNameOf = Callable[[KeyValue], str]


@dataclass
class _IndexedStream:
    index: NodeNameIndex
    node: str
    key: bytes
    range_end: bytes
    start_revision: int
    responses: list[WatchResponse] = field(default_factory=list)
    canceled: bool = False
    #: The revision up to which this stream has been told everything (events or progress).
    progress: int = 0

    def receive(self, timeout_s: float) -> list[WatchResponse]:
        self.index.pump()
        out, self.responses = self.responses, []
        # A kv watch of every pod would have shown this watch the other nodes' events too, and the API
        # watch's progress (its bookmarks) would have moved with them: say how far the index has gone.
        if not self.canceled and self.index.routed_through > self.progress:
            self.progress = self.index.routed_through
            out.append(WatchResponse(ResponseHeader(self.progress)))
        return out

    def cancel(self) -> None:
        if not self.canceled:
            self.canceled = True
            self.index.forget(self)

    def wants(self, kv: KeyValue, revision: int) -> bool:
        return revision >= self.start_revision and self.key <= kv.key < self.range_end


class NodeNameIndex:
    def __init__(self, open_watch: Callable[[WatchCreateRequest], KVWatchStream], node_name_of: NodeNameOf):
        self._open = open_watch
        self._node_name_of = node_name_of
        self._shared: KVWatchStream | None = None
        #: Every event up to this revision has been routed: a watch must start after it to be indexed.
        self.routed_through = 0
        self._by_node: dict[str, list[_IndexedStream]] = {}

    def watch(
        self, request: WatchCreateRequest, node: str, pods_prefix: bytes, pods_end: bytes
    ) -> KVWatchStream:
        """A stream of ``request`` for ``node``'s pods (a plain kv watch if it starts too early)."""
        if self._shared is None:
            self._shared = self._open(
                WatchCreateRequest(
                    pods_prefix,
                    pods_end,
                    start_revision=request.start_revision,
                    prev_kv=True,
                    progress_notify=True,
                )
            )
            self.routed_through = request.start_revision - 1
        if request.start_revision <= self.routed_through:
            return self._open(request)  # it needs events the index has routed already
        stream = _IndexedStream(
            self,
            node,
            request.key,
            request.range_end,
            request.start_revision,
            progress=request.start_revision - 1,
        )
        self._by_node.setdefault(node, []).append(stream)
        return stream

    def forget(self, stream: _IndexedStream) -> None:
        streams = self._by_node.get(stream.node, [])
        if stream in streams:
            streams.remove(stream)

    def pump(self) -> None:
        """Route what the shared watch has received to the streams of the nodes each event names."""
        if self._shared is None:
            return
        for response in self._shared.receive(0.0):
            if response.canceled:
                self._cancel_all(response)
                return
            if response.is_progress_notify():  # each stream hears of it when it next receives
                self.routed_through = max(self.routed_through, response.header.revision)
                continue
            if response.created:
                continue
            routed: dict[int, tuple[_IndexedStream, list[Event]]] = {}
            for event in response.events:
                nodes = {self._node_name_of(event.kv) if event.type == EventType.PUT else ""}
                if event.prev_kv is not None:
                    nodes.add(self._node_name_of(event.prev_kv))
                for node in nodes - {""}:
                    for stream in self._by_node.get(node, ()):
                        if stream.wants(event.kv, event.kv.mod_revision):
                            routed.setdefault(id(stream), (stream, []))[1].append(event)
                self.routed_through = max(self.routed_through, event.kv.mod_revision)
            for stream, events in routed.values():
                stream.responses.append(WatchResponse(response.header, events=tuple(events)))

    def _cancel_all(self, response: WatchResponse) -> None:
        for streams in self._by_node.values():
            for stream in streams:
                stream.responses.append(response)
                stream.canceled = True
        self._by_node.clear()
        self._shared = None  # the next watch opens a fresh one
