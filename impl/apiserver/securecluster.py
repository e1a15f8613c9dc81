"""A reference API server with authentication, CSRs and TokenRequest wired together (for tests and docs).

``SecureCluster`` starts, on a fresh in-memory store: the PKI (impl/apiserver/tls.py, kubeadm's layout
in ``directory``), the core with the Node and RBAC authorizers, ServiceAccount token signing
(``serviceaccounts/<name>/token``), the authenticator chain reading bootstrap-token Secrets and
ServiceAccount uids from storage, HTTPS with client certificates, and the controllers including the
CSR approver and signer (impl/controllers/certificates.py). ``admin`` is an HTTPClient with a
system:masters client certificate.

It is what the reference provider's optional ``secure_cluster()`` capability serves
(conformance/security/test_join.py) and what tests inject broken approvers, signers and
authenticators into; ``kspec apiserver`` and the provider's ``serve`` wire the same pieces through
impl/apiserver/secure.py.

Requirement IDs: none.
"""

from __future__ import annotations

import ssl
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from impl.apiclient import HTTPClient, InProcessClient
from impl.apiserver.authn import (
    Authenticator,
    ServiceAccountTokens,
    stored_bootstrap_secrets,
    stored_service_accounts,
)
from impl.apiserver.core import APIServer
from impl.apiserver.http import ServerThread, new_server
from impl.apiserver.memory import MemoryKV
from impl.apiserver.secure import csr_controllers_for
from impl.apiserver.tls import PKI, ensure_pki
from impl.controllers.certificates import CSRControllerThread, CSRHandler
from impl.controllers.runner import DEFAULT_CONTROLLERS, ControllerLoop
from spec import bootstrap_tokens as bt
from spec.authn import MASTERS


def client_context(pki: PKI, cert_pem: bytes | None = None, key_pem: bytes | None = None) -> ssl.SSLContext:
    """A TLS client context trusting the cluster CA, with a client certificate when given."""
    context = ssl.create_default_context(cafile=str(pki.ca_path))
    if cert_pem is not None and key_pem is not None:
        with tempfile.TemporaryDirectory(prefix="kspec-client-") as name:
            directory = Path(name)
            (directory / "client.crt").write_bytes(cert_pem)
            (directory / "client.key").write_bytes(key_pem)
            (directory / "client.key").chmod(0o600)
            context.load_cert_chain(directory / "client.crt", directory / "client.key")  # read now
    return context


@dataclass
class SecureCluster:
    directory: Path
    seed: int = 1
    #: The CSR approver and signer for the server and its PKI (tests substitute broken ones).
    csr_controllers: Callable[[APIServer, PKI], tuple[CSRHandler, ...]] = lambda server, pki: (
        csr_controllers_for(server, pki)
    )
    #: ServiceAccount uids for the token authenticator; None: read from storage (tests substitute).
    service_accounts: Callable[[], Mapping[tuple[str, str], str]] | None = None
    server: APIServer = field(init=False)
    pki: PKI = field(init=False)
    thread: ServerThread = field(init=False)
    loop: ControllerLoop = field(init=False)
    csr_thread: CSRControllerThread = field(init=False)
    tokens: ServiceAccountTokens = field(init=False)
    _admin: HTTPClient | None = field(default=None, init=False, repr=False)

    def start(self) -> SecureCluster:
        self.pki = ensure_pki(self.directory / "pki")
        self.server = new_server(MemoryKV().client(), seed=self.seed, authorization=True)
        self.tokens = ServiceAccountTokens()
        self.server.service_account_tokens = self.tokens
        authenticator = Authenticator(
            ca=self.pki.ca_cert,
            secrets=lambda: stored_bootstrap_secrets(lambda: self.server.storage),
            service_accounts=self.service_accounts
            or (lambda: stored_service_accounts(lambda: self.server.storage)),
            sa_tokens=self.tokens,
            clock=self.server.clock,
        )
        self.thread = ServerThread(
            self.server, authenticator=authenticator, ssl_context=self.pki.server_context()
        ).start()
        self.loop = ControllerLoop(self.server, DEFAULT_CONTROLLERS, interval_s=0.02).start()
        # The CSR controllers on an informer; in process, as kube-controller-manager's own identity.
        handlers = self.csr_controllers(self.server, self.pki)
        self.csr_thread = CSRControllerThread(InProcessClient(self.server), handlers).start()
        return self

    def stop(self) -> None:
        self.csr_thread.stop(timeout_s=10)
        self.loop.stop(timeout_s=10)
        self.thread.stop(timeout_s=10)

    def __enter__(self) -> SecureCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.thread.url

    def client(self, *, token: str | None = None, cert: tuple[bytes, bytes] | None = None) -> HTTPClient:
        context = client_context(self.pki, *(cert or (None, None)))
        return HTTPClient(self.url, token=token, ssl_context=context)

    @property
    def ca_file(self) -> Path:
        return self.pki.ca_path

    def user_client(self, name: str, groups: tuple[str, ...] = ()) -> HTTPClient:
        """A client authenticating with a client certificate for ``name`` in ``groups``."""
        return self.client(cert=self.pki.client_certificate(name, groups))

    @property
    def admin(self) -> HTTPClient:
        """A kubernetes-admin (system:masters) client; one certificate per cluster."""
        if self._admin is None:
            self._admin = self.user_client("kubernetes-admin", (MASTERS,))
        return self._admin

    def create_bootstrap_token(self, token: str, expiration: str, **extra: Any) -> None:
        """The Secret bootstrap-token-<id> in kube-system (as ``kubeadm token create`` writes it)."""
        token_id, _, secret = token.partition(".")
        data = {
            bt.KEY_TOKEN_ID: token_id,
            bt.KEY_TOKEN_SECRET: secret,
            bt.KEY_EXPIRATION: expiration,
            bt.KEY_USAGE_AUTHENTICATION: "true",
            bt.KEY_USAGE_SIGNING: "true",
            bt.KEY_EXTRA_GROUPS: "system:bootstrappers:kubeadm:default-node-token",
            **extra,
        }
        body = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": bt.secret_name(token_id), "namespace": "kube-system"},
            "type": bt.SECRET_TYPE,
            "stringData": data,
        }
        status, answer = self.admin.call("POST", "/api/v1/namespaces/kube-system/secrets", body)
        if status != 201:
            raise RuntimeError(f"creating the bootstrap token Secret: {status} {answer}")
