"""Virtual time, timers, bounded runs, and clock drift."""

from __future__ import annotations

import pytest

from impl.sim import Context, NetworkConfig, ProcessStateError, Simulation
from tests.sim.helpers import MS, Script, Scripted, records


def timer_script(sim: Simulation, delay: int) -> Script:
    def start(process: Scripted, ctx: Context) -> None:
        ctx.set_timer("t", delay)

    return Script(sim, on_start=start)


def test_fast_clock_sees_local_time_run_ten_percent_faster_and_fires_timers_earlier() -> None:
    sim = Simulation(1)
    fast = timer_script(sim, 110 * MS)
    normal = timer_script(sim, 110 * MS)
    sim.add_process("fast", fast.factory)
    sim.add_process("normal", normal.factory)
    sim.set_drift("fast", 100_000)  # still at time 0: the timer is rescheduled
    sim.run_for(1_000 * MS)
    assert sim.local_time("fast") == 1_100 * MS
    assert sim.local_time("normal") == 1_000 * MS
    [fired] = fast.handled(kind="timer")
    assert fired.time == 100 * MS and fired.local == 110 * MS
    [fired] = normal.handled(kind="timer")
    assert fired.time == 110 * MS and fired.local == 110 * MS


def test_slow_clock_fires_timers_later() -> None:
    sim = Simulation(1)
    slow = timer_script(sim, 90 * MS)
    sim.add_process("slow", slow.factory)
    sim.set_drift("slow", -100_000)
    sim.run_for(200 * MS)
    [fired] = slow.handled(kind="timer")
    assert fired.time == 100 * MS and fired.local == 90 * MS


def test_changing_drift_reschedules_pending_timers_by_local_deadline() -> None:
    sim = Simulation(1)
    script = timer_script(sim, 100 * MS)
    sim.add_process("p", script.factory)
    sim.run_for(50 * MS)
    sim.set_drift("p", 100_000)  # 50 ms of local time left, at 1.1x
    sim.run_for(100 * MS)
    [fired] = script.handled(kind="timer")
    assert fired.local == 100 * MS
    assert fired.time == 50 * MS + 45_454_546  # ceil(50 ms / 1.1)
    assert [r.note for r in records(sim, "drift")] == ["+100000 ppm"]


def test_bumping_a_clock_moves_local_time_and_timer_firing() -> None:
    sim = Simulation(1)
    script = timer_script(sim, 100 * MS)
    sim.add_process("p", script.factory)
    sim.run_for(10 * MS)
    sim.bump_clock("p", 30 * MS)
    assert sim.local_time("p") == 40 * MS
    sim.run_for(100 * MS)
    [fired] = script.handled(kind="timer")
    assert fired.time == 70 * MS and fired.local == 100 * MS


def test_a_timer_is_replaced_by_setting_it_again_and_cancel_stops_it() -> None:
    sim = Simulation(1)

    def start(process: Scripted, ctx: Context) -> None:
        ctx.set_timer("a", 10 * MS)
        ctx.set_timer("a", 20 * MS)
        ctx.set_timer("b", 5 * MS)
        ctx.cancel_timer("b")
        ctx.cancel_timer("never set")
        ctx.set_timer("zero", 0)

    script = Script(sim, on_start=start)
    sim.add_process("p", script.factory)
    sim.run()
    assert [(h.what, h.time) for h in script.handled(kind="timer")] == [("zero", 0), ("a", 20 * MS)]


def test_a_timer_set_in_its_own_handler_is_periodic() -> None:
    sim = Simulation(1)

    def start(process: Scripted, ctx: Context) -> None:
        ctx.set_timer("tick", 10 * MS)

    def tick(process: Scripted, ctx: Context, name: str) -> None:
        ctx.set_timer("tick", 10 * MS)

    script = Script(sim, on_start=start, on_timer=tick)
    sim.add_process("p", script.factory)
    sim.run(until=55 * MS)
    assert [h.time for h in script.handled(kind="timer")] == [10 * MS, 20 * MS, 30 * MS, 40 * MS, 50 * MS]
    assert sim.now == 55 * MS


def test_run_step_and_max_events() -> None:
    sim = Simulation(1, NetworkConfig(min_latency_ns=MS, max_latency_ns=MS))
    sim.add_mailbox("a")
    sim.add_mailbox("b")
    for i in range(5):
        sim.send_external("a", "b", i)
    assert sim.run(max_events=2) == 2
    assert sim.now == MS and len(sim.mailbox("b")) == 2
    assert sim.step()
    assert sim.run(until=MS // 2 * 3) == 2
    assert not sim.step()
    assert sim.run() == 0
    assert sim.events_processed == 5
    for i in range(3):
        sim.send_external("a", "b", i)  # all due at now + 1 ms
    assert sim.run(until=sim.now + 10 * MS, max_events=2) == 2
    assert sim.now == 3 * MS // 2 + MS  # stopped by max_events: at the last event
    assert sim.run(until=sim.now + 10 * MS, max_events=1) == 1
    assert sim.now == 3 * MS // 2 + 11 * MS  # nothing left before until: at until


def test_run_until_is_bounded_and_reports_whether_the_predicate_held() -> None:
    sim = Simulation(1, NetworkConfig(min_latency_ns=3 * MS, max_latency_ns=3 * MS))
    inbox = sim.mailbox("client")
    sim.add_mailbox("server")
    sim.send_external("server", "client", "reply")
    assert not sim.run_until(lambda: len(inbox) > 0, timeout_ns=2 * MS)
    assert sim.now == 2 * MS
    assert sim.run_until(lambda: len(inbox) > 0, timeout_ns=10 * MS)
    assert sim.now == 3 * MS
    assert sim.run_until(lambda: True, timeout_ns=0)
    # A periodic timer would make an unbounded run endless; run_until stops.
    script = Script(
        sim,
        on_start=lambda p, ctx: ctx.set_timer("t", MS),
        on_timer=lambda p, ctx, n: ctx.set_timer("t", MS),
    )
    sim.add_process("busy", script.factory)
    assert not sim.run_until(lambda: False, timeout_ns=100 * MS)
    assert sim.now == 103 * MS


def test_run_rejects_bad_bounds_and_reentry() -> None:
    sim = Simulation(1)
    sim.run_for(10)
    with pytest.raises(ValueError, match="before now"):
        sim.run(until=5)
    with pytest.raises(ValueError, match=">= 0"):
        sim.run_for(-1)
    with pytest.raises(ValueError, match=">= 0"):
        sim.run_until(lambda: False, timeout_ns=-1)
    with pytest.raises(ValueError, match=">= 0"):
        sim.run(max_events=-1)

    def reenter(process: Scripted, ctx: Context, name: str) -> None:
        sim.run_for(1)

    sim.add_process("p", Script(sim, on_start=lambda p, ctx: ctx.set_timer("t", 1), on_timer=reenter).factory)
    with pytest.raises(ProcessStateError, match="inside a handler"):
        sim.run()


def test_timer_delays_and_drift_are_validated() -> None:
    sim = Simulation(1)
    errors: list[Exception] = []

    def start(process: Scripted, ctx: Context) -> None:
        for bad in (-1, 1.5, True):
            try:
                ctx.set_timer("t", bad)  # type: ignore[arg-type]
            except (TypeError, ValueError) as error:
                errors.append(error)

    sim.add_process("p", Script(sim, on_start=start).factory)
    assert [type(e) for e in errors] == [ValueError, TypeError, TypeError]
    assert "delay must be >= 0" in str(errors[0])
    with pytest.raises(ValueError, match="a clock must advance"):
        sim.set_drift("p", -1_000_000)
    with pytest.raises(TypeError, match="ppm"):
        sim.set_drift("p", 0.5)  # type: ignore[arg-type]
