"""A replicated register: the first end-to-end slice of kspec.

What it models: the seed's promise that etcd is "strongly consistent" and
"works in a leader-member fashion" (seed, "Etcd"), shrunk to one register
whose leader forwards writes to followers. The Consensus issue replaces it
with Raft; it exists so that spec -> impl -> adapter -> suite is proven on
something small first.

Requirements defined here: REG-READ-LATEST, REG-REPLICA-PREFIX,
REG-CONVERGE.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from spec.requirements import requirement

REG_READ_LATEST = requirement(
    "REG-READ-LATEST",
    "A read MUST return the value of the latest acknowledged write before it, "
    "or of a write whose outcome is still unknown.",
    component="register",
    source="seed: etcd is strongly consistent; linearizability (Herlihy & Wing 1990)",
)
REG_REPLICA_PREFIX = requirement(
    "REG-REPLICA-PREFIX",
    "Every member MUST apply each write at most once and in the same order as every other member: "
    "of any two members' applied sequences, one is a prefix of the other.",
    component="register",
    source="seed: etcd works in a leader-member fashion; Raft State Machine Safety",
)
REG_CONVERGE = requirement(
    "REG-CONVERGE",
    "Once faults stop and all members are up and connected, every member MUST apply every "
    "acknowledged write within the stated convergence time.",
    component="register",
    source="seed: an update is made to all the other nodes; TigerBeetle VOPR liveness phase",
)


@dataclass(frozen=True)
class WriteOutcome:
    """What a client learns of a write: acknowledged, or no answer in time."""

    status: Literal["ok", "unknown"]


@dataclass(frozen=True)
class ReadOutcome:
    status: Literal["ok", "unknown"]
    value: int | None = None


@dataclass
class RegisterModel:
    """The sequential oracle, run side by side with the implementation.

    Clients issue one operation at a time, so the history is sequential
    except for writes whose outcome is unknown (a timeout): such a write may
    take effect at any later moment, or never, so it stays *pending* until a
    read observes it. Written values must be unique for the model to tell
    writes apart; the suite makes them so.
    """

    value: int | None = None
    pending: set[int] = field(default_factory=set)
    acknowledged: list[int] = field(default_factory=list)

    def write_acknowledged(self, value: int) -> None:
        # The write took effect between invocation and acknowledgement; a
        # pending write of the same value is now known to have been applied.
        self.pending.discard(value)
        self.value = value
        self.acknowledged.append(value)

    def write_unknown(self, value: int) -> None:
        self.pending.add(value)

    def read_allowed(self, observed: int | None) -> bool:
        """REG-READ-LATEST: may a read that started now return ``observed``?"""
        return observed == self.value or (observed is not None and observed in self.pending)

    def read_observed(self, observed: int | None) -> None:
        """Record a read the model allowed: a pending write it saw is now linearized."""
        if not self.read_allowed(observed):
            raise ValueError(f"read of {observed!r} is not allowed; call read_allowed first")
        if observed is not None and observed in self.pending:
            self.pending.discard(observed)
            self.value = observed

    def possible_values(self) -> set[int | None]:
        return {self.value, *self.pending}


def is_prefix(shorter: Sequence[int], longer: Sequence[int]) -> bool:
    return len(shorter) <= len(longer) and list(longer[: len(shorter)]) == list(shorter)


def replicas_are_prefixes(applied: Mapping[str, Sequence[int]]) -> bool:
    """REG-REPLICA-PREFIX over each member's applied writes, in order.

    Written values are unique, so a value applied twice is a write applied twice.
    """
    if any(len(set(log)) != len(log) for log in applied.values()):
        return False
    if not applied:
        return True
    longest = max(applied.values(), key=len)
    return all(is_prefix(log, longest) for log in applied.values())


def converged(applied: Mapping[str, Sequence[int]], acknowledged: Sequence[int]) -> bool:
    """REG-CONVERGE: all members applied the same writes, every acknowledged one among them."""
    logs = {tuple(log) for log in applied.values()}
    if len(logs) != 1:
        return False
    (log,) = logs
    return set(acknowledged) <= set(log)
