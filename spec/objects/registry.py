"""The kind registry: which kinds exist, where they are served, and reading and writing them as dicts.

What is modelled: for each kind its group/version (``apiVersion``), its
``kind``, the plural resource name that appears in URLs and etcd keys
(``/registry/<resource>/<namespace>/<name>``) and whether it is namespaced
-- what upstream's discovery documents say (k/k ``api/discovery/api__v1.json``,
``apis__apps__v1.json``, ``apis__batch__v1.json``, ... one per group) -- and
the decoding step of the API server: pick the Go type by ``apiVersion`` and
``kind``, then unmarshal (apimachinery ``pkg/runtime/scheme.go``,
``serializer/json``).

Errors (``ObjectError``) carry every problem with its field path in
upstream's notation (``spec.containers[0].ports[1].containerPort``,
``metadata.labels[app]``): upstream's messages are ``Object 'Kind' is
missing in ...``, ``no kind "X" is registered for version "v"`` and, for
fieldValidation=Strict, ``unknown field "spec.foo"``.

Requirement IDs: none.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Final, Union

import pydantic

from spec.objects import (
    apiextensions,
    apps,
    batch,
    certificates,
    coordination,
    core,
    discovery,
    events,
    networking,
    rbac,
)
from spec.objects import storage as storage_group
from spec.objects.base import FrozenMap, Model
from spec.objects.meta import KindModel


@dataclass(frozen=True)
class KindInfo:
    """Where a kind lives in the API."""

    model: type[KindModel]
    resource: str  # the plural, lowercase: "pods", "networkpolicies"
    namespaced: bool

    @property
    def api_version(self) -> str:
        return self.model.api_version

    @property
    def kind(self) -> str:
        return self.model.kind

    @property
    def group(self) -> str:
        """The API group; ``""`` for the legacy core group (``apiVersion: v1``)."""
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]


#: Every kind of the seed, in discovery's terms.
KINDS: Final[tuple[KindInfo, ...]] = (
    KindInfo(core.Namespace, "namespaces", namespaced=False),
    KindInfo(core.Pod, "pods", namespaced=True),
    KindInfo(core.Node, "nodes", namespaced=False),
    KindInfo(core.Service, "services", namespaced=True),
    KindInfo(core.ConfigMap, "configmaps", namespaced=True),
    KindInfo(core.Secret, "secrets", namespaced=True),
    KindInfo(core.ServiceAccount, "serviceaccounts", namespaced=True),
    KindInfo(core.PersistentVolume, "persistentvolumes", namespaced=False),
    KindInfo(core.PersistentVolumeClaim, "persistentvolumeclaims", namespaced=True),
    KindInfo(core.Event, "events", namespaced=True),
    KindInfo(core.Binding, "bindings", namespaced=True),
    KindInfo(apps.ReplicaSet, "replicasets", namespaced=True),
    KindInfo(apps.Deployment, "deployments", namespaced=True),
    KindInfo(apps.StatefulSet, "statefulsets", namespaced=True),
    KindInfo(apps.DaemonSet, "daemonsets", namespaced=True),
    KindInfo(batch.Job, "jobs", namespaced=True),
    KindInfo(batch.CronJob, "cronjobs", namespaced=True),
    KindInfo(coordination.Lease, "leases", namespaced=True),
    KindInfo(discovery.EndpointSlice, "endpointslices", namespaced=True),
    KindInfo(networking.NetworkPolicy, "networkpolicies", namespaced=True),
    KindInfo(storage_group.StorageClass, "storageclasses", namespaced=False),
    KindInfo(rbac.Role, "roles", namespaced=True),
    KindInfo(rbac.ClusterRole, "clusterroles", namespaced=False),
    KindInfo(rbac.RoleBinding, "rolebindings", namespaced=True),
    KindInfo(rbac.ClusterRoleBinding, "clusterrolebindings", namespaced=False),
    KindInfo(apiextensions.CustomResourceDefinition, "customresourcedefinitions", namespaced=False),
    KindInfo(events.Event, "events", namespaced=True),
    KindInfo(certificates.CertificateSigningRequest, "certificatesigningrequests", namespaced=False),
)

_BY_TYPE: Final[dict[tuple[str, str], KindInfo]] = {(info.api_version, info.kind): info for info in KINDS}
_BY_MODEL: Final[dict[type[KindModel], KindInfo]] = {info.model: info for info in KINDS}


def kind_info(api_version: str, kind: str) -> KindInfo:
    """The kind registered for ``apiVersion``/``kind``; raises ``ObjectError`` if there is none."""
    try:
        return _BY_TYPE[(api_version, kind)]
    except KeyError:
        raise ObjectError(
            [FieldProblem("kind", f'no kind "{kind}" is registered for version "{api_version}"')]
        ) from None


def info_of(obj: KindModel | type[KindModel]) -> KindInfo:
    """The registry entry of an object or of its class."""
    return _BY_MODEL[obj if isinstance(obj, type) else type(obj)]


# -- errors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldProblem:
    """One reason an input is not an object: where (a field path, ``""`` for the whole) and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


class ObjectError(ValueError):
    """An input that is not an object of a known kind; ``problems`` lists every reason found."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(problem.path for problem in self.problems)


# -- reading and writing --------------------------------------------------------------


def from_dict(obj: Mapping[str, Any], *, strict: bool = False) -> KindModel:
    """The object a JSON-shaped dict describes, chosen by its ``apiVersion`` and ``kind``.

    Unknown fields are ignored, as the API server does by default; with
    ``strict=True`` they are errors, as with kubectl's default
    ``--validate=strict``. Raises ``ObjectError`` listing every problem.
    """
    if not isinstance(obj, Mapping):
        raise ObjectError([FieldProblem("", f"an object must be a JSON object, not {_json_type(obj)}")])
    missing = [
        FieldProblem(field, f"Object '{label}' is missing")
        for field, label in (("apiVersion", "apiVersion"), ("kind", "Kind"))
        if not obj.get(field)
    ]
    if missing:
        raise ObjectError(missing)
    api_version, kind = obj["apiVersion"], obj["kind"]
    if not isinstance(api_version, str) or not isinstance(kind, str):
        raise ObjectError([FieldProblem("", "apiVersion and kind must be strings")])
    model = kind_info(api_version, kind).model
    problems = unknown_fields(model, obj) if strict else []
    try:
        result = model.model_validate(obj, by_alias=True, by_name=False)
    except pydantic.ValidationError as error:
        problems += [
            FieldProblem(field_path(model, detail["loc"]), _reason(detail)) for detail in error.errors()
        ]
        raise ObjectError(problems) from None
    if problems:
        raise ObjectError(problems)
    return result


def to_dict(obj: KindModel) -> dict[str, Any]:
    """The JSON-shaped dict of an object: ``apiVersion`` and ``kind`` first, empty fields left out."""
    body = obj.model_dump(mode="json", exclude_defaults=True)
    return {"apiVersion": obj.api_version, "kind": obj.kind, **body}


def to_json(obj: KindModel) -> str:
    """The JSON text of an object (compact, fields in declaration order)."""
    body = obj.model_dump_json(exclude_defaults=True)
    head = f'{{"apiVersion":"{obj.api_version}","kind":"{obj.kind}"'
    return head + ("}" if body == "{}" else "," + body[1:])


def from_json(text: str | bytes, *, strict: bool = False) -> KindModel:
    """The object a JSON document describes (``from_dict`` of its parsed text)."""
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        raise ObjectError([FieldProblem("", f"invalid JSON: {error}")]) from None
    return from_dict(parsed, strict=strict)


# -- field paths ------------------------------------------------------------------------


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _reason(detail: Any) -> str:
    message = str(detail["msg"])
    # pydantic prefixes the messages of our own validators; upstream has no such prefix.
    message = message.removeprefix("Value error, ")
    if detail["type"] in {"string_type", "int_type", "bool_type", "float_type", "tuple_type", "dict_type"}:
        message += f", got {_json_type(detail.get('input'))}"
    return message


@dataclass(frozen=True)
class _Shape:
    """What a position in a document holds: a model, a map of something, a list of something, or a leaf."""

    model: type[Model] | None = None
    map_of: Any = None
    list_of: Any = None


def _shape(annotation: Any) -> _Shape:
    """Peel Annotated, Optional and unions down to a model, a FrozenMap, a tuple, or a leaf."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _shape(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        for member in typing.get_args(annotation):
            shape = _shape(member)
            if shape != _Shape():
                return shape  # the structured member; a leaf member (bool, None) has no inside
        return _Shape()
    if isinstance(annotation, type) and issubclass(annotation, Model):
        return _Shape(model=annotation)
    if origin is FrozenMap:
        return _Shape(map_of=typing.get_args(annotation)[1])
    if origin is tuple:
        return _Shape(list_of=typing.get_args(annotation)[0])
    return _Shape()


@cache
def _fields_by_wire_name(model: type[Model]) -> dict[str, Any]:
    """JSON name -> annotation of each field of ``model``."""
    fields = {}
    for name, info in model.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else None
        fields[alias or info.alias or name] = info.annotation
    return fields


def field_path(model: type[Model], loc: Sequence[int | str]) -> str:
    """A pydantic error location as upstream's field path: ``spec.containers[0].name``, ``labels[app]``."""
    path = ""
    shape = _Shape(model=model)
    for step in loc:
        if shape.model is not None and isinstance(step, str):
            fields = _fields_by_wire_name(shape.model)
            if step not in fields:
                continue  # a union member's tag, not a position in the document
            path += ("." if path else "") + step
            shape = _shape(fields[step])
        elif shape.map_of is not None:
            path += f"[{step}]"
            shape = _shape(shape.map_of)
        elif shape.list_of is not None and isinstance(step, int):
            path += f"[{step}]"
            shape = _shape(shape.list_of)
        elif isinstance(step, int):
            path += f"[{step}]"
        elif not step.startswith(("function-", "json-or-python")):
            path += ("." if path else "") + step
    return path


def unknown_fields(model: type[Model], data: object, at: str = "") -> list[FieldProblem]:
    """Every field of ``data`` that ``model`` does not have, as upstream's strict decoding reports them."""
    problems: list[FieldProblem] = []
    if not isinstance(data, Mapping):
        return problems
    fields = _fields_by_wire_name(model)
    for key, value in data.items():
        path = f"{at}.{key}" if at else str(key)
        if at == "" and key in ("apiVersion", "kind"):
            continue
        if key not in fields:
            problems.append(FieldProblem(path, f'unknown field "{path}"'))
            continue
        problems += _unknown_in(_shape(fields[key]), value, path)
    return problems


def _unknown_in(shape: _Shape, value: object, at: str) -> list[FieldProblem]:
    if shape.model is not None:
        return unknown_fields(shape.model, value, at)
    problems: list[FieldProblem] = []
    if shape.map_of is not None and isinstance(value, Mapping):
        for key, item in value.items():
            problems += _unknown_in(_shape(shape.map_of), item, f"{at}[{key}]")
    elif shape.list_of is not None and isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problems += _unknown_in(_shape(shape.list_of), item, f"{at}[{index}]")
    return problems
