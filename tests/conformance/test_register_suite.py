"""The register suite must catch broken registers: each broken core below has
one classic replication bug, and the stateful machine must find a violation
of the requirement that bug breaks (and pass the reference core)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.register.machine import machine_for
from conformance.violation import violated_requirements
from impl.register.adapter import SimulatedRegisterProvider
from impl.register.core import COMMIT_KEY, LOG_KEY, Append, AppendAck, Output, RegisterCore, Write

# No shrinking: these tests ask only whether a violation is found, and
# shrinking a failing run costs far more than finding it.
HUNT = settings(
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    max_examples=300,
    stateful_step_count=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class AcknowledgesBeforeSyncing(RegisterCore):
    """The leader writes its log to disk only on the next tick: a crash loses acknowledged writes."""

    def _client_write(self, client: str, write: Write) -> Output:
        output = super()._client_write(client, write)
        output.persist.pop(LOG_KEY, None)
        return output

    def tick(self) -> Output:
        return Output(persist={LOG_KEY: self.log}).then(super().tick())


class AppendsWithoutChecking(RegisterCore):
    """A follower appends whatever arrives, in arrival order: reordering and duplicates corrupt its log."""

    def _append(self, append: Append) -> Output:
        self.log = self.log + append.entries[-1:]
        return Output(persist={"log": self.log}, send=[(self.leader, AppendAck(len(self.log)))])


class NeverResends(RegisterCore):
    """No retransmission: a dropped Append is never repaired."""

    def tick(self) -> Output:
        return Output()


class ForgetsCommitIndex(RegisterCore):
    """Does not persist the commit index: a restarted leader serves reads older than acknowledged writes."""

    def _advance_commit(self) -> Output:
        output = super()._advance_commit()
        output.persist.pop(COMMIT_KEY, None)
        return output


def hunt(core_class: type[RegisterCore]) -> None:
    provider = SimulatedRegisterProvider(core_class=core_class)
    run_state_machine_as_test(machine_for(provider), settings=HUNT)


@pytest.mark.parametrize(
    ("core_class", "violated"),
    [
        (AcknowledgesBeforeSyncing, {"REG-READ-LATEST", "REG-REPLICA-PREFIX", "REG-CONVERGE"}),
        (AppendsWithoutChecking, {"REG-REPLICA-PREFIX", "REG-CONVERGE"}),
        (NeverResends, {"REG-CONVERGE"}),
        (ForgetsCommitIndex, {"REG-READ-LATEST"}),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else None,
)
def test_the_machine_catches_a_broken_register(core_class: type[RegisterCore], violated: set[str]) -> None:
    # Hypothesis may find several distinct failures and raise them as a group.
    with pytest.raises((AssertionError, ExceptionGroup)) as caught:
        hunt(core_class)
    found = set(violated_requirements(caught.value))
    assert found, f"the failure names no requirement: {caught.value!r}"
    assert found <= violated, f"expected violations of {violated}, got {found}"


def test_the_reference_register_passes_the_same_hunt() -> None:
    hunt(RegisterCore)
