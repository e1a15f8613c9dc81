"""A simulated kubelet: enough of a node for controllers to be exercised realistically.

What it does (the parts of k/k ``pkg/kubelet`` the controllers observe):

- registers its Node (allocatable cpu, memory, pods; condition Ready) and
  renews a Lease ``kube-node-lease/<node>`` every ``lease_renew_s``
  (upstream: a 40 s lease renewed every 10 s);
- runs the pods bound to it: a pod seen Pending becomes Running with a pod
  IP, a start time and ``Ready=True`` (and ``ContainersReady``,
  ``Initialized``) once ``startup_s`` has passed since it first saw it;
- a pod being deleted (deletionTimestamp set) is stopped and its deletion
  confirmed (a delete with grace period 0) once its grace period is over,
  as the kubelet does after killing the containers;
- ``crash()`` stops everything above until ``recover()``: the node's Lease
  and status go stale, and its pods keep whatever status they had, as with
  a dead or partitioned machine.

It reads pods through an informer (impl/apiclient.py) and writes through
the same client, with the time given to ``step``: deterministic under the
simulator. Probes are not modelled.

Containers that finish (what the Job controller observes), deterministic
and given by the pod itself:

- annotation ``sim.kspec.io/run-seconds``: the container exits that many
  seconds after it (re)started; absent, it runs until deleted;
- annotation ``sim.kspec.io/exit-code``: its exit code (default 0);
- ``terminate(pod_key, exit_code)``: the suite makes the container of a
  running pod exit now with ``exit_code`` (a crash, or a finished task).

What follows an exit depends on ``spec.restartPolicy`` (default Always),
as upstream's kubelet (``pkg/kubelet/kuberuntime``, ``pkg/kubelet/status``):
``Never``, or ``OnFailure`` with exit code 0: the pod goes ``Succeeded``
(exit 0) or ``Failed`` (non-zero), its containerStatuses ``terminated``
with the exit code, and it stays so. Otherwise the container is restarted
in place: ``restartCount`` + 1, state ``waiting`` reason
``CrashLoopBackOff`` (pod not ready) for the crash-loop delay, 10 s
doubling up to 300 s (``pkg/kubelet/kubelet.go``: ``backOffPeriod``,
``MaxContainerBackOff``), then running again.

Requirement IDs: none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from impl.apiclient import APIClient, Informer

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

RUN_SECONDS = "sim.kspec.io/run-seconds"
EXIT_CODE = "sim.kspec.io/exit-code"
#: The kubelet's crash-loop backoff: ``backOffPeriod`` and ``MaxContainerBackOff`` (pkg/kubelet/kubelet.go).
CRASH_LOOP_INITIAL_S = 10.0
CRASH_LOOP_MAX_S = 300.0


def crash_loop_delay(restarts: int) -> float:
    """The wait before the ``restarts``-th restart (1-based): 10 s, 20 s, 40 s, ... capped at 300 s."""
    return min(CRASH_LOOP_INITIAL_S * 2.0 ** max(0, restarts - 1), CRASH_LOOP_MAX_S)


@dataclass
class _Container:
    """What the kubelet remembers of a pod's (single, simulated) container."""

    started: float
    restarts: int = 0
    waiting_until: float | None = None  # in CrashLoopBackOff until then


def timestamp(now: float) -> str:
    return (EPOCH + timedelta(seconds=now)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SimulatedKubelet:
    client: APIClient
    node_name: str
    cpu: str = "4"
    memory: str = "8Gi"
    pods: int = 110
    startup_s: float = 1.0
    lease_renew_s: float = 10.0
    pod_ip_prefix: str = "10.244.0."
    crashed: bool = False
    _seen: dict[str, float] = field(default_factory=dict)  # pod key -> when first seen pending
    _last_renewal: float = -1e9
    _ips: int = 0
    _informer: Informer | None = None
    _containers: dict[str, _Container] = field(default_factory=dict)
    _terminations: dict[str, int] = field(default_factory=dict)  # pod key -> exit code asked for

    def start(self, now: float) -> None:
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": self.node_name, "labels": {"kubernetes.io/hostname": self.node_name}},
            "status": {
                "allocatable": {"cpu": self.cpu, "memory": self.memory, "pods": str(self.pods)},
                "capacity": {"cpu": self.cpu, "memory": self.memory, "pods": str(self.pods)},
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
            },
        }
        status, body = self.client.call("POST", "/api/v1/nodes", node)
        if status not in (201, 409):
            raise RuntimeError(f"node {self.node_name} could not register: {status} {body}")
        self._informer = Informer(
            self.client, "/api/v1/pods", {"fieldSelector": f"spec.nodeName={self.node_name}"}
        )
        self._informer.start()
        self._renew(now)

    def crash(self) -> None:
        self.crashed = True

    def recover(self) -> None:
        self.crashed = False

    def terminate(self, pod_key: str, exit_code: int) -> None:
        """Make the container of running pod ``pod_key`` ("namespace/name") exit with ``exit_code``."""
        self._terminations[pod_key] = exit_code

    def step(self, now: float) -> None:
        if self.crashed or self._informer is None:
            return
        self._informer.poll(0.0)
        if now - self._last_renewal >= self.lease_renew_s:
            self._renew(now)
        for key, pod in list(self._informer.cache.items()):
            self._run(key, pod, now)

    def _run(self, key: str, pod: dict[str, Any], now: float) -> None:
        metadata, status = pod["metadata"], pod.get("status") or {}
        path = f"/api/v1/namespaces/{metadata['namespace']}/pods/{metadata['name']}"
        deleting = metadata.get("deletionTimestamp")
        if deleting:
            if deleting <= timestamp(now):
                self.client.call("DELETE", path, {"gracePeriodSeconds": 0})
            return
        phase = status.get("phase", "Pending")
        if phase == "Running" and key in self._containers:
            self._exit_or_restart(key, pod, path, now)
            return
        if phase != "Pending":
            return
        first = self._seen.setdefault(key, now)
        if now - first < self.startup_s:
            return
        self._ips += 1
        started = timestamp(now)
        conditions = [
            {"type": kind, "status": "True", "lastTransitionTime": started}
            for kind in ("Initialized", "ContainersReady", "Ready", "PodScheduled")
        ]
        running = {
            "status": {
                "phase": "Running",
                "podIP": f"{self.pod_ip_prefix}{self._ips}",
                "startTime": started,
                "conditions": conditions,
                "containerStatuses": self._statuses(pod, {"running": {"startedAt": started}}, 0, True),
            }
        }
        self.client.call(
            "PATCH", f"{path}/status", running, content_type="application/strategic-merge-patch+json"
        )
        self._containers[key] = _Container(started=now)

    @staticmethod
    def _statuses(pod: dict[str, Any], state: dict[str, Any], restarts: int, ready: bool) -> list[Any]:
        containers = (pod.get("spec") or {}).get("containers") or [{"name": "main"}]
        return [
            {"name": c.get("name", "main"), "state": state, "restartCount": restarts, "ready": ready}
            for c in containers
        ]

    def _exit_or_restart(self, key: str, pod: dict[str, Any], path: str, now: float) -> None:
        container = self._containers[key]
        if container.waiting_until is not None:
            if now < container.waiting_until:
                return
            container.waiting_until, container.started = None, now
            self._patch_status(path, pod, {"running": {"startedAt": timestamp(now)}}, container, True)
            return
        annotations = pod["metadata"].get("annotations") or {}
        exit_code = self._terminations.pop(key, None)
        if exit_code is None:
            try:
                run_s = float(annotations[RUN_SECONDS])
            except (KeyError, ValueError):
                return
            if now - container.started < run_s:
                return
            try:
                exit_code = int(annotations.get(EXIT_CODE, "0"))
            except ValueError:
                exit_code = 1
        policy = (pod.get("spec") or {}).get("restartPolicy", "Always")
        if policy == "Never" or (policy == "OnFailure" and exit_code == 0):
            terminated = {
                "terminated": {
                    "exitCode": exit_code,
                    "reason": "Completed" if exit_code == 0 else "Error",
                    "finishedAt": timestamp(now),
                }
            }
            phase = "Succeeded" if exit_code == 0 else "Failed"
            self._patch_status(path, pod, terminated, container, False, phase=phase)
            del self._containers[key]
            return
        container.restarts += 1
        container.waiting_until = now + crash_loop_delay(container.restarts)
        waiting = {"waiting": {"reason": "CrashLoopBackOff"}}
        self._patch_status(path, pod, waiting, container, False)

    def _patch_status(
        self,
        path: str,
        pod: dict[str, Any],
        state: dict[str, Any],
        container: _Container,
        ready: bool,
        phase: str | None = None,
    ) -> None:
        flag = "True" if ready else "False"
        status: dict[str, Any] = {
            "conditions": [
                {"type": kind, "status": "True" if kind in ("Initialized", "PodScheduled") else flag}
                for kind in ("Initialized", "ContainersReady", "Ready", "PodScheduled")
            ],
            "containerStatuses": self._statuses(pod, state, container.restarts, ready),
        }
        if phase is not None:
            status["phase"] = phase
        self.client.call(
            "PATCH",
            f"{path}/status",
            {"status": status},
            content_type="application/strategic-merge-patch+json",
        )

    def _renew(self, now: float) -> None:
        self._last_renewal = now
        lease = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self.node_name, "namespace": "kube-node-lease"},
            "spec": {
                "holderIdentity": self.node_name,
                "leaseDurationSeconds": 40,
                "renewTime": (EPOCH + timedelta(seconds=now)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            },
        }
        path = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{self.node_name}"
        status, current = self.client.call("GET", path)
        if status == 404:
            self.client.call("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease)
        elif status == 200:
            lease["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            self.client.call("PUT", path, lease)
