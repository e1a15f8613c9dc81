"""Bad inputs are rejected with errors that say what is wrong."""

from __future__ import annotations

import math
from typing import Any

import pytest

from impl.sim import (
    NetworkConfig,
    ProcessStateError,
    SeededEntropy,
    Simulation,
    SimulationError,
    UnknownAddressError,
)
from tests.sim.helpers import Idle


@pytest.mark.parametrize("field", ["drop_rate", "duplicate_rate", "reorder_rate"])
@pytest.mark.parametrize("value", [-0.1, 1.0001, math.nan, math.inf])
def test_rates_outside_0_1_are_rejected(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"{field} must be between 0 and 1"):
        NetworkConfig(**{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["drop_rate", "duplicate_rate", "reorder_rate"])
def test_rates_must_be_numbers(field: str) -> None:
    with pytest.raises(TypeError, match=field):
        NetworkConfig(**{field: "0.5"})  # type: ignore[arg-type]


def test_rates_at_the_bounds_are_accepted() -> None:
    NetworkConfig(drop_rate=0, duplicate_rate=1, reorder_rate=1.0)


def test_latency_bounds_are_checked() -> None:
    with pytest.raises(ValueError, match=r"min_latency_ns \(5\) must be <= max_latency_ns \(4\)"):
        NetworkConfig(min_latency_ns=5, max_latency_ns=4)
    with pytest.raises(ValueError, match="min_latency_ns must be >= 0"):
        NetworkConfig(min_latency_ns=-1)
    with pytest.raises(TypeError, match="max_latency_ns must be an int"):
        NetworkConfig(max_latency_ns=1.5)  # type: ignore[arg-type]
    NetworkConfig(min_latency_ns=0, max_latency_ns=0)


def test_unknown_addresses_are_rejected_with_the_known_ones_listed() -> None:
    sim = Simulation(1)
    sim.add_process("n1", Idle)
    for call in (
        lambda: sim.crash("n9"),
        lambda: sim.restart("n9"),
        lambda: sim.pause("n9"),
        lambda: sim.resume("n9"),
        lambda: sim.set_drift("n9", 1),
        lambda: sim.process("n9"),
        lambda: sim.disk("n9"),
        lambda: sim.send_external("n9", "n1", "x"),
        lambda: sim.connected("n1", "n9"),
    ):
        with pytest.raises(UnknownAddressError, match=r"unknown address 'n9' \(known: 'n1'\)"):
            call()


def test_a_message_to_an_address_nobody_registers_fails_at_delivery() -> None:
    sim = Simulation(1)
    sim.add_mailbox("a")
    sim.send_external("a", "typo", "hello")
    with pytest.raises(UnknownAddressError, match=r"message #1 from 'a' 'hello': unknown address 'typo'"):
        sim.run()


def test_addresses_must_be_new_non_empty_strings_without_whitespace() -> None:
    sim = Simulation(1)
    sim.add_process("n1", Idle)
    with pytest.raises(SimulationError, match="'n1' is already registered"):
        sim.add_process("n1", Idle)
    with pytest.raises(SimulationError, match="already registered"):
        sim.add_mailbox("n1")
    with pytest.raises(ProcessStateError, match="is a process, not a mailbox"):
        sim.mailbox("n1")
    for bad in ("", "n 2", "n2\n"):
        with pytest.raises(ValueError, match="non-empty str without whitespace"):
            sim.add_process(bad, Idle)
    with pytest.raises(TypeError, match="an address is a str"):
        sim.add_mailbox(2)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be callable"):
        sim.add_process("n3", Idle())  # type: ignore[arg-type]


def test_entropy_and_network_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="seed must be >= 0"):
        Simulation(-1)
    with pytest.raises(TypeError, match="got a bool"):
        Simulation(True)
    with pytest.raises(TypeError, match="NetworkConfig"):
        Simulation(1, network={"drop_rate": 0.5})  # type: ignore[arg-type]
    sim = Simulation(1)
    with pytest.raises(TypeError, match="NetworkConfig"):
        sim.network = None  # type: ignore[assignment]
    with pytest.raises(TypeError, match="seed must be an int"):
        SeededEntropy("1")  # type: ignore[arg-type]


def test_trace_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="trace limit"):
        Simulation(1, trace_limit=0)
    sim = Simulation(1)
    with pytest.raises(ValueError, match="last must be >= 0"):
        sim.trace.lines(last=-1)


def test_send_external_payload_any_and_src_must_be_known() -> None:
    sim = Simulation(1)
    sim.add_mailbox("a")
    payloads: list[Any] = [None, (1, "x"), b"bytes"]
    for p in payloads:
        sim.send_external("a", "a", p)
    sim.run()
    assert [p for _, p in sim.mailbox("a")] == payloads
