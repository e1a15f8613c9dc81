"""The reference Deployment controller: roll a Deployment's pods from old ReplicaSets to a new one.

What it does, as k/k ``pkg/controller/deployment`` (deployment_controller.go,
sync.go, rolling.go, recreate.go, util/deployment_util.go):

- Informers on Deployments, ReplicaSets and pods (impl/apiclient.py) fill
  its caches; their events put the Deployment's key on a work queue
  (impl/controllers/workqueue.py): a Deployment changed; a ReplicaSet it
  controls (or an orphan its selector matches) changed; a pod of such a
  ReplicaSet changed (the Recreate strategy waits for old pods to go).
- ``sync(key)``: the ReplicaSets it controls (controller ownerReference
  with its uid; orphans its selector matches are adopted by a patch,
  ``ClaimReplicaSets``); the new one is the one whose template equals the
  Deployment's but for the ``pod-template-hash`` label (``EqualIgnoreHash``),
  the others are old, oldest first. A missing new ReplicaSet is created
  (``getNewReplicaSet``) with 0 replicas, named ``<deployment>-<hash>``, the
  hash added to its selector and template labels (so to its pods),
  annotation ``deployment.kubernetes.io/revision`` = the old ones' largest
  + 1, and the Deployment as controlling owner. Upstream creates it with
  ``NewRSNewReplicas`` replicas at once; creating it at 0 and scaling it in
  the same sync by the spec's step gives the same number.
- RollingUpdate: the numbers are the spec's: a ``RolloutState`` built with
  ``spec.workloads.deployment.rollout_state`` from the cached objects,
  ``rollout_step`` on it, and every ReplicaSet whose ``spec.replicas``
  changed is written (a PUT of the cached object, so a stale cache meets a
  409 and the key is retried, as upstream's ``Update`` does). What Z3
  proves about ``rollout_step`` (invariants/) is what runs.
- Recreate (recreate.go): scale every old ReplicaSet to 0, wait until none
  of their pods runs (``oldPodsRunning``: terminating pods count), then
  scale the new one to ``replicas``.
- ``spec.paused``: no rollout; the status is still written (upstream's
  ``sync`` also does proportional scaling then; not modelled).
- Status (``calculateStatus``): replicas, updatedReplicas, readyReplicas,
  availableReplicas (sums of the ReplicaSets' status), unavailableReplicas
  (``replicas - available``, not below 0), observedGeneration.
- A template changed back to an old ReplicaSet's (``kubectl rollout undo``,
  spec.workloads.deployment ``rollback_revision``) makes that ReplicaSet the
  new one again; its revision is raised to the old ones' largest + 1, the
  previous one kept in ``deployment.kubernetes.io/revision-history``
  (``SetNewReplicaSetAnnotations``), paused or not (DEPLOY-ROLLBACK).
- Conditions Available and Progressing and the progress deadline by the
  spec's ``rollout_conditions`` (``syncRolloutStatus``,
  ``checkPausedConditions``); a rollout under way is requeued for when its
  deadline would pass (DEPLOY-CONDITIONS, DEPLOY-PROGRESS-DEADLINE).
- ``revisionHistoryLimit`` (default 10): old ReplicaSets with 0 replicas
  and no pods beyond the limit are deleted, oldest first (``cleanupDeployment``).

The pod-template-hash: the first 10 characters (upstream's alphabet,
``rand.SafeEncodeString``) of the SHA-256 of the template as canonical JSON
(sorted keys). Upstream's ``ComputeHash`` is the FNV-32a of the Go struct
dumped with ``hashutil.DeepHashObject`` (plus collisionCount), so the names
differ from a real cluster's; what matters, that equal templates give the
same name and different ones (almost always) different names, holds.

Not modelled: proportional scaling when replicas change mid-rollout
(``sync``/``scale``; the rolling step handles it, more slowly),
minReadySeconds, the
hash collision count.

Every RollingUpdate sync's state and the state it wrote are recorded in
``syncs``, so tests compare them with ``rollout_step``.

Requirement IDs: none defined here; conformance/workloads holds it to DEPLOY-*.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from impl.apiclient import APIClient, Informer, object_key
from impl.controllers.replicaset import (
    PODS,
    REPLICASETS,
    controller_of,
    selector_of,
    write_status,
)
from impl.controllers.workqueue import SyncError, WorkQueue, process_queued
from impl.node.simkubelet import EPOCH, timestamp
from spec.objects.apps import Deployment, ReplicaSet
from spec.objects.registry import from_dict
from spec.selectors import label_selector_matches
from spec.workloads.deployment import (
    FOUND_NEW_RS,
    MIN_AVAILABLE,
    MIN_UNAVAILABLE,
    NEW_RS_AVAILABLE,
    NEW_RS_CREATED,
    PAUSED,
    PROGRESSING,
    RESUMED,
    RS_UPDATED,
    TIMED_OUT,
    Condition,
    RolloutState,
    StatusCounts,
    condition_of,
    resolve_fenceposts,
    rollout_conditions,
    rollout_state,
    rollout_step,
)

DEPLOYMENTS = "/apis/apps/v1/deployments"
HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
_SAFE = "bcdfghjklmnpqrstvwxz2456789"  # rand.SafeEncodeString's alphabet (no vowels, no 0/1/3)


@dataclass(frozen=True)
class RolloutRecord:
    """One RollingUpdate sync: the state it read and the state it wrote."""

    key: str
    read: RolloutState
    wrote: RolloutState


def template_hash(template: Mapping[str, Any]) -> str:
    """A stable hash of a pod template (without its pod-template-hash label), 10 safe characters."""
    digest = hashlib.sha256(json.dumps(_without_hash(template), sort_keys=True).encode()).digest()
    return "".join(_SAFE[b % len(_SAFE)] for b in digest[:10])


def _without_hash(template: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(template))
    labels = (out.get("metadata") or {}).get("labels")
    if labels is not None:
        labels.pop(HASH_LABEL, None)
        if not labels:
            out["metadata"].pop("labels")
    if "metadata" in out and not out["metadata"]:
        out.pop("metadata")
    return out


def _revision(rs: Mapping[str, Any]) -> int:
    try:
        return int(((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def _created(rs: Mapping[str, Any]) -> tuple[str, str]:
    metadata = rs.get("metadata") or {}
    return (metadata.get("creationTimestamp", ""), metadata.get("name", ""))


class DeploymentController:
    """One Deployment controller on ``client``; ``step(now)`` does what is due."""

    name = "deployment"

    def __init__(self, client: APIClient) -> None:
        self.client = client
        self.deployments = Informer(client, DEPLOYMENTS)
        self.replicasets = Informer(client, REPLICASETS)
        self.pods = Informer(client, PODS)
        self.queue = WorkQueue()
        self.syncs: list[RolloutRecord] = []

    # -- events ------------------------------------------------------------------------------

    def start(self, now: float) -> None:
        self._deployment_events(self.deployments.start())
        self._replicaset_events(self.replicasets.start())
        self._pod_events(self.pods.start())

    def close(self) -> None:
        self.deployments.close()
        self.replicasets.close()
        self.pods.close()

    def _deployment_events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for _, obj in events:
            self.queue.add(object_key(obj))

    def _replicaset_events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for _, rs in events:
            for key in self._deployments_of(rs):
                self.queue.add(key)

    def _deployments_of(self, rs: Mapping[str, Any]) -> list[str]:
        metadata = rs.get("metadata") or {}
        owner = controller_of(rs)
        if owner is not None:
            return (
                [f"{metadata.get('namespace')}/{owner.get('name')}"]
                if owner.get("kind") == "Deployment"
                else []
            )
        labels = metadata.get("labels") or {}
        return [
            key
            for key, d in self.deployments.cache.items()
            if d["metadata"].get("namespace") == metadata.get("namespace")
            and label_selector_matches(selector_of(d), labels)
        ]

    def _pod_events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for _, pod in events:
            owner = controller_of(pod)
            if owner is None or owner.get("kind") != "ReplicaSet":
                continue
            rs = self.replicasets.cache.get(f"{pod['metadata'].get('namespace')}/{owner.get('name')}")
            if rs is not None:
                for key in self._deployments_of(rs):
                    self.queue.add(key)

    # -- the loop ---------------------------------------------------------------------------------

    def step(self, now: float) -> int:
        """Read what the informers saw, then sync every queued Deployment once; how many syncs ran."""
        self._deployment_events(self.deployments.poll(0.0))
        self._replicaset_events(self.replicasets.poll(0.0))
        self._pod_events(self.pods.poll(0.0))
        return process_queued(self.queue, self.sync, now, SyncError)

    def sync(self, key: str, now: float) -> None:
        deployment = self.deployments.cache.get(key)
        if deployment is None or deployment["metadata"].get("deletionTimestamp"):
            return
        owned = self._claim(deployment)
        template = (deployment.get("spec") or {}).get("template") or {}
        wanted = _without_hash(template)
        matching = sorted((rs for rs in owned if _without_hash(_template(rs)) == wanted), key=_created)
        new = matching[0] if matching else None
        old = sorted((rs for rs in owned if rs is not new), key=_created)
        spec = deployment.get("spec") or {}
        created_new = False
        if new is not None:
            new = self._raise_revision(new, old)
        if not spec.get("paused"):
            if new is None:
                new = self._create_new(deployment, old)
                created_new = True
            if (spec.get("strategy") or {}).get("type", "RollingUpdate") == "Recreate":
                self._recreate(deployment, new, old)
            else:
                self._rolling(key, deployment, new, old)
        self._update_status(key, deployment, new, old, now, created_new)
        self._cleanup(deployment, old)

    def _claim(self, deployment: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The ReplicaSets it controls; orphans its selector matches are adopted (``ClaimReplicaSets``)."""
        metadata = deployment["metadata"]
        selector = selector_of(deployment)
        owned = []
        for rs in self.replicasets.cache.values():
            rs_meta = rs["metadata"]
            if rs_meta.get("namespace") != metadata.get("namespace"):
                continue
            owner = controller_of(rs)
            if owner is not None:
                if owner.get("uid") == metadata.get("uid"):
                    owned.append(rs)
                continue
            if rs_meta.get("deletionTimestamp") or not label_selector_matches(
                selector, rs_meta.get("labels") or {}
            ):
                continue
            patch = {"metadata": {"ownerReferences": [_owner_reference(deployment)], "uid": rs_meta["uid"]}}
            status, body = self.client.call(
                "PATCH",
                f"/apis/apps/v1/namespaces/{rs_meta['namespace']}/replicasets/{rs_meta['name']}",
                patch,
                content_type="application/strategic-merge-patch+json",
            )
            if status == 200:
                owned.append(body)
        return owned

    def _raise_revision(self, new: dict[str, Any], old: list[dict[str, Any]]) -> dict[str, Any]:
        """``getNewReplicaSet`` on an existing new ReplicaSet (a rollback, or a template changed back):
        its revision becomes the old ones' largest + 1 (``SetNewReplicaSetAnnotations``), the revision it
        had going to ``deployment.kubernetes.io/revision-history`` (DEPLOY-ROLLBACK)."""
        wanted = max((_revision(rs) for rs in old), default=0) + 1
        current = _revision(new)
        if current >= wanted:
            return new
        annotations = dict(new["metadata"].get("annotations") or {})
        history = [h for h in annotations.get(REVISION_HISTORY, "").split(",") if h]
        if current:
            history.append(str(current))
        patch: dict[str, Any] = {"metadata": {"annotations": {REVISION: str(wanted)}}}
        if history:
            patch["metadata"]["annotations"][REVISION_HISTORY] = ",".join(history)
        meta = new["metadata"]
        status, answer = self.client.call(
            "PATCH",
            f"/apis/apps/v1/namespaces/{meta['namespace']}/replicasets/{meta['name']}",
            patch,
            content_type="application/merge-patch+json",
        )
        if status != 200:
            raise SyncError(f"raise the revision of ReplicaSet {meta['name']}: {status} {answer}")
        return cast(dict[str, Any], answer)

    def _create_new(self, deployment: Mapping[str, Any], old: list[dict[str, Any]]) -> dict[str, Any]:
        metadata = deployment["metadata"]
        spec = deployment.get("spec") or {}
        template = copy.deepcopy(spec.get("template") or {})
        digest = template_hash(template)
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = digest
        selector = copy.deepcopy(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = digest
        body = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{metadata['name']}-{digest}",
                "namespace": metadata["namespace"],
                "labels": dict(template["metadata"]["labels"]),
                "annotations": {REVISION: str(max((_revision(rs) for rs in old), default=0) + 1)},
                "ownerReferences": [_owner_reference(deployment)],
            },
            "spec": {"replicas": 0, "selector": selector, "template": template},
        }
        status, answer = self.client.call(
            "POST", f"/apis/apps/v1/namespaces/{metadata['namespace']}/replicasets", body
        )
        if status == 201:
            return cast(dict[str, Any], answer)
        # 409: it exists (our cache is behind, or a hash collision); retry once the cache has it.
        raise SyncError(f"create ReplicaSet {body['metadata']['name']}: {status} {answer}")

    def _rolling(
        self, key: str, deployment: Mapping[str, Any], new: dict[str, Any], old: list[dict[str, Any]]
    ) -> None:
        typed_old = [cast(ReplicaSet, from_dict(rs)) for rs in old]
        state = rollout_state(
            cast(Deployment, from_dict(deployment)), cast(ReplicaSet, from_dict(new)), typed_old
        )
        after = rollout_step(state)
        self.syncs.append(RolloutRecord(key, state, after))
        for obj, before, now_rs in zip((*old, new), state.replica_sets, after.replica_sets, strict=True):
            if before.replicas != now_rs.replicas:
                self._scale(obj, now_rs.replicas)

    def _recreate(
        self, deployment: Mapping[str, Any], new: dict[str, Any], old: list[dict[str, Any]]
    ) -> None:
        """recreate.go: old ReplicaSets to 0, wait for their pods to go, then the new one up."""
        scaled_down = False
        for rs in old:
            if int((rs.get("spec") or {}).get("replicas", 1)) != 0:
                self._scale(rs, 0)
                scaled_down = True
        if scaled_down:
            return
        # ``oldPodsRunning``: an old ReplicaSet's status still counts pods, or a pod of one is in any
        # phase but Succeeded or Failed, terminating ones included (they may still be serving).
        old_uids = {rs["metadata"]["uid"] for rs in old}
        if any(int((rs.get("status") or {}).get("replicas", 0)) for rs in old) or any(
            (controller_of(pod) or {}).get("uid") in old_uids
            and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            for pod in self.pods.cache.values()
        ):
            return  # pod and ReplicaSet events requeue the Deployment
        replicas = int((deployment.get("spec") or {}).get("replicas", 1))
        if int((new.get("spec") or {}).get("replicas", 1)) != replicas:
            self._scale(new, replicas)

    def _scale(self, rs: Mapping[str, Any], replicas: int) -> None:
        metadata = rs["metadata"]
        body = copy.deepcopy(dict(rs))
        body["spec"]["replicas"] = replicas
        status, answer = self.client.call(
            "PUT", f"/apis/apps/v1/namespaces/{metadata['namespace']}/replicasets/{metadata['name']}", body
        )
        if status >= 300:
            raise SyncError(f"scale {metadata['name']} to {replicas}: {status} {answer}")

    def _update_status(
        self,
        key: str,
        deployment: Mapping[str, Any],
        new: Mapping[str, Any] | None,
        old: list[dict[str, Any]],
        now: float,
        created_new: bool,
    ) -> None:
        """``calculateStatus`` and ``syncRolloutStatus``: the counts, then the conditions by the spec's
        ``rollout_conditions`` (DEPLOY-CONDITIONS, DEPLOY-PROGRESS-DEADLINE); a rollout still under way is
        looked at again when its deadline would pass (``requeueStuckDeployment``)."""
        metadata = deployment["metadata"]
        spec = deployment.get("spec") or {}
        everything = [*old, *([new] if new is not None else [])]

        def total(field: str) -> int:
            return sum(int((rs.get("status") or {}).get(field, 0)) for rs in everything)

        available = total("availableReplicas")
        replicas = int(spec.get("replicas", 1))
        status: dict[str, Any] = {
            "observedGeneration": metadata.get("generation", 0),
            "replicas": total("replicas"),
            "updatedReplicas": int(((new or {}).get("status") or {}).get("replicas", 0)),
            "readyReplicas": total("readyReplicas"),
            "availableReplicas": available,
            "unavailableReplicas": max(replicas - available, 0),
        }
        current = deployment.get("status") or {}
        strategy = spec.get("strategy") or {}
        if strategy.get("type", "RollingUpdate") == "RollingUpdate" and replicas > 0:
            rolling = strategy.get("rollingUpdate") or {}
            _, unavailable = resolve_fenceposts(
                rolling.get("maxSurge", "25%"), rolling.get("maxUnavailable", "25%"), replicas
            )
            unavailable = min(unavailable, replicas)
        else:
            unavailable = 0  # ``MaxUnavailable``: 0 for Recreate
        deadline = self._progress_deadline(spec)
        after = _counts(status)
        complete = (
            after.updated == replicas
            and after.replicas == replicas
            and after.available == replicas
            and status["observedGeneration"] >= metadata.get("generation", 0)
        )
        conditions = rollout_conditions(
            [_condition(c) for c in current.get("conditions") or ()],
            before=_counts(current),
            after=after,
            min_available=replicas - unavailable,
            complete=complete,
            paused=bool(spec.get("paused")),
            deadline_s=deadline,
            created_new=created_new,
            now=now,
        )
        status["conditions"] = [
            _condition_json(c, (new or {}).get("metadata", {}).get("name", "")) for c in conditions
        ]
        path = f"/apis/apps/v1/namespaces/{metadata['namespace']}/deployments/{metadata['name']}"
        write_status(self.client, path, current, status)
        progressing = condition_of(conditions, PROGRESSING)
        if (
            deadline is not None
            and not spec.get("paused")
            and progressing is not None
            and progressing.reason not in (NEW_RS_AVAILABLE, TIMED_OUT)
        ):
            self.queue.add_after(key, max(progressing.last_update + deadline - now, 0.0) + 1.0, now)

    def _progress_deadline(self, spec: Mapping[str, Any]) -> int | None:
        """spec.progressDeadlineSeconds (the API defaults it to 600; None: no deadline)."""
        deadline = spec.get("progressDeadlineSeconds", 600)
        return None if deadline is None else int(deadline)

    def _cleanup(self, deployment: Mapping[str, Any], old: list[dict[str, Any]]) -> None:
        """``cleanupDeployment``: delete old ReplicaSets at 0 beyond revisionHistoryLimit, oldest first."""
        limit = (deployment.get("spec") or {}).get("revisionHistoryLimit")
        limit = 10 if limit is None else int(limit)
        idle = [
            rs
            for rs in old
            if int((rs.get("spec") or {}).get("replicas", 1)) == 0
            and int((rs.get("status") or {}).get("replicas", 0)) == 0
            and not rs["metadata"].get("deletionTimestamp")
        ]
        for rs in idle[: max(len(idle) - limit, 0)]:
            metadata = rs["metadata"]
            self.client.call(
                "DELETE", f"/apis/apps/v1/namespaces/{metadata['namespace']}/replicasets/{metadata['name']}"
            )


def _template(rs: Mapping[str, Any]) -> dict[str, Any]:
    return dict((rs.get("spec") or {}).get("template") or {})


def _owner_reference(deployment: Mapping[str, Any]) -> dict[str, Any]:
    metadata = deployment["metadata"]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": metadata["name"],
        "uid": metadata["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


_MESSAGES = {
    NEW_RS_CREATED: 'Created new replica set "{rs}"',
    FOUND_NEW_RS: 'Found new replica set "{rs}"',
    RS_UPDATED: 'ReplicaSet "{rs}" is progressing.',
    NEW_RS_AVAILABLE: 'ReplicaSet "{rs}" has successfully progressed.',
    TIMED_OUT: 'ReplicaSet "{rs}" has timed out progressing.',
    PAUSED: "Deployment is paused",
    RESUMED: "Deployment is resumed",
    MIN_AVAILABLE: "Deployment has minimum availability.",
    MIN_UNAVAILABLE: "Deployment does not have minimum availability.",
}


def _counts(status: Mapping[str, Any]) -> StatusCounts:
    return StatusCounts(
        replicas=int(status.get("replicas", 0)),
        updated=int(status.get("updatedReplicas", 0)),
        ready=int(status.get("readyReplicas", 0)),
        available=int(status.get("availableReplicas", 0)),
    )


def _seconds(stamp: str) -> float:
    parsed = datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=EPOCH.tzinfo)
    return (parsed - EPOCH).total_seconds()


def _condition(obj: Mapping[str, Any]) -> Condition:
    return Condition(
        type=str(obj.get("type", "")),
        status=str(obj.get("status", "")),
        reason=str(obj.get("reason", "")),
        last_update=_seconds(str(obj.get("lastUpdateTime") or "1970-01-01T00:00:00")),
        last_transition=_seconds(str(obj.get("lastTransitionTime") or "1970-01-01T00:00:00")),
    )


def _condition_json(condition: Condition, new_rs: str) -> dict[str, Any]:
    return {
        "type": condition.type,
        "status": condition.status,
        "reason": condition.reason,
        "message": _MESSAGES.get(condition.reason, "").format(rs=new_rs),
        "lastUpdateTime": timestamp(condition.last_update),
        "lastTransitionTime": timestamp(condition.last_transition),
    }
