"""Kubelet TLS bootstrap: join a cluster with a bootstrap token (in-process slice).

The kubelet (pkg/kubelet/certificate/bootstrap/bootstrap.go) authenticates with the bootstrap token,
submits a CSR for CN=system:node:<name>, O=system:nodes with a fresh key, waits (bounded) for the
certificate, then authenticates with it and registers its Node. A refused token stops the join
before anything is created. Here the cluster is an in-process ``Cluster`` (the authenticator chain,
the PKI, the CSR controller and a Node table); the HTTP CSR API is not served yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from impl.apiserver.authn import Authenticator, Failure
from impl.apiserver.tls import PKI
from impl.controllers.csr import CSR, reconcile
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
    from cryptography.hazmat.primitives import serialization

    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return csr.certificate, key_pem
