"""spec/kv.py: etcd's documented and tested behaviour, example by example.

Each test names where its expectation comes from: etcd's proto comments
(api/etcdserverpb/rpc.proto), its API guarantees page, and its own tests:
server/storage/mvcc/kv_test.go, tests/integration/v3_grpc_test.go and
v3_lease_test.go. Tables taken from etcd's tests keep etcd's data.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from spec.kv import (
    ERR_COMPACTED,
    ERR_DUPLICATE_KEY,
    ERR_EMPTY_KEY,
    ERR_FUTURE_REV,
    ERR_INVALID_SORT_OPTION,
    ERR_KEY_NOT_FOUND,
    ERR_LEASE_EXIST,
    ERR_LEASE_NOT_FOUND,
    ERR_LEASE_PROVIDED,
    ERR_LEASE_TTL_TOO_LARGE,
    ERR_TOO_MANY_OPS,
    ERR_VALUE_PROVIDED,
    WATCH_RANGE_EMPTY,
    CompactionResponse,
    Compare,
    CompareResult,
    CompareTarget,
    DeleteRangeRequest,
    DeleteRangeResponse,
    Event,
    EventType,
    GrpcCode,
    KeyValue,
    KVLimits,
    KVState,
    KVStore,
    LeaseExpire,
    LeaseGrantResponse,
    LeaseKeepAliveRequest,
    LeaseKeepAliveResponse,
    LeaseLeasesRequest,
    LeaseLeasesResponse,
    LeaseRevokeRequest,
    LeaseRevokeResponse,
    LeaseTimeToLiveRequest,
    LeaseTimeToLiveResponse,
    PutRequest,
    PutResponse,
    RangeRequest,
    RangeResponse,
    RequestOp,
    Response,
    ResponseHeader,
    ResponseOp,
    SortOrder,
    SortTarget,
    TxnRequest,
    TxnResponse,
    WatchCreateRequest,
    WatchFilter,
    events_between,
    in_range,
    lease_expired_too_early,
    prefix_end,
    range_response_matches,
    step,
)


def ok_range(response: Response) -> RangeResponse:
    assert isinstance(response, RangeResponse), response
    return response


def ok_txn(response: Response) -> TxnResponse:
    assert isinstance(response, TxnResponse), response
    return response


def keys(response: Response) -> list[bytes]:
    return [kv.key for kv in ok_range(response).kvs]


def store_with(*puts: str) -> KVStore:
    store = KVStore()
    for key in puts:
        store.put(key.encode(), b"x")
    return store


def put(key: str, value: str = "x") -> PutRequest:
    return PutRequest(key.encode(), value.encode())


# -- revisions -------------------------------------------------------------------------------------


def test_a_new_store_is_at_revision_1_and_compacted_nowhere() -> None:
    """mvcc/kvstore.go NewStore: currentRev 1, compactMainRev -1 (robustness model freshEtcdState)."""
    state = KVState()
    assert (state.revision, state.compact_revision) == (1, -1)
    assert step(state, RangeRequest(b"a"))[1] == RangeResponse(ResponseHeader(1))


def test_every_write_is_one_revision_and_a_put_of_the_same_value_is_one_too() -> None:
    """api_guarantees.md, Revision: a modifying operation gets a single increasing revision."""
    store = KVStore()
    assert store.put(b"k", b"v") == PutResponse(ResponseHeader(2))
    assert store.put(b"k", b"v") == PutResponse(ResponseHeader(3))
    assert store.state.get(b"k") == KeyValue(b"k", create_revision=2, mod_revision=3, version=2, value=b"v")


def test_txn_revision_follows_integration_TestV3TxnRevision() -> None:
    store = store_with("abc", "old")
    before = store.state.revision
    # a read-only txn and a txn deleting nothing keep the revision
    assert ok_txn(store.txn(success=[RangeRequest(b"abc")])).header.revision == before
    assert ok_txn(store.txn(success=[DeleteRangeRequest(b"def")])).header.revision == before
    # a txn writing three keys is one revision
    response = ok_txn(store.txn(success=[put("abc", "123"), put("x"), DeleteRangeRequest(b"old")]))
    assert response.header.revision == before + 1 == store.state.revision


@pytest.mark.parametrize(
    ("key", "range_end", "revision", "deleted"),
    [
        (b"foo", b"", 5, 1),
        (b"foo", b"foo1", 5, 1),
        (b"foo", b"foo2", 5, 2),
        (b"foo", b"foo3", 5, 3),
        (b"foo3", b"foo8", 4, 0),
        (b"foo3", b"", 4, 0),
    ],
)
def test_delete_range_follows_mvcc_testKVDeleteRange(
    key: bytes, range_end: bytes, revision: int, deleted: int
) -> None:
    store = store_with("foo", "foo1", "foo2")
    assert store.delete(key, range_end) == DeleteRangeResponse(ResponseHeader(revision), deleted=deleted)
    assert store.state.revision == revision


def test_version_counts_and_recreation() -> None:
    """kv.proto KeyValue: a deletion resets the version to zero; a re-created key starts at version 1."""
    store = KVStore()
    store.put(b"k", b"1")
    store.put(b"k", b"2")
    store.delete(b"k")
    store.put(b"k", b"3")
    assert store.state.get(b"k") == KeyValue(b"k", create_revision=5, mod_revision=5, version=1, value=b"3")
    assert store.state.get(b"k", revision=3) == KeyValue(b"k", 2, 3, 2, b"2")
    assert store.state.get(b"k", revision=4) is None


# -- range -----------------------------------------------------------------------------------------

RANGE_CASES = [  # integration TestV3RangeRequest: (puts, request, keys, more, count)
    (["foo", "bar"], RangeRequest(b"foo"), ["foo"], False, 1),
    (["foo", "bar"], RangeRequest(b"baz"), [], False, 0),
    (["a", "b", "c", "d", "e"], RangeRequest(b"a", b"z"), ["a", "b", "c", "d", "e"], False, 5),
    (["a", "b", "c", "d", "e"], RangeRequest(b"b", b"d"), ["b", "c"], False, 2),
    (["a", "b", "c", "d", "e"], RangeRequest(b"f", b"z"), [], False, 0),
    (["a", "b", "c", "d", "e"], RangeRequest(b"c", b"c"), [], False, 0),
    (["a", "b", "c", "d", "e"], RangeRequest(b"d", b"b"), [], False, 0),
    (["a", "b", "c", "d", "e"], RangeRequest(b"\0", b"\0"), ["a", "b", "c", "d", "e"], False, 5),
    (["a", "b", "c", "d", "e"], RangeRequest(b"a", b"z", revision=0), ["a", "b", "c", "d", "e"], False, 5),
    (["a", "b", "c", "d", "e"], RangeRequest(b"a", b"z", revision=1), [], False, 0),
    (["a", "b", "c", "d", "e"], RangeRequest(b"a", b"z", revision=2), ["a"], False, 1),
    (["a", "b", "c", "d", "e"], RangeRequest(b"a", b"z", revision=3), ["a", "b"], False, 2),
    (["a", "b", "c"], RangeRequest(b"a", b"z", limit=1), ["a"], True, 3),
    (["a", "b", "c"], RangeRequest(b"a", b"z", limit=2), ["a", "b"], True, 3),
    (["a", "b", "c"], RangeRequest(b"a", b"z", limit=3), ["a", "b", "c"], False, 3),
    (["a", "b", "c"], RangeRequest(b"a", b"z", limit=4), ["a", "b", "c"], False, 3),
    (["a", "b", "c"], RangeRequest(b"a", b"z", count_only=True), [], False, 3),
    (["a", "b", "c"], RangeRequest(b"b", b"c", count_only=True), [], False, 1),
    (["a", "b", "c"], RangeRequest(b"x", b"z", count_only=True), [], False, 0),
    (["a", "b", "c"], RangeRequest(b"a", b"z", limit=1, count_only=True), [], False, 3),
    *[
        (
            ["b", "a", "c", "d", "c"],
            RangeRequest(b"a", b"z", limit=1, sort_order=order, sort_target=target),
            want,
            True,
            4,
        )
        for order, target, want in [
            (SortOrder.ASCEND, SortTarget.KEY, ["a"]),
            (SortOrder.DESCEND, SortTarget.KEY, ["d"]),
            (SortOrder.ASCEND, SortTarget.CREATE, ["b"]),
            (SortOrder.DESCEND, SortTarget.MOD, ["c"]),
        ]
    ],
    (
        ["b", "a", "c", "d", "c"],
        RangeRequest(b"z", b"z", limit=1, sort_order=SortOrder.DESCEND),
        [],
        False,
        0,
    ),
    (  # sort ASCEND by default when the target is not KEY
        ["b", "a", "c", "d", "c"],
        RangeRequest(b"a", b"z", limit=10, sort_target=SortTarget.CREATE),
        ["b", "a", "c", "d"],
        False,
        4,
    ),
    *[
        (["rev2", "rev3", "rev4", "rev5", "rev6"], request, want, False, 5)
        for request, want in [
            (RangeRequest(b"\0", b"\0", min_mod_revision=3), ["rev3", "rev4", "rev5", "rev6"]),
            (RangeRequest(b"\0", b"\0", max_mod_revision=3), ["rev2", "rev3"]),
            (RangeRequest(b"\0", b"\0", min_mod_revision=3, max_mod_revision=5), ["rev3", "rev4", "rev5"]),
            (RangeRequest(b"\0", b"\0", max_mod_revision=10), ["rev2", "rev3", "rev4", "rev5", "rev6"]),
        ]
    ],
    *[
        (["rev2", "rev3", "rev2", "rev2", "rev6", "rev3"], request, want, False, 3)
        for request, want in [
            (RangeRequest(b"\0", b"\0", min_create_revision=3), ["rev3", "rev6"]),
            (RangeRequest(b"\0", b"\0", max_create_revision=3), ["rev2", "rev3"]),
            (RangeRequest(b"\0", b"\0", min_create_revision=3, max_create_revision=5), ["rev3"]),
            (RangeRequest(b"\0", b"\0", max_create_revision=10), ["rev2", "rev3", "rev6"]),
        ]
    ],
]


@pytest.mark.parametrize(("puts", "request_", "want", "more", "count"), RANGE_CASES)
def test_range_follows_integration_TestV3RangeRequest(
    puts: list[str], request_: RangeRequest, want: list[str], more: bool, count: int
) -> None:
    response = ok_range(store_with(*puts).apply(request_))
    assert [kv.key.decode() for kv in response.kvs] == want
    assert (response.more, response.count) == (more, count)


def test_prefix_end_follows_rpc_proto_and_clientv3_getPrefix() -> None:
    """rpc.proto RangeRequest.range_end: "aa"+1 == "ab", "a\\xff"+1 == "b"; no next prefix means "\\0"."""
    assert prefix_end(b"aa") == b"ab"
    assert prefix_end(b"a\xff") == b"b"
    assert prefix_end(b"\xff\xff") == b"\0"
    assert prefix_end(b"") == b"\0"
    store = store_with("a", "a/1", "a/2", "a0", "b")
    assert keys(store.get(b"a/", prefix_end(b"a/"))) == [b"a/1", b"a/2"]


def test_range_end_forms() -> None:
    """rpc.proto: no range_end is one key, "\\0" every key >= key, both "\\0" every key."""
    assert in_range(b"a", b"a", b"") and not in_range(b"ab", b"a", b"")
    assert in_range(b"zzz", b"b", b"\0") and not in_range(b"a", b"b", b"\0")
    assert in_range(b"\x00\x01", b"\0", b"\0")
    assert keys(store_with("a", "b", "c").get(b"b", b"\0")) == [b"b", b"c"]


def test_count_ignores_limit_and_filters() -> None:
    """rpc.proto RangeResponse.count: unaffected by limits and filters."""
    store = store_with("a", "b", "c")
    response = ok_range(store.apply(RangeRequest(b"a", b"z", limit=1, min_mod_revision=3)))
    assert (keys(response), response.more, response.count) == ([b"b"], True, 3)


def test_sort_ties_keep_key_order_in_both_directions() -> None:
    store = store_with("c", "a", "b")  # all version 1
    for order in (SortOrder.ASCEND, SortOrder.DESCEND):
        request = RangeRequest(b"a", b"z", sort_order=order, sort_target=SortTarget.VERSION)
        assert keys(store.apply(request)) == [b"a", b"b", b"c"]


def test_range_response_matches_allows_any_order_among_ties() -> None:
    """etcd sorts with Go's unstable sort.Sort: tied keys may come in any order, and any of them be cut."""
    store = store_with("c", "a", "b")  # all version 1
    store.put(b"d", b"again")
    store.put(b"d", b"again")  # d is version 2
    state = store.state
    request = RangeRequest(b"a", b"z", limit=2, sort_target=SortTarget.VERSION, sort_order=SortOrder.DESCEND)
    model = ok_range(step(state, request)[1])
    assert keys(model) == [b"d", b"a"]
    d, a, b, c = (state.get(k) for k in (b"d", b"a", b"b", b"c"))
    assert d and a and b and c
    assert range_response_matches(state, request, replace(model, kvs=(d, c)))
    assert not range_response_matches(state, request, replace(model, kvs=(c, d)))  # order of versions
    assert not range_response_matches(state, request, replace(model, kvs=(d, d)))
    assert not range_response_matches(state, request, replace(model, kvs=(d, c), count=3))
    by_key = RangeRequest(b"a", b"z")
    assert not range_response_matches(
        state, by_key, replace(ok_range(step(state, by_key)[1]), kvs=(b, a, c, d))
    )


def test_keys_only_clears_values_and_keeps_the_rest() -> None:
    store = KVStore()
    store.grant(60, 7)
    store.put(b"k", b"v", lease=7)
    (kv,) = ok_range(store.apply(RangeRequest(b"k", keys_only=True))).kvs
    assert kv == KeyValue(b"k", create_revision=2, mod_revision=2, version=1, value=b"", lease=7)


def test_a_range_at_a_past_revision_reports_the_current_revision() -> None:
    """mvcc rangeKeys returns Rev: curRev whatever revision it read."""
    store = store_with("a", "b")
    assert ok_range(store.get(b"a", b"z", revision=2)).header.revision == 3


def test_range_revisions_follow_mvcc_testKVRangeBadRev() -> None:
    store = store_with("foo", "foo1", "foo2")
    assert store.compact(4) == CompactionResponse(ResponseHeader(4))
    for revision, error in [(-1, None), (0, None), (1, ERR_COMPACTED), (2, ERR_COMPACTED), (4, None)]:
        response = store.get(b"foo", b"foo3", revision=revision)
        assert response == error if error else isinstance(response, RangeResponse)
    for revision in (5, 100):
        assert store.get(b"foo", b"foo3", revision=revision) == ERR_FUTURE_REV


def test_request_errors_carry_etcds_strings_and_codes() -> None:
    """rpctypes/error.go and v3rpc/key.go check*Request."""
    store = store_with("k")
    before = store.state
    assert store.apply(RangeRequest(b"")) == ERR_EMPTY_KEY
    assert store.apply(PutRequest(b"", b"v")) == ERR_EMPTY_KEY
    assert store.apply(DeleteRangeRequest(b"")) == ERR_EMPTY_KEY
    assert store.apply(RangeRequest(b"k", sort_order=7)) == ERR_INVALID_SORT_OPTION  # type: ignore[arg-type]
    assert ERR_EMPTY_KEY.code == GrpcCode.INVALID_ARGUMENT
    assert ERR_EMPTY_KEY.message == "etcdserver: key is not provided"
    assert isinstance(step(before, RangeRequest(b"k", revision=-5))[1], RangeResponse)  # <= 0 is the latest
    assert store.state is before


# -- put options -----------------------------------------------------------------------------------


def test_put_ignore_value_follows_integration_TestV3PutIgnoreValue() -> None:
    store = KVStore()
    lease = store.grant(30)
    assert isinstance(lease, LeaseGrantResponse)
    assert store.apply(PutRequest(b"foo", ignore_value=True)) == ERR_KEY_NOT_FOUND
    assert store.apply(TxnRequest(success=(PutRequest(b"foo", ignore_value=True),))) == ERR_KEY_NOT_FOUND
    store.put(b"foo", b"bar")
    ok_txn(store.apply(TxnRequest(success=(PutRequest(b"foo", lease=lease.id, ignore_value=True),))))
    assert store.state.get(b"foo") == KeyValue(b"foo", 2, 3, 2, b"bar", lease.id)
    assert store.apply(PutRequest(b"foo", b"bar", ignore_value=True)) == ERR_VALUE_PROVIDED
    # overwrite with the previous value: no prev_kv unless asked, and the lease is detached
    assert store.apply(PutRequest(b"foo", ignore_value=True)) == PutResponse(ResponseHeader(4))
    assert store.state.get(b"foo") == KeyValue(b"foo", 2, 4, 3, b"bar", 0)
    store.revoke(lease.id)  # the detached key survives
    assert store.state.get(b"foo") is not None


def test_put_ignore_lease() -> None:
    """rpc.proto PutRequest.ignore_lease; integration TestV3PutIgnoreLease."""
    store = KVStore()
    store.grant(30, 5)
    assert store.apply(PutRequest(b"k", b"v", ignore_lease=True)) == ERR_KEY_NOT_FOUND
    store.put(b"k", b"v", lease=5)
    assert store.apply(PutRequest(b"k", b"w", lease=5, ignore_lease=True)) == ERR_LEASE_PROVIDED
    store.apply(PutRequest(b"k", b"w", ignore_lease=True))
    assert store.state.get(b"k") == KeyValue(b"k", 2, 3, 2, b"w", 5)
    assert store.state.lease_keys(5) == (b"k",)


def test_prev_kv_of_put_and_delete() -> None:
    store = KVStore()
    assert store.put(b"a", b"1", prev_kv=True) == PutResponse(ResponseHeader(2))
    previous = KeyValue(b"a", 2, 2, 1, b"1")
    assert store.put(b"a", b"2", prev_kv=True) == PutResponse(ResponseHeader(3), previous)
    store.put(b"b", b"1")
    response = store.delete(b"a", b"c", prev_kv=True)
    assert response == DeleteRangeResponse(
        ResponseHeader(5), deleted=2, prev_kvs=(KeyValue(b"a", 2, 3, 2, b"2"), KeyValue(b"b", 4, 4, 1, b"1"))
    )


# -- txn -------------------------------------------------------------------------------------------


def test_too_many_ops_follows_integration_TestV3TxnTooManyOps() -> None:
    many = 129
    some_put = put("k", "bar")
    compare = Compare(b"k", CompareTarget.CREATE, CompareResult.GREATER)
    txns = [
        TxnRequest(compare=(compare,) * many),
        TxnRequest(success=tuple(put(f"key-{i}") for i in range(many))),
        TxnRequest(failure=tuple(put(f"key-{i}") for i in range(many))),
        TxnRequest(success=tuple(TxnRequest(success=(put(f"key-{i}"),)) for i in range(many))),
    ]
    for txn in txns:
        assert step(KVState(), txn)[1] == ERR_TOO_MANY_OPS
    assert ERR_TOO_MANY_OPS.message == "etcdserver: too many operations in txn request"
    assert isinstance(step(KVState(), TxnRequest(success=(some_put,) * 1))[1], TxnResponse)


def test_a_nested_txn_gets_the_operations_its_parent_leaves() -> None:
    """v3rpc checkTxnRequest passes maxTxnOps - opc to the nested txn."""
    limits = KVLimits(max_txn_ops=4)
    nested = TxnRequest(success=(put("a"), put("b")))
    fits = TxnRequest(success=(nested, put("c")))  # parent 2, nested 2 <= 4 - 2
    too_big = TxnRequest(success=(nested, put("c"), put("d")))  # parent 3, nested 2 > 4 - 3
    assert isinstance(step(KVState(limits=limits), fits)[1], TxnResponse)
    assert step(KVState(limits=limits), too_big)[1] == ERR_TOO_MANY_OPS


PUT_ABC = put("abc", "def")
DEL_ABC = DeleteRangeRequest(b"abc")
DEL_IN_RANGE = DeleteRangeRequest(b"a", b"b")
DEL_OUT_OF_RANGE = DeleteRangeRequest(b"abb", b"abc")
TXN_DEL = TxnRequest(success=(DEL_IN_RANGE,))
TXN_DEL_TWO_SIDES = TxnRequest(success=(DEL_IN_RANGE,), failure=(DEL_IN_RANGE,))
TXN_PUT = TxnRequest(success=(PUT_ABC,))
TXN_PUT_TWO_SIDES = TxnRequest(success=(PUT_ABC,), failure=(PUT_ABC,))


@pytest.mark.parametrize(
    ("success", "duplicate"),
    [
        ((PUT_ABC, PUT_ABC), True),
        ((PUT_ABC, DEL_ABC), True),
        ((PUT_ABC, DEL_IN_RANGE), True),
        ((PUT_ABC, TXN_DEL), True),
        ((DEL_IN_RANGE, TXN_PUT), True),
        ((TXN_PUT_TWO_SIDES, TXN_PUT_TWO_SIDES), True),
        ((DEL_OUT_OF_RANGE, TXN_PUT_TWO_SIDES), False),
        ((TXN_DEL, TXN_DEL_TWO_SIDES), False),
        ((DEL_ABC, DEL_IN_RANGE, DEL_ABC, DEL_IN_RANGE), False),
        ((PUT_ABC, DEL_OUT_OF_RANGE), False),
    ],
)
def test_duplicate_keys_follow_integration_TestV3TxnDuplicateKeys(
    success: tuple[RequestOp, ...], duplicate: bool
) -> None:
    response = step(KVState(), TxnRequest(success=success))[1]
    assert (response == ERR_DUPLICATE_KEY) == duplicate, response


def test_duplicate_key_check_order_quirks_of_checkIntervals() -> None:
    """v3rpc/key.go checkIntervals: a nested txn's put is checked against the deletes known so far only,
    and a delete's range_end is taken literally, so [key, "\\0") covers no key."""
    later_delete = TxnRequest(success=(TxnRequest(success=(PUT_ABC,)), TxnRequest(success=(DEL_IN_RANGE,))))
    earlier_delete = TxnRequest(success=(TxnRequest(success=(DEL_IN_RANGE,)), TxnRequest(success=(PUT_ABC,))))
    assert isinstance(step(KVState(), later_delete)[1], TxnResponse)
    assert step(KVState(), earlier_delete)[1] == ERR_DUPLICATE_KEY
    from_key_delete = TxnRequest(success=(DeleteRangeRequest(b"a", b"\0"), PUT_ABC))
    assert isinstance(step(KVState(), from_key_delete)[1], TxnResponse)


def test_a_from_key_delete_and_a_put_of_one_key_happen_at_one_revision() -> None:
    store = store_with("abc", "b")
    ok_txn(store.txn(success=[DeleteRangeRequest(b"a", b"\0"), put("abc", "new")]))
    events = events_between(store.state, b"\0", b"\0", 4, 4)
    assert [(e.type, e.kv.key) for e in events] == [
        (EventType.DELETE, b"abc"),
        (EventType.DELETE, b"b"),
        (EventType.PUT, b"abc"),
    ]
    assert store.state.get(b"abc") == KeyValue(b"abc", 4, 4, 1, b"new")


def test_ignore_value_on_a_key_the_same_txn_deleted_fails_instead_of_panicking() -> None:
    """etcd's checkPut reads the store before the txn and put() then indexes an empty read (a panic)."""
    store = store_with("abc")
    before = store.state
    txn = TxnRequest(success=(DeleteRangeRequest(b"a", b"\0"), PutRequest(b"abc", ignore_value=True)))
    assert store.apply(txn) == ERR_KEY_NOT_FOUND
    assert store.state is before


def test_range_compares_follow_integration_TestV3TxnRangeCompare() -> None:
    store = store_with("/a/2", "/a/3", "/a/4", "/f/5")
    less, equal, greater = CompareResult.LESS, CompareResult.EQUAL, CompareResult.GREATER
    cases = [
        (Compare(b"/a/", CompareTarget.CREATE, less, b"\0", create_revision=6), True),
        (Compare(b"/a/", CompareTarget.CREATE, less, b"\0", create_revision=5), False),
        (Compare(b"/a/", CompareTarget.CREATE, less, b"/a0", create_revision=5), True),
        (Compare(b"/a/", CompareTarget.CREATE, less, b"/a0", create_revision=4), False),
        (Compare(b"/b/", CompareTarget.VALUE, equal, b"/b0", value=b"x"), False),
        (Compare(b"/a/", CompareTarget.LEASE, greater, b"/a0", lease=0), False),
        (Compare(b"/a/", CompareTarget.LEASE, equal, b"/a0", lease=0), True),
    ]
    for compare, succeeded in cases:
        assert ok_txn(store.txn([compare])).succeeded == succeeded, compare


def test_compares_on_a_missing_key() -> None:
    """txn applyCompare: VALUE fails on no key, whatever the result; the rest compare with a zero KeyValue."""
    state = KVState()
    for result in CompareResult:
        assert not ok_txn(step(state, TxnRequest((Compare(b"k", CompareTarget.VALUE, result),)))[1]).succeeded
    for target in (CompareTarget.VERSION, CompareTarget.CREATE, CompareTarget.MOD, CompareTarget.LEASE):
        txn = TxnRequest((Compare(b"k", target, CompareResult.EQUAL),))
        assert ok_txn(step(state, txn)[1]).succeeded


def test_nested_path_follows_integration_TestV3TxnNestedPath() -> None:
    holds = Compare(b"k", CompareTarget.VERSION, CompareResult.EQUAL, version=0)
    fails = Compare(b"k", CompareTarget.VERSION, CompareResult.EQUAL, version=1)
    path = [True, False, False, True, True, False, True, False, True, True]
    txn = TxnRequest()
    for taken in reversed(path):
        txn = TxnRequest((holds,), (txn,)) if taken else TxnRequest((fails,), failure=(txn,))
    response: ResponseOp = ok_txn(step(KVState(), txn)[1])
    for taken in path:
        assert isinstance(response, TxnResponse)
        assert response.succeeded == taken
        response = response.responses[0]


def test_nested_compares_see_the_store_before_the_txn() -> None:
    """txn compareToPath evaluates every compare before any operation runs."""
    absent = Compare(b"k", CompareTarget.VERSION, CompareResult.EQUAL, version=0)
    txn = TxnRequest(success=(put("k"), TxnRequest((absent,), (put("seen-absent"),))))
    store = KVStore()
    response = ok_txn(store.apply(txn))
    inner = response.responses[1]
    assert isinstance(inner, TxnResponse) and inner.succeeded
    assert store.state.get(b"seen-absent") is not None


def test_operations_in_a_txn_see_earlier_ones_and_headers_follow_the_txn() -> None:
    """mvcc storeTxnWrite.Range reads its own writes; txn newTxnResp leaves nested headers empty."""
    store = store_with("z")
    response = ok_txn(
        store.txn(
            success=[
                RangeRequest(b"a"),
                DeleteRangeRequest(b"nothing"),
                put("a", "1"),
                RangeRequest(b"a"),
                TxnRequest(success=(RangeRequest(b"z"),)),
            ]
        )
    )
    before, nothing, written, after, nested = response.responses
    assert ok_range(before).kvs == () and ok_range(before).header.revision == 2
    assert nothing == DeleteRangeResponse(ResponseHeader(2))
    assert written == PutResponse(ResponseHeader(3))
    assert keys(after) == [b"a"] and ok_range(after).header.revision == 3
    assert isinstance(nested, TxnResponse) and nested.header == ResponseHeader(0)
    assert response.header.revision == 3


def test_only_the_taken_branch_is_checked_against_the_store() -> None:
    """txn checkTxn follows the path: a missing lease on the branch not taken is no error."""
    always = Compare(b"k", CompareTarget.VERSION, CompareResult.EQUAL, version=0)
    txn = TxnRequest((always,), (put("a"),), (PutRequest(b"b", lease=99),))
    assert isinstance(step(KVState(), txn)[1], TxnResponse)
    flipped = TxnRequest((always,), (PutRequest(b"b", lease=99),), (put("a"),))
    assert step(KVState(), flipped)[1] == ERR_LEASE_NOT_FOUND
    future_read = TxnRequest(success=(put("a"), RangeRequest(b"a", revision=2)))
    assert step(KVState(), future_read)[1] == ERR_FUTURE_REV


def test_a_failed_txn_changes_nothing() -> None:
    store = store_with("a")
    before = store.state
    assert store.txn(success=[put("b"), PutRequest(b"c", lease=1)]) == ERR_LEASE_NOT_FOUND
    assert store.state is before


# -- compaction ------------------------------------------------------------------------------------


def test_compaction_errors_follow_mvcc_updateCompactRev() -> None:
    """kvstore.go: at or below the compact revision is compacted, above the current one is future.
    A new store has compacted nowhere (-1), so compacting at 0 works once (robustness model comment)."""
    store = store_with("a", "b")
    assert store.compact(0) == CompactionResponse(ResponseHeader(3))
    assert store.compact(0) == ERR_COMPACTED
    assert store.compact(4) == ERR_FUTURE_REV
    assert store.compact(2) is not None and store.state.compact_revision == 2
    assert store.compact(2) == ERR_COMPACTED
    assert store.state.revision == 3  # compaction is no write


def test_compaction_keeps_the_live_pairs_and_what_came_after() -> None:
    store = KVStore()
    store.put(b"a", b"1")  # 2
    store.put(b"a", b"2")  # 3
    store.put(b"b", b"1")  # 4
    store.delete(b"b")  # 5
    store.put(b"c", b"1")  # 6
    store.compact(5)
    assert store.get(b"a", b"z", revision=4) == ERR_COMPACTED
    assert keys(store.get(b"a", b"z", revision=5)) == [b"a"]
    assert keys(store.get(b"a", b"z", revision=6)) == [b"a", b"c"]
    assert [c.revision for c in store.state.history[b"a"]] == [3]
    assert [c.revision for c in store.state.history[b"b"]] == [5]  # the delete at 5 is still an event


# -- leases ----------------------------------------------------------------------------------------


def test_lease_grant_rules() -> None:
    """lessor.go Grant; integration TestV3LeaseGrantByID, TestV3LeaseNegativeID."""
    store = KVStore()
    assert store.grant(1) == LeaseGrantResponse(ResponseHeader(1), id=1, ttl=2)  # raised to the minimum
    assert store.grant(60) == LeaseGrantResponse(ResponseHeader(1), id=2, ttl=60)
    assert store.grant(60, 2) == ERR_LEASE_EXIST
    assert store.grant(9_000_000_001) == ERR_LEASE_TTL_TOO_LARGE
    assert store.grant(9_000_000_000, -1) == LeaseGrantResponse(ResponseHeader(1), id=-1, ttl=9_000_000_000)
    assert store.grant(60, 3) == LeaseGrantResponse(ResponseHeader(1), id=3, ttl=60)
    assert store.grant(60) == LeaseGrantResponse(ResponseHeader(1), id=4, ttl=60)  # 3 is taken
    assert ERR_LEASE_TTL_TOO_LARGE.code == GrpcCode.OUT_OF_RANGE
    assert ERR_LEASE_EXIST.code == GrpcCode.FAILED_PRECONDITION


def test_put_on_a_missing_lease_follows_integration_TestV3PutOnNonExistLease() -> None:
    assert KVStore().put(b"foo", b"bar", lease=123456) == ERR_LEASE_NOT_FOUND
    assert ERR_LEASE_NOT_FOUND.code == GrpcCode.NOT_FOUND


def test_revoke_deletes_the_attached_keys_at_one_revision() -> None:
    store = KVStore()
    store.grant(60, 1)
    store.grant(60, 2)
    store.put(b"b", lease=1)  # 2
    store.put(b"a", lease=1)  # 3
    store.put(b"c", lease=2)  # 4
    store.put(b"b", b"again", lease=1)  # 5
    assert store.revoke(1) == LeaseRevokeResponse(ResponseHeader(6))
    assert store.state.revision == 6
    assert [(e.type, e.kv.key) for e in events_between(store.state, b"\0", b"\0", 6, 6)] == [
        (EventType.DELETE, b"a"),
        (EventType.DELETE, b"b"),
    ]
    assert store.state.lease_keys(2) == (b"c",) and 1 not in store.state.leases
    assert store.revoke(1) == ERR_LEASE_NOT_FOUND


def test_revoking_a_lease_without_keys_keeps_the_revision() -> None:
    """robustness model deterministic.go stepLeaseRevoke: the revision moves only if keys are deleted."""
    store = KVStore()
    store.grant(60, 1)
    store.revoke(1)
    assert (store.state.revision, dict(store.state.leases)) == (1, {})


def test_expiry_is_a_revoke() -> None:
    store = KVStore()
    store.grant(60, 1)
    store.put(b"k", lease=1)
    assert step(store.state, LeaseExpire(1)) == step(store.state, LeaseRevokeRequest(1))
    assert step(KVState(), LeaseExpire(1))[1] == ERR_LEASE_NOT_FOUND


def test_lease_queries_follow_v3rpc_lease_go() -> None:
    """Unknown lease: keepalive TTL 0, timetolive TTL -1 (integration TestV3GetNonExistLease)."""
    store = KVStore()
    store.grant(30, 5)
    store.put(b"b", lease=5)
    store.put(b"a", lease=5)
    state = store.state
    assert step(state, LeaseKeepAliveRequest(5))[1] == LeaseKeepAliveResponse(ResponseHeader(3), 5, 30)
    assert step(state, LeaseKeepAliveRequest(6))[1] == LeaseKeepAliveResponse(ResponseHeader(3), 6, 0)
    assert step(state, LeaseTimeToLiveRequest(5, keys=True))[1] == LeaseTimeToLiveResponse(
        ResponseHeader(3), 5, 30, 30, (b"a", b"b")
    )
    assert step(state, LeaseTimeToLiveRequest(6))[1] == LeaseTimeToLiveResponse(ResponseHeader(3), 6, -1)
    store.grant(30, 1)
    assert store.apply(LeaseLeasesRequest()) == LeaseLeasesResponse(ResponseHeader(3), (1, 5))


def test_lease_expired_too_early() -> None:
    assert lease_expired_too_early(10, renewal_invoked_at=100.0, gone_by=105.0)
    assert not lease_expired_too_early(10, renewal_invoked_at=100.0, gone_by=110.0)


# -- watch -----------------------------------------------------------------------------------------


def test_watch_events_carry_etcds_fields() -> None:
    """kv.proto Event: a DELETE's kv is the key with the delete's revision; prev_kv is the pair before."""
    store = KVStore()
    store.put(b"k", b"1")  # 2
    store.put(b"k", b"2")  # 3
    store.delete(b"k")  # 4
    response = store.watch(WatchCreateRequest(b"k", start_revision=2, prev_kv=True))
    first, second = KeyValue(b"k", 2, 2, 1, b"1"), KeyValue(b"k", 2, 3, 2, b"2")
    assert response.events == (
        Event(EventType.PUT, first),
        Event(EventType.PUT, second, prev_kv=first),
        Event(EventType.DELETE, KeyValue(b"k", mod_revision=4), prev_kv=second),
    )
    without = store.watch(WatchCreateRequest(b"k", start_revision=3, filters=(WatchFilter.NOPUT,)))
    assert without.events == (Event(EventType.DELETE, KeyValue(b"k", mod_revision=4)),)


def test_watch_start_revisions() -> None:
    """rpc.proto WatchCreateRequest.start_revision (0 is "now"); watcher_group.go chooseAll on compaction."""
    store = store_with("a", "b", "c")
    assert store.watch(WatchCreateRequest(b"a", b"z")).events == ()
    assert len(store.watch(WatchCreateRequest(b"a", b"z", start_revision=3)).events) == 2
    store.compact(3)
    canceled = store.watch(WatchCreateRequest(b"a", b"z", start_revision=2))
    assert (canceled.canceled, canceled.compact_revision, canceled.events) == (True, 3, ())
    assert canceled.header.revision == 0  # etcd sends this response without a revision
    assert len(store.watch(WatchCreateRequest(b"a", b"z", start_revision=3)).events) == 2
    negative = store.watch(WatchCreateRequest(b"a", start_revision=-1))
    assert negative.canceled and negative.cancel_reason == ERR_COMPACTED.message
    empty = store.watch(WatchCreateRequest(b"b", b"a"))
    assert empty.canceled and empty.cancel_reason == WATCH_RANGE_EMPTY


def test_prev_kv_is_absent_when_the_revision_before_is_compacted() -> None:
    """rpc.proto WatchCreateRequest.prev_kv: if the previous KV is already compacted, nothing is returned."""
    store = KVStore()
    store.put(b"k", b"1")  # 2
    store.put(b"k", b"2")  # 3
    store.compact(3)
    (event,) = store.watch(WatchCreateRequest(b"k", start_revision=3, prev_kv=True)).events
    assert event.prev_kv is None


def test_events_between_refuses_compacted_history() -> None:
    store = store_with("a", "b")
    store.compact(3)
    with pytest.raises(ValueError, match="compact"):
        events_between(store.state, b"a", b"", 2, 3)


def test_a_txn_checks_every_put_it_takes_before_any_range_as_etcd_3_4_and_3_5_do() -> None:
    """apply.go Txn: checkRequests with checkRequestPut, then with checkRequestRange; each put's
    ignore_* before its lease, where a plain Put checks the lease first (seen on etcd 3.5.1 and 3.4.23)."""
    store = KVStore()
    future_then_unknown_lease = TxnRequest(
        success=(RangeRequest(b"a", revision=5), TxnRequest(success=(PutRequest(b"b", lease=7),)))
    )
    assert store.apply(future_then_unknown_lease) == ERR_LEASE_NOT_FOUND
    assert store.apply(TxnRequest(success=(RangeRequest(b"a", revision=5),))) == ERR_FUTURE_REV
    missing_key_and_unknown_lease = PutRequest(b"zz", ignore_value=True, lease=7)
    assert store.apply(TxnRequest(success=(missing_key_and_unknown_lease,))) == ERR_KEY_NOT_FOUND
    assert store.apply(missing_key_and_unknown_lease) == ERR_LEASE_NOT_FOUND
