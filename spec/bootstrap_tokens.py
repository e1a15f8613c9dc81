"""Bootstrap tokens: their format, their Secret and the authenticator's decision (pure).

Models k8s.io/cluster-bootstrap (``token/api/types.go``, ``token/util/helpers.go``,
``secret/util.go``) and ``plugin/pkg/auth/authenticator/token/bootstrap/bootstrap.go``:
a token ``<id>.<secret>`` (``[a-z0-9]{6}.[a-z0-9]{16}``) names the Secret
``bootstrap-token-<id>`` in kube-system of type ``bootstrap.kubernetes.io/token``;
it authenticates as ``system:bootstrap:<id>`` in ``system:bootstrappers`` plus the
Secret's ``auth-extra-groups`` when the secret matches, the token has not expired,
``usage-bootstrap-authentication`` is "true" and the Secret is not being deleted.
The clock is a parameter (no wall clock in spec/); Secret data is given decoded.

Requirement IDs: SEC-AUTHN-BOOTSTRAP-FORMAT, SEC-AUTHN-BOOTSTRAP-DECISION.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from spec.authn import BOOTSTRAPPERS, UserInfo
from spec.requirements import requirement

_SOURCE = (
    "k8s.io/cluster-bootstrap token/api/types.go; plugin/pkg/auth/authenticator/token/bootstrap/bootstrap.go"
)

SECRET_TYPE = "bootstrap.kubernetes.io/token"
SECRET_PREFIX = "bootstrap-token-"
NAMESPACE = "kube-system"
USER_PREFIX = "system:bootstrap:"
KEY_TOKEN_ID = "token-id"
KEY_TOKEN_SECRET = "token-secret"
KEY_EXPIRATION = "expiration"
KEY_USAGE_AUTHENTICATION = "usage-bootstrap-authentication"
KEY_USAGE_SIGNING = "usage-bootstrap-signing"
KEY_EXTRA_GROUPS = "auth-extra-groups"

TOKEN_PATTERN = re.compile(r"\A([a-z0-9]{6})\.([a-z0-9]{16})\Z")
# BootstrapGroupPattern (token/api/types.go): extra groups must stay under system:bootstrappers:.
GROUP_PATTERN = re.compile(r"\Asystem:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]\Z")

SEC_AUTHN_BOOTSTRAP_FORMAT = requirement(
    "SEC-AUTHN-BOOTSTRAP-FORMAT",
    "A bootstrap token MUST be accepted only in the form [a-z0-9]{6}.[a-z0-9]{16}; anything else MUST NOT "
    "authenticate as a bootstrap token.",
    component="apiserver",
    source=_SOURCE,
)
SEC_AUTHN_BOOTSTRAP_DECISION = requirement(
    "SEC-AUTHN-BOOTSTRAP-DECISION",
    "A bootstrap token MUST authenticate as system:bootstrap:<id> in system:bootstrappers plus the Secret's "
    "auth-extra-groups only when the Secret bootstrap-token-<id> in kube-system has type "
    "bootstrap.kubernetes.io/token, a matching token-id and token-secret, an expiration not passed, "
    "usage-bootstrap-authentication=true, valid extra groups and no deletion timestamp; otherwise it MUST be "
    "rejected with a reason.",
    component="apiserver",
    source=_SOURCE,
)


@dataclass(frozen=True)
class BootstrapSecret:
    """What the authenticator reads from a Secret: its type, decoded data and whether it is being deleted."""

    type: str
    data: Mapping[str, str]
    deleting: bool = False


@dataclass(frozen=True)
class Decision:
    """A user when authenticated, else the reason it was not."""

    user: UserInfo | None
    reason: str = ""


def parse_token(token: str) -> tuple[str, str] | None:
    """``(id, secret)`` of a well-formed token, else None (ParseToken)."""
    match = TOKEN_PATTERN.match(token)
    return (match.group(1), match.group(2)) if match else None


def secret_name(token_id: str) -> str:
    return SECRET_PREFIX + token_id


def parse_rfc3339(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def authenticate(token: str, lookup: Mapping[str, BootstrapSecret], now: datetime) -> Decision:
    """The bootstrap authenticator's decision for ``token`` given kube-system's Secrets by name at ``now``."""
    parsed = parse_token(token)
    if parsed is None:
        return Decision(None, "bootstrap token is malformed: want [a-z0-9]{6}.[a-z0-9]{16}")
    token_id, token_secret = parsed
    secret = lookup.get(secret_name(token_id))
    if secret is None:
        return Decision(None, f"no bootstrap token secret {secret_name(token_id)} in {NAMESPACE}")
    if secret.deleting:
        return Decision(None, f"bootstrap token secret {secret_name(token_id)} is being deleted")
    if secret.type != SECRET_TYPE:
        return Decision(None, f"secret {secret_name(token_id)} has type {secret.type!r}, not {SECRET_TYPE}")
    if secret.data.get(KEY_TOKEN_ID, "") != token_id:
        return Decision(None, "bootstrap token id does not match its secret")
    # Constant-time comparison, as upstream (subtle.ConstantTimeCompare).
    if not hmac.compare_digest(secret.data.get(KEY_TOKEN_SECRET, "").encode(), token_secret.encode()):
        return Decision(None, "bootstrap token secret does not match")
    expiration = secret.data.get(KEY_EXPIRATION)
    if expiration is not None:
        when = parse_rfc3339(expiration)
        if when is None:
            return Decision(None, f"bootstrap token expiration {expiration!r} is not RFC3339")
        if now > when:  # HasExpired: time.Now().After(expiration)
            return Decision(None, f"bootstrap token expired at {expiration}")
    if secret.data.get(KEY_USAGE_AUTHENTICATION) != "true":
        return Decision(None, f"bootstrap token is not marked {KEY_USAGE_AUTHENTICATION}=true")
    extra = [g for g in secret.data.get(KEY_EXTRA_GROUPS, "").split(",") if g]
    for group in extra:
        if not GROUP_PATTERN.match(group):
            return Decision(None, f"bootstrap token extra group {group!r} is not under {BOOTSTRAPPERS}:")
    groups = tuple(dict.fromkeys([BOOTSTRAPPERS, *extra]))
    return Decision(UserInfo(name=USER_PREFIX + token_id, groups=groups))
