"""Test processes for the simulator's own tests.

``Scripted`` runs optional callbacks and appends what it handles to a log
that lives outside the process, so the log survives the process's crash
(the test plays an observer who watches every incarnation).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from impl.sim import Context, Simulation, TraceRecord

MS = 1_000_000
US = 1_000
ROOT = Path(__file__).resolve().parents[2]


class Handled(NamedTuple):
    """One handler call, as the test sees it."""

    kind: str  # "start", "message" or "timer"
    address: str
    time: int  # global
    local: int  # ctx.now
    src: str | None
    what: Any  # the payload, or the timer's name
    process_id: int  # which object handled it (a restart makes a new one)


Callback = Callable[["Scripted", Context, Any], None]


@dataclass
class Script:
    """What a ``Scripted`` process does; shared by all its incarnations."""

    sim: Simulation
    log: list[Handled] = field(default_factory=list)
    on_start: Callable[[Scripted, Context], None] | None = None
    on_message: Callable[[Scripted, Context, str, Any], None] | None = None
    on_timer: Callable[[Scripted, Context, str], None] | None = None
    created: list[Scripted] = field(default_factory=list)

    def factory(self) -> Scripted:
        process = Scripted(self)
        self.created.append(process)
        return process

    def handled(self, address: str | None = None, kind: str | None = None) -> list[Handled]:
        return [
            h
            for h in self.log
            if (address is None or h.address == address) and (kind is None or h.kind == kind)
        ]


class Scripted:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.memory: dict[str, Any] = {}

    def _log(self, kind: str, ctx: Context, src: str | None, what: Any) -> None:
        self.script.log.append(
            Handled(kind, ctx.address, self.script.sim.now, ctx.now, src, what, id(self))
        )

    def on_start(self, ctx: Context) -> None:
        self._log("start", ctx, None, None)
        if self.script.on_start is not None:
            self.script.on_start(self, ctx)

    def on_message(self, ctx: Context, src: str, payload: Any) -> None:
        self._log("message", ctx, src, payload)
        if self.script.on_message is not None:
            self.script.on_message(self, ctx, src, payload)

    def on_timer(self, ctx: Context, name: str) -> None:
        self._log("timer", ctx, None, name)
        if self.script.on_timer is not None:
            self.script.on_timer(self, ctx, name)


class Idle:
    """A process that does nothing; for tests that only inject messages."""

    def on_start(self, ctx: Context) -> None:
        pass

    def on_message(self, ctx: Context, src: str, payload: Any) -> None:
        pass

    def on_timer(self, ctx: Context, name: str) -> None:
        pass


def records(sim: Simulation, kind: str) -> list[TraceRecord]:
    return [r for r in sim.trace.records() if r.kind == kind]


def burst(sim: Simulation, src: str, dst: str, count: int) -> None:
    """``count`` messages ``0..count-1`` sent from ``src`` to ``dst`` in the same instant."""
    for i in range(count):
        sim.send_external(src, dst, i)


def run_python(code: str, *, hash_seed: str | None = None) -> str:
    """Run ``code`` in a fresh interpreter on this checkout; return its stdout.

    A fresh interpreter gets a fresh string-hash salt (or ``hash_seed``), so
    this is how tests show that nothing depends on ``hash()`` of strings.
    """
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if hash_seed is not None:
        env["PYTHONHASHSEED"] = hash_seed
    result = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout
