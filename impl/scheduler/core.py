"""The reference scheduler's algorithm, behind the suite's ``scheduler`` contract (conformance/adapters/
scheduler.py): one scheduling cycle of kube-scheduler's default profile for one pod.

What it does, as ``pkg/scheduler/schedule_one.go`` ``schedulePod`` does:

1. Filter: from a rotating start index (``nextStartNodeIndex``), run the
   filter plugins on node after node until ``numFeasibleNodesToFind``
   feasible nodes are found or every node was tried
   (spec/scheduling/framework.py); the start index then moves past the nodes
   examined. Each rejected node keeps the reasons of the first plugin that
   rejected it.
2. No feasible node: unschedulable, with upstream's "0/N nodes are
   available: ..." message over every node's reasons (the search went
   through all of them); PostFilter then tries preemption
   (impl/scheduler/preemption.py) unless the scheduler's ``preemption`` is off.
3. One feasible node: it is chosen without scoring.
4. Otherwise score the feasible nodes with the score plugins (each
   normalized to 0..100, weighted), and pick a highest total, ties broken
   by upstream's reservoir scan over a ``random.Random(seed)``. The decision
   also gives the seed's ranked list (``rankedNodes``), which the loop
   (impl/scheduler/loop.py) binds down when a binding fails.

The plugins are the spec's (spec/scheduling/filters.py ``FILTER_ORDER``,
spec/scheduling/scores.py ``DEFAULT_SCORE_PLUGINS``) and pluggable: a user
adds or replaces a filter or score plugin by passing its own lists. This
is the readable version: it runs them per node as the spec states them. The
registered reference is the columnar one (impl/scheduler/columnar.py), which
makes the same decisions on a cache with numpy columns
(tests/scheduler/test_columnar.py compares them).

Requirement IDs: none defined here; the scheduler suite holds it to SCHED-*.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from impl.scheduler.preemption import DefaultPreemption
from spec.objects import from_dict
from spec.objects.core import Node, Pod
from spec.scheduling.filters import FILTER_ORDER, ClusterSnapshot, Filter, unschedulable_message
from spec.scheduling.framework import (
    num_feasible_nodes_to_find,
    ranked_nodes,
    reservoir_tie_break,
    select_host,
)
from spec.scheduling.scores import DEFAULT_SCORE_PLUGINS, ScorePlugin


def snapshot_from_json(snapshot: Mapping[str, Any]) -> ClusterSnapshot:
    """The contract's snapshot JSON as a ``ClusterSnapshot``; a malformed one raises ValueError."""
    nodes = tuple(cast(Node, from_dict(node)) for node in snapshot.get("nodes", ()))
    pods = tuple(cast(Pod, from_dict(pod)) for pod in snapshot.get("pods", ()))
    namespaces = {name: dict(labels) for name, labels in dict(snapshot.get("namespaces", {})).items()}
    return ClusterSnapshot(nodes, pods, namespaces)


@dataclass
class ReferenceScheduler:
    """One scheduler: its plugins, its settings and its rotating start index."""

    seed: int = 0
    percentage_of_nodes_to_score: int = 0
    filter_plugins: Sequence[tuple[str, Filter]] = FILTER_ORDER
    #: (name, weight, plugin) as spec/scheduling/scores.py lists the default profile's.
    score_plugins: Sequence[tuple[str, int, ScorePlugin]] = DEFAULT_SCORE_PLUGINS
    next_start_node_index: int = 0
    #: Run DefaultPreemption (impl/scheduler/preemption.py) for a pod no node fits.
    preemption: bool = True
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def schedule(self, pod: Mapping[str, Any], snapshot: Mapping[str, Any]) -> dict[str, Any]:
        return self.schedule_objects(cast(Pod, from_dict(pod)), snapshot_from_json(snapshot))

    def schedule_objects(self, pod: Pod, snapshot: ClusterSnapshot) -> dict[str, Any]:
        nodes = snapshot.nodes
        if not nodes:
            return {"nodeName": None, "message": "no nodes available to schedule pods", "reasons": {}}
        wanted = num_feasible_nodes_to_find(self.percentage_of_nodes_to_score, len(nodes))
        feasible: list[Node] = []
        reasons: dict[str, tuple[str, ...]] = {}
        examined = 0
        for offset in range(len(nodes)):
            if len(feasible) >= wanted:
                break
            node = nodes[(self.next_start_node_index + offset) % len(nodes)]
            examined += 1
            rejected = self.filter(pod, node, snapshot)
            if rejected:
                reasons[node.metadata.name] = rejected
            else:
                feasible.append(node)
        self.next_start_node_index = (self.next_start_node_index + examined) % len(nodes)
        if not feasible:
            unschedulable = {
                "nodeName": None,
                "message": unschedulable_message(reasons, len(nodes)),
                "reasons": {name: list(why) for name, why in reasons.items()},
            }
            return unschedulable | (self.post_filter(pod, snapshot) if self.preemption else {})
        names = [node.metadata.name for node in feasible]
        if len(feasible) == 1:
            return {"nodeName": names[0], "scoredNodes": names, "rankedNodes": names}
        totals = self.score(pod, feasible, snapshot)
        chosen = select_host(totals, reservoir_tie_break(self._random.randrange))
        return {"nodeName": chosen, "scoredNodes": names, "rankedNodes": ranked_nodes(totals, chosen)}

    def post_filter(self, pod: Pod, snapshot: ClusterSnapshot) -> dict[str, Any]:
        """PostFilter: the preemption fields of the decision (nominatedNodeName, victims), or {}."""
        return DefaultPreemption(self.filter_plugins, self._random).preempt(pod, snapshot)

    def filter(self, pod: Pod, node: Node, snapshot: ClusterSnapshot) -> tuple[str, ...]:
        """The reasons of the first filter plugin that rejects ``node``; () when it passes them all."""
        for _, run in self.filter_plugins:
            rejected = run(pod, node, snapshot)
            if rejected:
                return rejected
        return ()

    def score(self, pod: Pod, nodes: Sequence[Node], snapshot: ClusterSnapshot) -> dict[str, int]:
        """Each node's weighted total over the score plugins."""
        totals = {node.metadata.name: 0 for node in nodes}
        for _, weight, plugin in self.score_plugins:
            for name, value in plugin(pod, nodes, snapshot).items():
                totals[name] += weight * value
        return totals


@dataclass
class ReferenceSchedulerProvider:
    """The ``scheduler`` component of the reference implementation."""

    deterministic: bool = True
    percentage_of_nodes_to_score: int = 0
    #: Whether the schedulers preempt (the suite checks SCHED-PREEMPT-* only when they do).
    preemption: bool = True
    #: The scheduler class to make (the project's tests substitute broken ones).
    scheduler_class: type[ReferenceScheduler] = ReferenceScheduler
    #: The API driver ``attach`` runs (None: impl/scheduler/apidriver.py's; tests substitute broken ones).
    api_scheduler_class: type[Any] | None = None

    def new_scheduler(self, seed: int) -> ReferenceScheduler:
        percentage = self.percentage_of_nodes_to_score
        return self.scheduler_class(
            seed=seed, percentage_of_nodes_to_score=percentage, preemption=self.preemption
        )

    @contextmanager
    def attach(self, kubeconfig: Path, scheduler_name: str) -> Iterator[object]:
        """The contract's scheduler through the API: impl/scheduler/apidriver.py until the block ends."""
        from impl.scheduler.apidriver import scheduling  # the API plumbing only when asked for

        with scheduling(
            kubeconfig,
            self.new_scheduler(seed=0),
            scheduler_name=scheduler_name,
            driver_class=self.api_scheduler_class,
        ) as running:
            yield running
