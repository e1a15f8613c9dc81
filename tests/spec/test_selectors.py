"""spec/selectors.py: label selectors (string and structured form) and label key/value syntax.

Tables come from upstream's pkg/labels/selector_test.go; the properties tie
the string form, the structured form and the parser together.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec.selectors import (
    EVERYTHING,
    NOTHING,
    LabelSelector,
    LabelSelectorOperator,
    LabelSelectorRequirement,
    Operator,
    Requirement,
    Selector,
    SelectorError,
    label_selector_as_selector,
    label_selector_errors,
    label_selector_matches,
    new_requirement,
    parse_selector,
    requirement_errors,
    selector_from_set,
    validate_label_key,
    validate_label_selector,
    validate_label_value,
    validate_labels,
)
from tests.spec.strategies import (
    label_keys,
    label_selectors,
    label_values,
    selectors,
    selectors_and_labels,
)

IN, NOT_IN, EXISTS, DNE = (
    LabelSelectorOperator.IN,
    LabelSelectorOperator.NOT_IN,
    LabelSelectorOperator.EXISTS,
    LabelSelectorOperator.DOES_NOT_EXIST,
)

# -- upstream TestSelectorParse ------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["x=a,y=b,z=c", "", "x!=a,y=b", "x=", "x= ", "x=,z= ", "x= ,z= ", "!x", "x>1", "x>1,z<5"]
)
def test_upstream_good_strings_print_back_without_spaces(text: str) -> None:
    assert str(parse_selector(text)) == text.replace(" ", "")


@pytest.mark.parametrize("text", ["x=a||y=b", "x==a==b", "!x=a", "x<a"])
def test_upstream_bad_strings(text: str) -> None:
    with pytest.raises(SelectorError):
        parse_selector(text)


def test_upstream_deterministic_parse() -> None:
    assert str(parse_selector("x=a,a=x")) == str(parse_selector("a=x,x=a")) == "a=x,x=a"


# -- upstream TestSelectorMatches ----------------------------------------------------

FOO_BAZ = {"foo": "bar", "baz": "blah"}


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("", {"x": "y"}, True),
        ("x=y", {"x": "y"}, True),
        ("x=y,z=w", {"x": "y", "z": "w"}, True),
        ("x!=y,z!=w", {"x": "z", "z": "a"}, True),
        ("notin=in", {"notin": "in"}, True),  # in and notin as key and value
        ("x", {"x": "z"}, True),
        ("!x", {"y": "z"}, True),
        ("x>1", {"x": "2"}, True),
        ("x<1", {"x": "0"}, True),
        ("x=z", {}, False),
        ("x=y", {"x": "z"}, False),
        ("x=y,z=w", {"x": "w", "z": "w"}, False),
        ("x!=y,z!=w", {"x": "z", "z": "w"}, False),
        ("x", {"y": "z"}, False),
        ("!x", {"x": "z"}, False),
        ("x>1", {"x": "0"}, False),
        ("x<1", {"x": "2"}, False),
        ("foo=bar", FOO_BAZ, True),
        ("baz=blah", FOO_BAZ, True),
        ("foo=bar,baz=blah", FOO_BAZ, True),
        ("foo=blah", FOO_BAZ, False),
        ("baz=bar", FOO_BAZ, False),
        ("foo=bar,foobar=bar,baz=blah", FOO_BAZ, False),
        # Gt/Lt need the label and an integer in it
        ("x>1", {}, False),
        ("x>1", {"x": "v2"}, False),
        ("x<1", {"x": "-5"}, True),
        ("x>9", {"x": "10"}, True),  # numeric, not lexical, comparison
        ("x>007", {"x": "8"}, True),
    ],
)
def test_upstream_matching(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_selector(text).matches(labels) is expected


# -- upstream TestSetSelectorParser ----------------------------------------------------


def req(key: str, operator: Operator, *values: str) -> Requirement:
    return new_requirement(key, operator, sorted(set(values)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", EVERYTHING),
        ("\rx", Selector((req("x", Operator.EXISTS),))),
        (
            "this-is-a-dns.domain.com/key-with-dash",
            Selector((req("this-is-a-dns.domain.com/key-with-dash", Operator.EXISTS),)),
        ),
        (
            "this-is-another-dns.domain.com/key-with-dash in (so,what)",
            Selector((req("this-is-another-dns.domain.com/key-with-dash", Operator.IN, "so", "what"),)),
        ),
        (
            "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
            Selector((req("0.1.2.domain/99", Operator.NOT_IN, "10.10.100.1", "tick.tack.clock"),)),
        ),
        ("foo  in\t (abc)", Selector((req("foo", Operator.IN, "abc"),))),
        ("x notin\n (abc)", Selector((req("x", Operator.NOT_IN, "abc"),))),
        ("x  notin\t\t\t(abc,def)", Selector((req("x", Operator.NOT_IN, "abc", "def"),))),
        ("x in (abc,def)", Selector((req("x", Operator.IN, "abc", "def"),))),
        ("x in (abc,)", Selector((req("x", Operator.IN, "abc", ""),))),
        ("x in (abc,abc)", Selector((req("x", Operator.IN, "abc"),))),
        ("x in ()", Selector((req("x", Operator.IN, ""),))),
        ("x in (a,,)", Selector((req("x", Operator.IN, "a", ""),))),
        ("x in (a,,,)", Selector((req("x", Operator.IN, "a", ""),))),
        ("x in (a,,,,,,)", Selector((req("x", Operator.IN, "a", ""),))),
        ("x in (a,,a,,a,,a,,)", Selector((req("x", Operator.IN, "a", ""),))),
        (
            "x notin (abc,,def),bar,z in (),w",
            Selector(
                (
                    req("bar", Operator.EXISTS),
                    req("w", Operator.EXISTS),
                    req("x", Operator.NOT_IN, "abc", "", "def"),
                    req("z", Operator.IN, ""),
                )
            ),
        ),
        ("x,y in (a)", Selector((req("x", Operator.EXISTS), req("y", Operator.IN, "a")))),
        ("x=a", Selector((req("x", Operator.EQUALS, "a"),))),
        ("x>1", Selector((req("x", Operator.GREATER_THAN, "1"),))),
        ("x<7", Selector((req("x", Operator.LESS_THAN, "7"),))),
        ("x=a,y!=b", Selector((req("x", Operator.EQUALS, "a"), req("y", Operator.NOT_EQUALS, "b")))),
        (
            "x=a,y!=b,z in (h,i,j)",
            Selector(
                (
                    req("x", Operator.EQUALS, "a"),
                    req("y", Operator.NOT_EQUALS, "b"),
                    req("z", Operator.IN, "h", "i", "j"),
                )
            ),
        ),
        ("x notin ( )", Selector((req("x", Operator.NOT_IN, ""),))),
        ("x notin (, a)", Selector((req("x", Operator.NOT_IN, "", "a"),))),
        ("a ", Selector((req("a", Operator.EXISTS),))),
        ("a in (x,y,notin, z,in)", Selector((req("a", Operator.IN, "in", "notin", "x", "y", "z"),))),
        # beyond upstream's table
        ("in in (in)", Selector((req("in", Operator.IN, "in"),))),
        ("x==a", Selector((req("x", Operator.DOUBLE_EQUALS, "a"),))),
        (
            "x=a,x!=b,x",
            Selector(
                (
                    req("x", Operator.EQUALS, "a"),
                    req("x", Operator.NOT_EQUALS, "b"),
                    req("x", Operator.EXISTS),
                )
            ),
        ),
        ("a=b \x00 anything at all", Selector((req("a", Operator.EQUALS, "b"),))),  # NUL: end of input
        ("a=\x00b", Selector((req("a", Operator.EQUALS, "b"),))),  # NUL after a symbol: swallowed
    ],
)
def test_upstream_set_selector_parser(text: str, expected: Selector) -> None:
    assert parse_selector(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "x=a||y=b",
        "x,,y",
        ",x,y",
        "x nott in (y)",
        "a in (xyz),",
        "a in (xyz)b notin ()",
        "a in (xyz abc)",
        "a notin(",
        "a (",
        "(",
        # beyond upstream's table
        "a,",
        "x in",
        "x in y",
        "!",
        "!x in (a)",
        "x>-1",  # a bound must be a valid label value, so it cannot be negative
        "x>1.5",
        "x in (a),(b)",
        "-x",
        "x/y/z",
        "Example.com/x",
        "a" * 64,
        "x=" + "v" * 64,
        "a=b\x00junk",  # NUL right after a word is swallowed: "b" and "junk" are two words
        "x<=1",
    ],
)
def test_upstream_parse_errors(text: str) -> None:
    with pytest.raises(SelectorError) as raised:
        parse_selector(text)
    assert raised.value.errors


# -- upstream TestToString and TestRequirementSelectorMatching ------------------------


@pytest.mark.parametrize(
    ("requirements", "expected"),
    [
        (
            [
                req("x", Operator.IN, "abc", "def"),
                req("y", Operator.NOT_IN, "jkl"),
                req("z", Operator.EXISTS),
            ],
            "x in (abc,def),y notin (jkl),z",
        ),
        (
            [
                req("x", Operator.NOT_IN, "abc", "def"),
                req("y", Operator.NOT_EQUALS, "jkl"),
                req("z", Operator.DOES_NOT_EXIST),
            ],
            "x notin (abc,def),y!=jkl,!z",
        ),
        (
            [
                req("x", Operator.NOT_IN, "abc"),
                req("y", Operator.IN, "jkl", "mno"),
                req("z", Operator.NOT_IN, ""),
            ],
            "x notin (abc),y in (jkl,mno),z notin ()",
        ),
        (
            [
                req("x", Operator.EQUALS, "abc"),
                req("y", Operator.DOUBLE_EQUALS, "jkl"),
                req("z", Operator.NOT_EQUALS, "a"),
                req("z", Operator.EXISTS),
            ],
            "x=abc,y==jkl,z!=a,z",
        ),
        (
            [
                req("x", Operator.GREATER_THAN, "2"),
                req("y", Operator.LESS_THAN, "8"),
                req("z", Operator.EXISTS),
            ],
            "x>2,y<8,z",
        ),
        # values print sorted, duplicates kept (a structured selector may repeat them)
        ([Requirement("x", Operator.IN, ("b", "a", "b"))], "x in (a,b,b)"),
    ],
)
def test_upstream_to_string(requirements: list[Requirement], expected: str) -> None:
    assert str(Selector(tuple(requirements))) == expected


@pytest.mark.parametrize(
    ("labels", "requirements", "expected"),
    [
        ({"x": "foo", "y": "baz"}, [req("x", Operator.IN, "foo"), req("y", Operator.NOT_IN, "alpha")], True),
        ({"x": "foo", "y": "baz"}, [req("x", Operator.IN, "foo"), req("y", Operator.IN, "alpha")], False),
        ({"y": ""}, [req("x", Operator.NOT_IN, ""), req("y", Operator.EXISTS)], True),
        ({"y": ""}, [req("x", Operator.DOES_NOT_EXIST), req("y", Operator.EXISTS)], True),
        ({"y": ""}, [req("x", Operator.NOT_IN, ""), req("y", Operator.DOES_NOT_EXIST)], False),
        ({"y": "baz"}, [req("x", Operator.IN, "")], False),
        ({"z": "2"}, [req("z", Operator.GREATER_THAN, "1")], True),
        ({"z": "v2"}, [req("z", Operator.GREATER_THAN, "1")], False),
    ],
)
def test_upstream_requirement_matching(
    labels: dict[str, str], requirements: list[Requirement], expected: bool
) -> None:
    assert Selector(tuple(requirements)).matches(labels) is expected


# -- upstream TestRequirementConstructor -----------------------------------------------


@pytest.mark.parametrize(
    ("key", "operator", "values", "valid"),
    [
        ("x1", Operator.IN, [], False),
        ("x2", Operator.NOT_IN, [], False),
        ("x3", Operator.IN, ["foo"], True),
        ("x4", Operator.NOT_IN, ["foo"], True),
        ("x5", Operator.EQUALS, ["bar", "foo"], False),
        ("x6", Operator.EXISTS, [], True),
        ("x7", Operator.DOES_NOT_EXIST, [], True),
        ("x8", Operator.EXISTS, ["foo"], False),
        ("x9", Operator.IN, ["bar"], True),
        ("x11", Operator.GREATER_THAN, ["1"], True),
        ("x12", Operator.LESS_THAN, ["6"], True),
        ("x13", Operator.GREATER_THAN, [], False),
        ("x14", Operator.GREATER_THAN, ["bar"], False),
        ("x15", Operator.LESS_THAN, ["bar"], False),
        ("a" * 254, Operator.EXISTS, [], False),
        ("x16", Operator.EQUALS, ["a" * 254], False),
        ("x17", Operator.EQUALS, ["a b"], False),
        ("x18", Operator.GREATER_THAN, ["99999999999999999999"], False),  # beyond int64
    ],
)
def test_upstream_requirement_constructor(
    key: str, operator: Operator, values: list[str], valid: bool
) -> None:
    assert (requirement_errors(key, operator, values) == []) is valid
    if valid:
        assert new_requirement(key, operator, values) == Requirement(key, operator, tuple(values))
    else:
        with pytest.raises(SelectorError):
            new_requirement(key, operator, values)


# -- NotIn and DoesNotExist on absent keys; nil versus empty selectors --------------


def test_not_in_and_does_not_exist_match_an_absent_key() -> None:
    assert parse_selector("x notin (a)").matches({})
    assert parse_selector("x!=a").matches({"y": "a"})
    assert parse_selector("!x").matches({})
    assert not parse_selector("x in (a)").matches({})
    assert not parse_selector("x").matches({})
    structured = LabelSelector(
        match_expressions=(LabelSelectorRequirement("x", NOT_IN, ("a",)), LabelSelectorRequirement("y", DNE))
    )
    assert structured.matches({})
    assert not structured.matches({"x": "a"})
    assert not structured.matches({"y": ""})


def test_nil_selector_matches_nothing_and_empty_selector_everything() -> None:
    assert label_selector_as_selector(None) == NOTHING
    assert label_selector_as_selector(LabelSelector()) == EVERYTHING
    assert not label_selector_matches(None, {})
    assert not label_selector_matches(None, {"app": "web"})
    assert label_selector_matches(LabelSelector(), {})
    assert label_selector_matches(LabelSelector(), {"app": "web"})
    assert not NOTHING.matches({}) and EVERYTHING.matches({})
    assert NOTHING.add(req("x", Operator.EXISTS)) == NOTHING
    # The string form cannot tell them apart: both print "" and "" reads as everything.
    assert str(NOTHING) == str(EVERYTHING) == ""
    assert parse_selector("") == EVERYTHING
    assert EVERYTHING.empty() and not NOTHING.empty()


def test_structured_selector_converts_to_sorted_requirements() -> None:
    selector = LabelSelector(
        {"tier": "web", "app": "shop"},
        (
            LabelSelectorRequirement("env", "In", ("prod", "dev", "prod")),
            LabelSelectorRequirement("app", "Exists"),
            LabelSelectorRequirement("canary", "DoesNotExist"),
        ),
    )
    converted = label_selector_as_selector(selector)
    # matchLabels come first for a key; duplicate values survive the conversion but not a parse.
    assert str(converted) == "app=shop,app,!canary,env in (dev,prod,prod),tier=web"
    assert str(parse_selector(str(converted))) == "app=shop,app,!canary,env in (dev,prod),tier=web"
    assert selector.matches({"app": "shop", "tier": "web", "env": "dev"})
    assert not selector.matches({"app": "shop", "tier": "web", "env": "dev", "canary": "1"})


def test_selector_from_set() -> None:
    assert str(selector_from_set({"b": "2", "a": "1"})) == "a=1,b=2"
    assert selector_from_set({}) == EVERYTHING
    assert selector_from_set({"a": ""}).matches({"a": ""})
    assert not selector_from_set({"a": ""}).matches({})


@pytest.mark.parametrize(
    "selector",
    [
        LabelSelector(match_expressions=(LabelSelectorRequirement("x", "Equals", ("a",)),)),
        LabelSelector(match_expressions=(LabelSelectorRequirement("x", IN, ()),)),
        LabelSelector(match_expressions=(LabelSelectorRequirement("x", EXISTS, ("a",)),)),
        LabelSelector(match_expressions=(LabelSelectorRequirement("-x", EXISTS),)),
        LabelSelector({"x": "a b"}),
    ],
)
def test_invalid_structured_selectors_are_refused(selector: LabelSelector) -> None:
    assert validate_label_selector(selector) != []
    assert label_selector_errors(selector) != []
    with pytest.raises(SelectorError):
        label_selector_as_selector(selector)
    with pytest.raises(SelectorError):
        selector.matches({"x": "a"})


def test_validate_label_selector_names_the_field() -> None:
    selector = LabelSelector(
        {"ok": "-bad"},
        (
            LabelSelectorRequirement("a", IN, ()),
            LabelSelectorRequirement("b", EXISTS, ("v",)),
            LabelSelectorRequirement("c", "Gt", ("1",)),
        ),
    )
    errors = validate_label_selector(selector, "spec.selector")
    assert errors[0].startswith('spec.selector.matchLabels: Invalid value: "-bad": ')
    assert "spec.selector.matchExpressions[0].values: Required value" in errors[1]
    assert "spec.selector.matchExpressions[1].values: Forbidden" in errors[2]
    assert 'spec.selector.matchExpressions[2].operator: Invalid value: "Gt"' in errors[3]
    assert len(errors) == 4
    assert validate_label_selector(None) == []


# -- label key and value syntax -------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "error_count"),
    [
        ("a", 0),
        ("app.kubernetes.io/name", 0),
        ("example.com/MyName", 0),
        ("my.name", 0),
        ("123-abc", 0),
        ("a_b.c-d", 0),
        ("a" * 63, 0),
        ("a" * 64, 1),
        ("a" * 253 + "/a", 0),
        ("a" * 254 + "/a", 1),
        ("", 2),  # empty, and does not match the pattern
        ("/a", 1),
        ("a/", 2),
        ("a/b/c", 1),
        ("-a", 1),
        ("a-", 1),
        ("Example.com/a", 1),
        ("exa_mple.com/a", 1),
        ("a b", 1),
        ("é", 1),
        ("é" * 32, 2),  # 64 bytes: too long, and not ASCII
    ],
)
def test_label_keys(key: str, error_count: int) -> None:
    assert len(validate_label_key(key)) == error_count


def test_label_key_messages_are_upstreams() -> None:
    assert validate_label_key("a" * 64) == ["name part must be no more than 63 characters"]
    assert validate_label_key("/a") == ["prefix part must be non-empty"]
    expected = (
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
        "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    )
    assert validate_label_key("-a") == [expected]


@pytest.mark.parametrize(
    ("label_value", "valid"),
    [
        ("", True),
        ("a", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("-a", False),
        ("a b", False),
        ("a/b", False),
        ("1.0", True),
    ],
)
def test_label_values(label_value: str, valid: bool) -> None:
    assert (validate_label_value(label_value) == []) is valid


def test_validate_labels() -> None:
    assert validate_labels({"app": "web", "example.com/x": ""}) == []
    errors = validate_labels({"-app": "web", "ok": "a b"}, "metadata.labels")
    assert len(errors) == 2 and all(e.startswith("metadata.labels: Invalid value: ") for e in errors)


_KEY_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def reference_key_is_valid(key: str) -> bool:
    prefix, slash, name = key.rpartition("/")
    name_ok = bool(_KEY_NAME.fullmatch(name)) and len(name.encode()) <= 63
    if not slash:
        return name_ok
    return name_ok and bool(_DNS_SUBDOMAIN.fullmatch(prefix)) and len(prefix.encode()) <= 253


@given(st.one_of(label_keys(), st.text("aZ09-_./é ", max_size=70)))
def test_label_key_validation_agrees_with_the_reference_pattern(key: str) -> None:
    assert (validate_label_key(key) == []) is reference_key_is_valid(key)


@given(label_keys(), label_values())
def test_generated_keys_and_values_are_valid(key: str, label_value: str) -> None:
    assert validate_label_key(key) == []
    assert validate_label_value(label_value) == []
    assert validate_label_key(key + "-") != []
    assert validate_label_value("-" + label_value) != []


# -- properties of the string and structured forms --------------------------------------


@given(selectors())
def test_string_form_round_trips(selector: Selector) -> None:
    assert parse_selector(str(selector)) == selector


@given(selectors())
def test_printed_form_is_canonical(selector: Selector) -> None:
    text = str(selector)
    keys = [requirement.key for requirement in selector.requirements]
    assert keys == sorted(keys)
    assert str(parse_selector(text)) == text
    assert " " not in text.replace(" in (", "(").replace(" notin (", "(")


@given(selectors_and_labels())
def test_string_form_matches_what_the_structured_form_matches(
    case: tuple[LabelSelector, dict[str, str]],
) -> None:
    structured, labels = case
    expected = structured.matches(labels)
    converted = label_selector_as_selector(structured)
    assert converted.matches(labels) is expected
    assert parse_selector(str(converted)).matches(labels) is expected


@given(label_selectors())
def test_generated_structured_selectors_are_valid(selector: LabelSelector) -> None:
    assert validate_label_selector(selector) == []
    assert label_selector_errors(selector) == []


@given(selectors(), st.dictionaries(label_keys(), label_values(), max_size=5))
def test_a_selector_is_the_conjunction(selector: Selector, labels: dict[str, str]) -> None:
    assert selector.matches(labels) is all(
        Selector((requirement,)).matches(labels) for requirement in selector.requirements
    )


def test_structured_selectors_are_values() -> None:
    from_json = LabelSelector({"a": "b"}, (LabelSelectorRequirement("x", "In", ("1",)),))
    built = LabelSelector({"a": "b"}, (LabelSelectorRequirement("x", IN, ("1",)),))
    assert from_json == built and hash(from_json) == hash(built)
    assert from_json != LabelSelector()
    assert LabelSelectorRequirement("x", "Gt", ("1",)).operator == "Gt"  # unknown operators stay strings
