"""The register's stateful machine: client operations, faults and time as
rules; the spec's safety properties as invariants after every step; a
liveness phase at the end (faults off, everything healed) in which the
cluster must converge.

The implementation and ``spec.register.RegisterModel`` run side by side
(Hypothesis' stateful testing, DESIGN.md). Kept apart from the test module so
the project's own tests can aim it at deliberately broken registers and show
that it catches them.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule

from conformance.adapters.register import RegisterCluster, RegisterProvider
from conformance.nemesis import NemesisMachine
from conformance.strategies.entropy import entropies
from conformance.violation import require
from spec.register import (
    REG_CONVERGE,
    REG_READ_LATEST,
    REG_REPLICA_PREFIX,
    RegisterModel,
    converged,
    replicas_are_prefixes,
)

CLUSTER_SIZES = (1, 3, 5)
TIMELINE_EVENTS = 80


class RegisterMachine(NemesisMachine):
    """Client rules here; fault rules inherited from ``NemesisMachine``."""

    provider: RegisterProvider  # set by ``machine_for``

    def __init__(self) -> None:
        super().__init__()
        self.cluster: RegisterCluster | None = None
        self.model = RegisterModel()
        self.next_value = 1

    # -- set-up -----------------------------------------------------------

    @initialize(size=st.sampled_from(CLUSTER_SIZES), entropy=entropies())
    def start(self, size: int, entropy: Any) -> None:
        self.cluster = self.provider.new_cluster(size=size, entropy=entropy)

    # -- client operations ------------------------------------------------

    @rule()
    def write(self) -> None:
        assert self.cluster is not None
        value, self.next_value = self.next_value, self.next_value + 1
        outcome = self.cluster.write(value)
        if outcome.status == "ok":
            self.model.write_acknowledged(value)
        else:
            self.model.write_unknown(value)

    @rule()
    def read(self) -> None:
        assert self.cluster is not None
        outcome = self.cluster.read()
        if outcome.status != "ok":
            return  # a read with no answer constrains nothing
        require(
            REG_READ_LATEST,
            self.model.read_allowed(outcome.value),
            lambda: self._explain(
                f"read returned {outcome.value!r}; the model allows only "
                f"{sorted(self.model.possible_values(), key=str)}"
            ),
        )
        self.model.read_observed(outcome.value)

    @rule(milliseconds=st.integers(min_value=1, max_value=2_000))
    def wait(self, milliseconds: int) -> None:
        assert self.cluster is not None
        self.cluster.advance(milliseconds * 1_000_000)

    # -- safety after every step, liveness at the end ----------------------

    @invariant()
    def replicas_agree_on_a_prefix(self) -> None:
        if self.cluster is None:
            return
        applied = self.cluster.applied()
        require(
            REG_REPLICA_PREFIX,
            replicas_are_prefixes(applied),
            lambda: self._explain(f"applied writes per member: {dict(applied)}"),
        )

    def teardown(self) -> None:
        if self.cluster is None:
            return
        try:
            self._liveness_phase()
        finally:
            self.cluster.close()

    def _liveness_phase(self) -> None:
        assert self.cluster is not None
        self.stop_faults()
        self.cluster.advance(self.provider.convergence_time_ns)
        applied = self.cluster.applied()
        require(
            REG_CONVERGE,
            converged(applied, self.model.acknowledged),
            lambda: self._explain(
                f"after {self.provider.convergence_time_ns / 1e9:g} s without faults: applied per member "
                f"{dict(applied)}; acknowledged {self.model.acknowledged}"
            ),
        )

    def _explain(self, detail: str) -> str:
        return detail + self.timeline(TIMELINE_EVENTS)


def machine_for(provider: RegisterProvider) -> type[RegisterMachine]:
    """A machine class bound to ``provider`` (Hypothesis builds machines with no arguments)."""
    return type("RegisterMachine", (RegisterMachine,), {"provider": provider})
