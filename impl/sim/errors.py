"""Errors the simulator raises when a harness or a process misuses it.

Arguments that are wrong whatever the simulation's state (a negative delay,
a rate above 1) raise ``ValueError``; the exceptions here are about the
simulation's state: an address nobody registered, crashing a process that is
already down, sending from an incarnation that has crashed.
"""

from __future__ import annotations


class SimulationError(Exception):
    """Base class for errors about the state of a simulation."""


class UnknownAddressError(SimulationError, LookupError):
    """An address that no process or mailbox was registered under."""

    def __init__(self, address: str, *, known: list[str] | None = None) -> None:
        self.address = address
        message = f"unknown address {address!r}"
        if known is not None:
            shown = ", ".join(repr(a) for a in known[:10])
            more = f", ... ({len(known)} in all)" if len(known) > 10 else ""
            message += f" (known: {shown}{more})" if known else " (no addresses registered)"
        super().__init__(message)

    def with_context(self, context: str) -> UnknownAddressError:
        """The same error with ``context`` (what was being done) in front."""
        self.args = (f"{context}: {self.args[0]}",)
        return self

    def __str__(self) -> str:
        # LookupError would otherwise quote the whole message like a KeyError.
        return str(self.args[0])


class ProcessStateError(SimulationError):
    """An operation that the target's current state does not allow.

    For example crashing a process that is already crashed, resuming one that
    is not paused, or a crashed incarnation's context still being used.
    """
