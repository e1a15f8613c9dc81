"""The kv suite catches seeded bugs of the reference etcd, each with the requirement it breaks.

Each variant runs the model-comparison machine (conformance/kv/machine.py) under the ``ci``
profile's settings; a variant it does not catch fails this test.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from conformance.kv.clients import Step, check_client_history, schedules
from conformance.kv.machine import machine_for
from conformance.violation import RequirementViolation
from impl.etcd.sim import EtcdProcess, SimulatedEtcdCluster, SimulatedEtcdProvider
from impl.etcd.store import EtcdStore
from impl.raft.sim import RaftProcess
from tests.etcd.broken import (
    ClusterProvider,
    DeleteKeepsRevision,
    ExpiresInTwoRevisions,
    RetriesBlindly,
    SkippingProcess,
    StaleFollowerReads,
)


@pytest.mark.parametrize(
    ("store_class", "process_class", "requirement"),
    [
        # A txn's delete shows it first when the txn's sub-response header is off; either is right.
        (DeleteKeepsRevision, EtcdProcess, "KV-REV-ONE-PER-TXN|KV-TXN-ATOMIC"),
        (ExpiresInTwoRevisions, EtcdProcess, "KV-LEASE-REVOKE-ATOMIC"),
        (EtcdStore, SkippingProcess, "KV-WATCH-RESUMABLE|KV-WATCH-RELIABLE"),
    ],
    ids=["delete-keeps-revision", "expiry-in-two-revisions", "watch-skips-start-revision"],
)
def test_the_model_comparison_catches(
    store_class: type[EtcdStore], process_class: type[RaftProcess], requirement: str
) -> None:
    provider = SimulatedEtcdProvider(store_class=store_class, process_class=process_class)
    with pytest.raises(RequirementViolation) as caught:
        run_state_machine_as_test(
            machine_for(provider),
            settings=settings(
                max_examples=100,
                stateful_step_count=30,
                suppress_health_check=list(HealthCheck),
                deadline=None,
                report_multiple_bugs=False,
                database=None,
                derandomize=True,  # the same examples every run: a catch that depends on luck is flaky
                phases=[Phase.generate],  # finding the bug is the point; shrinking would only cost time
            ),
        )
    assert caught.value.requirement_id in requirement.split("|"), str(caught.value)


@pytest.mark.parametrize(
    "cluster_class", [StaleFollowerReads, RetriesBlindly], ids=["stale-follower-read", "write-applied-twice"]
)
def test_the_clients_under_faults_catch(cluster_class: type[SimulatedEtcdCluster]) -> None:
    provider = ClusterProvider(cluster_class=cluster_class)

    @given(size=st.sampled_from([3, 5]), seed=st.integers(0, 2**32 - 1), schedule=schedules)
    @settings(
        max_examples=300,
        suppress_health_check=list(HealthCheck),
        deadline=None,
        report_multiple_bugs=False,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
    )
    def clients_and_nemesis(size: int, seed: int, schedule: list[Step]) -> None:
        check_client_history(provider, size, seed, schedule)

    with pytest.raises(RequirementViolation) as caught:
        clients_and_nemesis()
    assert caught.value.requirement_id == "KV-READ-LATEST", str(caught.value)
