"""The scheduler state machine: a cluster that changes, pods to place, every decision checked.

Rules change the cluster (add nodes, one or many at once so that the
examined-node formula is exercised past 100 nodes; cordon, taint or label a
node; remove a node with its pods; delete a pod) and ask the scheduler under
test to place a generated pod (requests, tolerations, node selectors and
affinity, host ports, anti-affinity and affinity, topology spread). Each
decision is checked at once:

- a chosen node must pass every filter of spec/scheduling/filters.py, and
  independently the Z3 encoding of invariants/feasibility.py must accept it
  (SCHED-FILTER-*, blamed on the first filter that rejects, and
  SCHED-COMPLETE); the suite then binds the pod there;
- "unschedulable" must be right: Z3 must find no node for the pod
  (SCHED-COMPLETE), and the message must be upstream's for the filters'
  reasons on every node (SCHED-FILTER-MESSAGE);
- when the scheduler lists the nodes it scored: they are feasible, there
  are as many as ``numFeasibleNodesToFind`` asks for (or all feasible ones
  when fewer exist) (SCHED-NODES-TO-SCORE), and the chosen one has the
  highest total score among them by spec/scheduling/scores.py
  (SCHED-SELECT-TOP);
- when it also gives its ranked list (``rankedNodes``, which the seed's
  scheduler binds down when a binding fails): every scored node once, the
  chosen one first, the rest by the spec's totals (SCHED-RANKED).

After every step no node holds more requests than it can allocate
(SCHED-FILTER-RESOURCES). Spec and Z3 disagreeing is a bug of kspec, not of
the scheduler: it fails with an AssertionError, not a requirement.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from conformance.adapters.scheduler import Scheduler, SchedulerProvider
from conformance.strategies.objects import DrawChoices
from conformance.violation import require
from invariants.feasibility import FeasibilityEncoding, Infeasible
from invariants.snapshots import Problem, Shape, generated_pod, make_node
from spec.objects import from_dict, to_dict
from spec.objects.core import Node, Pod
from spec.requirements import Requirement
from spec.scheduling import filters
from spec.scheduling.filters import (
    LABEL_ZONE,
    ClusterSnapshot,
    bind,
    feasible_nodes,
    node_reasons,
    unschedulable_message,
)
from spec.scheduling.framework import (
    SCHED_COMPLETE,
    SCHED_NODES_TO_SCORE,
    SCHED_RANKED,
    SCHED_SELECT_TOP,
    num_feasible_nodes_to_find,
    ranking_errors,
    top_nodes,
)
from spec.scheduling.scores import total_scores

MAX_NODES = 160
ZONES = ("zone-a", "zone-b", "zone-c")
TAINTS = (
    {"key": "dedicated", "value": "db", "effect": "NoSchedule"},
    {"key": "gpu", "effect": "NoExecute"},
    {"key": "spot", "effect": "PreferNoSchedule"},
)

#: The filter plugin that rejects, and the requirement a binding it rejects breaks.
FILTER_REQUIREMENTS: Mapping[str, Requirement] = {
    "NodeUnschedulable": filters.SCHED_FILTER_UNSCHEDULABLE,
    "NodeName": filters.SCHED_FILTER_NODENAME,
    "TaintToleration": filters.SCHED_FILTER_TAINT,
    "NodeAffinity": filters.SCHED_FILTER_AFFINITY,
    "NodePorts": filters.SCHED_FILTER_PORTS,
    "NodeResourcesFit": filters.SCHED_FILTER_RESOURCES,
    "PodTopologySpread": filters.SCHED_FILTER_SPREAD,
    "InterPodAffinity": filters.SCHED_FILTER_INTERPOD,
}


def edited(node: Node, edit: Any) -> Node:
    """``node`` with ``edit`` applied to its JSON (validated again, as the API server would)."""
    body = to_dict(node)
    edit(body)
    return cast(Node, from_dict(body))


def rejecting_filter(pod: Pod, node: Node, snapshot: ClusterSnapshot) -> tuple[str, tuple[str, ...]] | None:
    for name, run in filters.FILTER_ORDER:
        reasons = run(pod, node, snapshot)
        if reasons:
            return name, reasons
    return None


class SchedulerMachine(RuleBasedStateMachine):
    provider: ClassVar[SchedulerProvider]

    def __init__(self) -> None:
        super().__init__()
        self.scheduler: Scheduler = self.provider.new_scheduler(seed=0)
        self.nodes: list[Node] = []
        self.pods: list[Pod] = []
        self.count = 0
        self.log: list[str] = []

    # -- the cluster ----------------------------------------------------------------------------

    @property
    def snapshot(self) -> ClusterSnapshot:
        return ClusterSnapshot(tuple(self.nodes), tuple(self.pods))

    def _json(self) -> dict[str, Any]:
        return {"nodes": [to_dict(n) for n in self.nodes], "pods": [to_dict(p) for p in self.pods]}

    def _new_node(self, data: st.DataObject, **overrides: Any) -> Node:
        self.count += 1
        c = DrawChoices(data.draw)
        return make_node(
            f"node-{self.count}",
            cpu=f"{c.pick((1000, 2000, 4000))}m",
            memory=f"{c.pick((2, 4, 8))}Gi",
            pods=c.pick((110, 110, 2, 1)),
            labels={LABEL_ZONE: c.pick(ZONES), "disk": c.pick(("ssd", "hdd"))},
            taints=[c.pick(TAINTS)] if c.integer(0, 4) == 0 else [],
            unschedulable=c.integer(0, 9) == 0,
            **overrides,
        )

    @precondition(lambda self: len(self.nodes) < MAX_NODES)
    @rule(data=st.data())
    def add_node(self, data: st.DataObject) -> None:
        self.nodes.append(self._new_node(data))

    @precondition(lambda self: len(self.nodes) < MAX_NODES)
    @rule(data=st.data(), count=st.integers(20, 120))
    def add_many_nodes(self, data: st.DataObject, count: int) -> None:
        """A batch of alike nodes: past 100 nodes the scheduler examines only some of them."""
        template = self._new_node(data)
        for _ in range(min(count, MAX_NODES - len(self.nodes))):
            self.count += 1
            name = f"node-{self.count}"

            def rename(body: dict[str, Any], name: str = name) -> None:
                body["metadata"]["name"] = name
                body["metadata"]["labels"][filters.LABEL_HOSTNAME] = name

            self.nodes.append(edited(template, rename))

    @precondition(lambda self: bool(self.nodes))
    @rule(data=st.data())
    def change_node(self, data: st.DataObject) -> None:
        """Cordon or uncordon, taint or untaint, relabel one node."""
        index = data.draw(st.integers(0, len(self.nodes) - 1))
        node = self.nodes[index]
        change = data.draw(st.sampled_from(["cordon", "taint", "label"]))
        if change == "cordon":
            flipped = not node.spec.unschedulable
            node = edited(node, lambda body: body.setdefault("spec", {}).update(unschedulable=flipped))
        elif change == "taint":
            taints = to_dict(self._new_node(data)).get("spec", {}).get("taints", [])
            node = edited(node, lambda body: body.setdefault("spec", {}).update(taints=taints))
        else:
            zone = data.draw(st.sampled_from(ZONES))
            node = edited(node, lambda body: body["metadata"]["labels"].update({LABEL_ZONE: zone}))
        self.nodes[index] = node

    @precondition(lambda self: bool(self.nodes))
    @rule(data=st.data())
    def remove_node(self, data: st.DataObject) -> None:
        node = self.nodes.pop(data.draw(st.integers(0, len(self.nodes) - 1)))
        self.pods = [p for p in self.pods if p.spec.node_name != node.metadata.name]

    @precondition(lambda self: bool(self.pods))
    @rule(data=st.data())
    def delete_pod(self, data: st.DataObject) -> None:
        self.pods.pop(data.draw(st.integers(0, len(self.pods) - 1)))

    # -- scheduling ---------------------------------------------------------------------------

    @rule(data=st.data())
    def schedule(self, data: st.DataObject) -> None:
        self.count += 1
        shape = Shape(
            pods=1,
            nodes=0,
            load=data.draw(st.sampled_from([5, 20, 60])),
            affinity=True,
            spread=True,
            zone_anti_affinity=True,
        )
        total_cpu = sum(filters.node_allocatable(n).get("cpu", 0) for n in self.nodes) or 4000
        pod = generated_pod(
            DrawChoices(data.draw), shape, f"pod-{self.count}", total_cpu, max(len(self.nodes), 1)
        )
        snapshot = self.snapshot
        decision = self.scheduler.schedule(to_dict(pod), self._json())
        node_name = decision.get("nodeName")
        self.log.append(
            f"{pod.metadata.name} on {len(self.nodes)} nodes -> {node_name or decision.get('message')}"
        )
        if node_name:
            self._check_binding(pod, node_name, snapshot)
            self._check_scoring(pod, node_name, decision, snapshot)
            self.pods.append(bind(pod, node_name))
        else:
            self._check_unschedulable(pod, decision, snapshot)

    def _check_binding(self, pod: Pod, node_name: str, snapshot: ClusterSnapshot) -> None:
        node = snapshot.node_by_name.get(node_name)
        require(
            SCHED_COMPLETE, node is not None, lambda: f"{pod.metadata.name} bound to unknown node {node_name}"
        )
        assert node is not None
        rejection = rejecting_filter(pod, node, snapshot)
        if rejection is not None:
            plugin, reasons = rejection
            require(
                FILTER_REQUIREMENTS[plugin],
                False,
                lambda: (
                    f"{pod.metadata.name} bound to {node_name}, which {plugin} rejects: {'; '.join(reasons)}"
                ),
            )
        problem = Problem(snapshot, (pod,))
        assert FeasibilityEncoding(problem).accepts([node_name]), (
            f"kspec bug: the filters pass {pod.metadata.name} on {node_name} and the Z3 encoding does not"
        )

    def _check_unschedulable(self, pod: Pod, decision: Mapping[str, Any], snapshot: ClusterSnapshot) -> None:
        answer = FeasibilityEncoding(Problem(snapshot, (pod,))).solve()
        fits = feasible_nodes(pod, snapshot)
        assert isinstance(answer, Infeasible) == (not fits), (
            f"kspec bug: Z3 says {answer} and the filters pass {pod.metadata.name} on {fits}"
        )
        require(
            SCHED_COMPLETE,
            not fits,
            lambda: f"{pod.metadata.name} reported unschedulable, yet {fits[:5]} pass every filter",
        )
        if snapshot.nodes:
            expected = unschedulable_message(node_reasons(pod, snapshot), len(snapshot.nodes))
            require(
                filters.SCHED_FILTER_MESSAGE,
                decision.get("message") == expected,
                lambda: f"{pod.metadata.name}: message {decision.get('message')!r}, expected {expected!r}",
            )

    def _check_scoring(
        self, pod: Pod, node_name: str, decision: Mapping[str, Any], snapshot: ClusterSnapshot
    ) -> None:
        scored = decision.get("scoredNodes")
        if scored is None:
            return  # the scheduler does not say which nodes it scored
        by_name = snapshot.node_by_name
        unknown = [name for name in scored if name not in by_name]
        require(SCHED_COMPLETE, not unknown, lambda: f"{pod.metadata.name}: scored unknown nodes {unknown}")
        for name in scored:
            rejection = rejecting_filter(pod, by_name[name], snapshot)
            if rejection is not None:
                plugin, reasons = rejection
                require(
                    FILTER_REQUIREMENTS[plugin],
                    False,
                    lambda name=name, plugin=plugin, reasons=reasons: (
                        f"{pod.metadata.name}: scored {name} as feasible, which {plugin} rejects: "
                        f"{'; '.join(reasons)}"
                    ),
                )
        percentage = getattr(self.provider, "percentage_of_nodes_to_score", 0)
        wanted = num_feasible_nodes_to_find(percentage, len(snapshot.nodes))
        available = len(feasible_nodes(pod, snapshot))
        require(
            SCHED_NODES_TO_SCORE,
            len(scored) == min(wanted, available) and len(set(scored)) == len(scored),
            lambda: (
                f"{pod.metadata.name}: scored {len(scored)} nodes; {available} of {len(snapshot.nodes)} "
                f"are feasible and numFeasibleNodesToFind is {wanted}"
            ),
        )
        require(
            SCHED_SELECT_TOP,
            node_name in scored,
            lambda: f"{pod.metadata.name}: chose {node_name}, not among the scored {scored}",
        )
        if len(scored) > 1:
            totals = total_scores(pod, [by_name[name] for name in scored], snapshot)
            require(
                SCHED_SELECT_TOP,
                node_name in top_nodes(totals),
                lambda: (
                    f"{pod.metadata.name}: chose {node_name} ({totals[node_name]}); top: "
                    f"{top_nodes(totals)} ({max(totals.values())})"
                ),
            )
        ranked = decision.get("rankedNodes")
        if ranked is not None:
            totals = total_scores(pod, [by_name[name] for name in scored], snapshot)
            errors = ranking_errors(list(ranked), totals, node_name)
            require(SCHED_RANKED, not errors, lambda: f"{pod.metadata.name}: {'; '.join(errors)}")

    # -- after every step ---------------------------------------------------------------------

    @invariant()
    def no_node_over_capacity(self) -> None:
        snapshot = self.snapshot
        for node in snapshot.nodes:
            allocatable = filters.node_allocatable(node)
            used = filters.requested_on(node.metadata.name, snapshot)
            count = len(snapshot.pods_on(node.metadata.name))
            over = {r: (v, allocatable.get(r, 0)) for r, v in used.items() if v > allocatable.get(r, 0)}
            require(
                filters.SCHED_FILTER_RESOURCES,
                not over and count <= allocatable.get("pods", 0),
                lambda node=node, over=over, count=count: (
                    f"node {node.metadata.name} holds more than it can allocate: {over}, {count} pods"
                ),
            )


def machine_for(provider: SchedulerProvider) -> type[SchedulerMachine]:
    return type("SchedulerMachine", (SchedulerMachine,), {"provider": provider})
