"""Comparing an implementation's kv answers with spec/kv.py's, as its docstring says to.

- Lease IDs: the model picks 1, 2, 3 ...; etcd draws them from its request ID
  generator. ``LeaseIds`` maps the model's to the implementation's as grants
  answer, and every request and answer goes through it (an ID neither side
  granted maps to itself).
- Sort ties: etcd sorts with an unstable sort, so keys whose sort field ties
  may come in any order and, at a limit, any of them may be kept
  (``spec.kv.range_response_matches``); inside a txn the suite generates no
  limit with a sort target other than KEY, so there tied runs compare as sets.
- Time: keepalive and timetolive may answer any remaining TTL up to the
  granted one (the model has no clock); timetolive's keys and the leases list
  are in an order etcd leaves to Go maps, so they compare as sets.
- Serializable reads may come from a member that has applied less; a single
  client talking to one member sees that member's revisions only grow, so a
  serializable read must equal the model's answer at some revision between
  the last one the client saw and the current one.

``blame`` names the requirement a mismatch violates: the error's requirement
when either side is an error, else the request's own (a write's header
revision off by any amount is KV-REV-ONE-PER-TXN, a txn's is KV-TXN-ATOMIC).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar, cast

from spec.kv import (
    ERR_COMPACTED,
    ERR_DUPLICATE_KEY,
    ERR_FUTURE_REV,
    ERR_KEY_NOT_FOUND,
    ERR_LEASE_EXIST,
    ERR_LEASE_NOT_FOUND,
    ERR_LEASE_PROVIDED,
    ERR_LEASE_TTL_TOO_LARGE,
    ERR_TOO_MANY_OPS,
    ERR_VALUE_PROVIDED,
    KV_COMPACT_ERRORS,
    KV_LEASE_ATTACH,
    KV_LEASE_EXPIRY,
    KV_LEASE_GRANT,
    KV_LEASE_QUERIES,
    KV_LEASE_REVOKE_ATOMIC,
    KV_PUT_OPTIONS,
    KV_RANGE_SEMANTICS,
    KV_READ_LATEST,
    KV_READ_REVISION,
    KV_REQUEST_ERRORS,
    KV_REV_ONE_PER_TXN,
    KV_TXN_ATOMIC,
    KV_TXN_COMPARE,
    KV_TXN_DUPLICATE_KEY,
    KV_TXN_MAX_OPS,
    KV_VERSION_COUNTS,
    CompactionRequest,
    Compare,
    CompareTarget,
    DeleteRangeRequest,
    DeleteRangeResponse,
    EtcdError,
    Event,
    KeyValue,
    KVState,
    LeaseExpire,
    LeaseGrantRequest,
    LeaseGrantResponse,
    LeaseKeepAliveRequest,
    LeaseKeepAliveResponse,
    LeaseLeasesResponse,
    LeaseRevokeRequest,
    LeaseTimeToLiveRequest,
    LeaseTimeToLiveResponse,
    PutRequest,
    PutResponse,
    RangeRequest,
    RangeResponse,
    Request,
    RequestOp,
    Response,
    ResponseOp,
    SortTarget,
    TxnRequest,
    TxnResponse,
    WatchResponse,
    range_response_matches,
    step,
)
from spec.requirements import Requirement


class LeaseIds:
    """The model's lease IDs and the implementation's, one to one."""

    def __init__(self) -> None:
        self.to_impl: dict[int, int] = {}
        self.to_model: dict[int, int] = {}

    def bind(self, model_id: int, impl_id: int) -> str | None:
        """Record that the model's grant of ``model_id`` is the implementation's ``impl_id``;
        a problem if either is already bound to something else."""
        if self.to_impl.get(model_id, impl_id) != impl_id or self.to_model.get(impl_id, model_id) != model_id:
            return (
                f"the implementation granted lease {impl_id} for the model's {model_id}, but they were "
                f"bound to {self.to_impl.get(model_id)} and {self.to_model.get(impl_id)} before"
            )
        self.to_impl[model_id] = impl_id
        self.to_model[impl_id] = model_id
        return None

    def out(self, model_id: int) -> int:
        return self.to_impl.get(model_id, model_id)

    def back(self, impl_id: int) -> int:
        return self.to_model.get(impl_id, impl_id)


# -- rewriting lease IDs ---------------------------------------------------------------------------

Ids = Callable[[int], int]
T = TypeVar("T")


def request_leases(request: T, ids: Ids) -> T:
    """``request`` with every lease ID it names mapped by ``ids`` (0 stays 0: no lease)."""

    def lease(i: int) -> int:
        return ids(i) if i else 0

    if isinstance(request, PutRequest):
        return cast(T, replace(request, lease=lease(request.lease)))
    if isinstance(request, TxnRequest):
        txn = TxnRequest(
            tuple(_compare_leases(c, lease) for c in request.compare),
            tuple(request_leases(op, ids) for op in request.success),
            tuple(request_leases(op, ids) for op in request.failure),
        )
        return cast(T, txn)
    if isinstance(request, LeaseRevokeRequest | LeaseKeepAliveRequest | LeaseTimeToLiveRequest | LeaseExpire):
        return cast(T, replace(request, id=ids(request.id)))
    if isinstance(request, LeaseGrantRequest) and request.id:
        return cast(T, replace(request, id=ids(request.id)))
    return request


def _compare_leases(compare: Compare, lease: Ids) -> Compare:
    return replace(compare, lease=lease(compare.lease)) if compare.target == CompareTarget.LEASE else compare


def _kv(kv: KeyValue, lease: Ids) -> KeyValue:
    return replace(kv, lease=lease(kv.lease)) if kv.lease else kv


def response_leases(response: Response | ResponseOp, ids: Ids) -> Response:
    """``response`` with every lease ID in it mapped by ``ids``."""

    def lease(i: int) -> int:
        return ids(i) if i else 0

    if isinstance(response, RangeResponse):
        return replace(response, kvs=tuple(_kv(kv, lease) for kv in response.kvs))
    if isinstance(response, PutResponse):
        prev = response.prev_kv
        return replace(response, prev_kv=_kv(prev, lease) if prev is not None else None)
    if isinstance(response, DeleteRangeResponse):
        return replace(response, prev_kvs=tuple(_kv(kv, lease) for kv in response.prev_kvs))
    if isinstance(response, TxnResponse):
        return replace(response, responses=tuple(response_leases(r, ids) for r in response.responses))  # type: ignore[misc]
    if isinstance(response, LeaseGrantResponse | LeaseKeepAliveResponse | LeaseTimeToLiveResponse):
        return replace(response, id=lease(response.id))
    if isinstance(response, LeaseLeasesResponse):
        return replace(response, leases=tuple(lease(i) for i in response.leases))
    return response


def event_leases(event: Event, ids: Ids) -> Event:
    def lease(i: int) -> int:
        return ids(i) if i else 0

    prev = event.prev_kv
    return replace(event, kv=_kv(event.kv, lease), prev_kv=_kv(prev, lease) if prev is not None else None)


def watch_response_leases(response: WatchResponse, ids: Ids) -> WatchResponse:
    return replace(response, events=tuple(event_leases(e, ids) for e in response.events))


# -- matching --------------------------------------------------------------------------------------


def _sort_field(target: SortTarget) -> Callable[[KeyValue], bytes | int]:
    return {
        SortTarget.KEY: lambda kv: kv.key,
        SortTarget.VERSION: lambda kv: kv.version,
        SortTarget.CREATE: lambda kv: kv.create_revision,
        SortTarget.MOD: lambda kv: kv.mod_revision,
        SortTarget.VALUE: lambda kv: kv.value,
    }[target]


def _tied_as_expected(request: RangeRequest, expected: RangeResponse, actual: RangeResponse) -> RangeResponse:
    """``actual`` with its kvs replaced by the expected ones if they differ only in the order of ties."""
    if request.sort_target == SortTarget.KEY or request.limit:
        return actual
    field = _sort_field(request.sort_target)
    same_fields = [field(kv) for kv in actual.kvs] == [field(kv) for kv in expected.kvs]
    if same_fields and sorted(actual.kvs, key=repr) == sorted(expected.kvs, key=repr):
        return replace(actual, kvs=expected.kvs)
    return actual


def normalized(request: Request | RequestOp, expected: Response, actual: Response) -> Response:
    """``actual`` with what etcd may legitimately answer differently made the model's."""
    if isinstance(actual, EtcdError) or isinstance(expected, EtcdError):
        return actual
    if isinstance(request, RangeRequest) and isinstance(expected, RangeResponse):
        assert isinstance(actual, RangeResponse)
        return _tied_as_expected(request, expected, actual)
    if (
        isinstance(request, TxnRequest)
        and isinstance(expected, TxnResponse)
        and isinstance(actual, TxnResponse)
    ):
        if actual.succeeded != expected.succeeded or len(actual.responses) != len(expected.responses):
            return actual
        ops = request.success if expected.succeeded else request.failure
        inner = tuple(
            normalized(op, e, a) for op, e, a in zip(ops, expected.responses, actual.responses, strict=True)
        )
        return replace(actual, responses=inner)  # type: ignore[arg-type]
    if isinstance(expected, LeaseTimeToLiveResponse) and isinstance(actual, LeaseTimeToLiveResponse):
        if expected.ttl >= 0 and 0 <= actual.ttl <= expected.granted_ttl:
            actual = replace(actual, ttl=expected.ttl)
        if sorted(actual.keys) == sorted(expected.keys):
            actual = replace(actual, keys=expected.keys)
        return actual
    if isinstance(expected, LeaseKeepAliveResponse) and isinstance(actual, LeaseKeepAliveResponse):
        if 0 < actual.ttl <= expected.ttl:
            return replace(actual, ttl=expected.ttl)
        return actual
    if isinstance(expected, LeaseLeasesResponse) and isinstance(actual, LeaseLeasesResponse):
        if sorted(actual.leases) == sorted(expected.leases):
            return replace(actual, leases=expected.leases)
    return actual


def matches(request: Request, expected: Response, actual: Response, before: KVState) -> bool:
    """Is ``actual`` an answer etcd may give where the model answers ``expected`` from ``before``?"""
    if (
        isinstance(request, RangeRequest)
        and request.sort_target != SortTarget.KEY
        and isinstance(actual, RangeResponse)
        and isinstance(expected, RangeResponse)
    ):
        return range_response_matches(before, request, actual)
    return normalized(request, expected, actual) == expected


def serializable_matches(request: RangeRequest, actual: Response, states: Sequence[KVState]) -> bool:
    """A serializable read: the model's answer at one of ``states`` (those the member may be at)."""
    return any(matches(request, step(state, request)[1], actual, state) for state in states)


# -- blame -----------------------------------------------------------------------------------------

ERROR_REQUIREMENTS: dict[EtcdError, Requirement] = {
    ERR_COMPACTED: KV_COMPACT_ERRORS,
    ERR_FUTURE_REV: KV_COMPACT_ERRORS,
    ERR_TOO_MANY_OPS: KV_TXN_MAX_OPS,
    ERR_DUPLICATE_KEY: KV_TXN_DUPLICATE_KEY,
    ERR_LEASE_TTL_TOO_LARGE: KV_LEASE_GRANT,
    ERR_LEASE_EXIST: KV_LEASE_GRANT,
    ERR_KEY_NOT_FOUND: KV_PUT_OPTIONS,
    ERR_VALUE_PROVIDED: KV_PUT_OPTIONS,
    ERR_LEASE_PROVIDED: KV_PUT_OPTIONS,
}


def _revision(response: Response) -> int | None:
    header = getattr(response, "header", None)
    return header.revision if header is not None else None


def blame(request: Request, expected: Response, actual: Response) -> Requirement:
    """The requirement an answer ``actual`` violates where the model answers ``expected``."""
    for answer in (expected, actual):
        if isinstance(answer, EtcdError):
            if answer == ERR_LEASE_NOT_FOUND:
                revoking = isinstance(request, LeaseRevokeRequest)
                return KV_LEASE_REVOKE_ATOMIC if revoking else KV_LEASE_ATTACH
            return ERROR_REQUIREMENTS.get(answer, KV_REQUEST_ERRORS)
    header_differs = _revision(expected) != _revision(actual)
    if isinstance(request, RangeRequest):
        if request.revision > 0:
            return KV_READ_REVISION
        return KV_READ_LATEST if header_differs else KV_RANGE_SEMANTICS
    if isinstance(request, TxnRequest):
        assert isinstance(expected, TxnResponse) and isinstance(actual, TxnResponse)
        return KV_TXN_COMPARE if expected.succeeded != actual.succeeded else KV_TXN_ATOMIC
    if isinstance(request, PutRequest | DeleteRangeRequest):
        if header_differs:
            return KV_REV_ONE_PER_TXN
        if isinstance(request, PutRequest):
            options = request.prev_kv or request.ignore_value or request.ignore_lease
            return KV_PUT_OPTIONS if options else KV_VERSION_COUNTS
        assert isinstance(expected, DeleteRangeResponse) and isinstance(actual, DeleteRangeResponse)
        return KV_PUT_OPTIONS if expected.deleted == actual.deleted else KV_RANGE_SEMANTICS
    if isinstance(request, CompactionRequest):
        return KV_COMPACT_ERRORS
    if isinstance(request, LeaseGrantRequest):
        return KV_LEASE_GRANT
    if isinstance(request, LeaseRevokeRequest):
        return KV_LEASE_REVOKE_ATOMIC
    if isinstance(request, LeaseExpire):
        return KV_LEASE_EXPIRY
    return KV_LEASE_QUERIES


def blame_after(write: Request) -> Requirement:
    """The requirement a write violates when its answer was right but the store after it is not."""
    if isinstance(write, TxnRequest):
        return KV_TXN_ATOMIC
    if isinstance(write, PutRequest):
        return KV_VERSION_COUNTS
    if isinstance(write, DeleteRangeRequest):
        return KV_REV_ONE_PER_TXN
    if isinstance(write, LeaseRevokeRequest):
        return KV_LEASE_REVOKE_ATOMIC
    if isinstance(write, LeaseExpire):
        return KV_LEASE_EXPIRY
    if isinstance(write, LeaseGrantRequest):
        return KV_LEASE_GRANT
    return KV_COMPACT_ERRORS
