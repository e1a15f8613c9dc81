"""The CronJob machine: a simulated cluster, users scheduling CronJobs, Jobs finishing, minutes passing.

Rules are what users do (create a CronJob with a schedule, a time zone or
none, a concurrencyPolicy and a startingDeadlineSeconds or none; suspend
and resume it; change its schedule; delete it) and what the environment
does (the shared EnvironmentRules: the controller manager crashes, watches
lag, seconds pass; plus: the Job watch lags, the controller manager is down
for minutes, a Job finishes Complete or Failed, minutes pass). No Job
controller runs: the environment finishes Jobs by writing their status
through ``/status`` (startTime, a Complete or Failed condition,
completionTime), which is what a Job controller does as far as the CronJob
controller can tell.

After every step, and every ``CHUNK_S`` of simulated time inside the long
ones, every Job the CronJobs own is read back from the API server and:

- CRONJOB-SCHEDULE: its name is ``<cronjob>-<scheduled minute>``, its
  scheduled time (the ``batch.kubernetes.io/cronjob-scheduled-timestamp``
  annotation) is a fire time of a schedule the CronJob had, after the
  CronJob's creation, not after the Job's creationTimestamp (never early),
  and no later fire time of that schedule had come when the Job was created
  (the most recent one); no two Jobs of a CronJob share a scheduled time;
- CRONJOB-DEADLINE: it was created within startingDeadlineSeconds of it;
- CRONJOB-SUSPEND: it was not created while the CronJob was suspended;
- CRONJOB-FORBID-NO-OVERLAP / CRONJOB-REPLACE: a Forbid or Replace CronJob
  has at most one active Job (not finished, not being deleted).

At the end (CRONJOB-ESR, CRONJOB-HISTORY): the faults stop, the controller
manager restarts, and for ``SETTLE_S`` the environment finishes every
active Job each ``CHUNK_S``; every time the schedule of a CronJob that is
not suspended fires in that window must get its Job, its status must say
lastScheduleTime = the latest of them and list its active Jobs, and at most
successfulJobsHistoryLimit Complete and failedJobsHistoryLimit Failed Jobs
may be left.

Times from the API have whole seconds (creationTimestamp is truncated), so
each check is stated so truncation can only hide a violation, never make
one up. Deterministic: the cluster runs on the simulator's clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from conformance.adapters.controllers import ControllersProvider, SimulatedControlPlane
from conformance.violation import require
from conformance.workloads.environment import PODS, EnvironmentRules
from spec.workloads.cronjob import (
    CRONJOB_DEADLINE,
    CRONJOB_ESR,
    CRONJOB_FORBID_NO_OVERLAP,
    CRONJOB_HISTORY,
    CRONJOB_REPLACE,
    CRONJOB_SCHEDULE,
    CRONJOB_SUSPEND,
    FAILED_JOBS_HISTORY_LIMIT,
    SCHEDULED_TIMESTAMP,
    SUCCESSFUL_JOBS_HISTORY_LIMIT,
    job_name,
    next_fire,
    parse_schedule,
)

NAMES = ("nightly", "report")
NAMESPACE = "default"
JOBS = f"/apis/batch/v1/namespaces/{NAMESPACE}/jobs"
CRONJOBS = f"/apis/batch/v1/namespaces/{NAMESPACE}/cronjobs"
SCHEDULES = ("*/1 * * * *", "*/2 * * * *", "*/5 * * * *")
#: Kathmandu is UTC+5:45: "*/2" there fires at odd UTC minutes.
TIME_ZONES = (None, "Asia/Kathmandu", "Europe/Berlin")
POLICIES = ("Allow", "Forbid", "Replace")
DEADLINES = (None, 10, 30)
CHUNK_S = 10.0
#: The time that passes after a user's change or a Job's end.
THEN_S = (0.0, 40.0, 100.0)
#: The cluster's tick here: a CronJob works in minutes, so a sync up to a second late changes nothing the
#: checks look at, and four times fewer rounds make the runs four times faster.
TICK_S = 1.0
SETTLE_S = 310.0


@dataclass
class Wanted:
    """What users asked of one CronJob, with the history the checks need."""

    uid: str
    created: datetime
    policy: str
    deadline: int | None
    successful_limit: int
    schedules: list[tuple[str, str | None]]  # every (schedule, timeZone) it had
    suspended_since: float | None = None  # simulator seconds
    suspended: list[tuple[float, float]] = field(default_factory=list)  # closed intervals [from, to)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def cronjob(name: str, schedule: str, zone: str | None, policy: str, deadline: int | None, keep: int) -> Any:
    spec: dict[str, Any] = {
        "schedule": schedule,
        "concurrencyPolicy": policy,
        "successfulJobsHistoryLimit": keep,
        "jobTemplate": {
            "spec": {
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "run", "image": "busybox:1.36"}],
                    }
                }
            }
        },
    }
    if zone is not None:
        spec["timeZone"] = zone
    if deadline is not None:
        spec["startingDeadlineSeconds"] = deadline
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": spec,
    }


def _finished(job: dict[str, Any]) -> str | None:
    for condition in (job.get("status") or {}).get("conditions") or ():
        if condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True":
            return condition["type"]  # type: ignore[no-any-return]
    return None


def _active(job: dict[str, Any]) -> bool:
    return _finished(job) is None and not job["metadata"].get("deletionTimestamp")


class CronJobMachine(EnvironmentRules):
    provider: ClassVar[ControllersProvider]

    def __init__(self) -> None:
        super().__init__()
        self.cluster: SimulatedControlPlane = self.provider.new_cluster(seed=0, nodes=1)
        self.now = 0.0  # seconds this machine has let pass
        # The cluster's clock at the start: the creationTimestamp of an object made before time passes.
        probe = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "clock", "namespace": NAMESPACE},
        }
        self.origin = _time(
            self._ok("POST", f"/api/v1/namespaces/{NAMESPACE}/configmaps", probe)["metadata"][
                "creationTimestamp"
            ]
        )
        #: name -> the live CronJob of that name; by_uid keeps deleted ones for the Jobs they left.
        self.wanted: dict[str, Wanted] = {}
        self.by_uid: dict[str, tuple[str, Wanted]] = {}
        #: Job uid -> (owner uid, scheduled time), every owned Job ever seen.
        self.seen: dict[str, tuple[str, datetime]] = {}
        self.log: list[str] = []

    # -- time ------------------------------------------------------------------------------------------

    def _run(self, seconds: float) -> None:
        """Let ``seconds`` pass in chunks, checking the safety properties after each."""
        while seconds > 1e-9:
            step = min(CHUNK_S, seconds)
            self.cluster.run(step, tick_s=TICK_S)
            self.now += step
            seconds -= step
            self.check_jobs()

    def pass_time(self, seconds: float) -> None:  # the environment's rules keep this machine's clock too
        self._run(seconds)

    def _then(self, data: st.DataObject) -> None:
        """What users and Jobs do is followed by a while: most of what a CronJob does takes minutes."""
        seconds = data.draw(st.sampled_from(THEN_S), label="then")
        if seconds:
            self.log.append(f"t={self.now}: {seconds} s pass")
            self._run(seconds)

    def _date(self) -> datetime:
        return self.origin + timedelta(seconds=self.now)

    # -- reading the cluster -------------------------------------------------------------------------

    def _ok(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        status, answer = self.cluster.call(method, path, body, content_type=content_type)
        assert status < 300, f"{method} {path}: {status} {answer}"  # the suite's own calls must work
        return answer

    def _jobs(self) -> list[tuple[str, dict[str, Any]]]:
        """(owner uid, Job) for every Job controlled by a CronJob this run made."""
        out = []
        for job in self._ok("GET", JOBS)["items"]:
            for ref in job["metadata"].get("ownerReferences") or ():
                if ref.get("controller") and ref.get("kind") == "CronJob" and ref.get("uid") in self.by_uid:
                    out.append((ref["uid"], job))
        return out

    # -- users -------------------------------------------------------------------------------------------

    _create_args: ClassVar[dict[str, Any]] = {
        "data": st.data(),
        "schedule": st.sampled_from(SCHEDULES),
        "zone": st.sampled_from(TIME_ZONES),
        "policy": st.sampled_from(POLICIES),
        "deadline": st.sampled_from(DEADLINES),
        "keep": st.sampled_from([SUCCESSFUL_JOBS_HISTORY_LIMIT, 1]),
    }

    @initialize(**_create_args)
    def create_the_first(
        self,
        data: st.DataObject,
        schedule: str,
        zone: str | None,
        policy: str,
        deadline: int | None,
        keep: int,
    ) -> None:
        """Every run has a CronJob from its start (a run without one checks nothing)."""
        self.create(data, schedule, zone, policy, deadline, keep)

    @precondition(lambda self: len(self.wanted) < len(NAMES))
    @rule(**_create_args)
    def create(
        self,
        data: st.DataObject,
        schedule: str,
        zone: str | None,
        policy: str,
        deadline: int | None,
        keep: int,
    ) -> None:
        name = data.draw(st.sampled_from([n for n in NAMES if n not in self.wanted]))
        made = self._ok("POST", CRONJOBS, cronjob(name, schedule, zone, policy, deadline, keep))
        wanted = Wanted(
            uid=made["metadata"]["uid"],
            created=_time(made["metadata"]["creationTimestamp"]),
            policy=policy,
            deadline=deadline,
            successful_limit=keep,
            schedules=[(schedule, zone)],
        )
        self.wanted[name] = wanted
        self.by_uid[wanted.uid] = (name, wanted)
        self.log.append(f"t={self.now}: create {name} {schedule!r} tz={zone} {policy} deadline={deadline}")
        self._then(data)

    @precondition(lambda self: bool(self.wanted))
    @rule(data=st.data())
    def suspend_or_resume(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.wanted)))
        wanted = self.wanted[name]
        suspend = wanted.suspended_since is None
        self._ok(
            "PATCH",
            f"{CRONJOBS}/{name}",
            {"spec": {"suspend": suspend}},
            content_type="application/merge-patch+json",
        )
        if suspend:
            wanted.suspended_since = self.now
        else:
            assert wanted.suspended_since is not None
            wanted.suspended.append((wanted.suspended_since, self.now))
            wanted.suspended_since = None
        self.log.append(f"t={self.now}: {'suspend' if suspend else 'resume'} {name}")
        self._then(data)

    @precondition(lambda self: bool(self.wanted))
    @rule(data=st.data(), schedule=st.sampled_from(SCHEDULES), zone=st.sampled_from(TIME_ZONES))
    def change_schedule(self, data: st.DataObject, schedule: str, zone: str | None) -> None:
        name = data.draw(st.sampled_from(sorted(self.wanted)))
        self._ok(
            "PATCH",
            f"{CRONJOBS}/{name}",
            {"spec": {"schedule": schedule, "timeZone": zone}},
            content_type="application/merge-patch+json",
        )
        self.wanted[name].schedules.append((schedule, zone))
        self.log.append(f"t={self.now}: {name} schedule {schedule!r} tz={zone}")
        self._then(data)

    @precondition(lambda self: bool(self.wanted))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.wanted)))
        self._ok("DELETE", f"{CRONJOBS}/{name}")
        del self.wanted[name]
        self.log.append(f"t={self.now}: delete {name}")

    # -- the environment ------------------------------------------------------------------------------------

    @rule(seconds=st.sampled_from([1.0, 30.0, 60.0, 120.0, 300.0]))
    def time_passes(self, seconds: float) -> None:
        self.log.append(f"t={self.now}: {seconds} s pass")
        self._run(seconds)

    @rule(down_s=st.sampled_from([0.0, 2.0, 75.0, 150.0]))
    def crash_the_controller_manager(self, down_s: float) -> None:
        """Down for seconds (its memory lost), or for minutes (schedules missed meanwhile)."""
        self.cluster.crash_controller_manager()
        self._run(down_s)
        self.cluster.restart_controller_manager()
        self.log.append(f"t={self.now}: controller manager was down for {down_s} s")

    def lag_the_pod_watch(self, lag_s: float) -> None:
        """Not a rule here: no pod matters to the CronJob controller (the Job watch lags instead)."""

    @rule(lag_s=st.sampled_from([0.0, 1.0, 5.0]))
    def lag_the_job_watch(self, lag_s: float) -> None:
        self.cluster.set_watch_lag("/apis/batch/v1/jobs", lag_s)
        self.log.append(f"t={self.now}: job watch lag {lag_s} s")

    @rule(data=st.data(), ok=st.booleans())
    def a_job_finishes(self, data: st.DataObject, ok: bool) -> None:
        active = sorted(job["metadata"]["name"] for _, job in self._jobs() if _active(job))
        if not active:
            return
        name = data.draw(st.sampled_from(active))
        self._finish(name, ok)
        self._then(data)

    def _finish(self, name: str, ok: bool) -> None:
        """What a Job controller writes when the Job's pod ends."""
        now = self._date().strftime("%Y-%m-%dT%H:%M:%SZ")
        job = self._ok("GET", f"{JOBS}/{name}")
        condition = "Complete" if ok else "Failed"
        status = {
            "startTime": job["metadata"]["creationTimestamp"],
            "conditions": [{"type": condition, "status": "True", "lastTransitionTime": now}],
            **({"completionTime": now, "succeeded": 1} if ok else {"failed": 1}),
        }
        self._ok(
            "PATCH", f"{JOBS}/{name}/status", {"status": status}, content_type="application/merge-patch+json"
        )
        self.log.append(f"t={self.now}: job {name} {condition}")

    # -- properties ------------------------------------------------------------------------------------------

    @invariant()
    def check_jobs(self) -> None:
        active_by_owner: dict[str, list[str]] = {}
        for owner, job in self._jobs():
            uid = job["metadata"]["uid"]
            if uid not in self.seen:
                self._check_new_job(owner, job)
            if _active(job):
                active_by_owner.setdefault(owner, []).append(job["metadata"]["name"])
        for name, wanted in self.wanted.items():
            active = sorted(active_by_owner.get(wanted.uid, ()))
            if wanted.policy in ("Forbid", "Replace"):
                requirement = CRONJOB_FORBID_NO_OVERLAP if wanted.policy == "Forbid" else CRONJOB_REPLACE
                detail = (
                    f"{name} ({wanted.policy}) has {len(active)} active Jobs at t={self.now}: {active}\n"
                    + "\n".join(self.log)
                    if len(active) > 1
                    else ""
                )
                require(requirement, len(active) <= 1, detail.__str__)

    def _check_new_job(self, owner: str, job: dict[str, Any]) -> None:
        name, wanted = self.by_uid[owner]
        metadata = job["metadata"]
        created = _time(metadata["creationTimestamp"])
        raw = (metadata.get("annotations") or {}).get(SCHEDULED_TIMESTAMP)

        def fail(requirement: Any, why: str) -> None:
            require(
                requirement,
                False,
                lambda: (
                    f"Job {metadata['name']} of {name} (created {created}): {why}\n" + "\n".join(self.log)
                ),
            )

        if raw is None:
            fail(CRONJOB_SCHEDULE, f"no {SCHEDULED_TIMESTAMP} annotation")
        scheduled = _time(raw)  # type: ignore[arg-type]
        self.seen[metadata["uid"]] = (owner, scheduled)
        if metadata["name"] != job_name(name, scheduled):
            fail(CRONJOB_SCHEDULE, f"named {metadata['name']}, not {job_name(name, scheduled)}")
        if scheduled > created:
            fail(CRONJOB_SCHEDULE, f"created before its scheduled time {scheduled}")
        if scheduled <= wanted.created:
            fail(CRONJOB_SCHEDULE, f"scheduled at {scheduled}, not after the CronJob's creation")
        fits = False
        for schedule, zone in wanted.schedules:
            parsed = parse_schedule(schedule, zone)
            assert parsed is not None
            fires_then = next_fire(*parsed, scheduled - timedelta(seconds=1)) == scheduled
            # The most recent fire time: the next one had not come by the Job's creation (a truncated
            # creationTimestamp is earlier than the truth, so this never blames a right Job).
            fits = fits or (fires_then and next_fire(*parsed, scheduled) > created)
        if not fits:
            fail(
                CRONJOB_SCHEDULE,
                f"scheduled at {scheduled}: not the most recent fire time of any schedule {wanted.schedules}",
            )
        twins = [uid for uid, (o, t) in self.seen.items() if o == owner and t == scheduled]
        if len(twins) > 1:
            fail(CRONJOB_SCHEDULE, f"{len(twins)} Jobs for the scheduled time {scheduled}")
        late = (created - scheduled).total_seconds()
        if wanted.deadline is not None and late > wanted.deadline:
            fail(CRONJOB_DEADLINE, f"started {late} s after {scheduled}, deadline {wanted.deadline} s")
        created_s = (created - self.origin).total_seconds()
        spans = [
            *wanted.suspended,
            *([(wanted.suspended_since, float("inf"))] if wanted.suspended_since is not None else []),
        ]
        for since, until in spans:
            # Created (truncated) at or after the suspension and before the resume: while suspended.
            if since <= created_s and created_s + 1 <= until:
                fail(CRONJOB_SUSPEND, f"created while suspended (from t={since} to t={until})")

    def teardown(self) -> None:
        """The liveness phase: faults off, Jobs finishing, every fire time gets its Job."""
        self.cluster.set_watch_lag(PODS, 0.0)
        self.cluster.set_watch_lag("/apis/batch/v1/jobs", 0.0)
        self.cluster.restart_controller_manager()
        for _, job in self._jobs():  # so Forbid has no reason to skip the first fire time
            if _active(job):
                self._finish(job["metadata"]["name"], True)
        self._run(2.0)
        start = self._date()
        end = start + timedelta(seconds=SETTLE_S)
        while self._date() < end:
            self._run(CHUNK_S)
            for _, job in self._jobs():
                if _active(job):
                    self._finish(job["metadata"]["name"], True)
        self._run(2.0)
        jobs = self._jobs()
        for name, wanted in self.wanted.items():
            self._check_settled(name, wanted, start, [job for owner, job in jobs if owner == wanted.uid])

    def _check_settled(self, name: str, wanted: Wanted, start: datetime, jobs: list[dict[str, Any]]) -> None:
        cron = self._ok("GET", f"{CRONJOBS}/{name}")
        status = cron.get("status") or {}
        complete = [job for job in jobs if _finished(job) == "Complete"]
        failed = [job for job in jobs if _finished(job) == "Failed"]
        require(
            CRONJOB_HISTORY,
            len(complete) <= wanted.successful_limit and len(failed) <= FAILED_JOBS_HISTORY_LIMIT,
            lambda: (
                f"{name}: {len(complete)} Complete Jobs (limit {wanted.successful_limit}), "
                f"{len(failed)} Failed (limit {FAILED_JOBS_HISTORY_LIMIT}) after settling\n"
                + "\n".join(self.log)
            ),
        )
        if wanted.suspended_since is not None:
            return
        parsed = parse_schedule(*wanted.schedules[-1])
        assert parsed is not None
        now = self._date()
        due = []
        moment = next_fire(*parsed, start + timedelta(seconds=1))
        while moment <= now:
            due.append(moment)
            moment = next_fire(*parsed, moment)
        # A fire time in the last half second may not have had its sync yet; either answer is right.
        pending = [t for t in due if t > now - timedelta(seconds=0.5)]
        got = {t for o, t in self.seen.values() if o == wanted.uid}
        missing = [t for t in due if t not in got and t not in pending]
        latest = due[-len(pending) - 1 :] if due else []
        active = sorted(job["metadata"]["uid"] for job in jobs if _active(job))
        listed = sorted(ref.get("uid", "") for ref in status.get("active") or ())
        last = status.get("lastScheduleTime")
        require(
            CRONJOB_ESR,
            not missing and active == listed and (not due or (last is not None and _time(last) in latest)),
            lambda: (
                f"{name}: after {SETTLE_S} s without faults, fire times without a Job: {missing}; "
                f"active Jobs {active}, status.active {listed}; lastScheduleTime {last}, "
                f"latest fire times {latest}\n" + "\n".join(self.log)
            ),
        )


def machine_for(provider: ControllersProvider) -> type[CronJobMachine]:
    return type("CronJobMachine", (CronJobMachine,), {"provider": provider})
