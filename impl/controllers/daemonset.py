"""The reference DaemonSet controller: one daemon pod on every eligible node, rolled on template changes.

What it does, as k/k ``pkg/controller/daemon/daemon_controller.go`` and
``update.go``:

- Informers on DaemonSets, nodes and pods (impl/apiclient.py); a DaemonSet
  event queues it, a node event queues every DaemonSet (eligibility may
  have changed), a pod event queues the DaemonSet that controls it.
- ``sync(key)``: the pods it controls; each node's eligibility by the
  spec's ``node_should_run_daemon_pod`` (nodeName, nodeSelector and
  required node affinity, taints against the template's tolerations plus
  ``add_daemon_pod_tolerations``). Then, only when its expectations are
  satisfied (impl/controllers/expectations.py, as upstream):
  - ``manage`` is the spec's ``spec.workloads.daemonset.manage`` on what it
    read: the nodes to create a pod on and the pods to delete; creations
    go in the spec's slow-start batches and stop after a batch with a
    failure. A new pod is pinned to its node by required node affinity on
    ``metadata.name`` (matchFields, ``ReplaceDaemonSetPodNodeNameNodeAffinity``)
    and carries the automatic tolerations; the default scheduler binds it
    (``ScheduleDaemonSetPods``).
  - with ``updateStrategy.type`` RollingUpdate (the default), and only in
    a sync whose manage made no call (upstream checks the expectations
    again between the two), the spec's
    ``rolling_update_deletions`` picks the old-template pods to delete
    within maxUnavailable; when maxSurge is not 0 (``allows_surge``) the
    spec's ``rolling_update_surge`` instead picks the nodes to create a
    current pod on beside the old one (within maxSurge) and the old pods
    to delete (their current pod is available), and ``manage`` is the
    spec's with surge (two pods per node allowed). Both budgets come from
    ``updated_desired_node_counts``. OnDelete replaces nothing.
  - the status: desiredNumberScheduled, currentNumberScheduled,
    numberMisscheduled, numberReady, numberAvailable (Ready;
    minReadySeconds is not modelled), numberUnavailable,
    updatedNumberScheduled (the last three of each node's oldest pod, as
    ``updateDaemonSetStatus``), observedGeneration.
- The template's identity is a hash of the template kept in the pod label
  ``controller-revision-hash`` (upstream keeps ControllerRevisions and
  labels pods with their hash; no ControllerRevision objects are written
  here).
- Every manage is recorded in ``syncs`` (what it read and what it did), so
  tests compare it with the spec's step function.

Requirement IDs: none defined here; conformance/workloads/daemonset.py holds it to DAEMONSET-*.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from impl.apiclient import APIClient, Informer, object_key
from impl.controllers.expectations import Expectations
from impl.controllers.replicaset import controller_of, is_ready, write_status
from impl.controllers.workqueue import SyncError, WorkQueue, process_queued
from spec.objects import from_dict
from spec.objects.core import Node, Pod, PodSpec
from spec.workloads.daemonset import (
    BURST_REPLICAS,
    DaemonPod,
    DaemonSetSync,
    NodeEligibility,
    UpdatePod,
    add_daemon_pod_tolerations,
    allows_surge,
    manage,
    node_should_run_daemon_pod,
    rolling_update_deletions,
    rolling_update_surge,
    updated_desired_node_counts,
)
from spec.workloads.replicaset import SLOW_START_INITIAL_BATCH_SIZE

DAEMONSETS = "/apis/apps/v1/daemonsets"
NODES = "/api/v1/nodes"
PODS = "/api/v1/pods"
HASH_LABEL = "controller-revision-hash"


@dataclass(frozen=True)
class DaemonSyncRecord:
    """One manage: the eligibility and pods it read, the spec's answer's calls it made, whether the update
    allows surge, and the rolling update's deletions and (with surge) creations and the pods it read."""

    key: str
    nodes: tuple[NodeEligibility, ...]
    pods: tuple[DaemonPod, ...]
    done: DaemonSetSync
    update_deletions: tuple[str, ...] = ()
    surge: bool = False
    update_creations: tuple[str, ...] = ()
    #: What the surge step read (empty unless it ran).
    update_pods: tuple[UpdatePod, ...] = ()


def template_hash(daemonset: Mapping[str, Any]) -> str:
    template = (daemonset.get("spec") or {}).get("template") or {}
    return hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]


def pod_spec_of(template_spec: Mapping[str, Any]) -> PodSpec:
    pod = cast(Pod, from_dict({"apiVersion": "v1", "kind": "Pod", "metadata": {}, "spec": template_spec}))
    return pod.spec


def target_node(pod: Mapping[str, Any]) -> str:
    """``nodeName``, or the node the required node affinity pins it to (an unscheduled daemon pod)."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    for term in required.get("nodeSelectorTerms") or ():
        for field in term.get("matchFields") or ():
            if field.get("key") == "metadata.name" and field.get("operator") == "In" and field.get("values"):
                return str(field["values"][0])
    return ""


def is_available(pod: Mapping[str, Any]) -> bool:
    return (
        not (pod.get("metadata") or {}).get("deletionTimestamp")
        and (pod.get("status") or {}).get("phase") == "Running"
        and is_ready(pod)
    )


def pin_to_node(template_spec: Mapping[str, Any], node: str) -> dict[str, Any]:
    """``ReplaceDaemonSetPodNodeNameNodeAffinity``: required node affinity on exactly ``node``."""
    spec = dict(template_spec)
    affinity = dict(spec.get("affinity") or {})
    affinity["nodeAffinity"] = {
        **(affinity.get("nodeAffinity") or {}),
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
            ]
        },
    }
    spec["affinity"] = affinity
    return spec


class DaemonSetController:
    """One DaemonSet controller on ``client``; ``step(now)`` does what is due."""

    name = "daemonset"

    def __init__(self, client: APIClient, *, burst_replicas: int = BURST_REPLICAS) -> None:
        self.client = client
        self.burst_replicas = burst_replicas
        self.daemonsets = Informer(client, DAEMONSETS)
        self.nodes = Informer(client, NODES)
        self.pods = Informer(client, PODS)
        self.queue = WorkQueue()
        self.expectations = Expectations()
        self.syncs: list[DaemonSyncRecord] = []

    # -- events ------------------------------------------------------------------------------

    def start(self, now: float) -> None:
        self._daemonset_events(self.daemonsets.start())
        self.nodes.start()
        self._pod_events(self.pods.start())
        self._queue_all()

    def close(self) -> None:
        self.daemonsets.close()
        self.nodes.close()
        self.pods.close()

    def _queue_all(self) -> None:
        for key in self.daemonsets.cache:
            self.queue.add(key)

    def _daemonset_events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for kind, obj in events:
            key = object_key(obj)
            if kind == "DELETED":
                self.expectations.delete(key)
            self.queue.add(key)

    def _pod_events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for kind, pod in events:
            owner = controller_of(pod)
            if owner is None or owner.get("kind") != "DaemonSet":
                continue
            key = f"{(pod.get('metadata') or {}).get('namespace', '')}/{owner.get('name')}"
            if kind == "ADDED":
                self.expectations.creation_observed(key)
            elif kind == "DELETED" or (pod.get("metadata") or {}).get("deletionTimestamp"):
                self.expectations.deletion_observed(key, object_key(pod))
            self.queue.add(key)

    # -- the loop ---------------------------------------------------------------------------------

    def step(self, now: float) -> int:
        self._daemonset_events(self.daemonsets.poll(0.0))
        if self.nodes.poll(0.0):
            self._queue_all()
        self._pod_events(self.pods.poll(0.0))
        return process_queued(self.queue, self.sync, now, SyncError)

    def sync(self, key: str, now: float) -> None:
        daemonset = self.daemonsets.cache.get(key)
        if daemonset is None:
            self.expectations.delete(key)
            return
        owned = self._owned(daemonset)
        spec = pod_spec_of(((daemonset.get("spec") or {}).get("template") or {}).get("spec") or {})
        nodes = sorted(
            (cast(Node, from_dict(n)) for n in self.nodes.cache.values()), key=lambda n: n.metadata.name
        )
        eligibility = [NodeEligibility(n.metadata.name, *self.should_run(n, spec)) for n in nodes]
        if not daemonset["metadata"].get("deletionTimestamp") and self.expectations.satisfied(key, now):
            self._manage(key, daemonset, eligibility, owned, now)
        self._update_status(daemonset, eligibility, owned)

    def should_run(self, node: Node, spec: PodSpec) -> tuple[bool, bool]:
        return node_should_run_daemon_pod(node, spec)

    def _owned(self, daemonset: Mapping[str, Any]) -> list[dict[str, Any]]:
        metadata = daemonset["metadata"]
        return [
            pod
            for pod in self.pods.cache.values()
            if pod["metadata"].get("namespace") == metadata.get("namespace")
            and (controller_of(pod) or {}).get("uid") == metadata.get("uid")
        ]

    def _manage(
        self,
        key: str,
        daemonset: Mapping[str, Any],
        eligibility: list[NodeEligibility],
        owned: list[dict[str, Any]],
        now: float,
    ) -> None:
        ordered = sorted(
            owned, key=lambda p: (p["metadata"].get("creationTimestamp", ""), p["metadata"]["name"])
        )
        strategy = (daemonset.get("spec") or {}).get("updateStrategy") or {}
        surge = strategy.get("type", "RollingUpdate") == "RollingUpdate" and allows_surge(
            (strategy.get("rollingUpdate") or {}).get("maxSurge")
        )
        current = template_hash(daemonset)
        pods = tuple(
            DaemonPod(
                name=p["metadata"]["name"],
                node=target_node(p),
                phase=(p.get("status") or {}).get("phase", "Pending"),
                terminating=bool(p["metadata"].get("deletionTimestamp")),
                created=i,
                scheduled=bool((p.get("spec") or {}).get("nodeName")),
                updated=(p["metadata"].get("labels") or {}).get(HASH_LABEL) == current,
                available=is_available(p),
            )
            for i, p in enumerate(ordered)
        )
        wanted = manage(eligibility, pods, burst_replicas=self.burst_replicas, surge=surge)
        # syncDaemonSet runs rollingUpdate only when the expectations are still satisfied after manage, so
        # never in a sync whose manage made calls: the pods it creates count as unavailable next time.
        update_pods: tuple[UpdatePod, ...] = ()
        if wanted.creations or wanted.deletions:
            update = DaemonSetSync()
        elif surge:
            update = self._update_surge(daemonset, eligibility, owned)
            update_pods = tuple(self._update_pods(daemonset, owned))
        else:
            update = DaemonSetSync(
                deletions=tuple(self._update_deletions(daemonset, eligibility, owned, wanted))
            )
        by_name = {p["metadata"]["name"]: p for p in owned}
        deletions = [by_name[name] for name in dict.fromkeys(wanted.deletions + update.deletions)]
        creating = list(wanted.creations + update.creations)
        self.expectations.expect(
            key, creations=len(creating), deleting={object_key(p) for p in deletions}, now=now
        )
        created = self._create_in_batches(key, daemonset, creating)
        for pod in deletions:
            metadata = pod["metadata"]
            path = f"/api/v1/namespaces/{metadata['namespace']}/pods/{metadata['name']}"
            if self.client.call("DELETE", path)[0] >= 300:
                self.expectations.deletion_observed(key, object_key(pod))
        done = DaemonSetSync(tuple(n for n in created if n in wanted.creations), wanted.deletions)
        self.syncs.append(
            DaemonSyncRecord(
                key,
                tuple(eligibility),
                pods,
                done,
                update.deletions,
                surge,
                tuple(n for n in created if n in update.creations),
                update_pods,
            )
        )

    def _update_deletions(
        self,
        daemonset: Mapping[str, Any],
        eligibility: list[NodeEligibility],
        owned: list[dict[str, Any]],
        wanted: DaemonSetSync,
    ) -> list[str]:
        """``rollingUpdate``: the old-template pods to delete now (none with OnDelete)."""
        strategy = (daemonset.get("spec") or {}).get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") != "RollingUpdate":
            return []
        desired = sum(1 for n in eligibility if n.should_run)
        rolling = strategy.get("rollingUpdate") or {}
        _, max_unavailable = updated_desired_node_counts(
            rolling.get("maxSurge"), rolling.get("maxUnavailable"), desired
        )
        leaving = set(wanted.deletions)
        # Only nodes where a pod should run take part, as the spec's rolling_update_deletions says (a
        # stated departure from current upstream, which counts every node with pods): a pod a node may
        # merely keep (a NoSchedule taint came after it) must not hold the budget, least of all one that
        # can never be scheduled there now.
        should_run = {n.name for n in eligibility if n.should_run}
        return rolling_update_deletions(
            [
                p
                for p in self._update_pods(daemonset, owned)
                if p.node in should_run and p.name not in leaving
            ],
            max_unavailable,
        )

    def _update_surge(
        self, daemonset: Mapping[str, Any], eligibility: list[NodeEligibility], owned: list[dict[str, Any]]
    ) -> DaemonSetSync:
        """``rollingUpdate`` with surge: the nodes to create a current pod on and the old pods to delete."""
        rolling = ((daemonset.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {}
        should_run = [n.name for n in eligibility if n.should_run]
        max_surge, _ = updated_desired_node_counts(
            rolling.get("maxSurge"), rolling.get("maxUnavailable"), len(should_run)
        )
        return rolling_update_surge(
            self._update_pods(daemonset, owned), should_run, max_surge, len(should_run)
        )

    def _update_pods(self, daemonset: Mapping[str, Any], owned: list[dict[str, Any]]) -> list[UpdatePod]:
        """The pods as ``rollingUpdate`` sees them (``getNodesToDaemonPods``: terminal pods left out)."""
        current = template_hash(daemonset)
        return [
            UpdatePod(
                p["metadata"]["name"],
                target_node(p),
                (p["metadata"].get("labels") or {}).get(HASH_LABEL) == current,
                is_available(p),
                bool(p["metadata"].get("deletionTimestamp")),
            )
            for p in owned
            if (p.get("status") or {}).get("phase") not in ("Failed", "Succeeded")
        ]

    def _create_in_batches(self, key: str, daemonset: Mapping[str, Any], nodes: list[str]) -> list[str]:
        """``syncNodes``' slow start: batches of 1, 2, 4, ... stopping after one with a failure."""
        created: list[str] = []
        position, batch = 0, min(len(nodes), SLOW_START_INITIAL_BATCH_SIZE)
        while batch > 0:
            failures = 0
            for node in nodes[position : position + batch]:
                if self._create_pod(daemonset, node):
                    created.append(node)
                else:
                    failures += 1
            position += batch
            if failures:
                for _ in range(failures + len(nodes) - position):
                    self.expectations.creation_observed(key)
                break
            batch = min(2 * batch, len(nodes) - position)
        return created

    def _create_pod(self, daemonset: Mapping[str, Any], node: str) -> bool:
        metadata = daemonset["metadata"]
        template = (daemonset.get("spec") or {}).get("template") or {}
        template_meta = template.get("metadata") or {}
        spec = pin_to_node(template.get("spec") or {}, node)
        spec["tolerations"] = [
            _toleration_json(t) for t in add_daemon_pod_tolerations(pod_spec_of(template.get("spec") or {}))
        ]
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "generateName": f"{metadata['name']}-",
                "namespace": metadata["namespace"],
                "labels": {**(template_meta.get("labels") or {}), HASH_LABEL: template_hash(daemonset)},
                "annotations": dict(template_meta.get("annotations") or {}),
                "ownerReferences": [_owner_reference(daemonset)],
            },
            "spec": spec,
        }
        status, _ = self.client.call("POST", f"/api/v1/namespaces/{metadata['namespace']}/pods", pod)
        return status == 201

    def _update_status(
        self, daemonset: Mapping[str, Any], eligibility: list[NodeEligibility], owned: list[dict[str, Any]]
    ) -> None:
        metadata = daemonset["metadata"]
        current = template_hash(daemonset)
        should_run = {n.name for n in eligibility if n.should_run}
        scheduled: dict[str, list[dict[str, Any]]] = {}
        for pod in owned:
            node = (pod.get("spec") or {}).get("nodeName")
            if node and not pod["metadata"].get("deletionTimestamp"):
                scheduled.setdefault(node, []).append(pod)
        ready = updated = 0
        for node in should_run & scheduled.keys():
            # updateDaemonSetStatus looks at the node's oldest pod only: during a surge the node counts as
            # updated once its old pod is gone, and as ready while the old one is.
            pod = min(
                scheduled[node],
                key=lambda p: (p["metadata"].get("creationTimestamp", ""), p["metadata"]["name"]),
            )
            if is_available(pod):
                ready += 1
            if (pod["metadata"].get("labels") or {}).get(HASH_LABEL) == current:
                updated += 1
        status = {
            "desiredNumberScheduled": len(should_run),
            "currentNumberScheduled": len(should_run & scheduled.keys()),
            "numberMisscheduled": len(scheduled.keys() - should_run),
            "numberReady": ready,
            "numberAvailable": ready,
            "numberUnavailable": len(should_run) - ready,
            "updatedNumberScheduled": updated,
            "observedGeneration": metadata.get("generation", 0),
        }
        path = f"/apis/apps/v1/namespaces/{metadata['namespace']}/daemonsets/{metadata['name']}"
        write_status(self.client, path, daemonset.get("status") or {}, status)


def _toleration_json(t: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"key": t.key, "operator": t.operator or "Equal", "effect": t.effect}
    if t.value:
        out["value"] = t.value
    if t.toleration_seconds is not None:
        out["tolerationSeconds"] = t.toleration_seconds
    return out


def _owner_reference(daemonset: Mapping[str, Any]) -> dict[str, Any]:
    metadata = daemonset["metadata"]
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "name": metadata["name"],
        "uid": metadata["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
