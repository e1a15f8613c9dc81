"""The kind registry against upstream's discovery documents, and decoding errors with their field paths.

The table is copied from k/k ``api/discovery/api__v1.json``,
``apis__apps__v1.json``, ``apis__batch__v1.json``,
``apis__coordination.k8s.io__v1.json``, ``apis__discovery.k8s.io__v1.json``,
``apis__networking.k8s.io__v1.json``, ``apis__storage.k8s.io__v1.json``,
``apis__rbac.authorization.k8s.io__v1.json``,
``apis__apiextensions.k8s.io__v1.json`` and ``apis__events.k8s.io__v1.json``
(``name``, ``namespaced`` and ``kind`` of each resource).
"""

from __future__ import annotations

from typing import Any

import pytest

from spec.objects import KINDS, ObjectError, from_dict, info_of, kind_info, to_dict
from spec.objects.core import Pod

# (apiVersion, kind, resource, namespaced) as upstream's discovery serves them.
UPSTREAM: list[tuple[str, str, str, bool]] = [
    ("v1", "Binding", "bindings", True),
    ("v1", "ConfigMap", "configmaps", True),
    ("v1", "Event", "events", True),
    ("v1", "Namespace", "namespaces", False),
    ("v1", "Node", "nodes", False),
    ("v1", "PersistentVolumeClaim", "persistentvolumeclaims", True),
    ("v1", "PersistentVolume", "persistentvolumes", False),
    ("v1", "Pod", "pods", True),
    ("v1", "Secret", "secrets", True),
    ("v1", "ServiceAccount", "serviceaccounts", True),
    ("v1", "Service", "services", True),
    ("apps/v1", "DaemonSet", "daemonsets", True),
    ("apps/v1", "Deployment", "deployments", True),
    ("apps/v1", "ReplicaSet", "replicasets", True),
    ("apps/v1", "StatefulSet", "statefulsets", True),
    ("batch/v1", "CronJob", "cronjobs", True),
    ("batch/v1", "Job", "jobs", True),
    ("coordination.k8s.io/v1", "Lease", "leases", True),
    ("certificates.k8s.io/v1", "CertificateSigningRequest", "certificatesigningrequests", False),
    ("discovery.k8s.io/v1", "EndpointSlice", "endpointslices", True),
    ("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", True),
    ("storage.k8s.io/v1", "StorageClass", "storageclasses", False),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", False),
    ("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False),
    ("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", True),
    ("rbac.authorization.k8s.io/v1", "Role", "roles", True),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", False),
    ("events.k8s.io/v1", "Event", "events", True),
]


@pytest.mark.parametrize(("api_version", "kind", "resource", "namespaced"), UPSTREAM)
def test_registry_matches_upstream_discovery(
    api_version: str, kind: str, resource: str, namespaced: bool
) -> None:
    info = kind_info(api_version, kind)
    assert (info.api_version, info.kind, info.resource, info.namespaced) == (
        api_version,
        kind,
        resource,
        namespaced,
    )
    assert info.model.api_version == api_version
    assert info.model.kind == kind
    assert info_of(info.model) is info


def test_every_registered_kind_is_in_the_upstream_table() -> None:
    assert sorted((i.api_version, i.kind) for i in KINDS) == sorted((a, k) for a, k, _, _ in UPSTREAM)


def test_group_and_version_split_api_version() -> None:
    assert (kind_info("v1", "Pod").group, kind_info("v1", "Pod").version) == ("", "v1")
    info = kind_info("rbac.authorization.k8s.io/v1", "Role")
    assert (info.group, info.version) == ("rbac.authorization.k8s.io", "v1")


def test_to_dict_writes_api_version_and_kind_first() -> None:
    written = to_dict(Pod())
    assert list(written)[:2] == ["apiVersion", "kind"]
    assert written == {"apiVersion": "v1", "kind": "Pod"}


def _problems(data: Any, *, strict: bool = False) -> list[tuple[str, str]]:
    with pytest.raises(ObjectError) as caught:
        from_dict(data, strict=strict)
    return [(problem.path, problem.reason) for problem in caught.value.problems]


def test_unknown_kind_is_named_with_its_version() -> None:
    assert _problems({"apiVersion": "v1", "kind": "Deployment"}) == [
        ("kind", 'no kind "Deployment" is registered for version "v1"')
    ]
    assert _problems({"apiVersion": "apps/v2", "kind": "Deployment"})[0][0] == "kind"


def test_missing_api_version_and_kind_are_both_reported() -> None:
    assert _problems({"metadata": {"name": "x"}}) == [
        ("apiVersion", "Object 'apiVersion' is missing"),
        ("kind", "Object 'Kind' is missing"),
    ]


def test_a_document_that_is_not_an_object_is_refused() -> None:
    assert _problems(["a"]) == [("", "an object must be a JSON object, not array")]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"metadata": {"name": 5}}, "metadata.name"),
        ({"metadata": {"labels": {"version": 1.0}}}, "metadata.labels[version]"),
        (
            {"spec": {"containers": [{"name": "a"}, {"ports": [{"containerPort": "80"}]}]}},
            "spec.containers[1].ports[0].containerPort",
        ),
        (
            {"spec": {"containers": [{"resources": {"limits": {"cpu": "1x"}}}]}},
            "spec.containers[0].resources.limits[cpu]",
        ),
        ({"spec": {"containers": "nginx"}}, "spec.containers"),
        ({"spec": {"hostNetwork": "true"}}, "spec.hostNetwork"),
        ({"spec": {"terminationGracePeriodSeconds": 2**63}}, "spec.terminationGracePeriodSeconds"),
        ({"status": {"podIP": 10}}, "status.podIP"),
        ({"metadata": {"creationTimestamp": "yesterday"}}, "metadata.creationTimestamp"),
    ],
)
def test_wrong_types_are_reported_at_their_field_path(body: dict[str, Any], path: str) -> None:
    assert [p for p, _ in _problems({"apiVersion": "v1", "kind": "Pod", **body})] == [path]


def test_every_wrong_field_is_reported_not_just_the_first() -> None:
    data = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": 1, "namespace": 2},
        "spec": {"nodeName": 3},
    }
    assert [path for path, _ in _problems(data)] == ["metadata.name", "metadata.namespace", "spec.nodeName"]


def test_type_errors_say_what_was_found() -> None:
    ((_, reason),) = _problems({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": 1}})
    assert reason == "Input should be a valid string, got number"


def test_unknown_fields_are_ignored_by_default_and_reported_when_strict() -> None:
    data = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "spec": {
            "replicas": 2,
            "replica": 3,
            "template": {"spec": {"containers": [{"name": "a", "imagee": "x"}]}},
        },
    }
    assert to_dict(from_dict(data))["spec"] == {
        "replicas": 2,
        "template": {"spec": {"containers": [{"name": "a"}]}},
    }
    assert _problems(data, strict=True) == [
        ("spec.replica", 'unknown field "spec.replica"'),
        (
            "spec.template.spec.containers[0].imagee",
            'unknown field "spec.template.spec.containers[0].imagee"',
        ),
    ]


def test_strict_reading_refuses_python_field_names() -> None:
    # Only the JSON spelling is a field name on the wire; snake_case is Python's.
    data = {"apiVersion": "v1", "kind": "Pod", "spec": {"node_name": "n1"}}
    assert _problems(data, strict=True) == [("spec.node_name", 'unknown field "spec.node_name"')]
    assert from_dict(data) == Pod()


def test_strict_reading_looks_inside_maps_of_objects() -> None:
    data = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "spec": {
            "versions": [
                {"name": "v1", "schema": {"openAPIV3Schema": {"properties": {"a": {"typ": "string"}}}}}
            ]
        },
    }
    assert _problems(data, strict=True)[0][0] == "spec.versions[0].schema.openAPIV3Schema.properties[a].typ"
