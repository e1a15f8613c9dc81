"""The encryption-at-rest suite: Secrets written through the official client, their stored bytes read raw.

Needs an ``apiserver`` provider with ``with_encryption_config(path)`` (serve with that
EncryptionConfiguration, re-reading the file when it changes, as upstream's automatic reload does) and
``raw_storage()`` (a ``kv``-contract client to the store behind the server while it serves: the
reference on its in-memory store, and real etcd or the reference etcd behind it with ``--impl etcd`` /
``reference-etcd``). A provider without them is reported not applicable, never passed.

- every provider round-trips generated Secrets; the stored bytes carry ``k8s:enc:<provider>:v1:<key>:``
  and contain no value, plain or base64, and no nonce repeats (Hypothesis);
- rotation as upstream documents it keeps every Secret readable with its original data at every step,
  and after the rewrite every stored value is under the new key.

Requirement IDs: SEC-ENC-AT-REST, SEC-ENC-PREFIX, SEC-ENC-READ-ALL-PROVIDERS, SEC-ENC-ROTATION.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.adapters import Implementation
from conformance.profiles import settings_for
from spec import encryption
from spec.kv import RangeRequest, RangeResponse

pytestmark = pytest.mark.component("apiserver")

NAMESPACE = "default"
KEY_SIZE = {"aesgcm": 32, "aescbc": 32, "secretbox": 32}


def key_secret(name: str, size: int = 32) -> str:
    """A deterministic key (base64) named ``name``: a test's keys are reproducible."""
    return base64.b64encode(hashlib.sha256(f"kspec-test-key:{name}".encode()).digest()[:size]).decode()


def config_document(
    providers: list[tuple[str, list[str]]], resources: tuple[str, ...] = ("secrets",)
) -> dict:
    """An EncryptionConfiguration: ``providers`` as (kind, key names) in order."""
    elements: list[dict[str, Any]] = []
    for kind, names in providers:
        if kind == "identity":
            elements.append({"identity": {}})
        else:
            elements.append({kind: {"keys": [{"name": n, "secret": key_secret(n)} for n in names]}})
    return {
        "apiVersion": encryption.API_VERSION,
        "kind": encryption.KIND,
        "resources": [{"resources": list(resources), "providers": elements}],
    }


def write_config(path: Path, providers: list[tuple[str, list[str]]]) -> None:
    path.write_text(json.dumps(config_document(providers), indent=2))  # JSON is YAML


@contextmanager
def encrypted_server(
    provider: Any, providers: list[tuple[str, list[str]]]
) -> Iterator[tuple[Any, Any, Path]]:
    """(kubernetes ApiClient, raw kv client, config path) of ``provider`` served with that configuration."""
    if not hasattr(provider, "with_encryption_config") or not hasattr(provider, "raw_storage"):
        pytest.skip(
            "not applicable: the apiserver provider exposes no raw storage or encryption configuration "
            "(with_encryption_config, raw_storage)"
        )
    config = pytest.importorskip("kubernetes.config", reason="the security suite needs the kubernetes client")
    with tempfile.TemporaryDirectory(prefix="kspec-encryption-") as directory:
        path = Path(directory) / "encryption.yaml"
        write_config(path, providers)
        served = provider.with_encryption_config(path)
        with served.serve() as kubeconfig:
            api = config.new_client_from_config(config_file=str(kubeconfig))
            try:
                yield api, served.raw_storage(), path
            finally:
                api.close()


def raw_value(kv: Any, name: str) -> bytes:
    response = kv.call(RangeRequest(f"/registry/secrets/{NAMESPACE}/{name}".encode()))
    assert isinstance(response, RangeResponse), response
    assert response.kvs, f"secret {name} is not stored under /registry/secrets/{NAMESPACE}/{name}"
    return bytes(response.kvs[0].value)


def create_secret(api: Any, name: str, data: dict[str, bytes]) -> dict[str, str]:
    from kubernetes import client

    encoded = {k: base64.b64encode(v).decode() for k, v in data.items()}
    body = client.V1Secret(metadata=client.V1ObjectMeta(name=name), data=encoded, type="Opaque")
    client.CoreV1Api(api).create_namespaced_secret(NAMESPACE, body)
    return encoded


def read_secret(api: Any, name: str) -> dict[str, str]:
    from kubernetes import client

    return dict(client.CoreV1Api(api).read_namespaced_secret(name, NAMESPACE).data or {})


secret_data = st.dictionaries(
    st.from_regex(r"[a-z][a-z0-9._-]{0,10}", fullmatch=True), st.binary(min_size=8, max_size=80), max_size=4
)


def check_provider_at_rest(provider: Any, kind: str) -> None:
    """Generated Secrets under ``kind`` first: round trip, prefix, no leaked value, no repeated nonce."""
    key_names = [] if kind == "identity" else [f"{kind}-key1"]
    names = (f"s{i}" for i in itertools.count())
    nonces: dict[bytes, str] = {}
    with encrypted_server(provider, [(kind, key_names)]) as (api, kv, _):
        base = settings_for(provider) or settings()

        @settings(base, deadline=None, suppress_health_check=list(HealthCheck))
        @given(data=secret_data)
        def round_trip(data: dict[str, bytes]) -> None:
            name = next(names)
            encoded = create_secret(api, name, data)
            stored = raw_value(kv, name)
            if kind == "identity":
                assert read_secret(api, name) == encoded, f"{kind}: secret {name} read back differs"
                assert not stored.startswith(b"k8s:enc:"), (
                    f"identity stored a prefixed value: {stored[:40]!r}"
                )
                return
            prefix = encryption.stored_prefix(kind, key_names[0])
            assert stored.startswith(prefix), f"{kind}: stored {stored[:40]!r}, expected prefix {prefix!r}"
            leaked = encryption.leaked_values(stored, encoded)
            assert not leaked, f"{kind}: stored bytes of {name} contain Secret values {leaked!r}"
            assert b'"kind"' not in stored and b"Secret" not in stored, f"{kind}: stored bytes are plaintext"
            nonce = encryption.nonce_of(stored)
            assert nonce is not None, f"{kind}: no nonce in {stored[:40]!r}"
            assert nonce not in nonces, f"{kind}: secret {name} reuses the nonce of {nonces.get(nonce)}"
            nonces[nonce] = name
            assert read_secret(api, name) == encoded, f"{kind}: secret {name} read back differs"

        round_trip()


@pytest.mark.requirement("SEC-ENC-AT-REST", "SEC-ENC-PREFIX", "SEC-ENC-READ-ALL-PROVIDERS")
@pytest.mark.parametrize("kind", ["aesgcm", "aescbc", "secretbox", "identity"])
def test_secrets_are_stored_encrypted(kspec_implementation: Implementation, kind: str) -> None:
    check_provider_at_rest(kspec_implementation.component("apiserver"), kind)


def check_rotation(provider: Any, secrets: int = 12) -> None:
    """Upstream's rotation steps; every Secret reads back unchanged after each one."""
    originals: dict[str, dict[str, str]] = {}
    with encrypted_server(provider, [("aescbc", ["old"])]) as (api, kv, path):

        def every_secret_reads_back(step: str) -> None:
            for name, encoded in originals.items():
                assert read_secret(api, name) == encoded, f"after {step}: secret {name} changed"

        for i in range(secrets):
            data = {"password": hashlib.sha256(f"pw{i}".encode()).digest(), "user": f"user-{i:04d}".encode()}
            originals[f"rot{i}"] = create_secret(api, f"rot{i}", data)
        # A reader runs through the whole rotation: no request may fail ("without downtime").
        failures: list[str] = []
        reads = [0]
        stop = threading.Event()

        def reader() -> None:
            while not stop.is_set():
                for name, encoded in originals.items():
                    try:
                        if read_secret(api, name) != encoded:
                            failures.append(f"{name} read back changed")
                    except Exception as error:
                        failures.append(f"{name}: {error!r}"[:300])
                    reads[0] += 1

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        for name in originals:
            assert raw_value(kv, name).startswith(encryption.stored_prefix("aescbc", "old"))
        # 1. the new key (and a new provider) second: reads still work, writes still use the old key.
        write_config(path, [("aescbc", ["old"]), ("aesgcm", ["new"])])
        every_secret_reads_back("adding the new key second")
        # 2. the new key first: new writes use it, old values still read.
        write_config(path, [("aesgcm", ["new"]), ("aescbc", ["old"])])
        every_secret_reads_back("moving the new key first")
        # 3. rewrite every Secret with a no-op update (kubectl get secrets -A -o json | kubectl replace -f -).
        from kubernetes import client

        core = client.CoreV1Api(api)
        for item in core.list_namespaced_secret(NAMESPACE).items:
            if item.metadata.name in originals:
                core.replace_namespaced_secret(item.metadata.name, NAMESPACE, item)
        for name, encoded in originals.items():
            stored = raw_value(kv, name)
            assert stored.startswith(encryption.stored_prefix("aesgcm", "new")), (
                f"after the rewrite secret {name} is still stored as {stored[:30]!r}"
            )
            assert not encryption.leaked_values(stored, encoded)
        every_secret_reads_back("rewriting every secret")
        # 4. the old key removed.
        write_config(path, [("aesgcm", ["new"])])
        every_secret_reads_back("removing the old key")
        stop.set()
        thread.join(timeout=30)
        assert not failures, f"reads failed during the rotation: {failures[:3]}"
        assert reads[0] > 0, "the concurrent reader never read"


@pytest.mark.requirement("SEC-ENC-ROTATION", "SEC-ENC-READ-ALL-PROVIDERS")
def test_rotation_keeps_every_secret_readable(kspec_implementation: Implementation) -> None:
    check_rotation(kspec_implementation.component("apiserver"))
