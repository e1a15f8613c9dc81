"""apiextensions.k8s.io/v1: CustomResourceDefinition, with its OpenAPI v3 schema.

Upstream: kubernetes/apiextensions-apiserver ``pkg/apis/apiextensions/v1/types.go``
and ``types_jsonschema.go``. ``JSONSchemaProps`` models the structural-schema
subset CRDs use: types, formats, properties, items, required, enums,
bounds, ``additionalProperties``, the combinators, and the
``x-kubernetes-*`` extensions. ``items`` is a single schema (upstream also
accepts an array of schemas, which structural schemas forbid).
``default``, ``enum`` and ``example`` are free-form JSON, frozen.

Requirement IDs: none.
"""

from __future__ import annotations

from typing import ClassVar, Final

from spec.objects.base import AlwaysWritten, FrozenMap, Int32, Int64, JSONValue, Model, Seq, Time, wire_name
from spec.objects.meta import KindModel

SCOPES: Final = ("Cluster", "Namespaced")
CONVERSION_STRATEGIES: Final = ("None", "Webhook")


class ValidationRule(Model):
    """An ``x-kubernetes-validations`` CEL rule."""

    rule: str = ""
    message: str = ""
    message_expression: str = ""
    reason: str | None = None
    field_path: str = ""


class JSONSchemaProps(Model):
    ref: str | None = wire_name("$ref", None)
    description: str = ""
    type: str = ""
    format: str = ""
    title: str = ""
    default: JSONValue = None
    maximum: float | None = None
    exclusive_maximum: bool = False
    minimum: float | None = None
    exclusive_minimum: bool = False
    max_length: Int64 | None = None
    min_length: Int64 | None = None
    pattern: str = ""
    max_items: Int64 | None = None
    min_items: Int64 | None = None
    unique_items: bool = False
    multiple_of: float | None = None
    enum: Seq[JSONValue] = ()
    max_properties: Int64 | None = None
    min_properties: Int64 | None = None
    required: Seq[str] = ()
    items: JSONSchemaProps | None = None
    all_of: Seq[JSONSchemaProps] = ()
    one_of: Seq[JSONSchemaProps] = ()
    any_of: Seq[JSONSchemaProps] = ()
    not_: JSONSchemaProps | None = wire_name("not", None)
    properties: FrozenMap[str, JSONSchemaProps] = FrozenMap()
    additional_properties: JSONSchemaProps | bool | None = None
    example: JSONValue = None
    nullable: bool = False
    x_kubernetes_preserve_unknown_fields: bool | None = wire_name(
        "x-kubernetes-preserve-unknown-fields", None
    )
    x_kubernetes_embedded_resource: bool = wire_name("x-kubernetes-embedded-resource", False)
    x_kubernetes_int_or_string: bool = wire_name("x-kubernetes-int-or-string", False)
    x_kubernetes_list_map_keys: Seq[str] = wire_name("x-kubernetes-list-map-keys", ())
    x_kubernetes_list_type: str | None = wire_name("x-kubernetes-list-type", None)
    x_kubernetes_map_type: str | None = wire_name("x-kubernetes-map-type", None)
    x_kubernetes_validations: Seq[ValidationRule] = wire_name("x-kubernetes-validations", ())


class CustomResourceValidation(Model):
    open_apiv3_schema: JSONSchemaProps | None = wire_name("openAPIV3Schema", None)


class CustomResourceSubresourceStatus(Model):
    """``subresources.status: {}``: an empty object whose presence enables /status."""


class CustomResourceSubresourceScale(Model):
    spec_replicas_path: str = ""
    status_replicas_path: str = ""
    label_selector_path: str | None = None


class CustomResourceSubresources(Model):
    status: CustomResourceSubresourceStatus | None = None
    scale: CustomResourceSubresourceScale | None = None


class CustomResourceColumnDefinition(Model):
    name: str = ""
    type: str = ""
    format: str = ""
    description: str = ""
    priority: Int32 = 0
    json_path: str = wire_name("jsonPath", "")


class CustomResourceDefinitionVersion(AlwaysWritten):
    # Upstream always writes these: a version that is not served, or not the
    # storage version, says so explicitly.
    _always_written: ClassVar[tuple[str, ...]] = ("name", "served", "storage")

    name: str = ""
    served: bool = False
    storage: bool = False
    deprecated: bool = False
    deprecation_warning: str | None = None
    schema_: CustomResourceValidation | None = wire_name("schema", None)
    subresources: CustomResourceSubresources | None = None
    additional_printer_columns: Seq[CustomResourceColumnDefinition] = ()


class CustomResourceDefinitionNames(Model):
    plural: str = ""
    singular: str = ""
    short_names: Seq[str] = ()
    kind: str = ""
    list_kind: str = ""
    categories: Seq[str] = ()


class CustomResourceConversion(Model):
    strategy: str = ""


class CustomResourceDefinitionSpec(Model):
    group: str = ""
    names: CustomResourceDefinitionNames = CustomResourceDefinitionNames()
    scope: str = ""
    versions: Seq[CustomResourceDefinitionVersion] = ()
    conversion: CustomResourceConversion | None = None
    preserve_unknown_fields: bool = False


class CustomResourceDefinitionCondition(Model):
    type: str = ""
    status: str = ""
    last_transition_time: Time | None = None
    reason: str = ""
    message: str = ""


class CustomResourceDefinitionStatus(Model):
    conditions: Seq[CustomResourceDefinitionCondition] = ()
    accepted_names: CustomResourceDefinitionNames = CustomResourceDefinitionNames()
    stored_versions: Seq[str] = ()


class CustomResourceDefinition(KindModel):
    api_version: ClassVar[str] = "apiextensions.k8s.io/v1"
    kind: ClassVar[str] = "CustomResourceDefinition"

    spec: CustomResourceDefinitionSpec = CustomResourceDefinitionSpec()
    status: CustomResourceDefinitionStatus = CustomResourceDefinitionStatus()
