"""spec/selectors.py field selectors against upstream's pkg/fields/selector_test.go."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec.selectors import (
    FIELDS_EVERYTHING,
    FIELDS_NOTHING,
    FieldRequirement,
    FieldSelector,
    Operator,
    SelectorError,
    escape_field_value,
    field_selector_from_set,
    object_meta_fields,
    parse_field_selector,
    unescape_field_value,
)
from tests.spec.strategies import field_selectors, field_sets


@pytest.mark.parametrize("text", ["x=a,y=b,z=c", "", "x!=a,y=b", r"x=a||y\=b", r"x=a\=\=b"])
def test_upstream_good_strings_print_back_unchanged(text: str) -> None:
    assert str(parse_field_selector(text)) == text


@pytest.mark.parametrize(
    "text", ["x=a||y=b", "x==a==b", "x=a,b", "x in (a)", "x in (a,b,c)", "x", "k=\\", "k=\\a"]
)
def test_upstream_bad_strings(text: str) -> None:
    with pytest.raises(SelectorError):
        parse_field_selector(text)


def test_upstream_deterministic_parse() -> None:
    assert str(parse_field_selector("x=a,a=x")) == str(parse_field_selector("a=x,x=a")) == "a=x,x=a"


FIELDSET = {"foo": "bar", "baz": "blah", "complex": "=value\\,\\"}


@pytest.mark.parametrize(
    ("text", "fields", "expected"),
    [
        ("", {"x": "y"}, True),
        ("x=y", {"x": "y"}, True),
        ("x=y,z=w", {"x": "y", "z": "w"}, True),
        ("x!=y,z!=w", {"x": "z", "z": "a"}, True),
        ("notin=in", {"notin": "in"}, True),
        ("x=y", {"x": "z"}, False),
        ("x=y,z=w", {"x": "w", "z": "w"}, False),
        ("x!=y,z!=w", {"x": "z", "z": "w"}, False),
        ("foo=bar", FIELDSET, True),
        ("baz=blah", FIELDSET, True),
        ("foo=bar,baz=blah", FIELDSET, True),
        ("foo=bar,baz=blah,complex=\\=value\\\\\\,\\\\", FIELDSET, True),
        ("foo=blah", FIELDSET, False),
        ("baz=bar", FIELDSET, False),
        ("foo=bar,foobar=bar,baz=blah", FIELDSET, False),
        # an absent field reads as ""
        ("spec.nodeName=", {}, True),
        ("spec.nodeName!=node-1", {}, True),
        ("spec.nodeName==node-1", {}, False),
        ("metadata.name=web-0,metadata.namespace=default", object_meta_fields("web-0", "default"), True),
        ("metadata.namespace=", object_meta_fields("node-1"), True),  # a cluster-scoped object
        ("status.phase!=Running", {"status.phase": "Pending"}, True),
    ],
)
def test_upstream_matching(text: str, fields: dict[str, str], expected: bool) -> None:
    assert parse_field_selector(text).matches(fields) is expected


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [("", ""), ("a", "a"), ("=", "\\="), (",", "\\,"), ("\\", "\\\\"), ("\\=\\,\\", "\\\\\\=\\\\\\,\\\\")],
)
def test_upstream_escape_table(raw: str, escaped: str) -> None:
    assert escape_field_value(raw) == escaped
    assert unescape_field_value(escaped) == raw


@pytest.mark.parametrize("text", ["\\", "\\\\\\", "\\a", "a=b", "a,b"])
def test_upstream_invalid_escapes(text: str) -> None:
    with pytest.raises(SelectorError):
        unescape_field_value(text)


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("b=1,a==2", "a=2,b=1"),  # "==" reads as "=", and terms are sorted as written
        ("a=a,", "a=a"),  # empty terms are skipped
        (",a=a", "a=a"),
        ("k=\\,,k2=v2", "k2=v2,k=\\,"),  # raw text order: "2" sorts before "="
        ("함=수,목=록", "목=록,함=수"),
        ("=", ""),  # a term with neither field nor value is dropped...
        ("!=", ""),  # ...so "!=" alone matches everything
        ("=,a=b", "a=b"),
        ("=x", "=x"),  # an empty field is kept when the value is not empty
        ("a = b", "a = b"),  # spaces belong to the field and the value
        ("x!==y", None),  # "!=" then a bare "="
    ],
)
def test_term_handling(text: str, printed: str | None) -> None:
    if printed is None:
        with pytest.raises(SelectorError):
            parse_field_selector(text)
        return
    assert str(parse_field_selector(text)) == printed


def test_sorting_raw_terms_can_reorder_on_reprint() -> None:
    # "a==x" sorts before "a=b" as text ('=' < 'b'), and prints as "a=x".
    once = parse_field_selector("a=b,a==x")
    assert str(once) == "a=x,a=b"
    twice = parse_field_selector(str(once))
    assert str(twice) == "a=b,a=x"
    assert parse_field_selector(str(twice)) == twice


def test_everything_nothing_and_sets() -> None:
    assert parse_field_selector("") == FIELDS_EVERYTHING and FIELDS_EVERYTHING.empty()
    assert FIELDS_EVERYTHING.matches({}) and not FIELDS_NOTHING.matches({})
    selector = field_selector_from_set({"status.phase": "Running", "metadata.name": "web-0"})
    assert str(selector) == "metadata.name=web-0,status.phase=Running"
    assert selector.matches({"metadata.name": "web-0", "status.phase": "Running", "spec.nodeName": "n"})
    with pytest.raises(ValueError):
        FieldRequirement("a", Operator.IN, "b")


@given(field_selectors())
def test_printing_and_parsing_settle_after_one_round(selector: FieldSelector) -> None:
    once = parse_field_selector(str(selector))
    assert sorted(once.requirements, key=str) == sorted(selector.requirements, key=str)
    assert parse_field_selector(str(once)) == once


@given(field_selectors(), field_sets())
def test_printing_and_parsing_keep_the_meaning(selector: FieldSelector, fields: dict[str, str]) -> None:
    assert parse_field_selector(str(selector)).matches(fields) is selector.matches(fields)


@given(st.text())
def test_escaping_round_trips(raw: str) -> None:
    assert unescape_field_value(escape_field_value(raw)) == raw
