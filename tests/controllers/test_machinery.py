"""The controllers' machinery on client-go's rules: the work queue and the expectations."""

from __future__ import annotations

from impl.controllers.deployment import HASH_LABEL, REVISION, DeploymentController
from impl.controllers.expectations import EXPECTATIONS_TIMEOUT_S, Expectations
from impl.controllers.replicaset import ReplicaSetController, SyncRecord
from impl.controllers.workqueue import MAX_DELAY_S, WorkQueue
from impl.controlplane import SimulatedCluster
from spec.workloads.deployment import rollout_step
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


def _deployment(strategy: dict[str, object], image: str) -> dict[str, object]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 4,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": strategy,
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{"name": "a", "image": image, "resources": {"requests": {"cpu": "10m"}}}]
                },
            },
        },
    }


def _new_image(cluster: SimulatedCluster, image: str) -> None:
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": image}]}}}}
    path = "/apis/apps/v1/namespaces/default/deployments/web"
    assert cluster.call("PATCH", path, patch, content_type="application/strategic-merge-patch+json")[0] == 200


def test_the_deployment_controllers_syncs_are_the_specs_rollout_step() -> None:
    """Each RollingUpdate sync writes exactly what spec/workloads/deployment.py's rollout_step computes
    on the state it read, and the ReplicaSets in the API end as the last step left them."""
    cluster = SimulatedCluster(seed=5, controllers=(ReplicaSetController, DeploymentController))
    rolling = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}}
    body = _deployment(rolling, "nginx:1")
    assert cluster.call("POST", "/apis/apps/v1/namespaces/default/deployments", body)[0] == 201
    cluster.run(10)
    _new_image(cluster, "nginx:2")
    cluster.run(30)
    controller: DeploymentController = cluster.controllers[1]
    changed = [s for s in controller.syncs if s.wrote != s.read]
    assert len(changed) >= 3  # a real rollout: several scale steps
    for sync in controller.syncs:
        assert sync.wrote == rollout_step(sync.read)
    rss = cluster.call("GET", "/apis/apps/v1/namespaces/default/replicasets")[1]["items"]
    by_revision = {rs["metadata"]["annotations"][REVISION]: rs for rs in rss}
    assert {rev: rs["spec"]["replicas"] for rev, rs in by_revision.items()} == {"1": 0, "2": 4}
    new = by_revision["2"]
    digest = new["metadata"]["labels"][HASH_LABEL]
    assert new["metadata"]["name"] == f"web-{digest}"
    assert new["spec"]["selector"]["matchLabels"][HASH_LABEL] == digest
    assert new["spec"]["template"]["metadata"]["labels"][HASH_LABEL] == digest
    ref = new["metadata"]["ownerReferences"][0]
    assert (ref["kind"], ref["controller"], ref["blockOwnerDeletion"]) == ("Deployment", True, True)
    status = cluster.call("GET", "/apis/apps/v1/namespaces/default/deployments/web")[1]["status"]
    assert (status["replicas"], status["updatedReplicas"], status["availableReplicas"]) == (4, 4, 4)


def test_recreate_removes_every_old_pod_before_creating_new_ones() -> None:
    cluster = SimulatedCluster(seed=6, controllers=(ReplicaSetController, DeploymentController))
    body = _deployment({"type": "Recreate"}, "nginx:1")
    assert cluster.call("POST", "/apis/apps/v1/namespaces/default/deployments", body)[0] == 201
    cluster.run(10)
    _new_image(cluster, "nginx:2")
    for _ in range(240):  # old pods terminate for their 30 s grace period first
        cluster.run(0.25)
        pods = cluster.call("GET", "/api/v1/namespaces/default/pods")[1]["items"]
        images = {p["spec"]["containers"][0]["image"] for p in pods}
        assert images != {"nginx:1", "nginx:2"}, "old and new pods at once under Recreate"
    assert {p["spec"]["containers"][0]["image"] for p in pods} == {"nginx:2"} and len(pods) == 4
