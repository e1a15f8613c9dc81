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
simulator. Container restarts, probes and exit codes are not modelled yet.

Requirement IDs: none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from impl.apiclient import APIClient, Informer

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


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
        if status.get("phase", "Pending") != "Pending":
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
            }
        }
        self.client.call(
            "PATCH", f"{path}/status", running, content_type="application/strategic-merge-patch+json"
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
