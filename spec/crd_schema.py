"""Custom resources against their CRD's structural OpenAPI v3 schema: validation, pruning, defaulting.

What it models: what the apiextensions API server does to a custom object
(plain JSON) with the ``openAPIV3Schema`` of its version:

- ``structural_errors``: is the schema structural (apiextensions-apiserver
  ``pkg/apiserver/schema/validation.go``, ``ValidateStructural``: every
  node has a ``type`` unless it is ``x-kubernetes-int-or-string`` or
  ``x-kubernetes-preserve-unknown-fields``; the root is an object;
  ``properties`` and ``additionalProperties`` exclude each other; an array
  has ``items``; ``metadata`` at the root may only restrict ``name`` and
  ``generateName``; ``int-or-string`` has no type) and are its defaults
  valid and pruned (``pkg/apiserver/schema/defaulting/validation.go``).
  This module refuses what it does not implement, and says so:
  ``$ref``, ``allOf``/``anyOf``/``oneOf``/``not``, ``x-kubernetes-validations``
  (CEL), ``x-kubernetes-list-type: map`` keys are not checked.
- ``validate``: the value validation of kube-openapi's ``pkg/validation/validate``
  as apiextensions maps it to field errors (``pkg/apiserver/validation/validation.go``,
  ``kubeOpenAPIResultToFieldErrors``): a wrong type is ``Invalid value: <v>:
  <path> in body must be of type <t>: "<actual>"``, a missing required field
  ``Required value``, an enum miss ``Unsupported value``, maxLength ``Too
  long``, maxItems and maxProperties ``Too many``, everything else ``Invalid
  value`` with kube-openapi's message (``<path> in body should be less than
  or equal to 10``, ``... should be at least 3 chars long``, ``... should
  match '<re>'``, ``... shouldn't contain duplicates``). ``apiVersion``,
  ``kind`` and ``metadata`` at the root are the API server's (ObjectMeta
  validation), not the schema's.
- ``prune``: unknown fields are dropped (``pkg/apiserver/schema/pruning/algorithm.go``)
  unless ``x-kubernetes-preserve-unknown-fields``; an embedded resource
  keeps ``apiVersion``, ``kind``, ``metadata``; the root keeps them too.
- ``default``: a field that is missing (or null where not nullable) takes
  the schema's ``default``, deepest last, as ``pkg/apiserver/schema/defaulting/algorithm.go``
  (upstream defaults on decoding from the request and from storage).

Integers: JSON numbers decode as in apimachinery's JSON decoder (integral
numbers are integers); ``type: integer`` accepts an integral float too
(kube-openapi ``swag.IsFloat64AJSONInteger``). Booleans are never numbers.
Formats: ``date-time`` is checked on strings; ``int32``/``int64`` are not
checked, because apiextensions strips the formats it does not support
before validating (``StripUnsupportedFormatsPostProcess``), as upstream.
A type error carries the actual JSON type as its value, as kube-openapi's
``InvalidType`` does: ``spec.replicas: Invalid value: "string":
spec.replicas in body must be of type integer: "string"``.

Requirement IDs: API-CRD-SCHEMA, API-CRD-STRUCTURAL, API-CRD-PRUNE, API-CRD-DEFAULT.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any, Final

from spec.objects.apiextensions import JSONSchemaProps
from spec.objects.base import FrozenMap
from spec.objects.validation.errors import (
    FieldError,
    Path,
    forbidden,
    invalid,
    not_supported,
    required,
    too_long,
    too_many,
)
from spec.requirements import requirement

_UPSTREAM: Final = "k8s.io/apiextensions-apiserver pkg/apiserver/schema"

API_CRD_SCHEMA = requirement(
    "API-CRD-SCHEMA",
    "A custom object MUST be validated against its version's openAPIV3Schema on create and update (type, "
    "properties, required, items, enum, bounds, lengths, pattern, item and property counts, uniqueItems, "
    "additionalProperties, nullable, formats) and rejected with 422 Invalid listing every violation at its "
    "field path, in upstream's message shapes.",
    component="apiserver",
    source="k8s.io/apiextensions-apiserver pkg/apiserver/validation/validation.go; kube-openapi "
    "pkg/validation/validate",
)
API_CRD_STRUCTURAL = requirement(
    "API-CRD-STRUCTURAL",
    "A CRD whose schema is not structural (a node without type, properties with additionalProperties, an "
    "array without items, a non-object root, a default that does not validate) MUST be rejected with 422.",
    component="apiserver",
    source=_UPSTREAM + "/validation.go ValidateStructural; defaulting/validation.go",
)
API_CRD_PRUNE = requirement(
    "API-CRD-PRUNE",
    "Fields of a custom object that its schema does not specify MUST be dropped before it is stored, "
    "except under x-kubernetes-preserve-unknown-fields; apiVersion, kind and metadata are kept.",
    component="apiserver",
    source=_UPSTREAM + "/pruning/algorithm.go",
)
API_CRD_DEFAULT = requirement(
    "API-CRD-DEFAULT",
    "A field of a custom object that is absent (or null and not nullable) and whose schema has a default "
    "MUST take that default, on create, update and when read from storage.",
    component="apiserver",
    source=_UPSTREAM + "/defaulting/algorithm.go; pkg/registry/customresource",
)

#: The root fields the API server owns (ObjectMeta and TypeMeta): never validated, pruned or defaulted here.
ROOT_FIELDS: Final = ("apiVersion", "kind", "metadata")
#: strfmt's date-time (RFC 3339).
_DATE_TIME: Final = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_TYPES: Final = ("array", "boolean", "integer", "number", "object", "string")


def json_type(value: Any) -> str:
    """The JSON type name kube-openapi reports for ``value`` (``null``, ``integer`` for integral numbers)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _is_type(value: Any, schema_type: str) -> bool:
    actual = json_type(value)
    if schema_type == "integer":
        return actual == "integer" or (actual == "number" and float(value).is_integer())
    if schema_type == "number":
        return actual in ("integer", "number")
    return actual == schema_type


def _num(value: float) -> str:
    """Go's %v of a float64 bound: 10 rather than 10.0."""
    return str(int(value)) if float(value).is_integer() else repr(value)


# -- structural schemas -----------------------------------------------------------------------------


def structural_errors(schema: JSONSchemaProps | None, path: Path) -> list[FieldError]:
    """Why ``schema`` (a CRD version's ``openAPIV3Schema`` at ``path``) cannot be served; [] if it can.

    schema/validation.go ``validateStructuralInvariants`` (levels root, item
    and field; metadata; embedded resources; int-or-string), the CRD
    validation's own checks (a known type; properties and additionalProperties
    exclusive; no ``$ref``), and defaulting/validation.go (defaults valid and
    pruned).
    """
    if schema is None:
        return [required(path, "schemas are required")]
    return _structural(schema, path, _ROOT) + _default_errors(schema, path)


_ROOT, _ITEM, _FIELD = "root", "item", "field"
_EMPTY_TYPE: Final = {
    _ROOT: "must not be empty at the root",
    _ITEM: "must not be empty for specified array items",
    _FIELD: "must not be empty for specified object fields",
}


def _structural(schema: JSONSchemaProps, path: Path, level: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if schema.ref is not None:
        errors.append(forbidden(path.child("$ref"), "$ref is not supported by structural schemas"))
    if schema.type == "array" and schema.items is None:
        errors.append(required(path.child("items"), "must be specified"))
    if schema.items is not None:
        errors += _structural(schema.items, path.child("items"), _ITEM)
    properties = path.child("properties")
    for name, child in schema.properties.items():
        errors += _structural(child, properties.key(name), _FIELD)
    if schema.additional_properties is not None and schema.additional_properties is not True:
        if level == _ROOT:
            errors.append(forbidden(path.child("additionalProperties"), "must not be used at the root"))
        if schema.properties:
            why = "additionalProperties and properties are mutual exclusive"
            errors.append(forbidden(path.child("additionalProperties"), why))
        if isinstance(schema.additional_properties, JSONSchemaProps):
            errors += _structural(schema.additional_properties, path.child("additionalProperties"), _FIELD)
    if schema.x_kubernetes_int_or_string:
        if schema.type:
            why = "must be empty if x-kubernetes-int-or-string is true"
            errors.append(invalid(path.child("type"), schema.type, why))
        if schema.x_kubernetes_preserve_unknown_fields:
            why = "must be false if x-kubernetes-int-or-string is true"
            errors.append(invalid(path.child("x-kubernetes-preserve-unknown-fields"), True, why))
        if schema.x_kubernetes_embedded_resource:
            why = "must be false if x-kubernetes-int-or-string is true"
            errors.append(invalid(path.child("x-kubernetes-embedded-resource"), True, why))
    embedded = schema.x_kubernetes_embedded_resource
    if embedded and schema.type != "object":
        why = "must be object if x-kubernetes-embedded-resource is true"
        errors.append(
            invalid(path.child("type"), schema.type, why)
            if schema.type
            else required(path.child("type"), why)
        )
    elif not schema.type and not schema.x_kubernetes_int_or_string:
        if not schema.x_kubernetes_preserve_unknown_fields:
            errors.append(required(path.child("type"), _EMPTY_TYPE[level]))
    elif schema.type and schema.type not in _TYPES:
        errors.append(not_supported(path.child("type"), schema.type, list(_TYPES)))
    if embedded and schema.additional_properties is not None:
        why = "must not be used if x-kubernetes-embedded-resource is set"
        errors.append(forbidden(path.child("additionalProperties"), why))
    if embedded and not schema.x_kubernetes_preserve_unknown_fields and not schema.properties:
        why = (
            "must not be empty if x-kubernetes-embedded-resource is true without "
            "x-kubernetes-preserve-unknown-fields"
        )
        errors.append(required(properties, why))
    if level == _ROOT and schema.type and schema.type != "object":
        errors.append(invalid(path.child("type"), schema.type, "must be object at the root"))
    if level == _ROOT or embedded:
        for name in ("kind", "apiVersion"):
            field = schema.properties.get(name)
            if field is not None and field.type != "string":
                errors.append(invalid(properties.key(name).child("type"), field.type, "must be string"))
    metadata = schema.properties.get("metadata")
    if metadata is not None and (level == _ROOT or embedded):
        where = properties.key("metadata")
        if metadata.type != "object":
            errors.append(invalid(where.child("type"), metadata.type, "must be object"))
        if level == _ROOT and set(metadata.properties) - {"name", "generateName"}:
            why = (
                "must not specify anything other than name and generateName, but metadata is implicitly "
                "specified"
            )
            errors.append(forbidden(where, why))
    if schema.pattern:
        try:
            re.compile(schema.pattern)
        except re.error as error:
            why = f"must be a valid regular expression, but isn't: {error}"
            errors.append(invalid(path.child("pattern"), schema.pattern, why))
    return errors


def unsupported_errors(schema: JSONSchemaProps | None, path: Path) -> list[FieldError]:
    """What upstream accepts in a structural schema but this module does not implement (refused, not ignored).

    ``allOf``/``anyOf``/``oneOf``/``not`` (value validations) and
    ``x-kubernetes-validations`` (CEL rules).
    """
    if schema is None:
        return []
    errors: list[FieldError] = []
    for name, parts in (("allOf", schema.all_of), ("anyOf", schema.any_of), ("oneOf", schema.one_of)):
        if parts:
            errors.append(forbidden(path.child(name), "not supported by this server (value validations)"))
    if schema.not_ is not None:
        errors.append(forbidden(path.child("not"), "not supported by this server (value validations)"))
    if schema.x_kubernetes_validations:
        errors.append(
            forbidden(
                path.child("x-kubernetes-validations"),
                "CEL validation rules are not supported by this server",
            )
        )
    if schema.items is not None:
        errors += unsupported_errors(schema.items, path.child("items"))
    if isinstance(schema.additional_properties, JSONSchemaProps):
        errors += unsupported_errors(schema.additional_properties, path.child("additionalProperties"))
    for name, child in schema.properties.items():
        errors += unsupported_errors(child, path.child("properties").key(name))
    return errors


def _default_errors(schema: JSONSchemaProps, path: Path) -> list[FieldError]:
    """Each default validates against its own schema and is already pruned (defaulting/validation.go)."""
    errors: list[FieldError] = []

    def walk(node: JSONSchemaProps, where: Path) -> None:
        if node.default is not None:
            value = thaw(node.default)
            for error in _validate(value, node, Path("default")):
                errors.append(invalid(where.child("default"), value, str(error)))
            if prune_value(value, node) != value:
                errors.append(invalid(where.child("default"), value, "must not have unknown fields"))
        if node.items is not None:
            walk(node.items, where.child("items"))
        if isinstance(node.additional_properties, JSONSchemaProps):
            walk(node.additional_properties, where.child("additionalProperties"))
        for name, child in node.properties.items():
            walk(child, where.child("properties").key(name))

    walk(schema, path)
    return errors


def thaw(value: Any) -> Any:
    """A schema's frozen JSON (``default``, ``enum``) as plain JSON."""
    if isinstance(value, FrozenMap | Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(item) for item in value]
    return value


# -- validation ------------------------------------------------------------------------------------


def validate(obj: Mapping[str, Any], schema: JSONSchemaProps) -> list[FieldError]:
    """Every schema violation of the custom object ``obj`` (its root fields but apiVersion/kind/metadata)."""
    body = {key: value for key, value in obj.items() if key not in ROOT_FIELDS}
    root = schema.replace(
        properties=FrozenMap({k: v for k, v in schema.properties.items() if k not in ROOT_FIELDS}),
        required=tuple(name for name in schema.required if name not in ROOT_FIELDS),
    )
    return _validate(body, root, Path())


def _type_error(path: Path, value: Any, expected: str) -> FieldError:
    # kube-openapi's InvalidType carries the actual JSON type as the value (typeValidator.Validate).
    detail = f'{path or "body"} in body must be of type {expected}: "{json_type(value)}"'
    return invalid(path, json_type(value), detail)


def _validate(value: Any, schema: JSONSchemaProps, path: Path) -> list[FieldError]:
    name = str(path) or "body"
    if value is None:
        if schema.nullable or (not schema.type and not schema.x_kubernetes_int_or_string):
            return []
        return [_type_error(path, value, schema.type or "integer,string")]
    if schema.x_kubernetes_int_or_string:
        if not (_is_type(value, "integer") or isinstance(value, str)):
            return [_type_error(path, value, "integer,string")]
    elif schema.type and not _is_type(value, schema.type):
        return [_type_error(path, value, schema.type)]
    errors: list[FieldError] = []
    if schema.enum:
        options = [thaw(option) for option in schema.enum]
        if not any(_json_equal(value, option) for option in options):
            shown = [option if isinstance(option, str) else json.dumps(option) for option in options]
            errors.append(not_supported(path, value, shown))
    if json_type(value) in ("integer", "number"):
        errors += _number(value, schema, path, name)
    elif isinstance(value, str):
        errors += _string(value, schema, path, name)
    elif isinstance(value, list):
        errors += _array(value, schema, path, name)
    elif isinstance(value, dict):
        errors += _object(value, schema, path, name)
    return errors


def _number(value: float, schema: JSONSchemaProps, path: Path, name: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if schema.maximum is not None:
        if schema.exclusive_maximum and value >= schema.maximum:
            errors.append(invalid(path, value, f"{name} in body should be less than {_num(schema.maximum)}"))
        elif value > schema.maximum:
            detail = f"{name} in body should be less than or equal to {_num(schema.maximum)}"
            errors.append(invalid(path, value, detail))
    if schema.minimum is not None:
        if schema.exclusive_minimum and value <= schema.minimum:
            errors.append(
                invalid(path, value, f"{name} in body should be greater than {_num(schema.minimum)}")
            )
        elif value < schema.minimum:
            detail = f"{name} in body should be greater than or equal to {_num(schema.minimum)}"
            errors.append(invalid(path, value, detail))
    if schema.multiple_of is not None and schema.multiple_of > 0:
        quotient = value / schema.multiple_of
        if not float(quotient).is_integer():
            detail = f"{name} in body should be a multiple of {_num(schema.multiple_of)}"
            errors.append(invalid(path, value, detail))
    return errors


def _string(value: str, schema: JSONSchemaProps, path: Path, name: str) -> list[FieldError]:
    errors: list[FieldError] = []
    length = len(value)  # runes, as utf8.RuneCountInString
    if schema.max_length is not None and length > schema.max_length:
        errors.append(too_long(path, schema.max_length))
    if schema.min_length is not None and length < schema.min_length:
        errors.append(
            invalid(path, value, f"{name} in body should be at least {schema.min_length} chars long")
        )
    if schema.pattern:
        try:
            matched = re.search(schema.pattern, value) is not None
        except re.error:
            matched = True  # an invalid pattern is the CRD's error (checked when it is created)
        if not matched:
            errors.append(invalid(path, value, f"{name} in body should match '{schema.pattern}'"))
    if schema.format == "date-time" and not _DATE_TIME.match(value):
        errors.append(invalid(path, value, f'{name} in body must be of type date-time: "{value}"'))
    return errors


def _array(value: list[Any], schema: JSONSchemaProps, path: Path, name: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if schema.max_items is not None and len(value) > schema.max_items:
        errors.append(too_many(path, len(value), schema.max_items))
    if schema.min_items is not None and len(value) < schema.min_items:
        errors.append(
            invalid(path, len(value), f"{name} in body should have at least {schema.min_items} items")
        )
    if schema.unique_items:
        seen: list[Any] = []
        for item in value:
            if any(_json_equal(item, other) for other in seen):
                errors.append(invalid(path, "", f"{name} in body shouldn't contain duplicates"))
                break
            seen.append(item)
    if schema.items is not None:
        for index, item in enumerate(value):
            errors += _validate(item, schema.items, path.index(index))
    return errors


def _object(value: dict[str, Any], schema: JSONSchemaProps, path: Path, name: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if schema.max_properties is not None and len(value) > schema.max_properties:
        errors.append(too_many(path, len(value), schema.max_properties))
    if schema.min_properties is not None and len(value) < schema.min_properties:
        detail = f"{name} in body should have at least {schema.min_properties} properties"
        errors.append(invalid(path, len(value), detail))
    for field in schema.required:
        if field not in value:
            errors.append(required(path.child(field)))
    for key, item in value.items():
        child = schema.properties.get(key)
        if child is not None:
            errors += _validate(item, child, path.child(key))
        elif isinstance(schema.additional_properties, JSONSchemaProps):
            errors += _validate(item, schema.additional_properties, path.child(key))
        elif schema.additional_properties is False:  # kube-openapi PropertyNotAllowed: the parent's path
            errors.append(invalid(path, key, f"{name}.{key} in body is a forbidden property"))
    if schema.x_kubernetes_embedded_resource:
        for field in ("apiVersion", "kind"):
            if not value.get(field):
                errors.append(required(path.child(field), "must not be empty"))
    return errors


def _json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values (1 == 1.0, but true is not 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(type(a) is type(b) or {json_type(a), json_type(b)} <= {"integer", "number"}) and a == b


# -- pruning ---------------------------------------------------------------------------------------


def prune(obj: Mapping[str, Any], schema: JSONSchemaProps) -> dict[str, Any]:
    """A copy of the custom object without the fields its schema does not specify (root fields kept)."""
    pruned = prune_value({k: v for k, v in obj.items() if k not in ROOT_FIELDS}, schema)
    assert isinstance(pruned, dict)
    return {**{k: copy.deepcopy(obj[k]) for k in ROOT_FIELDS if k in obj}, **pruned}


def prune_value(value: Any, schema: JSONSchemaProps | None) -> Any:
    """``value`` pruned by ``schema`` (a copy), as pruning/algorithm.go's ``prune``.

    No schema (``additionalProperties: true``, an array without ``items``)
    knows no field: an object under it loses every field. Under
    ``x-kubernetes-preserve-unknown-fields`` unknown fields stay as they are
    and known ones are still pruned (``skipPrune``). An embedded resource
    keeps apiVersion, kind and metadata untouched.
    """
    preserve = schema is not None and bool(schema.x_kubernetes_preserve_unknown_fields)
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if schema is None:
                continue
            if schema.x_kubernetes_embedded_resource and key in ROOT_FIELDS:
                result[key] = copy.deepcopy(item)
            elif key in schema.properties:
                result[key] = prune_value(item, schema.properties[key])
            elif schema.additional_properties is not None and schema.additional_properties is not False:
                nested = schema.additional_properties
                result[key] = prune_value(item, nested if isinstance(nested, JSONSchemaProps) else None)
            elif preserve:
                result[key] = copy.deepcopy(item)
        return result
    if isinstance(value, list):
        if preserve and schema is not None and schema.items is None:
            return copy.deepcopy(value)  # skipPrune with no item schema: left alone
        return [prune_value(item, schema.items if schema is not None else None) for item in value]
    return value


# -- defaulting ------------------------------------------------------------------------------------


def default(obj: Mapping[str, Any], schema: JSONSchemaProps) -> dict[str, Any]:
    """A copy of the custom object as the CRD handler's defaulter leaves it.

    First a null where the schema is not nullable and has no default is
    dropped (prunenulls.go ``PruneNonNullableNullsWithoutDefaults``), then
    absent fields, and nulls that are not nullable, take their defaults
    (algorithm.go ``Default``), parents first.
    """
    body = copy.deepcopy(dict(obj))
    root = schema.replace(
        properties=FrozenMap({k: v for k, v in schema.properties.items() if k not in ROOT_FIELDS})
    )
    _drop_nulls(body, root)
    _default_in(body, root)
    return body


def _field_schema(schema: JSONSchemaProps | None, key: str) -> JSONSchemaProps | None:
    if schema is None:
        return None
    if key in schema.properties:
        return schema.properties[key]
    nested = schema.additional_properties
    return nested if isinstance(nested, JSONSchemaProps) else None


def _drop_nulls(value: Any, schema: JSONSchemaProps | None) -> None:
    if isinstance(value, dict):
        for key in list(value):
            child = _field_schema(schema, key)
            if value[key] is None and child is not None and not child.nullable and child.default is None:
                del value[key]
            else:
                _drop_nulls(value[key], child)
    elif isinstance(value, list):
        for item in value:
            _drop_nulls(item, schema.items if schema is not None else None)


def _non_nullable_null(value: Any, schema: JSONSchemaProps | None) -> bool:
    return value is None and schema is not None and not schema.nullable


def _default_in(value: Any, schema: JSONSchemaProps | None) -> None:
    """Fill ``value`` (a dict or list, in place): parents first, so a defaulted object gets its children's."""
    if schema is None:
        return
    if isinstance(value, dict):
        for key, child in schema.properties.items():
            if child.default is not None and (key not in value or _non_nullable_null(value[key], child)):
                value[key] = thaw(child.default)
        for key in list(value):
            if key in schema.properties:
                _default_in(value[key], schema.properties[key])
            elif isinstance(schema.additional_properties, JSONSchemaProps):
                nested = schema.additional_properties
                if _non_nullable_null(value[key], nested) and nested.default is not None:
                    value[key] = thaw(nested.default)
                _default_in(value[key], nested)
    elif isinstance(value, list):
        for index in range(len(value)):
            if _non_nullable_null(value[index], schema.items) and schema.items is not None:
                if schema.items.default is not None:
                    value[index] = thaw(schema.items.default)
            _default_in(value[index], schema.items)
