"""The Kubernetes object model: every kind of the seed, read and written as upstream's JSON.

Kinds live in one module per API group (``core``, ``apps``, ``batch``,
``coordination``, ``discovery``, ``networking``, ``storage``, ``rbac``,
``apiextensions``, ``events``; ``meta`` holds ObjectMeta and label
selectors, ``base`` the value types). Objects are immutable pydantic models
with snake_case fields; ``obj.replace(field=value)`` makes a changed copy.

Entry points:

- ``from_dict(d)`` / ``to_dict(obj)`` (and ``from_json`` / ``to_json``):
  dispatch on ``apiVersion`` and ``kind`` (``spec.objects.registry``).
- ``KINDS``, ``kind_info(api_version, kind)``, ``info_of(obj)``: plural
  resource name and scope of every kind.
- ``default(obj)``: upstream's defaulting (``spec.objects.defaults``).
- ``load_manifests(text)``: objects from a YAML stream
  (``spec.objects.manifests``); ``check_manifests(text)``: every reading
  and validation problem of one, by document, line and field.
- ``spec.objects.validation.validate(obj)``: upstream's API validation,
  every error with its field path.

Requirement IDs: none.
"""

from spec.objects.base import FrozenMap, MicroTime, Time
from spec.objects.defaults import default
from spec.objects.manifests import (
    ManifestError,
    ManifestProblem,
    check_manifests,
    load_manifests,
)
from spec.objects.meta import KindModel, LabelSelector, ObjectMeta, OwnerReference
from spec.objects.registry import (
    KINDS,
    FieldProblem,
    KindInfo,
    ObjectError,
    from_dict,
    from_json,
    info_of,
    kind_info,
    to_dict,
    to_json,
)

__all__ = [
    "KINDS",
    "FieldProblem",
    "FrozenMap",
    "KindInfo",
    "KindModel",
    "LabelSelector",
    "ManifestError",
    "ManifestProblem",
    "MicroTime",
    "ObjectError",
    "ObjectMeta",
    "OwnerReference",
    "Time",
    "check_manifests",
    "default",
    "from_dict",
    "from_json",
    "info_of",
    "kind_info",
    "load_manifests",
    "to_dict",
    "to_json",
]
