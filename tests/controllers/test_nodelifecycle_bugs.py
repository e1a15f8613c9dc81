"""The node lifecycle machine (conformance/workloads/nodelifecycle.py) catches seeded bugs, each a test-only
variant of the reference controller, with the right requirement ID; the reference passes the same runs."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import pytest
from hypothesis.stateful import run_state_machine_as_test

from conformance.violation import RequirementViolation
from conformance.workloads.nodelifecycle import machine_for
from impl.controllers.nodelifecycle import NodeLifecycleController
from impl.controllers.replicaset import ReplicaSetController
from impl.controlplane import SimulatedControlPlaneProvider
from tests.controllers.seeded import seeded_bug_settings

SETTINGS = seeded_bug_settings(max_examples=30, stateful_step_count=25)


class IgnoresTolerationSeconds(NodeLifecycleController):
    """Evicts every pod on a NoExecute-tainted node at once, whatever its tolerationSeconds."""

    def _eviction_delay(self, pod: Mapping[str, Any], node: Mapping[str, Any]) -> float | None:
        delay = super()._eviction_delay(pod, node)
        return None if delay is None else 0.0


class NeverTaints(NodeLifecycleController):
    """Marks nodes Ready=Unknown but never taints them (so nothing is ever evicted)."""

    def _taint(self, key: str, node: dict[str, Any], ready: str, all_not_ready: bool, now: float) -> int:
        return 0


class NeverUntaints(NodeLifecycleController):
    """Taints unhealthy nodes but never removes the taints when they are healthy again."""

    def _taint(self, key: str, node: dict[str, Any], ready: str, all_not_ready: bool, now: float) -> int:
        if ready == "True":
            return 0
        return super()._taint(key, node, ready, all_not_ready, now)


def _provider(controller: Any) -> SimulatedControlPlaneProvider:
    return SimulatedControlPlaneProvider(controllers=(ReplicaSetController, controller))


@pytest.mark.parametrize(
    ("controller", "requirement"),
    [
        (IgnoresTolerationSeconds, "NODE-LIFECYCLE-NO-EARLY-EVICTION"),
        (partial(NodeLifecycleController, grace_period_s=20.0), "NODE-LIFECYCLE-READY-UNKNOWN"),
        (NeverTaints, "NODE-LIFECYCLE-UNREACHABLE-TAINT"),
        (NeverUntaints, "NODE-LIFECYCLE-UNREACHABLE-TAINT"),
    ],
    ids=["ignores-toleration-seconds", "grace-period-20s", "never-taints", "never-untaints"],
)
def test_the_node_lifecycle_machine_catches(controller: Any, requirement: str) -> None:
    with pytest.raises(RequirementViolation) as caught:
        run_state_machine_as_test(machine_for(_provider(controller)), settings=SETTINGS)
    assert caught.value.requirement_id == requirement, str(caught.value)


def test_the_reference_passes_the_same_runs() -> None:
    run_state_machine_as_test(machine_for(_provider(NodeLifecycleController)), settings=SETTINGS)


class IgnoresMasterDisruption(NodeLifecycleController):
    """Taints nodes even when no node is Ready (upstream stops evicting then: the control plane may be
    the one cut off)."""

    def _taint(self, key: str, node: dict[str, Any], ready: str, all_not_ready: bool, now: float) -> int:
        return super()._taint(key, node, ready, False, now)


def _noexecute_after_all_nodes_die(controller: Any) -> dict[str, tuple[str | None, list[Any]]]:
    cluster = SimulatedControlPlaneProvider(controllers=(controller,)).new_cluster(seed=0, nodes=3)
    cluster.run(5.0)
    for kubelet in cluster.kubelets:
        kubelet.crash()
    cluster.run(100.0)
    out = {}
    for node in cluster.call("GET", "/api/v1/nodes")[1]["items"]:
        ready = next(c["status"] for c in node["status"]["conditions"] if c["type"] == "Ready")
        taints = [t for t in (node.get("spec") or {}).get("taints") or () if t["effect"] == "NoExecute"]
        out[node["metadata"]["name"]] = (ready, taints)
    return out


@pytest.mark.requirement("NODE-LIFECYCLE-UNREACHABLE-TAINT")
def test_no_noexecute_taint_when_no_node_is_ready() -> None:
    """Master disruption mode, which the machine leaves out: every node Unknown, none tainted NoExecute;
    the variant that ignores it taints them all (the check can fail)."""
    reference = _noexecute_after_all_nodes_die(NodeLifecycleController)
    assert reference == {f"node-{i}": ("Unknown", []) for i in range(3)}, reference
    broken = _noexecute_after_all_nodes_die(IgnoresMasterDisruption)
    assert all(ready == "Unknown" and taints for ready, taints in broken.values()), broken
