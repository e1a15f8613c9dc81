"""The reference scheduler's loop: pending pods queued, one scheduling cycle at a time, then binding.

What it does, as kube-scheduler's ``scheduleOne`` (k/k
``pkg/scheduler/schedule_one.go``) around the algorithm of core.py:

1. Pending pods (no ``spec.nodeName``, ``spec.schedulerName`` this
   scheduler's) wait in the scheduling queue of spec/scheduling/queue.py:
   by priority, then arrival; backoff 1 s doubling to 10 s; unschedulable
   pods wait for a cluster event (a node added or changed, a pod deleted
   or bound by someone else) or 5 minutes.
2. ``schedule_one`` pops a pod and asks the algorithm for a decision on the
   cache of nodes and bound pods.
3. Unschedulable: the pod goes back to the queue (unschedulablePods, or
   backoffQ if an event came during its cycle) and the result carries the
   message for its ``PodScheduled=False`` condition. When the algorithm's
   PostFilter (preemption, impl/scheduler/preemption.py) nominated a node,
   the binder evicts the victims first; their deletions are the cluster
   events that bring the pod back.
4. Schedulable: the binder is called for the chosen node. When it fails:
   - ``on_bind_failure="next-ranked"`` (the default, the seed's steps
     8-9): the next node of the decision's ``rankedNodes`` is tried, and so
     on down the list (SCHED-BIND-NEXT); only when every node failed does
     the pod go back to the queue, to backoff.
   - ``on_bind_failure="requeue"`` (upstream's ``handleBindingCycleError``):
     the assumed pod is forgotten and the pod goes back to the queue at once,
     to backoff.
   A successful binding is recorded in the cache (upstream's assume step).

Time is an argument (``now``, seconds), never read from a clock; the binder
is the only side effect, so the loop runs the same under the simulator, a
test, or the API driver (impl/scheduler/apidriver.py).

Requirement IDs: none defined here; tests/scheduler/test_loop.py holds the
loop to SCHED-BIND-NEXT and SCHED-QUEUE-*.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from spec.objects.core import Node, Pod
from spec.scheduling.filters import ClusterSnapshot, bind
from spec.scheduling.queue import SchedulingQueue

DEFAULT_SCHEDULER_NAME = "default-scheduler"

BindFailureMode = Literal["next-ranked", "requeue"]


class Algorithm(Protocol):
    """One scheduling cycle (impl/scheduler/core.py's ``ReferenceScheduler`` is one)."""

    def schedule_objects(self, pod: Pod, snapshot: ClusterSnapshot) -> Mapping[str, Any]: ...


class Binder(Protocol):
    """Binds pods; a binder that also has ``preempt(pod, node_name, victims)`` (victims as
    ``namespace/name``) is called to evict the victims preemption chose and nominate the node."""

    def bind(self, pod: Pod, node_name: str) -> str | None:
        """Bind ``pod`` to ``node_name``: None when done, else why it failed."""
        ...


def pod_key(pod: Pod) -> str:
    return f"{pod.metadata.namespace}/{pod.metadata.name}"


@dataclass(frozen=True)
class CycleResult:
    """What one cycle did with one pod."""

    pod: str
    #: "bound", "unschedulable", or "bind-failed" (every node tried failed; the pod is queued again).
    outcome: Literal["bound", "unschedulable", "bind-failed"]
    node_name: str | None = None
    #: (node, error or None) for every binding tried, in order.
    attempts: tuple[tuple[str, str | None], ...] = ()
    message: str = ""
    #: The node preemption made room on (its victims are being evicted), if any.
    nominated_node: str | None = None


@dataclass
class SchedulingLoop:
    algorithm: Algorithm
    binder: Binder
    on_bind_failure: BindFailureMode = "next-ranked"
    scheduler_name: str = DEFAULT_SCHEDULER_NAME
    queue: SchedulingQueue = field(default_factory=SchedulingQueue)
    nodes: dict[str, Node] = field(default_factory=dict)
    #: Bound pods by key (the cache; upstream's assumed pods are in it as soon as bound).
    bound: dict[str, Pod] = field(default_factory=dict)
    #: Whether a cluster event came since the algorithm last saw the snapshot. An algorithm with a
    #: cache of its own (``assume`` and ``schedule_pod``: the columnar one) is given the whole snapshot
    #: only then, and told of this loop's own bindings with ``assume``: the cycles that follow one
    #: informer poll cost what one pod costs, not what the whole cluster does.
    events_since_snapshot: bool = True

    def __post_init__(self) -> None:
        if self.on_bind_failure not in ("next-ranked", "requeue"):
            raise ValueError(
                f"on_bind_failure must be 'next-ranked' or 'requeue', not {self.on_bind_failure!r}"
            )

    # -- cluster events -------------------------------------------------------------------------

    def node_added_or_changed(self, node: Node, now: float) -> None:
        self.events_since_snapshot = True
        self.nodes[node.metadata.name] = node
        self.queue.move_all_to_active_or_backoff(now)

    def node_removed(self, name: str) -> None:
        self.events_since_snapshot = True
        self.nodes.pop(name, None)
        self.bound = {key: pod for key, pod in self.bound.items() if pod.spec.node_name != name}

    def pod_added_or_changed(self, pod: Pod, now: float) -> None:
        """A pod seen: bound ones go to the cache, pending ones of this scheduler to the queue."""
        key = pod_key(pod)
        self.events_since_snapshot = True
        if pod.spec.node_name:
            placed_by_others = key not in self.bound  # this loop's own bindings are in the cache already
            self.bound[key] = pod
            self.queue.forget(key)
            if placed_by_others:
                self.queue.move_all_to_active_or_backoff(now)
        elif (pod.spec.scheduler_name or DEFAULT_SCHEDULER_NAME) == self.scheduler_name:
            # A queued pod that changed (its nominatedNodeName, say) is tried as it now is.
            if key not in self.bound and not self.queue.update(pod):
                self.queue.add(pod, now)

    def pod_removed(self, key: str, now: float) -> None:
        self.events_since_snapshot = True
        self.queue.forget(key)
        if self.bound.pop(key, None) is not None:
            self.queue.move_all_to_active_or_backoff(now)

    # -- the cycle --------------------------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Upstream's periodic flushes: backoff completed, unschedulable for too long."""
        self.queue.flush_backoff_completed(now)
        self.queue.flush_unschedulable_leftover(now)

    def _incremental(self) -> bool:
        return hasattr(self.algorithm, "assume") and hasattr(self.algorithm, "schedule_pod")

    def snapshot(self) -> ClusterSnapshot:
        return ClusterSnapshot(tuple(self.nodes.values()), tuple(self.bound.values()))

    def schedule_one(self, now: float) -> CycleResult | None:
        """One cycle for the next active pod; None when no pod is active."""
        queued = self.queue.pop()
        if queued is None:
            return None
        pod, key = queued.pod, queued.key
        incremental = self._incremental()
        if incremental and not self.events_since_snapshot:
            decision = self.algorithm.schedule_pod(pod)  # type: ignore[attr-defined]
        else:
            decision = self.algorithm.schedule_objects(pod, self.snapshot())
            self.events_since_snapshot = False
        chosen = decision.get("nodeName")
        if not chosen:
            nominated = decision.get("nominatedNodeName")
            if nominated:
                # PostFilter found room by preemption: evict the victims and nominate the node; the
                # pod waits in the queue until the victims' deletions move it back (preemption.go).
                victims = tuple(f"{v['namespace']}/{v['name']}" for v in decision.get("victims") or ())
                evict = getattr(self.binder, "preempt", None)
                if evict is not None:
                    evict(pod, str(nominated), victims)
            self.queue.add_unschedulable(queued, now)
            return CycleResult(
                key,
                "unschedulable",
                message=str(decision.get("message", "")),
                nominated_node=str(nominated) if nominated else None,
            )
        candidates = [chosen]
        if self.on_bind_failure == "next-ranked":
            candidates += [name for name in decision.get("rankedNodes") or () if name != chosen]
        attempts: list[tuple[str, str | None]] = []
        for node_name in candidates:
            error = self.binder.bind(pod, node_name)
            attempts.append((node_name, error))
            if error is None:
                self.bound[key] = bind(pod, node_name)
                if incremental:
                    self.algorithm.assume(pod, node_name)  # type: ignore[attr-defined]
                return CycleResult(key, "bound", node_name, tuple(attempts))
        self.queue.add_unschedulable(queued, now, rejected_by_plugins=False)
        return CycleResult(
            key, "bind-failed", attempts=tuple(attempts), message=f"binding failed on {len(attempts)} node(s)"
        )
