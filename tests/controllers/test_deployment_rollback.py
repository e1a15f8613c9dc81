"""Rolling a Deployment back (``kubectl rollout undo``) in a simulated cluster (DEPLOY-ROLLBACK).

The suite's ``rollout_undo`` (conformance/workloads/deployment.py) does what kubectl does through the
API, choosing by the spec's ``rollback_revision``; the controller must reuse the old ReplicaSet, create
none, and raise its revision above the others. A controller that keeps the reused ReplicaSet's old
revision fails the same check.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.violation import RequirementViolation, require
from conformance.workloads.deployment import NAMESPACE, PATH, _revision, deployment, rollout_undo
from impl.controllers.deployment import DeploymentController
from impl.controllers.garbagecollector import GarbageCollector
from impl.controllers.replicaset import ReplicaSetController
from impl.controlplane import SimulatedCluster
from spec.workloads.deployment import DEPLOY_ROLLBACK, PAUSED_ROLLBACK, RollbackRefused

DEPLOYMENTS = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments"


def _images(cluster: SimulatedCluster) -> dict[str, int]:
    """Each ReplicaSet's image -> its revision."""
    status, listed = cluster.call("GET", f"/apis/apps/v1/namespaces/{NAMESPACE}/replicasets")
    assert status == 200
    return {rs["spec"]["template"]["spec"]["containers"][0]["image"]: _revision(rs) for rs in listed["items"]}


def _set_image(cluster: SimulatedCluster, image: str) -> None:
    containers = [{"name": "app", "image": image, "resources": {"requests": {"cpu": "100m"}}}]
    status, answer = cluster.call(
        "PATCH",
        PATH,
        {"spec": {"template": {"spec": {"containers": containers}}}},
        content_type="application/strategic-merge-patch+json",
    )
    assert status == 200, answer


def check_rollback(controller: Any) -> None:
    cluster = SimulatedCluster(
        seed=2, nodes=2, controllers=(ReplicaSetController, controller, GarbageCollector)
    )
    status, answer = cluster.call(
        "POST", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments", deployment(2, 1, 0, "nginx:1.1")
    )
    assert status == 201, answer
    cluster.run(10.0)
    for image in ("nginx:1.2", "nginx:1.3"):
        _set_image(cluster, image)
        cluster.run(10.0)
    assert _images(cluster) == {"nginx:1.1": 1, "nginx:1.2": 2, "nginx:1.3": 3}

    assert rollout_undo(cluster, 1) == 1
    cluster.run(10.0)
    images = _images(cluster)
    require(
        DEPLOY_ROLLBACK,
        images == {"nginx:1.1": 4, "nginx:1.2": 2, "nginx:1.3": 3},
        lambda: f"after rolling back to revision 1 the ReplicaSets' revisions are {images}",
    )
    assert rollout_undo(cluster, 0) == 3  # the revision before the latest
    cluster.run(10.0)
    images = _images(cluster)
    require(
        DEPLOY_ROLLBACK,
        images == {"nginx:1.1": 4, "nginx:1.2": 2, "nginx:1.3": 5},
        lambda: f"after rolling back to revision 0 (3) the ReplicaSets' revisions are {images}",
    )
    status, d = cluster.call("GET", PATH)
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.3"


@pytest.mark.requirement("DEPLOY-ROLLBACK")
def test_a_rollback_reuses_the_old_replicaset_and_raises_its_revision() -> None:
    check_rollback(DeploymentController)


@pytest.mark.requirement("DEPLOY-ROLLBACK")
def test_a_rollback_is_refused_when_paused_or_unknown() -> None:
    cluster = SimulatedCluster(seed=2, nodes=1, controllers=(ReplicaSetController, DeploymentController))
    cluster.call(
        "POST", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments", deployment(1, 1, 0, "nginx:1.1")
    )
    cluster.run(5.0)
    with pytest.raises(RollbackRefused, match='no rollout history found for deployment "web"'):
        rollout_undo(cluster, 0)
    with pytest.raises(RollbackRefused, match="unable to find specified revision 9 in history"):
        rollout_undo(cluster, 9)
    cluster.call("PATCH", PATH, {"spec": {"paused": True}}, content_type="application/merge-patch+json")
    with pytest.raises(RollbackRefused) as refused:
        rollout_undo(cluster, 1)
    assert str(refused.value) == PAUSED_ROLLBACK


class KeepsRolledBackRevision(DeploymentController):
    """Reuses the rolled-back-to ReplicaSet but leaves its old revision (no SetNewReplicaSetAnnotations)."""

    def _raise_revision(self, new: Any, old: list[Any]) -> Any:
        return new


def test_the_check_catches_a_controller_that_keeps_the_old_revision() -> None:
    with pytest.raises(RequirementViolation) as caught:
        check_rollback(KeepsRolledBackRevision)
    assert caught.value.requirement_id == "DEPLOY-ROLLBACK"
