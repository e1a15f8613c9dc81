"""CSR auto-approval and signing for kubelet client certificates (in-process slice).

Approval follows pkg/controller/certificates/approver/sarapprove.go's ``isSelfNodeClientCert``-less
bootstrap case as kubeadm configures it (ClusterRoleBinding of system:bootstrappers to
``certificatesigningrequests:nodeclient``): a request from a user in system:bootstrappers for
CN=system:node:<name>, O=system:nodes, usages client auth only, is approved. Signing is
pkg/controller/certificates/signer (kubernetes.io/kube-apiserver-client-kubelet): the CA issues the
certificate once the CSR is Approved. The CertificateSigningRequest API kind itself is not served yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from impl.apiserver.tls import PKI, _pem_cert
from spec.authn import BOOTSTRAPPERS, NODE_PREFIX, NODES, UserInfo

KUBELET_CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client-kubelet"


@dataclass
class CSR:
    """The parts of a certificates.k8s.io/v1 CertificateSigningRequest the flow uses."""

    name: str
    request: x509.CertificateSigningRequest
    requester: UserInfo
    signer_name: str = KUBELET_CLIENT_SIGNER
    approved: bool = False
    denied_reason: str = ""
    certificate: bytes = b""


def approval_reason(csr: CSR) -> str | None:
    """None when the bootstrap node-client CSR is auto-approved, else why not."""
    if csr.signer_name != KUBELET_CLIENT_SIGNER:
        return f"signer {csr.signer_name} is not auto-approved"
    if BOOTSTRAPPERS not in csr.requester.groups:
        return f"requester {csr.requester.name} is not in {BOOTSTRAPPERS}"
    cn = [str(a.value) for a in csr.request.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    orgs = [str(a.value) for a in csr.request.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    if len(cn) != 1 or not cn[0].startswith(NODE_PREFIX) or cn[0] == NODE_PREFIX:
        return "subject CN is not system:node:<name>"
    if orgs != [NODES]:
        return "subject O is not exactly system:nodes"
    if not csr.request.is_signature_valid:
        return "request signature is invalid"
    return None


def reconcile(csr: CSR, pki: PKI) -> None:
    """One pass of the approver and the signer over ``csr``."""
    if not csr.approved and not csr.denied_reason:
        reason = approval_reason(csr)
        if reason is None:
            csr.approved = True
        else:
            csr.denied_reason = reason
    if csr.approved and not csr.certificate:
        public_key = csr.request.public_key()
        assert isinstance(public_key, ec.EllipticCurvePublicKey)
        csr.certificate = _pem_cert(pki.sign(public_key, csr.request.subject))
