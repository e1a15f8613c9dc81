"""The ``apiserver`` contract: a Kubernetes REST endpoint and the credentials to use it, as a kubeconfig.

A provider serves an API server for the length of a ``with`` block and hands
the suite the path of a kubeconfig file for it (cluster URL, CA or
insecure-skip-tls-verify, user credentials; the current context is used).
The suite reaches the server only through the official ``kubernetes`` Python
client configured from that file, and raw HTTP where the client cannot say
what a test needs, so any API server that speaks the Kubernetes REST API can
be checked: the reference (impl/apiserver), or a real cluster with
``--impl kubeconfig:PATH``.

Optional capability, for the authentication suite (conformance/security/test_authn.py):
``client_credentials(user, groups, method="certificate" | "static-token")``, while ``serve`` runs,
returns the path of a kubeconfig for the same server that authenticates as ``user`` in ``groups``
with a client certificate issued by the cluster CA, or a static bearer token; raise
``NotImplementedError`` for a method it cannot do. Without it those tests are reported not
applicable. The reference provider has it (impl/apiserver/provider.py).

The suite works inside namespaces it creates (``kspec-<pid>-<n>``) and
deletes them when it is done; it touches nothing else. It
does not assume a fresh server: resourceVersions are compared with each
other, never with fixed numbers.

Optional capability ``secure_cluster()`` (conformance/security/test_join.py; a provider without it
is not applicable there): a context manager yielding a served cluster with authentication on and
``url``, ``ca_file``, ``admin`` (a system:masters client), ``client(token=...)``,
``user_client(name, groups)`` (client certificate) and ``create_bootstrap_token(token, expiration)``;
clients answer ``call(method, path, body) -> (status, body)`` (impl/apiclient.HTTPClient).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol, runtime_checkable

__all__ = ["APIServerProvider", "ClientCredentials"]


@runtime_checkable
class APIServerProvider(Protocol):
    #: True if the server runs in a simulator and replays exactly (the reference's HTTP server does not).
    deterministic: bool

    def serve(self) -> AbstractContextManager[Path]:
        """A running server for the block: the path of a kubeconfig for it. Leaving the block stops
        whatever the provider started (a provider for an existing cluster starts nothing)."""
        ...


@runtime_checkable
class ClientCredentials(Protocol):
    """The optional capability: a kubeconfig for ``user`` in ``groups`` on the server being served."""

    def client_credentials(
        self, user: str, groups: Sequence[str] = (), method: str = "certificate"
    ) -> Path: ...
