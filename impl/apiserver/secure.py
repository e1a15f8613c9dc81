"""Authentication switched on for a served APIServer: PKI, the authenticator chain, TLS, admin kubeconfig.

What it models: what ``kubeadm init`` and kube-apiserver's flags set up
together. ``secure(server, pki_dir, ...)`` loads or generates kubeadm's PKI in
``pki_dir`` (impl/apiserver/tls.py ``ensure_pki``), the ServiceAccount signing
key ``sa.key`` there (or ``--service-account-key-file``), the static tokens of
``--token-auth-file``, and builds the chain of impl/apiserver/authn.py
(client certificates against the CA, static tokens, bootstrap tokens and
ServiceAccount JWTs read from the server's storage at request time). The
ServiceAccount signer is set on the server (``server.service_account_tokens``)
so the TokenRequest endpoint issues with the key the verifier checks.
``csr_controllers_for`` gives the CertificateSigningRequest approver and signer
(impl/controllers/certificates.py) for a server and its CA, as
kube-controller-manager runs them. ``admin_kubeconfig`` is kubeadm's ``admin.conf``: the CA and a client
certificate for ``kubernetes-admin`` in ``system:masters``
(cmd/kubeadm/app/phases/kubeconfig/kubeconfig.go), embedded as ``*-data``.

Requirement IDs: none (spec/authn_api.py, spec/bootstrap_tokens.py, spec/authn_tokens.py).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from impl import kubeconfig
from impl.apiclient import InProcessClient
from impl.apiserver.authn import Authenticator, ServiceAccountTokens, authenticator_for
from impl.apiserver.tls import PKI, _pem_key, ensure_pki
from impl.controllers.certificates import CSRControllerThread, CSRHandler, csr_controllers
from spec.authn import MASTERS, UserInfo
from spec.authn_tokens import parse_token_file

ADMIN_USER = "kubernetes-admin"
SERVICE_ACCOUNT_KEY = "sa.key"


@dataclass
class Security:
    """What serving with authentication needs: the PKI, the chain, the TLS context, the SA signer."""

    pki: PKI
    authenticator: Authenticator
    ssl_context: ssl.SSLContext
    sa_tokens: ServiceAccountTokens
    static_tokens: dict[str, UserInfo]

    def credentials(self, url: str, user: str, groups: tuple[str, ...] = ()) -> dict[str, Any]:
        """A kubeconfig for ``url`` with the CA and a fresh client certificate for ``user`` in ``groups``."""
        cert, key = self.pki.client_certificate(user, groups)
        return kubeconfig.kubeconfig_with(
            url, ca_pem=self.pki.ca_path.read_bytes(), cert_pem=cert, key_pem=key, user=user
        )

    def admin_kubeconfig(self, url: str) -> dict[str, Any]:
        """kubeadm's admin.conf: ``kubernetes-admin`` in ``system:masters``."""
        return self.credentials(url, ADMIN_USER, (MASTERS,))


def load_service_account_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The ES256 signing key in ``path`` (PEM, P-256), generated there on first use."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{path}: want an EC (P-256) private key for ES256 ServiceAccount tokens")
        return key
    key = ec.generate_private_key(ec.SECP256R1())
    path.touch(mode=0o600)
    path.write_bytes(_pem_key(key))
    return key


def secure(
    server: Any,
    pki_dir: Path,
    *,
    token_auth_file: Path | None = None,
    service_account_key_file: Path | None = None,
) -> Security:
    """PKI in ``pki_dir`` (generated on first use) and the authenticator chain for ``server``."""
    pki = ensure_pki(pki_dir)
    key = load_service_account_key(service_account_key_file or pki_dir / SERVICE_ACCOUNT_KEY)
    sa_tokens = ServiceAccountTokens(key=key)
    server.service_account_tokens = sa_tokens
    static_tokens = parse_token_file(token_auth_file.read_text()) if token_auth_file is not None else {}
    authenticator = authenticator_for(
        server, ca=pki.ca_cert, static_tokens=static_tokens, sa_tokens=sa_tokens
    )
    return Security(pki, authenticator, pki.server_context(), sa_tokens, static_tokens)


def csr_controllers_for(server: Any, pki: PKI) -> tuple[CSRHandler, ...]:
    """The approver (its SubjectAccessReview is the server's authorizer) and the signer with ``pki``'s CA."""
    authorizer = server.authorizer
    if authorizer is None:
        return ()  # no authorizer: no SubjectAccessReview to approve with
    return csr_controllers(lambda attributes: authorizer.decide(attributes).allowed, pki, server.clock)


def start_csr_controllers(server: Any, pki: PKI) -> CSRControllerThread | None:
    """The approver and the signer for ``server`` on an informer in a background thread, as
    kube-controller-manager runs them beside a secured API server (None without an authorizer)."""
    handlers = csr_controllers_for(server, pki)
    return CSRControllerThread(InProcessClient(server), handlers).start() if handlers else None
