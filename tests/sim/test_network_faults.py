"""Message faults happen at the configured rates, and never at rate 0.

Each statistical test uses a fixed seed, so it is deterministic; the
tolerance is 5 standard deviations of the binomial distribution, so a
correct simulator passes for any seed but a rate off by a few percent fails.
"""

from __future__ import annotations

import math

import pytest

from impl.sim import Context, NetworkConfig, Simulation
from tests.sim.helpers import MS, Idle, burst, records

N = 20_000


def within_5_sigma(observed: int, trials: int, p: float) -> bool:
    mean = trials * p
    sigma = math.sqrt(trials * p * (1 - p))
    return abs(observed - mean) <= 5 * sigma


def sim_with(network: NetworkConfig, seed: int = 7) -> Simulation:
    sim = Simulation(seed, network)
    sim.add_mailbox("a")
    sim.add_mailbox("b")
    return sim


def test_binomial_tolerance_is_tight_enough_to_catch_a_wrong_rate() -> None:
    assert within_5_sigma(4000, N, 0.2)
    assert not within_5_sigma(4000, N, 0.22)
    assert not within_5_sigma(4000, N, 0.18)


@pytest.mark.parametrize("rate", [0.05, 0.3])
def test_drop_rate_is_observed(rate: float) -> None:
    sim = sim_with(NetworkConfig(drop_rate=rate))
    burst(sim, "a", "b", N)
    sim.run()
    delivered = len(sim.mailbox("b"))
    dropped = len(records(sim, "drop"))
    assert delivered + dropped == N
    assert within_5_sigma(dropped, N, rate), (dropped, N * rate)
    assert {r.note for r in records(sim, "drop")} == {"[random]"}


@pytest.mark.parametrize("rate", [0.05, 0.3])
def test_duplicate_rate_is_observed(rate: float) -> None:
    sim = sim_with(NetworkConfig(duplicate_rate=rate))
    burst(sim, "a", "b", N)
    sim.run()
    payloads = [p for _, p in sim.mailbox("b")]
    counts: dict[int, int] = {}
    for p in payloads:
        counts[p] = counts.get(p, 0) + 1
    assert sorted(counts) == list(range(N))
    assert set(counts.values()) <= {1, 2}
    twice = [p for p, c in counts.items() if c == 2]
    assert within_5_sigma(len(twice), N, rate), (len(twice), N * rate)
    assert sorted(r.payload for r in records(sim, "duplicate")) == sorted(twice)


def test_each_copy_of_a_duplicate_has_its_own_latency() -> None:
    sim = sim_with(NetworkConfig(duplicate_rate=1.0))
    for i in range(200):
        sim.send_external("a", "b", i)
        sim.run_for(10 * MS)  # far apart: FIFO never holds a copy back
    times: dict[int, list[int]] = {}
    for e in sim.mailbox("b").envelopes:
        times.setdefault(e.payload, []).append(e.time)
    assert all(len(t) == 2 for t in times.values())
    gaps = [t[1] - t[0] for t in times.values()]
    # The second copy never overtakes the first (FIFO holds it back); it is
    # later exactly when its own latency is larger, about half the time.
    assert min(gaps) >= 0
    assert within_5_sigma(sum(1 for g in gaps if g > 0), 200, 0.5)


def overtaken(order: list[int]) -> set[int]:
    """The messages that some later-sent message was delivered before."""
    result = set()
    largest_before = -1
    for m in order:
        if largest_before > m:
            result.add(m)
        largest_before = max(largest_before, m)
    return result


def test_overtaken_helper() -> None:
    assert overtaken([0, 1, 2]) == set()
    assert overtaken([1, 2, 0, 3]) == {0}
    assert overtaken([3, 0, 2, 1]) == {0, 1, 2}


@pytest.mark.parametrize("rate", [0.05, 0.3])
def test_reorder_rate_is_observed_and_reordered_messages_are_overtaken(rate: float) -> None:
    sim = sim_with(NetworkConfig(reorder_rate=rate))
    burst(sim, "a", "b", N)
    sim.run()
    order = [p for _, p in sim.mailbox("b")]
    assert sorted(order) == list(range(N))
    chosen = {r.payload for r in records(sim, "reorder")}
    assert within_5_sigma(len(chosen), N, rate), (len(chosen), N * rate)
    # Definition: a reordered message is overtaken by every non-reordered
    # message sent after it in the same instant. So every reordered message
    # that has a later non-reordered one is overtaken, and only reordered
    # messages are (those at the very end may also overtake each other).
    last_in_order = max(m for m in range(N) if m not in chosen)
    must = {m for m in chosen if m < last_in_order}
    assert must <= overtaken(order) <= chosen
    assert within_5_sigma(len(overtaken(order)), N, rate)


def test_reordered_message_is_overtaken_by_later_messages_sent_within_its_extra_delay() -> None:
    # Latency fixed at 1 ms; a reordered message arrives 1 ms + extra after
    # it was sent, extra in [1 ns, 1 ms], and the trace says when.
    sim = Simulation(3, NetworkConfig(min_latency_ns=MS, max_latency_ns=MS, reorder_rate=0.5))
    sim.add_mailbox("a")
    sim.add_mailbox("b")
    for i in range(2000):
        sim.send_external("a", "b", i)
        sim.run_for(1_000 * (i % 3))
    sim.run()
    sent_at = {r.payload: r.time for r in records(sim, "send")}
    arrives = {r.payload: parse_arrival(r.note) for r in records(sim, "reorder")}
    assert within_5_sigma(len(arrives), 2000, 0.5)
    delivered = {e.payload: e.time for e in sim.mailbox("b").envelopes}
    assert all(delivered[m] == t for m, t in arrives.items())
    position = {m: i for i, m in enumerate(p for _, p in sim.mailbox("b"))}
    checked = 0
    for m, arrival in arrives.items():
        extra = arrival - sent_at[m] - MS
        for later in range(m + 1, 2000):
            if later not in arrives and sent_at[later] - sent_at[m] < extra:
                assert position[later] < position[m], (m, later)
                checked += 1
    assert checked > 1000


def parse_arrival(note: str | None) -> int:
    assert note is not None and note.startswith("[arrives ") and note.endswith("ms]")
    whole, frac = note[len("[arrives ") : -len("ms]")].split(".")
    return int(whole) * MS + int(frac)


def test_no_faults_at_rate_zero() -> None:
    sim = sim_with(NetworkConfig(min_latency_ns=0, max_latency_ns=10 * MS))
    burst(sim, "a", "b", N)
    sim.run()
    assert [p for _, p in sim.mailbox("b")] == list(range(N))
    assert not records(sim, "drop")
    assert not records(sim, "duplicate")
    assert not records(sim, "reorder")


def test_fifo_per_link_without_reordering_even_with_drops_duplicates_and_jitter() -> None:
    sim = Simulation(
        11,
        NetworkConfig(min_latency_ns=0, max_latency_ns=20 * MS, drop_rate=0.2, duplicate_rate=0.3),
    )
    for name in ("a", "b", "c"):
        sim.add_mailbox(name)
    for sent in range(3000):
        # Several links at once, sent at irregular times shorter than the jitter.
        sim.send_external("a", "c", ("a", sent))
        sim.send_external("b", "c", ("b", sent))
        sim.send_external("a", "b", ("a", sent))
        sim.run_for((sent + 1) % 7 * 100_000)
    sim.run()
    for dst in ("b", "c"):
        per_link: dict[str, list[int]] = {}
        for src, (_, n) in sim.mailbox(dst):
            per_link.setdefault(src, []).append(n)
        for src, seq in per_link.items():
            assert seq == sorted(seq), f"{src} -> {dst} not FIFO"
            assert len(seq) > 2000
    assert records(sim, "duplicate") and records(sim, "drop")


def test_latency_stays_within_bounds_and_spreads_over_them() -> None:
    low, high = 2 * MS, 3 * MS
    sim = Simulation(5, NetworkConfig(min_latency_ns=low, max_latency_ns=high))
    sim.add_mailbox("a")
    sim.add_mailbox("b")
    for i in range(2000):
        sim.send_external("a", "b", i)
        sim.run_for(2 * high)  # far apart: FIFO never holds a message back
    latencies = [e.time - 2 * high * e.payload for e in sim.mailbox("b").envelopes]
    assert min(latencies) >= low and max(latencies) <= high
    assert min(latencies) < low + 0.01 * (high - low)
    assert max(latencies) > high - 0.01 * (high - low)
    mean = sum(latencies) / len(latencies)
    assert abs(mean - (low + high) / 2) < 0.05 * (high - low)


def test_network_can_be_changed_mid_run_for_a_liveness_phase() -> None:
    sim = sim_with(NetworkConfig(drop_rate=1.0))
    burst(sim, "a", "b", 100)
    sim.run()
    assert len(sim.mailbox("b")) == 0
    sim.network = sim.network.without_faults()
    assert sim.network == NetworkConfig()
    burst(sim, "a", "b", 100)
    sim.run()
    assert len(sim.mailbox("b")) == 100
    assert records(sim, "network")


def test_a_process_can_send_to_an_address_registered_after_it() -> None:
    sim = Simulation(1)
    sim.add_process("early", lambda: _Greeter("late"))
    sim.add_mailbox("late")
    sim.run()
    assert sim.mailbox("late").messages == [("early", "hello")]


class _Greeter(Idle):
    def __init__(self, peer: str) -> None:
        self.peer = peer

    def on_start(self, ctx: Context) -> None:
        ctx.send(self.peer, "hello")
