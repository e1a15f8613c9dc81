"""The reference ReplicaSet controller: watch ReplicaSets and pods, keep spec.replicas active pods.

What it does, as k/k ``pkg/controller/replicaset/replica_set.go``:

- Informers on ReplicaSets and pods (impl/apiclient.py) fill its caches;
  their events put the owner's key on a de-duplicating work queue
  (impl/controllers/workqueue.py): a ReplicaSet added, changed or deleted;
  a pod added, changed or deleted under a ReplicaSet that controls it; an
  orphan pod whose labels a ReplicaSet selects (to adopt it).
- ``sync(key)``: the pods it controls (ownerReferences with controller
  true and its uid; orphans its selector matches are adopted by a patch),
  the active ones among them (not being deleted, not Succeeded or Failed);
  then, only if its expectations are satisfied
  (impl/controllers/expectations.py), ``manageReplicas``:
  - too few: create ``min(diff, burstReplicas)`` pods from the template
    (``generateName: <rs>-``, the ReplicaSet as controlling owner) in slow
    start batches of 1, 2, 4, ..., stopping after a batch with a failure,
    the counts of spec/workloads/replicaset.py (``BURST_REPLICAS``,
    ``SLOW_START_INITIAL_BATCH_SIZE``), and the creations not made are
    observed at once so the expectations can be met;
  - too many: delete ``min(diff, burstReplicas)`` pods, the first of
    upstream's ranking (``getPodsToDelete``: unassigned before assigned;
    Pending, then Unknown, then Running; not ready before ready; lower
    ``controller.kubernetes.io/pod-deletion-cost``; more restarts; newer).
    The ranks upstream adds on top (pods of the same owner on the node,
    readiness time) are left out;
  - then the status: replicas, fullyLabeledReplicas, readyReplicas,
    availableReplicas (ready; minReadySeconds is not modelled),
    observedGeneration.
- Every sync's creation batches and deletions are recorded in ``syncs``, so
  the tests compare them with the spec's ``manage_replicas``.

``expectations=False`` makes the test-only variant that acts on whatever its
cache says (the double-creation bug under a lagging cache).

Requirement IDs: none defined here; conformance/workloads holds it to
REPLICASET-*.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from impl.apiclient import APIClient, Informer, object_key
from impl.controllers.expectations import Expectations
from impl.controllers.workqueue import SyncError, WorkQueue, process_queued
from spec.selectors import LabelSelector, LabelSelectorRequirement, label_selector_matches
from spec.workloads.replicaset import BURST_REPLICAS, SLOW_START_INITIAL_BATCH_SIZE

REPLICASETS = "/apis/apps/v1/replicasets"
PODS = "/api/v1/pods"
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


@dataclass(frozen=True)
class SyncRecord:
    """What one manageReplicas did: the creation batches attempted, creations made, deletions made."""

    key: str
    replicas: int
    active: int
    batches: tuple[int, ...] = ()
    created: int = 0
    deleted: int = 0


def controller_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ownerReference with controller true, if any."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return ref  # type: ignore[no-any-return]
    return None


def is_active(pod: Mapping[str, Any]) -> bool:
    """``FilterActivePods``: not being deleted, not Succeeded or Failed."""
    return not (pod.get("metadata") or {}).get("deletionTimestamp") and (pod.get("status") or {}).get(
        "phase"
    ) not in ("Succeeded", "Failed")


def is_ready(pod: Mapping[str, Any]) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or ()
    )


def write_status(client: APIClient, path: str, current: Mapping[str, Any], status: dict[str, Any]) -> None:
    """Merge-patch ``status`` into the status subresource of the object at ``path`` unless its
    ``current`` status already says so (a field the API server left out reads as 0); a 404 means the
    object is gone, any other failure is retried (SyncError)."""
    if all(current.get(field, 0) == value for field, value in status.items()):
        return
    code, body = client.call(
        "PATCH", f"{path}/status", {"status": status}, content_type="application/merge-patch+json"
    )
    if code >= 300 and code != 404:
        raise SyncError(f"status of {path}: {code} {body}")


def selector_of(owner: Mapping[str, Any]) -> LabelSelector:
    """``spec.selector`` of a ReplicaSet or Deployment (JSON) as the spec's structured selector."""
    raw = (owner.get("spec") or {}).get("selector") or {}
    return LabelSelector(
        dict(raw.get("matchLabels") or {}),
        tuple(
            LabelSelectorRequirement(e["key"], e["operator"], tuple(e.get("values") or ()))
            for e in raw.get("matchExpressions") or ()
        ),
    )


def pods_to_delete(pods: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """The first ``count`` pods of upstream's ``ActivePods`` order (the ranks modelled), deleted first."""

    def rank(pod: Mapping[str, Any]) -> tuple[bool, int, bool, int, int]:
        metadata, status = pod.get("metadata") or {}, pod.get("status") or {}
        try:
            cost = int((metadata.get("annotations") or {}).get(DELETION_COST, "0"))
        except ValueError:
            cost = 0
        restarts = sum(c.get("restartCount", 0) for c in status.get("containerStatuses") or ())
        return (
            bool((pod.get("spec") or {}).get("nodeName")),
            _PHASE_RANK.get(status.get("phase", "Pending"), 0),
            is_ready(pod),
            cost,
            -restarts,
        )

    # Stable sorts, last key first: by name, then newer first, then the ranks.
    ordered = sorted(pods, key=lambda pod: pod["metadata"].get("name", ""))
    ordered.sort(key=lambda pod: pod["metadata"].get("creationTimestamp", ""), reverse=True)
    ordered.sort(key=rank)
    return ordered[:count]


class ReplicaSetController:
    """One ReplicaSet controller on ``client``; ``step(now)`` does what is due."""

    name = "replicaset"

    def __init__(
        self, client: APIClient, *, expectations: bool = True, burst_replicas: int = BURST_REPLICAS
    ) -> None:
        self.client = client
        self.use_expectations = expectations
        self.burst_replicas = burst_replicas
        self.replicasets = Informer(client, REPLICASETS)
        self.pods = Informer(client, PODS)
        self.queue = WorkQueue()
        self.expectations = Expectations()
        self.syncs: list[SyncRecord] = []

    # -- events ------------------------------------------------------------------------------

    def start(self, now: float) -> None:
        self._replicaset_events(self.replicasets.start())
        self._pod_events(self.pods.start())

    def close(self) -> None:
        self.replicasets.close()
        self.pods.close()

    def _replicaset_events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for kind, obj in events:
            key = object_key(obj)
            if kind == "DELETED":
                self.expectations.delete(key)
            self.queue.add(key)

    def _pod_events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for kind, pod in events:
            owner = controller_of(pod)
            namespace = (pod.get("metadata") or {}).get("namespace", "")
            if owner is None:
                if kind != "DELETED":
                    for key in self._selecting(pod):  # an orphan to adopt
                        self.queue.add(key)
                continue
            if owner.get("kind") != "ReplicaSet":
                continue
            key = f"{namespace}/{owner.get('name')}"
            if kind == "ADDED":
                self.expectations.creation_observed(key)
            elif kind == "DELETED" or (pod.get("metadata") or {}).get("deletionTimestamp"):
                # Upstream counts a deletion once the pod has a deletionTimestamp (updatePod).
                self.expectations.deletion_observed(key, object_key(pod))
            self.queue.add(key)

    def _selecting(self, pod: Mapping[str, Any]) -> list[str]:
        namespace = (pod.get("metadata") or {}).get("namespace")
        labels = (pod.get("metadata") or {}).get("labels") or {}
        return [
            key
            for key, rs in self.replicasets.cache.items()
            if rs["metadata"].get("namespace") == namespace
            and label_selector_matches(selector_of(rs), labels)
        ]

    # -- the loop ---------------------------------------------------------------------------------

    def step(self, now: float) -> int:
        """Read what the informers saw, then sync every queued ReplicaSet once; how many syncs ran."""
        self._replicaset_events(self.replicasets.poll(0.0))
        self._pod_events(self.pods.poll(0.0))
        return process_queued(self.queue, self.sync, now, SyncError)

    def sync(self, key: str, now: float) -> None:
        replicaset = self.replicasets.cache.get(key)
        if replicaset is None:
            self.expectations.delete(key)
            return
        owned = self._claim(replicaset)
        active = [pod for pod in owned if is_active(pod)]
        needs_sync = not self.use_expectations or self.expectations.satisfied(key, now)
        if needs_sync and not replicaset["metadata"].get("deletionTimestamp"):
            self._manage(key, replicaset, active, now)
        self._update_status(replicaset, owned, active)

    def _claim(self, replicaset: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The pods it controls; orphans its selector matches are adopted (``ClaimPods``)."""
        metadata = replicaset["metadata"]
        selector = selector_of(replicaset)
        owned = []
        for pod in self.pods.cache.values():
            pod_meta = pod["metadata"]
            if pod_meta.get("namespace") != metadata.get("namespace"):
                continue
            owner = controller_of(pod)
            if owner is not None:
                if owner.get("uid") == metadata.get("uid"):
                    owned.append(pod)
                continue
            if pod_meta.get("deletionTimestamp") or not label_selector_matches(
                selector, pod_meta.get("labels") or {}
            ):
                continue
            adopted = self._adopt(replicaset, pod)
            if adopted is not None:
                owned.append(adopted)
        return owned

    def _adopt(self, replicaset: Mapping[str, Any], pod: Mapping[str, Any]) -> dict[str, Any] | None:
        metadata = replicaset["metadata"]
        patch = {
            "metadata": {
                "ownerReferences": [_owner_reference(replicaset)],
                "uid": pod["metadata"]["uid"],  # adopt only this pod, not one re-created under its name
            }
        }
        status, body = self.client.call(
            "PATCH",
            f"/api/v1/namespaces/{metadata['namespace']}/pods/{pod['metadata']['name']}",
            patch,
            content_type="application/strategic-merge-patch+json",
        )
        return body if status == 200 else None

    def _manage(
        self, key: str, replicaset: Mapping[str, Any], active: list[dict[str, Any]], now: float
    ) -> None:
        replicas = int((replicaset.get("spec") or {}).get("replicas", 1))
        diff = len(active) - replicas
        if diff < 0:
            count = min(-diff, self.burst_replicas)
            self.expectations.expect(key, creations=count, now=now)
            batches, created = self._create_in_batches(key, replicaset, count)
            self.syncs.append(SyncRecord(key, replicas, len(active), batches=batches, created=created))
        elif diff > 0:
            victims = pods_to_delete(active, min(diff, self.burst_replicas))
            self.expectations.expect(key, deleting={object_key(pod) for pod in victims}, now=now)
            deleted = 0
            for pod in victims:
                metadata = pod["metadata"]
                path = f"/api/v1/namespaces/{metadata['namespace']}/pods/{metadata['name']}"
                if self.client.call("DELETE", path)[0] < 300:
                    deleted += 1
                else:
                    self.expectations.deletion_observed(key, object_key(pod))  # no event will come for it
            self.syncs.append(SyncRecord(key, replicas, len(active), deleted=deleted))

    def _create_in_batches(
        self, key: str, replicaset: Mapping[str, Any], count: int
    ) -> tuple[tuple[int, ...], int]:
        """``slowStartBatch`` with live calls: the batch sizes attempted and the creations made."""
        remaining, created, batches = count, 0, []
        batch = min(remaining, SLOW_START_INITIAL_BATCH_SIZE)
        while batch > 0:
            batches.append(batch)
            failures = sum(1 for _ in range(batch) if not self._create_pod(replicaset))
            created += batch - failures
            remaining -= batch
            if failures:
                # The creations it will not make, and the ones that failed, are observed now.
                for _ in range(failures + remaining):
                    self.expectations.creation_observed(key)
                break
            batch = min(2 * batch, remaining)
        return tuple(batches), created

    def _create_pod(self, replicaset: Mapping[str, Any]) -> bool:
        metadata = replicaset["metadata"]
        template = (replicaset.get("spec") or {}).get("template") or {}
        template_meta = template.get("metadata") or {}
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "generateName": f"{metadata['name']}-",
                "namespace": metadata["namespace"],
                "labels": dict(template_meta.get("labels") or {}),
                "annotations": dict(template_meta.get("annotations") or {}),
                "ownerReferences": [_owner_reference(replicaset)],
            },
            "spec": template.get("spec") or {},
        }
        status, _ = self.client.call("POST", f"/api/v1/namespaces/{metadata['namespace']}/pods", pod)
        return status == 201

    def _update_status(
        self, replicaset: Mapping[str, Any], owned: list[dict[str, Any]], active: list[dict[str, Any]]
    ) -> None:
        metadata = replicaset["metadata"]
        template_labels = ((replicaset.get("spec") or {}).get("template") or {}).get("metadata", {}).get(
            "labels"
        ) or {}
        ready = sum(1 for pod in active if is_ready(pod))
        status = {
            "replicas": len(active),
            "fullyLabeledReplicas": sum(
                1
                for pod in active
                if template_labels.items() <= ((pod["metadata"].get("labels") or {}).items())
            ),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "observedGeneration": metadata.get("generation", 0),
        }
        path = f"/apis/apps/v1/namespaces/{metadata['namespace']}/replicasets/{metadata['name']}"
        write_status(self.client, path, replicaset.get("status") or {}, status)


def _owner_reference(replicaset: Mapping[str, Any]) -> dict[str, Any]:
    metadata = replicaset["metadata"]
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": metadata["name"],
        "uid": metadata["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
