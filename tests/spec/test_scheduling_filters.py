"""The default profile's filters (spec/scheduling/filters.py) on hand-built cases from upstream's behaviour.

Each case is a pod, a node and the pods already there, with the verdict and
the reason string kube-scheduler gives (the plugin files named in the
module's docstring; upstream's own unit tests use the same situations).
"""

from __future__ import annotations

from typing import Any

import pytest

from invariants.snapshots import affinity, anti_affinity, make_node, make_pod, spread
from spec.objects.core import Pod
from spec.scheduling import filters
from spec.scheduling.filters import (
    LABEL_ZONE,
    ClusterSnapshot,
    feasible_nodes,
    filter_node,
    first_rejection,
    node_reasons,
    unschedulable_message,
)


def reasons(pod: Pod, node_name: str, snapshot: ClusterSnapshot) -> tuple[str, ...]:
    return filter_node(pod, snapshot.node_by_name[node_name], snapshot)


def snapshot_of(*nodes: Any, pods: tuple[Pod, ...] = ()) -> ClusterSnapshot:
    return ClusterSnapshot(tuple(nodes), pods)


# -- NodeUnschedulable, NodeName --------------------------------------------------------------


@pytest.mark.requirement("SCHED-FILTER-UNSCHEDULABLE")
def test_an_unschedulable_node_takes_only_pods_tolerating_its_taint() -> None:
    cluster = snapshot_of(make_node("cordoned", unschedulable=True))
    assert reasons(make_pod("p"), "cordoned", cluster) == (filters.REASON_UNSCHEDULABLE,)
    tolerant = make_pod(
        "t",
        spec={
            "tolerations": [
                {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}
            ]
        },
    )
    assert reasons(tolerant, "cordoned", cluster) == ()
    wrong_effect = make_pod(
        "w",
        spec={
            "tolerations": [
                {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoExecute"}
            ]
        },
    )
    assert reasons(wrong_effect, "cordoned", cluster) == (filters.REASON_UNSCHEDULABLE,)


@pytest.mark.requirement("SCHED-FILTER-NODENAME")
def test_a_pod_naming_a_node_fits_only_that_node() -> None:
    cluster = snapshot_of(make_node("a"), make_node("b"))
    pod = make_pod("p", spec={"nodeName": "b"})
    assert reasons(pod, "a", cluster) == (filters.REASON_NODE_NAME,)
    assert reasons(pod, "b", cluster) == ()


# -- TaintToleration -----------------------------------------------------------------------------


@pytest.mark.requirement("SCHED-FILTER-TAINT")
@pytest.mark.parametrize(
    ("toleration", "fits"),
    [
        (None, False),
        ({"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule"}, True),
        ({"key": "dedicated", "value": "db"}, True),  # empty operator is Equal, empty effect any
        ({"key": "dedicated", "operator": "Equal", "value": "web"}, False),
        ({"key": "dedicated", "operator": "Exists"}, True),
        ({"operator": "Exists"}, True),  # empty key with Exists tolerates everything
        ({"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}, False),
        ({"key": "other", "operator": "Exists"}, False),
    ],
)
def test_noschedule_taints_need_a_matching_toleration(toleration: dict[str, str] | None, fits: bool) -> None:
    node = make_node("n", taints=[{"key": "dedicated", "value": "db", "effect": "NoSchedule"}])
    pod = make_pod("p", spec={"tolerations": [toleration]} if toleration else None)
    expected = () if fits else ("node(s) had untolerated taint {dedicated: db}",)
    assert reasons(pod, "n", snapshot_of(node)) == expected


@pytest.mark.requirement("SCHED-FILTER-TAINT")
def test_prefer_noschedule_does_not_filter_and_the_first_untolerated_taint_is_named() -> None:
    node = make_node(
        "n",
        taints=[
            {"key": "soft", "effect": "PreferNoSchedule"},
            {"key": "gpu", "effect": "NoExecute"},
            {"key": "dedicated", "value": "db", "effect": "NoSchedule"},
        ],
    )
    assert reasons(make_pod("p"), "n", snapshot_of(node)) == ("node(s) had untolerated taint {gpu: }",)
    tolerates_gpu = make_pod("g", spec={"tolerations": [{"key": "gpu", "operator": "Exists"}]})
    assert reasons(tolerates_gpu, "n", snapshot_of(node)) == (
        "node(s) had untolerated taint {dedicated: db}",
    )


# -- NodeAffinity --------------------------------------------------------------------------------


def _required_terms(*terms: dict[str, Any]) -> dict[str, Any]:
    return {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}
            }
        }
    }


@pytest.mark.requirement("SCHED-FILTER-AFFINITY")
def test_node_selector_and_required_terms() -> None:
    ssd = make_node("ssd", labels={"disk": "ssd", LABEL_ZONE: "a"})
    hdd = make_node("hdd", labels={"disk": "hdd", LABEL_ZONE: "b"})
    cluster = snapshot_of(ssd, hdd)
    selector = make_pod("s", spec={"nodeSelector": {"disk": "ssd"}})
    assert feasible_nodes(selector, cluster) == ("ssd",)
    assert reasons(selector, "hdd", cluster) == (filters.REASON_NODE_AFFINITY,)
    # Terms are ORed, expressions within a term ANDed.
    either = make_pod(
        "e",
        spec=_required_terms(
            {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["nvme"]}]},
            {"matchExpressions": [{"key": LABEL_ZONE, "operator": "NotIn", "values": ["a"]}]},
        ),
    )
    assert feasible_nodes(either, cluster) == ("hdd",)
    both = make_pod(
        "b",
        spec=_required_terms(
            {
                "matchExpressions": [
                    {"key": "disk", "operator": "In", "values": ["ssd"]},
                    {"key": LABEL_ZONE, "operator": "In", "values": ["b"]},
                ]
            }
        ),
    )
    assert feasible_nodes(both, cluster) == ()
    # nodeSelector and the terms are ANDed.
    selector_and_terms = make_pod(
        "st",
        spec={"nodeSelector": {"disk": "hdd"}, **_required_terms({"matchFields": _name_is("ssd")})},
    )
    assert feasible_nodes(selector_and_terms, cluster) == ()


def _name_is(name: str) -> list[dict[str, Any]]:
    return [{"key": "metadata.name", "operator": "In", "values": [name]}]


@pytest.mark.requirement("SCHED-FILTER-AFFINITY")
def test_empty_and_unparsable_terms_match_nothing_and_match_fields_reads_the_name() -> None:
    cluster = snapshot_of(make_node("a", labels={"size": "5"}), make_node("b", labels={"size": "50"}))
    assert feasible_nodes(make_pod("empty", spec=_required_terms({})), cluster) == ()
    by_name = make_pod("f", spec=_required_terms({"matchFields": _name_is("b")}))
    assert feasible_nodes(by_name, cluster) == ("b",)
    two_values = make_pod(
        "two",
        spec=_required_terms(
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a", "b"]}]}
        ),
    )
    assert feasible_nodes(two_values, cluster) == ()  # matchFields In takes exactly one value
    greater = make_pod(
        "gt",
        spec=_required_terms({"matchExpressions": [{"key": "size", "operator": "Gt", "values": ["10"]}]}),
    )
    assert feasible_nodes(greater, cluster) == ("b",)  # Gt compares integers, not strings


# -- NodePorts -------------------------------------------------------------------------------------


@pytest.mark.requirement("SCHED-FILTER-PORTS")
@pytest.mark.parametrize(
    ("used", "wanted", "conflict"),
    [
        (80, 80, True),
        (80, 8080, False),
        ({"hostPort": 80, "protocol": "UDP"}, 80, False),
        ({"hostPort": 80, "hostIP": "10.0.0.1"}, {"hostPort": 80, "hostIP": "10.0.0.2"}, False),
        ({"hostPort": 80, "hostIP": "10.0.0.1"}, {"hostPort": 80, "hostIP": "10.0.0.1"}, True),
        ({"hostPort": 80, "hostIP": "10.0.0.1"}, 80, True),  # 0.0.0.0 conflicts with every IP
        (80, {"hostPort": 80, "hostIP": "10.0.0.1"}, True),
    ],
)
def test_host_ports_conflict_on_protocol_port_and_ip(used: Any, wanted: Any, conflict: bool) -> None:
    running = make_pod("running", host_ports=[used], node_name="n")
    cluster = snapshot_of(make_node("n"), pods=(running,))
    expected = (filters.REASON_NODE_PORTS,) if conflict else ()
    assert reasons(make_pod("p", host_ports=[wanted]), "n", cluster) == expected


# -- NodeResourcesFit ----------------------------------------------------------------------------


@pytest.mark.requirement("SCHED-FILTER-RESOURCES")
def test_requests_must_fit_what_bound_pods_leave() -> None:
    running = make_pod("running", cpu="3", memory="1Gi", node_name="n")
    cluster = snapshot_of(make_node("n", cpu="4", memory="8Gi"), pods=(running,))
    assert reasons(make_pod("fits", cpu="1"), "n", cluster) == ()
    assert reasons(make_pod("big", cpu="1001m", memory="8Gi"), "n", cluster) == (
        "Insufficient cpu",
        "Insufficient memory",
    )
    # A pod requesting nothing fits a full node; the pod count still counts.
    full = snapshot_of(make_node("n", cpu="1", pods=1), pods=(make_pod("r", cpu="1", node_name="n"),))
    assert reasons(make_pod("nothing"), "n", full) == (filters.REASON_TOO_MANY_PODS,)
    # Extended resources are checked by value; a node without them has none.
    gpu = make_pod("gpu", requests={"example.com/gpu": "1"})
    assert reasons(gpu, "n", cluster) == ("Insufficient example.com/gpu",)
    with_gpu = snapshot_of(make_node("n", allocatable={"example.com/gpu": "2"}))
    assert reasons(gpu, "n", with_gpu) == ()


@pytest.mark.requirement("SCHED-FILTER-RESOURCES")
def test_requests_take_the_init_peak_sidecars_and_overhead() -> None:
    node = make_node("n", cpu="2")
    init = make_pod(
        "init",
        cpu="500m",
        spec={"initContainers": [{"name": "setup", "resources": {"requests": {"cpu": "1500m"}}}]},
    )
    assert filters.pod_requests(init)["cpu"] == 1500  # max(init 1500, app 500)
    sidecar = make_pod(
        "sidecar",
        cpu="500m",
        spec={
            "initContainers": [
                {"name": "proxy", "restartPolicy": "Always", "resources": {"requests": {"cpu": "600m"}}},
                {"name": "setup", "resources": {"requests": {"cpu": "1"}}},
            ]
        },
    )
    # app + sidecar = 1100m; the init container runs beside the sidecar: 1600m.
    assert filters.pod_requests(sidecar)["cpu"] == 1600
    overhead = make_pod("overhead", cpu="1900m", spec={"overhead": {"cpu": "200m"}})
    assert filters.pod_requests(overhead)["cpu"] == 2100
    assert reasons(overhead, "n", snapshot_of(node)) == ("Insufficient cpu",)


# -- InterPodAffinity ---------------------------------------------------------------------------------


@pytest.mark.requirement("SCHED-FILTER-INTERPOD")
def test_anti_affinity_in_both_directions() -> None:
    a, b = make_node("a", labels={LABEL_ZONE: "z1"}), make_node("b", labels={LABEL_ZONE: "z1"})
    web = make_pod("web-0", labels={"app": "web"}, node_name="a")
    cluster = snapshot_of(a, b, pods=(web,))
    avoid_web = make_pod("p", spec={"affinity": anti_affinity({"app": "web"})})
    assert reasons(avoid_web, "a", cluster) == (filters.REASON_POD_ANTI_AFFINITY,)
    assert reasons(avoid_web, "b", cluster) == ()
    by_zone = make_pod("z", spec={"affinity": anti_affinity({"app": "web"}, LABEL_ZONE)})
    assert reasons(by_zone, "b", cluster) == (filters.REASON_POD_ANTI_AFFINITY,)
    # An existing pod's term selecting the incoming pod.
    guarded = make_pod(
        "db-0", labels={"app": "db"}, node_name="a", spec={"affinity": anti_affinity({"app": "web"})}
    )
    cluster = snapshot_of(a, b, pods=(guarded,))
    assert reasons(make_pod("web-1", labels={"app": "web"}), "a", cluster) == (
        filters.REASON_EXISTING_ANTI_AFFINITY,
    )
    # Another namespace is not selected unless the term says so.
    assert reasons(make_pod("web-2", namespace="other", labels={"app": "web"}), "a", cluster) == ()


@pytest.mark.requirement("SCHED-FILTER-INTERPOD")
def test_affinity_needs_a_matching_pod_in_the_domain_except_for_the_first_of_a_group() -> None:
    a, b = make_node("a", labels={LABEL_ZONE: "z1"}), make_node("b", labels={LABEL_ZONE: "z2"})
    follower = make_pod(
        "f", labels={"app": "cache"}, spec={"affinity": affinity({"app": "cache"}, LABEL_ZONE)}
    )
    # No cache pod anywhere, and the pod matches its own term: it may go anywhere.
    assert feasible_nodes(follower, snapshot_of(a, b)) == ("a", "b")
    # A pod that does not match its own term cannot be first.
    stranger = make_pod("s", labels={"app": "web"}, spec={"affinity": affinity({"app": "cache"}, LABEL_ZONE)})
    assert reasons(stranger, "a", snapshot_of(a, b)) == (filters.REASON_POD_AFFINITY,)
    cache = make_pod("cache-0", labels={"app": "cache"}, node_name="b")
    assert feasible_nodes(follower, snapshot_of(a, b, pods=(cache,))) == ("b",)
    # A node without the topology key never satisfies the term.
    bare = make_node("bare")
    assert reasons(follower, "bare", snapshot_of(a, bare)) == (filters.REASON_POD_AFFINITY,)


# -- PodTopologySpread ---------------------------------------------------------------------------------


@pytest.mark.requirement("SCHED-FILTER-SPREAD")
def test_spread_keeps_the_skew_within_max_skew() -> None:
    a, b = make_node("a", labels={LABEL_ZONE: "z1"}), make_node("b", labels={LABEL_ZONE: "z2"})
    bare = make_node("bare")
    placed = (make_pod("w0", labels={"app": "web"}, node_name="a"),)
    cluster = snapshot_of(a, b, bare, pods=placed)
    pod = make_pod("w1", labels={"app": "web"}, spec={"topologySpreadConstraints": [spread({"app": "web"})]})
    # z1 has 1, z2 has 0: z1 would reach 2 - 0 = 2 > 1.
    assert reasons(pod, "a", cluster) == (filters.REASON_SPREAD,)
    assert reasons(pod, "b", cluster) == ()
    assert reasons(pod, "bare", cluster) == (filters.REASON_SPREAD_MISSING_LABEL,)
    loose = make_pod(
        "w2", labels={"app": "web"}, spec={"topologySpreadConstraints": [spread({"app": "web"}, max_skew=2)]}
    )
    assert reasons(loose, "a", cluster) == ()
    # ScheduleAnyway does not filter.
    soft = make_pod(
        "w3",
        labels={"app": "web"},
        spec={
            "topologySpreadConstraints": [{**spread({"app": "web"}), "whenUnsatisfiable": "ScheduleAnyway"}]
        },
    )
    assert reasons(soft, "a", cluster) == ()


@pytest.mark.requirement("SCHED-FILTER-SPREAD")
def test_min_domains_makes_the_global_minimum_zero() -> None:
    a = make_node("a", labels={LABEL_ZONE: "z1"})
    placed = (make_pod("w0", labels={"app": "web"}, node_name="a"),)
    constraint = {**spread({"app": "web"}), "minDomains": 2}
    pod = make_pod("w1", labels={"app": "web"}, spec={"topologySpreadConstraints": [constraint]})
    # One domain with one pod: without minDomains the skew is 2 - 1 = 1; with it, 2 - 0 = 2.
    assert reasons(pod, "a", snapshot_of(a, pods=placed)) == (filters.REASON_SPREAD,)
    plain = make_pod(
        "w2", labels={"app": "web"}, spec={"topologySpreadConstraints": [spread({"app": "web"})]}
    )
    assert reasons(plain, "a", snapshot_of(a, pods=placed)) == ()


# -- the message and placing pods in order ------------------------------------------------------------


@pytest.mark.requirement("SCHED-FILTER-MESSAGE")
def test_the_unschedulable_message_counts_reasons_sorted_as_strings() -> None:
    rejections = {
        **{f"small-{i}": ("Insufficient cpu",) for i in range(3)},
        **{f"tainted-{i}": ("node(s) had untolerated taint {gpu: }",) for i in range(2)},
    }
    assert unschedulable_message(rejections) == (
        "0/5 nodes are available: 2 node(s) had untolerated taint {gpu: }, 3 Insufficient cpu."
    )
    many = {f"n{i}": ("B",) for i in range(10)} | {"m1": ("A",), "m2": ("A",)}
    # sort.Strings: "10 B" sorts before "2 A".
    assert unschedulable_message(many, 12) == "0/12 nodes are available: 10 B, 2 A."
    # A node rejected for two resources counts once for each.
    both = {"n": ("Insufficient cpu", "Insufficient memory")}
    assert (
        unschedulable_message(both) == "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory."
    )


@pytest.mark.requirement("SCHED-FILTER-MESSAGE")
def test_node_reasons_feed_the_message() -> None:
    small = [make_node(f"small-{i}", cpu="1") for i in range(3)]
    tainted = [make_node(f"gpu-{i}", taints=[{"key": "gpu", "effect": "NoSchedule"}]) for i in range(2)]
    cluster = snapshot_of(*small, *tainted)
    pod = make_pod("p", cpu="2")
    assert unschedulable_message(node_reasons(pod, cluster), len(cluster.nodes)) == (
        "0/5 nodes are available: 2 node(s) had untolerated taint {gpu: }, 3 Insufficient cpu."
    )


@pytest.mark.requirement("SCHED-FILTER-RESOURCES")
def test_first_rejection_counts_the_pods_placed_before() -> None:
    cluster = snapshot_of(make_node("n", cpu="2"))
    pods = [make_pod(f"p{i}", cpu="800m") for i in range(3)]
    assert first_rejection(cluster, [(pods[0], "n"), (pods[1], "n")]) is None
    rejection = first_rejection(cluster, [(p, "n") for p in pods])
    assert rejection is not None
    assert (rejection.index, rejection.pod, rejection.reasons) == (2, "default/p2", ("Insufficient cpu",))
    missing = first_rejection(cluster, [(pods[0], "nowhere")])
    assert missing is not None and missing.reasons == ("no such node",)


def test_a_snapshot_rejects_duplicate_nodes_and_unbound_pods() -> None:
    with pytest.raises(ValueError, match="unique"):
        snapshot_of(make_node("n"), make_node("n"))
    with pytest.raises(ValueError, match="bound"):
        snapshot_of(make_node("n"), pods=(make_pod("p"),))


def test_terminal_pods_hold_nothing() -> None:
    done = make_pod("done", cpu="4", host_ports=[80], node_name="n", status={"phase": "Succeeded"})
    cluster = snapshot_of(make_node("n", cpu="4"), pods=(done,))
    assert reasons(make_pod("p", cpu="4", host_ports=[80]), "n", cluster) == ()
