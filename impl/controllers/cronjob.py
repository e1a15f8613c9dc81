"""The reference CronJob controller: start Jobs when a CronJob's schedule says, keep its history short.

What it does, as k/k ``pkg/controller/cronjob/cronjob_controllerv2.go``:

- Informers on CronJobs and Jobs (impl/apiclient.py) fill its caches; a
  CronJob added or deleted, or changed other than in its schedule, queues
  its key now; a schedule or time zone change queues it for the next fire
  time of the new schedule (``updateCronJob``); a Job added, changed or
  deleted queues the CronJob that controls it.
- ``sync(key)``: the Jobs whose controlling ownerReference names the
  CronJob; an entry of ``status.active`` missing from the cache is looked
  up with a GET before it is dropped (a lagging Job watch must not empty
  the active list); an unfinished owned Job missing from ``status.active``
  makes it GET the CronJob, in case its cache is the stale one. Then the
  decision is the spec's ``sync_cronjob`` (spec/workloads/cronjob.py) and
  the controller carries it out: the history deletions, Replace's
  deletions, the Job's creation from ``spec.jobTemplate`` (name, the
  scheduled-timestamp annotation, the CronJob as controlling owner; an
  AlreadyExists Job it controls is taken as its own), one status update
  (``active``, ``lastScheduleTime``, ``lastSuccessfulTime``) by PUT with
  the resourceVersion it read, so a stale one conflicts and is retried,
  and the requeue at the next fire time (the work queue's ``add_after``).
- Every sync's decision and writes are recorded in ``syncs`` for the tests.

Time: ``now`` (seconds of the simulator's clock) is ``EPOCH + now`` as a
date, the API server's clock (impl/node/simkubelet.py).

Requirement IDs: none defined here; conformance/workloads/cronjob.py holds
it to CRONJOB-*.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from impl.apiclient import APIClient, Informer, object_key
from impl.controllers.replicaset import controller_of
from impl.controllers.workqueue import SyncError, WorkQueue, process_queued
from impl.node.simkubelet import EPOCH
from spec.workloads.cronjob import (
    SCHEDULED_TIMESTAMP,
    CronJobView,
    Decision,
    JobView,
    format_time,
    parse_schedule,
    requeue_after,
    sync_cronjob,
)

CRONJOBS = "/apis/batch/v1/cronjobs"
JOBS = "/apis/batch/v1/jobs"


@dataclass
class SyncRecord:
    """One sync: what the spec decided and what the controller wrote."""

    key: str
    now: datetime
    decision: Decision
    deleted: list[str] = field(default_factory=list)  # uids
    created: str | None = None


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def job_view(job: Mapping[str, Any]) -> JobView:
    status = job.get("status") or {}
    finished = next(
        (
            c["type"]
            for c in status.get("conditions") or ()
            if c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
        ),
        None,
    )
    return JobView(
        name=job["metadata"]["name"],
        uid=job["metadata"]["uid"],
        finished=finished,
        start_time=parse_time(status.get("startTime")),
        completion_time=parse_time(status.get("completionTime")),
    )


def cronjob_view(cronjob: Mapping[str, Any]) -> CronJobView:
    metadata, spec = cronjob["metadata"], cronjob.get("spec") or {}
    status = cronjob.get("status") or {}
    return CronJobView(
        name=metadata["name"],
        schedule=spec.get("schedule", ""),
        created=parse_time(metadata["creationTimestamp"]),  # type: ignore[arg-type]
        time_zone=spec.get("timeZone"),
        starting_deadline_seconds=spec.get("startingDeadlineSeconds"),
        concurrency_policy=spec.get("concurrencyPolicy") or "Allow",
        suspend=bool(spec.get("suspend")),
        deleting=bool(metadata.get("deletionTimestamp")),
        last_schedule_time=parse_time(status.get("lastScheduleTime")),
        last_successful_time=parse_time(status.get("lastSuccessfulTime")),
        active=tuple(ref.get("uid", "") for ref in status.get("active") or ()),
        successful_jobs_history_limit=spec.get("successfulJobsHistoryLimit"),
        failed_jobs_history_limit=spec.get("failedJobsHistoryLimit"),
    )


class CronJobController:
    """One CronJob controller on ``client``; ``step(now)`` does what is due."""

    name = "cronjob"

    def __init__(self, client: APIClient) -> None:
        self.client = client
        self.cronjobs = Informer(client, CRONJOBS)
        self.jobs = Informer(client, JOBS)
        self.queue = WorkQueue()
        #: key -> (schedule, timeZone) last seen, to tell a schedule change (updateCronJob).
        self.schedules: dict[str, tuple[str, str | None]] = {}
        self.syncs: list[SyncRecord] = []
        self.now = 0.0

    # -- events ------------------------------------------------------------------------------

    def start(self, now: float) -> None:
        self.now = now
        self._cronjob_events(self.cronjobs.start())
        self._job_events(self.jobs.start())

    def close(self) -> None:
        self.cronjobs.close()
        self.jobs.close()

    def _cronjob_events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for kind, obj in events:
            key = object_key(obj)
            spec = obj.get("spec") or {}
            schedule = (spec.get("schedule", ""), spec.get("timeZone"))
            before = self.schedules.get(key)
            if kind == "DELETED":
                self.schedules.pop(key, None)
                self.queue.add(key)
                continue
            self.schedules[key] = schedule
            if kind == "MODIFIED" and before is not None and before != schedule:
                parsed = parse_schedule(*schedule)
                if parsed is None:
                    continue  # upstream: an event, no sync until the spec changes again
                view = cronjob_view(obj)
                delay = requeue_after(*parsed, view, view.last_schedule_time, self._date(self.now))
                self.queue.add_after(key, delay, self.now)
                continue
            self.queue.add(key)

    def _job_events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for _, job in events:
            owner = controller_of(job)
            if owner is None or owner.get("kind") != "CronJob":
                continue
            key = f"{job['metadata'].get('namespace', '')}/{owner.get('name')}"
            cronjob = self.cronjobs.cache.get(key)
            if cronjob is not None and cronjob["metadata"].get("uid") == owner.get("uid"):
                self.queue.add(key)

    # -- the loop ---------------------------------------------------------------------------------

    def step(self, now: float) -> int:
        """Read what the informers saw, then sync every CronJob that is due once; how many syncs ran."""
        self.now = now
        self._cronjob_events(self.cronjobs.poll(0.0))
        self._job_events(self.jobs.poll(0.0))
        return process_queued(self.queue, self.sync, now, SyncError)

    @staticmethod
    def _date(now: float) -> datetime:
        return EPOCH + timedelta(seconds=now)

    def _owned(self, cronjob: Mapping[str, Any]) -> list[dict[str, Any]]:
        """``getJobsToBeReconciled``: the Jobs whose controlling owner has the CronJob's name."""
        metadata = cronjob["metadata"]
        return [
            job
            for job in self.jobs.cache.values()
            if job["metadata"].get("namespace") == metadata["namespace"]
            and (controller_of(job) or {}).get("name") == metadata["name"]
            and (controller_of(job) or {}).get("kind") == "CronJob"
        ]

    def sync(self, key: str, now: float) -> None:
        cronjob = self.cronjobs.cache.get(key)
        if cronjob is None:
            return
        date = self._date(now)
        owned = {job["metadata"]["uid"]: job for job in self._owned(cronjob)}
        view = self._view(cronjob)
        if any(uid not in view.active and job_view(job).finished is None for uid, job in owned.items()):
            # An unfinished Job not in status.active: our cache of the CronJob may be the stale one.
            code, fresh = self.client.call("GET", self._path(cronjob))
            if code == 200 and fresh["metadata"].get("uid") == cronjob["metadata"].get("uid"):
                cronjob, view = fresh, self._view(fresh)
        refs = {ref.get("uid"): ref for ref in (cronjob.get("status") or {}).get("active") or ()}
        for uid in view.active:
            if uid in owned:
                continue
            # Not in the cache: ask the API server before dropping it (a slow Job watch).
            ref = refs[uid]
            code, job = self.client.call("GET", f"{jobs_path(ref.get('namespace', ''))}/{ref.get('name')}")
            if code == 200 and job["metadata"].get("uid") == uid:
                owned[uid] = job
            elif code != 404 and code != 200:
                raise SyncError(f"GET job {ref.get('name')}: {code}")
        decision = sync_cronjob(view, [job_view(job) for job in owned.values()], date)
        record = SyncRecord(key, date, decision)
        self.syncs.append(record)
        for uid in decision.history_deletes:
            if self._delete(owned[uid]):
                record.deleted.append(uid)
        for uid in decision.replace_deletes:
            if not self._delete(owned[uid]):
                raise SyncError(f"could not replace job {owned[uid]['metadata']['name']}")
            record.deleted.append(uid)
        active = [refs.get(uid) or _reference(owned[uid]) for uid in decision.active]
        status = dict(cronjob.get("status") or {})
        if decision.create is not None and decision.scheduled is not None:
            job = self._create(cronjob, decision.create, decision.scheduled)
            if job is not None:
                record.created = decision.create
                active.append(_reference(job))
                status["lastScheduleTime"] = format_time(decision.scheduled)
        status["active"] = active
        if decision.last_successful_time is not None:
            status["lastSuccessfulTime"] = format_time(decision.last_successful_time)
        if not status["active"]:
            del status["active"]
        if status != (cronjob.get("status") or {}):
            body = {**cronjob, "status": status}
            code, answer = self.client.call("PUT", f"{self._path(cronjob)}/status", body)
            if code >= 300 and code != 404:
                raise SyncError(f"status of {key}: {code} {answer}")
        if decision.requeue_after_s is not None:
            self.queue.add_after(key, decision.requeue_after_s, now)

    def _view(self, cronjob: Mapping[str, Any]) -> CronJobView:
        """What the spec decides on (tests' broken variants misread it)."""
        return cronjob_view(cronjob)

    def _path(self, cronjob: Mapping[str, Any]) -> str:
        metadata = cronjob["metadata"]
        return f"/apis/batch/v1/namespaces/{metadata['namespace']}/cronjobs/{metadata['name']}"

    def _delete(self, job: Mapping[str, Any]) -> bool:
        """``deleteJob`` with background propagation; a Job already gone counts as deleted."""
        metadata = job["metadata"]
        code, _ = self.client.call(
            "DELETE",
            f"{jobs_path(metadata['namespace'])}/{metadata['name']}",
            {"propagationPolicy": "Background", "preconditions": {"uid": metadata["uid"]}},
        )
        return code < 300 or code == 404

    def _create(self, cronjob: Mapping[str, Any], name: str, scheduled: datetime) -> dict[str, Any] | None:
        """``getJobFromTemplate2`` and CreateJob: the Job created, or the one of that name it controls."""
        metadata = cronjob["metadata"]
        template = (cronjob.get("spec") or {}).get("jobTemplate") or {}
        template_meta = template.get("metadata") or {}
        job = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": name,
                "namespace": metadata["namespace"],
                "labels": dict(template_meta.get("labels") or {}),
                "annotations": {
                    **(template_meta.get("annotations") or {}),
                    SCHEDULED_TIMESTAMP: format_time(scheduled),
                },
                "ownerReferences": [
                    {
                        "apiVersion": "batch/v1",
                        "kind": "CronJob",
                        "name": metadata["name"],
                        "uid": metadata["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": template.get("spec") or {},
        }
        code, body = self.client.call("POST", jobs_path(metadata["namespace"]), job)
        if code == 201:
            return body  # type: ignore[no-any-return]
        if code == 409:
            code, existing = self.client.call("GET", f"{jobs_path(metadata['namespace'])}/{name}")
            if code != 200:
                raise SyncError(f"GET job {name}: {code}")
            if (controller_of(existing) or {}).get("uid") != metadata["uid"]:
                return None  # someone else's Job: assume its owner keeps the status
            return existing  # type: ignore[no-any-return]
        raise SyncError(f"create job {name}: {code} {body}")


def jobs_path(namespace: str) -> str:
    return f"/apis/batch/v1/namespaces/{namespace}/jobs"


def _reference(job: Mapping[str, Any]) -> dict[str, Any]:
    metadata = job["metadata"]
    return {
        "kind": "Job",
        "namespace": metadata["namespace"],
        "name": metadata["name"],
        "uid": metadata["uid"],
        "apiVersion": "batch/v1",
        "resourceVersion": metadata.get("resourceVersion", ""),
    }
