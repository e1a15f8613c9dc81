"""The nemesis: fault rules every cluster state machine shares (Jepsen keeps
the nemesis apart from the client and the checker; so do we).

``NemesisMachine`` is a Hypothesis ``RuleBasedStateMachine`` base class.
A subclass sets ``self.cluster`` to its adapter; if the adapter satisfies
``Faults`` the crash / restart / pause / resume / partition / heal rules are
enabled, and if it satisfies ``MessageFaults`` so is message chaos (drop,
duplicate, reorder). ``stop_faults()`` starts the liveness phase: the
network is made reliable, partitions healed, crashed members restarted and
paused ones resumed (TigerBeetle's VOPR: a safety phase with faults, then a
liveness phase without).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from conformance.adapters.faults import Faults, MessageFaults

DROP_RATES = (0.0, 0.05, 0.3)
DUPLICATE_RATES = (0.0, 0.05, 0.3)
REORDER_RATES = (0.0, 0.1, 0.5)


class NemesisMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.cluster: Any = None
        self.crashed: set[str] = set()
        self.paused: set[str] = set()
        self.partitioned = False

    @property
    def faults(self) -> Faults | None:
        return self.cluster if isinstance(self.cluster, Faults) else None

    def members(self) -> tuple[str, ...]:
        return self.faults.members() if self.faults else ()

    def running(self) -> list[str]:
        return [m for m in self.members() if m not in self.crashed and m not in self.paused]

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
        running = self.running()
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
            st.lists(st.sampled_from(members), min_size=1, max_size=len(members) - 1, unique=True),
            label="partition",
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
        drop=st.sampled_from(DROP_RATES),
        duplicate=st.sampled_from(DUPLICATE_RATES),
        reorder=st.sampled_from(REORDER_RATES),
    )
    def message_chaos(self, drop: float, duplicate: float, reorder: float) -> None:
        assert isinstance(self.cluster, MessageFaults)
        self.cluster.set_message_faults(drop_rate=drop, duplicate_rate=duplicate, reorder_rate=reorder)

    def stop_faults(self) -> None:
        """Begin the liveness phase: reliable network, no partition, every member up and running."""
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
        self.partitioned = False

    def timeline(self, events: int) -> str:
        """The adapter's recent history (a simulator's trace), or '' if it keeps none."""
        render = getattr(self.cluster, "timeline", None)
        return f"\nlast {events} events:\n{render(events)}" if callable(render) else ""
