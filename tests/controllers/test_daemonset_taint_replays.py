"""A DaemonSet rollout is not held up by a node tainted NoSchedule after its new pod was created.

In both runs three nodes roll from agent:1 to agent:2, and node-0 is tainted
``dedicated:NoSchedule`` while its new pod is not yet bound: that pod can
never be scheduled now (Pending for good), and node-0 may keep a daemon pod
but should not run one. The machine's settle phase requires node-1 and
node-2 at the new template and at most one pod on node-0
(DAEMONSET-COVERAGE). Current upstream stops for good in both runs; the
spec departs from it on purpose (``rolling_update_deletions`` and
``pods_should_be_on_node`` say why), and each replay failed before its fix.

- maxUnavailable 1 (soak seed 11004): the reference counted node-0's Pending
  pod against maxUnavailable, so the budget was spent for good.
- maxSurge 1 (``test_daemonset_surge_bugs.py``'s reference run): the new pod
  beside node-0's old one was kept, and counted as a surge in progress for
  good.
"""

from __future__ import annotations

from typing import Any

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


def _rolling(max_unavailable: int, max_surge: int, settle_s: float) -> Any:
    """A DaemonSet machine whose ``agent`` DaemonSet (RollingUpdate) ran ``settle_s`` at agent:1 and has
    just been changed to agent:2."""
    machine = machine_for(SimulatedControlPlaneProvider())()
    body = daemonset(
        "agent",
        tolerate=False,
        node_selector=False,
        strategy="RollingUpdate",
        max_unavailable=max_unavailable,
        max_surge=max_surge,
        image=1,
    )
    created = machine._ok("POST", f"/apis/apps/v1/namespaces/{NAMESPACE}/daemonsets", body)
    wanted = Wanted(created["metadata"]["uid"], "RollingUpdate", max_unavailable, 1, max_surge=max_surge)
    machine.wanted["agent"] = wanted
    machine.cluster.run(settle_s)
    ds = machine._ok("GET", _ds_path("agent"))
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = "agent:2"
    machine._ok("PUT", _ds_path("agent"), ds)
    wanted.image = 2
    return machine


def _new_pods_on(machine: Any, node: str) -> list[dict[str, Any]]:
    return [
        p
        for p in machine._all_pods()
        if pod_node(p) == node and p["spec"]["containers"][0]["image"] == "agent:2"
    ]


def _settles_past_node_0(machine: Any) -> None:
    stuck = [p for p in _new_pods_on(machine, "node-0") if not available(p)]
    assert stuck and not any(p["spec"].get("nodeName") for p in stuck), (
        "the run no longer taints node-0 while its new pod is unbound"
    )
    machine.teardown()  # DAEMONSET-COVERAGE within the settle time
    images = {pod_node(p): p["spec"]["containers"][0]["image"] for p in machine._all_pods() if available(p)}
    assert images.get("node-1") == images.get("node-2") == "agent:2", images
    # node-0 may keep one pod, which the rolling update removes once the other nodes make up for it.
    assert [pod_node(p) for p in machine._all_pods()].count("node-0") <= 1


def test_a_pod_pending_on_a_newly_tainted_node_does_not_hold_the_budget() -> None:
    machine = _rolling(max_unavailable=1, max_surge=0, settle_s=2.0)
    machine.crash_the_controller_manager(down_s=0.0)
    machine.crash_the_controller_manager(down_s=2.0)
    machine.change_a_node(node="node-0", what="dedicated", on=True)
    _settles_past_node_0(machine)


def test_a_surge_pod_pending_on_a_newly_tainted_node_is_undone() -> None:
    machine = _rolling(max_unavailable=0, max_surge=1, settle_s=5.0)
    machine.wanted["agent"].covered = {pod_node(p) for p in machine._pods("agent") if available(p)}
    assert machine.wanted["agent"].covered == {"node-0", "node-1", "node-2"}
    waited = 0.0
    while not _new_pods_on(machine, "node-0") and waited < WAIT_S:
        machine.cluster.run(STEP_S)
        machine.safety()  # DAEMONSET-ROLL-SURGE while the surge starts
        waited += STEP_S
    machine.change_a_node(node="node-0", what="dedicated", on=True)
    machine.safety()
    _settles_past_node_0(machine)
