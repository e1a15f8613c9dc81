"""etcd's v3 KV, Watch and Lease API as a sequential model: the oracle of the kv suite.

What it models: one etcd key-value store as its clients see it through the
v3 API (seed, "Etcd"; REFERENCE.md, "etcd v3 KV / Watch / Lease"). A
``KVState`` is an immutable value and ``step(state, request)`` returns the
next state and the response etcd gives, errors included, so that a
linearizability checker can branch on states and memoize them (``KVState``
is hashable; ``KVState.key()`` is the tuple it hashes). ``KVStore`` is a small
mutable facade for examples and tests. Watches are pure functions over the
history a state keeps: ``events_between`` and ``watch``.

Upstream sources (etcd-io/etcd, read at main after v3.6, and v3.5.33 where the
two differ; no code is copied):

- ``api/etcdserverpb/rpc.proto``, ``api/mvccpb/kv.proto``: messages, field
  names and the documented meaning of every option.
- ``api/v3rpc/rpctypes/error.go``: every error string and gRPC code below.
- ``server/etcdserver/api/v3rpc/key.go``: what is rejected before raft:
  ``checkRangeRequest``, ``checkPutRequest``, ``checkDeleteRequest``,
  ``checkTxnRequest`` (``--max-txn-ops``, nested txns get what their parent
  leaves) and ``checkIntervals`` (duplicate keys).
- ``server/etcdserver/txn/``: ``range.go`` (``executeRange``: filters, then
  sort, then limit; ``count`` before filters and limit; ``sortRangeResults``
  ascends when the target is not KEY and the order is NONE; ``checkRange``),
  ``put.go`` (``checkLease`` before ``checkAndGetPrevKV``), ``delete.go``
  (``mkGteRange``: ``range_end == "\\0"`` means every key >= key),
  ``txn.go`` (``compareToPath`` evaluates every compare, nested ones too,
  against the store before the txn; ``applyCompare``: a VALUE compare on no
  key fails, any other compares with a zero KeyValue; ``checkTxn`` checks the
  taken branch only, a put's ignore_* before its lease; ``newTxnResp``);
  v3.5's ``server/etcdserver/apply.go`` (``applierV3backend.Txn`` checks the
  taken branch's puts first, then its ranges: see the decisions).
- ``server/storage/mvcc/``: ``kvstore.go`` (``NewStore``: revision 1,
  compact revision -1; ``updateCompactRev``), ``kvstore_txn.go``
  (``rangeKeys``: future revision checked first, ``rev <= 0`` reads the
  latest, ``rev < compactMainRev`` is compacted; ``storeTxnWrite``: one
  revision per write txn, ops see the txn's earlier writes), ``key_index.go``
  (what compaction keeps), ``watchable_store.go`` and ``watcher_group.go``
  (``watch``, ``chooseAll``: a watcher below the compact revision is canceled
  with it; ``kvsToEvents``: a DELETE event's kv is the key and the delete's
  revision), ``watcher.go`` (``ErrEmptyWatcherRange``).
- ``server/etcdserver/api/v3rpc/watch.go`` (``IsCreateEvent``; prev_kv is a
  read at ``mod_revision - 1``, absent if that revision is compacted),
  ``server/lease/lessor.go`` (``Grant``: TTL above ``MaxLeaseTTL`` fails, below
  the minimum is raised to it; ``Revoke``: attached keys deleted in key order
  in one write txn), ``server/etcdserver/v3_server.go`` (``LeaseGrant`` picks
  an ID when the request has none), ``server/etcdserver/api/v3rpc/lease.go``
  (an unknown lease gets TTL 0 from keepalive and TTL -1 from timetolive,
  not an error), ``client/v3/op.go`` (``getPrefix``).
- ``tests/robustness/model``: ``deterministic.go`` (etcd's own model: compact
  revision -1, a revoke without keys keeps the revision) and
  ``replay.go``/``watch.go`` (events of a history).

Decisions etcd's documentation does not state, and what settled them. Each
one about observable behaviour was also checked by hand against etcd 3.4.23
through its JSON gateway (compact at 0, the negative txn revision, the
from-key delete and its ignore_value panic, checkIntervals' order, nested and
sub-response headers, keys_only, 14 tied keys sorted, the minimum TTL,
unknown leases, a revoke without keys, compacted and empty-range watches):

- Time. The model has no clock. A lease expires through the explicit
  request ``LeaseExpire(id)``, whose effect is a revoke, because that is how
  etcd expires a lease: the leader's lessor hands expired leases to the
  server, which proposes a ``LeaseRevoke`` through raft (lessor.go
  ``expiredC``/``revokeExpiredLeases``, etcdserver ``run``). A checker
  inserts ``LeaseExpire`` where the implementation shows a lease gone;
  whether it went too early is a timing question for
  ``lease_expired_too_early``. Keepalive and timetolive report the granted TTL
  (no time passes in the model); a checker must accept any remaining TTL up to
  it.
- Lease IDs. ``LeaseGrantRequest(id=0)`` gets the smallest unused ID >=
  ``KVState.next_lease_id`` (1 at first). Real etcd draws IDs from its request
  ID generator (member ID, start time, counter), which nobody can predict, so
  the suite must map the model's IDs to the implementation's.
- Minimum lease TTL 2 s: ``ceil(1.5 * election timeout)`` with etcd's default
  100 ms heartbeat and 10 election ticks (etcdserver ``MinLeaseTTL``);
  ``KVLimits`` changes it, and ``--max-txn-ops`` (128).
- A negative ``revision`` inside a txn. rpc.proto says "less or equal to zero
  ... the newest", and a plain Range does that, but ``txn.checkRange`` only
  exempts 0 and compares the rest with the compact revision, so etcd fails a
  txn range at revision -2 (or -1 once something was compacted) with
  ErrCompacted. The model follows the proto everywhere (docs/findings.md).
- A delete with ``range_end == "\\0"`` in a txn. ``checkIntervals`` builds
  its interval without ``mkGteRange``, so the interval [key, "\\0") holds no
  key and such a delete conflicts with no put: etcd accepts
  ``Txn(Delete(a, "\\0"), Put(ab))`` and the model does too (both writes
  happen at one revision, the delete first). If that put has
  ``ignore_value``/``ignore_lease`` and the delete removed its key, etcd's
  ``checkPut`` (which reads the store before the txn) passes and ``put``
  then indexes an empty result: the apply loop panics, on etcd 3.4.23 at
  every restart too (docs/findings.md). The model fails such a txn with
  "etcdserver: key not found", the error its check means to give.
- Which error a txn gets when its taken branch has several. etcd 3.4 and
  3.5 (apply.go ``Txn``: ``checkRequests`` with ``checkRequestPut``, then
  with ``checkRequestRange``) check every put of the taken path, nested txns
  included, before any range, so a bad lease or missing key wins over a
  future or compacted revision wherever they stand; main (txn.go
  ``checkTxn``) checks them in one pass in the order of the operations. Each
  put checks ignore_value/ignore_lease against the store before its lease in
  every version, where a plain Put checks the lease first (``Put``). The
  model follows 3.4 and 3.5, the released versions the suite runs against
  (etcd 3.5.1 answered "requested lease not found" to a txn whose failure
  branch read a future revision before a nested put with an unknown lease).
- Sort ties. etcd sorts with ``sort.Sort``, which is not stable; the model
  keeps ties in key order (both directions). Which of several tied keys come
  first, and which survive a ``limit``, is unspecified: a checker must
  compare tied runs as sets.
- ``keys_only`` clears the value and keeps the lease (v3.4, v3.5, v3.6).
  etcd main's in-memory keys-only path (commit 7624a8a2e, v3.7) returns lease
  0 as well; the model follows the released versions.
- Response headers of txn sub-responses: a put reports the txn's revision, a
  range or delete the revision as the txn has made it so far
  (``storeTxnWrite.Range``/``DeleteRange``), and a nested txn 0 (etcd never
  fills it: ``newTxnResp``). Only the top-level header is filled by the
  server (``header.fill``).
- Orders etcd leaves to Go maps: timetolive's keys are sorted, leases are
  listed by ID (etcd lists them by expiry). Compare them as sets.
- A watch with a negative start revision: etcd since afeab20ac (later v3.5
  releases, main) answers created and canceled with ErrCompacted as the
  cancel reason; 3.4 cancels it like a compacted watch (compact_revision
  set), and so does 3.5.1. The model answers like the newer versions.
- ``serializable`` reads are answered like linearizable ones: a sequential
  model has no stale member. A checker allows a serializable read any
  revision not older than what the client saw before.

The checks that look at a request alone, or at a key's pair and the leases
(``check_range_request``, ``check_put_request``, ``check_txn_request``,
``check_duplicates``, ``check_put``, ``check_txn_put``, ``read_revision``,
``compare_kv``), are public: the reference store (impl/etcd/store.py) calls
them instead of keeping copies that could drift.

Requirements defined here (component ``kv``): KV-REV-MONOTONIC,
KV-REV-ONE-PER-TXN, KV-READ-LATEST, KV-READ-REVISION, KV-RANGE-SEMANTICS,
KV-VERSION-COUNTS, KV-PUT-OPTIONS, KV-REQUEST-ERRORS, KV-TXN-ATOMIC,
KV-TXN-COMPARE, KV-TXN-DUPLICATE-KEY, KV-TXN-MAX-OPS, KV-COMPACT-ERRORS,
KV-LEASE-GRANT, KV-LEASE-ATTACH, KV-LEASE-REVOKE-ATOMIC, KV-LEASE-EXPIRY,
KV-LEASE-QUERIES. The watch guarantees are in ``spec/kv_watch.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from types import MappingProxyType
from typing import Protocol, TypeAlias

from spec.requirements import requirement

_ETCD = "etcd-io/etcd"

KV_REV_MONOTONIC = requirement(
    "KV-REV-MONOTONIC",
    "The store revision MUST start at 1 and never decrease: a linearizable response MUST NOT carry a "
    "lower header revision than a response that completed before it was sent.",
    component="kv",
    source=f"{_ETCD} api_guarantees.md (Revision); mvcc/kvstore.go NewStore",
)
KV_REV_ONE_PER_TXN = requirement(
    "KV-REV-ONE-PER-TXN",
    "A request that changes the store MUST advance the revision by exactly one however many keys it "
    "changes (a txn, a delete of a range, a lease revoke); a request that changes nothing (a read, a "
    "read-only txn, a delete of no key, a revoke of a lease without keys, a failed request) MUST NOT "
    "advance it, and a put of an unchanged value MUST.",
    component="kv",
    source=f"{_ETCD} api_guarantees.md (Revision); mvcc/kvstore_txn.go storeTxnWrite.End; "
    "integration TestV3TxnRevision",
)
KV_READ_LATEST = requirement(
    "KV-READ-LATEST",
    "KV requests MUST be strictly serializable: every linearizable request MUST return what this model "
    "returns when the requests are applied one at a time in an order consistent with real time.",
    component="kv",
    source=f"{_ETCD} api_guarantees.md (Strict serializability); rpc.proto RangeRequest.serializable",
)
KV_READ_REVISION = requirement(
    "KV-READ-REVISION",
    "A read at revision r (compact revision <= r <= current revision) MUST return exactly what a read of "
    "the latest revision returned while r was current.",
    component="kv",
    source=f"{_ETCD} rpc.proto RangeRequest.revision; mvcc kv_test.go testKVRangeRev",
)
KV_RANGE_SEMANTICS = requirement(
    "KV-RANGE-SEMANTICS",
    "A range MUST select [key, range_end) (empty range_end: the key alone; '\\0': every key >= key), "
    "apply the mod/create revision filters, sort (key order by default; ascending when only a target "
    "other than KEY is given), cut at limit with more set when keys were cut, report count as the "
    "number of keys in the range before filters and limit, clear values for keys_only and return no "
    "keys for count_only.",
    component="kv",
    source=f"{_ETCD} rpc.proto RangeRequest/RangeResponse; server/etcdserver/txn/range.go executeRange",
)
KV_VERSION_COUNTS = requirement(
    "KV-VERSION-COUNTS",
    "A put MUST set mod_revision to its revision, keep create_revision and add 1 to version on an "
    "existing key, and set create_revision to its revision and version to 1 on a key that does not "
    "exist; a delete MUST remove the key so that it is re-created at version 1.",
    component="kv",
    source=f"{_ETCD} mvccpb/kv.proto KeyValue; mvcc/kvstore_txn.go storeTxnWrite.put",
)
KV_PUT_OPTIONS = requirement(
    "KV-PUT-OPTIONS",
    "prev_kv MUST return the pairs as they were before the write; ignore_value and ignore_lease MUST keep "
    "the key's current value or lease and MUST fail with 'etcdserver: key not found' on a missing key.",
    component="kv",
    source=f"{_ETCD} rpc.proto PutRequest/DeleteRangeRequest; txn/put.go checkAndGetPrevKV",
)
KV_REQUEST_ERRORS = requirement(
    "KV-REQUEST-ERRORS",
    "An invalid request MUST fail with etcd's error string and gRPC code and MUST NOT change the store.",
    component="kv",
    source=f"{_ETCD} api/v3rpc/rpctypes/error.go; v3rpc/key.go checkRangeRequest/checkPutRequest",
)
KV_TXN_ATOMIC = requirement(
    "KV-TXN-ATOMIC",
    "A txn MUST evaluate all its compares, nested ones included, against the store before it, then apply "
    "every operation of the chosen branches in order at one revision, or fail and apply none.",
    component="kv",
    source=f"{_ETCD} rpc.proto TxnRequest; server/etcdserver/txn/txn.go compareToPath, checkTxn, Txn",
)
KV_TXN_COMPARE = requirement(
    "KV-TXN-COMPARE",
    "A compare MUST hold when every key in its range satisfies it; with no key in the range a VALUE "
    "compare MUST fail and any other MUST compare against version, create_revision, mod_revision and "
    "lease 0.",
    component="kv",
    source=f"{_ETCD} server/etcdserver/txn/txn.go applyCompare; integration TestV3TxnRangeCompare",
)
KV_TXN_DUPLICATE_KEY = requirement(
    "KV-TXN-DUPLICATE-KEY",
    "A txn that puts one key twice, or puts a key that a delete of the same txn covers, MUST fail with "
    "'etcdserver: duplicate key given in txn request' (InvalidArgument), as checkIntervals decides.",
    component="kv",
    source=f"{_ETCD} v3rpc/key.go checkIntervals; integration TestV3TxnDuplicateKeys",
)
KV_TXN_MAX_OPS = requirement(
    "KV-TXN-MAX-OPS",
    "A txn with more compares, success or failure operations than --max-txn-ops (128 by default; a "
    "nested txn gets what its parent leaves) MUST fail with 'etcdserver: too many operations in txn "
    "request' (InvalidArgument).",
    component="kv",
    source=f"{_ETCD} v3rpc/key.go checkTxnRequest; integration TestV3TxnTooManyOps",
)
KV_COMPACT_ERRORS = requirement(
    "KV-COMPACT-ERRORS",
    "A read below the compact revision MUST fail with 'etcdserver: mvcc: required revision has been "
    "compacted' and above the current revision with 'etcdserver: mvcc: required revision is a future "
    "revision' (both OutOfRange); compacting at or below the compact revision or above the current "
    "revision MUST fail the same way; every revision from the compact revision on MUST stay readable.",
    component="kv",
    source=f"{_ETCD} mvcc/kvstore.go updateCompactRev; mvcc kv_test.go testKVRangeBadRev",
)
KV_LEASE_GRANT = requirement(
    "KV-LEASE-GRANT",
    "A grant MUST raise a TTL below the minimum to the minimum, fail a TTL above 9,000,000,000 with "
    "'etcdserver: too large lease TTL' (OutOfRange), fail an ID in use with 'etcdserver: lease already "
    "exists' (FailedPrecondition), and choose an unused ID when given 0.",
    component="kv",
    source=f"{_ETCD} server/lease/lessor.go Grant; etcdserver/v3_server.go LeaseGrant",
)
KV_LEASE_ATTACH = requirement(
    "KV-LEASE-ATTACH",
    "A put with a lease that does not exist MUST fail with 'etcdserver: requested lease not found' "
    "(NotFound); a put MUST attach the key to its lease (or to none) and detach it from the previous one.",
    component="kv",
    source=f"{_ETCD} server/etcdserver/txn/put.go checkLease; integration TestV3PutOnNonExistLease",
)
KV_LEASE_REVOKE_ATOMIC = requirement(
    "KV-LEASE-REVOKE-ATOMIC",
    "Revoking a lease MUST delete every key attached to it at one revision (no revision when it has no "
    "key) and remove the lease; revoking an unknown lease MUST fail with 'etcdserver: requested lease "
    "not found'.",
    component="kv",
    source=f"{_ETCD} server/lease/lessor.go Revoke; robustness model deterministic.go stepLeaseRevoke",
)
KV_LEASE_EXPIRY = requirement(
    "KV-LEASE-EXPIRY",
    "A lease MUST NOT expire before its granted TTL has passed since its grant or last keepalive, and "
    "its expiry MUST have exactly the effect of a revoke.",
    component="kv",
    source=f"{_ETCD} rpc.proto LeaseGrantRequest.TTL; server/lease/lessor.go revokeExpiredLeases",
)
KV_LEASE_QUERIES = requirement(
    "KV-LEASE-QUERIES",
    "Keepalive MUST answer the granted TTL (0 for an unknown lease), timetolive the granted TTL and, when "
    "asked, the attached keys (TTL -1 for an unknown lease), and leases every lease that exists.",
    component="kv",
    source=f"{_ETCD} server/etcdserver/api/v3rpc/lease.go; integration TestV3GetNonExistLease",
)


# -- errors ----------------------------------------------------------------------------------------


class GrpcCode(IntEnum):
    """gRPC status codes (google.golang.org/grpc/codes): those of etcd's KV and Lease errors, and the
    rest, which a server or gateway in trouble may answer (timeouts, no leader)."""

    OK = 0
    CANCELED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4  # the gateway's or client's deadline passed: the outcome is unknown
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


@dataclass(frozen=True)
class EtcdError:
    """An error response: etcd's exact message (rpctypes.ErrGRPC*) and its gRPC code."""

    code: GrpcCode
    message: str


ERR_EMPTY_KEY = EtcdError(GrpcCode.INVALID_ARGUMENT, "etcdserver: key is not provided")
ERR_KEY_NOT_FOUND = EtcdError(GrpcCode.INVALID_ARGUMENT, "etcdserver: key not found")
ERR_VALUE_PROVIDED = EtcdError(GrpcCode.INVALID_ARGUMENT, "etcdserver: value is provided")
ERR_LEASE_PROVIDED = EtcdError(GrpcCode.INVALID_ARGUMENT, "etcdserver: lease is provided")
ERR_TOO_MANY_OPS = EtcdError(GrpcCode.INVALID_ARGUMENT, "etcdserver: too many operations in txn request")
ERR_DUPLICATE_KEY = EtcdError(GrpcCode.INVALID_ARGUMENT, "etcdserver: duplicate key given in txn request")
ERR_INVALID_SORT_OPTION = EtcdError(GrpcCode.INVALID_ARGUMENT, "etcdserver: invalid sort option")
ERR_COMPACTED = EtcdError(GrpcCode.OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted")
ERR_FUTURE_REV = EtcdError(GrpcCode.OUT_OF_RANGE, "etcdserver: mvcc: required revision is a future revision")
ERR_LEASE_NOT_FOUND = EtcdError(GrpcCode.NOT_FOUND, "etcdserver: requested lease not found")
ERR_LEASE_EXIST = EtcdError(GrpcCode.FAILED_PRECONDITION, "etcdserver: lease already exists")
ERR_LEASE_TTL_TOO_LARGE = EtcdError(GrpcCode.OUT_OF_RANGE, "etcdserver: too large lease TTL")

#: A watch's cancel_reason when its range is empty (mvcc ErrEmptyWatcherRange, sent as is).
WATCH_RANGE_EMPTY = "mvcc: watcher range is empty"


class Unavailable(Exception):
    """A client's request was not applied and never will be (connection refused, no leader took it).

    With ``Indeterminate``, the two outcomes of a request that got no answer;
    implementations and the suite share them (the ``kv`` contract).
    """


class Indeterminate(Exception):
    """A client's request may or may not have been applied (timeout, connection lost after sending)."""


# -- values ----------------------------------------------------------------------------------------


class SortOrder(IntEnum):
    NONE = 0
    ASCEND = 1
    DESCEND = 2


class SortTarget(IntEnum):
    KEY = 0
    VERSION = 1
    CREATE = 2
    MOD = 3
    VALUE = 4


class CompareResult(IntEnum):
    EQUAL = 0
    GREATER = 1
    LESS = 2
    NOT_EQUAL = 3


class CompareTarget(IntEnum):
    VERSION = 0
    CREATE = 1
    MOD = 2
    VALUE = 3
    LEASE = 4


class EventType(IntEnum):
    PUT = 0
    DELETE = 1


class WatchFilter(IntEnum):
    NOPUT = 0
    NODELETE = 1


@dataclass(frozen=True)
class KeyValue:
    """mvccpb.KeyValue. A pair that exists has version >= 1; lease 0 means no lease."""

    key: bytes
    create_revision: int = 0
    mod_revision: int = 0
    version: int = 0
    value: bytes = b""
    lease: int = 0


@dataclass(frozen=True)
class ResponseHeader:
    """etcdserverpb.ResponseHeader without cluster ID, member ID and raft term (not the model's business)."""

    revision: int


# -- KV requests and responses ---------------------------------------------------------------------


@dataclass(frozen=True)
class RangeRequest:
    key: bytes
    range_end: bytes = b""
    limit: int = 0
    revision: int = 0
    sort_order: SortOrder = SortOrder.NONE
    sort_target: SortTarget = SortTarget.KEY
    serializable: bool = False
    keys_only: bool = False
    count_only: bool = False
    min_mod_revision: int = 0
    max_mod_revision: int = 0
    min_create_revision: int = 0
    max_create_revision: int = 0


@dataclass(frozen=True)
class RangeResponse:
    header: ResponseHeader
    kvs: tuple[KeyValue, ...] = ()
    more: bool = False
    count: int = 0


@dataclass(frozen=True)
class PutRequest:
    key: bytes
    value: bytes = b""
    lease: int = 0
    prev_kv: bool = False
    ignore_value: bool = False
    ignore_lease: bool = False


@dataclass(frozen=True)
class PutResponse:
    header: ResponseHeader
    prev_kv: KeyValue | None = None


@dataclass(frozen=True)
class DeleteRangeRequest:
    key: bytes
    range_end: bytes = b""
    prev_kv: bool = False


@dataclass(frozen=True)
class DeleteRangeResponse:
    header: ResponseHeader
    deleted: int = 0
    prev_kvs: tuple[KeyValue, ...] = ()


@dataclass(frozen=True)
class Compare:
    """etcdserverpb.Compare; the field named after ``target`` is the operand (the proto's target_union)."""

    key: bytes
    target: CompareTarget
    result: CompareResult
    range_end: bytes = b""
    version: int = 0
    create_revision: int = 0
    mod_revision: int = 0
    value: bytes = b""
    lease: int = 0


@dataclass(frozen=True)
class TxnRequest:
    compare: tuple[Compare, ...] = ()
    success: tuple[RequestOp, ...] = ()
    failure: tuple[RequestOp, ...] = ()


@dataclass(frozen=True)
class TxnResponse:
    header: ResponseHeader
    succeeded: bool
    responses: tuple[ResponseOp, ...] = ()


RequestOp: TypeAlias = "RangeRequest | PutRequest | DeleteRangeRequest | TxnRequest"
ResponseOp: TypeAlias = "RangeResponse | PutResponse | DeleteRangeResponse | TxnResponse"


@dataclass(frozen=True)
class CompactionRequest:
    revision: int
    physical: bool = False  # only makes etcd wait for the disk; no difference to the model


@dataclass(frozen=True)
class CompactionResponse:
    header: ResponseHeader


# -- leases ----------------------------------------------------------------------------------------
#
# etcd's proto spells these fields ID, TTL and grantedTTL (also in JSON); here they are
# snake_case like every other field.


@dataclass(frozen=True)
class LeaseGrantRequest:
    ttl: int
    id: int = 0


@dataclass(frozen=True)
class LeaseGrantResponse:
    header: ResponseHeader
    id: int
    ttl: int


@dataclass(frozen=True)
class LeaseRevokeRequest:
    id: int


@dataclass(frozen=True)
class LeaseRevokeResponse:
    header: ResponseHeader


@dataclass(frozen=True)
class LeaseExpire:
    """Not a client request: the lease's TTL ran out and the leader revokes it (see the module docstring)."""

    id: int


@dataclass(frozen=True)
class LeaseKeepAliveRequest:
    id: int


@dataclass(frozen=True)
class LeaseKeepAliveResponse:
    header: ResponseHeader
    id: int
    ttl: int


@dataclass(frozen=True)
class LeaseTimeToLiveRequest:
    id: int
    keys: bool = False


@dataclass(frozen=True)
class LeaseTimeToLiveResponse:
    header: ResponseHeader
    id: int
    ttl: int
    granted_ttl: int = 0
    keys: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class LeaseLeasesRequest:
    pass


@dataclass(frozen=True)
class LeaseLeasesResponse:
    header: ResponseHeader
    leases: tuple[int, ...] = ()  # the IDs (etcd wraps each in a LeaseStatus)


Request: TypeAlias = (
    "RangeRequest | PutRequest | DeleteRangeRequest | TxnRequest | CompactionRequest"
    " | LeaseGrantRequest | LeaseRevokeRequest | LeaseExpire | LeaseKeepAliveRequest"
    " | LeaseTimeToLiveRequest | LeaseLeasesRequest"
)
Response: TypeAlias = (
    "RangeResponse | PutResponse | DeleteRangeResponse | TxnResponse | CompactionResponse"
    " | LeaseGrantResponse | LeaseRevokeResponse | LeaseKeepAliveResponse | LeaseTimeToLiveResponse"
    " | LeaseLeasesResponse | EtcdError"
)

#: The requests a client sends that may change the store (etcd proposes them through raft; a
#: linearizable read or a keepalive is not one of them).
CLIENT_WRITES: tuple[type, ...] = (
    PutRequest,
    DeleteRangeRequest,
    TxnRequest,
    CompactionRequest,
    LeaseGrantRequest,
    LeaseRevokeRequest,
)
#: Every request that may change the store: the client writes and the leader's ``LeaseExpire``.
WRITES: tuple[type, ...] = (*CLIENT_WRITES, LeaseExpire)


# -- watch -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """mvccpb.Event. A DELETE event's kv holds only the key and the delete's revision."""

    type: EventType
    kv: KeyValue
    prev_kv: KeyValue | None = None

    @property
    def revision(self) -> int:
        return self.kv.mod_revision

    def is_create(self) -> bool:
        """v3rpc IsCreateEvent: a PUT whose key was created by it."""
        return self.type == EventType.PUT and self.kv.create_revision == self.kv.mod_revision


@dataclass(frozen=True)
class WatchCreateRequest:
    key: bytes
    range_end: bytes = b""
    start_revision: int = 0
    progress_notify: bool = False
    filters: tuple[WatchFilter, ...] = ()
    prev_kv: bool = False
    watch_id: int = 0
    fragment: bool = False


@dataclass(frozen=True)
class WatchResponse:
    header: ResponseHeader
    watch_id: int = 0
    created: bool = False
    canceled: bool = False
    compact_revision: int = 0
    cancel_reason: str = ""
    fragment: bool = False
    events: tuple[Event, ...] = ()

    def is_progress_notify(self) -> bool:
        """clientv3 WatchResponse.IsProgressNotify."""
        return (
            not self.events
            and not self.canceled
            and not self.created
            and self.compact_revision == 0
            and self.header.revision != 0
        )


# -- state -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KVLimits:
    """Server settings that change answers: ``--max-txn-ops`` and the lease TTL bounds."""

    max_txn_ops: int = 128
    min_lease_ttl: int = 2
    max_lease_ttl: int = 9_000_000_000  # lease.MaxLeaseTTL


@dataclass(frozen=True)
class Change:
    """One write to one key, as etcd's backend keeps it under revision (main, sub).

    ``kv`` is the pair the write left, or None for a delete (a tombstone).
    ``sub`` orders the writes of one revision: the order of a txn's operations,
    keys in ascending order within one delete or revoke.
    """

    revision: int
    sub: int
    key: bytes
    kv: KeyValue | None


@dataclass(frozen=True)
class Lease:
    id: int
    granted_ttl: int


History: TypeAlias = Mapping[bytes, tuple[Change, ...]]


def _frozen_history(history: Mapping[bytes, tuple[Change, ...]]) -> History:
    return MappingProxyType(dict(history))


def _frozen_leases(leases: Mapping[int, Lease]) -> Mapping[int, Lease]:
    return MappingProxyType(dict(leases))


@dataclass(frozen=True)
class KVState:
    """Everything the store's answers depend on.

    ``history`` keeps, per key and oldest first, every change since the
    compact revision plus the pair live at it: what reads at past revisions
    and watches need (mvcc key_index.go: compaction keeps the largest
    revision <= the compact revision unless it is a tombstone). A key with
    nothing left is not in it. Attached keys of a lease are not stored: they
    are the live keys whose ``lease`` is its ID.
    """

    revision: int = 1
    compact_revision: int = -1
    history: History = field(default_factory=lambda: _frozen_history({}))
    leases: Mapping[int, Lease] = field(default_factory=lambda: _frozen_leases({}))
    next_lease_id: int = 1
    limits: KVLimits = KVLimits()

    def key(self) -> tuple[object, ...]:
        """A hashable value equal for equal states (for a checker's memo table)."""
        return (
            self.revision,
            self.compact_revision,
            tuple(sorted(self.history.items())),
            tuple(sorted(self.leases.items())),
            self.next_lease_id,
            self.limits,
        )

    def __hash__(self) -> int:
        return hash(self.key())

    def get(self, key: bytes, revision: int = 0) -> KeyValue | None:
        """The pair ``key`` held at ``revision`` (0: now), or None; no compaction check."""
        return kv_at(self.history, key, revision if revision > 0 else self.revision)

    def live(self, revision: int = 0) -> tuple[KeyValue, ...]:
        """Every pair that exists at ``revision`` (0: now), in key order."""
        return _live_in_range(self.history, b"\0", b"\0", revision if revision > 0 else self.revision)

    def lease_keys(self, lease_id: int) -> tuple[bytes, ...]:
        """The keys attached to ``lease_id`` now, in key order."""
        return tuple(kv.key for kv in self.live() if kv.lease == lease_id)


# -- ranges of keys --------------------------------------------------------------------------------


def prefix_end(prefix: bytes) -> bytes:
    """clientv3 GetPrefixRangeEnd: the range_end that makes [prefix, range_end) every key with the prefix.

    The last byte below 0xff is incremented and what follows it dropped; with
    no such byte (empty or all 0xff) every key >= prefix is meant, "\\0".
    """
    for i in range(len(prefix) - 1, -1, -1):
        if prefix[i] < 0xFF:
            return prefix[:i] + bytes([prefix[i] + 1])
    return b"\0"


def in_range(candidate: bytes, key: bytes, range_end: bytes) -> bool:
    """Whether (key, range_end) selects ``candidate``, as Range, DeleteRange, Compare and Watch read it."""
    if range_end == b"":
        return candidate == key
    if range_end == b"\0":  # mkGteRange: every key >= key
        return candidate >= key
    return key <= candidate < range_end


def kv_at(history: History, key: bytes, revision: int) -> KeyValue | None:
    """The pair ``key`` held at ``revision``: its last change at or before it, None if deleted or absent."""
    for change in reversed(history.get(key, ())):
        if change.revision <= revision:
            return change.kv
    return None


def _live_in_range(history: History, key: bytes, range_end: bytes, revision: int) -> tuple[KeyValue, ...]:
    found = (kv_at(history, k, revision) for k in sorted(history) if in_range(k, key, range_end))
    return tuple(kv for kv in found if kv is not None)


# -- step ------------------------------------------------------------------------------------------


def step(state: KVState, request: Request) -> tuple[KVState, Response]:
    """Apply one request to ``state``: the next state and etcd's response. ``state`` is not changed."""
    if isinstance(request, RangeRequest):
        return state, _range(state, request)
    if isinstance(request, PutRequest):
        return _put(state, request)
    if isinstance(request, DeleteRangeRequest):
        return _delete_range(state, request)
    if isinstance(request, TxnRequest):
        return _txn(state, request)
    if isinstance(request, CompactionRequest):
        return _compact(state, request)
    if isinstance(request, LeaseGrantRequest):
        return _lease_grant(state, request)
    if isinstance(request, LeaseRevokeRequest | LeaseExpire):
        return _lease_revoke(state, request.id)
    if isinstance(request, LeaseKeepAliveRequest):
        return state, _lease_keepalive(state, request)
    if isinstance(request, LeaseTimeToLiveRequest):
        return state, _lease_timetolive(state, request)
    if isinstance(request, LeaseLeasesRequest):
        return state, LeaseLeasesResponse(_header(state), tuple(sorted(state.leases)))
    raise TypeError(f"not a request of the model: {request!r}")


def _header(state: KVState) -> ResponseHeader:
    return ResponseHeader(state.revision)


# -- one write transaction -------------------------------------------------------------------------


class _Abort(Exception):
    """A txn found an error only while executing (see the ignore_value decision); nothing is applied."""

    def __init__(self, error: EtcdError) -> None:
        super().__init__(error.message)
        self.error = error


class _Write:
    """The store as one write transaction sees it: the state before plus the changes made so far.

    Local to one call of ``step``; every write lands at ``before.revision + 1``
    and reads see earlier writes of the same txn (mvcc storeTxnWrite).
    """

    def __init__(self, before: KVState) -> None:
        self.before = before
        self.history: dict[bytes, tuple[Change, ...]] = dict(before.history)
        self.changes = 0

    @property
    def write_revision(self) -> int:
        return self.before.revision + 1

    @property
    def current(self) -> int:
        """The revision reads inside the txn see: the new one once it wrote anything."""
        return self.write_revision if self.changes else self.before.revision

    def get(self, key: bytes) -> KeyValue | None:
        return kv_at(self.history, key, self.current)

    def live_in_range(self, key: bytes, range_end: bytes) -> tuple[KeyValue, ...]:
        return _live_in_range(self.history, key, range_end, self.current)

    def put(self, key: bytes, value: bytes, lease: int) -> None:
        existing = self.get(key)
        kv = KeyValue(
            key=key,
            create_revision=existing.create_revision if existing else self.write_revision,
            mod_revision=self.write_revision,
            version=existing.version + 1 if existing else 1,
            value=value,
            lease=lease,
        )
        self._append(Change(self.write_revision, self.changes, key, kv))

    def delete(self, key: bytes) -> None:
        self._append(Change(self.write_revision, self.changes, key, None))

    def _append(self, change: Change) -> None:
        self.history[change.key] = (*self.history.get(change.key, ()), change)
        self.changes += 1

    def commit(self) -> KVState:
        """The state after the txn: the same state if it wrote nothing."""
        if not self.changes:
            return self.before
        return replace(self.before, revision=self.write_revision, history=_frozen_history(self.history))


# -- range -----------------------------------------------------------------------------------------


def check_range_request(request: RangeRequest) -> EtcdError | None:
    if not request.key:
        return ERR_EMPTY_KEY
    if request.sort_order not in set(SortOrder) or request.sort_target not in set(SortTarget):
        return ERR_INVALID_SORT_OPTION
    return None


def read_revision(requested: int, current: int, compact_revision: int) -> int | EtcdError:
    """mvcc rangeKeys: which revision a read at ``requested`` sees, or why it cannot."""
    if requested > current:
        return ERR_FUTURE_REV
    if requested <= 0:
        return current
    if requested < compact_revision:
        return ERR_COMPACTED
    return requested


def _filtered(kv: KeyValue, request: RangeRequest) -> bool:
    """Whether ``kv`` survives the min/max revision filters (0 means no filter)."""
    return not (
        (request.max_mod_revision != 0 and kv.mod_revision > request.max_mod_revision)
        or (request.min_mod_revision != 0 and kv.mod_revision < request.min_mod_revision)
        or (request.max_create_revision != 0 and kv.create_revision > request.max_create_revision)
        or (request.min_create_revision != 0 and kv.create_revision < request.min_create_revision)
    )


_SORT_FIELD: dict[SortTarget, Callable[[KeyValue], bytes | int]] = {
    SortTarget.KEY: lambda kv: kv.key,
    SortTarget.VERSION: lambda kv: kv.version,
    SortTarget.CREATE: lambda kv: kv.create_revision,
    SortTarget.MOD: lambda kv: kv.mod_revision,
    SortTarget.VALUE: lambda kv: kv.value,
}


def _sorted(kvs: Sequence[KeyValue], target: SortTarget, order: SortOrder) -> tuple[KeyValue, ...]:
    """txn sortRangeResults: order NONE means key order for KEY and ascending for any other target.

    ``kvs`` come in key order and Python's sort is stable (``reverse=True``
    too), so ties stay in key order. Go's ``sort.Sort`` is not stable, but it
    insertion-sorts up to 12 elements, which keeps ties as they came: the
    model matches etcd exactly for small results.
    """
    if order == SortOrder.NONE and target != SortTarget.KEY:
        order = SortOrder.ASCEND
    if order == SortOrder.NONE:
        return tuple(kvs)
    return tuple(sorted(kvs, key=_SORT_FIELD[target], reverse=order == SortOrder.DESCEND))


def _execute_range(
    history: History, current: int, compact_revision: int, request: RangeRequest
) -> RangeResponse | EtcdError:
    """txn executeRange over a view of the store whose latest revision is ``current``."""
    at = read_revision(request.revision, current, compact_revision)
    if isinstance(at, EtcdError):
        return at
    in_range_now = _live_in_range(history, request.key, request.range_end, at)
    header = ResponseHeader(current)
    if request.count_only:
        return RangeResponse(header, count=len(in_range_now))
    survivors = [kv for kv in in_range_now if _filtered(kv, request)]
    kvs = _sorted(survivors, request.sort_target, request.sort_order)
    more = 0 < request.limit < len(kvs)
    if more:
        kvs = kvs[: request.limit]
    if request.keys_only:
        kvs = tuple(replace(kv, value=b"") for kv in kvs)
    return RangeResponse(header, kvs=kvs, more=more, count=len(in_range_now))


def _range(state: KVState, request: RangeRequest) -> RangeResponse | EtcdError:
    return check_range_request(request) or _execute_range(
        state.history, state.revision, state.compact_revision, request
    )


def range_response_matches(state: KVState, request: RangeRequest, actual: RangeResponse) -> bool:
    """Is ``actual`` an answer etcd may give to ``request`` at ``state`` (KV-RANGE-SEMANTICS)?

    The model's answer, except that keys whose sort field ties may come in any
    order and, at a ``limit``, any of the tied keys may be the ones kept (etcd
    sorts with the unstable ``sort.Sort``). Keys are unique, so sorting by KEY
    has no ties and must match exactly.
    """
    expected = _range(state, request)
    if not isinstance(expected, RangeResponse):
        return False
    if (actual.header, actual.more, actual.count) != (expected.header, expected.more, expected.count):
        return False
    if request.sort_target == SortTarget.KEY or request.count_only:
        return actual.kvs == expected.kvs
    everything = _range(state, replace(request, limit=0))
    assert isinstance(everything, RangeResponse)
    field_of = _SORT_FIELD[request.sort_target]
    return (
        [field_of(kv) for kv in actual.kvs] == [field_of(kv) for kv in expected.kvs]
        and len(set(actual.kvs)) == len(actual.kvs)
        and set(actual.kvs) <= set(everything.kvs)
    )


# -- put and delete --------------------------------------------------------------------------------


def check_put_request(request: PutRequest) -> EtcdError | None:
    """v3rpc checkPutRequest: what is wrong with the request itself."""
    if not request.key:
        return ERR_EMPTY_KEY
    if request.ignore_value and request.value:
        return ERR_VALUE_PROVIDED
    if request.ignore_lease and request.lease != 0:
        return ERR_LEASE_PROVIDED
    return None


class KeysAndLeases(Protocol):
    """What the store checks of a write read: a key's current pair and which leases exist.

    ``KVState`` has both, and so may an implementation's store, which then
    calls the same checks (``check_put``, ``check_txn_put``) instead of its own
    copies."""

    @property
    def leases(self) -> Mapping[int, object]: ...

    def get(self, key: bytes) -> KeyValue | None: ...


def check_put(state: KeysAndLeases, request: PutRequest) -> EtcdError | None:
    """A plain Put's checks against the store (apply.go Put): the lease first, then ignore_* needs the key."""
    if request.lease != 0 and request.lease not in state.leases:
        return ERR_LEASE_NOT_FOUND
    if (request.ignore_value or request.ignore_lease) and state.get(request.key) is None:
        return ERR_KEY_NOT_FOUND
    return None


def _execute_put(write: _Write, request: PutRequest) -> PutResponse:
    previous = write.get(request.key)
    if (request.ignore_value or request.ignore_lease) and previous is None:
        raise _Abort(ERR_KEY_NOT_FOUND)  # only after a delete with range_end "\0" in the same txn
    value = previous.value if request.ignore_value and previous else request.value
    lease = previous.lease if request.ignore_lease and previous else request.lease
    write.put(request.key, value, lease)
    return PutResponse(ResponseHeader(write.write_revision), previous if request.prev_kv else None)


def _put(state: KVState, request: PutRequest) -> tuple[KVState, PutResponse | EtcdError]:
    error = check_put_request(request) or check_put(state, request)
    if error:
        return state, error
    write = _Write(state)
    response = _execute_put(write, request)
    return write.commit(), response


def _execute_delete_range(write: _Write, request: DeleteRangeRequest) -> DeleteRangeResponse:
    doomed = write.live_in_range(request.key, request.range_end)
    for kv in doomed:
        write.delete(kv.key)
    return DeleteRangeResponse(
        ResponseHeader(write.current), deleted=len(doomed), prev_kvs=doomed if request.prev_kv else ()
    )


def _delete_range(
    state: KVState, request: DeleteRangeRequest
) -> tuple[KVState, DeleteRangeResponse | EtcdError]:
    if not request.key:
        return state, ERR_EMPTY_KEY
    write = _Write(state)
    response = _execute_delete_range(write, request)
    return write.commit(), response


# -- txn -------------------------------------------------------------------------------------------


def check_txn_request(request: TxnRequest, max_ops: int) -> EtcdError | None:
    """v3rpc checkTxnRequest: sizes and each operation of both branches, nested txns with what is left."""
    ops = max(len(request.compare), len(request.success), len(request.failure))
    if ops > max_ops:
        return ERR_TOO_MANY_OPS
    if any(not compare.key for compare in request.compare):
        return ERR_EMPTY_KEY
    for op in (*request.success, *request.failure):
        error = _check_request_op(op, max_ops - ops)
        if error:
            return error
    return None


def _check_request_op(op: RequestOp, max_ops: int) -> EtcdError | None:
    if isinstance(op, RangeRequest):
        return check_range_request(op)
    if isinstance(op, PutRequest):
        return check_put_request(op)
    if isinstance(op, DeleteRangeRequest):
        return ERR_EMPTY_KEY if not op.key else None
    return check_txn_request(op, max_ops)


class _Duplicate(Exception):
    pass


@dataclass(frozen=True)
class _Interval:
    """A delete's keys as checkIntervals sees them: [begin, end), range_end taken literally."""

    begin: bytes
    end: bytes

    @staticmethod
    def of(delete: DeleteRangeRequest) -> _Interval:
        if delete.range_end:
            return _Interval(delete.key, delete.range_end)  # "\0" too: no mkGteRange here
        return _Interval(delete.key, delete.key + b"\0")

    def covers(self, key: bytes) -> bool:
        return self.begin <= key < self.end


def _written_keys(ops: Sequence[RequestOp]) -> tuple[set[bytes], list[_Interval]]:
    """v3rpc checkIntervals for one branch: the keys it may put and the ranges it may delete.

    Raises ``_Duplicate`` when two puts may write one key or a put may write a
    key a delete covers. The order of checks is etcd's and it matters: this
    branch's deletes, then each nested txn in turn (its puts against what is
    known so far, then its deletes join), then this branch's puts. So a nested
    txn's put is not checked against the deletes of a nested txn after it. The
    two branches of one nested txn exclude each other and may put one key.
    """
    deletes = [_Interval.of(op) for op in ops if isinstance(op, DeleteRangeRequest)]
    puts: set[bytes] = set()
    for op in ops:
        if not isinstance(op, TxnRequest):
            continue
        then_puts, then_deletes = _written_keys(op.success)
        else_puts, else_deletes = _written_keys(op.failure)
        for key in then_puts:
            if key in puts or any(d.covers(key) for d in deletes):
                raise _Duplicate
        puts |= then_puts
        for key in else_puts:
            if (key in puts and key not in then_puts) or any(d.covers(key) for d in deletes):
                raise _Duplicate
        puts |= else_puts
        deletes += then_deletes + else_deletes
    for op in ops:
        if not isinstance(op, PutRequest):
            continue
        if op.key in puts or any(d.covers(op.key) for d in deletes):
            raise _Duplicate
        puts.add(op.key)
    return puts, deletes


def check_txn_shape(request: TxnRequest, max_ops: int) -> EtcdError | None:
    """The checks of a txn that read no state, in etcd's order (v3rpc key.go ``Txn``: ``checkTxnRequest``,
    then ``checkIntervals``). etcd makes them before the request reaches the server, so a txn they refuse
    is never proposed; an implementation may answer them at once or on apply, with the same error."""
    return check_txn_request(request, max_ops) or check_duplicates(request)


def check_duplicates(request: TxnRequest) -> EtcdError | None:
    try:
        _written_keys(request.success)
        _written_keys(request.failure)
    except _Duplicate:
        return ERR_DUPLICATE_KEY
    return None


def compare_kv(compare: Compare, kv: KeyValue) -> bool:
    """txn compareKV: the pair's field named by the target against the operand."""
    if compare.target == CompareTarget.VALUE:
        sign = (kv.value > compare.value) - (kv.value < compare.value)
    else:
        actual, operand = {
            CompareTarget.VERSION: (kv.version, compare.version),
            CompareTarget.CREATE: (kv.create_revision, compare.create_revision),
            CompareTarget.MOD: (kv.mod_revision, compare.mod_revision),
            CompareTarget.LEASE: (kv.lease, compare.lease),
        }[compare.target]
        sign = (actual > operand) - (actual < operand)
    return {
        CompareResult.EQUAL: sign == 0,
        CompareResult.NOT_EQUAL: sign != 0,
        CompareResult.GREATER: sign > 0,
        CompareResult.LESS: sign < 0,
    }[compare.result]


def compare_holds(state: KVState, compare: Compare) -> bool:
    """KV-TXN-COMPARE (txn applyCompare) on the latest revision of ``state``."""
    kvs = _live_in_range(state.history, compare.key, compare.range_end, state.revision)
    if not kvs:
        # "nil == empty string in grpc; no way to represent missing value"
        return compare.target != CompareTarget.VALUE and compare_kv(compare, KeyValue(compare.key))
    return all(compare_kv(compare, kv) for kv in kvs)


def _succeeds(before: KVState, request: TxnRequest) -> bool:
    return all(compare_holds(before, compare) for compare in request.compare)


def _taken_ops(before: KVState, request: TxnRequest) -> list[RangeRequest | PutRequest | DeleteRangeRequest]:
    """The operations the compares select, nested txns' own selections in their place."""
    ops: list[RangeRequest | PutRequest | DeleteRangeRequest] = []
    for op in request.success if _succeeds(before, request) else request.failure:
        ops += _taken_ops(before, op) if isinstance(op, TxnRequest) else [op]
    return ops


def check_txn_put(state: KeysAndLeases, request: PutRequest) -> EtcdError | None:
    """apply.go checkRequestPut (txn.go checkPut): ignore_* needs the key, then the lease must exist."""
    if (request.ignore_value or request.ignore_lease) and state.get(request.key) is None:
        return ERR_KEY_NOT_FOUND
    if request.lease != 0 and request.lease not in state.leases:
        return ERR_LEASE_NOT_FOUND
    return None


def _check_taken_branch(before: KVState, request: TxnRequest) -> EtcdError | None:
    """apply.go Txn's checks against the store before the txn: every put taken, then every range."""
    ops = _taken_ops(before, request)
    for op in ops:
        error = check_txn_put(before, op) if isinstance(op, PutRequest) else None
        if error:
            return error
    for op in ops:
        if isinstance(op, RangeRequest) and op.revision > 0:
            at = read_revision(op.revision, before.revision, before.compact_revision)
            if isinstance(at, EtcdError):
                return at
    return None


def _execute_txn(before: KVState, write: _Write, request: TxnRequest) -> TxnResponse:
    succeeded = _succeeds(before, request)
    responses: list[ResponseOp] = []
    for op in request.success if succeeded else request.failure:
        if isinstance(op, RangeRequest):
            read = _execute_range(write.history, write.current, before.compact_revision, op)
            assert isinstance(read, RangeResponse), "checked before the txn ran"
            responses.append(read)
        elif isinstance(op, PutRequest):
            responses.append(_execute_put(write, op))
        elif isinstance(op, DeleteRangeRequest):
            responses.append(_execute_delete_range(write, op))
        else:
            responses.append(_execute_txn(before, write, op))
    # A nested txn's header stays empty (txn newTxnResp); the caller fills the top one.
    return TxnResponse(ResponseHeader(0), succeeded, tuple(responses))


def _txn(state: KVState, request: TxnRequest) -> tuple[KVState, TxnResponse | EtcdError]:
    error = check_txn_shape(request, state.limits.max_txn_ops) or _check_taken_branch(state, request)
    if error:
        return state, error
    write = _Write(state)
    try:
        response = _execute_txn(state, write, request)
    except _Abort as abort:
        return state, abort.error
    after = write.commit()
    return after, replace(response, header=_header(after))


# -- compaction ------------------------------------------------------------------------------------


def _compacted_history(history: History, revision: int) -> History:
    """What mvcc keeps after compacting at ``revision``.

    Every change at or after it, and, for a key without a change at it exactly,
    its pair live at it (the last earlier change unless that was a delete).
    """
    kept: dict[bytes, tuple[Change, ...]] = {}
    for key, changes in history.items():
        later = tuple(c for c in changes if c.revision >= revision)
        earlier = [c for c in changes if c.revision < revision]
        if earlier and earlier[-1].kv is not None and not any(c.revision == revision for c in later):
            later = (earlier[-1], *later)
        if later:
            kept[key] = later
    return _frozen_history(kept)


def _compact(state: KVState, request: CompactionRequest) -> tuple[KVState, CompactionResponse | EtcdError]:
    """mvcc updateCompactRev. The revision does not move."""
    if request.revision <= state.compact_revision:
        return state, ERR_COMPACTED
    if request.revision > state.revision:
        return state, ERR_FUTURE_REV
    after = replace(
        state,
        compact_revision=request.revision,
        history=_compacted_history(state.history, request.revision),
    )
    return after, CompactionResponse(_header(after))


# -- leases ----------------------------------------------------------------------------------------


def _new_lease_id(state: KVState) -> int:
    candidate = state.next_lease_id
    while candidate in state.leases:
        candidate += 1
    return candidate


def _lease_grant(
    state: KVState, request: LeaseGrantRequest
) -> tuple[KVState, LeaseGrantResponse | EtcdError]:
    lease_id = request.id or _new_lease_id(state)
    if request.ttl > state.limits.max_lease_ttl:
        return state, ERR_LEASE_TTL_TOO_LARGE
    if lease_id in state.leases:
        return state, ERR_LEASE_EXIST
    ttl = max(request.ttl, state.limits.min_lease_ttl)
    after = replace(
        state,
        leases=_frozen_leases({**state.leases, lease_id: Lease(lease_id, ttl)}),
        next_lease_id=state.next_lease_id if request.id else lease_id + 1,
    )
    return after, LeaseGrantResponse(_header(after), lease_id, ttl)


def _lease_revoke(state: KVState, lease_id: int) -> tuple[KVState, LeaseRevokeResponse | EtcdError]:
    """lessor Revoke: the attached keys are deleted in key order in one write, then the lease goes."""
    if lease_id not in state.leases:
        return state, ERR_LEASE_NOT_FOUND
    write = _Write(state)
    for key in state.lease_keys(lease_id):
        write.delete(key)
    leases = {i: lease for i, lease in state.leases.items() if i != lease_id}
    after = replace(write.commit(), leases=_frozen_leases(leases))
    return after, LeaseRevokeResponse(_header(after))


def _lease_keepalive(state: KVState, request: LeaseKeepAliveRequest) -> LeaseKeepAliveResponse:
    lease = state.leases.get(request.id)
    return LeaseKeepAliveResponse(_header(state), request.id, lease.granted_ttl if lease else 0)


def _lease_timetolive(state: KVState, request: LeaseTimeToLiveRequest) -> LeaseTimeToLiveResponse:
    lease = state.leases.get(request.id)
    if lease is None:
        return LeaseTimeToLiveResponse(_header(state), request.id, ttl=-1)
    keys = state.lease_keys(request.id) if request.keys else ()
    return LeaseTimeToLiveResponse(_header(state), request.id, lease.granted_ttl, lease.granted_ttl, keys)


def lease_expired_too_early(granted_ttl: int, renewal_invoked_at: float, gone_by: float) -> bool:
    """KV-LEASE-EXPIRY, timing: is it certain the lease expired before its TTL ran out?

    ``renewal_invoked_at`` is when the client sent the last grant or keepalive
    that succeeded (it took effect no earlier), ``gone_by`` when a request
    that saw the lease or its keys gone completed (the expiry happened no
    later). Clocks are the observer's; the caller allows for their error.
    """
    return gone_by < renewal_invoked_at + granted_ttl


# -- watch -----------------------------------------------------------------------------------------


def _event(history: History, compact_revision: int, change: Change) -> Event:
    if change.kv is None:
        event = Event(EventType.DELETE, KeyValue(change.key, mod_revision=change.revision))
    else:
        event = Event(EventType.PUT, change.kv)
    if event.is_create() or change.revision - 1 < compact_revision:
        return event  # etcd reads no prev_kv for a create, and finds none below the compact revision
    return replace(event, prev_kv=kv_at(history, change.key, change.revision - 1))


def events_between(
    state: KVState, key: bytes, range_end: bytes, start_revision: int, end_revision: int
) -> tuple[Event, ...]:
    """Every event on [key, range_end) with start_revision <= revision <= end_revision, in order.

    In revision order and, within a revision, in the order of the writes. Each
    event carries its prev_kv as etcd fills it for a watch that asks. Raises
    ValueError when ``start_revision`` is below the compact revision: that
    history is gone (``watch`` turns it into the canceled response).
    """
    if start_revision < state.compact_revision:
        raise ValueError(f"revision {start_revision} is below the compact revision {state.compact_revision}")
    changes = [
        change
        for k, key_changes in state.history.items()
        if in_range(k, key, range_end)
        for change in key_changes
        if start_revision <= change.revision <= end_revision
    ]
    changes.sort(key=lambda c: (c.revision, c.sub))
    return tuple(_event(state.history, state.compact_revision, c) for c in changes)


def _wanted(event: Event, filters: Iterable[WatchFilter]) -> bool:
    filtered = {WatchFilter.NOPUT: EventType.PUT, WatchFilter.NODELETE: EventType.DELETE}
    return all(event.type != filtered[f] for f in filters)


def watch_matches(request: WatchCreateRequest, event: Event) -> bool:
    """Whether a watch created by ``request`` delivers ``event`` (its range and filters)."""
    key = request.key or b"\0"  # v3rpc: an empty key is the smallest key
    return in_range(event.kv.key, key, request.range_end) and _wanted(event, request.filters)


def watch(state: KVState, request: WatchCreateRequest) -> WatchResponse:
    """What a watch created now has delivered once it caught up with ``state``.

    A canceled response if the request is invalid or its start revision is
    compacted (``compact_revision`` tells the oldest revision still
    available); otherwise the events from the start revision (0: the next
    revision) to the current one, filtered, with prev_kv only if asked.
    """
    header = _header(state)
    key = request.key or b"\0"
    if request.start_revision < 0:
        return WatchResponse(header, created=True, canceled=True, cancel_reason=ERR_COMPACTED.message)
    if request.range_end not in (b"", b"\0") and key >= request.range_end:
        return WatchResponse(header, created=True, canceled=True, cancel_reason=WATCH_RANGE_EMPTY)
    start = request.start_revision or state.revision + 1
    if start < state.compact_revision:
        # chooseAll sends this response without a revision, so its header has none
        return WatchResponse(ResponseHeader(0), canceled=True, compact_revision=state.compact_revision)
    events = events_between(state, key, request.range_end, start, state.revision)
    kept = tuple(
        e if request.prev_kv else replace(e, prev_kv=None) for e in events if _wanted(e, request.filters)
    )
    return WatchResponse(header, events=kept)


# -- a mutable facade ------------------------------------------------------------------------------


class KVStore:
    """A store that remembers its state: for examples and tests. Checkers use ``step``."""

    def __init__(self, state: KVState | None = None) -> None:
        self.state = state if state is not None else KVState()

    def apply(self, request: Request) -> Response:
        self.state, response = step(self.state, request)
        return response

    def put(self, key: bytes, value: bytes = b"", *, lease: int = 0, prev_kv: bool = False) -> Response:
        return self.apply(PutRequest(key, value, lease=lease, prev_kv=prev_kv))

    def get(self, key: bytes, range_end: bytes = b"", *, revision: int = 0) -> Response:
        return self.apply(RangeRequest(key, range_end, revision=revision))

    def delete(self, key: bytes, range_end: bytes = b"", *, prev_kv: bool = False) -> Response:
        return self.apply(DeleteRangeRequest(key, range_end, prev_kv=prev_kv))

    def txn(
        self,
        compare: Sequence[Compare] = (),
        success: Sequence[RequestOp] = (),
        failure: Sequence[RequestOp] = (),
    ) -> Response:
        return self.apply(TxnRequest(tuple(compare), tuple(success), tuple(failure)))

    def compact(self, revision: int) -> Response:
        return self.apply(CompactionRequest(revision))

    def grant(self, ttl: int, lease_id: int = 0) -> Response:
        return self.apply(LeaseGrantRequest(ttl, lease_id))

    def revoke(self, lease_id: int) -> Response:
        return self.apply(LeaseRevokeRequest(lease_id))

    def watch(self, request: WatchCreateRequest) -> WatchResponse:
        return watch(self.state, request)
