"""Hypothesis strategies for the kv suite: requests over a small key space, aware of the store.

Keys come from a pool of five so that ranges, compares, deletes, leases and
watches keep meeting each other (every range form etcd knows: one key, a
range, a prefix, from a key, everything). Revisions are drawn around the
store's current one (compacted, current, future), lease IDs among the model's
granted ones plus one never granted, so that requests hit both the answers and
the errors of spec/kv.py. Lease IDs are the model's; the machine maps them to
the implementation's.

Two shapes are never generated, because real etcd is known to answer them
otherwise (docs/findings.md; each has its own reproduction instead): a range
with a negative revision inside a txn, and a txn that deletes with range_end
"\\0" and puts with ignore_value or ignore_lease (it crashes etcd for good).
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from spec.kv import (
    Compare,
    CompareResult,
    CompareTarget,
    DeleteRangeRequest,
    PutRequest,
    RangeRequest,
    RequestOp,
    SortOrder,
    SortTarget,
    TxnRequest,
    WatchCreateRequest,
    WatchFilter,
    prefix_end,
)

KEYS = (b"a", b"a/1", b"a/2", b"b", b"c\xff")
VALUES = (b"", b"x", b"y")
#: A lease ID the model never grants (explicit grants use IDs from ``EXPLICIT_LEASE_IDS``).
UNKNOWN_LEASE = 999
EXPLICIT_LEASE_IDS = (1000, 1001)

keys = st.sampled_from(KEYS)
values = st.sampled_from(VALUES)
rarely = st.sampled_from([False] * 5 + [True])
sometimes = st.sampled_from([False, False, True])


@st.composite
def key_ranges(draw: st.DrawFn, *, nonempty: bool = False) -> tuple[bytes, bytes]:
    """(key, range_end) in every form etcd knows; ``nonempty``: never a range with end <= key."""
    key = draw(keys)
    form = draw(st.sampled_from(["key", "range", "prefix", "from", "all"]))
    if form == "key":
        return key, b""
    if form == "range":
        end = draw(keys)
        return (min(key, end), max(key, end) + b"\0") if nonempty else (key, end)
    if form == "prefix":
        return key, prefix_end(key)
    if form == "from":
        return key, b"\0"
    return b"\0", b"\0"


def revisions(current: int, compact: int) -> st.SearchStrategy[int]:
    """Mostly 0 (the latest), else around what exists: compacted, kept, current and future ones."""
    low = max(compact - 1, -1)
    return st.one_of(st.just(0), st.integers(low, current + 1), st.sampled_from([current, current + 2]))


def lease_choices(granted: Sequence[int]) -> st.SearchStrategy[int]:
    """A lease ID to use: one the model granted (revoked ones too), or one it never granted."""
    return st.sampled_from([*granted, UNKNOWN_LEASE]) if granted else st.just(UNKNOWN_LEASE)


@st.composite
def range_requests(draw: st.DrawFn, current: int, compact: int, *, in_txn: bool = False) -> RangeRequest:
    key, range_end = draw(key_ranges())
    revision = draw(revisions(current, compact))
    sort_target = draw(st.sampled_from(SortTarget))
    limit = draw(st.sampled_from([0, 0, 1, 2]))
    if in_txn:
        revision = max(revision, 0)  # finding: a negative revision in a txn fails as compacted
        if sort_target != SortTarget.KEY:
            limit = 0  # which of tied keys a limit keeps is open; inside a txn nothing else tells
    return RangeRequest(
        key,
        range_end,
        limit=limit,
        revision=revision,
        sort_order=draw(st.sampled_from(SortOrder)),
        sort_target=sort_target,
        serializable=draw(rarely),
        keys_only=draw(rarely),
        count_only=draw(rarely),
        min_mod_revision=draw(st.sampled_from([0, 0, 0, max(current - 1, 1)])),
        max_mod_revision=draw(st.sampled_from([0, 0, 0, current])),
        min_create_revision=draw(st.sampled_from([0, 0, 0, 2])),
        max_create_revision=draw(st.sampled_from([0, 0, 0, max(current - 1, 1)])),
    )


@st.composite
def put_requests(draw: st.DrawFn, leases: Sequence[int]) -> PutRequest:
    """Mostly valid puts; now and then ignore_* (with a value or lease that contradicts it), a lease."""
    ignore_value = draw(rarely)
    ignore_lease = draw(rarely)
    value = draw(values) if not ignore_value or draw(rarely) else b""
    lease = draw(lease_choices(leases)) if draw(sometimes) and (not ignore_lease or draw(rarely)) else 0
    return PutRequest(
        draw(keys),
        value,
        lease=lease,
        prev_kv=draw(st.booleans()),
        ignore_value=ignore_value,
        ignore_lease=ignore_lease,
    )


@st.composite
def delete_requests(draw: st.DrawFn) -> DeleteRangeRequest:
    key, range_end = draw(key_ranges())
    return DeleteRangeRequest(key, range_end, prev_kv=draw(st.booleans()))


@st.composite
def compares(draw: st.DrawFn, current: int, leases: Sequence[int]) -> Compare:
    """Every target and result, on a key or a range.

    Lease IDs compare by order only against 0: the model's IDs and the implementation's are
    mapped one to one, but not in the same order."""
    key, range_end = draw(st.one_of(st.tuples(keys, st.just(b"")), key_ranges()))
    target = draw(st.sampled_from(CompareTarget))
    result = draw(st.sampled_from(CompareResult))
    number = draw(st.integers(0, current + 1))
    lease = 0
    if target == CompareTarget.LEASE and result in (CompareResult.EQUAL, CompareResult.NOT_EQUAL):
        lease = draw(st.one_of(st.just(0), lease_choices(leases)))
    return Compare(
        key,
        target,
        result,
        range_end,
        version=number if target == CompareTarget.VERSION else 0,
        create_revision=number if target == CompareTarget.CREATE else 0,
        mod_revision=number if target == CompareTarget.MOD else 0,
        value=draw(values) if target == CompareTarget.VALUE else b"",
        lease=lease,
    )


def request_ops(
    current: int, compact: int, leases: Sequence[int], depth: int
) -> st.SearchStrategy[RequestOp]:
    plain: list[st.SearchStrategy[RequestOp]] = [
        range_requests(current, compact, in_txn=True),
        put_requests(leases),
        put_requests(leases),
        delete_requests(),
    ]
    if depth == 0:
        return st.one_of(plain)
    return st.one_of([*plain, txn_requests(current, compact, leases, depth - 1)])


def txn_requests(
    current: int, compact: int, leases: Sequence[int], depth: int = 2
) -> st.SearchStrategy[TxnRequest]:
    ops = st.lists(request_ops(current, compact, leases, depth), max_size=3).map(tuple)
    txns = st.builds(TxnRequest, st.lists(compares(current, leases), max_size=2).map(tuple), ops, ops)
    return txns.filter(lambda txn: not crashes_etcd(txn))


def _ops(txn: TxnRequest) -> list[RequestOp]:
    found: list[RequestOp] = []
    for op in (*txn.success, *txn.failure):
        found += _ops(op) if isinstance(op, TxnRequest) else [op]
    return found


def crashes_etcd(txn: TxnRequest) -> bool:
    """Could ``txn`` be the one that panics etcd's apply loop (docs/findings.md, the first etcd entry)?

    A delete with range_end "\\0" and a put with ignore_value or ignore_lease anywhere in it: a
    superset of the txns that crash it (those where the delete removes the put's key first)."""
    ops = _ops(txn)
    deletes_from = any(isinstance(op, DeleteRangeRequest) and op.range_end == b"\0" for op in ops)
    ignores = any(isinstance(op, PutRequest) and (op.ignore_value or op.ignore_lease) for op in ops)
    return deletes_from and ignores


@st.composite
def watch_requests(draw: st.DrawFn, current: int, compact: int) -> WatchCreateRequest:
    """Watches of every range form (never an empty one), from now, from a kept revision, from a
    compacted one when there is one, or from the next revisions; filters now and then."""
    key, range_end = draw(key_ranges(nonempty=True))
    starts = [0, 0, 1, current, current + 1]
    if compact > 1:
        starts.append(compact - 1)
    start = draw(st.one_of(st.sampled_from(starts), st.integers(max(compact, 1), current + 1)))
    return WatchCreateRequest(
        key,
        range_end,
        start_revision=start,
        filters=(draw(st.sampled_from(WatchFilter)),) if draw(rarely) else (),
        prev_kv=draw(st.booleans()),
    )
