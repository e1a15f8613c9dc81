"""Several clients and a nemesis: a history of etcd requests, checked for linearizability
(KV-READ-LATEST) with ``spec.kv.step`` as the sequential model.

Jepsen's shape (client, nemesis, generator and checker kept apart): a Hypothesis-drawn
schedule interleaves client calls, faults (crash, restart, isolate a member, heal) and time.
Clients are connected to different members (client i to member i mod n), so a member that is
cut off or behind is asked too. Each call is one request of a small workload -- puts of unique
values, linearizable gets, deletes, and compare-and-swap txns -- over three keys.

What is concurrent, honestly: the ``kv`` contract's ``call`` blocks, so clients take turns and
answered calls never overlap. Concurrency comes from calls without an answer: an
``Indeterminate`` write stays in the history as possibly applied at any later point (its
return time is infinity), and the checker must place it, or leave it out, consistently with
everything read afterwards. That is enough to catch a stale read (a read that misses a write
acknowledged before it began) and a write applied twice (a retried proposal), which are what
faults make implementations get wrong; true overlap of answered calls needs a contract with
asynchronous calls, which the consensus suite has and this one does not yet.

Times are a logical clock: each call starts and ends at the next ticks, so real-time order is
the order of calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from hypothesis import strategies as st

from conformance.adapters.faults import Faults
from conformance.adapters.kv import KVProvider
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

    def _members(self) -> tuple[str, ...]:
        return self.cluster.members()

    def run(self, schedule: list[Step]) -> list[Operation[Request, Response]]:
        try:
            for step_ in schedule:
                self.do(step_)
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
        self.clock += 1
        invoked = self.clock
        try:
            response = self.clients[client].call(request)
        except Unavailable as e:
            self.log.append(f"t{invoked} client {client}: {_short(request)} -> unavailable ({e})")
            return  # never applied: no operation of the history
        except Indeterminate as e:
            self.log.append(f"t{invoked} client {client}: {_short(request)} -> indeterminate ({e})")
            self.history.append(Operation(client, request, invoked, UNKNOWN, math.inf))
            return
        self.clock += 1
        self.log.append(f"t{invoked} client {client}: {_short(request)} -> {_short(response)}")
        self.history.append(Operation(client, request, invoked, response, self.clock))

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
        """Stop the faults, then read every key through a client of the leader's choosing."""
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
