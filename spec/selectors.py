"""Label selectors, field selectors, and label key/value syntax.

What is modelled:

- Label keys and values (``validate_label_key``, ``validate_label_value``):
  an optional DNS-1123 subdomain prefix (at most 253 bytes) and ``/``, then
  a name of at most 63 bytes matching ``([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]``;
  a value is empty or matches the same. They return upstream's messages as
  a list, empty when valid.
- The string form of label selectors (``parse_selector``), as ``kubectl -l``
  and ``?labelSelector=`` carry it: ``a=b,c!=d,e in (x,y),f notin (z),g,!h``,
  also ``==``, ``>`` and ``<``. It reads into a ``Selector`` of
  ``Requirement``\\s sorted by key, and prints back in upstream's canonical
  form (requirements by key, the values of a set sorted).
- The structured form (``LabelSelector`` with ``match_labels`` and
  ``match_expressions`` of In, NotIn, Exists, DoesNotExist), its meaning
  (``LabelSelector.matches``), its validation (``validate_label_selector``)
  and its conversion to string-form requirements
  (``label_selector_as_selector``).
- Field selectors (``parse_field_selector``): ``metadata.name=x``,
  ``spec.nodeName!=``, ``status.phase==Running`` and any other dotted path,
  with ``=``, ``==`` and ``!=``, values escaped with backslashes.

Matching, exactly as upstream:

- ``In``/``=``/``==`` need the key present with one of the values;
  ``NotIn``/``!=`` match when the key is ABSENT or has another value;
  ``Exists`` needs the key; ``DoesNotExist`` (``!key``) needs it absent;
  ``>``/``<`` need the key present with an integer value beyond the bound.
- An empty selector (no requirements) matches everything. A nil selector
  matches nothing. ``label_selector_as_selector(None)`` is ``NOTHING`` and
  ``LabelSelector()`` converts to ``EVERYTHING``. Which APIs use which:
  PodAffinityTerm.labelSelector: null matches no pods;
  PodAffinityTerm.namespaceSelector: null (with no namespaces) means the
  pod's own namespace, ``{}`` means every namespace; NetworkPolicy
  podSelector ``{}`` selects every pod of the namespace;
  PodDisruptionBudget (policy/v1): null selects no pods, ``{}`` every pod of
  the namespace (policy/v1beta1 selected none with ``{}``). Deployment,
  ReplicaSet, StatefulSet and DaemonSet (apps/v1) reject a missing or empty
  selector in validation.
- Both print as ``""``, and ``""`` parses as EVERYTHING: the string form
  cannot carry "nothing".
- A field selector compares against the empty string when a field is
  absent, so ``spec.nodeName=`` matches an object without that field and
  ``spec.nodeName!=x`` does too.

Upstream: kubernetes/apimachinery ``pkg/labels/selector.go`` (Requirement,
NewRequirement, Matches, String, the lexer and parser), ``pkg/labels/
labels.go``, ``pkg/selection/operator.go``, ``pkg/fields/selector.go``
(splitTerms, splitTerm, EscapeValue, UnescapeValue, parseSelector),
``pkg/apis/meta/v1/helpers.go`` (LabelSelectorAsSelector),
``pkg/apis/meta/v1/validation/validation.go`` (ValidateLabelSelector),
``pkg/api/validate/content/kube.go``, ``dns.go``, ``errors.go``
(IsLabelKey, IsLabelValue, IsDNS1123Subdomain and their messages); the
tables in ``pkg/labels/selector_test.go`` and ``pkg/fields/selector_test.go``
are replayed in ``tests/spec``.

Where upstream surprises (each is checked by a test):

- A key ``in`` or ``notin`` is fine (``in in (in)`` parses).
- ``x in ()``, ``x in (,)`` and ``x=`` mean the empty value; duplicate
  values in a set collapse (``x in (a,,a)`` is ``x in (,a)``).
- A NUL character where a token would start ends the input and what
  follows is ignored (``a=b \\x00junk`` is ``a=b``); right after a word or
  a symbol it is skipped (``a=\\x00b`` is ``a=b``): Go's lexer reads 0 as
  its end-of-input marker.
- Requirements are sorted by key only; for one key their order is the
  order written (upstream's unstable ``sort.Sort`` keeps it for fewer than
  13 requirements, the spec keeps it always).
- A field selector's terms are sorted as raw text before they are read, so
  the printed order can differ from the order by field; a term with an
  empty field and an empty value (``=``, ``!=``) is dropped, so ``!=`` alone
  matches everything. Field names are not checked here: which fields a
  resource supports is the API server's business.

Requirement IDs: none yet (the registry is being built elsewhere).
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final


class SelectorError(ValueError):
    """A selector string or structure is malformed; ``errors`` lists every reason."""

    def __init__(self, message: str, errors: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.errors: tuple[str, ...] = tuple(errors) or (message,)


# -- label key and value syntax (content/kube.go, dns.go, errors.go) -----------------

_LABEL_KEY_NAME_FORMAT: Final = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_KEY_NAME_MESSAGE: Final = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_LABEL_VALUE_FORMAT: Final = f"({_LABEL_KEY_NAME_FORMAT})?"
_LABEL_VALUE_MESSAGE: Final = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_DNS1123_LABEL_FORMAT: Final = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FORMAT: Final = _DNS1123_LABEL_FORMAT + "(\\." + _DNS1123_LABEL_FORMAT + ")*"
_DNS1123_SUBDOMAIN_MESSAGE: Final = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)

_LABEL_KEY_NAME: Final = re.compile(_LABEL_KEY_NAME_FORMAT)
_LABEL_VALUE: Final = re.compile(_LABEL_VALUE_FORMAT)
_DNS1123_SUBDOMAIN: Final = re.compile(_DNS1123_SUBDOMAIN_FORMAT)

LABEL_NAME_MAX_BYTES: Final = 63
LABEL_VALUE_MAX_BYTES: Final = 63
DNS1123_SUBDOMAIN_MAX_BYTES: Final = 253


def regex_error(message: str, regex: str, *examples: str) -> str:
    # Upstream's RegexError, spacing included ("'a',  or 'b', regex ...").
    text = message + " (e.g. "
    for index, example in enumerate(examples):
        if index > 0:
            text += " or "
        text += f"'{example}', "
    return text + f"regex used for validation is '{regex}')"


def max_length_error(length: int) -> str:
    """Upstream's ``MaxLenError``: the limit counts bytes (Go's ``len``), the message says characters."""
    return f"must be no more than {length} characters"


def _byte_length(text: str) -> int:
    return len(text.encode("utf-8"))  # upstream's len() counts bytes


def validate_dns1123_subdomain(value: str) -> list[str]:
    """Errors for a lowercase RFC 1123 subdomain (upstream IsDNS1123Subdomain); [] if valid."""
    errors = []
    if _byte_length(value) > DNS1123_SUBDOMAIN_MAX_BYTES:
        errors.append(max_length_error(DNS1123_SUBDOMAIN_MAX_BYTES))
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        errors.append(regex_error(_DNS1123_SUBDOMAIN_MESSAGE, _DNS1123_SUBDOMAIN_FORMAT, "example.com"))
    return errors


def validate_label_key(key: str) -> list[str]:
    """Errors for a label key, ``[prefix/]name`` (upstream IsLabelKey / IsQualifiedName); [] if valid."""
    errors: list[str] = []
    parts = key.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if prefix == "":
            errors.append("prefix part must be non-empty")
        else:
            errors += ["prefix part " + message for message in validate_dns1123_subdomain(prefix)]
    else:
        return [
            "a valid label key "
            + regex_error(_LABEL_KEY_NAME_MESSAGE, _LABEL_KEY_NAME_FORMAT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if name == "":
        errors.append("name part must be non-empty")
    elif _byte_length(name) > LABEL_NAME_MAX_BYTES:
        errors.append("name part " + max_length_error(LABEL_NAME_MAX_BYTES))
    if not _LABEL_KEY_NAME.fullmatch(name):
        errors.append(
            "name part "
            + regex_error(_LABEL_KEY_NAME_MESSAGE, _LABEL_KEY_NAME_FORMAT, "MyName", "my.name", "123-abc")
        )
    return errors


def validate_label_value(value: str) -> list[str]:
    """Errors for a label value, which may be empty (upstream IsValidLabelValue); [] if valid."""
    errors = []
    if _byte_length(value) > LABEL_VALUE_MAX_BYTES:
        errors.append(max_length_error(LABEL_VALUE_MAX_BYTES))
    if not _LABEL_VALUE.fullmatch(value):
        errors.append(regex_error(_LABEL_VALUE_MESSAGE, _LABEL_VALUE_FORMAT, "MyValue", "my_value", "12345"))
    return errors


def validate_labels(labels: Mapping[str, str], path: str = "metadata.labels") -> list[str]:
    """Errors for a label map, each prefixed by ``path`` (upstream ValidateLabels); [] if valid."""
    errors = []
    for key, value in labels.items():
        errors += [f'{path}: Invalid value: "{key}": {message}' for message in validate_label_key(key)]
        errors += [f'{path}: Invalid value: "{value}": {message}' for message in validate_label_value(value)]
    return errors


# -- string-form requirements (pkg/labels/selector.go) --------------------------------


class Operator(enum.Enum):
    """How a key relates to values (upstream selection.Operator; the values are upstream's)."""

    DOES_NOT_EXIST = "!"
    EQUALS = "="
    DOUBLE_EQUALS = "=="
    IN = "in"
    NOT_EQUALS = "!="
    NOT_IN = "notin"
    EXISTS = "exists"
    GREATER_THAN = "gt"
    LESS_THAN = "lt"


_SET_OPERATORS: Final = (Operator.IN, Operator.NOT_IN)
_EXACT_OPERATORS: Final = (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.NOT_EQUALS)
_UNARY_OPERATORS: Final = (Operator.EXISTS, Operator.DOES_NOT_EXIST)
_ORDER_OPERATORS: Final = (Operator.GREATER_THAN, Operator.LESS_THAN)
_BINARY_OPERATOR_NAMES: Final = "in, notin, =, ==, !=, gt, lt"

# How each operator is written between the key and its values.
_OPERATOR_TEXT: Final[dict[Operator, str]] = {
    Operator.EQUALS: "=",
    Operator.DOUBLE_EQUALS: "==",
    Operator.NOT_EQUALS: "!=",
    Operator.IN: " in ",
    Operator.NOT_IN: " notin ",
    Operator.GREATER_THAN: ">",
    Operator.LESS_THAN: "<",
}

_GO_INT: Final = re.compile(r"[+-]?[0-9]+")


def _go_int64(text: str) -> int | None:
    """``text`` as strconv.ParseInt(text, 10, 64) reads it, or None."""
    if not _GO_INT.fullmatch(text) or len(text.lstrip("+-").lstrip("0")) > 19:
        return None
    number = int(text)
    return number if -(2**63) <= number < 2**63 else None


@dataclasses.dataclass(frozen=True)
class Requirement:
    """One requirement of a label selector: key, operator, values (upstream labels.Requirement).

    ``values`` keep the order given: a structured selector's ``In`` values
    are not deduplicated by upstream, the parser's are. Build checked
    requirements with ``new_requirement``.
    """

    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator in (Operator.IN, Operator.EQUALS, Operator.DOUBLE_EQUALS):
            return present and labels[self.key] in self.values
        if self.operator in (Operator.NOT_IN, Operator.NOT_EQUALS):
            return not present or labels[self.key] not in self.values
        if self.operator is Operator.EXISTS:
            return present
        if self.operator is Operator.DOES_NOT_EXIST:
            return not present
        # GREATER_THAN / LESS_THAN: both sides must read as int64, else no match.
        if not present or len(self.values) != 1:
            return False
        label_number = _go_int64(labels[self.key])
        bound = _go_int64(self.values[0])
        if label_number is None or bound is None:
            return False
        if self.operator is Operator.GREATER_THAN:
            return label_number > bound
        return label_number < bound

    def __str__(self) -> str:
        text = ("!" if self.operator is Operator.DOES_NOT_EXIST else "") + self.key
        if self.operator in _UNARY_OPERATORS:
            return text
        values = self.values[0] if len(self.values) == 1 else ",".join(sorted(self.values))
        if self.operator in _SET_OPERATORS:
            values = f"({values})"
        return text + _OPERATOR_TEXT[self.operator] + values


def requirement_errors(key: str, operator: Operator, values: Iterable[str]) -> list[str]:
    """Why ``new_requirement`` would refuse these arguments (upstream NewRequirement); [] if fine."""
    values = tuple(values)
    errors = []
    key_errors = validate_label_key(key)
    if key_errors:
        errors.append(f'key: Invalid value: "{key}": ' + "; ".join(key_errors))
    if operator in _SET_OPERATORS and not values:
        errors.append("values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty")
    elif operator in _EXACT_OPERATORS and len(values) != 1:
        errors.append(
            f"values: Invalid value: {list(values)}: exact-match compatibility requires one single value"
        )
    elif operator in _UNARY_OPERATORS and values:
        errors.append(
            f"values: Invalid value: {list(values)}: values set must be empty for exists and does not exist"
        )
    elif operator in _ORDER_OPERATORS:
        if len(values) != 1:
            errors.append(
                f"values: Invalid value: {list(values)}: "
                "for 'Gt', 'Lt' operators, exactly one value is required"
            )
        for index, value in enumerate(values):
            if _go_int64(value) is None:
                errors.append(
                    f'values[{index}]: Invalid value: "{value}": '
                    "for 'Gt', 'Lt' operators, the value must be an integer"
                )
    for index, value in enumerate(values):
        value_errors = validate_label_value(value)
        if value_errors:
            errors.append(f'values[{index}][{key}]: Invalid value: "{value}": ' + "; ".join(value_errors))
    return errors


def new_requirement(key: str, operator: Operator, values: Iterable[str] = ()) -> Requirement:
    """A checked requirement, or ``SelectorError`` listing every problem (upstream NewRequirement)."""
    values = tuple(values)
    errors = requirement_errors(key, operator, values)
    if errors:
        raise SelectorError("; ".join(errors), errors)
    return Requirement(key, operator, values)


@dataclasses.dataclass(frozen=True)
class Selector:
    """A label selector: every requirement must match (upstream internalSelector / Nothing).

    ``EVERYTHING`` (no requirements) matches every label set, ``NOTHING``
    matches none. ``add`` and the parser keep requirements sorted by key,
    stably; building a Selector directly keeps the order given.
    """

    requirements: tuple[Requirement, ...] = ()
    selects_nothing: bool = False

    def __post_init__(self) -> None:
        if self.selects_nothing and self.requirements:
            raise ValueError("a selector that selects nothing has no requirements")

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.selects_nothing:
            return False
        return all(requirement.matches(labels) for requirement in self.requirements)

    def empty(self) -> bool:
        """True when the selector does not restrict anything (upstream Empty; NOTHING is not empty)."""
        return not self.selects_nothing and not self.requirements

    def add(self, *requirements: Requirement) -> Selector:
        """A copy with more requirements, sorted by key (upstream Add); NOTHING stays NOTHING."""
        if self.selects_nothing:
            return self
        return Selector(tuple(sorted(self.requirements + requirements, key=lambda r: r.key)))

    def __str__(self) -> str:
        return ",".join(str(requirement) for requirement in self.requirements)


EVERYTHING: Final = Selector()
NOTHING: Final = Selector(selects_nothing=True)


def selector_from_set(labels: Mapping[str, str]) -> Selector:
    """Equality on every label; an empty map is EVERYTHING (upstream SelectorFromValidatedSet)."""
    return EVERYTHING.add(*(Requirement(key, Operator.EQUALS, (value,)) for key, value in labels.items()))


# -- the string form: lexer ------------------------------------------------------------


class _Token(enum.Enum):
    END = "end of string"
    CLOSE_PAREN = ")"
    COMMA = ","
    DOES_NOT_EXIST = "!"
    DOUBLE_EQUALS = "=="
    EQUALS = "="
    GREATER_THAN = ">"
    IDENTIFIER = "identifier"
    IN = "in"
    LESS_THAN = "<"
    NOT_EQUALS = "!="
    NOT_IN = "notin"
    OPEN_PAREN = "("


_WHITESPACE: Final = " \t\r\n"
_SPECIAL: Final = "=!(),><"
_SYMBOLS: Final[dict[str, _Token]] = {
    t.value: t
    for t in (
        _Token.CLOSE_PAREN,
        _Token.COMMA,
        _Token.DOES_NOT_EXIST,
        _Token.DOUBLE_EQUALS,
        _Token.EQUALS,
        _Token.GREATER_THAN,
        _Token.LESS_THAN,
        _Token.NOT_EQUALS,
        _Token.OPEN_PAREN,
    )
}
_KEYWORDS: Final = {"in": _Token.IN, "notin": _Token.NOT_IN}
_END_OF_INPUT: Final = "\x00"  # Go's lexer reads 0 as "no more input"
_ENDS_IDENTIFIER: Final = _SPECIAL + _WHITESPACE + _END_OF_INPUT


def _lex(text: str) -> list[tuple[_Token, str]]:
    """The tokens of a selector string, ending with END (upstream Lexer.Lex).

    A NUL where a token would start ends the input; a NUL right after a
    symbol or a word is swallowed and lexing goes on, because upstream's
    read() hands out 0 for both a NUL byte and the end of the string.
    """
    tokens: list[tuple[_Token, str]] = []
    position = 0
    while True:
        while position < len(text) and text[position] in _WHITESPACE:
            position += 1
        if position == len(text) or text[position] == _END_OF_INPUT:
            tokens.append((_Token.END, ""))
            return tokens
        start = position
        if text[position] in _SPECIAL:
            # Longest symbol first: "!=" and "==" before "!" and "=".
            symbol = text[position : position + 2]
            if symbol not in _SYMBOLS:
                symbol = text[position]
            tokens.append((_SYMBOLS[symbol], symbol))
            position += len(symbol)
        else:
            while position < len(text) and text[position] not in _ENDS_IDENTIFIER:
                position += 1
            word = text[start:position]
            tokens.append((_KEYWORDS.get(word, _Token.IDENTIFIER), word))
        if position < len(text) and text[position] == _END_OF_INPUT:
            position += 1


# -- the string form: parser (upstream Parser; the same decisions in the same order) --


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.position = 0

    def _token(self, index: int, values: bool) -> tuple[_Token, str]:
        token, literal = self.tokens[min(index, len(self.tokens) - 1)]
        # Where values are expected, "in" and "notin" are plain words.
        if values and token in (_Token.IN, _Token.NOT_IN):
            token = _Token.IDENTIFIER
        return token, literal

    def lookahead(self, values: bool = True) -> tuple[_Token, str]:
        return self._token(self.position, values)

    def consume(self, values: bool = True) -> tuple[_Token, str]:
        token = self._token(self.position, values)
        self.position += 1
        return token

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            token, literal = self.lookahead()
            if token is _Token.END:
                return requirements
            if token not in (_Token.IDENTIFIER, _Token.DOES_NOT_EXIST):
                raise SelectorError(f"found '{literal}', expected: !, identifier, or 'end of string'")
            try:
                requirements.append(self.parse_requirement())
            except SelectorError as error:
                raise SelectorError(f"unable to parse requirement: {error}", error.errors) from None
            token, literal = self.consume()
            if token is _Token.END:
                return requirements
            if token is not _Token.COMMA:
                raise SelectorError(f"found '{literal}', expected: ',' or 'end of string'")
            token, literal = self.lookahead()
            if token not in (_Token.IDENTIFIER, _Token.DOES_NOT_EXIST):
                raise SelectorError(f"found '{literal}', expected: identifier after ','")

    def parse_requirement(self) -> Requirement:
        key, inferred = self.parse_key_and_infer_operator()
        if inferred is not None:
            return new_requirement(key, inferred)
        operator = self.parse_operator()
        values = self.parse_values() if operator in _SET_OPERATORS else self.parse_exact_value()
        return new_requirement(key, operator, sorted(values))

    def parse_key_and_infer_operator(self) -> tuple[str, Operator | None]:
        operator = None
        token, literal = self.consume()
        if token is _Token.DOES_NOT_EXIST:
            operator = Operator.DOES_NOT_EXIST
            token, literal = self.consume()
        if token is not _Token.IDENTIFIER:
            raise SelectorError(f"found '{literal}', expected: identifier")
        key_errors = validate_label_key(literal)
        if key_errors:
            raise SelectorError(f'Invalid value: "{literal}": ' + "; ".join(key_errors))
        # A key followed by nothing or a comma stands alone: Exists (or !key).
        if self.lookahead()[0] in (_Token.END, _Token.COMMA) and operator is None:
            operator = Operator.EXISTS
        return literal, operator

    def parse_operator(self) -> Operator:
        token, literal = self.consume(values=False)
        operators = {
            _Token.IN: Operator.IN,
            _Token.EQUALS: Operator.EQUALS,
            _Token.DOUBLE_EQUALS: Operator.DOUBLE_EQUALS,
            _Token.GREATER_THAN: Operator.GREATER_THAN,
            _Token.LESS_THAN: Operator.LESS_THAN,
            _Token.NOT_IN: Operator.NOT_IN,
            _Token.NOT_EQUALS: Operator.NOT_EQUALS,
        }
        if token not in operators:
            raise SelectorError(f"found '{literal}', expected: {_BINARY_OPERATOR_NAMES}")
        return operators[token]

    def parse_values(self) -> set[str]:
        token, literal = self.consume()
        if token is not _Token.OPEN_PAREN:
            raise SelectorError(f"found '{literal}' expected: '('")
        token, literal = self.lookahead()
        if token in (_Token.IDENTIFIER, _Token.COMMA):
            values = self.parse_identifiers_list()
            if self.consume()[0] is not _Token.CLOSE_PAREN:
                raise SelectorError(f"found '{literal}', expected: ')'")
            return values
        if token is _Token.CLOSE_PAREN:  # "()" is the empty value
            self.consume()
            return {""}
        raise SelectorError(f"found '{literal}', expected: ',', ')' or identifier")

    def parse_identifiers_list(self) -> set[str]:
        # Commas with nothing between them stand for the empty value: "(,a)", "(a,,b)", "(a,)".
        values: set[str] = set()
        while True:
            token, literal = self.consume()
            if token is _Token.IDENTIFIER:
                values.add(literal)
                next_token, next_literal = self.lookahead()
                if next_token is _Token.COMMA:
                    continue
                if next_token is _Token.CLOSE_PAREN:
                    return values
                raise SelectorError(f"found '{next_literal}', expected: ',' or ')'")
            if token is _Token.COMMA:
                if not values:
                    values.add("")
                next_token, _ = self.lookahead()
                if next_token is _Token.CLOSE_PAREN:
                    values.add("")
                    return values
                if next_token is _Token.COMMA:
                    values.add("")
                continue
            raise SelectorError(f"found '{literal}', expected: ',', or identifier")

    def parse_exact_value(self) -> set[str]:
        if self.lookahead()[0] in (_Token.END, _Token.COMMA):
            return {""}  # "x=" compares with the empty value
        token, literal = self.consume()
        if token is _Token.IDENTIFIER:
            return {literal}
        raise SelectorError(f"found '{literal}', expected: identifier")


def parse_selector(text: str) -> Selector:
    """Read the string form of a label selector, or raise ``SelectorError`` (upstream labels.Parse)."""
    return EVERYTHING.add(*_Parser(text).parse())


# -- the structured form (metav1.LabelSelector) ----------------------------------------


class LabelSelectorOperator(enum.Enum):
    """The operators of a structured selector, spelled as in the API."""

    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


_LABEL_SELECTOR_OPERATORS: Final = {operator.value: operator for operator in LabelSelectorOperator}
_TO_REQUIREMENT_OPERATOR: Final[dict[LabelSelectorOperator, Operator]] = {
    LabelSelectorOperator.IN: Operator.IN,
    LabelSelectorOperator.NOT_IN: Operator.NOT_IN,
    LabelSelectorOperator.EXISTS: Operator.EXISTS,
    LabelSelectorOperator.DOES_NOT_EXIST: Operator.DOES_NOT_EXIST,
}


@dataclasses.dataclass(frozen=True)
class LabelSelectorRequirement:
    """One ``matchExpressions`` entry. An operator string the API does not know is kept as a str."""

    key: str
    operator: LabelSelectorOperator | str
    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.operator, str) and self.operator in _LABEL_SELECTOR_OPERATORS:
            object.__setattr__(self, "operator", _LABEL_SELECTOR_OPERATORS[self.operator])
        object.__setattr__(self, "values", tuple(self.values))

    def matches(self, labels: Mapping[str, str]) -> bool:
        """The documented meaning of the expression, read directly (not through Requirement)."""
        present = self.key in labels
        if self.operator is LabelSelectorOperator.IN:
            return present and labels[self.key] in self.values
        if self.operator is LabelSelectorOperator.NOT_IN:
            return not present or labels[self.key] not in self.values
        if self.operator is LabelSelectorOperator.EXISTS:
            return present
        if self.operator is LabelSelectorOperator.DOES_NOT_EXIST:
            return not present
        raise SelectorError(f"{self.operator!r} is not a valid label selector operator")


@dataclasses.dataclass(frozen=True)
class LabelSelector:
    """A structured label selector (metav1.LabelSelector); ``None`` stands for a nil one.

    ``match_labels`` are ANDed with ``match_expressions``; an empty selector
    matches everything, a nil selector (``None``) nothing -- see the module
    docstring for which API means which.
    """

    match_labels: Mapping[str, str] = dataclasses.field(default_factory=dict)
    match_expressions: tuple[LabelSelectorRequirement, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "match_labels", MappingProxyType(dict(self.match_labels)))
        object.__setattr__(self, "match_expressions", tuple(self.match_expressions))

    def __hash__(self) -> int:
        return hash((tuple(sorted(self.match_labels.items())), self.match_expressions))

    def is_empty(self) -> bool:
        return not self.match_labels and not self.match_expressions

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether ``labels`` satisfy every matchLabels pair and every expression.

        Raises ``SelectorError`` for a selector upstream cannot convert
        (bad key or value syntax, unknown operator, wrong number of values):
        such a selector has no meaning, and validation rejects it.
        """
        errors = label_selector_errors(self)
        if errors:
            raise SelectorError("; ".join(errors), errors)
        return all(
            key in labels and labels[key] == value for key, value in self.match_labels.items()
        ) and all(expression.matches(labels) for expression in self.match_expressions)


def label_selector_errors(selector: LabelSelector) -> list[str]:
    """Why ``label_selector_as_selector`` would refuse ``selector``; [] if it converts."""
    errors = []
    for key, value in selector.match_labels.items():
        errors += requirement_errors(key, Operator.EQUALS, (value,))
    for expression in selector.match_expressions:
        if not isinstance(expression.operator, LabelSelectorOperator):
            errors.append(f"{expression.operator!r} is not a valid label selector operator")
            continue
        errors += requirement_errors(
            expression.key, _TO_REQUIREMENT_OPERATOR[expression.operator], expression.values
        )
    return errors


def label_selector_as_selector(selector: LabelSelector | None) -> Selector:
    """The string-form selector of a structured one (upstream LabelSelectorAsSelector).

    ``None`` is NOTHING; an empty selector is EVERYTHING; otherwise
    matchLabels become ``key=value`` requirements and expressions their
    operators, all sorted by key (matchLabels before expressions of the same
    key). Raises ``SelectorError`` when a requirement is invalid.
    """
    if selector is None:
        return NOTHING
    if selector.is_empty():
        return EVERYTHING
    errors = label_selector_errors(selector)
    if errors:
        raise SelectorError("; ".join(errors), errors)
    requirements = [
        Requirement(key, Operator.EQUALS, (value,)) for key, value in sorted(selector.match_labels.items())
    ]
    for expression in selector.match_expressions:
        if isinstance(expression.operator, LabelSelectorOperator):  # always, after the check above
            requirements.append(
                Requirement(expression.key, _TO_REQUIREMENT_OPERATOR[expression.operator], expression.values)
            )
    return EVERYTHING.add(*requirements)


def label_selector_matches(selector: LabelSelector | None, labels: Mapping[str, str]) -> bool:
    """Like ``LabelSelector.matches``, with a nil selector (``None``) matching nothing."""
    return selector is not None and selector.matches(labels)


def validate_label_selector(selector: LabelSelector | None, path: str = "selector") -> list[str]:
    """API validation of a structured selector (upstream ValidateLabelSelector); [] if valid.

    A nil selector is valid here; whether a field may be nil is the
    enclosing object's rule.
    """
    if selector is None:
        return []
    errors = validate_labels(selector.match_labels, f"{path}.matchLabels")
    for index, expression in enumerate(selector.match_expressions):
        at = f"{path}.matchExpressions[{index}]"
        if expression.operator in (LabelSelectorOperator.IN, LabelSelectorOperator.NOT_IN):
            if not expression.values:
                errors.append(
                    f"{at}.values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
                )
        elif expression.operator in (LabelSelectorOperator.EXISTS, LabelSelectorOperator.DOES_NOT_EXIST):
            if expression.values:
                errors.append(
                    f"{at}.values: Forbidden: "
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                )
        else:
            errors.append(
                f'{at}.operator: Invalid value: "{expression.operator}": not a valid selector operator'
            )
        errors += [
            f'{at}.key: Invalid value: "{expression.key}": {message}'
            for message in validate_label_key(expression.key)
        ]
        for value_index, value in enumerate(expression.values):
            errors += [
                f'{at}.values[{value_index}]: Invalid value: "{value}": {message}'
                for message in validate_label_value(value)
            ]
    return errors


# -- field selectors (pkg/fields/selector.go) --------------------------------------------


def escape_field_value(value: str) -> str:
    """Backslash-escape ``\\``, ``,`` and ``=`` for a field selector value (upstream EscapeValue)."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def unescape_field_value(text: str) -> str:
    """Undo ``escape_field_value``; raise ``SelectorError`` on a bad escape or a bare ``,``/``=``."""
    value = []
    escaped = False
    for character in text:
        if escaped:
            if character not in "\\,=":
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{character}")
            value.append(character)
            escaped = False
        elif character == "\\":
            escaped = True
        elif character in ",=":
            raise SelectorError(f"invalid field selector: unescaped character in value: {character!r}")
        else:
            value.append(character)
    if escaped:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(value)


@dataclasses.dataclass(frozen=True)
class FieldRequirement:
    """``field=value`` or ``field!=value`` (``==`` reads as ``=``)."""

    field: str
    operator: Operator
    value: str

    def __post_init__(self) -> None:
        if self.operator not in (Operator.EQUALS, Operator.NOT_EQUALS):
            raise ValueError(f"a field requirement is = or !=, not {self.operator.value}")

    def matches(self, fields: Mapping[str, str]) -> bool:
        # An absent field reads as "" (upstream Fields.Get).
        actual = fields.get(self.field, "")
        return actual == self.value if self.operator is Operator.EQUALS else actual != self.value

    def __str__(self) -> str:
        return f"{self.field}{self.operator.value}{escape_field_value(self.value)}"


@dataclasses.dataclass(frozen=True)
class FieldSelector:
    """Every requirement must match; no requirements match everything (upstream andTerm)."""

    requirements: tuple[FieldRequirement, ...] = ()
    selects_nothing: bool = False

    def __post_init__(self) -> None:
        if self.selects_nothing and self.requirements:
            raise ValueError("a selector that selects nothing has no requirements")

    def matches(self, fields: Mapping[str, str]) -> bool:
        if self.selects_nothing:
            return False
        return all(requirement.matches(fields) for requirement in self.requirements)

    def empty(self) -> bool:
        return not self.selects_nothing and not self.requirements

    def __str__(self) -> str:
        return ",".join(str(requirement) for requirement in self.requirements)


FIELDS_EVERYTHING: Final = FieldSelector()
FIELDS_NOTHING: Final = FieldSelector(selects_nothing=True)


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not escaped; escapes stay in the terms (upstream splitTerms)."""
    if text == "":
        return []
    terms = []
    start = 0
    escaped = False
    for index, character in enumerate(text):
        if escaped:
            escaped = False
        elif character == "\\":
            escaped = True
        elif character == ",":
            terms.append(text[start:index])
            start = index + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    """(field, operator, raw value) at the first operator, or None (upstream splitTerm).

    The field part cannot be escaped, so the first ``!=``, ``==`` or ``=``
    ends it; at each position ``!=`` and ``==`` are tried before ``=``.
    """
    for index in range(len(term)):
        for operator in ("!=", "==", "="):
            if term.startswith(operator, index):
                return term[:index], operator, term[index + len(operator) :]
    return None


def parse_field_selector(text: str) -> FieldSelector:
    """Read a field selector (upstream fields.ParseSelector), or raise ``SelectorError``."""
    requirements = []
    for term in sorted(_split_terms(text)):
        if term == "":
            continue
        split = _split_term(term)
        if split is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
        field_name, operator, raw_value = split
        value = unescape_field_value(raw_value)
        if field_name == "" and value == "":
            continue  # upstream's Transform step drops such a term
        requirements.append(
            FieldRequirement(field_name, Operator.NOT_EQUALS if operator == "!=" else Operator.EQUALS, value)
        )
    return FieldSelector(tuple(requirements))


def field_selector_from_set(fields: Mapping[str, str]) -> FieldSelector:
    """Equality on every field of ``fields`` (upstream fields.SelectorFromSet), sorted by field.

    Upstream keeps Go's random map order; sorting makes the printed form
    deterministic without changing what matches.
    """
    return FieldSelector(
        tuple(FieldRequirement(name, Operator.EQUALS, value) for name, value in sorted(fields.items()))
    )


def object_meta_fields(name: str, namespace: str | None = None) -> dict[str, str]:
    """The fields every object offers to field selectors (k/k AddObjectMetaFieldsSet).

    ``metadata.namespace`` only for namespaced objects; a resource adds its
    own (a Pod adds ``spec.nodeName``, ``status.phase``, ...).
    """
    fields = {"metadata.name": name}
    if namespace is not None:
        fields["metadata.namespace"] = namespace
    return fields
