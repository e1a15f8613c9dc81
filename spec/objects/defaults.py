"""Defaulting: the values the API server fills in before validating and storing an object.

Pure functions: each takes an object and returns a new one; applying one
twice gives the same object as applying it once. ``default(obj)`` picks the
function for the object's kind.

Upstream (k/k unless said otherwise), one ``SetDefaults_*`` per type, run by
the generated ``zz_generated.defaults.go`` of each group, which calls a
type's own defaulter before those of the fields inside it:

- ``pkg/apis/core/v1/defaults.go`` (the indexed version with
  ``SetDefaults_EphemeralContainer`` and ``LoadBalancerIPMode``, v1.30-era):
  Pod, PodSpec, Container, Probe, HTTPGetAction, Volume and its sources,
  ResourceList, Service, Secret, Namespace, Node status, PersistentVolume,
  PersistentVolumeClaim(Spec), ObjectFieldSelector; ``+default=TCP`` tags in
  ``k8s.io/api/core/v1/types.go`` for ContainerPort and ServicePort
  protocols; image names read as ``github.com/distribution/reference``
  (``ParseNormalizedNamed``) reads them.
- ``pkg/apis/apps/v1/defaults.go`` and ``zz_generated.defaults.go``
  (Deployment, ReplicaSet, StatefulSet with its volumeClaimTemplates,
  DaemonSet; pod templates get the PodSpec-level defaults only).
- ``pkg/apis/batch/v1/defaults.go`` (Job, CronJob; the indexed version with
  ``JobPodReplacementPolicy`` and ``ManualSelector``).
- ``pkg/apis/networking/v1/defaults.go``, ``pkg/apis/rbac/v1/defaults.go``,
  ``pkg/apis/storage/v1/defaults.go``, ``pkg/apis/discovery/v1/defaults.go``,
  apiextensions-apiserver ``pkg/apis/apiextensions/v1/defaults.go``.

Feature gates are taken at their default in that version: on for
StatefulSetAutoDeletePVC, JobPodReplacementPolicy and LoadBalancerIPMode;
InPlacePodVerticalScaling (resizePolicy) is outside the modelled fields.

Where upstream surprises (each is checked by a test):

- Resource quantities are rounded UP to a thousandth (``SetDefaults_ResourceList``,
  "to maintain API compatibility"): ``1n`` of cpu becomes ``1m``, and
  negative values round away from zero.
- A Pod (not a pod template) gets ``requests`` copied from ``limits`` for
  every resource with a limit and no request, ``enableServiceLinks: true``,
  and with ``hostNetwork`` every container port's ``hostPort`` set to its
  ``containerPort``. Templates in Deployments etc. get none of these.
- ``imagePullPolicy`` is ``Always`` only when the image's tag is ``latest``
  or it has neither tag nor digest; an image with only a digest, or one the
  reference grammar rejects (``Nginx``, ``""``), gets ``IfNotPresent``.
- A Namespace always gets the label ``kubernetes.io/metadata.name`` set to
  its name, overwriting any value given.
- A StatefulSet's ``volumeClaimTemplates`` are defaulted as claims, so each
  gets ``status.phase: Pending`` and ``volumeMode: Filesystem``.
- A StatefulSet whose ``updateStrategy.type`` is given as ``RollingUpdate``
  without a ``rollingUpdate`` block gets no ``partition``: only an empty
  type creates the block.
- A Job copies its pod template's labels to its own when it has none; with
  ``backoffLimitPerIndex`` set, ``backoffLimit`` defaults to 2147483647, not 6.
- A CronJob's ``jobTemplate.spec`` is not defaulted as a Job (no
  backoffLimit, completions, ...): only its pod template is.
- A Service with ``sessionAffinity: None`` loses any
  ``sessionAffinityConfig``; ``ClientIP`` gets a 10800 s timeout.
- ConfigMap ``data`` defaults to an empty map, which upstream's JSON leaves
  out anyway; the spec's empty map is the same object, so nothing changes.

Requirement IDs: none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, Final, TypeVar, cast

from spec.intstr import IntOrString
from spec.objects import apiextensions, apps, batch, core, discovery, networking, rbac
from spec.objects import storage as storage_group
from spec.objects.base import INT32_MAX, FrozenMap, Model, ResourceList
from spec.objects.meta import KindModel
from spec.quantity import Quantity

M = TypeVar("M", bound=Model)
V = TypeVar("V")
K = TypeVar("K", bound=KindModel)

#: Constants of core/v1 types.go.
DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS: Final = 30
TERMINATION_MESSAGE_PATH_DEFAULT: Final = "/dev/termination-log"
SECRET_VOLUME_DEFAULT_MODE: Final = 0o644
CONFIG_MAP_VOLUME_DEFAULT_MODE: Final = 0o644
DEFAULT_CLIENT_IP_SERVICE_AFFINITY_SECONDS: Final = 10800
LABEL_METADATA_NAME: Final = "kubernetes.io/metadata.name"
#: The apps/v1 defaults (apps/v1/defaults.go).
DEFAULT_REVISION_HISTORY_LIMIT: Final = 10
DEFAULT_PROGRESS_DEADLINE_SECONDS: Final = 600
DEFAULT_BACKOFF_LIMIT: Final = 6


def _map(items: Iterable[M], function: Callable[[M], M]) -> tuple[M, ...]:
    return tuple(function(item) for item in items)


def _given(value: V | None, default: V) -> V:
    """Go's ``if x == nil { x = default }`` for a pointer field."""
    return default if value is None else value


# -- resource quantities ----------------------------------------------------------------


def round_up_to_milli(quantity: Quantity) -> Quantity:
    """``Quantity.RoundUp(-3)``: to a whole number of thousandths, away from zero; exact values are kept."""
    if quantity.exponent >= -3:
        return quantity
    shift = 10 ** (-3 - quantity.exponent)
    magnitude = -(-abs(quantity.coefficient) // shift)
    return Quantity(magnitude if quantity.coefficient > 0 else -magnitude, -3, quantity.format)


def default_resource_list(resources: ResourceList) -> ResourceList:
    """``SetDefaults_ResourceList``: every quantity rounded up to milli precision."""
    if all(quantity.exponent >= -3 for quantity in resources.values()):
        return resources
    return FrozenMap({name: round_up_to_milli(quantity) for name, quantity in resources.items()})


# -- image references (github.com/distribution/reference, regexp.go and normalize.go) ---------

_ALPHANUMERIC: Final = "[a-z0-9]+"
_SEPARATOR: Final = "(?:[._]|__|[-]+)"
_PATH_COMPONENT: Final = f"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_DOMAIN_COMPONENT: Final = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST: Final = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_NAME: Final = rf"(?:{_HOST}(?::[0-9]+)?/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG: Final = r"[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}"  # Go's \w is ASCII
_DIGEST: Final = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE: Final = re.compile(rf"(?P<name>{_NAME})(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?")
_IDENTIFIER: Final = re.compile("[a-f0-9]{64}")
#: Digest algorithms Kubernetes links in (crypto/sha256, crypto/sha512) and their hex lengths.
_DIGEST_HEX_LENGTHS: Final = {"sha256": 64, "sha384": 96, "sha512": 128}
_NAME_TOTAL_LENGTH_MAX: Final = 255


def image_tag(image: str) -> str:
    """The tag upstream's ``parsers.ParseImageName`` finds: ``latest`` when there is neither tag nor digest.

    ``""`` when the image has only a digest, or when the reference does not
    parse (the defaulter ignores that error and sees no tag).
    """
    if _IDENTIFIER.fullmatch(image):
        return ""
    slash = image.find("/")
    first = image[:slash]
    if slash == -1 or (not any(c in first for c in ".:") and first != "localhost" and first.lower() == first):
        domain, remainder = "docker.io", image
    else:
        domain, remainder = first, image[slash + 1 :]
    if domain == "docker.io" and "/" not in remainder:
        remainder = "library/" + remainder
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        return ""  # "repository name must be lowercase"
    match = _REFERENCE.fullmatch(f"{domain}/{remainder}")
    if match is None or len(match["name"]) > _NAME_TOTAL_LENGTH_MAX:
        return ""
    digest = match["digest"]
    if digest is not None:
        algorithm, _, hex_digits = digest.partition(":")
        if _DIGEST_HEX_LENGTHS.get(algorithm) != len(hex_digits) or not re.fullmatch("[a-f0-9]+", hex_digits):
            return ""  # unsupported algorithm or malformed digest: a parse error upstream
    if match["tag"] is not None:
        return match["tag"]
    return "" if digest is not None else "latest"


def default_image_pull_policy(image: str) -> str:
    return "Always" if image_tag(image) == "latest" else "IfNotPresent"


# -- containers, probes, volumes -------------------------------------------------------------


def default_http_get(action: core.HTTPGetAction) -> core.HTTPGetAction:
    return action.replace(path=action.path or "/", scheme=action.scheme or "HTTP")


def default_probe(probe: core.Probe) -> core.Probe:
    """``SetDefaults_Probe`` and, for an httpGet probe, ``SetDefaults_HTTPGetAction``."""
    return probe.replace(
        timeout_seconds=probe.timeout_seconds or 1,
        period_seconds=probe.period_seconds or 10,
        success_threshold=probe.success_threshold or 1,
        failure_threshold=probe.failure_threshold or 3,
        http_get=default_http_get(probe.http_get) if probe.http_get is not None else None,
    )


def _default_env_var(env: core.EnvVar) -> core.EnvVar:
    source = env.value_from
    if source is None or source.field_ref is None or source.field_ref.api_version:
        return env
    field_ref = source.field_ref.replace(api_version="v1")  # SetDefaults_ObjectFieldSelector
    return env.replace(value_from=source.replace(field_ref=field_ref))


def default_container(container: core.Container) -> core.Container:
    """``SetDefaults_Container`` plus what the generated defaulter does for its fields."""

    def probe(value: core.Probe | None) -> core.Probe | None:
        return default_probe(value) if value is not None else None

    return container.replace(
        image_pull_policy=container.image_pull_policy or default_image_pull_policy(container.image),
        termination_message_path=container.termination_message_path or TERMINATION_MESSAGE_PATH_DEFAULT,
        termination_message_policy=container.termination_message_policy or "File",
        ports=_map(container.ports, lambda port: port.replace(protocol=port.protocol or "TCP")),
        env=_map(container.env, _default_env_var),
        resources=container.resources.replace(
            limits=default_resource_list(container.resources.limits),
            requests=default_resource_list(container.resources.requests),
        ),
        liveness_probe=probe(container.liveness_probe),
        readiness_probe=probe(container.readiness_probe),
        startup_probe=probe(container.startup_probe),
    )


def default_volume(volume: core.Volume) -> core.Volume:
    """``SetDefaults_Volume`` (no source means emptyDir) and the defaults of each source."""
    if not volume.has_source():
        volume = volume.replace(empty_dir=core.EmptyDirVolumeSource())
    if volume.secret is not None and volume.secret.default_mode is None:
        volume = volume.replace(secret=volume.secret.replace(default_mode=SECRET_VOLUME_DEFAULT_MODE))
    if volume.config_map is not None and volume.config_map.default_mode is None:
        volume = volume.replace(
            config_map=volume.config_map.replace(default_mode=CONFIG_MAP_VOLUME_DEFAULT_MODE)
        )
    if volume.host_path is not None and volume.host_path.type is None:
        volume = volume.replace(host_path=volume.host_path.replace(type=""))  # HostPathUnset
    return volume


def default_pod_spec(spec: core.PodSpec) -> core.PodSpec:
    """What every PodSpec gets, in a Pod or in a template (``SetDefaults_PodSpec`` and its fields)."""
    return spec.replace(
        dns_policy=spec.dns_policy or "ClusterFirst",
        restart_policy=spec.restart_policy or "Always",
        security_context=_given(spec.security_context, core.PodSecurityContext()),
        termination_grace_period_seconds=_given(
            spec.termination_grace_period_seconds, DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS
        ),
        scheduler_name=spec.scheduler_name or core.DEFAULT_SCHEDULER_NAME,
        volumes=_map(spec.volumes, default_volume),
        init_containers=_map(spec.init_containers, default_container),
        containers=_map(spec.containers, default_container),
    )


def default_pod_template(template: core.PodTemplateSpec) -> core.PodTemplateSpec:
    return template.replace(spec=default_pod_spec(template.spec))


# -- Pod ---------------------------------------------------------------------------------------


def _requests_from_limits(container: core.Container) -> core.Container:
    resources = container.resources
    missing = {name: value for name, value in resources.limits.items() if name not in resources.requests}
    if not missing:
        return container
    requests = FrozenMap({**resources.requests, **missing})
    return container.replace(resources=resources.replace(requests=requests))


def _host_ports_from_container_ports(container: core.Container) -> core.Container:
    def port(value: core.ContainerPort) -> core.ContainerPort:
        return value if value.host_port else value.replace(host_port=value.container_port)

    return container.replace(ports=_map(container.ports, port))


def default_pod(pod: core.Pod) -> core.Pod:
    """``SetDefaults_Pod`` (Pod only, not templates), then the PodSpec defaults."""
    spec = pod.spec
    spec = spec.replace(
        containers=_map(spec.containers, _requests_from_limits),
        init_containers=_map(spec.init_containers, _requests_from_limits),
        enable_service_links=_given(spec.enable_service_links, True),
    )
    if spec.host_network:
        spec = spec.replace(
            containers=_map(spec.containers, _host_ports_from_container_ports),
            init_containers=_map(spec.init_containers, _host_ports_from_container_ports),
        )
    return pod.replace(spec=default_pod_spec(spec))


# -- other core kinds ---------------------------------------------------------------------------


def default_namespace(namespace: core.Namespace) -> core.Namespace:
    metadata = namespace.metadata
    if metadata.name:  # a namespace created with generateName has no name yet
        metadata = metadata.replace(labels=metadata.labels.set(LABEL_METADATA_NAME, metadata.name))
    status = namespace.status.replace(phase=namespace.status.phase or "Active")
    return namespace.replace(metadata=metadata, status=status)


def default_node(node: core.Node) -> core.Node:
    status = node.status
    # Go distinguishes a nil map from an empty one; an empty capacity copies as empty, same thing.
    allocatable = status.allocatable if status.allocatable else status.capacity
    status = status.replace(
        capacity=default_resource_list(status.capacity), allocatable=default_resource_list(allocatable)
    )
    return node.replace(status=status)


def _externally_accessible(spec: core.ServiceSpec) -> bool:
    """k/k ``pkg/api/v1/service/util.go`` ``ExternallyAccessible``."""
    return spec.type in ("LoadBalancer", "NodePort") or (spec.type == "ClusterIP" and bool(spec.external_ips))


def default_service(service: core.Service) -> core.Service:
    """``SetDefaults_Service``, in upstream's order (the type is defaulted after session affinity)."""
    spec = service.spec
    spec = spec.replace(session_affinity=spec.session_affinity or "None")
    if spec.session_affinity == "None":
        spec = spec.replace(session_affinity_config=None)
    elif spec.session_affinity == "ClientIP":
        config = spec.session_affinity_config
        if config is None or config.client_ip is None or config.client_ip.timeout_seconds is None:
            spec = spec.replace(
                session_affinity_config=core.SessionAffinityConfig(
                    client_ip=core.ClientIPConfig(timeout_seconds=DEFAULT_CLIENT_IP_SERVICE_AFFINITY_SECONDS)
                )
            )
    spec = spec.replace(type=spec.type or "ClusterIP")

    def port(value: core.ServicePort) -> core.ServicePort:
        target = value.target_port
        if target in (IntOrString(0), IntOrString("")):
            target = IntOrString(value.port)
        return value.replace(protocol=value.protocol or "TCP", target_port=target)

    spec = spec.replace(ports=_map(spec.ports, port))
    if _externally_accessible(spec) and not spec.external_traffic_policy:
        spec = spec.replace(external_traffic_policy="Cluster")
    if spec.internal_traffic_policy is None and spec.type in ("NodePort", "LoadBalancer", "ClusterIP"):
        spec = spec.replace(internal_traffic_policy="Cluster")
    status = service.status
    if spec.type == "LoadBalancer":
        if spec.allocate_load_balancer_node_ports is None:
            spec = spec.replace(allocate_load_balancer_node_ports=True)
        ingress = _map(
            status.load_balancer.ingress,
            lambda entry: entry.replace(ip_mode="VIP") if entry.ip and entry.ip_mode is None else entry,
        )
        status = status.replace(load_balancer=status.load_balancer.replace(ingress=ingress))
    return service.replace(spec=spec, status=status)


def default_secret(secret: core.Secret) -> core.Secret:
    return secret.replace(type=secret.type or "Opaque")


def default_persistent_volume(volume: core.PersistentVolume) -> core.PersistentVolume:
    spec = volume.spec
    host_path = spec.host_path
    if host_path is not None and host_path.type is None:
        host_path = host_path.replace(type="")
    spec = spec.replace(
        persistent_volume_reclaim_policy=spec.persistent_volume_reclaim_policy or "Retain",
        volume_mode=_given(spec.volume_mode, "Filesystem"),
        capacity=default_resource_list(spec.capacity),
        host_path=host_path,
    )
    status = volume.status.replace(phase=volume.status.phase or "Pending")
    return volume.replace(spec=spec, status=status)


def default_persistent_volume_claim(claim: core.PersistentVolumeClaim) -> core.PersistentVolumeClaim:
    """``SetDefaults_PersistentVolumeClaim`` and ``SetDefaults_PersistentVolumeClaimSpec``."""
    spec = claim.spec
    spec = spec.replace(
        volume_mode=_given(spec.volume_mode, "Filesystem"),
        resources=spec.resources.replace(
            limits=default_resource_list(spec.resources.limits),
            requests=default_resource_list(spec.resources.requests),
        ),
    )
    status = claim.status.replace(
        phase=claim.status.phase or "Pending", capacity=default_resource_list(claim.status.capacity)
    )
    return claim.replace(spec=spec, status=status)


# -- apps/v1 -----------------------------------------------------------------------------------------


def default_deployment(deployment: apps.Deployment) -> apps.Deployment:
    spec = deployment.spec
    strategy = spec.strategy.replace(type=spec.strategy.type or "RollingUpdate")
    if strategy.type == "RollingUpdate":
        rolling = strategy.rolling_update or apps.RollingUpdateDeployment()
        strategy = strategy.replace(
            rolling_update=rolling.replace(
                max_unavailable=_given(rolling.max_unavailable, IntOrString("25%")),
                max_surge=_given(rolling.max_surge, IntOrString("25%")),
            )
        )
    spec = spec.replace(
        replicas=_given(spec.replicas, 1),
        strategy=strategy,
        revision_history_limit=_given(spec.revision_history_limit, DEFAULT_REVISION_HISTORY_LIMIT),
        progress_deadline_seconds=_given(spec.progress_deadline_seconds, DEFAULT_PROGRESS_DEADLINE_SECONDS),
        template=default_pod_template(spec.template),
    )
    return deployment.replace(spec=spec)


def default_replica_set(replica_set: apps.ReplicaSet) -> apps.ReplicaSet:
    spec = replica_set.spec
    spec = spec.replace(replicas=_given(spec.replicas, 1), template=default_pod_template(spec.template))
    return replica_set.replace(spec=spec)


def default_stateful_set(stateful_set: apps.StatefulSet) -> apps.StatefulSet:
    spec = stateful_set.spec
    strategy = spec.update_strategy
    if not strategy.type:
        strategy = strategy.replace(
            type="RollingUpdate",
            rolling_update=strategy.rolling_update or apps.RollingUpdateStatefulSetStrategy(),
        )
    if (
        strategy.type == "RollingUpdate"
        and strategy.rolling_update is not None
        and strategy.rolling_update.partition is None
    ):
        strategy = strategy.replace(rolling_update=strategy.rolling_update.replace(partition=0))
    retention = spec.persistent_volume_claim_retention_policy or (
        apps.StatefulSetPersistentVolumeClaimRetentionPolicy()
    )
    retention = retention.replace(
        when_deleted=retention.when_deleted or "Retain", when_scaled=retention.when_scaled or "Retain"
    )
    spec = spec.replace(
        pod_management_policy=spec.pod_management_policy or "OrderedReady",
        update_strategy=strategy,
        persistent_volume_claim_retention_policy=retention,
        replicas=_given(spec.replicas, 1),
        revision_history_limit=_given(spec.revision_history_limit, DEFAULT_REVISION_HISTORY_LIMIT),
        template=default_pod_template(spec.template),
        volume_claim_templates=_map(spec.volume_claim_templates, default_persistent_volume_claim),
    )
    return stateful_set.replace(spec=spec)


def default_daemon_set(daemon_set: apps.DaemonSet) -> apps.DaemonSet:
    spec = daemon_set.spec
    strategy = spec.update_strategy.replace(type=spec.update_strategy.type or "RollingUpdate")
    if strategy.type == "RollingUpdate":
        rolling = strategy.rolling_update or apps.RollingUpdateDaemonSet()
        strategy = strategy.replace(
            rolling_update=rolling.replace(
                max_unavailable=_given(rolling.max_unavailable, IntOrString(1)),
                max_surge=_given(rolling.max_surge, IntOrString(0)),
            )
        )
    spec = spec.replace(
        update_strategy=strategy,
        revision_history_limit=_given(spec.revision_history_limit, DEFAULT_REVISION_HISTORY_LIMIT),
        template=default_pod_template(spec.template),
    )
    return daemon_set.replace(spec=spec)


# -- batch/v1 -------------------------------------------------------------------------------------------


def default_job(job: batch.Job) -> batch.Job:
    spec = job.spec
    if spec.completions is None and spec.parallelism is None:
        spec = spec.replace(completions=1, parallelism=1)
    if spec.backoff_limit is None:
        spec = spec.replace(backoff_limit=INT32_MAX if spec.backoff_limit_per_index is not None else 6)
    spec = spec.replace(
        parallelism=_given(spec.parallelism, 1),
        completion_mode=_given(spec.completion_mode, "NonIndexed"),
        suspend=_given(spec.suspend, False),
        # No podFailurePolicy is modelled, so the default is always TerminatingOrFailed
        # (with a podFailurePolicy upstream picks Failed).
        pod_replacement_policy=_given(spec.pod_replacement_policy, "TerminatingOrFailed"),
        manual_selector=_given(spec.manual_selector, False),
        template=default_pod_template(spec.template),
    )
    metadata = job.metadata
    if spec.template.metadata.labels and not metadata.labels:
        metadata = metadata.replace(labels=spec.template.metadata.labels)
    return job.replace(metadata=metadata, spec=spec)


def default_cron_job(cron_job: batch.CronJob) -> batch.CronJob:
    spec = cron_job.spec
    job_spec = spec.job_template.spec
    spec = spec.replace(
        concurrency_policy=spec.concurrency_policy or "Allow",
        suspend=_given(spec.suspend, False),
        successful_jobs_history_limit=_given(spec.successful_jobs_history_limit, 3),
        failed_jobs_history_limit=_given(spec.failed_jobs_history_limit, 1),
        job_template=spec.job_template.replace(
            spec=job_spec.replace(template=default_pod_template(job_spec.template))
        ),
    )
    return cron_job.replace(spec=spec)


# -- the other groups ------------------------------------------------------------------------------------


def default_network_policy(policy: networking.NetworkPolicy) -> networking.NetworkPolicy:
    spec = policy.spec

    def ports(items: tuple[networking.NetworkPolicyPort, ...]) -> tuple[networking.NetworkPolicyPort, ...]:
        return _map(items, lambda port: port.replace(protocol=_given(port.protocol, "TCP")))

    spec = spec.replace(
        ingress=_map(spec.ingress, lambda rule: rule.replace(ports=ports(rule.ports))),
        egress=_map(spec.egress, lambda rule: rule.replace(ports=ports(rule.ports))),
    )
    if not spec.policy_types:
        # "Any policy that does not specify policyTypes implies at least Ingress."
        spec = spec.replace(policy_types=("Ingress", "Egress") if spec.egress else ("Ingress",))
    return policy.replace(spec=spec)


def _default_subject(subject: rbac.Subject) -> rbac.Subject:
    if subject.api_group or subject.kind not in ("User", "Group"):
        return subject  # a ServiceAccount's group is "", which is what it already is
    return subject.replace(api_group=rbac.GROUP_NAME)


B = TypeVar("B", rbac.RoleBinding, rbac.ClusterRoleBinding)


def default_binding(binding: B) -> B:
    """``SetDefaults_RoleBinding`` / ``SetDefaults_ClusterRoleBinding`` and ``SetDefaults_Subject``."""
    role_ref = binding.role_ref.replace(api_group=binding.role_ref.api_group or rbac.GROUP_NAME)
    return binding.replace(role_ref=role_ref, subjects=_map(binding.subjects, _default_subject))


def default_storage_class(storage_class: storage_group.StorageClass) -> storage_group.StorageClass:
    return storage_class.replace(
        reclaim_policy=_given(storage_class.reclaim_policy, "Delete"),
        volume_binding_mode=_given(storage_class.volume_binding_mode, "Immediate"),
    )


def default_endpoint_slice(slice_: discovery.EndpointSlice) -> discovery.EndpointSlice:
    return slice_.replace(
        ports=_map(
            slice_.ports,
            lambda port: port.replace(name=_given(port.name, ""), protocol=_given(port.protocol, "TCP")),
        )
    )


def default_custom_resource_definition(
    definition: apiextensions.CustomResourceDefinition,
) -> apiextensions.CustomResourceDefinition:
    spec = definition.spec
    names = spec.names.replace(singular=spec.names.singular or spec.names.kind.lower())
    if not names.list_kind and names.kind:
        names = names.replace(list_kind=names.kind + "List")
    spec = spec.replace(
        names=names, conversion=spec.conversion or apiextensions.CustomResourceConversion(strategy="None")
    )
    status = definition.status
    if not status.stored_versions:
        storage_versions = [version.name for version in spec.versions if version.storage]
        status = status.replace(stored_versions=tuple(storage_versions[:1]))
    return definition.replace(spec=spec, status=status)


# -- dispatch ---------------------------------------------------------------------------------------

_DEFAULTERS: Final[dict[type[KindModel], Callable[[Any], KindModel]]] = {
    core.Pod: default_pod,
    core.Namespace: default_namespace,
    core.Node: default_node,
    core.Service: default_service,
    core.Secret: default_secret,
    core.PersistentVolume: default_persistent_volume,
    core.PersistentVolumeClaim: default_persistent_volume_claim,
    apps.Deployment: default_deployment,
    apps.ReplicaSet: default_replica_set,
    apps.StatefulSet: default_stateful_set,
    apps.DaemonSet: default_daemon_set,
    batch.Job: default_job,
    batch.CronJob: default_cron_job,
    networking.NetworkPolicy: default_network_policy,
    rbac.RoleBinding: default_binding,
    rbac.ClusterRoleBinding: default_binding,
    storage_group.StorageClass: default_storage_class,
    discovery.EndpointSlice: default_endpoint_slice,
    apiextensions.CustomResourceDefinition: default_custom_resource_definition,
}


def default(obj: K) -> K:
    """``obj`` with upstream's defaults filled in; kinds upstream does not default come back unchanged.

    (ConfigMap, ServiceAccount, Event, Binding, Lease, Role and ClusterRole
    have no defaulted field among those modelled.)
    """
    defaulter = _DEFAULTERS.get(type(obj))
    return obj if defaulter is None else cast(K, defaulter(obj))
