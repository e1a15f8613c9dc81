"""Deliberately broken variants of the reference etcd, each a subclass of one of its parts, for
tests that show the kv suite catches them (tests/etcd/test_suite_catches_bugs.py)."""

from __future__ import annotations

from dataclasses import replace

from impl.etcd.sim import EtcdProcess
from impl.etcd.store import EtcdStore
from impl.etcd.watch import Watcher, WatchHub
from spec.kv import (
    Change,
    DeleteRangeRequest,
    DeleteRangeResponse,
    LeaseExpire,
    LeaseRevokeRequest,
    Request,
    Response,
    ResponseHeader,
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
