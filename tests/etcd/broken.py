"""Deliberately broken variants of the reference etcd, each a subclass of one of its parts, for
tests that show the kv suite catches them (tests/etcd/test_suite_catches_bugs.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from impl.etcd.sim import EtcdProcess, SimulatedEtcdClient, SimulatedEtcdCluster, SimulatedEtcdProvider
from impl.etcd.store import EtcdStore
from impl.etcd.watch import Watcher, WatchHub
from spec.kv import (
    Change,
    DeleteRangeRequest,
    DeleteRangeResponse,
    Indeterminate,
    LeaseExpire,
    LeaseRevokeRequest,
    RangeRequest,
    Request,
    Response,
    ResponseHeader,
    Unavailable,
    WatchCreateRequest,
)


class DeleteKeepsRevision(EtcdStore):
    """A delete that does not bump the revision: its tombstones land at the current one."""

    def _execute_delete(self, request: DeleteRangeRequest) -> DeleteRangeResponse:
        doomed = self.live(request.key, request.range_end)
        for kv in doomed:
            self._changes[kv.key].append(Change(self.revision, 0, kv.key, None))
            self._revisions[kv.key].append(self.revision)
            self._attach(kv.key, kv.lease, 0)
        prev_kvs = tuple(doomed) if request.prev_kv else ()
        return DeleteRangeResponse(ResponseHeader(self._current), deleted=len(doomed), prev_kvs=prev_kvs)


class ExpiresInTwoRevisions(EtcdStore):
    """A lease revoke (or expiry) that deletes its first key in one revision and the rest in another."""

    def apply(self, request: Request) -> Response:
        if isinstance(request, LeaseExpire | LeaseRevokeRequest) and request.id in self.leases:
            keys = self.lease_keys(request.id)
            if len(keys) > 1:
                super().apply(DeleteRangeRequest(keys[0]))
        return super().apply(request)


class SkipsTheStartRevision(WatchHub):
    """A watch that starts one revision after the one it was asked for."""

    def create(self, request: WatchCreateRequest) -> Watcher:
        if request.start_revision < 0:
            return super().create(request)
        start = request.start_revision or self.store.revision + 1
        watcher = super().create(replace(request, start_revision=start + 1))
        watcher.request = request
        return watcher


class SkippingProcess(EtcdProcess):
    hub_class = SkipsTheStartRevision


class StaleFollowerReads(SimulatedEtcdCluster):
    """An adapter bug: a linearizable read is answered by the member the client is connected to,
    from its own store, as if it were serializable (no ReadIndex)."""

    def client(self, member: str | None = None) -> SimulatedEtcdClient:
        return LocalReadsClient(self, member)


class LocalReadsClient(SimulatedEtcdClient):
    def call(self, request: Request) -> Response:
        if isinstance(request, RangeRequest):
            request = replace(request, serializable=True)
        return super().call(request)

    def submit(self, request: Request) -> int:
        if isinstance(request, RangeRequest):
            request = replace(request, serializable=True)
        return super().submit(request)


class RetriesBlindly(SimulatedEtcdCluster):
    """A client that proposes a write again when it does not know whether the first copy
    committed: both copies may apply (a txn applied twice)."""

    def write(self, request: Request) -> Response:
        try:
            return super().write(request)
        except Indeterminate:
            return super().write(request)

    def request_outcome(self, ticket: int) -> Response | Unavailable | Indeterminate | None:
        outcome = super().request_outcome(ticket)
        pending = self._requests[ticket]
        if isinstance(outcome, Indeterminate) and pending.write is not None and ticket not in self._retried:
            self._retried.add(ticket)
            pending.write, pending.outcome = self.submit(self._submissions[pending.write].command), None
            return None
        return outcome

    @property
    def _retried(self) -> set[int]:
        retried: set[int] = self.__dict__.setdefault("_retried_tickets", set())
        return retried


@dataclass
class ClusterProvider(SimulatedEtcdProvider):
    cluster_class: type[SimulatedEtcdCluster] = SimulatedEtcdCluster

    def new_cluster(self, *, size: int, entropy: Any) -> SimulatedEtcdCluster:
        return self.cluster_class(size, entropy, self)
