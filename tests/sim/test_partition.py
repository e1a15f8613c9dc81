"""Partitions: nothing crosses groups until healed, in-flight messages included."""

from __future__ import annotations

from typing import Any

import pytest

from impl.sim import (
    Context,
    NetworkConfig,
    ProcessStateError,
    Simulation,
    UnknownAddressError,
)
from tests.sim.helpers import MS, Script, Scripted, records

FIXED_10MS = NetworkConfig(min_latency_ns=10 * MS, max_latency_ns=10 * MS)


def make_sim(*addresses: str, network: NetworkConfig = FIXED_10MS) -> Simulation:
    sim = Simulation(1, network)
    for address in addresses:
        sim.add_mailbox(address)
    return sim


def received(sim: Simulation, address: str) -> list[tuple[str, Any]]:
    return sim.mailbox(address).messages


def test_partition_drops_across_groups_and_delivers_within() -> None:
    sim = make_sim("a", "b", "c")
    sim.partition(["a", "c"], ["b"])
    sim.send_external("a", "b", "a->b")
    sim.send_external("b", "a", "b->a")
    sim.send_external("a", "c", "a->c")
    sim.send_external("c", "a", "c->a")
    sim.run()
    assert received(sim, "b") == []
    assert received(sim, "a") == [("c", "c->a")]
    assert received(sim, "c") == [("a", "a->c")]
    assert sorted(r.payload for r in records(sim, "drop")) == ["a->b", "b->a"]
    assert {r.note for r in records(sim, "drop")} == {"[partition]"}


def test_messages_in_flight_when_the_partition_starts_are_lost() -> None:
    sim = make_sim("a", "b")
    sim.send_external("a", "b", "in flight")
    sim.run_for(5 * MS)
    sim.partition(["a"], ["b"])
    sim.run_for(20 * MS)
    assert received(sim, "b") == []
    drop = records(sim, "drop")
    assert [(r.time, r.payload) for r in drop] == [(10 * MS, "in flight")]


def test_after_heal_messages_get_through_again_including_those_in_flight() -> None:
    sim = make_sim("a", "b")
    sim.partition(["a"], ["b"])
    sim.send_external("a", "b", "lost")
    sim.run_for(20 * MS)
    sim.send_external("a", "b", "in flight at heal")
    sim.run_for(5 * MS)
    sim.heal()
    sim.send_external("a", "b", "after heal")
    sim.send_external("b", "a", "reply after heal")
    sim.run()
    assert received(sim, "b") == [("a", "in flight at heal"), ("a", "after heal")]
    assert received(sim, "a") == [("b", "reply after heal")]


def test_addresses_in_no_group_are_not_partitioned() -> None:
    sim = make_sim("a", "b", "outsider")
    sim.partition(["a"], ["b"])
    for dst in ("a", "b"):
        sim.send_external("outsider", dst, f"to {dst}")
        sim.send_external(dst, "outsider", f"from {dst}")
    sim.send_external("a", "b", "cut")
    sim.run()
    assert received(sim, "a") == [("outsider", "to a")]
    assert received(sim, "b") == [("outsider", "to b")]
    assert sorted(p for _, p in received(sim, "outsider")) == ["from a", "from b"]
    assert sim.connected("outsider", "a") and not sim.connected("a", "b")


def test_isolate_cuts_one_address_off_from_every_other() -> None:
    sim = make_sim("a", "b", "c")
    sim.isolate("b")
    assert sim.partition_groups == (("b",), ("a", "c"))
    for src in ("a", "c"):
        sim.send_external(src, "b", src)
        sim.send_external("b", src, "b")
    sim.send_external("a", "c", "a")
    sim.run()
    assert received(sim, "b") == []
    assert received(sim, "c") == [("a", "a")]
    assert received(sim, "a") == []


def test_a_new_partition_replaces_the_previous_one() -> None:
    sim = make_sim("a", "b", "c")
    sim.partition(["a"], ["b", "c"])
    sim.partition(["a", "b"], ["c"])
    sim.send_external("a", "b", 1)
    sim.send_external("a", "c", 2)
    sim.run()
    assert received(sim, "b") == [("a", 1)]
    assert received(sim, "c") == []


def test_partition_between_processes_with_a_chatty_protocol() -> None:
    # Processes that keep pinging each other; count what crosses per phase.
    sim = Simulation(3, NetworkConfig(min_latency_ns=MS, max_latency_ns=3 * MS))
    peers = ("p1", "p2", "p3")

    def start(process: Scripted, ctx: Context) -> None:
        ctx.set_timer("ping", MS)

    def ping(process: Scripted, ctx: Context, name: str) -> None:
        for peer in peers:
            if peer != ctx.address:
                ctx.send(peer, "ping")
        ctx.set_timer("ping", MS)

    script = Script(sim, on_start=start, on_timer=ping)
    for peer in peers:
        sim.add_process(peer, script.factory)
    sim.run_for(20 * MS)
    sim.partition(["p1"], ["p2", "p3"])
    cut_at = sim.now
    sim.run_for(50 * MS)
    healed_at = sim.now
    sim.heal()
    sim.run_for(20 * MS)
    messages = script.handled(kind="message")
    during = [h for h in messages if cut_at < h.time <= healed_at]
    assert during and all({h.src, h.address} <= {"p2", "p3"} for h in during)
    after = [h for h in messages if h.time > healed_at + 3 * MS]
    assert {(h.src, h.address) for h in after} == {(a, b) for a in peers for b in peers if a != b}


def test_partition_rejects_bad_groups() -> None:
    sim = make_sim("a", "b")
    with pytest.raises(UnknownAddressError, match="'nope'"):
        sim.partition(["a"], ["nope"])
    with pytest.raises(ValueError, match="more than one partition group"):
        sim.partition(["a", "b"], ["b"])
    with pytest.raises(TypeError, match=r"partition\(\['a'\]"):
        sim.partition("a", "b")
    with pytest.raises(UnknownAddressError):
        sim.isolate("nope")
    with pytest.raises(ProcessStateError):
        sim.crash("a")  # a mailbox
    assert sim.partition_groups == ()
