"""Raft messages, log entries and storage records as bytes: the real driver's wire and disk format.

JSON with tagged values, not pickle: a member reads what arrives on a TCP
port, and unpickling what anyone on the machine can send would run their
code. Only the types listed in ``WIRE_TYPES`` are rebuilt; anything else is
refused with ``WireError``.

Encoding: JSON scalars and lists stand for themselves; a tuple is
``{"t": [...]}``, a frozenset ``{"f": [...]}`` (sorted by encoding, so equal
sets encode alike), bytes ``{"b": "<base64>"}``, and a dataclass instance
``{"d": "<TypeName>", "v": {field: value}}``, and a member of a registered ``IntEnum``
``{"e": "<EnumName>", "v": <int>}`` (an unregistered one travels as its int).

A component that replicates commands of its own through the reference Raft
(the etcd member's requests, impl/etcd/peer.py) adds their types with
``register``; it is refused to register a second type under a name taken.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from enum import IntEnum
from typing import Any

from impl.raft.core import (
    AppendEntries,
    AppendResponse,
    HardState,
    InstallSnapshot,
    Snapshot,
    TimeoutNow,
    VoteRequest,
    VoteResponse,
)
from spec.raft import ConfigChange, LogEntry, RegisterRead, RegisterWrite

WIRE_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        AppendEntries,
        AppendResponse,
        HardState,
        InstallSnapshot,
        Snapshot,
        TimeoutNow,
        VoteRequest,
        VoteResponse,
        ConfigChange,
        LogEntry,
        RegisterRead,
        RegisterWrite,
    )
}


def register(*types: type) -> None:
    """Let ``types`` (frozen dataclasses or ``IntEnum`` classes) travel and be stored too."""
    for cls in types:
        taken = WIRE_TYPES.get(cls.__name__)
        if taken is not None and taken is not cls:
            raise ValueError(f"{cls.__qualname__}: the wire name {cls.__name__!r} is taken by {taken!r}")
        if not (dataclasses.is_dataclass(cls) or issubclass(cls, IntEnum)):
            raise TypeError(f"{cls.__qualname__} is neither a dataclass nor an IntEnum")
        WIRE_TYPES[cls.__name__] = cls


class WireError(ValueError):
    """Bytes that are not a value this format can carry."""


def to_json(value: object) -> Any:
    if isinstance(value, IntEnum) and WIRE_TYPES.get(type(value).__name__) is type(value):
        return {"e": type(value).__name__, "v": int(value)}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, tuple):
        return {"t": [to_json(v) for v in value]}
    if isinstance(value, frozenset):
        items = [to_json(v) for v in value]
        return {"f": sorted(items, key=lambda item: json.dumps(item, sort_keys=True))}
    if isinstance(value, bytes):
        return {"b": base64.b64encode(value).decode("ascii")}
    name = type(value).__name__
    if dataclasses.is_dataclass(value) and WIRE_TYPES.get(name) is type(value):
        fields = {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"d": name, "v": fields}
    raise WireError(f"cannot encode a {type(value).__qualname__}: {value!r}")


def from_json(data: Any) -> Any:
    if data is None or isinstance(data, bool | int | float | str):
        return data
    if isinstance(data, list):
        return [from_json(v) for v in data]
    if isinstance(data, dict) and len(data) in (1, 2):
        if "t" in data and len(data) == 1:
            return tuple(from_json(v) for v in data["t"])
        if "f" in data and len(data) == 1:
            return frozenset(from_json(v) for v in data["f"])
        if "b" in data and len(data) == 1:
            return base64.b64decode(data["b"], validate=True)
        if "e" in data and "v" in data:
            cls = WIRE_TYPES.get(data["e"])
            if cls is None or not issubclass(cls, IntEnum) or type(data["v"]) is not int:
                raise WireError(f"unknown enum {data['e']!r} or bad value {data['v']!r}")
            return cls(data["v"])
        if "d" in data and "v" in data:
            cls = WIRE_TYPES.get(data["d"])
            if cls is None or not dataclasses.is_dataclass(cls) or not isinstance(data["v"], dict):
                raise WireError(f"unknown type {data['d']!r}")
            try:
                return cls(**{name: from_json(v) for name, v in data["v"].items()})
            except TypeError as e:
                raise WireError(f"bad fields for {data['d']}: {e}") from None
    raise WireError(f"not an encoded value: {data!r}")


def encode(value: object) -> bytes:
    return json.dumps(to_json(value), separators=(",", ":")).encode()


def decode(body: bytes) -> Any:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise WireError(f"not JSON: {e}") from None
    try:
        return from_json(data)
    except (ValueError, TypeError) as e:  # binascii.Error is a ValueError
        raise WireError(str(e)) from None
