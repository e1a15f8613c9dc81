"""The kv state machine: one client's requests compared with spec/kv.py, and watches checked.

One client, connected to the first member of a cluster of 1 or 3, sends every
kind of request spec/kv.py models over a pool of five keys: Range with every
option, Put (prev_kv, lease, ignore_value, ignore_lease), DeleteRange, Txn
(every compare target and result, nested txns, duplicate keys, too many
operations), Compaction, LeaseGrant (short TTLs raised to the minimum, too
large ones, explicit IDs), LeaseRevoke, LeaseKeepAlive, LeaseTimeToLive,
LeaseLeases, and lets one lease expire. Each answer must be the model's
(``conformance/kv/checks.py`` says what may differ: lease IDs, sort ties,
remaining TTLs, map orders), and after every write the whole store, read
back, must be the model's; a mismatch raises a ``RequirementViolation``
naming the requirement (``checks.blame``). With one client and no faults,
every request is linearizable in the order sent, so the model's order is
the real one.

Families, enabled per test so that each test's report covers what it checked:

- ``kv``: the comparison above (always on: the watch family needs the writes).
- ``watch``: rules open watches (every range form, from now, a kept, a
  compacted or a future revision, prev_kv, filters); at the end (or when
  ``check_watches`` runs) each stream is read until it has caught up with the
  model and is checked against spec/kv_watch.py's predicates, on a copy of
  the model that is never compacted (``full``), and for completeness: a
  stream that is not canceled must have delivered every matching event up to
  the current revision (KV-WATCH-RELIABLE).

A provider may declare ``known_findings`` (IDs in docs/findings.md) that the
machine then steers clear of, each reproduced by its own test instead:
``etcd-3`` (a compaction at revision R drops the delete events at R from
watches that have not delivered them yet) makes it open no watch at the
compact revision and catch every open watch up before compacting.

A provider that is not deterministic runs on wall-clock time: leases are
granted for a minute unless a rule wants one short, and the expiry rule waits
for a short lease to go (about ``min_lease_ttl`` seconds).

Kept apart from the test module so the project's own tests can aim it at
deliberately broken stores (tests/kv/) and show that it catches them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, NoReturn

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from conformance.adapters.kv import KVClient, KVCluster, KVProvider, WatchStream
from conformance.kv.checks import (
    LeaseIds,
    blame,
    blame_after,
    matches,
    request_leases,
    response_leases,
    serializable_matches,
    watch_response_leases,
)
from conformance.strategies import kv as kvs
from conformance.violation import RequirementViolation
from spec import kv_watch
from spec.entropy import SeededEntropy
from spec.kv import (
    KV_LEASE_EXPIRY,
    KV_LEASE_GRANT,
    WRITES,
    CompactionRequest,
    Compare,
    CompareResult,
    CompareTarget,
    EtcdError,
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
    Request,
    Response,
    TxnRequest,
    WatchCreateRequest,
    WatchResponse,
    events_between,
    lease_expired_too_early,
    step,
    watch_matches,
)
from spec.requirements import Requirement

CLUSTER_SIZES = (1, 3)
FAMILIES = frozenset({"kv", "watch"})
#: A lease that should outlive the example (seconds); examples take a few seconds.
LONG_TTL = 600
MAX_WATCHES = 4
#: How long a watch may take to deliver what the model says happened (seconds).
WATCH_CATCH_UP_S = 5.0
#: How long past its TTL a lease may take to go (the leader checks every 500 ms; a revoke goes
#: through raft).
EXPIRY_GRACE_S = 5.0
#: The order in which a watch's violations are reported: the most specific first.
WATCH_PRECEDENCE = (
    kv_watch.KV_WATCH_COMPACTED,
    kv_watch.KV_WATCH_RESUMABLE,
    kv_watch.KV_WATCH_FILTER,
    kv_watch.KV_WATCH_ISCREATE,
    kv_watch.KV_WATCH_PREVKV,
    kv_watch.KV_WATCH_ORDERED,
    kv_watch.KV_WATCH_UNIQUE,
    kv_watch.KV_WATCH_ATOMIC,
    kv_watch.KV_WATCH_BOOKMARKABLE,
    kv_watch.KV_WATCH_RELIABLE,
)
EVERYTHING = RangeRequest(b"\0", b"\0")


@dataclass
class OpenWatch:
    request: WatchCreateRequest
    stream: WatchStream
    compact_revision_at_creation: int
    revision_at_creation: int
    responses: list[WatchResponse] = field(default_factory=list)

    @property
    def canceled(self) -> bool:
        return any(r.canceled for r in self.responses)

    def last_event_revision(self) -> int:
        return max((e.revision for r in self.responses for e in r.events), default=0)


class KVMachine(RuleBasedStateMachine):
    # Set by ``machine_for``.
    provider: ClassVar[KVProvider]
    families: ClassVar[frozenset[str]] = FAMILIES
    sizes: ClassVar[tuple[int, ...]] = CLUSTER_SIZES

    def __init__(self) -> None:
        super().__init__()
        self.cluster: KVCluster | None = None
        self.client: KVClient | None = None
        self.model = KVState(limits=self.provider.limits)
        #: The same writes, never compacted: the history watches are checked against.
        self.full = KVState(limits=self.provider.limits)
        #: Every state the model went through since the last linearizable answer the client saw.
        self.window: list[KVState] = [self.model]
        self.ids = LeaseIds()
        self.granted: list[int] = []
        self.compactions: list[int] = []
        self.watches: list[OpenWatch] = []
        self.expired_once = False
        self.advanced_s = 0.0
        self.log: list[str] = []
        self._in_rule = False

    # -- set-up and tear-down ------------------------------------------------

    @initialize(data=st.data())
    def start(self, data: st.DataObject) -> None:
        size = data.draw(st.sampled_from(self.sizes), label="cluster size")
        # Seeded, not Hypothesis-driven: this suite checks answers, not liveness, and an adversary that
        # picks every election timeout can keep a simulated cluster leaderless past any client timeout.
        entropy = SeededEntropy(data.draw(st.integers(0, 2**64 - 1), label="simulation seed"))
        self.cluster = self.provider.new_cluster(size=size, entropy=entropy)
        self.client = self.cluster.client(self.cluster.members()[0])
        self.log.append(f"cluster of {size}")

    def teardown(self) -> None:
        try:
            if not self._in_rule and self.cluster is not None and "watch" in self.families:
                self._check_watches()
        finally:
            for open_watch in self.watches:
                open_watch.stream.cancel()
            if self.client is not None:
                self.client.close()
            if self.cluster is not None:
                self.cluster.close()

    # -- exchanging one request ----------------------------------------------

    def now(self) -> float:
        """Seconds on the clock leases run by: the adapter's advances if simulated, else the wall's."""
        return self.advanced_s if self.provider.deterministic else time.monotonic()

    def advance(self, seconds: float) -> None:
        assert self.cluster is not None
        self.cluster.advance(round(seconds * 1e9))
        self.advanced_s += seconds

    def exchange(self, request: Request) -> Response:
        """Send ``request``, apply it to the model, and require the model's answer."""
        assert self.client is not None
        before = self.model
        self.model, expected = step(before, request)
        self.log.append(f"{request!r}")
        actual = self.client.call(request_leases(request, self.ids.out))
        if isinstance(expected, LeaseGrantResponse) and isinstance(actual, LeaseGrantResponse):
            self._violate_if(KV_LEASE_GRANT, self.ids.bind(expected.id, actual.id), request)
        actual = response_leases(actual, self.ids.back)
        if isinstance(request, RangeRequest) and request.serializable:
            ok = serializable_matches(request, actual, self.window)
        else:
            ok = matches(request, expected, actual, before)
        if not ok:
            self._violate(blame(request, expected, actual), f"expected {expected!r}\nreceived {actual!r}")
        if not (isinstance(request, RangeRequest) and request.serializable):
            self.window = [self.model]
        if isinstance(request, WRITES) and not isinstance(expected, EtcdError):
            if not isinstance(request, CompactionRequest):
                # Only what the model applied: a txn refused for reading a compacted revision would
                # succeed on the never-compacted history and invent events no watch can deliver.
                self.full = step(self.full, request)[0]
                assert self.full.revision == self.model.revision, "the watch history left the model"
            else:
                self.compactions.append(request.revision)
        if isinstance(request, WRITES):
            self._check_store(request)
        return actual

    def _check_store(self, write: Request) -> None:
        """After a write, the whole store read back must be the model's."""
        assert self.client is not None
        expected = step(self.model, EVERYTHING)[1]
        actual = response_leases(self.client.call(EVERYTHING), self.ids.back)
        if actual != expected:
            self._violate(
                blame_after(write),
                f"after {write!r} the store holds\n{actual!r}\nwhere the model holds\n{expected!r}",
            )

    def _violate(self, requirement: Requirement, detail: str) -> NoReturn:
        history = "\n".join(f"  {line}" for line in self.log[-40:])
        raise RequirementViolation(requirement, f"{detail}\nrequests (last 40):\n{history}")

    def _violate_if(self, requirement: Requirement, problem: str | None, request: Request) -> None:
        if problem:
            self._violate(requirement, f"{problem} ({request!r})")

    def avoids(self, finding: str) -> bool:
        """Whether the provider declares ``finding`` (docs/findings.md) known, so that the machine
        steers clear of it; its own reproduction test covers it."""
        return finding in getattr(self.provider, "known_findings", frozenset())

    def _rule(self) -> None:
        self._in_rule = True

    def _done(self) -> None:
        self._in_rule = False

    # -- the kv family ---------------------------------------------------------

    @rule(data=st.data())
    def range(self, data: st.DataObject) -> None:
        self._rule()
        self.exchange(data.draw(kvs.range_requests(self.model.revision, self.model.compact_revision)))
        self._done()

    @rule(data=st.data())
    def put(self, data: st.DataObject) -> None:
        self._rule()
        self.exchange(data.draw(kvs.put_requests(self.granted)))
        self._done()

    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        self._rule()
        self.exchange(data.draw(kvs.delete_requests()))
        self._done()

    @rule(data=st.data())
    def txn(self, data: st.DataObject) -> None:
        self._rule()
        txn = kvs.txn_requests(self.model.revision, self.model.compact_revision, self.granted)
        self.exchange(data.draw(txn))
        self._done()

    @rule(shape=st.sampled_from(["compares", "success", "failure", "nested"]), extra=st.integers(0, 1))
    def txn_at_the_op_limit(self, shape: str, extra: int) -> None:
        """A txn with exactly --max-txn-ops operations (accepted) or one more (refused)."""
        self._rule()
        limit = self.provider.limits.max_txn_ops
        count = limit + extra
        compare = Compare(b"a", CompareTarget.VERSION, CompareResult.GREATER, version=-1)
        read = RangeRequest(b"a")
        if shape == "compares":
            txn = TxnRequest(compare=(compare,) * count)
        elif shape == "success":
            txn = TxnRequest(success=(read,) * count)
        elif shape == "failure":
            txn = TxnRequest(compare=(compare,), failure=(read,) * count)
        else:
            # A nested txn gets what its parent leaves: limit - 2 here. Two parents' worth, not a hundred:
            # the rule is the same, and a txn of thousands of reads is a load test (one such entry held a
            # Python member's loop past the suite's 250 ms election timeout on a loaded machine).
            parents = 2
            txn = TxnRequest(success=(TxnRequest(success=(read,) * (count - parents)),) * parents)
        self.exchange(txn)
        self._done()

    @rule(data=st.data())
    def compact(self, data: st.DataObject) -> None:
        self._rule()
        low = max(self.model.compact_revision - 1, -1)
        revision = data.draw(st.integers(low, self.model.revision + 1), label="compact at")
        if self.avoids("etcd-3"):
            for open_watch in self.watches:  # deliver what a compaction at its revision would lose
                self._catch_up(open_watch)
        self.exchange(CompactionRequest(revision))
        self._done()

    @rule(
        ttl=st.sampled_from([LONG_TTL, LONG_TTL, 9_000_000_001]),
        explicit=st.sampled_from([0, 0, 0, *kvs.EXPLICIT_LEASE_IDS, "granted"]),
    )
    def grant(self, ttl: int, explicit: int | str) -> None:
        self._rule()
        lease_id = explicit if isinstance(explicit, int) else (self.granted[-1] if self.granted else 0)
        response = self.exchange(LeaseGrantRequest(ttl, lease_id))
        if isinstance(response, LeaseGrantResponse):
            self.granted.append(response.id)
        self._done()

    @rule(ttl=st.sampled_from([-1, 0, 1]))
    def grant_short_and_revoke(self, ttl: int) -> None:
        """A TTL below the minimum is raised to it; revoked at once, before it could expire."""
        self._rule()
        response = self.exchange(LeaseGrantRequest(ttl))
        if isinstance(response, LeaseGrantResponse):
            self.granted.append(response.id)
            self.exchange(LeaseRevokeRequest(response.id))
        self._done()

    @precondition(lambda self: bool(self.model.leases))
    @rule(data=st.data())
    def leased_put(self, data: st.DataObject) -> None:
        """A put attached to a live lease (the newest one first), so that leases gather keys."""
        self._rule()
        live = sorted(self.model.leases, reverse=True)
        lease = data.draw(st.one_of(st.just(live[0]), st.sampled_from(live)), label="lease")
        self.exchange(PutRequest(data.draw(kvs.keys), data.draw(kvs.values), lease=lease))
        self._done()

    @rule(attached=st.lists(kvs.keys, min_size=1, max_size=3, unique=True))
    def attach_and_revoke(self, attached: list[bytes]) -> None:
        """A lease with ``attached`` keys, revoked: every key goes at one revision."""
        self._rule()
        response = self.exchange(LeaseGrantRequest(LONG_TTL))
        assert isinstance(response, LeaseGrantResponse), response
        self.granted.append(response.id)
        for key in attached:
            self.exchange(PutRequest(key, b"leased", lease=response.id))
        self.exchange(LeaseRevokeRequest(response.id))
        self._done()

    @rule(data=st.data())
    def revoke(self, data: st.DataObject) -> None:
        """Revoke a lease: the one with the most keys first, else any the model granted, or none."""
        self._rule()
        busiest = max(self.model.leases, key=lambda i: len(self.model.lease_keys(i)), default=None)
        choices = kvs.lease_choices(self.granted)
        lease = data.draw(choices if busiest is None else st.one_of(st.just(busiest), choices), label="lease")
        self.exchange(LeaseRevokeRequest(lease))
        self._done()

    @rule(data=st.data())
    def keepalive(self, data: st.DataObject) -> None:
        self._rule()
        self.exchange(LeaseKeepAliveRequest(data.draw(kvs.lease_choices(self.granted))))
        self._done()

    @rule(data=st.data(), keys=st.booleans())
    def timetolive(self, data: st.DataObject, keys: bool) -> None:
        self._rule()
        self.exchange(LeaseTimeToLiveRequest(data.draw(kvs.lease_choices(self.granted)), keys))
        self._done()

    @rule()
    def leases(self) -> None:
        self._rule()
        self.exchange(LeaseLeasesRequest())
        self._done()

    @precondition(lambda self: not self.expired_once)
    @rule(attached=st.lists(kvs.keys, min_size=0, max_size=3, unique=True))
    def expire(self, attached: list[bytes]) -> None:
        """A lease of the minimum TTL with ``attached`` keys goes by itself, not before its TTL, and
        its expiry is a revoke: the keys go at one revision (KV-LEASE-EXPIRY)."""
        self._rule()
        self.expired_once = True
        granted_at = self.now()
        response = self.exchange(LeaseGrantRequest(0))
        assert isinstance(response, LeaseGrantResponse), response
        model_id = response.id
        self.granted.append(model_id)
        for key in attached:
            self.exchange(PutRequest(key, b"leased", lease=model_id))
        ttl = self.model.leases[model_id].granted_ttl
        gone_by = self._wait_for_expiry(model_id, ttl + EXPIRY_GRACE_S)
        if gone_by is None:
            self._violate(
                KV_LEASE_EXPIRY, f"lease {model_id} (TTL {ttl} s) still there {EXPIRY_GRACE_S} s late"
            )
        elif lease_expired_too_early(ttl, granted_at, gone_by):
            self._violate(
                KV_LEASE_EXPIRY,
                f"lease {model_id} (TTL {ttl} s) gone {gone_by - granted_at:.3f} s after its grant",
            )
        # The model learns of the expiry now; the client sends nothing.
        self.log.append(f"{LeaseExpire(model_id)!r} (seen by {gone_by - granted_at:.3f} s)")
        self.model = step(self.model, LeaseExpire(model_id))[0]
        self.full = step(self.full, LeaseExpire(model_id))[0]
        self.window = [self.model]
        self._check_store(LeaseExpire(model_id))
        self._done()

    def _wait_for_expiry(self, model_id: int, within_s: float) -> float | None:
        """When a timetolive first saw the lease gone (on ``now()``'s clock), or None."""
        assert self.client is not None
        asked = LeaseTimeToLiveRequest(self.ids.out(model_id))
        deadline = self.now() + within_s
        while self.now() <= deadline:
            answer = self.client.call(asked)
            if isinstance(answer, LeaseTimeToLiveResponse) and answer.ttl == -1:
                return self.now()
            self.advance(0.25)
        return None

    # -- the watch family ------------------------------------------------------

    @precondition(lambda self: "watch" in self.families and len(self.watches) < MAX_WATCHES)
    @rule(data=st.data())
    def open_watch(self, data: st.DataObject) -> None:
        self._rule()
        assert self.client is not None
        request = data.draw(kvs.watch_requests(self.model.revision, self.model.compact_revision))
        if self.avoids("etcd-3") and request.start_revision == self.model.compact_revision:
            request = replace(request, start_revision=request.start_revision + 1)
        self.log.append(f"watch {request!r}")
        stream = self.client.watch(request)
        self.watches.append(OpenWatch(request, stream, self.model.compact_revision, self.model.revision))
        self._done()

    @precondition(lambda self: bool(self.watches))
    @rule()
    def check_watches(self) -> None:
        self._rule()
        self._check_watches()
        self._done()

    def _check_watches(self) -> None:
        for open_watch in self.watches:
            self._catch_up(open_watch)
            self._check_watch(open_watch)

    def _expected_events(self, open_watch: OpenWatch) -> int:
        """The revision of the last event the watch must deliver by now (0: none)."""
        request = open_watch.request
        start = request.start_revision or open_watch.revision_at_creation + 1
        if start > self.full.revision or start < open_watch.compact_revision_at_creation:
            return 0
        found = events_between(self.full, request.key or b"\0", request.range_end, start, self.full.revision)
        wanted = [e for e in found if watch_matches(request, e)]
        return wanted[-1].revision if wanted else 0

    def _catch_up(self, open_watch: OpenWatch) -> None:
        """Read the stream until it delivered what the model says happened (or was canceled, if it
        must be), then once more, briefly, so that anything extra shows too."""
        request = open_watch.request
        last = self._expected_events(open_watch)
        must_cancel = 0 < request.start_revision < open_watch.compact_revision_at_creation
        waited = 0.0
        while waited < WATCH_CATCH_UP_S:
            self._receive(open_watch, 0.1)
            waited += 0.1
            if open_watch.canceled or (not must_cancel and open_watch.last_event_revision() >= last):
                break
        self._receive(open_watch, 0.05)

    def _receive(self, open_watch: OpenWatch, timeout_s: float) -> None:
        got = open_watch.stream.receive(timeout_s)
        open_watch.responses += [watch_response_leases(r, self.ids.back) for r in got]

    def _check_watch(self, open_watch: OpenWatch) -> None:
        request, responses = open_watch.request, open_watch.responses
        found = kv_watch.problems(
            request, responses, self.full, self.compactions, open_watch.compact_revision_at_creation
        )
        if not open_watch.canceled:
            for requirement, missing in self._missing_at_the_end(open_watch).items():
                found.setdefault(requirement, []).extend(missing)
        for requirement in WATCH_PRECEDENCE:
            if requirement in found:
                detail = "\n".join(f"{r.id}: {p}" for r, ps in found.items() for p in ps)
                shown = "\n".join(f"  {r!r}" for r in responses[-20:])
                self._violate(requirement, f"watch {request!r} received (last 20)\n{shown}\n{detail}")

    def _missing_at_the_end(self, open_watch: OpenWatch) -> dict[Requirement, list[str]]:
        """Completeness: a live watch has delivered every matching event up to the current revision.

        Nothing at all from a watch with a start revision is KV-WATCH-RESUMABLE (its first event is
        missing); events that stop short of the current revision are KV-WATCH-RELIABLE."""
        request = open_watch.request
        first = kv_watch.first_revision(request, open_watch.responses) or open_watch.revision_at_creation + 1
        if first < open_watch.compact_revision_at_creation or first > self.full.revision:
            return {}
        found = events_between(self.full, request.key or b"\0", request.range_end, first, self.full.revision)
        wanted = [e.revision for e in found if watch_matches(request, e)]
        received = [e.revision for r in open_watch.responses for e in r.events]
        if not wanted or (received and received[-1] >= wanted[-1]):
            return {}
        if not received and request.start_revision > 0:
            return {
                kv_watch.KV_WATCH_RESUMABLE: [
                    f"started at {request.start_revision}; events at revisions {wanted} happened, "
                    f"none was delivered within {WATCH_CATCH_UP_S} s"
                ]
            }
        return {
            kv_watch.KV_WATCH_RELIABLE: [
                f"events up to revision {wanted[-1]} happened, the watch delivered up to "
                f"{received[-1] if received else 'none'} within {WATCH_CATCH_UP_S} s"
            ]
        }


def machine_for(
    provider: KVProvider, *, families: frozenset[str] = FAMILIES, sizes: Sequence[int] = CLUSTER_SIZES
) -> type[KVMachine]:
    """A machine class bound to ``provider`` (Hypothesis builds machines with no arguments)."""
    unknown = families - FAMILIES
    if unknown:
        raise ValueError(f"unknown requirement families {sorted(unknown)}; known: {sorted(FAMILIES)}")
    attributes: dict[str, Any] = {"provider": provider, "families": families, "sizes": tuple(sizes)}
    return type("KVMachine", (KVMachine,), attributes)


__all__ = ["CLUSTER_SIZES", "FAMILIES", "KVMachine", "machine_for"]
