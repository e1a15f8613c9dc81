"""One sync of the CronJob controller, as plain functions over what it reads.

What it models: ``syncCronJob`` and ``cleanupFinishedJobs`` of upstream's
CronJob controller (v2), reduced to the values they decide on: the
schedule and ``spec.timeZone``, the current time, ``status.lastScheduleTime``
(or the CronJob's creationTimestamp), ``startingDeadlineSeconds``,
``concurrencyPolicy``, ``suspend``, ``status.active`` and the Jobs it owns.
Schedules are parsed and evaluated by ``spec/cron.py``.

How one sync decides (upstream):

- ``status.active`` is reconciled first: a Job in it that is finished
  (condition Complete or Failed True) or gone is removed; an unfinished
  owned Job missing from it is left alone (upstream only records an
  ``UnexpectedJob`` event). ``lastSuccessfulTime`` follows the latest
  completionTime of a Complete Job (upstream takes it one sync later for a
  Job it removes from the active list in that sync; the same value).
- Nothing starts for a CronJob being deleted, a suspended one, one whose
  time zone or schedule does not parse.
- ``mostRecentScheduleTime``: from ``earliest`` (lastScheduleTime, else the
  creationTimestamp; raised to ``now - startingDeadlineSeconds`` when that
  is later) the most recent time the schedule fires in ``(earliest, now]``.
  Only that one is considered: earlier missed times never get a Job. More
  than 100 missed times only add the "too many missed start times" warning
  (``TooManyMissedTimes``); the count is upstream's approximation
  (elapsed / interval between the first two fire times, plus one).
- That time is too late when ``scheduled + startingDeadlineSeconds < now``;
  it is already processed when a Job of its name is in ``status.active``
  or it equals ``lastScheduleTime``.
- Forbid with any active Job: skip. Replace: delete every active Job, then
  start. Allow: start.
- The Job is named ``<cronjob>-<scheduled time in minutes since the epoch>``
  (``getJobName``: ``Unix()/60``), so the same time cannot get two Jobs
  (the name is the lock); it carries the annotation
  ``batch.kubernetes.io/cronjob-scheduled-timestamp`` (RFC 3339) and the
  CronJob as controlling owner. The new Job joins ``status.active`` and
  ``lastScheduleTime`` becomes its scheduled time.
- Requeue (``nextScheduleTimeDuration``): 100 ms after the next fire time
  following the most recent one (or following ``earliest`` when none is
  due), counted from now.
- History (``cleanupFinishedJobs``, ``removeOldestJobs``): keep at most
  ``successfulJobsHistoryLimit`` (default 3) Complete and
  ``failedJobsHistoryLimit`` (default 1) Failed Jobs; the oldest by
  ``status.startTime`` (unset last, then by name) are deleted first.

Upstream (kubernetes/kubernetes, read at master):

- ``pkg/controller/cronjob/cronjob_controllerv2.go``: ``syncCronJob``,
  ``cleanupFinishedJobs``, ``removeOldestJobs``, ``getJobName``,
  ``nextScheduleDelta = 100ms``.
- ``pkg/controller/cronjob/utils.go``: ``mostRecentScheduleTime``,
  ``nextScheduleTime``, ``nextScheduleTimeDuration``,
  ``getTimeHashInMinutes``, ``getJobFromTemplate2``, ``byJobStartTime``,
  ``IsJobFinished``.

Requirements defined here (component "controllers"): CRONJOB-SCHEDULE,
CRONJOB-DEADLINE, CRONJOB-FORBID-NO-OVERLAP, CRONJOB-REPLACE,
CRONJOB-SUSPEND, CRONJOB-HISTORY, CRONJOB-ESR.

Not modelled: events, metrics, the ``UnexpectedJob`` re-read of the
CronJob, ``TZ=`` in the schedule (the API refuses it), Jobs the CronJob
owns under a different controller name.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Final

from spec.cron import CronError, Schedule, parse
from spec.requirements import requirement

#: ``nextScheduleDelta`` in cronjob_controllerv2.go: the requeue lands this long after the fire time.
NEXT_SCHEDULE_DELTA_S: Final = 0.1
#: More missed start times than this: upstream warns "too many missed start times".
TOO_MANY_MISSED: Final = 100
SUCCESSFUL_JOBS_HISTORY_LIMIT: Final = 3
FAILED_JOBS_HISTORY_LIMIT: Final = 1
SCHEDULED_TIMESTAMP: Final = "batch.kubernetes.io/cronjob-scheduled-timestamp"

_UPSTREAM = (
    "k/k pkg/controller/cronjob/cronjob_controllerv2.go (syncCronJob, getJobName, cleanupFinishedJobs); "
    "pkg/controller/cronjob/utils.go (mostRecentScheduleTime, nextScheduleTime)"
)

CRONJOB_SCHEDULE = requirement(
    "CRONJOB-SCHEDULE",
    "A CronJob controller MUST create a Job only for a time its schedule (in spec.timeZone) fires at that "
    "has come and is after the CronJob's creation, only for the most recent such time not yet processed "
    "(earlier missed times get no Job), at most one Job per scheduled time, named <cronjob>-<scheduled "
    "time in minutes since the epoch>.",
    component="controllers",
    source=_UPSTREAM,
)
CRONJOB_DEADLINE = requirement(
    "CRONJOB-DEADLINE",
    "A CronJob controller MUST NOT start a Job more than startingDeadlineSeconds after its scheduled time.",
    component="controllers",
    source="k/k pkg/controller/cronjob/cronjob_controllerv2.go (syncCronJob: tooLate, MissSchedule)",
)
CRONJOB_FORBID_NO_OVERLAP = requirement(
    "CRONJOB-FORBID-NO-OVERLAP",
    "With concurrencyPolicy Forbid a CronJob controller MUST NOT start a Job while a Job it started for "
    "that CronJob is still active, so a Forbid CronJob never has two active Jobs.",
    component="controllers",
    source="k/k pkg/controller/cronjob/cronjob_controllerv2.go (syncCronJob: ForbidConcurrent)",
)
CRONJOB_REPLACE = requirement(
    "CRONJOB-REPLACE",
    "With concurrencyPolicy Replace a CronJob controller MUST delete the active Jobs before it starts "
    "the Job of a new scheduled time, so a Replace CronJob never has two active Jobs either.",
    component="controllers",
    source="k/k pkg/controller/cronjob/cronjob_controllerv2.go (syncCronJob: ReplaceConcurrent, deleteJob)",
)
CRONJOB_SUSPEND = requirement(
    "CRONJOB-SUSPEND",
    "A CronJob controller MUST NOT start a Job for a CronJob while spec.suspend is true.",
    component="controllers",
    source="k/k pkg/controller/cronjob/cronjob_controllerv2.go (syncCronJob: Spec.Suspend)",
)
CRONJOB_HISTORY = requirement(
    "CRONJOB-HISTORY",
    "A CronJob controller MUST keep at most successfulJobsHistoryLimit Complete and failedJobsHistoryLimit "
    "Failed Jobs of a CronJob, deleting the oldest by start time first.",
    component="controllers",
    source="k/k pkg/controller/cronjob/cronjob_controllerv2.go (cleanupFinishedJobs, removeOldestJobs)",
)
CRONJOB_ESR = requirement(
    "CRONJOB-ESR",
    "With its spec fixed, faults over and its Jobs finishing, a CronJob that is not suspended MUST get a "
    "Job for every time its schedule fires, within startingDeadlineSeconds of it, and a status whose "
    "lastScheduleTime is the latest of them and whose active list is its active Jobs.",
    component="controllers",
    source=_UPSTREAM,
)


# -- schedules -------------------------------------------------------------------------------------


def parse_schedule(schedule: str, time_zone: str | None) -> tuple[Schedule, zoneinfo.ZoneInfo] | None:
    """The parsed schedule and its zone (UTC when unset); None when either does not parse."""
    try:
        return parse(schedule), zoneinfo.ZoneInfo(time_zone or "UTC")
    except (CronError, zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def next_fire(schedule: Schedule, zone: zoneinfo.ZoneInfo, after: datetime) -> datetime:
    """``schedule.Next(after)``: the first fire time strictly after ``after``, in UTC."""
    return schedule.next_after(after.astimezone(zone)).astimezone(UTC)


@dataclass(frozen=True)
class MostRecent:
    """``mostRecentScheduleTime``'s answer: where counting began, the time to start, the missed count."""

    earliest: datetime
    time: datetime | None
    missed: int


def most_recent_schedule_time(
    schedule: Schedule,
    zone: zoneinfo.ZoneInfo,
    earliest: datetime,
    now: datetime,
    starting_deadline_seconds: int | None = None,
) -> MostRecent:
    """The latest fire time in ``(earliest, now]`` (``earliest`` raised to ``now - deadline``), or None.

    ``missed`` is upstream's approximate count of fire times in that range
    (0 and 1 exact); more than ``TOO_MANY_MISSED`` is the warning case.
    """
    if starting_deadline_seconds is not None:
        earliest = max(earliest, now - timedelta(seconds=starting_deadline_seconds))
    t1 = next_fire(schedule, zone, earliest)
    if now < t1:
        return MostRecent(earliest, None, 0)
    t2 = next_fire(schedule, zone, t1)
    if now < t2:
        return MostRecent(earliest, t1, 1)
    interval = round((t2 - t1).total_seconds())
    missed = int((now - t1).total_seconds()) // interval + 1
    # Jump close to now, one interval early, and let the schedule find the exact time from there
    # (irregular schedules such as "30 6-16/4 * * 1-5" make the jump approximate).
    moment = t1 + timedelta(seconds=(missed - 2) * interval)
    latest = None
    candidate = next_fire(schedule, zone, moment)
    while candidate <= now:
        latest = candidate
        candidate = next_fire(schedule, zone, candidate)
    return MostRecent(earliest, latest, missed)


def job_name(cronjob: str, scheduled: datetime) -> str:
    """``getJobName``: the CronJob's name and the scheduled time in minutes since the epoch."""
    return f"{cronjob}-{int(scheduled.timestamp()) // 60}"


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC, as metav1.Time serializes (whole seconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- one sync ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobView:
    """What the controller reads of a Job it owns."""

    name: str
    uid: str
    finished: str | None = None  # "Complete", "Failed" or None (condition with status True)
    start_time: datetime | None = None
    completion_time: datetime | None = None


@dataclass(frozen=True)
class CronJobView:
    """What the controller reads of a CronJob."""

    name: str
    schedule: str
    created: datetime
    time_zone: str | None = None
    starting_deadline_seconds: int | None = None
    concurrency_policy: str = "Allow"
    suspend: bool = False
    deleting: bool = False
    last_schedule_time: datetime | None = None
    last_successful_time: datetime | None = None
    active: tuple[str, ...] = ()  # uids of status.active
    successful_jobs_history_limit: int | None = SUCCESSFUL_JOBS_HISTORY_LIMIT
    failed_jobs_history_limit: int | None = FAILED_JOBS_HISTORY_LIMIT


@dataclass(frozen=True)
class Decision:
    """What one sync does: Jobs to delete (history, then Replace), the Job to create, the new status."""

    #: Why nothing was started ("" when a Job is created): suspended, deleting, unparseable, not-due,
    #: too-late, already-processed, forbid.
    skipped: str = ""
    history_deletes: tuple[str, ...] = ()  # uids
    replace_deletes: tuple[str, ...] = ()  # uids of active Jobs Replace deletes first
    create: str | None = None  # name of the Job to create
    scheduled: datetime | None = None
    active: tuple[str, ...] = ()  # status.active after the sync, before the new Job joins it
    last_successful_time: datetime | None = None
    requeue_after_s: float | None = None
    too_many_missed: bool = False


def history_deletes(
    jobs: Sequence[JobView], successful_limit: int | None, failed_limit: int | None
) -> tuple[str, ...]:
    """``cleanupFinishedJobs``: the uids of the oldest finished Jobs beyond each history limit."""
    out: list[str] = []
    for kind, limit in (("Complete", successful_limit), ("Failed", failed_limit)):
        if limit is None:
            continue
        finished = [job for job in jobs if job.finished == kind]
        excess = len(finished) - limit
        if excess > 0:
            out.extend(job.uid for job in sorted(finished, key=_by_start_time)[:excess])
    return tuple(out)


def _by_start_time(job: JobView) -> tuple[bool, datetime, str]:
    """``byJobStartTime``: earlier startTime first, unset ones last, then by name."""
    return (job.start_time is None, job.start_time or datetime.min.replace(tzinfo=UTC), job.name)


def requeue_after(
    schedule: Schedule, zone: zoneinfo.ZoneInfo, cronjob: CronJobView, last: datetime | None, now: datetime
) -> float:
    """``nextScheduleTimeDuration``: seconds from now to 100 ms after the next fire time."""
    recent = most_recent_schedule_time(schedule, zone, last or cronjob.created, now)
    base = recent.time if recent.time is not None else recent.earliest
    return (next_fire(schedule, zone, base) - now).total_seconds() + NEXT_SCHEDULE_DELTA_S


def sync_cronjob(cronjob: CronJobView, jobs: Sequence[JobView], now: datetime) -> Decision:
    """One ``sync``: the history cleanup and ``syncCronJob``'s decision for ``cronjob`` at ``now``.

    ``jobs`` are the Jobs it owns as the controller's cache has them.
    """
    deletes = history_deletes(jobs, cronjob.successful_jobs_history_limit, cronjob.failed_jobs_history_limit)
    by_uid = {job.uid: job for job in jobs if job.uid not in deletes}
    # status.active loses finished Jobs and Jobs that are gone (upstream GETs the latter first).
    active = tuple(
        uid for uid in cronjob.active if uid in by_uid and by_uid[uid].finished is None and uid not in deletes
    )
    last_successful = cronjob.last_successful_time
    for job in jobs:
        if job.finished == "Complete" and job.completion_time is not None:
            if last_successful is None or job.completion_time > last_successful:
                last_successful = job.completion_time
    decision = Decision(active=active, history_deletes=deletes, last_successful_time=last_successful)
    if cronjob.deleting:
        return replace(decision, skipped="deleting")
    if cronjob.suspend:
        return replace(decision, skipped="suspended")
    parsed = parse_schedule(cronjob.schedule, cronjob.time_zone)
    if parsed is None:
        return replace(decision, skipped="unparseable")
    schedule, zone = parsed
    last = cronjob.last_schedule_time
    recent = most_recent_schedule_time(
        schedule, zone, last or cronjob.created, now, cronjob.starting_deadline_seconds
    )
    requeue = requeue_after(schedule, zone, cronjob, last, now)
    decision = replace(decision, requeue_after_s=requeue, too_many_missed=recent.missed > TOO_MANY_MISSED)
    scheduled = recent.time
    if scheduled is None:
        return replace(decision, skipped="not-due")
    deadline = cronjob.starting_deadline_seconds
    if deadline is not None and scheduled + timedelta(seconds=deadline) < now:
        return replace(decision, skipped="too-late")
    name = job_name(cronjob.name, scheduled)
    active_names = {by_uid[uid].name for uid in active}
    if name in active_names or scheduled == last:
        return replace(decision, skipped="already-processed")
    if cronjob.concurrency_policy == "Forbid" and active:
        return replace(decision, skipped="forbid")
    replaced = active if cronjob.concurrency_policy == "Replace" else ()
    after_replace = tuple(uid for uid in active if uid not in replaced)
    # The requeue counts from the new lastScheduleTime.
    requeue = requeue_after(schedule, zone, cronjob, scheduled, now)
    return replace(
        decision,
        replace_deletes=replaced,
        active=after_replace,
        create=name,
        scheduled=scheduled,
        requeue_after_s=requeue,
    )
