"""spec/workloads/cronjob.py against upstream's unit cases (k/k pkg/controller/cronjob/utils_test.go
TestNextScheduleTime, TestMostRecentScheduleTime, TestByJobStartTime; cronjob_controllerv2_test.go
TestControllerV2SyncCronJob), ported by name, plus the controller's syncs checked against the spec."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from impl.controllers.cronjob import CronJobController, SyncRecord
from impl.controlplane import SimulatedCluster
from spec.workloads.cronjob import (
    CronJobView,
    JobView,
    history_deletes,
    job_name,
    most_recent_schedule_time,
    parse_schedule,
    sync_cronjob,
)

#: upstream's topOfTheHour(): Thursday 2016-05-19 10:00 UTC.
T1 = datetime(2016, 5, 19, 10, 0, tzinfo=UTC)
T2 = T1 + timedelta(hours=1)
H, M, S = timedelta(hours=1), timedelta(minutes=1), timedelta(seconds=1)


def _recent(schedule: str, earliest: datetime, now: datetime, deadline: int | None = None) -> datetime | None:
    parsed = parse_schedule(schedule, None)
    assert parsed is not None
    return most_recent_schedule_time(*parsed, earliest, now, deadline).time


# -- TestNextScheduleTime ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "earliest", "now", "deadline", "expected"),
    [
        ("no known start times, and none needed yet", T1 - 10 * M, T1 - 7 * M, None, None),
        ("no known start times, and one needed", T1 - 10 * M, T1 + 2 * S, None, T1),
        ("known LastScheduleTime, no start needed", T1, T1 + 2 * M, None, None),
        ("known LastScheduleTime, a start needed", T1, T2 + 5 * M, None, T2),
        ("known LastScheduleTime, two starts needed", T1 - H, T2 + 5 * M, None, T2),
        ("now is way way ahead of last start time, no deadline", T1 - H, T2 + 240 * H, None, T2 + 240 * H),
        ("now is way way ahead, a short deadline", T1 - H, T2 + 240 * H, 2 * 3600, T2 + 240 * H),
    ],
)
def test_next_schedule_time(
    case: str, earliest: datetime, now: datetime, deadline: int | None, expected: datetime | None
) -> None:
    assert _recent("0 * * * ?", earliest, now, deadline) == expected, case


def test_too_many_missed_start_times_are_counted_not_started() -> None:
    parsed = parse_schedule("0 * * * *", None)
    assert parsed is not None
    recent = most_recent_schedule_time(*parsed, T1 - H, T2 + 240 * H)
    assert recent.missed > 100 and recent.time == T2 + 240 * H
    view = CronJobView("mycronjob", "0 * * * *", created=T1 - 2 * H, last_schedule_time=T1 - H)
    decision = sync_cronjob(view, [], T2 + 240 * H + 5 * M)
    assert decision.too_many_missed and decision.create == job_name("mycronjob", T2 + 240 * H)


# -- TestMostRecentScheduleTime -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "schedule", "earliest", "now", "expected"),
    [
        ("now before next schedule", "0 * * * *", T1, T1 + 30 * S, None),
        ("now just after next schedule", "0 * * * *", T1, T1 + 61 * M, T1 + 60 * M),
        ("missed 5 schedules", "0 * * * *", T1 + 10 * S, T1 + 301 * M, T1 + 300 * M),
        ("complex schedule", "30 6-16/4 * * 1-5", T1 + 30 * M, T1 + 24 * H + 31 * M, T1 + 24 * H + 30 * M),
        # upstream's approximation jumps past Friday 12:30 (kept: it is what the controller does)
        ("another complex schedule", "30 10,11,12 * * 1-5", T1 + 30 * M, T1 + 30 * H + 30 * M, None),
        (
            "complex schedule with longer diff between executions",
            "30 6-16/4 * * 1-5",
            T1 + 30 * M,
            T1 + 96 * H + 31 * M,
            T1 + 96 * H + 30 * M,
        ),
        (
            "complex schedule with shorter diff between executions",
            "30 6-16/4 * * 1-5",
            T1,
            T1 + 24 * H + 31 * M,
            T1 + 24 * H + 30 * M,
        ),
    ],
)
def test_most_recent_schedule_time(
    case: str, schedule: str, earliest: datetime, now: datetime, expected: datetime | None
) -> None:
    assert _recent(schedule, earliest, now) == expected, case


def test_every_schedule_with_a_deadline() -> None:
    # "@every schedule": created 59 min before the hour, @every 1h, deadline 10 s, now just past the hour.
    assert _recent("@every 1h", T1 - 59 * M, T1 + M + 5 * S, 10) is None
    assert _recent("@every 1h", T1 - 59 * M, T1 + M + 5 * S) == T1 + M


def test_time_zone_shifts_the_fire_times() -> None:
    # "*/2" in Kathmandu (UTC+5:45) fires at odd UTC minutes.
    parsed = parse_schedule("*/2 * * * *", "Asia/Kathmandu")
    assert parsed is not None
    assert most_recent_schedule_time(*parsed, T1, T1 + 2 * M).time == T1 + M


# -- TestByJobStartTime and the history limits ----------------------------------------------------------


def test_by_job_start_time_deletes_the_oldest_first() -> None:
    jobs = [
        JobView("b-nil", "1", "Complete"),
        JobView("a-later", "2", "Complete", start_time=T2),
        JobView("b-set", "3", "Complete", start_time=T1),
        JobView("a-set", "4", "Complete", start_time=T1),
        JobView("failed-1", "5", "Failed", start_time=T1),
        JobView("failed-2", "6", "Failed", start_time=T2),
        JobView("running", "7", None, start_time=T1),
    ]
    # byJobStartTime: a-set, b-set (equal times by name), a-later, then b-nil (unset last).
    assert history_deletes(jobs, 1, 1) == ("4", "3", "2", "5")
    assert history_deletes(jobs, 3, 1) == ("4", "5")
    assert history_deletes(jobs, None, None) == ()


# -- TestControllerV2SyncCronJob (the decision) ---------------------------------------------------------

_JUST_AFTER = T1 + 2 * S  # "justAfterThePriorHour" is upstream's T1 - 1 h + 2 s; the shape is the same
_ACTIVE = JobView(job_name("mycronjob", T1 - H), "active-uid")


def _cj(policy: str = "Allow", **changes: object) -> CronJobView:
    view = CronJobView("mycronjob", "0 * * * ?", created=T1 - 2 * H, concurrency_policy=policy)
    return replace(view, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("case", "view", "jobs", "now", "skipped", "deletes"),
    [
        (
            "never ran, not valid schedule, A",
            _cj(schedule="59 23 31 2 *"),
            [],
            _JUST_AFTER,
            "unparseable",
            (),
        ),
        ("never ran, not time, A", _cj(created=T1 + S), [], T1 + 30 * M, "not-due", ()),
        ("never ran, is time, A", _cj(), [], _JUST_AFTER, "", ()),
        ("never ran, is time, F", _cj("Forbid"), [], _JUST_AFTER, "", ()),
        ("never ran, is time, suspended", _cj(suspend=True), [], _JUST_AFTER, "suspended", ()),
        (
            "never ran, is time, past deadline",
            _cj(starting_deadline_seconds=1),
            [],
            T1 + 5 * S,
            "not-due",  # the deadline raises earliest past T1 (upstream: no unmet time)
            (),
        ),
        (
            "prev ran but done, is time, A",
            _cj(last_schedule_time=T1 - H, active=("active-uid",)),
            [replace(_ACTIVE, finished="Complete")],
            _JUST_AFTER,
            "",
            (),
        ),
        (
            "still active, is time, A",
            _cj(last_schedule_time=T1 - H, active=("active-uid",)),
            [_ACTIVE],
            _JUST_AFTER,
            "",
            (),
        ),
        (
            "still active, is time, F",
            _cj("Forbid", last_schedule_time=T1 - H, active=("active-uid",)),
            [_ACTIVE],
            _JUST_AFTER,
            "forbid",
            (),
        ),
        (
            "still active, is time, R",
            _cj("Replace", last_schedule_time=T1 - H, active=("active-uid",)),
            [_ACTIVE],
            _JUST_AFTER,
            "",
            ("active-uid",),
        ),
        (
            "still active, is time, past deadline",
            _cj(last_schedule_time=T1 - H, active=("active-uid",), starting_deadline_seconds=1),
            [_ACTIVE],
            T1 + 5 * S,
            "not-due",  # the deadline raises earliest past T1 (upstream: no unmet time)
            (),
        ),
        (
            "prev ran, already processed (lastScheduleTime is the due time)",
            _cj(last_schedule_time=T1),
            [],
            _JUST_AFTER,
            "not-due",
            (),
        ),
        (
            "long overdue, not past deadline, A: only the most recent time",
            _cj(last_schedule_time=T1 - 10 * H, starting_deadline_seconds=3600),
            [],
            _JUST_AFTER,
            "",
            (),
        ),
    ],
)
def test_sync_cronjob(
    case: str, view: CronJobView, jobs: list[JobView], now: datetime, skipped: str, deletes: tuple[str, ...]
) -> None:
    decision = sync_cronjob(view, jobs, now)
    assert decision.skipped == skipped, case
    assert decision.replace_deletes == deletes, case
    if not skipped:
        assert decision.create == job_name("mycronjob", T1) and decision.scheduled == T1, case
        # the requeue: 100 ms after the next fire time
        assert decision.requeue_after_s == pytest.approx((T2 - now).total_seconds() + 0.1), case
    else:
        assert decision.create is None, case


def test_job_name_is_the_scheduled_minute() -> None:
    assert job_name("mycronjob", T1) == f"mycronjob-{int(T1.timestamp()) // 60}"
    assert job_name("mycronjob", T1 + 59 * S) == job_name("mycronjob", T1)


# -- the controller reconciles by the spec ----------------------------------------------------------


def test_each_sync_writes_what_the_spec_decided() -> None:
    cluster = SimulatedCluster(seed=0, nodes=1, controllers=(CronJobController,))
    template = {
        "spec": {
            "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "x"}]}}
        }
    }
    for name, policy in (("allow", "Allow"), ("forbid", "Forbid"), ("replace", "Replace")):
        body = {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"schedule": "*/1 * * * *", "concurrencyPolicy": policy, "jobTemplate": template},
        }
        assert cluster.call("POST", "/apis/batch/v1/namespaces/default/cronjobs", body)[0] == 201
    cluster.run(200)
    syncs: list[SyncRecord] = cluster.controllers[0].syncs
    created = [s for s in syncs if s.created]
    assert {s.created for s in created} >= {job_name("allow", datetime(2026, 1, 1, 0, 3, tzinfo=UTC))}
    for record in syncs:
        decision = record.decision
        assert record.created == decision.create
        assert record.deleted == [*decision.history_deletes, *decision.replace_deletes]
        if decision.scheduled is not None:
            assert record.now >= decision.scheduled  # never early
    names = {s.created for s in created if s.created}
    # Allow: 3 Jobs (minutes 1, 2, 3); Forbid: only the first (nothing finishes); Replace: 3, two deleted.
    assert sum(n.startswith("allow-") for n in names) == 3
    assert sum(n.startswith("forbid-") for n in names) == 1
    assert sum(n.startswith("replace-") for n in names) == 3
    assert sum(len(s.decision.replace_deletes) for s in syncs) == 2
