"""The default profile's Score plugins (spec/scheduling/scores.py) on upstream's own unit-test cases.

Every parametrized case below is a case of upstream's test for that plugin
(kubernetes/kubernetes ``pkg/scheduler/framework/plugins/...``), with its
expected scores: ``noderesources/least_allocated_test.go``
``TestLeastAllocatedScoringStrategy``, ``noderesources/balanced_allocation_test.go``
``TestNodeResourcesBalancedAllocation``, ``imagelocality/image_locality_test.go``
``TestImageLocalityPriority`` (the version with ``maxContainerThreshold`` and
init containers), ``tainttoleration/taint_toleration_test.go``
``TestTaintTolerationScore``, ``nodeaffinity/node_affinity_test.go``
``TestNodeAffinityPriority``, ``interpodaffinity/scoring_test.go``
``TestPreferredAffinity`` and ``podtopologyspread/scoring_test.go``
``TestPodTopologySpreadScore``. Upstream's fixtures are rebuilt here as JSON
(``st.MakePod().Req(...)`` is one container per ``Req``; ``st.MakePod()``
alone has no container). Cases marked "derived" are not upstream's: their
expected values are worked out from the formula in the comment.

Hypothesis properties: every normalized score lies in 0..100, the total is
the weighted sum, and normalization keeps the plugin's preference order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spec.objects import from_dict
from spec.objects.core import Node, Pod
from spec.quantity import parse_quantity
from spec.scheduling import scores
from spec.scheduling.filters import ClusterSnapshot, pod_request_quantities
from spec.scheduling.scores import (
    DEFAULT_WEIGHTS,
    MB,
    balanced_allocation_scores,
    image_locality_scores,
    inter_pod_affinity_scores,
    least_allocated_scores,
    node_affinity_scores,
    normalized_image_name,
    pod_topology_spread_scores,
    taint_toleration_scores,
)

# -- fixtures as upstream's test helpers build them -------------------------------------------


def node(
    name: str,
    labels: Mapping[str, str] | None = None,
    *,
    cpu: str | None = None,
    memory: str | None = None,
    taints: Sequence[Mapping[str, str]] = (),
    images: Sequence[tuple[Sequence[str], int]] = (),
) -> Node:
    """A node with exactly the given labels, allocatable, taints and ``status.images``."""
    allocatable = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    body = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": dict(labels or {})},
        "spec": {"taints": [dict(t) for t in taints]},
        "status": {
            "allocatable": allocatable,
            "images": [{"names": list(names), "sizeBytes": size} for names, size in images],
        },
    }
    return cast(Node, from_dict(body))


def pod(
    name: str = "p",
    *,
    node_name: str = "",
    labels: Mapping[str, str] | None = None,
    requests: Sequence[Mapping[str, str]] = (),
    images: Sequence[str] = (),
    init_images: Sequence[str] = (),
    namespace: str = "default",
    spec: Mapping[str, Any] | None = None,
) -> Pod:
    """One container per ``requests`` entry (``st.MakePod().Req``) or per image; none if neither."""
    containers: list[dict[str, Any]] = [
        {"name": f"c{i}", "resources": {"requests": dict(r)}} for i, r in enumerate(requests)
    ]
    containers += [{"name": f"i{i}", "image": image} for i, image in enumerate(images)]
    pod_spec: dict[str, Any] = {"containers": containers, **(spec or {})}
    if init_images:
        pod_spec["initContainers"] = [{"name": f"init{i}", "image": im} for i, im in enumerate(init_images)]
    if node_name:
        pod_spec["nodeName"] = node_name
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels or {})},
        "spec": pod_spec,
    }
    return cast(Pod, from_dict(body))


def scored(
    plugin: scores.ScorePlugin,
    incoming: Pod,
    candidates: Sequence[Node],
    existing: Sequence[Pod] = (),
    others: Sequence[Node] = (),
    namespace_labels: Mapping[str, Mapping[str, str]] | None = None,
) -> list[int]:
    """The plugin's normalized scores of ``candidates`` (``others`` are in the cluster, not candidates)."""
    snapshot = ClusterSnapshot((*candidates, *others), tuple(existing), dict(namespace_labels or {}))
    result = plugin(incoming, candidates, snapshot)
    return [result[n.metadata.name] for n in candidates]


@pytest.mark.requirement("SCHED-SCORE-LEAST-ALLOCATED")
def test_non_missing_requests_fill_absent_keys_of_init_containers_too() -> None:
    # component-helpers resource/helpers_test.go "non missing container requests applied to init container".
    only_init = pod(spec={"initContainers": [{"name": "i1", "resources": {"requests": {"cpu": "1"}}}]})
    got = pod_request_quantities(only_init, {"memory": parse_quantity("100Mi")})
    assert got == {"cpu": parse_quantity("1"), "memory": parse_quantity("100Mi")}
    # The scores' defaults: 100m / 200Mi for each container that does not list cpu or memory.
    two = pod(requests=[{}, {"cpu": "250m"}])
    assert scores.non_zero_pod_requests(two) == {"cpu": 350, "memory": 2 * 200 * MB}


@pytest.mark.requirement("SCHED-SCORE-IMAGE-LOCALITY")
def test_node_status_images_parse() -> None:
    parsed = node("n", images=[(["gcr.io/40:latest", "gcr.io/40:v1"], 40 * MB)])
    assert parsed.status.images[0].names == ("gcr.io/40:latest", "gcr.io/40:v1")
    assert parsed.status.images[0].size_bytes == 40 * MB
    assert scores.node_image_sizes(parsed) == {"gcr.io/40:latest": 40 * MB, "gcr.io/40:v1": 40 * MB}


# -- NodeResourcesFit LeastAllocated ------------------------------------------------------------

_REQ_1_2 = ({"cpu": "1000", "memory": "2000"}, {"cpu": "2000", "memory": "3000"})


@pytest.mark.requirement("SCHED-SCORE-LEAST-ALLOCATED")
@pytest.mark.parametrize(
    ("incoming", "capacities", "existing", "expected"),
    [
        pytest.param(
            pod(), [("4000", "10000")] * 2, [], [100, 100], id="nothing scheduled, nothing requested"
        ),
        pytest.param(
            pod(requests=_REQ_1_2),
            [("4000", "10000"), ("6000", "10000")],
            [],
            [37, 50],
            id="nothing scheduled, resources requested, differently sized nodes",
        ),
        pytest.param(
            pod(),
            [("4000", "10000")] * 2,
            [pod(node_name="node1"), pod(node_name="node1"), pod(node_name="node2"), pod(node_name="node2")],
            [100, 100],
            id="no resources requested, pods scheduled",
        ),
        pytest.param(
            pod(),
            [("10000", "20000")] * 2,
            [
                pod(node_name="node1", requests=[{"cpu": "3000", "memory": "0"}]),
                pod(node_name="node1", requests=[{"cpu": "3000", "memory": "0"}]),
                pod(node_name="node2", requests=[{"cpu": "3000", "memory": "0"}]),
                pod(node_name="node2", requests=[{"cpu": "3000", "memory": "5000"}]),
            ],
            [70, 57],
            id="no resources requested, pods scheduled with resources",
        ),
        pytest.param(
            pod(requests=_REQ_1_2),
            [("10000", "20000")] * 2,
            [
                pod(node_name="node1", requests=[{"cpu": "3000", "memory": "0"}]),
                pod(node_name="node2", requests=[{"cpu": "3000", "memory": "5000"}]),
            ],
            [57, 45],
            id="resources requested, pods scheduled with resources",
        ),
        pytest.param(
            pod(requests=_REQ_1_2),
            [("10000", "20000"), ("10000", "50000")],
            [
                pod(node_name="node1", requests=[{"cpu": "3000", "memory": "0"}]),
                pod(node_name="node2", requests=[{"cpu": "3000", "memory": "5000"}]),
            ],
            [57, 60],
            id="resources requested, pods scheduled with resources, differently sized nodes",
        ),
        pytest.param(
            pod(requests=[{"cpu": "3000", "memory": "0"}]),
            [("4000", "10000")] * 2,
            [
                pod(node_name="node1", requests=[{"cpu": "3000", "memory": "0"}]),
                pod(node_name="node2", requests=[{"cpu": "3000", "memory": "5000"}]),
            ],
            [50, 25],
            id="requested resources exceed node capacity",
        ),
        pytest.param(
            pod(),
            [(None, None)] * 2,
            [
                pod(node_name="node1", requests=[{"cpu": "3000", "memory": "0"}]),
                pod(node_name="node2", requests=[{"cpu": "3000", "memory": "5000"}]),
            ],
            [0, 0],
            id="zero node resources, pods scheduled with resources",
        ),
        # Derived: one container without requests counts 100m and 200Mi. On 1 cpu / 1Gi:
        # cpu (1000 - 100) * 100 // 1000 = 90, memory (1024 - 200) * 100 // 1024 = 80, mean 85.
        pytest.param(pod(requests=[{}]), [("1", "1Gi")], [], [85], id="derived: non-zero defaults"),
        # Derived: an explicit 0 is not missing: cpu 100, memory (1024 - 200) * 100 // 1024 = 80, mean 90.
        pytest.param(
            pod(requests=[{"cpu": "0"}]), [("1", "1Gi")], [], [90], id="derived: explicit zero stays zero"
        ),
        # Derived: a resource the node does not have leaves the average (cpu (4 - 1) * 100 // 4 = 75 alone).
        pytest.param(
            pod(requests=[{"cpu": "1"}]), [("4", None)], [], [75], id="derived: no memory allocatable"
        ),
    ],
)
def test_least_allocated_matches_upstream(
    incoming: Pod, capacities: list[tuple[str | None, str | None]], existing: list[Pod], expected: list[int]
) -> None:
    nodes = [node(f"node{i + 1}", cpu=cpu, memory=mem) for i, (cpu, mem) in enumerate(capacities)]
    assert scored(least_allocated_scores, incoming, nodes, existing) == expected


# -- NodeResourcesBalancedAllocation ----------------------------------------------------------

_CPU_AND_MEMORY = ({"cpu": "1000m", "memory": "2000"}, {"cpu": "2000m", "memory": "3000"})
_CPU_ONLY = ({"cpu": "1000m", "memory": "0"}, {"cpu": "2000m", "memory": "0"})
_BALANCED_EXISTING = [
    pod(node_name="node1", requests=_CPU_ONLY),
    pod(node_name="node2", requests=_CPU_AND_MEMORY),
]


@pytest.mark.requirement("SCHED-SCORE-BALANCED")
@pytest.mark.parametrize(
    ("incoming", "capacities", "existing", "expected"),
    [
        pytest.param(
            pod(), [("4000m", "10000")] * 2, [], [0, 0], id="nothing requested: skipped in PreScore (all 0)"
        ),
        pytest.param(
            pod(requests=_CPU_AND_MEMORY),
            [("4000m", "10000"), ("6000m", "10000")],
            [],
            [87, 100],
            id="nothing scheduled, resources requested, differently sized nodes",
        ),
        pytest.param(
            pod(requests=_CPU_AND_MEMORY),
            [("10000m", "20000")] * 2,
            _BALANCED_EXISTING,
            [82, 95],
            id="resources requested, pods scheduled with resources",
        ),
        pytest.param(
            pod(requests=_CPU_AND_MEMORY),
            [("10000m", "20000"), ("10000m", "50000")],
            _BALANCED_EXISTING,
            [82, 80],
            id="resources requested, pods scheduled with resources, differently sized nodes",
        ),
        pytest.param(
            pod(requests=_CPU_ONLY),
            [("6000m", "10000")] * 2,
            _BALANCED_EXISTING,
            [50, 75],
            id="requested resources at node capacity",
        ),
    ],
)
def test_balanced_allocation_matches_upstream(
    incoming: Pod, capacities: list[tuple[str, str]], existing: list[Pod], expected: list[int]
) -> None:
    nodes = [node(f"node{i + 1}", cpu=cpu, memory=mem) for i, (cpu, mem) in enumerate(capacities)]
    assert scored(balanced_allocation_scores, incoming, nodes, existing) == expected


@pytest.mark.requirement("SCHED-SCORE-BALANCED")
def test_balanced_std_of_three_fractions_matches_upstreams_formula() -> None:
    # balancedResourceScorer with a third resource (upstream's gpu case): 3000/3500, 5000/40000, 4/8.
    assert scores.balanced_resource_score([3000, 5000, 4], [3500, 40000, 8]) == 70
    assert scores.balanced_resource_score([3000, 5000, 1], [3500, 40000, 8]) == 65
    # A resource the node lacks (allocatable 0) is left out.
    assert scores.balanced_resource_score([3000, 5000, 0], [3500, 40000, 0]) == 63


# -- ImageLocality --------------------------------------------------------------------------------

_N403002000 = [
    (["gcr.io/40:latest", "gcr.io/40:v1", "gcr.io/40:v1"], 40 * MB),
    (["gcr.io/300:latest", "gcr.io/300:v1"], 300 * MB),
    (["gcr.io/2000:latest"], 2000 * MB),
]
_N25010 = [(["gcr.io/250:latest"], 250 * MB), (["gcr.io/10:latest", "gcr.io/10:v1"], 10 * MB)]
_N60040900 = [
    (["gcr.io/600:latest"], 600 * MB),
    (["gcr.io/40:latest"], 40 * MB),
    (["gcr.io/900:latest"], 900 * MB),
]
_N300600900 = [
    (["gcr.io/300:latest"], 300 * MB),
    (["gcr.io/600:latest"], 600 * MB),
    (["gcr.io/900:latest"], 900 * MB),
]
_N400030 = [(["gcr.io/4000:latest"], 4000 * MB), (["gcr.io/30:latest"], 30 * MB)]
_N203040 = [(["gcr.io/20:latest"], 20 * MB), (["gcr.io/30:latest"], 30 * MB), (["gcr.io/40:latest"], 40 * MB)]


@pytest.mark.requirement("SCHED-SCORE-IMAGE-LOCALITY")
@pytest.mark.parametrize(
    ("incoming", "node_images", "expected"),
    [
        pytest.param(
            pod(images=["gcr.io/40", "gcr.io/250"]), [_N403002000, _N25010], [0, 5], id="larger image"
        ),
        pytest.param(
            pod(images=["gcr.io/40", "gcr.io/300"]), [_N403002000, _N25010], [7, 0], id="two on one node"
        ),
        pytest.param(
            pod(images=["gcr.io/10", "gcr.io/4000"]), [_N400030, _N25010], [100, 0], id="exceed limit"
        ),
        pytest.param(
            pod(images=["gcr.io/10", "gcr.io/4000"]),
            [_N400030, _N25010, []],
            [66, 0, 0],
            id="node without images",
        ),
        pytest.param(
            pod(images=["gcr.io/300", "gcr.io/600", "gcr.io/900"]),
            [_N60040900, _N300600900, []],
            [32, 36, 0],
            id="multiple large images",
        ),
        pytest.param(pod(images=["gcr.io/30", "gcr.io/40"]), [_N203040, _N400030], [1, 0], id="small images"),
        pytest.param(
            pod(images=["gcr.io/30"], init_images=["gcr.io/300"]),
            [_N403002000, _N203040],
            [6, 0],
            id="init containers count",
        ),
    ],
)
def test_image_locality_matches_upstream(
    incoming: Pod, node_images: list[list[tuple[list[str], int]]], expected: list[int]
) -> None:
    nodes = [node(f"node{i + 1}", images=images) for i, images in enumerate(node_images)]
    assert scored(image_locality_scores, incoming, nodes) == expected


@pytest.mark.requirement("SCHED-SCORE-IMAGE-LOCALITY")
@pytest.mark.parametrize(
    ("size_mib", "expected"),
    # Derived, one container, the image on the only node: 100 * (size - 23 MiB) // (1000 MiB - 23 MiB).
    [(10, 0), (23, 0), (32, 0), (33, 1), (999, 99), (1000, 100), (4000, 100)],
)
def test_image_locality_thresholds(size_mib: int, expected: int) -> None:
    only = node("node1", images=[(["img:latest"], size_mib * MB)])
    assert scored(image_locality_scores, pod(images=["img"]), [only]) == [expected]


@pytest.mark.requirement("SCHED-SCORE-IMAGE-LOCALITY")
@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("root", "root:latest"),
        ("gcr.io:5000/root", "gcr.io:5000/root:latest"),
        ("root:tag", "root:tag"),
        ("root@sha256:4813494d137e1631bba301d5acab6e7bb7aa74ce1185d456565ef51d737677b2", None),
    ],
)
def test_normalized_image_name_matches_upstream(name: str, normalized: str | None) -> None:
    assert normalized_image_name(name) == (normalized or name)


# -- TaintToleration ------------------------------------------------------------------------------


def _prefer(key: str, value: str, effect: str = "PreferNoSchedule") -> dict[str, str]:
    return {"key": key, "value": value, "effect": effect}


def _tolerate(key: str, value: str, effect: str = "PreferNoSchedule") -> dict[str, str]:
    return {"key": key, "operator": "Equal", "value": value, "effect": effect}


@pytest.mark.requirement("SCHED-SCORE-TAINT")
@pytest.mark.parametrize(
    ("tolerations", "node_taints", "expected"),
    [
        pytest.param(
            [_tolerate("foo", "bar")],
            [[_prefer("foo", "bar")], [_prefer("foo", "blah")]],
            [100, 0],
            id="tolerated taints score higher",
        ),
        pytest.param(
            [_tolerate("cpu-type", "arm64"), _tolerate("disk-type", "ssd")],
            [[], [_prefer("cpu-type", "arm64")], [_prefer("cpu-type", "arm64"), _prefer("disk-type", "ssd")]],
            [100, 100, 100],
            id="the number of tolerated taints does not matter",
        ),
        pytest.param(
            [_tolerate("foo", "bar")],
            [[], [_prefer("cpu-type", "arm64")], [_prefer("cpu-type", "arm64"), _prefer("disk-type", "ssd")]],
            [100, 50, 0],
            id="the more intolerable taints, the lower the score",
        ),
        pytest.param(
            [_tolerate("cpu-type", "arm64", "NoSchedule"), _tolerate("disk-type", "ssd", "NoSchedule")],
            [
                [],
                [_prefer("cpu-type", "arm64", "NoSchedule")],
                [_prefer("cpu-type", "arm64"), _prefer("disk-type", "ssd")],
            ],
            [100, 100, 0],
            id="only PreferNoSchedule taints and tolerations count",
        ),
        pytest.param([], [[], [_prefer("cpu-type", "arm64")]], [100, 0], id="no tolerations"),
    ],
)
def test_taint_toleration_matches_upstream(
    tolerations: list[dict[str, str]], node_taints: list[list[dict[str, str]]], expected: list[int]
) -> None:
    nodes = [node(f"node{i}", taints=taints) for i, taints in enumerate(node_taints)]
    assert scored(taint_toleration_scores, pod(spec={"tolerations": tolerations}), nodes) == expected


# -- NodeAffinity ---------------------------------------------------------------------------------


def _in(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "operator": "In", "values": [value]}


_AFFINITY1 = [{"weight": 2, "preference": {"matchExpressions": [_in("foo", "bar")]}}]
_AFFINITY2 = [
    *_AFFINITY1,
    {"weight": 4, "preference": {"matchExpressions": [_in("key", "value")]}},
    {
        "weight": 5,
        "preference": {"matchExpressions": [_in("foo", "bar"), _in("key", "value"), _in("az", "az1")]},
    },
]
_L1, _L2, _L3 = {"foo": "bar"}, {"key": "value"}, {"az": "az1"}
_L4, _L5 = {"abc": "az11", "def": "az22"}, {"foo": "bar", "key": "value", "az": "az1"}


@pytest.mark.requirement("SCHED-SCORE-NODE-AFFINITY")
@pytest.mark.parametrize(
    ("preferred", "node_labels", "expected"),
    [
        pytest.param(None, [_L1, _L2, _L3], [0, 0, 0], id="no node affinity"),
        pytest.param(_AFFINITY1, [_L4, _L2, _L3], [0, 0, 0], id="no node matches"),
        pytest.param(_AFFINITY1, [_L1, _L2, _L3], [100, 0, 0], id="only node1 matches"),
        pytest.param(_AFFINITY2, [_L1, _L5, _L2], [18, 100, 36], id="different priorities"),
    ],
)
def test_node_affinity_matches_upstream(
    preferred: list[dict[str, Any]] | None, node_labels: list[dict[str, str]], expected: list[int]
) -> None:
    spec = (
        {}
        if preferred is None
        else {"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": preferred}}}
    )
    nodes = [node(f"node{i}", labels) for i, labels in enumerate(node_labels)]
    assert scored(node_affinity_scores, pod(spec=spec), nodes) == expected


# -- InterPodAffinity -----------------------------------------------------------------------------

_CHINA, _INDIA, _AZ1, _AZ2 = {"region": "China"}, {"region": "India"}, {"az": "az1"}, {"az": "az2"}
_CHINA_AZ1 = {"region": "China", "az": "az1"}
_S1, _S2 = {"security": "S1"}, {"security": "S2"}


def _term(expressions: list[dict[str, Any]], topology_key: str) -> dict[str, Any]:
    return {"labelSelector": {"matchExpressions": expressions}, "topologyKey": topology_key}


def _sec_in(*values: str) -> dict[str, Any]:
    return {"key": "security", "operator": "In", "values": list(values)}


def _weighted(weight: int, term: dict[str, Any]) -> dict[str, Any]:
    return {"weight": weight, "podAffinityTerm": term}


_STAY_S1_REGION = {
    "podAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [_weighted(5, _term([_sec_in("S1")], "region"))]
    }
}
_STAY_S2_REGION = {
    "podAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [_weighted(6, _term([_sec_in("S2")], "region"))]
    }
}
_EXISTS_NO_WRONGKEY = [
    {"key": "security", "operator": "Exists"},
    {"key": "wrongkey", "operator": "DoesNotExist"},
]
_AFFINITY3 = {
    "podAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            _weighted(
                8,
                _term([{"key": "security", "operator": "NotIn", "values": ["S1"]}, _sec_in("S2")], "region"),
            ),
            _weighted(2, _term(_EXISTS_NO_WRONGKEY, "region")),
        ]
    }
}
_HARD_AFFINITY = {
    "podAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            _term([_sec_in("S1", "value2")], "region"),
            _term(_EXISTS_NO_WRONGKEY, "region"),
        ]
    }
}
_AWAY_S1_AZ = {
    "podAntiAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [_weighted(5, _term([_sec_in("S1")], "az"))]
    }
}
_AWAY_S2_AZ = {
    "podAntiAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [_weighted(5, _term([_sec_in("S2")], "az"))]
    }
}
_STAY_S1_REGION_AWAY_S2_AZ = {
    "podAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [_weighted(8, _term([_sec_in("S1")], "region"))]
    },
    **_AWAY_S2_AZ,
}


def _on(
    node_name: str, labels: Mapping[str, str] | None = None, affinity: Mapping[str, Any] | None = None
) -> Pod:
    return pod(
        f"on-{node_name}",
        node_name=node_name,
        labels=labels,
        spec={"affinity": affinity} if affinity else None,
    )


@pytest.mark.requirement("SCHED-SCORE-INTERPOD")
@pytest.mark.parametrize(
    ("affinity", "labels", "existing", "node_labels", "expected"),
    [
        pytest.param(
            _STAY_S1_REGION,
            _S1,
            [_on("node1", _S1), _on("node2", _S2), _on("node3", _S1)],
            [_CHINA, _INDIA, _AZ1],
            [100, 0, 0],
            id="affinity: topology key and matching pods",
        ),
        pytest.param(
            _STAY_S1_REGION,
            None,
            [_on("node1", _S1)],
            [_CHINA, _CHINA_AZ1, _INDIA],
            [100, 100, 0],
            id="affinity: the whole domain scores",
        ),
        pytest.param(
            _STAY_S2_REGION,
            _S1,
            [
                _on("node1", _S2),
                _on("node1", _S2),
                _on("node2", _S2),
                _on("node3", _S2),
                _on("node4", _S2),
                _on("node5", _S2),
            ],
            [_CHINA, _INDIA, _CHINA, _CHINA, _INDIA],
            [100, 0, 100, 100, 0],
            id="affinity: the region with more matches",
        ),
        pytest.param(
            _AFFINITY3,
            _S1,
            [_on("node1", _S1), _on("node2", _S2), _on("node3", _S1)],
            [_CHINA, _INDIA, _AZ1],
            [20, 100, 0],
            id="affinity: operators and match failures",
        ),
        pytest.param(
            None,
            _S2,
            [_on("node1", _S1, _STAY_S1_REGION), _on("node2", _S2, _STAY_S2_REGION)],
            [_CHINA, _INDIA, _AZ1],
            [0, 100, 0],
            id="affinity symmetry: existing pods' preferred terms",
        ),
        pytest.param(
            None,
            _S1,
            [_on("node1", _S1, _HARD_AFFINITY), _on("node2", _S2, _HARD_AFFINITY)],
            [_CHINA, _INDIA, _AZ1],
            [100, 100, 0],
            id="affinity symmetry: existing pods' required terms (hardPodAffinityWeight)",
        ),
        pytest.param(
            _AWAY_S1_AZ,
            _S1,
            [_on("node1", _S1), _on("node2", _S2)],
            [_AZ1, _CHINA],
            [0, 100],
            id="anti-affinity: matching pods in the domain score low",
        ),
        pytest.param(
            _AWAY_S1_AZ,
            _S1,
            [_on("node1", _S1), _on("node1", _S1), _on("node2", _S2)],
            [_AZ1, _INDIA],
            [0, 100],
            id="anti-affinity: more matching pods, lower score",
        ),
        pytest.param(
            None,
            _S2,
            [_on("node1", _S1, _AWAY_S2_AZ), _on("node2", _S2, _AWAY_S1_AZ)],
            [_AZ1, _AZ2],
            [0, 100],
            id="anti-affinity symmetry",
        ),
        pytest.param(
            _STAY_S1_REGION_AWAY_S2_AZ,
            _S1,
            [
                _on("node1", _S1),
                _on("node2", _S2),
                _on("node3", None, _STAY_S1_REGION_AWAY_S2_AZ),
                _on("node4", None, _AWAY_S1_AZ),
            ],
            [_CHINA, _AZ1, _INDIA, _AZ2],
            [100, 0, 100, 0],
            id="affinity, anti-affinity and symmetry together",
        ),
        pytest.param(
            None,
            _S1,
            [_on("node1", _S1), _on("node2", None, _STAY_S1_REGION_AWAY_S2_AZ)],
            [_CHINA, _CHINA],
            [0, 0],
            id="some nodes of a domain without pods with affinity",
        ),
    ],
)
def test_inter_pod_affinity_matches_upstream(
    affinity: dict[str, Any] | None,
    labels: dict[str, str] | None,
    existing: list[Pod],
    node_labels: list[dict[str, str]],
    expected: list[int],
) -> None:
    incoming = pod(labels=labels, spec={"affinity": affinity} if affinity else None)
    nodes = [node(f"node{i + 1}", labels) for i, labels in enumerate(node_labels)]
    assert scored(inter_pod_affinity_scores, incoming, nodes, existing) == expected


# -- PodTopologySpread ----------------------------------------------------------------------------

_HOST = "kubernetes.io/hostname"
_FOO_EXISTS = {"matchExpressions": [{"key": "foo", "operator": "Exists"}]}


def _soft(max_skew: int, key: str, selector: dict[str, Any] | None = _FOO_EXISTS) -> dict[str, Any]:
    constraint: dict[str, Any] = {
        "maxSkew": max_skew,
        "topologyKey": key,
        "whenUnsatisfiable": "ScheduleAnyway",
    }
    if selector is not None:
        constraint["labelSelector"] = selector
    return constraint


def _foo_pods(**per_node: int) -> list[Pod]:
    return [
        pod(f"p-{name}{i}", node_name=f"node-{name}", labels={"foo": ""})
        for name, count in per_node.items()
        for i in range(count)
    ]


def _host(name: str, **labels: str) -> Node:
    return node(f"node-{name}", {_HOST: f"node-{name}", **labels})


@pytest.mark.requirement("SCHED-SCORE-SPREAD")
@pytest.mark.parametrize(
    ("constraints", "existing", "candidates", "others", "expected"),
    [
        pytest.param([_soft(1, _HOST)], [], [_host("a"), _host("b")], [], [100, 100], id="no existing pods"),
        pytest.param(
            [_soft(1, _HOST)], _foo_pods(a=2, b=1), [_host("a")], [_host("b")], [100], id="one candidate"
        ),
        pytest.param(
            [_soft(1, _HOST)], _foo_pods(a=1, b=1), [_host("a"), _host("b")], [], [100, 100], id="same counts"
        ),
        pytest.param(
            [_soft(1, _HOST)],
            _foo_pods(a=2, b=1, d=3),
            [_host("a"), _host("b"), _host("c"), _host("d")],
            [],
            [20, 60, 100, 0],
            id="2/1/0/3",
        ),
        pytest.param(
            [_soft(1, _HOST, None)],
            _foo_pods(a=2, b=1, d=3),
            [_host("a"), _host("b"), _host("c"), _host("d")],
            [],
            [100, 100, 100, 100],
            id="null selector",
        ),
        pytest.param(
            [_soft(2, _HOST)],
            _foo_pods(a=2, b=1, d=3),
            [_host("a"), _host("b"), _host("c"), _host("d")],
            [],
            [33, 66, 100, 16],
            id="2/1/0/3 maxSkew=2",
        ),
        pytest.param(
            [_soft(3, _HOST)],
            _foo_pods(a=4, b=3, c=2, d=1),
            [_host("a"), _host("b"), _host("c"), _host("d")],
            [],
            [44, 66, 77, 100],
            id="4/3/2/1 maxSkew=3",
        ),
        pytest.param(
            [_soft(1, _HOST)],
            _foo_pods(a=4, b=2, x=1, y=3),
            [_host("a"), _host("b"), _host("x")],
            [_host("y")],
            [33, 83, 100],
            id="3 of 4 nodes are candidates",
        ),
        pytest.param(
            [_soft(1, _HOST)],
            _foo_pods(a=4, b=2, x=1, y=3),
            [_host("a"), node("node-b", {"n": "node-b"}), _host("x")],
            [_host("y")],
            [16, 0, 100],
            id="a candidate without the topology key",
        ),
        pytest.param(
            [_soft(1, "zone")],
            _foo_pods(a=4, b=2, x=1, y=3),
            [_host("a", zone="zone1"), _host("b", zone="zone1"), _host("x", zone="zone2")],
            [_host("y", zone="zone2")],
            [75, 75, 100],
            id="zone constraint, 3 of 4 nodes are candidates",
        ),
    ],
)
def test_pod_topology_spread_matches_upstream(
    constraints: list[dict[str, Any]],
    existing: list[Pod],
    candidates: list[Node],
    others: list[Node],
    expected: list[int],
) -> None:
    incoming = pod(labels={"foo": ""}, spec={"topologySpreadConstraints": constraints})
    assert scored(pod_topology_spread_scores, incoming, candidates, existing, others) == expected


@pytest.mark.requirement("SCHED-SCORE-SPREAD")
def test_a_pod_without_constraints_gets_no_spread_score() -> None:
    # System default constraints need a Service or controller selecting the pod; a snapshot has none.
    nodes = [_host("a"), _host("b")]
    assert scored(pod_topology_spread_scores, pod(labels={"foo": ""}), nodes, _foo_pods(a=3)) == [0, 0]


# -- the weighted total ---------------------------------------------------------------------------


@pytest.mark.requirement("SCHED-SCORE-TOTAL")
def test_default_weights_are_upstreams() -> None:
    assert DEFAULT_WEIGHTS == {
        "TaintToleration": 3,
        "NodeAffinity": 2,
        "NodeResourcesFit": 1,
        "PodTopologySpread": 2,
        "InterPodAffinity": 2,
        "NodeResourcesBalancedAllocation": 1,
        "ImageLocality": 1,
    }


@pytest.mark.requirement("SCHED-SCORE-TOTAL")
def test_total_is_the_weighted_sum_of_plugin_scores() -> None:
    # node-a: an untolerated PreferNoSchedule taint (TaintToleration 0), node-b: the preferred label.
    nodes = [
        node("node-a", {_HOST: "node-a"}, cpu="4", memory="8Gi", taints=[_prefer("k", "v")]),
        node("node-b", {_HOST: "node-b", "disk": "ssd"}, cpu="4", memory="8Gi"),
    ]
    preferred = [{"weight": 10, "preference": {"matchExpressions": [_in("disk", "ssd")]}}]
    incoming = pod(
        requests=[{"cpu": "1", "memory": "2Gi"}],
        spec={"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": preferred}}},
    )
    snapshot = ClusterSnapshot(tuple(nodes))
    per_plugin = scores.plugin_scores(incoming, nodes, snapshot)
    assert per_plugin["TaintToleration"] == {"node-a": 0, "node-b": 100}
    assert per_plugin["NodeAffinity"] == {"node-a": 0, "node-b": 100}
    # LeastAllocated: cpu 75, memory 75; Balanced: fractions 0.25 / 0.25, std 0.
    assert per_plugin["NodeResourcesFit"] == {"node-a": 75, "node-b": 75}
    assert per_plugin["NodeResourcesBalancedAllocation"] == {"node-a": 100, "node-b": 100}
    totals = scores.total_scores(incoming, nodes, snapshot)
    assert totals == {"node-a": 75 + 100, "node-b": 3 * 100 + 2 * 100 + 75 + 100}


# -- properties -------------------------------------------------------------------------------------

_ZONES = ("z1", "z2", "z3")
_APPS = ("web", "db")


@st.composite
def scoring_problems(draw: st.DrawFn) -> tuple[Pod, list[Node], ClusterSnapshot]:
    """A few nodes (zones, sizes, PreferNoSchedule taints, images), bound pods with preferred and
    required terms, and an incoming pod using every scored feature; candidates are a subset."""
    count = draw(st.integers(1, 5))
    nodes = []
    for i in range(count):
        taints = [_prefer("k", v) for v in draw(st.lists(st.sampled_from(["a", "b"]), max_size=2))]
        images = [
            ([f"img/{s}:latest"], s * MB) for s in draw(st.lists(st.sampled_from([10, 300, 900]), max_size=2))
        ]
        labels = {
            _HOST: f"n{i}",
            "zone": draw(st.sampled_from(_ZONES)),
            "disk": draw(st.sampled_from(["ssd", "hdd"])),
        }
        nodes.append(
            node(
                f"n{i}",
                labels,
                cpu=f"{draw(st.sampled_from([500, 2000, 4000]))}m",
                memory=f"{draw(st.sampled_from([1, 4]))}Gi",
                taints=taints,
                images=images,
            )
        )

    def affinity() -> dict[str, Any]:
        app = {"matchLabels": {"app": draw(st.sampled_from(_APPS))}}
        key = draw(st.sampled_from([_HOST, "zone"]))
        term = {"labelSelector": app, "topologyKey": key}
        weighted = [{"weight": draw(st.integers(1, 100)), "podAffinityTerm": term}]
        kind = draw(st.sampled_from(["podAffinity", "podAntiAffinity"]))
        if draw(st.booleans()):
            return {kind: {"preferredDuringSchedulingIgnoredDuringExecution": weighted}}
        return {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}

    existing = [
        pod(
            f"e{j}",
            node_name=f"n{draw(st.integers(0, count - 1))}",
            labels={"app": draw(st.sampled_from(_APPS))},
            requests=[{"cpu": f"{draw(st.integers(0, 1000))}m"}] if draw(st.booleans()) else [{}],
            spec={"affinity": affinity()} if draw(st.booleans()) else None,
        )
        for j in range(draw(st.integers(0, 6)))
    ]
    preferred = [
        {"weight": draw(st.integers(1, 100)), "preference": {"matchExpressions": [_in("disk", "ssd")]}}
    ]
    spec: dict[str, Any] = {
        "affinity": {
            "nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": preferred},
            **affinity(),
        },
        "tolerations": [_tolerate("k", "a")] if draw(st.booleans()) else [],
        "topologySpreadConstraints": [
            _soft(
                draw(st.integers(1, 3)),
                draw(st.sampled_from([_HOST, "zone"])),
                {"matchLabels": {"app": "web"}},
            )
        ],
    }
    incoming = pod(
        "incoming",
        labels={"app": "web"},
        requests=[{"cpu": f"{draw(st.integers(0, 1000))}m", "memory": f"{draw(st.integers(0, 512))}Mi"}],
        spec=spec,
    )
    incoming = incoming.replace(
        spec=incoming.spec.replace(
            containers=tuple(
                c.replace(image=draw(st.sampled_from(["img/10", "img/300", "img/900"])))
                for c in incoming.spec.containers
            )
        )
    )
    candidates = [n for n in nodes if draw(st.booleans())] or nodes[:1]
    return incoming, candidates, ClusterSnapshot(tuple(nodes), tuple(existing))


@pytest.mark.requirement("SCHED-SCORE-TOTAL")
@settings(max_examples=150, deadline=None)
@given(scoring_problems())
def test_every_normalized_score_is_within_0_and_100(problem: tuple[Pod, list[Node], ClusterSnapshot]) -> None:
    incoming, candidates, snapshot = problem
    per_plugin = scores.plugin_scores(incoming, candidates, snapshot)
    names = [n.metadata.name for n in candidates]
    for plugin, result in per_plugin.items():
        assert sorted(result) == sorted(names), plugin
        assert all(0 <= s <= scores.MAX_NODE_SCORE for s in result.values()), (plugin, result)
    totals = scores.total_scores(incoming, candidates, snapshot)
    for name in names:
        assert totals[name] == sum(DEFAULT_WEIGHTS[p] * per_plugin[p][name] for p in per_plugin)


@pytest.mark.requirement("SCHED-SCORE-TAINT")
@pytest.mark.requirement("SCHED-SCORE-NODE-AFFINITY")
@pytest.mark.requirement("SCHED-SCORE-INTERPOD")
@pytest.mark.requirement("SCHED-SCORE-SPREAD")
@settings(max_examples=150, deadline=None)
@given(scoring_problems())
def test_normalizing_keeps_each_plugins_preference(problem: tuple[Pod, list[Node], ClusterSnapshot]) -> None:
    """A node a plugin's raw score strictly prefers keeps a normalized score >= the other's."""
    incoming, candidates, snapshot = problem
    taints = {n.metadata.name: scores.intolerable_prefer_no_schedule_taints(incoming, n) for n in candidates}
    weights = {n.metadata.name: scores.preferred_node_affinity_weight(incoming, n) for n in candidates}
    checks = [
        (taints, taint_toleration_scores(incoming, candidates, snapshot), True),
        (weights, node_affinity_scores(incoming, candidates, snapshot), False),
        (
            scores.inter_pod_affinity_raw_scores(incoming, candidates, snapshot),
            inter_pod_affinity_scores(incoming, candidates, snapshot),
            False,
        ),
        # Only the candidates with every topology key have a raw spread score (the others get 0).
        (
            scores.pod_topology_spread_raw_scores(incoming, candidates, snapshot),
            pod_topology_spread_scores(incoming, candidates, snapshot),
            True,
        ),
    ]
    for raw, normalized, fewer_is_better in checks:
        for a in raw:
            for b in raw:
                prefers_a = raw[a] < raw[b] if fewer_is_better else raw[a] > raw[b]
                if prefers_a:
                    assert normalized[a] >= normalized[b], (raw, normalized)


@pytest.mark.requirement("SCHED-SCORE-LEAST-ALLOCATED")
@settings(max_examples=100, deadline=None)
@given(scoring_problems())
def test_another_pod_on_a_node_never_raises_its_least_allocated_score(
    problem: tuple[Pod, list[Node], ClusterSnapshot],
) -> None:
    incoming, candidates, snapshot = problem
    before = least_allocated_scores(incoming, candidates, snapshot)
    target = candidates[0].metadata.name
    after = least_allocated_scores(
        incoming, candidates, snapshot.with_pod(pod("extra", requests=[{}]), target)
    )
    assert after[target] <= before[target]
