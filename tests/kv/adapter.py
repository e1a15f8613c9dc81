"""A tests-only kv provider: spec.kv's own store in process, plus seeded bugs the suite must catch.

``ModelProvider`` satisfies the ``kv`` contract with a ``spec.kv.KVStore``:
deterministic, one member, time only passes in ``advance`` (leases expire
then, as the leader's lessor would expire them), watches get each revision's
events in one response as writes apply. It hands out lease IDs from 2**62 on,
so the suite's mapping of lease IDs is exercised as against real etcd.

Each ``Bug`` is a variant the kv suite must reject, with the requirement it
must name:

- ``DELETE_KEEPS_REVISION``: a delete that removes keys does not bump the
  revision (its changes land at the current one) -- KV-REV-ONE-PER-TXN.
- ``WATCH_SKIPS_START``: a watch with a start revision delivers from the
  revision after it -- KV-WATCH-RESUMABLE.
- ``TXN_APPLIED_TWICE``: a txn is applied a second time (a retried proposal),
  and the client gets the first answer -- KV-TXN-ATOMIC.
- ``REVOKE_IN_STEPS``: a revoke deletes its keys one revision each --
  KV-LEASE-REVOKE-ATOMIC; ``EXPIRY_IN_STEPS``: the same for an expiry only --
  KV-LEASE-EXPIRY.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from spec.kv import (
    DeleteRangeRequest,
    DeleteRangeResponse,
    KVLimits,
    KVState,
    KVStore,
    LeaseExpire,
    LeaseGrantResponse,
    LeaseKeepAliveResponse,
    LeaseRevokeRequest,
    LeaseRevokeResponse,
    Request,
    Response,
    ResponseHeader,
    TxnRequest,
    WatchCreateRequest,
    WatchResponse,
    events_between,
    step,
    watch,
    watch_matches,
)

NS = 1_000_000_000


class Bug(Enum):
    DELETE_KEEPS_REVISION = "delete keeps the revision"
    WATCH_SKIPS_START = "watch skips its start revision"
    TXN_APPLIED_TWICE = "txn applied twice"
    REVOKE_IN_STEPS = "revoke deletes keys in several revisions"
    EXPIRY_IN_STEPS = "expiry deletes keys in several revisions"


class ModelWatch:
    def __init__(self, request: WatchCreateRequest, state: KVState, bug: Bug | None) -> None:
        self.request = request
        self.pending: list[WatchResponse] = []
        self.live = True
        start = request.start_revision
        if bug == Bug.WATCH_SKIPS_START and start > 0 and start >= state.compact_revision:
            request = replace(request, start_revision=start + 1)
        first = watch(state, request)
        if first.canceled:
            self.live = False
            if not first.created:  # a compacted start: created, then canceled (etcd sends two)
                self.pending.append(WatchResponse(ResponseHeader(state.revision), created=True))
            self.pending.append(first)
            return
        self.pending.append(WatchResponse(ResponseHeader(state.revision), created=True))
        self.next = request.start_revision or state.revision + 1
        self.deliver(state)

    def deliver(self, state: KVState) -> None:
        """One response per revision from ``next`` to ``state.revision`` that has matching events."""
        if not self.live:
            return
        key = self.request.key or b"\0"
        for revision in range(max(self.next, state.compact_revision), state.revision + 1):
            found = events_between(state, key, self.request.range_end, revision, revision)
            events = tuple(
                e if self.request.prev_kv else replace(e, prev_kv=None)
                for e in found
                if watch_matches(self.request, e)
            )
            if events:
                self.pending.append(WatchResponse(ResponseHeader(state.revision), events=events))
        self.next = max(self.next, state.revision + 1)

    def receive(self, timeout_s: float) -> list[WatchResponse]:
        out, self.pending = self.pending, []
        return out

    def cancel(self) -> None:
        self.live = False
        self.pending = []


class ModelCluster:
    def __init__(self, limits: KVLimits, bug: Bug | None) -> None:
        self.store = KVStore(KVState(limits=limits, next_lease_id=2**62))
        self.bug = bug
        self.now_ns = 0
        self.deadlines: dict[int, int] = {}
        self.watches: list[ModelWatch] = []

    def members(self) -> tuple[str, ...]:
        return ("n1",)

    def client(self, member: str | None = None) -> ModelClient:
        return ModelClient(self)

    def advance(self, duration_ns: int) -> None:
        self.now_ns += max(0, duration_ns)
        for lease_id, deadline in sorted(self.deadlines.items()):
            if deadline <= self.now_ns and lease_id in self.store.state.leases:
                self.apply(LeaseExpire(lease_id))

    def close(self) -> None:
        self.watches.clear()

    def apply(self, request: Request) -> Response:
        before = self.store.state
        if self.bug == Bug.TXN_APPLIED_TWICE and isinstance(request, TxnRequest):
            response = self.store.apply(request)
            self.store.apply(request)
        elif (self.bug == Bug.REVOKE_IN_STEPS and isinstance(request, LeaseRevokeRequest)) or (
            self.bug == Bug.EXPIRY_IN_STEPS and isinstance(request, LeaseExpire)
        ):
            response = self._revoke_in_steps(request.id)
        else:
            response = self.store.apply(request)
        if self.bug == Bug.DELETE_KEEPS_REVISION and isinstance(request, DeleteRangeRequest):
            response = self._keep_revision(before, response)
        if isinstance(response, LeaseGrantResponse | LeaseKeepAliveResponse) and response.ttl > 0:
            self.deadlines[response.id] = self.now_ns + response.ttl * NS
        for open_watch in self.watches:
            open_watch.deliver(self.store.state)
        return response

    def _revoke_in_steps(self, lease_id: int) -> Response:
        state = self.store.state
        for key in state.lease_keys(lease_id):
            state = step(state, DeleteRangeRequest(key))[0]
        state, response = step(state, LeaseRevokeRequest(lease_id))
        self.store.state = state
        return (
            response
            if not isinstance(response, LeaseRevokeResponse)
            else LeaseRevokeResponse(ResponseHeader(state.revision))
        )

    def _keep_revision(self, before: KVState, response: Response) -> Response:
        after = self.store.state
        if not isinstance(response, DeleteRangeResponse) or after.revision == before.revision:
            return response
        restamped = {
            key: tuple(
                replace(c, revision=before.revision) if c.revision == after.revision else c for c in changes
            )
            for key, changes in after.history.items()
        }
        self.store.state = replace(after, revision=before.revision, history=restamped)
        return replace(response, header=ResponseHeader(before.revision))


class ModelClient:
    def __init__(self, cluster: ModelCluster) -> None:
        self.cluster = cluster

    def call(self, request: Request) -> Response:
        if isinstance(request, LeaseExpire):
            raise TypeError("LeaseExpire is the model's, never sent")
        return self.cluster.apply(request)

    def watch(self, request: WatchCreateRequest) -> ModelWatch:
        stream = ModelWatch(request, self.cluster.store.state, self.cluster.bug)
        self.cluster.watches.append(stream)
        return stream

    def close(self) -> None:
        pass


@dataclass
class ModelProvider:
    bug: Bug | None = None
    deterministic: bool = True
    limits: KVLimits = field(default_factory=lambda: KVLimits(min_lease_ttl=2))

    def new_cluster(self, *, size: int, entropy: Any = None) -> ModelCluster:
        return ModelCluster(self.limits, self.bug)
