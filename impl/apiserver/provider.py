"""The reference API server behind the suite's ``apiserver`` contract (conformance/adapters/apiserver.py).

``serve`` starts the HTTP driver (impl/apiserver/http.py) on a free loopback
port in a background thread, on a fresh in-memory kv store (or on a fresh
cluster of ``kv_provider``: the reference etcd in real mode or real etcd,
which ``--impl reference-etcd`` and ``--impl etcd`` use), writes a
kubeconfig for it (plain HTTP, no credentials: authentication is the
security issue's; authorization is on, and the credential-less suite is a
trusted caller that may impersonate any user) in a temporary directory, and stops the server and removes
the directory when the block ends. The controllers the deletion semantics
need (the garbage collector and the namespace controller,
``impl/controllers``) run in the same process on a ``ControllerLoop``.
``server_factory`` and ``controllers`` let the project's tests serve a
deliberately broken core or broken controllers.

``encryption_config`` (an EncryptionConfiguration file) turns on encryption at
rest; ``raw_storage()``, while ``serve`` runs, is a ``kv``-contract client to
the store behind the server, so the suite can read the stored bytes
(SEC-ENC-AT-REST; a provider without it is not applicable there).

``KubeconfigProvider`` is the contract for a cluster someone else runs
(``--impl kubeconfig:PATH``): it starts nothing and hands out the given file.

Requirement IDs: none.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from impl.apiserver.core import APIServer
from impl.apiserver.http import ServerThread, new_server
from impl.apiserver.memory import MemoryKV
from impl.apiserver.storage import KV
from impl.controllers.runner import DEFAULT_CONTROLLERS, Controller, ControllerLoop


def kubeconfig_for(url: str) -> dict[str, object]:
    """A kubeconfig with one cluster at ``url``, one user without credentials, one current context."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kspec", "cluster": {"server": url}}],
        "users": [{"name": "kspec", "user": {}}],
        "contexts": [{"name": "kspec", "context": {"cluster": "kspec", "user": "kspec"}}],
        "current-context": "kspec",
    }


@dataclass
class ReferenceAPIServerProvider:
    """Serves the reference API server on the in-memory store, or on a cluster of ``kv_provider``."""

    deterministic: bool = False
    seed: int = 7
    bookmark_interval_s: float = 1.0
    #: The core to serve on a kv client (tests substitute broken ones).
    #: Authorization is on (impl/apiserver/authz.py): the kubeconfig carries no credentials, so the
    #: suite is a trusted caller that may do anything and impersonate any user (Impersonate-User).
    server_factory: Callable[[KV, int], APIServer] = lambda kv, seed: new_server(
        kv, seed=seed, authorization=True
    )
    #: The controllers run beside it (tests substitute broken ones).
    controllers: Sequence[Controller] = DEFAULT_CONTROLLERS
    #: A ``kv``-contract provider (``new_cluster(size=...)``) to store objects in, such as the
    #: reference etcd in real mode or real etcd (impl/peers/etcd.py); None: the in-memory store.
    kv_provider: Any = None
    kv_members: int = 1
    #: An EncryptionConfiguration file (``--encryption-provider-config``), re-read when it changes.
    encryption_config: Path | None = None
    _kv: KV | None = field(default=None, init=False, repr=False, compare=False)

    def raw_storage(self) -> KV:
        """A ``kv``-contract client to the store behind the server that ``serve`` runs (the stored bytes)."""
        if self._kv is None:
            raise RuntimeError("raw_storage() is only available while serve() runs")
        return self._kv

    def with_encryption_config(self, path: Path) -> ReferenceAPIServerProvider:
        """This provider with ``--encryption-provider-config path`` (the encryption suite uses it)."""
        return replace(self, encryption_config=path)

    def _server(self, kv: KV) -> APIServer:
        if self.encryption_config is None:
            return self.server_factory(kv, self.seed)
        return new_server(kv, seed=self.seed, authorization=True, encryption_config=self.encryption_config)

    @contextmanager
    def serve(self) -> Iterator[Path]:
        with self._storage() as kv:
            server = self._server(kv)
            self._kv = kv
            thread = ServerThread(server, bookmark_interval_s=self.bookmark_interval_s)
            thread.start(timeout_s=10)
            loop = ControllerLoop(server, self.controllers, interval_s=0.01).start()
            try:
                with tempfile.TemporaryDirectory(prefix="kspec-apiserver-") as directory:
                    path = Path(directory) / "kubeconfig"
                    path.write_text(json.dumps(kubeconfig_for(thread.url), indent=2))  # JSON is YAML
                    yield path
            finally:
                self._kv = None
                loop.stop(timeout_s=10)
                thread.stop(timeout_s=10)

    @contextmanager
    def secure_cluster(self) -> Iterator[Any]:
        """The optional ``secure_cluster`` capability (conformance/security/test_join.py): a server with
        authentication over HTTPS, CSRs, TokenRequest and the CSR controllers (impl/apiserver/secure.py)."""
        from impl.apiserver.secure import SecureCluster

        with tempfile.TemporaryDirectory(prefix="kspec-secure-") as directory:
            with SecureCluster(Path(directory), seed=self.seed) as cluster:
                yield cluster

    @contextmanager
    def _storage(self) -> Iterator[KV]:
        if self.kv_provider is None:
            yield MemoryKV().client()
            return
        cluster = self.kv_provider.new_cluster(size=self.kv_members)
        try:
            yield cluster.client()
        finally:
            cluster.close()


@dataclass
class KubeconfigProvider:
    """An API server someone else runs, reached with the kubeconfig at ``path``."""

    path: Path
    deterministic: bool = False

    @contextmanager
    def serve(self) -> Iterator[Path]:
        if not self.path.is_file():
            raise FileNotFoundError(f"kubeconfig {self.path} does not exist")
        yield self.path


@dataclass(frozen=True)
class KubeconfigImplementation:
    name: str
    description: str
    components: dict[str, object]


def kubeconfig_implementation(path: str) -> KubeconfigImplementation:
    """``--impl kubeconfig:PATH``: the apiserver suite against the cluster that kubeconfig names."""
    file = Path(path).expanduser()
    return KubeconfigImplementation(
        f"kubeconfig:{path}",
        f"the API server of kubeconfig {file} (its current context)",
        {"apiserver": KubeconfigProvider(file)},
    )
