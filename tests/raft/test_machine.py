"""Pieces of the consensus state machine that are not Raft: the entropy that
turns fair for the liveness phase, and the machine factory."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.consensus.machine import CapabilityMachine, ConsensusMachine, FairLater, machine_for
from impl.raft.sim import SimulatedRaftProvider
from spec.entropy import SeededEntropy


class Constant:
    """An adversary's "randomness": always the lowest value (Hypothesis shrinks towards it)."""

    def random(self) -> float:
        return 0.0

    def randint(self, a: int, b: int) -> int:
        return a

    def choice(self, seq: list[int]) -> int:
        return seq[0]

    def fork(self, label: str) -> Constant:
        return self


def test_fair_later_follows_the_driven_stream_until_made_fair_and_forks_switch_with_it() -> None:
    entropy = FairLater(Constant(), SeededEntropy(1))  # type: ignore[arg-type]
    fork = entropy.fork("process:n1:0")
    assert [fork.randint(0, 10**9) for _ in range(3)] == [0, 0, 0]
    entropy.make_fair()
    fair = SeededEntropy(1).fork("process:n1:0")
    assert [fork.randint(0, 10**9) for _ in range(3)] == [fair.randint(0, 10**9) for _ in range(3)]


def test_machine_for_refuses_unknown_requirement_families() -> None:
    with pytest.raises(ValueError, match="unknown requirement families"):
        machine_for(SimulatedRaftProvider(), families=frozenset({"status", "vibes"}))


def test_a_black_box_cluster_passes_the_status_checks_and_the_liveness_phase() -> None:
    # Without logs, commit monotonicity and proposal outcomes rest on applied
    # entries alone; the machine must still run (and pass) on the reference.
    provider = SimulatedRaftProvider(exposes_logs=False)
    run_state_machine_as_test(
        machine_for(provider, families=frozenset({"status", "liveness"}), sizes=(3,)),
        settings=settings(
            settings.get_profile("default"),
            max_examples=15,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


def test_the_capability_rules_are_left_out_unless_offered_and_enabled() -> None:
    # Hypothesis draws among every rule a machine defines, so an adapter
    # without the capabilities must get the plain machine, not one whose
    # extra rules are merely disabled.
    plain = SimulatedRaftProvider(capabilities=frozenset())
    assert not issubclass(machine_for(plain), CapabilityMachine)
    core = frozenset({"status", "log", "liveness"})
    assert not issubclass(machine_for(SimulatedRaftProvider(), families=core), CapabilityMachine)
    assert issubclass(machine_for(SimulatedRaftProvider()), CapabilityMachine)
    assert issubclass(machine_for(plain), ConsensusMachine)
