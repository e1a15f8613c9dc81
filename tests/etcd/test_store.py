"""impl/etcd/store.py answers every request as the sequential model (spec/kv.py) does."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impl.etcd.store import EtcdStore
from spec.kv import (
    CompactionRequest,
    DeleteRangeRequest,
    KVState,
    LeaseGrantRequest,
    LeaseRevokeRequest,
    PutRequest,
    RangeRequest,
    Request,
    step,
)
from tests.spec.kv_strategies import requests, writes


def replay(sequence: list[Request]) -> tuple[EtcdStore, KVState]:
    store, state = EtcdStore(), KVState()
    for number, request in enumerate(sequence):
        state, expected = step(state, request)
        actual = store.apply(request)
        assert actual == expected, f"request {number} {request!r}: store {actual!r}, model {expected!r}"
        assert (store.revision, store.compact_revision) == (state.revision, state.compact_revision)
    return store, state


@pytest.mark.requirement("KV-RANGE-SEMANTICS", "KV-TXN-ATOMIC", "KV-LEASE-REVOKE-ATOMIC")
@settings(max_examples=300, deadline=None)
@given(st.lists(requests, max_size=40))
def test_every_answer_is_the_models(sequence: list[Request]) -> None:
    store, state = replay(sequence)
    # What the store keeps for reads at past revisions and for watches is the model's history.
    for key, changes in state.history.items():
        assert store.changes(key, b"", 0, state.revision) == list(changes)
    assert store.leases == {i: lease.granted_ttl for i, lease in state.leases.items()}
    for lease_id in state.leases:
        assert store.lease_keys(lease_id) == list(state.lease_keys(lease_id))
    assert store.as_state() == state


@settings(max_examples=100, deadline=None)
@given(st.lists(writes, max_size=30), st.integers(-1, 20))
def test_reads_at_every_revision_after_compaction(sequence: list[Request], compact_at: int) -> None:
    store, state = replay([*sequence, CompactionRequest(compact_at)])
    for revision in range(-1, state.revision + 2):
        request = RangeRequest(b"\0", b"\0", revision=revision)
        assert store.apply(request) == step(state, request)[1]


def test_a_revoke_deletes_every_attached_key_at_one_revision() -> None:
    store = EtcdStore()
    store.apply(LeaseGrantRequest(60, 7))
    for key in (b"a", b"b", b"c"):
        store.apply(PutRequest(key, b"v", lease=7))
    store.apply(PutRequest(b"d", b"v"))
    before = store.revision
    store.apply(LeaseRevokeRequest(7))
    assert store.revision == before + 1
    assert [c.key for c in store.changes(b"\0", b"\0", store.revision, store.revision)] == [b"a", b"b", b"c"]
    assert store.apply(RangeRequest(b"\0", b"\0")).kvs[0].key == b"d"  # type: ignore[union-attr]


def test_a_delete_of_nothing_keeps_the_revision() -> None:
    store = EtcdStore()
    store.apply(DeleteRangeRequest(b"missing"))
    assert store.revision == 1
