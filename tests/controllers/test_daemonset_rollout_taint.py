"""A DaemonSet rollout is not held up by a pod on a node that may only keep it (soak seed 11004).

Three nodes, RollingUpdate with maxUnavailable 1; the template changes, the
controller manager crashes twice, and node-0, whose new pod is not bound
yet, is tainted ``dedicated:NoSchedule``. That pod can never be scheduled
now (Pending for good), and node-0 may keep it but should not run one. The
rollout must still replace the pods of node-1 and node-2: only nodes where
a pod should run count against maxUnavailable (upstream's
``getUnavailableNumbers``). The reference counted node-0 and stopped for
good; the machine's settle phase caught it (DAEMONSET-COVERAGE).
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


def test_a_pod_pending_on_a_newly_tainted_node_does_not_hold_the_rollout() -> None:
    machine = machine_for(SimulatedControlPlaneProvider())()
    body = daemonset(
        "agent", tolerate=False, node_selector=False, strategy="RollingUpdate", max_unavailable=1, image=1
    )
    created = machine._ok("POST", f"/apis/apps/v1/namespaces/{NAMESPACE}/daemonsets", body)
    machine.wanted["agent"] = Wanted(created["metadata"]["uid"], "RollingUpdate", 1, 1)
    machine.cluster.run(2.0)
    ds = machine._ok("GET", _ds_path("agent"))
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = "agent:2"
    machine._ok("PUT", _ds_path("agent"), ds)
    machine.wanted["agent"].image = 2
    machine.crash_the_controller_manager(down_s=0.0)
    machine.crash_the_controller_manager(down_s=2.0)
    machine.change_a_node(node="node-0", what="dedicated", on=True)
    stuck = [
        p
        for p in machine._all_pods()
        if pod_node(p) == "node-0" and p["spec"]["containers"][0]["image"] == "agent:2" and not available(p)
    ]
    assert stuck, "the run no longer leaves a new pod unavailable on node-0 when it is tainted"
    machine.teardown()  # DAEMONSET-COVERAGE within 30 s: node-1 and node-2 at agent:2, Ready
    images = {pod_node(p): p["spec"]["containers"][0]["image"] for p in machine._all_pods() if available(p)}
    assert images.get("node-1") == images.get("node-2") == "agent:2", images
