"""A long run of the consensus state machine against the reference Raft: how much it exercised.

The ``deep`` profile's question is "does anything fail if we keep looking?";
this script keeps looking for a fixed wall-clock time and prints what the
look covered: examples (clusters), rule steps, proposals and their outcomes,
each kind of fault, and the liveness phases passed. It runs the very machine
of conformance/consensus (safety invariants after every step, the liveness
phase at the end of each example), in rounds of fresh random seeds with no
example database, and stops at the first failure, printing it.

    python benchmarks/consensus_soak.py --minutes 20

Nothing is asserted beyond what the machine itself requires (DESIGN.md,
"Running"); the figures are for the record.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.consensus.machine import ConsensusMachine, machine_for
from impl.raft.sim import SimulatedRaftCluster, SimulatedRaftProvider

#: What the machine does to a cluster through the contracts, counted at the boundary.
FAULTS = ("crash", "restart", "pause", "resume", "partition", "heal", "set_message_faults")
#: The optional capabilities the reference offers (membership, transfer, reads).
CAPABILITIES = ("add_member", "remove_member", "transfer_leadership", "read")
COUNTED = ("propose", *FAULTS, *CAPABILITIES)


class CountingCluster(SimulatedRaftCluster):
    counts: Counter[str]

    def __getattribute__(self, name: str) -> Any:
        value = super().__getattribute__(name)
        if name in COUNTED:
            counts = super().__getattribute__("counts")

            def counted(*args: Any, **kwargs: Any) -> Any:
                counts[name] += 1
                result = value(*args, **kwargs)
                if name == "propose":
                    counts[f"proposals {result.status}"] += 1
                return result

            return counted
        return value


@dataclass
class CountingProvider(SimulatedRaftProvider):
    counts: Counter[str] = field(default_factory=Counter)

    def new_cluster(self, *, size: int, entropy: Any) -> SimulatedRaftCluster:
        cluster = CountingCluster(size, entropy, self)
        cluster.counts = self.counts
        self.counts[f"clusters of {size}"] += 1
        return cluster


def counting(machine: type[ConsensusMachine], counts: Counter[str]) -> type[ConsensusMachine]:
    """``machine``, counting the observations it checks and the liveness phases it passes."""

    class Counted(machine):  # type: ignore[misc, valid-type]
        def teardown(self) -> None:
            counts["examples"] += 1
            observed = self.history.observations
            super().teardown()  # the liveness phase: raises if it fails
            counts["liveness phases passed"] += 1
            counts["observations checked"] += self.history.observations
            counts["observations before liveness"] += observed

    return Counted


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=20.0, help="wall-clock minutes to run (default 20)")
    parser.add_argument("--examples-per-round", type=int, default=100)
    parser.add_argument("--steps", type=int, default=100, help="rule steps per example at most")
    args = parser.parse_args()

    provider = CountingProvider()
    counts = provider.counts
    machine = counting(machine_for(provider), counts)
    round_settings = settings(
        max_examples=args.examples_per_round,
        stateful_step_count=args.steps,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    print(f"python {platform.python_version()} on {platform.machine()}; {args.minutes:g} minutes", flush=True)
    start = time.monotonic()
    rounds = 0
    while time.monotonic() - start < args.minutes * 60:
        run_state_machine_as_test(machine, settings=round_settings)
        rounds += 1
        elapsed = time.monotonic() - start
        print(
            f"{elapsed / 60:6.1f} min  round {rounds}: {counts['examples']:,} examples, "
            f"{counts['observations checked']:,} observations checked",
            flush=True,
        )
    elapsed = time.monotonic() - start
    print(f"\n{elapsed / 60:.1f} minutes, {rounds} rounds, no failure")
    print(f"examples:                          {counts['examples']:,}", end="")
    print("  (" + ", ".join(f"{counts[f'clusters of {n}']:,} of {n}" for n in (1, 3, 5)) + " members)")
    print(
        f"steps (observations checked before the liveness phase): {counts['observations before liveness']:,}"
    )
    print(f"observations checked in all:       {counts['observations checked']:,}")
    print(f"fault operations:                  {sum(counts[name] for name in FAULTS):,}")
    for name in FAULTS:
        print(f"  {name:<30} {counts[name]:,}")
    print(f"proposals:                         {counts['propose']:,}", end="")
    print(
        "  ("
        + ", ".join(f"{counts[f'proposals {s}']:,} {s}" for s in ("committed", "rejected", "unknown"))
        + ")"
    )
    for name in CAPABILITIES:
        print(f"{name + ':':<35}{counts[name]:,}")
    print(f"liveness phases passed:            {counts['liveness phases passed']:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
