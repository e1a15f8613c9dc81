"""The ``kv`` contract: an etcd v3 KV, Watch and Lease endpoint the suite can call and watch.

A provider makes clusters of one or more members; a cluster hands out
clients, each connected to one member (or to whichever member the adapter
picks). Requests and responses are the value types of ``spec.kv`` (the
sequential model's own), so the suite compares an implementation's answers
with the model's directly. Adapters that speak etcd's JSON gateway convert
with ``spec.kv_json``; the reference etcd and real etcd share that code path.

Outcomes. ``KVClient.call`` returns the response or the ``spec.kv.EtcdError``
the server answered with. When it cannot tell whether a write took effect
(timeout, connection dropped after the request was sent) it raises
``Indeterminate``: the linearizability checker keeps such an operation as
possibly applied. When the request certainly never reached the store
(connection refused, no leader and the server said so before proposing) it
raises ``Unavailable``.

Response headers carry only the revision (``spec.kv.ResponseHeader``);
cluster ID, member ID and raft term are the adapter's business.

Lease IDs are the implementation's (real etcd draws them from its request ID
generator); the suite maps the model's IDs to them. ``LeaseExpire`` is a
model-only request and is never sent.

Watches. ``KVClient.watch`` opens a stream with one create request;
``WatchStream.receive`` returns the responses that have arrived within the
given time (simulated time for a deterministic adapter), the created
response first. ``cancel`` closes it; further responses are discarded.

Optional: a cluster that also satisfies ``faults.Faults`` gets crash,
restart, pause and partition rules in the concurrent-client suite.

Optional: a client that also satisfies ``ConcurrentKVClient`` takes requests
without waiting for them (``submit``) and tells their outcome later
(``outcome``: the response, the ``Unavailable`` or ``Indeterminate`` that
``call`` would have raised, or None while it is still under way). The
concurrent-client suite then keeps one request of every client in flight at
once, so answered requests overlap in its histories; with ``call`` alone the
clients take turns. A request still under way is decided within the client
timeout as time passes (``KVCluster.advance``, or wall-clock time).
"""

from __future__ import annotations

from typing import Any, Protocol, TypeAlias, runtime_checkable

from spec.kv import (
    Indeterminate,
    KVLimits,
    Request,
    Response,
    Unavailable,
    WatchCreateRequest,
    WatchResponse,
)

__all__ = [
    "ConcurrentKVClient",
    "Indeterminate",
    "KVClient",
    "KVCluster",
    "KVProvider",
    "Outcome",
    "Unavailable",
    "WatchStream",
]

#: What a submitted request came to: ``call``'s answer, or what ``call`` would have raised.
Outcome: TypeAlias = "Response | Unavailable | Indeterminate"


@runtime_checkable
class WatchStream(Protocol):
    def receive(self, timeout_s: float) -> list[WatchResponse]:
        """The responses that arrive within ``timeout_s`` (all already buffered ones at once)."""
        ...

    def cancel(self) -> None: ...


@runtime_checkable
class KVClient(Protocol):
    def call(self, request: Request) -> Response:
        """Send ``request`` and wait, within the client timeout, for the response or error.

        Raises ``Unavailable`` or ``Indeterminate`` as the module docstring says.
        """
        ...

    def watch(self, request: WatchCreateRequest) -> WatchStream: ...

    def close(self) -> None: ...


@runtime_checkable
class ConcurrentKVClient(KVClient, Protocol):
    def submit(self, request: Request) -> int:
        """Send ``request`` without waiting; a ticket for ``outcome``."""
        ...

    def outcome(self, ticket: int) -> Outcome | None:
        """What the request came to, or None while it is under way (see the module docstring)."""
        ...


class KVCluster(Protocol):
    def members(self) -> tuple[str, ...]:
        """Member names in a stable order."""
        ...

    def client(self, member: str | None = None) -> KVClient:
        """A client connected to ``member`` (any member the adapter picks if None)."""
        ...

    def advance(self, duration_ns: int) -> None:
        """Let time pass with no client operation (lease expiry, progress notifications)."""
        ...

    def close(self) -> None:
        """Stop every member and release every process, port and directory."""
        ...


class KVProvider(Protocol):
    #: True if clusters run in a simulator and replay exactly from ``entropy``.
    deterministic: bool
    #: The server settings that change answers (``--max-txn-ops``, lease TTL bounds).
    limits: KVLimits

    def new_cluster(self, *, size: int, entropy: Any) -> KVCluster: ...
