"""Node join (in-process): a kubelet joins with a valid bootstrap token and is refused with an expired one;
the refused one leaves no Node (and no CSR) behind."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from impl.apiserver.authn import Authenticator
from impl.apiserver.tls import ensure_pki
from impl.node.bootstrap import Cluster, JoinRefused, join
from spec import bootstrap_tokens as bt
from spec.authn import UserInfo

TOKEN = "abcdef.0123456789abcdef"


def _cluster(tmp_path: Path, *, expiration: str, present: bool = True) -> Cluster:
    pki = ensure_pki(tmp_path)
    data = {
        bt.KEY_TOKEN_ID: "abcdef",
        bt.KEY_TOKEN_SECRET: "0123456789abcdef",
        bt.KEY_EXPIRATION: expiration,
        bt.KEY_USAGE_AUTHENTICATION: "true",
        bt.KEY_EXTRA_GROUPS: "system:bootstrappers:kubeadm:default-node-token",
    }
    secrets = {bt.secret_name("abcdef"): bt.BootstrapSecret(bt.SECRET_TYPE, data)} if present else {}
    return Cluster(Authenticator(ca=pki.ca_cert, secrets=lambda: secrets), pki)


def _in(days: int) -> str:
    return (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


@pytest.mark.requirement("SEC-AUTHN-BOOTSTRAP-DECISION")
def test_kubelet_joins_with_valid_token_and_is_refused_with_expired(tmp_path: Path) -> None:
    good = _cluster(tmp_path / "good", expiration=_in(1))
    join(good, "node-1", TOKEN)
    assert isinstance(good.nodes["node-1"], UserInfo)
    assert good.nodes["node-1"].name == "system:node:node-1"

    expired = _cluster(tmp_path / "expired", expiration=_in(-1))
    with pytest.raises(JoinRefused, match="expired"):
        join(expired, "node-2", TOKEN)
    assert expired.nodes == {} and expired.csrs == {}


@pytest.mark.requirement("SEC-AUTHN-BOOTSTRAP-DECISION")
@pytest.mark.parametrize(
    ("token", "present", "reason"),
    [
        ("zzzzzz.0123456789abcdef", True, "no bootstrap token secret"),
        ("not-a-token", True, "invalid bearer"),
        (TOKEN, False, "no bootstrap token secret"),
    ],
    ids=["unknown", "malformed", "revoked"],
)
def test_refused_tokens_leave_nothing(tmp_path: Path, token: str, present: bool, reason: str) -> None:
    cluster = _cluster(tmp_path, expiration=_in(1), present=present)
    with pytest.raises(JoinRefused, match=reason):
        join(cluster, "node-3", token)
    assert cluster.nodes == {} and cluster.csrs == {}


def _request(cn: str, orgs: tuple[str, ...]):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    names = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    names.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    key = ec.generate_private_key(ec.SECP256R1())
    return x509.CertificateSigningRequestBuilder().subject_name(x509.Name(names)).sign(key, hashes.SHA256())


@pytest.mark.parametrize(
    ("cn", "orgs", "groups", "signer"),
    [
        ("system:node:n1", ("system:nodes",), ("system:authenticated",), None),  # not a bootstrapper
        ("admin", ("system:masters",), ("system:bootstrappers",), None),  # not a node identity
        ("system:node:n1", ("system:nodes", "system:masters"), ("system:bootstrappers",), None),
        (
            "system:node:n1",
            ("system:nodes",),
            ("system:bootstrappers",),
            "kubernetes.io/kube-apiserver-client",
        ),
    ],
    ids=["requester", "subject", "extra-org", "signer"],
)
def test_auto_approval_is_narrow(tmp_path: Path, cn, orgs, groups, signer) -> None:
    from impl.controllers.csr import CSR, KUBELET_CLIENT_SIGNER, reconcile

    csr = CSR(
        "x", _request(cn, orgs), UserInfo("u", groups=groups), signer_name=signer or KUBELET_CLIENT_SIGNER
    )
    reconcile(csr, ensure_pki(tmp_path))
    assert not csr.approved and not csr.certificate and csr.denied_reason
