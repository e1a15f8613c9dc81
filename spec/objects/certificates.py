"""certificates.k8s.io/v1: CertificateSigningRequest.

Upstream: kubernetes/api ``certificates/v1/types.go``. ``spec.request`` and
``status.certificate`` are bytes (base64 in JSON) holding PEM. ``username``,
``uid``, ``groups`` and ``extra`` are set by the API server from the
authenticated requester (the strategy, spec/certificates.py); conditions
change only through ``/approval`` and the certificate only through
``/status``.

Requirement IDs: none (spec/certificates.py declares SEC-CSR-*).
"""

from __future__ import annotations

from typing import ClassVar

from spec.objects.base import Base64Bytes, FrozenMap, Int32, Model, Seq, Time
from spec.objects.meta import KindModel


class CertificateSigningRequestSpec(Model):
    request: Base64Bytes = b""
    signer_name: str = ""
    expiration_seconds: Int32 | None = None
    usages: Seq[str] = ()
    username: str = ""
    uid: str = ""
    groups: Seq[str] = ()
    extra: FrozenMap[str, Seq[str]] = FrozenMap()


class CertificateSigningRequestCondition(Model):
    type: str = ""
    status: str = ""
    reason: str = ""
    message: str = ""
    last_update_time: Time | None = None
    last_transition_time: Time | None = None


class CertificateSigningRequestStatus(Model):
    conditions: Seq[CertificateSigningRequestCondition] = ()
    certificate: Base64Bytes = b""


class CertificateSigningRequest(KindModel):
    api_version: ClassVar[str] = "certificates.k8s.io/v1"
    kind: ClassVar[str] = "CertificateSigningRequest"

    spec: CertificateSigningRequestSpec = CertificateSigningRequestSpec()
    status: CertificateSigningRequestStatus = CertificateSigningRequestStatus()
