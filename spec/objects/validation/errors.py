"""Field errors and the Kubernetes Status that carries them: how an invalid object is reported.

Upstream: apimachinery ``pkg/util/validation/field/errors.go`` (``Error``,
``ErrorType``, ``ErrorBody``) and ``path.go`` (``Path``:
``spec.containers[0].ports[1].containerPort``, map keys in brackets as
``metadata.labels[app]``), and ``pkg/api/errors/errors.go`` ``NewInvalid``
(HTTP 422, reason ``Invalid``, one ``StatusCause`` per error with
``reason`` = the error type, ``message`` = the error body and ``field`` =
the path).

Validation never raises on bad input: it returns a list of ``FieldError``,
empty when the object is valid.

Requirement IDs: none (the vocabulary of API validation).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final


class ErrorType(enum.Enum):
    """What kind of problem a field has; the value is upstream's ``CauseType`` string."""

    REQUIRED = "FieldValueRequired"
    INVALID = "FieldValueInvalid"
    NOT_SUPPORTED = "FieldValueNotSupported"
    NOT_FOUND = "FieldValueNotFound"
    DUPLICATE = "FieldValueDuplicate"
    FORBIDDEN = "FieldValueForbidden"
    TOO_LONG = "FieldValueTooLong"
    TOO_MANY = "FieldValueTooMany"

    @property
    def label(self) -> str:
        """The words upstream prints before the value (``ErrorType.String``)."""
        return _LABELS[self]


_LABELS: Final = {
    ErrorType.REQUIRED: "Required value",
    ErrorType.INVALID: "Invalid value",
    ErrorType.NOT_SUPPORTED: "Unsupported value",
    ErrorType.NOT_FOUND: "Not found",
    ErrorType.DUPLICATE: "Duplicate value",
    ErrorType.FORBIDDEN: "Forbidden",
    ErrorType.TOO_LONG: "Too long",
    ErrorType.TOO_MANY: "Too many",
}

#: Types whose body leaves the bad value out (``ErrorBody``'s first cases).
_VALUE_OMITTED: Final = frozenset({ErrorType.REQUIRED, ErrorType.FORBIDDEN, ErrorType.TOO_LONG})


@dataclass(frozen=True)
class Path:
    """A field path, built the way upstream's ``field.Path`` is: ``root.child("a").index(0).key("k")``."""

    text: str = ""

    def child(self, *names: str) -> Path:
        text = self.text
        for name in names:
            text = f"{text}.{name}" if text else name
        return Path(text)

    def index(self, position: int) -> Path:
        return Path(f"{self.text}[{position}]")

    def key(self, name: str) -> Path:
        return Path(f"{self.text}[{name}]")

    def __str__(self) -> str:
        return self.text


ROOT: Final = Path()


def _go_value(value: Any) -> str:
    # ErrorBody prints numbers and bools with %v and strings with %q.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


@dataclass(frozen=True)
class FieldError:
    """One problem of an object: where, what kind, the offending value and why."""

    type: ErrorType
    field: str
    bad_value: Any = None
    detail: str = ""

    @property
    def body(self) -> str:
        """Upstream's ``ErrorBody``: ``Invalid value: -1: must be greater than or equal to 0``."""
        text = self.type.label
        if self.type not in _VALUE_OMITTED and self.bad_value is not None:
            text += f": {_go_value(self.bad_value)}"
        if self.detail:
            text += f": {self.detail}"
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.body}" if self.field else self.body

    def cause(self) -> dict[str, str]:
        """The ``StatusCause`` of this error, as JSON."""
        return {"reason": self.type.value, "message": self.body, "field": self.field}


# -- constructors, named as upstream's (field.Required, field.Invalid, ...) -----------------


def required(path: Path, detail: str = "") -> FieldError:
    return FieldError(ErrorType.REQUIRED, str(path), None, detail)


def invalid(path: Path, value: Any, detail: str) -> FieldError:
    return FieldError(ErrorType.INVALID, str(path), value, detail)


def not_supported(path: Path, value: Any, supported: Sequence[str]) -> FieldError:
    detail = "supported values: " + ", ".join(_go_value(option) for option in supported)
    return FieldError(ErrorType.NOT_SUPPORTED, str(path), value, detail)


def not_found(path: Path, value: Any) -> FieldError:
    return FieldError(ErrorType.NOT_FOUND, str(path), value)


def duplicate(path: Path, value: Any) -> FieldError:
    return FieldError(ErrorType.DUPLICATE, str(path), value)


def forbidden(path: Path, detail: str) -> FieldError:
    return FieldError(ErrorType.FORBIDDEN, str(path), None, detail)


def too_long(path: Path, limit: int) -> FieldError:
    return FieldError(ErrorType.TOO_LONG, str(path), None, f"must have at most {limit} bytes")


def too_many(path: Path, actual: int, limit: int) -> FieldError:
    return FieldError(ErrorType.TOO_MANY, str(path), actual, f"must have at most {limit} items")


# -- the 422 response --------------------------------------------------------------------------------


def qualified_kind(group: str, kind: str) -> str:
    """``schema.GroupKind.String``: ``Deployment.apps``; a core kind is just ``Pod``."""
    return f"{kind}.{group}" if group else kind


def invalid_status(group: str, kind: str, name: str, errors: Sequence[FieldError]) -> dict[str, Any]:
    """The Status an API server returns for an invalid object (``NewInvalid``: 422, reason Invalid).

    The message aggregates the errors as upstream's ``utilerrors.Aggregate``
    prints them: one error alone, several in brackets separated by commas.
    """
    what = f'{qualified_kind(group, kind)} "{name}" is invalid'
    if len(errors) == 1:
        message = f"{what}: {errors[0]}"
    elif errors:
        message = f"{what}: [" + ", ".join(str(error) for error in errors) + "]"
    else:
        message = what
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Invalid",
        # StatusDetails' group is omitempty: absent for the core group.
        "details": {
            "name": name,
            **({"group": group} if group else {}),
            "kind": kind,
            "causes": [error.cause() for error in errors],
        },
        "code": 422,
    }
