"""The CSR approver and signer controllers (kube-controller-manager's csrapproving and csrsigning).

What it models: k/k ``pkg/controller/certificates/approver/sarapprove.go`` (a kubelet client CSR is
approved when a SubjectAccessReview of its requester for ``create`` on
``certificatesigningrequests/nodeclient`` -- or ``/selfnodeclient`` when the requester is the node
named -- is allowed: the requester's identity comes from the CSR's server-set spec.username/groups,
the decision from the authorizer) and ``pkg/controller/certificates/signer/signer.go`` (for
kubernetes.io/kube-apiserver-client-kubelet and kubernetes.io/kube-apiserver-client: only Approved,
not Denied nor Failed, no certificate yet; the CA from the PKI; validity the signing duration, one
year by default, or expirationSeconds if shorter; a kubelet-client CSR that is not a kubelet client
is marked Failed). Both write through the API (``/approval``, ``/status``), as upstream's do.

They are ``Controller`` functions (``Resources -> writes``) for impl/controllers/runner.py's loop,
built by ``csr_controllers``; the decisions are spec/certificates.py's.

Requirement IDs: SEC-CSR-AUTO-APPROVE, SEC-CSR-SIGN-APPROVED (declared in spec/certificates.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from impl.apiserver.certificates import request_facts
from impl.apiserver.tls import PKI
from impl.controllers.client import Resources
from spec import certificates as spec
from spec import rbac
from spec.authn import UserInfo
from spec.objects.base import Time
from spec.objects.certificates import CertificateSigningRequest, CertificateSigningRequestCondition
from spec.objects.registry import ObjectError, from_dict, info_of, to_dict

_CSRS = info_of(CertificateSigningRequest)
SIGNER_NAMES: tuple[str, ...] = (spec.KUBELET_CLIENT_SIGNER, spec.CLIENT_SIGNER)

Authorize = Callable[[rbac.Attributes], bool]
Clock = Callable[[], datetime.datetime]


def _wall() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _csrs(client: Resources) -> list[CertificateSigningRequest]:
    found = []
    for obj in sorted(client.list(_CSRS), key=lambda o: o["metadata"]["name"]):
        try:
            csr = from_dict(obj)
        except ObjectError:
            continue
        assert isinstance(csr, CertificateSigningRequest)
        found.append(csr)
    return found


def approve_decision(csr: CertificateSigningRequest, authorize: Authorize) -> str | None:
    """None when the approver approves ``csr``, else why it leaves it alone (sarapprove.go handle)."""
    if spec.has_condition(csr, spec.APPROVED) or spec.has_condition(csr, spec.DENIED):
        return "already approved or denied"
    facts = request_facts(csr.spec.request)
    if facts is None:
        return "the request does not parse"
    reason = spec.node_client_reason(csr.spec, facts)
    if reason is not None:
        return reason
    requester = UserInfo(csr.spec.username, csr.spec.uid, tuple(csr.spec.groups))
    attributes = rbac.Attributes(
        requester,
        "create",
        True,
        api_group=spec.GROUP,
        api_version="v1",
        resource="certificatesigningrequests",
        subresource=spec.approval_subresource(csr.spec, facts),
    )
    if not authorize(attributes):
        return f"{requester.name} may not create certificatesigningrequests/{attributes.subresource}"
    return None


def _with_condition(
    csr: CertificateSigningRequest, kind: str, reason: str, message: str, now: datetime.datetime
):
    condition = CertificateSigningRequestCondition(
        type=kind,
        status="True",
        reason=reason,
        message=message,
        last_update_time=Time.of(now),
        last_transition_time=Time.of(now),
    )
    return csr.replace(status=csr.status.replace(conditions=(*csr.status.conditions, condition)))


def approver(
    authorize: Authorize,
    clock: Clock = _wall,
    *,
    decide: Callable[[CertificateSigningRequest, Authorize], str | None] = approve_decision,
) -> Callable[[Resources], int]:
    """The approver over ``authorize`` (the server's authorizer: a SubjectAccessReview's answer).

    ``decide`` is ``approve_decision`` unless a test seeds a bug."""

    def reconcile(client: Resources) -> int:
        writes = 0
        for csr in _csrs(client):
            if decide(csr, authorize) is not None:
                continue
            approved = _with_condition(
                csr,
                spec.APPROVED,
                "AutoApproved",
                "Auto approving kubelet client certificate after SubjectAccessReview.",
                clock(),
            )
            writes += client.update(_CSRS, to_dict(approved), "approval") is not None
        return writes

    return reconcile


def issue(csr: CertificateSigningRequest, pki: PKI, now: datetime.datetime, signing_seconds: int) -> bytes:
    """The PEM certificate for ``csr``: its subject and key, the CA's signature, the spec's duration."""
    request = x509.load_pem_x509_csr(csr.spec.request)
    public_key = request.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise ValueError("only ECDSA keys are signed here")
    seconds = spec.certificate_seconds(csr.spec.expiration_seconds, signing_seconds)
    certificate = pki.sign(public_key, request.subject, now=now, validity=datetime.timedelta(seconds=seconds))
    return certificate.public_bytes(serialization.Encoding.PEM)


def signer(
    pki: PKI,
    clock: Clock = _wall,
    *,
    signer_names: Sequence[str] = SIGNER_NAMES,
    signing_seconds: int = spec.DEFAULT_SIGNING_SECONDS,
    sign_reason: Callable[[CertificateSigningRequest, Sequence[str]], str | None] = spec.sign_reason,
) -> Callable[[Resources], int]:
    """The signer for ``signer_names`` with the CA of ``pki`` (``sign_reason``: seeded bugs only)."""

    def reconcile(client: Resources) -> int:
        writes = 0
        for csr in _csrs(client):
            if sign_reason(csr, signer_names) is not None:
                continue
            now = clock()
            facts = request_facts(csr.spec.request)
            invalid = "the request does not parse" if facts is None else None
            if facts is not None and csr.spec.signer_name == spec.KUBELET_CLIENT_SIGNER:
                invalid = spec.node_client_reason(csr.spec, facts)
            if invalid is None:
                try:
                    signed = csr.replace(
                        status=csr.status.replace(certificate=issue(csr, pki, now, signing_seconds))
                    )
                except ValueError as error:
                    invalid = str(error)
            if invalid is not None:  # signer.go: a Failed condition, SignerValidationFailure
                signed = _with_condition(csr, spec.FAILED, "SignerValidationFailure", invalid, now)
            writes += client.update(_CSRS, to_dict(signed), "status") is not None
        return writes

    return reconcile


def csr_controllers(
    authorize: Authorize, pki: PKI, clock: Clock = _wall
) -> tuple[Callable[[Resources], int], Callable[[Resources], int]]:
    """The approver and the signer, to append to the controllers the reference server runs."""
    return approver(authorize, clock), signer(pki, clock)
