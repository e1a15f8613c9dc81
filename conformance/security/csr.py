"""Checks of CSRs, their controllers, TokenRequest and the node join against a secured API server.

Each ``check_*`` takes a *secure cluster*: what an ``apiserver`` provider offers with the optional
``secure_cluster()`` capability (conformance/adapters/apiserver.py): ``url``, ``ca_file``,
``admin`` (a system:masters client), ``client(token=...)``, ``user_client(name, groups)`` (a client
certificate), ``create_bootstrap_token(token, expiration)``. Clients have ``call(method, path,
body) -> (status, body)`` (impl/apiclient.HTTPClient). A check returns the violations it found as
(requirement ID, what happened); [] is a pass. Waits are bounded.

Requirement IDs: SEC-CSR-VALID, SEC-CSR-REQUESTER-FROM-AUTH, SEC-CSR-APPROVAL-SUBRESOURCE,
SEC-CSR-STATUS-SUBRESOURCE, SEC-CSR-AUTO-APPROVE, SEC-CSR-SIGN-APPROVED, SEC-SA-TOKEN-REQUEST,
SEC-SA-TOKEN-BOUND, SEC-JOIN-BOOTSTRAP (declared in spec/certificates.py).
"""

from __future__ import annotations

import base64
import datetime
import itertools
import time
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from spec import certificates as spec

CSRS = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
Violation = tuple[str, str]
_names = itertools.count(1)
WAIT_S = 10.0


def _name(prefix: str) -> str:
    return f"kspec-{prefix}-{time.monotonic_ns() % 10**9}-{next(_names)}"


def expiration(hours: float) -> str:
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_token() -> str:
    n = next(_names) + time.monotonic_ns()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    digits = "".join(alphabet[(n // 36**i) % 36] for i in range(22))
    return f"{digits[:6]}.{digits[6:]}"


def pem_request(cn: str, orgs: tuple[str, ...] = ()) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    subject = x509.Name([*names, x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    request = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    return request.public_bytes(serialization.Encoding.PEM)


def csr_body(
    name: str,
    request: bytes,
    signer: str = spec.KUBELET_CLIENT_SIGNER,
    usages: tuple[str, ...] = ("digital signature", "client auth"),
    **spec_fields: Any,
) -> dict[str, Any]:
    return {
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": name},
        "spec": {
            "request": base64.b64encode(request).decode(),
            "signerName": signer,
            "usages": list(usages),
            **spec_fields,
        },
    }


def conditions(csr: dict[str, Any]) -> set[str]:
    return {
        c.get("type")
        for c in (csr.get("status") or {}).get("conditions") or ()
        if c.get("status") in ("True", None, "")
    }


def certificate(csr: dict[str, Any]) -> bytes:
    return base64.b64decode((csr.get("status") or {}).get("certificate") or "")


def wait_for(cluster: Any, name: str, done: Any, timeout_s: float = WAIT_S) -> dict[str, Any]:
    """The CSR once ``done(csr)`` holds, or as it is after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        status, csr = cluster.admin.call("GET", f"{CSRS}/{name}")
        if status == 200 and done(csr):
            return csr
        if time.monotonic() > deadline:
            return csr if status == 200 else {}
        time.sleep(0.05)


def bootstrap_client(cluster: Any) -> tuple[Any, str]:
    token = new_token()
    cluster.create_bootstrap_token(token, expiration(1))
    return cluster.client(token=token), token


# -- the API ---------------------------------------------------------------------------------------------


def check_requester_from_auth(cluster: Any) -> list[Violation]:
    client, token = bootstrap_client(cluster)
    name = _name("csr-requester")
    body = csr_body(
        name,
        pem_request("system:node:kspec-x", ("system:nodes",)),
        username="kubernetes-admin",
        groups=["system:masters"],
        uid="forged",
    )
    body["status"] = {"conditions": [{"type": "Approved", "status": "True", "reason": "Forged"}]}
    status, created = client.call("POST", CSRS, body)
    if status != 201:
        return [(spec.SEC_CSR_REQUESTER_FROM_AUTH.id, f"a bootstrapper's CSR create was {status}: {created}")]
    out: list[Violation] = []
    want = f"system:bootstrap:{token.partition('.')[0]}"
    got = created["spec"].get("username")
    groups = created["spec"].get("groups") or []
    if got != want or "system:masters" in groups or "system:bootstrappers" not in groups:
        out.append((spec.SEC_CSR_REQUESTER_FROM_AUTH.id, f"stored requester {got!r} {groups}, want {want!r}"))
    if created["spec"].get("uid") == "forged":
        out.append((spec.SEC_CSR_REQUESTER_FROM_AUTH.id, "the body's spec.uid was stored"))
    if any(c.get("reason") == "Forged" for c in (created.get("status") or {}).get("conditions") or ()):
        out.append((spec.SEC_CSR_APPROVAL_SUBRESOURCE.id, "a create stored the body's Approved condition"))
    cluster.admin.call("DELETE", f"{CSRS}/{name}")
    return out


def check_validation(cluster: Any) -> list[Violation]:
    good = pem_request("alice")
    der = x509.load_pem_x509_csr(good).public_bytes(serialization.Encoding.DER)
    tampered = der[:-4] + bytes(b ^ 0xFF for b in der[-4:])  # a broken signature
    broken_pem = (
        b"-----BEGIN CERTIFICATE REQUEST-----\n"
        + base64.encodebytes(tampered)
        + (b"-----END CERTIFICATE REQUEST-----\n")
    )
    cases = {
        "not PEM": csr_body(_name("bad"), b"hello", spec.CLIENT_SIGNER, ("client auth",)),
        "no signerName": csr_body(_name("bad"), good, "", ("client auth",)),
        "unknown usage": csr_body(_name("bad"), good, spec.CLIENT_SIGNER, ("flying",)),
        "expirationSeconds 599": csr_body(
            _name("bad"), good, spec.CLIENT_SIGNER, ("client auth",), expirationSeconds=599
        ),
        "bad signature": csr_body(_name("bad"), broken_pem, spec.CLIENT_SIGNER, ("client auth",)),
    }
    out: list[Violation] = []
    for what, body in cases.items():
        status, _ = cluster.admin.call("POST", CSRS, body)
        if status != 422:
            out.append((spec.SEC_CSR_VALID.id, f"a CSR with {what} was answered {status}, not 422"))
            cluster.admin.call("DELETE", f"{CSRS}/{body['metadata']['name']}")
    return out


def check_approval_and_status_subresources(cluster: Any) -> list[Violation]:
    """Conditions only via /approval (only with approve on the signer); the certificate only via /status."""
    client, _ = bootstrap_client(cluster)
    name = _name("csr-approval")
    signer = "example.com/kspec-no-controller"  # no controller acts on it
    status, created = client.call(
        "POST", CSRS, csr_body(name, pem_request("alice"), signer, ("client auth",))
    )
    if status != 201:
        return [(spec.SEC_CSR_APPROVAL_SUBRESOURCE.id, f"creating the CSR: {status} {created}")]
    out: list[Violation] = []
    approved = {"type": "Approved", "status": "True", "reason": "KspecTest", "message": "test"}
    fake_cert = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").decode()

    def current() -> dict[str, Any]:
        return cluster.admin.call("GET", f"{CSRS}/{name}")[1]

    obj = current()
    obj["status"] = {"conditions": [approved], "certificate": fake_cert}
    cluster.admin.call("PUT", f"{CSRS}/{name}", obj)
    after = current()
    if "Approved" in conditions(after):
        out.append((spec.SEC_CSR_APPROVAL_SUBRESOURCE.id, "a PUT of the object set Approved"))
    if certificate(after):
        out.append((spec.SEC_CSR_STATUS_SUBRESOURCE.id, "a PUT of the object set status.certificate"))
    obj = current()
    obj["status"] = {"conditions": [approved]}
    cluster.admin.call("PUT", f"{CSRS}/{name}/status", obj)
    if "Approved" in conditions(current()):
        out.append((spec.SEC_CSR_APPROVAL_SUBRESOURCE.id, "a PUT of /status set Approved"))
    obj = current()
    obj["status"] = {"conditions": [approved]}
    status, answer = client.call("PUT", f"{CSRS}/{name}/approval", obj)
    if status != 403 or "Approved" in conditions(current()):
        out.append((spec.SEC_CSR_APPROVAL_SUBRESOURCE.id, f"a bootstrapper's /approval was {status}"))
    # A user allowed to update /approval but without approve on the signer (the approval admission plugin).
    updater, role = _name("updater"), _name("approval-updater")
    rule = {"verbs": ["update"], "apiGroups": ["certificates.k8s.io"],
            "resources": ["certificatesigningrequests/approval"]}  # fmt: skip
    cluster.admin.call(
        "POST",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": role},
         "rules": [rule]},
    )  # fmt: skip
    _bind(cluster, role, role, "User", updater)
    obj = current()
    obj["status"] = {"conditions": [approved]}
    status, answer = cluster.user_client(updater).call("PUT", f"{CSRS}/{name}/approval", obj)
    if status != 403 or "Approved" in conditions(current()):
        out.append(
            (spec.SEC_CSR_APPROVAL_SUBRESOURCE.id, f"/approval without approve on the signer was {status}")
        )
    obj = current()
    obj["status"] = {"conditions": [approved]}
    obj["spec"]["username"] = "someone-else"
    status, answer = cluster.admin.call("PUT", f"{CSRS}/{name}/approval", obj)
    after = current()
    if status != 200 or "Approved" not in conditions(after):
        out.append((spec.SEC_CSR_APPROVAL_SUBRESOURCE.id, f"an admin's /approval was {status}: {answer}"))
    if after["spec"].get("username") == "someone-else":
        out.append((spec.SEC_CSR_REQUESTER_FROM_AUTH.id, "/approval changed spec.username"))
    obj = current()
    obj["status"]["certificate"] = fake_cert
    status, _ = cluster.admin.call("PUT", f"{CSRS}/{name}/status", obj)
    if status != 200 or not certificate(current()):
        out.append(
            (spec.SEC_CSR_STATUS_SUBRESOURCE.id, f"an admin's /status with a certificate was {status}")
        )
    obj = current()
    obj["status"]["certificate"] = base64.b64encode(b"another").decode()
    status, _ = cluster.admin.call("PUT", f"{CSRS}/{name}/status", obj)
    if status != 422:
        out.append(
            (spec.SEC_CSR_STATUS_SUBRESOURCE.id, f"changing an issued certificate was {status}, not 422")
        )
    cluster.admin.call("DELETE", f"{CSRS}/{name}")
    return out


# -- the controllers -------------------------------------------------------------------------------------


def _bind(cluster: Any, name: str, role: str, kind: str, subject: str) -> None:
    body = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": subject}],
    }
    cluster.admin.call("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", body)


def check_auto_approval(cluster: Any) -> list[Violation]:
    """A bootstrapper's node-client CSR is approved; another node's name, a non-bootstrapper, a wrong subject
    or another signer is not."""
    out: list[Violation] = []
    bootstrapper, _ = bootstrap_client(cluster)
    user, node = _name("user"), _name("node")
    _bind(cluster, _name("crb"), "system:node-bootstrapper", "User", user)
    _bind(cluster, _name("crb"), "system:node-bootstrapper", "User", f"system:node:{node}")
    plain = cluster.user_client(user, ())
    node_client = cluster.user_client(f"system:node:{node}", ("system:nodes",))
    other = _name("other")
    cases = [  # (who, CN, O, signer, usages, approved?)
        (
            bootstrapper,
            f"system:node:{_name('n')}",
            ("system:nodes",),
            spec.KUBELET_CLIENT_SIGNER,
            None,
            True,
        ),
        (node_client, f"system:node:{node}", ("system:nodes",), spec.KUBELET_CLIENT_SIGNER, None, True),
        (node_client, f"system:node:{other}", ("system:nodes",), spec.KUBELET_CLIENT_SIGNER, None, False),
        (plain, f"system:node:{other}", ("system:nodes",), spec.KUBELET_CLIENT_SIGNER, None, False),
        (bootstrapper, "kubernetes-admin", ("system:masters",), spec.KUBELET_CLIENT_SIGNER, None, False),
        (
            bootstrapper,
            f"system:node:{other}",
            ("system:nodes", "system:masters"),
            spec.KUBELET_CLIENT_SIGNER,
            None,
            False,
        ),
        (bootstrapper, f"system:node:{other}", ("system:nodes",), spec.CLIENT_SIGNER, None, False),
        (
            bootstrapper,
            f"system:node:{other}",
            ("system:nodes",),
            spec.KUBELET_CLIENT_SIGNER,
            ("client auth", "server auth"),
            False,
        ),
    ]
    created: list[tuple[str, bool, str]] = []
    for who, cn, orgs, signer, usages, approved in cases:
        name = _name("csr-auto")
        body = csr_body(name, pem_request(cn, orgs), signer, usages or ("digital signature", "client auth"))
        status, answer = who.call("POST", CSRS, body)
        if status != 201:
            out.append((spec.SEC_CSR_AUTO_APPROVE.id, f"creating a CSR for {cn}: {status} {answer}"))
            continue
        created.append((name, approved, f"CN={cn} O={list(orgs)} signer={signer} usages={usages}"))
    waited = False
    for name, approved, what in sorted(created, key=lambda c: not c[1]):  # the approved ones first
        if not approved and not waited:
            time.sleep(1.0)  # the approver had its chance at every CSR (it approved the others by now)
            waited = True
        csr = wait_for(cluster, name, lambda c: "Approved" in conditions(c), WAIT_S if approved else 0.0)
        if ("Approved" in conditions(csr)) != approved:
            verb = "not approved" if approved else "approved"
            out.append((spec.SEC_CSR_AUTO_APPROVE.id, f"{what} by {csr['spec'].get('username')} was {verb}"))
        cluster.admin.call("DELETE", f"{CSRS}/{name}")
    return out


def check_signer(cluster: Any) -> list[Violation]:
    """Unapproved and denied CSRs get no certificate; an approved one does, for expirationSeconds."""
    out: list[Violation] = []
    client, _ = bootstrap_client(cluster)
    names = {state: _name(f"csr-sign-{state}") for state in ("pending", "denied", "approved")}
    for state, name in names.items():
        body = csr_body(
            name, pem_request(f"kspec-{state}"), spec.CLIENT_SIGNER, ("client auth",), expirationSeconds=3600
        )
        status, answer = client.call("POST", CSRS, body)
        if status != 201:
            return [(spec.SEC_CSR_SIGN_APPROVED.id, f"creating a CSR: {status} {answer}")]
    for state, kind in (("denied", "Denied"), ("approved", "Approved")):
        obj = cluster.admin.call("GET", f"{CSRS}/{names[state]}")[1]
        obj["status"] = {"conditions": [{"type": kind, "status": "True", "reason": "KspecTest"}]}
        cluster.admin.call("PUT", f"{CSRS}/{names[state]}/approval", obj)
    approved = wait_for(cluster, names["approved"], lambda c: bool(certificate(c)))
    now = datetime.datetime.now(datetime.UTC)
    if not certificate(approved):
        out.append(
            (spec.SEC_CSR_SIGN_APPROVED.id, "an approved kube-apiserver-client CSR got no certificate")
        )
    else:
        issued = x509.load_pem_x509_certificate(certificate(approved))
        left = (issued.not_valid_after_utc - now).total_seconds()
        if not 3600 - 120 <= left <= 3600 + 5:
            out.append(
                (spec.SEC_CSR_SIGN_APPROVED.id, f"expirationSeconds 3600 gave {left:.0f} s of validity")
            )
        cn = issued.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        if cn != "kspec-approved":
            out.append(
                (spec.SEC_CSR_SIGN_APPROVED.id, f"the certificate names {cn!r}, not the CSR's subject")
            )
    for state in ("pending", "denied"):
        csr = wait_for(cluster, names[state], lambda c: bool(certificate(c)), 0.5)
        if certificate(csr):
            out.append((spec.SEC_CSR_SIGN_APPROVED.id, f"a {state} CSR got a certificate"))
    for name in names.values():
        cluster.admin.call("DELETE", f"{CSRS}/{name}")
    return out


# -- TokenRequest ----------------------------------------------------------------------------------------


def check_token_request(cluster: Any) -> list[Violation]:
    out: list[Violation] = []
    namespace = "default"
    account = _name("sa")
    accounts = f"/api/v1/namespaces/{namespace}/serviceaccounts"
    sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": account}}
    cluster.admin.call("POST", accounts, sa)
    request = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}}
    status, _ = cluster.admin.call("POST", f"{accounts}/{_name('missing')}/token", request)
    if status != 404:
        out.append(
            (spec.SEC_SA_TOKEN_REQUEST.id, f"a token for a missing ServiceAccount was {status}, not 404")
        )
    short = {**request, "spec": {"expirationSeconds": 599}}
    status, _ = cluster.admin.call("POST", f"{accounts}/{account}/token", short)
    if status != 422:
        out.append((spec.SEC_SA_TOKEN_REQUEST.id, f"expirationSeconds 599 was {status}, not 422"))
    before = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    status, answer = cluster.admin.call("POST", f"{accounts}/{account}/token", request)
    if status != 201 or not (answer.get("status") or {}).get("token"):
        return [*out, (spec.SEC_SA_TOKEN_REQUEST.id, f"a TokenRequest was {status}: {answer}")]
    expires = datetime.datetime.strptime(answer["status"]["expirationTimestamp"], "%Y-%m-%dT%H:%M:%SZ")
    left = (expires.replace(tzinfo=datetime.UTC) - before).total_seconds()
    if not 3600 - 5 <= left <= 3600 + 5:
        out.append((spec.SEC_SA_TOKEN_REQUEST.id, f"the default expiration is {left:.0f} s, not 3600"))
    token = answer["status"]["token"]
    holder = cluster.client(token=token)
    status, _ = holder.call("GET", "/api")
    if status != 200:
        out.append(
            (spec.SEC_SA_TOKEN_REQUEST.id, f"the issued token does not authenticate: GET /api {status}")
        )
    cluster.admin.call("DELETE", f"{accounts}/{account}")
    status, _ = holder.call("GET", "/api")
    if status != 401:
        out.append(
            (spec.SEC_SA_TOKEN_BOUND.id, f"after the ServiceAccount's deletion its token gets {status}")
        )
    cluster.admin.call("POST", accounts, sa)  # the same name again: a new uid
    status, _ = holder.call("GET", "/api")
    if status != 401:
        out.append(
            (spec.SEC_SA_TOKEN_BOUND.id, f"after the ServiceAccount's re-creation its token gets {status}")
        )
    cluster.admin.call("DELETE", f"{accounts}/{account}")
    return out


# -- the node join ----------------------------------------------------------------------------------------


def _node_exists(cluster: Any, node: str) -> bool:
    return cluster.admin.call("GET", f"/api/v1/nodes/{node}")[0] == 200


def _csrs_for(cluster: Any, node: str) -> list[str]:
    status, listed = cluster.admin.call("GET", CSRS)
    found = []
    for item in listed.get("items") or () if status == 200 else ():
        request = x509.load_pem_x509_csr(base64.b64decode(item["spec"]["request"]))
        if request.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == f"system:node:{node}":
            found.append(item["metadata"]["name"])
    return found


def check_join(cluster: Any, join: Any) -> list[Violation]:
    """``join(url, ca_file, node, token)`` (impl/node/bootstrap.join_over_api, or another kubelet's)."""
    out: list[Violation] = []
    valid = new_token()
    cluster.create_bootstrap_token(valid, expiration(1))
    node = _name("node")
    try:
        cert_pem, _key = join(cluster.url, cluster.ca_file, node, valid)
        issued = x509.load_pem_x509_certificate(cert_pem)
        cn = str(issued.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
        orgs = [str(a.value) for a in issued.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
        if cn != f"system:node:{node}" or orgs != ["system:nodes"]:
            out.append((spec.SEC_JOIN_BOOTSTRAP.id, f"the kubelet certificate is CN={cn} O={orgs}"))
    except Exception as error:
        out.append((spec.SEC_JOIN_BOOTSTRAP.id, f"a valid bootstrap token did not join: {error}"))
    if not _node_exists(cluster, node):
        out.append((spec.SEC_JOIN_BOOTSTRAP.id, f"no Node {node} after a valid join"))
    lease = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{node}"
    if cluster.admin.call("GET", lease)[0] != 200:
        out.append((spec.SEC_JOIN_BOOTSTRAP.id, f"no Lease {node} after a valid join"))
    expired, revoked = new_token(), new_token()
    cluster.create_bootstrap_token(expired, expiration(-1))
    refused = {
        "expired": expired,
        "unknown": new_token(),
        "malformed": "not-a-bootstrap-token",
        "revoked": revoked,
    }
    cluster.create_bootstrap_token(revoked, expiration(1))
    cluster.admin.call("DELETE", f"/api/v1/namespaces/kube-system/secrets/bootstrap-token-{revoked[:6]}")
    for what, token in refused.items():
        node = _name(f"node-{what}")
        try:
            join(cluster.url, cluster.ca_file, node, token)
            out.append((spec.SEC_JOIN_BOOTSTRAP.id, f"an {what} token joined"))
        except Exception as error:
            if not str(error):
                out.append((spec.SEC_JOIN_BOOTSTRAP.id, f"an {what} token was refused without a reason"))
        if _node_exists(cluster, node):
            out.append((spec.SEC_JOIN_BOOTSTRAP.id, f"an {what} token left Node {node} behind"))
        if _csrs_for(cluster, node):
            out.append((spec.SEC_JOIN_BOOTSTRAP.id, f"an {what} token left a CSR behind"))
    return out


ALL_CHECKS = (
    check_requester_from_auth,
    check_validation,
    check_approval_and_status_subresources,
    check_auto_approval,
    check_signer,
    check_token_request,
)
