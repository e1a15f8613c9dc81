"""The scheduling queue: which pending pod the scheduler takes next, and when a failed one comes back.

What it models, from ``pkg/scheduler/internal/queue/scheduling_queue.go``
(``PriorityQueue``, in the form without queueing hints: every cluster event
moves every unschedulable pod) and ``pkg/scheduler/framework/plugins/
queuesort/priority_sort.go``:

- **activeQ**, a heap ordered by PrioritySort: higher ``spec.priority``
  first, then the earlier queue timestamp (``pop``).
- **backoffQ**: a pod that failed a cycle while a move request happened
  during it waits out its backoff: 1 s after its first attempt, doubling per
  attempt, at most 10 s (``podInitialBackoffDuration``,
  ``podMaxBackoffDuration``; ``calculateBackoffDuration``), counted from the
  time it was put back. ``flush_backoff_completed`` moves the pods whose
  backoff is over to activeQ (upstream: every second).
- **unschedulablePods**: a pod found unschedulable waits there until a
  cluster event (``move_all_to_active_or_backoff``: a node added or
  changed, a pod deleted ...) moves it to backoffQ if it is still backing
  off, else to activeQ; or until it has waited
  ``podMaxInUnschedulablePodsDuration`` (5 minutes,
  ``flush_unschedulable_leftover``).
- **The move request cycle**: a pod whose cycle began before the last move
  request may have missed the event that would make it schedulable, so
  ``add_unschedulable`` puts it in backoffQ instead of unschedulablePods
  (``AddUnschedulableIfNotPresent``, ``moveRequestCycle >=
  podSchedulingCycle``).

Time is an argument (seconds as a float), never read from a clock.

Requirement IDs defined here (component "scheduler"): SCHED-QUEUE-ORDER,
SCHED-QUEUE-BACKOFF, SCHED-QUEUE-MOVE.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Final

from spec.objects.core import Pod
from spec.requirements import requirement

_SOURCE = "k/k pkg/scheduler/internal/queue/scheduling_queue.go"

SCHED_QUEUE_ORDER = requirement(
    "SCHED-QUEUE-ORDER",
    "The scheduler MUST take the active pod of highest spec.priority first, and among equal priorities "
    "the one queued earliest.",
    component="scheduler",
    source=f"{_SOURCE}; pkg/scheduler/framework/plugins/queuesort/priority_sort.go",
)
SCHED_QUEUE_BACKOFF = requirement(
    "SCHED-QUEUE-BACKOFF",
    "A pod put back after n failed attempts MUST NOT be retried before min(1 s * 2^(n-1), 10 s) has passed "
    "since it was put back.",
    component="scheduler",
    source=f"{_SOURCE} calculateBackoffDuration, isPodBackingoff",
)
SCHED_QUEUE_MOVE = requirement(
    "SCHED-QUEUE-MOVE",
    "An unschedulable pod MUST wait until a cluster event or 5 minutes have passed, then go to the active "
    "queue, or to backoff while its backoff lasts; a pod whose cycle began before the last event MUST go "
    "to backoff, not wait for another event.",
    component="scheduler",
    source=f"{_SOURCE} AddUnschedulableIfNotPresent, MoveAllToActiveOrBackoffQueue, "
    "flushUnschedulablePodsLeftover",
)

INITIAL_BACKOFF_S: Final = 1.0
MAX_BACKOFF_S: Final = 10.0
MAX_IN_UNSCHEDULABLE_S: Final = 300.0


def backoff_duration(
    attempts: int, initial: float = INITIAL_BACKOFF_S, maximum: float = MAX_BACKOFF_S
) -> float:
    """``calculateBackoffDuration``: the initial backoff doubled per attempt after the first, capped."""
    duration = initial
    for _ in range(1, attempts):
        if duration > maximum - duration:
            return maximum
        duration += duration
    return duration


@dataclass
class QueuedPod:
    """``QueuedPodInfo``: the pod, when it was last queued, how often it was tried, in which cycle."""

    pod: Pod
    timestamp: float
    attempts: int = 0
    cycle: int = 0

    @property
    def key(self) -> str:
        return f"{self.pod.metadata.namespace}/{self.pod.metadata.name}"

    @property
    def priority(self) -> int:
        return self.pod.spec.priority or 0

    def backoff_until(self) -> float:
        return self.timestamp + backoff_duration(self.attempts)


@dataclass
class SchedulingQueue:
    """The three queues and the cycle counters; every method takes the current time."""

    active: list[tuple[int, float, int, QueuedPod]] = field(default_factory=list)
    backoff: dict[str, QueuedPod] = field(default_factory=dict)
    unschedulable: dict[str, QueuedPod] = field(default_factory=dict)
    scheduling_cycle: int = 0
    move_request_cycle: int = -1
    _sequence: int = 0

    def add(self, pod: Pod, now: float) -> None:
        """A new pending pod: straight to activeQ."""
        self._activate(QueuedPod(pod, now))

    def pop(self) -> QueuedPod | None:
        """The next pod to schedule (None when activeQ is empty); counts the attempt and the cycle."""
        if not self.active:
            return None
        _, _, _, queued = heapq.heappop(self.active)
        self.scheduling_cycle += 1
        queued.attempts += 1
        queued.cycle = self.scheduling_cycle
        return queued

    def add_unschedulable(self, queued: QueuedPod, now: float, *, rejected_by_plugins: bool = True) -> None:
        """A pod its cycle could not place (``AddUnschedulableIfNotPresent``).

        ``rejected_by_plugins`` False is a failure no plugin explains (an
        error, such as a failed binding): upstream retries such a pod after
        its backoff instead of waiting for a cluster event.
        """
        queued.timestamp = now
        if self.move_request_cycle >= queued.cycle or not rejected_by_plugins:
            self.backoff[queued.key] = queued
        else:
            self.unschedulable[queued.key] = queued

    def contains(self, key: str) -> bool:
        """Whether the pod ``namespace/name`` is in any of the three queues."""
        return key in self.backoff or key in self.unschedulable or any(q.key == key for *_, q in self.active)

    def update(self, pod: Pod) -> bool:
        """A queued pod changed (``Update``): its entry, wherever it waits, holds the new object.

        Upstream may also move an unschedulable pod whose update could make it
        schedulable (queueing hints); here it waits for a cluster event as
        before. False when the pod is not queued.
        """
        key = f"{pod.metadata.namespace}/{pod.metadata.name}"
        entries = [*self.backoff.values(), *self.unschedulable.values(), *(q for *_, q in self.active)]
        found = [queued for queued in entries if queued.key == key]
        for queued in found:
            queued.pod = pod
        return bool(found)

    def forget(self, key: str) -> None:
        """The pod was deleted or bound by someone else: out of every queue (``Delete``)."""
        self.backoff.pop(key, None)
        self.unschedulable.pop(key, None)
        kept = [entry for entry in self.active if entry[3].key != key]
        if len(kept) != len(self.active):
            self.active = kept
            heapq.heapify(self.active)

    def move_all_to_active_or_backoff(self, now: float) -> None:
        """A cluster event: every unschedulable pod to backoffQ if still backing off, else activeQ."""
        for key in list(self.unschedulable):
            self._move(self.unschedulable.pop(key), now)
        self.move_request_cycle = self.scheduling_cycle

    def flush_backoff_completed(self, now: float) -> None:
        """Backed-off pods whose backoff is over go to activeQ."""
        for key, queued in list(self.backoff.items()):
            if queued.backoff_until() <= now:
                del self.backoff[key]
                self._activate(queued)

    def flush_unschedulable_leftover(self, now: float) -> None:
        """Pods unschedulable for longer than 5 minutes are moved as a cluster event would move them."""
        for key, queued in list(self.unschedulable.items()):
            if now - queued.timestamp > MAX_IN_UNSCHEDULABLE_S:
                self._move(self.unschedulable.pop(key), now)

    def pending(self) -> dict[str, list[str]]:
        """The pods in each queue, for checks and messages."""
        return {
            "active": sorted(q.key for *_, q in self.active),
            "backoff": sorted(self.backoff),
            "unschedulable": sorted(self.unschedulable),
        }

    def _move(self, queued: QueuedPod, now: float) -> None:
        if queued.backoff_until() > now:
            self.backoff[queued.key] = queued
        else:
            self._activate(queued)

    def _activate(self, queued: QueuedPod) -> None:
        self._sequence += 1
        heapq.heappush(self.active, (-queued.priority, queued.timestamp, self._sequence, queued))
