"""The deterministic discrete-event simulator: processes, a faulty network, virtual time.

One process, one thread, virtual time in integer nanoseconds, one source of
randomness (an ``Entropy``). Events sit in a heap ordered by ``(time,
sequence number)``; the sequence number is a counter, so events due at the
same instant run in the order they were scheduled and a run is a pure
function of its entropy and of what the harness does. This is FoundationDB's
deterministic simulation and TigerBeetle's VOPR in miniature: the harness
runs a safety phase with faults, then sets ``network`` to
``NetworkConfig.without_faults()``, heals, restarts and resumes everything,
and requires convergence within a bounded simulated time (``run_until``).

What the simulator models, and the choices made where reality leaves room:

- Network: see ``impl.sim.network`` (latency, random drops, duplicates,
  reordering, FIFO links otherwise).
- Partitions (etcd-io/raft's cut/isolate, Jepsen's nemesis): ``partition(*groups)``
  drops every message whose source and destination are named in DIFFERENT
  groups, decided at DELIVERY time, so messages already in flight when the
  partition starts are lost too, and messages in flight when it heals get
  through. Addresses named in no group are not partitioned from anyone
  (like Jepsen's clients, which the nemesis leaves alone); name them in a
  group to cut them off. Each call replaces the previous partition.
- Crash (kill -9 / power loss): the process object and its memory are
  discarded, its pending timers never fire, messages it had queued while
  paused are lost, its disk loses every unsynced write, and messages that
  arrive while it is down are dropped (reason ``crashed``). Messages it sent
  before crashing are already on the wire and are still delivered; messages
  to it that arrive after ``restart`` reach the new incarnation, as stale
  packets do on a real network.
- Restart: a new process object from the factory given to ``add_process``,
  its disk as last synced, a fresh ``Context`` and entropy stream,
  ``on_start`` called again.
- Pause (SIGSTOP, a long GC pause): the process handles nothing. Messages
  that arrive and timers that come due are held, in the order they came
  due, and handled from ``resume`` on, in that order, before anything
  scheduled after the resume. Its clock keeps running.
- Clock drift: ``set_drift(address, ppm)`` makes the process's local clock,
  which ``ctx.now`` shows and ``ctx.set_timer`` counts in, run at ``(1 +
  ppm/1e6)`` times the global rate; pending timers are rescheduled so they
  still fire when the LOCAL clock reaches their deadline. ``bump_clock``
  steps a local clock (Jepsen's clock nemesis).

- Addresses: a message may be sent to an address that is not registered
  yet (processes added in one setup phase can talk from ``on_start``
  whatever order they were added in); if it is still unknown when the
  message arrives, ``run`` raises ``UnknownAddressError`` naming the message.

Every event is recorded in ``trace`` (``impl.sim.trace``); a process draws
randomness only through ``ctx.entropy``, forked from the simulation's
entropy per incarnation.

The inner loop (``_advance``) and ``_send`` are written for speed (locals
instead of attribute lookups, tuples instead of objects); everything else
favours plainness.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from impl.sim import trace as tr
from impl.sim.disk import Disk
from impl.sim.entropy import Entropy, SeededEntropy
from impl.sim.errors import ProcessStateError, SimulationError, UnknownAddressError
from impl.sim.network import NetworkConfig
from impl.sim.process import Process
from impl.sim.trace import RawRecord, Trace

# Event kinds, the third field of a queue entry. Entries are tuples:
#   (time, seq, _DELIVER, dst_node, src, msg_id, payload)
#   (time, seq, _HELD,    dst_node, src, msg_id, payload)  held while paused; the
#                                                         network already passed it
#   (time, seq, _TIMER,   node, name, token)
#   (time, seq, _UNRESOLVED, dst_address, src, msg_id, payload)  sent to an address
#                                                         not registered at send time
# seq is unique, so tuple comparison never reaches the third field.
_DELIVER = 0
_TIMER = 1
_HELD = 2
_UNRESOLVED = 3

_PPM = 1_000_000
_FOREVER = 1 << 62

#: The network a ``Simulation`` gets by default: 1..5 ms latency, no faults.
DEFAULT_NETWORK = NetworkConfig()


class Envelope(NamedTuple):
    """A message delivered to a mailbox, with its delivery time."""

    time: int
    src: str
    payload: Any


class Mailbox:
    """Collects messages delivered to an address that has no process.

    How a harness (a test client, a history recorder) receives replies::

        inbox = sim.mailbox("client")          # registers "client" if new
        sim.send_external("client", "n1", request)
        sim.run_until(lambda: len(inbox) > 0, timeout_ns=...)
        for src, payload in inbox: ...

    Iterating gives ``(src, payload)`` pairs; ``envelopes`` and ``take()``
    also give each delivery time (a history's completion time). A mailbox
    is a network endpoint like any other: partitions and random faults
    apply to it.
    """

    __slots__ = ("_envelopes", "address")

    def __init__(self, address: str) -> None:
        self.address = address
        self._envelopes: list[Envelope] = []

    @property
    def envelopes(self) -> list[Envelope]:
        """Everything received and not yet taken, oldest first (a copy)."""
        return list(self._envelopes)

    @property
    def messages(self) -> list[tuple[str, Any]]:
        """``(src, payload)`` of everything received and not yet taken, oldest first."""
        return [(e.src, e.payload) for e in self._envelopes]

    def take(self) -> list[Envelope]:
        """Everything received and not yet taken; empties the mailbox."""
        taken, self._envelopes = self._envelopes, []
        return taken

    def __len__(self) -> int:
        return len(self._envelopes)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self.messages)

    def __repr__(self) -> str:
        return f"Mailbox({self.address!r}, {len(self._envelopes)} messages)"


class _Node:
    """Everything the simulator knows about one address."""

    __slots__ = (
        "address",
        "clock_anchor",
        "ctx",
        "disk",
        "factory",
        "fifo",
        "held",
        "incarnation",
        "local_anchor",
        "mailbox",
        "paused",
        "process",
        "rate",
        "timers",
    )

    def __init__(
        self,
        address: str,
        factory: Callable[[], Process] | None,
        mailbox: Mailbox | None,
        disk: Disk | None,
        now: int,
    ) -> None:
        self.address = address
        self.factory = factory
        self.mailbox = mailbox
        self.process: Process | None = None
        self.ctx: _SimContext | None = None
        self.disk = disk
        self.incarnation = 0
        self.paused = False
        # Queue entries that came due while paused, in the order they came due.
        self.held: list[tuple[Any, ...]] = []
        # name -> (token, local deadline); the token identifies the live setting.
        self.timers: dict[str, tuple[int, int]] = {}
        # dst -> delivery time of the last non-reordered copy sent on this link.
        self.fifo: dict[str, int] = {}
        # Local clock: local(t) = local_anchor + (t - clock_anchor) * rate // _PPM.
        self.rate = _PPM
        self.clock_anchor = now
        self.local_anchor = now

    def local_time(self, now: int) -> int:
        return self.local_anchor + (now - self.clock_anchor) * self.rate // _PPM

    def global_time(self, local: int) -> int:
        """The earliest global time at which the local clock reads ``local`` or later."""
        return self.clock_anchor - ((self.local_anchor - local) * _PPM // self.rate)


class _SimContext:
    """The ``Context`` the simulator gives one incarnation of one process."""

    __slots__ = ("_node", "_sim", "address", "disk", "entropy")

    def __init__(self, sim: Simulation, node: _Node, entropy: Entropy) -> None:
        self.address = node.address
        assert node.disk is not None
        self.disk = node.disk
        self.entropy = entropy
        self._node = node
        self._sim = sim

    def _live_node(self) -> _Node:
        node = self._node
        if node.ctx is not self:
            raise ProcessStateError(
                f"context of a crashed incarnation of {self.address!r} used after the crash"
            )
        return node

    @property
    def now(self) -> int:
        return self._node.local_time(self._sim._now)

    def send(self, dst: str, payload: Any) -> None:
        node = self._node
        if node.ctx is not self:
            self._live_node()
        self._sim._send(node, dst, payload)

    def set_timer(self, name: str, delay_ns: int) -> None:
        node = self._live_node()
        if isinstance(delay_ns, bool) or not isinstance(delay_ns, int):
            raise TypeError(f"timer delay must be an int number of ns, got {delay_ns!r}")
        if delay_ns < 0:
            raise ValueError(f"timer {name!r}: delay must be >= 0 ns, got {delay_ns}")
        self._sim._set_timer(node, name, node.local_time(self._sim._now) + delay_ns)

    def cancel_timer(self, name: str) -> None:
        self._live_node().timers.pop(name, None)

    def __repr__(self) -> str:
        return f"<Context {self.address!r}>"


def _check_address(address: object) -> str:
    if not isinstance(address, str):
        raise TypeError(f"an address is a str, got {type(address).__name__}")
    if not address or any(c.isspace() for c in address):
        # Whitespace would break the trace's columns.
        raise ValueError(f"an address is a non-empty str without whitespace, got {address!r}")
    return address


def _check_duration(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int number of ns, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0 ns, got {value}")
    return value


class Simulation:
    """A deterministic simulation; see the module docstring.

    ``entropy`` is an ``Entropy`` or an int seed (``SeededEntropy(seed)``).
    ``trace=False`` records nothing (faster); ``trace_limit`` keeps only the
    last records.
    """

    def __init__(
        self,
        entropy: Entropy | int,
        network: NetworkConfig = DEFAULT_NETWORK,
        *,
        trace: bool = True,
        trace_limit: int | None = None,
    ) -> None:
        if isinstance(entropy, bool):
            raise TypeError("entropy must be an Entropy or an int seed, got a bool")
        if isinstance(entropy, int):
            entropy = SeededEntropy(entropy)
        self.entropy: Entropy = entropy
        self.trace = Trace(enabled=trace, limit=trace_limit)
        self._record: Callable[[RawRecord], None] | None = self.trace.append
        self._now = 0
        self._queue: list[tuple[Any, ...]] = []
        self._seq = itertools.count()
        self._msg_ids = itertools.count(1)
        self._nodes: dict[str, _Node] = {}
        self._groups: dict[str, int] = {}
        self._partition: tuple[tuple[str, ...], ...] = ()
        self._running = False
        self.events_processed = 0
        net_entropy = entropy.fork("network")
        self._net_entropy = net_entropy
        self._rand = net_entropy.random
        self._randint = net_entropy.randint
        self._set_network(network)

    # ------------------------------------------------------------------ network

    @property
    def network(self) -> NetworkConfig:
        """The network's configuration.

        Assign to change it mid-run, e.g. to ``network.without_faults()`` for
        a liveness phase; messages in flight keep their schedule.
        """
        return self._network

    @network.setter
    def network(self, config: NetworkConfig) -> None:
        self._set_network(config)
        self._trace_event(tr.NETWORK, None, repr(config))

    def _set_network(self, config: NetworkConfig) -> None:
        if not isinstance(config, NetworkConfig):
            raise TypeError(f"network must be a NetworkConfig, got {type(config).__name__}")
        self._network = config
        self._lat_lo = config.min_latency_ns
        self._lat_hi = config.max_latency_ns
        # Coins are "random() >= 1 - p" so that draws shrinking towards 0 mean
        # no fault (see impl.sim.entropy).
        self._drop_rate = config.drop_rate
        self._drop_cut = 1.0 - config.drop_rate
        self._dup_rate = config.duplicate_rate
        self._dup_cut = 1.0 - config.duplicate_rate
        self._reorder_rate = config.reorder_rate
        self._reorder_cut = 1.0 - config.reorder_rate
        self._reorder_extra_hi = max(config.max_latency_ns, 1)

    # --------------------------------------------------------------- addresses

    def add_process(self, address: str, factory: Callable[[], Process]) -> Process:
        """Register a process, build it with ``factory`` and call its ``on_start``.

        ``factory`` is called again at every restart. Returns the process.
        """
        self._check_new(address)
        if not callable(factory):
            raise TypeError(f"factory for {address!r} must be callable, got {factory!r}")
        on_sync = self._on_disk_sync if self._record is not None else None
        node = _Node(address, factory, None, Disk(address, on_sync), self._now)
        self._nodes[address] = node
        return self._start(node, tr.START)

    def add_mailbox(self, address: str) -> Mailbox:
        """Register an address with no process; messages to it are collected."""
        self._check_new(address)
        mailbox = Mailbox(address)
        self._nodes[address] = _Node(address, None, mailbox, None, self._now)
        return mailbox

    def mailbox(self, address: str) -> Mailbox:
        """The mailbox at ``address``, registered now if the address is new."""
        node = self._nodes.get(address)
        if node is None:
            return self.add_mailbox(address)
        if node.mailbox is None:
            raise ProcessStateError(f"{address!r} is a process, not a mailbox")
        return node.mailbox

    @property
    def addresses(self) -> list[str]:
        """Every registered address, processes and mailboxes, in registration order."""
        return list(self._nodes)

    @property
    def process_addresses(self) -> list[str]:
        """The addresses of processes (not mailboxes), in registration order."""
        return [a for a, n in self._nodes.items() if n.factory is not None]

    def process(self, address: str) -> Process | None:
        """The current incarnation's process object, or None while crashed."""
        return self._process_node(address).process

    def disk(self, address: str) -> Disk:
        """The disk of a process (it outlives crashes)."""
        disk = self._process_node(address).disk
        assert disk is not None
        return disk

    def is_up(self, address: str) -> bool:
        """Not crashed (a paused process is up)."""
        return self._process_node(address).process is not None

    def is_paused(self, address: str) -> bool:
        return self._process_node(address).paused

    def incarnation(self, address: str) -> int:
        """0 for the first incarnation, +1 per restart."""
        return self._process_node(address).incarnation

    def local_time(self, address: str) -> int:
        """What ``ctx.now`` would show the process at ``address`` now."""
        return self._node(address).local_time(self._now)

    def _check_new(self, address: str) -> None:
        _check_address(address)
        if address in self._nodes:
            kind = "process" if self._nodes[address].factory is not None else "mailbox"
            raise SimulationError(f"address {address!r} is already registered (as a {kind})")

    def _node(self, address: str) -> _Node:
        node = self._nodes.get(address)
        if node is None:
            raise UnknownAddressError(address, known=list(self._nodes))
        return node

    def _process_node(self, address: str) -> _Node:
        node = self._node(address)
        if node.factory is None:
            raise ProcessStateError(f"{address!r} is a mailbox, not a process")
        return node

    # ------------------------------------------------------------------- time

    @property
    def now(self) -> int:
        """Global simulated time in ns."""
        return self._now

    def step(self) -> bool:
        """Handle the next event; False if there was none."""
        return self._run(_FOREVER, 1, None)[0] == 1

    def run(self, *, until: int | None = None, max_events: int | None = None) -> int:
        """Handle events due up to ``until``, at most ``max_events``; return how many.

        Time then stands at ``until``, unless ``max_events`` stopped the run
        first (then at the last event handled). Without ``until`` and
        ``max_events`` it runs until no event is left, which never happens
        while a process keeps a periodic timer: bound it.
        """
        limit = _FOREVER
        if until is not None:
            _check_duration("until", until)
            if until < self._now:
                raise ValueError(f"until ({until}) is before now ({self._now})")
            limit = until
        budget = _FOREVER
        if max_events is not None:
            budget = _check_duration("max_events", max_events)
        done, _ = self._run(limit, budget, None)
        queue = self._queue
        if until is not None and (not queue or queue[0][0] > until):
            self._now = until
        return done

    def run_for(self, duration_ns: int) -> int:
        """``run(until=now + duration_ns)``."""
        return self.run(until=self._now + _check_duration("duration_ns", duration_ns))

    def run_until(self, predicate: Callable[[], bool], *, timeout_ns: int) -> bool:
        """Run until ``predicate()`` holds (checked before and after every event).

        Returns False if ``timeout_ns`` of simulated time pass first; ``now``
        is then the deadline. Returns True as soon as it holds, with ``now``
        the time of the event that made it hold.
        """
        deadline = self._now + _check_duration("timeout_ns", timeout_ns)
        if predicate():
            return True
        _, satisfied = self._run(deadline, _FOREVER, predicate)
        if not satisfied:
            self._now = deadline
        return satisfied

    def _run(
        self, limit: int, budget: int, predicate: Callable[[], bool] | None
    ) -> tuple[int, bool]:
        if self._running:
            raise ProcessStateError("the simulation cannot be run from inside a handler")
        self._running = True
        done = 0
        try:
            done, satisfied = self._advance(limit, budget, predicate)
        finally:
            self._running = False
            self.events_processed += done
        return done, satisfied

    def _advance(
        self, limit: int, budget: int, predicate: Callable[[], bool] | None
    ) -> tuple[int, bool]:
        queue = self._queue
        pop = heapq.heappop
        record = self._record
        done = 0
        while queue and done < budget:
            entry = queue[0]
            time = entry[0]
            if time > limit:
                break
            pop(queue)
            kind = entry[2]
            node: _Node = entry[3]
            if kind == _TIMER:
                name = entry[4]
                timer = node.timers.get(name)
                if timer is None or timer[0] != entry[5]:
                    continue  # cancelled, replaced, rescheduled, or its incarnation crashed
                self._now = time
                done += 1
                if node.paused:
                    node.held.append(entry)
                    if record is not None:
                        record((time, tr.HOLD, None, node.address, None, None, f"timer {name!r}"))
                else:
                    del node.timers[name]
                    if record is not None:
                        record((time, tr.TIMER, None, node.address, None, None, repr(name)))
                    node.process.on_timer(node.ctx, name)  # type: ignore[union-attr, arg-type]
            else:
                self._now = time
                done += 1
                if kind == _UNRESOLVED:
                    node = self._resolve(entry)
                src = entry[4]
                dst = node.address
                groups = self._groups
                if groups and kind != _HELD:
                    src_group = groups.get(src)
                    dst_group = groups.get(dst)
                    if src_group is not None and dst_group is not None and src_group != dst_group:
                        if record is not None:
                            record((time, tr.DROP, src, dst, entry[5], entry[6], tr.DROP_PARTITION))
                        if predicate is not None and predicate():
                            return done, True
                        continue
                process = node.process
                if process is None:
                    mailbox = node.mailbox
                    if mailbox is not None:
                        if record is not None:
                            record((time, tr.DELIVER, src, dst, entry[5], entry[6], None))
                        mailbox._envelopes.append(Envelope(time, src, entry[6]))
                    elif record is not None:
                        record((time, tr.DROP, src, dst, entry[5], entry[6], tr.DROP_CRASHED))
                elif node.paused:
                    # Normalised to _HELD: it has passed the network (and its
                    # address is resolved), so resume must not check it again.
                    node.held.append((time, entry[1], _HELD, node, src, entry[5], entry[6]))
                    if record is not None:
                        record((time, tr.HOLD, src, dst, entry[5], entry[6], None))
                else:
                    if record is not None:
                        record((time, tr.DELIVER, src, dst, entry[5], entry[6], None))
                    process.on_message(node.ctx, src, entry[6])  # type: ignore[arg-type]
            if predicate is not None and predicate():
                return done, True
        return done, False

    # --------------------------------------------------------------- messages

    def send_external(self, src: str, dst: str, payload: Any) -> None:
        """Inject a message from ``src`` (any registered address) to ``dst``.

        It travels through the network like any other: latency, faults,
        partitions. For harness clients (with ``add_mailbox``) and for tests
        that impersonate a process.
        """
        self._send(self._node(src), dst, payload)

    def _send(self, src_node: _Node, dst: str, payload: Any) -> None:
        dst_node: _Node | str | None = self._nodes.get(dst)
        kind = _DELIVER
        if dst_node is None:
            # Resolved at delivery: processes added in one setup phase may
            # send to each other from on_start whatever order they were added.
            _check_address(dst)
            dst_node = dst
            kind = _UNRESOLVED
        msg = next(self._msg_ids)
        now = self._now
        src = src_node.address
        record = self._record
        rand = self._rand
        if record is not None:
            record((now, tr.SEND, src, dst, msg, payload, None))
        if self._drop_rate and rand() >= self._drop_cut:
            if record is not None:
                record((now, tr.DROP, src, dst, msg, payload, tr.DROP_RANDOM))
            return
        duplicate = bool(self._dup_rate) and rand() >= self._dup_cut
        if duplicate and record is not None:
            record((now, tr.DUPLICATE, src, dst, msg, payload, None))
        # The first copy, inlined: this is the hot path.
        lo = self._lat_lo
        hi = self._lat_hi
        time = now + (self._randint(lo, hi) if hi != lo else lo)
        if self._reorder_rate and rand() >= self._reorder_cut:
            time = now + hi + self._randint(1, self._reorder_extra_hi)
            if record is not None:
                record((now, tr.REORDER, src, dst, msg, payload, f"[arrives {tr.format_time(time)}]"))
        else:
            fifo = src_node.fifo
            last = fifo.get(dst, 0)
            fifo[dst] = time = max(time, last)
        heapq.heappush(self._queue, (time, next(self._seq), kind, dst_node, src, msg, payload))
        if duplicate:
            self._send_copy(src_node, dst, kind, dst_node, msg, payload)

    def _send_copy(
        self, src_node: _Node, dst: str, kind: int, dst_node: _Node | str, msg: int, payload: Any
    ) -> None:
        """The second copy of a duplicated message: its own latency and reorder coin."""
        now = self._now
        lo = self._lat_lo
        hi = self._lat_hi
        time = now + (self._randint(lo, hi) if hi != lo else lo)
        if self._reorder_rate and self._rand() >= self._reorder_cut:
            time = now + hi + self._randint(1, self._reorder_extra_hi)
            if self._record is not None:
                note = f"[arrives {tr.format_time(time)}]"
                self._record((now, tr.REORDER, src_node.address, dst, msg, payload, note))
        else:
            last = src_node.fifo.get(dst, 0)
            src_node.fifo[dst] = time = max(time, last)
        heapq.heappush(
            self._queue, (time, next(self._seq), kind, dst_node, src_node.address, msg, payload)
        )

    def _resolve(self, entry: tuple[Any, ...]) -> _Node:
        node = self._nodes.get(entry[3])
        if node is None:
            raise UnknownAddressError(
                entry[3], known=list(self._nodes)
            ).with_context(f"message #{entry[5]} from {entry[4]!r} {entry[6]!r}")
        return node

    # ----------------------------------------------------------------- timers

    def _set_timer(self, node: _Node, name: str, local_deadline: int) -> None:
        token = next(self._seq)
        node.timers[name] = (token, local_deadline)
        time = max(node.global_time(local_deadline), self._now)
        heapq.heappush(self._queue, (time, token, _TIMER, node, name, token))

    def _reschedule_timers(self, node: _Node) -> None:
        """After a clock change: pending timers fire when the LOCAL clock reaches their deadline."""
        # A timer already held by a pause has fired as far as the clock is
        # concerned; moving it would lose it (its held entry has the old token).
        held = {e[5] for e in node.held if e[2] == _TIMER}
        for name, (token, local_deadline) in list(node.timers.items()):
            if token not in held:
                self._set_timer(node, name, local_deadline)

    # ------------------------------------------------------------------ faults

    def partition(self, *groups: Iterable[str]) -> None:
        """Drop messages between addresses in different groups until ``heal``.

        Decided at delivery time. Addresses in no group are not partitioned
        from anyone. Replaces any previous partition.
        """
        assigned: dict[str, int] = {}
        normalized: list[tuple[str, ...]] = []
        for index, group in enumerate(groups):
            if isinstance(group, str):
                raise TypeError(
                    f"each partition group is a collection of addresses, got the str {group!r};"
                    f" write partition([{group!r}], [...])"
                )
            members = tuple(group)
            for address in members:
                self._node(address)
                if address in assigned:
                    raise ValueError(f"address {address!r} is named in more than one partition group")
                assigned[address] = index
            normalized.append(members)
        self._groups = assigned
        self._partition = tuple(normalized)
        shown = " | ".join("{" + ", ".join(g) + "}" for g in normalized)
        self._trace_event(tr.PARTITION, None, shown)

    def isolate(self, address: str) -> None:
        """Partition ``address`` from every other address (processes and mailboxes)."""
        self._node(address)
        self.partition([address], [a for a in self._nodes if a != address])

    def heal(self) -> None:
        """Remove the partition (messages in flight are delivered from now on)."""
        self._groups = {}
        self._partition = ()
        self._trace_event(tr.HEAL, None, None)

    @property
    def partition_groups(self) -> tuple[tuple[str, ...], ...]:
        """The current partition's groups, () when healed."""
        return self._partition

    def connected(self, src: str, dst: str) -> bool:
        """Whether the current partition lets a message from ``src`` reach ``dst``."""
        self._node(src)
        self._node(dst)
        a = self._groups.get(src)
        b = self._groups.get(dst)
        return a is None or b is None or a == b

    def crash(self, address: str) -> None:
        """Kill the process: memory, pending timers, held messages and unsynced writes are lost."""
        node = self._process_node(address)
        if node.process is None:
            raise ProcessStateError(f"cannot crash {address!r}: it is already crashed")
        record = self._record
        if record is not None:
            for entry in node.held:
                if entry[2] != _TIMER:
                    record((self._now, tr.DROP, entry[4], address, entry[5], entry[6], tr.DROP_CRASHED))
        node.held = []
        node.paused = False
        node.process = None
        node.ctx = None
        node.timers = {}
        assert node.disk is not None
        lost = node.disk._crash()
        self._trace_event(tr.CRASH, address, f"lost {lost} unsynced writes")

    def restart(self, address: str) -> Process:
        """Start a crashed process again: a new object from the factory, ``on_start``. Returns it."""
        node = self._process_node(address)
        if node.process is not None:
            raise ProcessStateError(f"cannot restart {address!r}: it is running (crash it first)")
        node.incarnation += 1
        return self._start(node, tr.RESTART)

    def _start(self, node: _Node, kind: str) -> Process:
        assert node.factory is not None
        entropy = self.entropy.fork(f"process:{node.address}:{node.incarnation}")
        ctx = _SimContext(self, node, entropy)
        self._trace_event(kind, node.address, f"incarnation {node.incarnation}")
        process = node.factory()
        node.process = process
        node.ctx = ctx
        process.on_start(ctx)
        return process

    def pause(self, address: str) -> None:
        """Freeze the process: what comes due is held until ``resume``."""
        node = self._process_node(address)
        if node.process is None:
            raise ProcessStateError(f"cannot pause {address!r}: it is crashed")
        if node.paused:
            raise ProcessStateError(f"cannot pause {address!r}: it is already paused")
        node.paused = True
        self._trace_event(tr.PAUSE, address, None)

    def resume(self, address: str) -> None:
        """Unfreeze the process; what was held is handled next, in the order it came due."""
        node = self._process_node(address)
        if not node.paused:
            raise ProcessStateError(f"cannot resume {address!r}: it is not paused")
        node.paused = False
        held, node.held = node.held, []
        self._trace_event(tr.RESUME, address, f"{len(held)} held events")
        queue = self._queue
        now = self._now
        for entry in held:
            # Fresh sequence numbers at the current time keep their order and put
            # them before anything scheduled later. Held messages are _HELD
            # entries: they passed the network, so a partition made since does
            # not apply to them.
            heapq.heappush(queue, (now, next(self._seq), *entry[2:]))

    def set_drift(self, address: str, ppm: int) -> None:
        """Make the local clock run at (1 + ppm/1e6) times the global rate from now on."""
        node = self._process_node(address)
        if isinstance(ppm, bool) or not isinstance(ppm, int):
            raise TypeError(f"drift must be an int number of ppm, got {ppm!r}")
        if ppm <= -_PPM:
            raise ValueError(f"drift must be > -1000000 ppm (a clock must advance), got {ppm}")
        node.local_anchor = node.local_time(self._now)
        node.clock_anchor = self._now
        node.rate = _PPM + ppm
        self._reschedule_timers(node)
        self._trace_event(tr.DRIFT, address, f"{ppm:+d} ppm")

    def bump_clock(self, address: str, delta_ns: int) -> None:
        """Step the local clock by ``delta_ns`` (negative steps go back, like a wall clock)."""
        node = self._process_node(address)
        if isinstance(delta_ns, bool) or not isinstance(delta_ns, int):
            raise TypeError(f"clock bump must be an int number of ns, got {delta_ns!r}")
        node.local_anchor = node.local_time(self._now) + delta_ns
        node.clock_anchor = self._now
        self._reschedule_timers(node)
        self._trace_event(tr.DRIFT, address, f"clock bumped {delta_ns:+d} ns")

    # ------------------------------------------------------------------ trace

    def note(self, text: str, address: str | None = None) -> None:
        """Add a harness note to the trace (an operation invoked, a phase begun, ...)."""
        self._trace_event(tr.NOTE, address, text)

    def _trace_event(self, kind: str, address: str | None, note: str | None) -> None:
        if self._record is not None:
            self._record((self._now, kind, None, address, None, None, note))

    def _on_disk_sync(self, disk: Disk, count: int) -> None:
        if self._record is not None:
            self._record((self._now, tr.SYNC, None, disk.address, None, None, f"{count} writes"))

    def __repr__(self) -> str:
        return (
            f"<Simulation now={tr.format_time(self._now)} addresses={len(self._nodes)} "
            f"queued={len(self._queue)} entropy={self.entropy!r}>"
        )
