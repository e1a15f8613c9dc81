"""One sync of the Job controller for a NonIndexed Job, as a step function over its pod counts.

What it models: ``syncJob`` and ``manageJob`` of upstream's Job controller
for a NonIndexed Job whose pods have ``restartPolicy: Never``, once the
controller's expectations are satisfied, reduced to numbers:
``parallelism``, ``completions`` (None when unset), ``backoffLimit``, the
active pods (not terminating, not finished), the succeeded and failed pods
counted so far, and whether the Job already has a Complete or Failed
condition. Which API calls fail is an input (``Outcomes``, as for the
ReplicaSet), and so is whether the failed-pod backoff delays new pods.

How one sync behaves (upstream):

- A finished Job (condition Complete or Failed) is left alone.
- ``failed > backoffLimit``: the Job fails. Every active pod is deleted
  (``deleteActivePods``: all at once, no cap), and the Failed condition
  (reason BackoffLimitExceeded) is set once none is left, that is when
  every deletion succeeded; no pod is created.
- Otherwise ``manageJob``: ``wantActive`` is ``parallelism`` when
  ``completions`` is unset and nothing succeeded yet, the active pods
  themselves when unset and something succeeded (a success means the work
  is done: the rest may finish, nothing new starts), and ``min(parallelism,
  completions - succeeded)`` (never below 0) when set. Too many active pods:
  delete ``min(active - wantActive, 500)``, and create nothing in that
  sync. Too few, and no failed-pod backoff pending: create
  ``min(wantActive - active, 500)`` in slow-start batches (1, 2, 4, ...,
  stopping after a batch with a failure; ``spec.workloads.replicaset.
  slow_start_batch``, the same loop). Then the Job is Complete when
  ``succeeded >= completions`` (or, with completions unset, ``succeeded >
  0``) and no pod is active after the sync.

Upstream (kubernetes/kubernetes, read at master):

- ``pkg/controller/job/job_controller.go``: ``syncJob`` (finished Jobs,
  ``exceedsBackoffLimit``, ``deleteActivePods``, the completion check),
  ``manageJob`` (``wantActive``, ``rmAtLeast``, the creation loop),
  ``MaxPodCreateDeletePerSync = 500``.
- ``pkg/controller/job/backoff_utils.go``: the failed-pod backoff (10 s,
  doubling, capped at 10 min), an input here (``in_backoff``).
- API defaults (``pkg/apis/batch/v1/defaults.go``): completions and
  parallelism 1 when both are unset, backoffLimit 6.

Requirements defined here (component "controllers"):

- JOB-ACTIVE-BOUND: a sync never creates a pod that brings the active pods
  above ``parallelism``, or above ``completions - succeeded`` when
  completions is set; so a Job whose active pods are within both stays
  within them.
- JOB-COMPLETIONS-BOUND: a sync creates no pod once ``succeeded + active
  >= completions``; since a pod that succeeds moves from active to
  succeeded, ``succeeded + active <= completions`` holds from then on and
  succeeded never exceeds completions.
- JOB-BACKOFF-LIMIT: once ``failed > backoffLimit`` a sync creates no pod,
  deletes every active pod and marks the Job Failed when none is left; a
  finished Job gets no new pods.

- JOB-ESR: with faults over and a Job's spec fixed (not suspended, its
  pods' outcome fixed), the Job reaches a Complete or Failed condition:
  Complete once ``completions`` pods (distinct indexes for an Indexed Job)
  succeeded, Failed with reason BackoffLimitExceeded once its failed pods
  exceed backoffLimit (``expected_outcome``), with no active pod left.
- JOB-SUSPEND: a suspended Job has its active pods deleted, no new pod
  created, and a ``Suspended`` condition (job_controller.go ``syncJob``:
  ``jobSuspended``; ``manageJob`` with ``*job.Spec.Suspend``).
- JOB-DEADLINE: once ``activeDeadlineSeconds`` passed since ``startTime``,
  the Job's active pods are deleted and it is marked Failed with reason
  DeadlineExceeded (``pastActiveDeadline`` in job_controller.go).

The reference controller (impl/controllers/job.py) also runs Indexed Jobs
with these numbers: ``succeeded`` is the count of distinct indexes that
succeeded, and the pods it creates take the lowest free indexes
(``firstPendingIndexes`` in ``pkg/controller/job/indexed_job_utils.go``).

Where the issue's "succeeded never exceeds completions" needs a condition:
pods the controller deletes (because parallelism was lowered) are
terminating, not active, and with the default ``podReplacementPolicy``
(TerminatingOrFailed) the controller may start their replacements before
they are gone; a terminating pod that still exits 0 is counted as
succeeded. So JOB-COMPLETIONS-BOUND holds for pods that the controller did
not delete; ``podReplacementPolicy: Failed`` closes the gap and is not
modelled.

Not modelled in the step function (the reference controller and the
requirements above handle them around it): Indexed Jobs, suspend,
``activeDeadlineSeconds``. Not modelled at all: ``backoffLimitPerIndex``, ``podFailurePolicy``,
``successPolicy``, ``restartPolicy:
OnFailure`` (container restarts counted against backoffLimit),
``podReplacementPolicy``, ``managedBy``, the finalizer-based pod tracking
(uncounted pods are counted here at once), and Jobs being deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from spec.requirements import requirement
from spec.workloads.replicaset import ALL_SUCCEED, SLOW_START_INITIAL_BATCH_SIZE, Outcomes, slow_start_batch

#: ``MaxPodCreateDeletePerSync`` in job_controller.go.
MAX_POD_CREATE_DELETE_PER_SYNC = 500
DEFAULT_BACKOFF_LIMIT = 6

COMPLETE = "Complete"
FAILED = "Failed"

_UPSTREAM = (
    "k/k pkg/controller/job/job_controller.go (syncJob, manageJob, deleteActivePods, "
    "MaxPodCreateDeletePerSync)"
)

JOB_ACTIVE_BOUND = requirement(
    "JOB-ACTIVE-BOUND",
    "A Job sync MUST NOT create a pod that brings its active pods above parallelism, or above "
    "completions - succeeded when completions is set.",
    component="controllers",
    source=_UPSTREAM,
)
JOB_COMPLETIONS_BOUND = requirement(
    "JOB-COMPLETIONS-BOUND",
    "A Job sync MUST NOT create a pod once succeeded + active pods >= completions, so that succeeded + "
    "active <= completions is kept and succeeded pods never exceed completions.",
    component="controllers",
    source=_UPSTREAM,
)
JOB_BACKOFF_LIMIT = requirement(
    "JOB-BACKOFF-LIMIT",
    "Once a Job's failed pods exceed backoffLimit a sync MUST NOT create a pod, MUST delete every active "
    "pod and MUST mark the Job Failed once none is active; a Job with a Complete or Failed condition MUST "
    "get no new pods.",
    component="controllers",
    source=_UPSTREAM,
)

JOB_ESR = requirement(
    "JOB-ESR",
    "With faults over and a Job's spec and its pods' outcome fixed, the Job MUST within bounded time get "
    "a Complete condition once completions pods (distinct indexes when Indexed) succeeded, or a Failed "
    "condition with reason BackoffLimitExceeded once its failed pods exceed backoffLimit, with no active "
    "pod left.",
    component="controllers",
    source=_UPSTREAM + "; Anvil (OSDI'24) ESR",
)
JOB_SUSPEND = requirement(
    "JOB-SUSPEND",
    "A suspended Job MUST have its active pods deleted, MUST get no new pod while suspended, and MUST carry "
    "a Suspended condition.",
    component="controllers",
    source="k/k pkg/controller/job/job_controller.go (syncJob jobSuspended, manageJob Spec.Suspend)",
)
JOB_DEADLINE = requirement(
    "JOB-DEADLINE",
    "Once activeDeadlineSeconds passed since a Job's startTime, its active pods MUST be deleted and the "
    "Job MUST be marked Failed with reason DeadlineExceeded.",
    component="controllers",
    source="k/k pkg/controller/job/job_controller.go (pastActiveDeadline, syncJob)",
)


def expected_outcome(completions: int | None, backoff_limit: int, succeeded: int, failed: int) -> str | None:
    """JOB-ESR: the condition a Job with these counts must end with, or None while it may still run.

    Failure wins when both hold, as in ``syncJob`` (the backoff check comes first)."""
    if failed > backoff_limit:
        return FAILED
    if (completions is None and succeeded > 0) or (completions is not None and succeeded >= completions):
        return COMPLETE
    return None


@dataclass(frozen=True)
class JobState:
    """What one sync of a NonIndexed Job looks at."""

    parallelism: int
    completions: int | None
    backoff_limit: int = DEFAULT_BACKOFF_LIMIT
    active: int = 0
    succeeded: int = 0
    failed: int = 0
    finished: str | None = None  # the Job's Complete or Failed condition, if it has one
    in_backoff: bool = False  # the failed-pod backoff delays new pods

    def __post_init__(self) -> None:
        numbers = (self.parallelism, self.backoff_limit, self.active, self.succeeded, self.failed)
        if min(numbers) < 0 or (self.completions is not None and self.completions < 0):
            raise ValueError(f"a Job's counts cannot be negative: {self}")


@dataclass(frozen=True)
class JobSync:
    """What one sync did: creations and deletions attempted and done, and the condition it set."""

    creations_attempted: int = 0
    created: int = 0
    deletions_attempted: int = 0
    deleted: int = 0
    finished: str | None = None


def want_active(job: JobState) -> int:
    """``manageJob``'s ``wantActive``."""
    if job.completions is None:
        return job.active if job.succeeded > 0 else job.parallelism
    return max(0, min(job.parallelism, job.completions - job.succeeded))


def exceeds_backoff_limit(job: JobState) -> bool:
    return job.failed > job.backoff_limit


def is_complete(job: JobState, active: int) -> bool:
    """``syncJob``'s completion check, on the active pods after ``manageJob``."""
    if job.completions is None:
        return job.succeeded > 0 and active == 0
    return job.succeeded >= job.completions and active == 0


def _failed(count: int, failed: frozenset[int]) -> int:
    return sum(1 for position in failed if 0 <= position < count)


def manage_job(job: JobState, outcomes: Outcomes = ALL_SUCCEED) -> JobSync:
    """``manageJob``: delete the excess, or create what is missing; never both in one sync."""
    wanted = want_active(job)
    excess = job.active - wanted
    if excess > 0:
        count = min(excess, MAX_POD_CREATE_DELETE_PER_SYNC)
        return JobSync(deletions_attempted=count, deleted=count - _failed(count, outcomes.failed_deletions))
    missing = wanted - job.active
    if missing > 0 and not job.in_backoff:
        count = min(missing, MAX_POD_CREATE_DELETE_PER_SYNC)
        batches, created = slow_start_batch(count, SLOW_START_INITIAL_BATCH_SIZE, outcomes.failed_creations)
        return JobSync(creations_attempted=sum(batches), created=created)
    return JobSync()


def sync_job(job: JobState, outcomes: Outcomes = ALL_SUCCEED) -> JobSync:
    """One ``syncJob``."""
    if job.finished is not None:
        return JobSync()
    if exceeds_backoff_limit(job):
        deleted = job.active - _failed(job.active, outcomes.failed_deletions)
        return JobSync(
            deletions_attempted=job.active,
            deleted=deleted,
            finished=FAILED if deleted == job.active else None,
        )
    done = manage_job(job, outcomes)
    if is_complete(job, active_after(job, done)):
        return replace(done, finished=COMPLETE)
    return done


def active_after(job: JobState, done: JobSync) -> int:
    """The active pods once the calls of the sync are observed."""
    return job.active + done.created - done.deleted


def active_bound(job: JobState) -> int:
    """JOB-ACTIVE-BOUND's bound: parallelism, and completions - succeeded when completions is set."""
    if job.completions is None:
        return job.parallelism
    return max(0, min(job.parallelism, job.completions - job.succeeded))
