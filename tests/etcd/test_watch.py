"""impl/etcd/watch.py delivers what spec.kv.watch says a watch delivers, within the watch
guarantees of spec/kv_watch.py, whether it starts in the past or waits for new writes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impl.etcd.store import EtcdStore
from impl.etcd.watch import WatchHub
from spec import kv_watch
from spec.kv import (
    CompactionRequest,
    Event,
    KVState,
    PutRequest,
    Request,
    WatchCreateRequest,
    WatchResponse,
    step,
    watch,
)
from tests.spec.kv_strategies import watch_requests, writes


def events(responses: list[WatchResponse]) -> list[Event]:
    return [event for response in responses for event in response.events]


@pytest.mark.requirement(
    "KV-WATCH-ORDERED", "KV-WATCH-UNIQUE", "KV-WATCH-ATOMIC", "KV-WATCH-RELIABLE", "KV-WATCH-PREVKV"
)
@settings(max_examples=200, deadline=None)
@given(
    before=st.lists(writes, max_size=12),
    request=watch_requests(),
    after=st.lists(writes, max_size=12),
    compact_at=st.one_of(st.none(), st.integers(1, 8)),
)
def test_a_watch_delivers_the_models_events(
    before: list[Request], request: WatchCreateRequest, after: list[Request], compact_at: int | None
) -> None:
    store, state = EtcdStore(), KVState()
    hub = WatchHub(store)
    history = KVState()  # never compacted: what the guarantees are judged against
    for write in before:
        store.apply(write)
        state, _ = step(state, write)
        history, _ = step(history, write)
    compactions: list[int] = []
    if compact_at is not None and compact_at <= state.revision:
        compaction = CompactionRequest(compact_at)
        store.apply(compaction)
        state, _ = step(state, compaction)
        compactions.append(compact_at)
    watcher = hub.create(request)
    expected_now = watch(state, request)
    responses = list(watcher.responses)
    assert responses[0].created
    if expected_now.canceled:
        assert [r for r in responses if r.canceled], responses
        assert responses[-1].compact_revision == expected_now.compact_revision
        return
    assert events(responses) == list(expected_now.events)
    for write in after:
        store.apply(write)
        state, _ = step(state, write)
        history, _ = step(history, write)
    responses = list(watcher.responses)
    assert events(responses) == list(watch(state, request).events)  # prev_kv as compaction left it
    found = kv_watch.problems(request, responses, history, compactions, compact_revision_at_creation=-1)
    assert not found, found


def test_a_watch_started_below_the_compact_revision_is_canceled_with_it() -> None:
    store = EtcdStore()
    hub = WatchHub(store)
    for value in (b"1", b"2", b"3"):
        store.apply(PutRequest(b"k", value))
    store.apply(CompactionRequest(3))
    watcher = hub.create(WatchCreateRequest(b"k", start_revision=2))
    assert [r.compact_revision for r in watcher.responses if r.canceled] == [3]
    store.apply(PutRequest(b"k", b"4"))
    assert not events(list(watcher.responses)), "a canceled watch delivers nothing more"


def test_rebind_catches_up_from_the_restored_store() -> None:
    store = EtcdStore()
    hub = WatchHub(store)
    store.apply(PutRequest(b"k", b"1"))
    watcher = hub.create(WatchCreateRequest(b"k"))
    restored = EtcdStore()
    for value in (b"1", b"2", b"3"):
        restored.apply(PutRequest(b"k", value))
    hub.rebind(restored)
    assert [e.kv.value for e in events(list(watcher.responses))] == [b"2", b"3"]
