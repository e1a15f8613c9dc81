"""The reference scheduler's PostFilter: DefaultPreemption, run when no node passes the filters.

What it does, as upstream's ``Evaluator.Preempt``
(``pkg/scheduler/framework/preemption/preemption.go``) with
``pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go``:

1. ``PodEligibleToPreemptOthers`` (preemptionPolicy Never, a victim still
   terminating on the nominated node).
2. The potential nodes: those whose first rejecting filter answered
   ``Unschedulable``, not ``UnschedulableAndUnresolvable``.
3. ``DryRunPreemption``: from a random offset (the scheduler's seeded
   ``random.Random``), ``SelectVictimsOnNode`` on node after node until
   ``calculateNumCandidates`` candidates are found.
4. ``pickOneNodeForPreemption`` over them.

The answer joins the unschedulable decision as ``"nominatedNodeName"`` and
``"victims": [{"namespace": ..., "name": ...}]`` (the contract,
conformance/adapters/scheduler.py): the pod is not bound in this cycle;
whoever drives the scheduler deletes the victims and schedules it again.

The filters are the scheduler's own plugins (a user's added filter counts
here too); the criteria and the unresolvable statuses are the spec's
(spec/scheduling/preemption.py), which the suite holds this to with
SCHED-PREEMPT-*. Each step is a method so that a variant can replace one
(the project's tests seed bugs that way).

Requirement IDs: none defined here.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from spec.objects.core import Node, Pod
from spec.scheduling import preemption as spec
from spec.scheduling.filters import ClusterSnapshot, Filter
from spec.scheduling.preemption import Victims


@dataclass
class DefaultPreemption:
    """One PostFilter run: the scheduler's filter plugins and its source of randomness."""

    filter_plugins: Sequence[tuple[str, Filter]]
    random: random.Random

    def preempt(self, pod: Pod, snapshot: ClusterSnapshot) -> dict[str, Any]:
        """The decision's preemption fields, or {} when the pod preempts nothing."""
        if not self.eligible(pod, snapshot):
            return {}
        nodes = self.potential_nodes(pod, snapshot)
        if not nodes:
            return {}
        found = self.dry_run(pod, nodes, snapshot)
        if not found:
            return {}
        chosen = self.pick(found)
        return {
            "nominatedNodeName": chosen.node,
            "victims": [{"namespace": v.metadata.namespace, "name": v.metadata.name} for v in chosen.pods],
        }

    def eligible(self, pod: Pod, snapshot: ClusterSnapshot) -> bool:
        return spec.pod_eligible_to_preempt_others(pod, snapshot)[0]

    def rejection(
        self, pod: Pod, node: Node, snapshot: ClusterSnapshot
    ) -> tuple[str, tuple[str, ...]] | None:
        for name, run in self.filter_plugins:
            reasons = run(pod, node, snapshot)
            if reasons:
                return name, reasons
        return None

    def fits(self, pod: Pod, node: Node, snapshot: ClusterSnapshot) -> bool:
        return self.rejection(pod, node, snapshot) is None

    def potential_nodes(self, pod: Pod, snapshot: ClusterSnapshot) -> list[Node]:
        found = []
        for node in snapshot.nodes:
            rejected = self.rejection(pod, node, snapshot)
            if rejected is not None and not spec.is_unresolvable(rejected[0], rejected[1], pod, node):
                found.append(node)
        return found

    def dry_run(self, pod: Pod, nodes: Sequence[Node], snapshot: ClusterSnapshot) -> list[Victims]:
        wanted = spec.num_candidates(len(nodes))
        offset = self.random.randrange(len(nodes))
        found: list[Victims] = []
        for i in range(len(nodes)):
            if len(found) >= wanted:
                break
            victims = self.select_victims_on_node(pod, nodes[(offset + i) % len(nodes)], snapshot)
            if victims is not None:
                found.append(victims)
        return found

    def victim_order(self, pod: Pod, potential: Sequence[Pod]) -> list[Pod]:
        """The potential victims in the order they are reprieved: most important first."""
        return spec.by_importance(potential)

    def select_victims_on_node(self, pod: Pod, node: Node, snapshot: ClusterSnapshot) -> Victims | None:
        name = node.metadata.name
        potential = [p for p in snapshot.pods_on(name) if self.may_preempt(p, pod)]
        if not potential:
            return None
        current = spec.without_pods(snapshot, potential)
        if not self.fits(pod, node, current):
            return None
        victims = []
        for candidate in self.victim_order(pod, potential):
            with_it = current.with_pod(candidate, name)
            if self.fits(pod, node, with_it):
                current = with_it
            else:
                victims.append(candidate)
        return Victims(name, tuple(victims))

    def may_preempt(self, victim: Pod, preemptor: Pod) -> bool:
        return spec.preemption_allowed(victim, preemptor)

    def pick(self, found: Sequence[Victims]) -> Victims:
        """The first of the best candidates in the order they were found."""
        return min(found, key=spec.preference)
