"""The reference StatefulSet controller: pods ``<set>-<ordinal>`` created, deleted and updated in order.

What it does, as k/k ``pkg/controller/statefulset`` (stateful_set.go,
stateful_set_control.go ``updateStatefulSet``, stateful_set_utils.go):

- Informers on StatefulSets, pods and PersistentVolumeClaims fill its
  caches; a StatefulSet event, or an event of a pod it controls, queues the
  set's key (impl/controllers/workqueue.py).
- ``sync(key)``: the pods it controls (controller ownerReference with its
  uid) are read by ordinal as the spec's ``PodState``s, the pods not at the
  update revision as ``stale``, and the calls to make are exactly
  ``spec.workloads.statefulset.sync_with_update`` on that (OrderedReady or
  Parallel; RollingUpdate with ``partition``, or OnDelete). What the tests
  prove about the step function is what runs.
- A pod is created with the name ``<set>-<ordinal>``, the labels
  ``statefulset.kubernetes.io/pod-name``, ``apps.kubernetes.io/pod-index``
  and ``controller-revision-hash``, hostname/subdomain, the set as
  controlling owner; before it, each of its claims
  ``<template>-<set>-<ordinal>`` from ``volumeClaimTemplates`` that does not
  exist is created, and mounted in the pod as a volume.
- persistentVolumeClaimRetentionPolicy (``updateClaimOwnerRefForSetAndPod``):
  whenDeleted Delete gives a claim an ownerReference to the set; whenScaled
  Delete gives the claim of an ordinal >= replicas an ownerReference to
  its pod (so the garbage collector removes it with the pod). Retain: none.
- Revisions: the update revision is ``<set>-<hash of the template>``; the
  current revision is kept in ``status.currentRevision`` and becomes the
  update revision when every replica is updated and ready
  (``completeRollingUpdate``). A pod below the partition is created from
  the current revision's template, which this controller remembers from
  the set while it was current (upstream keeps ControllerRevisions, which
  kspec's API server does not serve); after a restart it falls back to the
  update revision's template for such a pod.
- Status: replicas, readyReplicas, availableReplicas, currentReplicas,
  updatedReplicas, currentRevision, updateRevision, observedGeneration.

Not modelled: ControllerRevision objects and history, minReadySeconds,
maxUnavailable, ordinals.start, adoption of orphans, stale identity/storage
repair of existing pods, expectations.

Every sync's inputs and calls are recorded in ``syncs`` for the tests.

Requirement IDs: none defined here; the StatefulSet machine holds it to STATEFULSET-*.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from impl.apiclient import APIClient, Informer, object_key
from impl.controllers.deployment import template_hash
from impl.controllers.replicaset import PODS, controller_of, is_ready
from impl.controllers.workqueue import SyncError, WorkQueue, process_queued
from spec.workloads.statefulset import ORDERED_READY, Actions, PodState, sync_with_update

STATEFULSETS = "/apis/apps/v1/statefulsets"
PVCS = "/api/v1/persistentvolumeclaims"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
REVISION_LABEL = "controller-revision-hash"


@dataclass(frozen=True)
class StatefulSync:
    """One sync: what it read (replicas, pods by ordinal, stale ordinals, partition, policy) and did."""

    key: str
    replicas: int
    pods: Mapping[int, PodState]
    stale: frozenset[int]
    partition: int
    on_delete: bool
    policy: str
    actions: Actions


def ordinal_of(set_name: str, pod: Mapping[str, Any]) -> int | None:
    name = (pod.get("metadata") or {}).get("name", "")
    prefix, _, suffix = name.rpartition("-")
    if prefix != set_name or not suffix.isdigit():
        return None
    return int(suffix)


def pod_state(pod: Mapping[str, Any]) -> PodState:
    metadata, status = pod.get("metadata") or {}, pod.get("status") or {}
    if metadata.get("deletionTimestamp"):
        return PodState.TERMINATING
    phase = status.get("phase", "Pending")
    if phase in ("Failed", "Succeeded"):
        return PodState.FAILED
    if phase == "Running" and is_ready(pod):
        return PodState.READY
    return PodState.PENDING


def revision_of(statefulset: Mapping[str, Any]) -> str:
    template = (statefulset.get("spec") or {}).get("template") or {}
    return f"{statefulset['metadata']['name']}-{template_hash(template)}"


def claim_name(template: Mapping[str, Any], set_name: str, ordinal: int) -> str:
    return f"{template['metadata']['name']}-{set_name}-{ordinal}"


def claim_owner_references(
    statefulset: Mapping[str, Any], pod: Mapping[str, Any] | None, ordinal: int, replicas: int
) -> list[dict[str, Any]]:
    """The ownerReferences upstream's retention policy gives a claim (``updateClaimOwnerRefForSetAndPod``)."""
    policy = (statefulset.get("spec") or {}).get("persistentVolumeClaimRetentionPolicy") or {}
    refs = []
    if policy.get("whenDeleted") == "Delete":
        refs.append(_owner_reference(statefulset, controller=True))
    if policy.get("whenScaled") == "Delete" and ordinal >= replicas and pod is not None:
        meta = pod["metadata"]
        refs.append({"apiVersion": "v1", "kind": "Pod", "name": meta["name"], "uid": meta["uid"]})
    return refs


class StatefulSetController:
    """One StatefulSet controller on ``client``; ``step(now)`` does what is due."""

    name = "statefulset"

    def __init__(self, client: APIClient) -> None:
        self.client = client
        self.statefulsets = Informer(client, STATEFULSETS)
        self.pods = Informer(client, PODS)
        self.claims = Informer(client, PVCS)
        self.queue = WorkQueue()
        self.templates: dict[str, dict[str, Any]] = {}  # revision -> template, remembered
        self.syncs: list[StatefulSync] = []

    def start(self, now: float) -> None:
        self._set_events(self.statefulsets.start())
        self._pod_events(self.pods.start())
        self.claims.start()

    def close(self) -> None:
        self.statefulsets.close()
        self.pods.close()
        self.claims.close()

    def _set_events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for _, obj in events:
            self.queue.add(object_key(obj))

    def _pod_events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for _, pod in events:
            owner = controller_of(pod)
            if owner is not None and owner.get("kind") == "StatefulSet":
                self.queue.add(f"{pod['metadata'].get('namespace')}/{owner.get('name')}")

    def step(self, now: float) -> int:
        self._set_events(self.statefulsets.poll(0.0))
        self._pod_events(self.pods.poll(0.0))
        self.claims.poll(0.0)
        return process_queued(self.queue, self.sync, now, SyncError)

    # -- one sync ---------------------------------------------------------------------------------

    def sync(self, key: str, now: float) -> None:
        statefulset = self.statefulsets.cache.get(key)
        if statefulset is None:
            return
        metadata, spec = statefulset["metadata"], statefulset.get("spec") or {}
        name = metadata["name"]
        update_revision = revision_of(statefulset)
        self.templates.setdefault(update_revision, copy.deepcopy(spec.get("template") or {}))
        current_revision = (statefulset.get("status") or {}).get("currentRevision") or update_revision
        pods: dict[int, dict[str, Any]] = {}
        for pod in self.pods.cache.values():
            owner = controller_of(pod)
            if owner is None or owner.get("uid") != metadata.get("uid"):
                continue
            ordinal = ordinal_of(name, pod)
            if ordinal is not None:
                pods[ordinal] = pod
        replicas = int(spec.get("replicas", 1))
        strategy = spec.get("updateStrategy") or {}
        on_delete = strategy.get("type") == "OnDelete"
        partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
        policy = spec.get("podManagementPolicy") or ORDERED_READY
        states = {o: pod_state(p) for o, p in pods.items()}
        stale = frozenset(
            o
            for o, p in pods.items()
            if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) != update_revision
        )
        if not metadata.get("deletionTimestamp"):
            actions = sync_with_update(
                replicas, states, policy, stale=stale, partition=partition, on_delete=on_delete
            )
            self.syncs.append(
                StatefulSync(key, replicas, states, stale, partition, on_delete, policy, actions)
            )
            for ordinal in actions.creations:
                at_current = not on_delete and ordinal < partition and current_revision in self.templates
                revision = current_revision if at_current else update_revision
                self._create(statefulset, ordinal, revision, replicas)
            for ordinal in actions.deletions:
                self._delete(pods[ordinal])
            self._claim_owners(statefulset, pods, replicas)
        self._update_status(statefulset, pods, replicas, current_revision, update_revision)

    def _create(self, statefulset: Mapping[str, Any], ordinal: int, revision: str, replicas: int) -> None:
        metadata, spec = statefulset["metadata"], statefulset.get("spec") or {}
        namespace, set_name = metadata["namespace"], metadata["name"]
        template = self.templates[revision]
        volumes = list((template.get("spec") or {}).get("volumes") or ())
        for claim_template in spec.get("volumeClaimTemplates") or ():
            claim = claim_name(claim_template, set_name, ordinal)
            volumes = [v for v in volumes if v.get("name") != claim_template["metadata"]["name"]]
            volumes.append(
                {"name": claim_template["metadata"]["name"], "persistentVolumeClaim": {"claimName": claim}}
            )
            if f"{namespace}/{claim}" in self.claims.cache:
                continue
            body = {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {
                    "name": claim,
                    "namespace": namespace,
                    "labels": dict((spec.get("selector") or {}).get("matchLabels") or {}),
                    "ownerReferences": claim_owner_references(statefulset, None, ordinal, replicas),
                },
                "spec": copy.deepcopy(claim_template.get("spec") or {}),
            }
            status, answer = self.client.call(
                "POST", f"/api/v1/namespaces/{namespace}/persistentvolumeclaims", body
            )
            if status not in (201, 409):
                raise SyncError(f"claim {claim}: {status} {answer}")
        template_meta = template.get("metadata") or {}
        pod_name = f"{set_name}-{ordinal}"
        labels = dict(template_meta.get("labels") or {})
        labels.update({POD_NAME_LABEL: pod_name, POD_INDEX_LABEL: str(ordinal), REVISION_LABEL: revision})
        pod_spec = copy.deepcopy(template.get("spec") or {})
        pod_spec.update({"hostname": pod_name, "subdomain": spec.get("serviceName", "")})
        if volumes:
            pod_spec["volumes"] = volumes
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": pod_name,
                "namespace": namespace,
                "labels": labels,
                "annotations": dict(template_meta.get("annotations") or {}),
                "ownerReferences": [_owner_reference(statefulset, controller=True)],
            },
            "spec": pod_spec,
        }
        status, answer = self.client.call("POST", f"/api/v1/namespaces/{namespace}/pods", pod)
        if status not in (201, 409):
            raise SyncError(f"pod {pod_name}: {status} {answer}")

    def _delete(self, pod: Mapping[str, Any]) -> None:
        metadata = pod["metadata"]
        path = f"/api/v1/namespaces/{metadata['namespace']}/pods/{metadata['name']}"
        status, answer = self.client.call("DELETE", path, {"preconditions": {"uid": metadata["uid"]}})
        if status >= 300 and status not in (404, 409):
            raise SyncError(f"delete {metadata['name']}: {status} {answer}")

    def _claim_owners(
        self, statefulset: Mapping[str, Any], pods: dict[int, dict[str, Any]], replicas: int
    ) -> None:
        """Bring the claims' ownerReferences to what the retention policy says."""
        metadata, spec = statefulset["metadata"], statefulset.get("spec") or {}
        for claim_template in spec.get("volumeClaimTemplates") or ():
            for ordinal, pod in pods.items():
                claim = self.claims.cache.get(
                    f"{metadata['namespace']}/{claim_name(claim_template, metadata['name'], ordinal)}"
                )
                if claim is None:
                    continue
                wanted = claim_owner_references(statefulset, pod, ordinal, replicas)
                if (claim["metadata"].get("ownerReferences") or []) == wanted:
                    continue
                namespace, claim_name_ = metadata["namespace"], claim["metadata"]["name"]
                path = f"/api/v1/namespaces/{namespace}/persistentvolumeclaims/{claim_name_}"
                self.client.call(
                    "PATCH",
                    path,
                    {"metadata": {"ownerReferences": wanted}},
                    content_type="application/merge-patch+json",
                )

    def _update_status(
        self,
        statefulset: Mapping[str, Any],
        pods: dict[int, dict[str, Any]],
        replicas: int,
        current_revision: str,
        update_revision: str,
    ) -> None:
        metadata = statefulset["metadata"]
        existing = [p for p in pods.values() if pod_state(p) is not PodState.FAILED]
        ready = sum(1 for p in existing if pod_state(p) is PodState.READY)

        def at(revision: str) -> int:
            return sum(
                1 for p in existing if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == revision
            )

        updated = at(update_revision)
        current = at(current_revision)
        if updated == replicas and ready == replicas and len(existing) == replicas:
            current_revision, current = update_revision, updated  # completeRollingUpdate
        status = {
            "replicas": len(existing),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "currentReplicas": current,
            "updatedReplicas": updated,
            "currentRevision": current_revision,
            "updateRevision": update_revision,
            "observedGeneration": metadata.get("generation", 0),
        }
        old = statefulset.get("status") or {}
        if all(
            old.get(field, 0 if isinstance(value, int) else "") == value for field, value in status.items()
        ):
            return
        code, body = self.client.call(
            "PATCH",
            f"/apis/apps/v1/namespaces/{metadata['namespace']}/statefulsets/{metadata['name']}/status",
            {"status": status},
            content_type="application/merge-patch+json",
        )
        if code >= 300 and code != 404:
            raise SyncError(f"status of {metadata['name']}: {code} {body}")


def _owner_reference(statefulset: Mapping[str, Any], *, controller: bool) -> dict[str, Any]:
    metadata = statefulset["metadata"]
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "name": metadata["name"],
        "uid": metadata["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }
