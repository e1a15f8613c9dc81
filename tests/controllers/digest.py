"""A digest of what the workload machines' simulated clusters did, to compare across interpreter runs.

Runs machines of conformance/workloads/ against the reference control plane
with fixed, derandomized settings and records every write that changed the
store (each etcd request that moved the revision, in order, with the
simulated time) and each run's outcome. Same machines, same settings: the
same writes, whatever ``PYTHONHASHSEED`` the interpreter got (DESIGN.md's
"same seed, same trace, byte for byte"). A difference means something on
the simulated path follows the salted ``hash()`` of strings (iterating a set
of names, a ``min`` over a set with ties, ``hash()`` for a choice) or an
object's address.

    python -m tests.controllers.digest [--examples N] [--steps N] [--controller module:Class]
        [--lines] MACHINE...

prints one ``machine writes sha256`` line per machine; ``--lines`` prints
every recorded write instead, to find where two runs part (``diff``).
``--controller`` runs that variant of a reference controller in place of
the one it subclasses (tests use it for a seeded hash-order bug).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
from typing import Any

from hypothesis.stateful import run_state_machine_as_test

from conformance.hypothesis_constants import pin_local_constants
from conformance.workloads import MACHINES
from impl.controllers.manager import ControllerFactory
from impl.controlplane import SimulatedCluster, SimulatedControlPlaneProvider
from tests.controllers.seeded import seeded_bug_settings


class RecordingProvider(SimulatedControlPlaneProvider):
    """The reference control plane; every store-changing request of every cluster goes to ``lines``."""

    def __init__(self, lines: list[str], controllers: tuple[ControllerFactory, ...] | None = None) -> None:
        super().__init__()
        if controllers is not None:
            self.controllers = controllers
        self.lines = lines

    def new_cluster(self, seed: int, *, nodes: int = 3, managers: int = 1) -> SimulatedCluster:
        cluster = super().new_cluster(seed, nodes=nodes, managers=managers)
        self.lines.append(f"cluster seed={seed} nodes={nodes} managers={managers}")
        kv, call = cluster.kv, cluster.kv.call

        def recording_call(request: Any) -> Any:
            before = kv._store.revision  # the store's revision: moved only by a write
            response = call(request)
            if kv._store.revision != before:
                self.lines.append(f"t={cluster.now:.2f} rev={kv._store.revision} {request!r}")
            return response

        kv.call = recording_call  # type: ignore[method-assign]
        return cluster


def record(
    machine: str, *, examples: int, steps: int, controllers: tuple[ControllerFactory, ...] | None = None
) -> list[str]:
    """The writes ``machine`` made in ``examples`` derandomized examples of up to ``steps`` steps."""
    lines: list[str] = []
    machine_for = importlib.import_module(f"conformance.workloads.{machine}").machine_for
    fixed = seeded_bug_settings(max_examples=examples, stateful_step_count=steps)
    try:
        run_state_machine_as_test(machine_for(RecordingProvider(lines, controllers)), settings=fixed)
    except Exception as exc:  # a failing run is an outcome too: it must fail the same way
        lines.append(f"failed: {type(exc).__name__}: {exc}")
    return lines


def digest(lines: list[str]) -> str:
    return f"{len(lines)} {hashlib.sha256(chr(10).join(lines).encode()).hexdigest()}"


def _controller(spec: str) -> ControllerFactory:
    module, _, name = spec.partition(":")
    factory: ControllerFactory = getattr(importlib.import_module(module), name)
    return factory


def _replacing(variant: ControllerFactory) -> tuple[ControllerFactory, ...]:
    """The reference's controllers, ``variant`` in place of the one it subclasses."""
    defaults = SimulatedControlPlaneProvider().controllers
    assert any(isinstance(variant, type) and issubclass(variant, f) for f in defaults), variant
    return tuple(variant if isinstance(variant, type) and issubclass(variant, f) else f for f in defaults)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("machines", nargs="+", choices=MACHINES, metavar="MACHINE")
    parser.add_argument("--examples", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument(
        "--controller", help="module:Class, a variant run in place of the reference controller it subclasses"
    )
    parser.add_argument("--lines", action="store_true", help="every recorded write, not the digest")
    args = parser.parse_args(argv)
    pin_local_constants()  # as the kspec plugin does, so a digest is what a pytest run of it writes
    controllers = None if args.controller is None else _replacing(_controller(args.controller))
    for machine in args.machines:
        lines = record(machine, examples=args.examples, steps=args.steps, controllers=controllers)
        print("\n".join(lines) if args.lines else f"{machine} {digest(lines)}", flush=True)


if __name__ == "__main__":
    main()
