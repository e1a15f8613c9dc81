"""The authentication suite's checks: who a request is, through the official ``kubernetes`` client.

Each check takes the suite's kubeconfig (``Servers``) and sends real requests
with the official client's ``call_api`` (conformance/security/rbac.py
``Cluster``), with the kubeconfig's server and CA but other credentials: none,
a generated bearer token, a bootstrap token whose Secret the check writes
through the API, a client certificate from a CA the cluster never saw, or the
credentials of the provider's optional ``client_credentials(user, groups,
method)`` capability (a client certificate from the cluster CA, a static
token: nothing a portable suite can mint itself). Who a request is
authenticated as is read back with SelfSubjectReview
(spec/authn_api.py). Waits are bounded: a real server's Secret informer lags
the write a little, the reference's reads are immediate.

Requirement IDs: SEC-AUTHN-ANONYMOUS-401, SEC-AUTHN-INVALID-TOKEN, SEC-AUTHN-CLIENT-CERT,
SEC-AUTHN-TOKEN-FILE, SEC-AUTHN-BOOTSTRAP-TOKEN, SEC-AUTHN-SELF-SUBJECT-REVIEW (spec/authn_api.py,
spec/authn_tokens.py).
"""

from __future__ import annotations

import copy
import datetime
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from conformance.security.rbac import Cluster
from conformance.violation import RequirementViolation as Violation
from spec import authn_api, authn_tokens, bootstrap_tokens

#: Paths every request class is sent to: a namespaced list, a cluster-scoped list, discovery.
PROTECTED: Final = ("/api/v1/namespaces/default/configmaps", "/api/v1/namespaces", "/apis")
#: How long a change to a bootstrap Secret may take to reach the authenticator (informer lag upstream).
PROPAGATION_S: Final = 10.0
_POLL_S: Final = 0.1


class NotApplicable(Exception):
    """The provider lacks an optional capability a check needs (reported as a skip, never a pass)."""


@dataclass
class Servers:
    """The server of the suite's kubeconfig, reached with any credentials."""

    kubeconfig: Path
    provider: Any

    def _configuration(self, kubeconfig: Path | None = None) -> Any:
        from kubernetes import client, config

        configuration = client.Configuration()
        config.load_kube_config(
            config_file=str(kubeconfig or self.kubeconfig),
            client_configuration=configuration,
            persist_config=False,
        )
        configuration.retries = 0  # a refused handshake is an answer, not something to retry
        return configuration

    @contextmanager
    def cluster(
        self, *, authorization: str | None = None, cert: tuple[Path, Path] | None = None
    ) -> Iterator[Cluster]:
        """The server and CA of the suite's kubeconfig with only these credentials (none by default)."""
        from kubernetes import client

        configuration = copy.deepcopy(self._configuration())
        configuration.cert_file, configuration.key_file = (
            (str(cert[0]), str(cert[1])) if cert else (None, None)
        )
        configuration.api_key = {"authorization": authorization} if authorization is not None else {}
        configuration.api_key_prefix = {}
        api = client.ApiClient(configuration)
        try:
            yield Cluster(api)
        finally:
            api.close()

    @contextmanager
    def as_kubeconfig(self, kubeconfig: Path | None = None) -> Iterator[Cluster]:
        """A kubeconfig's own credentials (the suite's by default)."""
        from kubernetes import client

        api = client.ApiClient(self._configuration(kubeconfig))
        try:
            yield Cluster(api)
        finally:
            api.close()

    def credentials(self, user: str, groups: tuple[str, ...], method: str) -> Path:
        capability = getattr(self.provider, "client_credentials", None)
        if capability is None:
            raise NotApplicable(
                "the apiserver provider has no client_credentials(user, groups, method): it cannot issue a "
                "client certificate from the cluster CA or a static token"
            )
        try:
            return Path(capability(user, groups, method=method))
        except NotImplementedError as error:
            raise NotApplicable(f"client_credentials(method={method!r}): {error}") from None


def review(cluster: Cluster) -> tuple[int, Any]:
    """POST a SelfSubjectReview: (status, body)."""
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    return cluster.request("POST", authn_api.SELF_SUBJECT_REVIEWS, body=body)


def _expect_unauthorized(
    cluster: Cluster, path: str, what: str, requirement: str, method: str = "GET"
) -> None:
    status, body = cluster.request(method, path)
    problem = authn_api.unauthorized_problem(status, body)
    if problem is not None:
        raise Violation(requirement, f"{what}: {method} {path}: {problem}; body {str(body)[:300]}")


def _expect_review(cluster: Cluster, name: str, groups: tuple[str, ...], what: str, requirement: str) -> None:
    status, body = review(cluster)
    if status != 201:
        raise Violation(requirement, f"{what}: SelfSubjectReview answered {status}: {str(body)[:300]}")
    problem = authn_api.review_problem(body, name, groups)
    if problem is not None:
        raise Violation(requirement, f"{what}: {problem}")


# -- anonymous and refused bearer tokens -------------------------------------------------------------


def check_anonymous(servers: Servers) -> int:
    """No credentials: 401 on the protected paths, 200 on the public ones. The number of requests."""
    sent = 0
    with servers.cluster() as anonymous:
        for path in PROTECTED:
            _expect_unauthorized(anonymous, path, "no credentials", authn_api.SEC_AUTHN_ANONYMOUS_401)
            sent += 1
        _expect_unauthorized(
            anonymous,
            authn_api.SELF_SUBJECT_REVIEWS,
            "no credentials",
            authn_api.SEC_AUTHN_ANONYMOUS_401,
            "POST",
        )
        for path in authn_api.PUBLIC_PATHS:
            status, body = anonymous.request("GET", path)
            if status != 200:
                raise Violation(
                    authn_api.SEC_AUTHN_ANONYMOUS_401,
                    f"no credentials: GET {path} answered {status}, want 200 (open endpoint): "
                    f"{str(body)[:200]}",
                )
            sent += 1
    return sent + 1


def check_refused_token(servers: Servers, token: str) -> None:
    """A bearer token no authenticator accepts: 401 everywhere, the open endpoints included."""
    with servers.cluster(authorization=f"Bearer {token}") as cluster:
        for path in (*PROTECTED[:1], authn_api.PUBLIC_PATHS[0]):
            _expect_unauthorized(cluster, path, f"bearer token {token!r}", authn_api.SEC_AUTHN_INVALID_TOKEN)


def check_malformed_header(servers: Servers, header: str) -> None:
    """A wrongly formatted Authorization header authenticates nobody: 401 on a protected path."""
    with servers.cluster(authorization=header) as cluster:
        _expect_unauthorized(
            cluster, PROTECTED[0], f"Authorization: {header!r}", authn_api.SEC_AUTHN_INVALID_TOKEN
        )


# -- client certificates ---------------------------------------------------------------------------


#: Names of the CAs the refused certificates come from: kubeadm's own CA name (a server that looked the
#: issuer up by name only would be fooled) and another.
UNTRUSTED_CA_NAMES: Final = ("kubernetes", "kspec-untrusted-ca")


def untrusted_ca(common_name: str = "kubernetes") -> tuple[Any, Any]:
    """(certificate, key) of a CA the cluster never saw, with subject CN=``common_name``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def client_certificate_files(ca: tuple[Any, Any], user: str, groups: tuple[str, ...], directory: Path):
    """PEM files (cert, key) of a client certificate for ``user`` in ``groups`` issued by ``ca``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            *(x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups),
            x509.NameAttribute(NameOID.COMMON_NAME, user),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file = directory / f"{user}.crt", directory / f"{user}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def check_untrusted_certificate(
    servers: Servers, make_ca: Callable[[str], tuple[Any, Any]] = untrusted_ca
) -> list[str]:
    """Client certificates (CN=kspec-intruder, O=system:masters) from CAs the cluster never saw: the
    handshake fails or the request gets 401; they never authenticate. Returns how each was refused."""
    import urllib3

    with servers.cluster() as anonymous:  # the server answers this client without a certificate
        status, _ = anonymous.request("GET", authn_api.PUBLIC_PATHS[0])
        if status != 200:
            raise AssertionError(
                f"setup: GET {authn_api.PUBLIC_PATHS[0]} without credentials answered {status}"
            )
    refusals = []
    for ca_name in UNTRUSTED_CA_NAMES:
        with tempfile.TemporaryDirectory(prefix="kspec-authn-") as name:
            files = client_certificate_files(
                make_ca(ca_name), "kspec-intruder", ("system:masters",), Path(name)
            )
            with servers.cluster(cert=files) as cluster:
                try:
                    status, body = cluster.request("GET", PROTECTED[1])
                except urllib3.exceptions.HTTPError as error:
                    # TLS 1.3: the server checks the certificate after the client's handshake ended, so
                    # the refusal shows as an alert or a closed connection on the first read.
                    if isinstance(getattr(error, "reason", None), urllib3.exceptions.NewConnectionError):
                        raise  # not listening: no answer at all
                    refusals.append("TLS handshake refused")
                    continue
            problem = authn_api.unauthorized_problem(status, body)
            if problem is not None:
                raise Violation(
                    authn_api.SEC_AUTHN_CLIENT_CERT,
                    f"a client certificate from an untrusted CA (CN={ca_name}) for CN=kspec-intruder, "
                    f"O=system:masters: GET {PROTECTED[1]}: {problem}",
                )
            refusals.append("401")
    return refusals


def check_cluster_certificate(servers: Servers, user: str, groups: tuple[str, ...]) -> None:
    """A certificate from the cluster CA (the provider's capability) authenticates as CN in O groups."""
    kubeconfig = servers.credentials(user, groups, "certificate")
    with servers.as_kubeconfig(kubeconfig) as cluster:
        _expect_review(
            cluster, user, groups, f"client certificate CN={user} O={groups}", authn_api.SEC_AUTHN_CLIENT_CERT
        )


def check_static_token(servers: Servers, user: str, groups: tuple[str, ...]) -> None:
    """A static token (the provider's capability) authenticates as its line's user and groups."""
    kubeconfig = servers.credentials(user, groups, "static-token")
    with servers.as_kubeconfig(kubeconfig) as cluster:
        _expect_review(cluster, user, groups, f"static token of {user}", authn_tokens.SEC_AUTHN_TOKEN_FILE)


def check_impersonated_review(servers: Servers, user: str) -> None:
    """SelfSubjectReview while impersonating answers the impersonated user (rest.go reads the context)."""
    with servers.as_kubeconfig() as cluster:
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
        status, answer = cluster.request("POST", authn_api.SELF_SUBJECT_REVIEWS, body=body, user=(user, ""))
    if status != 201:
        raise Violation(
            authn_api.SEC_AUTHN_SELF_SUBJECT_REVIEW, f"impersonating {user}: {status}: {str(answer)[:300]}"
        )
    problem = authn_api.review_problem(answer, user, ())
    if problem is not None:
        raise Violation(authn_api.SEC_AUTHN_SELF_SUBJECT_REVIEW, f"impersonating {user}: {problem}")


def check_own_review(servers: Servers) -> str:
    """The suite's own user: a 201 SelfSubjectReview in system:authenticated. Returns the username."""
    with servers.as_kubeconfig() as cluster:
        status, body = review(cluster)
    info = ((body or {}).get("status") or {}).get("userInfo") or {} if isinstance(body, dict) else {}
    if status != 201 or not info.get("username") or "system:authenticated" not in (info.get("groups") or ()):
        raise Violation(
            authn_api.SEC_AUTHN_SELF_SUBJECT_REVIEW,
            f"the suite's own SelfSubjectReview: {status} {str(body)[:300]}",
        )
    return str(info["username"])


# -- bootstrap tokens ------------------------------------------------------------------------------


def _eventually(condition: Callable[[], str | None], timeout_s: float = PROPAGATION_S) -> str | None:
    """None once ``condition`` returns None within ``timeout_s``, else its last problem."""
    deadline = time.monotonic() + timeout_s
    while True:
        problem = condition()
        if problem is None or time.monotonic() >= deadline:
            return problem
        time.sleep(_POLL_S)


def new_token() -> tuple[str, str]:
    """A fresh (id, secret) in bootstrap token form."""
    digits = uuid.uuid4().hex + uuid.uuid4().hex
    return "k" + digits[:5], digits[5:21]


def check_bootstrap_lifecycle(servers: Servers) -> list[str]:
    """A bootstrap token's Secret written through the API: valid, then expired, usage removed, another
    secret, deleted: each step observed by the next requests. Returns the steps checked."""
    token_id, secret = new_token()
    extra = ("system:bootstrappers:kspec-suite",)
    token = f"{token_id}.{secret}"
    name, groups = authn_api.bootstrap_user(token_id, extra)
    future = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
    path = f"/api/v1/namespaces/{bootstrap_tokens.NAMESPACE}/secrets"
    steps: list[str] = []

    def put(**changes: Any) -> None:
        obj = authn_api.bootstrap_secret(
            token_id,
            changes.pop("secret", secret),
            **{"expiration": future, "extra_groups": extra, **changes},
        )
        status, body = admin.request("PUT", f"{path}/{bootstrap_tokens.secret_name(token_id)}", body=obj)
        if status != 200:
            raise AssertionError(f"setup: PUT bootstrap Secret answered {status}: {str(body)[:300]}")

    def authenticated() -> str | None:
        with servers.cluster(authorization=f"Bearer {token}") as cluster:
            status, body = review(cluster)
        if status != 201:
            return f"SelfSubjectReview answered {status}: {str(body)[:200]}"
        return authn_api.review_problem(body, name, groups)

    def refused() -> str | None:
        with servers.cluster(authorization=f"Bearer {token}") as cluster:
            status, body = cluster.request("GET", PROTECTED[0])
        return authn_api.unauthorized_problem(status, body)

    def expect(condition: Callable[[], str | None], step: str) -> None:
        problem = _eventually(condition)
        if problem is not None:
            raise Violation(
                authn_api.SEC_AUTHN_BOOTSTRAP_TOKEN, f"bootstrap token {token_id}: {step}: {problem}"
            )
        steps.append(step)

    with servers.as_kubeconfig() as admin:
        expect(refused, "no Secret yet: refused")
        status, body = admin.request(
            "POST",
            path,
            body=authn_api.bootstrap_secret(token_id, secret, expiration=future, extra_groups=extra),
        )
        if status != 201:
            raise AssertionError(f"setup: POST bootstrap Secret answered {status}: {str(body)[:300]}")
        try:
            expect(authenticated, "valid Secret: authenticates")
            put(expiration=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
            expect(refused, "expired: refused")
            put()
            expect(authenticated, "expiration moved on: authenticates again")
            put(authentication=False)
            expect(refused, "usage-bootstrap-authentication removed: refused")
            put()
            expect(authenticated, "usage restored: authenticates again")
            put(secret=new_token()[1])
            expect(refused, "token-secret changed: refused")
            put()
            expect(authenticated, "token-secret restored: authenticates again")
        finally:
            admin.request("DELETE", f"{path}/{bootstrap_tokens.secret_name(token_id)}")
        expect(refused, "Secret deleted: refused")
    return steps
