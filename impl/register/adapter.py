"""The reference register in the simulator, behind the suite's ``register``
and ``faults`` contracts (conformance/adapters/register.py, faults.py; the
protocols are structural, so nothing here imports the suite).

The adapter plays the client: it sends one request to the leader and runs
the simulation until the answer arrives or the client timeout passes, so a
call returns after a bounded amount of simulated time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from impl.register.core import Output, Read, ReadOk, RegisterCore, Write, WriteOk
from impl.sim import Context, NetworkConfig, Simulation
from impl.sim.harness import SimulatedFaults, ask
from spec.register import ReadOutcome, WriteOutcome

CLIENT = "client"
TICK = "tick"
MS = 1_000_000


class RegisterProcess:
    """Drives one ``RegisterCore`` in the simulator: persist and sync, then send."""

    def __init__(
        self,
        address: str,
        members: tuple[str, ...],
        leader: str,
        tick_ns: int,
        core_class: type[RegisterCore],
    ) -> None:
        self.core_class = core_class
        self.address = address
        self.members = members
        self.leader = leader
        self.tick_ns = tick_ns
        self.core: RegisterCore | None = None

    def on_start(self, ctx: Context) -> None:
        stored = {key: ctx.disk.read(key) for key in ctx.disk.keys()}
        self.core = self.core_class(self.address, self.members, self.leader, stored)
        ctx.set_timer(TICK, self.tick_ns)

    def on_message(self, ctx: Context, src: str, payload: Any) -> None:
        assert self.core is not None
        self._carry_out(ctx, self.core.step(src, payload))

    def on_timer(self, ctx: Context, name: str) -> None:
        assert self.core is not None
        self._carry_out(ctx, self.core.tick())
        ctx.set_timer(TICK, self.tick_ns)

    @staticmethod
    def _carry_out(ctx: Context, output: Output) -> None:
        if output.persist:
            for key, value in output.persist.items():
                ctx.disk.write(key, value)
            ctx.disk.sync()  # before any message that reveals what was written
        for dst, message in output.send:
            ctx.send(dst, message)


class SimulatedRegisterCluster(SimulatedFaults):
    """The ``register`` contract here; ``faults``, message chaos and the timeline from ``SimulatedFaults``."""

    def __init__(
        self, size: int, entropy: Any, *, client_timeout_ns: int, tick_ns: int, core_class: type[RegisterCore]
    ) -> None:
        if size < 1:
            raise ValueError(f"a register cluster needs at least one member, not {size}")
        self.simulation = Simulation(entropy, NetworkConfig())
        self._members = tuple(f"r{i}" for i in range(size))
        self.leader = self._members[0]
        self.client_timeout_ns = client_timeout_ns
        self._processes: dict[str, RegisterProcess] = {}
        self._next_request = 1
        for address in self._members:
            self.simulation.add_process(address, self._factory(address, tick_ns, core_class))

    def _factory(
        self, address: str, tick_ns: int, core_class: type[RegisterCore]
    ) -> Callable[[], RegisterProcess]:
        def make() -> RegisterProcess:
            process = RegisterProcess(address, self._members, self.leader, tick_ns, core_class)
            self._processes[address] = process  # the newest incarnation
            return process

        return make

    # -- the register contract ------------------------------------------------

    def write(self, value: int) -> WriteOutcome:
        reply = self._request(lambda rid: Write(rid, value), WriteOk)
        return WriteOutcome("ok" if reply is not None else "unknown")

    def read(self) -> ReadOutcome:
        reply = self._request(Read, ReadOk)
        if isinstance(reply, ReadOk):
            return ReadOutcome("ok", reply.value)
        return ReadOutcome("unknown")

    def applied(self) -> Mapping[str, Sequence[int]]:
        return {
            address: process.core.applied_values()
            for address, process in self._processes.items()
            if process.core is not None and self.simulation.is_up(address)
        }

    def advance(self, duration_ns: int) -> None:
        self.simulation.run_for(duration_ns)

    def close(self) -> None:
        self._processes.clear()

    def _request(self, make: Callable[[int], Any], reply_type: type) -> Any:
        """Send one request to the leader; its answer, or None after the client timeout."""
        request_id, self._next_request = self._next_request, self._next_request + 1
        return ask(
            self.simulation,
            CLIENT,
            self.leader,
            make(request_id),
            is_answer=lambda m: isinstance(m, reply_type) and getattr(m, "request_id", None) == request_id,
            timeout_ns=self.client_timeout_ns,
        )


@dataclass
class SimulatedRegisterProvider:
    """The ``register`` component of the reference implementation."""

    deterministic: bool = True
    convergence_time_ns: int = 2_000 * MS
    client_timeout_ns: int = 500 * MS
    tick_ns: int = 50 * MS
    #: The core each member runs; the project's tests substitute broken ones
    #: to show that the suite catches them.
    core_class: type[RegisterCore] = RegisterCore

    def new_cluster(self, *, size: int, entropy: Any) -> SimulatedRegisterCluster:
        return SimulatedRegisterCluster(
            size,
            entropy,
            client_timeout_ns=self.client_timeout_ns,
            tick_ns=self.tick_ns,
            core_class=self.core_class,
        )
