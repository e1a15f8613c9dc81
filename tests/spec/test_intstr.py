"""spec/intstr.py against upstream's tables (intstr_test.go) and against exact rationals."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec import intstr
from spec.intstr import IntOrString, IntOrStringError

# -- upstream TestGetIntFromIntOrPercent ---------------------------------------------


@pytest.mark.parametrize(
    ("given_value", "total", "round_up", "expected"),
    [
        (IntOrString(123), 0, False, 123),
        (IntOrString("90%"), 100, True, 90),
        (IntOrString("90%"), 95, True, 86),
        (IntOrString("90%"), 95, False, 85),
        # a Deployment: maxSurge rounds up, maxUnavailable down
        ("25%", 10, True, 3),
        ("25%", 10, False, 2),
        ("100%", 7, False, 7),
        ("0%", 7, True, 0),
        ("+5%", 100, True, 5),
        # ints pass through, whatever the total
        (5, 100, True, 5),
        (-3, 100, False, -3),
    ],
)
def test_upstream_scaled_values(
    given_value: IntOrString | int | str, total: int, round_up: bool, expected: int
) -> None:
    assert intstr.scaled_value(given_value, total, round_up) == expected


@pytest.mark.parametrize(
    "text",
    [
        "%",
        "90#",
        "#%",
        "90",
        "200",
        "30%0",
        "a%",
        "a",
        "40#",
        "40%%",
        "2.5%",
        " 5%",
        "5 %",
        "1_0%",
        "\u0665%",
        "",
    ],
)
def test_upstream_rejects_non_percentages(text: str) -> None:
    with pytest.raises(IntOrStringError):
        intstr.scaled_value(IntOrString(text), 10, True)
    with pytest.raises(IntOrStringError):
        intstr.percent_of(text)


def test_percent_of_reads_the_integer() -> None:
    assert intstr.percent_of("40%") == 40
    assert intstr.percent_of(IntOrString("-5%")) == -5
    with pytest.raises(IntOrStringError):
        intstr.percent_of(IntOrString(200))


def test_negative_percentages_resolve_but_do_not_validate() -> None:
    # getIntOrPercentValueSafely uses strconv.Atoi, which takes a sign.
    assert intstr.scaled_value("-5%", 10, round_up=True) == 0  # ceil(-0.5)
    assert intstr.scaled_value("-5%", 10, round_up=False) == -1  # floor(-0.5)
    assert intstr.is_valid_percent("-5%") != []
    assert intstr.is_valid_percent("5%") == []
    assert intstr.is_valid_percent("5") != []


@pytest.mark.parametrize("round_up", [True, False])
@pytest.mark.parametrize("percent", ["0%", "1%", "50%", "100%", "250%", "-30%"])
def test_a_percentage_of_zero_is_zero(percent: str, round_up: bool) -> None:
    assert intstr.scaled_value(percent, 0, round_up) == 0


# -- upstream TestParse: an int32 in decimal becomes an int, anything else stays a string --


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("2147483647", 2147483647),
        ("-2147483648", -2147483648),
        ("2147483648", "2147483648"),
        ("-2147483649", "-2147483649"),
        ("9223372036854775807", "9223372036854775807"),
        ("-9223372036854775808", "-9223372036854775808"),
        ("9223372036854775808", "9223372036854775808"),
        ("-9223372036854775809", "-9223372036854775809"),
        ("+7", 7),
        ("25%", "25%"),
        ("http", "http"),
        (" 7", " 7"),
    ],
)
def test_upstream_parse(text: str, expected: int | str) -> None:
    parsed = IntOrString.parse(text)
    assert parsed.value == expected
    assert parsed.is_int == isinstance(expected, int)


def test_int_value_reads_strings_as_ints_or_zero() -> None:
    assert IntOrString(8080).int_value() == 8080
    assert IntOrString("12").int_value() == 12
    assert IntOrString("http").int_value() == 0
    assert str(IntOrString(3)) == "3" and str(IntOrString("25%")) == "25%"


def test_an_int_or_string_holds_an_int32_or_a_string() -> None:
    with pytest.raises(IntOrStringError):
        IntOrString(2**31)
    with pytest.raises(IntOrStringError):
        IntOrString(-(2**31) - 1)
    with pytest.raises(TypeError):
        IntOrString(True)
    with pytest.raises(TypeError):
        intstr.scaled_value(True, 10, True)
    assert IntOrString(2**31 - 1).value == 2**31 - 1


# -- properties ------------------------------------------------------------------------


@given(st.integers(-1000, 1000), st.integers(0, 10**9))
def test_rounding_up_and_down_bracket_the_exact_value(percent: int, total: int) -> None:
    exact = Fraction(percent * total, 100)
    up = intstr.scaled_value(f"{percent}%", total, round_up=True)
    down = intstr.scaled_value(f"{percent}%", total, round_up=False)
    assert down == math.floor(exact) and up == math.ceil(exact)
    assert up - down == (0 if exact.denominator == 1 else 1)


@given(st.integers(0, 100), st.integers(0, 2**31 - 1), st.booleans())
def test_agrees_with_upstreams_float_formula_for_realistic_sizes(
    percent: int, total: int, round_up: bool
) -> None:
    # Upstream: math.Ceil/Floor(float64(value) * float64(total) / 100).
    product = float(percent) * float(total) / 100
    expected = math.ceil(product) if round_up else math.floor(product)
    assert intstr.scaled_value(IntOrString(f"{percent}%"), total, round_up) == expected


def test_exact_where_floats_would_not_be() -> None:
    percent, total = 99999999999, 2**31 - 1
    assert intstr.scaled_value(f"{percent}%", total, round_up=True) == -(-percent * total // 100)
    assert intstr.scaled_value(f"{percent}%", total, round_up=False) == percent * total // 100


@given(st.integers(-(2**31), 2**31 - 1), st.integers(0, 10**6), st.booleans())
def test_ints_pass_through(number: int, total: int, round_up: bool) -> None:
    assert intstr.scaled_value(IntOrString(number), total, round_up) == number
    assert IntOrString.parse(str(number)) == IntOrString(number)
