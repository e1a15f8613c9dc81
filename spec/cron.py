"""CronJob schedules: the syntax Kubernetes accepts and the times a schedule fires.

Upstream: a CronJob's ``spec.schedule`` is parsed by ``cron.ParseStandard``
of github.com/robfig/cron/v3 (k/k ``pkg/apis/batch/validation``
``validateScheduleFormat`` and ``pkg/controller/cronjob/utils.go``):

- five fields, minute hour day-of-month month day-of-week, with ``*``,
  lists ``a,b``, ranges ``a-b``, steps ``*/n`` and ``a-b/n``, month and day
  names (``JAN``, ``MON``), ``?`` as ``*`` in the day fields; minute 0-59,
  hour 0-23, day-of-month 1-31, month 1-12, day-of-week 0-6;
- or a descriptor: ``@yearly`` (``@annually``), ``@monthly``, ``@weekly``,
  ``@daily`` (``@midnight``), ``@hourly``, and ``@every <duration>`` (a Go
  duration such as ``1h30m``);
- Kubernetes itself refuses ``TZ=`` and ``CRON_TZ=`` in the schedule: the
  time zone goes in ``spec.timeZone``, an IANA name (``Local`` refused).

Evaluation (the next time a schedule fires) is done by the cronsim library,
not by a parser written here. cronsim reads a superset of robfig's
syntax (``L``, ``W``, ``#``, day-of-week 7, six fields), so ``parse`` first
rejects what robfig rejects, then hands the expression to cronsim.

Where this differs from upstream, deliberately: a day-of-month that no
listed month has (``0 0 30 2 *``) is rejected; robfig accepts it and the
CronJob then never runs. cronsim refuses to iterate such a schedule, and
a schedule that can never fire is a mistake worth reporting.

Requirement IDs: none (the CronJob controller's requirements use it).
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import cronsim

#: robfig/cron's descriptors and the five-field schedules they stand for (parser.go, parseDescriptor).
DESCRIPTORS: Final = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

#: Go's time.ParseDuration units in nanoseconds.
_DURATION_UNITS: Final = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 10**6,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}
_DURATION_TERM: Final = re.compile(r"([0-9]*\.?[0-9]*)(ns|us|µs|μs|ms|s|m|h)")
#: Characters cronsim understands and robfig does not.
_EXTENSIONS: Final = re.compile("[LW#]")
_FIELD_NAMES: Final = ("minute", "hour", "day-of-month", "month", "day-of-week")
#: Month and day names, removed before looking for extensions (JUL has an L, WED a W).
_NAMES: Final = re.compile("JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|SUN|MON|TUE|WED|THU|FRI|SAT")
#: Day-of-week 7 as a value or a range end, not as a step (``*/7`` is fine).
_SEVEN: Final = re.compile("(?<![0-9/])7(?![0-9])")


class CronError(ValueError):
    """A schedule Kubernetes would not accept; the message says why."""


def parse_go_duration(text: str) -> int:
    """Nanoseconds of a Go duration (``time.ParseDuration``): ``1h30m``, ``90s``, ``1.5h``; signs allowed."""
    body = text
    sign = 1
    if body[:1] in "+-" and body:
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if body == "0":
        return 0
    if not body:
        raise CronError(f'time: invalid duration "{text}"')
    total = 0
    position = 0
    while position < len(body):
        match = _DURATION_TERM.match(body, position)
        if match is None or match.group(1) in ("", "."):
            raise CronError(f'time: invalid duration "{text}"')
        number, unit = match.groups()
        whole, _, fraction = number.partition(".")
        scale = _DURATION_UNITS[unit]
        total += int(whole or "0") * scale + (int(fraction) * scale // 10 ** len(fraction) if fraction else 0)
        position = match.end()
    return sign * total


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: five cron fields, or an interval from ``@every``."""

    text: str
    fields: str = ""  # the five-field form handed to cronsim ("" for @every)
    every_ns: int = 0

    def next_after(self, moment: datetime) -> datetime:
        """The first time strictly after ``moment`` that the schedule fires (``@every``: moment + interval).

        ``moment`` carries its time zone (``zoneinfo``), as the CronJob
        controller evaluates a schedule in ``spec.timeZone`` (UTC when unset).
        """
        if self.every_ns:
            return moment + timedelta(microseconds=self.every_ns // 1000)
        return next(cronsim.CronSim(self.fields, moment))


def parse(schedule: str) -> Schedule:
    """The schedule ``spec.schedule`` describes, or ``CronError`` saying why Kubernetes refuses it."""
    text = schedule.strip()
    if "TZ" in schedule:
        raise CronError("cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
    if text.startswith("@"):
        if text.startswith("@every "):
            interval = parse_go_duration(text[len("@every ") :].strip())
            if interval <= 0:
                raise CronError(f"failed to parse duration {text}: must be positive")
            # robfig rounds below one second up to one second (constantdelay.go).
            return Schedule(schedule, every_ns=max(interval - interval % 10**9, 10**9))
        if text not in DESCRIPTORS:
            raise CronError(f"unrecognized descriptor: {text}")
        return Schedule(schedule, fields=DESCRIPTORS[text])
    fields = text.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: {text}")
    for name, field in zip(_FIELD_NAMES, fields, strict=True):
        if _EXTENSIONS.search(_NAMES.sub("", field.upper())):
            raise CronError(f"failed to parse {name} field {field!r}: L, W and # are not supported")
    day_of_week = fields[4]
    if _SEVEN.search(day_of_week):
        raise CronError(f"end of range (7) above maximum (6): {day_of_week}")
    fields = [field.replace("?", "*") if index in (2, 4) else field for index, field in enumerate(fields)]
    expression = " ".join(fields)
    try:
        cronsim.CronSim(expression, datetime(2000, 1, 1))
    except cronsim.CronSimError as error:
        raise CronError(f"{error}: {text}") from None
    return Schedule(schedule, fields=expression)


def schedule_errors(schedule: str) -> list[str]:
    """Why ``schedule`` is refused; [] if Kubernetes accepts it."""
    try:
        parse(schedule)
    except CronError as error:
        return [str(error)]
    return []


def time_zone_errors(name: str) -> list[str]:
    """``validateTimeZone``: an IANA time zone name; ``Local`` is refused."""
    if name.lower() == "local":
        return ["timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"]
    if name != name.strip() or not name:
        return [f"unknown time zone {name}"]
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return [f"unknown time zone {name}"]
    return []
