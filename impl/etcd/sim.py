"""The reference etcd in the deterministic simulator, behind the suite's ``kv`` and ``faults``
contracts (conformance/adapters/kv.py and faults.py; structural, so nothing here imports the
suite).

Each member is an ``EtcdProcess``: the simulator's Raft member (impl/raft/sim.py) whose state
machine is an ``EtcdStore`` (impl/etcd/store.py) and which keeps a watch hub on it. What goes
through the log and what does not, as in etcd:

- Writes (Put, DeleteRange, Txn, Compaction, LeaseGrant, LeaseRevoke, and the leader's
  LeaseExpire) are proposed to the leader and answered when applied: the store's response is
  the client's. A write whose entry may still commit is ``Indeterminate``; one that was never
  appended is ``Unavailable``.
- A linearizable Range (and LeaseTimeToLive, LeaseLeases) is served through ReadIndex: the
  leader confirms it still leads, waits until it applied the commit index it read, and only
  then reads its store (etcd's linearizableReadLoop). A ``serializable`` Range is answered at
  once from the store of the member the client is connected to, however stale.
- Leases expire by the leader's clock (lessor.go; impl/etcd/lessor.py, shared with the real
  server): the leader keeps a deadline per lease, not replicated, set to a full TTL when it takes
  office or first sees the lease, and renewed by LeaseKeepAlive, which is answered by the leader
  alone, as etcd's. Once a deadline passes the
  leader proposes ``LeaseExpire``, which every member applies as a revoke. The store answers
  TimeToLive with the granted TTL; a checker must accept any remaining TTL up to it.

Watches are served by the member a client is connected to, from its own store: they see that
member's applied history, in order, and nothing of a member that crashed (the stream goes
silent; etcd's client would reconnect and resume).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from impl.etcd.lessor import SECOND, LeaderLessor
from impl.etcd.store import EtcdStore
from impl.etcd.watch import Watcher, WatchHub
from impl.raft.core import NotLeader, Refused, Snapshot
from impl.raft.sim import RaftProcess, SimulatedRaftCluster, SimulatedRaftProvider
from impl.sim import Context
from spec.kv import (
    CLIENT_WRITES,
    WRITES,
    Indeterminate,
    KVLimits,
    LeaseExpire,
    LeaseKeepAliveRequest,
    LeaseKeepAliveResponse,
    LeaseLeasesRequest,
    LeaseTimeToLiveRequest,
    RangeRequest,
    Request,
    Response,
    Unavailable,
    WatchCreateRequest,
    WatchResponse,
)

LEADER_READS = (RangeRequest, LeaseTimeToLiveRequest, LeaseLeasesRequest)


class EtcdMachine:
    """The state machine: an ``EtcdStore`` that applies the requests of committed entries."""

    def __init__(self, limits: KVLimits | None = None, store_class: type[EtcdStore] = EtcdStore) -> None:
        self.store = store_class(limits)

    def apply(self, command: object) -> object:
        if isinstance(command, WRITES):
            return self.store.apply(command)
        return None  # a leader's no-op or a configuration entry


class EtcdProcess(RaftProcess):
    """One etcd member in the simulator: Raft, the store, the watch hub and the leader's lessor clock."""

    hub_class: type[WatchHub] = WatchHub

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hub = self.hub_class(self.store)
        #: The leader's lease clock (impl/etcd/lessor.py), on simulated time.
        self.lessor = LeaderLessor()
        self._now: Callable[[], int] = lambda: 0

    @property
    def store(self) -> EtcdStore:
        assert isinstance(self.state, EtcdMachine)
        return self.state.store

    def _restore(self, snapshot: Snapshot) -> None:
        super()._restore(snapshot)
        self.hub.rebind(self.store)

    def on_start(self, ctx: Context) -> None:
        self._now = lambda: ctx.now
        super().on_start(ctx)

    def on_timer(self, ctx: Context, name: str) -> None:
        super().on_timer(ctx, name)
        self._run_lessor(ctx.now)

    def _run_lessor(self, now: int) -> None:
        node = self.node
        if node is None or node.role != "leader":
            self.lessor.demote()
            return
        for lease_id in self.lessor.due(now, node.term, self.store.leases):
            self.propose(LeaseExpire(lease_id), lambda applied, answer: None)

    def keepalive(self, request: LeaseKeepAliveRequest) -> LeaseKeepAliveResponse:
        """Renew a lease's deadline (the leader only; the caller checked)."""
        return self.lessor.keepalive(self._now(), request, self.store.leases, self.store.revision)


@dataclass
class _PendingRead:
    """A linearizable read under ``submit``: ReadIndex at whichever member leads, retried until served."""

    request: Request
    deadline: int
    retry_at: int = 0
    #: The attempt in flight: its member, that member's incarnation, and where its answer goes.
    target: str | None = None
    incarnation: int = 0
    answers: list[Response | None] = field(default_factory=list)
    outcome: Response | Unavailable | None = None


@dataclass
class _Request:
    """One request under ``submit``: a write (the Raft cluster's submission), a read, or answered at once."""

    write: int | None = None
    read: _PendingRead | None = None
    outcome: Response | Unavailable | Indeterminate | None = None


class SimulatedEtcdCluster(SimulatedRaftCluster):
    """An etcd cluster in one simulation: the ``kv`` contract here, faults from ``SimulatedRaftCluster``."""

    provider: SimulatedEtcdProvider

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._requests: list[_Request] = []  # before the Raft cluster, which may already pump
        super().__init__(*args, **kwargs)

    def client(self, member: str | None = None) -> SimulatedEtcdClient:
        return SimulatedEtcdClient(self, member)

    def etcd_process(self, member: str) -> EtcdProcess:
        process = self._processes[member]
        assert isinstance(process, EtcdProcess)
        return process

    def reachable(self, member: str) -> bool:
        return self._reachable(member)

    def leader(self) -> str | None:
        return self._choose_member()

    # -- what clients ask ------------------------------------------------------------

    def write(self, request: Request) -> Response:
        status, _, result = self.replicate(request)
        if status == "rejected":
            raise Unavailable(f"no leader took {request!r} within the client timeout")
        if status == "unknown":
            raise Indeterminate(f"{request!r} was appended; whether it commits is unknown")
        assert result is not None
        return result  # type: ignore[return-value]

    def read_at_leader(self, request: Request) -> Response:
        """A ReadIndex read at the leader, answered by its store once it applied the read index."""
        sim = self.simulation
        deadline = sim.now + self.provider.client_timeout_ns
        while sim.now < deadline:
            target = self._choose_member()
            if target is None:
                sim.run_for(min(self.provider.tick_ns, deadline - sim.now))
                continue
            process = self.etcd_process(target)
            answers: list[Response | None] = []

            def served(commands: object, process: EtcdProcess = process, answers: list = answers) -> None:
                answers.append(None if commands is None else process.store.apply(request))

            started = process.read(served)
            if isinstance(started, NotLeader | Refused):
                if isinstance(started, NotLeader):
                    self._leader_hint = started.leader
                sim.run_for(min(self.provider.tick_ns, deadline - sim.now))
                continue
            incarnation = sim.incarnation(target)

            def over(answers: list = answers, target: str = target, incarnation: int = incarnation) -> bool:
                return bool(answers) or not sim.is_up(target) or sim.incarnation(target) != incarnation

            sim.run_until(over, timeout_ns=deadline - sim.now)
            if answers and answers[0] is not None:
                return answers[0]
        raise Unavailable(f"no leader could confirm a read of {request!r} within the client timeout")

    def keepalive(self, request: LeaseKeepAliveRequest) -> Response:
        sim = self.simulation
        deadline = sim.now + self.provider.client_timeout_ns
        while sim.now < deadline:
            target = self._choose_member()
            if target is not None:
                process = self.etcd_process(target)
                if process.node is not None and process.node.role == "leader":
                    return process.keepalive(request)
            sim.run_for(min(self.provider.tick_ns, deadline - sim.now))
        raise Unavailable("no leader to renew the lease")

    # -- what clients ask without waiting (ConcurrentKVClient) --------------------------

    def submit_request(self, client: SimulatedEtcdClient, request: Request) -> int:
        """Start ``request`` as ``client.call`` would; writes and linearizable reads go on as time
        passes, the rest (serializable reads, keepalives) is answered here and now as ``call`` does."""
        pending = _Request()
        if isinstance(request, CLIENT_WRITES):
            pending.write = self.submit(request)
        elif isinstance(request, LEADER_READS) and not (
            isinstance(request, RangeRequest) and request.serializable
        ):
            pending.read = _PendingRead(
                request, deadline=self.simulation.now + self.provider.client_timeout_ns
            )
            self._pump_read(pending.read)
        else:
            try:
                pending.outcome = client.call(request)
            except (Unavailable, Indeterminate) as e:
                pending.outcome = e
        self._requests.append(pending)
        return len(self._requests) - 1

    def request_outcome(self, ticket: int) -> Response | Unavailable | Indeterminate | None:
        pending = self._requests[ticket]
        if pending.outcome is None and pending.write is not None:
            proposal = self.outcome(pending.write)
            if proposal is not None:
                request = self._submissions[pending.write].command
                if proposal.status == "committed":
                    pending.outcome = proposal.result  # type: ignore[assignment]
                elif proposal.status == "rejected":
                    pending.outcome = Unavailable(f"no leader took {request!r} within the client timeout")
                else:
                    pending.outcome = Indeterminate(
                        f"{request!r} was appended; whether it commits is unknown"
                    )
        elif pending.outcome is None and pending.read is not None:
            self._pump_read(pending.read)
            pending.outcome = pending.read.outcome
        return pending.outcome

    def advance(self, duration_ns: int) -> None:
        if not any(r.read is not None and r.read.outcome is None for r in self._requests):
            super().advance(duration_ns)
            return
        # A read is retried between events, as a write is: move on one tick at a time.
        end = self.simulation.now + duration_ns
        while self.simulation.now < end:
            self.simulation.run_for(min(self.provider.tick_ns, end - self.simulation.now))
            self._pump()

    def _pump(self) -> None:
        super()._pump()
        for pending in self._requests:
            if pending.read is not None and pending.read.outcome is None:
                self._pump_read(pending.read)

    def _pump_read(self, read: _PendingRead) -> None:
        """Move a read on: take its answer, notice its member died, time out, or ask (again)."""
        sim = self.simulation
        if read.answers:
            answer = read.answers[0]
            if answer is not None:
                read.outcome = answer
                return
            read.target = None  # the member could not confirm its leadership: ask again
        elif (
            read.target is not None
            and sim.is_up(read.target)
            and sim.incarnation(read.target) == read.incarnation
        ):
            if sim.now < read.deadline:
                return  # in flight
        if sim.now >= read.deadline:
            read.outcome = Unavailable(f"no leader could confirm a read of {read.request!r} in time")
            return
        if sim.now < read.retry_at:
            return
        target = self._choose_member()
        if target is None:
            read.retry_at = sim.now + self.provider.tick_ns
            return
        process = self.etcd_process(target)
        answers: list[Response | None] = []

        def served(commands: object) -> None:
            answers.append(None if commands is None else process.store.apply(read.request))

        started = process.read(served)
        if isinstance(started, NotLeader | Refused):
            if isinstance(started, NotLeader):
                self._leader_hint = started.leader
            read.retry_at = sim.now + self.provider.tick_ns
            return
        read.target, read.incarnation, read.answers = target, sim.incarnation(target), answers
        if answers:  # a lone member serves at once
            self._pump_read(read)


class SimulatedEtcdClient:
    """A client connected to one member (or to whichever leads, if none is named)."""

    def __init__(self, cluster: SimulatedEtcdCluster, member: str | None) -> None:
        self.cluster = cluster
        self.member = member

    def call(self, request: Request) -> Response:
        if isinstance(request, RangeRequest) and request.serializable:
            member = self.member or self.cluster.leader()
            if member is None or not self.cluster.reachable(member):
                raise Unavailable(f"member {member} cannot be reached")
            return self.cluster.etcd_process(member).store.apply(request)
        if isinstance(request, CLIENT_WRITES):
            return self.cluster.write(request)
        if isinstance(request, LEADER_READS):
            return self.cluster.read_at_leader(request)
        if isinstance(request, LeaseKeepAliveRequest):
            return self.cluster.keepalive(request)
        raise TypeError(f"not a request a client sends: {request!r}")

    def submit(self, request: Request) -> int:
        return self.cluster.submit_request(self, request)

    def outcome(self, ticket: int) -> Response | Unavailable | Indeterminate | None:
        return self.cluster.request_outcome(ticket)

    def watch(self, request: WatchCreateRequest) -> SimulatedWatchStream:
        member = self.member or self.cluster.leader()
        if member is None or not self.cluster.reachable(member):
            raise Unavailable(f"member {member} cannot be reached")
        process = self.cluster.etcd_process(member)
        return SimulatedWatchStream(self.cluster, process.hub, process.hub.create(request))

    def close(self) -> None:
        pass


class SimulatedWatchStream:
    def __init__(self, cluster: SimulatedEtcdCluster, hub: WatchHub, watcher: Watcher) -> None:
        self.cluster = cluster
        self.hub = hub
        self.watcher = watcher

    def receive(self, timeout_s: float) -> list[WatchResponse]:
        if not self.watcher.responses and timeout_s > 0:
            self.cluster.advance(round(timeout_s * SECOND))
        responses = list(self.watcher.responses)
        self.watcher.responses.clear()
        return responses

    def cancel(self) -> None:
        self.hub.cancel(self.watcher)
        self.watcher.responses.clear()


@dataclass
class SimulatedEtcdProvider(SimulatedRaftProvider):
    """The ``kv`` component of the reference implementation: etcd members over the reference Raft."""

    limits: KVLimits = field(default_factory=KVLimits)
    process_class: type[RaftProcess] = EtcdProcess
    #: The store each member applies its log to; the project's tests substitute broken ones.
    store_class: type[EtcdStore] = EtcdStore
    capabilities: frozenset[str] = frozenset()
    #: Compactions of the Raft log re-apply the history on restore; every 64 entries keeps that rare.
    snapshot_every: int | None = 64
    snapshot_keep: int = 8

    def __post_init__(self) -> None:
        limits, store_class = self.limits, self.store_class
        self.state_machine = lambda: EtcdMachine(limits, store_class)

    def new_cluster(self, *, size: int, entropy: Any) -> SimulatedEtcdCluster:
        return SimulatedEtcdCluster(size, entropy, self)
