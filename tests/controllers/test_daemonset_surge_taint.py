"""A DaemonSet surge does not outlive its node's leaving the rollout (the failure of issue 10's last
review, found by ``test_daemonset_surge_bugs.py``'s reference run).

Three nodes, RollingUpdate with maxSurge 1; the template changes and the
controller creates a new pod on node-0 beside the old one. Before that pod
is bound, node-0 is tainted ``dedicated:NoSchedule``: the pod can never be
scheduled now, and node-0 may keep a daemon pod but should not run one.
Upstream's ``podsShouldBeOnNode`` keeps both pods there for good, and its
``rollingUpdate`` counts the node as a surge in progress, so with maxSurge 1
node-1 and node-2 never roll. The spec deletes the new pod instead
(``pods_should_be_on_node``'s docstring says why); the machine's settle
phase requires it (DAEMONSET-COVERAGE: at most one pod on node-0, node-1
and node-2 at the new template).
"""

from __future__ import annotations

from conformance.workloads.daemonset import (
    NAMESPACE,
    Wanted,
    _ds_path,
    available,
    daemonset,
    machine_for,
    pod_node,
)
from impl.controlplane import SimulatedControlPlaneProvider

STEP_S = 0.05
WAIT_S = 5.0


def _new_pods_on(machine: object, node: str) -> list[dict]:
    return [
        p
        for p in machine._all_pods()  # type: ignore[attr-defined]
        if pod_node(p) == node and p["spec"]["containers"][0]["image"] == "agent:2"
    ]


def test_a_surge_pod_pending_on_a_newly_tainted_node_is_undone() -> None:
    machine = machine_for(SimulatedControlPlaneProvider())()
    body = daemonset(
        "agent",
        tolerate=False,
        node_selector=False,
        strategy="RollingUpdate",
        max_unavailable=0,
        max_surge=1,
        image=1,
    )
    created = machine._ok("POST", f"/apis/apps/v1/namespaces/{NAMESPACE}/daemonsets", body)
    machine.wanted["agent"] = Wanted(created["metadata"]["uid"], "RollingUpdate", 0, 1, max_surge=1)
    machine.cluster.run(5.0)
    ds = machine._ok("GET", _ds_path("agent"))
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = "agent:2"
    machine._ok("PUT", _ds_path("agent"), ds)
    wanted = machine.wanted["agent"]
    wanted.image = 2
    wanted.covered = {pod_node(p) for p in machine._pods("agent") if available(p)}
    assert wanted.covered == {"node-0", "node-1", "node-2"}
    waited = 0.0
    while not _new_pods_on(machine, "node-0") and waited < WAIT_S:
        machine.cluster.run(STEP_S)
        machine.safety()
        waited += STEP_S
    machine.change_a_node(node="node-0", what="dedicated", on=True)
    machine.safety()
    surge = _new_pods_on(machine, "node-0")
    assert surge and not any(p["spec"].get("nodeName") for p in surge), (
        "the run no longer taints node-0 while its surge pod is unbound"
    )
    machine.teardown()  # DAEMONSET-COVERAGE within the settle time
    images = {pod_node(p): p["spec"]["containers"][0]["image"] for p in machine._all_pods() if available(p)}
    assert images.get("node-1") == images.get("node-2") == "agent:2", images
    # node-0's old pod may continue, and goes once the other nodes are available (the rolling update's
    # "only delete a pod on node A when a pod on node B becomes available"): at most one is left.
    assert [pod_node(p) for p in machine._all_pods()].count("node-0") <= 1
