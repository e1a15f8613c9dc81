"""Static token files and ServiceAccount token claims (pure parts of the token authenticators).

Models k8s.io/apiserver ``pkg/authentication/token/tokenfile/tokenfile.go`` (CSV
``token,user,uid,"group1,group2"``) and ``pkg/serviceaccount/claims.go`` / ``jwt.go``
(claims iss, sub ``system:serviceaccount:<ns>:<name>``, aud, exp, nbf, iat and the private
``kubernetes.io`` claim {namespace, serviceaccount {name, uid}}). Signature checking is
impl's (PyJWT); here the claims are built and judged against a clock given as a parameter
and the ServiceAccount that exists now (a deleted or re-created one has another uid).

Requirement IDs: SEC-AUTHN-TOKEN-FILE, SEC-AUTHN-SA-CLAIMS.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spec.authn import SERVICE_ACCOUNT_PREFIX, SERVICE_ACCOUNTS, UserInfo
from spec.requirements import requirement

SEC_AUTHN_TOKEN_FILE = requirement(
    "SEC-AUTHN-TOKEN-FILE",
    "A bearer token listed in the static token file MUST authenticate as that line's user, uid and groups; "
    "a token not listed MUST NOT authenticate.",
    component="apiserver",
    source="k8s.io/apiserver pkg/authentication/token/tokenfile/tokenfile.go",
)
SEC_AUTHN_SA_CLAIMS = requirement(
    "SEC-AUTHN-SA-CLAIMS",
    "A ServiceAccount token MUST authenticate as system:serviceaccount:<ns>:<name> (groups "
    "system:serviceaccounts and system:serviceaccounts:<ns>) only when its issuer is the server's, one of "
    "its "
    "audiences is accepted, it is within nbf..exp, and its ServiceAccount exists with the uid in the token; "
    "otherwise it MUST be rejected.",
    component="apiserver",
    source="kubernetes pkg/serviceaccount/claims.go, jwt.go",
)


class TokenFileError(ValueError):
    pass


def parse_token_file(text: str) -> dict[str, UserInfo]:
    """The users of a static token file by token (tokenfile.NewCSV: at least 3 columns, groups optional)."""
    users: dict[str, UserInfo] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) < 3:
            raise TokenFileError(f'line {number}: want token,user,uid[,"groups"]; got {len(row)} columns')
        token, name, uid = row[0], row[1], row[2]
        if not token:
            raise TokenFileError(f"line {number}: empty token")
        groups = tuple(g.strip() for g in row[3].split(",") if g.strip()) if len(row) > 3 else ()
        users[token] = UserInfo(name=name, uid=uid, groups=groups)
    return users


def service_account_username(namespace: str, name: str) -> str:
    return f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}"


def service_account_claims(
    *,
    issuer: str,
    namespace: str,
    name: str,
    uid: str,
    audiences: list[str],
    now: int,
    expiration_seconds: int,
) -> dict[str, Any]:
    """The claims of a TokenRequest-issued token (claims.go Claims)."""
    return {
        "iss": issuer,
        "sub": service_account_username(namespace, name),
        "aud": list(audiences),
        "iat": now,
        "nbf": now,
        "exp": now + expiration_seconds,
        "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": name, "uid": uid}},
    }


@dataclass(frozen=True)
class ClaimsDecision:
    user: UserInfo | None
    reason: str = ""


def judge_claims(
    claims: Mapping[str, Any],
    *,
    issuer: str,
    audiences: list[str],
    now: int,
    service_account_uid: Mapping[tuple[str, str], str],
) -> ClaimsDecision:
    """Whether verified ``claims`` authenticate; ``service_account_uid``: existing ServiceAccounts' uids."""
    if claims.get("iss") != issuer:
        return ClaimsDecision(None, f"token issuer {claims.get('iss')!r} is not {issuer!r}")
    aud = claims.get("aud")
    token_audiences = [aud] if isinstance(aud, str) else list(aud or [])
    if not set(token_audiences) & set(audiences):
        return ClaimsDecision(None, "token audiences are invalid")
    exp, nbf = claims.get("exp"), claims.get("nbf", 0)
    if not isinstance(exp, int) or now >= exp:
        return ClaimsDecision(None, "token has expired")
    if isinstance(nbf, int) and now < nbf:
        return ClaimsDecision(None, "token is not valid yet")
    private = claims.get("kubernetes.io") or {}
    namespace = private.get("namespace", "")
    sa = private.get("serviceaccount") or {}
    name, uid = sa.get("name", ""), sa.get("uid", "")
    if not namespace or not name:
        return ClaimsDecision(None, "token lacks the kubernetes.io namespace or serviceaccount name")
    if claims.get("sub") != service_account_username(namespace, name):
        return ClaimsDecision(None, "token subject does not match its serviceaccount")
    current = service_account_uid.get((namespace, name))
    if current is None:
        return ClaimsDecision(None, f"serviceaccount {namespace}/{name} not found")
    if current != uid:
        return ClaimsDecision(None, f"service account UID ({current}) does not match claim ({uid})")
    return ClaimsDecision(
        UserInfo(
            name=service_account_username(namespace, name),
            uid=uid,
            groups=(SERVICE_ACCOUNTS, f"{SERVICE_ACCOUNTS}:{namespace}"),
        )
    )
