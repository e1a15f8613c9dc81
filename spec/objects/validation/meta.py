"""Validation shared by every kind: names, metadata, labels and annotations, selectors, numbers.

Upstream: apimachinery ``pkg/util/validation/validation.go`` (``IsDNS1123Label``,
``IsDNS1123Subdomain``, ``IsDNS1035Label``, ``IsQualifiedName``,
``IsValidPortNum``, ``IsValidPortName``, ``IsCIdentifier``),
``pkg/api/validation/objectmeta.go`` (``ValidateObjectMeta``,
``ValidateAnnotations``, ``ValidateOwnerReferences``, ``ValidateFinalizers``),
``pkg/api/validation/path`` (``IsValidPathSegmentName``),
``pkg/apis/meta/v1/validation`` (``ValidateLabels``, ``ValidateLabelSelector``)
and k/k ``pkg/apis/core/validation/validation.go`` (``ValidateNonnegativeField``,
``validateKubeFinalizerName``).

The label-key and label-value rules themselves live in ``spec.selectors``,
which the selector parser shares; this module turns their messages into
field errors at upstream's paths (``metadata.labels`` for a label, as
upstream reports it, not ``metadata.labels[key]``).

Requirement IDs: none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from spec import intstr, selectors
from spec.intstr import IntOrString
from spec.objects.meta import LabelSelector, ObjectMeta
from spec.objects.validation.errors import (
    FieldError,
    Path,
    duplicate,
    forbidden,
    invalid,
    not_supported,
    required,
    too_long,
)

#: A name check: the messages saying why ``name`` is not acceptable ([] if it is).
#: ``prefix`` is true for ``generateName``, whose value may end where a suffix is appended.
NameCheck = Callable[[str, bool], list[str]]

_DNS1123_LABEL: Final = re.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_LABEL_MESSAGE: Final = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_DNS1035_LABEL: Final = re.compile("[a-z]([-a-z0-9]*[a-z0-9])?")
_DNS1035_LABEL_MESSAGE: Final = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
    "start with an alphabetic character, and end with an alphanumeric character"
)
_PORT_NAME_CHARS: Final = re.compile("[-a-z0-9]+")
_HAS_LETTER: Final = re.compile("[a-z]")
_C_IDENTIFIER: Final = re.compile("[A-Za-z_][A-Za-z0-9_]*")
_ENV_VAR_NAME: Final = re.compile("[-._a-zA-Z][-._a-zA-Z0-9]*")

DNS1123_LABEL_MAX: Final = 63
DNS1035_LABEL_MAX: Final = 63
#: ``TotalAnnotationSizeLimitB``: keys and values together.
TOTAL_ANNOTATION_SIZE_LIMIT: Final = 256 * 1024
#: Finalizers Kubernetes itself defines; any other must be a qualified name with a prefix.
STANDARD_FINALIZERS: Final = frozenset({"kubernetes", "orphan", "foregroundDeletion"})


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


# -- name syntax --------------------------------------------------------------------------------------


def _label(value: str, limit: int, pattern: re.Pattern[str], message: str, *examples: str) -> list[str]:
    errors = []
    if _size(value) > limit:
        errors.append(selectors.max_length_error(limit))
    if not pattern.fullmatch(value):
        errors.append(selectors.regex_error(message, pattern.pattern, *examples))
    return errors


def dns1123_label(value: str) -> list[str]:
    """``IsDNS1123Label``."""
    return _label(value, DNS1123_LABEL_MAX, _DNS1123_LABEL, _DNS1123_LABEL_MESSAGE, "my-name", "123-abc")


def dns1035_label(value: str) -> list[str]:
    """``IsDNS1035Label``."""
    return _label(value, DNS1035_LABEL_MAX, _DNS1035_LABEL, _DNS1035_LABEL_MESSAGE, "my-name", "abc-123")


def dns1123_subdomain(value: str) -> list[str]:
    return selectors.validate_dns1123_subdomain(value)


def qualified_name(value: str) -> list[str]:
    """``IsQualifiedName``: ``[prefix/]name``, the syntax of label keys, annotation keys and finalizers."""
    return selectors.validate_label_key(value)


def _mask_trailing_dash(name: str) -> str:
    # generateName may end in '-': a random suffix follows, so check it as if it did not.
    return name[:-1] + "a" if len(name) > 1 and name.endswith("-") else name


def _name_check(check: Callable[[str], list[str]]) -> NameCheck:
    def name_check(name: str, prefix: bool) -> list[str]:
        return check(_mask_trailing_dash(name) if prefix else name)

    return name_check


#: ``NameIsDNSLabel``, ``NameIsDNSSubdomain``, ``NameIsDNS1035Label`` of apimachinery.
name_is_dns_label: Final[NameCheck] = _name_check(dns1123_label)
name_is_dns_subdomain: Final[NameCheck] = _name_check(dns1123_subdomain)
name_is_dns1035_label: Final[NameCheck] = _name_check(dns1035_label)


def name_is_path_segment(name: str, prefix: bool) -> list[str]:
    """``path.ValidatePathSegmentName``: any name that can be one segment of a URL path."""
    if not prefix and name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{bad}'" for bad in ("/", "%") if bad in name]


# -- numbers and small shared rules ---------------------------------------------------------------------


def nonnegative(value: int | None, path: Path) -> list[FieldError]:
    if value is not None and value < 0:
        return [invalid(path, value, "must be greater than or equal to 0")]
    return []


def positive(value: int | None, path: Path) -> list[FieldError]:
    if value is not None and value <= 0:
        return [invalid(path, value, "must be greater than 0")]
    return []


def port_number(value: int, path: Path) -> list[FieldError]:
    """``IsValidPortNum``: 1..65535."""
    if not 1 <= value <= 65535:
        return [invalid(path, value, "must be between 1 and 65535, inclusive")]
    return []


def port_name_errors(name: str) -> list[str]:
    """``IsValidPortName``: an IANA_SVC_NAME, at most 15 characters with at least one letter."""
    errors = []
    if len(name) > 15:
        errors.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARS.fullmatch(name):
        errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if "--" in name:
        errors.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        errors.append("must not begin or end with a hyphen")
    if not _HAS_LETTER.search(name):
        errors.append("must contain at least one letter (a-z)")
    return errors


def env_var_name_errors(name: str) -> list[str]:
    """``IsEnvVarName``."""
    errors = []
    if not _ENV_VAR_NAME.fullmatch(name):
        errors.append(
            "a valid environment variable name must consist of alphabetic characters, digits, "
            "'_', '-', or '.', and must not start with a digit"
        )
    if name in (".", ".."):
        errors.append(f"must not be '{name}'")
    elif name.startswith(".."):
        errors.append("must not start with '..'")
    return errors


def one_of(
    value: str, supported: Sequence[str], path: Path, *, allow_empty: bool = False
) -> list[FieldError]:
    """An enumeration: the empty string is Required (unless allowed), anything unknown NotSupported."""
    if value == "":
        return [] if allow_empty else [required(path, "")]
    if value not in supported:
        return [not_supported(path, value, supported)]
    return []


def unique(values: Sequence[str], path: Callable[[int], Path]) -> list[FieldError]:
    """A Duplicate error at each repeated value after its first occurrence."""
    seen: set[str] = set()
    errors = []
    for position, value in enumerate(values):
        if value in seen:
            errors.append(duplicate(path(position), value))
        seen.add(value)
    return errors


def int_or_percent(value: IntOrString | None, path: Path) -> list[FieldError]:
    """``ValidatePositiveIntOrPercent`` (apps validation): a non-negative int or a percent like ``25%``."""
    if value is None:
        return []
    if isinstance(value.value, int):
        return nonnegative(value.value, path)
    return [invalid(path, value.value, message) for message in intstr.is_valid_percent(value.value)]


def percent_at_most_100(value: IntOrString | None, path: Path) -> list[FieldError]:
    """``IsNotMoreThan100Percent``."""
    if value is None or isinstance(value.value, int) or intstr.is_valid_percent(value.value):
        return []
    if intstr.percent_of(value) > 100:
        return [invalid(path, value.value, "must not be greater than 100%")]
    return []


def is_zero(value: IntOrString | None) -> bool:
    """``getIntOrPercentValue(x) == 0``: absent, ``0`` or ``0%``."""
    if value is None:
        return True
    if isinstance(value.value, int):
        return value.value == 0
    return not intstr.is_valid_percent(value.value) and intstr.percent_of(value) == 0


# -- labels, annotations, selectors ---------------------------------------------------------------------


def label_map(values: Mapping[str, str], path: Path) -> list[FieldError]:
    """``ValidateLabels``: every key a qualified name, every value a label value; errors at ``path``."""
    errors = []
    for key, value in values.items():
        errors += [invalid(path, key, message) for message in selectors.validate_label_key(key)]
        errors += [invalid(path, value, message) for message in selectors.validate_label_value(value)]
    return errors


def annotation_map(values: Mapping[str, str], path: Path) -> list[FieldError]:
    """``ValidateAnnotations``: keys are qualified names (case-insensitively); 256 KiB in all."""
    errors = []
    total = 0
    for key, value in values.items():
        errors += [invalid(path, key, message) for message in qualified_name(key.lower())]
        total += _size(key) + _size(value)
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        errors.append(too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT))
    return errors


_SELECTOR_OPERATORS: Final = ("In", "NotIn", "Exists", "DoesNotExist")


def label_selector(selector: LabelSelector | None, path: Path) -> list[FieldError]:
    """``ValidateLabelSelector``: matchLabels are labels; each expression's operator fits its values."""
    if selector is None:
        return []
    errors = label_map(selector.match_labels, path.child("matchLabels"))
    for position, expression in enumerate(selector.match_expressions):
        at = path.child("matchExpressions").index(position)
        if expression.operator in ("In", "NotIn"):
            if not expression.values:
                errors.append(
                    required(at.child("values"), "must be specified when `operator` is 'In' or 'NotIn'")
                )
        elif expression.operator in ("Exists", "DoesNotExist"):
            if expression.values:
                errors.append(
                    forbidden(
                        at.child("values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    )
                )
        else:
            errors.append(invalid(at.child("operator"), expression.operator, "not a valid selector operator"))
        errors += [
            invalid(at.child("key"), expression.key, message) for message in qualified_name(expression.key)
        ]
        for value_position, value in enumerate(expression.values):
            errors += [
                invalid(at.child("values").index(value_position), value, message)
                for message in selectors.validate_label_value(value)
            ]
    return errors


def selector_matches_template(
    selector: LabelSelector | None, template_labels: Mapping[str, str], selector_path: Path, labels_path: Path
) -> list[FieldError]:
    """A workload's selector: present, not empty, and matching its pod template's labels.

    Upstream (``ValidateReplicaSetSpec``, ``ValidateDeploymentSpec``, ...):
    ``selector: Required value``, ``selector: Invalid value: ...: empty
    selector is invalid for deployment`` and ``template.metadata.labels:
    Invalid value: ...: `selector` does not match template `labels```.
    """
    if selector is None:
        return [required(selector_path, "")]
    errors = label_selector(selector, selector_path)
    if errors:
        return errors
    if not selector.match_labels and not selector.match_expressions:
        return [invalid(selector_path, "{}", "empty selector is invalid for deployment")]
    try:
        matches = selector.matches(template_labels)
    except selectors.SelectorError as error:
        return [invalid(selector_path, str(error), "invalid label selector")]
    if not matches:
        shown = ",".join(f"{key}={value}" for key, value in sorted(template_labels.items()))
        return [invalid(labels_path, shown, "`selector` does not match template `labels`")]
    return []


# -- ObjectMeta ------------------------------------------------------------------------------------------


def object_meta(meta: ObjectMeta, *, namespaced: bool, name_check: NameCheck, path: Path) -> list[FieldError]:
    """``ValidateObjectMeta`` for a create: name, namespace, labels, annotations, owners, finalizers."""
    errors: list[FieldError] = []
    if meta.generate_name:
        errors += [
            invalid(path.child("generateName"), meta.generate_name, message)
            for message in name_check(meta.generate_name, True)
        ]
    if not meta.name:
        if not meta.generate_name:
            errors.append(required(path.child("name"), "name or generateName is required"))
    else:
        errors += [
            invalid(path.child("name"), meta.name, message) for message in name_check(meta.name, False)
        ]
    if namespaced:
        if not meta.namespace:
            errors.append(required(path.child("namespace"), ""))
        else:
            errors += [
                invalid(path.child("namespace"), meta.namespace, message)
                for message in dns1123_label(meta.namespace)
            ]
    elif meta.namespace:
        errors.append(forbidden(path.child("namespace"), "not allowed on this type"))
    errors += nonnegative(meta.generation, path.child("generation"))
    errors += nonnegative(meta.deletion_grace_period_seconds, path.child("deletionGracePeriodSeconds"))
    errors += label_map(meta.labels, path.child("labels"))
    errors += annotation_map(meta.annotations, path.child("annotations"))
    errors += owner_references(meta, path.child("ownerReferences"))
    errors += finalizers(meta.finalizers, path.child("finalizers"))
    return errors


def owner_references(meta: ObjectMeta, path: Path) -> list[FieldError]:
    """``ValidateOwnerReferences``: complete references, one controller at most; paths unindexed."""
    errors = []
    controllers = []
    for reference in meta.owner_references:
        for field, value, word in (
            ("apiVersion", reference.api_version, "version"),
            ("kind", reference.kind, "kind"),
            ("name", reference.name, "name"),
            ("uid", reference.uid, "uid"),
        ):
            if not value:
                errors.append(invalid(path.child(field), value, f"{word} must not be empty"))
        if reference.controller:
            controllers.append(f"{reference.kind}/{reference.name}")
    if len(controllers) > 1:
        errors.append(
            invalid(
                path,
                ", ".join(controllers),
                'Only one reference can have Controller set to true. Found "true" in references for '
                + " and ".join(controllers),
            )
        )
    return errors


def finalizers(names: Sequence[str], path: Path) -> list[FieldError]:
    """``ValidateFinalizers`` plus Kubernetes' rule that a non-standard finalizer has a domain prefix."""
    errors = []
    for name in names:
        messages = qualified_name(name)
        errors += [invalid(path, name, message) for message in messages]
        if not messages and "/" not in name and name not in STANDARD_FINALIZERS:
            errors.append(
                invalid(path, name, "name is neither a standard finalizer name nor is it fully qualified")
            )
    if "orphan" in names and "foregroundDeletion" in names:
        errors.append(
            invalid(path, list(names), "finalizer orphan and foregroundDeletion cannot be both set")
        )
    errors += unique(names, lambda position: path.index(position))
    return errors
