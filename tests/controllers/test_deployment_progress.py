"""The Deployment controller's conditions and progress deadline, in a simulated cluster.

A rollout to pods no node can take (a nodeSelector nothing matches) stops making progress: the
Deployment must keep Progressing=True until progressDeadlineSeconds have passed since the condition's
last update, then turn Progressing=False with reason ProgressDeadlineExceeded (DEPLOY-PROGRESS-DEADLINE);
a complete rollout reads Progressing=True NewReplicaSetAvailable and Available=True (DEPLOY-CONDITIONS).
Broken controllers (no deadline at all, a deadline of half the time) fail the same check.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.violation import RequirementViolation, require
from impl.controllers.deployment import DeploymentController
from impl.controllers.garbagecollector import GarbageCollector
from impl.controllers.replicaset import ReplicaSetController
from impl.controlplane import SimulatedCluster
from spec.workloads.deployment import DEPLOY_CONDITIONS, DEPLOY_PROGRESS_DEADLINE

PATH = "/apis/apps/v1/namespaces/default/deployments"
DEADLINE_S = 20
#: The controller looks again one second after the deadline (its requeue) and ticks are 0.25 s.
SLACK_S = 2.0


def _deployment() -> dict[str, Any]:
    labels = {"app": "web"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 2,
            "progressDeadlineSeconds": DEADLINE_S,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "nginx:1"}]},
            },
        },
    }


def _conditions(cluster: SimulatedCluster) -> dict[str, dict[str, Any]]:
    status, d = cluster.call("GET", f"{PATH}/web")
    assert status == 200
    return {c["type"]: c for c in (d.get("status") or {}).get("conditions") or ()}


def _stamp_seconds(stamp: str) -> float:
    from datetime import datetime

    from impl.node.simkubelet import EPOCH

    return (
        datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=EPOCH.tzinfo) - EPOCH
    ).total_seconds()


def check_progress_deadline(controller: Any) -> None:
    cluster = SimulatedCluster(
        seed=1, nodes=2, controllers=(ReplicaSetController, controller, GarbageCollector)
    )
    status, answer = cluster.call("POST", PATH, _deployment())
    assert status == 201, answer
    cluster.run(10.0)
    conditions = _conditions(cluster)
    complete = conditions.get("Progressing", {}).get("reason") == "NewReplicaSetAvailable" and (
        conditions.get("Available", {}).get("status") == "True"
    )
    require(DEPLOY_CONDITIONS, complete, lambda: f"a complete rollout reads {conditions}")

    stuck = {"spec": {"template": {"spec": {"nodeSelector": {"disk": "none"}}}}}
    status, answer = cluster.call(
        "PATCH", f"{PATH}/web", stuck, content_type="application/strategic-merge-patch+json"
    )
    assert status == 200, answer
    while True:  # until the deadline has passed since the Progressing condition's last update
        cluster.run(0.25)
        progressing = _conditions(cluster).get("Progressing")
        require(
            DEPLOY_PROGRESS_DEADLINE,
            progressing is not None,
            lambda: "no Progressing condition on a Deployment with a progress deadline",
        )
        assert progressing is not None
        if progressing["reason"] == "ProgressDeadlineExceeded":
            break
        last_update = _stamp_seconds(progressing["lastUpdateTime"])
        require(
            DEPLOY_PROGRESS_DEADLINE,
            cluster.now <= last_update + DEADLINE_S + SLACK_S,
            lambda progressing=progressing, last_update=last_update: (
                f"still {progressing} at {cluster.now} s, the deadline passed at {last_update + DEADLINE_S}"
            ),
        )
    timed_out_at = cluster.now
    require(
        DEPLOY_PROGRESS_DEADLINE,
        progressing["status"] == "False" and timed_out_at >= last_update + DEADLINE_S,
        lambda: f"{progressing} at {timed_out_at} s; the last progress was at {last_update} s",
    )


@pytest.mark.requirement("DEPLOY-PROGRESS-DEADLINE", "DEPLOY-CONDITIONS")
def test_a_stuck_rollout_times_out_at_its_deadline_and_not_before() -> None:
    check_progress_deadline(DeploymentController)


class NoDeadline(DeploymentController):
    def _progress_deadline(self, spec: Any) -> int | None:
        return None


class HalfDeadline(DeploymentController):
    def _progress_deadline(self, spec: Any) -> int | None:
        deadline = super()._progress_deadline(spec)
        return None if deadline is None else deadline // 2


@pytest.mark.parametrize("controller", [NoDeadline, HalfDeadline], ids=["no-deadline", "half-deadline"])
def test_the_check_catches_a_controller_with(controller: Any) -> None:
    with pytest.raises(RequirementViolation) as caught:
        check_progress_deadline(controller)
    assert caught.value.requirement_id in ("DEPLOY-PROGRESS-DEADLINE", "DEPLOY-CONDITIONS"), str(caught.value)
