"""The columnar scheduler (impl/scheduler/columnar.py) decides exactly as the plain ReferenceScheduler.

Differential: on Hypothesis-generated clusters (invariants/snapshots.py's
``generate_problem``, dressed with what it leaves out: PreferNoSchedule
taints, images, extended resources, amounts too big for int64, nodes
without cpu, terminal pods, best-effort pods, pods naming a node, preferred
node and pod (anti-)affinity, ScheduleAnyway spread), a sequence of steps
(schedule a pod and bind it, add, change or remove a node, delete a pod) is
replayed on both schedulers; after every decision the two must agree on the
decision itself (node, message, per-node reasons, scored nodes), the
weighted total of every scored node, and the next start index. The
columnar scheduler is driven three ways: through the contract's JSON
(``schedule``, the cache synced by diffing), through spec objects
(``schedule_objects``) and through the cache API (``add_node``,
``remove_node``, ``add_pod``, ``remove_pod``, ``schedule_pod``, ``assume``)
as the benchmark drives it.

The check can fail: deliberately wrong columnar variants (LeastAllocated
rounding up, the start index not rotated, ties broken without the random
draws, BalancedAllocation rounded instead of truncated, resource reasons
in the wrong order) must each be caught within a fixed derandomized budget
of generated cases or by the fixed 600-node replay.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conformance.strategies.objects import DrawChoices
from impl.scheduler.cache import SchedulerCache
from impl.scheduler.columnar import ColumnarScheduler, PodFacts, inter_pod_prefilter
from impl.scheduler.core import ReferenceScheduler
from invariants.snapshots import Choices, Shape, generate_problem, generated_pod
from spec.objects import from_dict, to_dict
from spec.objects.core import Node, Pod
from spec.scheduling.filters import LABEL_HOSTNAME, LABEL_ZONE, ClusterSnapshot, bind
from spec.scheduling.scores import MAX_NODE_SCORE

IMAGES = ("nginx:1.25", "nginx", "registry.example/app:v2", "busybox")
GPU = "example.com/gpu"

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
BUDGET = settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)


class RecordingScheduler(ReferenceScheduler):
    """The plain reference, keeping the totals of its last scored decision."""

    last_totals: dict[str, int]

    def score(self, pod: Pod, nodes: Any, snapshot: ClusterSnapshot) -> dict[str, int]:
        self.last_totals = super().score(pod, nodes, snapshot)
        return self.last_totals


# -- generated clusters, dressed ---------------------------------------------------------------


def dressed_node(c: Choices, node: Node) -> Node:
    body = to_dict(node)
    spec = body.setdefault("spec", {})
    status = body.setdefault("status", {})
    allocatable = status.setdefault("allocatable", {})
    if c.integer(0, 3) == 0:
        spec["taints"] = [*spec.get("taints", []), {"key": "spot", "effect": "PreferNoSchedule"}]
    if c.integer(0, 2) == 0:
        image = c.pick(IMAGES)
        names = [image, image + ":latest"] if ":" not in image else [image]
        status["images"] = [{"names": names, "sizeBytes": c.pick((10, 300, 2000)) * 1024 * 1024}]
    if c.integer(0, 3) == 0:
        allocatable[GPU] = str(c.integer(0, 2))
    if c.integer(0, 15) == 0:
        allocatable["memory"] = "1Ei"  # beyond int64-safe sums: the exact (object) columns
    if c.integer(0, 15) == 0:
        allocatable["cpu"] = "0"
    return cast(Node, from_dict(body))


def dressed_pod(c: Choices, pod: Pod, node_names: list[str]) -> Pod:
    body = to_dict(pod)
    spec = body["spec"]
    container = spec["containers"][0]
    app = body["metadata"]["labels"].get("app", "web")
    if c.integer(0, 2) == 0:
        container["image"] = c.pick(IMAGES)
    if c.integer(0, 5) == 0:
        container["resources"] = {}  # best effort: BalancedAllocation skips, LeastAllocated defaults
    if c.integer(0, 4) == 0:
        container.setdefault("resources", {}).setdefault("requests", {})[GPU] = "1"
    if c.integer(0, 6) == 0:
        spec["tolerations"] = [
            *spec.get("tolerations", []),
            c.pick(
                (
                    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
                    {"key": "spot", "operator": "Exists", "effect": "PreferNoSchedule"},
                )
            ),
        ]
    affinity = spec.setdefault("affinity", {})
    if c.integer(0, 3) == 0:
        zone = f"zone-{c.integer(0, 2)}"
        term = {"matchExpressions": [{"key": LABEL_ZONE, "operator": "In", "values": [zone]}]}
        affinity.setdefault("nodeAffinity", {})["preferredDuringSchedulingIgnoredDuringExecution"] = [
            {"weight": c.integer(1, 100), "preference": term}
        ]
    if c.integer(0, 3) == 0:
        kind = c.pick(("podAffinity", "podAntiAffinity"))
        term = {
            "labelSelector": {"matchLabels": {"app": c.pick((app, "db", "web"))}},
            "topologyKey": c.pick((LABEL_ZONE, LABEL_HOSTNAME)),
        }
        affinity.setdefault(kind, {})["preferredDuringSchedulingIgnoredDuringExecution"] = [
            {"weight": c.integer(1, 100), "podAffinityTerm": term}
        ]
    if not affinity:
        del spec["affinity"]
    if c.integer(0, 3) == 0:
        spec["topologySpreadConstraints"] = [
            *spec.get("topologySpreadConstraints", []),
            {
                "maxSkew": c.integer(1, 3),
                "topologyKey": c.pick((LABEL_ZONE, LABEL_HOSTNAME)),
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app": app}},
            },
        ]
    if node_names and c.integer(0, 12) == 0:
        spec["nodeName"] = c.pick([*node_names, "no-such-node"])
    return cast(Pod, from_dict(body))


# -- the replay --------------------------------------------------------------------------------


class Replay:
    """Both schedulers on one evolving cluster; ``mode`` is how the columnar one is fed."""

    def __init__(self, fast_class: type[ColumnarScheduler], mode: str, seed: int) -> None:
        self.plain = RecordingScheduler(seed=seed)
        self.fast = fast_class(seed=seed)
        self.mode = mode
        self.nodes: list[Node] = []
        self.pods: list[Pod] = []
        self.decisions = 0

    @property
    def snapshot(self) -> ClusterSnapshot:
        return ClusterSnapshot(tuple(self.nodes), tuple(self.pods))

    def add_node(self, node: Node) -> None:
        names = [n.metadata.name for n in self.nodes]
        if node.metadata.name in names:
            self.nodes[names.index(node.metadata.name)] = node
        else:
            self.nodes.append(node)
        if self.mode == "cache":
            self.fast.cache.add_node(node)

    def remove_node(self, index: int) -> None:
        node = self.nodes.pop(index)
        gone = [p for p in self.pods if p.spec.node_name == node.metadata.name]
        self.pods = [p for p in self.pods if p.spec.node_name != node.metadata.name]
        if self.mode == "cache":
            self.fast.cache.remove_node(node.metadata.name)
            for pod in gone:
                self.fast.cache.remove_pod(SchedulerCache.pod_key(pod))

    def add_pod(self, pod: Pod) -> None:
        self.pods.append(pod)
        if self.mode == "cache":
            self.fast.cache.add_pod(pod)

    def delete_pod(self, index: int) -> None:
        pod = self.pods.pop(index)
        if self.mode == "cache":
            self.fast.cache.remove_pod(SchedulerCache.pod_key(pod))

    def schedule(self, pod: Pod) -> None:
        snapshot = self.snapshot
        self.plain.last_totals = {}
        expected = self.plain.schedule_objects(pod, snapshot)
        if self.mode == "json":
            body = {"nodes": [to_dict(n) for n in self.nodes], "pods": [to_dict(p) for p in self.pods]}
            got = self.fast.schedule(to_dict(pod), body)
        elif self.mode == "objects":
            got = self.fast.schedule_objects(pod, snapshot)
        else:
            got = self.fast.schedule_pod(pod)
        self.decisions += 1
        where = f"decision {self.decisions} ({pod.metadata.name} on {len(self.nodes)} nodes)"
        assert got == expected, f"{where}: columnar {got} != plain {expected}"
        assert self.fast.last_totals == self.plain.last_totals, (
            f"{where}: totals {self.fast.last_totals} != {self.plain.last_totals}"
        )
        assert self.fast.next_start_node_index == self.plain.next_start_node_index, where
        if expected["nodeName"]:
            bound = bind(pod, expected["nodeName"])
            self.pods.append(bound)
            if self.mode == "cache":
                self.fast.assume(pod, expected["nodeName"])


def replay(fast_class: type[ColumnarScheduler], data: st.DataObject) -> Replay:
    c = DrawChoices(data.draw)
    shape = Shape(
        pods=0,
        nodes=c.pick((c.integer(1, 12), c.integer(95, 160))),
        existing=c.integer(0, 25),
        load=c.pick((20, 60, 150)),
        zones=c.integer(1, 3),
        affinity=True,
        spread=c.coin(),
        zone_anti_affinity=True,
    )
    problem = generate_problem(c, shape)
    mode = data.draw(st.sampled_from(["json", "objects", "cache"]), label="mode")
    run = Replay(fast_class, mode, seed=c.integer(0, 3))
    for node in problem.snapshot.nodes:
        run.add_node(dressed_node(c, node))
    for pod in problem.snapshot.pods:
        dressed = dressed_pod(c, pod, [])
        if c.integer(0, 7) == 0:
            dressed = dressed.replace(status=dressed.status.replace(phase="Succeeded"))
        run.add_pod(bind(dressed, pod.spec.node_name))
    total_cpu = 4000 * max(len(run.nodes), 1)
    for step in range(c.integer(3, 12)):
        action = c.pick(("schedule", "schedule", "schedule", "add", "change", "remove", "delete"))
        if action == "add" or (action in ("change", "remove") and not run.nodes):
            name = f"extra-{step}"
            node = problem.snapshot.nodes[0] if problem.snapshot.nodes else None
            base = to_dict(node) if node is not None else to_dict(dressed_node(c, _plain_node(name)))
            base["metadata"]["name"] = name
            base["metadata"].setdefault("labels", {})[LABEL_HOSTNAME] = name
            run.add_node(dressed_node(c, cast(Node, from_dict(base))))
        elif action == "change":
            node = run.nodes[c.integer(0, len(run.nodes) - 1)]
            body = to_dict(node)
            body.setdefault("spec", {})["unschedulable"] = not node.spec.unschedulable
            body["metadata"].setdefault("labels", {})[LABEL_ZONE] = f"zone-{c.integer(0, 2)}"
            run.add_node(dressed_node(c, cast(Node, from_dict(body))))
        elif action == "remove":
            run.remove_node(c.integer(0, len(run.nodes) - 1))
        elif action == "delete" and run.pods:
            run.delete_pod(c.integer(0, len(run.pods) - 1))
        else:
            names = [n.metadata.name for n in run.nodes]
            pod = generated_pod(c, shape, f"new-{step}", total_cpu, max(len(run.nodes), 1))
            run.schedule(dressed_pod(c, pod, names))
    return run


def _plain_node(name: str) -> Node:
    from invariants.snapshots import make_node

    return make_node(name, labels={LABEL_ZONE: "zone-0"})


@given(data=st.data())
@SETTINGS
def test_columnar_decides_as_the_plain_reference(data: st.DataObject) -> None:
    replay(ColumnarScheduler, data)


def large_cluster(fast_class: type[ColumnarScheduler]) -> Replay:
    """600 nodes (adaptive percentage: 300 feasible nodes looked for, so the start index moves), pods
    with varied requests bound one after another, through the cache API."""
    from invariants.snapshots import make_node, make_pod

    run = Replay(fast_class, "cache", seed=7)
    for i in range(600):
        run.add_node(make_node(f"node-{i}", cpu="4", memory="32Gi", pods=110 if i % 7 else 3))
    for i in range(40):
        run.schedule(make_pod(f"pod-{i}", cpu=f"{100 + 37 * i}m", memory=f"{200 + 50 * (i % 9)}Mi"))
    return run


def test_a_large_cluster_decides_as_the_plain_reference() -> None:
    run = large_cluster(ColumnarScheduler)
    assert run.decisions == 40
    assert run.plain.next_start_node_index != 0  # the rotation was exercised


# -- the check can fail ------------------------------------------------------------------------


class LeastAllocatedRoundsUp(ColumnarScheduler):
    def _least_allocated(self, facts: PodFacts, columns: Any, scored: np.ndarray) -> np.ndarray:
        right = super()._least_allocated(facts, columns, scored)
        capacity = columns.allocatable["cpu"][scored]
        used = columns.non_zero_cpu[scored] + facts.non_zero_cpu
        exact = (capacity - used) * MAX_NODE_SCORE % np.where(capacity != 0, capacity, 1) == 0
        return cast(np.ndarray, np.where(exact, right, right + 1))


class StartIndexNotRotated(ColumnarScheduler):
    def schedule_pod(self, pod: Pod) -> dict[str, Any]:
        decision = super().schedule_pod(pod)
        self.next_start_node_index = 0
        return decision


class TiesToTheFirst(ColumnarScheduler):
    def _select(self, scored: np.ndarray, totals: np.ndarray) -> str:
        return self.cache.infos[int(scored[int(np.argmax(totals))])].name


class BalancedRounded(ColumnarScheduler):
    def _balanced(self, facts: PodFacts, columns: Any, scored: np.ndarray) -> np.ndarray:
        right = super()._balanced(facts, columns, scored)
        return cast(np.ndarray, np.minimum(right + (right % 3 == 1), MAX_NODE_SCORE))


class ResourceReasonsReversed(ColumnarScheduler):
    def _resource_checks(self, facts: PodFacts) -> list[str]:
        return list(reversed(super()._resource_checks(facts)))


@pytest.mark.parametrize(
    "broken",
    [LeastAllocatedRoundsUp, StartIndexNotRotated, TiesToTheFirst, BalancedRounded, ResourceReasonsReversed],
)
def test_a_wrong_columnar_scheduler_is_caught(broken: type[ColumnarScheduler]) -> None:
    @given(data=st.data())
    @BUDGET
    def differential(data: st.DataObject) -> None:
        replay(broken, data)

    with pytest.raises(AssertionError):
        differential()
        large_cluster(broken)


# -- the contract's snapshot diffing ----------------------------------------------------------


def test_the_contract_parses_only_what_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    """One more bound pod per call: the cache parses that pod only; a node whose resourceVersion
    changes is parsed again, and the decision follows the change."""
    import impl.scheduler.cache as cache_module
    from invariants.snapshots import make_node, make_pod

    parsed: list[str] = []
    original = cache_module.from_dict

    def counting(body: Any) -> Any:
        parsed.append(body["metadata"]["name"])
        return original(body)

    monkeypatch.setattr(cache_module, "from_dict", counting)
    nodes = [to_dict(make_node(f"node-{i}", cpu="1")) for i in range(5)]
    for i, body in enumerate(nodes):
        body["metadata"].update(uid=f"uid-{i}", resourceVersion="1")
    fast, plain = ColumnarScheduler(seed=3), ReferenceScheduler(seed=3)
    pods: list[dict[str, Any]] = []
    for i in range(8):
        if i == 4:  # cordon node-0..3 under a new resourceVersion
            for body in nodes[:4]:
                body.setdefault("spec", {})["unschedulable"] = True
                body["metadata"]["resourceVersion"] = "2"
        parsed.clear()
        pod = to_dict(make_pod(f"pod-{i}", cpu="100m"))
        snapshot = {"nodes": nodes, "pods": pods}
        decision = fast.schedule(pod, snapshot)
        assert decision == plain.schedule(pod, snapshot)
        if i == 0:
            expected = [f"node-{k}" for k in range(5)]
        else:
            expected = [f"node-{k}" for k in range(4)] if i == 4 else []
            expected.append(f"pod-{i - 1}")
        assert parsed == expected, (i, parsed)
        if i >= 4:
            assert decision["nodeName"] == "node-4"
        pods.append(to_dict(bind(cast(Pod, from_dict(pod)), decision["nodeName"])))


def _spread_without_self_match(pod: Pod, snapshot: ClusterSnapshot) -> Any:
    """PodTopologySpread's PreFilter forgetting that the pod itself counts in its domain."""
    from spec.scheduling import filters

    constraints = filters.hard_spread_constraints(pod)
    prepared = [(c, filters.spread_domain_counts(pod, c, constraints, snapshot)) for c in constraints]

    def run(_: Pod, node: Node, __: ClusterSnapshot) -> tuple[str, ...]:
        for constraint, counts in prepared:
            value = node.metadata.labels.get(constraint.topology_key)
            if value is None:
                return (filters.REASON_SPREAD_MISSING_LABEL,)
            if counts.get(value, 0) - filters.spread_min_match(constraint, counts) > constraint.max_skew:
                return (filters.REASON_SPREAD,)
        return ()

    return run


def _inter_pod_without_existing_anti_affinity(pod: Pod, snapshot: ClusterSnapshot) -> Any:
    """InterPodAffinity's PreFilter leaving out the placed pods' anti-affinity."""
    right = inter_pod_prefilter(pod, snapshot)  # the module's, imported before any patching

    def run(p: Pod, node: Node, s: ClusterSnapshot) -> tuple[str, ...]:
        reasons = right(p, node, s)
        return () if reasons == ("node(s) didn't satisfy existing pods anti-affinity rules",) else reasons

    return run


@pytest.mark.parametrize(
    ("name", "broken"),
    [
        ("spread_prefilter", _spread_without_self_match),
        ("inter_pod_prefilter", _inter_pod_without_existing_anti_affinity),
    ],
)
def test_a_wrong_prefilter_is_caught(monkeypatch: pytest.MonkeyPatch, name: str, broken: Any) -> None:
    from impl.scheduler import columnar

    monkeypatch.setattr(columnar, name, broken)

    @given(data=st.data())
    @BUDGET
    def differential(data: st.DataObject) -> None:
        replay(ColumnarScheduler, data)

    with pytest.raises(AssertionError):
        differential()
        constrained_cluster(ColumnarScheduler)


def constrained_cluster(fast_class: type[ColumnarScheduler]) -> Replay:
    """Five nodes in two zones; a placed pod's hostname anti-affinity keeps web pods off node-0, and
    web pods spread over the zones (maxSkew 1) and avoid each other's zones when asked."""
    from invariants.snapshots import anti_affinity, make_node, make_pod, spread

    run = Replay(fast_class, "objects", seed=5)
    for i in range(5):
        run.add_node(make_node(f"node-{i}", labels={LABEL_ZONE: f"zone-{i % 2}"}))
    guard = make_pod(
        "guard", labels={"app": "db"}, cpu="100m", spec={"affinity": anti_affinity({"app": "web"})}
    )
    run.add_pod(bind(guard, "node-0"))
    for i in range(6):
        constraints = {"topologySpreadConstraints": [spread({"app": "web"})]} if i % 2 else {}
        run.schedule(make_pod(f"web-{i}", labels={"app": "web"}, cpu="100m", spec=constraints))
    return run


def test_a_constrained_cluster_decides_as_the_plain_reference() -> None:
    run = constrained_cluster(ColumnarScheduler)
    assert all(p.spec.node_name != "node-0" for p in run.pods if p.metadata.name.startswith("web"))
