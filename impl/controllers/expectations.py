"""ControllerExpectations: do not act on a cache that has not seen your own writes yet.

What it models (k/k ``pkg/controller/controller_utils.go``): before a
controller creates or deletes pods for an owner it records how many
creations and deletions it expects to observe (``expect``); the informer's
add and delete events lower the counts (``creation_observed``,
``deletion_observed``); the owner is synced again only when both reached
zero (``satisfied``), or when the record is older than 5 minutes
(``ExpectationsTimeout``), in case an event was lost. A creation that failed
is observed at once by the controller itself (upstream:
``CreationObserved`` after a failed create), since no event will come.
Deletions are tracked by pod (``UIDTrackingControllerExpectations``), so a
pod seen terminating in several updates and then deleted counts once.

Without this, a controller reading a cache that lags behind its own writes
sees too few pods and creates them again: the double-creation bug that
Sieve-style stale-cache testing finds (a seeded bug in the ReplicaSet
suite).

Requirement IDs: none (REPLICASET-NO-OVERSHOOT is what it is for).
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXPECTATIONS_TIMEOUT_S = 300.0


@dataclass
class Expectation:
    add: int
    deleting: set[str]
    timestamp: float


@dataclass
class Expectations:
    records: dict[str, Expectation] = field(default_factory=dict)

    def expect(self, key: str, *, creations: int = 0, deleting: set[str] | None = None, now: float) -> None:
        """``key`` will make ``creations`` pods and delete the pods named in ``deleting``."""
        self.records[key] = Expectation(creations, set(deleting or ()), now)

    def creation_observed(self, key: str) -> None:
        record = self.records.get(key)
        if record is not None:
            record.add -= 1

    def deletion_observed(self, key: str, pod: str) -> None:
        record = self.records.get(key)
        if record is not None:
            record.deleting.discard(pod)

    def satisfied(self, key: str, now: float) -> bool:
        record = self.records.get(key)
        if record is None:
            return True  # nothing recorded: a new owner, or one whose record was deleted
        if record.add <= 0 and not record.deleting:
            return True
        return now - record.timestamp > EXPECTATIONS_TIMEOUT_S

    def delete(self, key: str) -> None:
        self.records.pop(key, None)
