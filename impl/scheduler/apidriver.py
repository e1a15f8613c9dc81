"""The reference scheduler through the API: watch nodes and pending pods, post Bindings.

What kube-scheduler does around its algorithm (k/k ``pkg/scheduler``:
``eventhandlers.go``, ``schedule_one.go``), over an ``APIClient``
(impl/apiclient.py):

- informers on ``/api/v1/nodes`` and ``/api/v1/pods`` feed the loop
  (impl/scheduler/loop.py): nodes into its cache; bound pods into its cache;
  pending pods whose ``spec.schedulerName`` is the scheduler's (default
  ``default-scheduler``) and that are not being deleted into its queue.
  Succeeded and Failed pods free their node. A node added or changed, a pod
  deleted, and a pod bound by someone else are the cluster events that move
  unschedulable pods back (without upstream's queueing hints, every event
  moves every unschedulable pod);
- a binding is ``POST pods/<name>/binding`` (``DefaultBinder``); when it
  fails, the loop goes down the ranked list (the seed) or requeues
  (upstream), as configured;
- a preemption deletes the victims and sets the preemptor's
  ``status.nominatedNodeName``; the deletions bring the pod back;
- an unschedulable pod gets the condition ``PodScheduled=False``, reason
  ``Unschedulable``, with the message of the filters, through
  ``pods/<name>/status`` (``updatePod`` in ``handleSchedulingFailure``),
  written only when it changes.

``APIScheduler.step`` is one round (read what the informers saw, flush the
queue's timers, schedule every active pod): the project's tests drive it on
the in-process client with a fake clock; ``SchedulerThread`` runs rounds on
the wall clock against a real API server for the suite's ``scheduler-api``
contract (conformance/adapters/scheduler.py).

Requirement IDs: none defined here (SCHED-* through the API, see
conformance/scheduler/test_through_api.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from impl.apiclient import APIClient, Informer, object_key
from impl.scheduler.core import ReferenceScheduler
from impl.scheduler.loop import DEFAULT_SCHEDULER_NAME, BindFailureMode, CycleResult, SchedulingLoop
from spec.objects import from_dict
from spec.objects.core import Node, Pod
from spec.scheduling.framework import UNSCHEDULABLE_REASON


@dataclass
class APIBinder:
    """``DefaultBinder``: a Binding posted to the pod's binding subresource."""

    client: APIClient

    def bind(self, pod: Pod, node_name: str) -> str | None:
        namespace, name = pod.metadata.namespace, pod.metadata.name
        binding = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": name, "namespace": namespace, "uid": pod.metadata.uid},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node_name},
        }
        status, body = self.client.call(
            "POST", f"/api/v1/namespaces/{namespace}/pods/{name}/binding", binding
        )
        if status < 300:
            return None
        return f"{status}: {body.get('message') if isinstance(body, dict) else body}"

    def preempt(self, pod: Pod, node_name: str, victims: tuple[str, ...]) -> None:
        """``prepareCandidate``: delete the victims, then record ``status.nominatedNodeName``."""
        for victim in victims:
            namespace, name = victim.split("/", 1)
            self.client.call("DELETE", f"/api/v1/namespaces/{namespace}/pods/{name}")
        self.client.call(
            "PATCH",
            f"/api/v1/namespaces/{pod.metadata.namespace}/pods/{pod.metadata.name}/status",
            {"status": {"nominatedNodeName": node_name}},
            content_type="application/merge-patch+json",
        )


class APIScheduler:
    """The loop fed by informers and binding through ``client``; ``clock`` gives seconds."""

    def __init__(
        self,
        client: APIClient,
        algorithm: ReferenceScheduler,
        *,
        clock: Callable[[], float],
        on_bind_failure: BindFailureMode = "next-ranked",
        scheduler_name: str = DEFAULT_SCHEDULER_NAME,
    ) -> None:
        self.client = client
        self.clock = clock
        self.loop = SchedulingLoop(
            algorithm, APIBinder(client), on_bind_failure=on_bind_failure, scheduler_name=scheduler_name
        )
        self.nodes = Informer(client, "/api/v1/nodes")
        self.pods = Informer(client, "/api/v1/pods")
        #: Every cycle's result, in order (for tests and logs).
        self.results: list[CycleResult] = []
        self._conditions: dict[str, str] = {}  # pod key -> the Unschedulable message last written

    def start(self) -> None:
        self._feed_nodes(self.nodes.start())
        self._feed_pods(self.pods.start())

    def close(self) -> None:
        self.nodes.close()
        self.pods.close()

    def step(self, timeout_s: float = 0.0) -> int:
        """One round: events in, timers, then every active pod scheduled; how many cycles ran."""
        self._feed_nodes(self.nodes.poll(0.0))
        self._feed_pods(self.pods.poll(timeout_s))
        now = self.clock()
        self.loop.tick(now)
        cycles = 0
        while (result := self.loop.schedule_one(now)) is not None:
            cycles += 1
            self.results.append(result)
            if result.outcome == "unschedulable":
                self._mark_unschedulable(result)
        return cycles

    def _feed_nodes(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        now = self.clock()
        for kind, obj in events:
            if kind == "DELETED":
                self.loop.node_removed(obj["metadata"]["name"])
            else:
                self.loop.node_added_or_changed(cast(Node, from_dict(obj)), now)

    def _feed_pods(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        now = self.clock()
        for kind, obj in events:
            key = object_key(obj)
            phase = (obj.get("status") or {}).get("phase")
            pending = not (obj.get("spec") or {}).get("nodeName")
            if kind == "DELETED" or phase in ("Succeeded", "Failed"):
                self.loop.pod_removed(key, now)
                self._conditions.pop(key, None)
            elif pending and (obj.get("metadata") or {}).get("deletionTimestamp"):
                self.loop.pod_removed(key, now)  # upstream skips pods being deleted (skipPodSchedule)
            else:
                self.loop.pod_added_or_changed(cast(Pod, from_dict(obj)), now)

    def _mark_unschedulable(self, result: CycleResult) -> None:
        if self._conditions.get(result.pod) == result.message:
            return
        namespace, name = result.pod.split("/", 1)
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "reason": UNSCHEDULABLE_REASON,
            "message": result.message,
        }
        status, _ = self.client.call(
            "PATCH",
            f"/api/v1/namespaces/{namespace}/pods/{name}/status",
            {"status": {"conditions": [condition]}},
            content_type="application/strategic-merge-patch+json",
        )
        if status < 300:
            self._conditions[result.pod] = result.message


def server_url(kubeconfig: Path) -> str:
    """The server of the kubeconfig's current context (JSON or YAML)."""
    import yaml  # JSON is YAML

    config = yaml.safe_load(kubeconfig.read_text())
    context_name = config.get("current-context")
    contexts = {c["name"]: c["context"] for c in config.get("contexts") or ()}
    clusters = {c["name"]: c["cluster"] for c in config.get("clusters") or ()}
    if context_name not in contexts:
        raise ValueError(f"kubeconfig {kubeconfig}: no current context")
    return str(clusters[contexts[context_name]["cluster"]]["server"])


class SchedulerThread:
    """An ``APIScheduler`` on the wall clock in a background thread; ``stop`` ends it (bounded)."""

    def __init__(self, scheduler: APIScheduler, *, round_timeout_s: float = 0.05) -> None:
        self.scheduler = scheduler
        self._round_timeout_s = round_timeout_s
        self._stopped = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)

    def start(self) -> SchedulerThread:
        self.scheduler.start()
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while not self._stopped.is_set():
                self.scheduler.step(self._round_timeout_s)
        except BaseException as error:  # reported by stop()
            self._error = error

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stopped.set()
        self._thread.join(timeout_s)
        self.scheduler.close()
        if self._thread.is_alive():
            raise TimeoutError(f"the scheduler did not stop within {timeout_s} s")
        if self._error is not None:
            raise RuntimeError("the scheduler failed") from self._error


@contextmanager
def scheduling(
    kubeconfig: Path,
    algorithm: ReferenceScheduler,
    *,
    on_bind_failure: BindFailureMode = "next-ranked",
    scheduler_name: str = DEFAULT_SCHEDULER_NAME,
    driver_class: type[APIScheduler] | None = None,
) -> Iterator[APIScheduler]:
    """Run a scheduler against the API server of ``kubeconfig`` until the block ends."""
    from impl.kubeconfig import client as client_for  # the server, CA and credentials of the file

    client = client_for(kubeconfig)
    scheduler = (driver_class or APIScheduler)(
        client,
        algorithm,
        clock=time.monotonic,
        on_bind_failure=on_bind_failure,
        scheduler_name=scheduler_name,
    )
    thread = SchedulerThread(scheduler).start()
    try:
        yield scheduler
    finally:
        thread.stop()
