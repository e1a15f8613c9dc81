"""The reference API server over HTTPS with authentication, reached with the official kubernetes client.

Client certificates and bearer tokens are accepted; refused credentials and anonymous requests get
upstream's 401 Status, the health endpoints stay open. The plain-HTTP trusted mode is unchanged
(tests/apiserver cover it).
"""

from __future__ import annotations

import json
import ssl
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

kubernetes = pytest.importorskip("kubernetes")

from kubernetes import client as k8s  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

from impl.apiserver import tls  # noqa: E402
from impl.apiserver.authn import Authenticator, ServiceAccountTokens  # noqa: E402
from impl.apiserver.http import ServerThread, new_server  # noqa: E402
from impl.apiserver.memory import MemoryKV  # noqa: E402
from spec.authn import UserInfo  # noqa: E402


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerThread, tls.PKI, Path]]:
    directory = tmp_path_factory.mktemp("pki")
    pki = tls.ensure_pki(directory)
    authenticator = Authenticator(
        ca=pki.ca_cert,
        static_tokens={"admin-token": UserInfo("admin", "1", ("system:masters",))},
        sa_tokens=ServiceAccountTokens(),
    )
    thread = ServerThread(
        new_server(MemoryKV().client(), seed=5), authenticator=authenticator, ssl_context=pki.server_context()
    ).start()
    try:
        yield thread, pki, directory
    finally:
        thread.stop()


def _api(thread: ServerThread, pki: tls.PKI, directory: Path, *, token=None, cert=None) -> k8s.CoreV1Api:
    config = k8s.Configuration()
    config.host = thread.url.replace("127.0.0.1", "localhost")
    config.ssl_ca_cert = str(pki.ca_path)
    if token is not None:
        config.api_key = {"authorization": f"Bearer {token}"}
    if cert is not None:
        cert_pem, key_pem = cert
        (directory / "client.crt").write_bytes(cert_pem)
        (directory / "client.key").write_bytes(key_pem)
        config.cert_file, config.key_file = str(directory / "client.crt"), str(directory / "client.key")
    return k8s.CoreV1Api(k8s.ApiClient(config))


def test_static_token_over_https(secured) -> None:
    api = _api(*secured, token="admin-token")
    assert api.list_namespaced_config_map("default").items == []


def test_client_certificate_over_https(secured) -> None:
    thread, pki, directory = secured
    api = _api(thread, pki, directory, cert=pki.client_certificate("alice", ("dev",)))
    api.create_namespaced_config_map("default", k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name="cm")))
    assert [c.metadata.name for c in api.list_namespaced_config_map("default").items] == ["cm"]


@pytest.mark.parametrize("token", [None, "wrong-token", "abcdef.0123456789abcdef", "a.b.c"])
def test_refused_and_anonymous_get_401(secured, token) -> None:
    api = _api(*secured, token=token)
    with pytest.raises(ApiException) as raised:
        api.list_namespaced_config_map("default")
    assert raised.value.status == 401
    body = json.loads(raised.value.body)
    assert body["kind"] == "Status" and body["reason"] == "Unauthorized" and body["code"] == 401


def test_health_endpoints_are_open(secured) -> None:
    thread, pki, _ = secured
    context = ssl.create_default_context(cafile=str(pki.ca_path))
    base = thread.url.replace("127.0.0.1", "localhost")
    for path in ("/healthz", "/readyz", "/livez", "/version"):
        with urllib.request.urlopen(base + path, context=context, timeout=10) as response:
            assert response.status == 200, path


def test_apiclient_https_with_token_and_certificate(secured) -> None:
    from impl.apiclient import HTTPClient

    thread, pki, _ = secured
    url = thread.url.replace("127.0.0.1", "localhost")
    context = ssl.create_default_context(cafile=str(pki.ca_path))
    status, _ = HTTPClient(url, token="admin-token", ssl_context=context).call(
        "GET", "/api/v1/namespaces/default/configmaps"
    )
    assert status == 200
    status, body = HTTPClient(url, token="nope", ssl_context=context).call(
        "GET", "/api/v1/namespaces/default/configmaps"
    )
    assert status == 401 and body["reason"] == "Unauthorized"
    directory = pki.directory
    cert_pem, key_pem = pki.client_certificate("bob")
    (directory / "bob.crt").write_bytes(cert_pem)
    (directory / "bob.key").write_bytes(key_pem)
    with_cert = ssl.create_default_context(cafile=str(pki.ca_path))
    with_cert.load_cert_chain(directory / "bob.crt", directory / "bob.key")
    status, _ = HTTPClient(url, ssl_context=with_cert).call("GET", "/api/v1/namespaces/default/configmaps")
    assert status == 200
