"""spec/encryption.py and impl/apiserver/encryption.py: upstream's validation messages, the transformers,
known-bad inputs (tampered ciphertext, wrong key, unknown prefix), the storage wiring, and seeded bugs the
suite (conformance/security/test_encryption.py) must catch."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.security import test_encryption as suite
from impl.apiclient import InProcessClient
from impl.apiserver import encryption as enc
from impl.apiserver.core import APIServer
from impl.apiserver.http import new_server
from impl.apiserver.memory import MemoryKV
from impl.apiserver.provider import ReferenceAPIServerProvider
from impl.apiserver.rotation import rewrite_all
from spec import encryption
from spec.entropy import SeededEntropy
from spec.kv import RangeRequest

pytestmark = pytest.mark.requirement(
    "SEC-ENC-AT-REST",
    "SEC-ENC-PREFIX",
    "SEC-ENC-READ-ALL-PROVIDERS",
    "SEC-ENC-ROTATION",
    "SEC-ENC-CONFIG-VALIDATION",
)


def doc(*providers: dict, resources: list[str] | None = None) -> dict:
    return {
        "apiVersion": encryption.API_VERSION,
        "kind": encryption.KIND,
        "resources": [
            {"resources": resources if resources is not None else ["secrets"], "providers": list(providers)}
        ],
    }


def b64(n: int) -> str:
    return base64.b64encode(bytes(range(n))).decode()


# -- validation: upstream's field paths and messages --------------------------------------------------


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            doc({"aesgcm": {"keys": [{"name": "k", "secret": b64(8)}]}}),
            'resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: "REDACTED": secret is not of '
            "the expected length, got 8, expected one of [16 24 32]",
        ),
        (
            doc({"secretbox": {"keys": [{"name": "k", "secret": b64(16)}]}}),
            'resources[0].providers[0].secretbox.keys[0].secret: Invalid value: "REDACTED": secret is not of '
            "the expected length, got 16, expected one of [32]",
        ),
        (
            doc({"aescbc": {"keys": [{"name": "k", "secret": "not base64!"}]}}),
            'resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secrets must be '
            "base64 encoded",
        ),
        (
            doc({"aescbc": {"keys": [{"secret": b64(32)}]}}),
            "resources[0].providers[0].aescbc.keys[0].name: Required value: name is a mandatory field "
            "for a key",
        ),
        (
            doc({"aescbc": {"keys": [{"name": "k"}]}}),
            "resources[0].providers[0].aescbc.keys[0].secret: Required value: secret is a mandatory "
            "field for a key",
        ),
        (
            doc({"aesgcm": {"keys": []}}),
            "resources[0].providers[0].aesgcm.keys: Required value: at least one keys is required",
        ),
        (
            doc({"identity": {}, "aesgcm": {"keys": [{"name": "k", "secret": b64(32)}]}}),
            "more than one provider specified in a single element, should split into different list elements",
        ),
        (
            doc({"foo": {}}),
            "provider does not contain any of the expected providers: "
            "KMS, AESGCM, AESCBC, Secretbox, Identity",
        ),
        (doc(), "resources[0].providers: Required value: at least one resources[0].providers is required"),
        (
            doc({"identity": {}}, resources=[]),
            "resources[0].resources: Required value: at least one resources[0].resources is required",
        ),
        (
            doc({"kms": {"name": "x", "endpoint": "unix:///k.sock"}}),
            "the kms provider is not supported by kspec",
        ),
        ({"apiVersion": "v1", "kind": "EncryptionConfiguration", "resources": []}, "expected apiVersion"),
        ({"apiVersion": encryption.API_VERSION, "kind": encryption.KIND}, "resources: Required value"),
    ],
)
def test_bad_configs_are_refused_with_upstreams_message(document: dict, message: str) -> None:
    with pytest.raises(encryption.EncryptionConfigError) as raised:
        encryption.parse_config(document)
    assert any(message in e for e in raised.value.errors), raised.value.errors


def test_a_good_config_parses_and_the_first_provider_writes() -> None:
    config = encryption.parse_config(
        doc(
            {"aesgcm": {"keys": [{"name": "new", "secret": b64(16)}, {"name": "old", "secret": b64(24)}]}},
            {"secretbox": {"keys": [{"name": "sb", "secret": b64(32)}]}},
            {"identity": {}},
        )
    )
    entry = config.for_resource("secrets")
    assert entry is not None and entry.writer().kind == "aesgcm"
    assert entry.writer().prefixes()[0][0] == b"k8s:enc:aesgcm:v1:new:"
    assert config.for_resource("configmaps") is None
    wild = encryption.parse_config(doc({"identity": {}}, resources=["*.*"]))
    assert wild.for_resource("pods") is not None and wild.for_resource("deployments", "apps") is not None


# -- transformers ---------------------------------------------------------------------------------------

KEYS = {"aesgcm": b64(32), "aescbc": b64(16), "secretbox": b64(32)}


def provider(kind: str, name: str = "k1", secret: str | None = None) -> encryption.Provider:
    if kind == "identity":
        return encryption.Provider("identity")
    return encryption.Provider(kind, (encryption.Key(name, base64.b64decode(secret or KEYS[kind])),))


@pytest.mark.parametrize("kind", ["aesgcm", "aescbc", "secretbox"])
@settings(max_examples=50, deadline=None)
@given(plaintext=st.binary(max_size=300), seed=st.integers(0, 2**32))
def test_every_provider_round_trips_and_hides_the_plaintext(kind: str, plaintext: bytes, seed: int) -> None:
    p = provider(kind)
    stored = enc.write(p, plaintext, b"/registry/secrets/ns/a", SeededEntropy(seed))
    assert stored.startswith(f"k8s:enc:{kind}:v1:k1:".encode())
    assert enc.read((p,), stored, b"/registry/secrets/ns/a") == enc.Read(plaintext, stale=False)
    if len(plaintext) >= 8:
        assert plaintext not in stored[len(b"k8s:enc:") :]


@pytest.mark.parametrize("kind", ["aesgcm", "aescbc", "secretbox"])
def test_tampered_ciphertext_wrong_key_and_unknown_prefix_are_refused(kind: str) -> None:
    p = provider(kind)
    data = b'{"kind":"Secret","data":{"a":"c2VjcmV0"}}'
    stored = enc.write(p, data, b"/registry/secrets/ns/a", SeededEntropy(1))
    wrong = provider(kind, secret=base64.b64encode(b"\x07" * len(base64.b64decode(KEYS[kind]))).decode())
    tampered = stored[:-1] + bytes([stored[-1] ^ 1])
    with pytest.raises(enc.TransformError):
        enc.read((wrong,), stored, b"/registry/secrets/ns/a")
    if kind != "aescbc":  # CBC is not authenticated upstream either: a flipped last byte breaks the padding
        with pytest.raises(enc.TransformError):
            enc.read((p,), tampered, b"/registry/secrets/ns/a")
    else:
        with pytest.raises(enc.TransformError):
            enc.read((p,), stored[:-3], b"/registry/secrets/ns/a")
    with pytest.raises(enc.TransformError, match="no matching prefix found"):
        enc.read((provider("aesgcm", name="other"),), stored, b"/registry/secrets/ns/a")
    if (
        kind == "aesgcm"
    ):  # the etcd key is the additional authenticated data: a value moved to another key fails
        with pytest.raises(enc.TransformError, match="authentication failed"):
            enc.read((p,), stored, b"/registry/secrets/ns/b")


def test_identity_reads_unprefixed_data_and_marks_it_stale_when_not_first() -> None:
    assert enc.read((provider("identity"),), b"{}", b"k") == enc.Read(b"{}", stale=False)
    assert enc.read((provider("aesgcm"), provider("identity")), b"{}", b"k") == enc.Read(b"{}", stale=True)
    second = enc.write(provider("aescbc"), b"x", b"k", SeededEntropy(2))
    assert enc.read((provider("aesgcm"), provider("aescbc")), second, b"k") == enc.Read(b"x", stale=True)


# -- through the API server ------------------------------------------------------------------------------


def secret_body(name: str, value: bytes) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "data": {"v": base64.b64encode(value).decode()},
    }


def test_a_value_no_provider_reads_is_a_500_failed_to_decrypt(tmp_path: Path) -> None:
    path = tmp_path / "enc.yaml"
    suite.write_config(path, [("aesgcm", ["one"])])
    kv = MemoryKV().client()
    server = new_server(kv, seed=3, encryption_config=path)
    client = InProcessClient(server)
    assert (
        client.call("POST", "/api/v1/namespaces/default/secrets", secret_body("a", b"hunter2hunter2"))[0]
        == 201
    )
    suite.write_config(path, [("aesgcm", ["two"])])  # the old key is gone: nothing reads the stored value
    status, body = client.call("GET", "/api/v1/namespaces/default/secrets/a")
    assert status == 500 and body["reason"] == "InternalError"
    assert (
        'failed to decrypt data for key "/registry/secrets/default/a": no matching prefix found'
        in body["message"]
    )


def test_rotation_with_the_rewrite_command_never_fails_a_read(tmp_path: Path) -> None:
    path = tmp_path / "enc.yaml"
    suite.write_config(path, [("secretbox", ["old"])])
    kv = MemoryKV().client()
    client = InProcessClient(new_server(kv, seed=4, encryption_config=path))
    for i in range(5):
        assert (
            client.call("POST", "/api/v1/namespaces/default/secrets", secret_body(f"s{i}", b"pw%08d" % i))[0]
            == 201
        )

    def all_read() -> None:
        for i in range(5):
            status, body = client.call("GET", f"/api/v1/namespaces/default/secrets/s{i}")
            assert status == 200 and base64.b64decode(body["data"]["v"]) == b"pw%08d" % i

    for step in (
        [("secretbox", ["old"]), ("aesgcm", ["new"])],
        [("aesgcm", ["new"]), ("secretbox", ["old"])],
    ):
        suite.write_config(path, step)
        all_read()
    assert rewrite_all(client) == 5
    for i in range(5):
        value = kv.call(RangeRequest(f"/registry/secrets/default/s{i}".encode())).kvs[0].value
        assert value.startswith(b"k8s:enc:aesgcm:v1:new:")
    suite.write_config(path, [("aesgcm", ["new"])])
    all_read()


# -- seeded bugs the suite must catch -------------------------------------------------------------------


class IdentityWriter(enc.ReloadingTransformer):
    """Seeded bug: writes plaintext although aesgcm is first (reads still work: identity reads it)."""

    def to_storage(self, key: str, value: bytes) -> bytes:
        return value


class ConstantEntropy(SeededEntropy):
    def randint(self, a: int, b: int) -> int:
        return a


class NonceReuser(enc.ReloadingTransformer):
    """Seeded bug: every write uses the same nonce (an all-zero entropy stream)."""

    def __init__(self, path: Path, entropy: object) -> None:
        super().__init__(path, ConstantEntropy(0))


class NoStaleRewrite(enc.ReloadingTransformer):
    """Seeded bug: reads never report stale, so a no-op update leaves values under the old key."""

    def from_storage(self, key: str, value: bytes) -> enc.Read:
        return enc.Read(super().from_storage(key, value).data, stale=False)


class FirstOnlyReader(enc.ReloadingTransformer):
    """Seeded bug: reads only with the first provider (rotation's step 2 breaks every old Secret)."""

    def from_storage(self, key: str, value: bytes) -> enc.Read:
        providers = self._providers(key)
        if providers is None:
            return enc.Read(value, False)
        return enc.read(providers[:1], value, key.encode())


@dataclass
class BrokenProvider(ReferenceAPIServerProvider):
    transformer: type = enc.ReloadingTransformer

    def _server(self, kv):  # type: ignore[no-untyped-def]
        assert self.encryption_config is not None
        server = APIServer(
            kv,
            clock=new_server(MemoryKV().client(), seed=0).clock,
            entropy=SeededEntropy(self.seed),
            encryption=self.transformer(self.encryption_config, SeededEntropy(self.seed).fork("encryption")),
        )
        server.bootstrap()
        return server


def test_the_suite_passes_the_reference() -> None:
    suite.check_provider_at_rest(ReferenceAPIServerProvider(), "aesgcm")
    suite.check_rotation(ReferenceAPIServerProvider(), secrets=4)


@pytest.mark.parametrize(
    ("bug", "check", "message"),
    [
        (IdentityWriter, lambda p: suite.check_provider_at_rest(p, "aesgcm"), "expected prefix"),
        (NonceReuser, lambda p: suite.check_provider_at_rest(p, "aesgcm"), "reuses the nonce"),
        (NonceReuser, lambda p: suite.check_provider_at_rest(p, "secretbox"), "reuses the nonce"),
        (NoStaleRewrite, lambda p: suite.check_rotation(p, secrets=3), "still stored as"),
        (FirstOnlyReader, lambda p: suite.check_rotation(p, secrets=3), "500"),
    ],
)
def test_the_suite_catches_seeded_bugs(bug: type, check, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Exception, match=message) as raised:
        check(BrokenProvider(transformer=bug))
    assert not isinstance(raised.value, pytest.skip.Exception)


def test_providers_without_raw_storage_are_not_applicable() -> None:
    @dataclass
    class Opaque:
        deterministic: bool = False

    with pytest.raises(pytest.skip.Exception, match="not applicable"):
        suite.check_provider_at_rest(Opaque(), "aesgcm")


def test_the_config_file_in_the_docs_parses() -> None:
    text = (Path(__file__).parents[2] / "docs" / "security-encryption.md").read_text()
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    import yaml

    config = encryption.parse_config(yaml.safe_load(block))
    assert config.for_resource("secrets") is not None
    assert json.dumps(yaml.safe_load(block))  # plain data


def test_a_watch_of_encrypted_secrets_sees_plaintext_objects(tmp_path: Path) -> None:
    path = tmp_path / "enc.yaml"
    suite.write_config(path, [("aesgcm", ["k"])])
    client = InProcessClient(new_server(MemoryKV().client(), seed=5, encryption_config=path))
    stream = client.watch("/api/v1/namespaces/default/secrets", query={"resourceVersion": "1"})
    try:
        assert (
            client.call("POST", "/api/v1/namespaces/default/secrets", secret_body("w", b"watched-value"))[0]
            == 201
        )
        events = stream.next_events(1.0)
    finally:
        stream.close()
    added = [e for e in events if e["type"] == "ADDED"]
    assert added and base64.b64decode(added[0]["object"]["data"]["v"]) == b"watched-value"


def test_the_documented_commands_run(tmp_path: Path) -> None:
    """``kspec apiserver --encryption-provider-config`` and ``kspec rewrite-secrets``, as the docs show."""
    import socket
    import subprocess
    import sys
    import time

    from impl import kubeconfig as kubeconfigs

    config = tmp_path / "encryption.yaml"
    suite.write_config(config, [("aescbc", ["old"])])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**__import__("os").environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kspec",
            "apiserver",
            "--port",
            str(port),
            "--encryption-provider-config",
            str(config),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    kubeconfig = tmp_path / "data" / "admin.conf"  # written by kspec apiserver: kubernetes-admin
    try:
        for _ in range(100):
            try:
                client = kubeconfigs.client(kubeconfig, timeout_s=2.0)
                if client.call("GET", "/api/v1/namespaces/default/secrets")[0] == 200:
                    break
            except Exception:  # not written or not listening yet
                time.sleep(0.1)
        assert (
            client.call("POST", "/api/v1/namespaces/default/secrets", secret_body("cli", b"cli-secret-1"))[0]
            == 201
        )
        suite.write_config(config, [("secretbox", ["new"]), ("aescbc", ["old"])])
        done = subprocess.run(
            [sys.executable, "-m", "kspec", "rewrite-secrets", "--kubeconfig", str(kubeconfig)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert "kspec rewrite-secrets: rewrote 1 secrets" in done.stdout
        suite.write_config(config, [("secretbox", ["new"])])
        status, body = client.call("GET", "/api/v1/namespaces/default/secrets/cli")
        assert status == 200 and base64.b64decode(body["data"]["v"]) == b"cli-secret-1"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_an_invalid_new_file_keeps_the_previous_configuration(tmp_path: Path) -> None:
    path = tmp_path / "enc.yaml"
    suite.write_config(path, [("aesgcm", ["k"])])
    transformer = enc.ReloadingTransformer(path, SeededEntropy(6))
    stored = transformer.to_storage("/registry/secrets/ns/a", b"{}")
    path.write_text(json.dumps(doc({"aesgcm": {"keys": [{"name": "k", "secret": b64(7)}]}})))
    assert transformer.check_reload() is False
    assert transformer.from_storage("/registry/secrets/ns/a", stored).data == b"{}"
    suite.write_config(path, [("identity", [])])
    assert transformer.check_reload() is True
    assert transformer.to_storage("/registry/secrets/ns/a", b"{}") == b"{}"
