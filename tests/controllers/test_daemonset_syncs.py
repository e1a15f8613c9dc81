"""Each sync of the reference DaemonSet controller is the spec's step on what it read: ``manage`` of
spec/workloads/daemonset.py on the eligibility and pods recorded, and ``rolling_update_deletions`` for the
rollout (exercised over a run with taints, labels and a template change)."""

from __future__ import annotations

from typing import Any

import pytest

from impl.controllers.daemonset import DaemonSetController, target_node
from impl.controlplane import SimulatedCluster
from spec.workloads.daemonset import (
    DaemonSetSync,
    UpdatePod,
    manage,
    rolling_update_deletions,
    rolling_update_surge,
)

NS = "/apis/apps/v1/namespaces/default/daemonsets"


def _daemonset(name: str, image: str, **spec: Any) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": labels},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [{"name": "a", "image": image}],
                    "terminationGracePeriodSeconds": 1,
                    **spec,
                },
            },
        },
    }


def _set_node(cluster: SimulatedCluster, name: str, change: Any) -> None:
    status, node = cluster.call("GET", f"/api/v1/nodes/{name}")
    assert status == 200
    change(node)
    assert cluster.call("PUT", f"/api/v1/nodes/{name}", node)[0] == 200


@pytest.mark.requirement("DAEMONSET-COVERAGE", "DAEMONSET-ROLL-UNAVAILABLE")
def test_every_sync_is_the_specs_manage_on_what_it_read() -> None:
    cluster = SimulatedCluster(seed=5, nodes=4, controllers=(DaemonSetController,))
    _set_node(
        cluster,
        "node-1",
        lambda n: n.setdefault("spec", {}).update(taints=[{"key": "k", "effect": "NoSchedule"}]),
    )
    assert cluster.call("POST", NS, _daemonset("agent", "a:1"))[0] == 201
    assert cluster.call("POST", NS, _daemonset("infra", "i:1", nodeSelector={"role": "infra"}))[0] == 201
    cluster.run(5)
    _set_node(cluster, "node-2", lambda n: n["metadata"]["labels"].update(role="infra"))
    _set_node(
        cluster,
        "node-3",
        lambda n: n.setdefault("spec", {}).update(taints=[{"key": "x", "effect": "NoExecute"}]),
    )
    cluster.run(5)
    _, ds = cluster.call("GET", f"{NS}/agent")
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = "a:2"
    assert cluster.call("PUT", f"{NS}/agent", ds)[0] == 200
    cluster.run(30)

    controller = cluster.controllers[0]
    assert isinstance(controller, DaemonSetController)
    records = controller.syncs
    assert len(records) >= 6
    assert any(r.done.creations for r in records) and any(r.done.deletions for r in records)
    assert any(r.update_deletions for r in records), "the template change rolled no pod"
    for record in records:
        assert manage(record.nodes, record.pods, surge=record.surge) == record.done, record
        # The rollout only runs in a sync whose manage made no call.
        assert not record.update_deletions or not (record.done.creations or record.done.deletions)

    pods = cluster.call("GET", "/api/v1/namespaces/default/pods")[1]["items"]
    by_node: dict[str, list[str]] = {}
    for pod in pods:
        if pod["metadata"]["labels"]["app"] == "agent" and not pod["metadata"].get("deletionTimestamp"):
            by_node.setdefault(pod["spec"].get("nodeName", ""), []).append(
                pod["spec"]["containers"][0]["image"]
            )
    # node-1 (NoSchedule, not tolerated) and node-3 (NoExecute) run none; the others one of the new template.
    assert by_node == {"node-0": ["a:2"], "node-2": ["a:2"]}


def test_rolling_update_deletions_keep_within_max_unavailable() -> None:
    old = [UpdatePod(f"p{i}", f"n{i}", updated=False, available=True) for i in range(4)]
    assert rolling_update_deletions(old, 1) == ["p0"]
    assert rolling_update_deletions(old, 3) == ["p0", "p1", "p2"]
    # One node already down (its old pod terminating): nothing more with maxUnavailable 1.
    down = [UpdatePod("p0", "n0", updated=False, available=False, terminating=True), *old[1:]]
    assert rolling_update_deletions(down, 1) == []
    # An unavailable old pod may always be replaced, and it uses the budget.
    sick = [UpdatePod("p0", "n0", updated=False, available=False), *old[1:]]
    assert rolling_update_deletions(sick, 1) == ["p0"]
    assert rolling_update_deletions(sick, 2) == ["p0", "p1"]
    # A new pod not yet available counts against the budget.
    starting = [UpdatePod("q0", "n0", updated=True, available=False), *old[1:]]
    assert rolling_update_deletions(starting, 1) == []
    assert rolling_update_deletions(starting, 2) == ["p1"]


@pytest.mark.requirement("DAEMONSET-ROLL-SURGE", "DAEMONSET-COVERAGE")
def test_a_surge_rollout_is_the_specs_steps_and_stays_within_max_surge() -> None:
    cluster = SimulatedCluster(seed=5, nodes=4, controllers=(DaemonSetController,))
    body = _daemonset("agent", "a:1")
    body["spec"]["updateStrategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    assert cluster.call("POST", NS, body)[0] == 201
    cluster.run(5)
    _, ds = cluster.call("GET", f"{NS}/agent")
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = "a:2"
    assert cluster.call("PUT", f"{NS}/agent", ds)[0] == 200
    for _ in range(60):
        cluster.run(0.5)
        pods = cluster.call("GET", "/api/v1/namespaces/default/pods")[1]["items"]
        live: dict[str, list[dict[str, Any]]] = {}
        for pod in pods:
            if not pod["metadata"].get("deletionTimestamp"):
                live.setdefault(target_node(pod), []).append(pod)
        assert sum(1 for here in live.values() if len(here) > 1) <= 1, "more than maxSurge nodes surge"
        assert len(live) == 4 and all(
            any(p["status"].get("phase") == "Running" for p in here) for here in live.values()
        ), "a node went without a running daemon pod"

    controller = cluster.controllers[0]
    assert isinstance(controller, DaemonSetController)
    records = [r for r in controller.syncs if r.surge]
    assert sum(len(r.update_creations) for r in records) == 4, "one surge per node"
    for record in records:
        assert manage(record.nodes, record.pods, surge=True) == record.done, record
        if record.update_pods:  # the surge step ran: it is the spec's on what it read (maxSurge 1, 4 nodes)
            should_run = [n.name for n in record.nodes if n.should_run]
            assert rolling_update_surge(record.update_pods, should_run, 1, 4) == DaemonSetSync(
                record.update_creations, record.update_deletions
            ), record
    images = sorted(
        p["spec"]["containers"][0]["image"]
        for p in cluster.call("GET", "/api/v1/namespaces/default/pods")[1]["items"]
        if not p["metadata"].get("deletionTimestamp")
    )
    assert images == ["a:2"] * 4
    status = cluster.call("GET", f"{NS}/agent")[1]["status"]
    assert status["updatedNumberScheduled"] == 4 and status["numberAvailable"] == 4
