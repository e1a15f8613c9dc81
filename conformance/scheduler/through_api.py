"""The scheduler through an API server: nodes and pods created with the official client, the outcome checked.

One scenario (``run_scenario``): create generated nodes (sizes, zones, disk
labels, taints, cordons) and pending pods of the scheduler's name (requests,
tolerations, node selectors and required node affinity, host ports,
anti-affinity), wait until the scheduler has settled every pod, read
everything back from the API server, and check it with the spec:

- every bound pod is on a node that exists and passes every filter given
  the other pods placed (SCHED-FILTER-*, blamed on the first filter that
  rejects);
- no node holds more than it can allocate (SCHED-FILTER-RESOURCES);
- every pod is bound or marked ``PodScheduled=False``/``Unschedulable``
  within the time limit, and a marked pod is one no node fits
  (SCHED-API-PROGRESS, SCHED-COMPLETE).

The constraints are the ones under which "fits" can only shrink as pods
are added (resources, ports, anti-affinity; nodes do not change while a
scenario runs), so an end state judged by the spec says what every earlier
decision had to be: a pod that was unschedulable when tried stays
unschedulable, and a pod placed once still fits among everything placed
after it, or the later pod should not have been placed. Required affinity
and topology spread, which are not monotone, are left to the algorithm
suite (machine.py), which checks each decision at the moment it is made.

Waiting is bounded: the scenario polls until every pod is bound or marked
and no marked pod fits anywhere, and fails after ``SETTLE_TIMEOUT_S`` (30 s). A
marked pod that some node fits is given that long to be tried again, since
the scheduler may have tried it before it saw every node (upstream moves it
back on the node's arrival).
"""

from __future__ import annotations

import itertools
import json
import os
import time
import uuid
from collections.abc import Callable
from typing import Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.profiles import for_wall_clock
from conformance.strategies.objects import DrawChoices
from conformance.violation import require
from invariants.snapshots import Shape, generated_pod, make_node
from spec.objects import from_dict, to_dict
from spec.objects.core import Node, Pod
from spec.scheduling import filters
from spec.scheduling.filters import LABEL_ZONE, ClusterSnapshot, feasible_nodes
from spec.scheduling.framework import SCHED_API_PROGRESS, SCHED_COMPLETE, UNSCHEDULABLE_REASON

SETTLE_TIMEOUT_S = 30.0
POLL_S = 0.1
ZONES = ("zone-a", "zone-b", "zone-c")
TAINTS = (
    {"key": "dedicated", "value": "db", "effect": "NoSchedule"},
    {"key": "gpu", "effect": "NoExecute"},
)
_runs = itertools.count(1)


def _filter_requirements() -> dict[str, Any]:
    from conformance.scheduler.machine import FILTER_REQUIREMENTS  # one table for both suites

    return dict(FILTER_REQUIREMENTS)


def _json(response: Any) -> dict[str, Any]:
    """A list the official client returned unparsed (``_preload_content=False``): JSON, as from_dict wants."""
    return cast(dict[str, Any], json.loads(response.data))


def _items(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [{"apiVersion": "v1", "kind": kind, **item} for item in body.get("items") or ()]


def _marked_unschedulable(pod: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "PodScheduled"
        and c.get("status") == "False"
        and c.get("reason") == UNSCHEDULABLE_REASON
        for c in (pod.get("status") or {}).get("conditions") or ()
    )


class Scenario:
    """One scenario's objects: its namespace, its node names, and a log of what happened."""

    def __init__(self, api: Any, scheduler_name: str, settle_timeout_s: float = SETTLE_TIMEOUT_S) -> None:
        from kubernetes import client  # an optional extra: imported only when the suite runs

        self.api = api
        self.core = client.CoreV1Api(api)
        self.scheduler_name = scheduler_name
        self.settle_timeout_s = settle_timeout_s
        self.run = f"kspec-sched-{os.getpid()}-{next(_runs)}"
        self.node_names: list[str] = []
        self.log: list[str] = []

    def create(self, c: DrawChoices) -> None:
        self.core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.run}})
        for i in range(c.integer(1, 6)):
            node = make_node(
                f"{self.run}-node-{i}",
                cpu=f"{c.pick((1000, 2000, 4000))}m",
                memory=f"{c.pick((2, 4, 8))}Gi",
                pods=c.pick((110, 110, 2)),
                labels={LABEL_ZONE: c.pick(ZONES), "disk": c.pick(("ssd", "hdd")), "kspec-run": self.run},
                taints=[c.pick(TAINTS)] if c.integer(0, 3) == 0 else [],
                unschedulable=c.integer(0, 7) == 0,
            )
            self.core.create_node(to_dict(node))
            self.node_names.append(node.metadata.name)
            self.log.append(f"node {node.metadata.name}: {json.dumps(to_dict(node).get('spec', {}))}")
        total_cpu = 2000 * len(self.node_names)
        shape = Shape(pods=1, nodes=0, load=c.pick((30, 80, 150)), spread=False, affinity=False)
        count = c.integer(1, 10)
        for i in range(count):
            pod = to_dict(generated_pod(c, shape, f"pod-{i}", total_cpu, count))
            pod["metadata"]["namespace"] = self.run
            pod["spec"]["schedulerName"] = self.scheduler_name
            # Only this run's nodes: a scheduler's cache may still hold nodes of earlier runs for a while.
            pod["spec"].setdefault("nodeSelector", {})["kspec-run"] = self.run
            for container in pod["spec"]["containers"]:
                container["image"] = "registry.k8s.io/pause:3.10"
            self.core.create_namespaced_pod(self.run, pod)
            self.log.append(f"pod {i}: {json.dumps(pod['spec'])}")

    def read(self) -> tuple[ClusterSnapshot, list[dict[str, Any]]]:
        """The run's nodes with every pod bound to them (from any namespace), and the run's own pods."""
        nodes = [
            cast(Node, from_dict(n))
            for n in _items(_json(self.core.list_node(_preload_content=False)), "Node")
            if n["metadata"]["name"] in self.node_names
        ]
        every_pod = _items(_json(self.core.list_pod_for_all_namespaces(_preload_content=False)), "Pod")
        placed = tuple(
            cast(Pod, from_dict(p)) for p in every_pod if p["spec"].get("nodeName") in self.node_names
        )
        mine = [p for p in every_pod if p["metadata"].get("namespace") == self.run]
        return ClusterSnapshot(tuple(nodes), placed), mine

    def settle(
        self, clock: Callable[[], float] = time.monotonic
    ) -> tuple[ClusterSnapshot, list[dict[str, Any]]]:
        """Poll until every pod is bound, or marked and fitting nowhere; the last state read either way."""
        deadline = clock() + self.settle_timeout_s
        while True:
            snapshot, pods = self.read()
            waiting = [p for p in pods if not p["spec"].get("nodeName") and not self._settled(p, snapshot)]
            if not waiting or clock() > deadline:
                return snapshot, pods
            time.sleep(POLL_S)

    @staticmethod
    def _settled(pod: dict[str, Any], snapshot: ClusterSnapshot) -> bool:
        return _marked_unschedulable(pod) and not feasible_nodes(cast(Pod, from_dict(pod)), snapshot)

    def check(self, snapshot: ClusterSnapshot, pods: list[dict[str, Any]]) -> None:
        by_name = snapshot.node_by_name
        history = "\n".join(self.log)
        for body in pods:
            pod = cast(Pod, from_dict(body))
            name, node_name = pod.metadata.name, pod.spec.node_name
            if node_name:
                require(
                    SCHED_COMPLETE,
                    node_name in by_name,
                    lambda name=name, node_name=node_name: (
                        f"{name} bound to {node_name}, not a node of the run"
                    ),
                )
                others = ClusterSnapshot(
                    snapshot.nodes, tuple(p for p in snapshot.pods if p.metadata.name != name)
                )
                for plugin, run in filters.FILTER_ORDER:
                    reasons = run(pod, by_name[node_name], others)
                    require(
                        _filter_requirements()[plugin],
                        not reasons,
                        lambda name=name, node_name=node_name, plugin=plugin, reasons=reasons: (
                            f"{name} bound to {node_name}, which {plugin} rejects given the other "
                            f"pods placed: {'; '.join(reasons)}\n{history}"
                        ),
                    )
                continue
            fits = feasible_nodes(pod, snapshot)
            marked = _marked_unschedulable(body)
            require(
                SCHED_API_PROGRESS,
                marked,
                lambda name=name, fits=fits: (
                    f"{name} neither bound nor marked Unschedulable after {self.settle_timeout_s} s "
                    f"(nodes that fit it: {fits})\n{history}"
                ),
            )
            require(
                SCHED_COMPLETE,
                not fits,
                lambda name=name, fits=fits: (
                    f"{name} still marked Unschedulable after {self.settle_timeout_s} s although {fits} "
                    f"fit it\n{history}"
                ),
            )
        for node in snapshot.nodes:
            allocatable = filters.node_allocatable(node)
            used = filters.requested_on(node.metadata.name, snapshot)
            over = {r: (v, allocatable.get(r, 0)) for r, v in used.items() if v > allocatable.get(r, 0)}
            count = len(snapshot.pods_on(node.metadata.name))
            require(
                filters.SCHED_FILTER_RESOURCES,
                not over and count <= allocatable.get("pods", 0),
                lambda node=node, over=over, count=count: (
                    f"node {node.metadata.name} holds more than it can allocate: {over}, {count} "
                    f"pods\n{history}"
                ),
            )

    def delete(self) -> None:
        """Remove the run's pods and namespace; its nodes stay (``delete_nodes``), cordoned off by the
        ``kspec-run`` node selector every pod of a later run carries."""
        for pod in self.core.list_namespaced_pod(self.run).items:
            self.core.delete_namespaced_pod(pod.metadata.name, self.run, grace_period_seconds=0)
        self.core.delete_namespace(self.run)

    def delete_nodes(self) -> None:
        for name in self.node_names:
            self.core.delete_node(name)


def run_scenarios(
    provider: Any, apiserver: Any, config: Any, *, settle_timeout_s: float = SETTLE_TIMEOUT_S
) -> None:
    """Serve ``apiserver``, attach ``provider``'s scheduler under a fresh name, and run the scenarios
    Hypothesis generates (the wall-clock share of the profile); every node made is deleted at the end."""
    scheduler_name = f"kspec-{uuid.uuid4().hex[:8]}"
    with apiserver.serve() as kubeconfig, provider.attach(kubeconfig, scheduler_name):
        api = config.new_client_from_config(config_file=str(kubeconfig))
        runs: list[Scenario] = []

        @for_wall_clock(settings.default)
        @given(st.data())
        def scenario(data: st.DataObject) -> None:
            run = Scenario(api, scheduler_name, settle_timeout_s)
            runs.append(run)
            try:
                run.create(DrawChoices(data.draw))
                run.check(*run.settle())
            finally:
                run.delete()

        try:
            scenario()
        finally:
            for run in runs:
                run.delete_nodes()
            api.close()
