"""Concurrent clients of a replicated register: the history RAFT-CLIENT-LINEARIZABLE is judged on.

Jepsen's shape (client, nemesis, generator and checker kept apart): a
Hypothesis-drawn schedule interleaves client calls, time and faults; each
client is sequential (one call outstanding at a time) and several run at
once; every call is recorded with the time it was made and the time its
answer was seen; afterwards the faults stop, every outstanding call is
waited for (up to the provider's convergence time), and the history goes to
``conformance/checkers/linearizability.py`` with the register of
``spec.raft.apply_register`` as the sequential model.

Times are those of the suite's own clock (the sum of what it asked the
cluster to ``advance``), read after each slice of a tenth of an election
timeout: an answer is recorded as seen at the end of the slice in which it
arrived. That can only lengthen an operation's interval, which may hide a
violation but never invents one.

Outcomes: ``committed`` gives the state machine's answer; ``rejected``
means the command never takes effect (RAFT-PROPOSAL-OUTCOME), so it is left
out of the history; ``unknown`` (and a call still undecided at the end) is
an operation that may take effect any time after its call, or never.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from hypothesis import event
from hypothesis import strategies as st

from conformance.adapters.consensus import ConcurrentClients, ConsensusCluster, ConsensusProvider
from conformance.adapters.faults import Faults
from conformance.checkers.linearizability import UNKNOWN, Model, Operation, UnknownOutput, Verdict, check
from conformance.violation import require
from spec.raft import RAFT_CLIENT_LINEARIZABLE, RegisterRead, RegisterWrite, apply_register

Command = RegisterWrite | RegisterRead
CLIENTS = 4
#: A register history of at most a few hundred operations checks in milliseconds; this only bounds pathology.
CHECK_TIMEOUT_S = 20
MIN_STEPS = 20
MAX_STEPS = 80


class RegisterModel(Model[int | None, Command, object]):
    """``spec.raft.apply_register`` as the checker's sequential model."""

    def init(self) -> int | None:
        return None

    def step(
        self, state: int | None, input: Command, output: object | UnknownOutput
    ) -> tuple[bool, int | None]:
        after, answer = apply_register(state, input)
        return (output is UNKNOWN or output == answer), after

    def describe_operation(self, input: Command, output: object | UnknownOutput) -> str:
        shown = "?" if output is UNKNOWN else repr(output)
        if isinstance(input, RegisterWrite):
            return f"write {input.value}" + (" (outcome unknown)" if output is UNKNOWN else "")
        return f"read -> {shown}"


# -- the schedule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """After ``after`` hundredths of an election timeout, ``client`` writes or reads (if it is idle)."""

    client: int
    read: bool
    after: int = 0


@dataclass(frozen=True)
class Wait:
    """Let ``hundredths`` of an election timeout pass."""

    hundredths: int


@dataclass(frozen=True)
class Fault:
    kind: Literal["crash", "restart", "isolate", "heal"]
    member: int  # an index into the members, taken modulo their number


Step = Call | Wait | Fault

_calls = st.builds(Call, client=st.integers(0, CLIENTS - 1), read=st.booleans(), after=st.integers(0, 10))
_waits = st.builds(Wait, hundredths=st.integers(1, 100))
_faults = st.builds(
    Fault, kind=st.sampled_from(("crash", "restart", "isolate", "heal")), member=st.integers(0, 6)
)


@st.composite
def _step(draw: st.DrawFn) -> Step:
    # Mostly calls, each a moment after the last, so that calls overlap and follow each other;
    # some longer waits; a fault every tenth step or so, to make outcomes unknown and leaders change.
    kind = draw(st.integers(0, 9))
    if kind < 8:
        return draw(_calls)
    return draw(_waits if kind == 8 else _faults)


def schedules() -> st.SearchStrategy[list[Step]]:
    return st.lists(_step(), min_size=MIN_STEPS, max_size=MAX_STEPS)


# -- running it -----------------------------------------------------------------------------------


@dataclass
class _Outstanding:
    client: int
    command: Command
    call: int


class ClientRun:
    """One run of a schedule against one cluster: the recorded history and what was done to the cluster."""

    def __init__(self, provider: ConsensusProvider, cluster: ConsensusCluster) -> None:
        if not isinstance(cluster, ConcurrentClients):
            raise TypeError("the cluster does not take concurrent clients (ConcurrentClients)")
        self.provider = provider
        self.cluster = cluster
        self.clients: ConcurrentClients = cluster
        self.faults: Faults | None = cluster if isinstance(cluster, Faults) else None
        self.clock = 0
        self.history: list[Operation[Command, object]] = []
        self.outstanding: dict[int, _Outstanding] = {}  # ticket -> call
        self.busy: set[int] = set()
        self.crashed: set[str] = set()
        self.next_id = 1
        self.log: list[str] = []

    def run(self, schedule: list[Step]) -> list[Operation[Command, object]]:
        for step in schedule:
            self.do(step)
        self.finish()
        return self.history

    def do(self, step: Step) -> None:
        if isinstance(step, Call):
            self._call(step)
        elif isinstance(step, Wait):
            self.advance(self.provider.election_timeout_ns * step.hundredths // 100)
        elif self.faults is not None:
            self._fault(step)

    def _call(self, step: Call) -> None:
        self.advance(self.provider.election_timeout_ns * step.after // 100)
        if step.client in self.busy:
            return  # each client waits for its answer before its next call
        command: Command = (
            RegisterRead(self.next_id) if step.read else RegisterWrite(self.next_id, self.next_id)
        )
        self.next_id += 1
        ticket = self.clients.submit(command)
        self.outstanding[ticket] = _Outstanding(step.client, command, self.clock)
        self.busy.add(step.client)
        self.log.append(f"{self.clock / 1e6:10.1f} ms  client {step.client} calls {command}")
        self._collect()

    def _fault(self, step: Fault) -> None:
        assert self.faults is not None
        members = self.faults.members()
        member = members[step.member % len(members)]
        if step.kind == "crash" and member not in self.crashed:
            self.faults.crash(member)
            self.crashed.add(member)
        elif step.kind == "restart" and member in self.crashed:
            self.faults.restart(member)
            self.crashed.discard(member)
        elif step.kind == "isolate":
            self.faults.partition([[member], [m for m in members if m != member]])
        elif step.kind == "heal":
            self.faults.heal()
        else:
            return
        self.log.append(f"{self.clock / 1e6:10.1f} ms  {step.kind} {member}")

    def advance(self, duration_ns: int) -> None:
        """Let time pass in slices of a tenth of an election timeout, collecting answers after each."""
        slice_ns = max(1, self.provider.election_timeout_ns // 10)
        remaining = duration_ns
        while remaining > 0:
            step = min(slice_ns, remaining)
            self.cluster.advance(step)
            self.clock += step
            remaining -= step
            self._collect()

    def _collect(self) -> None:
        for ticket, call in list(self.outstanding.items()):
            outcome = self.clients.outcome(ticket)
            if outcome is None:
                continue
            del self.outstanding[ticket]
            self.busy.discard(call.client)
            self.log.append(f"{self.clock / 1e6:10.1f} ms  client {call.client}: {call.command} -> {outcome}")
            if outcome.status == "committed":
                self.history.append(
                    Operation(call.client, call.command, call.call, outcome.result, self.clock)
                )
            elif outcome.status == "unknown":
                self.history.append(Operation(call.client, call.command, call.call, UNKNOWN, math.inf))
            # "rejected": it never takes effect, so it is no operation of the history.

    def finish(self) -> None:
        """Stop the faults and wait, within the convergence time, for every outstanding answer."""
        if self.faults is not None:
            self.faults.heal()
            for member in sorted(self.crashed):
                self.faults.restart(member)
            self.crashed.clear()
        waited = 0
        while self.outstanding and waited < self.provider.convergence_time_ns:
            step = max(1, self.provider.election_timeout_ns // 10)
            self.advance(step)
            waited += step
        for call in self.outstanding.values():  # still undecided: it may have taken effect, or not
            self.history.append(Operation(call.client, call.command, call.call, UNKNOWN, math.inf))
        self.outstanding.clear()


def check_client_history(
    provider: ConsensusProvider, size: int, entropy: object, schedule: list[Step]
) -> None:
    """Run ``schedule`` on a new cluster and require RAFT-CLIENT-LINEARIZABLE of what the clients saw."""
    cluster = provider.new_cluster(size=size, entropy=entropy)
    try:
        run = ClientRun(provider, cluster)
        history = run.run(schedule)
    finally:
        cluster.close()
    result = check(RegisterModel(), history, timeout_s=CHECK_TIMEOUT_S)
    event(f"{result.verdict}, {len(history) // 10 * 10}+ operations")
    require(
        RAFT_CLIENT_LINEARIZABLE,
        result.verdict is not Verdict.NOT_LINEARIZABLE,
        lambda: (
            f"{result.explain()}\n\nwhat the clients and the nemesis did (the last 60 events):\n"
            + "\n".join(run.log[-60:])
        ),
    )
