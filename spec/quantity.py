"""Resource quantities: Kubernetes' ``resource.Quantity`` (``100m``, ``1Gi``, ``1e3``).

What is modelled: the string grammar and how it is read (``parse_quantity``),
the exact value (a multiple of 10**-9, never a float), the remembered format
(BinarySI, DecimalSI, DecimalExponent), the canonical string that upstream's
``String()`` computes, ordering, addition, subtraction, negation, and the
integer accessors ``value()``, ``milli_value()`` and ``scaled_value()``.

Upstream: kubernetes/apimachinery ``pkg/api/resource/quantity.go``
(``ParseQuantity``, ``parseQuantityString``, ``CanonicalizeBytes``, ``Add``,
``Sub``, ``Cmp``, ``Value``, ``MilliValue``), ``suffix.go`` (the suffix
tables), ``amount.go``, ``math.go`` and ``scale_int.go`` (rounding); the tables
in ``quantity_test.go`` are replayed in ``tests/spec``. Read at the mirror's
2026-07 snapshot and at the newer indexed version 357557a6 of quantity.go.

Grammar (upstream's comment; the scanner is what decides)::

    <quantity>        ::= <signedNumber><suffix>
    <signedNumber>    ::= <number> | <sign><number>
    <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
    <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
    <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
    <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
    <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>

``E`` alone is exa (10**18); ``E`` followed by a signed integer is an
exponent, so ``1E`` is 10**18 and ``1E3`` is 1000.

Where upstream surprises (each is checked by a test):

- A value finer than 1n is rounded away from zero to the nanounit when
  parsed (``0.1n`` -> ``1n``, ``-0.1n`` -> ``-1n``): "if you want some
  resources, you should get some".
- A BinarySI quantity is silently capped at 2**63-1 in magnitude when parsed
  (``9Ei`` -> 9223372036854775807); decimal quantities are not capped.
- The number may have no digit at all: a bare sign, point or suffix reads as
  zero (``k``, ``Ki``, ``+``, ``.``; kubernetes/apimachinery#165), except
  where upstream's slow path needs a digit (``Pi``, ``Ei``, ``e-10`` are
  rejected). The spec reproduces exactly that split.
- ``String()`` is not always canonical: for a freshly parsed string that
  passes a cheap check upstream keeps the input verbatim, so ``1.001``,
  ``+1``, ``010``, ``1E3`` and ``1.500k`` serialize unchanged
  (kubernetes/kubernetes#138165). ``Quantity.canonical()`` is the computed
  canonical form; ``upstream_string(text)`` models what upstream echoes.
- A BinarySI value that is a whole number from 1024 up but not a multiple of
  1024 prints without a suffix (``125000``), which reads back as DecimalSI
  and then prints as ``125k``: the canonical form is a fixed point only
  after one parse.
- ``Value()``/``MilliValue()`` round away from zero on upstream's int64 path
  (``-1.5`` -> ``-2``), but on its inf.Dec path (inputs of more than 18
  digits or finer than 1n, results that overflowed int64) a negative value
  is truncated toward zero and then, if inexact, incremented: ``-1.5`` gives
  0 and ``-0.0000000005`` (read as -1n) gives 1 (scale_int.go). The spec
  follows the documented "rounded up to the nearest integer away from 0".

Where the spec deliberately differs (values no upstream API input reaches,
or upstream corrupts):

- Accessors return exact Python ints; upstream's int64 silently overflows.
- A decimal exponent outside int32 is rejected; upstream wraps it.
- BinarySI values of 2**70 and more (reachable only by arithmetic) print with
  at most the ``Ei`` suffix (``1024Ei``); upstream finds no suffix and prints
  the mantissa alone. DecimalSI values beyond ``E`` fall back to ``e``
  notation (``1000E`` -> ``1e21``), as the newer upstream does; the 2026-07
  snapshot printed ``1``.
- Every Quantity, however built, is a multiple of 1n (upstream's programmatic
  constructors can go finer; nothing parsed can).

Requirement IDs: none yet (the registry is being built elsewhere).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Final


class Format(enum.Enum):
    """How a quantity is written; parsing remembers it and ``canonical()`` reuses it."""

    DECIMAL_EXPONENT = "DecimalExponent"  # 12e6
    BINARY_SI = "BinarySI"  # 12Mi = 12 * 2**20
    DECIMAL_SI = "DecimalSI"  # 12M  = 12 * 10**6


class QuantityError(ValueError):
    """A string is not a quantity; ``reason`` says why (upstream's error, reworded)."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"quantity {text!r}: {reason}")
        self.text = text
        self.reason = reason


#: Every quantity is a whole number of nanounits (upstream's Scale ``Nano``).
NANO_EXPONENT: Final = -9

#: Parsing caps a BinarySI quantity at this magnitude (upstream ``maxAllowed``).
MAX_BINARY_SI: Final = 2**63 - 1

# suffix.go: the DecimalSI suffixes and the power of ten each stands for.
_DECIMAL_SI_SUFFIXES: Final[dict[str, int]] = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_DECIMAL_SI_BY_EXPONENT: Final[dict[int, str]] = {e: s for s, e in _DECIMAL_SI_SUFFIXES.items()}

# suffix.go: the BinarySI suffixes and the power of two each stands for.
_BINARY_SI_SUFFIXES: Final[dict[str, int]] = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_BINARY_SI_BY_POWER_OF_1024: Final[dict[int, str]] = {0: ""} | {
    p // 10: s for s, p in _BINARY_SI_SUFFIXES.items()
}

# Upstream's scanner (parseQuantityString), written as one expression: an
# optional sign, digits, an optional point and digits, then a suffix made of
# suffix letters, an optional sign and digits that must reach the end of the
# string. Every part may be empty. (The splitREString that upstream quotes
# in its error message is not what its scanner does: the expression wants a
# digit or a point and allows several points; the scanner wants neither.)
_SYNTAX: Final = re.compile(
    r"(?P<sign>[+-]?)(?P<whole>[0-9]*)(?:\.(?P<fraction>[0-9]*))?(?P<suffix>[eEinumkKMGTP]*[+-]?[0-9]*)"
)
_GO_INT: Final = re.compile(r"[+-]?[0-9]+")  # what strconv.ParseInt(s, 10, ...) accepts

_INT32_MIN: Final = -(2**31)
_INT32_MAX: Final = 2**31 - 1


@dataclass(frozen=True, eq=True)
class Quantity:
    """An exact quantity: ``coefficient * 10**exponent``, plus the format it is written in.

    The value is normalised when built (rounded away from zero to a whole
    number of nanounits, trailing zeros of the coefficient moved into the
    exponent), so ``==`` and ``hash`` compare values, never formats:
    ``parse_quantity("1Ki") == parse_quantity("1024")``.
    """

    coefficient: int
    exponent: int
    format: Format = field(default=Format.DECIMAL_SI, compare=False)

    def __post_init__(self) -> None:
        for name, number in (("coefficient", self.coefficient), ("exponent", self.exponent)):
            if isinstance(number, bool) or not isinstance(number, int):
                raise TypeError(f"Quantity.{name} must be an int, not {type(number).__name__}")
        if not isinstance(self.format, Format):
            raise TypeError(f"Quantity.format must be a Format, not {type(self.format).__name__}")
        coefficient, exponent = _round_to_nano(self.coefficient, self.exponent)
        coefficient, exponent = _strip_trailing_zeros(coefficient, exponent)
        object.__setattr__(self, "coefficient", coefficient)
        object.__setattr__(self, "exponent", exponent)

    # -- constructors (upstream NewQuantity, NewMilliQuantity, NewScaledQuantity) --

    @classmethod
    def from_int(cls, value: int, format: Format = Format.DECIMAL_SI) -> Quantity:
        """``value`` units (upstream ``NewQuantity``)."""
        return cls(value, 0, format)

    @classmethod
    def from_milli(cls, value: int, format: Format = Format.DECIMAL_SI) -> Quantity:
        """``value`` thousandths (upstream ``NewMilliQuantity``)."""
        return cls(value, -3, format)

    @classmethod
    def from_scaled(cls, value: int, scale: int) -> Quantity:
        """``value * 10**scale`` in DecimalSI (upstream ``NewScaledQuantity``), rounded to 1n."""
        return cls(value, scale, Format.DECIMAL_SI)

    @classmethod
    def from_fraction(cls, value: Fraction | int, format: Format = Format.DECIMAL_SI) -> Quantity:
        """Any rational, rounded away from zero to a whole number of nanounits."""
        nanos = Fraction(value) * 10 ** (-NANO_EXPONENT)
        magnitude = -(-abs(nanos.numerator) // nanos.denominator)  # ceiling of |nanos|
        return cls(magnitude if nanos >= 0 else -magnitude, NANO_EXPONENT, format)

    # -- the value ---------------------------------------------------------------

    def as_fraction(self) -> Fraction:
        """The exact value."""
        return Fraction(self.coefficient) * Fraction(10) ** self.exponent

    def sign(self) -> int:
        """-1, 0 or 1."""
        if self.coefficient == 0:
            return 0
        return 1 if self.coefficient > 0 else -1

    def is_zero(self) -> bool:
        return self.coefficient == 0

    def scaled_value(self, scale: int) -> int:
        """The value in units of ``10**scale``, rounded away from zero (upstream ``ScaledValue``)."""
        shift = self.exponent - scale
        if shift >= 0:
            factor: int = 10**shift
            return self.coefficient * factor
        return _divide_by_power_of_ten_away_from_zero(self.coefficient, -shift)

    def value(self) -> int:
        """The value rounded away from zero to an integer (upstream ``Value``)."""
        return self.scaled_value(0)

    def milli_value(self) -> int:
        """The value in thousandths, rounded away from zero (upstream ``MilliValue``; cpu)."""
        return self.scaled_value(-3)

    # -- arithmetic (upstream Add, Sub, Neg; the result takes y's format when x is zero) --

    def __add__(self, other: object) -> Quantity:
        if not isinstance(other, Quantity):
            return NotImplemented
        exponent = min(self.exponent, other.exponent)
        total = self.coefficient * 10 ** (self.exponent - exponent) + other.coefficient * 10 ** (
            other.exponent - exponent
        )
        return Quantity(total, exponent, _format_after_arithmetic(self, other))

    def __sub__(self, other: object) -> Quantity:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self + -other

    def __neg__(self) -> Quantity:
        return Quantity(-self.coefficient, self.exponent, self.format)

    # -- total order by value (upstream Cmp) --------------------------------------

    def compare(self, other: Quantity) -> int:
        """-1, 0 or 1 as ``self`` is less than, equal to or greater than ``other``."""
        if self.sign() != other.sign():
            return -1 if self.sign() < other.sign() else 1
        if self.sign() == 0:
            return 0
        magnitude = _compare_magnitudes(self, other)
        return magnitude if self.sign() > 0 else -magnitude

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.compare(other) < 0

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.compare(other) <= 0

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.compare(other) > 0

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.compare(other) >= 0

    # -- the canonical string (upstream CanonicalizeBytes) ------------------------

    def canonical(self) -> str:
        """The canonical string: same format, no fractional digits, largest suffix.

        BinarySI shows as DecimalSI when the value is under 1024 in magnitude
        or not a whole number (``0.5Ki`` -> ``512``, ``1.5`` in BinarySI ->
        ``1500m``), because no binary suffix could show it exactly.
        """
        if self.coefficient == 0:
            return "0"
        format = self.format
        if format is Format.BINARY_SI and (
            _compare_magnitudes(self, Quantity(1024, 0)) < 0 or self.exponent < 0
        ):
            format = Format.DECIMAL_SI
        if format is Format.BINARY_SI:
            return self._binary_si_string()
        return self._decimal_string(format)

    def _decimal_string(self, format: Format) -> str:
        # Lower the exponent to a multiple of three so that it has a suffix;
        # the coefficient has no trailing zeros, so the exponent is as large
        # as it can be.
        shift = self.exponent % 3
        coefficient = self.coefficient * 10**shift
        exponent = self.exponent - shift
        if format is Format.DECIMAL_SI and exponent in _DECIMAL_SI_BY_EXPONENT:
            suffix = _DECIMAL_SI_BY_EXPONENT[exponent]
        elif exponent == 0:
            suffix = ""
        else:
            suffix = f"e{exponent}"
        return _digits(coefficient) + suffix

    def _binary_si_string(self) -> str:
        mantissa = self.coefficient * 10**self.exponent  # a whole number here
        powers = 0
        while powers < max(_BINARY_SI_BY_POWER_OF_1024) and mantissa % 1024 == 0:
            mantissa //= 1024
            powers += 1
        return _digits(mantissa) + _BINARY_SI_BY_POWER_OF_1024[powers]

    def __str__(self) -> str:
        return self.canonical()

    def __repr__(self) -> str:
        return f"Quantity({self.canonical()}, {self.format.value})"


# -- parsing ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Literal:
    """A quantity string cut into the pieces upstream's scanner finds."""

    negative: bool
    whole: str  # digits before the point, leading zeros included
    fraction: str  # digits after the point ("" when there is no point)
    suffix: str


def _scan(text: str) -> _Literal:
    if text == "":
        raise QuantityError(text, "empty string")
    match = _SYNTAX.fullmatch(text)
    if match is None:
        raise QuantityError(
            text,
            "quantities must look like <sign><digits>.<digits><suffix>, "
            "the suffix one of n u m k M G T P E Ki Mi Gi Ti Pi Ei or e<exponent>",
        )
    return _Literal(
        negative=match["sign"] == "-",
        whole=match["whole"],
        fraction=match["fraction"] or "",
        suffix=match["suffix"],
    )


def _interpret_suffix(text: str, suffix: str) -> tuple[int, int, Format]:
    """(base, exponent, format) of a suffix (upstream suffixer.interpret)."""
    if suffix in _DECIMAL_SI_SUFFIXES:
        return 10, _DECIMAL_SI_SUFFIXES[suffix], Format.DECIMAL_SI
    if suffix in _BINARY_SI_SUFFIXES:
        return 2, _BINARY_SI_SUFFIXES[suffix], Format.BINARY_SI
    # Only now is a leading e/E an exponent: "E" alone was exa, above.
    if len(suffix) > 1 and suffix[0] in "eE" and _GO_INT.fullmatch(suffix[1:]):
        exponent = int(suffix[1:])
        if not _INT32_MIN <= exponent <= _INT32_MAX:
            raise QuantityError(text, f"exponent {exponent} is outside the int32 range upstream keeps it in")
        return 10, exponent, Format.DECIMAL_EXPONENT
    raise QuantityError(text, f"unable to parse quantity's suffix {suffix!r}")


def _needs_a_digit(base: int, exponent: int) -> bool:
    """Whether upstream rejects a number part with no digit, for this suffix.

    Upstream's fast path reads a digit-less number as zero; its slow path
    hands the number to inf.Dec, which wants a digit. The slow path runs for
    a decimal suffix finer than nano, and for a binary suffix whose
    precision estimate ``15 - 1 - 3*(exponent/10) - 1`` is negative (Pi, Ei).
    """
    if base == 10:
        return exponent < NANO_EXPONENT
    return 15 - 1 - 3 * (exponent // 10) - 1 < 0


def parse_quantity(text: str) -> Quantity:
    """Read a quantity string exactly as upstream ``ParseQuantity`` does; raise ``QuantityError``.

    No surrounding whitespace is allowed (upstream's JSON decoder trims it
    before calling ParseQuantity; this function does not).
    """
    literal = _scan(text)
    base, suffix_exponent, format = _interpret_suffix(text, literal.suffix)
    if not (literal.whole or literal.fraction) and _needs_a_digit(base, suffix_exponent):
        raise QuantityError(text, "unable to parse numeric part of quantity")

    # The digits as an integer times a power of ten; zeros are stripped from
    # the string first so that a long run of them never becomes a huge int.
    significant = (literal.whole + literal.fraction).lstrip("0")
    stripped = significant.rstrip("0")
    exponent = len(significant) - len(stripped) - len(literal.fraction)
    coefficient = _int_from_digits(stripped) if stripped else 0
    if literal.negative:
        coefficient = -coefficient

    if base == 10:
        return Quantity(coefficient, exponent + suffix_exponent, format)

    quantity = Quantity(coefficient * 2**suffix_exponent, exponent, format)
    if _compare_magnitudes(quantity, Quantity(MAX_BINARY_SI, 0)) > 0:
        quantity = Quantity(MAX_BINARY_SI * quantity.sign(), 0, format)
    if not quantity.is_zero() and _compare_magnitudes(quantity, Quantity(1, 0)) < 0:
        # Upstream: "this avoids rounding and hopefully confusion, too".
        quantity = Quantity(quantity.coefficient, quantity.exponent, Format.DECIMAL_SI)
    return quantity


def upstream_string(text: str) -> str:
    """What upstream's ``String()`` (and JSON) gives for ``text`` just parsed.

    Upstream caches the input as the serialized form when its fast path
    thinks the input is canonical: a decimal input with at most 18 digits,
    whose suffix exponent minus its number of fractional digits is a
    multiple of three and at least -9, whose digits neither end in ``000``
    nor start with ``0`` (after leading zeros of the integer part are
    dropped); a binary input with no digits after a point, few enough digits
    and an integer part that is not a multiple of 8. Such inputs come back verbatim
    (``1.001``, ``+1``, ``010``, ``1E3``); every other input comes back
    canonical. kubernetes/kubernetes#138165 reports this as a bug.
    """
    quantity = parse_quantity(text)
    literal = _scan(text)
    base, suffix_exponent, _ = _interpret_suffix(text, literal.suffix)
    whole = literal.whole.lstrip("0") or "0"
    if base == 10:
        digits = whole + literal.fraction
        scale = suffix_exponent - len(literal.fraction)
        keeps_input = (
            len(digits) <= 18
            and scale >= NANO_EXPONENT
            and scale % 3 == 0
            and not digits.endswith("000")
            and not digits.startswith("0")
        )
    else:
        keeps_input = (
            literal.fraction == ""
            and 15 - len(whole) - 3 * (suffix_exponent // 10) - 1 >= 0
            and int(whole) % 8 != 0
        )
    return text if keeps_input else quantity.canonical()


# -- helpers ----------------------------------------------------------------------

# int() and str() refuse integers of more than 4300 digits by default
# (sys.get_int_max_str_digits); quantities have no such limit, so long digit
# strings are converted a chunk at a time.
_CHUNK: Final = 1000


def _int_from_digits(digits: str) -> int:
    value = 0
    for start in range(0, len(digits), _CHUNK):
        chunk = digits[start : start + _CHUNK]
        value = value * 10 ** len(chunk) + int(chunk)
    return value


def _digits(number: int) -> str:
    """``str(number)`` without the 4300-digit limit."""
    if number < 0:
        return "-" + _digits(-number)
    chunks = []
    while number >= 10**_CHUNK:
        number, low = divmod(number, 10**_CHUNK)
        chunks.append(str(low).zfill(_CHUNK))
    chunks.append(str(number))
    return "".join(reversed(chunks))


def _digit_count(magnitude: int) -> int:
    return len(_digits(magnitude))


def _divide_by_power_of_ten_away_from_zero(number: int, power: int) -> int:
    """``number / 10**power`` rounded away from zero, for ``power > 0``."""
    if number == 0:
        return 0
    magnitude = abs(number)
    if _digit_count(magnitude) <= power:
        # |number| < 10**power: the quotient is a fraction of one. Checked by
        # digit count so that a huge power never builds a huge int.
        quotient = 1
    else:
        quotient, remainder = divmod(magnitude, 10**power)
        quotient += remainder != 0
    return quotient if number > 0 else -quotient


def _round_to_nano(coefficient: int, exponent: int) -> tuple[int, int]:
    if exponent >= NANO_EXPONENT:
        return coefficient, exponent
    return _divide_by_power_of_ten_away_from_zero(coefficient, NANO_EXPONENT - exponent), NANO_EXPONENT


def _strip_trailing_zeros(coefficient: int, exponent: int) -> tuple[int, int]:
    if coefficient == 0:
        return 0, 0
    while coefficient % 10**20 == 0:  # big steps first: sums can end in long runs of zeros
        coefficient //= 10**20
        exponent += 20
    while coefficient % 10 == 0:
        coefficient //= 10
        exponent += 1
    return coefficient, exponent


def _compare_magnitudes(a: Quantity, b: Quantity) -> int:
    """Compare |a| and |b|.

    Exponents may be as large as 2**31 (``1e2000000000`` is a quantity), so
    the comparison first looks at where each value's leading digit sits and
    only lines the coefficients up when those positions agree, which keeps
    every power of ten it builds no longer than a coefficient.
    """
    a_magnitude, b_magnitude = abs(a.coefficient), abs(b.coefficient)
    if a_magnitude == 0 or b_magnitude == 0:
        return _compare_ints(a_magnitude, b_magnitude)
    a_top = a.exponent + _digit_count(a_magnitude)
    b_top = b.exponent + _digit_count(b_magnitude)
    if a_top != b_top:
        return -1 if a_top < b_top else 1
    exponent = min(a.exponent, b.exponent)
    a_aligned = a_magnitude * 10 ** (a.exponent - exponent)
    b_aligned = b_magnitude * 10 ** (b.exponent - exponent)
    return _compare_ints(a_aligned, b_aligned)


def _compare_ints(a: int, b: int) -> int:
    if a == b:
        return 0
    return -1 if a < b else 1


def _format_after_arithmetic(x: Quantity, y: Quantity) -> Format:
    # Upstream Add/Sub: "If the current value is zero, the format of the
    # quantity will be updated to the format of y."
    return y.format if x.is_zero() else x.format
