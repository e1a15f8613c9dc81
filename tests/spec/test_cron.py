"""CronJob schedules: robfig/cron's syntax as Kubernetes accepts it, and when a schedule fires."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from spec.cron import (
    CronError,
    parse,
    parse_go_duration,
    schedule_errors,
    time_zone_errors,
)

# What cron.ParseStandard accepts (robfig/cron v3 parser.go, spec.go) and Kubernetes keeps.
ACCEPTED = [
    "* * * * *",
    "*/5 * * * *",
    "0 0 * * *",
    "30 4 1,15 * 5",
    "0 9-17/2 * * MON-FRI",
    "0 0 1 JAN *",
    "0 0 ? * SUN",
    "0 0 * * ?",
    "5/15 * * * *",
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
    "@every 1h30m",
    "@every 90s",
    "0 0 * JUL WED",
]

REFUSED = {
    "60 * * * *": "minute out of range",
    "* 24 * * *": "hour out of range",
    "* * 0 * *": "day-of-month starts at 1",
    "* * 32 * *": "day-of-month out of range",
    "* * * 13 *": "month out of range",
    "* * * * 7": "robfig's day-of-week ends at 6 (SAT)",
    "* * * * 1-7": "a range past 6",
    "* * * *": "four fields",
    "0 * * * * *": "six fields (seconds) are not ParseStandard",
    "@reboot": "not a descriptor robfig knows",
    "@every": "no duration",
    "@every 1x": "not a Go duration",
    "@every -5m": "a negative interval",
    "0 0 L * *": "Quartz's L",
    "0 0 1W * *": "Quartz's W",
    "0 0 * * 1#2": "Quartz's #",
    "*/0 * * * *": "a zero step",
    "5-1 * * * *": "a backwards range",
    "CRON_TZ=UTC 0 * * * *": "Kubernetes refuses a zone in the schedule",
    "TZ=Europe/Berlin 0 * * * *": "Kubernetes refuses a zone in the schedule",
    "": "nothing",
    "every minute": "words",
}


@pytest.mark.parametrize("schedule", ACCEPTED)
def test_kubernetes_schedules_are_accepted(schedule: str) -> None:
    assert schedule_errors(schedule) == []


@pytest.mark.parametrize("schedule", sorted(REFUSED), ids=lambda s: s or "<empty>")
def test_schedules_kubernetes_refuses_are_refused_with_a_reason(schedule: str) -> None:
    errors = schedule_errors(schedule)
    assert len(errors) == 1 and errors[0], REFUSED[schedule]
    with pytest.raises(CronError):
        parse(schedule)


def at(text: str, zone: str = "UTC") -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        ("*/15 * * * *", "2026-03-01 10:07", "2026-03-01 10:15"),
        ("*/15 * * * *", "2026-03-01 10:15", "2026-03-01 10:30"),  # strictly after
        ("0 0 * * *", "2026-12-31 23:59", "2027-01-01 00:00"),
        ("@weekly", "2026-11-25 12:00", "2026-11-29 00:00"),  # the next Sunday
        ("@hourly", "2026-11-28 04:30", "2026-11-28 05:00"),
        ("0 12 29 2 *", "2026-03-01 00:00", "2028-02-29 12:00"),  # the next leap day
        ("0 0 ? * MON", "2026-11-28 00:00", "2026-11-30 00:00"),
        # Day-of-month and day-of-week both restricted: either matches (cron's OR rule).
        ("0 0 13 * FRI", "2026-11-01 00:00", "2026-11-06 00:00"),
    ],
)
def test_next_after_follows_cron_semantics(schedule: str, after: str, expected: str) -> None:
    assert parse(schedule).next_after(at(after)) == at(expected)


def test_next_after_keeps_the_time_zone_of_the_moment() -> None:
    new_york = parse("30 2 * * *").next_after(at("2026-06-01 03:00", "America/New_York"))
    assert new_york == at("2026-06-02 02:30", "America/New_York")
    assert new_york.astimezone(UTC).hour == 6  # EDT is UTC-4


def test_every_adds_its_interval_rounded_to_whole_seconds() -> None:
    moment = at("2026-01-01 00:00")
    assert parse("@every 1h30m").next_after(moment) == at("2026-01-01 01:30")
    assert parse("@every 1500ms").every_ns == 1_000_000_000
    assert parse("@every 10ms").every_ns == 1_000_000_000  # robfig: at least one second


@pytest.mark.parametrize(
    ("text", "nanoseconds"),
    [
        ("0", 0),
        ("1s", 10**9),
        ("1.h", 3600 * 10**9),
        ("1.5h", 5400 * 10**9),
        ("1h2m3s", 3723 * 10**9),
        ("-2m", -120 * 10**9),
        ("300ms", 3 * 10**8),
    ],
)
def test_go_durations(text: str, nanoseconds: int) -> None:
    assert parse_go_duration(text) == nanoseconds


@pytest.mark.parametrize("text", ["", "1", "h", "1d", ".h", "--1s", "1s2"])
def test_malformed_go_durations_are_refused(text: str) -> None:
    with pytest.raises(CronError):
        parse_go_duration(text)


def test_time_zones_are_iana_names_and_local_is_refused() -> None:
    assert time_zone_errors("Europe/Berlin") == []
    assert time_zone_errors("UTC") == []
    assert time_zone_errors("Local") == [
        "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"
    ]
    assert time_zone_errors("Mars/Olympus_Mons") == ["unknown time zone Mars/Olympus_Mons"]
    assert time_zone_errors(" UTC") != []
    assert time_zone_errors("") != []
