"""The reference Raft in the deterministic simulator, behind the suite's
``consensus``, ``faults`` and message-faults contracts (conformance/adapters/
consensus.py and faults.py; the protocols are structural, so nothing here
imports the suite).

``RaftProcess`` runs one ``RaftMember`` (impl/raft/member.py: the Ready
loop, the state machine, snapshots) on the simulator's disk, network and
timers; the real driver (impl/raft/tcp_member.py) runs the same member on
files and TCP.

Disk layout (``DiskStorage``): ``raft/hardstate`` holds the ``HardState``;
``raft/snapshot`` the latest ``Snapshot``; ``raft/log/<index>`` (zero-padded,
so the disk's sorted keys are log order) each entry after the snapshot.

Clients. ``SimulatedRaftCluster.propose`` plays the client in-process: it
calls ``RaftProcess.propose`` on the member it believes leads, rather than
sending a message through the simulated network. Client traffic is not Raft
traffic, and a lossy, duplicating client link would make every answer but
"committed" unknowable (a duplicated request could be appended later); the
paper leaves de-duplication to the state machine (section 8). Members that
are crashed or paused cannot be called, as a client cannot reach them.

Membership (the optional capabilities of the consensus contract).
``add_member`` starts a new member (``n<k>``, never a name used before) with
no configuration and asks the leader to add it; the new member learns its
configuration from the leader's entries or snapshot. ``remove_member`` asks
the leader to remove one. A member whose removal committed is shut down for
good, as etcd stops a removed member; so is a new member whose addition was
rejected. A change with an unknown outcome leaves its member running: it may
yet become (or stop being) a member. ``read`` is a linearizable read
through ReadIndex: the client asks ``member`` first if given (a client
connected to one member), else the leader; a follower refuses and names its
leader, and the read is served by the leader's driver once it has applied up
to the confirmed read index. ``transfer_leadership`` asks the leader to hand
over and waits, for at most two election timeouts, until the target leads.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from impl.raft.core import (
    Accepted,
    HardState,
    NotLeader,
    RaftConfig,
    RaftNode,
    Ready,
    Refused,
    Snapshot,
    Stored,
)
from impl.raft.member import Decided, RaftMember, RegisterMachine, StateMachine
from impl.sim import Context, NetworkConfig, Simulation
from impl.sim.harness import SimulatedFaults
from spec.raft import (
    ChangeOutcome,
    MemberStatus,
    ProposeOutcome,
    ProposeStatus,
    ReadOutcome,
    TransferOutcome,
)

MS = 1_000_000
TICK = "tick"
HARD_STATE_KEY = "raft/hardstate"
SNAPSHOT_KEY = "raft/snapshot"
LOG_PREFIX = "raft/log/"


def log_key(index: int) -> str:
    return f"{LOG_PREFIX}{index:012d}"


class DiskStorage:
    """A member's ``Storage`` on the simulator's disk (the layout in the module docstring)."""

    def __init__(self, disk: Any) -> None:
        self.disk = disk
        self._stored_last = 0

    def load(self) -> Stored:
        hard_state = self.disk.read(HARD_STATE_KEY, HardState())
        snapshot = self.disk.read(SNAPSHOT_KEY, Snapshot())
        entries = tuple(self.disk.read(key) for key in self.disk.keys(LOG_PREFIX))
        self._stored_last = snapshot.index + len(entries)
        return Stored(hard_state, entries, snapshot)

    def write_ready(self, ready: Ready) -> None:
        if ready.snapshot is not None:
            self.write_snapshot(ready.snapshot)
        if ready.hard_state is not None:
            self.disk.write(HARD_STATE_KEY, ready.hard_state)
        if ready.entries_from is not None:
            for index in range(ready.entries_from, self._stored_last + 1):
                self.disk.delete(log_key(index))
            for entry in ready.entries:
                self.disk.write(log_key(entry.index), entry)
            self._stored_last = ready.entries[-1].index if ready.entries else ready.entries_from - 1

    def write_snapshot(self, snapshot: Snapshot) -> None:
        first = self.disk.read(SNAPSHOT_KEY, Snapshot()).index + 1
        self.disk.write(SNAPSHOT_KEY, snapshot)
        for index in range(first, min(snapshot.index, self._stored_last) + 1):
            self.disk.delete(log_key(index))
        self._stored_last = max(self._stored_last, snapshot.index)

    def sync(self) -> None:
        self.disk.sync()


class RaftProcess(RaftMember):
    """One member in the simulator: a ``RaftMember`` on the simulated disk, network and timers.

    Client calls (``propose``, ``read``, ...) are made between simulator
    events, on a member that is up and not paused.
    """

    def __init__(
        self,
        address: str,
        members: tuple[str, ...],
        config: RaftConfig,
        tick_ns: int,
        node_class: type[RaftNode],
        snapshot_every: int | None = None,
        snapshot_keep: int = 0,
        state_machine: Callable[[], StateMachine] = RegisterMachine,
    ) -> None:
        super().__init__(address, members, config, node_class, snapshot_every, snapshot_keep, state_machine)
        self.tick_ns = tick_ns

    def on_start(self, ctx: Context) -> None:
        self.boot(DiskStorage(ctx.disk), lambda message: ctx.send(message.dst, message), ctx.entropy)
        ctx.set_timer(TICK, self.tick_ns)

    def on_message(self, ctx: Context, src: str, payload: Any) -> None:
        self.step(payload)

    def on_timer(self, ctx: Context, name: str) -> None:
        self.tick()
        ctx.set_timer(TICK, self.tick_ns)


def _record_fate(fate: list[tuple[bool, object]], applied: bool, result: object) -> None:
    fate.append((applied, result))


@dataclass
class _Submission:
    """One client's proposal under ``submit``: retried until a member appends it, then awaited."""

    command: object
    deadline: int
    retry_at: int = 0
    #: The index its accepted copy sits at, while that copy's fate is undecided.
    index: int | None = None
    appended_once: bool = False
    outcome: ProposeOutcome | None = None


class SimulatedRaftCluster(SimulatedFaults):
    """A Raft cluster in one ``Simulation``: the consensus contract here; faults,
    message chaos and the timeline from ``SimulatedFaults``."""

    def __init__(self, size: int, entropy: Any, provider: SimulatedRaftProvider) -> None:
        if size < 1:
            raise ValueError(f"a Raft cluster needs at least one member, not {size}")
        self.simulation = Simulation(
            entropy, NetworkConfig(), trace=provider.trace, trace_limit=provider.trace_limit
        )
        self.provider = provider
        self._members = tuple(f"n{i}" for i in range(1, size + 1))
        self._next_member = size + 1
        #: Members shut down for good: their removal committed, or their addition was rejected.
        self._retired: set[str] = set()
        self._processes: dict[str, RaftProcess] = {}
        self._leader_hint: str | None = None
        self._submissions: list[_Submission] = []
        bootstrap = self._members
        for address in self._members:
            self.simulation.add_process(address, self._factory(address, bootstrap))

    def _factory(self, address: str, bootstrap: tuple[str, ...]) -> Callable[[], RaftProcess]:
        provider = self.provider

        def make() -> RaftProcess:
            process = provider.process_class(
                address,
                bootstrap,
                provider.config,
                provider.tick_ns,
                provider.node_class,
                provider.snapshot_every,
                provider.snapshot_keep,
                provider.state_machine,
            )
            self._processes[address] = process  # the newest incarnation
            return process

        return make

    # -- the consensus contract ----------------------------------------------

    def replicate(self, command: object) -> tuple[ProposeStatus, int | None, object]:
        """``propose`` for clients of the replicated state machine: the outcome's status, the
        entry's index if it committed, and what the state machine answered."""
        return self._request(lambda process, decided: process.propose(command, decided))

    def propose(self, command: object) -> ProposeOutcome:
        """Find the leader and propose; retry on definite refusals until the client timeout."""
        status, index, result = self._request(lambda process, decided: process.propose(command, decided))
        return ProposeOutcome(status, index, result)

    def _request(
        self, call: Callable[[RaftProcess, Decided], Accepted | NotLeader | Refused]
    ) -> tuple[ProposeStatus, int | None, object]:
        """Ask the member that leads, retrying definite refusals until the client timeout: the
        outcome's status, the entry's index if it committed, and the state machine's answer."""
        sim = self.simulation
        deadline = sim.now + self.provider.client_timeout_ns
        while sim.now < deadline:
            target = self._choose_member()
            if target is None:
                sim.run_for(min(self.provider.tick_ns, deadline - sim.now))
                continue
            fate: list[tuple[bool, object]] = []
            # Bound to this attempt's list: an earlier attempt's late answer stays with its own.
            answer = call(self._processes[target], functools.partial(_record_fate, fate))
            if isinstance(answer, NotLeader | Refused):
                if isinstance(answer, Refused) and not answer.transient:
                    return "rejected", None, None
                # Definitely not appended: ask whom it follows (or the leader
                # again), after a moment (an election may be under way).
                self._leader_hint = answer.leader if isinstance(answer, NotLeader) else target
                sim.run_for(min(self.provider.tick_ns, deadline - sim.now))
                continue
            self._leader_hint = target
            sim.run_until(functools.partial(bool, fate), timeout_ns=deadline - sim.now)
            if not fate:
                return "unknown", None, None  # appended, fate undecided (or its member crashed)
            applied, result = fate[0]
            if applied:
                return "committed", answer.index, result
            # Another entry was applied at its index: this copy can never commit
            # (Leader Completeness), so trying again cannot apply it twice.
        return "rejected", None, None

    # -- the optional capabilities: membership, reads, leadership transfer ----

    def add_member(self) -> ChangeOutcome:
        """Start a new member with no configuration and ask the leader to add it."""
        address = f"n{self._next_member}"
        self._next_member += 1
        self.simulation.add_process(address, self._factory(address, ()))
        self._members = (*self._members, address)
        status, index, _ = self._request(
            lambda process, decided: process.propose_change("add", address, decided)
        )
        if status == "rejected":
            self._retire(address)
        return ChangeOutcome(status, address, index)

    def remove_member(self, member: str) -> ChangeOutcome:
        """Ask the leader to remove ``member``; shut it down once that committed."""
        status, index, _ = self._request(
            lambda process, decided: process.propose_change("remove", member, decided)
        )
        if status == "committed":
            self._retire(member)
        return ChangeOutcome(status, member, index)

    def _retire(self, member: str) -> None:
        if self.simulation.is_up(member):
            self.simulation.crash(member)
        self._retired.add(member)
        self._members = tuple(m for m in self._members if m != member)

    def restart(self, member: str) -> None:
        if member in self._retired:
            raise ValueError(f"{member} left the cluster for good")
        super().restart(member)

    def read(self, member: str | None = None) -> ReadOutcome:
        """A linearizable read (ReadIndex), asking ``member`` first if given and reachable."""
        sim = self.simulation
        deadline = sim.now + self.provider.client_timeout_ns
        target = member if member is not None and self._reachable(member) else None
        while sim.now < deadline:
            target = target or self._choose_member()
            if target is None:
                sim.run_for(min(self.provider.tick_ns, deadline - sim.now))
                continue
            served: list[tuple[object, ...] | None] = []
            answer = self._processes[target].read(served.append)
            if isinstance(answer, NotLeader | Refused):
                if isinstance(answer, NotLeader):
                    hint = answer.leader
                    target = hint if hint is not None and self._reachable(hint) else None
                sim.run_for(min(self.provider.tick_ns, deadline - sim.now))
                continue
            incarnation = sim.incarnation(target)
            asked = target

            def over(
                served: list[tuple[object, ...] | None] = served,
                asked: str = asked,
                incarnation: int = incarnation,
            ) -> bool:
                return bool(served) or not sim.is_up(asked) or sim.incarnation(asked) != incarnation

            sim.run_until(over, timeout_ns=deadline - sim.now)
            if served and served[0] is not None:
                return ReadOutcome("ok", served[0])
            target = None  # it stepped down or crashed: ask whoever leads now
        return ReadOutcome("failed")

    def transfer_leadership(self, target: str) -> TransferOutcome:
        """Ask the leader to hand over to ``target``; ``transferred`` once ``target`` leads."""
        sim = self.simulation
        deadline = sim.now + self.provider.client_timeout_ns

        def target_leads() -> bool:
            process = self._processes.get(target)
            return (
                sim.is_up(target)
                and process is not None
                and process.node is not None
                and process.node.role == "leader"
            )

        while sim.now < deadline:
            if target_leads():
                return "transferred"
            leader = self._choose_member()
            if leader is None:
                sim.run_for(min(self.provider.tick_ns, deadline - sim.now))
                continue
            answer = self._processes[leader].transfer(target)
            if isinstance(answer, NotLeader | Refused):
                if isinstance(answer, Refused) and not answer.transient:
                    return "failed"
                self._leader_hint = answer.leader if isinstance(answer, NotLeader) else leader
                sim.run_for(min(self.provider.tick_ns, deadline - sim.now))
                continue
            wait = min(deadline - sim.now, 2 * self.provider.election_timeout_ns)
            sim.run_until(target_leads, timeout_ns=wait)
            return "transferred" if target_leads() else "failed"
        return "failed"

    def status(self) -> Mapping[str, MemberStatus]:
        statuses = {
            address: process.status()
            for address, process in self._processes.items()
            if self.simulation.is_up(address)
        }
        if not self.provider.exposes_logs:  # play a black box, as an implementation without log access
            statuses = {address: replace(status, log=None) for address, status in statuses.items()}
        return statuses

    def advance(self, duration_ns: int) -> None:
        if not self._undecided():
            self.simulation.run_for(duration_ns)
            return
        # Clients retry and time out between events: move on one tick at a time.
        end = self.simulation.now + duration_ns
        while self.simulation.now < end:
            self.simulation.run_for(min(self.provider.tick_ns, end - self.simulation.now))
            self._pump()

    # -- concurrent clients (ConcurrentClients) --------------------------------

    def submit(self, command: object) -> int:
        """Start proposing ``command`` as ``propose`` would, without waiting for its outcome."""
        now = self.simulation.now
        self._submissions.append(_Submission(command, deadline=now + self.provider.client_timeout_ns))
        self._pump()
        return len(self._submissions) - 1

    def outcome(self, ticket: int) -> ProposeOutcome | None:
        self._pump()
        return self._submissions[ticket].outcome

    def _undecided(self) -> list[_Submission]:
        return [s for s in self._submissions if s.outcome is None]

    def _pump(self) -> None:
        """Move every undecided submission on: time out, or (re)propose when it is due."""
        now = self.simulation.now
        for submission in self._undecided():
            if now >= submission.deadline:
                # Appended somewhere and undecided: it may yet commit. Never appended: it never will.
                submission.outcome = ProposeOutcome("unknown" if submission.appended_once else "rejected")
            elif submission.index is None and now >= submission.retry_at:
                self._try(submission)

    def _try(self, submission: _Submission) -> None:
        target = self._choose_member()
        if target is None:
            submission.retry_at = self.simulation.now + self.provider.tick_ns
            return

        early: list[tuple[bool, object]] = []

        def decided(applied: bool, result: object) -> None:
            if submission.index is None:
                early.append((applied, result))  # a lone member commits inside ``propose``
            else:
                self._settle(submission, applied, result)

        answer = self._processes[target].propose(submission.command, decided)
        if isinstance(answer, Refused) and not answer.transient:
            submission.outcome = ProposeOutcome("rejected")  # never appended, and never will be
            return
        if isinstance(answer, NotLeader | Refused):
            self._leader_hint = answer.leader if isinstance(answer, NotLeader) else target
            submission.retry_at = self.simulation.now + self.provider.tick_ns
            return
        submission.index = answer.index
        submission.appended_once = True
        self._leader_hint = target
        if early:
            self._settle(submission, *early[0])

    @staticmethod
    def _settle(submission: _Submission, applied: bool, result: object) -> None:
        index, submission.index = submission.index, None
        if applied and index is not None:
            submission.outcome = ProposeOutcome("committed", index, result)
        # Otherwise another entry took its index: that copy can never commit; ``_pump`` retries.

    def close(self) -> None:
        self._processes.clear()

    def _reachable(self, address: str) -> bool:
        return self.simulation.is_up(address) and not self.simulation.is_paused(address)

    def _choose_member(self) -> str | None:
        """Whom a client asks: the reachable member claiming to lead the highest term, else the last hint."""
        leaders = [
            (process.node.term, address)
            for address, process in self._processes.items()
            if process.node is not None and self._reachable(address) and process.node.role == "leader"
        ]
        if leaders:
            return max(leaders)[1]
        if self._leader_hint is not None and self._reachable(self._leader_hint):
            return self._leader_hint
        reachable = [a for a in self._members if self._reachable(a)]
        return reachable[0] if reachable else None


@dataclass
class SimulatedRaftProvider:
    """The ``consensus`` component of the reference implementation."""

    deterministic: bool = True
    #: False hides the members' logs from ``status``, as a black-box implementation would.
    exposes_logs: bool = True
    config: RaftConfig = field(default_factory=RaftConfig)
    tick_ns: int = 10 * MS
    #: How long ``propose`` keeps trying before it answers ``unknown``/``rejected``.
    client_timeout_ns: int = 600 * MS
    #: The node each member runs; the project's tests substitute broken ones.
    node_class: type[RaftNode] = RaftNode
    #: The process each member runs, and the state machine it applies entries to (the etcd
    #: provider brings its own of both).
    process_class: type[RaftProcess] = RaftProcess
    state_machine: Callable[[], StateMachine] = RegisterMachine
    #: The consensus contract's optional capabilities its clusters offer.
    capabilities: frozenset[str] = frozenset({"membership", "read", "transfer"})
    #: Compact the log every this many applied entries (None: never), keeping the last ``snapshot_keep``.
    snapshot_every: int | None = 8
    snapshot_keep: int = 2
    #: Record the simulator's trace (the suite prints its end on failure), keeping the newest records.
    trace: bool = True
    trace_limit: int | None = 2_000

    @property
    def election_timeout_ns(self) -> int:
        """The longest randomized election timeout a member may draw."""
        return (2 * self.config.election_ticks - 1) * self.tick_ns

    @property
    def convergence_time_ns(self) -> int:
        """How long after faults stop every member may take to apply every committed entry."""
        return 10 * self.election_timeout_ns

    def new_cluster(self, *, size: int, entropy: Any) -> SimulatedRaftCluster:
        return SimulatedRaftCluster(size, entropy, self)
