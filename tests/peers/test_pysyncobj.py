"""The pysyncobj adapter's own behaviour (impl/peers/pysyncobj.py), against real
member processes: elections, proposals applied everywhere, crash and restart
from the journal, pause, partition, and a close that leaves no process,
thread, port or file behind. Every wait is bounded by ``within``.

pysyncobj is an optional extra (``pip install 'kspec[pysyncobj]'``); without
it these tests are skipped.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar

import pytest

from conformance.adapters.faults import Faults
from conformance.adapters.loading import load_implementation
from impl.peers import pysyncobj as adapter  # imports no pysyncobj: its members do
from spec.raft import (
    LIVENESS_ELECTION_TIMEOUTS,
    MemberStatus,
    ProposeOutcome,
    RegisterRead,
    RegisterWrite,
    agreed_leader,
)

pytest.importorskip("pysyncobj", reason="pysyncobj is an optional extra: pip install 'kspec[pysyncobj]'")

PROVIDER = adapter.PySyncObjProvider()
ELECTION = PROVIDER.election_timeout_ns / 1e9
#: What RAFT-LIVENESS allows for an election; generous on a shared machine.
ELECTION_BOUND = LIVENESS_ELECTION_TIMEOUTS * ELECTION

T = TypeVar("T")


def within(seconds: float, probe: Callable[[], T | None], what: str) -> T:
    """Poll ``probe`` until it returns something truthy, for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:g} s: {what}")
        time.sleep(0.02)


@contextmanager
def cluster_of(size: int) -> Iterator[adapter.PySyncObjCluster]:
    cluster = PROVIDER.new_cluster(size=size)
    try:
        yield cluster
    finally:
        cluster.close()


def settled(cluster: adapter.PySyncObjCluster) -> str:
    return within(ELECTION_BOUND, lambda: agreed_leader(cluster.status()), "a leader every member follows")


def applied_everywhere(cluster: adapter.PySyncObjCluster, index: int) -> Mapping[str, MemberStatus] | None:
    statuses = cluster.status()
    return statuses if all(s.last_applied >= index for s in statuses.values()) else None


def test_fail_reasons_are_pysyncobjs() -> None:
    from pysyncobj import FAIL_REASON  # type: ignore[import-untyped]

    for value, name in adapter.FAIL_REASONS.items():
        assert getattr(FAIL_REASON, name) == value


def test_the_factory_provides_a_real_consensus_component_without_logs() -> None:
    implementation = load_implementation("impl.peers.pysyncobj:implementation")
    provider = implementation.component("consensus")
    assert implementation.name == "pysyncobj" and not implementation.provides("kv")
    assert provider.deterministic is False
    assert provider.exposes_logs is False  # no public API reads pysyncobj's log


def test_a_cluster_satisfies_the_faults_contract() -> None:
    with cluster_of(1) as cluster:
        assert isinstance(cluster, Faults)
        assert cluster.members() == ("n1",)


@pytest.mark.parametrize("size", [3, 5])
def test_a_cluster_elects_a_leader_that_every_member_follows(size: int) -> None:
    with cluster_of(size) as cluster:
        leader = settled(cluster)
        statuses = cluster.status()
        assert set(statuses) == set(cluster.members())
        assert [m for m, s in statuses.items() if s.role == "leader"] == [leader]


def test_a_proposal_commits_and_every_member_applies_it_at_that_index() -> None:
    with cluster_of(3) as cluster:
        settled(cluster)
        outcome = cluster.propose("hello")
        assert outcome.status == "committed" and outcome.index is not None
        index = outcome.index
        statuses = within(ELECTION_BOUND, lambda: applied_everywhere(cluster, index), "applied everywhere")
        entries = {m: s.applied[outcome.index - 1] for m, s in statuses.items()}
        assert {e.command for e in entries.values()} == {"hello"}
        assert len(set(entries.values())) == 1  # same index, term and command everywhere
        for status in statuses.values():
            # Everything up to last_applied is accounted for, the leaders' no-ops included.
            assert [e.index for e in status.applied] == list(range(1, status.last_applied + 1))


def test_a_member_restarted_after_a_crash_replays_its_journal() -> None:
    # One member: the entries exist nowhere but in its journal.
    with cluster_of(1) as cluster:
        settled(cluster)
        committed = [cluster.propose(command) for command in ("a", "b", "c")]
        assert all(o.status == "committed" for o in committed)
        before = cluster.status()["n1"].applied
        pid = cluster.pids()["n1"]
        cluster.crash("n1")
        assert cluster.status() == {} and "n1" not in cluster.pids()
        cluster.restart("n1")
        assert cluster.pids()["n1"] != pid
        last = max(o.index for o in committed if o.index is not None)
        after = within(ELECTION_BOUND, lambda: applied_everywhere(cluster, last), "the journal replayed")
        assert after["n1"].applied[: len(before)] == before


def test_a_whole_cluster_crashed_and_restarted_keeps_what_it_committed() -> None:
    with cluster_of(3) as cluster:
        settled(cluster)
        outcome = cluster.propose("durable")
        assert outcome.status == "committed" and outcome.index is not None
        for member in cluster.members():
            cluster.crash(member)
        for member in cluster.members():
            cluster.restart(member)
        index = outcome.index
        statuses = within(ELECTION_BOUND, lambda: applied_everywhere(cluster, index), "replayed")
        assert {s.applied[index - 1].command for s in statuses.values()} == {"durable"}


def test_a_paused_member_is_left_out_of_status_and_the_rest_go_on() -> None:
    with cluster_of(3) as cluster:
        leader = settled(cluster)
        follower = next(m for m in cluster.members() if m != leader)
        cluster.pause(follower)
        assert follower not in cluster.status()
        assert cluster.propose("while paused").status == "committed"
        cluster.resume(follower)
        assert follower in cluster.status()


def test_an_isolated_leader_is_replaced_and_a_healed_cluster_agrees_again() -> None:
    with cluster_of(3) as cluster:
        leader = settled(cluster)
        term = cluster.status()[leader].term
        rest = [m for m in cluster.members() if m != leader]
        cluster.partition([[leader], rest])

        def new_leader() -> str | None:
            statuses = cluster.status()
            return next((m for m in rest if statuses[m].role == "leader" and statuses[m].term > term), None)

        within(ELECTION_BOUND, new_leader, "the majority elects a new leader")
        cluster.heal()
        settled(cluster)
        assert cluster.propose("after heal").status == "committed"


def test_without_a_majority_a_proposal_never_commits_and_a_rejected_one_never_applies() -> None:
    with cluster_of(3) as cluster:
        leader = settled(cluster)
        lone = next(m for m in cluster.members() if m != leader)
        for member in cluster.members():
            if member != lone:
                cluster.crash(member)
        outcome = cluster.propose("lonely")
        assert outcome.status in ("rejected", "unknown")
        for member in cluster.members():
            cluster.restart(member)
        settled(cluster)
        marker = cluster.propose("marker")
        assert marker.status == "committed" and marker.index is not None
        index = marker.index
        statuses = within(ELECTION_BOUND, lambda: applied_everywhere(cluster, index), "applied")
        if outcome.status == "rejected":
            assert all("lonely" not in {e.command for e in s.applied} for s in statuses.values())


def test_close_leaves_no_process_thread_port_or_file_behind() -> None:
    cluster = PROVIDER.new_cluster(size=5)
    settled(cluster)
    cluster.pause("n2")  # a stopped process must die too
    pids = cluster.pids()
    ports = [int(address.rsplit(":", 1)[1]) for address in cluster.addresses.values()]
    directory = cluster.directory
    cluster.close()
    cluster.close()  # idempotent
    for pid in pids.values():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # reaped, not a zombie
    assert not [t for t in threading.enumerate() if t.name.startswith("kspec-pysyncobj-")]
    for port in ports:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as pysyncobj binds
            s.bind(("127.0.0.1", port))
            s.listen()
    assert not directory.exists()


def test_the_register_answers_through_the_log_and_clients_run_concurrently() -> None:
    with cluster_of(3) as cluster:
        settled(cluster)
        assert cluster.propose(RegisterRead(1)).result is None
        assert cluster.propose(RegisterWrite(2, 5)).status == "committed"
        assert cluster.propose(RegisterRead(3)).result == 5
        tickets = [cluster.submit(RegisterWrite(10 + i, i)) for i in range(4)]

        def answered() -> list[ProposeOutcome] | None:
            outcomes = [cluster.outcome(t) for t in tickets]
            return [o for o in outcomes if o is not None] if all(outcomes) else None

        outcomes = within(10, answered, "every concurrent client answered")
        assert {o.status for o in outcomes} == {"committed"}
        value_at = {o.index: value for value, o in enumerate(outcomes)}
        assert len(value_at) == 4, "each write at an index of its own"
        # The register holds the value of the write the log applied last.
        assert cluster.propose(RegisterRead(20)).result == value_at[max(value_at)]
