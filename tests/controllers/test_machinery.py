"""The controllers' machinery on client-go's rules: the work queue and the expectations."""

from __future__ import annotations

from impl.controllers.expectations import EXPECTATIONS_TIMEOUT_S, Expectations
from impl.controllers.replicaset import SyncRecord
from impl.controllers.workqueue import MAX_DELAY_S, WorkQueue
from impl.controlplane import SimulatedCluster
from spec.workloads.replicaset import manage_replicas


def test_a_key_is_queued_once_and_never_handed_out_twice_at_once() -> None:
    queue = WorkQueue()
    queue.add("a")
    queue.add("a")
    queue.add("b")
    assert len(queue) == 2
    assert queue.get(0.0) == "a"
    queue.add("a")  # changed while being processed: dirty, not queued
    assert queue.get(0.0) == "b" and queue.get(0.0) is None
    queue.done("a")  # ... and queued again once done
    assert queue.get(0.0) == "a"


def test_failures_back_off_exponentially_and_forget_resets() -> None:
    queue = WorkQueue()
    for expected in (0.005, 0.01, 0.02):
        queue.add_rate_limited("a", now=0.0)
        assert queue.next_wakeup() == expected
        assert queue.get(expected - 1e-6) is None and queue.get(expected) == "a"
        queue.done("a")
    queue.forget("a")
    queue.add_rate_limited("a", now=10.0)
    assert queue.next_wakeup() == 10.005
    for _ in range(40):
        queue.add_rate_limited("b", now=0.0)
    assert max(t for t, _, key in queue._waiting if key == "b") == MAX_DELAY_S


def test_expectations_wait_for_the_writes_or_time_out() -> None:
    expectations = Expectations()
    assert expectations.satisfied("rs", now=0.0)
    expectations.expect("rs", creations=2, deleting={"ns/p1"}, now=0.0)
    assert not expectations.satisfied("rs", now=1.0)
    expectations.creation_observed("rs")
    expectations.creation_observed("rs")
    expectations.deletion_observed("rs", "ns/p1")
    expectations.deletion_observed("rs", "ns/p1")  # a second event for the same pod counts nothing
    assert expectations.satisfied("rs", now=1.0)
    expectations.expect("rs", creations=1, now=5.0)
    assert not expectations.satisfied("rs", now=5.0 + EXPECTATIONS_TIMEOUT_S)
    assert expectations.satisfied("rs", now=5.0 + EXPECTATIONS_TIMEOUT_S + 0.1)


def test_the_controllers_syncs_are_the_specs_manage_replicas() -> None:
    """What the reference does per sync is what spec/workloads/replicaset.py says (all calls succeed)."""
    cluster = SimulatedCluster(seed=3)
    body = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 7,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{"name": "a", "image": "nginx", "resources": {"requests": {"cpu": "10m"}}}]
                },
            },
        },
    }
    assert cluster.call("POST", "/apis/apps/v1/namespaces/default/replicasets", body)[0] == 201
    cluster.run(5)
    scale = {"spec": {"replicas": 2}}
    path = "/apis/apps/v1/namespaces/default/replicasets/web/scale"
    assert cluster.call("PATCH", path, scale, content_type="application/merge-patch+json")[0] == 200
    cluster.run(5)
    syncs: list[SyncRecord] = cluster.controllers[0].syncs
    assert [(s.replicas, s.active) for s in syncs] == [(7, 0), (2, 7)]
    for sync in syncs:
        spec = manage_replicas(sync.replicas, sync.active)
        assert (sync.batches, sync.created, sync.deleted) == (spec.batches, spec.created, spec.deleted)
