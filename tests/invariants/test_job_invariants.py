"""invariants/job.py: the encoding computes what spec/workloads/job.py computes (for the spec and every
mutant), the proofs hold, each mutant breaks the proofs it should with a counterexample that is a real
violation, and ``check`` rejects hand-built bad syncs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import spec.workloads.job as job
from invariants import job as encodings
from invariants.encoding import evaluate
from invariants.framework import Invariant
from invariants.job import (
    ACTIVE_BOUND_BOUNDED,
    ACTIVE_BOUND_SYMBOLIC,
    BACKOFF_LIMIT_BOUNDED,
    BACKOFF_LIMIT_SYMBOLIC,
    COMPLETIONS_BOUND_BOUNDED,
    COMPLETIONS_BOUND_SYMBOLIC,
    JobStep,
    JobTerms,
)
from spec.workloads.job import COMPLETE, FAILED, JobState, JobSync
from spec.workloads.replicaset import Outcomes
from tests.invariants import mutants
from tests.invariants.mutants import swapped

ALL = [
    ACTIVE_BOUND_BOUNDED,
    ACTIVE_BOUND_SYMBOLIC,
    COMPLETIONS_BOUND_BOUNDED,
    COMPLETIONS_BOUND_SYMBOLIC,
    BACKOFF_LIMIT_BOUNDED,
    BACKOFF_LIMIT_SYMBOLIC,
]
ALL_MUTANTS: list[str | None] = [None, *mutants.JOB_MUTANTS]


def key(invariant: Invariant[Any]) -> str:
    return invariant.key


@contextmanager
def maybe(mutant: str | None) -> Iterator[None]:
    if mutant is None:
        yield
    else:
        with pytest.MonkeyPatch.context() as patch, swapped(patch, mutants.JOB_MUTANTS[mutant]):
            yield


counts = st.one_of(st.integers(0, 12), st.integers(0, 1_200))
jobs = st.builds(
    JobState,
    parallelism=counts,
    completions=st.none() | counts,
    backoff_limit=st.integers(0, 8),
    active=counts,
    succeeded=counts,
    failed=st.integers(0, 10),
    finished=st.sampled_from([None, COMPLETE, FAILED]),
    in_backoff=st.booleans(),
)


def run(start: int, count: int) -> frozenset[int]:
    return frozenset(range(start, start + count))


@pytest.mark.requirement("JOB-ACTIVE-BOUND", "JOB-COMPLETIONS-BOUND", "JOB-BACKOFF-LIMIT")
@pytest.mark.parametrize("mutant", ALL_MUTANTS)
@given(state=jobs, fail_start=st.integers(0, 600), fail_count=st.integers(0, 40), delete_failures=counts)
def test_sync_job_term_is_sync_job(
    mutant: str | None, state: JobState, fail_start: int, fail_count: int, delete_failures: int
) -> None:
    with maybe(mutant):
        terms = JobTerms.fresh()
        built = encodings.sync_job_term(terms)
        substitution = terms.substitution(state, fail_start, fail_count, delete_failures)
        done = job.sync_job(state, Outcomes(run(fail_start, fail_count), run(0, delete_failures)))
        assert evaluate(built.loop_finished, substitution) is True
        got = [
            evaluate(t, substitution)
            for t in (built.creations_attempted, built.created, built.deletions_attempted, built.deleted)
        ]
        assert got == [done.creations_attempted, done.created, done.deletions_attempted, done.deleted]
        assert encodings.CONDITION_NAMES[int(evaluate(built.finished, substitution))] == done.finished
        for invariant in (ACTIVE_BOUND_BOUNDED, COMPLETIONS_BOUND_BOUNDED, BACKOFF_LIMIT_BOUNDED):
            violated = evaluate(invariant.violation(terms, built), substitution)
            assert violated == bool(invariant.check(JobStep(state, done)))


@pytest.mark.parametrize("invariant", ALL, ids=key)
def test_the_spec_is_proved(invariant: Invariant[JobStep]) -> None:
    result = invariant.prove()
    assert result.proved, result


BREAKS = {
    "ignores parallelism": {"JOB-ACTIVE-BOUND"},
    "does not count succeeded pods": {"JOB-ACTIVE-BOUND", "JOB-COMPLETIONS-BOUND"},
    "ignores backoffLimit": {"JOB-BACKOFF-LIMIT"},
}
READS = {
    ("ignores parallelism", "JOB-ACTIVE-BOUND"): (
        "parallelism=0, completions=1, backoffLimit=0; 0 active, 0 succeeded, 0 failed: the sync creates "
        "1 of 1: 0 active + 1 created is above the bound 0"
    ),
    ("does not count succeeded pods", "JOB-COMPLETIONS-BOUND"): (
        "parallelism=1, completions=1, backoffLimit=0; 0 active, 1 succeeded, 0 failed: the sync creates "
        "1 of 1: 1 succeeded + 0 active + 1 created = 2 > completions 1"
    ),
}


def test_every_mutant_breaks_a_proof() -> None:
    assert set(BREAKS) == set(mutants.JOB_MUTANTS)
    assert set().union(*BREAKS.values()) == {i.id for i in ALL}


@pytest.mark.parametrize("invariant", ALL, ids=key)
@pytest.mark.parametrize("mutant", list(mutants.JOB_MUTANTS))
def test_mutants(monkeypatch: pytest.MonkeyPatch, mutant: str, invariant: Invariant[JobStep]) -> None:
    with swapped(monkeypatch, mutants.JOB_MUTANTS[mutant]):
        result = invariant.prove({"max_count": 3} if invariant.method == "bounded" else {})
        if invariant.id not in BREAKS[mutant]:
            assert result.proved, result
            return
        assert result.outcome == "counterexample" and result.counterexample is not None, result
        step = result.counterexample.values["step"]
        assert isinstance(step, JobStep)
        assert job.sync_job(step.job, result.counterexample.values["outcomes"]) == step.done  # type: ignore[arg-type]
        assert invariant.check(step), result.counterexample.description
        if (mutant, invariant.id) in READS:
            assert result.counterexample.description == READS[mutant, invariant.id]


# -- check rejects hand-built bad syncs ---------------------------------------------------------------


@pytest.mark.requirement("JOB-ACTIVE-BOUND")
def test_check_active_bound() -> None:
    state = JobState(parallelism=3, completions=10, active=1, succeeded=2)
    assert ACTIVE_BOUND_BOUNDED.check(JobStep(state, JobSync(2, 2))) == []
    assert ACTIVE_BOUND_BOUNDED.check(JobStep(state, JobSync(3, 3))) == [
        "1 active + 3 created is above the bound 3"
    ]
    nearly = JobState(parallelism=5, completions=4, active=1, succeeded=2)
    assert ACTIVE_BOUND_BOUNDED.check(JobStep(nearly, JobSync(2, 1)))


@pytest.mark.requirement("JOB-COMPLETIONS-BOUND")
def test_check_completions_bound() -> None:
    state = JobState(parallelism=5, completions=4, active=1, succeeded=2)
    assert COMPLETIONS_BOUND_BOUNDED.check(JobStep(state, JobSync(1, 1))) == []
    assert COMPLETIONS_BOUND_BOUNDED.check(JobStep(state, JobSync(2, 2)))
    assert COMPLETIONS_BOUND_BOUNDED.check(JobStep(JobState(1, 1, succeeded=1), JobSync(1, 0)))


@pytest.mark.requirement("JOB-BACKOFF-LIMIT")
def test_check_backoff_limit() -> None:
    failing = JobState(parallelism=2, completions=5, backoff_limit=1, active=2, failed=2)
    assert BACKOFF_LIMIT_BOUNDED.check(JobStep(failing, JobSync(0, 0, 2, 2, FAILED))) == []
    assert BACKOFF_LIMIT_BOUNDED.check(JobStep(failing, JobSync(0, 0, 2, 1, None))) == []
    assert BACKOFF_LIMIT_BOUNDED.check(JobStep(failing, JobSync(1, 1, 2, 2, FAILED)))
    assert BACKOFF_LIMIT_BOUNDED.check(JobStep(failing, JobSync(0, 0, 1, 1, None)))
    assert BACKOFF_LIMIT_BOUNDED.check(JobStep(failing, JobSync(0, 0, 2, 2, None)))
    assert BACKOFF_LIMIT_BOUNDED.check(JobStep(failing, JobSync(0, 0, 2, 1, FAILED)))
    done = JobState(parallelism=2, completions=5, finished=COMPLETE)
    assert BACKOFF_LIMIT_BOUNDED.check(JobStep(done, JobSync(1, 1)))
    assert BACKOFF_LIMIT_SYMBOLIC.check(JobStep(done, JobSync())) == []
