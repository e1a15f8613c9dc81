"""Authentication switched on: the storage read-through, SelfSubjectReview, kubeconfig files, the CLI flags.

impl/apiserver/authn.py (``authenticator_for``), impl/apiserver/secure.py, impl/kubeconfig.py,
the SelfSubjectReview route of impl/apiserver/core.py, spec/authn_api.py's predicates on known-bad
answers, and ``kspec apiserver --insecure-serve-http``.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from impl import kubeconfig
from impl.apiclient import InProcessClient
from impl.apiserver import authn
from impl.apiserver.http import ServerThread, new_server
from impl.apiserver.memory import MemoryKV
from impl.apiserver.secure import ADMIN_USER, secure
from spec import authn_api
from spec.authn import AUTHENTICATED, BOOTSTRAPPERS, MASTERS, UserInfo
from spec.kv import RangeRequest

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _server():
    return new_server(MemoryKV().client(), seed=3, authorization=True, clock=lambda: NOW)


def test_bootstrap_secrets_are_read_from_storage_at_each_request(tmp_path: Path) -> None:
    server = _server()
    chain = secure(server, tmp_path / "pki").authenticator
    admin = InProcessClient(server)
    token = "abcdef.0123456789abcdef"
    assert isinstance(chain.authenticate(f"Bearer {token}", None), authn.Failure)
    secret = authn_api.bootstrap_secret(
        "abcdef",
        "0123456789abcdef",
        expiration=NOW + timedelta(hours=1),
        extra_groups=["system:bootstrappers:x"],
    )
    assert admin.call("POST", "/api/v1/namespaces/kube-system/secrets", secret)[0] == 201
    user = chain.authenticate(f"Bearer {token}", None)
    assert user == UserInfo(
        "system:bootstrap:abcdef", groups=(BOOTSTRAPPERS, "system:bootstrappers:x", AUTHENTICATED)
    )
    secret["data"]["expiration"] = base64.b64encode(b"2025-12-31T23:59:59Z").decode()
    assert (
        admin.call("PUT", "/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef", secret)[0] == 200
    )
    refused = chain.authenticate(f"Bearer {token}", None)
    assert isinstance(refused, authn.Failure) and "expired" in refused.reason
    assert admin.call("DELETE", "/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef")[0] == 200
    gone = chain.authenticate(f"Bearer {token}", None)
    assert isinstance(gone, authn.Failure) and "no bootstrap token secret" in gone.reason


def test_a_secret_in_another_namespace_is_not_a_bootstrap_token(tmp_path: Path) -> None:
    server = _server()
    chain = secure(server, tmp_path / "pki").authenticator
    secret = authn_api.bootstrap_secret("abcdef", "0123456789abcdef")
    secret["metadata"]["namespace"] = "default"
    assert InProcessClient(server).call("POST", "/api/v1/namespaces/default/secrets", secret)[0] == 201
    assert isinstance(chain.authenticate("Bearer abcdef.0123456789abcdef", None), authn.Failure)


def test_service_account_tokens_are_checked_against_stored_service_accounts(tmp_path: Path) -> None:
    server = _server()
    security = secure(server, tmp_path / "pki")
    assert server.service_account_tokens is security.sa_tokens
    admin = InProcessClient(server)
    status, sa = admin.call(
        "POST", "/api/v1/namespaces/default/serviceaccounts", {"metadata": {"name": "bot"}}
    )
    assert status == 201
    now = int(NOW.timestamp())
    token = security.sa_tokens.issue("default", "bot", sa["metadata"]["uid"], now=now)
    user = security.authenticator.authenticate(f"Bearer {token}", None)
    assert isinstance(user, UserInfo) and user.name == "system:serviceaccount:default:bot"
    assert admin.call("DELETE", "/api/v1/namespaces/default/serviceaccounts/bot")[0] == 200
    assert isinstance(security.authenticator.authenticate(f"Bearer {token}", None), authn.Failure)


def test_self_subject_review_in_process() -> None:
    server = _server()
    alice = UserInfo("alice", "u1", ("devs", AUTHENTICATED), {"scopes": ("a", "b")})
    status, body = InProcessClient(server, user=alice).call("POST", authn_api.SELF_SUBJECT_REVIEWS, {})
    assert status == 201 and body["kind"] == "SelfSubjectReview"
    assert body["status"]["userInfo"] == {
        "username": "alice",
        "uid": "u1",
        "groups": ["devs", AUTHENTICATED],
        "extra": {"scopes": ["a", "b"]},
    }
    assert body["metadata"]["creationTimestamp"] == "2026-01-01T00:00:00Z"
    assert InProcessClient(server).call("POST", authn_api.SELF_SUBJECT_REVIEWS, {})[0] == 400  # no user
    admin = UserInfo("root", groups=(MASTERS,))
    assert (
        InProcessClient(server, user=alice).call("GET", authn_api.SELF_SUBJECT_REVIEWS)[0] == 403
    )  # RBAC first
    assert InProcessClient(server, user=admin).call("GET", authn_api.SELF_SUBJECT_REVIEWS)[0] == 405


def test_unauthorized_problem_rejects_other_answers() -> None:
    assert (
        authn_api.unauthorized_problem(401, {"kind": "Status", "reason": "Unauthorized", "code": 401}) is None
    )
    assert authn_api.unauthorized_problem(403, {"kind": "Status", "reason": "Forbidden", "code": 403})
    assert authn_api.unauthorized_problem(200, {})
    assert authn_api.unauthorized_problem(401, {"kind": "Status", "reason": "Forbidden", "code": 401})


def test_review_problem_rejects_other_users() -> None:
    good = {"status": {"userInfo": {"username": "a", "groups": ["g", AUTHENTICATED]}}}
    assert authn_api.review_problem(good, "a", ["g"]) is None
    assert authn_api.review_problem(good, "b", ["g"])
    assert authn_api.review_problem(good, "a", ["g", "h"])
    assert authn_api.review_problem({"status": {"userInfo": {"username": "a", "groups": ["g"]}}}, "a", ["g"])
    assert authn_api.review_problem(None, "a", [])
    assert authn_api.is_public_path("/livez/ping") and not authn_api.is_public_path("/versions")


def test_kubeconfig_files_with_certificate_files_and_tokens(tmp_path: Path) -> None:
    server = new_server(MemoryKV().client(), seed=3, authorization=True)  # the wall clock: certificates
    security = secure(server, tmp_path / "pki")
    thread = ServerThread(server, authenticator=security.authenticator, ssl_context=security.ssl_context)
    with thread:
        embedded = kubeconfig.write(tmp_path / "admin.conf", security.admin_kubeconfig(thread.url))
        assert (tmp_path / "admin.conf").stat().st_mode & 0o077 == 0
        status, body = kubeconfig.client(embedded).call("POST", authn_api.SELF_SUBJECT_REVIEWS, {})
        assert status == 201 and body["status"]["userInfo"]["username"] == ADMIN_USER
        assert MASTERS in body["status"]["userInfo"]["groups"]
        cert, key = security.pki.client_certificate("bob", ("ops",))
        (tmp_path / "bob.crt").write_bytes(cert)
        (tmp_path / "bob.key").write_bytes(key)
        files = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": "c", "cluster": {"server": thread.url, "certificate-authority": "pki/ca.crt"}}
            ],
            "users": [{"name": "bob", "user": {"client-certificate": "bob.crt", "client-key": "bob.key"}}],
            "contexts": [{"name": "x", "context": {"cluster": "c", "user": "bob"}}],
            "current-context": "x",
        }
        (tmp_path / "bob.conf").write_text(json.dumps(files))
        status, body = kubeconfig.client(tmp_path / "bob.conf").call(
            "POST", authn_api.SELF_SUBJECT_REVIEWS, {}
        )
        assert status == 201 and body["status"]["userInfo"]["groups"] == ["ops", AUTHENTICATED]
        nobody = kubeconfig.kubeconfig_with(thread.url, token="not-a-token")
        nobody["clusters"][0]["cluster"]["insecure-skip-tls-verify"] = True
        kubeconfig.write(tmp_path / "nobody.conf", nobody)
        assert kubeconfig.client(tmp_path / "nobody.conf").call("GET", "/api/v1/namespaces")[0] == 401
        no_ca = kubeconfig.write(tmp_path / "no-ca.conf", kubeconfig.kubeconfig_with(thread.url))
        with pytest.raises(OSError):  # the server's certificate is not trusted without the CA
            kubeconfig.client(no_ca).call("GET", "/healthz")


def test_the_kspec_apiserver_plain_http_opt_out(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "kspec", "apiserver", "--port", str(port)),
            *("--insecure-serve-http", "--data-dir", str(tmp_path / "data")),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = kubeconfig.HTTPClient(f"http://127.0.0.1:{port}", timeout_s=2.0)
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = client.call("GET", "/api/v1/namespaces")
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert status == 200  # every caller trusted
        assert not (tmp_path / "data").exists()  # no PKI, no kubeconfig
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_authorization_headers_as_bearertoken_go_reads_them(tmp_path: Path) -> None:
    """Another scheme or an empty bearer token is no credential (anonymous); a bearer token is judged."""
    chain = secure(_server(), tmp_path / "pki").authenticator
    for header in ("", "   ", "Basic eDp5", "Bearer", "Bearer ", "Bearer  two-spaces", "Token abc"):
        assert chain.authenticate(header, None) is None, header
    for header in ("Bearer garbage", "bearer abcdef.0123456789abcdef", "Bearer a b"):
        assert isinstance(chain.authenticate(header, None), authn.Failure), header


def test_bootstrap_secrets_encrypted_at_rest_still_authenticate(tmp_path: Path) -> None:
    """The authenticator reads through the server's storage, so Secrets stored encrypted are decrypted."""
    config = tmp_path / "encryption.yaml"
    key = base64.b64encode(bytes(range(32))).decode()
    config.write_text(
        json.dumps(
            {
                "apiVersion": "apiserver.config.k8s.io/v1",
                "kind": "EncryptionConfiguration",
                "resources": [
                    {
                        "resources": ["secrets"],
                        "providers": [{"aescbc": {"keys": [{"name": "k", "secret": key}]}}],
                    }
                ],
            }
        )
    )
    kv = MemoryKV().client()
    server = new_server(kv, seed=3, authorization=True, clock=lambda: NOW, encryption_config=config)
    chain = secure(server, tmp_path / "pki").authenticator
    secret = authn_api.bootstrap_secret("abcdef", "0123456789abcdef")
    assert InProcessClient(server).call("POST", "/api/v1/namespaces/kube-system/secrets", secret)[0] == 201
    stored = kv.call(RangeRequest(key=b"/registry/secrets/kube-system/bootstrap-token-abcdef"))  # raw bytes
    assert stored.kvs and stored.kvs[0].value.startswith(b"k8s:enc:aescbc:v1:k:")
    assert isinstance(chain.authenticate("Bearer abcdef.0123456789abcdef", None), UserInfo)
