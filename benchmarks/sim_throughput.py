"""Simulator throughput: simulated events per wall-clock second.

Two processes play ping-pong over the default network (1..5 ms latency, no
faults); every delivery is one event. Prints events/s with the trace on and
off. A figure, not a test: nothing is asserted (DESIGN.md, "Running").

    python benchmarks/sim_throughput.py --events 500000 --seed 1
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from impl.sim import Context, NetworkConfig, Simulation


class Player:
    """Returns every ball it receives; the server serves one ball at start."""

    def __init__(self, peer: str, serve: bool) -> None:
        self.peer = peer
        self.serve = serve

    def on_start(self, ctx: Context) -> None:
        if self.serve:
            ctx.send(self.peer, 0)

    def on_message(self, ctx: Context, src: str, payload: Any) -> None:
        ctx.send(src, payload + 1)

    def on_timer(self, ctx: Context, name: str) -> None:
        pass


def measure(events: int, seed: int, *, trace: bool, network: NetworkConfig) -> tuple[float, int]:
    sim = Simulation(seed, network, trace=trace)
    sim.add_process("ping", lambda: Player("pong", serve=True))
    sim.add_process("pong", lambda: Player("ping", serve=False))
    started = time.perf_counter()
    done = sim.run(max_events=events)
    elapsed = time.perf_counter() - started
    return done / elapsed, len(sim.trace)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=500_000, help="deliveries per measurement")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="measurements per setting; the best is shown")
    args = parser.parse_args()

    print(f"python {platform.python_version()} ({platform.python_implementation()}) on {platform.machine()}")
    print(f"two-process ping-pong, {args.events} events, seed {args.seed}, best of {args.repeat}")
    settings = [
        ("no faults", NetworkConfig()),
        ("dup 5%, reorder 5%", NetworkConfig(duplicate_rate=0.05, reorder_rate=0.05)),
    ]
    for label, network in settings:
        for trace in (False, True):
            best = 0.0
            records = 0
            for _ in range(args.repeat):
                rate, records = measure(args.events, args.seed, trace=trace, network=network)
                best = max(best, rate)
            print(
                f"  {label:<22} trace {'on ' if trace else 'off'}: {best:>12,.0f} events/s"
                + (f"  ({records:,} trace records)" if trace else "")
            )


if __name__ == "__main__":
    main()
