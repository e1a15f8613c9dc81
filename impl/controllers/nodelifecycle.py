"""The reference node lifecycle controller with its taint manager: node health from Leases, NoExecute taints,
and the eviction of pods that do not tolerate them long enough.

What it does, as k/k ``pkg/controller/nodelifecycle/node_lifecycle_controller.go`` and
``pkg/controller/tainteviction/taint_eviction.go``, through the step functions of
spec/workloads/nodelifecycle.py:

- Informers on Nodes, the Leases of ``kube-node-lease`` and Pods.
- Every ``NODE_MONITOR_PERIOD_S`` (``monitorNodeHealth``): per node, the
  time it last observed a health signal (a Lease ``renewTime`` newer than
  the one it saw, or a change of the Ready condition), kept in memory as
  upstream's ``nodeHealthMap`` (lost on a restart: the clock starts again,
  which only delays); ``ready_after_probe`` says when Ready becomes Unknown
  (``UpdateStatus`` with reason NodeStatusUnknown, the pressure conditions
  too); then the taints: ``noexecute_taints`` (master disruption mode when
  no node is Ready) and the NoSchedule taint of the same key; pods on a
  node that is not Ready are marked Ready=False (``MarkPodsNotReady``).
- Every step (the taint manager reacts to node and pod updates): for every
  pod on a node with NoExecute taints, ``eviction_delay``; the first time a
  pod is seen there its timer starts, and once the delay has passed since,
  the pod gets the ``DisruptionTarget`` condition (reason
  DeletionByTaintManager) and is deleted. A pod whose node lost its taints,
  or that tolerates them forever, has its timer cancelled.

The eviction rate limiter (0.1 node/s) and zones are left out (see the
spec). ``grace_period_s`` is a parameter so that tests can seed bugs.

Requirement IDs: those of spec/workloads/nodelifecycle.py, met through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from impl.apiclient import APIClient, Informer, object_key
from impl.node.simkubelet import timestamp
from spec.objects.core import Taint, Toleration
from spec.workloads.nodelifecycle import (
    NODE_LEASE_NAMESPACE,
    NODE_MONITOR_GRACE_PERIOD_S,
    NODE_MONITOR_PERIOD_S,
    TAINT_FOR_READY,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    eviction_delay,
    noexecute_taints,
    ready_after_probe,
)

NODES = "/api/v1/nodes"
PODS = "/api/v1/pods"
LEASES = f"/apis/coordination.k8s.io/v1/namespaces/{NODE_LEASE_NAMESPACE}/leases"
MANAGED_KEYS = (TAINT_UNREACHABLE, TAINT_NOT_READY)
_UNKNOWN_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")


def ready_status(node: Mapping[str, Any]) -> str:
    """The status of the node's Ready condition ("Unknown" when it has none)."""
    for condition in (node.get("status") or {}).get("conditions") or ():
        if condition.get("type") == "Ready":
            return str(condition.get("status", "Unknown"))
    return "Unknown"


def taints_of(node: Mapping[str, Any]) -> list[Taint]:
    return [
        Taint(key=t.get("key", ""), value=t.get("value", ""), effect=t.get("effect", ""))
        for t in (node.get("spec") or {}).get("taints") or ()
    ]


def tolerations_of(pod: Mapping[str, Any]) -> list[Toleration]:
    return [
        Toleration(
            key=t.get("key", ""),
            operator=t.get("operator", ""),
            value=t.get("value", ""),
            effect=t.get("effect", ""),
            toleration_seconds=t.get("tolerationSeconds"),
        )
        for t in (pod.get("spec") or {}).get("tolerations") or ()
    ]


class NodeLifecycleController:
    """One node lifecycle controller (with its taint manager) on ``client``; ``step(now)``."""

    name = "nodelifecycle"

    def __init__(
        self,
        client: APIClient,
        *,
        grace_period_s: float = NODE_MONITOR_GRACE_PERIOD_S,
        monitor_period_s: float = NODE_MONITOR_PERIOD_S,
    ) -> None:
        self.client = client
        self.grace_period_s = grace_period_s
        self.monitor_period_s = monitor_period_s
        self.nodes = Informer(client, NODES)
        self.leases = Informer(client, LEASES)
        self.pods = Informer(client, PODS)
        #: node name -> [probe time, last renewTime seen, last Ready status seen] (``nodeHealthMap``).
        self.health: dict[str, list[Any]] = {}
        #: pod uid -> when the taint manager first saw it on a node with NoExecute taints.
        self.timers: dict[str, float] = {}
        self.evicted: list[tuple[float, str]] = []
        self._last_monitor = -1e9
        self._tainted = False
        self._pods_listed = False

    def start(self, now: float) -> None:
        self.nodes.start()
        self.leases.start()
        self._pods_listed = False

    def close(self) -> None:
        self.nodes.close()
        self.leases.close()
        self.pods.close()

    def step(self, now: float) -> int:
        # Between monitor passes there is work only while some node has a NoExecute taint (the taint
        # manager's timers); otherwise the watches are read at the next pass (their events wait).
        monitor_due = now - self._last_monitor >= self.monitor_period_s
        if not monitor_due and not self._tainted:
            return 0
        self.nodes.poll(0.0)
        self.leases.poll(0.0)
        if self._pods_listed:
            self.pods.poll(0.0)
        writes = 0
        if monitor_due:
            self._last_monitor = now
            writes += self.monitor(now)
        return writes + self.evict(now)

    def _pod_list(self) -> list[dict[str, Any]]:
        """The pods, the pod informer started (listed) the first time they are needed: only once some
        node is not Ready, so that a healthy cluster does not pay for it on every restart."""
        if not self._pods_listed:
            self._pods_listed = True
            self.pods.start()
        return list(self.pods.cache.values())

    # -- monitorNodeHealth ---------------------------------------------------------------------

    def monitor(self, now: float) -> int:
        writes = 0
        readiness: dict[str, str] = {}
        for key, node in sorted(self.nodes.cache.items()):
            name = node["metadata"]["name"]
            observed = ready_status(node)
            lease = self.leases.cache.get(f"{NODE_LEASE_NAMESPACE}/{name}")
            renew = ((lease or {}).get("spec") or {}).get("renewTime") or ""
            health = self.health.get(name)
            if health is None:
                health = self.health[name] = [now, renew, observed]
            if observed != health[2]:
                health[0], health[2] = now, observed
            if renew and renew > health[1]:
                health[0], health[1] = now, renew
            ready = ready_after_probe(observed, health[0], now, self.grace_period_s)
            if ready != observed:
                updated = self._mark_unknown(node, now)
                if updated is not None:
                    writes += 1
                    health[2] = ready
                    self.nodes.cache[key] = node = updated
            readiness[name] = ready_status(node)
        all_not_ready = bool(readiness) and all(r != "True" for r in readiness.values())
        for key, node in sorted(self.nodes.cache.items()):
            ready = readiness.get(node["metadata"]["name"], ready_status(node))
            writes += self._taint(key, node, ready, all_not_ready, now)
            if ready != "True":
                writes += self._mark_pods_not_ready(node["metadata"]["name"])
        return writes

    def _mark_unknown(self, node: dict[str, Any], now: float) -> dict[str, Any] | None:
        conditions = []
        for condition in (node.get("status") or {}).get("conditions") or ():
            condition = dict(condition)
            if condition.get("type") in _UNKNOWN_CONDITIONS and condition.get("status") != "Unknown":
                condition.update(
                    status="Unknown",
                    reason="NodeStatusUnknown",
                    message="Kubelet stopped posting node status.",
                    lastTransitionTime=timestamp(now),
                )
            conditions.append(condition)
        body = {**node, "status": {**(node.get("status") or {}), "conditions": conditions}}
        status, answer = self.client.call("PUT", f"{NODES}/{node['metadata']['name']}/status", body)
        return answer if status == 200 else None  # a conflict: the next pass reads it again

    def _taint(self, key: str, node: dict[str, Any], ready: str, all_not_ready: bool, now: float) -> int:
        taints = (node.get("spec") or {}).get("taints") or []
        wanted = {(k, "NoExecute") for k in noexecute_taints(ready, all_not_ready)}
        if ready in TAINT_FOR_READY:  # doNoScheduleTaintingPass: not affected by disruption mode
            wanted.add((TAINT_FOR_READY[ready], "NoSchedule"))
        have = {(t.get("key"), t.get("effect")) for t in taints if t.get("key") in MANAGED_KEYS}
        if have == wanted:
            return 0
        kept = [t for t in taints if (t.get("key"), t.get("effect")) not in have - wanted]
        for taint_key, effect in sorted(wanted - have):
            taint = {"key": taint_key, "effect": effect}
            if effect == "NoExecute":
                taint["timeAdded"] = timestamp(now)
            kept.append(taint)
        body = {**node, "spec": {**(node.get("spec") or {}), "taints": kept}}
        status, answer = self.client.call("PUT", f"{NODES}/{node['metadata']['name']}", body)
        if status == 200:
            self.nodes.cache[key] = answer
            return 1
        return 0

    def _mark_pods_not_ready(self, node_name: str) -> int:
        writes = 0
        for pod in self._pod_list():
            if (pod.get("spec") or {}).get("nodeName") != node_name or pod["metadata"].get(
                "deletionTimestamp"
            ):
                continue
            conditions = (pod.get("status") or {}).get("conditions") or []
            if not any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
                continue
            changed = [{**c, "status": "False"} if c.get("type") == "Ready" else c for c in conditions]
            metadata = pod["metadata"]
            status, answer = self.client.call(
                "PATCH",
                f"/api/v1/namespaces/{metadata['namespace']}/pods/{metadata['name']}/status",
                {"status": {"conditions": changed}},
                content_type="application/merge-patch+json",
            )
            if status == 200:
                self.pods.cache[object_key(answer)] = answer
                writes += 1
        return writes

    # -- the taint manager -------------------------------------------------------------------------

    def _eviction_delay(self, pod: Mapping[str, Any], node: Mapping[str, Any]) -> float | None:
        return eviction_delay(tolerations_of(pod), taints_of(node))

    def evict(self, now: float) -> int:
        writes = 0
        live: set[str] = set()
        tainted = {
            name
            for name, node in self.nodes.cache.items()
            if any(t.get("effect") == "NoExecute" for t in (node.get("spec") or {}).get("taints") or ())
        }
        self._tainted = bool(tainted)
        for pod in self._pod_list() if tainted else []:
            metadata = pod["metadata"]
            node_name = (pod.get("spec") or {}).get("nodeName")
            if node_name not in tainted or metadata.get("deletionTimestamp"):
                continue
            node = self.nodes.cache.get(node_name)
            delay = None if node is None else self._eviction_delay(pod, node)
            uid = metadata.get("uid", "")
            if delay is None:
                continue
            live.add(uid)
            started = self.timers.setdefault(uid, now)
            if now < started + delay:
                continue
            path = f"/api/v1/namespaces/{metadata['namespace']}/pods/{metadata['name']}"
            condition = {
                "type": "DisruptionTarget",
                "status": "True",
                "reason": "DeletionByTaintManager",
                "message": "Taint manager: deleting due to NoExecute taint",
                "lastTransitionTime": timestamp(now),
            }
            conditions = [
                c
                for c in (pod.get("status") or {}).get("conditions") or ()
                if c.get("type") != "DisruptionTarget"
            ]
            self.client.call(
                "PATCH",
                f"{path}/status",
                {"status": {"conditions": [*conditions, condition]}},
                content_type="application/merge-patch+json",
            )
            status, _ = self.client.call("DELETE", path)
            if status < 300 or status == 404:
                self.evicted.append((now, object_key(pod)))
                live.discard(uid)
                writes += 1
        for uid in set(self.timers) - live:
            del self.timers[uid]
        return writes
