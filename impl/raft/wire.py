"""Raft messages, log entries and storage records as bytes: the real driver's wire and disk format.

JSON with tagged values, not pickle: a member reads what arrives on a TCP
port, and unpickling what anyone on the machine can send would run their
code. Only the types listed in ``WIRE_TYPES`` are rebuilt; anything else is
refused with ``WireError``.

Encoding: JSON scalars and lists stand for themselves; a tuple is
``{"t": [...]}``, a frozenset ``{"f": [...]}`` (sorted by encoding, so equal
sets encode alike), bytes ``{"b": "<base64>"}``, and a dataclass instance
``{"d": "<TypeName>", "v": {field: value}}``.
"""

from __future__ import annotations

import base64
import dataclasses
import json
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


class WireError(ValueError):
    """Bytes that are not a value this format can carry."""


def to_json(value: object) -> Any:
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
        if "d" in data and "v" in data:
            cls = WIRE_TYPES.get(data["d"])
            if cls is None or not isinstance(data["v"], dict):
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
