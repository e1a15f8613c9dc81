"""The reference scheduler's throughput on scheduler_perf's SchedulingBasic shape: pods/s.

SchedulingBasic (kubernetes test/integration/scheduler_perf/misc/performance-config.yaml):
nodes from ``node-default.yaml`` (4 cpu, 32Gi memory, 110 pods), a set of pods
already bound, then pods from ``pod-default.yaml`` (requests 100m cpu,
500Mi memory) scheduled one after another; upstream measures pods/s over the
measured pods and gates on about 270 pods/s (680 in a newer version) for
5,000 nodes and 10,000 pods (../shared/REFERENCE.md).

``--scheduler fast`` (the default) drives the registered columnar scheduler
(impl/scheduler/columnar.py) through its cache API as a scheduler loop
would: the nodes and the initial pods are added to the cache, then each
measured pod is scheduled (``schedule_pod``: numFeasibleNodesToFind, the
filters from the rotating index, the seven scores, selectHost) and assumed
onto the chosen node (``assume``, which updates the cache's aggregates and
columns). The pods are built before the clock starts, as upstream's pods
exist in the API server before they are measured. ``--scheduler plain``
runs the readable ReferenceScheduler on a ``ClusterSnapshot`` (each pod
through every plugin per node; keep ``--pods`` small with it).

``--upstream`` runs upstream's two shapes: 5,000 nodes with 5,000 bound
pods then 10,000 measured, and 5,000 nodes with 5,000 bound then 50,000
measured. A figure, not a test: nothing is asserted (DESIGN.md, "Running").

    python benchmarks/scheduler_throughput.py --upstream
    python benchmarks/scheduler_throughput.py --nodes 5000 --init-pods 5000 --pods 10000
    python benchmarks/scheduler_throughput.py --scheduler plain --nodes 5000 --init-pods 0 --pods 30
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from impl.scheduler.columnar import ColumnarScheduler
from impl.scheduler.core import ReferenceScheduler
from invariants.snapshots import make_node, make_pod
from spec.objects.core import Node, Pod
from spec.scheduling.filters import ClusterSnapshot, bind

#: (nodes, bound before measuring, measured): SchedulingBasic's 5000Nodes_10000Pods and 5000Nodes_50000Pods.
UPSTREAM_SHAPES = ((5000, 5000, 10000), (5000, 5000, 50000))


def cluster(nodes: int, init_pods: int) -> tuple[tuple[Node, ...], tuple[Pod, ...]]:
    made = tuple(make_node(f"node-{i}", cpu="4", memory="32Gi", pods=110) for i in range(nodes))
    bound = tuple(
        bind(make_pod(f"init-{i}", cpu="100m", memory="500Mi"), made[i % nodes].metadata.name)
        for i in range(init_pods)
    )
    return made, bound


def run_fast(nodes: int, init_pods: int, pods: int) -> tuple[int, float]:
    """Scheduled pods and seconds, through the columnar scheduler's cache."""
    made, bound = cluster(nodes, init_pods)
    scheduler = ColumnarScheduler(seed=1)
    for node in made:
        scheduler.cache.add_node(node)
    for pod in bound:
        scheduler.cache.add_pod(pod)
    measured = [make_pod(f"pod-{i}", cpu="100m", memory="500Mi") for i in range(pods)]
    started = time.perf_counter()
    done = 0
    for pod in measured:
        decision = scheduler.schedule_pod(pod)
        if decision["nodeName"] is None:
            print(f"{pod.metadata.name} unschedulable: {decision['message']}")
            break
        scheduler.assume(pod, decision["nodeName"])
        done += 1
    return done, time.perf_counter() - started


def run_plain(nodes: int, init_pods: int, pods: int) -> tuple[int, float]:
    """Scheduled pods and seconds, through the plain reference on a snapshot."""
    made, bound = cluster(nodes, init_pods)
    snapshot = ClusterSnapshot(made, bound)
    scheduler = ReferenceScheduler(seed=1)
    measured = [make_pod(f"pod-{i}", cpu="100m", memory="500Mi") for i in range(pods)]
    started = time.perf_counter()
    done = 0
    for pod in measured:
        decision = scheduler.schedule_objects(pod, snapshot)
        if decision["nodeName"] is None:
            print(f"{pod.metadata.name} unschedulable: {decision['message']}")
            break
        snapshot = snapshot.with_pod(pod, decision["nodeName"])
        done += 1
    return done, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scheduler", choices=("fast", "plain"), default="fast")
    parser.add_argument("--upstream", action="store_true", help="run upstream's two SchedulingBasic shapes")
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument(
        "--init-pods",
        type=int,
        default=None,
        help="pods bound before measuring (default: 5000 fast, 0 plain)",
    )
    parser.add_argument(
        "--pods", type=int, default=None, help="pods measured (default: 10000 fast, 30 plain)"
    )
    args = parser.parse_args()
    fast = args.scheduler == "fast"
    init_pods = args.init_pods if args.init_pods is not None else (5000 if fast else 0)
    pods = args.pods if args.pods is not None else (10000 if fast else 30)
    if args.nodes < 1 or pods < 1 or init_pods < 0:
        parser.error("--nodes and --pods must be >= 1, --init-pods >= 0")
    shapes = UPSTREAM_SHAPES if args.upstream else ((args.nodes, init_pods, pods),)
    print(f"python {platform.python_version()} on {platform.machine()}, {args.scheduler} scheduler")
    for nodes, bound, measured in shapes:
        done, elapsed = (run_fast if fast else run_plain)(nodes, bound, measured)
        print(
            f"SchedulingBasic-like: {nodes} nodes, {bound} bound pods, {done} scheduled in "
            f"{elapsed:.2f} s: {done / elapsed:.1f} pods/s (target 300)"
        )


if __name__ == "__main__":
    main()
