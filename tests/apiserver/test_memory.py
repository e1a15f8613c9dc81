"""The in-memory kv store behind the API server: its watch streams keep etcd's watch guarantees.

The store is the reference etcd's ``EtcdStore`` and ``WatchHub`` behind a
lock (tests/etcd holds both to the model); what is new is the stream:
responses queued by the hub as writes interleave with ``receive`` calls. Each stream is
checked with ``spec.kv_watch.problems`` (ordered, unique, atomic,
bookmarkable, reliable, is_create, prev_kv, filter, compacted), and a stream
that drops an event is caught.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from impl.apiserver.memory import MemoryKV, MemoryKVProvider
from spec import kv_watch
from spec.kv import CompactionRequest, PutRequest, Request, WatchCreateRequest, WatchResponse
from tests.spec.kv_strategies import watch_requests, writes


def _run(
    kv: MemoryKV, request: WatchCreateRequest, steps: list[list[Request]], progress: bool
) -> list[WatchResponse]:
    stream = kv.client().watch(replace(request, progress_notify=progress))
    responses: list[WatchResponse] = []
    for batch in steps:
        for write in batch:
            kv.call(write)
        responses += stream.receive(0.0)
    responses += stream.receive(0.0)
    stream.cancel()
    assert stream.receive(0.0) == []
    return responses


@pytest.mark.requirement("KV-WATCH-ORDERED")
@pytest.mark.requirement("KV-WATCH-UNIQUE")
@pytest.mark.requirement("KV-WATCH-ATOMIC")
@pytest.mark.requirement("KV-WATCH-RELIABLE")
@pytest.mark.requirement("KV-WATCH-PREVKV")
@pytest.mark.requirement("KV-WATCH-BOOKMARKABLE")
@given(
    request=watch_requests(),
    steps=st.lists(st.lists(writes, max_size=3), max_size=6),
    progress=st.booleans(),
)
def test_memory_watch_streams_keep_the_watch_guarantees(
    request: WatchCreateRequest, steps: list[list[Request]], progress: bool
) -> None:
    kv = MemoryKV()
    for value in (b"1", b"2", b"3"):
        kv.call(PutRequest(b"a", value))  # so that start revisions 1..4 name history
    responses = _run(kv, request, steps, progress)
    assert responses[0].created
    assert kv_watch.problems(request, responses, kv.state) == {}
    dropped = [r for r in responses if not r.events] + [r for r in responses if r.events][1:]
    # A dropped batch shows once a later one arrives (a checker cannot see a loss nothing follows).
    if sum(1 for r in responses if r.events) >= 2:
        found = kv_watch.problems(request, sorted(dropped, key=lambda r: not r.created), kv.state)
        assert found, "a stream without its first batch of events must be caught"


@pytest.mark.requirement("KV-WATCH-COMPACTED")
def test_a_watch_below_the_compact_revision_is_canceled_with_it() -> None:
    kv = MemoryKV()
    for value in (b"1", b"2", b"3", b"4"):
        kv.call(PutRequest(b"a", value))
    kv.call(CompactionRequest(4))
    request = WatchCreateRequest(b"a", start_revision=2)
    responses = kv.client().watch(request).receive(0.0)
    assert responses[-1].canceled and responses[-1].compact_revision == 4
    assert (
        kv_watch.problems(request, responses, kv.state, compactions=(4,), compact_revision_at_creation=4)
        == {}
    )
    # A synced stream is not canceled by a compaction: its events were queued as they were committed
    # (etcd's synced watchers, watchable_store.go), so it loses nothing and goes on.
    stream = kv.client().watch(WatchCreateRequest(b"b", start_revision=5))
    kv.call(PutRequest(b"b", b"x"))
    kv.call(PutRequest(b"c", b"x"))
    kv.call(CompactionRequest(7))
    kv.call(PutRequest(b"b", b"y"))
    got = stream.receive(0.0)
    assert not any(r.canceled for r in got)
    assert [e.kv.value for r in got for e in r.events] == [b"x", b"y"]


def test_receive_waits_for_a_write_and_a_progress_notification_when_idle() -> None:
    kv = MemoryKVProvider().new_cluster(size=1, entropy=None)
    stream = kv.client().watch(WatchCreateRequest(b"k", progress_notify=True))
    assert stream.receive(0.0)[0].created
    writer = threading.Timer(0.05, lambda: kv.call(PutRequest(b"k", b"v")))
    writer.start()
    got = stream.receive(5.0)
    writer.join()
    assert got and got[0].events[0].kv.value == b"v"
    idle = stream.receive(0.01)
    assert idle and idle[0].is_progress_notify() and idle[0].header.revision == kv.state.revision
    with pytest.raises(ValueError):
        MemoryKVProvider().new_cluster(size=3, entropy=None)
