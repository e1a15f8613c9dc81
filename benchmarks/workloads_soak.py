"""A long run of the workload machines against the reference controllers: how much it exercised.

The ``deep`` question for issue 10 is "does anything fail if we keep
looking?". This script keeps looking for a fixed wall-clock time, shared
equally by the chosen machines of conformance/workloads (each with its
safety properties after every step and its convergence phase at the end of
each example), in rounds of fresh random seeds with no example database,
and prints what the look covered per machine: examples, rule steps,
simulated time, and what the users and the environment did (the machines'
own logs, by their first word). It stops at the first failure and prints
it with the seed to replay.

    python benchmarks/workloads_soak.py --minutes 40
    python benchmarks/workloads_soak.py --minutes 10 --machines statefulset deployment

Nothing is asserted beyond what the machines themselves require (DESIGN.md,
"Running"); the figures are for the record.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis.stateful import invariant, run_state_machine_as_test

from conformance.hypothesis_constants import pin_local_constants
from conformance.workloads import MACHINES
from impl.controlplane import SimulatedControlPlaneProvider


def available(names: tuple[str, ...]) -> list[str]:
    return [n for n in names if importlib.util.find_spec(f"conformance.workloads.{n}") is not None]


def counting(machine: type[Any], counts: Counter[str]) -> type[Any]:
    """``machine``, counting its steps, the simulated time it covered and what its log records."""

    class Counted(machine):  # type: ignore[misc, valid-type]
        @invariant()
        def count_the_step(self) -> None:
            counts["checks"] += 1  # after the initialisation and after every step

        def teardown(self) -> None:
            counts["examples"] += 1
            super().teardown()  # the convergence phase: raises if it fails
            counts["converged"] += 1
            counts["simulated seconds"] += int(getattr(self.cluster, "now", 0))
            for entry in getattr(self, "log", ()):
                word = str(entry).split(" ", 1)[0]
                counts["log: " + ("time passes" if word[:1].isdigit() else word)] += 1

    Counted.__name__ = machine.__name__
    return Counted


def soak(name: str, minutes: float, examples_per_round: int, steps: int, first_seed: int) -> Counter[str]:
    module = importlib.import_module(f"conformance.workloads.{name}")
    counts: Counter[str] = Counter()
    machine = counting(module.machine_for(SimulatedControlPlaneProvider()), counts)
    round_settings = settings(
        max_examples=examples_per_round,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    start = time.monotonic()
    rounds = 0
    while time.monotonic() - start < minutes * 60:
        round_seed = first_seed + rounds
        try:
            run_state_machine_as_test(seed(round_seed)(machine), settings=round_settings)
        except BaseException:
            print(f"\n{name}: FAILED in round {rounds + 1} (seed {round_seed})", flush=True)
            traceback.print_exc()
            raise
        rounds += 1
        elapsed = time.monotonic() - start
        print(
            f"{name:<15} {elapsed / 60:5.1f} min  round {rounds}: {counts['examples']:,} examples, "
            f"{counts['checks'] - counts['examples']:,} steps, {counts['simulated seconds']:,} simulated s",
            flush=True,
        )
    counts["wall seconds"] = int(time.monotonic() - start)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=40.0, help="wall-clock minutes in all (default 40)")
    parser.add_argument("--machines", nargs="+", default=None, help=f"some of: {', '.join(MACHINES)}")
    parser.add_argument("--examples-per-round", type=int, default=10)
    parser.add_argument("--steps", type=int, default=50, help="rule steps per example at most")
    parser.add_argument("--seed", type=int, default=0, help="the first round's seed (rounds count up)")
    args = parser.parse_args()
    pin_local_constants()  # a seed replays the same examples whichever machines this run imports
    names = args.machines or available(MACHINES)
    unknown = [n for n in names if n not in MACHINES or not available((n,))]
    if unknown:
        parser.error(f"unknown machine(s) {', '.join(unknown)}; available: {', '.join(available(MACHINES))}")
    per_machine = args.minutes / len(names)
    print(
        f"python {platform.python_version()} on {platform.machine()}; {args.minutes:g} minutes over "
        f"{len(names)} machines ({per_machine:.1f} each), {args.steps} steps per example at most",
        flush=True,
    )
    results = {
        name: soak(name, per_machine, args.examples_per_round, args.steps, args.seed) for name in names
    }
    print("\nno failure")
    print(f"{'machine':<15} {'minutes':>7} {'examples':>9} {'steps':>8} {'simulated s':>12}  what happened")
    for name, counts in results.items():
        logged = sorted(
            ((k.removeprefix("log: "), v) for k, v in counts.items() if k.startswith("log: ")),
            key=lambda kv: -kv[1],
        )
        print(
            f"{name:<15} {counts['wall seconds'] / 60:7.1f} {counts['examples']:>9,} "
            f"{counts['checks'] - counts['examples']:>8,} {counts['simulated seconds']:>12,}  "
            + ", ".join(f"{k} {v:,}" for k, v in logged[:8])
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
