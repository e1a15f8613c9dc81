"""Pause: nothing is handled until resume; then everything held, in order."""

from __future__ import annotations

import pytest

from impl.sim import Context, NetworkConfig, ProcessStateError, Simulation
from tests.sim.helpers import MS, Script, Scripted, records

FIXED_1MS = NetworkConfig(min_latency_ns=MS, max_latency_ns=MS)


def paused_receiver() -> tuple[Simulation, Script]:
    sim = Simulation(1, FIXED_1MS)

    def start(process: Scripted, ctx: Context) -> None:
        ctx.set_timer("t5", 5 * MS)
        ctx.set_timer("t8", 8 * MS)

    script = Script(sim, on_start=start)
    sim.add_process("p", script.factory)
    sim.add_mailbox("client")
    sim.pause("p")
    return sim, script


def test_a_paused_process_handles_nothing_then_everything_in_order_on_resume() -> None:
    sim, script = paused_receiver()
    for i in range(10):  # arrivals at 1, 2, ..., 10 ms; timers at 5 and 8 ms
        sim.send_external("client", "p", i)
        sim.run_for(MS)
    sim.run_for(10 * MS)
    assert [h.kind for h in script.log] == ["start"]
    assert len(records(sim, "hold")) == 12
    sim.resume("p")
    resumed_at = sim.now
    sim.send_external("client", "p", "after resume")
    sim.run()
    handled = [(h.kind, h.what) for h in script.log[1:]]
    assert handled == [
        ("message", 0),
        ("message", 1),
        ("message", 2),
        ("message", 3),
        ("timer", "t5"),
        ("message", 4),
        ("message", 5),
        ("message", 6),
        ("timer", "t8"),
        ("message", 7),
        ("message", 8),
        ("message", 9),
        ("message", "after resume"),
    ]
    assert all(h.time == resumed_at for h in script.log[1:-1])
    assert script.log[-1].time == resumed_at + MS


def test_the_clock_keeps_running_during_a_pause() -> None:
    sim, script = paused_receiver()
    sim.run_for(20 * MS)
    sim.resume("p")
    sim.run()
    assert [(h.what, h.local) for h in script.handled(kind="timer")] == [("t5", 20 * MS), ("t8", 20 * MS)]


def test_a_held_timer_cancelled_by_an_earlier_held_message_does_not_fire() -> None:
    sim = Simulation(1, FIXED_1MS)

    def start(process: Scripted, ctx: Context) -> None:
        ctx.set_timer("timeout", 5 * MS)

    def cancel(process: Scripted, ctx: Context, src: str, payload: object) -> None:
        ctx.cancel_timer("timeout")

    script = Script(sim, on_start=start, on_message=cancel)
    sim.add_process("p", script.factory)
    sim.add_mailbox("client")
    sim.pause("p")
    sim.run_for(3 * MS)
    sim.send_external("client", "p", "cancel it")  # held at 4 ms, before the timer
    sim.run_for(10 * MS)
    sim.resume("p")
    sim.run()
    assert [h.kind for h in script.log] == ["start", "message"]


def test_held_messages_cross_a_partition_made_after_they_arrived() -> None:
    # They were delivered into the paused process's socket buffer already.
    sim, script = paused_receiver()
    sim.send_external("client", "p", "arrived")
    sim.run_for(2 * MS)
    sim.partition(["p"], ["client"])
    sim.resume("p")
    sim.run_for(MS)
    assert [h.what for h in script.handled(kind="message")] == ["arrived"]


def test_crashing_a_paused_process_loses_what_it_held() -> None:
    sim, script = paused_receiver()
    sim.send_external("client", "p", "held")
    sim.run_for(10 * MS)
    sim.crash("p")
    assert not sim.is_paused("p")
    drops = records(sim, "drop")
    assert [(r.payload, r.note) for r in drops] == [("held", "[crashed]")]
    sim.restart("p")
    sim.pause("p")  # the new incarnation's holds start empty
    sim.resume("p")
    sim.run_for(MS)
    assert [h.kind for h in script.log] == ["start", "start"]
    assert [r.note for r in records(sim, "resume")] == ["0 held events"]


def test_pausing_again_before_held_events_are_handled_holds_them_again() -> None:
    sim, script = paused_receiver()
    sim.send_external("client", "p", 1)
    sim.send_external("client", "p", 2)
    sim.run_for(2 * MS)
    sim.resume("p")
    sim.pause("p")
    sim.run_for(20 * MS)
    assert [h.kind for h in script.log] == ["start"]
    sim.resume("p")
    sim.run()
    assert [h.what for h in script.log[1:]] == [1, 2, "t5", "t8"]


def test_pause_and_resume_reject_the_wrong_state() -> None:
    sim, _ = paused_receiver()
    with pytest.raises(ProcessStateError, match="already paused"):
        sim.pause("p")
    sim.resume("p")
    with pytest.raises(ProcessStateError, match="not paused"):
        sim.resume("p")
    with pytest.raises(ProcessStateError, match="mailbox"):
        sim.pause("client")


def test_a_message_sent_before_its_destination_existed_is_held_like_any_other() -> None:
    sim = Simulation(1, FIXED_1MS)
    sim.add_mailbox("client")
    sim.send_external("client", "late", "early bird")
    script = Script(sim)
    sim.add_process("late", script.factory)
    sim.pause("late")
    sim.run_for(2 * MS)
    sim.partition(["late"], ["client"])
    sim.resume("late")
    sim.run_for(MS)
    assert [h.what for h in script.handled(kind="message")] == ["early bird"]
