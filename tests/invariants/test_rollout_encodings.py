"""The honesty rule for invariants/intstr.py and invariants/deployment.py: every Z3 encoding
computes what its spec function computes.

Each test builds the term the way a proof builds it, substitutes a generated ``RolloutState``
(percentages that round and ones that do not, ReplicaSets whose status lags their spec, 0..3 old
ReplicaSets), reduces it to a constant and compares with the Python function of
spec/workloads/deployment.py. The mutants of ``mutants.py`` go through the same comparison, and so
do the whole counterexample conditions of the proofs, against the invariants' ``check``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import z3
from hypothesis import given
from hypothesis import strategies as st

import spec.workloads.deployment as rollout
from invariants import deployment as encodings
from invariants.deployment import (
    ROLLOUT_AVAILABILITY_BOUNDED,
    ROLLOUT_AVAILABILITY_SYMBOLIC,
    ROLLOUT_PROGRESS_BOUNDED,
    ROLLOUT_SURGE_BOUNDED,
    ReplicaSetTerms,
    RolloutStep,
    RolloutTerms,
)
from invariants.encoding import Substitution, evaluate
from invariants.intstr import IntOrPercentTerm, scaled_value_term
from spec.intstr import IntOrString, scaled_value
from spec.workloads.deployment import ReplicaSetState, RolloutState
from tests.invariants import mutants
from tests.invariants.mutants import swapped

# Percentages within the 7 bits of a bounded proof, some of which round (33% of 10).
percents = st.integers(0, 127).map(lambda p: f"{p}%")
ints = st.one_of(st.integers(0, 40), st.integers(0, 2**31 - 1))
int_or_percents = st.one_of(percents, ints.map(IntOrString), percents.map(IntOrString))


@st.composite
def replica_sets(draw: st.DrawFn, observed: bool = False) -> ReplicaSetState:
    replicas = draw(st.integers(0, 30))
    available = draw(st.integers(0, replicas) if observed else st.integers(0, 40))
    return ReplicaSetState(replicas, available, draw(st.integers(available, 45)))


@st.composite
def rollout_states(draw: st.DrawFn, observed: bool = False, big: bool = False) -> RolloutState:
    replicas = draw(st.integers(0, 10_000) if big else st.integers(0, 30))
    max_surge = draw(st.one_of(percents, st.integers(0, 40)))
    max_unavailable = draw(st.one_of(st.integers(0, 100).map(lambda p: f"{p}%"), st.integers(0, 40)))
    if str(max_surge).rstrip("%") == "0" and str(max_unavailable).rstrip("%") == "0":
        max_unavailable = draw(st.sampled_from([1, "1%"]))  # validation: not both 0
    old = tuple(draw(st.lists(replica_sets(observed), max_size=3)))
    return RolloutState(replicas, max_surge, max_unavailable, draw(replica_sets(observed)), old)


def settled(state: RolloutState) -> RolloutState:
    return rollout.replace(
        state,
        new=ReplicaSetState.settled(state.new.replicas),
        old=tuple(ReplicaSetState.settled(rs.replicas) for rs in state.old),
    )


def terms_for(state: RolloutState) -> tuple[RolloutTerms, Substitution]:
    terms = RolloutTerms.fresh(len(state.old))
    return terms, terms.substitution(state)


def replicas_of(terms: RolloutTerms, substitution: Substitution) -> tuple[int, tuple[int, ...]]:
    return (
        int(evaluate(terms.new.replicas, substitution)),
        tuple(int(evaluate(rs.replicas, substitution)) for rs in terms.old),
    )


def python_replicas(state: RolloutState) -> tuple[int, tuple[int, ...]]:
    return state.new.replicas, tuple(rs.replicas for rs in state.old)


# -- invariants/intstr.py ------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [7, 10])
@given(data=st.data(), total=st.one_of(st.integers(0, 200), st.integers(0, 10**9)), round_up=st.booleans())
def test_scaled_value_term_is_scaled_value(
    data: st.DataObject, bits: int, total: int, round_up: bool
) -> None:
    value = data.draw(st.one_of(st.integers(0, 2**bits - 1).map(lambda p: f"{p}%"), ints))
    term = IntOrPercentTerm.fresh("v", bits)
    t = z3.Int("total")
    built = scaled_value_term(term, t, round_up)
    substitution = [*term.substitution(value), (t, z3.IntVal(total))]
    assert evaluate(built, substitution) == scaled_value(value, total, round_up)


def test_scaled_value_term_rounds_like_the_spec_on_every_small_case() -> None:
    term, t = IntOrPercentTerm.fresh("v"), z3.Int("total")
    for round_up in (True, False):
        built = scaled_value_term(term, t, round_up)
        for percent in range(0, 101):
            for total in range(0, 41):
                substitution = [*term.substitution(f"{percent}%"), (t, z3.IntVal(total))]
                assert evaluate(built, substitution) == scaled_value(f"{percent}%", total, round_up)


def test_int_or_percent_terms_refuse_what_their_bits_cannot_hold() -> None:
    with pytest.raises(ValueError, match="bits"):
        IntOrPercentTerm.fresh("v").substitution("128%")
    with pytest.raises(ValueError, match="bits"):
        IntOrPercentTerm.fresh("v").constraints(max_percent=128)
    solver = z3.Solver()
    term = IntOrPercentTerm.fresh("v")
    solver.add(*term.constraints(max_percent=100), term.is_percent, term.amount == 33)
    assert solver.check() == z3.sat
    assert term.value(solver.model()) == IntOrString("33%")


# -- invariants/deployment.py: functions of the Deployment ---------------------------------------

RESOLVERS = {
    "resolve_max_surge": (lambda: rollout.resolve_max_surge, lambda: encodings.resolve_max_surge_term),
    "resolve_max_unavailable": (
        lambda: rollout.resolve_max_unavailable,
        lambda: encodings.resolve_max_unavailable_term,
    ),
}
MUTANTS = {
    name: mutant
    for name, mutant in mutants.ROLLOUT_MUTANTS.items()
    if name != "old ReplicaSets scaled without the availability check"
}


@contextmanager
def maybe(mutant: str | None) -> Iterator[None]:
    """The spec (None) or a mutant in its place; a context manager, not the fixture, for Hypothesis."""
    if mutant is None:
        yield
    else:
        with pytest.MonkeyPatch.context() as patch, swapped(patch, mutants.ROLLOUT_MUTANTS[mutant]):
            yield


ALL_MUTANTS: list[str | None] = [None, *mutants.ROLLOUT_MUTANTS]


@pytest.mark.parametrize("mutant", [None, *MUTANTS])
@given(state=rollout_states(big=True))
def test_resolution_terms(mutant: str | None, state: RolloutState) -> None:
    with maybe(mutant):
        terms, substitution = terms_for(state)
        surge, unavailable = encodings.resolve_fenceposts_term(
            terms.max_surge, terms.max_unavailable, terms.replicas
        )
        assert (
            evaluate(surge, substitution),
            evaluate(unavailable, substitution),
        ) == rollout.resolve_fenceposts(state.max_surge, state.max_unavailable, state.replicas)
        for python, term in RESOLVERS.values():
            assert evaluate(term()(terms.max_surge, terms.replicas), substitution) == python()(
                state.max_surge, state.replicas
            )
        assert evaluate(encodings.resolved_max_unavailable_term(terms), substitution) == (
            rollout.resolved_max_unavailable(state)
        )


@given(state=rollout_states(big=True))
def test_requirement_bound_terms(state: RolloutState) -> None:
    terms, substitution = terms_for(state)
    assert evaluate(encodings.allowed_total_term(terms), substitution) == rollout.allowed_total(state)
    assert evaluate(encodings.required_available_term(terms), substitution) == rollout.required_available(
        state
    )
    assert evaluate(encodings.kept_available_term(terms), substitution) == rollout.kept_available(state)
    assert evaluate(encodings.rollout_rank_term(terms), substitution) == rollout.rollout_rank(state)
    assert evaluate(encodings.is_observed_term(terms), substitution) == rollout.is_observed(state)
    assert evaluate(encodings.is_settled_term(terms), substitution) == rollout.is_settled(state)
    assert evaluate(encodings.is_settled_term(terms_for(settled(state))[0]), terms_for(settled(state))[1])
    assert evaluate(encodings.deployment_complete_term(terms), substitution) == rollout.deployment_complete(
        state
    )


@pytest.mark.parametrize("mutant", ALL_MUTANTS)
@given(
    replicas=st.integers(0, 10_000),
    max_surge=st.one_of(percents, st.integers(0, 100)),
    all_replicas=st.integers(0, 20_000),
    new_replicas=st.integers(0, 10_000),
)
def test_new_rs_new_replicas_term(
    mutant: str | None,
    replicas: int,
    max_surge: int | str,
    all_replicas: int,
    new_replicas: int,
) -> None:
    with maybe(mutant):
        r, total, new = z3.Ints("r total new")
        term = IntOrPercentTerm.fresh("maxSurge")
        built = encodings.new_rs_new_replicas_term(r, term, total, new)
        substitution = [
            *term.substitution(max_surge),
            (r, z3.IntVal(replicas)),
            (total, z3.IntVal(all_replicas)),
            (new, z3.IntVal(new_replicas)),
        ]
        assert evaluate(built, substitution) == rollout.new_rs_new_replicas(
            replicas, max_surge, all_replicas, new_replicas
        )


# -- the loops and the step ----------------------------------------------------------------------


@given(old=st.lists(replica_sets(), max_size=3), max_cleanup=st.integers(-2, 40))
def test_cleanup_unhealthy_replicas_term(old: list[ReplicaSetState], max_cleanup: int) -> None:
    terms = [ReplicaSetTerms.fresh(f"old{i}") for i in range(len(old))]
    budget = z3.Int("budget")
    substitution: Substitution = [(budget, z3.IntVal(max_cleanup))]
    for t, rs in zip(terms, old, strict=True):
        substitution += t.substitution(rs)
    built = encodings.cleanup_unhealthy_replicas_term(terms, budget)
    expected = rollout.cleanup_unhealthy_replicas(old, max_cleanup)
    assert tuple(evaluate(r, substitution) for r in built.replicas) == tuple(
        rs.replicas for rs in expected.old
    )
    assert evaluate(built.cleaned, substitution) == expected.cleaned
    assert evaluate(built.failed, substitution) == expected.failed


STEPS = {
    "reconcile_new_replica_set": (
        lambda: rollout.reconcile_new_replica_set,
        lambda: encodings.reconcile_new_replica_set_term,
    ),
    "reconcile_old_replica_sets": (
        lambda: rollout.reconcile_old_replica_sets,
        lambda: encodings.reconcile_old_replica_sets_term,
    ),
    "scale_down_old_replica_sets": (
        lambda: rollout.scale_down_old_replica_sets,
        lambda: encodings.scale_down_old_replica_sets_term,
    ),
    "rollout_step": (lambda: rollout.rollout_step, lambda: encodings.rollout_step_term),
}


@pytest.mark.parametrize("mutant", ALL_MUTANTS)
@pytest.mark.parametrize("function", STEPS)
@given(state=rollout_states())
def test_step_terms(function: str, mutant: str | None, state: RolloutState) -> None:
    with maybe(mutant):
        python, term = STEPS[function]
        terms, substitution = terms_for(state)
        assert replicas_of(term()(terms), substitution) == python_replicas(python()(state))


@given(state=rollout_states())
def test_step_terms_on_settled_states(state: RolloutState) -> None:
    state = settled(state)
    terms, substitution = terms_for(state)
    assert replicas_of(encodings.rollout_step_term(terms), substitution) == python_replicas(
        rollout.rollout_step(state)
    )


@given(state=rollout_states())
def test_reconcile_old_parts_report_the_cleanup(state: RolloutState) -> None:
    terms, substitution = terms_for(state)
    cleaned, after = encodings.reconcile_old_replica_sets_parts(terms)
    assert replicas_of(after, substitution) == python_replicas(rollout.reconcile_old_replica_sets(state))
    # What the cleanup left is between the state before and after the whole reconcile.
    for c, before_rs, after_r in zip(cleaned, state.old, replicas_of(after, substitution)[1], strict=True):
        assert after_r <= evaluate(c, substitution) <= before_rs.replicas


# -- whole counterexample conditions, against check ----------------------------------------------


def condition(invariant: encodings._RolloutInvariant, terms: RolloutTerms) -> z3.BoolRef:
    return z3.And(
        *invariant.assumptions(terms), invariant.violation(terms, encodings.rollout_step_term(terms))
    )


@pytest.mark.parametrize("mutant", ALL_MUTANTS)
@pytest.mark.parametrize(
    "invariant",
    [ROLLOUT_SURGE_BOUNDED, ROLLOUT_AVAILABILITY_BOUNDED, ROLLOUT_PROGRESS_BOUNDED],
    ids=lambda invariant: invariant.id,
)
@given(state=st.one_of(rollout_states(), rollout_states(observed=True), rollout_states().map(settled)))
def test_counterexample_conditions_are_check(
    invariant: encodings._RolloutInvariant,
    mutant: str | None,
    state: RolloutState,
) -> None:
    with maybe(mutant):
        terms, substitution = terms_for(state)
        violated = bool(invariant.check(RolloutStep(state, rollout.rollout_step(state))))
        assert evaluate(condition(invariant, terms), substitution) == violated


@given(state=rollout_states(observed=True))
def test_the_aggregate_bound_is_below_what_any_step_keeps(state: RolloutState) -> None:
    # The symbolic availability proof bounds the available pods kept from below; on one old
    # ReplicaSet holding the sums the bound is at most what the step really keeps.
    aggregate = rollout.replace(
        state,
        old=(
            ReplicaSetState(
                sum(rs.replicas for rs in state.old),
                sum(rs.available for rs in state.old),
                sum(rs.pods for rs in state.old),
            ),
        ),
    )
    after = rollout.rollout_step(state)
    terms, substitution = terms_for(aggregate)
    violated = evaluate(ROLLOUT_AVAILABILITY_SYMBOLIC.aggregate_violation(terms), substitution)
    if not violated:
        assert rollout.kept_available(after) >= min(
            rollout.kept_available(state), rollout.required_available(state)
        )


# -- a stale encoding is caught ----------------------------------------------------------------------


def test_a_stale_encoding_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # Mutate the Python function but not its encoding: the proof keeps proving the old rule, and
    # only the comparison above notices.
    mutant = mutants.ROLLOUT_MUTANTS["unavailable rounded up"]
    with swapped(monkeypatch, mutant, with_terms=False):
        assert ROLLOUT_AVAILABILITY_BOUNDED.prove(
            {"max_replicas": 20, "max_percent": 100, "max_old": 1}
        ).proved
        state = RolloutState(10, 0, "25%", ReplicaSetState.settled(0), (ReplicaSetState.settled(10),))
        terms, substitution = terms_for(state)
        stepped = encodings.rollout_step_term(terms)
        assert replicas_of(stepped, substitution) != python_replicas(rollout.rollout_step(state))
