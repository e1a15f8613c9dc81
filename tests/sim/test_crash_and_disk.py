"""Crash and restart: memory and unsynced writes are lost, synced ones kept."""

from __future__ import annotations

from typing import Any

import pytest

from impl.sim import Context, Disk, NetworkConfig, ProcessStateError, Simulation
from tests.sim.helpers import MS, Script, Scripted, records

FIXED_1MS = NetworkConfig(min_latency_ns=MS, max_latency_ns=MS)


def test_disk_reads_see_unsynced_writes_and_a_crash_keeps_only_synced_state() -> None:
    disk = Disk("x")
    disk.write("kept", 1)
    disk.write("deleted-then-lost", "v")
    disk.write("overwritten", "old")
    disk.sync()
    disk.write("lost", 2)
    disk.write("overwritten", "new")
    disk.delete("deleted-then-lost")
    assert disk.read("lost") == 2
    assert disk.read("overwritten") == "new"
    assert disk.read("deleted-then-lost", "gone") == "gone"
    assert disk.keys() == ["kept", "lost", "overwritten"]
    assert disk.unsynced_count == 3
    assert disk._crash() == 3
    assert disk.keys() == ["deleted-then-lost", "kept", "overwritten"]
    assert disk.read("lost") is None
    assert disk.read("overwritten") == "old"
    assert disk.read("deleted-then-lost") == "v"


def test_disk_sync_applies_writes_and_deletes_in_order() -> None:
    disk = Disk("x")
    disk.write("a", 1)
    disk.delete("a")
    disk.write("b", None)  # None is a value, not absence
    disk.write("c", 1)
    disk.sync()
    disk.delete("c")
    disk.write("c", 2)
    disk.sync()
    disk._crash()
    assert disk.synced_snapshot() == {"b": None, "c": 2}
    assert "b" in disk and "a" not in disk
    assert disk.keys(prefix="c") == ["c"]
    assert disk.syncs == 2


def test_disk_rejects_non_str_keys() -> None:
    disk = Disk("x")
    with pytest.raises(TypeError, match="disk keys are str"):
        disk.write(1, "v")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="disk keys are str"):
        disk.delete(b"k")  # type: ignore[arg-type]


def writer_script(sim: Simulation) -> Script:
    def start(process: Scripted, ctx: Context) -> None:
        stored = ctx.disk.keys()
        process.memory["booted_with"] = {k: ctx.disk.read(k) for k in stored}
        ctx.set_timer("work", 2 * MS)

    def work(process: Scripted, ctx: Context, name: str) -> None:
        if name != "work":
            return
        ctx.disk.write("synced", ctx.now)
        ctx.disk.sync()
        ctx.disk.write("unsynced", ctx.now)
        process.memory["worked"] = True
        ctx.set_timer("later", 10 * MS)

    return Script(sim, on_start=start, on_timer=work)


def test_crash_loses_memory_and_unsynced_writes_and_restart_builds_a_new_process() -> None:
    sim = Simulation(1, FIXED_1MS)
    script = writer_script(sim)
    first = sim.add_process("p", script.factory)
    sim.run_for(3 * MS)
    assert isinstance(first, Scripted) and first.memory["worked"]
    assert sim.disk("p").read("unsynced") == 2 * MS
    sim.crash("p")
    assert sim.process("p") is None and not sim.is_up("p")
    assert sim.disk("p").synced_snapshot() == {"synced": 2 * MS}
    second = sim.restart("p")
    assert second is not first and second is sim.process("p")
    assert script.created == [first, second]
    assert isinstance(second, Scripted)
    assert "worked" not in second.memory
    assert second.memory["booted_with"] == {"synced": 2 * MS}
    starts = script.handled(kind="start")
    assert [(h.time, h.process_id) for h in starts] == [(0, id(first)), (3 * MS, id(second))]
    assert sim.incarnation("p") == 1
    crash = records(sim, "crash")
    assert [r.note for r in crash] == ["lost 1 unsynced writes"]


def test_timers_of_a_crashed_incarnation_never_fire() -> None:
    sim = Simulation(1, FIXED_1MS)
    script = writer_script(sim)
    first = sim.add_process("p", script.factory)
    sim.run_for(3 * MS)  # "work" fired, "later" pending until 12 ms
    sim.crash("p")
    sim.run_for(1 * MS)
    second = sim.restart("p")  # sets "work" for 6 ms, then "later" for 16 ms
    sim.run_for(100 * MS)
    timers = [(h.time, h.what, h.process_id) for h in script.handled(kind="timer")]
    assert timers == [
        (2 * MS, "work", id(first)),
        (6 * MS, "work", id(second)),
        (16 * MS, "later", id(second)),
    ]


def test_messages_to_a_crashed_process_are_dropped_and_reach_the_restarted_one() -> None:
    sim = Simulation(1, FIXED_1MS)
    script = Script(sim)
    sim.add_process("p", script.factory)
    sim.add_mailbox("client")
    sim.crash("p")
    sim.send_external("client", "p", "while down")
    sim.run_for(2 * MS)
    sim.send_external("client", "p", "in flight at restart")
    sim.restart("p")
    sim.run_for(2 * MS)
    sim.send_external("client", "p", "after restart")
    sim.run()
    got = [h.what for h in script.handled(kind="message")]
    assert got == ["in flight at restart", "after restart"]
    assert [(r.payload, r.note) for r in records(sim, "drop")] == [("while down", "[crashed]")]


def test_the_context_of_a_crashed_incarnation_cannot_be_used() -> None:
    sim = Simulation(1)
    contexts: list[Context] = []

    def keep(process: Scripted, ctx: Context) -> None:
        contexts.append(ctx)

    sim.add_process("p", Script(sim, on_start=keep).factory)
    sim.add_mailbox("m")
    sim.crash("p")
    with pytest.raises(ProcessStateError, match="crashed incarnation"):
        contexts[0].send("m", "zombie")
    with pytest.raises(ProcessStateError, match="crashed incarnation"):
        contexts[0].set_timer("t", 1)
    sim.restart("p")
    contexts[1].send("m", "alive")
    sim.run()
    assert sim.mailbox("m").messages == [("p", "alive")]


def test_messages_sent_before_a_crash_are_still_delivered() -> None:
    sim = Simulation(1, FIXED_1MS)

    def shout(process: Scripted, ctx: Context) -> None:
        ctx.send("m", "last words")

    sim.add_mailbox("m")
    sim.add_process("p", Script(sim, on_start=shout).factory)
    sim.crash("p")
    sim.run()
    assert sim.mailbox("m").messages == [("p", "last words")]


def test_crash_and_restart_reject_the_wrong_state() -> None:
    sim = Simulation(1)
    sim.add_process("p", Script(sim).factory)
    with pytest.raises(ProcessStateError, match="running"):
        sim.restart("p")
    sim.crash("p")
    with pytest.raises(ProcessStateError, match="already crashed"):
        sim.crash("p")
    with pytest.raises(ProcessStateError, match="crashed"):
        sim.pause("p")


def test_each_incarnation_gets_its_own_entropy_stream() -> None:
    sim = Simulation(1)
    draws: list[Any] = []

    def draw(process: Scripted, ctx: Context) -> None:
        draws.append(ctx.entropy.randint(0, 10**9))

    sim.add_process("p", Script(sim, on_start=draw).factory)
    sim.add_process("q", Script(sim, on_start=draw).factory)
    sim.crash("p")
    sim.restart("p")
    assert len(set(draws)) == 3
