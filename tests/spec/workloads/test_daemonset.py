"""spec/workloads/daemonset.py: eligibility (node name, selectors, node affinity, taints and the automatic
tolerations), podsShouldBeOnNode and manage, on the cases of upstream's daemon_controller_test.go
(TestNodeShouldRunDaemonPod, tainted and not-ready nodes, duplicate and failed daemon pods).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import spec.workloads.daemonset as ds
from spec.objects.core import (
    Affinity,
    Node,
    NodeAffinity,
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    NodeSpec,
    PodSpec,
    Taint,
    Toleration,
)
from spec.objects.meta import ObjectMeta
from spec.scheduling.corev1 import tolerates
from spec.workloads.daemonset import DaemonPod, DaemonSetSync, NodeEligibility


def node(name: str = "n1", *taints: Taint, labels: dict[str, str] | None = None) -> Node:
    return Node(metadata=ObjectMeta(name=name, labels=labels or {}), spec=NodeSpec(taints=taints))


def affinity(*terms: NodeSelectorTerm) -> Affinity:
    return Affinity(
        node_affinity=NodeAffinity(
            required_during_scheduling_ignored_during_execution=NodeSelector(node_selector_terms=terms)
        )
    )


@pytest.mark.requirement("DAEMONSET-TOLERATIONS")
@pytest.mark.parametrize(
    ("taint", "host_network", "expected"),
    [
        (Taint(key=ds.TAINT_NOT_READY, effect=ds.NO_EXECUTE), False, (True, True)),
        (Taint(key=ds.TAINT_UNREACHABLE, effect=ds.NO_EXECUTE), False, (True, True)),
        (Taint(key=ds.TAINT_MEMORY_PRESSURE, effect=ds.NO_SCHEDULE), False, (True, True)),
        (Taint(key=ds.TAINT_UNSCHEDULABLE, effect=ds.NO_SCHEDULE), False, (True, True)),
        (Taint(key=ds.TAINT_NETWORK_UNAVAILABLE, effect=ds.NO_SCHEDULE), False, (False, True)),
        (Taint(key=ds.TAINT_NETWORK_UNAVAILABLE, effect=ds.NO_SCHEDULE), True, (True, True)),
        (Taint(key="dedicated", value="x", effect=ds.NO_SCHEDULE), False, (False, True)),
        (Taint(key="dedicated", value="x", effect=ds.NO_EXECUTE), False, (False, False)),
        (Taint(key="dedicated", value="x", effect=ds.PREFER_NO_SCHEDULE), False, (True, True)),
    ],
)
def test_taints_and_automatic_tolerations(
    taint: Taint, host_network: bool, expected: tuple[bool, bool]
) -> None:
    assert ds.node_should_run_daemon_pod(node("n1", taint), PodSpec(host_network=host_network)) == expected


def test_template_tolerations() -> None:
    taint = Taint(key="dedicated", value="x", effect=ds.NO_EXECUTE)
    exists = Toleration(key="dedicated", operator="Exists")
    equal_other = Toleration(key="dedicated", operator="Equal", value="y", effect=ds.NO_EXECUTE)
    assert ds.node_should_run_daemon_pod(node("n1", taint), PodSpec(tolerations=(exists,))) == (True, True)
    assert ds.node_should_run_daemon_pod(node("n1", taint), PodSpec(tolerations=(equal_other,))) == (
        False,
        False,
    )
    assert tolerates(Toleration(operator="Exists"), taint)  # empty key and Exists: every taint


def test_automatic_tolerations_replace_equal_ones() -> None:
    timed = Toleration(
        key=ds.TAINT_NOT_READY, operator="Exists", effect=ds.NO_EXECUTE, toleration_seconds=300
    )
    added = ds.add_daemon_pod_tolerations(PodSpec(tolerations=(timed,)))
    assert added[0] == Toleration(key=ds.TAINT_NOT_READY, operator="Exists", effect=ds.NO_EXECUTE)
    assert len(added) == len(ds.AUTOMATIC_TOLERATIONS)
    assert len(ds.add_daemon_pod_tolerations(PodSpec(host_network=True))) == len(ds.AUTOMATIC_TOLERATIONS) + 1


def test_node_name_selector_and_affinity() -> None:
    labeled = node("n1", labels={"disk": "ssd", "gen": "5"})
    assert ds.node_should_run_daemon_pod(labeled, PodSpec(node_name="n2")) == (False, False)
    assert ds.node_should_run_daemon_pod(labeled, PodSpec(node_selector={"disk": "ssd"})) == (True, True)
    assert ds.node_should_run_daemon_pod(labeled, PodSpec(node_selector={"disk": "hdd"})) == (False, False)
    gt = NodeSelectorTerm(
        match_expressions=(NodeSelectorRequirement(key="gen", operator="Gt", values=("4",)),)
    )
    name = NodeSelectorTerm(
        match_fields=(NodeSelectorRequirement(key="metadata.name", operator="In", values=("n9",)),)
    )
    assert ds.node_affinity_matches(PodSpec(affinity=affinity(gt)), labeled)
    assert not ds.node_affinity_matches(PodSpec(affinity=affinity(name)), labeled)
    assert ds.node_affinity_matches(PodSpec(affinity=affinity(name, gt)), labeled)  # terms are ORed
    assert not ds.node_affinity_matches(PodSpec(affinity=affinity(NodeSelectorTerm())), labeled)


@pytest.mark.requirement("DAEMONSET-COVERAGE")
def test_pods_should_be_on_node() -> None:
    old, new = DaemonPod("old", "n", created=1), DaemonPod("new", "n", created=2)
    unbound = DaemonPod("unbound", "n", created=0, scheduled=False)
    assert ds.pods_should_be_on_node(True, True, None) == (True, [])
    assert ds.pods_should_be_on_node(True, True, [new, old, unbound]) == (False, ["new", "unbound"])
    failed = DaemonPod("f", "n", phase="Failed")
    assert ds.pods_should_be_on_node(True, True, [failed]) == (False, ["f"])
    going = DaemonPod("g", "n", terminating=True)
    assert ds.pods_should_be_on_node(True, True, [going]) == (False, [])  # waits: no pod beside a dying one
    assert ds.pods_should_be_on_node(False, False, [old, going]) == (False, ["old"])
    assert ds.pods_should_be_on_node(False, True, [old]) == (False, [])


def test_manage_and_sync() -> None:
    nodes = [node("a"), node("b", Taint(key="dedicated", effect=ds.NO_SCHEDULE)), node("c")]
    pods = [
        DaemonPod("b1", "b"),
        DaemonPod("c1", "c", phase="Failed", terminating=True),  # not counted at all
        DaemonPod("gone1", "gone", scheduled=False),
        DaemonPod("gone2", "gone"),  # bound to a deleted node: the pod GC's
    ]
    assert ds.sync(PodSpec(), nodes, pods) == DaemonSetSync(creations=("a", "c"), deletions=("gone1",))
    many = [NodeEligibility(f"n{i}", True, True) for i in range(300)]
    assert len(ds.manage(many, []).creations) == ds.BURST_REPLICAS
    assert ds.manage(many, [], failed_creations=frozenset({1})).creations == ("n0", "n1", "n2")


@given(
    taints=st.lists(
        st.builds(
            Taint,
            key=st.sampled_from([ds.TAINT_NOT_READY, ds.TAINT_DISK_PRESSURE, "x"]),
            effect=st.sampled_from(ds.TAINT_EFFECTS),
        ),
        max_size=3,
    ),
    host_network=st.booleans(),
)
def test_should_run_implies_should_continue(taints: list[Taint], host_network: bool) -> None:
    # What the coverage proof assumes of every node's pair of Booleans.
    should_run, should_continue = ds.node_should_run_daemon_pod(
        node("n", *taints), PodSpec(host_network=host_network)
    )
    assert should_continue or not should_run
