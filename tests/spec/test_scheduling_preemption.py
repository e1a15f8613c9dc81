"""Preemption by priority (spec/scheduling/preemption.py), on upstream's unit-test cases.

Ported from kubernetes/kubernetes
``pkg/scheduler/framework/plugins/defaultpreemption/default_preemption_test.go``
(the stored version at commit 008b3652): the cases of ``TestSelectBestCandidate``
(every one, by name), of ``TestDryRunPreemption`` ("all nodes are possible
candidates, but DefaultPreemptionArgs limits to 2", "some nodes are not
possible candidates, DefaultPreemptionArgs limits to 2", "preemption offset
across multiple scheduling cycles and wrap around"; upstream's seeded
``rand.Int31n`` gave the offsets 4, 1, 3 that are passed here directly), of
``TestPostFilter`` (the cases without PDBs, extenders or pod groups) and of
``TestPodEligibleToPreemptOthers``. Upstream's resources and priorities are
kept (``smallRes`` 100m/100 ... ``veryLargeRes`` 500m/500; priorities -100, 0,
100, 1000, 10000); its nodes come from ``st.MakeNode().Capacity(...)``, which
allows 32 pods; its start times ``time.Unix(0, n)`` are n nanoseconds, here n
seconds (metav1.Time keeps whole seconds), which keeps their order.

The remaining tests pin the parts upstream tests with fake filter plugins:
which rejections are unresolvable, the reprieve on other filters than
resources, and the minimality the suite checks (SCHED-PREEMPT-MINIMAL).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from invariants.snapshots import SeededChoices, Shape, anti_affinity, generate_problem, make_node, make_pod
from spec.objects.base import Time
from spec.objects.core import Node, Pod
from spec.scheduling import filters, preemption
from spec.scheduling.filters import LABEL_ZONE, ClusterSnapshot, filter_node
from spec.scheduling.preemption import (
    Victims,
    best_candidates,
    candidates,
    dry_run_preemption,
    num_candidates,
    pod_eligible_to_preempt_others,
    potential_nodes,
    preempt,
    select_victims_on_node,
)

NEG, LOW, MID, HIGH, VERY_HIGH = -100, 0, 100, 1000, 10000
SMALL = ("100m", "100")
MEDIUM = ("200m", "200")
LARGE = ("300m", "300")
VERY_LARGE = ("500m", "500")


def node(name: str, res: tuple[str, str] = VERY_LARGE, pods: int = 32, **kwargs: Any) -> Node:
    return make_node(name, cpu=res[0], memory=res[1], pods=pods, **kwargs)


def pod(
    name: str,
    priority: int | None = None,
    res: tuple[str, str] | None = None,
    on: str = "",
    start: int | None = None,
    spec: Mapping[str, Any] | None = None,
    status: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
    host_ports: Sequence[int] = (),
) -> Pod:
    body: dict[str, Any] = dict(spec or {})
    if priority is not None:
        body["priority"] = priority
    state: dict[str, Any] = dict(status or {})
    if start is not None:
        state["startTime"] = f"1970-01-01T00:{start // 60:02d}:{start % 60:02d}Z"
    return make_pod(
        name,
        cpu=res[0] if res else None,
        memory=res[1] if res else None,
        node_name=on,
        spec=body,
        status=state,
        labels=labels,
        host_ports=host_ports,
    )


def names(pods: Sequence[Pod]) -> list[str]:
    return sorted(p.metadata.name for p in pods)


def snapshot(nodes: Sequence[Node], pods: Sequence[Pod]) -> ClusterSnapshot:
    return ClusterSnapshot(tuple(nodes), tuple(pods))


# -- TestSelectBestCandidate ----------------------------------------------------------------------

E = 0  # epochTime
SELECT_BEST_CANDIDATE = [
    (
        "a pod that fits on both nodes when lower priority pods are preempted",
        ["node1", "node2"],
        pod("p", HIGH, LARGE),
        [pod("p1", MID, LARGE, "node1", E), pod("p2", MID, LARGE, "node2", E)],
        {"node1", "node2"},
    ),
    (
        "node with min highest priority pod is picked",
        ["node1", "node2", "node3"],
        pod("p", HIGH, VERY_LARGE),
        [
            pod("p1.1", MID, MEDIUM, "node1", E),
            pod("p1.2", MID, LARGE, "node1", E),
            pod("p2.1", MID, MEDIUM, "node2", E),
            pod("p2.2", LOW, MEDIUM, "node2", E),
            pod("p3.1", LOW, MEDIUM, "node3", E),
            pod("p3.2", LOW, MEDIUM, "node3", E),
        ],
        {"node3"},
    ),
    (
        "when highest priorities are the same, minimum sum of priorities is picked",
        ["node1", "node2", "node3"],
        pod("p", HIGH, VERY_LARGE),
        [
            pod("p1.1", MID, MEDIUM, "node1", E),
            pod("p1.2", MID, LARGE, "node1", E),
            pod("p2.1", MID, LARGE, "node2", E),
            pod("p2.2", LOW, MEDIUM, "node2", E),
            pod("p3.1", MID, MEDIUM, "node3", E),
            pod("p3.2", MID, MEDIUM, "node3", E),
        ],
        {"node2"},
    ),
    (
        "when highest priority and sum are the same, minimum number of pods is picked",
        ["node1", "node2", "node3"],
        pod("p", HIGH, VERY_LARGE),
        [
            pod("p1.1", MID, SMALL, "node1", E),
            pod("p1.2", NEG, SMALL, "node1", E),
            pod("p1.3", MID, SMALL, "node1", E),
            pod("p1.4", NEG, SMALL, "node1", E),
            pod("p2.1", MID, LARGE, "node2", E),
            pod("p2.2", NEG, MEDIUM, "node2", E),
            pod("p3.1", MID, MEDIUM, "node3", E),
            pod("p3.2", NEG, SMALL, "node3", E),
            pod("p3.3", LOW, SMALL, "node3", E),
        ],
        {"node2"},
    ),
    (
        "sum of adjusted priorities is considered",
        ["node1", "node2", "node3"],
        pod("p", HIGH, VERY_LARGE),
        [
            pod("p1.1", MID, SMALL, "node1", E),
            pod("p1.2", NEG, SMALL, "node1", E),
            pod("p1.3", NEG, SMALL, "node1", E),
            pod("p2.1", MID, LARGE, "node2", E),
            pod("p2.2", NEG, MEDIUM, "node2", E),
            pod("p3.1", MID, MEDIUM, "node3", E),
            pod("p3.2", NEG, SMALL, "node3", E),
            pod("p3.3", LOW, SMALL, "node3", E),
        ],
        {"node2"},
    ),
    (
        "non-overlapping lowest high priority, sum priorities, and number of pods",
        ["node1", "node2", "node3", "node4"],
        pod("p", VERY_HIGH, VERY_LARGE),
        [
            pod("p1.1", MID, SMALL, "node1", E),
            pod("p1.2", LOW, SMALL, "node1", E),
            pod("p1.3", LOW, SMALL, "node1", E),
            pod("p2.1", HIGH, LARGE, "node2", E),
            pod("p3.1", MID, MEDIUM, "node3", E),
            pod("p3.2", LOW, SMALL, "node3", E),
            pod("p3.3", LOW, SMALL, "node3", E),
            pod("p3.4", LOW, MEDIUM, "node3", E),
            pod("p4.1", MID, MEDIUM, "node4", E),
            pod("p4.2", MID, SMALL, "node4", E),
            pod("p4.3", MID, SMALL, "node4", E),
            pod("p4.4", NEG, SMALL, "node4", E),
        ],
        {"node1"},
    ),
    (
        "same priority, same number of victims, different start time for each node's pod",
        ["node1", "node2", "node3"],
        pod("p", HIGH, VERY_LARGE),
        [
            pod("p1.1", MID, MEDIUM, "node1", 2),
            pod("p1.2", MID, MEDIUM, "node1", 2),
            pod("p2.1", MID, MEDIUM, "node2", 3),
            pod("p2.2", MID, MEDIUM, "node2", 3),
            pod("p3.1", MID, MEDIUM, "node3", 1),
            pod("p3.2", MID, MEDIUM, "node3", 1),
        ],
        {"node2"},
    ),
    (
        "same priority, same number of victims, different start time for all pods",
        ["node1", "node2", "node3"],
        pod("p", HIGH, VERY_LARGE),
        [
            pod("p1.1", MID, MEDIUM, "node1", 4),
            pod("p1.2", MID, MEDIUM, "node1", 2),
            pod("p2.1", MID, MEDIUM, "node2", 5),
            pod("p2.2", MID, MEDIUM, "node2", 1),
            pod("p3.1", MID, MEDIUM, "node3", 3),
            pod("p3.2", MID, MEDIUM, "node3", 6),
        ],
        {"node3"},
    ),
    (
        "different priority, same number of victims, different start time for all pods",
        ["node1", "node2", "node3"],
        pod("p", HIGH, VERY_LARGE),
        [
            pod("p1.1", LOW, MEDIUM, "node1", 4),
            pod("p1.2", MID, MEDIUM, "node1", 2),
            pod("p2.1", MID, MEDIUM, "node2", 6),
            pod("p2.2", LOW, MEDIUM, "node2", 1),
            pod("p3.1", LOW, MEDIUM, "node3", 3),
            pod("p3.2", MID, MEDIUM, "node3", 5),
        ],
        {"node2"},
    ),
]


@pytest.mark.requirement("SCHED-PREEMPT-PICK")
@pytest.mark.parametrize(
    ("node_names", "preemptor", "pods", "expected"),
    [case[1:] for case in SELECT_BEST_CANDIDATE],
    ids=[case[0] for case in SELECT_BEST_CANDIDATE],
)
def test_select_best_candidate(
    node_names: list[str], preemptor: Pod, pods: list[Pod], expected: set[str]
) -> None:
    cluster = snapshot([node(n) for n in node_names], pods)
    found = candidates(preemptor, cluster)
    assert set(best_candidates(found)) <= expected
    chosen = preempt(preemptor, cluster)
    assert chosen is not None and chosen.node in expected


# -- TestDryRunPreemption ---------------------------------------------------------------------------


def five_nodes(priorities: Sequence[int]) -> ClusterSnapshot:
    nodes = [node(f"node{i}") for i in range(1, 6)]
    pods = [pod(f"p{i}", p, LARGE, f"node{i}") for i, p in enumerate(priorities, start=1)]
    return snapshot(nodes, pods)


@pytest.mark.requirement("SCHED-PREEMPT-PICK")
@pytest.mark.parametrize(
    ("priorities", "offsets", "expected"),
    [
        ([MID] * 5, [4], [{"node1": ["p1"], "node5": ["p5"]}]),
        ([MID, VERY_HIGH, MID, MID, VERY_HIGH], [4], [{"node1": ["p1"], "node3": ["p3"]}]),
        (
            [MID] * 5,
            [4, 1, 3],
            [
                {"node1": ["p1"], "node5": ["p5"]},
                {"node2": ["p2"], "node3": ["p3"]},
                {"node4": ["p4"], "node5": ["p5"]},
            ],
        ),
    ],
    ids=[
        "all nodes are possible candidates, but DefaultPreemptionArgs limits to 2",
        "some nodes are not possible candidates, DefaultPreemptionArgs limits to 2",
        "preemption offset across multiple scheduling cycles and wrap around",
    ],
)
def test_dry_run_preemption(
    priorities: list[int], offsets: list[int], expected: list[dict[str, list[str]]]
) -> None:
    cluster = five_nodes(priorities)
    for offset, want in zip(offsets, expected, strict=True):
        # DefaultPreemptionArgs{MinCandidateNodesPercentage: 40, MinCandidateNodesAbsolute: 1}
        found = dry_run_preemption(pod("p", HIGH, LARGE), cluster, offset, percentage=40, absolute=1)
        assert {v.node: names(v.pods) for v in found} == want


@pytest.mark.requirement("SCHED-PREEMPT-PICK")
@pytest.mark.parametrize(
    ("potential", "expected"),
    [(0, 0), (1, 1), (99, 99), (100, 100), (101, 100), (1000, 100), (1010, 101), (5000, 500)],
)
def test_num_candidates_is_ten_percent_but_at_least_100(potential: int, expected: int) -> None:
    assert num_candidates(potential) == expected


# -- TestPostFilter ---------------------------------------------------------------------------------

ONE_POD = ("1", "1Gi")


def one_pod_node(name: str) -> Node:
    return make_node(name, cpu="1", memory="1Gi", pods=1)


@pytest.mark.requirement("SCHED-PREEMPT-PICK", "SCHED-PREEMPT-LOWER", "SCHED-PREEMPT-COMPLETE")
@pytest.mark.parametrize(
    ("preemptor", "nodes", "pods", "expected"),
    [
        (pod("p", HIGH), [one_pod_node("node1")], [pod("p1", None, on="node1")], "node1"),
        (pod("p"), [one_pod_node("node1")], [pod("p1", None, on="node1")], None),
        (
            pod("p", MID),
            [one_pod_node("node1"), one_pod_node("node2")],
            [pod("p1", HIGH, on="node1"), pod("p2", LOW, on="node2")],
            "node2",
        ),
        (
            pod("p", HIGH, LARGE),
            [node("node1", ("200m", "400")), node("node2", ("200m", "400"))],
            [pod("p1", None, on="node1"), pod("p2", None, on="node2")],
            None,
        ),
        (
            pod("p", HIGH, LARGE),
            [one_pod_node("node1"), node("node2", ("200m", "400")), one_pod_node("node3")],
            [pod("p1", HIGH, on="node1"), pod("p2", None, on="node2"), pod("p3", HIGH, on="node3")],
            None,
        ),
    ],
    ids=[
        "pod with higher priority can be made schedulable",
        "pod with tied priority is still unschedulable",
        "pod can be made schedulable on one node",
        "no candidate nodes found, no enough resource after removing low priority pods",
        "no candidate nodes found with mixed reasons, no lower priority pod and no enough CPU resource",
    ],
)
def test_post_filter(preemptor: Pod, nodes: list[Node], pods: list[Pod], expected: str | None) -> None:
    chosen = preempt(preemptor, snapshot(nodes, pods))
    assert (chosen.node if chosen else None) == expected
    if chosen is not None:
        assert all(preemption.pod_priority(v) < preemption.pod_priority(preemptor) for v in chosen.pods)


# -- TestPodEligibleToPreemptOthers -------------------------------------------------------------

TERMINATING = {"deletionTimestamp": "2020-01-01T00:00:00Z"}
PREEMPTED = {
    "conditions": [{"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler"}]
}


def terminating(name: str, priority: int, on: str, status: Mapping[str, Any] | None = None) -> Pod:
    victim = pod(name, priority, on=on, status=status)
    return victim.replace(
        metadata=victim.metadata.replace(deletion_timestamp=TERMINATING["deletionTimestamp"])
    )


@pytest.mark.requirement("SCHED-PREEMPT-ELIGIBLE")
@pytest.mark.parametrize(
    ("preemptor", "nodes", "pods", "expected"),
    [
        (
            pod("p_with_nominated_node", HIGH, status={"nominatedNodeName": "node1"}),
            # the nominated node rejects the pod as unresolvable (an untolerated taint)
            [node("node1", taints=[{"key": "k", "value": "v", "effect": "NoSchedule"}])],
            [terminating("p1", LOW, "node1", PREEMPTED)],
            True,
        ),
        (
            pod("p_without_status", HIGH, status={"nominatedNodeName": "node1"}),
            [node("node1")],
            [terminating("p1", LOW, "node1", PREEMPTED)],
            False,
        ),
        (pod("p_without_nominated_node", HIGH), [node("node1")], [], True),
        (
            pod("p_with_preempt_never_policy", HIGH, spec={"preemptionPolicy": "Never"}),
            [node("node1")],
            [],
            False,
        ),
        (
            pod("p_with_nominated_node", HIGH, status={"nominatedNodeName": "node1"}),
            [node("node1")],
            [terminating("p1", LOW, "node1")],
            True,
        ),
        (
            pod("p_with_nominated_node", HIGH, status={"nominatedNodeName": "node1"}),
            [node("node1")],
            [terminating("p1", VERY_HIGH, "node1", PREEMPTED)],
            True,
        ),
    ],
    ids=[
        "Pod with nominated node",
        "Pod with nominated node, but without nominated node status",
        "Pod without nominated node",
        "Pod with 'PreemptNever' preemption policy",
        "non-victim Pods terminating",
        "terminating pod of higher priority on the nominated node",
    ],
)
def test_pod_eligible_to_preempt_others(
    preemptor: Pod, nodes: list[Node], pods: list[Pod], expected: bool
) -> None:
    assert pod_eligible_to_preempt_others(preemptor, snapshot(nodes, pods))[0] is expected


def test_a_pod_with_preemption_policy_never_preempts_nothing() -> None:
    cluster = snapshot([one_pod_node("node1")], [pod("p1", LOW, on="node1")])
    assert preempt(pod("p", HIGH, spec={"preemptionPolicy": "Never"}), cluster) is None
    assert preempt(pod("p", HIGH, spec={"preemptionPolicy": "PreemptLowerPriority"}), cluster) is not None


# -- candidates: unresolvable rejections -----------------------------------------------------------


@pytest.mark.requirement("SCHED-PREEMPT-CANDIDATE")
@pytest.mark.parametrize(
    ("target", "preemptor", "potential"),
    [
        (node("n", pods=1, unschedulable=True), pod("p", HIGH), False),
        (node("n", pods=1, taints=[{"key": "k", "effect": "NoExecute"}]), pod("p", HIGH), False),
        (
            node("n", pods=1, labels={"disk": "hdd"}),
            pod("p", HIGH, spec={"nodeSelector": {"disk": "ssd"}}),
            False,
        ),
        (node("n", pods=1), pod("p", HIGH, spec={"nodeName": "other"}), False),
        (node("n", ("1", "1Gi")), pod("p", HIGH, ("2", "1")), False),  # more cpu than allocatable
        (node("n", ("1", "1Gi")), pod("p", HIGH, ("600m", "1")), True),  # fits once pods are gone
        (node("n", pods=1), pod("p", HIGH), True),  # too many pods
    ],
    ids=["unschedulable", "taint", "node-affinity", "node-name", "request-above-allocatable", "cpu", "pods"],
)
def test_unresolvable_rejections_are_no_candidates(target: Node, preemptor: Pod, potential: bool) -> None:
    cluster = snapshot([target], [pod("low", LOW, ("500m", "1"), on="n")])
    assert filter_node(preemptor, target, cluster)
    assert (potential_nodes(preemptor, cluster) == (target,)) is potential
    assert (preempt(preemptor, cluster) is not None) is potential


@pytest.mark.requirement("SCHED-PREEMPT-CANDIDATE")
def test_unmet_pod_affinity_and_missing_spread_key_are_unresolvable() -> None:
    # Room for the pod: the first filter to reject is the one under test (upstream reads its status).
    target = node("n")
    cluster = snapshot([target], [pod("low", LOW, on="n", labels={"app": "db"})])
    affinity = {
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": LABEL_ZONE}
            ]
        }
    }
    wants_zone = pod("p", HIGH, spec={"affinity": affinity})
    assert not potential_nodes(wants_zone, cluster)
    spread = {
        "maxSkew": 1,
        "topologyKey": LABEL_ZONE,
        "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": {"app": "web"}},
    }
    spreads = pod("p", HIGH, spec={"topologySpreadConstraints": [spread]})
    assert not potential_nodes(spreads, cluster)


# -- victims: every lower pod removed, then reprieved ---------------------------------------------


@pytest.mark.requirement("SCHED-PREEMPT-MINIMAL", "SCHED-PREEMPT-FITS")
def test_pods_that_do_not_block_are_reprieved() -> None:
    target = node("n", ("1", "1Gi"))
    pods = [
        pod("big-low", LOW, ("600m", "1"), "n", 1),
        pod("small-low", LOW, ("100m", "1"), "n", 2),
        pod("small-mid", MID, ("100m", "1"), "n", 3),
        pod("high", VERY_HIGH, ("100m", "1"), "n", 4),
    ]
    victims = select_victims_on_node(pod("p", HIGH, ("500m", "1")), target, snapshot([target], pods))
    assert victims == Victims("n", (pods[0],))


@pytest.mark.requirement("SCHED-PREEMPT-MINIMAL")
def test_reprieve_goes_from_the_most_important_pod_down() -> None:
    target = node("n", ("1", "1Gi"))
    # Either pod alone leaves room; the more important (higher priority) one stays.
    pods = [pod("a", LOW, ("500m", "1"), "n", 1), pod("b", MID, ("500m", "1"), "n", 2)]
    victims = select_victims_on_node(pod("p", HIGH, ("500m", "1")), target, snapshot([target], pods))
    assert victims is not None and names(victims.pods) == ["a"]
    # Equal priority: the one started earlier is more important and stays.
    pods = [pod("a", LOW, ("500m", "1"), "n", 1), pod("b", LOW, ("500m", "1"), "n", 2)]
    victims = select_victims_on_node(pod("p", HIGH, ("500m", "1")), target, snapshot([target], pods))
    assert victims is not None and names(victims.pods) == ["b"]


@pytest.mark.requirement("SCHED-PREEMPT-MINIMAL", "SCHED-PREEMPT-FITS")
def test_ports_and_anti_affinity_are_resolved_by_preemption() -> None:
    target = node("n")
    ports = [pod("port-user", LOW, on="n", host_ports=[80]), pod("other", LOW, on="n")]
    found = select_victims_on_node(pod("p", HIGH, host_ports=[80]), target, snapshot([target], ports))
    assert found is not None and names(found.pods) == ["port-user"]
    anti = [pod("web", LOW, on="n", labels={"app": "web"}), pod("db", LOW, on="n", labels={"app": "db"})]
    preemptor = pod("p", HIGH, spec={"affinity": anti_affinity({"app": "web"})})
    found = select_victims_on_node(preemptor, target, snapshot([target], anti))
    assert found is not None and names(found.pods) == ["web"]


@pytest.mark.requirement("SCHED-PREEMPT-LOWER")
def test_equal_or_higher_priority_pods_are_never_victims() -> None:
    target = node("n", ("1", "1Gi"))
    pods = [pod("same", HIGH, ("600m", "1"), "n"), pod("low", LOW, ("300m", "1"), "n")]
    # Removing the only lower pod is not enough: the node is no candidate.
    assert select_victims_on_node(pod("p", HIGH, ("500m", "1")), target, snapshot([target], pods)) is None


@pytest.mark.requirement("SCHED-PREEMPT-PICK")
def test_a_victim_without_start_time_counts_as_started_now() -> None:
    nodes = [node("node1"), node("node2")]
    pods = [pod("old", MID, LARGE, "node1", 5), pod("new", MID, LARGE, "node2")]
    assert best_candidates(candidates(pod("p", HIGH, LARGE), snapshot(nodes, pods))) == ["node2"]


# -- properties over generated snapshots -------------------------------------------------------


def with_priorities(cluster: ClusterSnapshot, seed: int) -> ClusterSnapshot:
    """The snapshot's pods with priorities 0 / 10 / 100 and start times drawn from ``seed``."""
    chooser = random.Random(seed)
    pods = []
    for i, p in enumerate(cluster.pods):
        start = Time.of(datetime.fromtimestamp(1_700_000_000 + chooser.randrange(60) * 60 + i, UTC))
        pods.append(
            p.replace(
                spec=p.spec.replace(priority=chooser.choice((0, 10, 100))),
                status=p.status.replace(start_time=start),
            )
        )
    return ClusterSnapshot(cluster.nodes, tuple(pods), cluster.namespace_labels)


@pytest.mark.requirement(
    "SCHED-PREEMPT-LOWER", "SCHED-PREEMPT-FITS", "SCHED-PREEMPT-MINIMAL", "SCHED-PREEMPT-CANDIDATE"
)
def test_every_candidate_has_lower_victims_that_make_just_enough_room() -> None:
    checked = 0
    for seed in range(12):
        shape = Shape(pods=3, nodes=4, existing=10, load=150, affinity=True, spread=True)
        problem = generate_problem(SeededChoices(seed), shape)
        cluster = with_priorities(problem.snapshot, seed)
        for pending in problem.pending:
            preemptor = pending.replace(spec=pending.spec.replace(priority=50))
            for found in candidates(preemptor, cluster):
                target = cluster.node_by_name[found.node]
                assert not preemption.node_unresolvable(preemptor, target, cluster)
                assert found.pods and all(preemption.preemption_allowed(v, preemptor) for v in found.pods)
                assert all(v.spec.node_name == found.node for v in found.pods)
                after = preemption.without_pods(cluster, found.pods)
                assert preemption.fits(preemptor, target, after)
                monotone = not filters.hard_spread_constraints(preemptor) and not (
                    filters.required_affinity_terms(preemptor)
                )
                if monotone:
                    for victim in found.pods:
                        assert not preemption.fits(preemptor, target, after.with_pod(victim, found.node))
                checked += 1
    assert checked >= 5, "the generated snapshots gave too few candidates to test anything"


@pytest.mark.requirement("SCHED-PREEMPT-PICK")
def test_past_100_potential_nodes_the_dry_run_stops_and_misses_no_more_than_it_skips() -> None:
    nodes = [node(f"n{i:03d}") for i in range(150)]
    # Every node full with one pod; priorities vary so that candidates differ in the pick's criteria.
    pods = [pod(f"p{i:03d}", (i * 7) % 5 * 10, LARGE, f"n{i:03d}", i) for i in range(150)]
    cluster = snapshot(nodes, pods)
    preemptor = pod("p", HIGH, LARGE)
    everyone = candidates(preemptor, cluster)
    assert len(everyone) == 150 and num_candidates(150) == 100
    for offset in (0, 37, 149):
        found = dry_run_preemption(preemptor, cluster, offset)
        assert len(found) == 100
        chosen = min(found, key=preemption.preference)
        better = [v for v in everyone if preemption.preference(v) < preemption.preference(chosen)]
        assert len(better) <= len(everyone) - num_candidates(150)
