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
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from conformance.adapters.faults import Faults, MessageFaults
from conformance.adapters.register import RegisterCluster, RegisterProvider
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


class RegisterMachine(RuleBasedStateMachine):
    provider: RegisterProvider  # set by ``machine_for``

    def __init__(self) -> None:
        super().__init__()
        self.cluster: RegisterCluster | None = None
        self.model = RegisterModel()
        self.next_value = 1
        self.crashed: set[str] = set()
        self.paused: set[str] = set()
        self.partitioned = False

    # -- set-up -----------------------------------------------------------

    @initialize(size=st.sampled_from(CLUSTER_SIZES), entropy=entropies())
    def start(self, size: int, entropy: Any) -> None:
        self.cluster = self.provider.new_cluster(size=size, entropy=entropy)

    @property
    def faults(self) -> Faults | None:
        return self.cluster if isinstance(self.cluster, Faults) else None

    def members(self) -> tuple[str, ...]:
        return self.faults.members() if self.faults else ()

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

    # -- faults (only if the adapter supports them) -----------------------

    @precondition(lambda self: self.faults is not None)
    @rule(data=st.data())
    def crash(self, data: st.DataObject) -> None:
        up = [m for m in self.members() if m not in self.crashed]
        if not up:
            return
        member = data.draw(st.sampled_from(up), label="crash")
        assert self.faults is not None
        self.faults.crash(member)
        self.crashed.add(member)
        self.paused.discard(member)

    @precondition(lambda self: bool(self.crashed))
    @rule(data=st.data())
    def restart(self, data: st.DataObject) -> None:
        member = data.draw(st.sampled_from(sorted(self.crashed)), label="restart")
        assert self.faults is not None
        self.faults.restart(member)
        self.crashed.discard(member)

    @precondition(lambda self: self.faults is not None)
    @rule(data=st.data())
    def pause(self, data: st.DataObject) -> None:
        running = [m for m in self.members() if m not in self.crashed and m not in self.paused]
        if not running:
            return
        member = data.draw(st.sampled_from(running), label="pause")
        assert self.faults is not None
        self.faults.pause(member)
        self.paused.add(member)

    @precondition(lambda self: bool(self.paused))
    @rule(data=st.data())
    def resume(self, data: st.DataObject) -> None:
        member = data.draw(st.sampled_from(sorted(self.paused)), label="resume")
        assert self.faults is not None
        self.faults.resume(member)
        self.paused.discard(member)

    @precondition(lambda self: self.faults is not None and len(self.members()) > 1)
    @rule(data=st.data())
    def partition(self, data: st.DataObject) -> None:
        members = list(self.members())
        side = data.draw(
            st.lists(st.sampled_from(members), min_size=1, max_size=len(members) - 1, unique=True)
        )
        rest = [m for m in members if m not in side]
        assert self.faults is not None
        self.faults.partition([side, rest])
        self.partitioned = True

    @precondition(lambda self: self.partitioned)
    @rule()
    def heal(self) -> None:
        assert self.faults is not None
        self.faults.heal()
        self.partitioned = False

    @precondition(lambda self: isinstance(self.cluster, MessageFaults))
    @rule(
        drop=st.sampled_from([0.0, 0.05, 0.3]),
        duplicate=st.sampled_from([0.0, 0.05, 0.3]),
        reorder=st.sampled_from([0.0, 0.1, 0.5]),
    )
    def message_chaos(self, drop: float, duplicate: float, reorder: float) -> None:
        assert isinstance(self.cluster, MessageFaults)
        self.cluster.set_message_faults(drop_rate=drop, duplicate_rate=duplicate, reorder_rate=reorder)

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
        if isinstance(self.cluster, MessageFaults):
            self.cluster.set_message_faults(drop_rate=0.0, duplicate_rate=0.0, reorder_rate=0.0)
        if self.faults is not None:
            self.faults.heal()
            for member in sorted(self.crashed):
                self.faults.restart(member)
            for member in sorted(self.paused):
                self.faults.resume(member)
        self.crashed.clear()
        self.paused.clear()
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
        timeline = getattr(self.cluster, "timeline", None)
        text = detail
        if callable(timeline):
            text += f"\nlast {TIMELINE_EVENTS} simulator events:\n{timeline(TIMELINE_EVENTS)}"
        return text


def machine_for(provider: RegisterProvider) -> type[RegisterMachine]:
    """A machine class bound to ``provider`` (Hypothesis builds machines with no arguments)."""
    return type("RegisterMachine", (RegisterMachine,), {"provider": provider})
