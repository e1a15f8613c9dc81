"""The kv suite (conformance/kv/machine.py) passes spec.kv's own store and catches each seeded bug,
naming the requirement the bug breaks (tests/kv/adapter.py describes the bugs)."""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.kv.machine import OpenWatch, machine_for
from conformance.violation import RequirementViolation
from spec.entropy import SeededEntropy
from spec.kv import CompactionRequest, EtcdError, PutRequest, RangeRequest, TxnRequest, WatchCreateRequest
from tests.kv.adapter import Bug, ModelProvider

#: Enough for each bug in a derandomized run (each is found within the first 20 examples).
EXAMPLES = 150
SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=30,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure's requirement is the point
)
BOTH = frozenset({"kv", "watch"})


def run(provider: ModelProvider, families: frozenset[str] = BOTH) -> None:
    run_state_machine_as_test(machine_for(provider, families=families), settings=SETTINGS)


@pytest.mark.requirement("KV-READ-LATEST", "KV-WATCH-RELIABLE")
def test_the_models_own_store_passes() -> None:
    run(ModelProvider())


@pytest.mark.parametrize(
    ("bug", "requirement"),
    [
        (Bug.DELETE_KEEPS_REVISION, "KV-REV-ONE-PER-TXN"),
        (Bug.WATCH_SKIPS_START, "KV-WATCH-RESUMABLE"),
        (Bug.TXN_APPLIED_TWICE, "KV-TXN-ATOMIC"),
        (Bug.REVOKE_IN_STEPS, "KV-LEASE-REVOKE-ATOMIC"),
        (Bug.EXPIRY_IN_STEPS, "KV-LEASE-EXPIRY"),
    ],
    ids=lambda value: value.name if isinstance(value, Bug) else value,
)
def test_each_seeded_bug_is_caught_with_its_requirement(bug: Bug, requirement: str) -> None:
    with pytest.raises(RequirementViolation) as caught:
        run(ModelProvider(bug))
    assert caught.value.requirement_id == requirement, str(caught.value)


def test_the_watch_family_is_what_catches_the_watch_bug() -> None:
    """Without watches the same store passes: the bug is in what a watch delivers, nothing else."""
    run(ModelProvider(Bug.WATCH_SKIPS_START), families=frozenset({"kv"}))


def test_an_expiry_too_early_is_caught() -> None:
    """A lessor whose clock runs at double speed: leases go at half their TTL (KV-LEASE-EXPIRY)."""

    class Hasty(ModelProvider):
        def new_cluster(self, *, size: int, entropy: object = None):  # type: ignore[no-untyped-def]
            cluster = super().new_cluster(size=size, entropy=entropy)
            advance = cluster.advance
            cluster.advance = lambda duration_ns: advance(2 * duration_ns)  # type: ignore[method-assign]
            return cluster

    with pytest.raises(RequirementViolation) as caught:
        run(Hasty(), families=frozenset({"kv"}))
    assert caught.value.requirement_id == "KV-LEASE-EXPIRY", str(caught.value)


def test_a_txn_refused_for_a_compacted_read_leaves_the_watch_history_alone() -> None:
    """The machine's never-compacted history (what watches are checked against) takes only the writes
    the model applied. A txn whose taken branch reads a compacted revision is refused; applied to the
    never-compacted history it would succeed, and a watch on the key it puts would be blamed for not
    delivering an event that never happened (KV-WATCH-RELIABLE against a correct store)."""
    machine = machine_for(ModelProvider(), families=BOTH)()
    machine.cluster = machine.provider.new_cluster(size=1, entropy=SeededEntropy(0))
    machine.client = machine.cluster.client(machine.cluster.members()[0])
    machine.exchange(PutRequest(b"a", b"1"))
    machine.exchange(PutRequest(b"a", b"2"))
    machine.exchange(CompactionRequest(machine.model.revision))
    watch = WatchCreateRequest(b"b")
    machine.watches.append(
        OpenWatch(watch, machine.client.watch(watch), machine.model.compact_revision, machine.model.revision)
    )
    read_compacted = RangeRequest(b"a", revision=machine.model.revision - 1)
    refused = machine.exchange(TxnRequest(success=(PutRequest(b"b", b""), read_compacted)))
    assert isinstance(refused, EtcdError) and refused.message.endswith("compacted"), refused
    machine._check_watches()  # raised KV-WATCH-RELIABLE before the fix
    assert machine.full.revision == machine.model.revision
