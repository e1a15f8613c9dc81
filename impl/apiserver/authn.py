"""The API server's authenticator chain: client certificate, static token, bootstrap token, SA JWT.

Upstream's union authenticator (k8s.io/apiserver pkg/authentication/request/union) tries each in turn;
the first that recognises the credential decides. With no credential the request is anonymous, which
gets 401 "Unauthorized" except on the health and version endpoints. The decisions themselves are
spec's (``spec.bootstrap_tokens``, ``spec.authn_tokens``); here are the I/O: reading Secrets and
ServiceAccounts through callables, and JWT signatures (PyJWT, ES256).
"""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from impl.apiserver.tls import user_of_certificate, verify_issued_by
from spec import apiserver as api
from spec import authn_tokens, bootstrap_tokens
from spec.authn import ANONYMOUS, AUTHENTICATED, UNAUTHENTICATED, UserInfo
from spec.objects import core
from spec.objects.registry import info_of

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
        # bearertoken.go: another scheme, or "Bearer" without a token, is no credential at all (anonymous,
        # so 401 outside the open paths); a bearer token nobody accepts is a refused credential.
        parts = (authorization or "").strip().split(" ")
        if len(parts) < 2 or parts[0].lower() != "bearer" or not parts[1]:
            return None
        token = parts[1]
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


# -- the chain of a served APIServer: bootstrap Secrets and ServiceAccounts read from its storage ---------


class _StoredObjects(Mapping):
    """A read-through view of one namespace's objects of one kind in ``storage()``, by name.

    The authenticators look one name up per request (upstream reads its informer caches); reading the
    store at request time means a Secret created, changed or deleted through the API is seen by the very
    next request. Iteration lists the namespace (only used when someone asks for all of them).
    """

    def __init__(self, storage: Callable[[], Any], kind: type, namespace: str | None, convert) -> None:
        self._storage, self._info, self._namespace, self._convert = storage, info_of(kind), namespace, convert

    def _decode(self, value: bytes) -> Any:
        try:
            obj = json.loads(value)
        except ValueError:
            return None
        return self._convert(obj) if isinstance(obj, dict) else None

    def __getitem__(self, name: Any) -> Any:
        namespace, name = (self._namespace, name) if self._namespace is not None else name
        stored = self._storage().get(api.object_key(self._info, namespace, name))
        found = None if stored is None else self._decode(stored.value)
        if found is None:
            raise KeyError(name)
        return found

    def _names(self) -> list[Any]:
        prefix = api.list_prefix(self._info, self._namespace)
        names = []
        for stored in self._storage().page(prefix, prefix, 0, 0).items:
            obj = json.loads(stored.value)
            metadata = obj.get("metadata") or {}
            key = metadata.get("name", "")
            names.append(key if self._namespace is not None else (metadata.get("namespace", ""), key))
        return names

    def __iter__(self):
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


def bootstrap_secret_of(obj: dict[str, Any]) -> bootstrap_tokens.BootstrapSecret:
    """What the bootstrap authenticator reads of a stored Secret: type, decoded data, deletion mark."""
    data: dict[str, str] = {}
    for key, value in (obj.get("data") or {}).items():
        try:
            data[key] = base64.b64decode(value or "").decode()
        except (ValueError, UnicodeDecodeError):
            continue  # undecodable data authenticates nothing
    for key, value in (obj.get("stringData") or {}).items():
        data.setdefault(key, str(value))
    metadata = obj.get("metadata") or {}
    return bootstrap_tokens.BootstrapSecret(
        type=str(obj.get("type") or ""), data=data, deleting=bool(metadata.get("deletionTimestamp"))
    )


def _service_account_uid(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("uid") or "")


def stored_bootstrap_secrets(storage: Callable[[], Any]) -> Mapping[str, bootstrap_tokens.BootstrapSecret]:
    """kube-system's Secrets by name, read from ``storage()`` at each lookup."""
    return _StoredObjects(storage, core.Secret, bootstrap_tokens.NAMESPACE, bootstrap_secret_of)


def stored_service_accounts(storage: Callable[[], Any]) -> Mapping[tuple[str, str], str]:
    """ServiceAccounts' uids by (namespace, name), read from ``storage()`` at each lookup."""
    return _StoredObjects(storage, core.ServiceAccount, None, _service_account_uid)


def authenticator_for(
    server: Any,
    *,
    ca: x509.Certificate | None,
    static_tokens: Mapping[str, UserInfo] | None = None,
    sa_tokens: ServiceAccountTokens | None = None,
) -> Authenticator:
    """The chain kube-apiserver runs for ``server`` (an ``APIServer``): client certificates against ``ca``,
    the static tokens, bootstrap tokens and ServiceAccount tokens checked against its storage, its clock."""
    return Authenticator(
        ca=ca,
        static_tokens=static_tokens if static_tokens is not None else {},
        secrets=lambda: stored_bootstrap_secrets(lambda: server.storage),
        service_accounts=lambda: stored_service_accounts(lambda: server.storage),
        sa_tokens=sa_tokens,
        clock=lambda: server.clock(),
    )
