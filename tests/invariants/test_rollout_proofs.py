"""The rollout and ReplicaSet proofs hold for spec/workloads/, and each fails, with a counterexample,
for a wrong rule put in its place (tests/invariants/mutants.py).

Every counterexample of a bounded proof is re-checked with the (mutated) Python functions: the
state it names, stepped by the mutated spec, violates the requirement according to the
invariant's ``check``; so it is the wrong rule's fault, not an encoding slip. The symbolic
deployment proofs turn their aggregated counterexample back into concrete ReplicaSets, re-checked
the same way.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

import spec.workloads.deployment as rollout
import spec.workloads.replicaset as replicaset
from invariants.deployment import (
    ROLLOUT_AVAILABILITY_BOUNDED,
    ROLLOUT_AVAILABILITY_SYMBOLIC,
    ROLLOUT_PROGRESS_BOUNDED,
    ROLLOUT_PROGRESS_SYMBOLIC,
    ROLLOUT_SURGE_BOUNDED,
    ROLLOUT_SURGE_SYMBOLIC,
    RolloutStep,
)
from invariants.framework import Bounds, Counterexample, Invariant, ProofResult
from invariants.replicaset import (
    CONVERGE_BOUNDED,
    CONVERGE_SYMBOLIC,
    SLOW_START_BOUNDED,
    SLOW_START_SYMBOLIC,
    ReplicaSetSync,
)
from spec.workloads.deployment import RolloutState
from tests.invariants import mutants
from tests.invariants.mutants import swapped

ROLLOUT = [
    ROLLOUT_SURGE_BOUNDED,
    ROLLOUT_SURGE_SYMBOLIC,
    ROLLOUT_AVAILABILITY_BOUNDED,
    ROLLOUT_AVAILABILITY_SYMBOLIC,
    ROLLOUT_PROGRESS_BOUNDED,
    ROLLOUT_PROGRESS_SYMBOLIC,
]
REPLICASET = [CONVERGE_BOUNDED, CONVERGE_SYMBOLIC, SLOW_START_BOUNDED, SLOW_START_SYMBOLIC]


def key(invariant: Invariant[Any]) -> str:
    return invariant.key


def counterexample_of(result: ProofResult) -> Counterexample:
    assert result.outcome == "counterexample", f"the proof should fail: {result}"
    assert result.counterexample is not None
    return result.counterexample


# -- the spec passes, within the issue's bounds ---------------------------------------------------


@pytest.mark.parametrize("invariant", ROLLOUT + REPLICASET, ids=key)
def test_the_spec_is_proved(invariant: Invariant[Any]) -> None:
    result = invariant.prove()
    assert result.proved, result
    assert result.seconds < 20


def test_default_bounds_are_the_issues() -> None:
    assert ROLLOUT_SURGE_BOUNDED.prove().bounds == "replicas 0..10,000, ints or 0..100%, 0..3 old RSs"
    assert ROLLOUT_AVAILABILITY_SYMBOLIC.prove().bounds == (
        "any replicas (int32), ints or 0..1000%, any number of old RSs"
    )
    assert CONVERGE_BOUNDED.default_bounds == {"max_pods": 10_000}


def test_availability_needs_observed_status(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without "status not ahead of spec" upstream's algorithm breaks the requirement: an old
    # ReplicaSet just scaled from 2 to 1 still shows 2 available pods, the scale-down counts them
    # and takes the one that was to stay.
    monkeypatch.setattr(type(ROLLOUT_AVAILABILITY_BOUNDED), "assumptions", lambda self, before: [])
    found = counterexample_of(ROLLOUT_AVAILABILITY_BOUNDED.prove())
    before = found.values["before"]
    assert isinstance(before, RolloutState) and not rollout.is_observed(before)
    after = rollout.rollout_step(before)
    assert rollout.kept_available(after) < min(
        rollout.kept_available(before), rollout.required_available(before)
    )
    documented = RolloutState(
        1,
        1,
        0,
        rollout.ReplicaSetState(0, 0, 0),
        (rollout.ReplicaSetState(1, 0, 0), rollout.ReplicaSetState(1, 2, 2)),
    )
    assert [rs.replicas for rs in rollout.rollout_step(documented).old] == [0, 0]
    assert rollout.kept_available(documented) == 1 == rollout.required_available(documented)


# -- mutants ---------------------------------------------------------------------------------------

#: Which proofs each mutant breaks; the others must still hold (a mutant is not a broken build).
ROLLOUT_BREAKS = {
    "surge rounded down": {"DEPLOY-ROLL-AVAILABILITY"},
    "surge rounded up as floor + 1": {"DEPLOY-ROLL-SURGE"},
    "unavailable rounded up": {"DEPLOY-ROLL-AVAILABILITY"},
    "no fallback when both resolve to 0": {"DEPLOY-ROLL-PROGRESS"},
    "old ReplicaSets scaled without the availability check": {"DEPLOY-ROLL-AVAILABILITY"},
}
REPLICASET_BREAKS = {
    "slow start that does not stop at a failed batch": {"REPLICASET-SLOW-START"},
    "no burstReplicas cap": {"REPLICASET-CONVERGE", "REPLICASET-SLOW-START"},
    "creates spec.replicas pods, not the difference": {"REPLICASET-CONVERGE"},
    "slow start from a batch of 0": {"REPLICASET-CONVERGE"},
}
#: How some counterexamples read (the others are checked for being real violations only).
REPLICASET_READS = {
    ("slow start that does not stop at a failed batch", "REPLICASET-SLOW-START:bounded"): (
        "spec.replicas=2, 0 active pods, creations #0, #1 fail: creation batches (1, 1): 0 of 2 created -> 0 "
        "active: 2 creations failed but only 0 succeeded; 2 creations failed, more than the last batch (1): "
        "a batch started after one with a failure"
    ),
    ("slow start that does not stop at a failed batch", "REPLICASET-SLOW-START:symbolic"): (
        "slow start of 2 creations, 0 made: a batch of 1 with 1 failing leaves 1 attempted, 0 created and "
        "the loop going on"
    ),
    # Too many creations or too many deletions: Z3 may find either, both break the cap.
    ("no burstReplicas cap", "REPLICASET-SLOW-START:bounded"): (
        "spec.replicas=501, 0 active pods, every call succeeds: creation batches "
        "(1, 2, 4, 8, 16, 32, 64, 128, 246): 501 of 501 created -> 501 active: 501 creations attempted, "
        "more than burstReplicas=500",
        "spec.replicas=0, 501 active pods, every call succeeds: 501 of 501 deleted -> 0 active: "
        "501 deletions attempted, more than burstReplicas=500",
    ),
    ("creates spec.replicas pods, not the difference", "REPLICASET-CONVERGE:bounded"): (
        "spec.replicas=2, 1 active pods, every call succeeds: creation batches (1, 1): 2 of 2 created -> 3 "
        "active: 3 active pods is past spec.replicas=2 or further from it than 1; every call succeeded, yet "
        "the distance is 1 -> 1, not 0"
    ),
    ("slow start from a batch of 0", "REPLICASET-CONVERGE:symbolic"): (
        "slow start of 1 creations with a first batch of 0: no batch runs and 0 of 1 are created, although "
        "none failed"
    ),
}
# Smaller than the issue's bounds where a mutant's counterexample is small, to keep this quick;
# the sync without a burst cap needs more than 500 pods to show.
QUICK: dict[str, Bounds] = {
    "bounded-rollout": {"max_replicas": 100, "max_percent": 100, "max_old": 2},
    "symbolic-rollout": {"max_percent": 100},
    "bounded-replicaset": {"max_pods": 600},
    "symbolic-replicaset": {},
}


def reads(found: Counterexample, expected: str) -> None:
    """``found`` reads ``expected``, where ``<0>``/``<1>`` is a value Z3 may give as an int or a percentage
    (they tie in size, e.g. ``maxUnavailable=0`` and ``0%``)."""
    pattern = re.escape(expected).replace("<0>", "0%?").replace("<1>", "1%?")
    assert re.fullmatch(pattern, found.description), found.description


def assert_real_rollout_violation(invariant: Invariant[RolloutStep], found: Counterexample) -> None:
    before, after = found.values["before"], found.values["after"]
    assert isinstance(before, RolloutState) and isinstance(after, RolloutState)
    assert rollout.rollout_step(before) == after  # the (mutated) spec's own step
    assert invariant.check(RolloutStep(before, after)), found.description


def test_every_mutant_breaks_a_proof_and_every_proof_is_broken_by_a_mutant() -> None:
    assert set(ROLLOUT_BREAKS) == set(mutants.ROLLOUT_MUTANTS)
    assert set(REPLICASET_BREAKS) == set(mutants.REPLICASET_MUTANTS)
    assert all(ROLLOUT_BREAKS.values()) and all(REPLICASET_BREAKS.values())
    broken = set().union(*ROLLOUT_BREAKS.values(), *REPLICASET_BREAKS.values())
    assert {i.id for i in ROLLOUT + REPLICASET} == broken


@pytest.mark.parametrize("invariant", ROLLOUT, ids=key)
@pytest.mark.parametrize("mutant", list(mutants.ROLLOUT_MUTANTS))
def test_rollout_mutants(
    monkeypatch: pytest.MonkeyPatch, mutant: str, invariant: Invariant[RolloutStep]
) -> None:
    with swapped(monkeypatch, mutants.ROLLOUT_MUTANTS[mutant]):
        result = invariant.prove(QUICK[f"{invariant.method}-rollout"])
        if invariant.id not in ROLLOUT_BREAKS[mutant]:
            assert result.proved, result
            return
        found = counterexample_of(result)
        assert re.fullmatch(
            r"replicas=\d+, maxSurge=\d+%?, maxUnavailable=\d+%?; new RS spec \d+ .*; "
            r"old RSs \(oldest first\) .*: the reconcile (scales .*|changes nothing): .*",
            found.description,
        ), found.description
        assert_real_rollout_violation(invariant, found)


@pytest.mark.parametrize("invariant", REPLICASET, ids=key)
@pytest.mark.parametrize("mutant", list(mutants.REPLICASET_MUTANTS))
def test_replicaset_mutants(
    monkeypatch: pytest.MonkeyPatch, mutant: str, invariant: Invariant[ReplicaSetSync]
) -> None:
    with swapped(monkeypatch, mutants.REPLICASET_MUTANTS[mutant]):
        result = invariant.prove(QUICK[f"{invariant.method}-replicaset"])
        if invariant.id not in REPLICASET_BREAKS[mutant]:
            assert result.proved, result
            return
        found = counterexample_of(result)
        if (mutant, invariant.key) in REPLICASET_READS:
            readings = REPLICASET_READS[mutant, invariant.key]
            assert found.description in ((readings,) if isinstance(readings, str) else readings)
        if invariant.method == "bounded":
            replicas, active, done = found.values["replicas"], found.values["active"], found.values["result"]
            assert isinstance(replicas, int) and isinstance(active, int)
            assert isinstance(done, replicaset.SyncResult)
            outcomes = found.values["outcomes"]
            assert isinstance(outcomes, replicaset.Outcomes)
            assert replicaset.manage_replicas(replicas, active, outcomes) == done
            assert invariant.check(ReplicaSetSync(replicas, active, done)), found.description


# -- the counterexamples read as the issue asks -----------------------------------------------------------


def test_surge_rounded_up_one_too_many(monkeypatch: pytest.MonkeyPatch) -> None:
    with swapped(monkeypatch, mutants.ROLLOUT_MUTANTS["surge rounded up as floor + 1"]):
        found = counterexample_of(ROLLOUT_SURGE_BOUNDED.prove())
    reads(
        found,
        "replicas=1, maxSurge=0%, maxUnavailable=<1>; new RS spec 0 (0 available); old RSs (oldest first) "
        "spec 1 (0 available, 0 pods): the reconcile scales the new RS 0 -> 1: sum of spec.replicas "
        "1 -> 2 > 1 = replicas + maxSurge(0)",
    )
    # The issue's example, on the spec's functions: 25% of 4 is exactly 1, and floor + 1 makes 2.
    state = RolloutState(
        4, "25%", 0, rollout.ReplicaSetState.settled(0), (rollout.ReplicaSetState.settled(4),)
    )
    with swapped(monkeypatch, mutants.ROLLOUT_MUTANTS["surge rounded up as floor + 1"]):
        after = rollout.rollout_step(state)
    problems = ROLLOUT_SURGE_BOUNDED.check(RolloutStep(state, after))
    assert problems == [
        "replicas=4, maxSurge=25%, maxUnavailable=0; new RS spec 0 (0 available); old RSs (oldest first) "
        "spec 4 (4 available): the reconcile scales the new RS 0 -> 2: sum of spec.replicas 4 -> 6 > 5 = "
        "replicas + maxSurge(1)"
    ]


def test_surge_rounded_down_takes_the_only_pod(monkeypatch: pytest.MonkeyPatch) -> None:
    # 1% of 1 replica rounded down is 0 surge; with maxUnavailable 0 that is "both 0", so one pod
    # may go: the only one.
    with swapped(monkeypatch, mutants.ROLLOUT_MUTANTS["surge rounded down"]):
        found = counterexample_of(ROLLOUT_AVAILABILITY_BOUNDED.prove())
    reads(
        found,
        "replicas=1, maxSurge=1%, maxUnavailable=<0>; new RS spec 0 (0 available); old RSs (oldest first) "
        "spec 1 (1 available): the reconcile scales old RS #1 1 -> 0: available pods kept 1 -> 0 < 1 = "
        "replicas - maxUnavailable(0)",
    )


def test_no_fallback_is_stuck(monkeypatch: pytest.MonkeyPatch) -> None:
    with swapped(monkeypatch, mutants.ROLLOUT_MUTANTS["no fallback when both resolve to 0"]):
        found = counterexample_of(ROLLOUT_PROGRESS_BOUNDED.prove())
    reads(
        found,
        "replicas=1, maxSurge=<0>, maxUnavailable=1%; new RS spec 0 (0 available); old RSs (oldest first) "
        "spec 1 (1 available): the reconcile changes nothing: every pod is available and the rollout is "
        "not complete, yet nothing changes (rank 2)",
    )


def test_symbolic_availability_counterexamples_are_concrete(monkeypatch: pytest.MonkeyPatch) -> None:
    # The aggregated old ReplicaSet comes back as two: the available pods in the older one.
    with swapped(
        monkeypatch, mutants.ROLLOUT_MUTANTS["old ReplicaSets scaled without the availability check"]
    ):
        found = counterexample_of(ROLLOUT_AVAILABILITY_SYMBOLIC.prove())
        assert_real_rollout_violation(ROLLOUT_AVAILABILITY_SYMBOLIC, found)
    before = found.values["before"]
    assert isinstance(before, RolloutState) and len(before.old) == 2
    assert "available pods kept 1 -> 0 < 1" in found.description
