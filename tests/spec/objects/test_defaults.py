"""Defaulting (spec/objects/defaults.py) against upstream's defaulters, and its algebra.

Every expected value below is upstream's, with the file it comes from (k/k
unless said otherwise): ``pkg/apis/apps/v1/defaults.go``,
``pkg/apis/batch/v1/defaults.go``, ``pkg/apis/core/v1/defaults.go`` (and the
``+default=TCP`` tags of ``k8s.io/api/core/v1/types.go``),
``pkg/apis/networking/v1/defaults.go``, ``pkg/apis/rbac/v1/defaults.go``,
``pkg/apis/storage/v1/defaults.go``, ``pkg/apis/discovery/v1/defaults.go``,
apiextensions-apiserver ``pkg/apis/apiextensions/v1/defaults.go``; which
defaulters run for which object is ``zz_generated.defaults.go`` of each group.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.strategies.objects import objects_of
from spec.objects import KINDS, KindModel, default, from_dict, to_dict
from spec.objects.defaults import image_tag, round_up_to_milli
from spec.quantity import parse_quantity

KIND_IDS = [f"{info.api_version}/{info.kind}" for info in KINDS]
KIND_MODELS = [info.model for info in KINDS]

_MISSING = object()


def at(data: Any, path: str) -> Any:
    """The value at ``a.b[0].c`` (``_MISSING`` if absent); a key with dots is written ``[key]``."""
    current = data
    for part in path.replace("]", "").replace("[", ".").split("."):
        if isinstance(current, list):
            index = int(part)
            current = current[index] if index < len(current) else _MISSING
        elif isinstance(current, dict):
            current = current.get(part, _MISSING)
        else:
            return _MISSING
        if current is _MISSING:
            return _MISSING
    return current


def defaulted(manifest: dict[str, Any]) -> dict[str, Any]:
    return to_dict(default(from_dict(manifest, strict=True)))


POD_SPEC = {"containers": [{"name": "app", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}]}
TEMPLATE = {"metadata": {"labels": {"app": "web"}}, "spec": POD_SPEC}

# (manifest, path, upstream's value); the comment before each group names the defaulter.
CASES: list[tuple[dict[str, Any], str, Any]] = [
    # apps/v1 SetDefaults_Deployment
    ({"apiVersion": "apps/v1", "kind": "Deployment"}, "spec.replicas", 1),
    ({"apiVersion": "apps/v1", "kind": "Deployment"}, "spec.strategy.type", "RollingUpdate"),
    ({"apiVersion": "apps/v1", "kind": "Deployment"}, "spec.strategy.rollingUpdate.maxUnavailable", "25%"),
    ({"apiVersion": "apps/v1", "kind": "Deployment"}, "spec.strategy.rollingUpdate.maxSurge", "25%"),
    ({"apiVersion": "apps/v1", "kind": "Deployment"}, "spec.revisionHistoryLimit", 10),
    ({"apiVersion": "apps/v1", "kind": "Deployment"}, "spec.progressDeadlineSeconds", 600),
    (
        {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"strategy": {"type": "Recreate"}}},
        "spec.strategy",
        {"type": "Recreate"},
    ),
    ({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 0}}, "spec.replicas", 0),
    # apps/v1 SetDefaults_ReplicaSet
    ({"apiVersion": "apps/v1", "kind": "ReplicaSet"}, "spec.replicas", 1),
    # apps/v1 SetDefaults_StatefulSet (StatefulSetAutoDeletePVC on)
    ({"apiVersion": "apps/v1", "kind": "StatefulSet"}, "spec.podManagementPolicy", "OrderedReady"),
    (
        {"apiVersion": "apps/v1", "kind": "StatefulSet"},
        "spec.updateStrategy",
        {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
    ),
    (
        {"apiVersion": "apps/v1", "kind": "StatefulSet"},
        "spec.persistentVolumeClaimRetentionPolicy",
        {"whenDeleted": "Retain", "whenScaled": "Retain"},
    ),
    ({"apiVersion": "apps/v1", "kind": "StatefulSet"}, "spec.replicas", 1),
    ({"apiVersion": "apps/v1", "kind": "StatefulSet"}, "spec.revisionHistoryLimit", 10),
    # ... only an empty type creates the rollingUpdate block that gets a partition
    (
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "spec": {"updateStrategy": {"type": "RollingUpdate"}},
        },
        "spec.updateStrategy",
        {"type": "RollingUpdate"},
    ),
    (
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "spec": {"updateStrategy": {"type": "OnDelete"}}},
        "spec.updateStrategy",
        {"type": "OnDelete"},
    ),
    # ... and volumeClaimTemplates are defaulted as claims (zz_generated.defaults.go)
    (
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "spec": {"volumeClaimTemplates": [{"metadata": {"name": "www"}}]},
        },
        "spec.volumeClaimTemplates[0].status.phase",
        "Pending",
    ),
    (
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "spec": {"volumeClaimTemplates": [{"metadata": {"name": "www"}}]},
        },
        "spec.volumeClaimTemplates[0].spec.volumeMode",
        "Filesystem",
    ),
    # apps/v1 SetDefaults_DaemonSet
    (
        {"apiVersion": "apps/v1", "kind": "DaemonSet"},
        "spec.updateStrategy",
        {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
    ),
    ({"apiVersion": "apps/v1", "kind": "DaemonSet"}, "spec.revisionHistoryLimit", 10),
    # workload templates get the PodSpec-level defaults, not the Pod-only ones
    (
        {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": TEMPLATE}},
        "spec.template.spec.restartPolicy",
        "Always",
    ),
    (
        {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": TEMPLATE}},
        "spec.template.spec.enableServiceLinks",
        _MISSING,
    ),
    (
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "spec": {"template": TEMPLATE}},
        "spec.template.spec.containers[0].ports[0].protocol",
        "TCP",
    ),
    # batch/v1 SetDefaults_Job
    ({"apiVersion": "batch/v1", "kind": "Job"}, "spec.completions", 1),
    ({"apiVersion": "batch/v1", "kind": "Job"}, "spec.parallelism", 1),
    ({"apiVersion": "batch/v1", "kind": "Job"}, "spec.backoffLimit", 6),
    ({"apiVersion": "batch/v1", "kind": "Job"}, "spec.completionMode", "NonIndexed"),
    ({"apiVersion": "batch/v1", "kind": "Job"}, "spec.suspend", False),
    ({"apiVersion": "batch/v1", "kind": "Job"}, "spec.podReplacementPolicy", "TerminatingOrFailed"),
    ({"apiVersion": "batch/v1", "kind": "Job"}, "spec.manualSelector", False),
    ({"apiVersion": "batch/v1", "kind": "Job", "spec": {"parallelism": 3}}, "spec.completions", _MISSING),
    ({"apiVersion": "batch/v1", "kind": "Job", "spec": {"completions": 5}}, "spec.parallelism", 1),
    (
        {"apiVersion": "batch/v1", "kind": "Job", "spec": {"backoffLimitPerIndex": 1}},
        "spec.backoffLimit",
        2147483647,
    ),
    (
        {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": TEMPLATE}},
        "metadata.labels",
        {"app": "web"},
    ),
    (
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"labels": {"x": "y"}},
            "spec": {"template": TEMPLATE},
        },
        "metadata.labels",
        {"x": "y"},
    ),
    # batch/v1 SetDefaults_CronJob; the job template is not defaulted as a Job
    ({"apiVersion": "batch/v1", "kind": "CronJob"}, "spec.concurrencyPolicy", "Allow"),
    ({"apiVersion": "batch/v1", "kind": "CronJob"}, "spec.suspend", False),
    ({"apiVersion": "batch/v1", "kind": "CronJob"}, "spec.successfulJobsHistoryLimit", 3),
    ({"apiVersion": "batch/v1", "kind": "CronJob"}, "spec.failedJobsHistoryLimit", 1),
    (
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "spec": {"jobTemplate": {"spec": {"template": TEMPLATE}}},
        },
        "spec.jobTemplate.spec.backoffLimit",
        _MISSING,
    ),
    (
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "spec": {"jobTemplate": {"spec": {"template": TEMPLATE}}},
        },
        "spec.jobTemplate.spec.template.spec.dnsPolicy",
        "ClusterFirst",
    ),
    # core/v1 SetDefaults_PodSpec
    ({"apiVersion": "v1", "kind": "Pod", "spec": POD_SPEC}, "spec.restartPolicy", "Always"),
    ({"apiVersion": "v1", "kind": "Pod", "spec": POD_SPEC}, "spec.dnsPolicy", "ClusterFirst"),
    ({"apiVersion": "v1", "kind": "Pod", "spec": POD_SPEC}, "spec.schedulerName", "default-scheduler"),
    ({"apiVersion": "v1", "kind": "Pod", "spec": POD_SPEC}, "spec.terminationGracePeriodSeconds", 30),
    ({"apiVersion": "v1", "kind": "Pod", "spec": POD_SPEC}, "spec.securityContext", {}),
    (
        {"apiVersion": "v1", "kind": "Pod", "spec": {**POD_SPEC, "terminationGracePeriodSeconds": 0}},
        "spec.terminationGracePeriodSeconds",
        0,
    ),
    # core/v1 SetDefaults_Pod (Pods only)
    ({"apiVersion": "v1", "kind": "Pod", "spec": POD_SPEC}, "spec.enableServiceLinks", True),
    (
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "spec": {
                "containers": [
                    {
                        "name": "a",
                        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}},
                    }
                ]
            },
        },
        "spec.containers[0].resources.requests",
        {"cpu": "500m", "memory": "1Gi"},
    ),
    (
        {"apiVersion": "v1", "kind": "Pod", "spec": {"hostNetwork": True, **POD_SPEC}},
        "spec.containers[0].ports[0].hostPort",
        80,
    ),
    ({"apiVersion": "v1", "kind": "Pod", "spec": POD_SPEC}, "spec.containers[0].ports[0].hostPort", _MISSING),
    # core/v1 SetDefaults_Container and the +default tags
    (
        {"apiVersion": "v1", "kind": "Pod", "spec": POD_SPEC},
        "spec.containers[0].imagePullPolicy",
        "IfNotPresent",
    ),
    (
        {"apiVersion": "v1", "kind": "Pod", "spec": POD_SPEC},
        "spec.containers[0].terminationMessagePath",
        "/dev/termination-log",
    ),
    (
        {"apiVersion": "v1", "kind": "Pod", "spec": POD_SPEC},
        "spec.containers[0].terminationMessagePolicy",
        "File",
    ),
    ({"apiVersion": "v1", "kind": "Pod", "spec": POD_SPEC}, "spec.containers[0].ports[0].protocol", "TCP"),
    (
        {"apiVersion": "v1", "kind": "Pod", "spec": {"initContainers": [{"name": "i", "image": "busybox"}]}},
        "spec.initContainers[0].imagePullPolicy",
        "Always",
    ),
    (
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "spec": {
                "containers": [
                    {
                        "name": "a",
                        "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                    }
                ]
            },
        },
        "spec.containers[0].env[0].valueFrom.fieldRef.apiVersion",
        "v1",
    ),
    # core/v1 SetDefaults_ResourceList: rounded up to milli
    (
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "spec": {
                "containers": [{"name": "a", "resources": {"requests": {"cpu": "1n", "memory": "1.0001"}}}]
            },
        },
        "spec.containers[0].resources.requests",
        {"cpu": "1m", "memory": "1001m"},
    ),
    # core/v1 SetDefaults_Probe and SetDefaults_HTTPGetAction
    (
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "spec": {"containers": [{"name": "a", "livenessProbe": {"httpGet": {"port": 8080}}}]},
        },
        "spec.containers[0].livenessProbe",
        {
            "httpGet": {"path": "/", "port": 8080, "scheme": "HTTP"},
            "timeoutSeconds": 1,
            "periodSeconds": 10,
            "successThreshold": 1,
            "failureThreshold": 3,
        },
    ),
    # core/v1 SetDefaults_Volume and the volume sources
    (
        {"apiVersion": "v1", "kind": "Pod", "spec": {"volumes": [{"name": "v"}]}},
        "spec.volumes[0]",
        {"name": "v", "emptyDir": {}},
    ),
    (
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "spec": {"volumes": [{"name": "v", "secret": {"secretName": "s"}}]},
        },
        "spec.volumes[0].secret.defaultMode",
        420,
    ),
    (
        {"apiVersion": "v1", "kind": "Pod", "spec": {"volumes": [{"name": "v", "configMap": {"name": "c"}}]}},
        "spec.volumes[0].configMap.defaultMode",
        420,
    ),
    (
        {"apiVersion": "v1", "kind": "Pod", "spec": {"volumes": [{"name": "v", "hostPath": {"path": "/x"}}]}},
        "spec.volumes[0].hostPath.type",
        "",
    ),
    # core/v1 SetDefaults_Service
    ({"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80}]}}, "spec.type", "ClusterIP"),
    (
        {"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80}]}},
        "spec.sessionAffinity",
        "None",
    ),
    (
        {"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80}]}},
        "spec.ports[0]",
        {"protocol": "TCP", "port": 80, "targetPort": 80},
    ),
    (
        {"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80, "targetPort": ""}]}},
        "spec.ports[0].targetPort",
        80,
    ),
    (
        {"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80, "targetPort": "http"}]}},
        "spec.ports[0].targetPort",
        "http",
    ),
    ({"apiVersion": "v1", "kind": "Service"}, "spec.internalTrafficPolicy", "Cluster"),
    ({"apiVersion": "v1", "kind": "Service"}, "spec.externalTrafficPolicy", _MISSING),
    (
        {"apiVersion": "v1", "kind": "Service", "spec": {"type": "NodePort"}},
        "spec.externalTrafficPolicy",
        "Cluster",
    ),
    (
        {"apiVersion": "v1", "kind": "Service", "spec": {"externalIPs": ["203.0.113.1"]}},
        "spec.externalTrafficPolicy",
        "Cluster",
    ),
    (
        {"apiVersion": "v1", "kind": "Service", "spec": {"type": "LoadBalancer"}},
        "spec.allocateLoadBalancerNodePorts",
        True,
    ),
    (
        {
            "apiVersion": "v1",
            "kind": "Service",
            "spec": {"type": "LoadBalancer"},
            "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}, {"hostname": "lb.example.com"}]}},
        },
        "status.loadBalancer.ingress",
        [{"ip": "203.0.113.9", "ipMode": "VIP"}, {"hostname": "lb.example.com"}],
    ),
    (
        {
            "apiVersion": "v1",
            "kind": "Service",
            "spec": {"type": "ExternalName", "externalName": "db.example.com"},
        },
        "spec.internalTrafficPolicy",
        _MISSING,
    ),
    (
        {"apiVersion": "v1", "kind": "Service", "spec": {"sessionAffinity": "ClientIP"}},
        "spec.sessionAffinityConfig",
        {"clientIP": {"timeoutSeconds": 10800}},
    ),
    (
        {
            "apiVersion": "v1",
            "kind": "Service",
            "spec": {"sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}}},
        },
        "spec.sessionAffinityConfig",
        _MISSING,
    ),
    # core/v1 SetDefaults_Namespace, SetDefaults_NamespaceStatus
    (
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}},
        "metadata.labels",
        {"kubernetes.io/metadata.name": "prod"},
    ),
    (
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "prod", "labels": {"kubernetes.io/metadata.name": "x"}},
        },
        "metadata.labels",
        {"kubernetes.io/metadata.name": "prod"},
    ),
    (
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"generateName": "tmp-"}},
        "metadata.labels",
        _MISSING,
    ),
    ({"apiVersion": "v1", "kind": "Namespace"}, "status.phase", "Active"),
    # core/v1 SetDefaults_NodeStatus
    (
        {"apiVersion": "v1", "kind": "Node", "status": {"capacity": {"cpu": "4", "memory": "8Gi"}}},
        "status.allocatable",
        {"cpu": "4", "memory": "8Gi"},
    ),
    (
        {
            "apiVersion": "v1",
            "kind": "Node",
            "status": {"capacity": {"cpu": "4"}, "allocatable": {"cpu": "3500m"}},
        },
        "status.allocatable",
        {"cpu": "3500m"},
    ),
    # core/v1 SetDefaults_Secret, SetDefaults_PersistentVolume(Claim)(Spec)
    ({"apiVersion": "v1", "kind": "Secret"}, "type", "Opaque"),
    ({"apiVersion": "v1", "kind": "PersistentVolume"}, "spec.persistentVolumeReclaimPolicy", "Retain"),
    ({"apiVersion": "v1", "kind": "PersistentVolume"}, "spec.volumeMode", "Filesystem"),
    ({"apiVersion": "v1", "kind": "PersistentVolume"}, "status.phase", "Pending"),
    ({"apiVersion": "v1", "kind": "PersistentVolumeClaim"}, "status.phase", "Pending"),
    ({"apiVersion": "v1", "kind": "PersistentVolumeClaim"}, "spec.volumeMode", "Filesystem"),
    # core/v1 SetDefaults_ConfigMap: data becomes an empty map, which is written as nothing
    ({"apiVersion": "v1", "kind": "ConfigMap"}, "data", _MISSING),
    # networking/v1 SetDefaults_NetworkPolicy, SetDefaults_NetworkPolicyPort
    ({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy"}, "spec.policyTypes", ["Ingress"]),
    (
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "spec": {"egress": [{}]}},
        "spec.policyTypes",
        ["Ingress", "Egress"],
    ),
    (
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "spec": {"policyTypes": ["Egress"]}},
        "spec.policyTypes",
        ["Egress"],
    ),
    (
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "spec": {"ingress": [{"ports": [{"port": 80}]}]},
        },
        "spec.ingress[0].ports[0].protocol",
        "TCP",
    ),
    # rbac/v1 SetDefaults_RoleBinding, SetDefaults_ClusterRoleBinding, SetDefaults_Subject
    (
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "roleRef": {"kind": "Role", "name": "r"},
        },
        "roleRef.apiGroup",
        "rbac.authorization.k8s.io",
    ),
    (
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "subjects": [
                {"kind": "User", "name": "jane"},
                {"kind": "Group", "name": "g"},
                {"kind": "ServiceAccount", "name": "sa", "namespace": "ns"},
            ],
        },
        "subjects",
        [
            {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "jane"},
            {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "g"},
            {"kind": "ServiceAccount", "name": "sa", "namespace": "ns"},
        ],
    ),
    # storage/v1 SetDefaults_StorageClass
    (
        {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "provisioner": "x"},
        "reclaimPolicy",
        "Delete",
    ),
    (
        {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "provisioner": "x"},
        "volumeBindingMode",
        "Immediate",
    ),
    # discovery/v1 SetDefaults_EndpointPort: the name is written even when empty
    (
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "addressType": "IPv4",
            "ports": [{"port": 80}],
        },
        "ports",
        [{"name": "", "protocol": "TCP", "port": 80}],
    ),
    # apiextensions/v1 SetDefaults_CustomResourceDefinition(Spec)
    (
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "spec": {
                "names": {"kind": "CronTab", "plural": "crontabs"},
                "versions": [
                    {"name": "v1beta1", "served": True},
                    {"name": "v1", "served": True, "storage": True},
                ],
            },
        },
        "spec.names",
        {"plural": "crontabs", "singular": "crontab", "kind": "CronTab", "listKind": "CronTabList"},
    ),
    (
        {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition"},
        "spec.conversion",
        {"strategy": "None"},
    ),
    (
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "spec": {"versions": [{"name": "v1beta1"}, {"name": "v1", "storage": True}]},
        },
        "status.storedVersions",
        ["v1"],
    ),
]


@pytest.mark.parametrize(
    ("manifest", "path", "expected"), CASES, ids=[f"{m['kind']}:{p}" for m, p, _ in CASES]
)
def test_upstream_default(manifest: dict[str, Any], path: str, expected: Any) -> None:
    assert at(defaulted(manifest), path) == expected


# imagePullPolicy: Always only for the tag "latest", which an image without tag or digest has
# (pkg/util/parsers.ParseImageName over github.com/distribution/reference ParseNormalizedNamed).
DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("image", "tag", "policy"),
    [
        ("nginx", "latest", "Always"),
        ("nginx:latest", "latest", "Always"),
        ("nginx:1.25", "1.25", "IfNotPresent"),
        ("library/nginx:Latest", "Latest", "IfNotPresent"),
        (f"nginx@{DIGEST}", "", "IfNotPresent"),
        (f"nginx:latest@{DIGEST}", "latest", "Always"),
        (f"nginx@{DIGEST.upper()}", "", "IfNotPresent"),  # hex must be lowercase
        ("nginx@md5:" + "0" * 32, "", "IfNotPresent"),  # an algorithm Kubernetes does not link in
        ("registry.k8s.io/pause:3.9", "3.9", "IfNotPresent"),
        ("localhost:5000/team/app", "latest", "Always"),
        ("localhost:5000", "5000", "IfNotPresent"),  # the name localhost with the tag 5000
        ("[::1]:5000/app:v1", "v1", "IfNotPresent"),
        ("Nginx", "", "IfNotPresent"),  # a repository name must be lowercase: a parse error
        ("", "", "IfNotPresent"),
        ("nginx:", "", "IfNotPresent"),
        ("0123456789abcdef" * 4, "", "IfNotPresent"),  # a bare image ID is refused
    ],
)
def test_image_pull_policy_follows_the_image_tag(image: str, tag: str, policy: str) -> None:
    assert image_tag(image) == tag
    manifest = {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "a", "image": image}]}}
    assert at(defaulted(manifest), "spec.containers[0].imagePullPolicy") == policy


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", "1"),
        ("1500m", "1500m"),
        ("1n", "1m"),
        ("1001u", "2m"),
        ("1000001u", "1001m"),
        ("-1n", "-1m"),
        ("1.0001Ki", "1024103m"),
        ("1Gi", "1Gi"),
    ],
)
def test_resource_quantities_round_up_to_milli(text: str, expected: str) -> None:
    assert round_up_to_milli(parse_quantity(text)).canonical() == expected


def test_explicit_values_are_kept() -> None:
    manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "spec": {
            "replicas": 3,
            "revisionHistoryLimit": 0,
            "progressDeadlineSeconds": 60,
            "strategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "10%"}},
        },
    }
    spec = defaulted(manifest)["spec"]
    assert (spec["replicas"], spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]) == (3, 0, 60)
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 0, "maxUnavailable": "10%"},
    }


# -- properties over every kind -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KIND_MODELS, ids=KIND_IDS)
@given(data=st.data())
def test_defaulting_is_idempotent(kind: type[KindModel], data: st.DataObject) -> None:
    once = default(data.draw(objects_of(kind)))
    assert default(once) == once


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        return {
            leaf: item
            for key, child in value.items()
            for leaf, item in _leaves(child, f"{path}[{key}]").items()
        }
    if isinstance(value, list) and value:
        return {
            leaf: item
            for index, child in enumerate(value)
            for leaf, item in _leaves(child, f"{path}[{index}]").items()
        }
    return {path: value}


# Where upstream's defaulting replaces a value rather than filling a gap (see the cases above).
_REPLACED = ("[metadata][labels][kubernetes.io/metadata.name]",)


@pytest.mark.parametrize("kind", KIND_MODELS, ids=KIND_IDS)
@given(data=st.data())
def test_defaulting_only_fills_in(kind: type[KindModel], data: st.DataObject) -> None:
    obj = data.draw(objects_of(kind))
    before, after = _leaves(to_dict(obj)), _leaves(to_dict(default(obj)))
    for path, value in before.items():
        if path in _REPLACED or value in ({}, []):
            continue  # an empty {} or [] may be filled in below
        assert after.get(path, _MISSING) == value, path


@pytest.mark.parametrize("kind", KIND_MODELS, ids=KIND_IDS)
@given(data=st.data())
def test_defaulting_returns_a_new_object_of_the_same_kind(kind: type[KindModel], data: st.DataObject) -> None:
    obj = data.draw(objects_of(kind))
    written = to_dict(obj)
    result = default(obj)
    assert type(result) is kind
    assert to_dict(obj) == written  # the input is untouched
