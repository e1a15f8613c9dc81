"""One client against the sequential model: every answer must be the model's (etcd's robustness
tests' "model comparison"; Hypothesis' stateful docs: run the system and a model side by side).

``KVModelMachine`` sends every kind of request (``conformance.strategies.kv``: ranges with
every option, puts, deletes, txns with nested ops and duplicate keys, compactions, lease
grants, revokes, keepalives and queries) through one client of a fresh cluster, one at a
time, and compares each answer with ``spec.kv.step``'s on the model's state. One client, no
faults: the order of requests is the order they took effect, so the model's answer is the
only right one, errors included.

Where etcd leaves a choice the comparison allows it (spec/kv.py's docstring): keys whose sort
field ties in any order (``range_response_matches``), any remaining TTL up to the granted
one, lease IDs chosen by the server (mapped to the model's as they are granted), and leases
that expired on their own: an answer that differs is accepted if the model gives it once
``LeaseExpire`` is inserted for leases granted at least their TTL ago, in ID order.

Watches. The machine also opens watches (any key range, start revision, filters, prev_kv)
and, at teardown, reads every stream and checks it against the watch guarantees of
``spec/kv_watch.py`` over the history of the run (a copy of the model that never compacts).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from conformance.adapters.kv import KVClient, KVCluster, KVProvider, WatchStream
from conformance.strategies import kv as strategies
from conformance.violation import require
from spec import kv_watch
from spec.kv import (
    KV_COMPACT_ERRORS,
    KV_LEASE_GRANT,
    KV_LEASE_QUERIES,
    KV_LEASE_REVOKE_ATOMIC,
    KV_RANGE_SEMANTICS,
    KV_READ_LATEST,
    KV_REQUEST_ERRORS,
    KV_REV_ONE_PER_TXN,
    KV_TXN_ATOMIC,
    KV_VERSION_COUNTS,
    CompactionRequest,
    DeleteRangeRequest,
    EtcdError,
    Indeterminate,
    KVState,
    LeaseExpire,
    LeaseGrantRequest,
    LeaseGrantResponse,
    LeaseKeepAliveRequest,
    LeaseLeasesRequest,
    LeaseRevokeRequest,
    LeaseTimeToLiveRequest,
    LeaseTimeToLiveResponse,
    PutRequest,
    RangeRequest,
    RangeResponse,
    Request,
    Response,
    TxnRequest,
    Unavailable,
    WatchCreateRequest,
    WatchResponse,
    range_response_matches,
    step,
)
from spec.requirements import Requirement

#: How long, at most, the machine waits for a watch's last responses at teardown.
WATCH_SETTLE_S = 1.0


def requirement_of(request: Request, expected: Response, actual: Response) -> Requirement:
    """The requirement a wrong answer to ``request`` is reported against: the most specific one
    the difference shows."""
    if isinstance(request, LeaseRevokeRequest):
        return KV_LEASE_REVOKE_ATOMIC
    header_of = lambda r: getattr(getattr(r, "header", None), "revision", None)  # noqa: E731
    if isinstance(request, WRITES) and None not in (header_of(expected), header_of(actual)):
        if header_of(expected) != header_of(actual):
            return KV_REV_ONE_PER_TXN
    if isinstance(expected, EtcdError) or isinstance(actual, EtcdError):
        return KV_REQUEST_ERRORS
    for kind, requirement in REQUIREMENT_BY_KIND:
        if isinstance(request, kind):
            return requirement
    return KV_READ_LATEST


WRITES = (PutRequest, DeleteRangeRequest, TxnRequest, LeaseRevokeRequest)
REQUIREMENT_BY_KIND: tuple[tuple[type, Requirement], ...] = (
    (RangeRequest, KV_RANGE_SEMANTICS),
    (CompactionRequest, KV_COMPACT_ERRORS),
    (LeaseGrantRequest, KV_LEASE_GRANT),
    (LeaseKeepAliveRequest | LeaseTimeToLiveRequest | LeaseLeasesRequest, KV_LEASE_QUERIES),  # type: ignore[misc]
    (TxnRequest, KV_TXN_ATOMIC),
    (PutRequest, KV_VERSION_COUNTS),
)


@dataclass
class OpenWatch:
    request: WatchCreateRequest
    stream: WatchStream
    compact_revision_at_creation: int
    responses: list[WatchResponse] = field(default_factory=list)


@dataclass
class LeaseIds:
    """The model's lease IDs and the implementation's, as grants pair them (the same for explicit IDs)."""

    to_impl: dict[int, int] = field(default_factory=dict)

    def impl(self, model_id: int) -> int:
        return self.to_impl.get(model_id, model_id)

    def model(self, impl_id: int) -> int:
        for model_id, known in self.to_impl.items():
            if known == impl_id:
                return model_id
        return impl_id


def map_leases(value: Any, convert: Callable[[int], int]) -> Any:
    """``value`` with every lease ID in it converted (fields ``lease`` and ``id`` of lease messages,
    ``leases`` lists), through nested responses and requests."""
    if isinstance(value, tuple):
        return tuple(map_leases(v, convert) for v in value)
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return value
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(value):
        current = getattr(value, f.name)
        if f.name == "lease" and isinstance(current, int) and current:
            changes[f.name] = convert(current)
        elif f.name == "id" and type(value).__name__.startswith("Lease") and isinstance(current, int):
            changes[f.name] = convert(current) if current else current
        elif f.name == "leases" and isinstance(current, tuple):
            changes[f.name] = tuple(sorted(convert(i) for i in current))
        elif isinstance(current, tuple) or dataclasses.is_dataclass(current):
            changes[f.name] = map_leases(current, convert)
    return replace(value, **changes) if changes else value


def answers_agree(state: KVState, request: Request, expected: Response, actual: Response) -> bool:
    """Is ``actual`` an answer etcd may give where the model answers ``expected``?"""
    if isinstance(request, RangeRequest) and isinstance(actual, RangeResponse):
        return range_response_matches(state, request, actual)
    if isinstance(expected, LeaseTimeToLiveResponse) and isinstance(actual, LeaseTimeToLiveResponse):
        # The model does not run a clock: any remaining TTL up to the granted one.
        if expected.ttl >= 0 and 0 <= actual.ttl <= expected.granted_ttl:
            return replace(actual, ttl=expected.ttl) == expected
    return actual == expected


class KVModelMachine(RuleBasedStateMachine):
    # Set by ``machine_for``.
    provider: ClassVar[KVProvider]

    def __init__(self) -> None:
        super().__init__()
        self.cluster: KVCluster | None = None
        self.client: KVClient | None = None
        self.state = KVState(limits=self.provider.limits)
        self.history = KVState(limits=self.provider.limits)  # never compacted: what watches are judged on
        self.compactions: list[int] = []
        self.leases = LeaseIds()
        self.granted_at: dict[int, float] = {}  # model lease ID -> when its TTL last restarted (monotonic)
        self.watches: list[OpenWatch] = []
        self.log: list[str] = []
        #: A wrong answer was reported: teardown then only closes the cluster.
        self.failed = False

    @initialize(size=st.sampled_from([1, 3]), seed=st.integers(0, 2**32 - 1))
    def start(self, size: int, seed: int) -> None:
        self.cluster = self.provider.new_cluster(size=size, entropy=seed)
        self.client = self.cluster.client()

    # -- rules --------------------------------------------------------------------------

    @rule(request=strategies.requests)
    def call(self, request: Request) -> None:
        if isinstance(request, LeaseExpire):
            return  # the model's, not a client's
        self.send(request)

    @rule(request=strategies.txn_requests())
    def txn(self, request: TxnRequest) -> None:
        self.send(request)

    @rule(data=st.data())
    def put_under_a_lease(self, data: st.DataObject) -> None:
        """Attach keys to a lease that exists: revokes and expiries then have keys to delete."""
        if not self.state.leases:
            self.send(LeaseGrantRequest(60))
        if not self.state.leases:
            return
        lease = data.draw(st.sampled_from(sorted(self.state.leases)), label="lease")
        keys = data.draw(st.lists(strategies.keys, min_size=1, max_size=3, unique=True), label="keys")
        for key in keys:
            self.send(PutRequest(key, b"leased", lease=lease))

    @rule(data=st.data())
    def revoke_a_lease(self, data: st.DataObject) -> None:
        """Revoke a lease that exists (the generated revokes mostly name unknown ones)."""
        if self.state.leases:
            self.send(
                LeaseRevokeRequest(data.draw(st.sampled_from(sorted(self.state.leases)), label="lease"))
            )

    @rule(request=strategies.watch_requests(), from_now=st.booleans())
    def open_watch(self, request: WatchCreateRequest, from_now: bool) -> None:
        assert self.client is not None
        if from_now:
            request = replace(request, start_revision=0)
        stream = self.client.watch(request)
        self.watches.append(OpenWatch(request, stream, self.state.compact_revision))
        self.log.append(f"watch {request}")

    # -- the comparison -----------------------------------------------------------------

    def send(self, request: Request) -> None:
        assert self.client is not None
        invoked = time.monotonic()
        try:
            actual = self.client.call(map_leases(request, self.leases.impl))
        except (Unavailable, Indeterminate) as e:
            raise AssertionError(
                f"one client on a healthy cluster got no answer to {request!r}: {e!r}\n" + self.timeline()
            ) from e
        actual = map_leases(actual, self.leases.model)
        if isinstance(request, LeaseGrantRequest) and isinstance(actual, LeaseGrantResponse):
            expected_id = _expected_grant_id(self.state, request)
            if request.id == 0 and expected_id is not None and actual.id != expected_id:
                self.leases.to_impl[expected_id] = actual.id  # the server chose another ID
                actual = replace(actual, id=expected_id)
        before = self.state
        state, expected = step(before, request)
        self.log.append(f"{request!r} -> {actual!r}")
        if not answers_agree(before, request, expected, actual):
            before, state, expected = self._with_expiries(request, actual)
        agreed = answers_agree(before, request, expected, actual)
        self.failed = self.failed or not agreed
        require(
            requirement_of(request, expected, actual),
            agreed,
            lambda: f"request: {request!r}\nmodel:   {expected!r}\nactual:  {actual!r}\n" + self.timeline(),
        )
        self._note_renewal(request, actual, invoked)
        self._advance(state, request, expected)

    def _with_expiries(self, request: Request, actual: Response) -> tuple[KVState, KVState, Response]:
        """If the leases whose TTL has run out, expired first (in ID order), make the model agree:
        the model's state before ``request``, after it, and its answer, with those expiries taken
        into the model and the history. Otherwise the model's plain answer."""
        state, history, expired = self.state, self.history, []
        now = time.monotonic()
        for lease_id in sorted(state.leases):
            since = self.granted_at.get(lease_id)
            if since is None or now - since < state.leases[lease_id].granted_ttl:
                continue
            state, _ = step(state, LeaseExpire(lease_id))
            history, _ = step(history, LeaseExpire(lease_id))
            expired.append(lease_id)
            after, expected = step(state, request)
            if answers_agree(state, request, expected, actual):
                self.state, self.history = state, history
                self.log.append(f"(leases {expired} expired before it)")
                return state, after, expected
        after, expected = step(self.state, request)
        return self.state, after, expected

    def _note_renewal(self, request: Request, actual: Response, invoked: float) -> None:
        if isinstance(actual, EtcdError):
            return
        if isinstance(request, LeaseGrantRequest) and isinstance(actual, LeaseGrantResponse):
            self.granted_at[actual.id] = invoked
        elif isinstance(request, LeaseKeepAliveRequest) and getattr(actual, "ttl", 0) > 0:
            self.granted_at[request.id] = invoked
        elif isinstance(request, LeaseRevokeRequest):
            self.granted_at.pop(request.id, None)

    def _advance(self, state: KVState, request: Request, answer: Response) -> None:
        """Move the model on, and the history with it: a request the model answered without an
        error did the same to the never-compacted history (it reads only what compaction kept);
        one it refused (a read of a compacted revision, say) must not happen there either."""
        if isinstance(request, CompactionRequest):
            if state.compact_revision != self.state.compact_revision:
                self.compactions.append(state.compact_revision)
        elif not isinstance(answer, EtcdError):
            self.history, _ = step(self.history, request)
        self.state = state

    # -- teardown: the watches ----------------------------------------------------------

    def teardown(self) -> None:
        try:
            if self.cluster is not None and self.watches and not self.failed:
                self.cluster.advance(int(WATCH_SETTLE_S * 1e9))
                for watch in self.watches:
                    watch.responses.extend(watch.stream.receive(WATCH_SETTLE_S))
                    found = kv_watch.problems(
                        watch.request,
                        watch.responses,
                        self.history,
                        self.compactions,
                        watch.compact_revision_at_creation,
                    )
                    for requirement, problems in found.items():
                        require(
                            requirement,
                            False,
                            lambda watch=watch, problems=problems: (
                                f"watch {watch.request!r}:\n  "
                                + "\n  ".join(problems)
                                + "\nresponses:\n  "
                                + "\n  ".join(repr(r) for r in watch.responses)
                                + "\n"
                                + self.timeline()
                            ),
                        )
        finally:
            if self.cluster is not None:
                self.cluster.close()

    def timeline(self, last: int = 40) -> str:
        return "what the client did (newest last):\n  " + "\n  ".join(self.log[-last:])


def _expected_grant_id(state: KVState, request: LeaseGrantRequest) -> int | None:
    _, response = step(state, request)
    return response.id if isinstance(response, LeaseGrantResponse) else None


def machine_for(provider: KVProvider) -> type[KVModelMachine]:
    return type("KVModelMachine", (KVModelMachine,), {"provider": provider})
