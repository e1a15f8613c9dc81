"""The reference Raft's real driver (impl/raft/tcp.py, tcp_member.py): member processes over TCP
on loopback, fsynced files, faults by signals. Every wait is bounded; every cluster is closed."""

from __future__ import annotations

import os
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.adapters.loading import load_implementation
from impl.raft.tcp import TcpRaftCluster, TcpRaftProvider
from spec.raft import MemberStatus, agreed_leader


@pytest.fixture
def cluster() -> Iterator[TcpRaftCluster]:
    c = TcpRaftProvider().new_cluster(size=3, entropy=None)
    try:
        yield c
    finally:
        c.close()


def wait_for_leader(c: TcpRaftCluster, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        leader = agreed_leader(c.status())
        if leader is not None:
            return leader
        time.sleep(0.05)
    raise AssertionError(f"no leader within {timeout} s\n{c.timeline(30)}")


def wait_applied(c: TcpRaftCluster, index: int, timeout: float = 10.0) -> dict[str, MemberStatus]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = dict(c.status())
        if all(s.last_applied >= index for s in statuses.values()):
            return statuses
        time.sleep(0.05)
    raise AssertionError(f"not every member applied {index} within {timeout} s\n{c.timeline(30)}")


def test_reference_tcp_is_loadable_by_name() -> None:
    implementation = load_implementation("reference-tcp")
    provider = implementation.components["consensus"]
    assert provider.deterministic is False and provider.exposes_logs is True


def test_members_agree_on_what_they_commit(cluster: TcpRaftCluster) -> None:
    indexes = [cluster.propose(f"c{i}") for i in range(12)]
    assert all(o.status == "committed" for o in indexes), indexes
    statuses = wait_applied(cluster, max(o.index or 0 for o in indexes))
    applied = {m: [e for e in s.applied if isinstance(e.command, str)] for m, s in statuses.items()}
    assert len({tuple(a) for a in applied.values()}) == 1, applied
    assert [e.command for e in applied["n1"]] == [f"c{i}" for i in range(12)]
    # 12 proposals and a no-op pass snapshot_every (8): members compacted their logs.
    assert all(s.snapshot_index > 0 for s in statuses.values())


def test_killing_every_member_loses_no_acknowledged_write(cluster: TcpRaftCluster) -> None:
    acknowledged = [f"w{i}" for i in range(10) if cluster.propose(f"w{i}").status == "committed"]
    assert len(acknowledged) == 10
    for member in cluster.members():
        cluster.crash(member)  # SIGKILL: only what was fsynced (or handed to the OS) survives
    for member in cluster.members():
        cluster.restart(member)
    wait_for_leader(cluster)
    read = cluster.read()
    assert read.status == "ok", cluster.timeline(30)
    assert [c for c in read.commands if c in acknowledged] == acknowledged


def test_a_leader_cut_off_from_the_majority_commits_nothing(cluster: TcpRaftCluster) -> None:
    leader = wait_for_leader(cluster)
    rest = [m for m in cluster.members() if m != leader]
    cluster.partition([[leader], rest])
    minority = cluster.request(leader, "propose", "lonely", deadline=time.monotonic() + 1.0)
    assert minority is None or minority[0][0] != "committed"
    outcome = cluster.propose("majority")
    assert outcome.status == "committed", cluster.timeline(30)
    cluster.heal()
    statuses = wait_applied(cluster, outcome.index or 0)
    for status in statuses.values():
        assert "lonely" not in [e.command for e in status.applied]


def test_a_paused_member_catches_up_after_resume(cluster: TcpRaftCluster) -> None:
    leader = wait_for_leader(cluster)
    follower = next(m for m in cluster.members() if m != leader)
    cluster.pause(follower)
    last = [cluster.propose(f"p{i}") for i in range(10)][-1]
    assert last.status == "committed"
    cluster.resume(follower)
    statuses = wait_applied(cluster, last.index or 0)
    assert statuses[follower].last_applied >= (last.index or 0)


def test_garbage_on_the_raft_port_does_not_stop_a_member(cluster: TcpRaftCluster) -> None:
    host, port = cluster.addresses["n1"].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=2) as s:
        body = b'{"d": "Popen", "v": {}}'
        s.sendall(struct.pack("<I", len(body)) + body)
    assert cluster.propose("still-works").status == "committed"
    deadline = time.monotonic() + 5
    log = cluster.directory / "n1.log"
    while time.monotonic() < deadline and "not a Raft message" not in log.read_text():
        time.sleep(0.05)
    assert "not a Raft message" in log.read_text()


def test_close_leaves_no_process_and_no_directory() -> None:
    c = TcpRaftProvider().new_cluster(size=3, entropy=None)
    pids, directory = c.pids(), Path(c.directory)
    c.close()
    assert not directory.exists()
    for pid in pids.values():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
