"""IntOrString and percentages resolved against a total (``maxSurge: 25%``).

What is modelled: the ``IntOrString`` value (an int32 or a string), upstream's
``Parse`` and ``IntValue``, and ``GetScaledValueFromIntOrPercent``, which
turns ``3`` into 3 and ``"25%"`` into a quarter of a total, rounded up or down
as the caller asks (a Deployment rounds maxSurge up and maxUnavailable down).

Upstream: kubernetes/apimachinery ``pkg/util/intstr/intstr.go``
(``IntOrString``, ``Parse``, ``IntValue``, ``GetScaledValueFromIntOrPercent``,
``getIntOrPercentValueSafely``) and its tests ``intstr_test.go``;
``pkg/util/validation/validation.go`` ``IsValidPercent`` for the stricter
check API validation applies.

Which strings are percentages (upstream, checked by tests):

- A string must end in ``%`` and the rest must be what Go's ``strconv.Atoi``
  reads: an optional sign and decimal digits. ``"25"`` (no ``%``), ``"x%"``,
  ``"%"``, ``"2.5%"``, ``"25%%"`` and ``" 25%"`` are errors.
- ``"-5%"`` and ``"+5%"`` are accepted here: negative percentages are only
  rejected by API validation (``IsValidPercent``: ``^[0-9]+%$``, offered as
  ``is_valid_percent``), not by the resolution function.

Where the spec differs: upstream computes ``math.Ceil(float64(p) *
float64(total) / 100)``; the spec computes the same quantity with exact
integers. They agree whenever ``|p * total|`` is below 2**53 (the product is
exact in a float64 and dividing by 100 cannot cross an integer) -- every
realistic replica count -- and the spec stays exact beyond.

Requirement IDs: none yet (the registry is being built elsewhere).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

_INT32_MIN: Final = -(2**31)
_INT32_MAX: Final = 2**31 - 1
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1

_GO_INT: Final = re.compile(r"[+-]?[0-9]+")  # what strconv.Atoi / ParseInt(s, 10, n) accept
_VALID_PERCENT: Final = re.compile(r"[0-9]+%")  # validation.IsValidPercent
_PERCENT_ERROR: Final = (
    "a valid percent string must be a numeric string followed by an ending '%' "
    "(e.g. '1%' or '93%', regex used for validation is '[0-9]+%')"
)


class IntOrStringError(ValueError):
    """An IntOrString is not usable as an integer or a percentage."""


@dataclass(frozen=True)
class IntOrString:
    """An int32 or a string, as the API carries ``maxSurge``, ``targetPort``, ...

    JSON gives a number or a string; ``IntOrString(3)`` and
    ``IntOrString("25%")`` build them directly.
    """

    value: int | str

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, (int, str)):
            raise TypeError(f"IntOrString holds an int or a str, not {type(self.value).__name__}")
        if isinstance(self.value, int) and not _INT32_MIN <= self.value <= _INT32_MAX:
            raise IntOrStringError(f"{self.value} does not fit the int32 an IntOrString holds")

    @property
    def is_int(self) -> bool:
        return isinstance(self.value, int)

    @classmethod
    def parse(cls, text: str) -> IntOrString:
        """An int when ``text`` is an int32 in decimal, otherwise the string (upstream ``Parse``)."""
        number = _go_int(text)
        if number is not None and _INT32_MIN <= number <= _INT32_MAX:
            return cls(number)
        return cls(text)

    def int_value(self) -> int:
        """The int, or the string read as an int with 0 when it is not one (upstream ``IntValue``)."""
        if isinstance(self.value, int):
            return self.value
        number = _go_int(self.value)
        return number if number is not None else 0

    def __str__(self) -> str:
        return str(self.value)


def percent_of(int_or_percent: IntOrString | int | str) -> int:
    """The integer part of a percentage string, or raise ``IntOrStringError`` (getIntOrPercentValueSafely)."""
    value = int_or_percent.value if isinstance(int_or_percent, IntOrString) else int_or_percent
    if not isinstance(value, str):
        raise IntOrStringError(f"{value!r} is an int, not a percentage")
    if not value.endswith("%"):
        raise IntOrStringError(f"invalid value for IntOrString: {value!r} is not a percentage")
    number = _go_int(value[:-1])
    if number is None:
        raise IntOrStringError(f"invalid value for IntOrString: {value!r} is not an integer followed by '%'")
    return number


def scaled_value(int_or_percent: IntOrString | int | str, total: int, round_up: bool) -> int:
    """An int as is, or a percentage of ``total`` rounded up or down (GetScaledValueFromIntOrPercent).

    ``scaled_value("25%", 10, round_up=True) == 3``; with ``round_up=False``
    it is 2. A percentage of 0 is 0 either way. Rounding is toward +inf or
    -inf (ceiling and floor), also for negative percentages.
    """
    value = int_or_percent.value if isinstance(int_or_percent, IntOrString) else int_or_percent
    if isinstance(value, bool):
        raise TypeError("scaled_value takes an IntOrString, an int or a str, not a bool")
    if isinstance(value, int):
        return value
    percent = percent_of(value)
    if round_up:
        return -(-percent * total // 100)
    return percent * total // 100


def is_valid_percent(text: str) -> list[str]:
    """Errors for a percentage that API validation rejects (upstream ``IsValidPercent``); [] if valid."""
    if _VALID_PERCENT.fullmatch(text):
        return []
    return [_PERCENT_ERROR]


def _go_int(text: str) -> int | None:
    """``text`` as Go's strconv.Atoi reads it on 64-bit: sign, ASCII digits, int64 range.

    Python's int() would also accept spaces, underscores and non-ASCII
    digits, which Go rejects.
    """
    if not _GO_INT.fullmatch(text):
        return None
    if len(text.lstrip("+-").lstrip("0")) > 19:
        return None  # beyond int64 anyway, and int() refuses over 4300 digits
    number = int(text)
    return number if _INT64_MIN <= number <= _INT64_MAX else None
