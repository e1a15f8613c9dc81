"""The quorum proofs hold for spec/quorum.py, and each of them fails, with a counterexample, for a wrong rule.

A mutation replaces a spec function (``spec.quorum.majority``, ...) and, for
the symbolic proofs, its encoding by a wrong rule whose encoding is checked
like the real one (``test_quorum_encodings.py``). Every counterexample is
then re-checked with the (mutated) Python functions: it is a real violation
of the wrong rule, not an artefact of Z3.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

import spec.quorum
from invariants.encoding import FiniteSets, evaluate
from invariants.framework import Counterexample, Invariant, ProofResult
from invariants.quorum import (
    FAULT_TOLERANCE_BOUNDED,
    FAULT_TOLERANCE_SYMBOLIC,
    JOINT_INTERSECTION_BOUNDED,
    JOINT_INTERSECTION_SYMBOLIC,
    JOINT_VOTERS,
    NEW,
    OLD,
    QUORUM_INTERSECTION_BOUNDED,
    QUORUM_INTERSECTION_SYMBOLIC,
    is_joint_quorum_term,
    spec_majority,
)
from spec.quorum import JointConfig
from tests.invariants import mutants
from tests.invariants.mutants import mutated

SET = r"\{m\d+(?:,m\d+)*\}"


def counterexample_of(result: ProofResult) -> Counterexample:
    assert result.outcome == "counterexample", f"the proof should fail: {result}"
    assert result.counterexample is not None
    return result.counterexample


def frozenset_value(found: Counterexample, name: str) -> frozenset[str]:
    value = found.values[name]
    assert isinstance(value, frozenset)
    return value


# -- the spec passes ------------------------------------------------------------


@pytest.mark.parametrize(
    "invariant",
    [
        QUORUM_INTERSECTION_BOUNDED,
        QUORUM_INTERSECTION_SYMBOLIC,
        FAULT_TOLERANCE_BOUNDED,
        FAULT_TOLERANCE_SYMBOLIC,
        JOINT_INTERSECTION_BOUNDED,
        JOINT_INTERSECTION_SYMBOLIC,
    ],
    ids=lambda invariant: invariant.key,
)
def test_the_spec_is_proved(invariant: Invariant[Any]) -> None:
    result = invariant.prove()
    assert result.proved, result
    assert result.counterexample is None


def test_default_bounds_are_the_issues() -> None:
    assert QUORUM_INTERSECTION_BOUNDED.prove().bounds == "n = 1..15, each n"
    assert JOINT_INTERSECTION_BOUNDED.default_bounds == {"max_old": 7, "max_new": 7}


# -- QUORUM-INTERSECTION ----------------------------------------------------------


def test_bounded_intersection_shows_two_disjoint_halves_of_four(monkeypatch: pytest.MonkeyPatch) -> None:
    with mutated(monkeypatch, "majority", mutants.half_for_even):
        found = counterexample_of(QUORUM_INTERSECTION_BOUNDED.prove({"min_members": 4, "max_members": 4}))
        assert re.fullmatch(
            rf"n=4, majority\(4\)=2: ({SET}) and ({SET}) are both quorums and share no member",
            found.description,
        ), found.description
        config, a, b = (frozenset_value(found, name) for name in ("config", "A", "B"))
        assert config == frozenset({"m0", "m1", "m2", "m3"})
        assert spec.quorum.is_quorum(a, config) and spec.quorum.is_quorum(b, config)
        assert not a & b & config


def test_bounded_intersection_fails_first_at_the_smallest_even_size(monkeypatch: pytest.MonkeyPatch) -> None:
    with mutated(monkeypatch, "majority", mutants.half_for_even):
        found = counterexample_of(QUORUM_INTERSECTION_BOUNDED.prove())
        assert found.values["n"] == 2
        assert re.fullmatch(
            r"n=2, majority\(2\)=1: \{m0\} and \{m1\} are both quorums and share no member", str(found)
        )
        # Odd sizes keep the right rule, so a proof over them alone still holds.
        assert QUORUM_INTERSECTION_BOUNDED.prove({"min_members": 3, "max_members": 3}).proved


def test_symbolic_intersection_fails_for_the_wrong_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    with mutated(monkeypatch, "majority", mutants.half_for_even, mutants.half_for_even_term):
        found = counterexample_of(QUORUM_INTERSECTION_SYMBOLIC.prove())
        n = found.values["n"]
        assert isinstance(n, int) and n % 2 == 0
        config, a, b = (frozenset_value(found, name) for name in ("config", "A", "B"))
        assert len(config) == n
        assert spec.quorum.is_quorum(a, config) and spec.quorum.is_quorum(b, config)
        assert not a & b & config
        assert "are both quorums and share no member" in found.description


# -- QUORUM-FAULT-TOLERANCE ---------------------------------------------------------


def assert_real_tolerance_violation(found: Counterexample) -> None:
    config, down = frozenset_value(found, "config"), frozenset_value(found, "down")
    tolerated = found.values["tolerated"]
    assert isinstance(tolerated, int)
    survivors_are_quorum = spec.quorum.is_quorum(config - down, config)
    if len(down) <= tolerated:
        assert not survivors_are_quorum
    else:
        assert len(down) == tolerated + 1 and survivors_are_quorum


@pytest.mark.parametrize(
    "invariant", [FAULT_TOLERANCE_BOUNDED, FAULT_TOLERANCE_SYMBOLIC], ids=["bounded", "symbolic"]
)
def test_tolerating_half_the_members_is_too_many(
    monkeypatch: pytest.MonkeyPatch, invariant: Invariant[Any]
) -> None:
    # Two members cannot lose one (seed: quorum of 3 is 2, and of 2 it is 2 as well).
    with mutated(monkeypatch, "fault_tolerance", mutants.tolerance_half, mutants.tolerance_half_term):
        found = counterexample_of(invariant.prove())
        assert re.fullmatch(
            r"n=2: fault_tolerance\(2\)=1, but with \{m\d\} failed the survivors \{m\d\} are no quorum "
            r"\(majority\(2\)=2\)",
            found.description,
        )
        assert_real_tolerance_violation(found)


@pytest.mark.parametrize(
    "invariant", [FAULT_TOLERANCE_BOUNDED, FAULT_TOLERANCE_SYMBOLIC], ids=["bounded", "symbolic"]
)
def test_tolerating_a_third_is_not_the_most(
    monkeypatch: pytest.MonkeyPatch, invariant: Invariant[Any]
) -> None:
    # n / 3 leaves a quorum, but 5 members survive 2 failures, not just 1 (seed: 5 -> 2).
    with mutated(monkeypatch, "fault_tolerance", mutants.tolerance_third, mutants.tolerance_third_term):
        found = counterexample_of(invariant.prove())
        assert found.values["n"] == 5 and found.values["tolerated"] == 1
        assert re.fullmatch(
            rf"n=5: fault_tolerance\(5\)=1, but with {SET} failed the survivors {SET} are still a quorum "
            r"\(majority\(5\)=3\), so 2 failures are tolerated",
            found.description,
        ), found.description
        assert_real_tolerance_violation(found)


def test_a_wrong_majority_breaks_the_tolerance_proof_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # The seed's formula is right, but with quorum = n / 2 two of four members down still leave "a quorum".
    with mutated(monkeypatch, "majority", mutants.half_for_even):
        found = counterexample_of(FAULT_TOLERANCE_BOUNDED.prove())
        assert "still a quorum" in found.description
        assert_real_tolerance_violation(found)


# -- QUORUM-JOINT-INTERSECTION --------------------------------------------------------


def assert_real_joint_violation(found: Counterexample) -> None:
    old, new, q = (frozenset_value(found, name) for name in ("old", "new", "Q"))
    assert spec.quorum.is_joint_quorum(q, JointConfig(old, new))
    side = found.values["side"]
    config, voters = (
        (old, frozenset_value(found, "A")) if side == "old" else (new, frozenset_value(found, "B"))
    )
    assert spec.quorum.is_quorum(voters, config)
    assert not q & voters & config


@pytest.mark.parametrize(
    "invariant", [JOINT_INTERSECTION_BOUNDED, JOINT_INTERSECTION_SYMBOLIC], ids=["bounded", "symbolic"]
)
def test_a_joint_rule_that_forgets_the_old_configuration_fails(
    monkeypatch: pytest.MonkeyPatch, invariant: Invariant[Any]
) -> None:
    with mutated(monkeypatch, "is_joint_quorum", mutants.joint_new_only, mutants.joint_new_only_term):
        found = counterexample_of(invariant.prove())
        assert found.values["side"] == "old"
        assert re.fullmatch(
            rf"old=({SET}), new=({SET}): ({SET}) is a joint quorum and ({SET}) a quorum of old, "
            r"and they share no member of old",
            found.description,
        ), found.description
        assert_real_joint_violation(found)


def test_a_stale_joint_encoding_is_caught_by_the_differential_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # is_joint_quorum has no table form: mutating only the Python function
    # leaves the proof about the old encoding, which still proves. The
    # differential comparison (test_quorum_encodings.py) is what catches that.
    with mutated(monkeypatch, "is_joint_quorum", mutants.joint_new_only):
        assert JOINT_INTERSECTION_BOUNDED.prove({"max_old": 3, "max_new": 3}).proved
        old, new, voters = frozenset({"m0"}), frozenset({"m1"}), frozenset({"m1"})
        sets = FiniteSets(["Q", "old", "new"], 2)
        term = is_joint_quorum_term(sets, JOINT_VOTERS, OLD, NEW, spec_majority(range(1, 3)))
        encoded = evaluate(term, sets.substitution({"Q": voters, "old": old, "new": new}))
        assert encoded != spec.quorum.is_joint_quorum(voters, JointConfig(old, new))


def test_a_wrong_majority_breaks_the_joint_proofs(monkeypatch: pytest.MonkeyPatch) -> None:
    with mutated(monkeypatch, "majority", mutants.half_for_even, mutants.half_for_even_term):
        for invariant in (JOINT_INTERSECTION_BOUNDED, JOINT_INTERSECTION_SYMBOLIC):
            assert_real_joint_violation(counterexample_of(invariant.prove()))
