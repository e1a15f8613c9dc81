"""rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding.

Upstream: kubernetes/api ``rbac/v1/types.go``. Defaults (the API group of
roleRef and of User/Group subjects) are in ``spec.objects.defaults`` (k/k
``pkg/apis/rbac/v1/defaults.go``).

Requirement IDs: none.
"""

from __future__ import annotations

from typing import ClassVar, Final

from spec.objects.base import AlwaysWritten, Model, Seq, wire_name
from spec.objects.meta import KindModel, LabelSelector

GROUP_NAME: Final = "rbac.authorization.k8s.io"
SUBJECT_KINDS: Final = ("ServiceAccount", "User", "Group")


class PolicyRule(Model):
    verbs: Seq[str] = ()
    api_groups: Seq[str] = ()
    resources: Seq[str] = ()
    resource_names: Seq[str] = ()
    non_resource_urls: Seq[str] = wire_name("nonResourceURLs", ())


class AggregationRule(Model):
    cluster_role_selectors: Seq[LabelSelector] = ()


class Role(AlwaysWritten, KindModel):
    api_version: ClassVar[str] = "rbac.authorization.k8s.io/v1"
    kind: ClassVar[str] = "Role"
    # No omitempty upstream: "rules: []" says the role grants nothing (yet: an
    # aggregated ClusterRole's rules are filled in by a controller).
    _always_written: ClassVar[tuple[str, ...]] = ("rules",)

    rules: Seq[PolicyRule] = ()


class ClusterRole(AlwaysWritten, KindModel):
    api_version: ClassVar[str] = "rbac.authorization.k8s.io/v1"
    kind: ClassVar[str] = "ClusterRole"
    _always_written: ClassVar[tuple[str, ...]] = ("rules",)

    rules: Seq[PolicyRule] = ()
    aggregation_rule: AggregationRule | None = None


class Subject(Model):
    kind: str = ""
    api_group: str = ""
    name: str = ""
    namespace: str = ""


class RoleRef(Model):
    api_group: str = ""
    kind: str = ""
    name: str = ""


class RoleBinding(KindModel):
    api_version: ClassVar[str] = "rbac.authorization.k8s.io/v1"
    kind: ClassVar[str] = "RoleBinding"

    subjects: Seq[Subject] = ()
    role_ref: RoleRef = RoleRef()


class ClusterRoleBinding(KindModel):
    api_version: ClassVar[str] = "rbac.authorization.k8s.io/v1"
    kind: ClassVar[str] = "ClusterRoleBinding"

    subjects: Seq[Subject] = ()
    role_ref: RoleRef = RoleRef()
