"""The StatefulSet controller (impl/controllers/statefulset.py) against spec/workloads/statefulset.py.

- each sync's calls are ``sync_with_update`` on what it read (as test_machinery.py does for the others);
- the suite's checks (``StatefulSetChecks``), run after every 0.25 s tick of a simulated cluster, hold it to
  STATEFULSET-ORDERED-CREATE (OrderedReady: pod i appears only when 0..i-1 are Running and Ready),
  STATEFULSET-PARTITION (a pod below the partition is never replaced by the controller) and, at the end,
  STATEFULSET-CONVERGE (replicas exist, Ready, at the update revision from the partition up);
- seeded bugs (test-only subclasses) must be caught with the right requirement ID, and the reference
  passes the same scenarios.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.violation import RequirementViolation
from conformance.workloads.statefulset import StatefulSetChecks
from impl.controllers.statefulset import StatefulSetController
from impl.controlplane import SimulatedCluster
from spec.workloads.statefulset import (
    PARALLEL,
    Actions,
    PodState,
    rolling_update,
    sync_with_update,
)

NS = "default"
SET_PATH = f"/apis/apps/v1/namespaces/{NS}/statefulsets"


def _set(name: str, replicas: int, policy: str = "OrderedReady", image: str = "db:1") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "podManagementPolicy": policy,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [{"name": "a", "image": image, "resources": {"requests": {"cpu": "10m"}}}]
                },
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
                }
            ],
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Delete"},
        },
    }


class Checker(StatefulSetChecks):
    """The suite's checks of one StatefulSet (conformance/workloads/statefulset.py), after every tick."""

    def run(self, seconds: float) -> None:
        tick = self.cluster.tick_s
        for _ in range(round(seconds / tick)):
            self.cluster.run(tick)
            self.check(since=self.cluster.now - 2 * tick)  # no watch lag: the previous check and this one

    def converged(self, after_s: float = 0.0) -> None:
        super().converged(after_s)


def _scenario(controller: Any, policy: str) -> SimulatedCluster:
    """Create 4, roll a new image with partition 2, lose readiness of a pod, scale to 2, back to 3."""
    cluster = SimulatedCluster(seed=7, controllers=(controller,))
    checker = Checker(cluster, "db")
    assert cluster.call("POST", SET_PATH, _set("db", 4, policy))[0] == 201
    checker.run(12)
    patch = {
        "spec": {
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}},
            "template": {"spec": {"containers": [{"name": "a", "image": "db:2"}]}},
        }
    }
    path = f"{SET_PATH}/db"
    assert cluster.call("PATCH", path, patch, content_type="application/strategic-merge-patch+json")[0] == 200
    checker.run(80)
    checker.converged()
    # The environment: pod db-0 loses readiness (a status patch, as a kubelet's failing probe would write).
    unready = {"status": {"conditions": [{"type": "Ready", "status": "False"}]}}
    cluster.call(
        "PATCH",
        f"/api/v1/namespaces/{NS}/pods/db-0/status",
        unready,
        content_type="application/strategic-merge-patch+json",
    )
    checker.run(1)
    scale = f"{path}/scale"
    for replicas in (2, 3):
        body = {"spec": {"replicas": replicas}}
        assert cluster.call("PATCH", scale, body, content_type="application/merge-patch+json")[0] == 200
        checker.run(1)
        ready = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
        cluster.call(
            "PATCH",
            f"/api/v1/namespaces/{NS}/pods/db-0/status",
            ready,
            content_type="application/strategic-merge-patch+json",
        )
        checker.run(80)
        checker.converged()
    return cluster


@pytest.mark.requirement("STATEFULSET-ORDERED-CREATE", "STATEFULSET-PARTITION", "STATEFULSET-CONVERGE")
@pytest.mark.parametrize("policy", ["OrderedReady", PARALLEL])
def test_the_reference_creates_in_order_respects_the_partition_and_converges(policy: str) -> None:
    cluster = _scenario(StatefulSetController, policy)
    controller: StatefulSetController = cluster.controllers[0]
    assert any(s.actions.deletions and s.stale for s in controller.syncs)  # a real rolling update ran
    for s in controller.syncs:
        expected = sync_with_update(
            s.replicas, s.pods, s.policy, stale=s.stale, partition=s.partition, on_delete=s.on_delete
        )
        assert s.actions == expected, s
    claims = cluster.call("GET", f"/api/v1/namespaces/{NS}/persistentvolumeclaims")[1]["items"]
    owners = {
        c["metadata"]["name"]: [r["kind"] for r in c["metadata"].get("ownerReferences") or ()] for c in claims
    }
    # whenScaled Delete: the claim of the scaled-away ordinal 3 is owned by its pod; the others by nobody.
    assert owners["data-db-0"] == [] and owners["data-db-3"] == ["Pod"], owners
    pod = cluster.call("GET", f"/api/v1/namespaces/{NS}/pods/db-2")[1]
    assert pod["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == "2"
    assert pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "db-2"
    assert pod["spec"]["volumes"][-1]["persistentVolumeClaim"]["claimName"] == "data-db-2"


class CreatesBeforeReady(StatefulSetController):
    """Creates pod i+1 before pod i is Ready: OrderedReady sets are managed as Parallel ones."""

    def sync(self, key: str, now: float) -> None:
        sts = self.statefulsets.cache.get(key)
        if sts is not None:
            sts["spec"]["podManagementPolicy"] = PARALLEL
        super().sync(key, now)


class IgnoresPartition(StatefulSetController):
    """Rolls every pod, whatever the partition says."""

    def sync(self, key: str, now: float) -> None:
        sts = self.statefulsets.cache.get(key)
        if sts is not None and (sts["spec"].get("updateStrategy") or {}).get("rollingUpdate"):
            sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = 0
        super().sync(key, now)


class NeverDeletesCondemned(StatefulSetController):
    """Never deletes a pod of ordinal >= replicas."""

    def _delete(self, pod: Any) -> None:
        sts = self.statefulsets.cache.get(
            f"{pod['metadata']['namespace']}/{pod['metadata']['name'].rsplit('-', 1)[0]}"
        )
        if sts is not None and int(pod["metadata"]["name"].rsplit("-", 1)[1]) >= int(sts["spec"]["replicas"]):
            return
        super()._delete(pod)


@pytest.mark.parametrize(
    ("controller", "requirement"),
    [
        (CreatesBeforeReady, "STATEFULSET-ORDERED-CREATE"),
        (IgnoresPartition, "STATEFULSET-PARTITION"),
        (NeverDeletesCondemned, "STATEFULSET-CONVERGE"),
    ],
    ids=["creates-before-ready", "ignores-partition", "never-deletes-condemned"],
)
def test_the_checks_catch(controller: Any, requirement: str) -> None:
    with pytest.raises(RequirementViolation) as caught:
        _scenario(controller, "OrderedReady")
    assert caught.value.requirement_id == requirement, str(caught.value)


@pytest.mark.requirement("STATEFULSET-PARTITION")
def test_rolling_update_goes_down_to_the_partition_one_healthy_pod_at_a_time() -> None:
    ready = dict.fromkeys(range(4), PodState.READY)
    assert rolling_update(4, ready, frozenset({0, 1, 2, 3}), partition=2) == Actions(deletions=(3,))
    assert rolling_update(4, ready, frozenset({0, 1, 2}), partition=2) == Actions(deletions=(2,))
    assert rolling_update(4, ready, frozenset({0, 1}), partition=2) == Actions()
    waiting = {**ready, 3: PodState.PENDING}
    assert rolling_update(4, waiting, frozenset({0, 1, 2}), partition=0) == Actions()
    # OrderedReady: no update while a replica is missing.
    assert sync_with_update(4, {0: PodState.READY}, stale=frozenset({0}), partition=0) == Actions(
        creations=(1,)
    )
