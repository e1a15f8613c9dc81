"""The reference etcd's store: MVCC key-value history, leases and what etcd checks before a write.

One ``EtcdStore`` is the state machine a member applies its committed log
to: ``apply(request)`` answers every KV and Lease request of ``spec.kv``
(``LeaseExpire`` included: the leader proposes it when a lease's time is
up) exactly as the sequential model does, and ``tests/etcd`` holds it to
that. It is mutable and indexed where the model recomputes:

- a sorted list of every key with history, so a range is two bisections
  (etcd's treeIndex, server/storage/mvcc/index.go);
- per key, its changes oldest first with their revisions in a parallel
  list, so a read at a past revision is one bisection (key_index.go
  generations, flattened);
- per lease, the live keys attached to it (lessor.go ``itemSet``), so a
  revoke does not scan the store.

Writes of one request land at one revision; the operations of a txn see
the txn's earlier writes (mvcc ``storeTxnWrite``). The one txn that can
fail half-way (a put with ``ignore_value`` after a from-key delete removed
its key, see spec/kv.py and docs/findings.md) is undone from a log of what
it changed. What changed at each revision is kept for the watch hub
(``impl/etcd/watch.py``) in the same history.

Upstream: etcd-io/etcd server/storage/mvcc (kvstore.go, kvstore_txn.go,
key_index.go), server/etcdserver/txn (range.go, put.go, delete.go, txn.go),
server/etcdserver/api/v3rpc/key.go (request checks), server/lease/lessor.go.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import replace

from spec.kv import (
    ERR_COMPACTED,
    ERR_EMPTY_KEY,
    ERR_FUTURE_REV,
    ERR_KEY_NOT_FOUND,
    ERR_LEASE_EXIST,
    ERR_LEASE_NOT_FOUND,
    ERR_LEASE_TTL_TOO_LARGE,
    Change,
    CompactionRequest,
    CompactionResponse,
    Compare,
    CompareTarget,
    DeleteRangeRequest,
    DeleteRangeResponse,
    EtcdError,
    KeyValue,
    KVLimits,
    KVState,
    Lease,
    LeaseExpire,
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
    check_put,
    check_put_request,
    check_range_request,
    check_txn_put,
    check_txn_shape,
    compare_kv,
    read_revision,
)

_EVERY_KEY = b"\0"  # as range_end: every key >= key (mkGteRange)


class _Abort(Exception):
    def __init__(self, error: EtcdError) -> None:
        super().__init__(error.message)
        self.error = error


class EtcdStore:
    """The MVCC store and the lessor's replicated part (which leases exist, their TTL, their keys)."""

    def __init__(self, limits: KVLimits | None = None) -> None:
        self.limits = limits or KVLimits()
        self.revision = 1
        self.compact_revision = -1
        self._keys: list[bytes] = []  # sorted; every key with history
        self._changes: dict[bytes, list[Change]] = {}
        self._revisions: dict[bytes, list[int]] = {}
        self.leases: dict[int, int] = {}  # ID -> granted TTL
        self._lease_keys: dict[int, set[bytes]] = {}
        self.next_lease_id = 1
        # The write in progress: its sub-revision counter and how to undo it.
        self._writes = 0
        self._undo: list[Callable[[], None]] = []
        #: Called with the changes of each revision once it is written (the watch hub listens).
        self.on_commit: Callable[[int, list[Change]], None] | None = None
        self._committing: list[Change] = []

    # -- reads -------------------------------------------------------------------

    def get(self, key: bytes, revision: int = 0) -> KeyValue | None:
        """The pair ``key`` held at ``revision`` (0: the current one), compaction not checked."""
        revisions = self._revisions.get(key)
        if not revisions:
            return None
        at = revision if revision > 0 else self._current
        position = bisect.bisect_right(revisions, at)
        return self._changes[key][position - 1].kv if position else None

    def keys_in(self, key: bytes, range_end: bytes) -> Iterator[bytes]:
        """Every key with history selected by (key, range_end), in order."""
        if range_end == b"":
            if key in self._changes:
                yield key
            return
        start = bisect.bisect_left(self._keys, key)
        stop = len(self._keys) if range_end == _EVERY_KEY else bisect.bisect_left(self._keys, range_end)
        yield from self._keys[start:stop]

    def live(self, key: bytes, range_end: bytes, revision: int = 0) -> list[KeyValue]:
        found = (self.get(k, revision) for k in self.keys_in(key, range_end))
        return [kv for kv in found if kv is not None]

    def changes(self, key: bytes, range_end: bytes, first: int, last: int) -> list[Change]:
        """The changes on (key, range_end) with first <= revision <= last, in revision order."""
        picked: list[Change] = []
        for k in self.keys_in(key, range_end):
            revisions = self._revisions[k]
            changes = self._changes[k]
            start = bisect.bisect_left(revisions, first)
            stop = bisect.bisect_right(revisions, last)
            picked.extend(changes[start:stop])
        picked.sort(key=lambda c: (c.revision, c.sub))
        return picked

    def lease_keys(self, lease_id: int) -> list[bytes]:
        return sorted(self._lease_keys.get(lease_id, ()))

    def as_state(self) -> KVState:
        """The same store as the sequential model's ``KVState`` (a copy: for tests and checks, O(history))."""
        return KVState(
            revision=self.revision,
            compact_revision=self.compact_revision,
            history={key: tuple(self._changes[key]) for key in self._keys},
            leases={lease_id: Lease(lease_id, ttl) for lease_id, ttl in self.leases.items()},
            next_lease_id=self.next_lease_id,
            limits=self.limits,
        )

    @property
    def _current(self) -> int:
        """What reads see: inside a write, its revision once it wrote anything."""
        return self.revision + 1 if self._writes else self.revision

    # -- apply -----------------------------------------------------------------------

    def apply(self, request: Request) -> Response:
        """Apply one request: etcd's answer, the store changed as etcd's would be."""
        if isinstance(request, RangeRequest):
            return self._range_request(request)
        if isinstance(request, PutRequest):
            return self._checked_write(request, check_put_request(request) or check_put(self, request))
        if isinstance(request, DeleteRangeRequest):
            return self._checked_write(request, ERR_EMPTY_KEY if not request.key else None)
        if isinstance(request, TxnRequest):
            return self._txn(request)
        if isinstance(request, CompactionRequest):
            return self._compact(request)
        if isinstance(request, LeaseGrantRequest):
            return self._grant(request)
        if isinstance(request, LeaseRevokeRequest | LeaseExpire):
            return self._revoke(request.id)
        if isinstance(request, LeaseKeepAliveRequest):
            return LeaseKeepAliveResponse(self._header(), request.id, self.leases.get(request.id, 0))
        if isinstance(request, LeaseTimeToLiveRequest):
            return self._time_to_live(request)
        if isinstance(request, LeaseLeasesRequest):
            return LeaseLeasesResponse(self._header(), tuple(sorted(self.leases)))
        raise TypeError(f"not a request etcd takes: {request!r}")

    def _header(self) -> ResponseHeader:
        return ResponseHeader(self.revision)

    # -- range -----------------------------------------------------------------------

    def _range_request(self, request: RangeRequest) -> Response:
        return check_range_request(request) or self._execute_range(request)

    def _read_revision(self, requested: int) -> int | EtcdError:
        return read_revision(requested, self._current, self.compact_revision)

    def _execute_range(self, request: RangeRequest) -> RangeResponse | EtcdError:
        at = self._read_revision(request.revision)
        if isinstance(at, EtcdError):
            return at
        found = self.live(request.key, request.range_end, at)
        header = ResponseHeader(self._current)
        if request.count_only:
            return RangeResponse(header, count=len(found))
        kvs = [kv for kv in found if _within_filters(kv, request)]
        order, target = request.sort_order, request.sort_target
        if order == SortOrder.NONE and target != SortTarget.KEY:
            order = SortOrder.ASCEND
        if order != SortOrder.NONE:
            kvs.sort(key=_SORT_FIELD[target], reverse=order == SortOrder.DESCEND)
        more = 0 < request.limit < len(kvs)
        if more:
            kvs = kvs[: request.limit]
        if request.keys_only:
            kvs = [replace(kv, value=b"") for kv in kvs]
        return RangeResponse(header, kvs=tuple(kvs), more=more, count=len(found))

    # -- writes -----------------------------------------------------------------------

    def _checked_write(self, request: PutRequest | DeleteRangeRequest, error: EtcdError | None) -> Response:
        if error:
            return error
        response = self._write(lambda: self._execute_op(request))
        if isinstance(response, EtcdError):
            return response
        assert isinstance(response, PutResponse | DeleteRangeResponse)
        return response

    def _write(self, body: Callable[[], ResponseOp]) -> ResponseOp | EtcdError:
        """Run ``body`` as one write at the next revision; all of it or (on abort) none of it."""
        self._writes, self._undo, self._committing = 0, [], []
        try:
            response = body()
        except _Abort as abort:
            for undo in reversed(self._undo):
                undo()
            self._writes, self._undo, self._committing = 0, [], []
            return abort.error
        if self._writes:
            self.revision += 1
            changes = self._committing
            self._writes, self._undo, self._committing = 0, [], []
            if self.on_commit is not None:
                self.on_commit(self.revision, changes)
        return response

    def _execute_op(self, op: RequestOp) -> ResponseOp:
        if isinstance(op, RangeRequest):
            read = self._execute_range(op)
            assert isinstance(read, RangeResponse), "checked before the txn ran"
            return read
        if isinstance(op, PutRequest):
            return self._execute_put(op)
        if isinstance(op, DeleteRangeRequest):
            return self._execute_delete(op)
        return self._execute_txn(op, self._succeeds(op))

    def _execute_put(self, request: PutRequest) -> PutResponse:
        previous = self.get(request.key)
        if (request.ignore_value or request.ignore_lease) and previous is None:
            raise _Abort(ERR_KEY_NOT_FOUND)
        value = previous.value if request.ignore_value and previous else request.value
        lease = previous.lease if request.ignore_lease and previous else request.lease
        revision = self.revision + 1
        kv = KeyValue(
            key=request.key,
            create_revision=previous.create_revision if previous else revision,
            mod_revision=revision,
            version=previous.version + 1 if previous else 1,
            value=value,
            lease=lease,
        )
        self._record(request.key, kv, previous)
        return PutResponse(ResponseHeader(revision), previous if request.prev_kv else None)

    def _execute_delete(self, request: DeleteRangeRequest) -> DeleteRangeResponse:
        doomed = self.live(request.key, request.range_end)
        for kv in doomed:
            self._record(kv.key, None, kv)
        return DeleteRangeResponse(
            ResponseHeader(self._current),
            deleted=len(doomed),
            prev_kvs=tuple(doomed) if request.prev_kv else (),
        )

    def _record(self, key: bytes, kv: KeyValue | None, previous: KeyValue | None) -> None:
        """Append one change at the next revision, with how to undo it."""
        change = Change(self.revision + 1, self._writes, key, kv)
        self._writes += 1
        self._committing.append(change)
        if key not in self._changes:
            bisect.insort(self._keys, key)
            self._changes[key], self._revisions[key] = [], []
        self._changes[key].append(change)
        self._revisions[key].append(change.revision)
        self._attach(key, previous.lease if previous else 0, kv.lease if kv else 0)

        def undo() -> None:
            self._changes[key].pop()
            self._revisions[key].pop()
            if not self._changes[key]:
                del self._changes[key], self._revisions[key]
                self._keys.remove(key)
            self._attach(key, kv.lease if kv else 0, previous.lease if previous else 0)

        self._undo.append(undo)

    def _attach(self, key: bytes, old_lease: int, new_lease: int) -> None:
        if old_lease:
            self._lease_keys.get(old_lease, set()).discard(key)
        if new_lease:
            self._lease_keys.setdefault(new_lease, set()).add(key)

    # -- txn -------------------------------------------------------------------------

    def _txn(self, request: TxnRequest) -> Response:
        error = check_txn_shape(request, self.limits.max_txn_ops) or self._check_taken_branch(request)
        if error:
            return error
        succeeded = self._succeeds(request)  # against the store before the txn, nested ones too
        response = self._write(lambda: self._execute_txn(request, succeeded))
        if isinstance(response, EtcdError):
            return response
        assert isinstance(response, TxnResponse)
        return replace(response, header=self._header())

    def _compare_holds(self, compare: Compare) -> bool:
        kvs = self.live(compare.key, compare.range_end)
        if not kvs:
            return compare.target != CompareTarget.VALUE and compare_kv(compare, KeyValue(compare.key))
        return all(compare_kv(compare, kv) for kv in kvs)

    def _succeeds(self, request: TxnRequest) -> bool:
        return all(self._compare_holds(compare) for compare in request.compare)

    def _taken_ops(self, request: TxnRequest) -> list[RequestOp]:
        ops: list[RequestOp] = []
        for op in request.success if self._succeeds(request) else request.failure:
            ops += self._taken_ops(op) if isinstance(op, TxnRequest) else [op]
        return ops

    def _check_taken_branch(self, request: TxnRequest) -> EtcdError | None:
        """etcd 3.4/3.5 apply.go Txn: every put the compares select first (ignore_* before the lease),
        then every range (spec/kv.py, decisions)."""
        ops = self._taken_ops(request)
        for op in ops:
            error = check_txn_put(self, op) if isinstance(op, PutRequest) else None
            if error:
                return error
        for op in ops:
            if isinstance(op, RangeRequest) and op.revision > 0:
                at = self._read_revision(op.revision)
                if isinstance(at, EtcdError):
                    return at
        return None

    def _execute_txn(self, request: TxnRequest, succeeded: bool) -> TxnResponse:
        responses: list[ResponseOp] = []
        # Nested txns choose their branch against the store before the whole txn.
        nested = {id(op): self._succeeds(op) for op in _nested_txns(request, succeeded)}
        for op in request.success if succeeded else request.failure:
            if isinstance(op, TxnRequest):
                responses.append(self._execute_nested(op, nested))
            else:
                responses.append(self._execute_op(op))
        return TxnResponse(ResponseHeader(0), succeeded, tuple(responses))

    def _execute_nested(self, request: TxnRequest, nested: dict[int, bool]) -> TxnResponse:
        succeeded = nested[id(request)]
        responses: list[ResponseOp] = []
        for op in request.success if succeeded else request.failure:
            if isinstance(op, TxnRequest):
                responses.append(self._execute_nested(op, nested))
            else:
                responses.append(self._execute_op(op))
        return TxnResponse(ResponseHeader(0), succeeded, tuple(responses))

    # -- compaction --------------------------------------------------------------------

    def _compact(self, request: CompactionRequest) -> Response:
        if request.revision <= self.compact_revision:
            return ERR_COMPACTED
        if request.revision > self.revision:
            return ERR_FUTURE_REV
        at = request.revision
        self.compact_revision = at
        for key in list(self._keys):
            changes, revisions = self._changes[key], self._revisions[key]
            cut = bisect.bisect_left(revisions, at)  # changes before the compact revision
            keep_from = cut
            has_change_at = cut < len(revisions) and revisions[cut] == at
            if cut and changes[cut - 1].kv is not None and not has_change_at:
                keep_from = cut - 1  # the pair live at the compact revision
            if keep_from:
                del changes[:keep_from], revisions[:keep_from]
            if not changes:
                del self._changes[key], self._revisions[key]
                self._keys.remove(key)
        return CompactionResponse(self._header())

    # -- leases -----------------------------------------------------------------------

    def _grant(self, request: LeaseGrantRequest) -> Response:
        lease_id = request.id
        if not lease_id:
            lease_id = self.next_lease_id
            while lease_id in self.leases:
                lease_id += 1
        if request.ttl > self.limits.max_lease_ttl:
            return ERR_LEASE_TTL_TOO_LARGE
        if lease_id in self.leases:
            return ERR_LEASE_EXIST
        ttl = max(request.ttl, self.limits.min_lease_ttl)
        self.leases[lease_id] = ttl
        if not request.id:
            self.next_lease_id = lease_id + 1
        return LeaseGrantResponse(self._header(), lease_id, ttl)

    def _revoke(self, lease_id: int) -> Response:
        if lease_id not in self.leases:
            return ERR_LEASE_NOT_FOUND

        def delete_attached() -> DeleteRangeResponse:
            for key in self.lease_keys(lease_id):
                previous = self.get(key)
                self._record(key, None, previous)
            return DeleteRangeResponse(ResponseHeader(0))

        self._write(delete_attached)
        del self.leases[lease_id]
        self._lease_keys.pop(lease_id, None)
        return LeaseRevokeResponse(self._header())

    def _time_to_live(self, request: LeaseTimeToLiveRequest) -> LeaseTimeToLiveResponse:
        ttl = self.leases.get(request.id)
        if ttl is None:
            return LeaseTimeToLiveResponse(self._header(), request.id, ttl=-1)
        keys = tuple(self.lease_keys(request.id)) if request.keys else ()
        return LeaseTimeToLiveResponse(self._header(), request.id, ttl, ttl, keys)


# -- helpers that need no store --------------------------------------------------------


def _within_filters(kv: KeyValue, request: RangeRequest) -> bool:
    return not (
        (request.max_mod_revision and kv.mod_revision > request.max_mod_revision)
        or (request.min_mod_revision and kv.mod_revision < request.min_mod_revision)
        or (request.max_create_revision and kv.create_revision > request.max_create_revision)
        or (request.min_create_revision and kv.create_revision < request.min_create_revision)
    )


_SORT_FIELD: dict[SortTarget, Callable[[KeyValue], bytes | int]] = {
    SortTarget.KEY: lambda kv: kv.key,
    SortTarget.VERSION: lambda kv: kv.version,
    SortTarget.CREATE: lambda kv: kv.create_revision,
    SortTarget.MOD: lambda kv: kv.mod_revision,
    SortTarget.VALUE: lambda kv: kv.value,
}


def _nested_txns(request: TxnRequest, succeeded: bool) -> Iterator[TxnRequest]:
    """Every txn nested in the branch ``succeeded`` picks, at any depth (each with its own pick
    made later: both its branches are listed)."""
    for op in request.success if succeeded else request.failure:
        if isinstance(op, TxnRequest):
            yield op
            yield from _nested_txns(op, True)
            yield from _nested_txns(op, False)
