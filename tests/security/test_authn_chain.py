"""impl/apiserver/tls.py and authn.py: the PKI and the authenticator chain, with refused credentials."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from cryptography import x509

from impl.apiserver import authn, tls
from spec import bootstrap_tokens as bt
from spec.authn import UserInfo

NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
TOKEN = "abcdef.0123456789abcdef"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tls.PKI:
    return tls.ensure_pki(tmp_path_factory.mktemp("pki"))


def _secrets(expiration: str = "2027-01-01T00:00:00Z", deleting: bool = False):
    data = {
        bt.KEY_TOKEN_ID: "abcdef",
        bt.KEY_TOKEN_SECRET: "0123456789abcdef",
        bt.KEY_EXPIRATION: expiration,
        bt.KEY_USAGE_AUTHENTICATION: "true",
    }
    return lambda: {bt.secret_name("abcdef"): bt.BootstrapSecret(bt.SECRET_TYPE, data, deleting)}


def _chain(pki: tls.PKI, **kwargs) -> authn.Authenticator:
    return authn.Authenticator(ca=pki.ca_cert, clock=lambda: NOW, **kwargs)


def test_pki_is_reused(tmp_path: Path) -> None:
    first = tls.ensure_pki(tmp_path)
    again = tls.ensure_pki(tmp_path)
    assert first.ca_cert == again.ca_cert
    serving = x509.load_pem_x509_certificate(first.serving_cert_path.read_bytes())
    sans = serving.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in sans.get_values_for_type(x509.DNSName)


def test_client_certificate_user_and_groups(pki: tls.PKI) -> None:
    cert_pem, _ = pki.client_certificate("system:node:n1", ("system:nodes",))
    cert = x509.load_pem_x509_certificate(cert_pem)
    # Certificates are issued on the wall clock; judge them on it too.
    user = authn.Authenticator(ca=pki.ca_cert).authenticate(None, cert)
    assert isinstance(user, UserInfo)
    assert user.name == "system:node:n1" and "system:nodes" in user.groups


def test_certificate_from_another_ca_is_refused(pki: tls.PKI, tmp_path: Path) -> None:
    other = tls.ensure_pki(tmp_path)
    cert_pem, _ = other.client_certificate("system:masters-wannabe", ("system:masters",))
    result = authn.Authenticator(ca=pki.ca_cert).authenticate(None, x509.load_pem_x509_certificate(cert_pem))
    assert isinstance(result, authn.Failure) and "CA" in result.reason


@pytest.mark.requirement("SEC-AUTHN-TOKEN-FILE")
def test_static_token(pki: tls.PKI) -> None:
    chain = _chain(pki, static_tokens={"s3cr3t": UserInfo("alice", "1", ("dev",))})
    user = chain.authenticate("Bearer s3cr3t", None)
    assert isinstance(user, UserInfo) and user.name == "alice" and "system:authenticated" in user.groups
    assert isinstance(chain.authenticate("Bearer nope", None), authn.Failure)
    assert chain.authenticate(None, None) is None  # anonymous


@pytest.mark.requirement("SEC-AUTHN-BOOTSTRAP-DECISION")
def test_bootstrap_tokens_through_the_chain(pki: tls.PKI) -> None:
    user = _chain(pki, secrets=_secrets()).authenticate(f"Bearer {TOKEN}", None)
    assert isinstance(user, UserInfo) and user.name == "system:bootstrap:abcdef"
    expired = _chain(pki, secrets=_secrets("2026-01-01T00:00:00Z")).authenticate(f"Bearer {TOKEN}", None)
    assert isinstance(expired, authn.Failure) and "expired" in expired.reason
    revoked = _chain(pki, secrets=dict).authenticate(f"Bearer {TOKEN}", None)
    assert isinstance(revoked, authn.Failure) and "no bootstrap token secret" in revoked.reason
    deleting = _chain(pki, secrets=_secrets(deleting=True)).authenticate(f"Bearer {TOKEN}", None)
    assert isinstance(deleting, authn.Failure)


@pytest.mark.requirement("SEC-AUTHN-SA-CLAIMS")
def test_service_account_jwts(pki: tls.PKI) -> None:
    tokens = authn.ServiceAccountTokens()
    uids = {("default", "builder"): "uid-1"}
    chain = _chain(pki, sa_tokens=tokens, service_accounts=lambda: uids)
    now = int(NOW.timestamp())
    good = tokens.issue("default", "builder", "uid-1", now=now)
    user = chain.authenticate(f"Bearer {good}", None)
    assert isinstance(user, UserInfo) and user.name == "system:serviceaccount:default:builder"
    wrong_aud = tokens.issue("default", "builder", "uid-1", now=now, audiences=["vault"])
    expired = tokens.issue("default", "builder", "uid-1", now=now - 7200)
    deleted = tokens.issue("default", "gone", "uid-9", now=now)
    forged = authn.ServiceAccountTokens().issue("default", "builder", "uid-1", now=now)  # another key
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for bad in (wrong_aud, expired, deleted, forged, tampered):
        assert isinstance(chain.authenticate(f"Bearer {bad}", None), authn.Failure)


def test_expired_certificate_is_refused(pki: tls.PKI) -> None:
    cert_pem, _ = pki.client_certificate("alice")
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=400)
    result = authn.Authenticator(ca=pki.ca_cert, clock=lambda: later).authenticate(
        None, x509.load_pem_x509_certificate(cert_pem)
    )
    assert isinstance(result, authn.Failure) and "expired" in result.reason


def test_open_paths() -> None:
    assert authn.is_open_path("/healthz") and authn.is_open_path("/readyz/etcd")
    assert not authn.is_open_path("/api/v1/secrets") and not authn.is_open_path("/healthzz")
    assert authn.unauthorized_status()["code"] == 401


def test_docs_snippet_runs() -> None:
    text = (Path(__file__).parents[2] / "docs" / "security-authn.md").read_text()
    block = text.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(block, "docs/security-authn.md", "exec"), {})
