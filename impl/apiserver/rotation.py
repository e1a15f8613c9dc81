"""Rewrite every object of a resource with a no-op update: the "rewrite all Secrets" step of key rotation.

Upstream documents it as ``kubectl get secrets --all-namespaces -o json | kubectl replace -f -``
(kubernetes.io/docs/tasks/administer-cluster/encrypt-data/#ensure-all-secrets-are-encrypted): every
object goes through the API server's update unchanged, and the storage writes it again because it was
read with a provider or key that is no longer the first (``stale``, impl/apiserver/encryption.py), so it
is stored with the current first key. A conflict (someone wrote in between) re-reads and tries again:
that write already stored the object with the current key, but trying again costs nothing.

Requirement IDs: SEC-ENC-ROTATION (spec/encryption.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol


class Client(Protocol):
    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]: ...


def client_for_kubeconfig(path: str | Path) -> Client:
    """An ``impl.apiclient.HTTPClient`` to the current context's server of the kubeconfig at ``path``,
    with its CA and credentials (impl/kubeconfig.py)."""
    from impl.kubeconfig import client

    return client(path)


def rewrite_all(client: Client | str | Path, resource: str = "secrets", *, attempts: int = 5) -> int:
    """Update every object of the core ``resource`` with itself; the number rewritten."""
    if isinstance(client, str | Path):
        client = client_for_kubeconfig(client)
    status, body = client.call("GET", f"/api/v1/{resource}")
    if status != 200:
        raise RuntimeError(f"listing {resource}: {status} {json.dumps(body)[:300]}")
    count = 0
    for item in body.get("items") or []:
        metadata = item["metadata"]
        path = f"/api/v1/namespaces/{metadata['namespace']}/{resource}/{metadata['name']}"
        for _ in range(attempts):
            status, answer = client.call("PUT", path, item)
            if status == 200:
                count += 1
                break
            if status == 404:
                break  # deleted since the list: nothing left to re-encrypt
            if status != 409:
                raise RuntimeError(f"rewriting {path}: {status} {json.dumps(answer)[:300]}")
            status, item = client.call("GET", path)
            if status == 404:
                break
        else:
            raise RuntimeError(f"rewriting {path}: still conflicting after {attempts} attempts")
    return count
