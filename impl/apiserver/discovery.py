"""Discovery documents: what ``/api``, ``/apis``, ``/apis/<group>`` and ``/api(s)/.../<version>`` answer.

Upstream: k8s.io/apiserver ``pkg/endpoints/discovery`` (``legacy.go``:
``APIVersions``; ``root.go``: ``APIGroupList``; ``group.go``: ``APIGroup``;
``version.go``: ``APIResourceList``) and the shapes of metav1's
``APIResource``: ``name``, ``singularName``, ``namespaced``, ``kind``,
``verbs``; a subresource is listed as ``<resource>/<subresource>``. The
verbs are only those this server serves (README, "The API server"):
``deletecollection`` for every resource but namespaces, as upstream.
authentication.k8s.io/v1 lists selfsubjectreviews (create only; tokenreviews
are not served) and core v1 serviceaccounts/token, as upstream's do.

Requirement IDs: none defined here (API-DISCOVERY is in ``spec/apiserver.py``).
"""

from __future__ import annotations

from typing import Any, Final

from impl.apiserver import scale
from impl.apiserver.routing import GROUP_VERSIONS, RESOURCES, VIRTUAL_GROUP_VERSIONS
from spec import apiserver
from spec.objects import core
from spec.objects.certificates import CertificateSigningRequest

VERBS: Final = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
#: The namespace registry serves no deletecollection.
NAMESPACE_VERBS: Final = [verb for verb in VERBS if verb != "deletecollection"]
STATUS_VERBS: Final = ["get", "patch", "update"]


def _group_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def api_versions() -> dict[str, Any]:
    """``/api``: the legacy group's versions."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    }


#: The resources of the virtual group versions (routing.VIRTUAL_GROUP_VERSIONS).
VIRTUAL_RESOURCES: Final[dict[tuple[str, str], list[dict[str, Any]]]] = {
    ("authentication.k8s.io", "v1"): [
        {
            "name": "selfsubjectreviews",
            "singularName": "selfsubjectreview",
            "namespaced": False,
            "kind": "SelfSubjectReview",
            "verbs": ["create"],
        }
    ]
}


def _group(group: str) -> dict[str, Any]:
    versions = [
        {"groupVersion": _group_version(group, version), "version": version}
        for served, version in GROUP_VERSIONS + VIRTUAL_GROUP_VERSIONS
        if served == group
    ]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def api_group_list() -> dict[str, Any]:
    """``/apis``: every named group."""
    groups = list(dict.fromkeys(group for group, _ in GROUP_VERSIONS + VIRTUAL_GROUP_VERSIONS if group))
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group(group) for group in groups]}


def api_group(group: str) -> dict[str, Any]:
    """``/apis/<group>``."""
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(group)}


def api_resource_list(group: str, version: str) -> dict[str, Any]:
    """``/api/v1``, ``/apis/<group>/<version>``: each resource and its subresources."""
    resources: list[dict[str, Any]] = [dict(r) for r in VIRTUAL_RESOURCES.get((group, version), ())]
    for (served_group, served_version, resource), info in RESOURCES.items():
        if (served_group, served_version) != (group, version):
            continue
        resources.append(
            {
                "name": resource,
                "singularName": info.kind.lower(),
                "namespaced": info.namespaced,
                "kind": info.kind,
                "verbs": ["create"]
                if info.model is core.Binding
                else NAMESPACE_VERBS
                if info.model is core.Namespace
                else VERBS,
            }
        )
        if info.model in apiserver.HAS_STATUS:
            resources.append(
                {
                    "name": f"{resource}/status",
                    "singularName": "",
                    "namespaced": info.namespaced,
                    "kind": info.kind,
                    "verbs": STATUS_VERBS,
                }
            )
        if info.model in scale.SCALABLE:
            resources.append(
                {
                    "name": f"{resource}/scale",
                    "singularName": "",
                    "namespaced": info.namespaced,
                    "group": "autoscaling",
                    "version": "v1",
                    "kind": "Scale",
                    "verbs": ["get", "patch", "update"],
                }
            )
        if info.model is CertificateSigningRequest:  # impl/apiserver/certificates.py
            for sub in ("approval", "status"):
                resources.append(
                    {
                        "name": f"{resource}/{sub}",
                        "singularName": "",
                        "namespaced": False,
                        "kind": info.kind,
                        "verbs": ["get", "patch", "update"],
                    }
                )
        if info.model is core.ServiceAccount:  # TokenRequest (impl/apiserver/certificates.py)
            resources.append(
                {
                    "name": "serviceaccounts/token",
                    "singularName": "",
                    "namespaced": True,
                    "group": "authentication.k8s.io",
                    "version": "v1",
                    "kind": "TokenRequest",
                    "verbs": ["create"],
                }
            )
        if info.model is core.Pod:
            resources.append(
                {
                    "name": "pods/binding",
                    "singularName": "",
                    "namespaced": True,
                    "kind": "Binding",
                    "verbs": ["create"],
                }
            )
    result: dict[str, Any] = {"kind": "APIResourceList", "groupVersion": _group_version(group, version)}
    if group:
        result["apiVersion"] = "v1"
    result["resources"] = resources
    return result


def version_info(git_version: str) -> dict[str, str]:
    """``/version`` (``version.Info``)."""
    major, minor = git_version.lstrip("v").split(".")[:2]
    return {
        "major": major,
        "minor": minor,
        "gitVersion": git_version,
        "gitCommit": "",
        "gitTreeState": "clean",
        "buildDate": "1970-01-01T00:00:00Z",
        "goVersion": "python",
        "compiler": "kspec",
        "platform": "python",
    }
