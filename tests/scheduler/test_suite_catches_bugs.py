"""The scheduler suite (conformance/scheduler/machine.py) catches the seeded bugs issue 7 names, and more.

Each variant is a reference scheduler with one plugin, or the scoring
step, done wrong; the machine must fail with the requirement the bug breaks,
within a fixed derandomized budget. A variant it does not catch fails this
test. Every bug is seeded twice: into the registered (columnar) scheduler of
impl/scheduler/columnar.py, in its vectorized code where the plugin is
vectorized (the taint groups, the cache's requests, the pod-count column,
the scored indices), and into the plain ReferenceScheduler of
impl/scheduler/core.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.scheduler.machine import machine_for
from conformance.violation import RequirementViolation
from impl.scheduler.columnar import ColumnarScheduler, ColumnarSchedulerProvider
from impl.scheduler.core import ReferenceScheduler, ReferenceSchedulerProvider
from spec.objects.core import Node, Pod, Taint
from spec.scheduling import filters
from spec.scheduling.filters import FILTER_ORDER, ClusterSnapshot, Filter

SETTINGS = settings(
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.generate],  # the requirement of the first failure is the point, not a small example
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)


def replaced(name: str, plugin: Filter) -> tuple[tuple[str, Filter], ...]:
    return tuple((n, plugin if n == name else run) for n, run in FILTER_ORDER)


def no_execute_ignored(pod: Pod, node: Node, snapshot: ClusterSnapshot) -> tuple[str, ...]:
    taint = filters.find_untolerated_taint(node.spec.taints, pod.spec.tolerations, ("NoSchedule",))
    return () if taint is None else (filters.untolerated_taint_reason(taint),)


def as_limits(p: Pod) -> Pod:
    """The pod with each container's limits where its requests should be."""
    containers = tuple(
        c.replace(resources=c.resources.replace(requests=c.resources.limits)) for c in p.spec.containers
    )
    return p.replace(spec=p.spec.replace(containers=containers))


def limits_counted(pod: Pod, node: Node, snapshot: ClusterSnapshot) -> tuple[str, ...]:
    """NodeResourcesFit reading each container's limits where it should read its requests."""
    placed = ClusterSnapshot(
        snapshot.nodes, tuple(as_limits(p) for p in snapshot.pods), snapshot.namespace_labels
    )
    return filters.insufficient_resources(as_limits(pod), node, placed)


def full_is_too_full(pod: Pod, node: Node, snapshot: ClusterSnapshot) -> tuple[str, ...]:
    """The pod-count check off by one: a node with room for exactly one more pod takes none."""
    allocatable = filters.node_allocatable(node).get(filters.PODS, 0)
    if len(snapshot.pods_on(node.metadata.name)) + 1 >= allocatable:
        return (filters.REASON_TOO_MANY_PODS,)
    return filters.insufficient_resources(pod, node, snapshot)


def anti_affinity_by_hostname(pod: Pod, node: Node, snapshot: ClusterSnapshot) -> tuple[str, ...]:
    """InterPodAffinity reading every anti-affinity term as if its topologyKey were the hostname."""

    def hostname_terms(p: Pod) -> Pod:
        affinity = p.spec.affinity
        if affinity is None or affinity.pod_anti_affinity is None:
            return p
        anti = affinity.pod_anti_affinity
        terms = tuple(
            t.replace(topology_key=filters.LABEL_HOSTNAME)
            for t in anti.required_during_scheduling_ignored_during_execution
        )
        anti = anti.replace(required_during_scheduling_ignored_during_execution=terms)
        return p.replace(spec=p.spec.replace(affinity=affinity.replace(pod_anti_affinity=anti)))

    placed = ClusterSnapshot(
        snapshot.nodes, tuple(hostname_terms(p) for p in snapshot.pods), snapshot.namespace_labels
    )
    reason = filters.inter_pod_affinity(hostname_terms(pod), node, placed)
    return () if reason is None else (reason,)


class ScoresEveryNode(ReferenceScheduler):
    """Scores the whole node list, feasible or not, and binds to the best of it."""

    def score(self, pod: Pod, nodes: Sequence[Node], snapshot: ClusterSnapshot) -> dict[str, int]:
        return super().score(pod, snapshot.nodes, snapshot)


class RanksLowestFirst(ReferenceScheduler):
    """Binds to the right node but ranks the rest lowest score first (what it binds down on failure)."""

    def schedule_objects(self, pod: Pod, snapshot: ClusterSnapshot) -> dict[str, Any]:
        decision = super().schedule_objects(pod, snapshot)
        if decision.get("rankedNodes"):
            first, *rest = decision["rankedNodes"]
            decision["rankedNodes"] = [first, *reversed(rest)]
        return decision


def scheduler_with(plugins: tuple[tuple[str, Filter], ...]) -> type[ReferenceScheduler]:
    return type("Broken", (ReferenceScheduler,), {"__init__": _init_with(plugins)})


def _init_with(plugins: tuple[tuple[str, Filter], ...]):  # type: ignore[no-untyped-def]
    original = ReferenceScheduler.__init__

    def init(self: ReferenceScheduler, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        self.filter_plugins = plugins

    return init


# -- the same bugs in the columnar scheduler -----------------------------------------------------


class ColumnarNoExecuteIgnored(ColumnarScheduler):
    """The taint groups checked for NoSchedule taints only."""

    def untolerated_taint(self, pod: Pod, taints: Sequence[Taint]) -> Taint | None:
        return filters.find_untolerated_taint(taints, pod.spec.tolerations, ("NoSchedule",))


class ColumnarLimitsCounted(ColumnarScheduler):
    """The cache and the fit check count each container's limits as its requests."""

    @staticmethod
    def pod_requests(pod: Pod) -> dict[str, int]:
        return filters.pod_requests(as_limits(pod))


class ColumnarFullIsTooFull(ColumnarScheduler):
    """The vectorized pod-count check off by one."""

    def pods_fit(self, pod_count: np.ndarray, allocatable_pods: np.ndarray) -> np.ndarray:
        return pod_count + 1 < allocatable_pods


class ColumnarScoresEveryNode(ColumnarScheduler):
    """Ranks every node of the cache, feasible or not."""

    def scored_indices(self, feasible: np.ndarray) -> np.ndarray:
        return np.arange(len(self.cache))


def columnar_with(plugins: tuple[tuple[str, Filter], ...]) -> type[ColumnarScheduler]:
    """The columnar scheduler with a filter plugin replaced (it then runs node by node)."""
    original = ColumnarScheduler.__post_init__

    def post_init(self: ColumnarScheduler) -> None:
        original(self)
        self.filter_plugins = plugins

    return type("BrokenColumnar", (ColumnarScheduler,), {"__post_init__": post_init})


SCORES_UNFILTERED = {"SCHED-SELECT-TOP", "SCHED-RANKED", "SCHED-COMPLETE"} | {
    f"SCHED-FILTER-{k}"
    for k in ("UNSCHEDULABLE", "TAINT", "AFFINITY", "PORTS", "RESOURCES", "SPREAD", "INTERPOD")
}


@pytest.mark.parametrize(
    ("scheduler_class", "requirements"),
    [
        (ColumnarNoExecuteIgnored, {"SCHED-FILTER-TAINT", "SCHED-FILTER-MESSAGE"}),
        # The cache's requests feed the scores too: the ranking by the spec's totals may catch it first,
        # or the unschedulable message, whose per-reason counts the wrong accounting changes (a CI run
        # met that first).
        (
            ColumnarLimitsCounted,
            {"SCHED-FILTER-RESOURCES", "SCHED-RANKED", "SCHED-SELECT-TOP", "SCHED-FILTER-MESSAGE"},
        ),
        (ColumnarFullIsTooFull, {"SCHED-NODES-TO-SCORE", "SCHED-COMPLETE", "SCHED-FILTER-MESSAGE"}),
        (columnar_with(replaced("InterPodAffinity", anti_affinity_by_hostname)), {"SCHED-FILTER-INTERPOD"}),
        (ColumnarScoresEveryNode, SCORES_UNFILTERED),
    ],
    ids=[
        "noexecute-ignored",
        "limits-not-requests",
        "full-capacity-off-by-one",
        "anti-affinity-wrong-key",
        "scores-unfiltered-nodes",
    ],
)
def test_the_machine_catches_in_the_registered_scheduler(
    scheduler_class: type[ColumnarScheduler], requirements: set[str]
) -> None:
    provider = replace(ColumnarSchedulerProvider(), scheduler_class=scheduler_class)
    with pytest.raises(RequirementViolation) as caught:
        run_state_machine_as_test(machine_for(provider), settings=SETTINGS)
    assert caught.value.requirement_id in requirements, str(caught.value)


def test_the_registered_scheduler_is_the_columnar_one() -> None:
    """The variants above are of the scheduler the suite runs as the reference."""
    from impl.reference import implementation

    assert isinstance(implementation().components["scheduler"], ColumnarSchedulerProvider)


@pytest.mark.parametrize(
    ("scheduler_class", "requirements"),
    [
        (
            scheduler_with(replaced("TaintToleration", no_execute_ignored)),
            {"SCHED-FILTER-TAINT", "SCHED-FILTER-MESSAGE"},
        ),
        # Limits read as requests also reject nodes that fit (COMPLETE) and give wrong reasons (MESSAGE);
        # which one a derandomized run meets first changes with the machine's source.
        (
            scheduler_with(replaced("NodeResourcesFit", limits_counted)),
            {"SCHED-FILTER-RESOURCES", "SCHED-COMPLETE", "SCHED-FILTER-MESSAGE"},
        ),
        (
            scheduler_with(replaced("NodeResourcesFit", full_is_too_full)),
            {"SCHED-NODES-TO-SCORE", "SCHED-COMPLETE", "SCHED-FILTER-MESSAGE"},
        ),
        (scheduler_with(replaced("InterPodAffinity", anti_affinity_by_hostname)), {"SCHED-FILTER-INTERPOD"}),
        (
            ScoresEveryNode,
            {"SCHED-SELECT-TOP", "SCHED-RANKED", "SCHED-COMPLETE"}
            | {
                f"SCHED-FILTER-{k}"
                for k in ("UNSCHEDULABLE", "TAINT", "AFFINITY", "PORTS", "RESOURCES", "SPREAD", "INTERPOD")
            },
        ),
        (RanksLowestFirst, {"SCHED-RANKED"}),
    ],
    ids=[
        "noexecute-ignored",
        "limits-not-requests",
        "full-capacity-off-by-one",
        "anti-affinity-wrong-key",
        "scores-unfiltered-nodes",
        "ranked-lowest-first",
    ],
)
def test_the_machine_catches_in_the_plain_scheduler(
    scheduler_class: type[ReferenceScheduler], requirements: set[str]
) -> None:
    provider = replace(ReferenceSchedulerProvider(), scheduler_class=scheduler_class)
    with pytest.raises(RequirementViolation) as caught:
        run_state_machine_as_test(machine_for(provider), settings=SETTINGS)
    assert caught.value.requirement_id in requirements, str(caught.value)
