"""The reference API server behind the suite's ``apiserver`` contract (conformance/adapters/apiserver.py).

``serve`` starts the HTTP driver (impl/apiserver/http.py) on a free loopback
port in a background thread, on a fresh in-memory kv store (or on a fresh
cluster of ``kv_provider``: the reference etcd in real mode or real etcd,
which ``--impl reference-etcd`` and ``--impl etcd`` use), over HTTPS with
authentication on (impl/apiserver/secure.py: a fresh PKI in a temporary
directory, the authenticator chain) and authorization on, writes a
kubeconfig for it in that directory (the CA and a client certificate for
``kubernetes-admin`` in ``system:masters``, kubeadm's admin.conf: the suite
may do anything and impersonate any user), and stops the server and removes
the directory when the block ends. ``client_credentials(user, groups)``,
while ``serve`` runs, writes a kubeconfig for another user (a client
certificate from the cluster CA, or with ``method="static-token"`` a token
added to the static tokens): the authentication suite's optional capability.
``authentication=False`` serves plain HTTP with every caller trusted, as
before (project tests that need it). The controllers the deletion semantics
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
import secrets
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from impl import kubeconfig
from impl.apiserver.core import APIServer
from impl.apiserver.http import ServerThread, new_server
from impl.apiserver.memory import MemoryKV
from impl.apiserver.secure import Security, secure, start_csr_controllers
from impl.apiserver.storage import KV
from impl.controllers.runner import DEFAULT_CONTROLLERS, Controller, ControllerLoop
from spec.authn import UserInfo


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
    #: Authorization is on (impl/apiserver/authz.py): the kubeconfig's user is in system:masters, so the
    #: suite may do anything and impersonate any user (Impersonate-User).
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
    #: HTTPS with the authenticator chain (impl/apiserver/secure.py); False: plain HTTP, callers trusted.
    authentication: bool = True
    #: The PKI and chain for a served core in a directory (tests substitute broken authenticators).
    security_factory: Callable[[APIServer, Path], Security] = secure
    _kv: KV | None = field(default=None, init=False, repr=False, compare=False)
    _serving: tuple[str, Security, Path] | None = field(default=None, init=False, repr=False, compare=False)

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

    def client_credentials(self, user: str, groups: Sequence[str] = (), method: str = "certificate") -> Path:
        """A kubeconfig for the server ``serve`` runs, authenticating as ``user`` in ``groups``: a client
        certificate issued by the cluster CA, or (``method="static-token"``) a bearer token in the static
        token file."""
        if self._serving is None:
            raise RuntimeError("client_credentials() needs serve() running with authentication")
        url, security, directory = self._serving
        if method == "certificate":
            config = security.credentials(url, user, tuple(groups))
        elif method == "static-token":
            token = secrets.token_hex(16)
            security.static_tokens[token] = UserInfo(user, uid=f"uid-{user}", groups=tuple(groups))
            config = kubeconfig.kubeconfig_with(
                url, ca_pem=security.pki.ca_path.read_bytes(), token=token, user=user
            )
        else:
            raise NotImplementedError(f"credential method {method!r}: certificate or static-token")
        return kubeconfig.write(directory / f"kubeconfig-{secrets.token_hex(4)}", config)

    @contextmanager
    def serve(self) -> Iterator[Path]:
        with self._storage() as kv, tempfile.TemporaryDirectory(prefix="kspec-apiserver-") as name:
            directory = Path(name)
            server = self._server(kv)
            self._kv = kv
            security = self.security_factory(server, directory / "pki") if self.authentication else None
            thread = ServerThread(
                server,
                bookmark_interval_s=self.bookmark_interval_s,
                authenticator=security.authenticator if security else None,
                ssl_context=security.ssl_context if security else None,
            )
            thread.start(timeout_s=10)
            loop = ControllerLoop(server, self.controllers, interval_s=0.01).start()
            csr = start_csr_controllers(server, security.pki) if security is not None else None
            try:
                path = directory / "kubeconfig"
                if security is None:
                    path.write_text(json.dumps(kubeconfig_for(thread.url), indent=2))  # JSON is YAML
                else:
                    self._serving = (thread.url, security, directory)
                    kubeconfig.write(path, security.admin_kubeconfig(thread.url))
                yield path
            finally:
                self._kv = None
                self._serving = None
                if csr is not None:
                    csr.stop(timeout_s=10)
                loop.stop(timeout_s=10)
                thread.stop(timeout_s=10)

    @contextmanager
    def secure_cluster(self) -> Iterator[Any]:
        """The optional ``secure_cluster`` capability (conformance/security/test_join.py): a server with
        authentication over HTTPS, CSRs, TokenRequest and the CSR controllers (impl/apiserver/secure.py)."""
        from impl.apiserver.securecluster import SecureCluster

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
