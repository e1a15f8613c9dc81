"""The ``faults`` contract: what a nemesis may do to an implementation's members.

Optional per adapter (DESIGN.md): a cluster adapter that also satisfies
``Faults`` gets fault rules in the state machines; one that does not is
tested without them, and the report says so. Modelled on Jepsen's nemesis
and etcd-io/raft's test network (cut, isolate, recover).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class Faults(Protocol):
    def members(self) -> tuple[str, ...]:
        """The member addresses faults can target, in a stable order."""
        ...

    def crash(self, member: str) -> None:
        """Stop the member at once: memory lost, unsynced disk writes lost."""
        ...

    def restart(self, member: str) -> None:
        """Start a crashed member again from what its disk kept."""
        ...

    def pause(self, member: str) -> None:
        """Freeze the member (SIGSTOP); it handles nothing until resumed."""
        ...

    def resume(self, member: str) -> None: ...

    def partition(self, groups: Sequence[Sequence[str]]) -> None:
        """Cut the network between groups; members within a group still talk."""
        ...

    def heal(self) -> None:
        """Remove every partition."""
        ...


@runtime_checkable
class MessageFaults(Protocol):
    """Network chaos a simulated adapter can turn up and down (drop, duplicate, reorder)."""

    def set_message_faults(self, *, drop_rate: float, duplicate_rate: float, reorder_rate: float) -> None: ...
