"""The API server's authenticator chain: client certificate, static token, bootstrap token, SA JWT.

Upstream's union authenticator (k8s.io/apiserver pkg/authentication/request/union) tries each in turn;
the first that recognises the credential decides. With no credential the request is anonymous, which
gets 401 "Unauthorized" except on the health and version endpoints. The decisions themselves are
spec's (``spec.bootstrap_tokens``, ``spec.authn_tokens``); here are the I/O: reading Secrets and
ServiceAccounts through callables, and JWT signatures (PyJWT, ES256).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from impl.apiserver.tls import user_of_certificate, verify_issued_by
from spec import authn_tokens, bootstrap_tokens
from spec.authn import ANONYMOUS, AUTHENTICATED, UNAUTHENTICATED, UserInfo

# AlwaysAllowPaths for anonymous requests (the health checks and /version are open upstream too:
# system:public-info-viewer grants them to system:unauthenticated).
OPEN_PATHS = ("/healthz", "/livez", "/readyz", "/version")


def is_open_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in OPEN_PATHS)


@dataclass(frozen=True)
class Failure:
    """A credential was presented and refused: 401 with this reason."""

    reason: str


@dataclass
class ServiceAccountTokens:
    """Issues and verifies ServiceAccount JWTs (TokenRequest) with one signing key."""

    issuer: str = "https://kubernetes.default.svc.cluster.local"
    audiences: tuple[str, ...] = ("https://kubernetes.default.svc.cluster.local",)
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    def issue(
        self,
        namespace: str,
        name: str,
        uid: str,
        *,
        now: int,
        audiences: list[str] | None = None,
        expiration_seconds: int = 3600,
    ) -> str:
        claims = authn_tokens.service_account_claims(
            issuer=self.issuer,
            namespace=namespace,
            name=name,
            uid=uid,
            audiences=audiences or list(self.audiences),
            now=now,
            expiration_seconds=expiration_seconds,
        )
        return jwt.encode(claims, self.key, algorithm="ES256")

    def verify(self, token: str, *, now: int, service_account_uid: Mapping[tuple[str, str], str]):
        try:
            # The signature only: the claims are judged by spec at the given clock.
            claims = jwt.decode(
                token,
                self.key.public_key(),
                algorithms=["ES256"],
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False},
            )
        except jwt.PyJWTError as error:
            return authn_tokens.ClaimsDecision(None, f"invalid token signature: {error}")
        return authn_tokens.judge_claims(
            claims,
            issuer=self.issuer,
            audiences=list(self.audiences),
            now=now,
            service_account_uid=service_account_uid,
        )


@dataclass
class Authenticator:
    """The chain. ``secrets``: bootstrap Secrets by name; ``service_accounts``: uids by (ns, name)."""

    ca: x509.Certificate | None = None
    static_tokens: Mapping[str, UserInfo] = field(default_factory=dict)
    secrets: Callable[[], Mapping[str, bootstrap_tokens.BootstrapSecret]] = dict
    service_accounts: Callable[[], Mapping[tuple[str, str], str]] = dict
    sa_tokens: ServiceAccountTokens | None = None
    clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC)

    def authenticate(
        self, authorization: str | None, peer_cert: x509.Certificate | None
    ) -> UserInfo | Failure | None:
        """The user, a Failure for a refused credential, or None when there is no credential (anonymous)."""
        now = self.clock()
        if peer_cert is not None and self.ca is not None:
            reason = verify_issued_by(peer_cert, self.ca, now)
            if reason is not None:
                return Failure(reason)
            return _authenticated(user_of_certificate(peer_cert))
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return Failure("only bearer tokens are accepted in the Authorization header")
        if token in self.static_tokens:
            return _authenticated(self.static_tokens[token])
        if bootstrap_tokens.TOKEN_PATTERN.match(token):
            decision = bootstrap_tokens.authenticate(token, self.secrets(), now)
            return _authenticated(decision.user) if decision.user else Failure(decision.reason)
        if self.sa_tokens is not None and token.count(".") == 2:
            claims = self.sa_tokens.verify(
                token, now=int(now.timestamp()), service_account_uid=self.service_accounts()
            )
            return _authenticated(claims.user) if claims.user else Failure(claims.reason)
        return Failure("invalid bearer token")


def _authenticated(user: UserInfo) -> UserInfo:
    """Every authenticated user is also in system:authenticated (group adder in the union authenticator)."""
    if AUTHENTICATED in user.groups:
        return user
    return UserInfo(user.name, user.uid, (*user.groups, AUTHENTICATED), user.extra)


def anonymous_user() -> UserInfo:
    """The user of a request without credentials on an open path (anonymous authenticator)."""
    return UserInfo(ANONYMOUS, groups=(UNAUTHENTICATED,))


def unauthorized_status() -> dict:
    """Upstream's 401 body (responsewriters.Unauthorized → apierrors.NewUnauthorized)."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }
