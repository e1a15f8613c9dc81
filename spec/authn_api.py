"""Authentication as a client of the API sees it: 401s, the open endpoints, SelfSubjectReview (pure).

Models k8s.io/apiserver ``pkg/endpoints/filters/authentication.go`` (a request
whose credential is refused, or that has none and is not allowed anonymously,
is answered ``responsewriters.Unauthorized``: a 401 Status with reason
"Unauthorized"; a refused credential never falls back to anonymous), the
open paths of ``system:public-info-viewer`` (``/healthz``, ``/livez``,
``/readyz``, ``/version``: kube-apiserver lets anonymous requests reach them),
the x509 authenticator (CN the user, each O a group; a certificate from
another CA does not authenticate), and the SelfSubjectReview API
(``pkg/registry/authentication/selfsubjectreview/rest.go``, GA in 1.28:
POST ``/apis/authentication.k8s.io/v1/selfsubjectreviews`` answers 201 with
``status.userInfo`` of the caller, the impersonated user when impersonating).
Every authenticated user is in ``system:authenticated`` (the group adder of
``pkg/authentication/request/union``).

The suite (conformance/security/test_authn.py) checks servers against these
functions through the official client; the reference's SelfSubjectReview
answer is ``self_subject_review`` itself.

Requirement IDs: SEC-AUTHN-ANONYMOUS-401, SEC-AUTHN-INVALID-TOKEN, SEC-AUTHN-CLIENT-CERT,
SEC-AUTHN-BOOTSTRAP-TOKEN, SEC-AUTHN-SELF-SUBJECT-REVIEW.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from spec import bootstrap_tokens
from spec.authn import AUTHENTICATED, BOOTSTRAPPERS, UserInfo
from spec.requirements import requirement

PUBLIC_PATHS = ("/healthz", "/livez", "/readyz", "/version")
SELF_SUBJECT_REVIEWS = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
_FILTER = "k8s.io/apiserver pkg/endpoints/filters/authentication.go"

SEC_AUTHN_ANONYMOUS_401 = requirement(
    "SEC-AUTHN-ANONYMOUS-401",
    "A request without credentials MUST be answered 401 with a Status of reason Unauthorized, except GET "
    "/healthz, /livez, /readyz and /version, which MUST be served (200) without credentials.",
    component="apiserver",
    source=f"{_FILTER}; plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go system:public-info-viewer",
)
SEC_AUTHN_INVALID_TOKEN = requirement(
    "SEC-AUTHN-INVALID-TOKEN",
    "A request with a bearer token no authenticator accepts (garbage, wrongly formatted, unknown) MUST be "
    "answered 401 Unauthorized, also on the open endpoints: a refused credential MUST NOT be served as "
    "anonymous.",
    component="apiserver",
    source=_FILTER,
)
SEC_AUTHN_CLIENT_CERT = requirement(
    "SEC-AUTHN-CLIENT-CERT",
    "A client certificate issued by the cluster CA MUST authenticate as its CommonName with its "
    "Organizations as groups (plus system:authenticated); a certificate issued by another CA MUST NOT "
    "authenticate (the TLS handshake fails or the request gets 401).",
    component="apiserver",
    source="k8s.io/apiserver pkg/authentication/request/x509/x509.go",
)
SEC_AUTHN_BOOTSTRAP_TOKEN = requirement(
    "SEC-AUTHN-BOOTSTRAP-TOKEN",
    "A bootstrap token MUST authenticate as SEC-AUTHN-BOOTSTRAP-DECISION decides on its Secret as it is in "
    "the API at the time of the request: a Secret created through the API is honoured, and once it has "
    "expired, lost usage-bootstrap-authentication, holds another token-secret or is deleted, the token MUST "
    "get 401.",
    component="apiserver",
    source="plugin/pkg/auth/authenticator/token/bootstrap/bootstrap.go",
)
SEC_AUTHN_SELF_SUBJECT_REVIEW = requirement(
    "SEC-AUTHN-SELF-SUBJECT-REVIEW",
    "POST /apis/authentication.k8s.io/v1/selfsubjectreviews MUST answer 201 with a SelfSubjectReview whose "
    "status.userInfo is the authenticated user of the request (username, uid, groups, extra).",
    component="apiserver",
    source="kubernetes pkg/registry/authentication/selfsubjectreview/rest.go",
)


def is_public_path(path: str) -> bool:
    """Whether anonymous GETs of ``path`` are served (the health checks and /version)."""
    return any(path == p or path.startswith(p + "/") for p in PUBLIC_PATHS)


def unauthorized_problem(status: int, body: Any) -> str | None:
    """None when (status, decoded body) is upstream's 401 Unauthorized Status, else what differs."""
    if status != 401:
        return f"status {status}, want 401 Unauthorized"
    if isinstance(body, Mapping) and body.get("kind") == "Status":
        if body.get("reason") != "Unauthorized" or body.get("code") != 401:
            return f"401 Status with reason {body.get('reason')!r} code {body.get('code')!r}"
    return None


def user_info(user: UserInfo) -> dict[str, Any]:
    """``authentication.k8s.io/v1 UserInfo`` of ``user`` (empty fields omitted, as omitempty does)."""
    info: dict[str, Any] = {"username": user.name}
    if user.uid:
        info["uid"] = user.uid
    if user.groups:
        info["groups"] = list(user.groups)
    if user.extra:
        info["extra"] = {key: list(values) for key, values in user.extra.items()}
    return info


def self_subject_review(user: UserInfo, now: datetime) -> dict[str, Any]:
    """The SelfSubjectReview answered for ``user`` at ``now`` (rest.go Create)."""
    return {
        "kind": "SelfSubjectReview",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"creationTimestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "status": {"userInfo": user_info(user)},
    }


def review_problem(review: Mapping[str, Any] | None, name: str, groups: Iterable[str]) -> str | None:
    """None when a SelfSubjectReview's userInfo is user ``name`` with exactly ``groups`` plus
    system:authenticated (order free), else what differs."""
    info = ((review or {}).get("status") or {}).get("userInfo") or {}
    want = {*groups, AUTHENTICATED}
    got = set(info.get("groups") or ())
    if info.get("username") != name or got != want:
        return f"authenticated as {info.get('username')!r} in {sorted(got)}, want {name!r} in {sorted(want)}"
    return None


def bootstrap_user(token_id: str, extra_groups: Iterable[str] = ()) -> tuple[str, tuple[str, ...]]:
    """(username, groups without system:authenticated) a valid bootstrap token authenticates as."""
    return bootstrap_tokens.USER_PREFIX + token_id, (BOOTSTRAPPERS, *extra_groups)


def bootstrap_secret(
    token_id: str,
    token_secret: str,
    *,
    expiration: datetime | None = None,
    authentication: bool = True,
    extra_groups: Iterable[str] = (),
) -> dict[str, Any]:
    """The Secret ``bootstrap-token-<id>`` in kube-system for a token, as kubeadm writes it."""
    data = {
        bootstrap_tokens.KEY_TOKEN_ID: token_id,
        bootstrap_tokens.KEY_TOKEN_SECRET: token_secret,
        bootstrap_tokens.KEY_USAGE_SIGNING: "true",
    }
    if authentication:
        data[bootstrap_tokens.KEY_USAGE_AUTHENTICATION] = "true"
    if expiration is not None:
        data[bootstrap_tokens.KEY_EXPIRATION] = expiration.strftime("%Y-%m-%dT%H:%M:%SZ")
    groups = ",".join(extra_groups)
    if groups:
        data[bootstrap_tokens.KEY_EXTRA_GROUPS] = groups
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": bootstrap_tokens.secret_name(token_id), "namespace": bootstrap_tokens.NAMESPACE},
        "type": bootstrap_tokens.SECRET_TYPE,
        "data": {key: base64.b64encode(value.encode()).decode() for key, value in data.items()},
    }
