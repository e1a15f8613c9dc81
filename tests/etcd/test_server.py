"""The reference etcd in real mode (impl/etcd/server.py, ``python -m kspec etcd``): its flags, its
wire types, and clusters of real member processes driven through the gateway client real etcd is
driven through (impl/peers/etcd.py ``reference_provider``, impl/peers/etcd_gateway.py).

Every wait is bounded (the client's timeout, the cluster's startup timeout, explicit deadlines);
every cluster is closed in ``finally`` and at interpreter exit, which kills its processes and
removes its directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.strategies.kv import txn_requests
from impl.etcd.flags import parse_flags
from impl.etcd.lessor import SECOND, LeaderLessor
from impl.etcd.peer import PeerAsk, Proposal
from impl.etcd.server import EtcdServer
from impl.peers.etcd import EtcdCluster, reference_provider
from impl.peers.etcd_gateway import get_json
from impl.raft import wire
from spec.kv import (
    Compare,
    CompareResult,
    CompareTarget,
    EtcdError,
    Indeterminate,
    KVLimits,
    KVState,
    KVStore,
    LeaseGrantRequest,
    LeaseGrantResponse,
    LeaseKeepAliveRequest,
    LeaseKeepAliveResponse,
    LeaseRevokeRequest,
    LeaseTimeToLiveRequest,
    PutRequest,
    PutResponse,
    RangeRequest,
    RangeResponse,
    TxnRequest,
    TxnResponse,
    Unavailable,
    WatchCreateRequest,
    WatchResponse,
)

ROOT = Path(__file__).resolve().parents[2]


# -- flags -------------------------------------------------------------------------------------------


def test_flags_take_etcds_spellings_and_defaults() -> None:
    cluster = "a=http://127.0.0.1:2380,b=http://127.0.0.1:3380"
    flags = parse_flags(
        [
            "--name=a",
            "--data-dir",
            "/tmp/x",
            "-listen-client-urls=http://127.0.0.1:2379,http://127.0.0.2:2379",
            "--initial-advertise-peer-urls",
            "http://127.0.0.1:2380",
            "--listen-peer-urls=http://0.0.0.0:2380",
            f"--initial-cluster={cluster}",
            "--initial-cluster-state",
            "existing",
            "--heartbeat-interval=25",
            "--election-timeout",
            "250",
            "--max-txn-ops=7",
            "--log-level=warn",
        ]
    )
    assert flags is not None
    assert flags.name == "a" and flags.data_dir == "/tmp/x" and flags.initial_cluster_state == "existing"
    assert flags.listen_client == (("127.0.0.1", 2379), ("127.0.0.2", 2379))
    assert flags.listen_peer == ("0.0.0.0", 2380)
    assert flags.initial_cluster == {"a": ("127.0.0.1", 2380), "b": ("127.0.0.1", 3380)}
    assert (flags.heartbeat_ms, flags.election_ms, flags.max_txn_ops) == (25, 250, 7)
    defaults = parse_flags(["--name", "solo"])
    assert defaults is not None
    assert defaults.data_dir == "solo.etcd" and defaults.initial_cluster == {"solo": ("localhost", 2380)}
    assert (defaults.heartbeat_ms, defaults.election_ms, defaults.max_txn_ops) == (100, 1000, 128)


def test_a_txn_its_shape_condemns_is_refused_before_it_is_proposed(tmp_path: Path) -> None:
    """As etcd's v3rpc layer: a member that has not even booted Raft (no leader, so a proposal would wait
    and end "no leader") answers a txn over --max-txn-ops, or one that writes a key twice, at once."""
    flags = parse_flags(["--name=solo", f"--data-dir={tmp_path}", "--max-txn-ops=3"])
    assert flags is not None
    server = EtcdServer(flags)
    read = RangeRequest(b"a")
    too_many = TxnRequest(success=(read,) * 4)
    twice = TxnRequest(success=(PutRequest(b"a", b"1"), PutRequest(b"a", b"2")))
    for txn in (too_many, twice):
        started = time.monotonic()
        answer = asyncio.run(server.serve(txn))
        assert answer == KVStore(KVState(limits=KVLimits(max_txn_ops=3))).apply(txn), answer
        assert isinstance(answer, EtcdError) and time.monotonic() - started < server.leader_wait_s / 2


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--no-such-flag=1"], "unrecognized arguments"),
        (["--name"], "expected one argument"),
        (["--heartbeat-interval=fast"], "not an integer"),
        (["--max-txn-ops=0"], "must be positive"),
        (["--initial-cluster-state=maybe"], "invalid choice"),
        (["--log-level=loud"], "invalid choice"),
        (["--heartbeat-interval=100", "--election-timeout=400"], "at least as 5 times"),
        (["--election-timeout=60000"], "less than 50000ms"),
        (["--name=x", "--initial-cluster=y=http://127.0.0.1:2380"], "couldn't find local name"),
        (["--initial-cluster=default=http://127.0.0.1:9"], "--initial-advertise-peer-urls is"),
        (["--initial-cluster=default"], "is not name=URL"),
        (["--listen-client-urls=https://127.0.0.1:2379"], "only http://"),
        (["--listen-client-urls=http://127.0.0.1"], "needs a host and a port"),
        (["--listen-client-urls=http://127.0.0.1:99999"], "not a URL"),
        (["--listen-peer-urls=http://127.0.0.1:2380/path"], "must not have a path"),
        (["--election"], "unrecognized arguments"),  # no abbreviations: etcd has none
    ],
)
def test_a_bad_flag_is_an_error_with_exit_status_2(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_flags(argv)
    assert exited.value.code == 2
    assert says in capsys.readouterr().err


def test_the_command_line_exits_2_on_a_bad_flag_and_prints_the_version() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    bad = subprocess.run(
        [sys.executable, "-m", "kspec", "etcd", "--listen-client-url", "http://127.0.0.1:1"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert bad.returncode == 2 and "unrecognized arguments" in bad.stderr
    version = subprocess.run(
        [sys.executable, "-m", "kspec", "etcd", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert version.returncode == 0 and version.stdout.startswith("etcd Version: ")


# -- what members say to each other and keep -------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_every_write_a_member_proposes_survives_the_wire(data: st.DataObject) -> None:
    txn = data.draw(txn_requests(5, 1, [1, 2]))
    for request in (txn, PutRequest(b"k", b"\0v", lease=3), LeaseGrantRequest(10, 7), LeaseRevokeRequest(7)):
        proposal = Proposal("n1", 2**62 + 5, request)
        assert wire.decode(wire.encode(proposal)) == proposal
        ask = PeerAsk("n2", "n1", 9, "propose", proposal)
        assert wire.decode(wire.encode(ask)) == ask
    compare = Compare(b"k", CompareTarget.MOD, CompareResult.LESS, mod_revision=3)
    decoded = wire.decode(wire.encode(compare))
    assert type(decoded.target) is CompareTarget and type(decoded.result) is CompareResult


def test_an_unknown_enum_on_the_wire_is_refused() -> None:
    with pytest.raises(wire.WireError):
        wire.decode(b'{"e":"CompareTarget","v":99}')
    with pytest.raises(wire.WireError):
        wire.decode(b'{"e":"NoSuchEnum","v":1}')


# -- the lessor, sans IO ---------------------------------------------------------------------------


def test_the_leaders_lease_clock() -> None:
    lessor = LeaderLessor()
    leases = {1: 2, 2: 5}
    assert lessor.due(0, term=3, leases=leases) == []
    assert lessor.due(2 * SECOND - 1, term=3, leases=leases) == []
    lessor.keepalive(SECOND, LeaseKeepAliveRequest(1), leases, revision=1)  # renewed to 3 s
    assert lessor.due(2 * SECOND, term=3, leases=leases) == []
    assert lessor.due(3 * SECOND, term=3, leases=leases) == [1]
    assert lessor.due(3 * SECOND + SECOND // 2, term=3, leases=leases) == []  # proposed a moment ago
    assert lessor.due(4 * SECOND + 1, term=3, leases=leases) == [1]  # still there: again
    assert lessor.due(5 * SECOND, term=3, leases={2: 5}) == [2]
    # A new term restarts every lease at a full TTL.
    assert lessor.due(6 * SECOND, term=4, leases={2: 5}) == []
    assert lessor.due(11 * SECOND, term=4, leases={2: 5}) == [2]
    lessor.demote()
    assert lessor.deadlines == {} and lessor.expiring == {}
    unknown = lessor.keepalive(0, LeaseKeepAliveRequest(9), leases, revision=4)
    assert unknown == LeaseKeepAliveResponse(unknown.header, 9, 0) and lessor.deadlines == {}


# -- real member processes -------------------------------------------------------------------------


@contextlib.contextmanager
def new_cluster(size: int, **settings: float) -> Iterator[EtcdCluster]:
    """A cluster of ``size`` member processes; on failure its timeline and log tails are printed."""
    cluster = reference_provider(**settings).new_cluster(size=size)
    try:
        yield cluster
    except BaseException:
        print(cluster.timeline())
        raise
    finally:
        cluster.close()  # every member process and the directory, not only at interpreter exit


def receive_events(stream: object, count: int, within_s: float) -> list[WatchResponse]:
    deadline = time.monotonic() + within_s
    received: list[WatchResponse] = []
    while time.monotonic() < deadline and sum(len(r.events) for r in received) < count:
        received += stream.receive(0.2)  # type: ignore[attr-defined]
    return received


def test_one_member_answers_as_the_model_and_recovers_from_its_wal() -> None:
    with new_cluster(1, client_timeout_s=2.0) as cluster:
        address = cluster.client_addresses["n1"]
        assert get_json(address, "/health", timeout_s=2.0) == {"health": "true", "reason": ""}
        assert get_json(address, "/version", timeout_s=2.0)["etcdserver"].startswith("3.5")
        client, model = cluster.client(), KVStore()
        stream = client.watch(WatchCreateRequest(b"a", b"b", prev_kv=True))
        txn = TxnRequest(
            (Compare(b"a", CompareTarget.VALUE, CompareResult.EQUAL, value=b"2"),),
            (PutRequest(b"ab", b"x"), RangeRequest(b"a", b"b")),
            (PutRequest(b"a", b"no"),),
        )
        requests = [
            PutRequest(b"a", b"1"),
            PutRequest(b"a", b"2", prev_kv=True),
            RangeRequest(b"a"),
            txn,
            RangeRequest(b"a", b"b", serializable=True),
            RangeRequest(b"\0", b"\0", revision=2),
            RangeRequest(b"a", revision=99),  # a future revision: the model's error
        ]
        for request in requests:
            assert client.call(request) == model.apply(request), request
        granted = client.call(LeaseGrantRequest(60))
        assert isinstance(granted, LeaseGrantResponse) and granted.ttl == 60
        model.apply(LeaseGrantRequest(60, granted.id))
        assert client.call(PutRequest(b"leased", b"v", lease=granted.id)) == model.apply(
            PutRequest(b"leased", b"v", lease=granted.id)
        )
        renewed = client.call(LeaseKeepAliveRequest(granted.id))
        assert isinstance(renewed, LeaseKeepAliveResponse) and renewed.ttl == 60
        alive = client.call(LeaseTimeToLiveRequest(granted.id, keys=True))
        assert alive.keys == (b"leased",) and 0 < alive.ttl <= 60  # type: ignore[union-attr]
        events = [e for r in receive_events(stream, 3, 10.0) for e in r.events]
        assert [(e.kv.key, e.kv.value, e.kv.mod_revision) for e in events] == [
            (b"a", b"1", 2),
            (b"a", b"2", 3),
            (b"ab", b"x", 4),
        ]
        assert events[1].prev_kv is not None and events[1].prev_kv.value == b"1"
        client.close()
        everything = RangeRequest(b"\0", b"\0")
        before = client.call(everything)
        cluster.crash("n1")
        with pytest.raises(Unavailable):  # nobody listens: certainly not applied
            client.call(PutRequest(b"a", b"lost"))
        cluster.restart("n1")
        assert client.call(everything) == before == model.apply(everything)
        after = client.call(PutRequest(b"a", b"3"))
        assert after.header.revision == before.header.revision + 1  # type: ignore[union-attr]


def test_a_member_refuses_a_data_dir_in_use_of_another_member_or_empty_to_join_and_a_taken_port() -> None:
    with new_cluster(1) as cluster:
        cluster.crash("n1")
        argv = cluster.member_args("n1")
        peer_url = cluster.peer_urls["n1"]
        impostor = [
            "--name=n9"
            if a == "--name=n1"
            else f"--initial-cluster=n9={peer_url}"
            if "initial-cluster=" in a
            else a
            for a in argv
        ]
        env = {**os.environ, **(cluster.provider.env or {})}
        refused = subprocess.run(impostor, capture_output=True, text=True, timeout=60, env=env)
        assert refused.returncode == 1 and "belongs to member 'n1'" in refused.stderr, refused.stderr
        cluster.restart("n1")  # its own member still starts from it
        twice = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
        assert twice.returncode == 1 and "in use by another process" in twice.stderr, twice.stderr
        fresh = [f"--data-dir={cluster.directory / 'fresh'}" if "--data-dir=" in a else a for a in argv]
        fresh = [a.replace("--initial-cluster-state=new", "--initial-cluster-state=existing") for a in fresh]
        joining = subprocess.run(fresh, capture_output=True, text=True, timeout=60, env=env)
        assert joining.returncode == 1 and "holds no member data" in joining.stderr, joining.stderr
        elsewhere = [f"--data-dir={cluster.directory / 'other'}" if "--data-dir=" in a else a for a in argv]
        taken = subprocess.run(elsewhere, capture_output=True, text=True, timeout=60, env=env)
        assert taken.returncode == 1 and "cannot serve" in taken.stderr, taken.stderr


def test_followers_serve_writes_and_linearizable_reads_and_watches_see_revision_order() -> None:
    with new_cluster(3) as cluster:
        members = cluster.members()
        clients = {m: cluster.client(m) for m in members}
        stream = clients["n3"].watch(WatchCreateRequest(b"k", b"l"))
        written: list[tuple[bytes, int]] = []
        for i in range(30):
            writer = members[i % 3]
            value = f"{writer}-{i}".encode()
            answer = clients[writer].call(PutRequest(b"k%d" % (i % 4), value))
            assert isinstance(answer, PutResponse), answer
            written.append((value, answer.header.revision))
            for reader in members:  # every member's linearizable read sees what was acknowledged
                read = clients[reader].call(RangeRequest(b"k%d" % (i % 4)))
                assert isinstance(read, RangeResponse) and read.kvs[0].value == value, (writer, reader, read)
        txn = TxnRequest((), (PutRequest(b"k9", b"t"),))
        committed = clients["n2"].call(txn)
        assert isinstance(committed, TxnResponse) and committed.succeeded
        written.append((b"t", committed.header.revision))
        granted = clients["n3"].call(LeaseGrantRequest(30))
        assert isinstance(granted, LeaseGrantResponse)
        for member in members:  # keepalives go to the leader, whoever is asked
            renewed = clients[member].call(LeaseKeepAliveRequest(granted.id))
            assert renewed == LeaseKeepAliveResponse(renewed.header, granted.id, 30)  # type: ignore[union-attr]
        events = [e for r in receive_events(stream, len(written), 20.0) for e in r.events]
        assert [(e.kv.value, e.kv.mod_revision) for e in events] == written
        revisions = [revision for _, revision in written]
        assert revisions == sorted(set(revisions))


def test_a_member_that_fell_behind_does_not_answer_a_linearizable_read_from_its_own_store() -> None:
    """n3 is stopped while 8 MB are written (more than the leader buffers for it, so it must catch
    up through Raft's probing, which takes heartbeats); the first linearizable read it gets after it
    resumes must still see the last write. A member that read its own store would not. (If n3 led,
    a write forwarded to it just before it stopped has an unknown outcome: it is written again.)"""
    with new_cluster(3, client_timeout_s=2.0) as cluster:
        writer, lagging = cluster.client("n1"), cluster.client("n3")
        assert isinstance(writer.call(PutRequest(b"big", b"0")), PutResponse)
        cluster.pause("n3")
        for i in range(1, 9):
            for _ in range(3):
                try:
                    answer = writer.call(PutRequest(b"big", bytes([i]) * (1 << 20)))
                except Indeterminate:
                    continue
                break
            assert isinstance(answer, PutResponse), answer
        cluster.resume("n3")
        read = lagging.call(RangeRequest(b"big"))
        assert isinstance(read, RangeResponse), read
        assert read.kvs[0].mod_revision >= answer.header.revision, (read.kvs[0].mod_revision, answer)
        assert read.kvs[0].value[:1] == bytes([8])


def test_a_member_cut_off_by_a_partition_serves_no_stale_linearizable_read() -> None:
    """The cut-links file (``KSPEC_NETWORK``) isolates n1: the majority goes on writing; n1 may
    answer a serializable read from its stale store, never a linearizable one; after the heal it
    sees the majority's write."""
    with new_cluster(3, client_timeout_s=3.0) as cluster:
        assert cluster.partitions
        isolated, majority = cluster.client("n1"), cluster.client("n2")
        assert isinstance(isolated.call(PutRequest(b"k", b"old")), PutResponse)
        cluster.partition([["n1"], ["n2", "n3"]])
        deadline = time.monotonic() + 10
        while True:  # the majority may need an election first (n1 may have led)
            try:
                written = majority.call(PutRequest(b"k", b"new"))
                break
            except (Unavailable, Indeterminate):
                assert time.monotonic() < deadline, "the majority never took the write"
        assert isinstance(written, PutResponse)
        with pytest.raises((Unavailable, Indeterminate)):
            isolated.call(RangeRequest(b"k"))
        stale = isolated.call(RangeRequest(b"k", serializable=True))
        assert isinstance(stale, RangeResponse) and stale.kvs[0].value == b"old"
        cluster.heal()
        deadline = time.monotonic() + 10
        while True:
            try:
                read = isolated.call(RangeRequest(b"k"))
                break
            except Unavailable:
                assert time.monotonic() < deadline, "n1 never rejoined after the heal"
        assert isinstance(read, RangeResponse) and read.kvs[0].value == b"new"


def test_a_member_without_a_leader_says_unavailable_and_still_serves_serializable_reads() -> None:
    with new_cluster(3, client_timeout_s=8.0) as cluster:
        client = cluster.client("n1")
        assert isinstance(client.call(PutRequest(b"a", b"1")), PutResponse)
        cluster.crash("n2")
        cluster.crash("n3")
        address, deadline = cluster.client_addresses["n1"], time.monotonic() + 10
        while time.monotonic() < deadline and get_json(address, "/health", 1.0) != {
            "health": "false",
            "reason": "RAFT NO LEADER",
        }:
            time.sleep(0.05)
        assert get_json(address, "/health", 1.0)["health"] == "false"  # check_quorum: it stepped down
        with pytest.raises(Unavailable, match="no leader"):
            client.call(PutRequest(b"a", b"never"))
        with pytest.raises(Unavailable):
            client.call(RangeRequest(b"a"))
        with pytest.raises(Unavailable):
            client.call(LeaseKeepAliveRequest(1))
        stale = client.call(RangeRequest(b"a", serializable=True))
        assert isinstance(stale, RangeResponse) and stale.kvs[0].value == b"1"
        cluster.restart_all()
        assert client.call(RangeRequest(b"a")).kvs[0].value == b"1"  # type: ignore[union-attr]


def test_every_acknowledged_write_survives_sigkill_of_every_member() -> None:
    """A stream of writes (each its own key) through every member in turn; every member is killed
    with SIGKILL in the middle of it and restarted from its data dir. Then every acknowledged write
    is there, nothing refused as never proposed is, and nothing appears that nobody wrote."""
    acknowledged: dict[bytes, int] = {}
    unknown: set[bytes] = set()
    refused: set[bytes] = set()
    odd: list[object] = []
    stop = threading.Event()

    def write(cluster: EtcdCluster) -> None:
        members = cluster.members()
        for i in range(100_000):
            if stop.is_set():
                return
            key = b"w%05d" % i
            try:
                answer = cluster.client(members[i % 3]).call(PutRequest(key, key))
            except Indeterminate:
                unknown.add(key)
            except Unavailable:
                refused.add(key)
            else:
                if isinstance(answer, PutResponse):
                    acknowledged[key] = answer.header.revision
                else:
                    odd.append(answer)

    with new_cluster(3, client_timeout_s=3.0) as cluster:
        writer = threading.Thread(target=write, args=(cluster,), daemon=True)
        try:
            writer.start()
            deadline = time.monotonic() + 30
            while len(acknowledged) < 40 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert len(acknowledged) >= 40, f"only {len(acknowledged)} writes acknowledged in 30 s"
            for member in cluster.members():
                cluster.crash(member)
            crashed_with = len(acknowledged)
            time.sleep(0.3)
            stop.set()
            writer.join(timeout=30)
            assert not writer.is_alive() and not odd, odd
            assert refused, "the writer kept writing after every member was killed"
            cluster.restart_all()
            found = cluster.client("n2").call(RangeRequest(b"w", b"x"))
            assert isinstance(found, RangeResponse)
            present = {kv.key: kv.mod_revision for kv in found.kvs}
            missing = sorted(set(acknowledged) - set(present))
            assert not missing, f"acknowledged writes lost: {missing}"
            assert all(present[key] == revision for key, revision in acknowledged.items())
            from_nowhere = sorted(set(present) - set(acknowledged) - unknown)
            assert not from_nowhere, (
                f"writes present that were never acknowledged nor pending: {from_nowhere}"
            )
            assert not refused & set(present), (
                f"refused as never proposed, yet applied: {refused & set(present)}"
            )
            assert crashed_with <= len(acknowledged)
            # Still a working cluster: a write through a follower after the restart.
            assert isinstance(cluster.client("n3").call(PutRequest(b"after", b"1")), PutResponse)
        finally:
            stop.set()
