"""The building blocks every kind is made of: the model base class and the value types of the wire format.

What is modelled: how Kubernetes objects look in JSON (apimachinery's
encoding rules, kubernetes/community ``api-conventions.md``), so that each
kind in this package is declared once, as Python fields, and pydantic does
the reading and writing:

- ``Model``: frozen (changes make new objects with ``model_copy``), fields
  in snake_case in Python and camelCase in JSON, fields equal to their
  default left out when written (Go's ``omitempty``), unknown fields ignored
  when read (the API server's default; ``spec.objects.registry`` offers the
  strict check kubectl asks for). Scalars are strict, as Go's
  ``encoding/json`` is: ``"80"`` is not an int and ``80`` is not a string, so
  ``labels: {version: 1.0}`` is refused, as upstream refuses it. A JSON
  ``null`` reads as absence, as in Go (kubectl itself writes
  ``creationTimestamp: null``).
- ``Seq[T]``: a JSON array, held as a tuple.
- ``FrozenMap[K, V]``: a JSON object used as a map (labels, data,
  resources), immutable and hashable.
- ``QuantityValue``: ``spec.quantity.Quantity``, read from a string or a
  JSON number (upstream ``Quantity.UnmarshalJSON`` accepts both) and
  written as its canonical string. ``ResourceList`` maps names to them.
- ``IntOrStringValue``: ``spec.intstr.IntOrString``, read from a JSON
  number or string and written back as the same JSON type
  (apimachinery ``pkg/util/intstr/intstr.go``, ``UnmarshalJSON``).
- ``Time`` and ``MicroTime``: ``metav1.Time`` and ``metav1.MicroTime``
  (apimachinery ``pkg/apis/meta/v1/time.go``, ``micro_time.go``), RFC 3339
  in UTC, written with whole seconds and with six fractional digits.
- ``Base64Bytes``: ``[]byte`` fields (Secret ``data``), base64 in JSON
  (Go ``encoding/json`` with ``base64.StdEncoding``).
- ``JSONValue``: free-form JSON (a CRD schema's ``default``, ``enum``,
  ``example``), frozen into tuples and ``FrozenMap``\\s.

Why pydantic (v2) and not msgspec: ``Quantity`` and ``IntOrString`` are
dataclasses, and msgspec encodes and decodes every dataclass natively (as a
JSON object of its fields) without ever calling its extension hooks, so a
``targetPort`` would be written ``{"value": 80}``. Pydantic attaches a
validator and a serializer to each field type, which is exactly the hook
needed, and reports every error at once with its location.

Where the spec deliberately differs from upstream's JSON:

- Fields whose Go tag lacks ``omitempty`` are still left out when they hold
  their zero value (upstream prints ``"ready": false``), except where a
  model lists them in ``_always_written`` (``podSelector: {}`` of a
  NetworkPolicy, ``served``/``storage`` of a CRD version, the identity of
  a container status), where the zero value says something. Reading treats
  absence and zero alike, as Go does, so the object is the same either way.
- A ``Time`` read with a fraction of a second keeps only whole seconds: the
  fraction is never written back by upstream, so keeping it would make two
  objects differ that no client can tell apart. A missing time is ``None``
  (upstream prints ``"creationTimestamp": null``).

Requirement IDs: none (the object model is the vocabulary of the others).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Final, TypeVar, cast, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    PlainSerializer,
    PlainValidator,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import CoreSchema, core_schema

from spec.intstr import IntOrString
from spec.quantity import Quantity, QuantityError, parse_quantity

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")

INT32_MIN: Final = -(2**31)
INT32_MAX: Final = 2**31 - 1
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1


class Model(BaseModel):
    """Base of every object and every part of one.

    ``_always_written`` names (in Python spelling) the fields that are
    written even when they equal their default, for the few places where
    upstream's JSON keeps a zero value that means something.
    """

    model_config = ConfigDict(
        frozen=True,
        strict=True,
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="ignore",
    )

    _always_written: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        # Go's encoding/json: null sets a pointer, map or slice to nil and leaves
        # anything else at its zero value -- either way, what absence gives.
        # (kubectl writes "creationTimestamp: null"; "labels:" with nothing after is null in YAML.)
        if isinstance(data, dict) and None in data.values():
            return {key: value for key, value in data.items() if value is not None}
        return data

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # Only what differs from the defaults: a Pod's repr would otherwise run to pages.
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if value != field.default:
                yield name, value

    def replace(self: _ModelT, **changes: Any) -> _ModelT:
        """A copy with ``changes`` (Python field names) applied; ``self`` is unchanged.

        The values are taken as given (pydantic's ``model_copy`` does not
        validate them): pass the field's own types.
        """
        return self.model_copy(update=changes)


_ModelT = TypeVar("_ModelT", bound=Model)


class AlwaysWritten(Model):
    """A model some of whose zero-valued fields are written anyway (``_always_written``)."""

    @model_serializer(mode="wrap")
    def _write_required_zero_values(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> Any:
        written = handler(self)
        if not isinstance(written, dict):
            return written
        for name in self._always_written:
            field = type(self).model_fields[name]
            key = field.serialization_alias or field.alias or name
            if key not in written:
                written[key] = _dump(getattr(self, name), info)
        return written


def _dump(value: object, info: SerializationInfo) -> Any:
    """``value`` written as a field of a model being dumped with ``info``'s mode."""
    if isinstance(value, Model):
        return value.model_dump(mode=info.mode, exclude_defaults=True)
    if isinstance(value, tuple):
        return [_dump(item, info) for item in value]
    return value


def wire_name(name: str, default: Any) -> Any:
    """A field whose JSON name the camelCase rule does not produce (``podIP``, ``from``).

    Given as validation and serialization aliases, not as ``alias``, so that
    type checkers keep the Python name as the constructor's keyword.
    """
    return Field(default, validation_alias=name, serialization_alias=name)


# -- sequences and maps -------------------------------------------------------------

#: A JSON array, held as a tuple; lists are accepted when reading.
Seq = Annotated[tuple[T, ...], Field(strict=False)]


class FrozenMap(Mapping[K, V]):
    """An immutable, hashable mapping: what a JSON object used as a map (labels, data) reads into.

    Equal to any mapping with the same items, so ``pod.metadata.labels ==
    {"app": "web"}`` holds.
    """

    __slots__ = ("_hash", "_items")

    def __init__(self, items: Mapping[K, V] | None = None, /) -> None:
        self._items: dict[K, V] = dict(items) if items else {}
        self._hash: int | None = None

    def __getitem__(self, key: K) -> V:
        return self._items[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._items == other._items
        if isinstance(other, Mapping):
            return self._items == dict(other)
        return NotImplemented

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._items.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenMap({self._items!r})"

    def set(self, key: K, value: V) -> FrozenMap[K, V]:
        """A new map with ``key`` set to ``value``."""
        return FrozenMap({**self._items, key: value})

    def without(self, key: K) -> FrozenMap[K, V]:
        """A new map without ``key``."""
        return FrozenMap({k: v for k, v in self._items.items() if k != key})

    def as_dict(self) -> dict[K, V]:
        """A mutable copy."""
        return dict(self._items)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        key_type, value_type = get_args(source) or (Any, Any)
        # Lax as a container (any mapping, a FrozenMap included, is accepted)
        # while keys and values keep the strictness of their own types.
        items = core_schema.dict_schema(
            handler.generate_schema(key_type), handler.generate_schema(value_type), strict=False
        )
        return core_schema.no_info_after_validator_function(
            cls,
            items,
            serialization=core_schema.wrap_serializer_function_ser_schema(
                lambda value, write: write(value._items), schema=items
            ),
        )


# -- quantities and int-or-string ----------------------------------------------------


def _read_quantity(value: object) -> Quantity:
    if isinstance(value, Quantity):
        return value
    # A JSON number is read from its text (upstream parses the raw bytes);
    # bool is an int in Python but never a quantity.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = repr(value)
    if not isinstance(value, str):
        raise ValueError(f"a quantity must be a string or a number, not {type(value).__name__}")
    try:
        # Upstream trims surrounding whitespace before parsing (UnmarshalJSON).
        return parse_quantity(value.strip())
    except QuantityError as error:
        raise ValueError(str(error)) from None


def _write_quantity(quantity: Quantity) -> str:
    return quantity.canonical()


QuantityValue = Annotated[
    Quantity, PlainValidator(_read_quantity), PlainSerializer(_write_quantity, return_type=str)
]

#: Resource names to quantities (``cpu: 500m``, ``memory: 1Gi``): core/v1 ``ResourceList``.
ResourceList = FrozenMap[str, QuantityValue]


def _read_int_or_string(value: object) -> IntOrString:
    if isinstance(value, IntOrString):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"an int-or-string must be an integer or a string, not {type(value).__name__}")
    return IntOrString(value)


def _write_int_or_string(value: IntOrString) -> int | str:
    return value.value


IntOrStringValue = Annotated[
    IntOrString, PlainValidator(_read_int_or_string), PlainSerializer(_write_int_or_string)
]

# Go's int32 and int64: a JSON number out of range is an unmarshalling error upstream.
Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]


# -- times -------------------------------------------------------------------------

# What Go's time.Parse(time.RFC3339, ...) accepts: a fraction of a second is
# allowed even though the layout has none; the zone is Z or +hh:mm.
_RFC3339: Final = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})T(?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]+))?(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})"
)


def _parse_rfc3339(text: str) -> datetime:
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an RFC 3339 time (2006-01-02T15:04:05Z)")
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")  # Python keeps microseconds
    zone = "+00:00" if match["zone"] == "Z" else match["zone"]
    try:
        parsed = datetime.fromisoformat(f"{match['date']}T{match['time']}.{fraction}{zone}")
    except ValueError as error:
        raise ValueError(f"{text!r} is not an RFC 3339 time: {error}") from None
    return parsed.astimezone(UTC)


class Time(datetime):
    """``metav1.Time``: an instant in UTC with whole seconds, written ``2006-01-02T15:04:05Z``.

    Build one with ``Time.of(datetime)`` or ``Time.parse(text)``; both drop
    the fraction of a second, which upstream never writes.
    """

    @classmethod
    def of(cls, moment: datetime) -> Time:
        if moment.tzinfo is None:
            raise ValueError("a Kubernetes time needs a time zone; naive datetimes are ambiguous")
        utc = moment.astimezone(UTC)
        return cls(utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, tzinfo=UTC)

    @classmethod
    def parse(cls, text: str) -> Time:
        return cls.of(_parse_rfc3339(text))

    def rfc3339(self) -> str:
        utc = self.astimezone(UTC)
        # Not strftime: %Y does not pad years before 1000 on every platform; Go always writes four digits.
        return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}Z"

    @classmethod
    def _read(cls, value: object) -> Time:
        if isinstance(value, cls):
            return value
        if isinstance(value, datetime):
            return cls.of(value)
        if isinstance(value, str):
            return cls.parse(value)
        raise ValueError(f"a time must be an RFC 3339 string, not {type(value).__name__}")

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._read,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value: cls._read(value).rfc3339(), return_schema=core_schema.str_schema()
            ),
        )


class MicroTime(datetime):
    """``metav1.MicroTime``: an instant in UTC to the microsecond, written ``2006-01-02T15:04:05.000000Z``.

    Lease renewals and events.k8s.io event times use it.
    """

    @classmethod
    def of(cls, moment: datetime) -> MicroTime:
        if moment.tzinfo is None:
            raise ValueError("a Kubernetes time needs a time zone; naive datetimes are ambiguous")
        utc = moment.astimezone(UTC)
        return cls(
            utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond, tzinfo=UTC
        )

    @classmethod
    def parse(cls, text: str) -> MicroTime:
        return cls.of(_parse_rfc3339(text))

    def rfc3339(self) -> str:
        utc = self.astimezone(UTC)
        return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S.%f}Z"

    @classmethod
    def _read(cls, value: object) -> MicroTime:
        if isinstance(value, cls):
            return value
        if isinstance(value, datetime):
            return cls.of(value)
        if isinstance(value, str):
            return cls.parse(value)
        raise ValueError(f"a time must be an RFC 3339 string, not {type(value).__name__}")

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._read,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value: cls._read(value).rfc3339(), return_schema=core_schema.str_schema()
            ),
        )


# -- bytes and free-form JSON --------------------------------------------------------


def _read_base64(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise ValueError(f"bytes are written as a base64 string, not {type(value).__name__}")
    try:
        # Go's base64 decoder skips line breaks; padding is required.
        return base64.b64decode(value.replace("\r", "").replace("\n", ""), validate=True)
    except binascii.Error as error:
        raise ValueError(f"illegal base64 data: {error}") from None


def _write_base64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


Base64Bytes = Annotated[bytes, PlainValidator(_read_base64), PlainSerializer(_write_base64, return_type=str)]


def freeze_json(value: object) -> Any:
    """A JSON value with arrays as tuples and objects as ``FrozenMap``\\s; raise on non-JSON values."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(freeze_json(item) for item in value)
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise ValueError("JSON object keys must be strings")
        return FrozenMap({key: freeze_json(item) for key, item in value.items()})
    raise ValueError(f"{type(value).__name__} is not a JSON value")


def thaw_json(value: object) -> Any:
    """The plain JSON value (lists and dicts) of a frozen one."""
    if isinstance(value, tuple):
        return [thaw_json(item) for item in value]
    if isinstance(value, Mapping):
        return {key: thaw_json(item) for key, item in cast(Mapping[str, object], value).items()}
    return value


JSONValue = Annotated[Any, PlainValidator(freeze_json), PlainSerializer(thaw_json)]
