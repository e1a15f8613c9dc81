"""Reference Raft over TCP on loopback: committed proposals per wall-clock second, and how long
an election takes after the leader is killed.

One client proposes unique commands one after another through the adapter
(``impl/raft/tcp.py``): each proposal crosses a pipe to the leader's
process, is appended and fsynced there and on a majority of followers, then
committed and answered. Every round trip includes an fsync on the leader and
on each follower, so the figure depends on the disk as much as on Python.
A figure, not a test: nothing is asserted (DESIGN.md, "Running").

    python benchmarks/raft_tcp.py --proposals 300 --size 3
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from impl.raft.tcp import TcpRaftCluster, TcpRaftProvider
from spec.raft import agreed_leader


def wait_for_leader(cluster: TcpRaftCluster, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        leader = agreed_leader(cluster.status())
        if leader is not None:
            return leader
        time.sleep(0.01)
    raise SystemExit(f"no leader within {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=300)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 3, 5])
    parser.add_argument("--failovers", type=int, default=5)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {platform.machine()}, reference Raft over TCP, fsync on")
    for size in args.sizes:
        cluster = TcpRaftProvider().new_cluster(size=size, entropy=None)
        try:
            wait_for_leader(cluster)
            started = time.perf_counter()
            committed = sum(cluster.propose(f"c{i}").status == "committed" for i in range(args.proposals))
            elapsed = time.perf_counter() - started
            print(
                f"{size} member(s): {committed}/{args.proposals} committed in {elapsed:.2f} s = "
                f"{committed / elapsed:,.0f} committed/s (one client, one proposal at a time)"
            )
            if size < 3:
                continue
            elections = []
            for _ in range(args.failovers):
                leader = wait_for_leader(cluster)
                cluster.crash(leader)
                started = time.perf_counter()
                outcome = cluster.propose("after-failover")
                elections.append(time.perf_counter() - started)
                if outcome.status != "committed":
                    print(f"  a proposal after killing {leader} was {outcome.status}")
                cluster.restart(leader)
            median = statistics.median(elections)
            print(
                f"  leader killed (SIGKILL) -> next proposal committed: median {median:.2f} s, "
                f"max {max(elections):.2f} s over {len(elections)} failovers "
                f"(election timeout {TcpRaftProvider().election_timeout_ns / 1e9:.2f} s at most)"
            )
        finally:
            cluster.close()


if __name__ == "__main__":
    main()
