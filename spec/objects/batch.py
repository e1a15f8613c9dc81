"""batch/v1: Job and CronJob.

Upstream: kubernetes/api ``batch/v1/types.go``. Defaults are in
``spec.objects.defaults`` (k/k ``pkg/apis/batch/v1/defaults.go``).

Requirement IDs: none.
"""

from __future__ import annotations

from typing import ClassVar, Final

from spec.objects.base import Int32, Int64, Model, Seq, Time
from spec.objects.core import ObjectReference, PodTemplateSpec
from spec.objects.meta import KindModel, LabelSelector, ObjectMeta

COMPLETION_MODES: Final = ("NonIndexed", "Indexed")
CONCURRENCY_POLICIES: Final = ("Allow", "Forbid", "Replace")
POD_REPLACEMENT_POLICIES: Final = ("TerminatingOrFailed", "Failed")


class JobSpec(Model):
    parallelism: Int32 | None = None
    completions: Int32 | None = None
    active_deadline_seconds: Int64 | None = None
    backoff_limit: Int32 | None = None
    backoff_limit_per_index: Int32 | None = None
    selector: LabelSelector | None = None
    manual_selector: bool | None = None
    template: PodTemplateSpec = PodTemplateSpec()
    ttl_seconds_after_finished: Int32 | None = None
    completion_mode: str | None = None
    suspend: bool | None = None
    pod_replacement_policy: str | None = None


class JobCondition(Model):
    type: str = ""
    status: str = ""
    last_probe_time: Time | None = None
    last_transition_time: Time | None = None
    reason: str = ""
    message: str = ""


class JobStatus(Model):
    conditions: Seq[JobCondition] = ()
    start_time: Time | None = None
    completion_time: Time | None = None
    active: Int32 = 0
    succeeded: Int32 = 0
    failed: Int32 = 0
    terminating: Int32 | None = None
    completed_indexes: str = ""
    failed_indexes: str | None = None
    ready: Int32 | None = None


class Job(KindModel):
    api_version: ClassVar[str] = "batch/v1"
    kind: ClassVar[str] = "Job"

    spec: JobSpec = JobSpec()
    status: JobStatus = JobStatus()


class JobTemplateSpec(Model):
    metadata: ObjectMeta = ObjectMeta()
    spec: JobSpec = JobSpec()


class CronJobSpec(Model):
    schedule: str = ""
    time_zone: str | None = None
    starting_deadline_seconds: Int64 | None = None
    concurrency_policy: str = ""
    suspend: bool | None = None
    job_template: JobTemplateSpec = JobTemplateSpec()
    successful_jobs_history_limit: Int32 | None = None
    failed_jobs_history_limit: Int32 | None = None


class CronJobStatus(Model):
    active: Seq[ObjectReference] = ()
    last_schedule_time: Time | None = None
    last_successful_time: Time | None = None


class CronJob(KindModel):
    api_version: ClassVar[str] = "batch/v1"
    kind: ClassVar[str] = "CronJob"

    spec: CronJobSpec = CronJobSpec()
    status: CronJobStatus = CronJobStatus()
