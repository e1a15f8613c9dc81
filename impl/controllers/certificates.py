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

``Approver`` and ``Signer`` decide on one CSR (``next``: the object to write to ``/approval`` or
``/status``); ``CSRController`` runs one of them as upstream's controllers run, on an informer and a
work queue (replicaset.py's pattern), and ``CSRControllerThread`` runs them beside the server
(impl/apiserver/secure.py). Called with a ``Resources`` client, each is also a level-triggered
``Controller`` for runner.py's loop. The decisions are spec/certificates.py's.

Requirement IDs: SEC-CSR-AUTO-APPROVE, SEC-CSR-SIGN-APPROVED (declared in spec/certificates.py).
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from impl.apiclient import APIClient, Informer, object_key
from impl.apiserver.certificates import request_facts
from impl.apiserver.tls import PKI
from impl.controllers.client import Resources
from impl.controllers.workqueue import SyncError, WorkQueue, process_queued
from spec import certificates as spec
from spec import rbac
from spec.authn import UserInfo
from spec.objects.base import Time
from spec.objects.certificates import CertificateSigningRequest, CertificateSigningRequestCondition
from spec.objects.registry import ObjectError, from_dict, info_of, to_dict

_CSRS = info_of(CertificateSigningRequest)
_log = logging.getLogger(__name__)
CSRS_PATH = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
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
) -> CertificateSigningRequest:
    condition = CertificateSigningRequestCondition(
        type=kind,
        status="True",
        reason=reason,
        message=message,
        last_update_time=Time.of(now),
        last_transition_time=Time.of(now),
    )
    return csr.replace(status=csr.status.replace(conditions=(*csr.status.conditions, condition)))


class CSRHandler:
    """One controller's decision on one CSR: the object to write to ``subresource``, or None.

    Called with a ``Resources`` client it is a level-triggered ``Controller`` for runner.py's loop (one
    pass over every CSR); ``CSRController`` drives the same ``next`` from an informer and a work queue.
    """

    subresource: str = ""

    def next(self, csr: CertificateSigningRequest) -> CertificateSigningRequest | None:
        raise NotImplementedError

    def __call__(self, client: Resources) -> int:
        writes = 0
        for csr in _csrs(client):
            wanted = self.next(csr)
            if wanted is not None:
                writes += client.update(_CSRS, to_dict(wanted), self.subresource) is not None
        return writes


@dataclass
class Approver(CSRHandler):
    """The approver over ``authorize`` (the server's authorizer: a SubjectAccessReview's answer);
    ``decide`` is ``approve_decision`` unless a test seeds a bug."""

    authorize: Authorize
    clock: Clock = _wall
    decide: Callable[[CertificateSigningRequest, Authorize], str | None] = approve_decision
    subresource: str = "approval"

    def next(self, csr: CertificateSigningRequest) -> CertificateSigningRequest | None:
        if self.decide(csr, self.authorize) is not None:
            return None
        message = "Auto approving kubelet client certificate after SubjectAccessReview."
        return _with_condition(csr, spec.APPROVED, "AutoApproved", message, self.clock())


@dataclass
class Signer(CSRHandler):
    """The signer for ``signer_names`` with the CA of ``pki`` (``sign_reason``: seeded bugs only)."""

    pki: PKI
    clock: Clock = _wall
    signer_names: Sequence[str] = SIGNER_NAMES
    signing_seconds: int = spec.DEFAULT_SIGNING_SECONDS
    sign_reason: Callable[[CertificateSigningRequest, Sequence[str]], str | None] = spec.sign_reason
    subresource: str = "status"

    def next(self, csr: CertificateSigningRequest) -> CertificateSigningRequest | None:
        if self.sign_reason(csr, self.signer_names) is not None:
            return None
        now = self.clock()
        facts = request_facts(csr.spec.request)
        invalid = "the request does not parse" if facts is None else None
        if facts is not None and csr.spec.signer_name == spec.KUBELET_CLIENT_SIGNER:
            invalid = spec.node_client_reason(csr.spec, facts)
        if invalid is None:
            try:
                certificate = issue(csr, self.pki, now, self.signing_seconds)
                return csr.replace(status=csr.status.replace(certificate=certificate))
            except ValueError as error:
                invalid = str(error)
        # signer.go: a Failed condition, SignerValidationFailure
        return _with_condition(csr, spec.FAILED, "SignerValidationFailure", invalid, now)


def approver(
    authorize: Authorize,
    clock: Clock = _wall,
    *,
    decide: Callable[[CertificateSigningRequest, Authorize], str | None] = approve_decision,
) -> Approver:
    return Approver(authorize, clock, decide)


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
) -> Signer:
    return Signer(pki, clock, signer_names, signing_seconds, sign_reason)


class CSRController:
    """A CSR controller as upstream runs it: an informer on CSRs (impl/apiclient.py) puts the name of
    every added or changed CSR on a work queue (impl/controllers/workqueue.py); ``step`` syncs each
    queued name once with ``handler`` (the approver or the signer), writing through the API. A
    conflict or a failed write is retried with the queue's backoff."""

    def __init__(self, client: APIClient, handler: CSRHandler) -> None:
        self.client = client
        self.handler = handler
        self.informer = Informer(client, CSRS_PATH)
        self.queue = WorkQueue()

    def start(self) -> None:
        self._events(self.informer.start())

    def close(self) -> None:
        self.informer.close()

    def _events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for kind, obj in events:
            if kind != "DELETED":
                self.queue.add(object_key(obj))

    def step(self, now: float, timeout_s: float = 0.0) -> int:
        """What the informer saw within ``timeout_s``, then every queued CSR synced once."""
        self._events(self.informer.poll(timeout_s))
        return process_queued(self.queue, self.sync, now, SyncError)

    def sync(self, key: str, now: float) -> None:
        obj = self.informer.cache.get(key)
        if obj is None:
            return
        try:
            csr = from_dict(obj)
        except ObjectError:
            return
        assert isinstance(csr, CertificateSigningRequest)
        wanted = self.handler.next(csr)
        if wanted is None:
            return
        path = f"{CSRS_PATH}/{csr.metadata.name}/{self.handler.subresource}"
        status, answer = self.client.call("PUT", path, to_dict(wanted))
        if status != 200:
            raise SyncError(f"PUT {path}: {status} {answer}")


class CSRControllerThread:
    """``CSRController``s for ``handlers`` on ``client`` in a daemon thread (kube-controller-manager's
    csrapproving and csrsigning workers); ``stop`` ends it (bounded)."""

    def __init__(self, client: APIClient, handlers: Sequence[CSRHandler], *, poll_s: float = 0.02) -> None:
        self.controllers = [CSRController(client, handler) for handler in handlers]
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="csr-controllers", daemon=True)

    def start(self) -> CSRControllerThread:
        for controller in self.controllers:
            controller.start()
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            for controller in self.controllers:
                try:
                    controller.step(time.monotonic(), timeout_s=self.poll_s)
                except Exception:  # a controller bug must not stop the others: log it, go on
                    _log.exception("a CSR controller failed")

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        for controller in self.controllers:
            controller.close()


def csr_controllers(authorize: Authorize, pki: PKI, clock: Clock = _wall) -> tuple[Approver, Signer]:
    """The approver and the signer, to append to the controllers the reference server runs."""
    return approver(authorize, clock), signer(pki, clock)
