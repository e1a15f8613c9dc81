"""spec/kv.py: properties that hold for every sequence of requests, errors included.

Each property is a requirement of spec/kv.py seen from the model's side: if
the model broke it, comparing an implementation against the model would
check the wrong thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from spec.kv import (
    ERR_COMPACTED,
    Change,
    CompactionRequest,
    CompactionResponse,
    DeleteRangeRequest,
    EtcdError,
    EventType,
    KeyValue,
    KVState,
    LeaseExpire,
    LeaseGrantRequest,
    LeaseRevokeRequest,
    PutRequest,
    RangeRequest,
    RangeResponse,
    Request,
    RequestOp,
    Response,
    SortTarget,
    TxnRequest,
    TxnResponse,
    events_between,
    in_range,
    range_response_matches,
    step,
)
from tests.spec.kv_strategies import range_requests, requests, txn_requests, writes

# Leases 1 and 2 exist from the start so that leased puts and revokes with keys are common.
histories = st.lists(requests, min_size=8, max_size=40).map(
    lambda rest: [LeaseGrantRequest(60, 1), LeaseGrantRequest(60, 2), *rest]
)


def run(sequence: Sequence[Request]) -> list[tuple[KVState, Request, KVState, Response]]:
    """Every step of ``sequence`` from a new store: (before, request, after, response)."""
    steps = []
    state = KVState()
    for request in sequence:
        after, response = step(state, request)
        steps.append((state, request, after, response))
        state = after
    return steps


def new_changes(before: KVState, after: KVState) -> list[Change]:
    return [c for changes in after.history.values() for c in changes if c.revision > before.revision]


@given(histories)
def test_step_is_pure_and_deterministic(sequence: list[Request]) -> None:
    """The input state is unchanged, and equal states give equal results (a checker memoizes on them)."""
    state = KVState()
    twin = KVState()
    for request in sequence:
        key_before = state.key()
        after, response = step(state, request)
        assert state.key() == key_before
        assert step(state, request) == (after, response)
        twin_after, twin_response = step(twin, request)
        assert (twin_after, twin_response) == (after, response)
        assert hash(twin_after) == hash(after) and twin_after.key() == after.key()
        state, twin = after, twin_after


@given(histories)
def test_revision_never_decreases_and_advances_by_one_per_write(sequence: list[Request]) -> None:
    """KV-REV-MONOTONIC, KV-REV-ONE-PER-TXN, KV-REQUEST-ERRORS (an error changes nothing)."""
    for before, request, after, response in run(sequence):
        if isinstance(response, EtcdError):
            assert after is before
            continue
        wrote = bool(new_changes(before, after))
        assert after.revision == before.revision + (1 if wrote else 0)
        assert all(c.revision == after.revision for c in new_changes(before, after))
        if not isinstance(request, CompactionRequest):
            assert (after.history != before.history) == wrote
        header = getattr(response, "header", None)
        assert header is not None and header.revision == after.revision


@given(histories)
def test_reads_at_a_past_revision_repeat_what_was_read_then(sequence: list[Request]) -> None:
    """KV-READ-REVISION and KV-COMPACT-ERRORS: history is immutable until compacted, then unreadable."""
    seen: dict[int, tuple[KeyValue, ...]] = {1: ()}
    for _, _, after, _ in run(sequence):
        seen.setdefault(after.revision, after.live())
        for revision, live in seen.items():
            response = step(after, RangeRequest(b"\0", b"\0", revision=revision))[1]
            if revision < after.compact_revision:
                assert response == ERR_COMPACTED
            else:
                assert isinstance(response, RangeResponse) and response.kvs == live


@given(histories)
def test_compaction_makes_exactly_the_older_revisions_unreadable(sequence: list[Request]) -> None:
    """KV-COMPACT-ERRORS."""
    for _, _, after, response in run(sequence):
        if not isinstance(response, CompactionResponse):
            continue
        for revision in range(1, after.revision + 1):
            read = step(after, RangeRequest(b"\0", b"\0", revision=revision))[1]
            assert (read == ERR_COMPACTED) == (revision < after.compact_revision)


@given(histories)
def test_versions_and_create_revisions(sequence: list[Request]) -> None:
    """KV-VERSION-COUNTS: each new pair continues its key's previous pair, or starts at version 1."""
    for before, _, after, _ in run(sequence):
        for key, changes in after.history.items():
            for index, change in enumerate(changes):
                if change.revision <= before.revision or change.kv is None:
                    continue
                previous = changes[index - 1].kv if index > 0 else None
                assert change.kv.key == key and change.kv.mod_revision == after.revision
                if previous is None:
                    assert (change.kv.version, change.kv.create_revision) == (1, after.revision)
                else:
                    assert change.kv.version == previous.version + 1
                    assert change.kv.create_revision == previous.create_revision


@given(st.lists(st.one_of(writes, txn_requests()), max_size=15), txn_requests())
def test_a_txn_applies_its_whole_branch_or_nothing(prefix: list[Request], txn: TxnRequest) -> None:
    """KV-TXN-ATOMIC: after a successful txn every put of its branch holds and every delete's range
    holds only keys (re)written by it; after a failed one the store is as before."""
    state = KVState()
    for request in prefix:
        state = step(state, request)[0]
    after, response = step(state, txn)
    if isinstance(response, EtcdError):
        assert after is state
        return
    assert isinstance(response, TxnResponse)
    branch = txn.success if response.succeeded else txn.failure
    for index, op in enumerate(branch):
        if isinstance(op, PutRequest) and not _deleted_later(op.key, branch[index + 1 :]):
            kv = after.get(op.key)
            assert kv is not None and kv.mod_revision == after.revision
            if not op.ignore_value:
                assert kv.value == op.value
        elif isinstance(op, DeleteRangeRequest):
            survivors = [kv for kv in after.live() if in_range(kv.key, op.key, op.range_end)]
            assert all(kv.mod_revision == after.revision for kv in survivors)


def _deleted_later(key: bytes, later: Sequence[RequestOp]) -> bool:
    """Whether a later operation may delete ``key`` after a put of it: a delete with range_end "\\0"
    (checkIntervals lets it pass, see spec/kv.py) or, to be safe, anything in a nested txn."""
    return any(
        isinstance(op, TxnRequest)
        or (isinstance(op, DeleteRangeRequest) and in_range(key, op.key, op.range_end))
        for op in later
    )


@given(st.lists(writes, max_size=20))
def test_events_replay_to_the_store_and_carry_the_previous_pairs(sequence: list[Request]) -> None:
    """The watch history is the store's history: replaying every event rebuilds the live pairs, and each
    non-create event's prev_kv is the pair its key held at the revision before the event's (etcd reads
    mod_revision - 1, so a delete after a put of one txn reports the pair from before the txn)."""
    state = KVState()
    for request in sequence:
        state = step(state, request)[0]
    live: dict[bytes, KeyValue] = {}
    at_previous_revision: dict[bytes, KeyValue] = {}
    revision = 0
    for event in events_between(state, b"\0", b"\0", 1, state.revision):
        if event.revision != revision:
            revision, at_previous_revision = event.revision, dict(live)
        if event.is_create():
            assert event.prev_kv is None
        else:
            assert event.prev_kv == at_previous_revision.get(event.kv.key)
        if event.type == EventType.PUT:
            live[event.kv.key] = event.kv
        else:
            assert event.kv == KeyValue(event.kv.key, mod_revision=event.revision)
            del live[event.kv.key]
    assert tuple(live[k] for k in sorted(live)) == state.live()


@given(histories)
def test_revoke_deletes_exactly_the_attached_keys_at_one_revision(sequence: list[Request]) -> None:
    """KV-LEASE-REVOKE-ATOMIC and KV-LEASE-EXPIRY (an expiry is a revoke)."""
    for before, request, after, response in run(sequence):
        if not isinstance(request, LeaseRevokeRequest | LeaseExpire) or isinstance(response, EtcdError):
            continue
        attached = before.lease_keys(request.id)
        assert request.id not in after.leases
        assert {c.key for c in new_changes(before, after)} == set(attached)
        assert all(c.kv is None for c in new_changes(before, after))
        assert after.revision == before.revision + (1 if attached else 0)
        assert [kv for kv in after.live() if kv.lease == request.id] == []


@given(histories, range_requests())
def test_the_model_answer_matches_itself_modulo_ties(sequence: list[Request], request: RangeRequest) -> None:
    """range_response_matches accepts the model's own answer; sorted by key (no ties), two or more keys
    in reverse are rejected."""
    state = KVState()
    for write in sequence:
        state = step(state, write)[0]
    response = step(state, request)[1]
    if not isinstance(response, RangeResponse):
        return
    assert range_response_matches(state, request, response)
    reversed_kvs = replace(response, kvs=response.kvs[::-1])
    if len({kv.key for kv in response.kvs}) > 1 and request.sort_target == SortTarget.KEY:
        assert not range_response_matches(state, request, reversed_kvs)
