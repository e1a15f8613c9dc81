"""The trace renders as an aligned, readable timeline."""

from __future__ import annotations

from impl.sim import NetworkConfig, Simulation, Trace, TraceRecord, format_time
from tests.sim.helpers import MS, Idle


def test_format_time_keeps_nanoseconds() -> None:
    assert format_time(12_345_678) == "12.345678ms"
    assert format_time(0) == "0.000000ms"
    assert format_time(7) == "0.000007ms"
    assert format_time(3_600_000_000_000) == "3600000.000000ms"


def small_run() -> Simulation:
    sim = Simulation(1, NetworkConfig(min_latency_ns=12_345_678, max_latency_ns=12_345_678))
    sim.add_process("node-1", Idle)
    sim.add_mailbox("c")
    sim.send_external("c", "node-1", ("put", "k", 1))
    sim.run()
    sim.partition(["node-1"], ["c"])
    sim.crash("node-1")
    sim.note("phase two")
    return sim


def test_render_is_one_aligned_line_per_event() -> None:
    sim = small_run()
    expected = [
        " 0.000000ms  start      node-1       incarnation 0",
        " 0.000000ms  send       c -> node-1  #1 ('put', 'k', 1)",
        "12.345678ms  deliver    c -> node-1  #1 ('put', 'k', 1)",
        "12.345678ms  partition               {node-1} | {c}",
        "12.345678ms  crash      node-1       lost 0 unsynced writes",
        "12.345678ms  note                    phase two",
    ]
    assert sim.trace.lines() == expected
    assert sim.trace.render() == "\n".join(expected)


def test_render_last_shows_only_the_end_and_says_so() -> None:
    sim = small_run()
    rendered = sim.trace.render(last=2)
    assert rendered.split("\n") == [
        "... 4 earlier records not shown",
        "12.345678ms  crash      node-1  lost 0 unsynced writes",
        "12.345678ms  note               phase two",
    ]
    assert sim.trace.render(last=0) == "... 6 earlier records not shown"
    assert sim.trace.render(last=100) == sim.trace.render()


def test_records_are_structured() -> None:
    sim = small_run()
    deliver = sim.trace.records()[2]
    assert deliver == TraceRecord(12_345_678, "deliver", "c", "node-1", 1, ("put", "k", 1), None)
    assert deliver.where == "c -> node-1"
    assert deliver.detail == "#1 ('put', 'k', 1)"


def test_trace_limit_keeps_the_last_records() -> None:
    sim = Simulation(1, trace_limit=3)
    sim.add_mailbox("a")
    for i in range(10):
        sim.send_external("a", "a", i)
    sim.run()
    assert len(sim.trace) == 3
    assert [r.payload for r in sim.trace.records()] == [7, 8, 9]


def test_disabled_trace_records_nothing() -> None:
    trace = Trace(enabled=False)
    assert trace.append is None
    sim = Simulation(1, trace=False)
    sim.add_process("p", Idle)
    sim.send_external("p", "p", 1)
    sim.run_for(10 * MS)
    assert len(sim.trace) == 0 and sim.trace.lines() == []
