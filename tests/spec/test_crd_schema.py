"""spec/crd_schema.py: structural schemas, validation, pruning and defaulting of custom objects.

Known answers come from upstream: the CronTab example of the Kubernetes
documentation (tasks/extend-kubernetes/custom-resources/custom-resource-definitions.md:
``spec.cronSpec in body should match '...'``, ``spec.replicas in body
should be less than or equal to 10``), the shapes of
``kubeOpenAPIResultToFieldErrors`` (``Too many: 3: must have at most 2
items``), pruning/algorithm_test.go and defaulting/algorithm_test.go
(unknown fields dropped, nested defaults). The properties: a generated value
valid for a generated schema validates, and a targeted mutation is reported
at the mutated path.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.strategies.crd_schemas import leaves, mutation, schema_and_value
from spec import crd_schema
from spec.objects.apiextensions import JSONSchemaProps
from spec.objects.validation.errors import ErrorType, Path

CRON_TAB: Any = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "cronSpec": {"type": "string", "pattern": r"^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$"},
                "image": {"type": "string"},
                "replicas": {"type": "integer", "minimum": 1, "maximum": 10},
            },
        }
    },
}


def _schema(data: Any) -> JSONSchemaProps:
    return JSONSchemaProps.model_validate(data)


def _obj(spec: Any, **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "stable.example.com/v1",
        "kind": "CronTab",
        "metadata": {"name": "c"},
        "spec": spec,
        **extra,
    }


def _messages(obj: dict[str, Any], schema: Any) -> list[str]:
    return [str(error) for error in crd_schema.validate(obj, _schema(schema))]


@pytest.mark.requirement("API-CRD-SCHEMA")
def test_upstream_cron_tab_example() -> None:
    bad = _obj({"cronSpec": "* * * *", "image": "my-awesome-cron-image", "replicas": 15})
    assert _messages(bad, CRON_TAB) == [
        r"spec.cronSpec: Invalid value: \"* * * *\": spec.cronSpec in body should match "
        r"'^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$'".replace('\\"', '"'),
        "spec.replicas: Invalid value: 15: spec.replicas in body should be less than or equal to 10",
    ]
    good = _obj({"cronSpec": "* * * * */5", "image": "my-awesome-cron-image", "replicas": 5})
    assert _messages(good, CRON_TAB) == []


@pytest.mark.requirement("API-CRD-SCHEMA")
@pytest.mark.parametrize(
    ("schema", "value", "expected"),
    [
        ({"type": "integer"}, "3", 'x: Invalid value: "string": x in body must be of type integer: "string"'),
        ({"type": "integer"}, 1.5, 'x: Invalid value: "number": x in body must be of type integer: "number"'),
        ({"type": "integer"}, True, 'x: Invalid value: "boolean": x in body must be of type integer: "boolean"'),  # noqa: E501
        ({"type": "number"}, None, 'x: Invalid value: "null": x in body must be of type number: "null"'),
        ({"type": "string", "enum": ["a", "b"]}, "c", 'x: Unsupported value: "c": supported values: "a", "b"'),  # noqa: E501
        ({"type": "integer", "minimum": 2, "exclusiveMinimum": True}, 2, "x: Invalid value: 2: x in body should be greater than 2"),  # noqa: E501
        ({"type": "integer", "maximum": 2, "exclusiveMaximum": True}, 2, "x: Invalid value: 2: x in body should be less than 2"),  # noqa: E501
        ({"type": "number", "minimum": 0.5}, 0, "x: Invalid value: 0: x in body should be greater than or equal to 0.5"),  # noqa: E501
        ({"type": "string", "minLength": 3}, "ab", 'x: Invalid value: "ab": x in body should be at least 3 chars long'),  # noqa: E501
        ({"type": "string", "maxLength": 2}, "abc", "x: Too long: must have at most 2 bytes"),
        ({"type": "array", "items": {"type": "integer"}, "maxItems": 2}, [1, 2, 3], "x: Too many: 3: must have at most 2 items"),  # noqa: E501
        ({"type": "array", "items": {"type": "integer"}, "minItems": 2}, [1], "x: Invalid value: 1: x in body should have at least 2 items"),  # noqa: E501
        ({"type": "array", "items": {"type": "integer"}, "uniqueItems": True}, [1, 1], "x: Invalid value: \"\": x in body shouldn't contain duplicates"),  # noqa: E501
        ({"type": "object", "maxProperties": 1, "additionalProperties": {"type": "string"}}, {"a": "1", "b": "2"}, "x: Too many: 2: must have at most 1 items"),  # noqa: E501
        ({"type": "object", "minProperties": 1, "additionalProperties": {"type": "string"}}, {}, "x: Invalid value: 0: x in body should have at least 1 properties"),  # noqa: E501
        ({"type": "object", "additionalProperties": {"type": "integer"}}, {"k": "v"}, 'x.k: Invalid value: "string": x.k in body must be of type integer: "string"'),  # noqa: E501
        ({"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}}, {}, "x.a: Required value"),  # noqa: E501
        ({"x-kubernetes-int-or-string": True}, [1], 'x: Invalid value: "array": x in body must be of type integer,string: "array"'),  # noqa: E501
        ({"type": "string", "format": "date-time"}, "yesterday", 'x: Invalid value: "yesterday": x in body must be of type date-time: "yesterday"'),  # noqa: E501
        ({"type": "object", "additionalProperties": False}, {"k": 1}, 'x: Invalid value: "k": x.k in body is a forbidden property'),  # noqa: E501
        ({"type": "object", "x-kubernetes-embedded-resource": True, "x-kubernetes-preserve-unknown-fields": True}, {"kind": "Pod"}, "x.apiVersion: Required value: must not be empty"),  # noqa: E501
    ],
)  # fmt: skip
def test_each_keyword_is_reported_in_upstreams_shape(schema: Any, value: Any, expected: str) -> None:
    root = {"type": "object", "properties": {"x": schema}}
    assert _messages({"x": value}, root) == [expected]


@pytest.mark.requirement("API-CRD-SCHEMA")
@pytest.mark.parametrize(
    ("schema", "value"),
    [
        ({"type": "integer"}, 2.0),  # an integral float is an integer
        ({"type": "number"}, 3),
        ({"type": "string", "nullable": True}, None),
        ({"x-kubernetes-int-or-string": True}, "25%"),
        ({"x-kubernetes-int-or-string": True}, 3),
        ({"type": "string", "format": "date-time"}, "2024-01-02T03:04:05Z"),
        ({"type": "object", "x-kubernetes-preserve-unknown-fields": True}, {"any": ["thing"]}),
        ({"type": "array", "items": {"type": "object", "properties": {"a": {"type": "integer"}}}, "uniqueItems": True}, [{"a": 1}, {"a": 2}]),  # noqa: E501
        ({"type": "string", "enum": ["a", "b"]}, "b"),
        ({"type": "integer", "format": "int32"}, 2**40),  # formats apiextensions strips are not checked
    ],
)  # fmt: skip
def test_valid_values_pass(schema: Any, value: Any) -> None:
    assert _messages({"x": value}, {"type": "object", "properties": {"x": schema}}) == []


@pytest.mark.requirement("API-CRD-SCHEMA")
def test_every_error_is_reported_and_root_fields_are_the_servers() -> None:
    schema = {"type": "object", "required": ["spec"], "properties": {"spec": CRON_TAB["properties"]["spec"]}}
    errors = crd_schema.validate({"apiVersion": 1, "kind": [], "metadata": {"weird": True}}, _schema(schema))
    assert [(e.type, e.field) for e in errors] == [(ErrorType.REQUIRED, "spec")]
    many = _obj({"cronSpec": 1, "image": 2, "replicas": 0})
    assert [e.field for e in crd_schema.validate(many, _schema(CRON_TAB))] == [
        "spec.cronSpec",
        "spec.image",
        "spec.replicas",
    ]


# -- structural schemas -----------------------------------------------------------------------------

_AT = Path("spec.versions[0].schema.openAPIV3Schema")


@pytest.mark.requirement("API-CRD-STRUCTURAL")
@pytest.mark.parametrize(
    ("schema", "field", "error_type"),
    [
        ({"type": "object", "properties": {"a": {}}}, "properties[a].type", ErrorType.REQUIRED),
        ({"type": "string"}, "type", ErrorType.INVALID),  # must be object at the root
        ({}, "type", ErrorType.REQUIRED),  # must not be empty at the root
        ({"type": "object", "additionalProperties": {"type": "string"}}, "additionalProperties", ErrorType.FORBIDDEN),  # noqa: E501
        ({"type": "object", "properties": {"a": {"type": "array", "items": {}}}}, "properties[a].items.type", ErrorType.REQUIRED),  # noqa: E501
        ({"type": "object", "properties": {"a": {"x-kubernetes-embedded-resource": True, "x-kubernetes-preserve-unknown-fields": True}}}, "properties[a].type", ErrorType.REQUIRED),  # noqa: E501
        ({"type": "object", "properties": {"a": {"type": "object", "x-kubernetes-embedded-resource": True}}}, "properties[a].properties", ErrorType.REQUIRED),  # noqa: E501
        ({"type": "object", "properties": {"a": {"x-kubernetes-int-or-string": True, "x-kubernetes-preserve-unknown-fields": True}}}, "properties[a].x-kubernetes-preserve-unknown-fields", ErrorType.INVALID),  # noqa: E501
        ({"type": "object", "properties": {"kind": {"type": "integer"}}}, "properties[kind].type", ErrorType.INVALID),  # noqa: E501
        ({"type": "object", "properties": {"metadata": {"properties": {"name": {"type": "string"}}}}}, "properties[metadata].type", ErrorType.INVALID),  # noqa: E501
        ({"type": "object", "properties": {"a": {"type": "string", "pattern": "("}}}, "properties[a].pattern", ErrorType.INVALID),  # noqa: E501
        ({"type": "object", "properties": {"a": {"type": "array"}}}, "properties[a].items", ErrorType.REQUIRED),  # noqa: E501
        ({"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"type": "string"}}, "additionalProperties": {"type": "string"}}}}, "properties[a].additionalProperties", ErrorType.FORBIDDEN),  # noqa: E501
        ({"type": "object", "properties": {"a": {"type": "string", "x-kubernetes-int-or-string": True}}}, "properties[a].type", ErrorType.INVALID),  # noqa: E501
        ({"type": "object", "properties": {"a": {"type": "string", "default": 3}}}, "properties[a].default", ErrorType.INVALID),  # noqa: E501
        ({"type": "object", "properties": {"a": {"type": "object", "default": {"zz": 1}, "properties": {"b": {"type": "string"}}}}}, "properties[a].default", ErrorType.INVALID),  # noqa: E501
        ({"type": "object", "properties": {"metadata": {"type": "object", "properties": {"labels": {"type": "object"}}}}}, "properties[metadata]", ErrorType.FORBIDDEN),  # noqa: E501
        ({"type": "object", "properties": {"a": {"type": "string", "$ref": "#/x"}}}, "properties[a].$ref", ErrorType.FORBIDDEN),  # noqa: E501
        ({"type": "object", "properties": {"a": {"type": "strin"}}}, "properties[a].type", ErrorType.NOT_SUPPORTED),  # noqa: E501
    ],
)  # fmt: skip
def test_non_structural_schemas_are_refused(schema: Any, field: str, error_type: ErrorType) -> None:
    errors = crd_schema.structural_errors(_schema(schema), _AT)
    assert (error_type, f"{_AT}.{field}") in [(e.type, e.field) for e in errors]


@pytest.mark.requirement("API-CRD-STRUCTURAL")
def test_features_this_server_lacks_are_refused_apart() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string", "anyOf": [{"pattern": "a"}]}},
        "x-kubernetes-validations": [{"rule": "true"}],
    }
    assert crd_schema.structural_errors(_schema(schema), _AT) == []  # upstream accepts both
    fields = [(e.type, e.field) for e in crd_schema.unsupported_errors(_schema(schema), _AT)]
    assert fields == [
        (ErrorType.FORBIDDEN, f"{_AT}.x-kubernetes-validations"),
        (ErrorType.FORBIDDEN, f"{_AT}.properties[a].anyOf"),
    ]


@pytest.mark.requirement("API-CRD-STRUCTURAL")
def test_structural_schemas_are_accepted() -> None:
    schema = {
        "type": "object",
        "properties": {
            "metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 10}}},
            "spec": CRON_TAB["properties"]["spec"],
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "port": {"x-kubernetes-int-or-string": True, "default": 80},
        },
    }
    assert crd_schema.structural_errors(_schema(schema), _AT) == []
    assert crd_schema.structural_errors(None, _AT)[0].type is ErrorType.REQUIRED


# -- pruning and defaulting -----------------------------------------------------------------------


@pytest.mark.requirement("API-CRD-PRUNE")
def test_pruning_drops_unknown_fields_unless_preserved() -> None:
    schema = _schema(
        {
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {
                        "a": {"type": "string"},
                        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                        "list": {"type": "array", "items": {"type": "object", "properties": {"b": {"type": "integer"}}}},  # noqa: E501
                        "map": {"type": "object", "additionalProperties": {"type": "object", "properties": {"c": {"type": "string"}}}},  # noqa: E501
                        "embedded": {"type": "object", "x-kubernetes-embedded-resource": True, "properties": {"spec": {"type": "object"}}},  # noqa: E501
                    },
                }
            },
        }
    )  # fmt: skip
    obj = _obj(
        {
            "a": "x",
            "junk": 1,
            "free": {"anything": {"goes": 1}},
            "list": [{"b": 1, "junk": 2}],
            "map": {"k": {"c": "y", "junk": 3}},
            "embedded": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}, "junk": 4},
        },
        topLevelJunk=True,
    )
    assert crd_schema.prune(obj, schema) == _obj(
        {
            "a": "x",
            "free": {"anything": {"goes": 1}},
            "list": [{"b": 1}],
            "map": {"k": {"c": "y"}},
            "embedded": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}},
        }
    )
    assert obj["spec"]["junk"] == 1  # a copy: the input is untouched


@pytest.mark.requirement("API-CRD-PRUNE")
@pytest.mark.parametrize(
    ("schema", "value", "expected"),
    [
        # pruning/algorithm.go: under preserve-unknown-fields known fields are still pruned (skipPrune)
        ({"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {"a": {"type": "object", "properties": {"b": {"type": "string"}}}}},  # noqa: E501
         {"a": {"b": "x", "junk": 1}, "free": {"junk": 2}}, {"a": {"b": "x"}, "free": {"junk": 2}}),
        # no schema for a map's values (additionalProperties: true): an object value loses every field
        ({"type": "object", "additionalProperties": True}, {"k": {"x": 1}, "s": "v"}, {"k": {}, "s": "v"}),
        # an embedded resource's metadata is never pruned, even when the schema names some of it
        ({"type": "object", "x-kubernetes-embedded-resource": True, "properties": {"metadata": {"type": "object", "properties": {"name": {"type": "string"}}}}},  # noqa: E501
         {"apiVersion": "v1", "kind": "X", "metadata": {"name": "n", "labels": {"a": "b"}}, "junk": 1},
         {"apiVersion": "v1", "kind": "X", "metadata": {"name": "n", "labels": {"a": "b"}}}),
    ],
)  # fmt: skip
def test_pruning_follows_upstreams_algorithm(schema: Any, value: Any, expected: Any) -> None:
    assert crd_schema.prune_value(value, _schema(schema)) == expected


@pytest.mark.requirement("API-CRD-DEFAULT")
def test_defaulting_fills_absent_and_null_fields_parents_first() -> None:
    schema = _schema(
        {
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "default": {},
                    "properties": {
                        "replicas": {"type": "integer", "default": 1},
                        "mode": {"type": "string", "default": "fast"},
                        "opt": {"type": "string", "nullable": True, "default": "x"},
                        "ports": {"type": "array", "items": {"type": "object", "properties": {"protocol": {"type": "string", "default": "TCP"}}}},  # noqa: E501
                    },
                }
            },
        }
    )  # fmt: skip
    assert crd_schema.default({"metadata": {}}, schema)["spec"] == {"replicas": 1, "mode": "fast", "opt": "x"}
    got = crd_schema.default({"spec": {"replicas": 3, "mode": None, "opt": None, "ports": [{}]}}, schema)
    assert got["spec"] == {"replicas": 3, "mode": "fast", "opt": None, "ports": [{"protocol": "TCP"}]}


@pytest.mark.requirement("API-CRD-DEFAULT")
def test_nulls_without_defaults_are_dropped_and_map_values_defaulted() -> None:
    # prunenulls.go: a non-nullable null without a default goes; algorithm.go: additionalProperties' default
    schema = _schema(
        {
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {
                        "plain": {"type": "string"},
                        "optional": {"type": "string", "nullable": True},
                        "map": {"type": "object", "additionalProperties": {"type": "string", "default": "d"}},
                    },
                }
            },
        }
    )
    got = crd_schema.default(
        {"spec": {"plain": None, "optional": None, "map": {"k": None, "v": "x"}}}, schema
    )
    assert got["spec"] == {"optional": None, "map": {"k": "d", "v": "x"}}
    assert crd_schema.validate(got, schema) == []


# -- properties -----------------------------------------------------------------------------------


@pytest.mark.requirement("API-CRD-SCHEMA")
@settings(max_examples=150, deadline=None)
@given(schema_and_value())
def test_generated_valid_values_validate_and_survive_pruning(case: tuple[dict[str, Any], Any]) -> None:
    schema, value = case
    root = _schema({"type": "object", "properties": {"spec": schema}})
    assert crd_schema.structural_errors(root, _AT) == []
    obj = _obj(value)
    assert crd_schema.validate(obj, root) == []
    assert crd_schema.prune(obj, root) == obj


@pytest.mark.requirement("API-CRD-SCHEMA")
@settings(max_examples=150, deadline=None)
@given(schema_and_value(), st.data())
def test_a_mutated_leaf_is_reported_at_its_path(
    case: tuple[dict[str, Any], Any], data: st.DataObject
) -> None:
    schema, value = case
    found = leaves(schema, value, "spec")
    if not found:
        return
    where, leaf_schema, keys = data.draw(st.sampled_from(found))
    obj = _obj(value)
    container: Any = obj
    for key in ["spec", *keys][:-1]:
        container = container[key]
    last = ["spec", *keys][-1]
    container[last] = mutation(leaf_schema, container[last])
    errors = crd_schema.validate(obj, _schema({"type": "object", "properties": {"spec": schema}}))
    assert errors, f"the mutation at {where} was not reported"
    assert {error.field for error in errors} == {where}
