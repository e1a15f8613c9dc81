"""core/v1 (the legacy group, ``apiVersion: v1``): Pod, Node, Namespace, Service, ConfigMap, Secret,
ServiceAccount, PersistentVolume, PersistentVolumeClaim, Event, Binding, and the parts they share.

Upstream: kubernetes/api ``core/v1/types.go`` (field names, JSON names,
which fields are pointers). Only the fields the seed's components use are
modelled (issue 3 lists them); any other field in an input is ignored when
read, as the API server ignores unknown fields by default, and reported by
``from_dict(..., strict=True)``.

Enumerations (restartPolicy, phase, protocol, ...) are plain strings, as in
the API: a value the API does not know is representable, and validation
says so. The known values are listed as constants here.

Requirement IDs: none.
"""

from __future__ import annotations

from typing import ClassVar, Final

from spec.intstr import IntOrString
from spec.objects.base import (
    AlwaysWritten,
    Base64Bytes,
    FrozenMap,
    Int32,
    Int64,
    IntOrStringValue,
    MicroTime,
    Model,
    QuantityValue,
    ResourceList,
    Seq,
    Time,
    wire_name,
)
from spec.objects.meta import KindModel, LabelSelector, ObjectMeta

# -- known values of string enumerations (types.go constants) ------------------------

RESTART_POLICIES: Final = ("Always", "OnFailure", "Never")
DNS_POLICIES: Final = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
PULL_POLICIES: Final = ("Always", "Never", "IfNotPresent")
PROTOCOLS: Final = ("TCP", "UDP", "SCTP")
POD_PHASES: Final = ("Pending", "Running", "Succeeded", "Failed", "Unknown")
TAINT_EFFECTS: Final = ("NoSchedule", "PreferNoSchedule", "NoExecute")
TOLERATION_OPERATORS: Final = ("Exists", "Equal")
NODE_SELECTOR_OPERATORS: Final = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")
SERVICE_TYPES: Final = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
ACCESS_MODES: Final = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
RECLAIM_POLICIES: Final = ("Recycle", "Delete", "Retain")
VOLUME_MODES: Final = ("Block", "Filesystem")
CONDITION_STATUSES: Final = ("True", "False", "Unknown")
DEFAULT_SCHEDULER_NAME: Final = "default-scheduler"


# -- references --------------------------------------------------------------------


class ObjectReference(Model):
    """A reference to any object (an event's subject, a Binding's node, a PV's claim)."""

    kind: str = ""
    namespace: str = ""
    name: str = ""
    uid: str = ""
    api_version: str = ""
    resource_version: str = ""
    field_path: str = ""


class LocalObjectReference(Model):
    """A reference to an object in the same namespace, by name (imagePullSecrets)."""

    name: str = ""


# -- containers ----------------------------------------------------------------------


class ObjectFieldSelector(Model):
    api_version: str = ""
    field_path: str = ""


class ResourceFieldSelector(Model):
    container_name: str = ""
    resource: str = ""
    divisor: QuantityValue | None = None


class ConfigMapKeySelector(Model):
    name: str = ""
    key: str = ""
    optional: bool | None = None


class SecretKeySelector(Model):
    name: str = ""
    key: str = ""
    optional: bool | None = None


class EnvVarSource(Model):
    field_ref: ObjectFieldSelector | None = None
    resource_field_ref: ResourceFieldSelector | None = None
    config_map_key_ref: ConfigMapKeySelector | None = None
    secret_key_ref: SecretKeySelector | None = None


class EnvVar(Model):
    name: str = ""
    value: str = ""
    value_from: EnvVarSource | None = None


class ConfigMapEnvSource(Model):
    name: str = ""
    optional: bool | None = None


class SecretEnvSource(Model):
    name: str = ""
    optional: bool | None = None


class EnvFromSource(Model):
    prefix: str = ""
    config_map_ref: ConfigMapEnvSource | None = None
    secret_ref: SecretEnvSource | None = None


class ContainerPort(Model):
    name: str = ""
    host_port: Int32 = 0
    container_port: Int32 = 0
    protocol: str = ""
    host_ip: str = wire_name("hostIP", "")


class ResourceRequirements(Model):
    limits: ResourceList = FrozenMap()
    requests: ResourceList = FrozenMap()


class VolumeMount(Model):
    name: str = ""
    read_only: bool = False
    mount_path: str = ""
    sub_path: str = ""


class ExecAction(Model):
    command: Seq[str] = ()


class HTTPHeader(Model):
    name: str = ""
    value: str = ""


class HTTPGetAction(Model):
    path: str = ""
    port: IntOrStringValue = IntOrString(0)
    host: str = ""
    scheme: str = ""
    http_headers: Seq[HTTPHeader] = ()


class TCPSocketAction(Model):
    port: IntOrStringValue = IntOrString(0)
    host: str = ""


class Probe(Model):
    """A readiness, liveness or startup probe: one handler (exec, httpGet, tcpSocket) and its timing."""

    exec: ExecAction | None = None
    http_get: HTTPGetAction | None = None
    tcp_socket: TCPSocketAction | None = None
    initial_delay_seconds: Int32 = 0
    timeout_seconds: Int32 = 0
    period_seconds: Int32 = 0
    success_threshold: Int32 = 0
    failure_threshold: Int32 = 0
    termination_grace_period_seconds: Int64 | None = None


class Capabilities(Model):
    add: Seq[str] = ()
    drop: Seq[str] = ()


class SecurityContext(Model):
    """A container's security settings (the subset manifests commonly set)."""

    capabilities: Capabilities | None = None
    privileged: bool | None = None
    run_as_user: Int64 | None = None
    run_as_group: Int64 | None = None
    run_as_non_root: bool | None = None
    read_only_root_filesystem: bool | None = None
    allow_privilege_escalation: bool | None = None


class Container(Model):
    name: str = ""
    image: str = ""
    command: Seq[str] = ()
    args: Seq[str] = ()
    working_dir: str = ""
    ports: Seq[ContainerPort] = ()
    env_from: Seq[EnvFromSource] = ()
    env: Seq[EnvVar] = ()
    resources: ResourceRequirements = ResourceRequirements()
    #: Only ``Always``, on an init container: a sidecar (KEP-753).
    restart_policy: str | None = None
    volume_mounts: Seq[VolumeMount] = ()
    liveness_probe: Probe | None = None
    readiness_probe: Probe | None = None
    startup_probe: Probe | None = None
    termination_message_path: str = ""
    termination_message_policy: str = ""
    image_pull_policy: str = ""
    security_context: SecurityContext | None = None


# -- volumes ---------------------------------------------------------------------------


class PersistentVolumeClaimVolumeSource(Model):
    claim_name: str = ""
    read_only: bool = False


class KeyToPath(Model):
    key: str = ""
    path: str = ""
    mode: Int32 | None = None


class ConfigMapVolumeSource(Model):
    name: str = ""
    items: Seq[KeyToPath] = ()
    default_mode: Int32 | None = None
    optional: bool | None = None


class SecretVolumeSource(Model):
    secret_name: str = ""
    items: Seq[KeyToPath] = ()
    default_mode: Int32 | None = None
    optional: bool | None = None


class EmptyDirVolumeSource(Model):
    medium: str = ""
    size_limit: QuantityValue | None = None


class HostPathVolumeSource(Model):
    path: str = ""
    type: str | None = None


class Volume(Model):
    """A named volume of a pod; exactly one source should be set (VolumeSource is inlined in Go)."""

    name: str = ""
    host_path: HostPathVolumeSource | None = None
    empty_dir: EmptyDirVolumeSource | None = None
    secret: SecretVolumeSource | None = None
    persistent_volume_claim: PersistentVolumeClaimVolumeSource | None = None
    config_map: ConfigMapVolumeSource | None = None

    def has_source(self) -> bool:
        return any(
            source is not None
            for source in (
                self.host_path,
                self.empty_dir,
                self.secret,
                self.persistent_volume_claim,
                self.config_map,
            )
        )


# -- scheduling: affinity, tolerations, spreading ---------------------------------------


class NodeSelectorRequirement(Model):
    key: str = ""
    operator: str = ""
    values: Seq[str] = ()


class NodeSelectorTerm(Model):
    match_expressions: Seq[NodeSelectorRequirement] = ()
    match_fields: Seq[NodeSelectorRequirement] = ()


class NodeSelector(Model):
    node_selector_terms: Seq[NodeSelectorTerm] = ()


class PreferredSchedulingTerm(Model):
    weight: Int32 = 0
    preference: NodeSelectorTerm = NodeSelectorTerm()


class NodeAffinity(Model):
    required_during_scheduling_ignored_during_execution: NodeSelector | None = None
    preferred_during_scheduling_ignored_during_execution: Seq[PreferredSchedulingTerm] = ()


class PodAffinityTerm(Model):
    label_selector: LabelSelector | None = None
    namespaces: Seq[str] = ()
    topology_key: str = ""
    namespace_selector: LabelSelector | None = None


class WeightedPodAffinityTerm(Model):
    weight: Int32 = 0
    pod_affinity_term: PodAffinityTerm = PodAffinityTerm()


class PodAffinity(Model):
    required_during_scheduling_ignored_during_execution: Seq[PodAffinityTerm] = ()
    preferred_during_scheduling_ignored_during_execution: Seq[WeightedPodAffinityTerm] = ()


class PodAntiAffinity(Model):
    required_during_scheduling_ignored_during_execution: Seq[PodAffinityTerm] = ()
    preferred_during_scheduling_ignored_during_execution: Seq[WeightedPodAffinityTerm] = ()


class Affinity(Model):
    node_affinity: NodeAffinity | None = None
    pod_affinity: PodAffinity | None = None
    pod_anti_affinity: PodAntiAffinity | None = None


class Toleration(Model):
    key: str = ""
    operator: str = ""
    value: str = ""
    effect: str = ""
    toleration_seconds: Int64 | None = None


class TopologySpreadConstraint(Model):
    max_skew: Int32 = 0
    topology_key: str = ""
    when_unsatisfiable: str = ""
    label_selector: LabelSelector | None = None
    min_domains: Int32 | None = None
    node_affinity_policy: str | None = None
    node_taints_policy: str | None = None
    match_label_keys: Seq[str] = ()


class PodSecurityContext(Model):
    run_as_user: Int64 | None = None
    run_as_group: Int64 | None = None
    run_as_non_root: bool | None = None
    supplemental_groups: Seq[Int64] = ()
    fs_group: Int64 | None = None


# -- Pod ------------------------------------------------------------------------------


class PodSpec(Model):
    volumes: Seq[Volume] = ()
    init_containers: Seq[Container] = ()
    containers: Seq[Container] = ()
    restart_policy: str = ""
    termination_grace_period_seconds: Int64 | None = None
    active_deadline_seconds: Int64 | None = None
    dns_policy: str = ""
    node_selector: FrozenMap[str, str] = FrozenMap()
    service_account_name: str = ""
    automount_service_account_token: bool | None = None
    node_name: str = ""
    host_network: bool = False
    security_context: PodSecurityContext | None = None
    image_pull_secrets: Seq[LocalObjectReference] = ()
    hostname: str = ""
    subdomain: str = ""
    affinity: Affinity | None = None
    scheduler_name: str = ""
    tolerations: Seq[Toleration] = ()
    priority_class_name: str = ""
    priority: Int32 | None = None
    #: PreemptLowerPriority (the default when empty) or Never: whether the pod may preempt others.
    preemption_policy: str | None = None
    topology_spread_constraints: Seq[TopologySpreadConstraint] = ()
    enable_service_links: bool | None = None
    #: What running the pod costs beyond its containers (RuntimeClass overhead): added to its requests.
    overhead: ResourceList = FrozenMap()

    def all_containers(self) -> tuple[Container, ...]:
        """Init containers, then app containers."""
        return self.init_containers + self.containers


class PodCondition(Model):
    type: str = ""
    status: str = ""
    last_probe_time: Time | None = None
    last_transition_time: Time | None = None
    reason: str = ""
    message: str = ""


class PodIP(Model):
    ip: str = ""


class HostIP(Model):
    ip: str = ""


class ContainerStateWaiting(Model):
    reason: str = ""
    message: str = ""


class ContainerStateRunning(Model):
    started_at: Time | None = None


class ContainerStateTerminated(Model):
    exit_code: Int32 = 0
    signal: Int32 = 0
    reason: str = ""
    message: str = ""
    started_at: Time | None = None
    finished_at: Time | None = None
    container_id: str = wire_name("containerID", "")


class ContainerState(Model):
    """At most one of waiting, running and terminated is set; none means waiting."""

    waiting: ContainerStateWaiting | None = None
    running: ContainerStateRunning | None = None
    terminated: ContainerStateTerminated | None = None


class ContainerStatus(AlwaysWritten):
    # The kubelet always writes these (no omitempty upstream): readiness and
    # restart count of a just-started container are facts, not absences.
    _always_written: ClassVar[tuple[str, ...]] = ("name", "ready", "restart_count", "image", "image_id")

    name: str = ""
    state: ContainerState = ContainerState()
    last_state: ContainerState = ContainerState()
    ready: bool = False
    restart_count: Int32 = 0
    image: str = ""
    image_id: str = wire_name("imageID", "")
    container_id: str = wire_name("containerID", "")
    started: bool | None = None


class PodStatus(Model):
    phase: str = ""
    conditions: Seq[PodCondition] = ()
    message: str = ""
    reason: str = ""
    nominated_node_name: str = ""
    host_ip: str = wire_name("hostIP", "")
    host_ips: Seq[HostIP] = wire_name("hostIPs", ())
    pod_ip: str = wire_name("podIP", "")
    pod_ips: Seq[PodIP] = wire_name("podIPs", ())
    start_time: Time | None = None
    init_container_statuses: Seq[ContainerStatus] = ()
    container_statuses: Seq[ContainerStatus] = ()
    qos_class: str = ""


class Pod(KindModel):
    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Pod"

    spec: PodSpec = PodSpec()
    status: PodStatus = PodStatus()


class PodTemplateSpec(Model):
    """The pod a workload creates: metadata (labels) and spec."""

    metadata: ObjectMeta = ObjectMeta()
    spec: PodSpec = PodSpec()


# -- Namespace --------------------------------------------------------------------------


class NamespaceSpec(Model):
    finalizers: Seq[str] = ()


class NamespaceStatus(Model):
    phase: str = ""


class Namespace(KindModel):
    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Namespace"

    spec: NamespaceSpec = NamespaceSpec()
    status: NamespaceStatus = NamespaceStatus()


# -- Node ----------------------------------------------------------------------------------


class Taint(Model):
    key: str = ""
    value: str = ""
    effect: str = ""
    time_added: Time | None = None


class NodeSpec(Model):
    pod_cidr: str = wire_name("podCIDR", "")
    pod_cidrs: Seq[str] = wire_name("podCIDRs", ())
    provider_id: str = wire_name("providerID", "")
    unschedulable: bool = False
    taints: Seq[Taint] = ()


class NodeCondition(Model):
    type: str = ""
    status: str = ""
    last_heartbeat_time: Time | None = None
    last_transition_time: Time | None = None
    reason: str = ""
    message: str = ""


class NodeAddress(Model):
    type: str = ""
    address: str = ""


class NodeSystemInfo(Model):
    machine_id: str = wire_name("machineID", "")
    system_uuid: str = wire_name("systemUUID", "")
    boot_id: str = wire_name("bootID", "")
    kernel_version: str = ""
    os_image: str = ""
    container_runtime_version: str = ""
    kubelet_version: str = ""
    kube_proxy_version: str = ""
    operating_system: str = ""
    architecture: str = ""


class ContainerImage(Model):
    names: Seq[str] = ()
    size_bytes: Int64 = 0


class NodeStatus(Model):
    capacity: ResourceList = FrozenMap()
    allocatable: ResourceList = FrozenMap()
    phase: str = ""
    conditions: Seq[NodeCondition] = ()
    addresses: Seq[NodeAddress] = ()
    node_info: NodeSystemInfo = NodeSystemInfo()
    images: Seq[ContainerImage] = ()


class Node(KindModel):
    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Node"

    spec: NodeSpec = NodeSpec()
    status: NodeStatus = NodeStatus()


# -- Service --------------------------------------------------------------------------------


class ServicePort(Model):
    name: str = ""
    protocol: str = ""
    app_protocol: str | None = None
    port: Int32 = 0
    target_port: IntOrStringValue = IntOrString(0)
    node_port: Int32 = 0


class ClientIPConfig(Model):
    timeout_seconds: Int32 | None = None


class SessionAffinityConfig(Model):
    client_ip: ClientIPConfig | None = wire_name("clientIP", None)


class ServiceSpec(Model):
    ports: Seq[ServicePort] = ()
    selector: FrozenMap[str, str] = FrozenMap()
    #: ``None`` makes a headless service.
    cluster_ip: str = wire_name("clusterIP", "")
    cluster_ips: Seq[str] = wire_name("clusterIPs", ())
    type: str = ""
    external_ips: Seq[str] = wire_name("externalIPs", ())
    session_affinity: str = ""
    load_balancer_ip: str = wire_name("loadBalancerIP", "")
    load_balancer_source_ranges: Seq[str] = ()
    external_name: str = ""
    external_traffic_policy: str = ""
    health_check_node_port: Int32 = 0
    publish_not_ready_addresses: bool = False
    session_affinity_config: SessionAffinityConfig | None = None
    ip_families: Seq[str] = ()
    ip_family_policy: str | None = None
    allocate_load_balancer_node_ports: bool | None = None
    load_balancer_class: str | None = None
    internal_traffic_policy: str | None = None


class LoadBalancerIngress(Model):
    ip: str = ""
    hostname: str = ""
    ip_mode: str | None = None


class LoadBalancerStatus(Model):
    ingress: Seq[LoadBalancerIngress] = ()


class ServiceStatus(Model):
    load_balancer: LoadBalancerStatus = LoadBalancerStatus()


class Service(KindModel):
    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Service"

    spec: ServiceSpec = ServiceSpec()
    status: ServiceStatus = ServiceStatus()


# -- configuration -----------------------------------------------------------------------------


class ConfigMap(KindModel):
    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "ConfigMap"

    immutable: bool | None = None
    data: FrozenMap[str, str] = FrozenMap()
    binary_data: FrozenMap[str, Base64Bytes] = FrozenMap()


class Secret(KindModel):
    """``data`` holds bytes (base64 in JSON); ``stringData`` is write-only text merged into data on write."""

    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Secret"

    immutable: bool | None = None
    data: FrozenMap[str, Base64Bytes] = FrozenMap()
    string_data: FrozenMap[str, str] = FrozenMap()
    type: str = ""


class ServiceAccount(KindModel):
    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "ServiceAccount"

    secrets: Seq[ObjectReference] = ()
    image_pull_secrets: Seq[LocalObjectReference] = ()
    automount_service_account_token: bool | None = None


# -- storage --------------------------------------------------------------------------------------


class NFSVolumeSource(Model):
    server: str = ""
    path: str = ""
    read_only: bool = False


class LocalVolumeSource(Model):
    path: str = ""
    fs_type: str | None = None


class CSIPersistentVolumeSource(Model):
    driver: str = ""
    volume_handle: str = ""
    read_only: bool = False
    fs_type: str = ""
    volume_attributes: FrozenMap[str, str] = FrozenMap()


class VolumeNodeAffinity(Model):
    required: NodeSelector | None = None


class PersistentVolumeSpec(Model):
    capacity: ResourceList = FrozenMap()
    host_path: HostPathVolumeSource | None = None
    nfs: NFSVolumeSource | None = None
    local: LocalVolumeSource | None = None
    csi: CSIPersistentVolumeSource | None = None
    access_modes: Seq[str] = ()
    claim_ref: ObjectReference | None = None
    persistent_volume_reclaim_policy: str = ""
    storage_class_name: str = ""
    mount_options: Seq[str] = ()
    volume_mode: str | None = None
    node_affinity: VolumeNodeAffinity | None = None


class PersistentVolumeStatus(Model):
    phase: str = ""
    message: str = ""
    reason: str = ""


class PersistentVolume(KindModel):
    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "PersistentVolume"

    spec: PersistentVolumeSpec = PersistentVolumeSpec()
    status: PersistentVolumeStatus = PersistentVolumeStatus()


class VolumeResourceRequirements(Model):
    limits: ResourceList = FrozenMap()
    requests: ResourceList = FrozenMap()


class PersistentVolumeClaimSpec(Model):
    access_modes: Seq[str] = ()
    selector: LabelSelector | None = None
    resources: VolumeResourceRequirements = VolumeResourceRequirements()
    volume_name: str = ""
    #: ``None`` asks for the default class; ``""`` for no class.
    storage_class_name: str | None = None
    volume_mode: str | None = None


class PersistentVolumeClaimStatus(Model):
    phase: str = ""
    access_modes: Seq[str] = ()
    capacity: ResourceList = FrozenMap()


class PersistentVolumeClaim(KindModel):
    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "PersistentVolumeClaim"

    spec: PersistentVolumeClaimSpec = PersistentVolumeClaimSpec()
    status: PersistentVolumeClaimStatus = PersistentVolumeClaimStatus()


# -- events and bindings ------------------------------------------------------------------------------


class EventSource(Model):
    component: str = ""
    host: str = ""


class EventSeries(Model):
    count: Int32 = 0
    last_observed_time: MicroTime | None = None


class Event(KindModel):
    """core/v1 Event (what ``kubectl get events`` shows); events.k8s.io/v1 has its own kind."""

    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Event"

    involved_object: ObjectReference = ObjectReference()
    reason: str = ""
    message: str = ""
    source: EventSource = EventSource()
    first_timestamp: Time | None = None
    last_timestamp: Time | None = None
    count: Int32 = 0
    type: str = ""
    event_time: MicroTime | None = None
    series: EventSeries | None = None
    action: str = ""
    related: ObjectReference | None = None
    reporting_component: str = ""
    reporting_instance: str = ""


class Binding(KindModel):
    """Binds a pod (named by metadata) to a node (``target``): what the scheduler posts."""

    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Binding"

    target: ObjectReference = ObjectReference()
