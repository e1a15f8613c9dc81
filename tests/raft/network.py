"""A synchronous test network for ``RaftNode``s, after etcd-io/raft's ``network``.

Nodes are driven by hand: ``tick`` a node, ``deliver`` queued messages until
the network is quiet, ``cut``/``isolate``/``recover`` links, ``crash`` and
``restart`` a node from its storage. Every Ready is carried out in the order
the contract demands (persist, then send, then apply) against an in-memory
storage that keeps only what was persisted, so a restart shows what a real
disk would have kept. No simulator, no randomness unless a test asks for it:
each test reads like a scenario from the paper.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from impl.raft.core import (
    Accepted,
    HardState,
    Message,
    NotLeader,
    RaftConfig,
    RaftNode,
    ReadStarted,
    ReadState,
    Ready,
    Refused,
    Snapshot,
    Stored,
    TransferStarted,
)
from spec.raft import ConfigAction, LogEntry

#: Paper mode: figure 2 only, no no-op entry on election (the scenarios of figures 7 and 8).
PAPER = RaftConfig(noop_on_election=False)


class Lowest:
    """Randomness that always draws the lowest value: every election timeout is ``election_ticks``."""

    def randint(self, a: int, b: int) -> int:
        return a


@dataclass
class Storage:
    """What a node persisted: its hard state, snapshot and the entries after it (a disk that always syncs)."""

    hard_state: HardState = field(default_factory=HardState)
    entries: list[LogEntry] = field(default_factory=list)
    snapshot: Snapshot = field(default_factory=Snapshot)
    syncs: int = 0

    def save(self, ready: Ready) -> None:
        if ready.snapshot is not None:
            self.save_snapshot(ready.snapshot)
        if ready.hard_state is not None:
            self.hard_state = ready.hard_state
        if ready.entries_from is not None:
            del self.entries[ready.entries_from - self.snapshot.index - 1 :]
            self.entries.extend(ready.entries)
        if ready.must_sync:
            self.syncs += 1

    def save_snapshot(self, snapshot: Snapshot) -> None:
        self.entries = [e for e in self.entries if e.index > snapshot.index]
        self.snapshot = snapshot

    def stored(self) -> Stored:
        return Stored(self.hard_state, tuple(self.entries), self.snapshot)


class Network:
    def __init__(
        self,
        ids: Iterable[str],
        config: RaftConfig | None = None,
        node_class: type[RaftNode] = RaftNode,
        stored: dict[str, Stored] | None = None,
        joining: Iterable[str] = (),
    ) -> None:
        """``ids`` start with the configuration ``ids``; ``joining`` start with none (to be added)."""
        self.bootstrap = tuple(sorted(ids))
        self.ids = tuple(sorted({*ids, *joining}))
        self.config = config or RaftConfig()
        self.node_class = node_class
        self.storage: dict[str, Storage] = {}
        self.nodes: dict[str, RaftNode] = {}
        self.applied: dict[str, list[LogEntry]] = {i: [] for i in self.ids}
        self.readies: dict[str, list[Ready]] = {i: [] for i in self.ids}
        #: Confirmed ReadIndex requests, per member, in the order it handed them over.
        self.read_states: dict[str, list[ReadState]] = {i: [] for i in self.ids}
        self.queue: deque[Message] = deque()
        self.delivered: list[Message] = []
        self.cuts: set[frozenset[str]] = set()
        #: Messages for which this returns True are dropped (etcd's ``ignore``/``drop``).
        self.drop: Callable[[Message], bool] = lambda m: False
        for i in self.ids:
            initial = (stored or {}).get(i, Stored())
            self.storage[i] = Storage(initial.hard_state, list(initial.entries), initial.snapshot)
            self.start(i)

    # -- nodes ---------------------------------------------------------------

    def start(self, i: str) -> RaftNode:
        stored = self.storage[i].stored()
        bootstrap = self.bootstrap if i in self.bootstrap else ()
        node = self.node_class.start(
            i, bootstrap, self.config, Lowest(), stored, applied=stored.snapshot.index
        )
        self.nodes[i] = node
        self.applied[i] = list(stored.snapshot.data or ())
        self.flush(i)
        return node

    def compact(self, i: str, index: int) -> Snapshot:
        """``i`` snapshots its state machine (the entries it applied) at ``index`` and compacts its log."""
        snapshot = self.nodes[i].compact(index, tuple(self.applied[i][:index]))
        self.storage[i].save_snapshot(snapshot)
        return snapshot

    def crash(self, i: str) -> None:
        """Lose the node's memory; messages to it are dropped until ``restart``."""
        del self.nodes[i]

    def restart(self, i: str) -> RaftNode:
        return self.start(i)

    def __getitem__(self, i: str) -> RaftNode:
        return self.nodes[i]

    # -- time and messages ---------------------------------------------------

    def flush(self, i: str) -> None:
        """Carry out the node's Readys: persist, queue the messages, apply."""
        node = self.nodes[i]
        while node.has_ready():
            ready = node.ready()
            self.readies[i].append(ready)
            self.storage[i].save(ready)
            self.queue.extend(ready.messages)
            if ready.snapshot is not None:
                self.applied[i] = list(ready.snapshot.data or ())
            self.applied[i].extend(ready.committed_entries)
            self.read_states[i].extend(ready.read_states)
            node.advance(ready)

    def tick(self, i: str, times: int = 1) -> None:
        for _ in range(times):
            self.nodes[i].tick()
            self.flush(i)

    def campaign(self, i: str) -> None:
        """Tick ``i`` until its election timeout fires and it campaigns, then let the network settle."""
        node = self.nodes[i]
        for _ in range(2 * self.config.election_ticks):
            self.tick(i)
            if node.role != "follower" and node.election_elapsed == 0:
                break  # a campaign (or, alone, a win) just reset its timer
        self.deliver()

    def propose(self, i: str, command: object) -> Accepted | NotLeader | Refused:
        answer = self.nodes[i].propose(command)
        self.flush(i)
        return answer

    def change(self, i: str, action: ConfigAction, member: str) -> Accepted | NotLeader | Refused:
        answer = self.nodes[i].propose_change(action, member)
        self.flush(i)
        return answer

    def read_index(self, i: str, context: object) -> ReadStarted | NotLeader | Refused:
        answer = self.nodes[i].read_index(context)
        self.flush(i)
        return answer

    def transfer(self, i: str, target: str) -> TransferStarted | NotLeader | Refused:
        answer = self.nodes[i].transfer_leadership(target)
        self.flush(i)
        return answer

    def step(self, message: Message) -> None:
        """Hand ``message`` straight to its destination (a test impersonating a member)."""
        self.nodes[message.dst].step(message)
        self.flush(message.dst)

    def deliver(self, limit: int = 10_000) -> None:
        """Deliver queued messages (and those they cause) until none is left."""
        for _ in range(limit):
            if not self.queue:
                return
            message = self.queue.popleft()
            if (
                frozenset((message.src, message.dst)) in self.cuts
                or message.dst not in self.nodes
                or self.drop(message)
            ):
                continue
            self.delivered.append(message)
            self.step(message)
        raise AssertionError(f"the network did not settle after {limit} messages")

    def cut(self, a: str, b: str) -> None:
        self.cuts.add(frozenset((a, b)))

    def isolate(self, i: str) -> None:
        for other in self.ids:
            if other != i:
                self.cut(i, other)

    def recover(self) -> None:
        self.cuts.clear()
        self.drop = lambda m: False

    # -- what tests look at ----------------------------------------------------

    def leaders(self) -> list[str]:
        return [i for i, n in self.nodes.items() if n.role == "leader"]

    def log(self, i: str) -> list[tuple[int, object]]:
        """``i``'s log as (term, command) pairs, the way the paper draws logs."""
        return [(e.term, e.command) for e in self.nodes[i].log]


def entries(*terms: int) -> tuple[LogEntry, ...]:
    """A log with the given terms at indexes 1, 2, ... (commands name their index and term)."""
    return tuple(LogEntry(i, t, f"{i}/t{t}") for i, t in enumerate(terms, start=1))


def stored(term: int, *log_terms: int, vote: str | None = None, commit: int = 0) -> Stored:
    return Stored(HardState(term, vote, commit), entries(*log_terms))
