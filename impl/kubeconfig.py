"""Kubeconfig files: writing one with credentials, and an ``HTTPClient`` from one (a small clientcmd).

What it models: the fields of a kubeconfig's current context that client-go
(``tools/clientcmd/api/types.go``) reads to reach a server: ``server``,
``certificate-authority`` / ``-data``, ``insecure-skip-tls-verify``,
``client-certificate`` / ``-data`` with ``client-key`` / ``-data``, and
``token``. kubeadm's ``admin.conf`` embeds the CA and a client certificate
for ``kubernetes-admin`` in ``system:masters`` as ``*-data`` (base64 PEM), as
``kubeconfig_with`` writes them. The reference's components that act through
the API (the scheduler's API driver, ``kspec rewrite-secrets``) read the same
files the suite hands the official client.

Requirement IDs: none.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import tempfile
from pathlib import Path
from typing import Any

import yaml

from impl.apiclient import HTTPClient


def kubeconfig_with(
    url: str,
    *,
    ca_pem: bytes | None = None,
    cert_pem: bytes | None = None,
    key_pem: bytes | None = None,
    token: str | None = None,
    user: str = "kspec",
) -> dict[str, Any]:
    """A kubeconfig for ``url``: the CA, a client certificate and/or a bearer token embedded."""
    cluster: dict[str, Any] = {"server": url}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    credentials: dict[str, Any] = {}
    if cert_pem is not None and key_pem is not None:
        credentials["client-certificate-data"] = base64.b64encode(cert_pem).decode()
        credentials["client-key-data"] = base64.b64encode(key_pem).decode()
    if token is not None:
        credentials["token"] = token
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kspec", "cluster": cluster}],
        "users": [{"name": user, "user": credentials}],
        "contexts": [{"name": "kspec", "context": {"cluster": "kspec", "user": user}}],
        "current-context": "kspec",
    }


def write(path: Path, config: dict[str, Any]) -> Path:
    """Write ``config`` to ``path`` (JSON, which is YAML), readable by its owner only: it holds a key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(json.dumps(config, indent=2))
    return path


def current(path: Path | str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(cluster, user) of the current context of the kubeconfig at ``path``."""
    config = yaml.safe_load(Path(path).read_text()) or {}
    contexts = {c["name"]: c["context"] for c in config.get("contexts") or ()}
    clusters = {c["name"]: c["cluster"] for c in config.get("clusters") or ()}
    users = {u["name"]: u.get("user") or {} for u in config.get("users") or ()}
    context = contexts.get(config.get("current-context"))
    if context is None:
        raise ValueError(f"kubeconfig {path}: no current context")
    return clusters[context["cluster"]], users.get(context.get("user"), {})


def _pem(entry: dict[str, Any], name: str, base: Path) -> bytes | None:
    """``name``-data (base64) or the file ``name`` names (relative to the kubeconfig's directory)."""
    if entry.get(f"{name}-data"):
        return base64.b64decode(entry[f"{name}-data"])
    if entry.get(name):
        return (base / entry[name]).read_bytes()
    return None


def ssl_context(path: Path | str) -> ssl.SSLContext | None:
    """The TLS context of the current context's cluster and user; None for a plain http server."""
    cluster, user = current(path)
    if not str(cluster["server"]).startswith("https://"):
        return None
    base = Path(path).parent
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca = _pem(cluster, "certificate-authority", base)
    if cluster.get("insecure-skip-tls-verify"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif ca is not None:
        context.load_verify_locations(cadata=ca.decode())
    cert, key = _pem(user, "client-certificate", base), _pem(user, "client-key", base)
    if cert is not None and key is not None:
        # load_cert_chain reads files only: a private temporary directory, removed at once.
        with tempfile.TemporaryDirectory(prefix="kspec-kubeconfig-") as directory:
            cert_file, key_file = Path(directory) / "client.crt", Path(directory) / "client.key"
            cert_file.write_bytes(cert)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(key)
            context.load_cert_chain(cert_file, key_file)
    return context


def client(path: Path | str, *, timeout_s: float = 10.0) -> HTTPClient:
    """An ``HTTPClient`` with the server, TLS and credentials of the kubeconfig's current context."""
    cluster, user = current(path)
    return HTTPClient(
        str(cluster["server"]), timeout_s=timeout_s, token=user.get("token"), ssl_context=ssl_context(path)
    )
