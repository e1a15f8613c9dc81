"""A nontrivial simulated run that exercises every kind of event.

Four gossiping processes with jittered periodic timers, random peers, disk
writes and syncs; a network that drops, duplicates and reorders; and a
harness that partitions, crashes, restarts, pauses, resumes, drifts clocks
and changes the network. Used by the determinism tests (also from a
subprocess, to vary ``PYTHONHASHSEED``).
"""

from __future__ import annotations

from typing import Any

from impl.sim import Context, Entropy, NetworkConfig, Simulation

MS = 1_000_000
NODES = ("n1", "n2", "n3", "n4")


class Gossiper:
    """Counts, tells random peers, persists what it heard now and then."""

    def __init__(self) -> None:
        self.counter = 0
        self.heard: dict[str, int] = {}

    def on_start(self, ctx: Context) -> None:
        self.counter = ctx.disk.read("counter", 0)
        ctx.set_timer("tick", ctx.entropy.randint(1 * MS, 10 * MS))

    def on_timer(self, ctx: Context, name: str) -> None:
        self.counter += 1
        peers = [p for p in NODES if p != ctx.address]
        ctx.send(ctx.entropy.choice(peers), ("gossip", self.counter, ctx.now))
        ctx.disk.write("counter", self.counter)
        if ctx.entropy.random() < 0.3:
            ctx.disk.sync()
        ctx.set_timer("tick", ctx.entropy.randint(5 * MS, 15 * MS))

    def on_message(self, ctx: Context, src: str, payload: Any) -> None:
        kind, value, _ = payload
        self.heard[src] = max(self.heard.get(src, 0), value)
        if kind == "gossip" and ctx.entropy.random() < 0.5:
            ctx.send(src, ("ack", value, ctx.now))
        if ctx.entropy.random() < 0.2:
            ctx.disk.write(f"heard/{src}", self.heard[src])


def chaos_run(entropy: Entropy | int, *, trace: bool = True) -> Simulation:
    sim = Simulation(
        entropy,
        NetworkConfig(
            min_latency_ns=MS, max_latency_ns=8 * MS, drop_rate=0.1, duplicate_rate=0.1, reorder_rate=0.1
        ),
        trace=trace,
    )
    for address in NODES:
        sim.add_process(address, Gossiper)
    client = sim.mailbox("client")
    sim.set_drift("n3", 50_000)
    sim.run_for(40 * MS)
    sim.send_external("client", "n1", ("gossip", 100, 0))
    sim.partition(["n1", "n2"], ["n3", "n4"])
    sim.run_for(30 * MS)
    sim.crash("n2")
    sim.pause("n4")
    sim.run_for(30 * MS)
    sim.heal()
    sim.set_drift("n1", -30_000)
    sim.run_for(20 * MS)
    sim.restart("n2")
    sim.resume("n4")
    sim.isolate("n3")
    sim.bump_clock("n4", 3 * MS)
    sim.run_for(30 * MS)
    sim.heal()
    sim.network = sim.network.without_faults()
    sim.note("liveness phase")
    sim.run_for(50 * MS)
    client.take()
    return sim


def chaos_trace(seed: int) -> str:
    return chaos_run(seed).trace.render()
