"""The scheduler cache (impl/scheduler/cache.py) keeps its aggregates and columns equal to the spec's sums.

After any sequence of nodes added, updated and removed and pods bound,
deleted and rebound (terminal ones among them), every cached node's
``NodeInfo`` must hold what the spec computes from the same snapshot
(``requested_on``, ``non_zero_requested_on``, the pod count), the columns
updated in place must equal columns rebuilt from scratch, and the cache's
``ClusterSnapshot`` must be the snapshot. A cache whose in-place column
update forgets the non-zero requests is caught.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conformance.strategies.objects import DrawChoices
from impl.scheduler.cache import Columns, PodInfo, SchedulerCache
from invariants.snapshots import make_node, make_pod
from spec.objects.core import Node, Pod
from spec.scheduling.filters import ClusterSnapshot, bind, requested_on
from spec.scheduling.scores import non_zero_requested_on

SETTINGS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
BUDGET = settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def check(cache: SchedulerCache, nodes: list[Node], pods: dict[Any, Pod]) -> None:
    snapshot = ClusterSnapshot(tuple(nodes), tuple(pods.values()))
    assert [info.name for info in cache.infos] == [n.metadata.name for n in nodes]
    live = cache.columns  # possibly updated in place since it was built
    fresh = Columns(cache.infos)
    for index, node in enumerate(nodes):
        name = node.metadata.name
        info = cache.infos[index]
        assert {k: v for k, v in info.requested.items() if v} == {
            k: v for k, v in requested_on(name, snapshot).items() if v
        }, name
        non_zero = non_zero_requested_on(name, snapshot)
        assert (info.non_zero_cpu, info.non_zero_memory) == (
            non_zero.get("cpu", 0),
            non_zero.get("memory", 0),
        )
        assert info.pod_count == len(snapshot.pods_on(name))
    for resource, column in fresh.requested.items():
        assert np.array_equal(live.requested.get(resource, np.zeros(fresh.size)), column), resource
    assert np.array_equal(live.non_zero_cpu, fresh.non_zero_cpu)
    assert np.array_equal(live.non_zero_memory, fresh.non_zero_memory)
    assert np.array_equal(live.pod_count, fresh.pod_count)
    assert np.array_equal(live.pods_with_ports, fresh.pods_with_ports)
    cached = cache.snapshot()

    def by_node(view: ClusterSnapshot) -> dict[str, dict[Any, Pod]]:
        # The pods' order on a node is no part of the filters' or scores' answers.
        return {n: {SchedulerCache.pod_key(p): p for p in ps} for n, ps in view.pods_by_node.items()}

    assert by_node(cached) == by_node(snapshot)
    assert cached.nodes == snapshot.nodes


def run_ops(data: st.DataObject) -> None:
    c = DrawChoices(data.draw)
    cache = SchedulerCache()
    nodes: list[Node] = []
    pods: dict[Any, Pod] = {}
    made = 0
    for _ in range(c.integer(1, 30)):
        op = c.pick(("node", "node", "update", "remove-node", "pod", "pod", "pod", "delete", "rebind"))
        made += 1
        if op == "node" or (op in ("update", "remove-node") and not nodes):
            node = make_node(f"n{made}", cpu=f"{c.integer(0, 4)}", memory=f"{c.integer(1, 8)}Gi")
            nodes.append(node)
            cache.add_node(node)
        elif op == "update":
            index = c.integer(0, len(nodes) - 1)
            node = make_node(nodes[index].metadata.name, cpu="8", unschedulable=c.coin())
            nodes[index] = node
            cache.add_node(node)
        elif op == "remove-node":
            node = nodes.pop(c.integer(0, len(nodes) - 1))
            cache.remove_node(node.metadata.name)
        elif op == "delete" and pods:
            key = c.pick(list(pods))
            del pods[key]
            cache.remove_pod(key)
        else:
            if not nodes:
                continue
            target = c.pick([*nodes, None]) if op == "rebind" else c.pick(nodes)
            node_name = target.metadata.name if target is not None else "gone-node"
            name = c.pick(list(pods))[1] if op == "rebind" and pods else f"p{made}"
            pod = make_pod(
                name,
                cpu=c.pick((None, "100m", "1")),
                memory=c.pick((None, "64Mi")),
                requests={"example.com/gpu": "1"} if c.integer(0, 4) == 0 else None,
                host_ports=[80] if c.integer(0, 4) == 0 else [],
                status={"phase": "Succeeded"} if c.integer(0, 6) == 0 else None,
            )
            bound = bind(pod, node_name)
            pods[SchedulerCache.pod_key(bound)] = bound
            cache.add_pod(bound)
        if c.coin():
            cache.columns  # noqa: B018 (build the columns so that later pods update them in place)
        check(cache, nodes, pods)


@given(data=st.data())
@SETTINGS
def test_cache_aggregates_equal_the_specs_sums(data: st.DataObject) -> None:
    run_ops(data)


def test_a_cache_that_forgets_non_zero_requests_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Columns.add

    def forgetful(self: Columns, index: int, info: PodInfo, sign: int) -> bool:
        cpu = self.non_zero_cpu[index]
        done = original(self, index, info, sign)
        self.non_zero_cpu[index] = cpu
        return done

    monkeypatch.setattr(Columns, "add", forgetful)

    @given(data=st.data())
    @BUDGET
    def ops(data: st.DataObject) -> None:
        run_ops(data)

    with pytest.raises(AssertionError):
        ops()
