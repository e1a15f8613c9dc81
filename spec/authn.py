"""Who is asking: the authenticated user of an API request (k8s.io/apiserver ``pkg/authentication/user``).

Authentication (impl/apiserver, issue 9) turns a request's credentials
into a ``UserInfo``; authorization (``spec.rbac`` and the Node authorizer)
decides on it. The well-known names below are upstream's
(``user.Anonymous``, ``user.AllAuthenticated``, ``serviceaccount``'s and the
Node authorizer's prefixes), spelled exactly so that RBAC subjects written
for a real cluster match here too.

Requirement IDs: none (the authentication requirements live with their checks).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ANONYMOUS = "system:anonymous"
UNAUTHENTICATED = "system:unauthenticated"
AUTHENTICATED = "system:authenticated"
MASTERS = "system:masters"
NODES = "system:nodes"
NODE_PREFIX = "system:node:"
BOOTSTRAPPERS = "system:bootstrappers"
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"
SERVICE_ACCOUNTS = "system:serviceaccounts"


@dataclass(frozen=True)
class UserInfo:
    """``user.Info``: a name, an optional uid, the groups it belongs to and extra attributes."""

    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def node_name_of(user: UserInfo) -> str | None:
    """The node a ``system:node:<name>`` user in group ``system:nodes`` is, else None (NodeIdentifier)."""
    if NODES not in user.groups or not user.name.startswith(NODE_PREFIX):
        return None
    return user.name.removeprefix(NODE_PREFIX) or None
