"""CertificateSigningRequests, their approval and signing, TokenRequest: what server and controllers MUST do.

What it models (pure functions; the I/O and the cryptography are impl's):

- validation (k/k ``pkg/apis/certificates/validation/validation.go``): ``spec.request`` is a PEM
  ``CERTIFICATE REQUEST`` block, ``signerName`` is required and a qualified name ``<domain>/<path>``,
  ``usages`` are among the known key usages, ``expirationSeconds`` at least 600; Approved and Denied
  are mutually exclusive; an issued certificate may not change.
- the strategies (``pkg/registry/certificates/certificates/strategy.go``): on create
  ``spec.username/uid/groups/extra`` are the authenticated requester's, never the body's, and the
  status is cleared; a plain update changes neither spec nor status; ``/status`` changes the
  status but not the approval conditions; ``/approval`` changes only the conditions. Who may approve:
  verb ``approve`` on ``signers`` (group certificates.k8s.io) with resourceName the signerName or
  ``<domain>/*`` (``plugin/pkg/admission/certificates/approval``).
- the approver (``pkg/controller/certificates/approver/sarapprove.go``): a kubelet client CSR
  (``isNodeClientCert``: signer kube-apiserver-client-kubelet, O=[system:nodes],
  CN=system:node:<name>, usages within {digital signature, key encipherment, client auth} with client
  auth) is approved when a SubjectAccessReview of the requester for ``create`` on
  ``certificatesigningrequests/selfnodeclient`` (the requester is the node itself) or ``/nodeclient``
  is allowed; otherwise the approver leaves it alone.
- the signer (``pkg/controller/certificates/signer/signer.go``): only for its signer names, only
  Approved and neither Denied nor Failed, only once; the duration is the configured one (upstream's
  ``--cluster-signing-duration`` default 8760h) or ``expirationSeconds`` if shorter.
- TokenRequest (``pkg/apis/authentication/validation``, ``pkg/registry/core/serviceaccount/storage/
  token.go``): ``expirationSeconds`` defaults to 3600, at least 600 and at most 2^32; the token is
  bound to the ServiceAccount's uid and refused once it is deleted or re-created.

Requirement IDs: SEC-CSR-VALID, SEC-CSR-REQUESTER-FROM-AUTH, SEC-CSR-APPROVAL-SUBRESOURCE,
SEC-CSR-STATUS-SUBRESOURCE, SEC-CSR-AUTO-APPROVE, SEC-CSR-SIGN-APPROVED, SEC-SA-TOKEN-REQUEST,
SEC-SA-TOKEN-BOUND, SEC-JOIN-BOOTSTRAP.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from spec.authn import NODE_PREFIX, NODES, UserInfo
from spec.objects.certificates import CertificateSigningRequest, CertificateSigningRequestSpec
from spec.objects.validation.errors import FieldError, Path, forbidden, invalid, not_supported, required
from spec.requirements import requirement

_K = "kubernetes/kubernetes"
GROUP: Final = "certificates.k8s.io"
KUBELET_CLIENT_SIGNER: Final = "kubernetes.io/kube-apiserver-client-kubelet"
CLIENT_SIGNER: Final = "kubernetes.io/kube-apiserver-client"
APPROVED: Final = "Approved"
DENIED: Final = "Denied"
FAILED: Final = "Failed"
#: certificates/v1 KeyUsage values.
KEY_USAGES: Final = (
    "signing",
    "digital signature",
    "content commitment",
    "key encipherment",
    "key agreement",
    "data encipherment",
    "cert sign",
    "crl sign",
    "encipher only",
    "decipher only",
    "any",
    "server auth",
    "client auth",
    "code signing",
    "email protection",
    "s/mime",
    "ipsec end system",
    "ipsec tunnel",
    "ipsec user",
    "timestamping",
    "ocsp signing",
    "microsoft sgc",
    "netscape sgc",
)
#: isNodeClientCert's allowed usages (the key usages depend on the key type; client auth is required).
KUBELET_CLIENT_USAGES: Final = frozenset({"digital signature", "key encipherment", "client auth"})
MIN_EXPIRATION_SECONDS: Final = 600
#: --cluster-signing-duration's default (cmd/kube-controller-manager options: 365 days).
DEFAULT_SIGNING_SECONDS: Final = 365 * 24 * 3600
TOKEN_DEFAULT_EXPIRATION: Final = 3600
TOKEN_MIN_EXPIRATION: Final = 600
TOKEN_MAX_EXPIRATION: Final = 1 << 32
_SIGNER_NAME = re.compile(r"\A[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/[^/\s]+\Z")
_PEM = re.compile(
    rb"\A\s*-----BEGIN CERTIFICATE REQUEST-----\s*([A-Za-z0-9+/=\s]+?)\s*"
    rb"-----END CERTIFICATE REQUEST-----\s*\Z"
)

SEC_CSR_VALID = requirement(
    "SEC-CSR-VALID",
    "A CertificateSigningRequest MUST be refused (422) unless spec.request is one PEM CERTIFICATE REQUEST "
    "block with a valid signature, spec.signerName is a qualified <domain>/<path> name, every usage is a "
    "known key usage and expirationSeconds, if set, is at least 600; Approved and Denied MUST NOT both be "
    "set.",
    component="apiserver",
    source=f"{_K} pkg/apis/certificates/validation/validation.go",
)
SEC_CSR_REQUESTER_FROM_AUTH = requirement(
    "SEC-CSR-REQUESTER-FROM-AUTH",
    "On create, a CSR's spec.username, spec.uid, spec.groups and spec.extra MUST be those of the "
    "authenticated requester, whatever the body says, and its status MUST be empty; no update may change "
    "the spec.",
    component="apiserver",
    source=f"{_K} pkg/registry/certificates/certificates/strategy.go",
)
SEC_CSR_APPROVAL_SUBRESOURCE = requirement(
    "SEC-CSR-APPROVAL-SUBRESOURCE",
    "The Approved and Denied conditions of a CSR MUST change only through the /approval subresource, and "
    "only for a user allowed the verb approve on signers (certificates.k8s.io) named the CSR's signerName "
    "or <domain>/*; /approval MUST change nothing but the conditions.",
    component="apiserver",
    source=f"{_K} pkg/registry/certificates/certificates/strategy.go, "
    "plugin/pkg/admission/certificates/approval/admission.go",
)
SEC_CSR_STATUS_SUBRESOURCE = requirement(
    "SEC-CSR-STATUS-SUBRESOURCE",
    "status.certificate of a CSR MUST change only through the /status subresource, which MUST NOT change "
    "the spec or the approval conditions; once issued, the certificate MUST NOT be changed.",
    component="apiserver",
    source=f"{_K} pkg/registry/certificates/certificates/strategy.go, validation.go",
)
SEC_CSR_AUTO_APPROVE = requirement(
    "SEC-CSR-AUTO-APPROVE",
    "The CSR approver MUST approve only kubelet client CSRs (signer kube-apiserver-client-kubelet, "
    "O=[system:nodes], CN=system:node:<name>, usages within digital signature, key encipherment and client "
    "auth, with client auth) whose requester the authorizer allows create on "
    "certificatesigningrequests/nodeclient, or /selfnodeclient when the requester is that node; it MUST "
    "NOT approve any other CSR.",
    component="controllers",
    source=f"{_K} pkg/controller/certificates/approver/sarapprove.go",
)
SEC_CSR_SIGN_APPROVED = requirement(
    "SEC-CSR-SIGN-APPROVED",
    "The signer MUST issue a certificate only for its signer names and only for a CSR that is Approved and "
    "neither Denied nor Failed, with the CSR's subject and public key, signed by the cluster CA, valid for "
    "the signing duration (default one year) or expirationSeconds if shorter.",
    component="controllers",
    source=f"{_K} pkg/controller/certificates/signer/signer.go",
)
SEC_SA_TOKEN_REQUEST = requirement(
    "SEC-SA-TOKEN-REQUEST",
    "POST serviceaccounts/<name>/token MUST return a token for system:serviceaccount:<ns>:<name> with "
    "expirationTimestamp now + expirationSeconds (default 3600); expirationSeconds below 600 or above 2^32 "
    "MUST be refused (422), and a token for a missing ServiceAccount MUST NOT be issued (404).",
    component="apiserver",
    source=f"{_K} pkg/registry/core/serviceaccount/storage/token.go, pkg/apis/authentication/validation",
)
SEC_SA_TOKEN_BOUND = requirement(
    "SEC-SA-TOKEN-BOUND",
    "A TokenRequest token MUST stop authenticating once its ServiceAccount is deleted or re-created (the "
    "token is bound to the ServiceAccount's uid).",
    component="apiserver",
    source=f"{_K} pkg/serviceaccount/claims.go (validator.Validate)",
)
SEC_JOIN_BOOTSTRAP = requirement(
    "SEC-JOIN-BOOTSTRAP",
    "A kubelet with only the CA and a valid bootstrap token MUST obtain, through a CSR, a client "
    "certificate for system:node:<name> in system:nodes and register its Node with it; with an expired, "
    "unknown, malformed or revoked token it MUST be refused (401) with no CSR and no Node left behind.",
    component="apiserver",
    source=f"{_K} pkg/kubelet/certificate/bootstrap/bootstrap.go, "
    "cmd/kubeadm/app/phases/bootstraptoken/node/tlsbootstrap.go",
)


# -- validation ---------------------------------------------------------------------------------------


def pem_request_der(request: bytes) -> bytes | None:
    """The DER inside one PEM CERTIFICATE REQUEST block, or None when ``request`` is not exactly that."""
    match = _PEM.match(request)
    if match is None:
        return None
    try:
        return base64.b64decode(b"".join(match.group(1).split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def has_condition(csr: CertificateSigningRequest, kind: str) -> bool:
    return any(c.type == kind and c.status in ("True", "") for c in csr.status.conditions)


def validate_csr(csr: CertificateSigningRequest) -> list[FieldError]:
    """ValidateCertificateSigningRequestCreate's checks without cryptography (the signature is impl's)."""
    spec, at = csr.spec, Path("spec")
    errors: list[FieldError] = []
    if not spec.request:
        errors.append(required(at.child("request")))
    elif pem_request_der(spec.request) is None:
        errors.append(invalid(at.child("request"), "<bytes>", "PEM block type must be CERTIFICATE REQUEST"))
    if not spec.signer_name:
        errors.append(required(at.child("signerName")))
    elif _SIGNER_NAME.match(spec.signer_name) is None:
        errors.append(
            invalid(at.child("signerName"), spec.signer_name, "must be a fully qualified domain and path")
        )
    if spec.expiration_seconds is not None and spec.expiration_seconds < MIN_EXPIRATION_SECONDS:
        errors.append(
            invalid(
                at.child("expirationSeconds"),
                spec.expiration_seconds,
                "may not specify a duration less than 600 seconds (10 minutes)",
            )
        )
    if not spec.usages:
        errors.append(required(at.child("usages")))
    for position, usage in enumerate(spec.usages):
        if usage not in KEY_USAGES:
            errors.append(not_supported(at.child("usages").index(position), usage, KEY_USAGES))
    if has_condition(csr, APPROVED) and has_condition(csr, DENIED):
        errors.append(
            invalid(
                Path("status.conditions"),
                "Approved,Denied",
                "Approved and Denied conditions are mutually exclusive",
            )
        )
    return errors


# -- the strategies -----------------------------------------------------------------------------------


def requester_spec(
    spec: CertificateSigningRequestSpec, user: UserInfo | None
) -> CertificateSigningRequestSpec:
    """PrepareForCreate: the body's user fields cleared, then the authenticated requester's set."""
    if user is None:
        return spec.replace(username="", uid="", groups=(), extra={})
    extra = {key: tuple(values) for key, values in user.extra.items()}
    return spec.replace(username=user.name, uid=user.uid, groups=tuple(user.groups), extra=extra)


def requester_matches(csr: CertificateSigningRequest, user: UserInfo | None) -> str | None:
    """None when the stored CSR names its creator exactly (SEC-CSR-REQUESTER-FROM-AUTH), else what differs."""
    want = requester_spec(csr.spec, user)
    for name in ("username", "uid", "groups"):
        if getattr(csr.spec, name) != getattr(want, name):
            return f"spec.{name} is {getattr(csr.spec, name)!r}, the requester's is {getattr(want, name)!r}"
    return None


def merge_update(
    old: CertificateSigningRequest, new: CertificateSigningRequest, via: str
) -> CertificateSigningRequest:
    """What an update stores: ``via`` is "" (the object), "status" or "approval" (the strategies)."""
    if via == "approval":
        return new.replace(spec=old.spec, status=old.status.replace(conditions=new.status.conditions))
    if via == "status":
        # The Approved/Denied conditions stay the stored ones; others (Failed) come from the update.
        kept = tuple(c for c in old.status.conditions if c.type in (APPROVED, DENIED))
        added = tuple(c for c in new.status.conditions if c.type not in (APPROVED, DENIED))
        return new.replace(spec=old.spec, status=new.status.replace(conditions=kept + added))
    return new.replace(spec=old.spec, status=old.status)


def update_errors(old: CertificateSigningRequest, new: CertificateSigningRequest) -> list[FieldError]:
    """ValidateCertificateSigningRequestUpdate: an issued certificate stays; Approved/Denied stay."""
    errors: list[FieldError] = []
    if old.status.certificate and new.status.certificate != old.status.certificate:
        errors.append(forbidden(Path("status.certificate"), "updates may not modify a certificate"))
    for kind in (APPROVED, DENIED):
        if has_condition(old, kind) and not has_condition(new, kind):
            errors.append(
                forbidden(Path("status.conditions"), f"updates may not remove a condition of type {kind!r}")
            )
    return errors


def approval_changed(old: CertificateSigningRequest, new: CertificateSigningRequest) -> bool:
    return any(has_condition(old, kind) != has_condition(new, kind) for kind in (APPROVED, DENIED))


def signer_resource_names(signer_name: str) -> tuple[str, str]:
    """The resourceNames an approve/sign permission may name: the signer, or its domain's wildcard."""
    return signer_name, signer_name.partition("/")[0] + "/*"


# -- the approver -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestFacts:
    """What the approver and signer read from spec.request (impl parses it): subject and signature."""

    common_name: str | None
    organizations: tuple[str, ...]
    signature_valid: bool


def node_client_reason(spec: CertificateSigningRequestSpec, facts: RequestFacts) -> str | None:
    """None when the CSR is a kubelet client certificate request (sarapprove.go isNodeClientCert)."""
    if spec.signer_name != KUBELET_CLIENT_SIGNER:
        return f"signer {spec.signer_name} is not {KUBELET_CLIENT_SIGNER}"
    if facts.organizations != (NODES,):
        return "subject O is not exactly system:nodes"
    cn = facts.common_name or ""
    if not cn.startswith(NODE_PREFIX) or cn == NODE_PREFIX:
        return "subject CN is not system:node:<name>"
    if not set(spec.usages) <= KUBELET_CLIENT_USAGES or "client auth" not in spec.usages:
        return f"usages {list(spec.usages)} are not a kubelet client's"
    if not facts.signature_valid:
        return "request signature is invalid"
    return None


def approval_subresource(spec: CertificateSigningRequestSpec, facts: RequestFacts) -> str:
    """The SubjectAccessReview subresource: selfnodeclient when the requester is the node, else nodeclient."""
    return "selfnodeclient" if spec.username == facts.common_name else "nodeclient"


# -- the signer ---------------------------------------------------------------------------------------


def sign_reason(csr: CertificateSigningRequest, signer_names: Sequence[str]) -> str | None:
    """None when the signer must issue a certificate for ``csr`` now, else why not (signer.go handle)."""
    if csr.spec.signer_name not in signer_names:
        return f"signer {csr.spec.signer_name} is not handled here"
    if csr.status.certificate:
        return "already issued"
    if not has_condition(csr, APPROVED):
        return "not approved"
    if has_condition(csr, DENIED) or has_condition(csr, FAILED):
        return "denied or failed"
    return None


def certificate_seconds(
    expiration_seconds: int | None, signing_seconds: int = DEFAULT_SIGNING_SECONDS
) -> int:
    """How long the issued certificate is valid: the signing duration, or expirationSeconds if shorter."""
    if expiration_seconds is None:
        return signing_seconds
    return min(signing_seconds, max(expiration_seconds, MIN_EXPIRATION_SECONDS))


# -- TokenRequest -------------------------------------------------------------------------------------


def token_expiration_errors(expiration_seconds: int) -> list[FieldError]:
    """ValidateTokenRequest's bounds on spec.expirationSeconds."""
    at = Path("spec.expirationSeconds")
    if expiration_seconds < TOKEN_MIN_EXPIRATION:
        return [invalid(at, expiration_seconds, "may not specify a duration less than 10 minutes")]
    if expiration_seconds > TOKEN_MAX_EXPIRATION:
        return [invalid(at, expiration_seconds, "may not specify a duration larger than 2^32 seconds")]
    return []
