"""Hypothesis strategies for invalid objects: a valid object with one targeted mutation, labelled with
the field path that validation must report.

Each ``Mutation`` breaks exactly one rule of upstream's API validation
(``spec.objects.validation`` cites them) in an object drawn from
``conformance.strategies.objects`` and defaulted as the API server would,
and returns the path of the field it broke, in upstream's notation
(``spec.template.spec.containers[1].name``, ``data[bad key]``). The
property the tests check: validation reports that path among its causes.

Mutations work on the object's JSON form (``to_dict``), where a field path
is a walk through dicts and lists, and read the result back with
``from_dict``: a mutation changes values, never JSON types, so the result
is always an object, only not a valid one.

Requirement IDs: none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from hypothesis import strategies as st

from conformance.strategies.objects import Choices, DrawChoices, objects_of
from spec.objects import (
    KINDS,
    apiextensions,
    apps,
    batch,
    coordination,
    core,
    default,
    discovery,
    events,
    from_dict,
    info_of,
    networking,
    rbac,
    to_dict,
)
from spec.objects import storage as storage_group
from spec.objects.meta import KindModel

JSON = dict[str, Any]
#: A mutation: breaks one rule of ``obj`` (a JSON dict, changed in place) and returns the field path broken.
Mutate = Callable[[JSON, Choices], str]


@dataclass(frozen=True)
class Mutation:
    """One way to make an object invalid, and the kinds it applies to."""

    name: str
    kinds: tuple[type[KindModel], ...]
    mutate: Mutate


@dataclass(frozen=True)
class InvalidObject:
    """An invalid object, the field path validation must report, and the mutation that made it."""

    obj: KindModel
    path: str
    mutation: str
    original: KindModel


def _walk(obj: JSON, path: Sequence[str | int]) -> Any:
    node: Any = obj
    for step in path:
        node = node[step]
    return node


def _dotted(path: Sequence[str | int]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


# -- where the pod spec is -------------------------------------------------------------------------------

_POD_SPEC_AT: Final[dict[type[KindModel], tuple[str, ...]]] = {
    core.Pod: ("spec",),
    apps.ReplicaSet: ("spec", "template", "spec"),
    apps.Deployment: ("spec", "template", "spec"),
    apps.StatefulSet: ("spec", "template", "spec"),
    apps.DaemonSet: ("spec", "template", "spec"),
    batch.Job: ("spec", "template", "spec"),
    batch.CronJob: ("spec", "jobTemplate", "spec", "template", "spec"),
}
_WITH_POD_SPEC: Final = tuple(_POD_SPEC_AT)
_CONTROLLERS: Final = (apps.ReplicaSet, apps.Deployment, apps.StatefulSet, apps.DaemonSet)
_KIND_BY_NAME: Final = {model.kind: model for model in _POD_SPEC_AT}
_NAMESPACED: Final = tuple(info.model for info in KINDS if info.namespaced)
#: A Binding is not stored: the API server validates only its target.
_WITH_METADATA: Final = tuple(info.model for info in KINDS if info.model is not core.Binding)
_CLUSTER_SCOPED: Final = tuple(model for model in _WITH_METADATA if model not in _NAMESPACED)


def _spec(obj: JSON) -> JSON:
    """``spec``, which ``to_dict`` leaves out when every field of it has its default."""
    spec: JSON = obj.setdefault("spec", {})
    return spec


def _pod_spec(obj: JSON, kind: str) -> tuple[JSON, tuple[str | int, ...]]:
    path = _POD_SPEC_AT[_KIND_BY_NAME[kind]]
    return _walk(obj, path), path


def _container(obj: JSON, c: Choices) -> tuple[JSON, tuple[str | int, ...]]:
    spec, at = _pod_spec(obj, obj["kind"])
    position = c.integer(0, len(spec["containers"]) - 1)
    return spec["containers"][position], (*at, "containers", position)


# -- the mutations ------------------------------------------------------------------------------------


def _bad_name(obj: JSON, c: Choices) -> str:
    # Breaks every name rule at once: '/' for path-segment names, '_' and capitals for DNS names.
    obj["metadata"]["name"] = c.pick(("Bad/Name", "under_score/x", "UPPER/case"))
    obj["metadata"].pop("generateName", None)
    return "metadata.name"


def _no_name(obj: JSON, c: Choices) -> str:
    obj["metadata"].pop("name", None)
    obj["metadata"].pop("generateName", None)
    return "metadata.name"


def _no_namespace(obj: JSON, c: Choices) -> str:
    obj["metadata"].pop("namespace", None)
    return "metadata.namespace"


def _namespace_on_cluster_kind(obj: JSON, c: Choices) -> str:
    obj["metadata"]["namespace"] = "default"
    return "metadata.namespace"


def _bad_label(obj: JSON, c: Choices) -> str:
    key, value = c.pick(
        (("bad key", "x"), ("-leading", "x"), ("app", "v" * 64), ("a/b/c", "x"), ("app", "bad value"))
    )
    obj["metadata"].setdefault("labels", {})[key] = value
    return "metadata.labels"


def _huge_annotations(obj: JSON, c: Choices) -> str:
    obj["metadata"].setdefault("annotations", {})["example.com/blob"] = "x" * (256 * 1024 + c.integer(0, 10))
    return "metadata.annotations"


def _bad_finalizer(obj: JSON, c: Choices) -> str:
    obj["metadata"]["finalizers"] = [c.pick(("cleanup", "Bad Finalizer", "example.com/x/y"))]
    return "metadata.finalizers"


def _owner_without_uid(obj: JSON, c: Choices) -> str:
    obj["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "owner"}]
    return "metadata.ownerReferences.uid"


def _duplicate_container_name(obj: JSON, c: Choices) -> str:
    spec, at = _pod_spec(obj, obj["kind"])
    first = spec["containers"][0]
    copy = {**first, "ports": []}
    spec["containers"].append(copy)
    return _dotted((*at, "containers", len(spec["containers"]) - 1, "name"))


def _bad_container_name(obj: JSON, c: Choices) -> str:
    container, at = _container(obj, c)
    container["name"] = c.pick(("Web_Server", "UPPER", "-dash", "a" * 64))
    return _dotted((*at, "name"))


def _port_out_of_range(obj: JSON, c: Choices) -> str:
    container, at = _container(obj, c)
    ports = container.setdefault("ports", [])
    ports.append({"containerPort": c.pick((65536, 70000, -1, 2**31 - 1)), "protocol": "TCP"})
    return _dotted((*at, "ports", len(ports) - 1, "containerPort"))


def _bad_restart_policy(obj: JSON, c: Choices) -> str:
    spec, at = _pod_spec(obj, obj["kind"])
    spec["restartPolicy"] = c.pick(("Sometimes", "always", "Forever"))
    return _dotted((*at, "restartPolicy"))


def _bad_pull_policy(obj: JSON, c: Choices) -> str:
    container, at = _container(obj, c)
    container["imagePullPolicy"] = c.pick(("Sometimes", "always", "IfMissing"))
    return _dotted((*at, "imagePullPolicy"))


def _no_image(obj: JSON, c: Choices) -> str:
    container, at = _container(obj, c)
    container.pop("image", None)
    return _dotted((*at, "image"))


def _request_above_limit(obj: JSON, c: Choices) -> str:
    container, at = _container(obj, c)
    resource = c.pick(("cpu", "memory"))
    limit = c.integer(1, 1000)
    unit = "m" if resource == "cpu" else "Mi"
    container["resources"] = {
        "limits": {resource: f"{limit}{unit}"},
        "requests": {resource: f"{limit + c.integer(1, 1000)}{unit}"},
    }
    return _dotted((*at, "resources", "requests")) + f"[{resource}]"


def _exists_toleration_with_value(obj: JSON, c: Choices) -> str:
    spec, at = _pod_spec(obj, obj["kind"])
    tolerations = spec.setdefault("tolerations", [])
    tolerations.append({"key": "example.com/gpu", "operator": "Exists", "value": "true"})
    return _dotted((*at, "tolerations", len(tolerations) - 1, "operator"))


def _mount_of_missing_volume(obj: JSON, c: Choices) -> str:
    container, at = _container(obj, c)
    mounts = container.setdefault("volumeMounts", [])
    mounts.append({"name": "no-such-volume", "mountPath": "/nowhere-" + str(c.integer(0, 9))})
    return _dotted((*at, "volumeMounts", len(mounts) - 1, "name"))


def _negative_replicas(obj: JSON, c: Choices) -> str:
    _spec(obj)["replicas"] = -c.integer(1, 2**31)
    return "spec.replicas"


def _selector_not_matching_template(obj: JSON, c: Choices) -> str:
    _spec(obj)["selector"] = {"matchLabels": {"kspec.example/never": "matches"}}
    return "spec.template.metadata.labels"


def _no_selector(obj: JSON, c: Choices) -> str:
    _spec(obj).pop("selector", None)
    return "spec.selector"


def _zero_surge_and_unavailable(obj: JSON, c: Choices) -> str:
    field = "strategy" if obj["kind"] == "Deployment" else "updateStrategy"
    zero = c.pick((0, "0%"))
    _spec(obj)[field] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": zero, "maxUnavailable": zero},
    }
    return f"spec.{field}.rollingUpdate.maxUnavailable"


def _unknown_strategy(obj: JSON, c: Choices) -> str:
    field = "strategy" if obj["kind"] == "Deployment" else "updateStrategy"
    _spec(obj)[field] = {"type": c.pick(("BlueGreen", "Canary", "rollingUpdate"))}
    return f"spec.{field}.type"


def _unknown_pod_management_policy(obj: JSON, c: Choices) -> str:
    _spec(obj)["podManagementPolicy"] = c.pick(("Serial", "Ordered"))
    return "spec.podManagementPolicy"


def _job_pods_restart_always(obj: JSON, c: Choices) -> str:
    spec, at = _pod_spec(obj, obj["kind"])
    spec["restartPolicy"] = "Always"
    return _dotted((*at, "restartPolicy"))


def _negative_parallelism(obj: JSON, c: Choices) -> str:
    job_spec = _spec(obj) if obj["kind"] == "Job" else _spec(obj)["jobTemplate"]["spec"]
    field = c.pick(("parallelism", "completions", "backoffLimit"))
    job_spec[field] = -c.integer(1, 100)
    prefix = "spec" if obj["kind"] == "Job" else "spec.jobTemplate.spec"
    return f"{prefix}.{field}"


#: Schedules robfig/cron (and so Kubernetes) refuses, each for another reason.
BAD_SCHEDULES: Final = (
    "60 * * * *",
    "* 24 * * *",
    "* * 0 * *",
    "* * * 13 *",
    "* * * * 7",
    "* * * *",
    "0 * * * * *",
    "@reboot",
    "@every -1h",
    "0 0 L * *",
    "0 0 * * 1#2",
    "CRON_TZ=UTC 0 * * * *",
    "*/0 * * * *",
    "5-1 * * * *",
    "every minute",
)


def _bad_schedule(obj: JSON, c: Choices) -> str:
    _spec(obj)["schedule"] = c.pick(BAD_SCHEDULES)
    return "spec.schedule"


def _bad_time_zone(obj: JSON, c: Choices) -> str:
    _spec(obj)["timeZone"] = c.pick(("Local", "Mars/Olympus_Mons", "UTC+1", " Europe/Berlin"))
    return "spec.timeZone"


def _unknown_concurrency_policy(obj: JSON, c: Choices) -> str:
    _spec(obj)["concurrencyPolicy"] = c.pick(("Deny", "forbid", "Queue"))
    return "spec.concurrencyPolicy"


def _service_port_out_of_range(obj: JSON, c: Choices) -> str:
    ports = _spec(obj).setdefault("ports", [])
    if not ports:
        ports.append({"port": 80, "protocol": "TCP", "targetPort": 80})
    position = c.integer(0, len(ports) - 1)
    ports[position]["port"] = c.pick((0, 65536, 99999))
    return f"spec.ports[{position}].port"


def _unknown_service_type(obj: JSON, c: Choices) -> str:
    _spec(obj)["type"] = c.pick(("Internal", "clusterIP", "Ingress"))
    return "spec.type"


def _bad_taint_effect(obj: JSON, c: Choices) -> str:
    taints = _spec(obj).setdefault("taints", [])
    taints.append({"key": "example.com/dedicated", "value": "x", "effect": c.pick(("NoRun", "noschedule"))})
    return f"spec.taints[{len(taints) - 1}].effect"


def _bad_data_key(obj: JSON, c: Choices) -> str:
    key = c.pick(("bad key", "..hidden", "a/b", "ünïcode"))
    obj.setdefault("data", {})[key] = "dmFsdWU=" if obj["kind"] == "Secret" else "value"
    return f"data[{key}]"


def _tls_secret_without_key(obj: JSON, c: Choices) -> str:
    obj["type"] = "kubernetes.io/tls"
    missing = c.pick(("tls.crt", "tls.key"))
    present = "tls.key" if missing == "tls.crt" else "tls.crt"
    obj["data"] = {present: "ZGF0YQ=="}
    obj.pop("stringData", None)
    return f"data[{missing}]"


def _claim_without_storage_request(obj: JSON, c: Choices) -> str:
    _spec(obj)["resources"] = {"requests": {"cpu": "1"}} if c.coin() else {}
    return "spec.resources.requests[storage]"


def _unknown_access_mode(obj: JSON, c: Choices) -> str:
    _spec(obj)["accessModes"] = [c.pick(("ReadWriteSometimes", "RWO", "readwriteonce"))]
    return "spec.accessModes"


def _unknown_reclaim_policy(obj: JSON, c: Choices) -> str:
    _spec(obj)["persistentVolumeReclaimPolicy"] = c.pick(("Keep", "Destroy"))
    return "spec.persistentVolumeReclaimPolicy"


def _storage_class_recycles(obj: JSON, c: Choices) -> str:
    obj["reclaimPolicy"] = c.pick(("Recycle", "Keep"))
    return "reclaimPolicy"


def _role_ref_of_unknown_kind(obj: JSON, c: Choices) -> str:
    obj["roleRef"]["kind"] = c.pick(("User", "Policy", "role"))
    return "roleRef.kind"


def _rule_without_verbs(obj: JSON, c: Choices) -> str:
    rules = obj.setdefault("rules", [])
    rules.append({"apiGroups": [""], "resources": ["pods"]})
    return f"rules[{len(rules) - 1}].verbs"


def _two_storage_versions(obj: JSON, c: Choices) -> str:
    for version in _spec(obj)["versions"]:
        version["storage"] = True
    if len(_spec(obj)["versions"]) == 1:
        _spec(obj)["versions"][0]["storage"] = False
    return "spec.versions"


def _crd_name_mismatch(obj: JSON, c: Choices) -> str:
    obj["metadata"]["name"] = "other." + obj["metadata"]["name"]
    return "metadata.name"


def _unknown_policy_type(obj: JSON, c: Choices) -> str:
    types = _spec(obj).setdefault("policyTypes", [])
    types.append(c.pick(("Both", "ingress", "Sideways")))
    return f"spec.policyTypes[{len(types) - 1}]"


def _negative_lease_duration(obj: JSON, c: Choices) -> str:
    _spec(obj)["leaseDurationSeconds"] = -c.integer(0, 100)
    return "spec.leaseDurationSeconds"


def _unknown_address_type(obj: JSON, c: Choices) -> str:
    obj["addressType"] = c.pick(("IPv5", "ipv4", "DNS"))
    return "addressType"


def _unknown_event_type(obj: JSON, c: Choices) -> str:
    obj["type"] = c.pick(("Error", "normal", "Info"))
    return "type"


def _binding_to_non_node(obj: JSON, c: Choices) -> str:
    obj["target"]["kind"] = c.pick(("Pod", "Namespace"))
    return "target.kind"


_POD_SPEC_MUTATIONS: Final = (
    ("duplicate container name", _duplicate_container_name),
    ("container name not a DNS label", _bad_container_name),
    ("container port out of range", _port_out_of_range),
    ("image missing", _no_image),
    ("unknown imagePullPolicy", _bad_pull_policy),
    ("request above limit", _request_above_limit),
    ("Exists toleration with a value", _exists_toleration_with_value),
    ("mount of a volume that does not exist", _mount_of_missing_volume),
)

MUTATIONS: Final[tuple[Mutation, ...]] = (
    Mutation("name of the wrong syntax", _WITH_METADATA, _bad_name),
    Mutation("no name", _WITH_METADATA, _no_name),
    Mutation(
        "namespaced kind without namespace",
        tuple(k for k in _NAMESPACED if k is not core.Binding),
        _no_namespace,
    ),
    Mutation("namespace on a cluster-scoped kind", _CLUSTER_SCOPED, _namespace_on_cluster_kind),
    Mutation("invalid label", _WITH_METADATA, _bad_label),
    Mutation("annotations over 256 KiB", _WITH_METADATA, _huge_annotations),
    Mutation("finalizer without a domain", _WITH_METADATA, _bad_finalizer),
    Mutation("owner reference without uid", _WITH_METADATA, _owner_without_uid),
    *(Mutation(name, _WITH_POD_SPEC, mutate) for name, mutate in _POD_SPEC_MUTATIONS),
    Mutation("unknown restartPolicy", (core.Pod,), _bad_restart_policy),
    Mutation("negative replicas", (apps.ReplicaSet, apps.Deployment, apps.StatefulSet), _negative_replicas),
    Mutation(
        "selector does not match the template", (*_CONTROLLERS, batch.Job), _selector_not_matching_template
    ),
    Mutation("no selector", _CONTROLLERS, _no_selector),
    Mutation(
        "maxSurge and maxUnavailable both 0", (apps.Deployment, apps.DaemonSet), _zero_surge_and_unavailable
    ),
    Mutation("unknown strategy type", (apps.Deployment, apps.StatefulSet, apps.DaemonSet), _unknown_strategy),
    Mutation("unknown podManagementPolicy", (apps.StatefulSet,), _unknown_pod_management_policy),
    Mutation("controller pods that do not restart Always", _CONTROLLERS, _bad_restart_policy),
    Mutation("Job pods that restart Always", (batch.Job, batch.CronJob), _job_pods_restart_always),
    Mutation("negative Job count", (batch.Job, batch.CronJob), _negative_parallelism),
    Mutation("schedule Kubernetes refuses", (batch.CronJob,), _bad_schedule),
    Mutation("unknown time zone", (batch.CronJob,), _bad_time_zone),
    Mutation("unknown concurrencyPolicy", (batch.CronJob,), _unknown_concurrency_policy),
    Mutation("Service port out of range", (core.Service,), _service_port_out_of_range),
    Mutation("unknown Service type", (core.Service,), _unknown_service_type),
    Mutation("unknown taint effect", (core.Node,), _bad_taint_effect),
    Mutation("data key of the wrong syntax", (core.ConfigMap, core.Secret), _bad_data_key),
    Mutation("TLS Secret without its key", (core.Secret,), _tls_secret_without_key),
    Mutation(
        "claim without a storage request", (core.PersistentVolumeClaim,), _claim_without_storage_request
    ),
    Mutation(
        "unknown access mode", (core.PersistentVolume, core.PersistentVolumeClaim), _unknown_access_mode
    ),
    Mutation("unknown reclaim policy", (core.PersistentVolume,), _unknown_reclaim_policy),
    Mutation(
        "StorageClass reclaim policy not Delete or Retain",
        (storage_group.StorageClass,),
        _storage_class_recycles,
    ),
    Mutation(
        "roleRef of an unknown kind", (rbac.RoleBinding, rbac.ClusterRoleBinding), _role_ref_of_unknown_kind
    ),
    Mutation("rule without verbs", (rbac.Role, rbac.ClusterRole), _rule_without_verbs),
    Mutation(
        "not exactly one storage version", (apiextensions.CustomResourceDefinition,), _two_storage_versions
    ),
    Mutation("CRD name not <plural>.<group>", (apiextensions.CustomResourceDefinition,), _crd_name_mismatch),
    Mutation("unknown policyType", (networking.NetworkPolicy,), _unknown_policy_type),
    Mutation("negative lease duration", (coordination.Lease,), _negative_lease_duration),
    Mutation("unknown addressType", (discovery.EndpointSlice,), _unknown_address_type),
    Mutation("unknown event type", (events.Event,), _unknown_event_type),
    Mutation("Binding to something other than a Node", (core.Binding,), _binding_to_non_node),
)


def mutations_for(kind: type[KindModel]) -> tuple[Mutation, ...]:
    return tuple(mutation for mutation in MUTATIONS if kind in mutation.kinds)


def invalid_objects_of(
    kind: type[KindModel], mutation: Mutation | None = None
) -> st.SearchStrategy[InvalidObject]:
    """Invalid objects of ``kind``: a defaulted valid one with ``mutation`` (or any that applies) applied."""
    candidates = (mutation,) if mutation is not None else mutations_for(kind)
    if not candidates or any(kind not in candidate.kinds for candidate in candidates):
        raise ValueError(f"no mutation of {kind.__name__} to draw from")

    @st.composite
    def strategy(draw: st.DrawFn) -> InvalidObject:
        original = default(draw(objects_of(kind)))
        choices = DrawChoices(draw)
        chosen = choices.pick(candidates)
        data = to_dict(original)
        path = chosen.mutate(data, choices)
        return InvalidObject(from_dict(data), path, chosen.name, original)

    return strategy()


def invalid_objects() -> st.SearchStrategy[InvalidObject]:
    """Invalid objects of every kind."""
    return st.one_of([invalid_objects_of(info.model) for info in KINDS])


def describe(invalid: InvalidObject) -> str:
    return f"{info_of(invalid.obj).kind} with {invalid.mutation}: expected an error at {invalid.path}"
