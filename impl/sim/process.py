"""What a simulated process implements and what it is given.

A process is event-driven and does no I/O of its own: it is started, handles
messages and timer firings, and acts only through its ``Context`` (send,
set or cancel a timer, use its disk, draw randomness, read its clock). This
is the driver-facing side of a sans-IO core (etcd-io/raft's Step/Tick/Ready):
the simulator implements ``Context`` deterministically, the real runtime
with sockets, files and the wall clock, and the same process code runs on
both.

A process object is its memory. A crash discards the object; a restart
builds a new one with the factory given to ``Simulation.add_process`` and
calls ``on_start`` again, so everything that must survive a crash goes
through ``ctx.disk`` and ``sync()``.
"""

from __future__ import annotations

from typing import Any, Protocol

from impl.sim.entropy import Entropy


class Storage(Protocol):
    """A crash-surviving key-value store; see ``impl.sim.disk.Disk``."""

    def write(self, key: str, value: Any) -> None: ...

    def read(self, key: str, default: Any = None) -> Any: ...

    def delete(self, key: str) -> None: ...

    def keys(self, prefix: str = "") -> list[str]: ...

    def sync(self) -> None: ...


class Context(Protocol):
    """What a process handler may do. Valid for one incarnation of one process."""

    @property
    def address(self) -> str:
        """This process's address."""
        ...

    @property
    def now(self) -> int:
        """This process's LOCAL clock in ns: it runs fast or slow under drift."""
        ...

    @property
    def disk(self) -> Storage:
        """This address's disk; it outlives the incarnation."""
        ...

    @property
    def entropy(self) -> Entropy:
        """This incarnation's randomness; processes draw nothing elsewhere."""
        ...

    def send(self, dst: str, payload: Any) -> None:
        """Send ``payload`` to ``dst`` through the network (may be late, lost, ...)."""
        ...

    def set_timer(self, name: str, delay_ns: int) -> None:
        """Fire ``on_timer(name)`` after ``delay_ns`` of LOCAL time; replaces a pending ``name``."""
        ...

    def cancel_timer(self, name: str) -> None:
        """Make sure ``on_timer(name)`` is not called for the pending setting, if any."""
        ...


class Process(Protocol):
    """A simulated process's event handlers."""

    def on_start(self, ctx: Context) -> None:
        """Called when the process is added and after every restart."""
        ...

    def on_message(self, ctx: Context, src: str, payload: Any) -> None:
        """Called when a message from ``src`` is delivered."""
        ...

    def on_timer(self, ctx: Context, name: str) -> None:
        """Called when the timer ``name`` fires."""
        ...
