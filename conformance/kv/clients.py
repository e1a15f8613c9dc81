"""Several clients and a nemesis: a history of etcd requests, checked for linearizability
(KV-READ-LATEST) with ``spec.kv.step`` as the sequential model.

Jepsen's shape (client, nemesis, generator and checker kept apart): a Hypothesis-drawn
schedule interleaves client calls, faults (crash, restart, isolate a member, heal) and time.
Clients are connected to different members (client i to member i mod n), so a member that is
cut off or behind is asked too. Each call is one request of a small workload -- puts of unique
values, linearizable gets, deletes, and compare-and-swap txns -- over three keys.

What is concurrent. A client whose adapter takes requests without waiting
(``ConcurrentKVClient``: ``submit`` and ``outcome``) keeps one request in flight, as a Jepsen
process does: its next call first waits for the previous one, and the other clients' requests,
the faults and the passing time go on meanwhile, so answered requests overlap. A request's
invocation time is when it was submitted, its completion time when its outcome was first seen
(after every step): never earlier than the real one, so the check never blames an
implementation for an order the clients could not observe. With ``call`` alone the clients take
turns; concurrency then comes only from requests without an answer. Either way an
``Indeterminate`` write stays in the history as possibly applied at any later point (return time
infinity), and the checker must place it, or leave it out, consistently with every read.

Times are a logical clock that ticks at every submission and every outcome seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from hypothesis import strategies as st

from conformance.adapters.faults import Faults
from conformance.adapters.kv import ConcurrentKVClient, KVProvider, Outcome
from conformance.checkers.linearizability import UNKNOWN, Model, Operation, UnknownOutput, Verdict, check
from conformance.kv.checks import matches
from conformance.violation import require
from spec.kv import (
    KV_READ_LATEST,
    Compare,
    CompareResult,
    CompareTarget,
    DeleteRangeRequest,
    Indeterminate,
    KVState,
    PutRequest,
    RangeRequest,
    Request,
    Response,
    TxnRequest,
    Unavailable,
    step,
)

KEYS = (b"x", b"y", b"z")
CHECK_TIMEOUT_S = 20
CLIENTS = 3


class EtcdModel(Model[KVState, Request, Response]):
    """``spec.kv.step`` as the checker's sequential model; answers compared as the machine does."""

    def init(self) -> KVState:
        return KVState()

    def step(self, state: KVState, input: Request, output: Response | UnknownOutput) -> tuple[bool, KVState]:
        after, expected = step(state, input)
        return output is UNKNOWN or matches(input, expected, output, state), after  # type: ignore[arg-type]

    def describe_operation(self, input: Request, output: Response | UnknownOutput) -> str:
        return f"{_short(input)} -> {'?' if output is UNKNOWN else _short(output)}"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) < 160 else text[:157] + "..."


# -- the schedule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    client: int
    kind: Literal["put", "get", "delete", "cas"]
    key: int


@dataclass(frozen=True)
class Fault:
    kind: Literal["crash", "restart", "isolate", "heal"]
    member: int


@dataclass(frozen=True)
class Wait:
    milliseconds: int


Step = Call | Fault | Wait

steps: st.SearchStrategy[Step] = st.one_of(
    st.builds(
        Call,
        st.integers(0, CLIENTS - 1),
        st.sampled_from(["put", "put", "get", "get", "delete", "cas"]),
        st.integers(0, len(KEYS) - 1),
    ),
    st.builds(Fault, st.sampled_from(["crash", "restart", "isolate", "heal"]), st.integers(0, 4)),
    st.builds(Wait, st.integers(1, 500)),
)
schedules = st.lists(steps, min_size=10, max_size=60)


#: How long a client waits for its previous request before its next one, in steps of ``AWAIT_STEP_NS``;
#: every adapter decides a request within its client timeout, well inside this.
AWAIT_STEP_NS = 10_000_000
AWAIT_STEPS = 3_000


@dataclass
class InFlight:
    ticket: int
    request: Request
    invoked: int


class ClientRun:
    def __init__(self, provider: KVProvider, size: int, seed: int) -> None:
        self.cluster = provider.new_cluster(size=size, entropy=seed)
        members = self._members()
        self.clients = [
            self.cluster.client(members[i % len(members)] if members else None) for i in range(CLIENTS)
        ]
        self.faults: Faults | None = self.cluster if isinstance(self.cluster, Faults) else None
        self.history: list[Operation[Request, Response]] = []
        self.clock = 0
        self.next_value = 1
        self.crashed: set[str] = set()
        self.log: list[str] = []
        self.in_flight: dict[int, InFlight] = {}

    def _members(self) -> tuple[str, ...]:
        return self.cluster.members()

    def run(self, schedule: list[Step]) -> list[Operation[Request, Response]]:
        try:
            for step_ in schedule:
                self.do(step_)
                self.collect()
            self.finish()
        finally:
            self.cluster.close()
        return self.history

    def do(self, step_: Step) -> None:
        if isinstance(step_, Call):
            self.call(step_.client, self.request(step_))
        elif isinstance(step_, Wait):
            self.cluster.advance(step_.milliseconds * 1_000_000)
        elif self.faults is not None:
            self.fault(step_)

    def request(self, call: Call) -> Request:
        key = KEYS[call.key]
        if call.kind == "get":
            return RangeRequest(key)
        if call.kind == "delete":
            return DeleteRangeRequest(key)
        value = str(self.next_value).encode()
        self.next_value += 1
        if call.kind == "put":
            return PutRequest(key, value)
        expected = str(max(1, self.next_value - 2)).encode()  # often the last value written
        swap = Compare(key, CompareTarget.VALUE, CompareResult.EQUAL, value=expected)
        return TxnRequest((swap,), (PutRequest(key, value),), (RangeRequest(key),))

    def call(self, client: int, request: Request) -> None:
        """Submit ``request`` (after the client's previous one is decided), or call it and wait."""
        connection = self.clients[client]
        if not isinstance(connection, ConcurrentKVClient):
            self.clock += 1
            invoked = self.clock
            try:
                outcome: Outcome = connection.call(request)
            except (Unavailable, Indeterminate) as e:
                outcome = e
            self.record(client, request, invoked, outcome)
            return
        self.await_client(client)
        self.clock += 1
        self.in_flight[client] = InFlight(connection.submit(request), request, self.clock)

    def collect(self) -> None:
        """Record every request in flight whose outcome is now known."""
        for client, flight in sorted(self.in_flight.items()):
            connection = self.clients[client]
            assert isinstance(connection, ConcurrentKVClient)
            outcome = connection.outcome(flight.ticket)
            if outcome is not None:
                del self.in_flight[client]
                self.record(client, flight.request, flight.invoked, outcome)

    def await_client(self, client: int) -> None:
        """Let time pass until ``client``'s request in flight is decided (bounded)."""
        for _ in range(AWAIT_STEPS):
            self.collect()
            if client not in self.in_flight:
                return
            self.cluster.advance(AWAIT_STEP_NS)
        flight = self.in_flight.pop(client)
        self.log.append(
            f"t{flight.invoked} client {client}: {_short(flight.request)} -> no outcome; kept as unknown"
        )
        self.history.append(Operation(client, flight.request, flight.invoked, UNKNOWN, math.inf))

    def record(self, client: int, request: Request, invoked: int, outcome: Outcome) -> None:
        if isinstance(outcome, Unavailable):
            self.log.append(f"t{invoked} client {client}: {_short(request)} -> unavailable ({outcome})")
            return  # never applied: no operation of the history
        if isinstance(outcome, Indeterminate):
            self.log.append(f"t{invoked} client {client}: {_short(request)} -> indeterminate ({outcome})")
            self.history.append(Operation(client, request, invoked, UNKNOWN, math.inf))
            return
        self.clock += 1
        self.log.append(f"t{invoked}..t{self.clock} client {client}: {_short(request)} -> {_short(outcome)}")
        self.history.append(Operation(client, request, invoked, outcome, self.clock))

    def fault(self, fault: Fault) -> None:
        assert self.faults is not None
        members = self._members()
        member = members[fault.member % len(members)]
        if (
            fault.kind == "crash"
            and member not in self.crashed
            and len(self.crashed) < (len(members) - 1) // 2 + 1
        ):
            self.faults.crash(member)
            self.crashed.add(member)
        elif fault.kind == "restart" and member in self.crashed:
            self.faults.restart(member)
            self.crashed.discard(member)
        # An adapter that cannot cut links (real etcd without root) says so with ``partitions = False``.
        elif fault.kind == "isolate" and getattr(self.cluster, "partitions", True):
            self.faults.partition([[member], [m for m in members if m != member]])
        elif fault.kind == "heal":
            self.faults.heal()
        else:
            return
        self.log.append(f"t{self.clock} {fault.kind} {member}")

    def finish(self) -> None:
        """Wait for the requests in flight, stop the faults, then read every key through a client of
        the leader's choosing."""
        for client in sorted(self.in_flight):
            self.await_client(client)
        if self.faults is not None:
            self.faults.heal()
            for member in sorted(self.crashed):
                self.faults.restart(member)
            self.crashed.clear()
        self.cluster.advance(2_000_000_000)
        final = self.cluster.client()
        self.clients.append(final)
        for key in KEYS:
            self.call(len(self.clients) - 1, RangeRequest(key))
        self.await_client(len(self.clients) - 1)


def check_client_history(provider: KVProvider, size: int, seed: int, schedule: list[Step]) -> None:
    run = ClientRun(provider, size, seed)
    history = run.run(schedule)
    result = check(EtcdModel(), history, timeout_s=CHECK_TIMEOUT_S)
    require(
        KV_READ_LATEST,
        result.verdict is not Verdict.NOT_LINEARIZABLE,
        lambda: (
            f"{result.explain()}\n\nwhat the clients and the nemesis did:\n  " + "\n  ".join(run.log[-80:])
        ),
    )
