"""Kubelet TLS bootstrap: join a cluster with a bootstrap token (in-process slice).

The kubelet (pkg/kubelet/certificate/bootstrap/bootstrap.go) authenticates with the bootstrap token,
submits a CSR for CN=system:node:<name>, O=system:nodes with a fresh key, waits (bounded) for the
certificate, then authenticates with it and registers its Node. A refused token stops the join
before anything is created. ``join`` runs against an in-process ``Cluster`` (the authenticator chain,
the PKI, the CSR controller and a Node table); ``join_over_api`` is the same over HTTPS against a
served API server (impl/apiserver/certificates.py serves the CSRs, impl/controllers/certificates.py
approves and signs them): POST a CSR with the bootstrap token, poll it (bounded) until
``status.certificate`` is set, then create the Node and its Lease with the client certificate.
A refused token is a 401 on the first request, so no CSR and no Node exist.

Requirement IDs: SEC-JOIN-BOOTSTRAP (declared in spec/certificates.py).
"""

from __future__ import annotations

import base64
import hashlib
import ssl
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from impl.apiclient import HTTPClient
from impl.apiserver.authn import Authenticator, Failure
from impl.apiserver.tls import PKI
from impl.controllers.csr import CSR, reconcile
from spec import bootstrap_tokens
from spec import certificates as csr_spec
from spec.authn import NODE_PREFIX, NODES, UserInfo, node_name_of


class JoinRefused(Exception):
    """The join was refused; ``reason`` says why (the authenticator's or the approver's)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Cluster:
    authenticator: Authenticator
    pki: PKI
    csrs: dict[str, CSR] = field(default_factory=dict)
    nodes: dict[str, UserInfo] = field(default_factory=dict)


def join(cluster: Cluster, node_name: str, token: str, *, max_rounds: int = 10) -> tuple[bytes, bytes]:
    """Join as ``node_name`` with ``token``; returns the PEM (certificate, key) the kubelet now uses."""
    requester = cluster.authenticator.authenticate(f"Bearer {token}", None)
    if isinstance(requester, Failure) or requester is None:
        raise JoinRefused(requester.reason if requester else "no credential")
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, NODES),
            x509.NameAttribute(NameOID.COMMON_NAME, NODE_PREFIX + node_name),
        ]
    )
    request = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    csr = CSR(name=f"node-csr-{node_name}", request=request, requester=requester)
    cluster.csrs[csr.name] = csr
    for _ in range(max_rounds):  # bounded wait for the controllers
        reconcile(csr, cluster.pki)
        if csr.certificate or csr.denied_reason:
            break
    if not csr.certificate:
        raise JoinRefused(csr.denied_reason or "no certificate issued in time")
    node_user = cluster.authenticator.authenticate(None, x509.load_pem_x509_certificate(csr.certificate))
    if not isinstance(node_user, UserInfo) or node_name_of(node_user) != node_name:
        raise JoinRefused(f"the issued certificate does not authenticate as {NODE_PREFIX}{node_name}")
    cluster.nodes[node_name] = node_user
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return csr.certificate, key_pem


_CSRS = "/apis/certificates.k8s.io/v1/certificatesigningrequests"


def _node_request(node_name: str) -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    """A fresh key and the PEM CSR for CN=system:node:<name>, O=system:nodes (bootstrap.go)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, NODES),
            x509.NameAttribute(NameOID.COMMON_NAME, NODE_PREFIX + node_name),
        ]
    )
    request = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    return key, request.public_bytes(serialization.Encoding.PEM)


def _tls(ca_file: Path, cert_pem: bytes | None = None, key_pem: bytes | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca_file))
    if cert_pem is not None and key_pem is not None:
        with tempfile.TemporaryDirectory(prefix="kspec-kubelet-") as directory:
            cert_file, key_file = Path(directory) / "kubelet.crt", Path(directory) / "kubelet.key"
            cert_file.write_bytes(cert_pem)
            key_file.write_bytes(key_pem)
            context.load_cert_chain(cert_file, key_file)  # read now; the files can go
    return context


def join_over_api(
    url: str,
    ca_file: Path,
    node_name: str,
    token: str,
    *,
    timeout_s: float = 20.0,
    poll_s: float = 0.05,
) -> tuple[bytes, bytes]:
    """Join the cluster at ``url`` as ``node_name``: returns the PEM (certificate, key) it now uses.

    The kubelet has only the CA (``ca_file``) and the bootstrap ``token``. Raises ``JoinRefused``: a
    malformed token before any request, a refused one on the API server's 401 (nothing created), a
    denied or failed CSR, or no certificate within ``timeout_s``.
    """
    if not bootstrap_tokens.TOKEN_PATTERN.match(token):
        raise JoinRefused("the token is not a bootstrap token ([a-z0-9]{6}.[a-z0-9]{16})")
    bootstrap = HTTPClient(url, token=token, ssl_context=_tls(ca_file))
    key, request_pem = _node_request(node_name)
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # kubelet's digestedName: the CSR's name follows from the key and subject.
    name = "node-csr-" + hashlib.sha256(public_der + node_name.encode()).hexdigest()[:32]
    body = {
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": name},
        "spec": {
            "request": base64.b64encode(request_pem).decode(),
            "signerName": csr_spec.KUBELET_CLIENT_SIGNER,
            "usages": ["digital signature", "client auth"],
        },
    }
    status, answer = bootstrap.call("POST", _CSRS, body)
    if status == 401:
        raise JoinRefused("the API server refused the bootstrap token (401 Unauthorized)")
    if status != 201:
        raise JoinRefused(f"creating the CSR failed: {status} {_message(answer)}")
    deadline = time.monotonic() + timeout_s
    certificate = b""
    while not certificate:
        status, answer = bootstrap.call("GET", f"{_CSRS}/{name}")
        if status != 200:
            raise JoinRefused(f"reading the CSR failed: {status} {_message(answer)}")
        conditions = {c.get("type") for c in (answer.get("status") or {}).get("conditions") or ()}
        if conditions & {csr_spec.DENIED, csr_spec.FAILED}:
            raise JoinRefused(f"the CSR {name} was {sorted(conditions)}")
        certificate = base64.b64decode((answer.get("status") or {}).get("certificate") or "")
        if not certificate:
            if time.monotonic() > deadline:
                raise JoinRefused(f"no certificate issued for {name} within {timeout_s} s")
            time.sleep(poll_s)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    kubelet = HTTPClient(url, ssl_context=_tls(ca_file, certificate, key_pem))
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node_name}}
    status, answer = kubelet.call("POST", "/api/v1/nodes", node)
    if status not in (201, 409):
        raise JoinRefused(f"registering the Node failed: {status} {_message(answer)}")
    lease = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": node_name, "namespace": "kube-node-lease"},
        "spec": {"holderIdentity": node_name, "leaseDurationSeconds": 40},
    }
    status, answer = kubelet.call(
        "POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease
    )
    if status not in (201, 409):
        raise JoinRefused(f"creating the node Lease failed: {status} {_message(answer)}")
    return certificate, key_pem


def _message(answer: object) -> str:
    return str(answer.get("message")) if isinstance(answer, dict) else str(answer)[:200]
