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

With ``preemption`` on (``machine_for(provider, preemption=True)``) the
generated pods get priorities (``spec.priority``) and now and then
``preemptionPolicy: Never``, and bound pods a start time. A decision that
nominates a node (``nominatedNodeName`` and ``victims``) is checked at once
against spec/scheduling/preemption.py: the pod may preempt
(SCHED-PREEMPT-ELIGIBLE), the node's rejection is resolvable
(SCHED-PREEMPT-CANDIDATE), the victims are lower-priority pods on it
(SCHED-PREEMPT-LOWER), without them the pod passes every filter there, by
the spec and by the Z3 encoding (SCHED-PREEMPT-FITS), putting back any one
victim makes it fail where the filters are monotone (SCHED-PREEMPT-MINIMAL),
and the node is a best candidate by upstream's criteria, or past 100
potential nodes no worse than the dry run allows (SCHED-PREEMPT-PICK). The
suite then, half of the time, first marks the victims terminating
(deletion timestamp, ``DisruptionTarget``) and asks again: the pod must not
preempt more (SCHED-PREEMPT-ELIGIBLE). Then it deletes the victims and
schedules the pod again, with
``status.nominatedNodeName`` set; that decision is checked like any other
(a pod reported unschedulable or nominated again while a node fits breaks
SCHED-COMPLETE). An eligible pod left unschedulable without a nomination
breaks SCHED-PREEMPT-COMPLETE when a node is a candidate; the Z3 encoding
cross-checks the spec there: on the snapshot without every lower-priority
pod, infeasible must mean no candidate (for pods without hard spread or
required affinity, whose filters only get easier as pods go). A provider
that says ``preemption = False`` is not held to SCHED-PREEMPT-COMPLETE (the
suite reports SCHED-PREEMPT-* not applicable for it); one that says nothing
is taken to preempt, as upstream's default profile does.

After every step no node holds more requests than it can allocate
(SCHED-FILTER-RESOURCES). Spec and Z3 disagreeing is a bug of kspec, not of
the scheduler: it fails with an AssertionError, not a requirement.

At the end of a run without priorities, pods still unschedulable are put to
Z3 together with every bound pod, all free to move (on clusters of at most
``BATCH_MAX_NODES`` nodes): a joint placement that fits them all is a gap
of greedy, one-pod-at-a-time scheduling, which upstream shares. It is
recorded as information (``batch_gaps``, a Hypothesis event, a JUnit
property of the test), never as a failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, cast

from hypothesis import currently_in_test_context, event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from conformance.adapters.scheduler import Scheduler, SchedulerProvider
from conformance.strategies.objects import DrawChoices
from conformance.violation import require
from invariants.feasibility import FeasibilityEncoding, Feasible, Infeasible, solve
from invariants.snapshots import Problem, Shape, generated_pod, make_node
from spec.objects import from_dict, to_dict
from spec.objects.base import Time
from spec.objects.core import Node, Pod, PodCondition
from spec.requirements import Requirement
from spec.scheduling import filters, preemption
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
#: The batch check at the end runs on clusters up to this size, with Z3 given this long.
BATCH_MAX_NODES = 12
BATCH_MAX_PODS = 24
BATCH_TIMEOUT_MS = 2000
PREEMPTION_MAX_NODES = 12
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


PRIORITIES = (0, 10, 100, 1000)
#: When bound pods start: the machine's own clock, one second per pod (metav1.Time has whole seconds).
EPOCH = 1_700_000_000


def preemption_supported(provider: object) -> bool:
    """The provider's ``preemption`` attribute; a provider that does not say is taken to preempt."""
    return bool(getattr(provider, "preemption", True))


def monotone(pod: Pod) -> bool:
    """Whether the pod's filters only get easier as pods leave: no hard spread, no required affinity."""
    return not filters.hard_spread_constraints(pod) and not filters.required_affinity_terms(pod)


class SchedulerMachine(RuleBasedStateMachine):
    provider: ClassVar[SchedulerProvider]
    #: Generate priorities and check preemption (the preemption test runs the machine this way).
    preemption: ClassVar[bool] = False
    max_nodes: ClassVar[int] = MAX_NODES
    #: What the batch check found (information for the report, not failures).
    batch_gaps: ClassVar[list[str]] = []

    def __init__(self) -> None:
        super().__init__()
        self.scheduler: Scheduler = self.provider.new_scheduler(seed=0)
        self.nodes: list[Node] = []
        self.pods: list[Pod] = []
        #: Pods reported unschedulable (without a nomination): the batch check at the end looks at them.
        self.pending: list[Pod] = []
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

    @precondition(lambda self: len(self.nodes) < self.max_nodes)
    @rule(data=st.data())
    def add_node(self, data: st.DataObject) -> None:
        self.nodes.append(self._new_node(data))

    @precondition(lambda self: len(self.nodes) < self.max_nodes)
    @rule(data=st.data(), count=st.integers(20, 120))
    def add_many_nodes(self, data: st.DataObject, count: int) -> None:
        """A batch of alike nodes: past 100 nodes the scheduler examines only some of them."""
        template = self._new_node(data)
        for _ in range(min(count, self.max_nodes - len(self.nodes))):
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

    # With preemption on, pods wait for a node: an empty cluster preempts nothing and teaches nothing.
    @precondition(lambda self: bool(self.nodes) or not self.preemption)
    @rule(data=st.data())
    def schedule(self, data: st.DataObject) -> None:
        self._schedule_one(data)

    @precondition(lambda self: bool(self.nodes) and self.preemption)
    @rule(data=st.data(), count=st.integers(2, 8))
    def schedule_several(self, data: st.DataObject, count: int) -> None:
        """Pods one after another, so that nodes fill up and higher priorities must preempt."""
        for _ in range(count):
            self._schedule_one(data)

    def _schedule_one(self, data: st.DataObject) -> None:
        self.count += 1
        shape = Shape(
            pods=1,
            nodes=0,
            load=data.draw(st.sampled_from([20, 60] if self.preemption else [5, 20, 60])),
            affinity=True,
            spread=True,
            zone_anti_affinity=True,
        )
        total_cpu = sum(filters.node_allocatable(n).get("cpu", 0) for n in self.nodes) or 4000
        pod = generated_pod(
            DrawChoices(data.draw), shape, f"pod-{self.count}", total_cpu, max(len(self.nodes), 1)
        )
        if self.preemption:
            c = DrawChoices(data.draw)
            policy = "Never" if c.integer(0, 5) == 0 else None
            pod = pod.replace(spec=pod.spec.replace(priority=c.pick(PRIORITIES), preemption_policy=policy))
        self._decide(pod, data)

    def _decide(self, pod: Pod, data: st.DataObject, retry: bool = False) -> None:
        """Ask for a decision on ``pod``, check it, and apply it: bind, or preempt and try again."""
        snapshot = self.snapshot
        decision = self.scheduler.schedule(to_dict(pod), self._json())
        node_name = decision.get("nodeName")
        nominated = decision.get("nominatedNodeName")
        outcome = node_name or (f"nominated {nominated}" if nominated else decision.get("message"))
        self.log.append(
            f"{pod.metadata.name}{' (again)' if retry else ''} on {len(self.nodes)} nodes -> {outcome}"
        )
        if node_name:
            self._check_binding(pod, node_name, snapshot)
            self._check_scoring(pod, node_name, decision, snapshot)
            self.pods.append(self._started(bind(pod, node_name)))
            return
        self._check_unschedulable(pod, decision, snapshot)
        if not nominated:
            self._check_no_preemption(pod, snapshot)
            self.pending.append(pod)
            return
        victims = self._check_preemption(pod, str(nominated), decision, snapshot)
        gone = {filters.pod_key(v) for v in victims}
        again = pod.replace(status=pod.status.replace(nominated_node_name=nominated))
        if data.draw(st.booleans()):
            # Graceful deletion: asked while its victims still terminate, the pod must not preempt more
            # (SCHED-PREEMPT-ELIGIBLE); it may fit already (topology spread ignores terminating pods).
            self.pods = [self._terminating(p) if filters.pod_key(p) in gone else p for p in self.pods]
            self._decide(again, data, retry=True)
        self.pods = [p for p in self.pods if filters.pod_key(p) not in gone]
        if not any(filters.pod_key(p) == filters.pod_key(pod) for p in self.pods):
            # The victims are gone: upstream schedules the pod again, its nominated node recorded.
            self._decide(again, data, retry=True)

    @staticmethod
    def _terminating(pod: Pod) -> Pod:
        """``pod`` being deleted by preemption: a deletion timestamp and ``DisruptionTarget``."""
        condition = PodCondition(
            type=preemption.DISRUPTION_TARGET, status="True", reason=preemption.REASON_PREEMPTION_BY_SCHEDULER
        )
        moment = Time.of(datetime.fromtimestamp(EPOCH, UTC))
        return pod.replace(
            metadata=pod.metadata.replace(deletion_timestamp=moment),
            status=pod.status.replace(conditions=(*pod.status.conditions, condition)),
        )

    def _started(self, pod: Pod) -> Pod:
        """``pod`` with a start time, later than every pod bound before it."""
        moment = datetime.fromtimestamp(EPOCH + self.count, UTC)
        return pod.replace(status=pod.status.replace(start_time=Time.of(moment)))

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

    def _check_preemption(
        self, pod: Pod, nominated: str, decision: Mapping[str, Any], snapshot: ClusterSnapshot
    ) -> list[Pod]:
        """SCHED-PREEMPT-*: a decision that nominates ``nominated``; returns the victims."""
        name = pod.metadata.name
        eligible, why = preemption.pod_eligible_to_preempt_others(pod, snapshot)
        require(
            preemption.SCHED_PREEMPT_ELIGIBLE, eligible, lambda: f"{name} preempted on {nominated}: {why}"
        )
        node = snapshot.node_by_name.get(nominated)
        require(
            preemption.SCHED_PREEMPT_CANDIDATE, node is not None, lambda: f"{name}: nominated unknown node"
        )
        assert node is not None
        rejected = preemption.rejection(pod, node, snapshot)
        require(
            preemption.SCHED_PREEMPT_CANDIDATE,
            rejected is None or not preemption.is_unresolvable(rejected[0], rejected[1], pod, node),
            lambda: (
                f"{name}: nominated {nominated}, which {rejected} rejects beyond what preemption resolves"
            ),
        )
        on_node = {filters.pod_key(p): p for p in snapshot.pods_on(nominated)}
        named = [f"{v.get('namespace', '')}/{v.get('name', '')}" for v in decision.get("victims") or []]
        unknown = [key for key in named if key not in on_node]
        require(
            preemption.SCHED_PREEMPT_LOWER,
            bool(named) and not unknown and len(set(named)) == len(named),
            lambda: f"{name}: victims {named} on {nominated}; not bound there: {unknown}",
        )
        victims = [on_node[key] for key in named]
        higher = [filters.pod_key(v) for v in victims if not preemption.preemption_allowed(v, pod)]
        require(
            preemption.SCHED_PREEMPT_LOWER,
            not higher,
            lambda: (
                f"{name} (priority {preemption.pod_priority(pod)}) preempts {higher} of priority "
                f"{[preemption.pod_priority(on_node[k]) for k in higher]}"
            ),
        )
        after = preemption.without_pods(snapshot, victims)
        still = preemption.rejection(pod, node, after)
        require(
            preemption.SCHED_PREEMPT_FITS,
            still is None,
            lambda: f"{name}: without victims {named}, {nominated} still rejects it: {still}",
        )
        assert FeasibilityEncoding(Problem(after, (pod,))).accepts([nominated]), (
            f"kspec bug: the filters pass {name} on {nominated} without its victims, the Z3 encoding does not"
        )
        if monotone(pod):
            for victim in victims:
                require(
                    preemption.SCHED_PREEMPT_MINIMAL,
                    not preemption.fits(pod, node, after.with_pod(victim, nominated)),
                    lambda victim=victim: (
                        f"{name}: victim {filters.pod_key(victim)} on {nominated} could have stayed "
                        f"(victims {named})"
                    ),
                )
        self._check_pick(pod, nominated, snapshot)
        return victims

    def _check_pick(self, pod: Pod, nominated: str, snapshot: ClusterSnapshot) -> None:
        """SCHED-PREEMPT-PICK: no more candidates beat the nominated node than the dry run may skip."""
        name = pod.metadata.name
        potential = preemption.potential_nodes(pod, snapshot)
        found = [preemption.select_victims_on_node(pod, node, snapshot) for node in potential]
        candidates = [v for v in found if v is not None]
        chosen = next((v for v in candidates if v.node == nominated), None)
        require(
            preemption.SCHED_PREEMPT_PICK,
            chosen is not None,
            lambda: (
                f"{name}: nominated {nominated}, which does not fit it with every lower-priority pod gone"
            ),
        )
        assert chosen is not None
        key = preemption.preference(chosen)
        better = [v.node for v in candidates if preemption.preference(v) < key]
        # The dry run stops after num_candidates candidates: it may miss the rest, no more.
        may_miss = max(0, len(candidates) - preemption.num_candidates(len(potential)))
        require(
            preemption.SCHED_PREEMPT_PICK,
            len(better) <= may_miss,
            lambda: (
                f"{name}: nominated {nominated} ({len(chosen.pods)} victims, criteria {key}); better: "
                + ", ".join(
                    f"{v.node} ({len(v.pods)} victims, criteria {preemption.preference(v)})"
                    for v in candidates
                    if v.node in better[:5]
                )
            ),
        )

    def _check_no_preemption(self, pod: Pod, snapshot: ClusterSnapshot) -> None:
        """SCHED-PREEMPT-COMPLETE: unschedulable and no nomination, so no node may be a candidate."""
        if (
            not preemption_supported(self.provider)
            or not preemption.pod_eligible_to_preempt_others(pod, snapshot)[0]
        ):
            return
        candidates = preemption.candidates(pod, snapshot)
        if monotone(pod):
            lower = [p for p in snapshot.pods if preemption.preemption_allowed(p, pod)]
            if lower:
                answer = solve(Problem(preemption.without_pods(snapshot, lower), (pod,)))
                assert not (isinstance(answer, Infeasible) and candidates), (
                    f"kspec bug: Z3 finds no node for {pod.metadata.name} without the lower-priority pods, "
                    f"yet the spec has candidates {[v.node for v in candidates]}"
                )
        require(
            preemption.SCHED_PREEMPT_COMPLETE,
            not candidates,
            lambda: (
                f"{pod.metadata.name} (priority {preemption.pod_priority(pod)}) left unschedulable; evicting "
                + "; ".join(f"{[filters.pod_key(p) for p in v.pods]} on {v.node}" for v in candidates[:3])
                + " would make room"
            ),
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

    # -- at the end: information, not a verdict ----------------------------------------------------

    def teardown(self) -> None:
        """Greedy placement may leave pods pending that a joint placement of every pod would fit;
        upstream is greedy too, so this is recorded (``batch_gaps``, a Hypothesis event), never failed."""
        snapshot = self.snapshot
        still = [p for p in self.pending if not feasible_nodes(p, snapshot)]
        everyone = [p.replace(spec=p.spec.replace(node_name="")) for p in self.pods] + still
        if (
            self.preemption
            or not still
            or len(snapshot.nodes) > BATCH_MAX_NODES
            or len(everyone) > BATCH_MAX_PODS
        ):
            return
        empty = ClusterSnapshot(snapshot.nodes, (), snapshot.namespace_labels)
        answer = FeasibilityEncoding(Problem(empty, tuple(everyone))).solve(
            timeout_ms=BATCH_TIMEOUT_MS, minimise_core=False
        )
        if isinstance(answer, Feasible):
            gap = (
                f"{len(still)} pod(s) left pending on {len(snapshot.nodes)} nodes that a joint placement of "
                f"all {len(everyone)} pods fits"
            )
            type(self).batch_gaps.append(gap)
            if currently_in_test_context():
                event("greedy placement left pods pending that a joint placement fits")

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


def machine_for(provider: SchedulerProvider, *, preemption: bool = False) -> type[SchedulerMachine]:
    """The machine over ``provider``'s schedulers; ``preemption`` gives pods priorities and checks
    preemption (on at most ``PREEMPTION_MAX_NODES`` nodes, where preemption is frequent)."""
    attributes: dict[str, Any] = {"provider": provider, "preemption": preemption, "batch_gaps": []}
    if preemption:
        attributes["max_nodes"] = PREEMPTION_MAX_NODES
    return type("SchedulerMachine", (SchedulerMachine,), attributes)
