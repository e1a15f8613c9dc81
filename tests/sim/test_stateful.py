"""The simulator's own guarantees under random fault schedules (a Hypothesis state machine).

Hypothesis picks the harness actions (sends, partitions, crashes, restarts,
pauses, drift, network changes, time steps) and, through HypothesisEntropy,
every latency, coin and process choice. After each step a checker replays the
new trace records against the simulator's documented semantics: nothing is
delivered that was not sent, no copy twice, nothing across a partition,
nothing to a crashed or paused process, no timer of a crashed or paused
process, time never goes back. At the end every fault is removed and every
message must have reached its end (delivered or dropped) exactly once per copy.
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from conformance.strategies.entropy import HypothesisEntropy
from impl.sim import (
    Context,
    NetworkConfig,
    Simulation,
    Trace,
    TraceRecord,
)
from impl.sim import trace as tr

MS = 1_000_000
PROCESSES = ("p0", "p1", "p2", "p3")
ADDRESSES = (*PROCESSES, "client")
MIN_LATENCY = MS
MAX_LATENCY = 4 * MS
rates = st.sampled_from([0.0, 0.1, 0.5, 1.0])


class Chatter:
    """Ticks at random intervals, tells a random address, sometimes replies and syncs."""

    def __init__(self) -> None:
        self.ticks = 0

    def on_start(self, ctx: Context) -> None:
        ctx.set_timer("tick", ctx.entropy.randint(0, 5 * MS))

    def on_timer(self, ctx: Context, name: str) -> None:
        self.ticks += 1
        ctx.send(ctx.entropy.choice(ADDRESSES), ("tick", ctx.address, self.ticks))
        ctx.disk.write("ticks", self.ticks)
        if ctx.entropy.random() < 0.5:
            ctx.disk.sync()
        ctx.set_timer("tick", ctx.entropy.randint(1, 5 * MS))

    def on_message(self, ctx: Context, src: str, payload: Any) -> None:
        if payload[0] != "reply" and ctx.entropy.random() < 0.3:
            ctx.send(src, ("reply", ctx.address, payload[2]))


def parse_partition(note: str) -> dict[str, int]:
    groups: dict[str, int] = {}
    for index, group in enumerate(note.split(" | ")):
        for address in group.strip("{}").split(", "):
            if address:
                groups[address] = index
    return groups


class TraceChecker:
    """Replays trace records against the simulator's documented semantics."""

    def __init__(self) -> None:
        self.position = 0
        self.time = 0
        self.groups: dict[str, int] = {}
        self.down: set[str] = set()
        self.paused: set[str] = set()
        self.sent: dict[int, TraceRecord] = {}
        self.copies: dict[int, int] = {}
        self.ended: dict[int, int] = {}  # copies delivered or dropped
        self.held: dict[str, list[int]] = {}  # msg ids held per paused address
        self.released: dict[int, int] = {}  # held copies released by resume, not yet handled

    def connected(self, src: str, dst: str) -> bool:
        a, b = self.groups.get(src), self.groups.get(dst)
        return a is None or b is None or a == b

    def end(self, msg: int) -> None:
        self.ended[msg] = self.ended.get(msg, 0) + 1
        assert self.ended[msg] <= self.copies[msg], f"message #{msg} ended more often than it was copied"

    def check(self, trace: Trace) -> None:
        for r in trace.records(last=len(trace) - self.position):
            assert r.time >= self.time, f"time went back: {r}"
            self.time = r.time
            getattr(self, f"on_{r.kind}")(r)
        self.position = len(trace)

    def on_send(self, r: TraceRecord) -> None:
        assert r.msg is not None and r.msg not in self.sent
        self.sent[r.msg] = r
        self.copies[r.msg] = 1

    def on_duplicate(self, r: TraceRecord) -> None:
        assert r.msg is not None and self.sent[r.msg].time == r.time
        self.copies[r.msg] = 2

    def on_reorder(self, r: TraceRecord) -> None:
        assert r.msg is not None and self.sent[r.msg].time == r.time

    def _check_matches_send(self, r: TraceRecord) -> None:
        assert r.msg is not None
        sent = self.sent[r.msg]
        assert (sent.src, sent.dst, sent.payload) == (r.src, r.dst, r.payload), r

    def on_deliver(self, r: TraceRecord) -> None:
        self._check_matches_send(r)
        assert r.msg is not None and r.dst is not None and r.src is not None
        assert r.dst not in self.down and r.dst not in self.paused, f"delivered to a stopped process: {r}"
        if self.released.get(r.msg):
            self.released[r.msg] -= 1  # it crossed the network before the pause
        else:
            assert self.connected(r.src, r.dst), f"delivered across the partition: {r}"
            assert r.time >= self.sent[r.msg].time + MIN_LATENCY, f"faster than the network: {r}"
        self.end(r.msg)

    def on_hold(self, r: TraceRecord) -> None:
        assert r.dst in self.paused, f"held for a process that is not paused: {r}"
        if r.msg is not None:
            self._check_matches_send(r)
            self.held.setdefault(r.dst, []).append(r.msg)
            if self.released.get(r.msg):
                self.released[r.msg] -= 1
            else:
                assert r.src is not None and self.connected(r.src, r.dst), r

    def on_drop(self, r: TraceRecord) -> None:
        self._check_matches_send(r)
        assert r.msg is not None and r.src is not None and r.dst is not None
        if r.note == tr.DROP_RANDOM:
            assert r.time == self.sent[r.msg].time
        elif r.note == tr.DROP_PARTITION:
            assert not self.connected(r.src, r.dst), r
            # A message held by a pause already crossed the network (only the
            # other copy of a duplicate can still be cut).
            assert not self.released.get(r.msg) or self.copies[r.msg] == 2, r
        else:
            assert r.note == tr.DROP_CRASHED and r.dst in self.down | self.paused | set(self.held), r
            if self.released.get(r.msg):
                self.released[r.msg] -= 1
        self.end(r.msg)

    def on_timer(self, r: TraceRecord) -> None:
        assert r.dst not in self.down and r.dst not in self.paused, f"timer of a stopped process: {r}"

    def on_crash(self, r: TraceRecord) -> None:
        assert r.dst is not None
        self.down.add(r.dst)
        self.paused.discard(r.dst)
        self.held.pop(r.dst, None)  # their drops were recorded just before

    def on_restart(self, r: TraceRecord) -> None:
        self.down.discard(r.dst or "")

    def on_start(self, r: TraceRecord) -> None:
        pass

    def on_pause(self, r: TraceRecord) -> None:
        assert r.dst is not None
        self.paused.add(r.dst)

    def on_resume(self, r: TraceRecord) -> None:
        assert r.dst is not None
        self.paused.discard(r.dst)
        for msg in self.held.pop(r.dst, []):
            self.released[msg] = self.released.get(msg, 0) + 1

    def on_partition(self, r: TraceRecord) -> None:
        assert r.note is not None
        self.groups = parse_partition(r.note)

    def on_heal(self, r: TraceRecord) -> None:
        self.groups = {}

    def on_drift(self, r: TraceRecord) -> None:
        pass

    def on_sync(self, r: TraceRecord) -> None:
        assert r.dst not in self.down

    def on_network(self, r: TraceRecord) -> None:
        pass

    def on_note(self, r: TraceRecord) -> None:
        pass


class SimulatorMachine(RuleBasedStateMachine):
    sim: Simulation
    checker: TraceChecker

    @initialize(data=st.data(), drop=rates, duplicate=rates, reorder=rates)
    def start(self, data: st.DataObject, drop: float, duplicate: float, reorder: float) -> None:
        network = NetworkConfig(MIN_LATENCY, MAX_LATENCY, drop, duplicate, reorder)
        self.sim = Simulation(HypothesisEntropy(data, max_draws=200), network)
        for address in PROCESSES:
            self.sim.add_process(address, Chatter)
        self.sim.mailbox("client")
        self.checker = TraceChecker()

    def up(self) -> list[str]:
        return [p for p in PROCESSES if self.sim.is_up(p)]

    @rule(src=st.sampled_from(ADDRESSES), dst=st.sampled_from(ADDRESSES), n=st.integers(0, 9))
    def send(self, src: str, dst: str, n: int) -> None:
        self.sim.send_external(src, dst, ("external", src, n))

    @rule(duration=st.integers(0, 20 * MS))
    def run_for(self, duration: int) -> None:
        self.sim.run_for(duration)

    @rule(assignment=st.lists(st.sampled_from([None, 0, 1, 2]), min_size=5, max_size=5))
    def partition(self, assignment: list[int | None]) -> None:
        groups: list[list[str]] = [[], [], []]
        for address, group in zip(ADDRESSES, assignment, strict=True):
            if group is not None:
                groups[group].append(address)
        self.sim.partition(*groups)

    @rule()
    def heal(self) -> None:
        self.sim.heal()

    @rule(data=st.data())
    def crash(self, data: st.DataObject) -> None:
        up = self.up()
        if up:
            self.sim.crash(data.draw(st.sampled_from(up)))

    @rule(data=st.data())
    def restart(self, data: st.DataObject) -> None:
        down = [p for p in PROCESSES if not self.sim.is_up(p)]
        if down:
            self.sim.restart(data.draw(st.sampled_from(down)))

    @rule(data=st.data())
    def pause(self, data: st.DataObject) -> None:
        running = [p for p in self.up() if not self.sim.is_paused(p)]
        if running:
            self.sim.pause(data.draw(st.sampled_from(running)))

    @precondition(lambda self: any(self.sim.is_paused(p) for p in self.up()))
    @rule(data=st.data())
    def resume(self, data: st.DataObject) -> None:
        paused = [p for p in self.up() if self.sim.is_paused(p)]
        self.sim.resume(data.draw(st.sampled_from(paused)))

    @rule(address=st.sampled_from(PROCESSES), ppm=st.integers(-500_000, 500_000))
    def drift(self, address: str, ppm: int) -> None:
        self.sim.set_drift(address, ppm)

    @rule(drop=rates, duplicate=rates, reorder=rates)
    def change_network(self, drop: float, duplicate: float, reorder: float) -> None:
        self.sim.network = NetworkConfig(MIN_LATENCY, MAX_LATENCY, drop, duplicate, reorder)

    @invariant()
    def trace_follows_the_rules(self) -> None:
        self.checker.check(self.sim.trace)

    def teardown(self) -> None:
        if not hasattr(self, "sim"):
            return
        # Liveness phase: faults off, everything back; every copy must end.
        sim = self.sim
        sim.heal()
        sim.network = sim.network.without_faults()
        for p in PROCESSES:
            if not sim.is_up(p):
                sim.restart(p)
            elif sim.is_paused(p):
                sim.resume(p)
        quiet_since = sim.now
        sim.run_for(3 * MAX_LATENCY)
        self.checker.check(sim.trace)
        for msg, send in self.checker.sent.items():
            if send.time <= quiet_since:
                ended = self.checker.ended.get(msg, 0)
                assert ended == self.checker.copies[msg], f"message #{msg} lost track: {send}"


SimulatorMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
test_simulator_guarantees_under_random_faults = SimulatorMachine.TestCase
