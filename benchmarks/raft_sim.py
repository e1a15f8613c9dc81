"""Reference Raft in the simulator: committed proposals per wall-clock second.

One client proposes unique commands one after another (each ``propose`` runs
the simulation until its entry is applied by the member that took it), on a
healthy network, for 3 and 5 members; then the same with message chaos (5 %
drops, duplicates and reordering). Also prints simulated seconds per wall
second while a cluster idles (heartbeats only) and during a fault phase that
isolates the leader every half second. A figure, not a test: nothing is
asserted (DESIGN.md, "Running").

    python benchmarks/raft_sim.py --proposals 5000 --seed 1
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from impl.raft.sim import MS, SimulatedRaftCluster, SimulatedRaftProvider
from spec.raft import leader_of

SECOND = 1_000 * MS


def settled(size: int, seed: int, *, trace: bool) -> SimulatedRaftCluster:
    provider = SimulatedRaftProvider(trace=trace)
    cluster = provider.new_cluster(size=size, entropy=seed)
    cluster.advance(SECOND)  # elect a leader
    return cluster


def proposals_per_second(
    size: int, proposals: int, seed: int, *, chaos: bool, trace: bool
) -> tuple[float, int]:
    cluster = settled(size, seed, trace=trace)
    if chaos:
        cluster.set_message_faults(drop_rate=0.05, duplicate_rate=0.05, reorder_rate=0.05)
    committed = 0
    started = time.perf_counter()
    for command in range(proposals):
        committed += cluster.propose(command).status == "committed"
    elapsed = time.perf_counter() - started
    return committed / elapsed, committed


def simulated_per_wall_second(size: int, seconds: int, seed: int, *, faults: bool) -> float:
    cluster = settled(size, seed, trace=False)
    if faults:
        cluster.set_message_faults(drop_rate=0.05, duplicate_rate=0.05, reorder_rate=0.05)
    started = time.perf_counter()
    for half in range(2 * seconds):
        if faults and half % 2 == 0:
            leader = leader_of(cluster.status())
            if leader is not None:
                cluster.partition([[leader], [m for m in cluster.members() if m != leader]])
        elif faults:
            cluster.heal()
        cluster.advance(SECOND // 2)
    return seconds / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--proposals", type=int, default=5_000, help="proposals per measurement")
    parser.add_argument("--seconds", type=int, default=60, help="simulated seconds for the time figures")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    print(f"python {platform.python_version()} ({platform.python_implementation()}) on {platform.machine()}")
    print(f"one sequential client, {args.proposals} proposals per row, seed {args.seed}")
    for size in (3, 5):
        for chaos in (False, True):
            for trace in (False, True):
                rate, committed = proposals_per_second(
                    size, args.proposals, args.seed, chaos=chaos, trace=trace
                )
                network = "chaos 5%" if chaos else "healthy "
                print(
                    f"  {size} members, {network}, trace {'on ' if trace else 'off'}: "
                    f"{rate:>9,.0f} committed proposals/s  ({committed} of {args.proposals} committed)"
                )
    for size in (3, 5):
        for faults in (False, True):
            ratio = simulated_per_wall_second(size, args.seconds, args.seed, faults=faults)
            phase = "fault phase (leader cut off every other 0.5 s, chaos 5%)" if faults else "idle"
            print(f"  {size} members, {phase}: {ratio:,.0f} simulated s per wall s")


if __name__ == "__main__":
    main()
