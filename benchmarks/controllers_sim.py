"""A simulated cluster rolls a big Deployment to a new image: simulated seconds per wall second.

Builds impl/controlplane.py's ``SimulatedCluster`` with ``--nodes`` simulated
kubelets, the scheduler and the controller manager (ReplicaSet, Deployment
and garbage collector), creates a Deployment of ``--replicas`` pods
(RollingUpdate, 25 % surge and unavailability, the defaults), waits until
every pod is ready, then changes the image and waits until the rollout is
complete: every replica updated and available, the old ReplicaSet at 0 and
its pods gone. Prints progress every ``--report-every`` simulated seconds,
then for each phase the simulated time, the wall time and their ratio.
Issue 10 asks for 1,000 nodes and 10,000 pods. A figure, not a test:
nothing is asserted (DESIGN.md, "Running").

Seen on this 2-core machine (shared with other work), 1,000 nodes and
10,000 pods: the Deployment ready after 7.0 simulated s in 41.2 s wall, the
rollout to the new image complete, old pods gone, after 36.0 simulated s in
94.6 s wall (0.38 simulated s per wall s), 2.25 GB resident at most. 200
nodes and 2,000 pods: 3.0 s in 6.0 s and 34.0 s in 13.1 s. What made it
possible: selection on cached attributes per object version, pod watches
indexed by node, etcd watch events shared by all watchers, the scheduling
loop feeding the columnar scheduler's cache incrementally, and a garbage
collector fed by watches rather than listing every collection each pass
(before it: 91 s and 562 s); before them 200 nodes and 2,000 pods took
134 s wall, and the full size would have taken hours.

    python benchmarks/controllers_sim.py --nodes 1000 --replicas 10000
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from impl.controllers.deployment import DeploymentController
from impl.controllers.garbagecollector import GarbageCollector
from impl.controllers.replicaset import ReplicaSetController
from impl.controlplane import SimulatedCluster
from impl.scheduler.apidriver import APIScheduler
from impl.scheduler.columnar import ColumnarScheduler

NAMESPACE = "default"
PATH = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/web"


def deployment(replicas: int, image: str) -> dict[str, Any]:
    labels = {"app": "web"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": NAMESPACE},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [{"name": "app", "image": image, "resources": {"requests": {"cpu": "10m"}}}]
                },
            },
        },
    }


def _status(cluster: SimulatedCluster) -> dict[str, Any]:
    status, body = cluster.call("GET", PATH)
    assert status == 200, body
    return body


def _pod_count(cluster: SimulatedCluster) -> int:
    """The pods in the namespace, from a one-item page's remainingItemCount (a full list costs seconds)."""
    _, body = cluster.client.call("GET", f"/api/v1/namespaces/{NAMESPACE}/pods", query={"limit": "1"})
    return len(body["items"]) + int(body["metadata"].get("remainingItemCount", 0))


def run_until(
    cluster: SimulatedCluster, done: Any, what: str, limit_s: float, report_every_s: float
) -> float:
    """Run until ``done(deployment)``; the simulated seconds it took (stops at ``limit_s``)."""
    start = cluster.now
    next_report = start + report_every_s
    while not done(_status(cluster)):
        if cluster.now - start > limit_s:
            raise SystemExit(
                f"{what}: not done after {limit_s} simulated s: {_status(cluster).get('status')}"
            )
        cluster.run(1.0)
        if cluster.now >= next_report:
            next_report += report_every_s
            status = _status(cluster).get("status") or {}
            print(
                f"  {what}: t={cluster.now - start:6.0f} s  replicas={status.get('replicas', 0)} "
                f"updated={status.get('updatedReplicas', 0)} ready={status.get('readyReplicas', 0)} "
                f"available={status.get('availableReplicas', 0)}",
                flush=True,
            )
    return cluster.now - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--replicas", type=int, default=10000)
    parser.add_argument("--tick", type=float, default=0.25, help="simulated seconds per round")
    parser.add_argument("--limit", type=float, default=3600.0, help="simulated seconds allowed per phase")
    parser.add_argument("--report-every", type=float, default=30.0, help="simulated seconds between lines")
    args = parser.parse_args()

    built = time.perf_counter()
    cluster = SimulatedCluster(
        nodes=args.nodes,
        # The collector has nothing to collect here (the old ReplicaSet is kept, scaled to 0); it lists
        # every resource each period, so it runs every 30 s instead of every second.
        controllers=(ReplicaSetController, DeploymentController, partial(GarbageCollector, period_s=30.0)),
        tick_s=args.tick,
    )
    # The columnar scheduler decides as the plain one (tests/scheduler/test_columnar.py), faster.
    cluster.scheduler.close()
    cluster.scheduler = APIScheduler(cluster.client, ColumnarScheduler(seed=0), clock=lambda: cluster.now)
    cluster.scheduler.start()
    print(f"{args.nodes} nodes registered in {time.perf_counter() - built:.1f} s wall", flush=True)

    def ready(d: dict[str, Any]) -> bool:
        s = d.get("status") or {}
        return (
            s.get("observedGeneration") == d["metadata"]["generation"]
            and s.get("updatedReplicas") == s.get("availableReplicas") == s.get("replicas") == args.replicas
        )

    phases = []
    status, body = cluster.call(
        "POST", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments", deployment(args.replicas, "app:1")
    )
    assert status == 201, body
    wall = time.perf_counter()
    simulated = run_until(cluster, ready, "create", args.limit, args.report_every)
    phases.append(("create", simulated, time.perf_counter() - wall))

    status, body = cluster.call(
        "PATCH",
        PATH,
        {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:2"}]}}}},
        content_type="application/strategic-merge-patch+json",
    )
    assert status == 200, body
    wall = time.perf_counter()

    def rolled(d: dict[str, Any]) -> bool:
        return ready(d) and _pod_count(cluster) == args.replicas  # the old pods are gone too (listed last)

    simulated = run_until(cluster, rolled, "rollout", args.limit, args.report_every)
    phases.append(("rollout", simulated, time.perf_counter() - wall))

    print(f"\n{args.nodes} nodes, {args.replicas} pods, tick {args.tick} s")
    print(f"{'phase':8} {'simulated s':>12} {'wall s':>9} {'sim s / wall s':>15}")
    for name, simulated, wall_s in phases:
        print(f"{name:8} {simulated:12.1f} {wall_s:9.1f} {simulated / wall_s:15.2f}")


if __name__ == "__main__":
    main()
