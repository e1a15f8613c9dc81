"""Validation of the kinds outside core and the workloads: Lease, EndpointSlice, NetworkPolicy,
StorageClass, the RBAC kinds, CustomResourceDefinition and events.k8s.io Events.

Upstream: k/k ``pkg/apis/coordination/validation``, ``pkg/apis/discovery/validation``
(``ValidateEndpointSlice``: at most 1000 endpoints, 100 addresses per
endpoint), ``pkg/apis/networking/validation`` (``ValidateNetworkPolicySpec``),
``pkg/apis/storage/validation`` (``ValidateStorageClass``),
``pkg/apis/rbac/validation`` (``ValidatePolicyRule``, ``ValidateRoleBinding``),
apiextensions-apiserver ``pkg/apis/apiextensions/validation``
(``ValidateCustomResourceDefinition``: the name is ``<plural>.<group>``,
exactly one storage version, names are DNS labels) and ``pkg/apis/events/validation``.

Requirement IDs: none.
"""

from __future__ import annotations

import ipaddress
from typing import Final

from spec.objects import (
    apiextensions,
    coordination,
    discovery,
    events,
    networking,
    rbac,
)
from spec.objects import storage as storage_group
from spec.objects.validation import corev1 as pods
from spec.objects.validation import meta as m
from spec.objects.validation.errors import (
    FieldError,
    Path,
    forbidden,
    invalid,
    not_supported,
    required,
    too_many,
)

_META: Final = Path("metadata")
_SPEC: Final = Path("spec")
ADDRESS_TYPES: Final = ("IPv4", "IPv6", "FQDN")
POLICY_TYPES: Final = ("Ingress", "Egress")
RECLAIM_POLICIES: Final = ("Delete", "Retain")
BINDING_MODES: Final = ("Immediate", "WaitForFirstConsumer")
SUBJECT_KINDS: Final = ("ServiceAccount", "User", "Group")
ROLE_REF_KINDS: Final = ("Role", "ClusterRole")
SCOPES: Final = ("Cluster", "Namespaced")
EVENT_TYPES: Final = ("Normal", "Warning")
MAX_ENDPOINTS: Final = 1000
MAX_ADDRESSES: Final = 100


def validate_lease(lease: coordination.Lease) -> list[FieldError]:
    errors = m.positive(lease.spec.lease_duration_seconds, _SPEC.child("leaseDurationSeconds"))
    errors += m.nonnegative(lease.spec.lease_transitions, _SPEC.child("leaseTransitions"))
    return errors


def validate_endpoint_slice(slice_: discovery.EndpointSlice) -> list[FieldError]:
    errors = m.one_of(slice_.address_type, ADDRESS_TYPES, Path("addressType"))
    if len(slice_.endpoints) > MAX_ENDPOINTS:
        errors.append(too_many(Path("endpoints"), len(slice_.endpoints), MAX_ENDPOINTS))
    for position, endpoint in enumerate(slice_.endpoints):
        at = Path("endpoints").index(position)
        if not endpoint.addresses:
            errors.append(required(at.child("addresses"), "must contain at least 1 address"))
        elif len(endpoint.addresses) > MAX_ADDRESSES:
            errors.append(too_many(at.child("addresses"), len(endpoint.addresses), MAX_ADDRESSES))
        for index, address in enumerate(endpoint.addresses):
            errors += _address(slice_.address_type, address, at.child("addresses").index(index))
        if endpoint.node_name:
            errors += [
                invalid(at.child("nodeName"), endpoint.node_name, message)
                for message in m.dns1123_subdomain(endpoint.node_name)
            ]
    names: list[str] = []
    for position, port in enumerate(slice_.ports):
        at = Path("ports").index(position)
        if port.name:
            errors += [
                invalid(at.child("name"), port.name, message) for message in m.dns1123_label(port.name)
            ]
        names.append(port.name or "")
        if port.protocol is not None:
            errors += m.one_of(port.protocol, pods.PROTOCOLS, at.child("protocol"))
        if port.port is not None:
            errors += m.port_number(port.port, at.child("port"))
    errors += m.unique(names, lambda position: Path("ports").index(position).child("name"))
    return errors


def _address(address_type: str, address: str, path: Path) -> list[FieldError]:
    if address_type == "FQDN":
        return [invalid(path, address, message) for message in m.dns1123_subdomain(address)]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return [invalid(path, address, "must be a valid IP address")]
    if (address_type == "IPv4") != (parsed.version == 4):
        return [invalid(path, address, f"must be an {address_type} address")]
    return []


def _policy_peers(peers: tuple[networking.NetworkPolicyPeer, ...], path: Path) -> list[FieldError]:
    errors: list[FieldError] = []
    for position, peer in enumerate(peers):
        at = path.index(position)
        selectors = peer.pod_selector is not None or peer.namespace_selector is not None
        if peer.ip_block is not None and selectors:
            errors.append(forbidden(at, "may not specify both ipBlock and another peer"))
        elif peer.ip_block is None and not selectors:
            errors.append(required(at, "must specify a peer"))
        errors += m.label_selector(peer.pod_selector, at.child("podSelector"))
        errors += m.label_selector(peer.namespace_selector, at.child("namespaceSelector"))
        if peer.ip_block is not None:
            block = at.child("ipBlock")
            try:
                network = ipaddress.ip_network(peer.ip_block.cidr, strict=False)
            except ValueError:
                errors.append(invalid(block.child("cidr"), peer.ip_block.cidr, "must be a valid CIDR"))
                continue
            for index, excepted in enumerate(peer.ip_block.except_):
                try:
                    inner = ipaddress.ip_network(excepted, strict=False)
                except ValueError:
                    errors.append(
                        invalid(block.child("except").index(index), excepted, "must be a valid CIDR")
                    )
                    continue
                if inner.version != network.version or not inner.subnet_of(network):  # type: ignore[arg-type]
                    errors.append(
                        invalid(
                            block.child("except").index(index), excepted, "must be a strict subset of `cidr`"
                        )
                    )
    return errors


def _policy_ports(ports: tuple[networking.NetworkPolicyPort, ...], path: Path) -> list[FieldError]:
    errors: list[FieldError] = []
    for position, port in enumerate(ports):
        at = path.index(position)
        if port.protocol is not None:
            errors += m.one_of(port.protocol, pods.PROTOCOLS, at.child("protocol"))
        if port.port is not None:
            value = port.port.value
            if isinstance(value, int):
                errors += m.port_number(value, at.child("port"))
            else:
                errors += [invalid(at.child("port"), value, message) for message in m.port_name_errors(value)]
        if port.end_port is not None:
            if port.port is None or not isinstance(port.port.value, int):
                errors.append(required(at.child("port"), "must be specified when endPort is specified"))
            elif port.end_port < port.port.value:
                errors.append(
                    invalid(at.child("endPort"), port.end_port, "must be greater than or equal to `port`")
                )
            else:
                errors += m.port_number(port.end_port, at.child("endPort"))
    return errors


def validate_network_policy(policy: networking.NetworkPolicy) -> list[FieldError]:
    errors: list[FieldError] = []
    spec = policy.spec
    errors += m.label_selector(spec.pod_selector, _SPEC.child("podSelector"))
    for position, ingress in enumerate(spec.ingress):
        at = _SPEC.child("ingress").index(position)
        errors += _policy_ports(ingress.ports, at.child("ports"))
        errors += _policy_peers(ingress.from_, at.child("from"))
    for position, egress in enumerate(spec.egress):
        at = _SPEC.child("egress").index(position)
        errors += _policy_ports(egress.ports, at.child("ports"))
        errors += _policy_peers(egress.to, at.child("to"))
    for position, policy_type in enumerate(spec.policy_types):
        if policy_type not in POLICY_TYPES:
            errors.append(
                not_supported(_SPEC.child("policyTypes").index(position), policy_type, POLICY_TYPES)
            )
    return errors


def validate_storage_class(storage_class: storage_group.StorageClass) -> list[FieldError]:
    errors: list[FieldError] = []
    if not storage_class.provisioner:
        errors.append(required(Path("provisioner"), ""))
    else:
        errors += [
            invalid(Path("provisioner"), storage_class.provisioner, message)
            for message in m.qualified_name(storage_class.provisioner.lower())
        ]
    if storage_class.reclaim_policy is not None:
        errors += m.one_of(storage_class.reclaim_policy, RECLAIM_POLICIES, Path("reclaimPolicy"))
    if storage_class.volume_binding_mode is not None:
        errors += m.one_of(storage_class.volume_binding_mode, BINDING_MODES, Path("volumeBindingMode"))
    return errors


def _policy_rule(rule: rbac.PolicyRule, path: Path, *, namespaced: bool) -> list[FieldError]:
    """``ValidatePolicyRule``: verbs; groups and resources for resource rules; URLs only cluster-wide."""
    errors: list[FieldError] = []
    if not rule.verbs:
        errors.append(required(path.child("verbs"), "verbs must contain at least one value"))
    if rule.non_resource_urls:
        if namespaced:
            errors.append(
                invalid(
                    path.child("nonResourceURLs"),
                    list(rule.non_resource_urls),
                    "namespaced rules cannot apply to non-resource URLs",
                )
            )
        if rule.api_groups or rule.resources or rule.resource_names:
            errors.append(
                invalid(
                    path.child("nonResourceURLs"),
                    list(rule.non_resource_urls),
                    "rules cannot apply to both regular resources and non-resource URLs",
                )
            )
        return errors
    if not rule.api_groups:
        errors.append(required(path.child("apiGroups"), "resource rules must supply at least one api group"))
    if not rule.resources:
        errors.append(required(path.child("resources"), "resource rules must supply at least one resource"))
    return errors


def validate_role(role: rbac.Role) -> list[FieldError]:
    errors: list[FieldError] = []
    for position, rule in enumerate(role.rules):
        errors += _policy_rule(rule, Path("rules").index(position), namespaced=True)
    return errors


def validate_cluster_role(role: rbac.ClusterRole) -> list[FieldError]:
    errors: list[FieldError] = []
    for position, rule in enumerate(role.rules):
        errors += _policy_rule(rule, Path("rules").index(position), namespaced=False)
    if role.aggregation_rule is not None:
        for position, selector in enumerate(role.aggregation_rule.cluster_role_selectors):
            errors += m.label_selector(
                selector, Path("aggregationRule").child("clusterRoleSelectors").index(position)
            )
    return errors


def _binding(
    subjects: tuple[rbac.Subject, ...], role_ref: rbac.RoleRef, *, namespaced: bool
) -> list[FieldError]:
    errors: list[FieldError] = []
    if role_ref.api_group != "rbac.authorization.k8s.io":
        errors.append(
            not_supported(
                Path("roleRef").child("apiGroup"), role_ref.api_group, ("rbac.authorization.k8s.io",)
            )
        )
    allowed = ROLE_REF_KINDS if namespaced else ("ClusterRole",)
    errors += m.one_of(role_ref.kind, allowed, Path("roleRef").child("kind"))
    if not role_ref.name:
        errors.append(required(Path("roleRef").child("name"), ""))
    else:
        errors += [
            invalid(Path("roleRef").child("name"), role_ref.name, message)
            for message in m.name_is_path_segment(role_ref.name, False)
        ]
    for position, subject in enumerate(subjects):
        at = Path("subjects").index(position)
        if not subject.name:
            errors.append(required(at.child("name"), ""))
        errors += m.one_of(subject.kind, SUBJECT_KINDS, at.child("kind"))
        if subject.kind == "ServiceAccount":
            if subject.api_group:
                errors.append(not_supported(at.child("apiGroup"), subject.api_group, ("",)))
            if subject.name:
                errors += [
                    invalid(at.child("name"), subject.name, message)
                    for message in m.dns1123_subdomain(subject.name)
                ]
            if not namespaced and not subject.namespace:
                errors.append(required(at.child("namespace"), ""))
        elif subject.kind in ("User", "Group") and subject.api_group != "rbac.authorization.k8s.io":
            errors.append(
                not_supported(at.child("apiGroup"), subject.api_group, ("rbac.authorization.k8s.io",))
            )
    return errors


def validate_role_binding(binding: rbac.RoleBinding) -> list[FieldError]:
    return _binding(binding.subjects, binding.role_ref, namespaced=True)


def validate_cluster_role_binding(binding: rbac.ClusterRoleBinding) -> list[FieldError]:
    return _binding(binding.subjects, binding.role_ref, namespaced=False)


def validate_custom_resource_definition(crd: apiextensions.CustomResourceDefinition) -> list[FieldError]:
    """``ValidateCustomResourceDefinition``: names, group, scope, and exactly one storage version."""
    errors: list[FieldError] = []
    spec = crd.spec
    expected = f"{spec.names.plural}.{spec.group}"
    if crd.metadata.name != expected:
        errors.append(
            invalid(_META.child("name"), crd.metadata.name, 'must be spec.names.plural+"."+spec.group')
        )
    if not spec.group:
        errors.append(required(_SPEC.child("group"), ""))
    else:
        errors += [
            invalid(_SPEC.child("group"), spec.group, message) for message in m.dns1123_subdomain(spec.group)
        ]
        if len(spec.group.split(".")) < 2:
            errors.append(
                invalid(_SPEC.child("group"), spec.group, "should be a domain with at least one dot")
            )
    errors += m.one_of(spec.scope, SCOPES, _SPEC.child("scope"))
    names = _SPEC.child("names")
    for field, value in (("plural", spec.names.plural), ("singular", spec.names.singular)):
        if not value and field == "plural":
            errors.append(required(names.child(field), ""))
        elif value:
            errors += [invalid(names.child(field), value, message) for message in m.dns1123_label(value)]
    if not spec.names.kind:
        errors.append(required(names.child("kind"), ""))
    if spec.names.list_kind and spec.names.list_kind == spec.names.kind:
        errors.append(
            invalid(names.child("listKind"), spec.names.list_kind, "kind and listKind may not be the same")
        )
    if not spec.versions:
        errors.append(
            required(_SPEC.child("versions"), "must have exactly one version marked as storage version")
        )
    storage_versions = sum(version.storage for version in spec.versions)
    if spec.versions and storage_versions != 1:
        errors.append(
            invalid(
                _SPEC.child("versions"),
                storage_versions,
                "must have exactly one version marked as storage version",
            )
        )
    version_names: list[str] = []
    for position, version in enumerate(spec.versions):
        at = _SPEC.child("versions").index(position)
        errors += [
            invalid(at.child("name"), version.name, message) for message in m.dns1035_label(version.name)
        ]
        version_names.append(version.name)
        # The schema is structural (ValidateCustomResourceDefinitionVersion): spec/crd_schema.py.
        from spec import crd_schema  # late: crd_schema imports this package's errors module

        schema = version.schema_.open_apiv3_schema if version.schema_ is not None else None
        errors += crd_schema.structural_errors(schema, at.child("schema", "openAPIV3Schema"))
    errors += m.unique(version_names, lambda position: _SPEC.child("versions").index(position).child("name"))
    return errors


def validate_structured_event(event: events.Event) -> list[FieldError]:
    """events.k8s.io/v1 ``ValidateEventCreate``: reporting controller and instance, action, reason, type."""
    errors: list[FieldError] = []
    if event.event_time is None:
        errors.append(required(Path("eventTime"), ""))
    errors += m.one_of(event.type, EVENT_TYPES, Path("type"))
    if not event.reporting_controller:
        errors.append(required(Path("reportingController"), ""))
    else:
        errors += [
            invalid(Path("reportingController"), event.reporting_controller, message)
            for message in m.qualified_name(event.reporting_controller)
        ]
    for field, value, limit in (
        ("reportingInstance", event.reporting_instance, 128),
        ("action", event.action, 128),
        ("reason", event.reason, 128),
        ("note", event.note, 1024),
    ):
        if field != "note" and not value:
            errors.append(required(Path(field), ""))
        elif len(value) > limit:
            errors.append(invalid(Path(field), "", f"can have at most {limit} characters"))
    return errors
