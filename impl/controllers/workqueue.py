"""client-go's rate-limited work queue, on a clock that is an argument.

What it models (k8s.io/client-go ``util/workqueue``: ``queue.go``,
``delaying_queue.go``, ``default_rate_limiters.go``):

- A key is queued at most once: adding a queued key does nothing
  (de-duplication), and adding a key that is being processed marks it
  dirty, so it is queued again when ``done`` is called for it, never handed
  to two workers at once.
- ``add_after(key, delay, now)`` queues a key once ``now + delay`` has come.
- ``add_rate_limited(key, now)``: the per-item exponential limiter
  (``ItemExponentialFailureRateLimiter``: 5 ms doubling per failure of that
  key up to 1000 s) delays it; ``forget(key)`` resets its failures after a
  success. The overall token bucket of ``DefaultControllerRateLimiter``
  (10 qps, burst 100) is left out: it only matters past 100 failures a
  second.

Time is a float of seconds passed in, never read from a clock, so the
simulator replays it exactly.

Requirement IDs: none (the controllers' requirements are met through it).
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

BASE_DELAY_S = 0.005
MAX_DELAY_S = 1000.0


@dataclass
class WorkQueue:
    queue: deque[str] = field(default_factory=deque)
    dirty: set[str] = field(default_factory=set)
    processing: set[str] = field(default_factory=set)
    failures: dict[str, int] = field(default_factory=dict)
    _waiting: list[tuple[float, int, str]] = field(default_factory=list)
    _sequence: int = 0

    def add(self, key: str) -> None:
        if key in self.dirty:
            return
        self.dirty.add(key)
        if key not in self.processing:
            self.queue.append(key)

    def add_after(self, key: str, delay_s: float, now: float) -> None:
        if delay_s <= 0:
            self.add(key)
            return
        self._sequence += 1
        heapq.heappush(self._waiting, (now + delay_s, self._sequence, key))

    def add_rate_limited(self, key: str, now: float) -> None:
        failures = self.failures.get(key, 0)
        self.failures[key] = failures + 1
        self.add_after(key, min(BASE_DELAY_S * 2**failures, MAX_DELAY_S), now)

    def forget(self, key: str) -> None:
        self.failures.pop(key, None)

    def release_due(self, now: float) -> None:
        """Queue the delayed keys whose time has come (``get`` does it too, but only when called)."""
        while self._waiting and self._waiting[0][0] <= now:
            _, _, key = heapq.heappop(self._waiting)
            self.add(key)

    def get(self, now: float) -> str | None:
        """The next key to process (it stays out of the queue until ``done``), or None."""
        self.release_due(now)
        if not self.queue:
            return None
        key = self.queue.popleft()
        self.processing.add(key)
        self.dirty.discard(key)
        return key

    def done(self, key: str) -> None:
        self.processing.discard(key)
        if key in self.dirty:
            self.queue.append(key)

    def __len__(self) -> int:
        return len(self.queue)

    def next_wakeup(self) -> float | None:
        """When the earliest delayed key becomes ready (None: nothing waits)."""
        return self._waiting[0][0] if self._waiting else None


class SyncError(Exception):
    """A sync that must be retried (with the queue's backoff)."""


def process_queued(
    queue: WorkQueue, sync: Callable[[str, float], None], now: float, retry: type[Exception] = SyncError
) -> int:
    """A worker's round (``processNextWorkItem``): every key queued now is synced once; a sync that
    raises ``retry`` is queued again with the key's backoff, a successful one forgets its failures.
    How many syncs ran."""
    synced = 0
    queue.release_due(now)  # keys delayed until now (retries, requeues after) are queued now too
    for _ in range(len(queue)):
        key = queue.get(now)
        if key is None:
            break
        try:
            sync(key, now)
            queue.forget(key)
        except retry:
            queue.add_rate_limited(key, now)
        finally:
            queue.done(key)
        synced += 1
    return synced
