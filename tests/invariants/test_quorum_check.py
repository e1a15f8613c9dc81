"""``check(state)``: each quorum invariant accepts good concrete states and rejects hand-built bad ones."""

from __future__ import annotations

from typing import Any

import pytest

import spec.quorum
from invariants.framework import Invariant
from invariants.quorum import (
    FAULT_TOLERANCE_BOUNDED,
    FAULT_TOLERANCE_SYMBOLIC,
    JOINT_INTERSECTION_BOUNDED,
    JOINT_INTERSECTION_SYMBOLIC,
    QUORUM_INTERSECTION_BOUNDED,
    QUORUM_INTERSECTION_SYMBOLIC,
    FaultToleranceClaim,
    JointClaims,
    QuorumClaims,
)
from spec.quorum import JointConfig
from tests.invariants import mutants
from tests.invariants.mutants import mutated


def members(names: str) -> frozenset[str]:
    return frozenset(names)


INTERSECTION = [QUORUM_INTERSECTION_BOUNDED, QUORUM_INTERSECTION_SYMBOLIC]
TOLERANCE = [FAULT_TOLERANCE_BOUNDED, FAULT_TOLERANCE_SYMBOLIC]
JOINT = [JOINT_INTERSECTION_BOUNDED, JOINT_INTERSECTION_SYMBOLIC]


def keys(invariant: Invariant[Any]) -> str:
    return invariant.key


# -- QUORUM-INTERSECTION ----------------------------------------------------------


@pytest.mark.parametrize("invariant", INTERSECTION, ids=keys)
def test_intersection_accepts_real_quorums(invariant: Invariant[QuorumClaims]) -> None:
    state = QuorumClaims(members("abcde"), (members("abc"), members("cde"), members("ace"), members("abcde")))
    assert invariant.check(state) == []


@pytest.mark.parametrize("invariant", INTERSECTION, ids=keys)
def test_intersection_rejects_two_halves_counted_as_quorums(invariant: Invariant[QuorumClaims]) -> None:
    state = QuorumClaims(members("abcd"), (members("ab"), members("cd")))
    problems = invariant.check(state)
    assert (
        "{a,b} was counted as a quorum of {a,b,c,d} but holds 2 of its 4 members, fewer than majority(4)=3"
        in (problems)
    )
    assert "quorums {a,b} and {c,d} of {a,b,c,d} share no member" in problems
    assert len(problems) == 3


@pytest.mark.parametrize("invariant", INTERSECTION, ids=keys)
def test_intersection_does_not_count_votes_of_non_members(invariant: Invariant[QuorumClaims]) -> None:
    # {a,x,y} shares x with {x,b,c}... but x is no member: only one real vote each.
    state = QuorumClaims(members("abc"), (members("axy"), members("xbc")))
    problems = invariant.check(state)
    assert any("{a,x,y} was counted as a quorum" in p for p in problems)
    assert "quorums {a,x,y} and {b,c,x} of {a,b,c} share no member" in problems


def test_intersection_check_sees_disjoint_quorums_even_under_a_wrong_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With quorum = n / 2 both halves pass as quorums; the disjointness is still reported.
    with mutated(monkeypatch, "majority", mutants.half_for_even):
        problems = QUORUM_INTERSECTION_BOUNDED.check(
            QuorumClaims(members("abcd"), (members("ab"), members("cd")))
        )
        assert problems == ["quorums {a,b} and {c,d} of {a,b,c,d} share no member"]


# -- QUORUM-FAULT-TOLERANCE ---------------------------------------------------------


@pytest.mark.parametrize("invariant", TOLERANCE, ids=keys)
@pytest.mark.parametrize(
    ("config", "tolerated"), [("a", 0), ("ab", 0), ("abc", 1), ("abcd", 1), ("abcde", 2), ("abcdefg", 3)]
)
def test_tolerance_accepts_the_seeds_numbers(
    invariant: Invariant[FaultToleranceClaim], config: str, tolerated: int
) -> None:
    assert invariant.check(FaultToleranceClaim(members(config), tolerated)) == []


@pytest.mark.parametrize("invariant", TOLERANCE, ids=keys)
def test_tolerance_rejects_a_claim_too_bold(invariant: Invariant[FaultToleranceClaim]) -> None:
    problems = invariant.check(FaultToleranceClaim(members("abcd"), 2))
    assert problems == [
        "n=4: 2 failures claimed tolerated, the seed's (n - 1) / 2 gives 1",
        "n=4: with {a,b} failed, {c,d} is no quorum, so 2 failures are not tolerated",
    ]


@pytest.mark.parametrize("invariant", TOLERANCE, ids=keys)
def test_tolerance_rejects_a_claim_too_cautious(invariant: Invariant[FaultToleranceClaim]) -> None:
    problems = invariant.check(FaultToleranceClaim(members("abcde"), 1))
    assert problems == [
        "n=5: 1 failure claimed tolerated, the seed's (n - 1) / 2 gives 2",
        "n=5: with {a,b} failed, {c,d,e} is still a quorum, so 1 is not the largest number of failures "
        "that leaves a quorum",
    ]


@pytest.mark.parametrize("invariant", TOLERANCE, ids=keys)
@pytest.mark.parametrize("tolerated", [-1, 4])
def test_tolerance_rejects_impossible_numbers(
    invariant: Invariant[FaultToleranceClaim], tolerated: int
) -> None:
    problems = invariant.check(FaultToleranceClaim(members("abc"), tolerated))
    assert problems[-1] == f"n=3: {tolerated} is not a number of members that can fail"
    assert len(problems) == 2


def test_tolerance_check_tries_every_choice_of_failed_members(monkeypatch: pytest.MonkeyPatch) -> None:
    # A rule that (wrongly) cares who failed: "a" alone makes a quorum. Taking the
    # first members in order would miss it; trying every choice does not.
    real = spec.quorum.is_quorum

    def a_is_enough(voters: frozenset[str], config: frozenset[str]) -> bool:
        return "a" in voters or real(voters, config)

    monkeypatch.setattr(spec.quorum, "is_quorum", a_is_enough)
    problems = FAULT_TOLERANCE_BOUNDED.check(FaultToleranceClaim(members("abcde"), 2))
    assert problems == [
        "n=5: with {b,c,d} failed, {a,e} is still a quorum, so 2 is not the largest number of failures "
        "that leaves a quorum"
    ]


# -- QUORUM-JOINT-INTERSECTION --------------------------------------------------------

JOINT_CONFIG = JointConfig(old=members("abc"), new=members("cde"))


@pytest.mark.parametrize("invariant", JOINT, ids=keys)
def test_joint_accepts_real_quorums(invariant: Invariant[JointClaims]) -> None:
    state = JointClaims(
        JOINT_CONFIG,
        joint_quorums=(members("bcd"), members("abde")),
        old_quorums=(members("ab"), members("bc")),
        new_quorums=(members("de"), members("cd")),
    )
    assert invariant.check(state) == []


@pytest.mark.parametrize("invariant", JOINT, ids=keys)
def test_joint_rejects_a_new_only_majority_counted_as_joint(invariant: Invariant[JointClaims]) -> None:
    state = JointClaims(JOINT_CONFIG, joint_quorums=(members("de"),), old_quorums=(members("ab"),))
    assert invariant.check(state) == [
        "{d,e} was counted as a joint quorum of old={a,b,c}, new={c,d,e} but is not a majority of both",
        "joint quorum {d,e} and quorum {a,b} of old={a,b,c} share no member of old",
    ]


@pytest.mark.parametrize("invariant", JOINT, ids=keys)
def test_joint_rejects_a_minority_counted_as_a_quorum_of_new(invariant: Invariant[JointClaims]) -> None:
    state = JointClaims(JOINT_CONFIG, joint_quorums=(members("abc"),), new_quorums=(members("e"),))
    problems = invariant.check(state)
    assert (
        "{a,b,c} was counted as a joint quorum of old={a,b,c}, new={c,d,e} but is not a majority of both"
        in (problems)
    )
    assert (
        "{e} was counted as a quorum of new={c,d,e} but holds 1 of its 3 members, fewer than majority(3)=2"
        in (problems)
    )
    assert "joint quorum {a,b,c} and quorum {e} of new={c,d,e} share no member of new" in problems


def test_joint_check_sees_disjointness_under_a_wrong_joint_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    with mutated(monkeypatch, "is_joint_quorum", mutants.joint_new_only):
        state = JointClaims(JOINT_CONFIG, joint_quorums=(members("de"),), old_quorums=(members("ab"),))
        assert JOINT_INTERSECTION_BOUNDED.check(state) == [
            "joint quorum {d,e} and quorum {a,b} of old={a,b,c} share no member of old"
        ]
