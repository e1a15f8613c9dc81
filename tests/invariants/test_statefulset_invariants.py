"""invariants/statefulset.py: the encoding computes what spec/workloads/statefulset.py computes (for the
spec and every mutant), the proofs hold, each mutant breaks the proof it should with a counterexample that
is a real violation, and ``check`` rejects hand-built bad syncs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import spec.workloads.statefulset as sts
from invariants import statefulset as encodings
from invariants.encoding import evaluate
from invariants.framework import Invariant
from invariants.statefulset import (
    CONVERGE_BOUNDED,
    ORDERED_CREATE_BOUNDED,
    ORDERED_DELETE_BOUNDED,
    SetTerms,
    StatefulSetSync,
)
from spec.workloads.statefulset import ORDERED_READY, PARALLEL, Actions, PodState
from tests.invariants import mutants
from tests.invariants.mutants import swapped

SIZE = 8
ALL = [ORDERED_CREATE_BOUNDED, ORDERED_DELETE_BOUNDED, CONVERGE_BOUNDED]
ALL_MUTANTS: list[str | None] = [None, *mutants.STATEFULSET_MUTANTS]
R, P, T, F = PodState.READY, PodState.PENDING, PodState.TERMINATING, PodState.FAILED


@contextmanager
def maybe(mutant: str | None) -> Iterator[None]:
    if mutant is None:
        yield
    else:
        with pytest.MonkeyPatch.context() as patch, swapped(patch, mutants.STATEFULSET_MUTANTS[mutant]):
            yield


def key(invariant: Invariant[Any]) -> str:
    return invariant.key


pods_of = st.dictionaries(st.integers(0, SIZE - 1), st.sampled_from(list(PodState)), max_size=SIZE)
policies = st.sampled_from([ORDERED_READY, PARALLEL])
failings = st.frozensets(st.integers(0, SIZE - 1), max_size=3)


@pytest.mark.requirement("STATEFULSET-ORDERED-CREATE", "STATEFULSET-ORDERED-DELETE", "STATEFULSET-CONVERGE")
@pytest.mark.parametrize("mutant", ALL_MUTANTS)
@given(replicas=st.integers(0, SIZE), policy=policies, pods=pods_of, failing=failings)
def test_sync_term_is_sync(
    mutant: str | None, replicas: int, policy: str, pods: dict[int, PodState], failing: frozenset[int]
) -> None:
    with maybe(mutant):
        s = SetTerms.fresh(SIZE)
        built = encodings.sync_term(s)
        substitution = s.substitution(replicas, policy, pods, failing)
        done = sts.sync(replicas, pods, policy, failing)
        assert {i for i in range(SIZE) if evaluate(built.create[i], substitution)} == set(done.creations)
        assert {i for i in range(SIZE) if evaluate(built.delete[i], substitution)} == set(done.deletions)


@pytest.mark.parametrize("invariant", ALL, ids=key)
@given(replicas=st.integers(0, SIZE), policy=policies, pods=pods_of, failing=failings)
def test_counterexample_conditions_are_check(
    invariant: encodings._Bounded,
    replicas: int,
    policy: str,
    pods: dict[int, PodState],
    failing: frozenset[int],
) -> None:
    # Evaluated on arbitrary (even impossible) action sets, not only the spec's, so that the condition and
    # check agree on what a violation is.
    s = SetTerms.fresh(SIZE)
    done = sts.sync(replicas, pods, policy, failing)
    for actions in (
        done,
        Actions(creations=tuple(sorted(pods))[:2]),
        Actions(deletions=tuple(sorted(pods))[:2]),
    ):
        a = encodings.ActionTerms(
            tuple(encodings.z3.BoolVal(i in actions.creations) for i in range(SIZE)),
            tuple(encodings.z3.BoolVal(i in actions.deletions) for i in range(SIZE)),
        )
        substitution = s.substitution(replicas, policy, pods, failing)
        holds = all(evaluate(c, substitution) for c in invariant.assumptions(s))
        violated = holds and evaluate(invariant.violation(s, a), substitution)
        assert violated == bool(invariant.check(StatefulSetSync(replicas, policy, pods, actions, failing)))


@pytest.mark.parametrize("invariant", ALL, ids=key)
def test_the_spec_is_proved(invariant: Invariant[StatefulSetSync]) -> None:
    result = invariant.prove()
    assert result.proved, result
    assert result.bounds.startswith("ordinals 0..9, replicas 0..10")


BREAKS = {
    "creates pod i without pod i-1 Running and Ready": {"STATEFULSET-ORDERED-CREATE"},
    "scale-down removes the lowest ordinal first": {"STATEFULSET-ORDERED-DELETE"},
    "failed pods are waited for, not replaced": {"STATEFULSET-CONVERGE"},
}
READS = {
    # Pod 0 pending or terminating: Z3 may find either.
    "creates pod i without pod i-1 Running and Ready": (
        r"OrderedReady, spec.replicas=2, pods \{0:(pending|terminating)\}: the sync creates 1: pod 1 is "
        r"replaced or created while pods \[0\] are not Running and Ready"
    ),
    "failed pods are waited for, not replaced": re.escape(
        "OrderedReady, spec.replicas=1, pods {0:failed}: the sync does nothing: the set is not complete, yet "
        "the rank goes 2 -> 2 (pods then {0:failed})"
    ),
}


def test_every_mutant_breaks_a_proof() -> None:
    assert set(BREAKS) == set(mutants.STATEFULSET_MUTANTS)
    assert set().union(*BREAKS.values()) == {i.id for i in ALL}


@pytest.mark.parametrize("invariant", ALL, ids=key)
@pytest.mark.parametrize("mutant", list(mutants.STATEFULSET_MUTANTS))
def test_mutants(monkeypatch: pytest.MonkeyPatch, mutant: str, invariant: encodings._Bounded) -> None:
    with swapped(monkeypatch, mutants.STATEFULSET_MUTANTS[mutant]):
        result = invariant.prove({"max_ordinals": 6})
        if invariant.id not in BREAKS[mutant]:
            assert result.proved, result
            return
        assert result.outcome == "counterexample" and result.counterexample is not None, result
        found = result.counterexample
        state = found.values["sync"]
        assert isinstance(state, StatefulSetSync)
        assert sts.sync(state.replicas, state.pods, state.policy, state.failing) == state.actions
        assert invariant.check(state), found.description
        if mutant in READS and invariant.id in BREAKS[mutant]:
            assert re.fullmatch(READS[mutant], found.description), found.description
    if mutant == "scale-down removes the lowest ordinal first":
        assert "pod 0 is deleted while pods [1] above it exist" in found.description


# -- what upstream does where the documentation says more ---------------------------------------------


def test_the_documented_predecessor_rule_is_not_upstreams() -> None:
    # "Before a Pod is terminated, all of its predecessors must be Running and Ready" does not hold for
    # condemned predecessors: pod 1 is Ready and goes while pod 0 (also condemned) is Pending.
    done = sts.sync(0, {0: P, 1: R})
    assert done == Actions(deletions=(1,))
    assert ORDERED_DELETE_BOUNDED.check(StatefulSetSync(0, ORDERED_READY, {0: P, 1: R}, done)) == []


def test_two_failed_condemned_pods_block_scale_down() -> None:
    pods = {0: R, 1: F, 2: F}
    assert sts.sync(1, pods) == sts.NO_ACTIONS
    # So CONVERGE assumes at most one; without the assumption Z3 finds this case.
    assert CONVERGE_BOUNDED.check(StatefulSetSync(1, ORDERED_READY, pods, sts.NO_ACTIONS)) == []


def test_converge_needs_its_assumption(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encodings, "converge_assumptions", lambda s: [c for c in _settled_only(s)])
    result = CONVERGE_BOUNDED.prove({"max_ordinals": 4})
    assert result.outcome == "counterexample", result
    state = result.counterexample.values["sync"] if result.counterexample else None
    assert isinstance(state, StatefulSetSync) and sts.failed_condemned(state.replicas, state.pods) == 2


_CONVERGE_ASSUMPTIONS = encodings.converge_assumptions


def _settled_only(s: SetTerms) -> list[Any]:
    return _CONVERGE_ASSUMPTIONS(s)[:-1]


# -- check rejects hand-built bad syncs ---------------------------------------------------------------


@pytest.mark.requirement("STATEFULSET-ORDERED-CREATE")
def test_check_ordered_create() -> None:
    good = StatefulSetSync(3, ORDERED_READY, {0: R}, Actions(creations=(1,)))
    assert ORDERED_CREATE_BOUNDED.check(good) == []
    assert ORDERED_CREATE_BOUNDED.check(StatefulSetSync(3, ORDERED_READY, {0: P}, Actions(creations=(1,))))
    assert ORDERED_CREATE_BOUNDED.check(StatefulSetSync(3, ORDERED_READY, {}, Actions(creations=(0, 1))))
    assert ORDERED_CREATE_BOUNDED.check(
        StatefulSetSync(3, ORDERED_READY, {0: T, 1: F}, Actions(deletions=(1,)))
    )
    # Parallel makes no ordering promise about creations.
    assert ORDERED_CREATE_BOUNDED.check(StatefulSetSync(3, PARALLEL, {}, Actions(creations=(0, 1, 2)))) == []


@pytest.mark.requirement("STATEFULSET-ORDERED-DELETE")
def test_check_ordered_delete() -> None:
    pods = {0: R, 1: R, 2: R}
    assert (
        ORDERED_DELETE_BOUNDED.check(StatefulSetSync(1, ORDERED_READY, pods, Actions(deletions=(2,)))) == []
    )
    assert ORDERED_DELETE_BOUNDED.check(StatefulSetSync(1, ORDERED_READY, pods, Actions(deletions=(1,))))
    assert ORDERED_DELETE_BOUNDED.check(StatefulSetSync(3, ORDERED_READY, pods, Actions(deletions=(2,))))
    assert ORDERED_DELETE_BOUNDED.check(
        StatefulSetSync(1, ORDERED_READY, {0: P, 1: R}, Actions(deletions=(1,)))
    )
    assert ORDERED_DELETE_BOUNDED.check(
        StatefulSetSync(0, ORDERED_READY, {0: P, 1: F}, Actions(deletions=(1,)))
    )
    assert ORDERED_DELETE_BOUNDED.check(StatefulSetSync(0, PARALLEL, pods, Actions(deletions=(0, 1))))
    assert (
        ORDERED_DELETE_BOUNDED.check(StatefulSetSync(0, PARALLEL, {0: R, 1: T}, Actions(deletions=(0,))))
        == []
    )


@pytest.mark.requirement("STATEFULSET-CONVERGE")
def test_check_converge() -> None:
    assert CONVERGE_BOUNDED.check(StatefulSetSync(2, ORDERED_READY, {0: R, 1: R}, sts.NO_ACTIONS)) == []
    assert CONVERGE_BOUNDED.check(StatefulSetSync(2, ORDERED_READY, {0: R, 1: R}, Actions(deletions=(1,))))
    assert CONVERGE_BOUNDED.check(StatefulSetSync(2, ORDERED_READY, {0: R}, sts.NO_ACTIONS))
    assert CONVERGE_BOUNDED.check(StatefulSetSync(1, PARALLEL, {0: R, 1: R}, sts.NO_ACTIONS))
    # Not settled: the requirement says nothing.
    assert CONVERGE_BOUNDED.check(StatefulSetSync(2, ORDERED_READY, {0: P}, sts.NO_ACTIONS)) == []
