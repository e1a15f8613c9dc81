"""The reference Job controller: watch Jobs and pods, run pods until completions succeed or the Job fails.

What it does, as k/k ``pkg/controller/job/job_controller.go`` (``syncJob``,
``manageJob``), reconciling with the step function of
spec/workloads/job.py (``sync_job``) on what it read, so what the spec
states is what runs:

- Informers on Jobs and pods; events put the Job's key on the work queue
  (a pod event under the Job that controls it).
- ``sync(key)``: the pods it controls (ownerReference controller with its
  uid), counted into a ``JobState``: active (not deleting, not finished),
  succeeded and failed (see "tracking" below), ``in_backoff`` from the
  failed-pod backoff. Then, before the spec's step:
  - ``spec.suspend``: every active pod is deleted, condition ``Suspended``
    True, nothing created (``startTime`` cleared as upstream does);
  - ``activeDeadlineSeconds`` passed since ``startTime``: active pods
    deleted, condition ``Failed`` reason ``DeadlineExceeded``;
  - a finished Job with ``ttlSecondsAfterFinished``: deleted (propagation
    Background) that long after its completion/failure time
    (``pkg/controller/ttlafterfinished``, folded in here).
  Otherwise ``sync_job`` (only once expectations are satisfied) says how
  many pods to create (slow-start batches) or delete, and which condition to
  set: ``Complete``, or ``Failed`` reason ``BackoffLimitExceeded``.
- Indexed Jobs (``completionMode: Indexed``): the same numbers with
  ``succeeded`` = the distinct indexes that succeeded (one success per
  index); the pods created take the lowest indexes neither succeeded nor
  active, carrying annotation and label
  ``batch.kubernetes.io/job-completion-index``; ``status.completedIndexes``
  is the compressed interval list ("0-2,4").
- Failed-pod backoff: 10 s doubling per failed pod, capped at 10 min
  (upstream ``DefaultJobPodFailureBackOff = 10s``,
  ``MaxJobPodFailureBackOff = 10 * time.Minute``), counted from the newest
  failure (the container's ``finishedAt``); the Job is queued again when
  it ends.
- Tracking: the ``batch.kubernetes.io/job-tracking`` finalizer is NOT
  modelled. Succeeded and failed pods are counted from the pods present,
  and ``status.succeeded``/``failed`` never go down (the max of the status
  and the count), so a finished pod removed later is not forgotten, but
  one removed before the controller saw it finished is not counted.
- Status: active, ready, succeeded, failed, completedIndexes, startTime,
  completionTime, conditions.

Every sync that reached the spec's step is recorded in ``syncs`` (the
state it read, what it did), for the test that compares it with
``sync_job``.

Requirement IDs: none defined here; conformance/workloads/job.py holds it
to JOB-*.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from impl.apiclient import APIClient, Informer, object_key
from impl.controllers.expectations import Expectations
from impl.controllers.replicaset import controller_of, is_active, is_ready
from impl.controllers.workqueue import SyncError, WorkQueue, process_queued
from impl.node.simkubelet import EPOCH, timestamp
from spec.workloads.job import (
    COMPLETE,
    FAILED,
    MAX_POD_CREATE_DELETE_PER_SYNC,
    JobState,
    JobSync,
    sync_job,
)
from spec.workloads.replicaset import SLOW_START_INITIAL_BATCH_SIZE

JOBS = "/apis/batch/v1/jobs"
PODS = "/api/v1/pods"
COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
#: ``DefaultJobPodFailureBackOff`` and ``MaxJobPodFailureBackOff`` (job_controller.go).
POD_FAILURE_BACKOFF_S = 10.0
MAX_POD_FAILURE_BACKOFF_S = 600.0


def pod_failure_backoff(failures: int) -> float:
    """The delay before a new pod after ``failures`` failed pods: 0, 10 s, 20 s, ... capped at 10 min."""
    if failures <= 0:
        return 0.0
    return min(POD_FAILURE_BACKOFF_S * 2.0 ** (failures - 1), MAX_POD_FAILURE_BACKOFF_S)


def seconds_of(stamp: str | None) -> float | None:
    """A timestamp of the simulated clock back to seconds since its epoch."""
    if not stamp:
        return None
    try:
        parsed = datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=EPOCH.tzinfo)
    except ValueError:
        return None
    return (parsed - EPOCH).total_seconds()


def completion_index(pod: Mapping[str, Any]) -> int | None:
    raw = ((pod.get("metadata") or {}).get("annotations") or {}).get(COMPLETION_INDEX)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def compress_indexes(indexes: set[int]) -> str:
    """``status.completedIndexes``: sorted intervals, "0-2,4"."""
    runs: list[list[int]] = []
    for index in sorted(indexes):
        if runs and runs[-1][1] == index - 1:
            runs[-1][1] = index
        else:
            runs.append([index, index])
    return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


def condition(job: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") == kind and c.get("status") == "True":
            return c  # type: ignore[no-any-return]
    return None


def finished(job: Mapping[str, Any]) -> str | None:
    for kind in (COMPLETE, FAILED):
        if condition(job, kind) is not None:
            return kind
    return None


@dataclass(frozen=True)
class JobSyncRecord:
    """One sync that reached the spec's step: what it read and what it did (creation failures by position)."""

    key: str
    state: JobState
    done: JobSync
    failed_creations: frozenset[int] = frozenset()
    failed_deletions: frozenset[int] = frozenset()


class JobController:
    """One Job controller on ``client``; ``step(now)`` does what is due."""

    name = "job"

    def __init__(self, client: APIClient) -> None:
        self.client = client
        self.jobs = Informer(client, JOBS)
        self.pods = Informer(client, PODS)
        self.queue = WorkQueue()
        self.expectations = Expectations()
        self.syncs: list[JobSyncRecord] = []
        #: Keys to sync again at a time (backoff over, deadline, TTL). Kept here rather than with the
        #: queue's ``add_after``: ``process_queued`` only takes what is queued when the round starts,
        #: so a key waiting in an otherwise empty queue would never come due.
        self._due: list[tuple[float, str]] = []

    def start(self, now: float) -> None:
        self._job_events(self.jobs.start())
        self._pod_events(self.pods.start())

    def close(self) -> None:
        self.jobs.close()
        self.pods.close()

    def _job_events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for kind, obj in events:
            key = object_key(obj)
            if kind == "DELETED":
                self.expectations.delete(key)
            self.queue.add(key)

    def _pod_events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for kind, pod in events:
            owner = controller_of(pod)
            if owner is None or owner.get("kind") != "Job":
                continue
            key = f"{(pod.get('metadata') or {}).get('namespace', '')}/{owner.get('name')}"
            if kind == "ADDED":
                self.expectations.creation_observed(key)
            elif kind == "DELETED" or (pod.get("metadata") or {}).get("deletionTimestamp"):
                self.expectations.deletion_observed(key, object_key(pod))
            self.queue.add(key)

    def step(self, now: float) -> int:
        self._job_events(self.jobs.poll(0.0))
        self._pod_events(self.pods.poll(0.0))
        for at, key in [item for item in self._due if item[0] <= now]:
            self._due.remove((at, key))
            self.queue.add(key)
        return process_queued(self.queue, self.sync, now, SyncError)

    # -- one sync ------------------------------------------------------------------------------------

    def sync(self, key: str, now: float) -> None:
        job = self.jobs.cache.get(key)
        if job is None:
            self.expectations.delete(key)
            return
        metadata, spec = job["metadata"], job.get("spec") or {}
        if metadata.get("deletionTimestamp"):
            return
        status = dict(job.get("status") or {})
        done = finished(job)
        if done is not None:
            self._ttl(key, job, now)
            return
        owned = [
            pod
            for pod in self.pods.cache.values()
            if pod["metadata"].get("namespace") == metadata.get("namespace")
            and (controller_of(pod) or {}).get("uid") == metadata.get("uid")
        ]
        active = [pod for pod in owned if is_active(pod)]
        indexed = spec.get("completionMode") == "Indexed"
        succeeded_pods = [p for p in owned if (p.get("status") or {}).get("phase") == "Succeeded"]
        failed_pods = [p for p in owned if (p.get("status") or {}).get("phase") == "Failed"]
        succeeded_indexes = {i for p in succeeded_pods if (i := completion_index(p)) is not None}
        succeeded = max(int(status.get("succeeded", 0)), len(succeeded_pods))
        failed = max(int(status.get("failed", 0)), len(failed_pods))
        parallelism = int(spec.get("parallelism", 1))
        completions = spec.get("completions")
        if spec.get("suspend"):
            self._delete_all(key, active, now)
            self._write_status(
                job,
                status,
                active=[],
                succeeded=succeeded,
                failed=failed,
                indexes=succeeded_indexes if indexed else None,
                now=now,
                suspended=True,
            )
            return
        start = seconds_of(status.get("startTime"))
        deadline = spec.get("activeDeadlineSeconds")
        if start is not None and deadline is not None and now - start >= float(deadline):
            self._delete_all(key, active, now)
            self._write_status(
                job,
                status,
                active=[],
                succeeded=succeeded,
                failed=failed,
                indexes=succeeded_indexes if indexed else None,
                now=now,
                finish=(FAILED, "DeadlineExceeded"),
            )
            return
        if start is not None and deadline is not None:
            self._later(key, start + float(deadline))
        newest_failure = max(
            (self._finished_at(p) for p in failed_pods), default=None, key=lambda t: -1e18 if t is None else t
        )
        delay = pod_failure_backoff(failed)
        in_backoff = newest_failure is not None and now < newest_failure + delay
        if in_backoff and newest_failure is not None:
            self._later(key, newest_failure + delay)
        state = JobState(
            parallelism=parallelism,
            completions=None if completions is None else int(completions),
            backoff_limit=int(spec.get("backoffLimit", 6)),
            active=len(active),
            succeeded=len(succeeded_indexes) if indexed else succeeded,
            failed=failed,
            in_backoff=in_backoff,
        )
        if not self.expectations.satisfied(key, now):
            self._write_status(
                job,
                status,
                active=active,
                succeeded=succeeded,
                failed=failed,
                indexes=succeeded_indexes if indexed else None,
                now=now,
            )
            return
        planned = self._plan(state)
        if planned.deletions_attempted:
            victims = self._victims(active, planned.deletions_attempted)
            deleted, failed_deletions = self._delete(key, victims, now)
            created, failed_creations = 0, frozenset[int]()
        else:
            deleted, failed_deletions = 0, frozenset[int]()
            created, failed_creations = self._create(
                key, job, planned.creations_attempted, active, succeeded_indexes, indexed, now
            )
        remaining = len(active) + created - deleted
        finish = None
        if planned.finished == FAILED and not failed_deletions:
            finish = (FAILED, "BackoffLimitExceeded")
        elif planned.finished == COMPLETE and remaining == 0:
            finish = (COMPLETE, "CompletionsReached")
        self.syncs.append(
            JobSyncRecord(
                key,
                state,
                JobSync(
                    creations_attempted=planned.creations_attempted
                    if not failed_creations
                    else _attempted(planned.creations_attempted, failed_creations),
                    created=created,
                    deletions_attempted=planned.deletions_attempted,
                    deleted=deleted,
                    finished=finish[0] if finish else None,
                ),
                failed_creations,
                failed_deletions,
            )
        )
        kept = [p for p in active if not self._deleted_now(p)] if deleted else active
        self._write_status(
            job,
            status,
            active=kept,
            succeeded=succeeded,
            failed=failed,
            indexes=succeeded_indexes if indexed else None,
            now=now,
            finish=finish,
            created=created,
        )

    def _later(self, key: str, at: float) -> None:
        if (at, key) not in self._due:
            self._due.append((at, key))

    def _plan(self, state: JobState) -> JobSync:
        """The spec's step on what the sync read (test-only variants override it)."""
        return sync_job(state)

    # -- helpers -------------------------------------------------------------------------------------

    def _deleted_now(self, pod: Mapping[str, Any]) -> bool:
        return object_key(pod) in self._just_deleted

    _just_deleted: frozenset[str] = frozenset()

    @staticmethod
    def _finished_at(pod: Mapping[str, Any]) -> float | None:
        for c in (pod.get("status") or {}).get("containerStatuses") or ():
            at = seconds_of(((c.get("state") or {}).get("terminated") or {}).get("finishedAt"))
            if at is not None:
                return at
        return None

    @staticmethod
    def _victims(active: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
        """Not-ready before ready, newer first (upstream sorts by ``ActivePods`` too)."""
        ordered = sorted(active, key=lambda p: p["metadata"].get("name", ""))
        ordered.sort(key=lambda p: p["metadata"].get("creationTimestamp", ""), reverse=True)
        ordered.sort(key=is_ready)
        return ordered[:count]

    def _delete_all(self, key: str, active: list[dict[str, Any]], now: float) -> None:
        for start in range(0, len(active), MAX_POD_CREATE_DELETE_PER_SYNC):
            self._delete(key, active[start : start + MAX_POD_CREATE_DELETE_PER_SYNC], now)

    def _delete(self, key: str, victims: list[dict[str, Any]], now: float) -> tuple[int, frozenset[int]]:
        self.expectations.expect(key, deleting={object_key(p) for p in victims}, now=now)
        deleted, failures = 0, set()
        just = set()
        for position, pod in enumerate(victims):
            metadata = pod["metadata"]
            path = f"/api/v1/namespaces/{metadata['namespace']}/pods/{metadata['name']}"
            if self.client.call("DELETE", path)[0] < 300:
                deleted += 1
                just.add(object_key(pod))
            else:
                failures.add(position)
                self.expectations.deletion_observed(key, object_key(pod))
        self._just_deleted = frozenset(just)
        return deleted, frozenset(failures)

    def _create(
        self,
        key: str,
        job: Mapping[str, Any],
        count: int,
        active: list[dict[str, Any]],
        succeeded_indexes: set[int],
        indexed: bool,
        now: float,
    ) -> tuple[int, frozenset[int]]:
        """``slowStartBatch`` with live calls: creations made, failed positions."""
        if count <= 0:
            return 0, frozenset()
        indexes: list[int | None] = [None] * count
        if indexed:
            taken = succeeded_indexes | {i for p in active if (i := completion_index(p)) is not None}
            completions = int((job.get("spec") or {}).get("completions") or 0)
            free = [i for i in range(completions) if i not in taken]
            indexes = list(free[:count])
            count = len(indexes)
        self.expectations.expect(key, creations=count, now=now)
        remaining, created, attempted, failures = count, 0, 0, set()
        batch = min(remaining, SLOW_START_INITIAL_BATCH_SIZE)
        while batch > 0:
            batch_failures = 0
            for _ in range(batch):
                if not self._create_pod(job, indexes[attempted]):
                    failures.add(attempted)
                    batch_failures += 1
                attempted += 1
            created += batch - batch_failures
            remaining -= batch
            if batch_failures:
                for _ in range(batch_failures + remaining):
                    self.expectations.creation_observed(key)
                break
            batch = min(2 * batch, remaining)
        return created, frozenset(failures)

    def _create_pod(self, job: Mapping[str, Any], index: int | None) -> bool:
        metadata = job["metadata"]
        template = (job.get("spec") or {}).get("template") or {}
        template_meta = template.get("metadata") or {}
        labels = dict(template_meta.get("labels") or {})
        labels.update(
            {
                "batch.kubernetes.io/controller-uid": metadata.get("uid", ""),
                "batch.kubernetes.io/job-name": metadata["name"],
            }
        )
        annotations = dict(template_meta.get("annotations") or {})
        name = f"{metadata['name']}-"
        if index is not None:
            labels[COMPLETION_INDEX] = str(index)
            annotations[COMPLETION_INDEX] = str(index)
            name = f"{metadata['name']}-{index}-"
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "generateName": name,
                "namespace": metadata["namespace"],
                "labels": labels,
                "annotations": annotations,
                "ownerReferences": [
                    {
                        "apiVersion": "batch/v1",
                        "kind": "Job",
                        "name": metadata["name"],
                        "uid": metadata.get("uid", ""),
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": template.get("spec") or {},
        }
        status, _ = self.client.call("POST", f"/api/v1/namespaces/{metadata['namespace']}/pods", pod)
        return status == 201

    def _ttl(self, key: str, job: Mapping[str, Any], now: float) -> None:
        ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
        if ttl is None:
            return
        status = job.get("status") or {}
        cond = condition(job, finished(job) or COMPLETE) or {}
        at = seconds_of(status.get("completionTime")) or seconds_of(cond.get("lastTransitionTime"))
        if at is None:
            return
        if now < at + float(ttl):
            self._later(key, at + float(ttl))
            return
        metadata = job["metadata"]
        self.client.call(
            "DELETE",
            f"{JOBS.replace('/jobs', '')}/namespaces/{metadata['namespace']}/jobs/{metadata['name']}",
            {"propagationPolicy": "Background"},
        )

    def _write_status(
        self,
        job: Mapping[str, Any],
        current: dict[str, Any],
        *,
        active: list[dict[str, Any]],
        succeeded: int,
        failed: int,
        indexes: set[int] | None,
        now: float,
        suspended: bool = False,
        finish: tuple[str, str] | None = None,
        created: int = 0,
    ) -> None:
        metadata = job["metadata"]
        status: dict[str, Any] = {
            "active": len(active) + created,
            "ready": sum(1 for p in active if is_ready(p)),
            "succeeded": succeeded,
            "failed": failed,
        }
        if indexes is not None:
            status["completedIndexes"] = compress_indexes(indexes)
        conditions = [dict(c) for c in current.get("conditions") or ()]
        conditions = [c for c in conditions if c.get("type") != "Suspended"]
        if suspended:
            conditions.append(
                {
                    "type": "Suspended",
                    "status": "True",
                    "reason": "JobSuspended",
                    "lastTransitionTime": timestamp(now),
                }
            )
            status["startTime"] = None
        elif not current.get("startTime"):
            status["startTime"] = timestamp(now)
        if finish is not None:
            conditions.append(
                {
                    "type": finish[0],
                    "status": "True",
                    "reason": finish[1],
                    "lastTransitionTime": timestamp(now),
                }
            )
            if finish[0] == COMPLETE:
                status["completionTime"] = timestamp(now)
        status["conditions"] = conditions
        if all(current.get(k) == v for k, v in status.items()) and not (
            status.get("startTime") is None and "startTime" not in current and suspended
        ):
            return
        if suspended and "startTime" not in current:
            status.pop("startTime")
        code, body = self.client.call(
            "PATCH",
            f"/apis/batch/v1/namespaces/{metadata['namespace']}/jobs/{metadata['name']}/status",
            {"status": status},
            content_type="application/merge-patch+json",
        )
        if code >= 300 and code != 404:
            raise SyncError(f"status of job {metadata['name']}: {code} {body}")


def _attempted(planned: int, failed: frozenset[int]) -> int:
    """Creations attempted when a batch failed: up to the end of the failed batch."""
    attempted, batch = 0, min(planned, SLOW_START_INITIAL_BATCH_SIZE)
    while batch > 0:
        attempted += batch
        if any(attempted - batch <= p < attempted for p in failed):
            break
        batch = min(2 * batch, planned - attempted)
    return attempted
