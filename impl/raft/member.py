"""One Raft member as both drivers run it: a ``RaftNode``, its storage and its state machine.

``RaftMember`` carries out each ``Ready`` in the order the Ready contract
demands -- write the hard state and entries and sync, then send, then apply
-- and keeps what a client waits for: proposals by index, ReadIndex reads
until the state machine reaches their index. It never sees a clock, a
socket or a file: storage and sending are handed in. The simulator's driver
(``impl/raft/sim.py``) gives it the simulated disk and network; the real one
(``impl/raft/tcp_member.py``) files with fsync and TCP.

Storage layout, whatever the medium: one hard state, one snapshot, and the
entries after the snapshot by index. ``Storage`` is the little a member
needs of it.

What a member applies goes to a ``StateMachine`` (the register of
``spec.raft.apply_register`` unless the driver brings another, such as an
etcd store), and the member also keeps the list of entries applied, which
``status`` reports. A snapshot's data is that list up to its index:
restoring it means re-applying those entries to a fresh state machine, so a
member that installed a snapshot reports the same applied entries, and
holds the same state, as one that applied them one by one, and the suite's
state machine safety check covers snapshots too. (That keeps every
snapshot as long as the history; a state machine that needs shorter ones
would snapshot its own state. None does yet.) A
member compacts every ``snapshot_every`` applied entries, keeping the last
``snapshot_keep`` of them in its log for followers that lag a little
(etcd's SnapshotCount and SnapshotCatchUpEntries, scaled down so that runs
exercise InstallSnapshot).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, cast

from impl.raft.core import (
    Accepted,
    Message,
    NotLeader,
    RaftConfig,
    RaftNode,
    Randomness,
    ReadStarted,
    Ready,
    Refused,
    Snapshot,
    Stored,
    TransferStarted,
)
from spec.raft import ConfigAction, LogEntry, MemberStatus, apply_register, is_client_command

#: Called once with the fate of an accepted proposal: True and the state
#: machine's answer if its entry was applied, False if a different entry was
#: applied at its index.
Decided = Callable[[bool, object], None]
#: Called once with what a read returns (the client commands applied), or None if it failed.
Served = Callable[[tuple[object, ...] | None], None]


class Storage(Protocol):
    """What a member keeps across crashes. Nothing written is durable until ``sync``."""

    def load(self) -> Stored: ...

    def write_ready(self, ready: Ready) -> None:
        """Write the Ready's snapshot, hard state and entries (entries from ``ready.entries_from``
        replace every stored entry at or after that index)."""
        ...

    def write_snapshot(self, snapshot: Snapshot) -> None:
        """Write ``snapshot`` and drop the stored entries it stands for."""
        ...

    def sync(self) -> None: ...


class StateMachine(Protocol):
    def apply(self, command: object) -> object:
        """Apply one committed command (None for a leader's no-op); the answer its client gets."""
        ...


class RegisterMachine:
    """The register the consensus suite's clients share (``spec.raft.apply_register``)."""

    def __init__(self) -> None:
        self.value: int | None = None

    def apply(self, command: object) -> object:
        self.value, answer = apply_register(self.value, command)
        return answer


class RaftMember:
    """A ``RaftNode`` with its storage, its state machine and its waiting clients."""

    def __init__(
        self,
        address: str,
        members: tuple[str, ...],
        config: RaftConfig,
        node_class: type[RaftNode],
        snapshot_every: int | None = None,
        snapshot_keep: int = 0,
        state_machine: Callable[[], StateMachine] = RegisterMachine,
    ) -> None:
        self.address = address
        self.members = members
        self.config = config
        self.node_class = node_class
        self.snapshot_every = snapshot_every
        self.snapshot_keep = snapshot_keep
        self.node: RaftNode | None = None
        self.storage: Storage | None = None
        self.send: Callable[[Message], None] = _unwired
        #: Every entry applied by this incarnation, in order, and the state machine they made.
        self.new_state_machine = state_machine
        self.applied: list[LogEntry] = []
        self.state: StateMachine = state_machine()
        #: index -> (term, callback) for proposals accepted by this incarnation.
        self.pending: dict[int, tuple[int, Decided]] = {}
        #: ReadIndex requests: context -> (term it was asked in, callback), then (read index, callback).
        self.reads: dict[int, tuple[int, Served]] = {}
        self.confirmed_reads: list[tuple[int, Served]] = []
        self._read_contexts = 0

    def boot(self, storage: Storage, send: Callable[[Message], None], randomness: Randomness) -> None:
        """Start from what ``storage`` kept, and re-apply the committed prefix at once."""
        self.storage = storage
        self.send = send
        stored = storage.load()
        self._restore(stored.snapshot)
        self.node = self.node_class.start(
            self.address,
            self.members,
            self.config,
            randomness,
            stored,
            applied=stored.snapshot.index,
        )
        self.carry_out()

    # -- what the driver feeds in ----------------------------------------------

    def step(self, message: Message) -> None:
        assert self.node is not None
        self.node.step(message)
        self.carry_out()

    def tick(self) -> None:
        assert self.node is not None
        self.node.tick()
        self.carry_out()

    # -- clients ---------------------------------------------------------------

    def propose(self, command: object, decided: Decided) -> Accepted | NotLeader | Refused:
        assert self.node is not None
        answer = self.node.propose(command)
        if isinstance(answer, Accepted):
            self.pending[answer.index] = (answer.term, decided)
        self.carry_out()
        return answer

    def propose_change(
        self, action: ConfigAction, member: str, decided: Decided
    ) -> Accepted | NotLeader | Refused:
        assert self.node is not None
        answer = self.node.propose_change(action, member)
        if isinstance(answer, Accepted):
            self.pending[answer.index] = (answer.term, decided)
        self.carry_out()
        return answer

    def read(self, served: Served) -> ReadStarted | NotLeader | Refused:
        assert self.node is not None
        self._read_contexts += 1
        context = self._read_contexts
        answer = self.node.read_index(context)
        if isinstance(answer, ReadStarted):
            self.reads[context] = (self.node.term, served)
        self.carry_out()
        return answer

    def transfer(self, target: str) -> TransferStarted | NotLeader | Refused:
        assert self.node is not None
        answer = self.node.transfer_leadership(target)
        self.carry_out()
        return answer

    def status(self) -> MemberStatus:
        assert self.node is not None
        return self.node.status(tuple(self.applied))

    def client_commands(self) -> tuple[object, ...]:
        """What a read returns: the client commands applied, in order."""
        return tuple(e.command for e in self.applied if is_client_command(e.command))

    # -- the Ready loop ----------------------------------------------------------

    def carry_out(self) -> None:
        node, storage = self.node, self.storage
        assert node is not None and storage is not None
        while node.has_ready():
            ready = node.ready()
            if ready.must_sync:
                storage.write_ready(ready)
                storage.sync()  # before any message that reveals what was written
            for message in ready.messages:
                self.send(message)
            if ready.snapshot is not None:
                self._restore(ready.snapshot)
            for entry in ready.committed_entries:
                self._apply(entry)
            for state in ready.read_states:
                _, served = self.reads.pop(cast(int, state.context))
                self.confirmed_reads.append((state.index, served))
            node.advance(ready)
            self._serve_reads()
            self._maybe_compact()
        if self.reads and (node.role != "leader" or any(t != node.term for t, _ in self.reads.values())):
            # Reads it can no longer confirm: it stepped down (they were dropped).
            failed, self.reads = self.reads, {}
            for _, served in failed.values():
                served(None)

    def _serve_reads(self) -> None:
        """Serve every confirmed read whose index the state machine has reached (ReadOnlySafe)."""
        node = self.node
        assert node is not None
        waiting = []
        for index, served in self.confirmed_reads:
            if node.applied >= index:
                served(self.client_commands())
            else:
                waiting.append((index, served))
        self.confirmed_reads = waiting

    def _apply(self, entry: LogEntry) -> None:
        self.applied.append(entry)
        answer = self.state.apply(entry.command)
        waiting = self.pending.pop(entry.index, None)
        if waiting is not None:
            term, decided = waiting
            decided(entry.term == term, answer)

    def _restore(self, snapshot: Snapshot) -> None:
        """The state machine as of ``snapshot``: the entries it was taken after."""
        data = cast(tuple[LogEntry, ...], snapshot.data or ())
        self.applied = []
        self.state = self.new_state_machine()
        for entry in data:
            self._apply(entry)

    def _maybe_compact(self) -> None:
        node, storage = self.node, self.storage
        assert node is not None and storage is not None
        if self.snapshot_every is None or node.applied - node.snapshot.index < self.snapshot_every:
            return
        index = node.applied - self.snapshot_keep
        snapshot = node.compact(index, tuple(self.applied[:index]))
        storage.write_snapshot(snapshot)
        storage.sync()


def _unwired(message: Message) -> None:
    raise RuntimeError("RaftMember.boot() was not called: it has nowhere to send messages")
