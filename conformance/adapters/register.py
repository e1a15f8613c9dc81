"""The ``register`` contract: a replicated register, the first end-to-end slice.

A provider makes clusters; a cluster takes one client operation at a time
and reports each member's applied writes so the suite can check
REG-REPLICA-PREFIX. Deterministic providers run in a simulator and take an
``entropy`` object (``spec.entropy.Entropy``) that the suite drives from
Hypothesis, so every message delay and drop is a Hypothesis choice that
replays and shrinks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from spec.register import ReadOutcome, WriteOutcome


class RegisterCluster(Protocol):
    def write(self, value: int) -> WriteOutcome:
        """Write through the leader; ``unknown`` when no answer came within the client timeout."""
        ...

    def read(self) -> ReadOutcome:
        """Read through the leader."""
        ...

    def applied(self) -> Mapping[str, Sequence[int]]:
        """Each member's applied writes, in order, as the member itself would report them now."""
        ...

    def advance(self, duration_ns: int) -> None:
        """Let time pass with no client operation (simulated time for a deterministic adapter)."""
        ...

    def close(self) -> None: ...


class RegisterProvider(Protocol):
    #: True if clusters run in a simulator and replay exactly from ``entropy``.
    deterministic: bool
    #: The longest simulated time after faults stop that REG-CONVERGE allows.
    convergence_time_ns: int

    def new_cluster(self, *, size: int, entropy: Any) -> RegisterCluster: ...
