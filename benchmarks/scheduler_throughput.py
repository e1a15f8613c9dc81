"""The reference scheduler's throughput on scheduler_perf's SchedulingBasic shape: pods/s.

SchedulingBasic (kubernetes test/integration/scheduler_perf/misc/performance-config.yaml):
nodes from ``node-default.yaml`` (4 cpu, 32Gi memory, 110 pods), a set of pods
already bound, then pods from ``pod-default.yaml`` (requests 100m cpu,
500Mi memory) scheduled one after another; upstream measures pods/s over the
measured pods and gates on about 270 pods/s (680 in a newer version) for
5,000 nodes and 10,000 pods (../shared/REFERENCE.md).

Each measured pod goes through ``ReferenceScheduler.schedule_objects``, one
full cycle (numFeasibleNodesToFind, the filters from the rotating index, the
seven scores, selectHost), and is then bound into the snapshot. The defaults
are small so the script finishes in minutes: this first reference runs the
plain spec per node, which is far from the target (issue 7's optimized
snapshot is not built yet). ``--nodes 5000 --init-pods 5000 --pods 10000`` is
upstream's full shape. A figure, not a test: nothing is asserted
(DESIGN.md, "Running").

    python benchmarks/scheduler_throughput.py --nodes 5000 --init-pods 0 --pods 30
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from impl.scheduler.core import ReferenceScheduler
from invariants.snapshots import make_node, make_pod
from spec.scheduling.filters import ClusterSnapshot, bind


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument(
        "--init-pods", type=int, default=0, help="pods bound before measuring (upstream: 5000)"
    )
    parser.add_argument("--pods", type=int, default=30, help="pods measured (upstream: 10000)")
    args = parser.parse_args()
    if args.nodes < 1 or args.pods < 1 or args.init_pods < 0:
        parser.error("--nodes and --pods must be >= 1, --init-pods >= 0")
    print(f"python {platform.python_version()} on {platform.machine()}")
    nodes = tuple(make_node(f"node-{i}", cpu="4", memory="32Gi", pods=110) for i in range(args.nodes))
    bound = tuple(
        bind(make_pod(f"init-{i}", cpu="100m", memory="500Mi"), nodes[i % len(nodes)].metadata.name)
        for i in range(args.init_pods)
    )
    snapshot = ClusterSnapshot(nodes, bound)
    scheduler = ReferenceScheduler(seed=1)
    started = time.perf_counter()
    for i in range(args.pods):
        pod = make_pod(f"pod-{i}", cpu="100m", memory="500Mi")
        decision = scheduler.schedule_objects(pod, snapshot)
        if decision["nodeName"] is None:
            print(f"pod-{i} unschedulable: {decision['message']}")
            break
        snapshot = snapshot.with_pod(pod, decision["nodeName"])
    elapsed = time.perf_counter() - started
    print(
        f"SchedulingBasic-like: {args.nodes} nodes, {args.init_pods} bound pods, {args.pods} scheduled in "
        f"{elapsed:.2f} s: {args.pods / elapsed:.1f} pods/s (target 300)"
    )


if __name__ == "__main__":
    main()
