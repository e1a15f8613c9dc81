"""The reference etcd in real mode: one member per OS process, serving etcd's JSON gateway.

``python -m kspec etcd --name ... --data-dir ... --listen-client-urls ...`` (kspec/cli.py) runs
``EtcdServer``, started with etcd's own flags (impl/etcd/flags.py), so a script that starts etcd
starts this by changing only the command. What runs, and on what:

- Raft: the reference ``RaftMember`` (impl/raft/member.py, the same Ready loop the simulator
  runs) with ``FileStorage`` under ``<data-dir>/member`` (a CRC'd WAL, fsync before any message
  or answer that depends on what was written; restart recovers from it), ``Transport`` (TCP)
  on the peer URL, one tick per ``--heartbeat-interval``, an election timeout of
  ``--election-timeout`` (heartbeat 1 tick, election ``election/heartbeat`` ticks, as etcd
  configures etcd-io/raft). Membership is the static ``--initial-cluster``.
- State machine: ``EtcdStore`` (impl/etcd/store.py) through ``EtcdMachine`` (impl/etcd/sim.py),
  applying ``Proposal``s (impl/etcd/peer.py); a ``WatchHub`` on it; the leader's lease clock
  ``LeaderLessor`` (impl/etcd/lessor.py) on the monotonic clock.
- Clients: aiohttp on each client URL, every shape and error of spec/kv_json.py.

Semantics, as in the simulator (impl/etcd/sim.py) and etcd (server/etcdserver/v3_server.go):

- Writes (put, deleterange, txn, compaction, lease grant and revoke) are proposed as
  ``Proposal(this member, request ID, request)`` and answered by this member when it applies
  that entry, with its store's answer: so an answer means the entry was committed, written and
  fsynced by a quorum (this member included) and applied here. A follower forwards the proposal
  to the leader over the peer link (``PeerAsk`` PROPOSE, raft's MsgProp); the leader answers
  whether it appended it. A proposal that may have been appended is never proposed again: if its
  entry does not apply within the request timeout the client hears "etcdserver: request timed
  out" (an unknown outcome), if another entry took its index "etcdserver: leader changed".
  Only a proposal certainly not appended (no leader, or the leader refused it) is retried, and
  one that no leader took within the wait for a leader is answered "etcdserver: no leader"
  (gRPC Unavailable; impl/peers/etcd_gateway.py classifies it as never proposed).
- A txn its shape alone condemns (more operations than ``--max-txn-ops``, a key written twice:
  spec/kv.py ``check_txn_shape``) is refused before it is proposed, as etcd's v3rpc layer does;
  the simulator refuses it when the entry applies, with the same error.
- Linearizable range, lease timetolive and lease leases: ReadIndex (etcd's
  linearizableReadNotify). The leader confirms its leadership with a heartbeat round
  (impl/raft/core.py ``read_index``) and, once it applied the read index, answers with its
  applied index; a follower asks the leader for that (``PeerAsk`` READ_INDEX, raft's
  MsgReadIndex) and waits until it applied that far itself. Then the member reads its own store.
  A read that fails is asked again until the request timeout: a read changes nothing.
- Serializable range: this member's store at once, leader or not.
- Keepalive: answered by the leader's lessor; a follower forwards it (``PeerAsk`` KEEPALIVE).
- Lease expiry: every tick the leader proposes ``LeaseExpire`` for each lease whose deadline
  passed (``LeaderLessor.due``).
- Watches are served from this member's own store and hub: one JSON line per WatchResponse on a
  response that stays open until the client goes away.
- Partitions, for the suite only: when ``KSPEC_NETWORK`` names the adapter's cut-links file
  (impl/peers/processes.py ``CutLinks``; members in the order ``KSPEC_NETWORK_MEMBERS`` lists),
  peer messages on a cut link are dropped at both ends, as the reference Raft's own TCP driver
  does. Real etcd has no such hook, so its adapter offers no partitions.
- ``GET /health``: ``{"health": "true"}`` while this member knows a leader, else 503 and
  ``{"health": "false", "reason": "RAFT NO LEADER"}``. ``GET /version``: etcd's shape.

Requirements: none defined here; the kv suite (``--impl reference-etcd``, impl/peers/etcd.py) and
tests/etcd/test_server.py hold it to spec/kv.py as they hold real etcd.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import random
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from aiohttp import web

from impl.etcd.flags import EtcdFlags
from impl.etcd.lessor import LeaderLessor
from impl.etcd.peer import KEEPALIVE, PROPOSE, READ_INDEX, PeerAnswer, PeerAsk, Proposal
from impl.etcd.sim import LEADER_READS, EtcdMachine
from impl.etcd.store import EtcdStore
from impl.etcd.watch import Watcher, WatchHub
from impl.peers.processes import CutLinks
from impl.raft.core import Accepted, Message, RaftConfig, RaftNode, ReadStarted, Snapshot
from impl.raft.member import RaftMember
from impl.raft.storage import FileStorage
from impl.raft.transport import Transport
from spec.kv import (
    CLIENT_WRITES,
    EtcdError,
    GrpcCode,
    KVLimits,
    LeaseExpire,
    LeaseKeepAliveRequest,
    LeaseKeepAliveResponse,
    RangeRequest,
    Request,
    Response,
    TxnRequest,
    check_txn_shape,
)
from spec.kv_json import (
    ALIASES,
    PATHS,
    WATCH_PATH,
    decode_request,
    decode_watch_request,
    encode_error,
    encode_response,
    encode_watch_response,
    http_status,
)

log = logging.getLogger("kspec.etcd")

#: The version /version reports: the etcd API this member speaks.
API_VERSION = "3.5.0"
ERR_NO_LEADER = EtcdError(GrpcCode.UNAVAILABLE, "etcdserver: no leader")
ERR_TIMEOUT = EtcdError(GrpcCode.UNAVAILABLE, "etcdserver: request timed out")
ERR_LEADER_CHANGED = EtcdError(GrpcCode.UNAVAILABLE, "etcdserver: leader changed")
#: What a proposal's waiter gets when another entry took the proposal's index.
_LOST = object()
#: What ``_ask`` returns for an ask it could not queue.
NOT_SENT = object()


def min_lease_ttl(heartbeat_ms: int, election_ms: int) -> int:
    """etcd's minimum lease TTL in seconds: ``minTTL`` (server.go: 1.5 election timeouts, in
    heartbeats), rounded up to whole seconds by the lessor."""
    election_ticks = election_ms // heartbeat_ms
    min_ttl_ms = (3 * election_ticks // 2) * heartbeat_ms
    return max(1, -(-min_ttl_ms // 1000))


class DataDirMismatch(RuntimeError):
    """The data dir was written by another member."""


class ServerMachine(EtcdMachine):
    """``EtcdMachine`` applying ``Proposal``s, and telling this member which of its own applied."""

    def __init__(self, limits: KVLimits, name: str, applied: Callable[[int, object], None]) -> None:
        super().__init__(limits)
        self.name = name
        self.applied = applied

    def apply(self, command: object) -> object:
        if isinstance(command, Proposal):
            if not isinstance(command.request, CLIENT_WRITES):
                return None  # not a write: nothing a member proposes
            answer = self.store.apply(command.request)
            if command.origin == self.name:
                self.applied(command.request_id, answer)
            return answer
        return super().apply(command)


class EtcdRaftMember(RaftMember):
    """A ``RaftMember`` whose state machine is a ``ServerMachine``, with the watch hub on its store."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hub = WatchHub(self.store)

    @property
    def store(self) -> EtcdStore:
        assert isinstance(self.state, EtcdMachine)
        return self.state.store

    def client_commands(self) -> tuple[object, ...]:
        """Nothing: the server's read callbacks only tell a served read (a tuple) from a failed one
        (None), and the consensus suite's list of every command applied would cost O(history)."""
        return ()

    def _restore(self, snapshot: Snapshot) -> None:
        super()._restore(snapshot)
        if hasattr(self, "hub"):  # the first restore comes from boot, after __init__
            self.hub.rebind(self.store)


def links_from_environment() -> CutLinks | None:
    """The suite's cut-links file, if the adapter gave one (``KSPEC_NETWORK``)."""
    path = os.environ.get("KSPEC_NETWORK")
    if not path:
        return None
    return CutLinks(path, os.environ.get("KSPEC_NETWORK_MEMBERS", "").split(","))


class EtcdServer:
    """One member: Raft, the store, the peer and client listeners, and the clients waiting."""

    def __init__(self, flags: EtcdFlags, clock: Callable[[], int] = time.monotonic_ns) -> None:
        self.flags = flags
        self.name = flags.name
        self.clock = clock
        self.tick_s = flags.heartbeat_ms / 1000
        self.election_s = flags.election_ms / 1000
        #: etcd's ReqTimeout: 5 s plus two election timeouts.
        self.request_timeout_s = 5.0 + 2 * self.election_s
        #: How long a request waits for a leader to appear before it is answered "no leader".
        self.leader_wait_s = 2 * self.election_s
        self.limits = limits = KVLimits(
            max_txn_ops=flags.max_txn_ops, min_lease_ttl=min_lease_ttl(flags.heartbeat_ms, flags.election_ms)
        )
        self.raft = EtcdRaftMember(
            self.name,
            tuple(flags.initial_cluster),
            RaftConfig(election_ticks=flags.election_ms // flags.heartbeat_ms, heartbeat_ticks=1),
            RaftNode,
            flags.snapshot_count,
            flags.snapshot_count // 2,
            lambda: ServerMachine(limits, self.name, self._applied),
        )
        self.transport = Transport(
            self.name, {**flags.initial_cluster, self.name: flags.listen_peer}, links_from_environment()
        )
        self.storage = FileStorage(Path(flags.data_dir) / "member")
        self.lessor = LeaderLessor()
        # Request IDs: a random base per incarnation, so no entry of an earlier one matches.
        self._next_id = secrets.randbits(60) << 2
        self._writes: dict[int, asyncio.Future[object]] = {}
        self._asks: dict[int, asyncio.Future[object]] = {}
        self._applied_waiters: list[tuple[int, asyncio.Future[object]]] = []
        self._watches: dict[int, tuple[Watcher, asyncio.Event]] = {}
        self._runners: list[web.AppRunner] = []
        self._known_leader: tuple[int, str | None] = (0, None)

    @property
    def store(self) -> EtcdStore:
        return self.raft.store

    # -- running -------------------------------------------------------------------

    def claim_data_dir(self) -> None:
        """Refuse a data dir another process holds, or another member wrote (etcd refuses a member ID
        that does not match): the first start records this member's name and cluster in
        ``member/kspec-member.json``."""
        directory = Path(self.flags.data_dir) / "member"
        directory.mkdir(parents=True, exist_ok=True)
        # One process per data dir (etcd locks its WAL files): another would truncate this one's WAL.
        self._lock = open(directory / "lock", "wb")  # held for the process's life
        try:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DataDirMismatch(f"{self.flags.data_dir} is in use by another process") from None
        record = directory / "kspec-member.json"
        mine = {"name": self.name, "cluster": sorted(self.flags.initial_cluster)}
        if record.exists():
            found = json.loads(record.read_text())
            if found != mine:
                raise DataDirMismatch(
                    f"{self.flags.data_dir} belongs to member {found.get('name')!r} of cluster "
                    f"{found.get('cluster')}, not to {self.name!r} of {mine['cluster']}"
                )
            return
        if self.flags.initial_cluster_state == "existing":
            # etcd would join through a prior `member add`; a member that forgot its votes and log
            # and came back under its old name could break election safety and lose commits.
            raise DataDirMismatch(
                f"--initial-cluster-state=existing, but {self.flags.data_dir} holds no member data to "
                "recover, and joining a running cluster as a new member (member add) is not offered"
            )
        temporary = record.with_name(record.name + ".tmp")
        temporary.write_text(json.dumps(mine))
        with open(temporary, "rb") as f:
            os.fsync(f.fileno())
        os.replace(temporary, record)

    async def start(self) -> None:
        """Recover from the data dir, listen on the peer and client URLs, start ticking."""
        loop = asyncio.get_running_loop()
        self.claim_data_dir()
        self.raft.boot(self.storage, self._send_raft, random.Random(secrets.randbits(64)))
        self._peer_server = await self.transport.listen(self._deliver)
        app = web.Application(client_max_size=16 << 20)
        for path in [*PATHS.values(), *ALIASES]:
            app.router.add_post(path, self._unary)
        app.router.add_post(WATCH_PATH, self._watch)
        app.router.add_get("/health", self._health)
        app.router.add_get("/version", self._version)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        self._runners.append(runner)
        for host, port in self.flags.listen_client:
            await web.TCPSite(runner, host, port, reuse_address=True).start()
        loop.call_later(self.tick_s, self._tick)
        log.warning(
            "member %s serving clients on %s, peers on %s (recovered to index %d)",
            self.name,
            self.flags.listen_client,
            self.flags.listen_peer,
            self.raft.node.applied if self.raft.node else 0,
        )

    async def run(self) -> None:
        await self.start()
        async with self._peer_server:
            await self._peer_server.serve_forever()

    async def stop(self) -> None:
        self._peer_server.close()
        for runner in self._runners:
            await runner.cleanup()
        self.storage.close()

    # -- Raft and peer traffic -------------------------------------------------------

    def _tick(self) -> None:
        with _fatal("a tick"):
            self._tick_once()
        asyncio.get_running_loop().call_later(self.tick_s, self._tick)

    def _tick_once(self) -> None:
        self.raft.tick()
        node = self.raft.node
        assert node is not None
        if (node.term, node.leader) != self._known_leader:
            self._known_leader = (node.term, node.leader)
            log.warning("term %d: leader %s", node.term, node.leader)
        if node.role == "leader":
            for lease_id in self.lessor.due(self.clock(), node.term, self.store.leases):
                self.raft.propose(LeaseExpire(lease_id), _ignore)
        else:
            self.lessor.demote()
        self._after()

    def _deliver(self, message: object) -> None:
        with _fatal(f"delivering {type(message).__name__}"):
            if isinstance(message, PeerAsk):
                self._on_ask(message)
            elif isinstance(message, PeerAnswer):
                self._on_answer(message)
            else:
                self.raft.step(message)  # type: ignore[arg-type]
            self._after()

    def _send_raft(self, message: Message) -> None:
        self.transport.send(message)

    def _send(self, message: PeerAsk | PeerAnswer) -> bool:
        return self.transport.send(message)  # type: ignore[arg-type]

    def _on_ask(self, ask: PeerAsk) -> None:
        """A peer's request to this member as the leader it believes it is."""

        def answer(value: object) -> None:
            self._send(PeerAnswer(self.name, ask.src, ask.ask_id, value))

        if ask.kind == PROPOSE and isinstance(ask.payload, Proposal):

            def decided(applied: bool, result: object, request_id: int = ask.payload.request_id) -> None:
                if not applied:
                    answer(("lost", request_id))

            accepted = self.raft.propose(ask.payload, decided)
            answer(("accepted",) if isinstance(accepted, Accepted) else ("refused",))
        elif ask.kind == READ_INDEX:

            def served(commands: object) -> None:
                node = self.raft.node
                answer(None if commands is None or node is None else node.applied)

            if not isinstance(self.raft.read(served), ReadStarted):
                answer(None)
        elif ask.kind == KEEPALIVE and isinstance(ask.payload, LeaseKeepAliveRequest):
            node = self.raft.node
            if node is None or node.role != "leader":
                answer(None)
            else:
                answer(self._renew(ask.payload))
        else:
            log.warning("ignoring a peer request of kind %r from %s", ask.kind, ask.src)

    def _on_answer(self, answer: PeerAnswer) -> None:
        value = answer.answer
        if isinstance(value, tuple) and value[:1] == ("lost",) and len(value) == 2:
            _resolve(self._writes.get(value[1]), _LOST)
            return
        _resolve(self._asks.pop(answer.ask_id, None), value)

    def _applied(self, request_id: int, answer: object) -> None:
        _resolve(self._writes.get(request_id), answer)

    def _after(self) -> None:
        """After Raft moved: wake reads waiting for this index, and watches with news."""
        node = self.raft.node
        if node is not None and self._applied_waiters:
            waiting = []
            for index, future in self._applied_waiters:
                if node.applied >= index:
                    _resolve(future, True)
                elif not future.done():
                    waiting.append((index, future))
            self._applied_waiters = waiting
        for watcher, event in self._watches.values():
            if watcher.responses:
                event.set()

    # -- what clients ask --------------------------------------------------------------

    def _leader(self) -> str | None:
        node = self.raft.node
        return None if node is None else node.leader

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    async def _ask(self, leader: str, kind: str, payload: object, timeout_s: float) -> object:
        """Ask ``leader``; its answer within ``timeout_s``, None if none came, ``NOT_SENT`` if the
        ask could not even be queued (no connection yet: it certainly did not arrive)."""
        ask_id = self._new_id()
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        if not self._send(PeerAsk(self.name, leader, ask_id, kind, payload)):
            return NOT_SENT
        self._asks[ask_id] = future
        try:
            return await self._answer_of(future, timeout_s)
        finally:
            self._asks.pop(ask_id, None)

    async def _answer_of(self, future: asyncio.Future[object], timeout_s: float) -> object | None:
        """What ``future`` resolves to within ``timeout_s``; None if nothing came."""
        try:
            return await asyncio.wait_for(future, max(0.0, timeout_s))
        except TimeoutError:
            return None

    async def serve(self, request: Request) -> Response:
        """The answer to one client request (an ``EtcdError`` too)."""
        if isinstance(request, RangeRequest) and request.serializable:
            return self.store.apply(request)
        if isinstance(request, TxnRequest):
            # etcd refuses a txn its shape alone condemns before proposing it: a txn over --max-txn-ops
            # never costs the cluster a log entry.
            refused = check_txn_shape(request, self.limits.max_txn_ops)
            if refused is not None:
                return refused
        if isinstance(request, CLIENT_WRITES):
            return await self._write(request)
        if isinstance(request, LEADER_READS):
            error = await self._read_index()
            return error if error is not None else self.store.apply(request)
        if isinstance(request, LeaseKeepAliveRequest):
            return await self._keepalive(request)
        raise TypeError(f"not a request a client sends: {request!r}")

    async def _write(self, request: Request) -> Response:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.request_timeout_s
        leader_deadline = loop.time() + self.leader_wait_s
        request_id = self._new_id()
        done: asyncio.Future[object] = loop.create_future()
        self._writes[request_id] = done
        proposal = Proposal(self.name, request_id, request)
        try:
            while True:  # until it may have been appended: only then is retrying unsafe
                now = loop.time()
                if now >= min(deadline, leader_deadline):
                    return ERR_NO_LEADER
                leader = self._leader()
                if leader == self.name:
                    accepted = self.raft.propose(proposal, self._decided(request_id))
                    self._after()
                    if isinstance(accepted, Accepted):
                        break
                elif leader is not None:
                    answer = await self._ask(leader, PROPOSE, proposal, min(deadline - now, self.election_s))
                    if answer not in (NOT_SENT, ("refused",)):
                        break  # accepted, or no answer: it may be in the log
                if leader is not None:
                    leader_deadline = max(leader_deadline, loop.time() + self.leader_wait_s)
                await asyncio.sleep(self.tick_s)
            result = await self._answer_of(done, deadline - loop.time())
            if result is None:
                log.warning(
                    "write %d timed out (%s; leader %s)", request_id, type(request).__name__, self._leader()
                )
                return ERR_TIMEOUT
            if result is _LOST:
                return ERR_LEADER_CHANGED
            return result  # type: ignore[return-value]
        finally:
            self._writes.pop(request_id, None)

    def _decided(self, request_id: int) -> Callable[[bool, object], None]:
        def decided(applied: bool, result: object) -> None:
            if not applied:
                _resolve(self._writes.get(request_id), _LOST)

        return decided

    async def _read_index(self) -> EtcdError | None:
        """Wait until this member applied everything committed before now (ReadIndex)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.request_timeout_s
        leader_deadline = loop.time() + self.leader_wait_s
        seen_leader = False
        while loop.time() < deadline:
            leader = self._leader()
            if leader is None:
                if not seen_leader and loop.time() >= leader_deadline:
                    return ERR_NO_LEADER
                await asyncio.sleep(self.tick_s)
                continue
            seen_leader = True
            index = await self._confirmed_index(leader, deadline)
            if index is None:
                await asyncio.sleep(self.tick_s)
                continue
            node = self.raft.node
            assert node is not None
            if node.applied < index:
                reached: asyncio.Future[object] = loop.create_future()
                self._applied_waiters.append((index, reached))
                if await self._answer_of(reached, deadline - loop.time()) is None:
                    return ERR_TIMEOUT
            return None
        return ERR_TIMEOUT if seen_leader else ERR_NO_LEADER

    async def _confirmed_index(self, leader: str, deadline: float) -> int | None:
        loop = asyncio.get_running_loop()
        wait_s = min(deadline - loop.time(), self.election_s)
        if leader == self.name:
            confirmed: asyncio.Future[object] = loop.create_future()

            def served(commands: object) -> None:
                node = self.raft.node
                _resolve(confirmed, None if commands is None or node is None else node.applied)

            if not isinstance(self.raft.read(served), ReadStarted):
                return None
            self._after()
            answer = await self._answer_of(confirmed, wait_s)
        else:
            answer = await self._ask(leader, READ_INDEX, None, wait_s)
        return answer if isinstance(answer, int) and not isinstance(answer, bool) else None

    def _renew(self, request: LeaseKeepAliveRequest) -> LeaseKeepAliveResponse:
        return self.lessor.keepalive(self.clock(), request, self.store.leases, self.store.revision)

    async def _keepalive(self, request: LeaseKeepAliveRequest) -> Response:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.request_timeout_s
        leader_deadline = loop.time() + self.leader_wait_s
        seen_leader = False
        while loop.time() < deadline:
            leader = self._leader()
            node = self.raft.node
            if leader is None and not seen_leader and loop.time() >= leader_deadline:
                return ERR_NO_LEADER
            if leader == self.name and node is not None and node.role == "leader":
                return self._renew(request)
            if leader is not None and leader != self.name:
                seen_leader = True
                answer = await self._ask(
                    leader, KEEPALIVE, request, min(deadline - loop.time(), self.election_s)
                )
                if isinstance(answer, LeaseKeepAliveResponse):
                    return answer
            await asyncio.sleep(self.tick_s)
        return ERR_TIMEOUT if seen_leader else ERR_NO_LEADER

    # -- HTTP ----------------------------------------------------------------------------

    async def _unary(self, http: web.Request) -> web.StreamResponse:
        path = ALIASES.get(http.path, http.path)
        body = await http.read()
        if path == PATHS[LeaseKeepAliveRequest]:
            return await self._keepalive_stream(body)
        try:
            request = decode_request(path, json.loads(body or b"{}"))
        except ValueError as e:
            return _error_response(EtcdError(GrpcCode.INVALID_ARGUMENT, str(e)))
        response = await self.serve(request)
        if isinstance(response, EtcdError):
            return _error_response(response)
        return _json_response(encode_response(response))

    async def _keepalive_stream(self, body: bytes) -> web.StreamResponse:
        """The keepalive stream: one ``{"result": ...}`` line per request object in the body."""
        lines = []
        try:
            requests = [decode_request(PATHS[LeaseKeepAliveRequest], item) for item in _json_objects(body)]
        except ValueError as e:
            requests = []
            lines.append(_stream_error(EtcdError(GrpcCode.INVALID_ARGUMENT, str(e))))
        for request in requests:
            response = await self.serve(request)
            if isinstance(response, EtcdError):
                lines.append(_stream_error(response))
                break
            lines.append(encode_response(response))
        text = "\n".join(json.dumps(line) for line in lines) + "\n"
        return web.Response(body=text.encode(), content_type="application/json")

    async def _watch(self, http: web.Request) -> web.StreamResponse:
        try:
            request = decode_watch_request(json.loads(await http.read() or b"{}"))
        except ValueError as e:
            return _error_response(EtcdError(GrpcCode.INVALID_ARGUMENT, str(e)))
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(http)
        watcher = self.raft.hub.create(request)
        event = asyncio.Event()
        key = id(watcher)
        self._watches[key] = (watcher, event)
        try:
            while True:
                while watcher.responses:
                    line = json.dumps(encode_watch_response(watcher.responses.popleft())) + "\n"
                    await response.write(line.encode())
                transport = http.transport
                if transport is None or transport.is_closing():
                    break
                event.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), 1.0)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._watches.pop(key, None)
            self.raft.hub.cancel(watcher)
        return response

    async def _health(self, http: web.Request) -> web.StreamResponse:
        if self._leader() is None:
            return _json_response({"health": "false", "reason": "RAFT NO LEADER"}, status=503)
        return _json_response({"health": "true", "reason": ""})

    async def _version(self, http: web.Request) -> web.StreamResponse:
        return _json_response(
            {"etcdserver": API_VERSION, "etcdcluster": API_VERSION.rsplit(".", 1)[0] + ".0"}
        )


@contextlib.contextmanager
def _fatal(doing: str) -> Iterator[None]:
    """A bug while Raft or the store moves leaves their state unknown: stop the process, as a crash
    would (the WAL has everything acknowledged), rather than serve on from a half-done step."""
    try:
        yield
    except Exception:
        log.exception("bug while %s: stopping", doing)
        logging.shutdown()
        os._exit(70)


def _ignore(applied: bool, result: object) -> None:
    pass


def _resolve(future: asyncio.Future[Any] | None, value: object) -> None:
    if future is not None and not future.done():
        future.set_result(value)


def _json_response(body: object, status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(body).encode(), status=status, content_type="application/json")


def _error_response(error: EtcdError) -> web.Response:
    return _json_response(encode_error(error), status=http_status(error))


def _stream_error(error: EtcdError) -> dict[str, object]:
    """The last line of a gateway stream that failed (grpc-gateway ``runtime/handler.go``)."""
    status = http_status(error)
    return {
        "error": {
            "grpc_code": int(error.code),
            "http_code": status,
            "message": error.message,
            "http_status": _STATUS_TEXT.get(status, ""),
        }
    }


_STATUS_TEXT = {
    400: "Bad Request",
    404: "Not Found",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _json_objects(body: bytes) -> list[object]:
    """The JSON objects one after another in a stream's body (whitespace between them)."""
    text, decoder, position = body.decode(), json.JSONDecoder(), 0
    objects: list[object] = []
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            return objects or [{}]
        value, position = decoder.raw_decode(text, position)
        objects.append(value)


def serve_forever(flags: EtcdFlags) -> None:
    """Run one member until the process is killed (what ``kspec etcd`` does)."""
    logging.basicConfig(
        level=flags.log_level,
        format=f"%(asctime)s {flags.name} pid {os.getpid()} %(levelname)s %(name)s: %(message)s",
    )
    try:
        asyncio.run(EtcdServer(flags).run())
    except KeyboardInterrupt:
        pass
    except (DataDirMismatch, OSError) as e:  # a taken port, an unwritable data dir, another's data
        log.error("cannot serve: %s", e)
        raise SystemExit(1) from None
