"""etcd's JSON gateway: the wire shapes of spec/kv.py's requests and responses.

What it models: the JSON that etcd's grpc-gateway reads and writes for the v3
KV, Lease and Watch services, so that one client (the real-etcd adapter,
impl/peers/etcd.py) and one server (the reference etcd in real mode) speak it
from the same code. Pure functions from dataclasses to JSON-ready values and
back; no I/O.

Upstream sources (etcd-io/etcd v3.4 and v3.5, read, not copied):

- ``api/etcdserverpb/rpc.proto``: every message and its ``google.api.http``
  path (all POST, body "*"), ``api/mvccpb/kv.proto`` (KeyValue, Event).
- ``api/etcdserverpb/gw/rpc.pb.gw.go``: what the gateway serves. Unary calls
  answer one JSON object; LeaseKeepAlive and Watch are streams: the body is
  read as a sequence of request objects and every response is sent as one
  line ``{"result": {...}}``.
- grpc-gateway v1 ``runtime/marshal_jsonpb.go`` with ``OrigName: true`` and
  ``EmitDefaults: false`` (etcd's ``server/embed/serve.go``), i.e. golang
  protobuf's jsonpb: proto3 JSON with the .proto field names, bytes as
  standard base64, int64 as strings, enums by name, and fields equal to
  their zero value left out (a field of a oneof is written even when zero).
  jsonpb's decoder also takes numbers for int64 and enums, which the decoders
  here accept too.
- grpc-gateway v1 ``runtime/errors.go`` (``DefaultHTTPError``): an error
  answers ``{"error": message, "code": grpc code, "message": message}`` with
  the HTTP status of ``HTTPStatusFromCode``; a stream that fails after it
  started sends ``{"error": {"grpc_code": ..., "http_code": ...,
  "message": ..., "http_status": ...}}`` as its last line (``runtime/handler.go``).

Decisions:

- Lease fields are spelled as etcd's proto spells them: ``ID``, ``TTL``,
  ``grantedTTL``; ``LeaseLeasesResponse.leases`` is a list of
  ``{"ID": ...}`` (LeaseStatus).
- Headers: only ``revision`` is kept (spec.kv.ResponseHeader); cluster_id,
  member_id and raft_term are read past. A nested txn's header is written as
  ``{}``, as etcd writes it.
- ``LeaseExpire`` is the model's own request and has no wire form.
- The ``Compare`` oneof is written for its target only (``"version": "0"``
  too), as a client sets it; the other operands are not sent, so they decode
  as zero.
- An unknown enum name or a malformed field raises ``ValueError`` (the gateway
  answers those with InvalidArgument before etcd sees the request).

No requirements are defined here: the codec is a means of the kv suite; its
round-trip tests (tests/spec/test_kv_json.py) hold it to examples captured
from etcd 3.4.23 and 3.5.1.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from enum import IntEnum
from typing import Any, TypeVar

from spec.kv import (
    CompactionRequest,
    CompactionResponse,
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
    LeaseGrantRequest,
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
    Request,
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
    WatchResponse,
)

#: A JSON object as ``json.loads`` returns it and ``json.dumps`` takes it.
JSONObject = dict[str, Any]

#: The gateway path of every request the gateway serves (rpc.proto ``google.api.http``).
PATHS: Mapping[type, str] = {
    RangeRequest: "/v3/kv/range",
    PutRequest: "/v3/kv/put",
    DeleteRangeRequest: "/v3/kv/deleterange",
    TxnRequest: "/v3/kv/txn",
    CompactionRequest: "/v3/kv/compaction",
    LeaseGrantRequest: "/v3/lease/grant",
    LeaseRevokeRequest: "/v3/lease/revoke",  # 3.4 and 3.5 also serve /v3/kv/lease/revoke
    LeaseKeepAliveRequest: "/v3/lease/keepalive",  # a stream: one {"result": ...} line per request
    LeaseTimeToLiveRequest: "/v3/lease/timetolive",  # also /v3/kv/lease/timetolive
    LeaseLeasesRequest: "/v3/lease/leases",  # also /v3/kv/lease/leases
}
WATCH_PATH = "/v3/watch"
#: Paths etcd serves as well, for the same requests (rpc.proto ``additional_bindings``).
ALIASES: Mapping[str, str] = {
    "/v3/kv/lease/revoke": "/v3/lease/revoke",
    "/v3/kv/lease/timetolive": "/v3/lease/timetolive",
    "/v3/kv/lease/leases": "/v3/lease/leases",
}

#: grpc-gateway ``HTTPStatusFromCode``: the HTTP status an error of each gRPC code is sent with.
HTTP_STATUS: Mapping[GrpcCode, int] = {
    GrpcCode.OK: 200,
    GrpcCode.CANCELED: 408,
    GrpcCode.UNKNOWN: 500,
    GrpcCode.INVALID_ARGUMENT: 400,
    GrpcCode.DEADLINE_EXCEEDED: 504,
    GrpcCode.NOT_FOUND: 404,
    GrpcCode.ALREADY_EXISTS: 409,
    GrpcCode.PERMISSION_DENIED: 403,
    GrpcCode.RESOURCE_EXHAUSTED: 429,
    GrpcCode.FAILED_PRECONDITION: 400,
    GrpcCode.ABORTED: 409,
    GrpcCode.OUT_OF_RANGE: 400,
    GrpcCode.UNIMPLEMENTED: 501,
    GrpcCode.INTERNAL: 500,
    GrpcCode.UNAVAILABLE: 503,
    GrpcCode.DATA_LOSS: 500,
    GrpcCode.UNAUTHENTICATED: 401,
}


def path_of(request: Request | WatchCreateRequest) -> str:
    """The gateway path ``request`` is POSTed to."""
    if isinstance(request, WatchCreateRequest):
        return WATCH_PATH
    try:
        return PATHS[type(request)]
    except KeyError:
        raise ValueError(f"{type(request).__name__} has no wire form") from None


# -- scalars ---------------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError(f"bytes must be a base64 string, not {text!r}")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error:
        try:  # jsonpb also takes URL-safe base64
            return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except binascii.Error as exc:
            raise ValueError(f"not base64: {text!r}") from exc


def int64(value: object) -> int:
    """An int64 as jsonpb reads it: a decimal string or a JSON number."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"not an integer: {value!r}")
    number = int(value)
    if not -(2**63) <= number < 2**63:
        raise ValueError(f"out of int64 range: {value!r}")
    return number


E = TypeVar("E", bound=IntEnum)


def enum_value(kind: type[E], value: object) -> E:
    """An enum as jsonpb reads it: its name or its number."""
    if isinstance(value, str):
        try:
            return kind[value]
        except KeyError:
            raise ValueError(f"unknown value {value!r} for enum {kind.__name__}") from None
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return kind(value)
        except ValueError:
            raise ValueError(f"unknown value {value!r} for enum {kind.__name__}") from None
    raise ValueError(f"not an enum value: {value!r}")


def _object(body: object, what: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise ValueError(f"{what} must be a JSON object, not {body!r}")
    return body


def _put_bytes(out: JSONObject, name: str, value: bytes) -> None:
    if value:
        out[name] = b64(value)


def _put_int(out: JSONObject, name: str, value: int) -> None:
    if value:
        out[name] = str(value)


def _put_bool(out: JSONObject, name: str, value: bool) -> None:
    if value:
        out[name] = True


def _put_enum(out: JSONObject, name: str, value: IntEnum) -> None:
    if value:
        out[name] = value.name


def _bytes(body: Mapping[str, Any], name: str) -> bytes:
    return unb64(body[name]) if name in body else b""


def _int(body: Mapping[str, Any], name: str) -> int:
    return int64(body[name]) if name in body else 0


def _bool(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, not {value!r}")
    return value


def _enum(kind: type[E], body: Mapping[str, Any], name: str) -> E:
    return enum_value(kind, body[name]) if name in body else kind(0)


def _list(body: Mapping[str, Any], name: str) -> list[Any]:
    value = body.get(name, [])
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a list, not {value!r}")
    return value


# -- values ----------------------------------------------------------------------------------------


def encode_kv(kv: KeyValue) -> JSONObject:
    out: JSONObject = {}
    _put_bytes(out, "key", kv.key)
    _put_int(out, "create_revision", kv.create_revision)
    _put_int(out, "mod_revision", kv.mod_revision)
    _put_int(out, "version", kv.version)
    _put_bytes(out, "value", kv.value)
    _put_int(out, "lease", kv.lease)
    return out


def decode_kv(body: object) -> KeyValue:
    kv = _object(body, "a KeyValue")
    return KeyValue(
        key=_bytes(kv, "key"),
        create_revision=_int(kv, "create_revision"),
        mod_revision=_int(kv, "mod_revision"),
        version=_int(kv, "version"),
        value=_bytes(kv, "value"),
        lease=_int(kv, "lease"),
    )


def encode_header(header: ResponseHeader) -> JSONObject:
    out: JSONObject = {}
    _put_int(out, "revision", header.revision)
    return out


def decode_header(body: Mapping[str, Any]) -> ResponseHeader:
    return ResponseHeader(_int(_object(body.get("header", {}), "a header"), "revision"))


# -- requests --------------------------------------------------------------------------------------


def _encode_range(request: RangeRequest) -> JSONObject:
    out: JSONObject = {}
    _put_bytes(out, "key", request.key)
    _put_bytes(out, "range_end", request.range_end)
    _put_int(out, "limit", request.limit)
    _put_int(out, "revision", request.revision)
    _put_enum(out, "sort_order", request.sort_order)
    _put_enum(out, "sort_target", request.sort_target)
    _put_bool(out, "serializable", request.serializable)
    _put_bool(out, "keys_only", request.keys_only)
    _put_bool(out, "count_only", request.count_only)
    _put_int(out, "min_mod_revision", request.min_mod_revision)
    _put_int(out, "max_mod_revision", request.max_mod_revision)
    _put_int(out, "min_create_revision", request.min_create_revision)
    _put_int(out, "max_create_revision", request.max_create_revision)
    return out


def _decode_range(body: Mapping[str, Any]) -> RangeRequest:
    return RangeRequest(
        key=_bytes(body, "key"),
        range_end=_bytes(body, "range_end"),
        limit=_int(body, "limit"),
        revision=_int(body, "revision"),
        sort_order=_enum(SortOrder, body, "sort_order"),
        sort_target=_enum(SortTarget, body, "sort_target"),
        serializable=_bool(body, "serializable"),
        keys_only=_bool(body, "keys_only"),
        count_only=_bool(body, "count_only"),
        min_mod_revision=_int(body, "min_mod_revision"),
        max_mod_revision=_int(body, "max_mod_revision"),
        min_create_revision=_int(body, "min_create_revision"),
        max_create_revision=_int(body, "max_create_revision"),
    )


def _encode_put(request: PutRequest) -> JSONObject:
    out: JSONObject = {}
    _put_bytes(out, "key", request.key)
    _put_bytes(out, "value", request.value)
    _put_int(out, "lease", request.lease)
    _put_bool(out, "prev_kv", request.prev_kv)
    _put_bool(out, "ignore_value", request.ignore_value)
    _put_bool(out, "ignore_lease", request.ignore_lease)
    return out


def _decode_put(body: Mapping[str, Any]) -> PutRequest:
    return PutRequest(
        key=_bytes(body, "key"),
        value=_bytes(body, "value"),
        lease=_int(body, "lease"),
        prev_kv=_bool(body, "prev_kv"),
        ignore_value=_bool(body, "ignore_value"),
        ignore_lease=_bool(body, "ignore_lease"),
    )


def _encode_delete(request: DeleteRangeRequest) -> JSONObject:
    out: JSONObject = {}
    _put_bytes(out, "key", request.key)
    _put_bytes(out, "range_end", request.range_end)
    _put_bool(out, "prev_kv", request.prev_kv)
    return out


def _decode_delete(body: Mapping[str, Any]) -> DeleteRangeRequest:
    return DeleteRangeRequest(_bytes(body, "key"), _bytes(body, "range_end"), prev_kv=_bool(body, "prev_kv"))


#: The Compare oneof field that holds the operand of each target (rpc.proto Compare.target_union).
_OPERAND = {
    CompareTarget.VERSION: "version",
    CompareTarget.CREATE: "create_revision",
    CompareTarget.MOD: "mod_revision",
    CompareTarget.VALUE: "value",
    CompareTarget.LEASE: "lease",
}


def _encode_compare(compare: Compare) -> JSONObject:
    out: JSONObject = {}
    _put_enum(out, "result", compare.result)
    _put_enum(out, "target", compare.target)
    _put_bytes(out, "key", compare.key)
    operand = _OPERAND[compare.target]
    if compare.target == CompareTarget.VALUE:
        out[operand] = b64(compare.value)
    else:
        out[operand] = str(getattr(compare, operand))
    _put_bytes(out, "range_end", compare.range_end)
    return out


def _decode_compare(body: object) -> Compare:
    compare = _object(body, "a Compare")
    return Compare(
        key=_bytes(compare, "key"),
        target=_enum(CompareTarget, compare, "target"),
        result=_enum(CompareResult, compare, "result"),
        range_end=_bytes(compare, "range_end"),
        version=_int(compare, "version"),
        create_revision=_int(compare, "create_revision"),
        mod_revision=_int(compare, "mod_revision"),
        value=_bytes(compare, "value"),
        lease=_int(compare, "lease"),
    )


def _encode_op(op: RequestOp) -> JSONObject:
    if isinstance(op, RangeRequest):
        return {"request_range": _encode_range(op)}
    if isinstance(op, PutRequest):
        return {"request_put": _encode_put(op)}
    if isinstance(op, DeleteRangeRequest):
        return {"request_delete_range": _encode_delete(op)}
    return {"request_txn": _encode_txn(op)}


_OP_DECODERS: Mapping[str, Callable[[Mapping[str, Any]], RequestOp]] = {
    "request_range": _decode_range,
    "request_put": _decode_put,
    "request_delete_range": _decode_delete,
    "request_txn": lambda body: _decode_txn(body),
}


def _decode_op(body: object) -> RequestOp:
    op = _object(body, "a RequestOp")
    if len(op) != 1 or next(iter(op)) not in _OP_DECODERS:
        raise ValueError(f"a RequestOp has exactly one of {', '.join(_OP_DECODERS)}: {op!r}")
    ((name, inner),) = op.items()
    return _OP_DECODERS[name](_object(inner, name))


def _encode_txn(request: TxnRequest) -> JSONObject:
    out: JSONObject = {}
    if request.compare:
        out["compare"] = [_encode_compare(c) for c in request.compare]
    if request.success:
        out["success"] = [_encode_op(op) for op in request.success]
    if request.failure:
        out["failure"] = [_encode_op(op) for op in request.failure]
    return out


def _decode_txn(body: Mapping[str, Any]) -> TxnRequest:
    return TxnRequest(
        tuple(_decode_compare(c) for c in _list(body, "compare")),
        tuple(_decode_op(op) for op in _list(body, "success")),
        tuple(_decode_op(op) for op in _list(body, "failure")),
    )


def encode_request(request: Request) -> JSONObject:
    """The JSON body of ``request`` (POST it to ``path_of(request)``)."""
    out: JSONObject = {}
    if isinstance(request, RangeRequest):
        return _encode_range(request)
    if isinstance(request, PutRequest):
        return _encode_put(request)
    if isinstance(request, DeleteRangeRequest):
        return _encode_delete(request)
    if isinstance(request, TxnRequest):
        return _encode_txn(request)
    if isinstance(request, CompactionRequest):
        _put_int(out, "revision", request.revision)
        _put_bool(out, "physical", request.physical)
    elif isinstance(request, LeaseGrantRequest):
        _put_int(out, "TTL", request.ttl)
        _put_int(out, "ID", request.id)
    elif isinstance(request, LeaseRevokeRequest | LeaseKeepAliveRequest):
        _put_int(out, "ID", request.id)
    elif isinstance(request, LeaseTimeToLiveRequest):
        _put_int(out, "ID", request.id)
        _put_bool(out, "keys", request.keys)
    elif not isinstance(request, LeaseLeasesRequest):
        raise ValueError(f"{type(request).__name__} has no wire form")
    return out


def decode_request(path: str, body: object) -> Request:
    """The request a JSON body POSTed to ``path`` asks for (what a gateway server reads)."""
    request = _object(body, "a request body")
    path = ALIASES.get(path, path)
    decoders: Mapping[str, Callable[[Mapping[str, Any]], Request]] = {
        "/v3/kv/range": _decode_range,
        "/v3/kv/put": _decode_put,
        "/v3/kv/deleterange": _decode_delete,
        "/v3/kv/txn": _decode_txn,
        "/v3/kv/compaction": lambda b: CompactionRequest(_int(b, "revision"), _bool(b, "physical")),
        "/v3/lease/grant": lambda b: LeaseGrantRequest(_int(b, "TTL"), _int(b, "ID")),
        "/v3/lease/revoke": lambda b: LeaseRevokeRequest(_int(b, "ID")),
        "/v3/lease/keepalive": lambda b: LeaseKeepAliveRequest(_int(b, "ID")),
        "/v3/lease/timetolive": lambda b: LeaseTimeToLiveRequest(_int(b, "ID"), _bool(b, "keys")),
        "/v3/lease/leases": lambda b: LeaseLeasesRequest(),
    }
    if path not in decoders:
        raise ValueError(f"no request is served at {path!r}")
    return decoders[path](request)


# -- responses -------------------------------------------------------------------------------------


def _with_header(header: ResponseHeader, out: JSONObject) -> JSONObject:
    return {"header": encode_header(header), **out}


def _encode_range_response(response: RangeResponse) -> JSONObject:
    out: JSONObject = {}
    if response.kvs:
        out["kvs"] = [encode_kv(kv) for kv in response.kvs]
    _put_bool(out, "more", response.more)
    _put_int(out, "count", response.count)
    return _with_header(response.header, out)


def _decode_range_response(body: Mapping[str, Any]) -> RangeResponse:
    return RangeResponse(
        decode_header(body),
        tuple(decode_kv(kv) for kv in _list(body, "kvs")),
        more=_bool(body, "more"),
        count=_int(body, "count"),
    )


def _encode_put_response(response: PutResponse) -> JSONObject:
    out: JSONObject = {}
    if response.prev_kv is not None:
        out["prev_kv"] = encode_kv(response.prev_kv)
    return _with_header(response.header, out)


def _decode_put_response(body: Mapping[str, Any]) -> PutResponse:
    prev = body.get("prev_kv")
    return PutResponse(decode_header(body), decode_kv(prev) if prev is not None else None)


def _encode_delete_response(response: DeleteRangeResponse) -> JSONObject:
    out: JSONObject = {}
    _put_int(out, "deleted", response.deleted)
    if response.prev_kvs:
        out["prev_kvs"] = [encode_kv(kv) for kv in response.prev_kvs]
    return _with_header(response.header, out)


def _decode_delete_response(body: Mapping[str, Any]) -> DeleteRangeResponse:
    return DeleteRangeResponse(
        decode_header(body),
        deleted=_int(body, "deleted"),
        prev_kvs=tuple(decode_kv(kv) for kv in _list(body, "prev_kvs")),
    )


def _encode_response_op(response: ResponseOp) -> JSONObject:
    if isinstance(response, RangeResponse):
        return {"response_range": _encode_range_response(response)}
    if isinstance(response, PutResponse):
        return {"response_put": _encode_put_response(response)}
    if isinstance(response, DeleteRangeResponse):
        return {"response_delete_range": _encode_delete_response(response)}
    return {"response_txn": _encode_txn_response(response)}


def _decode_response_op(body: object, request: RequestOp) -> ResponseOp:
    """A ResponseOp; ``request`` is the op it answers (its kind must match)."""
    op = _object(body, "a ResponseOp")
    kinds: Mapping[str, tuple[type, Callable[[Mapping[str, Any]], ResponseOp]]] = {
        "response_range": (RangeRequest, _decode_range_response),
        "response_put": (PutRequest, _decode_put_response),
        "response_delete_range": (DeleteRangeRequest, _decode_delete_response),
        "response_txn": (TxnRequest, lambda b: _decode_txn_response(b, request)),  # type: ignore[arg-type]
    }
    if len(op) != 1 or next(iter(op)) not in kinds:
        raise ValueError(f"a ResponseOp has exactly one of {', '.join(kinds)}: {op!r}")
    ((name, inner),) = op.items()
    kind, decode = kinds[name]
    if not isinstance(request, kind):
        raise ValueError(f"{name} answers a {kind.__name__}, not {type(request).__name__}")
    return decode(_object(inner, name))


def _encode_txn_response(response: TxnResponse) -> JSONObject:
    out: JSONObject = {}
    _put_bool(out, "succeeded", response.succeeded)
    if response.responses:
        out["responses"] = [_encode_response_op(r) for r in response.responses]
    return _with_header(response.header, out)


def _decode_txn_response(body: Mapping[str, Any], request: TxnRequest) -> TxnResponse:
    succeeded = _bool(body, "succeeded")
    ops = request.success if succeeded else request.failure
    raw = _list(body, "responses")
    if len(raw) != len(ops):
        raise ValueError(f"a txn of {len(ops)} operations answered with {len(raw)} responses")
    return TxnResponse(
        decode_header(body),
        succeeded,
        tuple(_decode_response_op(r, op) for r, op in zip(raw, ops, strict=True)),
    )


def encode_response(response: Response) -> JSONObject:
    """The JSON body etcd answers with (an ``EtcdError``: the gateway's error body).

    A keepalive's answer is a stream line, ``{"result": ...}``, as the gateway sends it.
    """
    if isinstance(response, EtcdError):
        return encode_error(response)
    if isinstance(response, RangeResponse):
        return _encode_range_response(response)
    if isinstance(response, PutResponse):
        return _encode_put_response(response)
    if isinstance(response, DeleteRangeResponse):
        return _encode_delete_response(response)
    if isinstance(response, TxnResponse):
        return _encode_txn_response(response)
    out: JSONObject = {}
    if isinstance(response, LeaseGrantResponse):
        _put_int(out, "ID", response.id)
        _put_int(out, "TTL", response.ttl)
    elif isinstance(response, LeaseKeepAliveResponse):
        _put_int(out, "ID", response.id)
        _put_int(out, "TTL", response.ttl)
        return {"result": _with_header(response.header, out)}
    elif isinstance(response, LeaseTimeToLiveResponse):
        _put_int(out, "ID", response.id)
        _put_int(out, "TTL", response.ttl)
        _put_int(out, "grantedTTL", response.granted_ttl)
        if response.keys:
            out["keys"] = [b64(key) for key in response.keys]
    elif isinstance(response, LeaseLeasesResponse):
        if response.leases:
            out["leases"] = [{"ID": str(lease_id)} for lease_id in response.leases]
    return _with_header(response.header, out)


def decode_response(request: Request, body: object) -> Response:
    """etcd's answer to ``request``: the response, or the ``EtcdError`` of an error body."""
    answer = _object(body, "a response body")
    if "error" in answer:
        return decode_error(answer)
    if isinstance(request, LeaseKeepAliveRequest):
        answer = _object(answer.get("result"), "a keepalive result")
        if "error" in answer:
            return decode_error(answer)
    if isinstance(request, RangeRequest):
        return _decode_range_response(answer)
    if isinstance(request, PutRequest):
        return _decode_put_response(answer)
    if isinstance(request, DeleteRangeRequest):
        return _decode_delete_response(answer)
    if isinstance(request, TxnRequest):
        return _decode_txn_response(answer, request)
    header = decode_header(answer)
    if isinstance(request, CompactionRequest):
        return CompactionResponse(header)
    if isinstance(request, LeaseGrantRequest):
        if answer.get("error"):  # LeaseGrantResponse.error, never set by etcd 3.x; refuse to guess
            raise ValueError(f"a lease grant answered with an error field: {answer!r}")
        return LeaseGrantResponse(header, _int(answer, "ID"), _int(answer, "TTL"))
    if isinstance(request, LeaseRevokeRequest):
        return LeaseRevokeResponse(header)
    if isinstance(request, LeaseKeepAliveRequest):
        return LeaseKeepAliveResponse(header, _int(answer, "ID"), _int(answer, "TTL"))
    if isinstance(request, LeaseTimeToLiveRequest):
        return LeaseTimeToLiveResponse(
            header,
            _int(answer, "ID"),
            _int(answer, "TTL"),
            _int(answer, "grantedTTL"),
            tuple(unb64(key) for key in _list(answer, "keys")),
        )
    if isinstance(request, LeaseLeasesRequest):
        return LeaseLeasesResponse(
            header, tuple(_int(_object(lease, "a LeaseStatus"), "ID") for lease in _list(answer, "leases"))
        )
    raise ValueError(f"{type(request).__name__} has no wire form")


# -- errors ----------------------------------------------------------------------------------------


def encode_error(error: EtcdError) -> JSONObject:
    """The body of a unary call that failed (grpc-gateway ``DefaultHTTPError``)."""
    return {"error": error.message, "code": int(error.code), "message": error.message}


def http_status(error: EtcdError) -> int:
    """The HTTP status the gateway sends ``error`` with."""
    return HTTP_STATUS[error.code]


def decode_error(body: object) -> EtcdError:
    """An error body: a unary call's ``{"error", "code", "message"}`` or a stream's ``{"error": {...}}``."""
    answer = _object(body, "an error body")
    error = answer.get("error")
    if isinstance(error, Mapping):  # a stream's last line (runtime.errorChunk / StreamError)
        code = error.get("grpc_code", GrpcCode.UNKNOWN)
        message = error.get("message", "")
    else:
        code = answer.get("code", GrpcCode.UNKNOWN)
        message = answer.get("message", error if isinstance(error, str) else "")
    if not isinstance(message, str):
        raise ValueError(f"an error message must be a string: {answer!r}")
    try:
        grpc_code = GrpcCode(int64(code))
    except ValueError:
        grpc_code = GrpcCode.UNKNOWN
    return EtcdError(grpc_code, message)


# -- watch -----------------------------------------------------------------------------------------


def encode_watch_request(request: WatchCreateRequest) -> JSONObject:
    """The body of ``POST /v3/watch`` (one WatchRequest of the stream)."""
    out: JSONObject = {}
    _put_bytes(out, "key", request.key)
    _put_bytes(out, "range_end", request.range_end)
    _put_int(out, "start_revision", request.start_revision)
    _put_bool(out, "progress_notify", request.progress_notify)
    if request.filters:
        out["filters"] = [f.name for f in request.filters]
    _put_bool(out, "prev_kv", request.prev_kv)
    _put_int(out, "watch_id", request.watch_id)
    _put_bool(out, "fragment", request.fragment)
    return {"create_request": out}


def decode_watch_request(body: object) -> WatchCreateRequest:
    """A WatchRequest with a create_request (cancel and progress requests are not modelled)."""
    create = _object(_object(body, "a watch request").get("create_request"), "create_request")
    return WatchCreateRequest(
        key=_bytes(create, "key"),
        range_end=_bytes(create, "range_end"),
        start_revision=_int(create, "start_revision"),
        progress_notify=_bool(create, "progress_notify"),
        filters=tuple(enum_value(WatchFilter, f) for f in _list(create, "filters")),
        prev_kv=_bool(create, "prev_kv"),
        watch_id=_int(create, "watch_id"),
        fragment=_bool(create, "fragment"),
    )


def encode_event(event: Event) -> JSONObject:
    out: JSONObject = {}
    _put_enum(out, "type", event.type)
    out["kv"] = encode_kv(event.kv)
    if event.prev_kv is not None:
        out["prev_kv"] = encode_kv(event.prev_kv)
    return out


def decode_event(body: object) -> Event:
    event = _object(body, "an Event")
    prev = event.get("prev_kv")
    return Event(
        _enum(EventType, event, "type"),
        decode_kv(event.get("kv", {})),
        decode_kv(prev) if prev is not None else None,
    )


def encode_watch_response(response: WatchResponse) -> JSONObject:
    """One line of the ``/v3/watch`` stream."""
    out: JSONObject = {"header": encode_header(response.header)}
    _put_int(out, "watch_id", response.watch_id)
    _put_bool(out, "created", response.created)
    _put_bool(out, "canceled", response.canceled)
    _put_int(out, "compact_revision", response.compact_revision)
    if response.cancel_reason:
        out["cancel_reason"] = response.cancel_reason
    _put_bool(out, "fragment", response.fragment)
    if response.events:
        out["events"] = [encode_event(e) for e in response.events]
    return {"result": out}


def decode_watch_response(line: object) -> WatchResponse | EtcdError:
    """One line of the ``/v3/watch`` stream: a response, or the error that ended the stream."""
    body = _object(line, "a watch stream line")
    if "error" in body:
        return decode_error(body)
    result = _object(body.get("result"), "a watch result")
    reason = result.get("cancel_reason", "")
    if not isinstance(reason, str):
        raise ValueError(f"cancel_reason must be a string: {reason!r}")
    return WatchResponse(
        decode_header(result),
        watch_id=_int(result, "watch_id"),
        created=_bool(result, "created"),
        canceled=_bool(result, "canceled"),
        compact_revision=_int(result, "compact_revision"),
        cancel_reason=reason,
        fragment=_bool(result, "fragment"),
        events=tuple(decode_event(e) for e in _list(result, "events")),
    )
