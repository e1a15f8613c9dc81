"""Validation of the core/v1 kinds: Pod and its spec, Node, Service, ConfigMap, Secret, volumes, ...

Upstream: k/k ``pkg/apis/core/validation/validation.go`` (``ValidatePodSpec``,
``validateContainers``, ``validateContainerPorts``, ``validateProbe``,
``ValidateResourceRequirements``, ``validateVolumes``, ``validateAffinity``,
``ValidateTolerations``, ``validateTopologySpreadConstraints``,
``ValidateNode``, ``ValidateService``, ``ValidateConfigMap``,
``ValidateSecret``, ``ValidatePersistentVolume``,
``ValidatePersistentVolumeClaim``, ``ValidatePodBinding``,
``ValidateNamespace``), with upstream's field paths and messages.

What is checked is what a client can get wrong on create; rules about
updates (immutable fields) belong to the API server's update path and are
not here. Validation runs on a defaulted object, as the API server
validates after defaulting: a field that defaulting always fills (a
container's ``imagePullPolicy``, a port's ``protocol``) is reported as
Required when empty.

Requirement IDs: none.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Final

from spec import selectors
from spec.objects import core
from spec.objects.base import FrozenMap
from spec.objects.validation import meta as m
from spec.objects.validation.errors import (
    FieldError,
    Path,
    duplicate,
    forbidden,
    invalid,
    not_found,
    not_supported,
    required,
    too_long,
)
from spec.quantity import Quantity

RESTART_POLICIES: Final = ("Always", "OnFailure", "Never")
DNS_POLICIES: Final = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
PULL_POLICIES: Final = ("Always", "IfNotPresent", "Never")
TERMINATION_MESSAGE_POLICIES: Final = ("File", "FallbackToLogsOnError")
PROTOCOLS: Final = ("TCP", "UDP", "SCTP")
TAINT_EFFECTS: Final = ("NoSchedule", "PreferNoSchedule", "NoExecute")
TOLERATION_OPERATORS: Final = ("Exists", "Equal")
NODE_SELECTOR_OPERATORS: Final = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")
UNSATISFIABLE_ACTIONS: Final = ("DoNotSchedule", "ScheduleAnyway")
SERVICE_TYPES: Final = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
SESSION_AFFINITIES: Final = ("ClientIP", "None")
ACCESS_MODES: Final = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
RECLAIM_POLICIES: Final = ("Retain", "Delete", "Recycle")
#: ``MaxSecretSize`` and the size limit of a ConfigMap (``corev1.MaxSecretSize`` is used for both).
MAX_DATA_SIZE: Final = 1024 * 1024
_CONFIG_MAP_KEY: Final = re.compile("[-._a-zA-Z0-9]+")
_ZERO: Final = Quantity(0, 0)


# -- containers ------------------------------------------------------------------------------------------


def _handler_count(*handlers: object) -> int:
    return sum(handler is not None for handler in handlers)


def _port_reference(port: object, path: Path) -> list[FieldError]:
    """A probe's or a Service's ``port``: a port number, or the name of a container port."""
    value = getattr(port, "value", port)
    if isinstance(value, int):
        return m.port_number(value, path)
    return [invalid(path, value, message) for message in m.port_name_errors(str(value))]


def probe(value: core.Probe | None, path: Path, *, success_must_be_one: bool) -> list[FieldError]:
    """``validateProbe``: exactly one handler, non-negative numbers; liveness and startup succeed once."""
    if value is None:
        return []
    errors: list[FieldError] = []
    count = _handler_count(value.exec, value.http_get, value.tcp_socket)
    if count == 0:
        errors.append(required(path, "must specify a handler type"))
    elif count > 1:
        errors.append(forbidden(path, "may not specify more than 1 handler type"))
    if value.exec is not None and not value.exec.command:
        errors.append(required(path.child("exec", "command"), ""))
    if value.http_get is not None:
        errors += _port_reference(value.http_get.port, path.child("httpGet", "port"))
        if value.http_get.scheme not in ("HTTP", "HTTPS"):
            errors.append(
                not_supported(path.child("httpGet", "scheme"), value.http_get.scheme, ("HTTP", "HTTPS"))
            )
    if value.tcp_socket is not None:
        errors += _port_reference(value.tcp_socket.port, path.child("tcpSocket", "port"))
    for field, number in (
        ("initialDelaySeconds", value.initial_delay_seconds),
        ("timeoutSeconds", value.timeout_seconds),
        ("periodSeconds", value.period_seconds),
        ("successThreshold", value.success_threshold),
        ("failureThreshold", value.failure_threshold),
    ):
        errors += m.nonnegative(number, path.child(field))
    if success_must_be_one and value.success_threshold != 1:
        errors.append(invalid(path.child("successThreshold"), value.success_threshold, "must be 1"))
    errors += m.positive(value.termination_grace_period_seconds, path.child("terminationGracePeriodSeconds"))
    return errors


def resources(value: core.ResourceRequirements, path: Path) -> list[FieldError]:
    """``ValidateResourceRequirements``: quantities non-negative, each request at most its limit."""
    errors: list[FieldError] = []
    for field, resource_list in (("limits", value.limits), ("requests", value.requests)):
        for name, quantity in resource_list.items():
            at = path.child(field).key(name)
            errors += [invalid(at, name, message) for message in m.qualified_name(name)]
            if quantity < _ZERO:
                errors.append(invalid(at, str(quantity), "must be greater than or equal to 0"))
    for name, request in value.requests.items():
        limit = value.limits.get(name)
        if limit is not None and request > limit:
            errors.append(
                invalid(
                    path.child("requests").key(name),
                    str(request),
                    f"must be less than or equal to {name} limit of {limit}",
                )
            )
    return errors


def container_ports(
    ports: Sequence[core.ContainerPort], path: Path, *, host_network: bool
) -> list[FieldError]:
    errors: list[FieldError] = []
    names: set[str] = set()
    for position, port in enumerate(ports):
        at = path.index(position)
        if port.name:
            errors += [
                invalid(at.child("name"), port.name, message) for message in m.port_name_errors(port.name)
            ]
            if port.name in names:
                errors.append(duplicate(at.child("name"), port.name))
            names.add(port.name)
        if port.container_port == 0:
            errors.append(required(at.child("containerPort"), ""))
        else:
            errors += m.port_number(port.container_port, at.child("containerPort"))
        if port.host_port != 0:
            errors += m.port_number(port.host_port, at.child("hostPort"))
            if host_network and port.host_port != port.container_port:
                errors.append(
                    invalid(
                        at.child("hostPort"),
                        port.host_port,
                        "must match `containerPort` when `hostNetwork` is true",
                    )
                )
        errors += m.one_of(port.protocol, PROTOCOLS, at.child("protocol"))
    return errors


def container(
    value: core.Container, path: Path, volumes: Mapping[str, core.Volume], *, init: bool, host_network: bool
) -> list[FieldError]:
    """``validateContainerCommon`` and the checks of regular and init containers."""
    errors: list[FieldError] = []
    if not value.name:
        errors.append(required(path.child("name"), ""))
    else:
        errors += [
            invalid(path.child("name"), value.name, message) for message in m.dns1123_label(value.name)
        ]
    if not value.image:
        errors.append(required(path.child("image"), ""))
    elif value.image != value.image.strip():
        errors.append(
            invalid(path.child("image"), value.image, "must not have leading or trailing whitespace")
        )
    errors += m.one_of(value.image_pull_policy, PULL_POLICIES, path.child("imagePullPolicy"))
    errors += m.one_of(
        value.termination_message_policy, TERMINATION_MESSAGE_POLICIES, path.child("terminationMessagePolicy")
    )
    errors += container_ports(value.ports, path.child("ports"), host_network=host_network)
    for position, env in enumerate(value.env):
        at = path.child("env").index(position)
        if not env.name:
            errors.append(required(at.child("name"), ""))
        else:
            errors += [
                invalid(at.child("name"), env.name, message) for message in m.env_var_name_errors(env.name)
            ]
        if env.value_from is not None:
            sources = env.value_from
            count = _handler_count(
                sources.field_ref,
                sources.resource_field_ref,
                sources.config_map_key_ref,
                sources.secret_key_ref,
            )
            if count != 1:
                errors.append(
                    invalid(
                        at.child("valueFrom"),
                        "",
                        "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` "
                        "or `secretKeyRef`",
                    )
                )
            if env.value:
                errors.append(
                    invalid(at.child("valueFrom"), "", "may not be specified when `value` is not empty")
                )
    errors += resources(value.resources, path.child("resources"))
    mount_paths: set[str] = set()
    for position, mount in enumerate(value.volume_mounts):
        at = path.child("volumeMounts").index(position)
        if not mount.name:
            errors.append(required(at.child("name"), ""))
        elif mount.name not in volumes:
            errors.append(not_found(at.child("name"), mount.name))
        if not mount.mount_path:
            errors.append(required(at.child("mountPath"), ""))
        elif mount.mount_path in mount_paths:
            errors.append(invalid(at.child("mountPath"), mount.mount_path, "must be unique"))
        mount_paths.add(mount.mount_path)
    errors += probe(value.liveness_probe, path.child("livenessProbe"), success_must_be_one=True)
    errors += probe(value.readiness_probe, path.child("readinessProbe"), success_must_be_one=False)
    errors += probe(value.startup_probe, path.child("startupProbe"), success_must_be_one=True)
    if value.restart_policy is not None:
        if not init:
            errors.append(forbidden(path.child("restartPolicy"), "may not be set for non-init containers"))
        elif value.restart_policy != "Always":
            errors.append(not_supported(path.child("restartPolicy"), value.restart_policy, ("Always",)))
    return errors


# -- volumes ---------------------------------------------------------------------------------------------


def _key_to_paths(items: Sequence[core.KeyToPath], path: Path) -> list[FieldError]:
    errors: list[FieldError] = []
    for position, item in enumerate(items):
        at = path.index(position)
        if not item.key:
            errors.append(required(at.child("key"), ""))
        if not item.path:
            errors.append(required(at.child("path"), ""))
        elif item.path.startswith("/"):
            errors.append(invalid(at.child("path"), item.path, "must be a relative path"))
        elif ".." in item.path.split("/"):
            errors.append(invalid(at.child("path"), item.path, "must not contain '..'"))
    return errors


def volumes(values: Sequence[core.Volume], path: Path) -> list[FieldError]:
    """``ValidateVolumes``: unique DNS-label names and exactly one source each."""
    errors: list[FieldError] = []
    names: set[str] = set()
    for position, volume in enumerate(values):
        at = path.index(position)
        if not volume.name:
            errors.append(required(at.child("name"), ""))
        else:
            errors += [
                invalid(at.child("name"), volume.name, message) for message in m.dns1123_label(volume.name)
            ]
            if volume.name in names:
                errors.append(duplicate(at.child("name"), volume.name))
            names.add(volume.name)
        sources = _handler_count(
            volume.host_path,
            volume.empty_dir,
            volume.secret,
            volume.persistent_volume_claim,
            volume.config_map,
        )
        if sources == 0:
            errors.append(required(at, "must specify a volume type"))
        elif sources > 1:
            errors.append(forbidden(at, "may not specify more than 1 volume type"))
        if volume.persistent_volume_claim is not None and not volume.persistent_volume_claim.claim_name:
            errors.append(required(at.child("persistentVolumeClaim", "claimName"), ""))
        if volume.config_map is not None:
            if not volume.config_map.name:
                errors.append(required(at.child("configMap", "name"), ""))
            errors += _key_to_paths(volume.config_map.items, at.child("configMap", "items"))
        if volume.secret is not None:
            if not volume.secret.secret_name:
                errors.append(required(at.child("secret", "secretName"), ""))
            errors += _key_to_paths(volume.secret.items, at.child("secret", "items"))
        if volume.host_path is not None and not volume.host_path.path:
            errors.append(required(at.child("hostPath", "path"), ""))
    return errors


# -- scheduling constraints ------------------------------------------------------------------------------


def node_selector_requirement(value: core.NodeSelectorRequirement, path: Path) -> list[FieldError]:
    errors: list[FieldError] = []
    if value.operator in ("In", "NotIn"):
        if not value.values:
            errors.append(
                required(path.child("values"), "must be specified when `operator` is 'In' or 'NotIn'")
            )
    elif value.operator in ("Exists", "DoesNotExist"):
        if value.values:
            errors.append(
                forbidden(
                    path.child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                )
            )
    elif value.operator in ("Gt", "Lt"):
        if len(value.values) != 1 or not re.fullmatch("-?[0-9]+", value.values[0]):
            errors.append(
                required(
                    path.child("values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"
                )
            )
    else:
        errors.append(invalid(path.child("operator"), value.operator, "not a valid selector operator"))
    errors += [invalid(path.child("key"), value.key, message) for message in m.qualified_name(value.key)]
    return errors


def node_selector_term(value: core.NodeSelectorTerm, path: Path) -> list[FieldError]:
    errors: list[FieldError] = []
    for position, requirement in enumerate(value.match_expressions):
        errors += node_selector_requirement(requirement, path.child("matchExpressions").index(position))
    for position, requirement in enumerate(value.match_fields):
        at = path.child("matchFields").index(position)
        if requirement.key != "metadata.name":
            errors.append(not_supported(at.child("key"), requirement.key, ("metadata.name",)))
        if requirement.operator not in ("In", "NotIn") or len(requirement.values) != 1:
            errors.append(invalid(at, requirement.operator, "must be 'In' or 'NotIn' with exactly one value"))
    return errors


def _weight(weight: int, path: Path) -> list[FieldError]:
    if not 1 <= weight <= 100:
        return [invalid(path, weight, "must be in the range 1-100")]
    return []


def pod_affinity_term(value: core.PodAffinityTerm, path: Path) -> list[FieldError]:
    errors = m.label_selector(value.label_selector, path.child("labelSelector"))
    errors += m.label_selector(value.namespace_selector, path.child("namespaceSelector"))
    for position, namespace in enumerate(value.namespaces):
        errors += [
            invalid(path.child("namespaces").index(position), namespace, message)
            for message in m.dns1123_label(namespace)
        ]
    if not value.topology_key:
        errors.append(required(path.child("topologyKey"), "can not be empty"))
    else:
        errors += [
            invalid(path.child("topologyKey"), value.topology_key, message)
            for message in m.qualified_name(value.topology_key)
        ]
    return errors


def affinity(value: core.Affinity | None, path: Path) -> list[FieldError]:
    """``validateAffinity``: node, pod and pod anti-affinity terms."""
    if value is None:
        return []
    errors: list[FieldError] = []
    node = value.node_affinity
    if node is not None:
        at = path.child("nodeAffinity")
        required_terms = node.required_during_scheduling_ignored_during_execution
        if required_terms is not None:
            term_path = at.child("requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
            if not required_terms.node_selector_terms:
                errors.append(required(term_path, "must have at least one node selector term"))
            for position, term in enumerate(required_terms.node_selector_terms):
                errors += node_selector_term(term, term_path.index(position))
        for position, preferred in enumerate(node.preferred_during_scheduling_ignored_during_execution):
            item = at.child("preferredDuringSchedulingIgnoredDuringExecution").index(position)
            errors += _weight(preferred.weight, item.child("weight"))
            errors += node_selector_term(preferred.preference, item.child("preference"))
    for field, pod_terms in (
        ("podAffinity", value.pod_affinity),
        ("podAntiAffinity", value.pod_anti_affinity),
    ):
        if pod_terms is None:
            continue
        at = path.child(field)
        for position, pod_term in enumerate(pod_terms.required_during_scheduling_ignored_during_execution):
            errors += pod_affinity_term(
                pod_term, at.child("requiredDuringSchedulingIgnoredDuringExecution").index(position)
            )
        for position, weighted in enumerate(pod_terms.preferred_during_scheduling_ignored_during_execution):
            item = at.child("preferredDuringSchedulingIgnoredDuringExecution").index(position)
            errors += _weight(weighted.weight, item.child("weight"))
            errors += pod_affinity_term(weighted.pod_affinity_term, item.child("podAffinityTerm"))
    return errors


def tolerations(values: Sequence[core.Toleration], path: Path) -> list[FieldError]:
    """``ValidateTolerations``."""
    errors: list[FieldError] = []
    for position, toleration in enumerate(values):
        at = path.index(position)
        if toleration.key:
            errors += [
                invalid(at.child("key"), toleration.key, message)
                for message in m.qualified_name(toleration.key)
            ]
        elif toleration.operator != "Exists":
            errors.append(
                invalid(
                    at.child("operator"),
                    toleration.operator,
                    "operator must be Exists when `key` is empty, "
                    'which means "match all values and all keys"',
                )
            )
        if toleration.toleration_seconds is not None and toleration.effect != "NoExecute":
            errors.append(
                invalid(
                    at.child("effect"),
                    toleration.effect,
                    "effect must be 'NoExecute' when `tolerationSeconds` is set",
                )
            )
        if toleration.operator in ("", "Equal"):
            errors += [
                invalid(at.child("operator"), toleration.value, message)
                for message in selectors.validate_label_value(toleration.value)
            ]
        elif toleration.operator == "Exists":
            if toleration.value:
                errors.append(
                    invalid(
                        at.child("operator"), toleration, "value must be empty when `operator` is 'Exists'"
                    )
                )
        else:
            errors.append(not_supported(at.child("operator"), toleration.operator, TOLERATION_OPERATORS))
        if toleration.effect:
            errors += m.one_of(toleration.effect, TAINT_EFFECTS, at.child("effect"))
    return errors


def topology_spread_constraints(
    values: Sequence[core.TopologySpreadConstraint], path: Path
) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[tuple[str, str]] = set()
    for position, constraint in enumerate(values):
        at = path.index(position)
        errors += m.positive(constraint.max_skew, at.child("maxSkew"))
        if not constraint.topology_key:
            errors.append(required(at.child("topologyKey"), "can not be empty"))
        else:
            errors += [
                invalid(at.child("topologyKey"), constraint.topology_key, message)
                for message in m.qualified_name(constraint.topology_key)
            ]
        errors += m.one_of(
            constraint.when_unsatisfiable, UNSATISFIABLE_ACTIONS, at.child("whenUnsatisfiable")
        )
        if constraint.min_domains is not None:
            errors += m.positive(constraint.min_domains, at.child("minDomains"))
            if constraint.when_unsatisfiable != "DoNotSchedule":
                errors.append(
                    invalid(
                        at.child("minDomains"),
                        constraint.min_domains,
                        "can only use minDomains if whenUnsatisfiable=DoNotSchedule, "
                        f"not {constraint.when_unsatisfiable}",
                    )
                )
        pair = (constraint.topology_key, constraint.when_unsatisfiable)
        if pair in seen:
            errors.append(duplicate(at, f"{{{pair[0]}, {pair[1]}}}"))
        seen.add(pair)
        errors += m.label_selector(constraint.label_selector, at.child("labelSelector"))
    return errors


# -- the pod ---------------------------------------------------------------------------------------------


def pod_spec(spec: core.PodSpec, path: Path, claim_templates: Sequence[str] = ()) -> list[FieldError]:
    """``ValidatePodSpec``; ``claim_templates`` are the volume names a StatefulSet adds to its pods."""
    errors = volumes(spec.volumes, path.child("volumes"))
    by_name = {name: core.Volume(name=name) for name in claim_templates}
    by_name.update({volume.name: volume for volume in spec.volumes})
    if not spec.containers:
        errors.append(required(path.child("containers"), ""))
    names: set[str] = set()
    for field, containers, init in (
        ("initContainers", spec.init_containers, True),
        ("containers", spec.containers, False),
    ):
        for position, value in enumerate(containers):
            at = path.child(field).index(position)
            errors += container(value, at, by_name, init=init, host_network=spec.host_network)
            if value.name and value.name in names:
                errors.append(duplicate(at.child("name"), value.name))
            names.add(value.name)
    errors += m.one_of(spec.restart_policy, RESTART_POLICIES, path.child("restartPolicy"))
    errors += m.one_of(spec.dns_policy, DNS_POLICIES, path.child("dnsPolicy"))
    errors += m.label_map(spec.node_selector, path.child("nodeSelector"))
    if spec.node_name:
        errors += [
            invalid(path.child("nodeName"), spec.node_name, message)
            for message in m.dns1123_subdomain(spec.node_name)
        ]
    if spec.service_account_name:
        errors += [
            invalid(path.child("serviceAccountName"), spec.service_account_name, message)
            for message in m.dns1123_subdomain(spec.service_account_name)
        ]
    if spec.active_deadline_seconds is not None and not 1 <= spec.active_deadline_seconds <= 2**31 - 1:
        errors.append(
            invalid(
                path.child("activeDeadlineSeconds"),
                spec.active_deadline_seconds,
                "must be between 1 and 2147483647, inclusive",
            )
        )
    errors += m.nonnegative(
        spec.termination_grace_period_seconds, path.child("terminationGracePeriodSeconds")
    )
    for field, name in (("hostname", spec.hostname), ("subdomain", spec.subdomain)):
        if name:
            errors += [invalid(path.child(field), name, message) for message in m.dns1123_label(name)]
    errors += affinity(spec.affinity, path.child("affinity"))
    errors += tolerations(spec.tolerations, path.child("tolerations"))
    errors += topology_spread_constraints(
        spec.topology_spread_constraints, path.child("topologySpreadConstraints")
    )
    for position, secret in enumerate(spec.image_pull_secrets):
        if not secret.name:
            errors.append(required(path.child("imagePullSecrets").index(position).child("name"), ""))
    return errors


def pod_template(
    template: core.PodTemplateSpec, path: Path, claim_templates: Sequence[str] = ()
) -> list[FieldError]:
    """``ValidatePodTemplateSpec``: the template's labels and annotations, and its pod spec."""
    errors = m.label_map(template.metadata.labels, path.child("metadata", "labels"))
    errors += m.annotation_map(template.metadata.annotations, path.child("metadata", "annotations"))
    errors += pod_spec(template.spec, path.child("spec"), claim_templates)
    return errors


def validate_pod(pod: core.Pod) -> list[FieldError]:
    return pod_spec(pod.spec, Path("spec"))


# -- cluster objects -----------------------------------------------------------------------------------------


def validate_namespace(namespace: core.Namespace) -> list[FieldError]:
    errors: list[FieldError] = []
    for position, name in enumerate(namespace.spec.finalizers):
        at = Path("spec").child("finalizers").index(position)
        errors += [invalid(at, name, message) for message in m.qualified_name(name)]
    return errors


def validate_node(node: core.Node) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[tuple[str, str]] = set()
    for position, taint in enumerate(node.spec.taints):
        at = Path("spec").child("taints").index(position)
        if not taint.key:
            errors.append(required(at.child("key"), ""))
        else:
            errors += [
                invalid(at.child("key"), taint.key, message) for message in m.qualified_name(taint.key)
            ]
        errors += [
            invalid(at.child("value"), taint.value, message)
            for message in selectors.validate_label_value(taint.value)
        ]
        errors += m.one_of(taint.effect, TAINT_EFFECTS, at.child("effect"))
        if (taint.key, taint.effect) in seen:
            errors.append(duplicate(at, f"{taint.key}:{taint.effect}"))
        seen.add((taint.key, taint.effect))
    for cidr_path, cidr in [(Path("spec").child("podCIDR"), node.spec.pod_cidr)] + [
        (Path("spec").child("podCIDRs").index(position), value)
        for position, value in enumerate(node.spec.pod_cidrs)
    ]:
        if cidr:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                errors.append(
                    invalid(
                        cidr_path, cidr, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
                    )
                )
    for field, resource_list in (
        ("capacity", node.status.capacity),
        ("allocatable", node.status.allocatable),
    ):
        for name, quantity in resource_list.items():
            if quantity < _ZERO:
                errors.append(
                    invalid(
                        Path("status").child(field).key(name),
                        str(quantity),
                        "must be greater than or equal to 0",
                    )
                )
    return errors


def validate_service(service: core.Service) -> list[FieldError]:
    """``ValidateService`` for a create."""
    errors: list[FieldError] = []
    spec, at = service.spec, Path("spec")
    errors += m.one_of(spec.type, SERVICE_TYPES, at.child("type"))
    headless = spec.cluster_ip == "None"
    if spec.type == "ExternalName":
        if not spec.external_name:
            errors.append(required(at.child("externalName"), ""))
        else:
            errors += [
                invalid(at.child("externalName"), spec.external_name, message)
                for message in m.dns1123_subdomain(spec.external_name.rstrip("."))
            ]
    elif not spec.ports and not headless:
        errors.append(required(at.child("ports"), ""))
    names: set[str] = set()
    for position, port in enumerate(spec.ports):
        port_path = at.child("ports").index(position)
        if len(spec.ports) > 1 and not port.name:
            errors.append(required(port_path.child("name"), ""))
        elif port.name:
            errors += [
                invalid(port_path.child("name"), port.name, message) for message in m.dns1123_label(port.name)
            ]
            if port.name in names:
                errors.append(duplicate(port_path.child("name"), port.name))
            names.add(port.name)
        errors += m.port_number(port.port, port_path.child("port"))
        errors += m.one_of(port.protocol, PROTOCOLS, port_path.child("protocol"))
        target = port.target_port.value
        if target != 0:
            errors += _port_reference(port.target_port, port_path.child("targetPort"))
        if port.node_port != 0:
            errors += m.port_number(port.node_port, port_path.child("nodePort"))
            if spec.type in ("ClusterIP", "ExternalName"):
                errors.append(
                    forbidden(port_path.child("nodePort"), f"may not be used when `type` is '{spec.type}'")
                )
    errors += m.label_map(spec.selector, at.child("selector"))
    errors += m.one_of(
        spec.session_affinity, SESSION_AFFINITIES, at.child("sessionAffinity"), allow_empty=True
    )
    if spec.cluster_ip and not headless:
        try:
            ipaddress.ip_address(spec.cluster_ip)
        except ValueError:
            errors.append(
                invalid(
                    at.child("clusterIP"), spec.cluster_ip, "must be empty, 'None', or a valid IP address"
                )
            )
    if spec.external_traffic_policy:
        if spec.type not in ("NodePort", "LoadBalancer"):
            errors.append(
                invalid(
                    at.child("externalTrafficPolicy"),
                    spec.external_traffic_policy,
                    "may only be set for externally-accessible services",
                )
            )
        else:
            errors += m.one_of(
                spec.external_traffic_policy, ("Cluster", "Local"), at.child("externalTrafficPolicy")
            )
    return errors


def _data_keys(keys: Sequence[str], path: Path) -> list[FieldError]:
    """``IsConfigMapKey`` for every key of a ConfigMap's or Secret's data."""
    errors = []
    for key in keys:
        messages = []
        if len(key) > 253:
            messages.append("must be no more than 253 characters")
        if not _CONFIG_MAP_KEY.fullmatch(key):
            messages.append("a valid config key must consist of alphanumeric characters, '-', '_' or '.'")
        if key in (".", ".."):
            messages.append(f"must not be '{key}'")
        elif key.startswith(".."):
            messages.append("must not start with '..'")
        errors += [invalid(path.key(key), key, message) for message in messages]
    return errors


def validate_config_map(config_map: core.ConfigMap) -> list[FieldError]:
    errors = _data_keys(list(config_map.data), Path("data"))
    errors += _data_keys(list(config_map.binary_data), Path("binaryData"))
    for key in config_map.binary_data:
        if key in config_map.data:
            errors.append(invalid(Path("data").key(key), key, "duplicate of key present in binaryData"))
    size = sum(len(value.encode("utf-8")) for value in config_map.data.values())
    size += sum(len(value) for value in config_map.binary_data.values())
    if size > MAX_DATA_SIZE:
        errors.append(too_long(Path(""), MAX_DATA_SIZE))
    return errors


#: Keys each typed Secret must carry (core/v1 types.go, ``SecretType*``).
_SECRET_REQUIRED_KEYS: Final[Mapping[str, tuple[str, ...]]] = FrozenMap(
    {
        "kubernetes.io/tls": ("tls.crt", "tls.key"),
        "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
        "kubernetes.io/dockercfg": (".dockercfg",),
        "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    }
)


def validate_secret(secret: core.Secret) -> list[FieldError]:
    errors = _data_keys(list(secret.data), Path("data"))
    errors += _data_keys(list(secret.string_data), Path("stringData"))
    keys = set(secret.data) | set(secret.string_data)
    for key in _SECRET_REQUIRED_KEYS.get(secret.type, ()):
        if key not in keys:
            errors.append(required(Path("data").key(key), ""))
    if secret.type == "kubernetes.io/service-account-token" and "kubernetes.io/service-account.name" not in (
        secret.metadata.annotations
    ):
        errors.append(
            required(Path("metadata").child("annotations").key("kubernetes.io/service-account.name"), "")
        )
    if secret.type == "kubernetes.io/basic-auth" and not keys & {"username", "password"}:
        errors.append(required(Path("data").key("username"), ""))
    size = sum(len(value) for value in secret.data.values()) + sum(
        len(value.encode("utf-8")) for value in secret.string_data.values()
    )
    if size > MAX_DATA_SIZE:
        errors.append(too_long(Path("data"), MAX_DATA_SIZE))
    return errors


def _access_modes(modes: Sequence[str], path: Path) -> list[FieldError]:
    if not modes:
        return [required(path, "at least 1 access mode is required")]
    errors = [not_supported(path, mode, ACCESS_MODES) for mode in modes if mode not in ACCESS_MODES]
    if "ReadWriteOncePod" in modes and len(modes) > 1:
        errors.append(forbidden(path, "may not use ReadWriteOncePod with other access modes"))
    return errors


def validate_persistent_volume(volume: core.PersistentVolume) -> list[FieldError]:
    errors: list[FieldError] = []
    spec, at = volume.spec, Path("spec")
    errors += _access_modes(spec.access_modes, at.child("accessModes"))
    if "storage" not in spec.capacity:
        errors.append(required(at.child("capacity"), ""))
    for name, quantity in spec.capacity.items():
        if name != "storage":
            errors.append(not_supported(at.child("capacity").key(name), name, ("storage",)))
        elif quantity <= _ZERO:
            errors.append(invalid(at.child("capacity").key(name), str(quantity), "must be greater than zero"))
    sources = _handler_count(spec.host_path, spec.nfs, spec.local, spec.csi)
    if sources == 0:
        errors.append(required(at, "must specify a volume type"))
    elif sources > 1:
        errors.append(forbidden(at, "may not specify more than 1 volume type"))
    errors += m.one_of(
        spec.persistent_volume_reclaim_policy,
        RECLAIM_POLICIES,
        at.child("persistentVolumeReclaimPolicy"),
        allow_empty=True,
    )
    if spec.local is not None and (spec.node_affinity is None or spec.node_affinity.required is None):
        errors.append(required(at.child("nodeAffinity"), "Local volume requires node affinity"))
    return errors


def persistent_volume_claim_spec(spec: core.PersistentVolumeClaimSpec, path: Path) -> list[FieldError]:
    errors = _access_modes(spec.access_modes, path.child("accessModes"))
    errors += m.label_selector(spec.selector, path.child("selector"))
    storage = spec.resources.requests.get("storage")
    storage_path = path.child("resources", "requests").key("storage")
    if storage is None:
        errors.append(required(storage_path, ""))
    elif storage <= _ZERO:
        errors.append(invalid(storage_path, str(storage), "must be greater than zero"))
    return errors


def validate_persistent_volume_claim(claim: core.PersistentVolumeClaim) -> list[FieldError]:
    return persistent_volume_claim_spec(claim.spec, Path("spec"))


def validate_core_event(event: core.Event) -> list[FieldError]:
    errors: list[FieldError] = []
    involved = event.involved_object
    if involved.namespace and involved.namespace != event.metadata.namespace:
        errors.append(
            invalid(
                Path("involvedObject").child("namespace"),
                involved.namespace,
                "does not match event.namespace",
            )
        )
    errors += m.nonnegative(event.count, Path("count"))
    return errors


def validate_binding(binding: core.Binding) -> list[FieldError]:
    """``ValidatePodBinding``: a Binding names a Node."""
    errors: list[FieldError] = []
    if binding.target.kind and binding.target.kind != "Node":
        errors.append(not_supported(Path("target").child("kind"), binding.target.kind, ("Node", "<empty>")))
    if not binding.target.name:
        errors.append(required(Path("target").child("name"), ""))
    return errors
