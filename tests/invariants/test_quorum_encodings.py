"""The honesty rule: every Z3 encoding in invariants/quorum.py computes what its spec function computes.

Each test builds the term the way a proof builds it, substitutes concrete
values, reduces it to a constant and compares with the Python function of
spec/quorum.py on generated (and, for small sizes, all) inputs. The
mutants of ``mutants.py`` go through the same comparison, so the
counterexamples the mutation tests get are the wrong rule's, not an
encoding slip's. The last tests compare whole counterexample conditions,
as the proofs hand them to Z3, with the same condition in plain Python.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
import z3
from hypothesis import given
from hypothesis import strategies as st

import spec.quorum
from invariants import quorum as encodings
from invariants.encoding import FiniteSets, VennSets, evaluate, member_name, member_of
from invariants.quorum import (
    CONFIG,
    JOINT_VOTERS,
    NEW,
    OLD,
    MajorityOf,
    is_joint_quorum_term,
    is_quorum_term,
    spec_majority,
    symbolic_majority,
)
from spec.quorum import JointConfig
from tests.invariants import mutants
from tests.invariants.mutants import mutated

UNIVERSE = tuple(member_name(i) for i in range(8))
member_sets = st.frozensets(st.sampled_from(UNIVERSE))
configs = st.frozensets(st.sampled_from(UNIVERSE), min_size=1)
names = st.text("abcdefgh", min_size=1, max_size=2)
sizes = st.integers(1, 10**12)

INT_RULES: dict[str, tuple[Callable[[int], int], Callable[[z3.ArithRef], z3.ArithRef]]] = {
    "majority": (spec.quorum.majority, encodings.majority_term),
    "fault_tolerance": (spec.quorum.fault_tolerance, encodings.fault_tolerance_term),
    **{f"mutant majority {k}": v for k, v in mutants.MAJORITY_MUTANTS.items()},
    **{f"mutant fault_tolerance {k}": v for k, v in mutants.TOLERANCE_MUTANTS.items()},
}


def disagreements(
    python: Callable[[int], int], term: Callable[[z3.ArithRef], z3.ArithRef], values: range
) -> list[int]:
    n = z3.Int("n")
    built = term(n)
    return [value for value in values if evaluate(built, [(n, z3.IntVal(value))]) != python(value)]


@pytest.mark.parametrize("rule", INT_RULES)
def test_integer_terms_agree_on_every_small_size(rule: str) -> None:
    python, term = INT_RULES[rule]
    assert disagreements(python, term, range(1, 3001)) == []


@pytest.mark.parametrize("rule", INT_RULES)
@given(n=sizes)
def test_integer_terms_agree_on_large_sizes(rule: str, n: int) -> None:
    python, term = INT_RULES[rule]
    assert disagreements(python, term, range(n, n + 1)) == []


def test_a_stale_encoding_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # Mutate the spec function but not its encoding: the comparison notices,
    # which is why a symbolic proof over majority_term is about spec.quorum.majority.
    with mutated(monkeypatch, "majority", mutants.half_for_even):
        assert disagreements(spec.quorum.majority, encodings.majority_term, range(1, 9)) == [2, 4, 6, 8]


@given(n=st.integers(1, 40))
def test_the_tabulated_majority_is_the_spec_function(n: int) -> None:
    size = z3.Int("size")
    term = spec_majority(range(1, 41))(size)
    assert evaluate(term, [(size, z3.IntVal(n))]) == spec.quorum.majority(n)


def test_the_tabulated_majority_follows_a_mutated_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    size = z3.Int("size")
    with mutated(monkeypatch, "majority", mutants.half_for_even):
        term = spec_majority(range(1, 9))(size)
        assert [evaluate(term, [(size, z3.IntVal(n))]) for n in range(1, 9)] == [1, 1, 2, 2, 3, 3, 4, 4]


MAJORITIES: dict[str, Callable[[], MajorityOf]] = {
    "tabulated (bounded proofs)": lambda: spec_majority(range(1, len(UNIVERSE) + 1)),
    "majority_term (symbolic proofs)": symbolic_majority,
}


@pytest.mark.parametrize("majority", MAJORITIES)
@given(voters=member_sets, config=configs)
def test_is_quorum_term_over_finite_sets(
    majority: str, voters: frozenset[str], config: frozenset[str]
) -> None:
    sets = FiniteSets(["voters", "config"], len(UNIVERSE))
    term = is_quorum_term(sets, member_of("voters"), CONFIG, MAJORITIES[majority]())
    substitution = sets.substitution({"voters": voters, "config": config})
    assert evaluate(term, substitution) == spec.quorum.is_quorum(voters, config)


@given(voters=st.frozensets(names), config=st.frozensets(names, min_size=1))
def test_is_quorum_term_over_venn_sets(voters: frozenset[str], config: frozenset[str]) -> None:
    sets = VennSets(["voters", "config"])
    term = is_quorum_term(sets, member_of("voters"), CONFIG, symbolic_majority())
    substitution = sets.substitution({"voters": voters, "config": config})
    assert evaluate(term, substitution) == spec.quorum.is_quorum(voters, config)


def test_is_quorum_term_on_every_pair_of_a_small_universe() -> None:
    universe = UNIVERSE[:4]
    every = [frozenset(c) for k in range(5) for c in itertools.combinations(universe, k)]
    sets = FiniteSets(["voters", "config"], 4)
    term = is_quorum_term(sets, member_of("voters"), CONFIG, spec_majority(range(1, 5)))
    for voters, config in itertools.product(every, every[1:]):
        substitution = sets.substitution({"voters": voters, "config": config})
        assert evaluate(term, substitution) == spec.quorum.is_quorum(voters, config), (voters, config)


JOINT_RULES = {
    "spec": (lambda: spec.quorum.is_joint_quorum, lambda: is_joint_quorum_term),
    "mutant new only": (lambda: mutants.joint_new_only, lambda: mutants.joint_new_only_term),
}


@pytest.mark.parametrize("rule", JOINT_RULES)
@given(voters=member_sets, old=configs, new=configs)
def test_is_joint_quorum_term_over_finite_sets(
    rule: str, voters: frozenset[str], old: frozenset[str], new: frozenset[str]
) -> None:
    python, term = (make() for make in JOINT_RULES[rule])
    sets = FiniteSets(["Q", "old", "new"], len(UNIVERSE))
    built = term(sets, JOINT_VOTERS, OLD, NEW, spec_majority(range(1, len(UNIVERSE) + 1)))
    substitution = sets.substitution({"Q": voters, "old": old, "new": new})
    assert evaluate(built, substitution) == python(voters, JointConfig(old, new))


@pytest.mark.parametrize("rule", JOINT_RULES)
@given(
    voters=st.frozensets(names), old=st.frozensets(names, min_size=1), new=st.frozensets(names, min_size=1)
)
def test_is_joint_quorum_term_over_venn_sets(
    rule: str, voters: frozenset[str], old: frozenset[str], new: frozenset[str]
) -> None:
    python, term = (make() for make in JOINT_RULES[rule])
    sets = VennSets(["Q", "old", "new"])
    built = term(sets, JOINT_VOTERS, OLD, NEW, symbolic_majority())
    substitution = sets.substitution({"Q": voters, "old": old, "new": new})
    assert evaluate(built, substitution) == python(voters, JointConfig(old, new))


# -- whole counterexample conditions, as the proofs pose them -----------------


def intersection_broken(config: frozenset[str], a: frozenset[str], b: frozenset[str]) -> bool:
    return spec.quorum.is_quorum(a, config) and spec.quorum.is_quorum(b, config) and not a & b & config


@given(n=st.integers(1, len(UNIVERSE)), data=st.data())
def test_bounded_intersection_condition(n: int, data: st.DataObject) -> None:
    members = frozenset(UNIVERSE[:n])
    a, b = (
        data.draw(st.frozensets(st.sampled_from(sorted(members)))),
        data.draw(st.frozensets(st.sampled_from(sorted(members)))),
    )
    sets = FiniteSets(["A", "B"], n, fixed={"config": members})
    condition = z3.And(*encodings.QUORUM_INTERSECTION_BOUNDED.violation(sets, spec_majority(range(1, n + 1))))
    assert evaluate(condition, sets.substitution({"A": a, "B": b})) == intersection_broken(members, a, b)


@given(config=st.frozensets(names, min_size=1), a=st.frozensets(names), b=st.frozensets(names))
def test_symbolic_intersection_condition(
    config: frozenset[str], a: frozenset[str], b: frozenset[str]
) -> None:
    sets = VennSets(["config", "A", "B"])
    condition = z3.And(*encodings.QUORUM_INTERSECTION_SYMBOLIC.violation(sets, symbolic_majority()))
    substitution = sets.substitution({"config": config, "A": a, "B": b})
    assert evaluate(condition, substitution) == intersection_broken(config, a, b)


def tolerance_broken(config: frozenset[str], down: frozenset[str], tolerated: int) -> bool:
    failed = len(down & config)
    survivors_are_quorum = spec.quorum.is_quorum(config - down, config)
    return (
        tolerated < 0
        or (failed <= tolerated and not survivors_are_quorum)
        or (failed == tolerated + 1 and survivors_are_quorum)
    )


@pytest.mark.parametrize("tolerated", [-1, 0, 1, 2, 3, 4])
@given(down=member_sets, config=configs)
def test_fault_tolerance_condition(tolerated: int, down: frozenset[str], config: frozenset[str]) -> None:
    sets = FiniteSets(["down", "config"], len(UNIVERSE))
    condition = encodings.FAULT_TOLERANCE_BOUNDED.violation(
        sets, z3.IntVal(tolerated), spec_majority(range(1, len(UNIVERSE) + 1))
    )
    substitution = sets.substitution({"down": down, "config": config})
    assert evaluate(condition, substitution) == tolerance_broken(config, down, tolerated)


@given(down=st.frozensets(names), config=st.frozensets(names, min_size=1))
def test_symbolic_fault_tolerance_condition(down: frozenset[str], config: frozenset[str]) -> None:
    sets = VennSets(["config", "down"])
    tolerated = encodings.fault_tolerance_term(sets.count(CONFIG))
    condition = encodings.FAULT_TOLERANCE_SYMBOLIC.violation(sets, tolerated, symbolic_majority())
    substitution = sets.substitution({"config": config, "down": down})
    expected = tolerance_broken(config, down, spec.quorum.fault_tolerance(len(config)))
    assert evaluate(condition, substitution) == expected


def joint_broken(
    old: frozenset[str], new: frozenset[str], q: frozenset[str], a: frozenset[str], b: frozenset[str]
) -> bool:
    if not spec.quorum.is_joint_quorum(q, JointConfig(old, new)):
        return False
    misses_old = spec.quorum.is_quorum(a, old) and not q & a & old
    misses_new = spec.quorum.is_quorum(b, new) and not q & b & new
    return misses_old or misses_new


@pytest.mark.parametrize("invariant", ["bounded", "symbolic"])
@given(old=configs, new=configs, q=member_sets, a=member_sets, b=member_sets)
def test_joint_intersection_condition(
    invariant: str,
    old: frozenset[str],
    new: frozenset[str],
    q: frozenset[str],
    a: frozenset[str],
    b: frozenset[str],
) -> None:
    checked = {
        "bounded": encodings.JOINT_INTERSECTION_BOUNDED,
        "symbolic": encodings.JOINT_INTERSECTION_SYMBOLIC,
    }
    if invariant == "bounded":
        sets: FiniteSets | VennSets = FiniteSets(
            ["Q", "A", "B"], len(UNIVERSE), fixed={"old": old, "new": new}
        )
        majority_of = spec_majority(range(1, len(UNIVERSE) + 1))
        substitution = sets.substitution({"Q": q, "A": a, "B": b})
    else:
        sets = VennSets(["old", "new", "Q", "A", "B"])
        majority_of = symbolic_majority()
        substitution = sets.substitution({"old": old, "new": new, "Q": q, "A": a, "B": b})
    joint, misses_old, misses_new = checked[invariant].violation(sets, majority_of)
    condition = z3.And(*joint, z3.Or(misses_old, misses_new))
    assert evaluate(condition, substitution) == joint_broken(old, new, q, a, b)
