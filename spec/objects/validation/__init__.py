"""API validation of every kind: each error with its field path, as a Kubernetes Status reports it.

``validate(obj)`` returns every problem of ``obj`` as ``FieldError``\\ s
(empty when the object is valid); it never raises on bad input.
``invalid_status(obj, errors)`` is the 422 Status an API server answers
with. Validation expects a defaulted object (``spec.objects.default``), as
the API server validates after defaulting.

Modules: ``errors`` (field errors, paths, the Status), ``meta`` (names,
metadata, labels, selectors), ``corev1`` (Pod and the other core/v1 kinds),
``workloads`` (apps and batch), ``other`` (the remaining groups). Each
cites the upstream validation code it models.

Requirement IDs: none (the API server's requirements use it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

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
from spec.objects.meta import KindModel
from spec.objects.registry import info_of
from spec.objects.validation import corev1, meta, other, workloads
from spec.objects.validation.errors import ErrorType, FieldError, Path
from spec.objects.validation.errors import invalid_status as _invalid_status
from spec.objects.validation.meta import NameCheck

#: How each kind's name is checked (``ValidateObjectMetaAccessor``'s ``nameFn``); unlisted: DNS subdomain.
_NAME_CHECKS: Final[dict[type[KindModel], NameCheck]] = {
    core.Namespace: meta.name_is_dns_label,
    core.Service: meta.name_is_dns1035_label,
    # Current upstream (ValidateStatefulSetName): a DNS label, as its pods' hostnames derive from it.
    apps.StatefulSet: meta.name_is_dns_label,
    core.PersistentVolume: meta.name_is_path_segment,
    core.PersistentVolumeClaim: meta.name_is_path_segment,
    rbac.Role: meta.name_is_path_segment,
    rbac.ClusterRole: meta.name_is_path_segment,
    rbac.RoleBinding: meta.name_is_path_segment,
    rbac.ClusterRoleBinding: meta.name_is_path_segment,
}


def _validate_csr(csr: Any) -> list[FieldError]:
    from spec.certificates import validate_csr  # spec/certificates.py imports this package's errors

    return validate_csr(csr)


#: Each kind's own rules, after those of its metadata.
_VALIDATORS: Final[dict[type[KindModel], Callable[[Any], list[FieldError]]]] = {
    core.Pod: corev1.validate_pod,
    core.Namespace: corev1.validate_namespace,
    core.Node: corev1.validate_node,
    core.Service: corev1.validate_service,
    core.ConfigMap: corev1.validate_config_map,
    core.Secret: corev1.validate_secret,
    core.ServiceAccount: lambda account: [],  # nothing beyond its metadata
    core.PersistentVolume: corev1.validate_persistent_volume,
    core.PersistentVolumeClaim: corev1.validate_persistent_volume_claim,
    core.Event: corev1.validate_core_event,
    core.Binding: corev1.validate_binding,
    apps.ReplicaSet: workloads.validate_replica_set,
    apps.Deployment: workloads.validate_deployment,
    apps.StatefulSet: workloads.validate_stateful_set,
    apps.DaemonSet: workloads.validate_daemon_set,
    batch.Job: workloads.validate_job,
    batch.CronJob: workloads.validate_cron_job,
    coordination.Lease: other.validate_lease,
    discovery.EndpointSlice: other.validate_endpoint_slice,
    networking.NetworkPolicy: other.validate_network_policy,
    storage_group.StorageClass: other.validate_storage_class,
    rbac.Role: other.validate_role,
    rbac.ClusterRole: other.validate_cluster_role,
    rbac.RoleBinding: other.validate_role_binding,
    rbac.ClusterRoleBinding: other.validate_cluster_role_binding,
    apiextensions.CustomResourceDefinition: other.validate_custom_resource_definition,
    events.Event: other.validate_structured_event,
    certificates.CertificateSigningRequest: _validate_csr,
}


def validate(obj: KindModel) -> list[FieldError]:
    """Every reason the API server would refuse to create ``obj``; [] if it would accept it.

    The metadata first (name, namespace as the kind's scope demands, labels,
    annotations, owners, finalizers), then the kind's own rules. A Binding
    is not stored, and upstream validates only its target.
    """
    errors: list[FieldError] = []
    kind = type(obj)
    if kind is not core.Binding:
        name_check = _NAME_CHECKS.get(kind, meta.name_is_dns_subdomain)
        errors += meta.object_meta(
            obj.metadata, namespaced=info_of(obj).namespaced, name_check=name_check, path=Path("metadata")
        )
    return errors + _VALIDATORS[kind](obj)


def invalid_status(obj: KindModel, errors: list[FieldError]) -> dict[str, Any]:
    """The 422 Invalid Status for ``obj`` and its ``errors``."""
    info = info_of(obj)
    return _invalid_status(info.group, info.kind, obj.metadata.name, errors)


__all__ = ["ErrorType", "FieldError", "Path", "invalid_status", "validate"]
