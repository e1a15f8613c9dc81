"""invariants/encoding.py: set models, tabulated functions and evaluation agree with plain Python."""

from __future__ import annotations

import itertools

import pytest
import z3
from hypothesis import given
from hypothesis import strategies as st

from invariants.encoding import (
    FiniteSets,
    VennSets,
    all_of,
    both,
    evaluate,
    member_name,
    member_of,
    render_set,
    tabulate,
    without,
)

UNIVERSE = tuple(member_name(i) for i in range(6))
subsets = st.frozensets(st.sampled_from(UNIVERSE))
A, B, C = member_of("A"), member_of("B"), member_of("C")
# Each expression with what it means on concrete sets.
EXPRESSIONS = {
    "A": (A, lambda a, b, c: a),
    "A & B": (both(A, B), lambda a, b, c: a & b),
    "A & B & C": (all_of(A, B, C), lambda a, b, c: a & b & c),
    "A - B": (without(A, B), lambda a, b, c: a - b),
    "(A & C) - B": (without(both(A, C), B), lambda a, b, c: (a & c) - b),
}


@pytest.mark.parametrize("expression", EXPRESSIONS)
@given(a=subsets, b=subsets, c=subsets)
def test_finite_sets_count_what_python_counts(
    expression: str, a: frozenset[str], b: frozenset[str], c: frozenset[str]
) -> None:
    sets = FiniteSets(["A", "B", "C"], len(UNIVERSE))
    encoded, meaning = EXPRESSIONS[expression]
    substitution = sets.substitution({"A": a, "B": b, "C": c})
    assert evaluate(sets.count(encoded), substitution) == len(meaning(a, b, c))


@pytest.mark.parametrize("expression", EXPRESSIONS)
@given(
    a=st.frozensets(st.text("xyz", min_size=1, max_size=3)),
    b=st.frozensets(st.text("xyz", min_size=1, max_size=3)),
    c=st.frozensets(st.text("xyz", min_size=1, max_size=3)),
)
def test_venn_sets_count_what_python_counts(
    expression: str, a: frozenset[str], b: frozenset[str], c: frozenset[str]
) -> None:
    sets = VennSets(["A", "B", "C"])
    encoded, meaning = EXPRESSIONS[expression]
    substitution = sets.substitution({"A": a, "B": b, "C": c})
    assert evaluate(sets.count(encoded), substitution) == len(meaning(a, b, c))


@given(a=subsets, b=subsets)
def test_finite_sets_decode_what_the_solver_was_told(a: frozenset[str], b: frozenset[str]) -> None:
    sets = FiniteSets(["A", "B"], len(UNIVERSE))
    solver = z3.Solver()
    solver.add(*[var == value for var, value in sets.substitution({"A": a, "B": b})])
    assert solver.check() == z3.sat
    assert sets.decode(solver.model()) == {"A": a, "B": b}


@given(a=subsets, b=subsets, c=subsets)
def test_venn_sets_decode_sets_with_the_same_region_sizes(
    a: frozenset[str], b: frozenset[str], c: frozenset[str]
) -> None:
    sets = VennSets(["A", "B", "C"])
    solver = z3.Solver()
    solver.add(*[var == value for var, value in sets.substitution({"A": a, "B": b, "C": c})])
    assert solver.check() == z3.sat
    decoded = sets.decode(solver.model())
    # Members are renamed, but every Boolean combination keeps its size.
    for _, meaning in EXPRESSIONS.values():
        assert len(meaning(decoded["A"], decoded["B"], decoded["C"])) == len(meaning(a, b, c))


def test_fixed_sets_are_constants() -> None:
    config = frozenset(UNIVERSE[:3])
    sets = FiniteSets(["A"], len(UNIVERSE), fixed={"config": config})
    assert evaluate(sets.count(member_of("config")), []) == 3
    assert (
        evaluate(sets.count(both(A, member_of("config"))), sets.substitution({"A": frozenset(UNIVERSE)})) == 3
    )
    with pytest.raises(ValueError, match="fixed"):
        sets.substitution({"config": frozenset()})


def test_sets_outside_the_universe_are_refused() -> None:
    with pytest.raises(ValueError, match="outside the universe"):
        FiniteSets(["A"], 2).substitution({"A": frozenset({"m7"})})
    with pytest.raises(ValueError, match="outside the universe"):
        FiniteSets(["A"], 2, fixed={"config": frozenset({"x"})})
    with pytest.raises(ValueError, match="every set at once"):
        VennSets(["A", "B"]).substitution({"A": frozenset()})


@given(table=st.lists(st.integers(-50, 50), min_size=1, max_size=20), start=st.integers(-5, 5))
def test_tabulate_is_the_python_function_on_its_domain(table: list[int], start: int) -> None:
    domain = range(start, start + len(table))

    def fn(n: int) -> int:
        return table[n - start]

    n = z3.Int("n")
    term = tabulate(fn, n, domain)
    for value in domain:
        assert evaluate(term, [(n, z3.IntVal(value))]) == fn(value)


def test_tabulate_leaves_values_outside_its_domain_unconstrained() -> None:
    n = z3.Int("n")
    term = tabulate(lambda value: value, n, range(1, 4))
    with pytest.raises(ValueError, match="not a constant"):
        evaluate(term, [(n, z3.IntVal(9))])
    # So a proof leaning on a value outside the table finds a counterexample instead of a fact.
    solver = z3.Solver()
    solver.add(n == 9, term == 12345)
    assert solver.check() == z3.sat


def test_evaluate_refuses_a_term_with_free_variables() -> None:
    x = z3.Int("x")
    with pytest.raises(ValueError, match="not a constant"):
        evaluate(x + 1, [])
    assert evaluate(x + 1, [(x, z3.IntVal(2))]) == 3
    assert evaluate(x > 1, [(x, z3.IntVal(2))]) is True


def test_render_set_orders_members_naturally() -> None:
    assert render_set({"m10", "m2", "m1"}) == "{m1,m2,m10}"
    assert render_set(set()) == "{}"


def test_small_universes_exhaustively() -> None:
    # Every pair of subsets of a 4-member universe, not just sampled ones.
    universe = UNIVERSE[:4]
    sets = FiniteSets(["A", "B"], 4)
    every_subset = [frozenset(c) for k in range(5) for c in itertools.combinations(universe, k)]
    for a, b in itertools.product(every_subset, repeat=2):
        assert evaluate(sets.count(without(A, B)), sets.substitution({"A": a, "B": b})) == len(a - b)
