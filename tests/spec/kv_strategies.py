"""Hypothesis strategies for spec/kv.py requests, drawn without looking at any state: the model's
tests and the reference etcd's differential tests use them (the kv suite draws state-aware
requests from conformance/strategies/kv.py, whose keys, values, ranges, puts and deletes these
share).

Revisions and lease IDs come from small numbers so that they hit existing,
compacted and future revisions and known and unknown leases; ranges, compares
and txns are drawn freely (a negative revision in a txn, every compare field
set, a txn that would crash real etcd): the model must answer anything,
errors included, where the suite steers clear of what real etcd answers
otherwise.
"""

from __future__ import annotations

from hypothesis import strategies as st

# The atoms (keys, values, ranges, deletes, puts) are the suite's; what is state-free is drawn here.
from conformance.strategies.kv import (
    delete_requests,
    key_ranges,
    keys,
    rarely,
    values,
)
from conformance.strategies.kv import put_requests as suite_put_requests
from spec.kv import (
    CompactionRequest,
    Compare,
    CompareResult,
    CompareTarget,
    LeaseExpire,
    LeaseGrantRequest,
    LeaseKeepAliveRequest,
    LeaseLeasesRequest,
    LeaseRevokeRequest,
    LeaseTimeToLiveRequest,
    PutRequest,
    RangeRequest,
    Request,
    RequestOp,
    SortOrder,
    SortTarget,
    TxnRequest,
    WatchCreateRequest,
    WatchFilter,
)

LEASE_IDS = (1, 2, 3, 4)  # granted IDs are 1, 2, 3 mostly: 4 stays unknown more often

lease_ids = st.sampled_from(LEASE_IDS)
revisions = st.integers(-1, 12)


@st.composite
def range_requests(draw: st.DrawFn) -> RangeRequest:
    key, range_end = draw(key_ranges())
    return RangeRequest(
        key,
        range_end,
        limit=draw(st.sampled_from([0, 0, 1, 2])),
        revision=draw(st.one_of(st.just(0), revisions)),
        sort_order=draw(st.sampled_from(SortOrder)),
        sort_target=draw(st.sampled_from(SortTarget)),
        keys_only=draw(st.booleans()),
        count_only=draw(st.booleans()),
        min_mod_revision=draw(st.sampled_from([0, 0, 3])),
        max_create_revision=draw(st.sampled_from([0, 0, 4])),
    )


def put_requests() -> st.SearchStrategy[PutRequest]:
    """The suite's puts, with this module's lease IDs (and the suite's never-granted one)."""
    return suite_put_requests(LEASE_IDS)


@st.composite
def compares(draw: st.DrawFn) -> Compare:
    key, range_end = draw(st.one_of(st.tuples(keys, st.just(b"")), key_ranges()))
    number = draw(st.integers(0, 6))
    return Compare(
        key,
        draw(st.sampled_from(CompareTarget)),
        draw(st.sampled_from(CompareResult)),
        range_end,
        version=number,
        create_revision=number,
        mod_revision=number,
        value=draw(values),
        lease=draw(lease_ids),
    )


def request_ops(depth: int = 2) -> st.SearchStrategy[RequestOp]:
    plain: list[st.SearchStrategy[RequestOp]] = [
        range_requests(),
        put_requests(),
        put_requests(),
        delete_requests(),
    ]
    if depth == 0:
        return st.one_of(plain)
    return st.one_of([*plain, txn_requests(depth - 1)])


@st.composite
def txn_requests(draw: st.DrawFn, depth: int = 2) -> TxnRequest:
    ops = st.lists(request_ops(depth), max_size=3).map(tuple)
    return TxnRequest(draw(st.lists(compares(), max_size=2).map(tuple)), draw(ops), draw(ops))


lease_grants = st.builds(
    LeaseGrantRequest, st.sampled_from([60, 60, 60, 1, -1, 9_000_000_001]), st.sampled_from((0, 1, 2, 3))
)
lease_requests: st.SearchStrategy[Request] = st.one_of(
    lease_grants,
    st.builds(LeaseRevokeRequest, lease_ids),
    st.builds(LeaseExpire, lease_ids),
    st.builds(LeaseKeepAliveRequest, lease_ids),
    st.builds(LeaseTimeToLiveRequest, lease_ids, st.booleans()),
    st.just(LeaseLeasesRequest()),
)

requests: st.SearchStrategy[Request] = st.one_of(
    range_requests(),
    put_requests(),
    put_requests(),
    put_requests(),
    put_requests(),
    delete_requests(),
    txn_requests(),
    txn_requests(),
    st.builds(CompactionRequest, revisions),
    lease_grants,
    lease_requests,
)

#: Writes, mostly ones that succeed: a history for watches to watch.
plain_puts = st.builds(PutRequest, keys, values)
writes: st.SearchStrategy[Request] = st.one_of(
    plain_puts,
    plain_puts,
    plain_puts,
    st.builds(PutRequest, keys, values, lease=st.sampled_from([1, 2])),
    put_requests(),
    delete_requests(),
    txn_requests(),
    st.builds(LeaseGrantRequest, st.just(60), st.sampled_from([1, 2])),
    st.builds(LeaseRevokeRequest, lease_ids),
)


@st.composite
def watch_requests(draw: st.DrawFn) -> WatchCreateRequest:
    key, range_end = draw(key_ranges())
    return WatchCreateRequest(
        key,
        range_end,
        start_revision=draw(st.integers(1, 6)),
        filters=(draw(st.sampled_from(WatchFilter)),) if draw(rarely) else (),
        prev_kv=draw(st.booleans()),
    )
