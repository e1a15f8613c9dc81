"""The scheduler through the API (impl/scheduler/apidriver.py), in process: informers, Bindings, conditions.

The API server is the sans-IO core on the in-memory store, called directly
(``InProcessClient``), and the scheduler's clock is a number the test
moves: every step is deterministic. What is checked is read back from the
API server, not from the scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from impl.apiclient import APIClient, Informer, InProcessClient, Query
from impl.apiserver.core import APIServer
from impl.apiserver.memory import MemoryKV
from impl.scheduler.apidriver import APIScheduler
from impl.scheduler.core import ReferenceScheduler
from invariants.snapshots import make_node, make_pod
from spec.entropy import SeededEntropy
from spec.objects import to_dict
from spec.scheduling.filters import ClusterSnapshot
from spec.scheduling.framework import bind_attempt_errors, ranked_nodes
from spec.scheduling.scores import total_scores
from tests.apiserver.helpers import NOW

PODS = "/api/v1/namespaces/default/pods"


def new_client() -> InProcessClient:
    server = APIServer(MemoryKV().client(), clock=lambda: NOW, entropy=SeededEntropy(5))
    server.bootstrap()
    return InProcessClient(server)


def create(client: APIClient, path: str, obj: Any) -> dict[str, Any]:
    body = to_dict(obj)
    for container in body.get("spec", {}).get("containers", ()):
        container.setdefault("image", "nginx:1.27")  # make_pod leaves it out; the API requires one
    status, answer = client.call("POST", path, body)
    assert status == 201, answer
    return answer


def pod_named(client: APIClient, name: str) -> dict[str, Any]:
    status, body = client.call("GET", f"{PODS}/{name}")
    assert status == 200, body
    return body


def scheduled_condition(pod: dict[str, Any]) -> dict[str, Any] | None:
    return next((c for c in pod["status"].get("conditions", ()) if c["type"] == "PodScheduled"), None)


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


def test_pending_pods_are_bound_through_the_binding_subresource() -> None:
    client = new_client()
    for i, cpu in enumerate(["1", "2", "4"]):
        create(client, "/api/v1/nodes", make_node(f"node-{i}", cpu=cpu))
    create(client, PODS, make_pod("web", cpu="1500m"))
    create(client, PODS, make_pod("elsewhere", spec={"schedulerName": "other-scheduler"}))
    scheduler = APIScheduler(client, ReferenceScheduler(seed=1), clock=Clock())
    scheduler.start()
    assert scheduler.step() == 1
    web = pod_named(client, "web")
    assert web["spec"]["nodeName"] in ("node-1", "node-2")  # node-0 has 1 cpu
    assert scheduled_condition(web) == {"type": "PodScheduled", "status": "True"}
    assert "nodeName" not in pod_named(client, "elsewhere")["spec"]  # not this scheduler's


def test_an_unschedulable_pod_gets_the_condition_then_binds_when_a_node_comes() -> None:
    client, clock = new_client(), Clock()
    create(client, "/api/v1/nodes", make_node("small", cpu="1"))
    create(client, PODS, make_pod("big", cpu="3"))
    scheduler = APIScheduler(client, ReferenceScheduler(seed=1), clock=clock)
    scheduler.start()
    scheduler.step()
    condition = scheduled_condition(pod_named(client, "big"))
    assert condition == {
        "type": "PodScheduled",
        "status": "False",
        "reason": "Unschedulable",
        "message": "0/1 nodes are available: 1 Insufficient cpu.",
    }
    cycles, version = len(scheduler.results), pod_named(client, "big")["metadata"]["resourceVersion"]
    clock.now = 400.0  # past the 5-minute flush: tried again, same answer, the condition is not rewritten
    scheduler.step()
    assert len(scheduler.results) == cycles + 1
    assert pod_named(client, "big")["metadata"]["resourceVersion"] == version
    create(client, "/api/v1/nodes", make_node("large", cpu="4"))
    clock.now = 402.0
    scheduler.step()
    big = pod_named(client, "big")
    assert big["spec"]["nodeName"] == "large"
    assert scheduled_condition(big) == {"type": "PodScheduled", "status": "True"}


def test_deleted_and_finished_pods_free_their_node() -> None:
    client, clock = new_client(), Clock()
    create(client, "/api/v1/nodes", make_node("only", cpu="2", pods=110))
    create(client, PODS, make_pod("first", cpu="2"))
    scheduler = APIScheduler(client, ReferenceScheduler(seed=1), clock=clock)
    scheduler.start()
    scheduler.step()
    create(client, PODS, make_pod("second", cpu="2"))
    scheduler.step()
    assert "nodeName" not in pod_named(client, "second")["spec"]
    status, body = client.call("DELETE", f"{PODS}/first", {"gracePeriodSeconds": 0})  # as a kubelet confirms
    assert status == 200, body
    clock.now = 2.0  # the deletion moves "second" back; its 1 s backoff is over
    scheduler.step()
    assert pod_named(client, "second")["spec"]["nodeName"] == "only"


@dataclass
class RefusingBindings:
    """The API, but bindings to the nodes in ``refused`` fail with 500; every binding is logged."""

    client: APIClient
    refused: set[str] = field(default_factory=set)
    bindings: list[str] = field(default_factory=list)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: Query | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        if path.endswith("/binding"):
            node = body["target"]["name"]
            self.bindings.append(node)
            if node in self.refused:
                return 500, {"kind": "Status", "code": 500, "message": "etcdserver: request timed out"}
        return self.client.call(method, path, body, query=query, content_type=content_type)

    def watch(self, path: str, *, query: Query | None = None) -> Any:
        return self.client.watch(path, query=query)


@pytest.mark.requirement("SCHED-BIND-NEXT")
def test_a_refused_binding_goes_down_the_ranked_list_through_the_api() -> None:
    inner = new_client()
    nodes = [make_node(f"node-{i}", cpu=cpu) for i, cpu in enumerate(["1", "2", "3", "4"])]
    for node in nodes:
        create(inner, "/api/v1/nodes", node)
    pod = make_pod("web", cpu="500m", memory="1Gi")
    create(inner, PODS, pod)
    client = RefusingBindings(inner, refused={"node-3", "node-2"})
    scheduler = APIScheduler(client, ReferenceScheduler(seed=1), clock=Clock())
    scheduler.start()
    scheduler.step()
    snapshot = ClusterSnapshot(tuple(nodes))
    ranked = ranked_nodes(total_scores(pod, nodes, snapshot), client.bindings[0])
    attempts = [(node, node not in client.refused) for node in client.bindings]
    assert bind_attempt_errors(attempts, ranked) == []
    assert pod_named(inner, "web")["spec"]["nodeName"] == client.bindings[-1] == ranked[2]


def test_upstream_mode_requeues_after_a_refused_binding() -> None:
    inner, clock = new_client(), Clock()
    create(inner, "/api/v1/nodes", make_node("a", cpu="4"))
    create(inner, "/api/v1/nodes", make_node("b", cpu="2"))
    create(inner, PODS, make_pod("web", cpu="500m"))
    client = RefusingBindings(inner, refused={"a"})
    scheduler = APIScheduler(client, ReferenceScheduler(seed=1), clock=clock, on_bind_failure="requeue")
    scheduler.start()
    scheduler.step()
    assert client.bindings == ["a"] and "nodeName" not in pod_named(inner, "web")["spec"]
    client.refused.clear()
    clock.now = 1.0
    scheduler.step()
    assert client.bindings == ["a", "a"] and pod_named(inner, "web")["spec"]["nodeName"] == "a"


class Gone:
    """A watch that answers 410 Gone, as one does once its resourceVersion is compacted."""

    def next_events(self, timeout_s: float) -> list[dict[str, Any]]:
        return [{"type": "ERROR", "object": {"kind": "Status", "code": 410, "reason": "Expired"}}]

    def close(self) -> None:
        pass


def test_an_informer_lists_again_after_410_and_reports_what_it_missed() -> None:
    client = new_client()
    create(client, PODS, make_pod("a"))
    informer = Informer(client, PODS)
    assert [(kind, obj["metadata"]["name"]) for kind, obj in informer.start()] == [("ADDED", "a")]
    create(client, PODS, make_pod("b"))
    assert [(kind, obj["metadata"]["name"]) for kind, obj in informer.poll()] == [("ADDED", "b")]
    # Cut the watch off (as a 410 would), change things meanwhile: the relist reports the differences.
    assert informer._watch is not None
    informer._watch.close()
    informer._watch = Gone()
    client.call("DELETE", f"{PODS}/a")
    create(client, PODS, make_pod("c"))
    seen = sorted((kind, obj["metadata"]["name"]) for kind, obj in informer.poll())
    assert seen == [("ADDED", "c"), ("DELETED", "a")]
    assert sorted(informer.cache) == ["default/b", "default/c"] and informer.relists == 2


@pytest.mark.requirement("SCHED-PREEMPT-LOWER", "SCHED-PREEMPT-FITS")
def test_a_preemption_through_the_api_evicts_the_victims_and_binds_the_preemptor() -> None:
    client, clock = new_client(), Clock()
    create(client, "/api/v1/nodes", make_node("only", cpu="2"))
    scheduler = APIScheduler(client, ReferenceScheduler(seed=1), clock=clock)
    scheduler.start()
    for name, priority in (("low-a", 0), ("low-b", 5)):
        create(client, PODS, make_pod(name, cpu="1", spec={"priority": priority}))
    scheduler.step()
    create(client, PODS, make_pod("urgent", cpu="1", spec={"priority": 100}))
    scheduler.step()
    urgent = pod_named(client, "urgent")
    assert urgent["status"].get("nominatedNodeName") == "only" and "nodeName" not in urgent["spec"]
    pods = {p["metadata"]["name"]: p for p in client.call("GET", PODS)[1]["items"]}
    # The lowest priority pod is enough, and is the one evicted: gracefully, so it terminates first.
    terminating = {name for name, p in pods.items() if p["metadata"].get("deletionTimestamp")}
    assert terminating == {"low-a"}
    clock.now = 1.0
    scheduler.step()  # retried while its victim terminates: it waits, and preempts nobody else
    assert "nodeName" not in pod_named(client, "urgent")["spec"]
    assert not pod_named(client, "low-b")["metadata"].get("deletionTimestamp")
    client.call("DELETE", f"{PODS}/low-a", {"gracePeriodSeconds": 0})  # the kubelet confirms it gone
    clock.now = 3.0  # that deletion moved the preemptor back; its backoff is over
    scheduler.step()
    assert pod_named(client, "urgent")["spec"]["nodeName"] == "only"
