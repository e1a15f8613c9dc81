"""Hypothesis strategies for valid Kubernetes objects of every kind in ``spec.objects``.

"Valid" means what upstream's API validation accepts once the API server
has applied the defaults (k/k ``pkg/apis/core/validation/validation.go``,
``pkg/apis/apps/validation``, ``pkg/apis/batch/validation``,
``pkg/apis/rbac/validation``, ...): names are DNS-1123 labels or subdomains
as each kind requires, label keys and values have the right syntax, a
workload's selector is non-empty and matches its template's labels,
container, volume and port names are unique and volume mounts name
existing volumes, requests do not exceed limits, enumerations take known
values, and the cross-field rules a generator could trip over hold (a
toleration with operator Exists has no value, a Job's pods restart
OnFailure or Never, maxSurge and maxUnavailable are not both zero, a CRD
has exactly one storage version, ...).

How objects are drawn, and why. The stateful machines draw many objects
per run, so generation must be fast (``benchmarks/objects_strategies.py``
prints valid Pods per second; the target is 1,000). A Hypothesis draw costs
about 10 microseconds, so a Pod cannot afford one draw per field. Each
builder below therefore takes two sources of choices:

- ``key``: Hypothesis draws, for what the components act on (names,
  namespaces, labels and selectors, replica counts, resource requests,
  node names, tolerations, phases). These shrink: a failing example comes
  back with the simplest of them.
- ``decor``: a ``random.Random`` seeded by one Hypothesis draw, for the
  rest (images, commands, env, probes, volumes, annotations, affinity
  terms). Still replayed exactly, and still varied, but shrunk only by
  trying other seeds.

Both implement ``Choices``; ``pick`` with index 0 is always the simplest
option, so shrinking the key draws toward zero simplifies the object.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any, Final, Protocol, TypeVar

from hypothesis import strategies as st

from invariants.snapshots import SeededChoices
from spec.intstr import IntOrString
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
from spec.objects.base import FrozenMap, MicroTime, Time
from spec.objects.meta import KindModel, LabelSelector, LabelSelectorRequirement, ObjectMeta, OwnerReference
from spec.quantity import Format, Quantity

T = TypeVar("T")
K = TypeVar("K", bound=KindModel)


# -- sources of choices ---------------------------------------------------------------------------


class Choices(Protocol):
    """Where a builder's decisions come from: Hypothesis draws, or a seeded ``random.Random``."""

    def integer(self, low: int, high: int) -> int:
        """An integer in ``[low, high]``; ``low`` is the simplest."""
        ...

    def pick(self, options: Sequence[T]) -> T:
        """One of ``options``; the first is the simplest."""
        ...

    def coin(self) -> bool:
        """True or False; False is the simplest."""
        ...


_UNIT: Final = st.integers(0, 2**30 - 1)
_COIN: Final = st.booleans()
_SEED: Final = st.integers(0, 2**32 - 1)


class DrawChoices:
    """Choices made by Hypothesis: every one is a draw that replays and shrinks toward the first option."""

    __slots__ = ("_draw",)

    def __init__(self, draw: st.DrawFn) -> None:
        self._draw = draw

    def integer(self, low: int, high: int) -> int:
        span = high - low + 1
        if span <= 2**30:
            # One fixed strategy for every range: building a new strategy per draw costs more than the draw.
            return low + self._draw(_UNIT) % span
        return int(self._draw(st.integers(low, high)))

    def pick(self, options: Sequence[T]) -> T:
        return options[self.integer(0, len(options) - 1)]

    def coin(self) -> bool:
        return bool(self._draw(_COIN))


#: Choices made by a seeded ``random.Random``: cheap, varied, replayed from the seed. One class serves
#: the suite and invariants/ (which cannot import the suite), so it lives there.
RandomChoices = SeededChoices


def maybe(c: Choices, make: Callable[[], T]) -> T | None:
    """``None`` (the simplest) or a value."""
    return make() if c.coin() else None


def distinct(c: Choices, options: Sequence[T], low: int, high: int) -> list[T]:
    """Between ``low`` and ``high`` distinct options, in the order chosen."""
    remaining = list(options)
    count = c.integer(low, min(high, len(remaining)))
    return [remaining.pop(c.integer(0, len(remaining) - 1)) for _ in range(count)]


def several(c: Choices, make: Callable[[], T], low: int, high: int) -> tuple[T, ...]:
    return tuple(make() for _ in range(c.integer(low, high)))


def builds(build: Callable[[Choices, Choices], K]) -> st.SearchStrategy[K]:
    """The strategy of a builder: key choices drawn by Hypothesis, decoration from a drawn seed."""

    @st.composite
    def strategy(draw: st.DrawFn) -> K:
        decor = RandomChoices(draw(_SEED))
        return build(DrawChoices(draw), decor)

    return strategy()


# -- names and labels -------------------------------------------------------------------------------

_LOWER_ALNUM: Final = string.ascii_lowercase + string.digits
_ALNUM: Final = string.ascii_letters + string.digits


def dns1123_label(c: Choices, max_length: int = 20) -> str:
    """``[a-z0-9]([-a-z0-9]*[a-z0-9])?``, at most ``max_length`` characters."""
    length = c.integer(1, max_length)
    middle = "".join(c.pick(_LOWER_ALNUM + "-") for _ in range(max(0, length - 2)))
    ends = [c.pick(_LOWER_ALNUM) for _ in range(min(length, 2))]
    return ends[0] + middle + (ends[1] if length > 1 else "")


def dns1035_label(c: Choices, max_length: int = 20) -> str:
    """A DNS-1123 label starting with a letter (Service and CRD names want one)."""
    return c.pick(string.ascii_lowercase) + (dns1123_label(c, max_length - 1) if c.coin() else "")


def dns1123_subdomain(c: Choices) -> str:
    return ".".join(dns1123_label(c, 12) for _ in range(c.integer(1, 3)))


def label_name(c: Choices) -> str:
    """The name part of a label key, also a non-empty label value: 1..63 of ``[-A-Za-z0-9_.]``, alnum ends."""
    length = c.pick((1, 2, 5, 12, 63))
    if length == 1:
        return c.pick(_ALNUM)
    return c.pick(_ALNUM) + "".join(c.pick(_ALNUM + "-_.") for _ in range(length - 2)) + c.pick(_ALNUM)


def label_key(c: Choices) -> str:
    if c.coin():
        return label_name(c)
    return f"{dns1123_subdomain(c)}/{label_name(c)}"


def label_value(c: Choices) -> str:
    return "" if c.coin() else label_name(c)


def _pool(make: Callable[[Choices], T], size: int, seed: int, simplest: Sequence[T] = ()) -> tuple[T, ...]:
    """``simplest`` first, then ``size`` values made from a fixed seed: what key choices pick from."""
    chooser = RandomChoices(seed)
    return (*simplest, *(make(chooser) for _ in range(size)))


#: Names valid for every kind (DNS-1035 labels, the strictest rule any kind applies), then longer ones.
NAMES: Final = _pool(
    dns1035_label, 40, 1, ("a", "web", "db", "cache", "api", "nginx", "worker-1", "frontend")
)
#: Names for kinds that take DNS subdomains (Pod, ConfigMap, Node, ...).
SUBDOMAIN_NAMES: Final = NAMES + _pool(dns1123_subdomain, 24, 2, ("web.example.com", "0", "x-1.y-2"))
NAMESPACES: Final = _pool(dns1123_label, 8, 3, ("default", "kube-system", "prod", "staging", "team-a"))
NODE_NAMES: Final = ("node-1", "node-2", "node-3", "worker.example.com", "ip-10-0-0-7.ec2.internal")
PORT_NAMES: Final = ("http", "https", "metrics", "grpc", "dns", "web", "p8080", "admin-api")

_COMMON_KEYS: Final = ("app", "tier", "env", "version", "app.kubernetes.io/name", "example.com/team")
_COMMON_VALUES: Final = ("web", "db", "prod", "staging", "v1", "1.25", "frontend", "")


def _label_map(c: Choices) -> FrozenMap[str, str]:
    entries: dict[str, str] = {}
    for _ in range(c.integer(1, 3)):
        key = c.pick(_COMMON_KEYS) if c.coin() else label_key(c)
        entries[key] = c.pick(_COMMON_VALUES) if c.coin() else label_value(c)
    return FrozenMap(entries)


#: Non-empty label maps: mostly overlapping common keys and values, some with any valid syntax.
LABEL_MAPS: Final = _pool(
    _label_map, 60, 4, (FrozenMap({"app": "web"}), FrozenMap({"app": "db", "tier": "backend"}))
)
_NO_LABELS: Final[FrozenMap[str, str]] = FrozenMap()


def labels(c: Choices, *, empty: bool = True) -> FrozenMap[str, str]:
    if empty and not c.coin():
        return _NO_LABELS
    return c.pick(LABEL_MAPS)


def selector_matching(c: Choices, labels_: FrozenMap[str, str]) -> LabelSelector:
    """A non-empty selector ``labels_`` (non-empty) satisfy: a subset as matchLabels, maybe an expression."""
    keys = sorted(labels_)
    chosen = distinct(c, keys, 1, len(keys))
    expressions: tuple[LabelSelectorRequirement, ...] = ()
    if c.coin():
        key = c.pick(keys)
        operator = c.pick(("In", "Exists", "NotIn", "DoesNotExist"))
        if operator == "In":
            values = (labels_[key], *(label_value(c) for _ in range(c.integer(0, 2))))
            expressions = (LabelSelectorRequirement(key=key, operator="In", values=values),)
        elif operator == "Exists":
            expressions = (LabelSelectorRequirement(key=key, operator="Exists"),)
        elif operator == "NotIn":
            other = labels_[key] + "x" if len(labels_[key]) < 63 else "x"
            expressions = (LabelSelectorRequirement(key=key, operator="NotIn", values=(other,)),)
        else:
            absent = next(name for name in ("example.com/absent", "absent") if name not in labels_)
            expressions = (LabelSelectorRequirement(key=absent, operator="DoesNotExist"),)
    return LabelSelector(
        match_labels=FrozenMap({key: labels_[key] for key in chosen}), match_expressions=expressions
    )


def label_selector(c: Choices) -> LabelSelector:
    """Any valid selector; the empty one (selects everything) is the simplest."""
    return selector_matching(c, c.pick(LABEL_MAPS)) if c.coin() else LabelSelector()


# -- values --------------------------------------------------------------------------------------------

_EPOCH_RANGE: Final = (1_500_000_000, 2_000_000_000)  # 2017..2033


def time(c: Choices) -> Time:
    return Time.fromtimestamp(c.integer(*_EPOCH_RANGE), UTC)


def micro_time(c: Choices) -> MicroTime:
    moment = datetime.fromtimestamp(c.integer(*_EPOCH_RANGE), UTC).replace(microsecond=c.integer(0, 999_999))
    return MicroTime.of(moment)


def cpu(key: Choices, decor: Choices) -> Quantity:
    """Up to 8 cores, in millicores or (decor's choice) whole cores."""
    millicores = key.integer(1, 8000)
    return Quantity.from_int(-(-millicores // 1000)) if decor.coin() else Quantity.from_milli(millicores)


def memory(key: Choices, decor: Choices) -> Quantity:
    """Up to 16Gi, written in Mi or (decor's choice) in M."""
    units = key.integer(1, 16384)
    if decor.coin():
        return Quantity(units, 6, Format.DECIMAL_SI)
    return Quantity(units * 2**20, 0, Format.BINARY_SI)


def storage(c: Choices) -> Quantity:
    return Quantity(c.integer(1, 2048) * 2**30, 0, Format.BINARY_SI)


def ipv4(c: Choices, prefix: str = "10.0") -> str:
    return f"{prefix}.{c.integer(0, 255)}.{c.integer(1, 254)}"


def uid(c: Choices) -> str:
    return "%08x-%04x-4%03x-8%03x-%012x" % (  # noqa: UP031 - a UUID's layout reads best this way
        c.integer(0, 2**32 - 1),
        c.integer(0, 2**16 - 1),
        c.integer(0, 2**12 - 1),
        c.integer(0, 2**12 - 1),
        c.integer(0, 2**48 - 1),
    )


# -- metadata ------------------------------------------------------------------------------------------

_FINALIZERS: Final = ("kubernetes.io/pvc-protection", "example.com/cleanup", "foregroundDeletion", "orphan")
_OWNER_KINDS: Final = (("apps/v1", "ReplicaSet"), ("apps/v1", "StatefulSet"), ("batch/v1", "Job"))
_ANNOTATION_KEYS: Final = ("example.com/note", "kubernetes.io/description", "checksum/config", "team")
_ANNOTATION_VALUES: Final = ("", "true", "10", "free text, with: punctuation!", '{"a": [1, 2]}', "ü∂é")


def metadata(
    key: Choices,
    decor: Choices,
    *,
    namespaced: bool,
    names: Sequence[str] = NAMES,
    labels_: FrozenMap[str, str] | None = None,
) -> ObjectMeta:
    """Metadata as a stored object has it: a name always, the server-set fields sometimes."""
    stored = decor.coin()
    owners: tuple[OwnerReference, ...] = ()
    if namespaced and decor.coin():  # a cluster-scoped object cannot have a namespaced owner
        api_version, kind = decor.pick(_OWNER_KINDS)
        controller = decor.coin()
        owners = (
            OwnerReference(
                api_version=api_version,
                kind=kind,
                name=decor.pick(NAMES),
                uid=uid(decor),
                controller=controller or None,
                block_owner_deletion=controller or None,
            ),
        )
    return ObjectMeta(
        name=key.pick(names),
        namespace=key.pick(NAMESPACES) if namespaced else "",
        uid=uid(decor) if stored else "",
        resource_version=str(decor.integer(1, 10**6)) if stored else "",
        generation=decor.integer(1, 20) if stored else 0,
        creation_timestamp=time(decor) if stored else None,
        labels=labels(key) if labels_ is None else labels_,
        annotations=FrozenMap(
            {decor.pick(_ANNOTATION_KEYS): decor.pick(_ANNOTATION_VALUES) for _ in range(decor.integer(0, 2))}
        ),
        owner_references=owners,
        finalizers=tuple(distinct(decor, _FINALIZERS, 0, 1)),
    )


# -- containers and volumes ---------------------------------------------------------------------------

_IMAGES: Final = (
    "nginx",
    "nginx:1.25",
    "nginx:latest",
    "registry.k8s.io/pause:3.9",
    "busybox:1.36",
    "localhost:5000/app:v2",
    "gcr.io/project/app@sha256:" + "a" * 64,
    "redis:7-alpine",
)
_MOUNT_PATHS: Final = ("/data", "/etc/config", "/var/log", "/cache", "/srv/www", "/tmp/scratch")
_ENV_NAMES: Final = ("LOG_LEVEL", "PORT", "POD_NAME", "DB_HOST", "FEATURE_X", "HOME")
_FIELD_PATHS: Final = ("metadata.name", "metadata.namespace", "status.podIP", "spec.nodeName")
_VOLUME_NAMES: Final = ("data", "config", "cache", "logs", "secret-vol")


def env_var(c: Choices, name: str) -> core.EnvVar:
    source = c.integer(0, 2)
    if source == 0:
        return core.EnvVar(name=name, value=c.pick(("", "info", "8080", "x y")))
    if source == 1:
        field = core.ObjectFieldSelector(api_version=c.pick(("", "v1")), field_path=c.pick(_FIELD_PATHS))
        return core.EnvVar(name=name, value_from=core.EnvVarSource(field_ref=field))
    selector = core.ConfigMapKeySelector(name=c.pick(NAMES), key=c.pick(("level", "host", "config.json")))
    return core.EnvVar(name=name, value_from=core.EnvVarSource(config_map_key_ref=selector))


def resources(key: Choices, decor: Choices) -> core.ResourceRequirements:
    """Requests no larger than limits, for cpu and memory (ValidateResourceRequirements)."""
    requests: dict[str, Quantity] = {}
    limits: dict[str, Quantity] = {}
    choices = key.integer(0, 15)  # one draw for both resources: none, request, limit or both of each
    for name, make, choice in (("cpu", cpu, choices % 4), ("memory", memory, choices // 4)):
        if choice in (1, 3):
            requests[name] = make(key, decor)
        if choice == 2:
            limits[name] = make(key, decor)
        elif choice == 3:
            limits[name] = requests[name] + Quantity(key.integer(0, 1), 0)
    return core.ResourceRequirements(requests=FrozenMap(requests), limits=FrozenMap(limits))


def probe(c: Choices, named_ports: Sequence[str], *, readiness: bool) -> core.Probe:
    port = IntOrString(c.pick((80, 8080, 9090)))
    if named_ports and c.coin():
        port = IntOrString(c.pick(named_ports))  # a name must be one of the container's ports
    handler = c.integer(0, 2)
    return core.Probe(
        exec=core.ExecAction(command=("cat", "/tmp/healthy")) if handler == 0 else None,
        http_get=core.HTTPGetAction(path=c.pick(("", "/healthz")), port=port) if handler == 1 else None,
        tcp_socket=core.TCPSocketAction(port=port) if handler == 2 else None,
        initial_delay_seconds=c.integer(0, 30),
        period_seconds=c.integer(0, 60),
        # Liveness and startup probes must succeed once (validation); readiness may ask for more.
        success_threshold=c.integer(0, 3) if readiness else c.integer(0, 1),
        failure_threshold=c.integer(0, 10),
    )


def container(
    key: Choices,
    decor: Choices,
    name: str,
    ports: Sequence[int],
    volume_names: Sequence[str],
    *,
    init: bool = False,
) -> core.Container:
    """A container with the given pod-wide unique container ports, mounting some of ``volume_names``."""
    port_names = distinct(decor, PORT_NAMES, 0, len(ports))
    container_ports = tuple(
        core.ContainerPort(
            name=port_names[index] if index < len(port_names) else "",
            container_port=number,
            protocol=decor.pick(("", "TCP", "UDP")),
        )
        for index, number in enumerate(ports)
    )
    mounted = distinct(decor, volume_names, 0, len(volume_names))
    paths = distinct(decor, _MOUNT_PATHS, len(mounted), len(mounted))
    # Only regular containers may have probes (init containers are not sidecars here).
    with_probes = not init and decor.coin()
    return core.Container(
        name=name,
        image=decor.pick(_IMAGES),
        command=decor.pick(((), ("sh", "-c"), ("/app",))),
        args=tuple(decor.pick(("--verbose", "serve", "echo hello")) for _ in range(decor.integer(0, 2))),
        ports=container_ports,
        env=tuple(env_var(decor, env) for env in distinct(decor, _ENV_NAMES, 0, 2)),
        resources=resources(key, decor),
        volume_mounts=tuple(
            core.VolumeMount(name=volume, mount_path=path, read_only=decor.coin())
            for volume, path in zip(mounted, paths, strict=True)
        ),
        readiness_probe=probe(decor, port_names, readiness=True) if with_probes and decor.coin() else None,
        liveness_probe=probe(decor, port_names, readiness=False) if with_probes and decor.coin() else None,
        image_pull_policy=decor.pick(("", "Always", "IfNotPresent", "Never")),
        termination_message_policy=decor.pick(("", "File", "FallbackToLogsOnError")),
    )


def volume(c: Choices, name: str) -> core.Volume:
    source = c.integer(0, 5)
    if source == 0:
        return core.Volume(name=name)  # no source: defaulting makes it an emptyDir
    if source == 1:
        size = memory(c, c) if c.coin() else None
        return core.Volume(name=name, empty_dir=core.EmptyDirVolumeSource(medium="Memory", size_limit=size))
    if source == 2:
        return core.Volume(name=name, config_map=core.ConfigMapVolumeSource(name=c.pick(NAMES)))
    if source == 3:
        return core.Volume(name=name, secret=core.SecretVolumeSource(secret_name=c.pick(NAMES)))
    if source == 4:
        claim = core.PersistentVolumeClaimVolumeSource(claim_name=c.pick(NAMES))
        return core.Volume(name=name, persistent_volume_claim=claim)
    host_path = core.HostPathVolumeSource(path="/var/log", type=c.pick((None, "", "Directory")))
    return core.Volume(name=name, host_path=host_path)


# -- scheduling -------------------------------------------------------------------------------------------

_TOPOLOGY_KEYS: Final = ("kubernetes.io/hostname", "topology.kubernetes.io/zone")


def node_selector_requirement(c: Choices) -> core.NodeSelectorRequirement:
    operator = c.pick(core.NODE_SELECTOR_OPERATORS)
    values: tuple[str, ...] = ()
    if operator in ("In", "NotIn"):
        values = tuple(c.pick(_COMMON_VALUES) for _ in range(c.integer(1, 3)))
    elif operator in ("Gt", "Lt"):
        values = (str(c.integer(0, 100)),)
    return core.NodeSelectorRequirement(key=c.pick(_COMMON_KEYS), operator=operator, values=values)


def node_selector_term(c: Choices) -> core.NodeSelectorTerm:
    return core.NodeSelectorTerm(match_expressions=several(c, lambda: node_selector_requirement(c), 1, 2))


def pod_affinity_term(c: Choices) -> core.PodAffinityTerm:
    return core.PodAffinityTerm(label_selector=label_selector(c), topology_key=c.pick(_TOPOLOGY_KEYS))


def affinity(c: Choices) -> core.Affinity:
    def weighted() -> core.WeightedPodAffinityTerm:
        return core.WeightedPodAffinityTerm(weight=c.integer(1, 100), pod_affinity_term=pod_affinity_term(c))

    required = several(c, lambda: node_selector_term(c), 0, 2)
    node = core.NodeAffinity(
        required_during_scheduling_ignored_during_execution=(
            core.NodeSelector(node_selector_terms=required) if required else None
        ),
        preferred_during_scheduling_ignored_during_execution=several(
            c,
            lambda: core.PreferredSchedulingTerm(weight=c.integer(1, 100), preference=node_selector_term(c)),
            0,
            1,
        ),
    )
    pod = core.PodAffinity(
        required_during_scheduling_ignored_during_execution=several(c, lambda: pod_affinity_term(c), 0, 1),
        preferred_during_scheduling_ignored_during_execution=several(c, weighted, 0, 1),
    )
    anti = core.PodAntiAffinity(
        required_during_scheduling_ignored_during_execution=several(c, lambda: pod_affinity_term(c), 0, 1),
        preferred_during_scheduling_ignored_during_execution=several(c, weighted, 0, 1),
    )
    return core.Affinity(
        node_affinity=node if c.coin() else None,
        pod_affinity=pod if c.coin() else None,
        pod_anti_affinity=anti if c.coin() else None,
    )


def toleration(c: Choices) -> core.Toleration:
    effect = c.pick(("", *core.TAINT_EFFECTS))
    key = c.pick(("", "node.kubernetes.io/not-ready", "dedicated", "example.com/gpu"))
    # An empty key matches every taint, which needs operator Exists; Exists takes no value.
    exists = key == "" or c.coin()
    return core.Toleration(
        key=key,
        operator="Exists" if exists else c.pick(("", "Equal")),
        value="" if exists else c.pick(("gpu", "infra", "")),
        effect=effect,
        toleration_seconds=maybe(c, lambda: c.integer(0, 600)) if effect == "NoExecute" else None,
    )


def spread_constraints(c: Choices, labels_: FrozenMap[str, str]) -> tuple[core.TopologySpreadConstraint, ...]:
    constraints = []
    for topology_key in distinct(c, _TOPOLOGY_KEYS, 0, 2):  # (topologyKey, whenUnsatisfiable) unique
        when = c.pick(("DoNotSchedule", "ScheduleAnyway"))
        constraints.append(
            core.TopologySpreadConstraint(
                max_skew=c.integer(1, 3),
                topology_key=topology_key,
                when_unsatisfiable=when,
                label_selector=LabelSelector(match_labels=labels_) if labels_ else None,
                min_domains=maybe(c, lambda: c.integer(1, 3)) if when == "DoNotSchedule" else None,
            )
        )
    return tuple(constraints)


# -- pods --------------------------------------------------------------------------------------------------

_CONTAINER_NAMES: Final = ("app", "sidecar", "proxy", "init", "setup", "metrics")
_PORTS: Final = (80, 443, 8080, 8443, 9090, 5432, 6379, 53)


def pod_spec(
    key: Choices,
    decor: Choices,
    *,
    restart_policies: Sequence[str] = ("", *core.RESTART_POLICIES),
    labels_: FrozenMap[str, str] = _NO_LABELS,
    scheduling: bool = True,
) -> core.PodSpec:
    """A valid PodSpec; ``restart_policies`` are those the owning kind allows (a Job: OnFailure, Never)."""
    count = key.integer(1, 3)
    init_count = decor.integer(0, 1)
    names = distinct(decor, _CONTAINER_NAMES, count + init_count, count + init_count)
    volume_names = distinct(decor, _VOLUME_NAMES, 0, 2)
    # Container ports are unique across the pod, so host ports (with hostNetwork) cannot collide either.
    ports: list[list[int]] = [[] for _ in range(count)]
    for number in distinct(decor, _PORTS, 0, 3):
        ports[decor.integer(0, count - 1)].append(number)
    extras: dict[str, Any] = {}
    if scheduling and key.coin():
        extras = {
            "node_selector": labels(key),
            # How many tolerations is the scheduler's business; which ones, less so.
            "tolerations": several(key, lambda: toleration(decor), 0, 2),
            "affinity": maybe(decor, lambda: affinity(decor)),
            "topology_spread_constraints": spread_constraints(decor, labels_),
            "priority_class_name": decor.pick(("", "high-priority", "low-priority")),
        }
    return core.PodSpec(
        volumes=tuple(volume(decor, name) for name in volume_names),
        init_containers=tuple(
            container(key, decor, names[count + index], (), volume_names, init=True)
            for index in range(init_count)
        ),
        containers=tuple(
            container(key, decor, names[index], ports[index], volume_names) for index in range(count)
        ),
        restart_policy=key.pick(tuple(restart_policies)),
        termination_grace_period_seconds=maybe(decor, lambda: decor.integer(0, 120)),
        dns_policy=decor.pick(("", "ClusterFirst", "Default", "ClusterFirstWithHostNet")),
        service_account_name=decor.pick(("", "default", "builder")),
        host_network=scheduling and decor.integer(0, 3) == 0,
        scheduler_name=decor.pick(("", core.DEFAULT_SCHEDULER_NAME, "my-scheduler")),
        **extras,
    )


def pod_status(key: Choices, decor: Choices, spec: core.PodSpec) -> core.PodStatus:
    phase = key.pick(core.POD_PHASES)
    pod_ip, host_ip = ipv4(decor, "10.244"), ipv4(decor, "192.168")
    ready = phase == "Running" and key.coin()
    statuses = []
    for each in spec.containers:
        if phase == "Running":
            state = core.ContainerState(running=core.ContainerStateRunning(started_at=time(decor)))
        elif phase in ("Succeeded", "Failed"):
            exit_code = 0 if phase == "Succeeded" else decor.integer(1, 255)
            reason = "Completed" if exit_code == 0 else "Error"
            state = core.ContainerState(
                terminated=core.ContainerStateTerminated(exit_code=exit_code, reason=reason)
            )
        else:
            state = core.ContainerState(waiting=core.ContainerStateWaiting(reason="ContainerCreating"))
        statuses.append(
            core.ContainerStatus(
                name=each.name,
                state=state,
                ready=ready,
                restart_count=key.integer(0, 5),
                image=each.image,
                started=phase == "Running",
            )
        )
    return core.PodStatus(
        phase=phase,
        conditions=(
            core.PodCondition(type="PodScheduled", status="True", last_transition_time=time(decor)),
            core.PodCondition(type="Ready", status="True" if ready else "False"),
        ),
        host_ip=host_ip,
        host_ips=(core.HostIP(ip=host_ip),),
        pod_ip=pod_ip,
        pod_ips=(core.PodIP(ip=pod_ip),),
        start_time=time(decor),
        container_statuses=tuple(statuses),
        qos_class=decor.pick(("", "BestEffort", "Burstable", "Guaranteed")),
    )


def build_pod(key: Choices, decor: Choices) -> core.Pod:
    meta = metadata(key, decor, namespaced=True, names=SUBDOMAIN_NAMES)
    spec = pod_spec(key, decor, labels_=meta.labels)
    status = core.PodStatus()
    if key.coin():  # scheduled: on a node, maybe with a status the kubelet wrote
        spec = spec.replace(node_name=key.pick(NODE_NAMES))
        status = pod_status(key, decor, spec) if key.coin() else status
    return core.Pod(metadata=meta, spec=spec, status=status)


def pod_template(
    key: Choices,
    decor: Choices,
    labels_: FrozenMap[str, str],
    restart_policies: Sequence[str] = ("", "Always"),
) -> core.PodTemplateSpec:
    annotations = FrozenMap({"example.com/rev": str(decor.integer(1, 9))}) if decor.coin() else _NO_LABELS
    return core.PodTemplateSpec(
        metadata=ObjectMeta(labels=labels_, annotations=annotations),
        spec=pod_spec(
            key, decor, restart_policies=restart_policies, labels_=labels_, scheduling=decor.coin()
        ),
    )


# -- workloads ----------------------------------------------------------------------------------------------


def int_or_percent(c: Choices, maximum_percent: int = 100) -> IntOrString:
    return IntOrString(c.integer(0, 5)) if c.coin() else IntOrString(f"{c.integer(0, maximum_percent)}%")


def _is_zero(value: IntOrString | None) -> bool:
    return value is not None and value.value in (0, "0%")


def _template_and_selector(
    key: Choices, decor: Choices, restart_policies: Sequence[str] = ("", "Always")
) -> tuple[core.PodTemplateSpec, LabelSelector]:
    template_labels = key.pick(LABEL_MAPS)  # a workload's template needs labels for its selector
    return pod_template(key, decor, template_labels, restart_policies), selector_matching(
        key, template_labels
    )


def build_replica_set(key: Choices, decor: Choices) -> apps.ReplicaSet:
    template, selector = _template_and_selector(key, decor)
    return apps.ReplicaSet(
        metadata=metadata(key, decor, namespaced=True, labels_=template.metadata.labels),
        spec=apps.ReplicaSetSpec(
            replicas=maybe(key, lambda: key.integer(0, 10)),
            min_ready_seconds=decor.integer(0, 30),
            selector=selector,
            template=template,
        ),
    )


def build_deployment(key: Choices, decor: Choices) -> apps.Deployment:
    template, selector = _template_and_selector(key, decor)
    strategy = apps.DeploymentStrategy(type="Recreate")
    if not key.coin():  # the simplest is the default strategy
        surge = maybe(key, lambda: int_or_percent(key, 200))
        unavailable = maybe(key, lambda: int_or_percent(key))
        if _is_zero(surge) and _is_zero(unavailable):
            unavailable = IntOrString(1)  # both zero is invalid: a rollout could never progress
        rolling = apps.RollingUpdateDeployment(max_surge=surge, max_unavailable=unavailable)
        strategy = apps.DeploymentStrategy(type=key.pick(("", "RollingUpdate")), rolling_update=rolling)
    min_ready = decor.integer(0, 30)
    return apps.Deployment(
        metadata=metadata(key, decor, namespaced=True),
        spec=apps.DeploymentSpec(
            replicas=maybe(key, lambda: key.integer(0, 10)),
            selector=selector,
            template=template,
            strategy=strategy,
            min_ready_seconds=min_ready,
            revision_history_limit=maybe(key, lambda: key.integer(0, 10)),
            paused=key.integer(0, 7) == 7,
            # Must exceed minReadySeconds (ValidateDeploymentSpec).
            progress_deadline_seconds=maybe(decor, lambda: decor.integer(min_ready + 1, 1200)),
        ),
    )


def claim_spec(key: Choices, decor: Choices) -> core.PersistentVolumeClaimSpec:
    return core.PersistentVolumeClaimSpec(
        access_modes=tuple(distinct(decor, core.ACCESS_MODES[:3], 1, 2)),
        resources=core.VolumeResourceRequirements(requests=FrozenMap({"storage": storage(key)})),
        storage_class_name=key.pick((None, "", "standard", "fast-ssd")),
        volume_mode=decor.pick((None, "Filesystem", "Block")),
    )


def build_stateful_set(key: Choices, decor: Choices) -> apps.StatefulSet:
    template, selector = _template_and_selector(key, decor)
    # Claim template names differ from the template's volume names, which they would shadow.
    claims = tuple(
        core.PersistentVolumeClaim(metadata=ObjectMeta(name=name), spec=claim_spec(key, decor))
        for name in distinct(key, ("www", "pgdata", "storage"), 0, 2)
    )
    kind = key.integer(0, 3)
    strategy = (
        apps.StatefulSetUpdateStrategy(),
        apps.StatefulSetUpdateStrategy(type="OnDelete"),
        apps.StatefulSetUpdateStrategy(type="RollingUpdate"),
        apps.StatefulSetUpdateStrategy(
            type="RollingUpdate",
            rolling_update=apps.RollingUpdateStatefulSetStrategy(partition=key.integer(0, 5)),
        ),
    )[kind]
    retention = maybe(
        decor,
        lambda: apps.StatefulSetPersistentVolumeClaimRetentionPolicy(
            when_deleted=decor.pick(apps.PVC_RETENTION_POLICIES),
            when_scaled=decor.pick(apps.PVC_RETENTION_POLICIES),
        ),
    )
    return apps.StatefulSet(
        metadata=metadata(key, decor, namespaced=True),
        spec=apps.StatefulSetSpec(
            replicas=maybe(key, lambda: key.integer(0, 5)),
            selector=selector,
            template=template,
            volume_claim_templates=claims,
            service_name=key.pick(NAMES),
            pod_management_policy=key.pick(("", *apps.POD_MANAGEMENT_POLICIES)),
            update_strategy=strategy,
            revision_history_limit=maybe(decor, lambda: decor.integer(0, 10)),
            min_ready_seconds=decor.integer(0, 10),
            persistent_volume_claim_retention_policy=retention,
            ordinals=maybe(decor, lambda: apps.StatefulSetOrdinals(start=decor.integer(0, 3))),
        ),
    )


def build_daemon_set(key: Choices, decor: Choices) -> apps.DaemonSet:
    template, selector = _template_and_selector(key, decor)
    strategy = apps.DaemonSetUpdateStrategy(type="OnDelete")
    if not key.coin():
        surge = maybe(key, lambda: int_or_percent(key))
        unavailable = maybe(key, lambda: int_or_percent(key))
        if _is_zero(unavailable) and (surge is None or _is_zero(surge)):
            unavailable = IntOrString(1)  # maxUnavailable 0 needs a non-zero maxSurge (default 0)
        rolling = apps.RollingUpdateDaemonSet(max_surge=surge, max_unavailable=unavailable)
        strategy = apps.DaemonSetUpdateStrategy(type=key.pick(("", "RollingUpdate")), rolling_update=rolling)
    return apps.DaemonSet(
        metadata=metadata(key, decor, namespaced=True),
        spec=apps.DaemonSetSpec(
            selector=selector,
            template=template,
            update_strategy=strategy,
            min_ready_seconds=decor.integer(0, 10),
            revision_history_limit=maybe(decor, lambda: decor.integer(0, 10)),
        ),
    )


def job_spec(key: Choices, decor: Choices) -> batch.JobSpec:
    template = pod_template(key, decor, labels(key), ("OnFailure", "Never"))
    indexed = key.coin()
    per_index = maybe(key, lambda: key.integer(0, 3)) if indexed else None
    # Pods of an index are replaced only once they have failed (not while terminating) when each
    # index has its own backoff limit: "Failed" is valid there whichever rule the version applies.
    replacement = "Failed" if per_index is not None else decor.pick((None, *batch.POD_REPLACEMENT_POLICIES))
    return batch.JobSpec(
        parallelism=maybe(key, lambda: key.integer(0, 5)),
        # Indexed completion needs a completion count.
        completions=key.integer(1, 10) if indexed else maybe(key, lambda: key.integer(0, 10)),
        active_deadline_seconds=maybe(key, lambda: key.integer(1, 3600)),
        backoff_limit=maybe(key, lambda: key.integer(0, 10)),
        backoff_limit_per_index=per_index,
        template=template,
        ttl_seconds_after_finished=maybe(key, lambda: key.integer(0, 3600)),
        completion_mode="Indexed" if indexed else decor.pick((None, "NonIndexed")),
        suspend=maybe(key, key.coin),
        pod_replacement_policy=replacement,
    )


def build_job(key: Choices, decor: Choices) -> batch.Job:
    return batch.Job(metadata=metadata(key, decor, namespaced=True), spec=job_spec(key, decor))


_SCHEDULES: Final = ("*/1 * * * *", "0 0 * * *", "@hourly", "30 2 * * 1-5", "0 */6 * * *", "15 3 1 * *")


def build_cron_job(key: Choices, decor: Choices) -> batch.CronJob:
    return batch.CronJob(
        # NAMES are at most 21 characters; a CronJob's name may have 52 (its Jobs append 11).
        metadata=metadata(key, decor, namespaced=True),
        spec=batch.CronJobSpec(
            schedule=key.pick(_SCHEDULES),
            time_zone=key.pick((None, "Etc/UTC", "Europe/Berlin", "America/New_York")),
            starting_deadline_seconds=maybe(key, lambda: key.integer(0, 600)),
            concurrency_policy=key.pick(("", *batch.CONCURRENCY_POLICIES)),
            suspend=maybe(key, key.coin),
            job_template=batch.JobTemplateSpec(spec=job_spec(key, decor)),
            successful_jobs_history_limit=maybe(key, lambda: key.integer(0, 5)),
            failed_jobs_history_limit=maybe(key, lambda: key.integer(0, 5)),
        ),
    )


# -- core: namespaces, nodes, services, configuration, storage, events -------------------------------------


def build_namespace(key: Choices, decor: Choices) -> core.Namespace:
    return core.Namespace(
        metadata=metadata(key, decor, namespaced=False, names=NAMESPACES),
        spec=core.NamespaceSpec(finalizers=decor.pick(((), ("kubernetes",)))),
        status=core.NamespaceStatus(phase=key.pick(("", "Active", "Terminating"))),
    )


def build_node(key: Choices, decor: Choices) -> core.Node:
    cores, gibibytes = key.integer(1, 64), key.integer(1, 256)
    capacity = FrozenMap(
        {
            "cpu": Quantity.from_int(cores),
            "memory": Quantity(gibibytes * 2**30, 0, Format.BINARY_SI),
            "pods": Quantity.from_int(110),
        }
    )
    allocatable = FrozenMap(
        {
            "cpu": Quantity.from_milli(cores * 1000 - key.integer(0, 500)),
            "memory": Quantity(gibibytes * 2**30 - key.integer(0, 512) * 2**20, 0, Format.BINARY_SI),
            "pods": Quantity.from_int(110),
        }
    )
    # Taints are unique by key and effect; the keys here are distinct.
    taints = tuple(
        core.Taint(key=taint_key, value=key.pick(("", "gpu", "infra")), effect=key.pick(core.TAINT_EFFECTS))
        for taint_key in distinct(
            key, ("dedicated", "node.kubernetes.io/unreachable", "example.com/gpu"), 0, 2
        )
    )
    meta = metadata(key, decor, namespaced=False, names=(*NODE_NAMES, *SUBDOMAIN_NAMES))
    subnet = decor.integer(0, 255)
    ready = key.pick(core.CONDITION_STATUSES)
    images = distinct(decor, _IMAGES, 0, 2)
    return core.Node(
        metadata=meta,
        spec=core.NodeSpec(
            pod_cidr=f"10.244.{subnet}.0/24",
            pod_cidrs=(f"10.244.{subnet}.0/24",),
            provider_id=decor.pick(("", f"kind://docker/kind/{meta.name}")),
            unschedulable=key.integer(0, 4) == 0,
            taints=taints,
        ),
        status=core.NodeStatus(
            capacity=capacity,
            allocatable=allocatable,
            conditions=(
                core.NodeCondition(
                    type="Ready",
                    status=ready,
                    last_heartbeat_time=time(decor),
                    last_transition_time=time(decor),
                    reason="KubeletReady" if ready == "True" else "NodeStatusUnknown",
                ),
                core.NodeCondition(type="MemoryPressure", status="False"),
            ),
            addresses=(
                core.NodeAddress(type="InternalIP", address=f"192.168.{subnet}.{decor.integer(1, 254)}"),
                core.NodeAddress(type="Hostname", address=meta.name),
            ),
            node_info=core.NodeSystemInfo(
                kubelet_version=decor.pick(("v1.30.2", "v1.31.0")),
                operating_system="linux",
                architecture=decor.pick(("amd64", "arm64")),
            ),
            images=tuple(
                core.ContainerImage(names=(image,), size_bytes=decor.integer(1, 10**9)) for image in images
            ),
        ),
    )


def build_service(key: Choices, decor: Choices) -> core.Service:
    kind = key.pick(("ClusterIP", "", "NodePort", "LoadBalancer", "ExternalName", "Headless"))
    numbers = distinct(key, (80, 443, 8080, 53, 9090), 1, 3)
    names = distinct(decor, PORT_NAMES, len(numbers), len(numbers))
    node_ports = distinct(decor, range(30000, 32768), len(numbers), len(numbers))
    ports = tuple(
        core.ServicePort(
            # Names are required when there is more than one port.
            name=names[index] if len(numbers) > 1 or decor.coin() else "",
            protocol=decor.pick(("", "TCP", "UDP")),
            port=number,
            target_port=decor.pick(
                (IntOrString(0), IntOrString(number), IntOrString(8080), IntOrString("http"))
            ),
            node_port=node_ports[index] if kind in ("NodePort", "LoadBalancer") and decor.coin() else 0,
        )
        for index, number in enumerate(numbers)
    )
    spec = core.ServiceSpec(
        ports=ports,
        selector=labels(key),
        type="ClusterIP" if kind == "Headless" else kind,
        session_affinity=decor.pick(("", "None", "ClientIP")),
        publish_not_ready_addresses=decor.coin(),
    )
    if kind == "Headless":
        spec = spec.replace(cluster_ip="None")
    elif kind == "ExternalName":
        # An alias has no selector, and no client affinity (there are no endpoints to stick to).
        spec = spec.replace(external_name=dns1123_subdomain(decor), selector=_NO_LABELS, session_affinity="")
    elif kind in ("NodePort", "LoadBalancer"):
        spec = spec.replace(external_traffic_policy=decor.pick(("", "Cluster", "Local")))
    if spec.session_affinity == "ClientIP" and decor.coin():
        client_ip = core.ClientIPConfig(timeout_seconds=decor.integer(1, 86400))
        spec = spec.replace(session_affinity_config=core.SessionAffinityConfig(client_ip=client_ip))
    status = core.ServiceStatus()
    if kind == "LoadBalancer" and decor.coin():
        ingress = (core.LoadBalancerIngress(ip=ipv4(decor, "203.0")),)
        status = core.ServiceStatus(load_balancer=core.LoadBalancerStatus(ingress=ingress))
    return core.Service(metadata=metadata(key, decor, namespaced=True), spec=spec, status=status)


_CONFIG_KEYS: Final = (
    "game.properties",
    "ui.properties",
    "lives",
    "config.json",
    "LOG_LEVEL",
    "a-b_c.d",
    ".hidden",
)


def _text(c: Choices, alphabet: str = string.printable + "äß€", max_length: int = 30) -> str:
    return "".join(c.pick(alphabet) for _ in range(c.integer(0, max_length)))


def build_config_map(key: Choices, decor: Choices) -> core.ConfigMap:
    keys = distinct(key, _CONFIG_KEYS, 0, 4)
    split = decor.integer(0, len(keys))  # a key is in data or in binaryData, never both
    return core.ConfigMap(
        metadata=metadata(key, decor, namespaced=True, names=SUBDOMAIN_NAMES),
        immutable=maybe(decor, decor.coin),
        data=FrozenMap({name: _text(decor) for name in keys[:split]}),
        binary_data=FrozenMap(
            {name: bytes(decor.integer(0, 255) for _ in range(decor.integer(0, 12))) for name in keys[split:]}
        ),
    )


def build_secret(key: Choices, decor: Choices) -> core.Secret:
    keys = distinct(key, ("username", "password", "token", "ca.crt", ".dockerconfig"), 0, 3)
    return core.Secret(
        metadata=metadata(key, decor, namespaced=True, names=SUBDOMAIN_NAMES),
        immutable=maybe(decor, decor.coin),
        data=FrozenMap(
            {name: bytes(decor.integer(0, 255) for _ in range(decor.integer(0, 24))) for name in keys}
        ),
        string_data=FrozenMap({"note": _text(decor, max_length=10)}) if decor.coin() else _NO_LABELS,
        type=decor.pick(("", "Opaque")),
    )


def build_service_account(key: Choices, decor: Choices) -> core.ServiceAccount:
    return core.ServiceAccount(
        metadata=metadata(key, decor, namespaced=True),
        image_pull_secrets=tuple(
            core.LocalObjectReference(name=decor.pick(NAMES)) for _ in range(decor.integer(0, 1))
        ),
        automount_service_account_token=maybe(decor, decor.coin),
    )


def build_persistent_volume(key: Choices, decor: Choices) -> core.PersistentVolume:
    spec = core.PersistentVolumeSpec(
        capacity=FrozenMap({"storage": storage(key)}),
        access_modes=tuple(distinct(key, core.ACCESS_MODES[:3], 1, 2)),
        persistent_volume_reclaim_policy=key.pick(("", "Retain", "Delete")),
        storage_class_name=key.pick(("", "standard", "local-storage")),
        volume_mode=decor.pick((None, "Filesystem", "Block")),
    )
    source = decor.integer(0, 3)
    if source == 0:
        spec = spec.replace(host_path=core.HostPathVolumeSource(path="/mnt/data"))
    elif source == 1:
        spec = spec.replace(nfs=core.NFSVolumeSource(server="nfs.example.com", path="/exports"))
    elif source == 2:
        spec = spec.replace(
            csi=core.CSIPersistentVolumeSource(driver="ebs.csi.aws.com", volume_handle=uid(decor))
        )
    else:
        # A local volume must say which node it is on.
        on_node = core.NodeSelectorRequirement(
            key="kubernetes.io/hostname", operator="In", values=(decor.pick(NODE_NAMES),)
        )
        selector = core.NodeSelector(
            node_selector_terms=(core.NodeSelectorTerm(match_expressions=(on_node,)),)
        )
        spec = spec.replace(
            local=core.LocalVolumeSource(path="/mnt/disks/ssd1"),
            node_affinity=core.VolumeNodeAffinity(required=selector),
        )
    if key.coin():
        claim = core.ObjectReference(
            kind="PersistentVolumeClaim", namespace=key.pick(NAMESPACES), name=key.pick(NAMES)
        )
        spec = spec.replace(claim_ref=claim)
    phase = key.pick(("", "Pending", "Available", "Bound", "Released"))
    return core.PersistentVolume(
        metadata=metadata(key, decor, namespaced=False),
        spec=spec,
        status=core.PersistentVolumeStatus(phase=phase),
    )


def build_persistent_volume_claim(key: Choices, decor: Choices) -> core.PersistentVolumeClaim:
    spec = claim_spec(key, decor)
    status = core.PersistentVolumeClaimStatus()
    if key.coin():
        status = core.PersistentVolumeClaimStatus(
            phase="Bound", access_modes=spec.access_modes, capacity=spec.resources.requests
        )
        spec = spec.replace(volume_name=key.pick(NAMES))
    return core.PersistentVolumeClaim(
        metadata=metadata(key, decor, namespaced=True), spec=spec, status=status
    )


_REASONS: Final = ("Scheduled", "Pulled", "Created", "Started", "BackOff", "FailedScheduling")


def build_core_event(key: Choices, decor: Choices) -> core.Event:
    meta = metadata(key, decor, namespaced=True, names=SUBDOMAIN_NAMES)
    first = time(decor)
    return core.Event(
        metadata=meta,
        # An event lives in the namespace of the object it is about.
        involved_object=core.ObjectReference(
            kind="Pod", namespace=meta.namespace, name=key.pick(NAMES), uid=uid(decor), api_version="v1"
        ),
        reason=key.pick(_REASONS),
        message=_text(decor, max_length=40),
        source=core.EventSource(
            component=decor.pick(("kubelet", "default-scheduler")), host=decor.pick(("", *NODE_NAMES))
        ),
        first_timestamp=first,
        last_timestamp=first,
        count=key.integer(1, 10),
        type=key.pick(("Normal", "Warning")),
    )


def build_binding(key: Choices, decor: Choices) -> core.Binding:
    return core.Binding(
        metadata=metadata(key, decor, namespaced=True, names=SUBDOMAIN_NAMES),
        target=core.ObjectReference(kind="Node", name=key.pick(NODE_NAMES), api_version="v1"),
    )


# -- the other groups ----------------------------------------------------------------------------------------


def build_lease(key: Choices, decor: Choices) -> coordination.Lease:
    held = key.coin()
    return coordination.Lease(
        metadata=metadata(key, decor, namespaced=True, names=(*NODE_NAMES, *NAMES)),
        spec=coordination.LeaseSpec(
            holder_identity=key.pick(NODE_NAMES) if held else None,
            lease_duration_seconds=key.pick((15, 40)) if held else None,
            acquire_time=micro_time(key) if held else None,
            renew_time=micro_time(key) if held else None,
            lease_transitions=maybe(key, lambda: key.integer(0, 10)),
        ),
    )


@cache
def _csr_pem(common_name: str, organization: str) -> bytes:
    """A signed PEM CSR; Ed25519 from a fixed seed signs deterministically, so examples replay exactly."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import NameOID

    seed = (common_name + "/" + organization).encode().ljust(32, b"\0")[:32]
    private = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    names = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)] if organization else []
    subject = x509.Name([*names, x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    request = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(private, None)
    return request.public_bytes(serialization.Encoding.PEM)


def build_certificate_signing_request(key: Choices, decor: Choices) -> certificates.CertificateSigningRequest:
    node = key.pick(NODE_NAMES)
    cn, org = key.pick(((f"system:node:{node}", "system:nodes"), ("alice", ""), ("bob", "developers")))
    return certificates.CertificateSigningRequest(
        metadata=metadata(key, decor, namespaced=False, names=SUBDOMAIN_NAMES),
        spec=certificates.CertificateSigningRequestSpec(
            request=_csr_pem(cn, org),
            signer_name=key.pick(("kubernetes.io/kube-apiserver-client-kubelet", "example.com/signer")),
            usages=tuple(distinct(key, ("digital signature", "client auth", "key encipherment"), 1, 3)),
            expiration_seconds=maybe(key, lambda: key.pick((600, 3600, 86400))),
        ),
    )


def build_endpoint_slice(key: Choices, decor: Choices) -> discovery.EndpointSlice:
    service = key.pick(NAMES)
    meta = metadata(key, decor, namespaced=True, names=(f"{service}-{dns1123_label(decor, 5)}",))
    meta = meta.replace(labels=meta.labels.set(discovery.SERVICE_NAME_LABEL, service))
    addresses = {ipv4(key, "10.244") for _ in range(key.integer(0, 3))}
    endpoints = tuple(
        discovery.Endpoint(
            addresses=(address,),
            conditions=discovery.EndpointConditions(
                ready=maybe(key, key.coin), serving=maybe(key, key.coin), terminating=maybe(key, key.coin)
            ),
            node_name=maybe(decor, lambda: decor.pick(NODE_NAMES)),
            zone=maybe(decor, lambda: decor.pick(("zone-a", "zone-b"))),
            target_ref=core.ObjectReference(kind="Pod", namespace=meta.namespace, name=decor.pick(NAMES)),
        )
        for address in sorted(addresses)
    )
    ports = tuple(
        discovery.EndpointPort(
            name=name, protocol=decor.pick((None, "TCP", "UDP")), port=key.integer(1, 65535)
        )
        for name in distinct(key, PORT_NAMES, 0, 2)
    )
    return discovery.EndpointSlice(metadata=meta, address_type="IPv4", endpoints=endpoints, ports=ports)


def _peer(c: Choices) -> networking.NetworkPolicyPeer:
    kind = c.integer(0, 3)
    if kind == 0:
        return networking.NetworkPolicyPeer(pod_selector=label_selector(c))
    if kind == 1:
        return networking.NetworkPolicyPeer(namespace_selector=label_selector(c))
    if kind == 2:
        return networking.NetworkPolicyPeer(
            pod_selector=label_selector(c), namespace_selector=label_selector(c)
        )
    exceptions = tuple(distinct(c, ("172.17.1.0/24", "172.17.2.0/24"), 0, 2))  # inside the block
    return networking.NetworkPolicyPeer(ip_block=networking.IPBlock(cidr="172.17.0.0/16", except_=exceptions))


def _policy_port(c: Choices) -> networking.NetworkPolicyPort:
    kind = c.integer(0, 2)
    if kind == 0:
        return networking.NetworkPolicyPort(
            protocol=c.pick((None, "TCP", "UDP")), port=IntOrString(c.integer(1, 65535))
        )
    if kind == 1:
        return networking.NetworkPolicyPort(port=IntOrString(c.pick(PORT_NAMES)))
    start = c.integer(1, 60000)  # a range needs a numeric port and an end no lower than it
    return networking.NetworkPolicyPort(port=IntOrString(start), end_port=start + c.integer(0, 5000))


def build_network_policy(key: Choices, decor: Choices) -> networking.NetworkPolicy:
    ingress = several(
        key,
        lambda: networking.NetworkPolicyIngressRule(
            ports=several(key, lambda: _policy_port(key), 0, 2), from_=several(key, lambda: _peer(key), 0, 2)
        ),
        0,
        2,
    )
    egress = several(
        key,
        lambda: networking.NetworkPolicyEgressRule(
            ports=several(key, lambda: _policy_port(key), 0, 2), to=several(key, lambda: _peer(key), 0, 2)
        ),
        0,
        1,
    )
    return networking.NetworkPolicy(
        metadata=metadata(key, decor, namespaced=True),
        spec=networking.NetworkPolicySpec(
            pod_selector=label_selector(key),
            ingress=ingress,
            egress=egress,
            policy_types=key.pick(((), ("Ingress",), ("Egress",), ("Ingress", "Egress"))),
        ),
    )


def build_storage_class(key: Choices, decor: Choices) -> storage_group.StorageClass:
    meta = metadata(key, decor, namespaced=False, names=SUBDOMAIN_NAMES)
    if key.coin():
        meta = meta.replace(annotations=FrozenMap({storage_group.IS_DEFAULT_CLASS_ANNOTATION: "true"}))
    return storage_group.StorageClass(
        metadata=meta,
        provisioner=key.pick(("kubernetes.io/no-provisioner", "ebs.csi.aws.com", "rancher.io/local-path")),
        parameters=FrozenMap(
            {name: decor.pick(("gp3", "ext4", "10")) for name in distinct(decor, ("type", "fsType"), 0, 2)}
        ),
        reclaim_policy=key.pick((None, "Delete", "Retain")),
        mount_options=tuple(distinct(decor, ("debug", "noatime"), 0, 1)),
        allow_volume_expansion=maybe(decor, decor.coin),
        volume_binding_mode=key.pick((None, *storage_group.VOLUME_BINDING_MODES)),
    )


_VERBS: Final = ("get", "list", "watch", "create", "update", "patch", "delete", "*")


def _resource_rule(c: Choices) -> rbac.PolicyRule:
    return rbac.PolicyRule(
        verbs=tuple(distinct(c, _VERBS, 1, 3)),
        api_groups=tuple(distinct(c, ("", "apps", "batch", "*"), 1, 2)),
        resources=tuple(distinct(c, ("pods", "pods/log", "deployments", "configmaps", "*"), 1, 2)),
        resource_names=tuple(distinct(c, NAMES, 0, 1)),
    )


def _non_resource_rule(c: Choices) -> rbac.PolicyRule:
    # Only a ClusterRole may have one, and never mixed with resources in one rule.
    return rbac.PolicyRule(
        verbs=tuple(distinct(c, ("get", "post"), 1, 2)),
        non_resource_urls=tuple(distinct(c, ("/healthz", "/metrics", "/api/*"), 1, 2)),
    )


def build_role(key: Choices, decor: Choices) -> rbac.Role:
    return rbac.Role(
        metadata=metadata(key, decor, namespaced=True), rules=several(key, lambda: _resource_rule(key), 0, 3)
    )


def build_cluster_role(key: Choices, decor: Choices) -> rbac.ClusterRole:
    aggregation = None
    if decor.coin():
        selector = selector_matching(decor, decor.pick(LABEL_MAPS))
        aggregation = rbac.AggregationRule(cluster_role_selectors=(selector,))
    return rbac.ClusterRole(
        metadata=metadata(key, decor, namespaced=False, names=SUBDOMAIN_NAMES),
        rules=several(key, lambda: _resource_rule(key) if key.coin() else _non_resource_rule(key), 0, 3),
        aggregation_rule=aggregation,
    )


def _subject(c: Choices, *, cluster: bool) -> rbac.Subject:
    if c.coin():
        # A ClusterRoleBinding must say which namespace a ServiceAccount is in.
        namespace = c.pick(NAMESPACES) if cluster or c.coin() else ""
        return rbac.Subject(kind="ServiceAccount", name=c.pick(NAMES), namespace=namespace)
    return rbac.Subject(
        kind=c.pick(("User", "Group")),
        name=c.pick(("jane", "system:masters", "dev-team", "alice@example.com")),
        api_group=c.pick(("", rbac.GROUP_NAME)),
    )


def build_role_binding(key: Choices, decor: Choices) -> rbac.RoleBinding:
    return rbac.RoleBinding(
        metadata=metadata(key, decor, namespaced=True),
        subjects=several(key, lambda: _subject(key, cluster=False), 1, 2),
        role_ref=rbac.RoleRef(
            api_group=key.pick(("", rbac.GROUP_NAME)),
            kind=key.pick(("Role", "ClusterRole")),
            name=key.pick(NAMES),
        ),
    )


def build_cluster_role_binding(key: Choices, decor: Choices) -> rbac.ClusterRoleBinding:
    return rbac.ClusterRoleBinding(
        metadata=metadata(key, decor, namespaced=False, names=SUBDOMAIN_NAMES),
        subjects=several(key, lambda: _subject(key, cluster=True), 1, 2),
        role_ref=rbac.RoleRef(api_group=rbac.GROUP_NAME, kind="ClusterRole", name=key.pick(SUBDOMAIN_NAMES)),
    )


_PROPERTY_NAMES: Final = ("replicas", "image", "size", "enabled", "mode")


def schema(c: Choices, depth: int = 2) -> apiextensions.JSONSchemaProps:
    """A structural schema; defaults and enums agree with the types and bounds they sit next to."""
    kind = c.integer(0, 6 if depth > 0 else 4)
    if kind == 0:
        minimum = maybe(c, lambda: float(c.integer(0, 10)))
        return apiextensions.JSONSchemaProps(
            type="integer", minimum=minimum, default=maybe(c, lambda: c.integer(10, 20))
        )
    if kind == 1:
        return apiextensions.JSONSchemaProps(type="string", enum=tuple(distinct(c, ("a", "b", "c"), 0, 3)))
    if kind == 2:
        return apiextensions.JSONSchemaProps(type="boolean")
    if kind == 3:
        return apiextensions.JSONSchemaProps(type="string", format="date-time")
    if kind == 4:
        return apiextensions.JSONSchemaProps(x_kubernetes_int_or_string=True)
    if kind == 5:
        return apiextensions.JSONSchemaProps(type="array", items=schema(c, 0))
    properties = {name: schema(c, depth - 1) for name in distinct(c, _PROPERTY_NAMES, 0, 3)}
    return apiextensions.JSONSchemaProps(
        type="object",
        properties=FrozenMap(properties),
        x_kubernetes_preserve_unknown_fields=c.pick((None, True)),
    )


def build_custom_resource_definition(key: Choices, decor: Choices) -> apiextensions.CustomResourceDefinition:
    kind = key.pick(("CronTab", "Widget", "Database", "Backup", "Tenant"))
    plural = kind.lower() + "s"
    group = key.pick(("stable.example.com", "example.org", "db.acme.io"))
    version_names = distinct(key, ("v1", "v1beta1", "v2", "v1alpha1"), 1, 3)
    storage_index = key.integer(0, len(version_names) - 1)  # exactly one storage version, and it is served
    status_schema = apiextensions.JSONSchemaProps(type="object", x_kubernetes_preserve_unknown_fields=True)
    root = apiextensions.JSONSchemaProps(
        type="object", properties=FrozenMap({"spec": schema(decor), "status": status_schema})
    )
    with_status = apiextensions.CustomResourceSubresources(
        status=apiextensions.CustomResourceSubresourceStatus()
    )
    versions = tuple(
        apiextensions.CustomResourceDefinitionVersion(
            name=name,
            served=index == storage_index or decor.coin(),
            storage=index == storage_index,
            schema_=apiextensions.CustomResourceValidation(open_apiv3_schema=root),
            subresources=with_status if decor.coin() else None,
        )
        for index, name in enumerate(version_names)
    )
    return apiextensions.CustomResourceDefinition(
        # The name must be <plural>.<group>.
        metadata=metadata(key, decor, namespaced=False, names=(f"{plural}.{group}",)),
        spec=apiextensions.CustomResourceDefinitionSpec(
            group=group,
            names=apiextensions.CustomResourceDefinitionNames(
                plural=plural,
                singular=decor.pick(("", kind.lower())),
                kind=kind,
                short_names=tuple(distinct(decor, (kind.lower()[:2],), 0, 1)),
            ),
            scope=key.pick(apiextensions.SCOPES),
            versions=versions,
        ),
    )


def build_structured_event(key: Choices, decor: Choices) -> events.Event:
    meta = metadata(key, decor, namespaced=True, names=SUBDOMAIN_NAMES)
    return events.Event(
        metadata=meta,
        event_time=micro_time(decor),
        reporting_controller=decor.pick(("kubernetes.io/kubelet", "example.com/operator")),
        reporting_instance=decor.pick(NODE_NAMES),
        action=key.pick(("Scheduling", "Pulling", "Binding")),
        reason=key.pick(_REASONS),
        regarding=core.ObjectReference(
            kind="Pod", namespace=meta.namespace, name=key.pick(NAMES), api_version="v1"
        ),
        note=_text(decor, max_length=40),
        type=key.pick(("Normal", "Warning")),
    )


# -- strategies ---------------------------------------------------------------------------------------------

#: The builder of every registered kind (core/v1 Event and events.k8s.io/v1 Event are different classes).
BUILDERS: Final[dict[type[KindModel], Callable[[Choices, Choices], Any]]] = {
    core.Namespace: build_namespace,
    core.Pod: build_pod,
    core.Node: build_node,
    core.Service: build_service,
    core.ConfigMap: build_config_map,
    core.Secret: build_secret,
    core.ServiceAccount: build_service_account,
    core.PersistentVolume: build_persistent_volume,
    core.PersistentVolumeClaim: build_persistent_volume_claim,
    core.Event: build_core_event,
    core.Binding: build_binding,
    apps.ReplicaSet: build_replica_set,
    apps.Deployment: build_deployment,
    apps.StatefulSet: build_stateful_set,
    apps.DaemonSet: build_daemon_set,
    batch.Job: build_job,
    batch.CronJob: build_cron_job,
    coordination.Lease: build_lease,
    discovery.EndpointSlice: build_endpoint_slice,
    networking.NetworkPolicy: build_network_policy,
    storage_group.StorageClass: build_storage_class,
    rbac.Role: build_role,
    rbac.ClusterRole: build_cluster_role,
    rbac.RoleBinding: build_role_binding,
    rbac.ClusterRoleBinding: build_cluster_role_binding,
    apiextensions.CustomResourceDefinition: build_custom_resource_definition,
    events.Event: build_structured_event,
    certificates.CertificateSigningRequest: build_certificate_signing_request,
}

_STRATEGIES: Final[dict[type[KindModel], st.SearchStrategy[Any]]] = {
    kind: builds(builder) for kind, builder in BUILDERS.items()
}


def objects_of(kind: type[K]) -> st.SearchStrategy[K]:
    """Valid objects of one kind."""
    strategy: st.SearchStrategy[K] = _STRATEGIES[kind]
    return strategy


def objects() -> st.SearchStrategy[KindModel]:
    """Valid objects of any registered kind."""
    return st.one_of(list(_STRATEGIES.values()))


def pods() -> st.SearchStrategy[core.Pod]:
    return objects_of(core.Pod)


def deployments() -> st.SearchStrategy[apps.Deployment]:
    return objects_of(apps.Deployment)


def nodes() -> st.SearchStrategy[core.Node]:
    return objects_of(core.Node)


def services() -> st.SearchStrategy[core.Service]:
    return objects_of(core.Service)
