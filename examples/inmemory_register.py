"""An implementation written outside kspec, plugged in by path:

    tox -e conformance -- --impl examples.inmemory_register:factory

A register that lives in one process's memory. It provides only the
``register`` component and no ``faults``, so the suite runs the register
machine without fault rules and reports every other component as not
applicable. Nothing here imports kspec: the contracts are structural.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any


@dataclass(frozen=True)
class Outcome:
    status: str
    value: int | None = None


@dataclass
class InMemoryRegister:
    size: int
    log: list[int] = field(default_factory=list)

    def write(self, value: int) -> Outcome:
        self.log.append(value)
        return Outcome("ok")

    def read(self) -> Outcome:
        return Outcome("ok", self.log[-1] if self.log else None)

    def applied(self) -> Mapping[str, Sequence[int]]:
        # Every "member" is the same memory, so they trivially agree.
        return {f"m{i}": tuple(self.log) for i in range(self.size)}

    def advance(self, duration_ns: int) -> None:
        pass  # nothing happens in the background

    def close(self) -> None:
        self.log.clear()


@dataclass
class InMemoryRegisterProvider:
    deterministic: bool = True
    convergence_time_ns: int = 0

    def new_cluster(self, *, size: int, entropy: Any) -> InMemoryRegister:
        return InMemoryRegister(size)


def factory() -> SimpleNamespace:
    return SimpleNamespace(
        name="inmemory-register",
        description="a one-process register (example of a plugged-in implementation)",
        components={"register": InMemoryRegisterProvider()},
    )
