"""The reference etcd replicated by the reference Raft in the simulator (impl/etcd/sim.py)."""

from __future__ import annotations

import pytest

from impl.etcd.sim import SECOND, SimulatedEtcdCluster, SimulatedEtcdProvider
from spec.kv import (
    DeleteRangeRequest,
    EventType,
    Indeterminate,
    LeaseGrantRequest,
    LeaseGrantResponse,
    LeaseKeepAliveRequest,
    LeaseTimeToLiveRequest,
    PutRequest,
    PutResponse,
    RangeRequest,
    RangeResponse,
    Unavailable,
    WatchCreateRequest,
)


def cluster(seed: int = 1, size: int = 3) -> SimulatedEtcdCluster:
    c = SimulatedEtcdProvider().new_cluster(size=size, entropy=seed)
    c.advance(SECOND)  # elect a leader
    return c


def values(response: object) -> list[bytes]:
    assert isinstance(response, RangeResponse), response
    return [kv.value for kv in response.kvs]


def test_writes_through_any_member_are_read_linearizably_everywhere() -> None:
    c = cluster()
    for i, member in enumerate(c.members()):
        response = c.client(member).call(PutRequest(b"k", f"v{i}".encode()))
        assert isinstance(response, PutResponse) and response.header.revision == i + 2
    for member in c.members():
        assert values(c.client(member).call(RangeRequest(b"k"))) == [b"v2"]


def test_a_serializable_read_on_a_cut_off_follower_is_stale_and_a_linearizable_one_is_not() -> None:
    c = cluster()
    leader = c.leader()
    assert leader is not None
    follower = next(m for m in c.members() if m != leader)
    c.client().call(PutRequest(b"k", b"old"))
    c.advance(SECOND)
    c.partition([[follower], [m for m in c.members() if m != follower]])
    c.client().call(PutRequest(b"k", b"new"))
    stale = c.client(follower).call(RangeRequest(b"k", serializable=True))
    assert values(stale) == [b"old"]  # allowed: serializable reads may be stale
    assert values(c.client(follower).call(RangeRequest(b"k"))) == [b"new"]


def test_acknowledged_writes_survive_crashing_every_member() -> None:
    c = cluster()
    acknowledged = []
    for i in range(20):
        c.client().call(PutRequest(f"k{i:02}".encode(), b"v"))
        acknowledged.append(f"k{i:02}".encode())
    for member in c.members():
        c.crash(member)
    for member in c.members():
        c.restart(member)
    c.advance(SECOND)
    response = c.client().call(RangeRequest(b"k", b"l"))
    assert isinstance(response, RangeResponse)
    assert [kv.key for kv in response.kvs] == acknowledged


def test_without_a_quorum_a_write_is_unavailable_or_indeterminate() -> None:
    c = cluster()
    leader = c.leader()
    assert leader is not None
    others = [m for m in c.members() if m != leader]
    for member in others:
        c.crash(member)
    with pytest.raises((Unavailable, Indeterminate)):
        c.client().call(PutRequest(b"k", b"v"))


@pytest.mark.requirement("KV-LEASE-EXPIRY", "KV-LEASE-REVOKE-ATOMIC")
def test_an_expired_lease_deletes_its_keys_at_one_revision_and_keepalive_defers_it() -> None:
    c = cluster()
    client = c.client()
    granted = client.call(LeaseGrantRequest(5))
    assert isinstance(granted, LeaseGrantResponse)
    for key in (b"a", b"b"):
        client.call(PutRequest(key, b"v", lease=granted.id))
    watch = client.watch(WatchCreateRequest(b"\0", b"\0"))
    for _ in range(4):  # 8 s of keepalives every 2 s keep a 5 s lease
        c.advance(2 * SECOND)
        client.call(LeaseKeepAliveRequest(granted.id))
    assert values(client.call(RangeRequest(b"a"))) == [b"v"]
    c.advance(7 * SECOND)
    assert values(client.call(RangeRequest(b"\0", b"\0"))) == []
    gone = client.call(LeaseTimeToLiveRequest(granted.id))
    assert gone.ttl == -1  # type: ignore[union-attr]
    deletes = [r for r in watch.receive(0) if any(e.type == EventType.DELETE for e in r.events)]
    assert len(deletes) == 1 and [e.kv.key for e in deletes[0].events] == [b"a", b"b"]


def test_a_watch_on_a_follower_sees_every_write_in_order_across_a_leader_crash() -> None:
    c = cluster(seed=3)
    leader = c.leader()
    follower = next(m for m in c.members() if m != leader)
    stream = c.client(follower).watch(WatchCreateRequest(b"k", b"l"))
    written = []
    for i in range(10):
        if i == 5:
            assert leader is not None
            c.crash(leader)
        key = f"k{i}".encode()
        try:
            c.client().call(PutRequest(key, b"v"))
            written.append(key)
        except (Unavailable, Indeterminate):
            pass
        c.advance(SECOND // 10)
    c.advance(SECOND)
    received = [e for r in stream.receive(0.1) for e in r.events]
    assert [e.kv.key for e in received if e.kv.key in written] == written
    revisions = [e.revision for e in received]
    assert revisions == sorted(revisions) and len(set(revisions)) == len(revisions)


def test_deleting_nothing_is_answered_without_a_new_revision() -> None:
    c = cluster()
    response = c.client().call(DeleteRangeRequest(b"nothing"))
    assert response.header.revision == 1  # type: ignore[union-attr]
