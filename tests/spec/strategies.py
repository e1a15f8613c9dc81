"""Hypothesis strategies for the value types of spec/quantity.py, spec/selectors.py, spec/intstr.py.

Kept here until the suite's own strategies (conformance/strategies) take
them. Keys and values are drawn from small pools most of the time so that
generated selectors and label sets overlap, and from the full syntax the
rest of the time so that odd but valid spellings are exercised too.
"""

from __future__ import annotations

import string

from hypothesis import strategies as st

from spec.quantity import MAX_BINARY_SI, Format, Quantity
from spec.selectors import (
    EVERYTHING,
    FieldRequirement,
    FieldSelector,
    LabelSelector,
    LabelSelectorOperator,
    LabelSelectorRequirement,
    Operator,
    Requirement,
    Selector,
)

# -- quantities -------------------------------------------------------------------

_COEFFICIENTS = st.one_of(
    st.integers(-2000, 2000),
    st.integers(-(10**24), 10**24),
    st.sampled_from([1, -1, 5, 1000, 1024, 1536, 10**18, 2**63 - 1, -(2**63)]),
)


def decimal_si_quantities() -> st.SearchStrategy[Quantity]:
    """DecimalSI values, from nanounits up to well beyond exa (where the canonical form needs ``e``)."""
    return st.builds(Quantity, _COEFFICIENTS, st.integers(-9, 24), st.just(Format.DECIMAL_SI))


def decimal_exponent_quantities() -> st.SearchStrategy[Quantity]:
    return st.builds(Quantity, _COEFFICIENTS, st.integers(-9, 40), st.just(Format.DECIMAL_EXPONENT))


def binary_si_quantities() -> st.SearchStrategy[Quantity]:
    """BinarySI values within the 2**63-1 parse cap: multiples of a power of 1024, or any nano multiple."""
    powers_of_1024 = st.integers(0, 6).flatmap(
        lambda k: st.integers(-(MAX_BINARY_SI >> (10 * k)), MAX_BINARY_SI >> (10 * k)).map(
            lambda mantissa: Quantity(mantissa * 1024**k, 0, Format.BINARY_SI)
        )
    )
    nanos = st.integers(-(10**15), 10**15).map(lambda n: Quantity(n, -9, Format.BINARY_SI))
    return st.one_of(powers_of_1024, nanos)


def quantities() -> st.SearchStrategy[Quantity]:
    return st.one_of(decimal_si_quantities(), decimal_exponent_quantities(), binary_si_quantities())


_DECIMAL_SI_SUFFIXES = ["", "n", "u", "m", "k", "M", "G", "T", "P", "E"]
_BINARY_SI_SUFFIXES = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]


@st.composite
def quantity_texts(draw: st.DrawFn) -> str:
    """Valid quantity strings in every spelling the grammar allows, with at least one digit."""
    sign = draw(st.sampled_from(["", "+", "-"]))
    whole = draw(st.text("0123456789", max_size=22))
    point = draw(st.booleans())
    fraction = draw(st.text("0123456789", max_size=14)) if point else ""
    if not (whole + fraction):
        whole = draw(st.sampled_from(string.digits))
    suffix = draw(
        st.one_of(
            st.sampled_from(_DECIMAL_SI_SUFFIXES),
            st.sampled_from(_BINARY_SI_SUFFIXES),
            st.builds(
                lambda e, exponent_sign, digits: f"{e}{exponent_sign}{digits}",
                st.sampled_from(["e", "E"]),
                st.sampled_from(["", "+", "-"]),
                st.integers(0, 30).map(str),
            ),
        )
    )
    return sign + whole + ("." if point else "") + fraction + suffix


# -- label keys and values --------------------------------------------------------

_ALNUM = string.ascii_letters + string.digits
_NAME_INNER = _ALNUM + "-_."
_DNS_ALNUM = string.ascii_lowercase + string.digits


def label_names() -> st.SearchStrategy[str]:
    """The name part of a label key: 1..63 characters, alphanumeric at both ends."""
    return st.one_of(
        st.sampled_from(_ALNUM),
        st.builds(
            lambda first, middle, last: first + middle + last,
            st.sampled_from(_ALNUM),
            st.text(_NAME_INNER, max_size=61),
            st.sampled_from(_ALNUM),
        ),
    )


def dns1123_labels() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(_DNS_ALNUM),
        st.builds(
            lambda first, middle, last: first + middle + last,
            st.sampled_from(_DNS_ALNUM),
            st.text(_DNS_ALNUM + "-", max_size=20),
            st.sampled_from(_DNS_ALNUM),
        ),
    )


def dns1123_subdomains() -> st.SearchStrategy[str]:
    return st.lists(dns1123_labels(), min_size=1, max_size=4).map(".".join).filter(lambda s: len(s) <= 253)


_KEY_POOL = ["app", "tier", "env", "x", "in", "example.com/team", "k8s.io/zone"]
_VALUE_POOL = ["", "web", "db", "prod", "a.b", "1", "10", "007"]


def label_keys() -> st.SearchStrategy[str]:
    """Valid label keys: mostly a small shared pool, sometimes any ``[prefix/]name``."""
    any_key = st.one_of(
        label_names(),
        st.builds(lambda prefix, name: f"{prefix}/{name}", dns1123_subdomains(), label_names()),
    )
    return st.one_of(st.sampled_from(_KEY_POOL), any_key)


def label_values() -> st.SearchStrategy[str]:
    """Valid label values, the empty one included; mostly a small shared pool."""
    return st.one_of(st.sampled_from(_VALUE_POOL), label_names())


def label_sets() -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(label_keys(), label_values(), max_size=5)


# -- structured selectors and label sets that come close to them ------------------


@st.composite
def label_selector_requirements(draw: st.DrawFn) -> LabelSelectorRequirement:
    operator = draw(st.sampled_from(list(LabelSelectorOperator)))
    values: tuple[str, ...] = ()
    if operator in (LabelSelectorOperator.IN, LabelSelectorOperator.NOT_IN):
        # Duplicates and any order: the API allows both.
        values = tuple(draw(st.lists(label_values(), min_size=1, max_size=4)))
    return LabelSelectorRequirement(draw(label_keys()), operator, values)


def label_selectors() -> st.SearchStrategy[LabelSelector]:
    """Valid structured selectors, the empty one included."""
    return st.builds(
        LabelSelector,
        st.dictionaries(label_keys(), label_values(), max_size=3),
        st.lists(label_selector_requirements(), max_size=4).map(tuple),
    )


@st.composite
def labels_near(draw: st.DrawFn, selector: LabelSelector) -> dict[str, str]:
    """A label set built to satisfy ``selector``, then sometimes disturbed, so both verdicts occur."""
    labels = draw(label_sets())
    labels.update(selector.match_labels)
    for expression in selector.match_expressions:
        if expression.operator is LabelSelectorOperator.IN:
            labels[expression.key] = draw(st.sampled_from(expression.values))
        elif expression.operator is LabelSelectorOperator.NOT_IN:
            if draw(st.booleans()):
                labels.pop(expression.key, None)
            else:
                labels[expression.key] = draw(label_values())
        elif expression.operator is LabelSelectorOperator.EXISTS:
            labels.setdefault(expression.key, draw(label_values()))
        else:
            labels.pop(expression.key, None)
    disturb = draw(st.booleans())
    if labels and disturb:
        key = draw(st.sampled_from(sorted(labels)))
        if draw(st.booleans()):
            del labels[key]
        else:
            labels[key] = draw(label_values())
    return labels


@st.composite
def selectors_and_labels(draw: st.DrawFn) -> tuple[LabelSelector, dict[str, str]]:
    selector = draw(label_selectors())
    return selector, draw(st.one_of(labels_near(selector), label_sets()))


# -- string-form selectors (what parse_selector returns) -----------------------------


@st.composite
def requirements(draw: st.DrawFn) -> Requirement:
    """Valid requirements in the parser's normal form: set values sorted and distinct."""
    key = draw(label_keys())
    operator = draw(st.sampled_from(list(Operator)))
    if operator in (Operator.IN, Operator.NOT_IN):
        values = tuple(sorted(draw(st.sets(label_values(), min_size=1, max_size=4))))
    elif operator in (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.NOT_EQUALS):
        values = (draw(label_values()),)
    elif operator in (Operator.GREATER_THAN, Operator.LESS_THAN):
        # A bound must be an int64 and a label value: no sign, so non-negative.
        values = (draw(st.one_of(st.integers(0, 20), st.integers(0, 2**63 - 1)).map(str)),)
    else:
        values = ()
    return Requirement(key, operator, values)


def selectors() -> st.SearchStrategy[Selector]:
    return st.lists(requirements(), max_size=5).map(lambda reqs: EVERYTHING.add(*reqs))


# -- field selectors ----------------------------------------------------------------

_FIELD_POOL = ["metadata.name", "metadata.namespace", "spec.nodeName", "status.phase"]
_FIELD_VALUE_POOL = ["", "web-0", "default", "node-1", "Running", "Pending"]


def field_names() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(_FIELD_POOL), st.text(string.ascii_letters + string.digits + "._/-", max_size=12)
    )


def field_values() -> st.SearchStrategy[str]:
    """Any text: backslashes, commas and equals signs are escaped when printed."""
    return st.one_of(st.sampled_from(_FIELD_VALUE_POOL), st.text(max_size=10), st.text(",=\\ab", max_size=6))


def field_requirements() -> st.SearchStrategy[FieldRequirement]:
    return st.builds(
        FieldRequirement,
        field_names(),
        st.sampled_from([Operator.EQUALS, Operator.NOT_EQUALS]),
        field_values(),
    ).filter(lambda r: r.field or r.value)  # the parser drops a term with neither


def field_selectors() -> st.SearchStrategy[FieldSelector]:
    return st.lists(field_requirements(), max_size=4).map(lambda reqs: FieldSelector(tuple(reqs)))


def field_sets() -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(field_names(), field_values(), max_size=5)
