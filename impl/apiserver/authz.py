"""The reference API server's authorization: impersonation, the Node and RBAC authorizers, escalation checks.

What it models: kube-apiserver's ``--authorization-mode=Node,RBAC`` chain
(k8s.io/apiserver ``pkg/authorization/union``: the first authorizer with an
opinion decides; ``system:masters`` is always allowed, the privileged-group
authorizer of ``pkg/controlplane/apiserver/options/authorization.go``), the
impersonation filter (``pkg/endpoints/filters/impersonation.go``: the
requester needs ``impersonate`` on ``users``, ``groups`` or
``serviceaccounts``; the impersonated user gains ``system:authenticated``),
the 403 answer (``responsewriters.ForbiddenStatusError``) and the escalation
checks of the RBAC registries (``pkg/registry/rbac/*/policybased``). The
decisions are ``spec.rbac``'s functions on the objects in storage: this
module only reads them (cached per store revision) and shapes answers.

``bootstrap_policy()`` is a subset of
``plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go`` and
``controller_policy.go``: cluster-admin bound to system:masters,
system:discovery, system:basic-user and system:public-info-viewer bound to
system:authenticated (public-info-viewer also to system:unauthenticated),
system:node-bootstrapper and the CSR approval roles bound to
system:bootstrappers and system:nodes as kubeadm binds them.

A request whose ``user`` is None is a trusted in-process caller (or a server
run without authentication): it is allowed everything and may impersonate
anyone, so a suite with no credentials asks "what may user X do" with the
Impersonate-User header exactly as one with admin credentials does.

Requirement IDs: none defined here (``spec/rbac.py`` declares SEC-*).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, Final

from spec import apiserver as api
from spec import rbac
from spec.authn import (
    AUTHENTICATED,
    BOOTSTRAPPERS,
    MASTERS,
    NODES,
    SERVICE_ACCOUNT_PREFIX,
    UNAUTHENTICATED,
    UserInfo,
)
from spec.objects import core
from spec.objects.base import FrozenMap
from spec.objects.coordination import Lease
from spec.objects.meta import KindModel, ObjectMeta
from spec.objects.rbac import (
    ClusterRole,
    ClusterRoleBinding,
    PolicyRule,
    Role,
    RoleBinding,
    RoleRef,
    Subject,
)
from spec.objects.registry import ObjectError, from_dict, info_of

_RBAC_KINDS: Final = (Role, ClusterRole, RoleBinding, ClusterRoleBinding)
_STATUS_FORBIDDEN: Final = 403


class Forbidden(Exception):
    def __init__(self, status: dict[str, Any]) -> None:
        super().__init__(status.get("message", ""))
        self.status = status


def forbidden_status(attributes: rbac.Attributes, reason: str = "") -> dict[str, Any]:
    """``ForbiddenStatusError``: ``<resource> "<name>" is forbidden: User "u" cannot ...``."""
    why = rbac.forbidden_message(attributes, reason)
    if not attributes.resource_request:
        return api.failure(_STATUS_FORBIDDEN, "Forbidden", f"forbidden: {why}", {})
    resource = attributes.resource + (f"/{attributes.subresource}" if attributes.subresource else "")
    return api.forbidden_status(attributes.api_group, resource, attributes.name, why)


class Authorizer:
    """Node, then RBAC, over the objects ``storage()`` holds (a ``Storage`` of impl/apiserver/storage.py).

    ``node``/``rbac_decide``/``escalation`` are the spec functions by default; the project's tests
    substitute broken ones (seeded bugs) to show the suite catches them.
    """

    def __init__(
        self,
        storage: Callable[[], Any],
        *,
        node: Callable[[rbac.Attributes, Any], rbac.Decision] = rbac.node_authorize,
        rbac_decide: Callable[[rbac.Attributes, rbac.Policy], rbac.Decision] = rbac.authorize_policy,
        escalation: Callable[[UserInfo, Any, rbac.Policy], rbac.Decision] = rbac.escalation_check,
    ) -> None:
        self._storage = storage
        self._node = node
        self._rbac = rbac_decide
        self._escalation = escalation
        self._lock = threading.Lock()
        self._cached: tuple[int, rbac.Policy, tuple[core.Pod, ...]] | None = None

    # -- what the informers would hold -----------------------------------------------------------

    def _objects(self, kind: type[KindModel]) -> list[Any]:
        storage = self._storage()
        prefix = api.list_prefix(info_of(kind), None)
        found: list[Any] = []
        for stored in storage.page(prefix, prefix, 0, 0).items:
            try:
                found.append(from_dict(json.loads(stored.value)))
            except (ObjectError, ValueError):
                continue  # an undecodable object grants nothing
        return found

    def snapshot(self) -> tuple[rbac.Policy, tuple[core.Pod, ...]]:
        revision = self._storage().revision()
        with self._lock:
            if self._cached is not None and self._cached[0] == revision:
                return self._cached[1], self._cached[2]
        policy = rbac.Policy(*(self._objects(kind) for kind in _RBAC_KINDS))
        pods = tuple(self._objects(core.Pod))
        with self._lock:
            self._cached = (revision, policy, pods)
        return policy, pods

    # -- decisions ---------------------------------------------------------------------------------

    def decide(self, attributes: rbac.Attributes) -> rbac.Decision:
        """The chain: system:masters, Node, RBAC; the first allow wins, else the last reason."""
        if MASTERS in attributes.user.groups:
            return rbac.Decision(True, "system:masters")
        policy, pods = self.snapshot()
        node = self._node(attributes, pods)
        if node.allowed:
            return node
        decision = self._rbac(attributes, policy)
        if decision.allowed:
            return decision
        return rbac.Decision(False, decision.reason or node.reason)

    def effective_user(self, user: UserInfo | None, headers: dict[str, str] | Any) -> UserInfo | None:
        """The impersonation filter: the user the request acts as (403 when impersonation is refused)."""
        name = headers.get("impersonate-user")
        groups = tuple(g for g in (headers.get("impersonate-group"),) if g)
        if name is None:
            if groups:
                raise Forbidden(api.failure(_STATUS_FORBIDDEN, "Forbidden", "requested group impersonation "
                                            "without requesting user impersonation", {}))  # fmt: skip
            return user
        checks = []
        if name.startswith(SERVICE_ACCOUNT_PREFIX) and name.count(":") == 3:
            namespace, sa = name.removeprefix(SERVICE_ACCOUNT_PREFIX).split(":")
            checks.append(("serviceaccounts", namespace, sa))
        else:
            checks.append(("users", "", name))
        checks.extend(("groups", "", group) for group in groups)
        if user is not None:
            for resource, namespace, target in checks:
                attributes = rbac.Attributes(
                    user, "impersonate", True, namespace=namespace, resource=resource, name=target
                )
                decision = self.decide(attributes)
                if not decision.allowed:
                    raise Forbidden(forbidden_status(attributes, decision.reason))
        return rbac.impersonated_user(name, groups)

    def check_write(self, user: UserInfo, obj: KindModel) -> None:
        """Escalation prevention on a Role, ClusterRole or binding being created or updated, and
        NodeRestriction on a Node a node user writes."""
        if isinstance(obj, core.Node):
            why = rbac.node_restriction_admission(user, obj)
            if why is not None:
                raise Forbidden(api.forbidden_status("", "nodes", obj.metadata.name, why))
            return
        if isinstance(obj, Lease):
            why = rbac.node_restriction_lease(user, obj.metadata.namespace, obj.metadata.name)
            if why is not None:
                raise Forbidden(api.forbidden_status("coordination.k8s.io", "leases", obj.metadata.name, why))
            return
        if not isinstance(obj, _RBAC_KINDS):
            return
        policy, _ = self.snapshot()
        decision = self._escalation(user, obj, policy)
        if not decision.allowed:
            info = info_of(obj)
            raise Forbidden(
                api.forbidden_status(info.group, info.resource, obj.metadata.name, decision.reason)
            )


# -- bootstrap policy (bootstrappolicy/policy.go) -----------------------------------------------------


def _rule(verbs: tuple[str, ...], groups: tuple[str, ...] = (), resources: tuple[str, ...] = (),
          urls: tuple[str, ...] = ()) -> PolicyRule:  # fmt: skip
    return PolicyRule(verbs=verbs, api_groups=groups, resources=resources, non_resource_urls=urls)


def _cluster_role(name: str, *rules: PolicyRule) -> ClusterRole:
    meta = ObjectMeta(name=name, labels=FrozenMap({"kubernetes.io/bootstrapping": "rbac-defaults"}))
    return ClusterRole(metadata=meta, rules=rules)


def _binding(name: str, role: str, *groups: str) -> ClusterRoleBinding:
    meta = ObjectMeta(name=name, labels=FrozenMap({"kubernetes.io/bootstrapping": "rbac-defaults"}))
    subjects = tuple(Subject(kind="Group", api_group=rbac.RBAC_GROUP, name=group) for group in groups)
    return ClusterRoleBinding(
        metadata=meta,
        subjects=subjects,
        role_ref=RoleRef(api_group=rbac.RBAC_GROUP, kind="ClusterRole", name=role),
    )


_CSR = "certificates.k8s.io"
NODE_CLIENT = "system:certificates.k8s.io:certificatesigningrequests:nodeclient"
SELF_NODE_CLIENT = "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient"


def bootstrap_policy() -> tuple[list[ClusterRole], list[ClusterRoleBinding]]:
    """The default ClusterRoles and ClusterRoleBindings the server creates at start (a subset)."""
    roles = [
        _cluster_role("cluster-admin", _rule(("*",), ("*",), ("*",)), _rule(("*",), urls=("*",))),
        _cluster_role(
            "system:discovery",
            _rule(
                ("get",),
                urls=(
                    "/api",
                    "/api/*",
                    "/apis",
                    "/apis/*",
                    "/healthz",
                    "/livez",
                    "/openapi",
                    "/openapi/*",
                    "/readyz",
                    "/version",
                    "/version/",
                ),
            ),
        ),
        _cluster_role(
            "system:basic-user",
            _rule(
                ("create",),
                ("authorization.k8s.io",),
                ("selfsubjectaccessreviews", "selfsubjectrulesreviews"),
            ),
            _rule(("create",), ("authentication.k8s.io",), ("selfsubjectreviews",)),
        ),
        _cluster_role(
            "system:public-info-viewer",
            _rule(("get",), urls=("/healthz", "/livez", "/readyz", "/version", "/version/")),
        ),
        _cluster_role(
            "system:node-bootstrapper",
            _rule(("create", "get", "list", "watch"), (_CSR,), ("certificatesigningrequests",)),
        ),
        _cluster_role(NODE_CLIENT, _rule(("create",), (_CSR,), ("certificatesigningrequests/nodeclient",))),
        _cluster_role(
            SELF_NODE_CLIENT, _rule(("create",), (_CSR,), ("certificatesigningrequests/selfnodeclient",))
        ),
    ]
    bindings = [
        _binding("cluster-admin", "cluster-admin", MASTERS),
        _binding("system:discovery", "system:discovery", AUTHENTICATED),
        _binding("system:basic-user", "system:basic-user", AUTHENTICATED),
        _binding("system:public-info-viewer", "system:public-info-viewer", AUTHENTICATED, UNAUTHENTICATED),
        # kubeadm's bindings (cmd/kubeadm/app/phases/bootstraptoken/node/tlsbootstrap.go).
        _binding("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", BOOTSTRAPPERS),
        _binding("kubeadm:node-autoapprove-bootstrap", NODE_CLIENT, BOOTSTRAPPERS),
        _binding("kubeadm:node-autoapprove-certificate-rotation", SELF_NODE_CLIENT, NODES),
    ]
    return roles, bindings
