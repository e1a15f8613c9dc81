"""The honesty rule for invariants/replicaset.py: every encoding computes what spec/workloads/replicaset.py
computes, and the bounded proofs' outcome model (failed creations as one run of positions, failed
deletions as a count) loses nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import z3
from hypothesis import given
from hypothesis import strategies as st

import spec.workloads.replicaset as replicaset
from invariants import replicaset as encodings
from invariants.encoding import evaluate
from invariants.replicaset import (
    CONVERGE_BOUNDED,
    SLOW_START_BOUNDED,
    LoopHead,
    ReplicaSetSync,
    SyncTerms,
    converge_violation,
    slow_start_violation,
    unrolled_batches,
)
from spec.workloads.replicaset import Outcomes, manage_replicas, slow_start_batch
from tests.invariants import mutants
from tests.invariants.mutants import swapped


@contextmanager
def maybe(mutant: str | None) -> Iterator[None]:
    if mutant is None:
        yield
    else:
        with pytest.MonkeyPatch.context() as patch, swapped(patch, mutants.REPLICASET_MUTANTS[mutant]):
            yield


ALL_MUTANTS: list[str | None] = [None, *mutants.REPLICASET_MUTANTS]
pods = st.one_of(st.integers(0, 40), st.integers(0, 1_000))


def run(start: int, count: int) -> frozenset[int]:
    return frozenset(range(start, start + count))


@pytest.mark.parametrize("mutant", ALL_MUTANTS)
@given(
    replicas=pods,
    active=pods,
    fail_start=st.integers(0, 600),
    fail_count=st.integers(0, 40),
    delete_failures=st.integers(0, 600),
)
def test_manage_replicas_term(
    mutant: str | None, replicas: int, active: int, fail_start: int, fail_count: int, delete_failures: int
) -> None:
    with maybe(mutant):
        sync = SyncTerms.fresh()
        built = encodings.manage_replicas_term(sync)
        substitution = sync.substitution(replicas, active, fail_start, fail_count, delete_failures)
        outcomes = Outcomes(run(fail_start, fail_count), run(0, delete_failures))
        expected = replicaset.manage_replicas(replicas, active, outcomes)
        got = [
            evaluate(term, substitution)
            for term in (built.creations_attempted, built.created, built.deletions_attempted, built.deleted)
        ]
        if evaluate(built.finished, substitution):
            assert got == [
                expected.creations_attempted,
                expected.created,
                expected.deletions_attempted,
                expected.deleted,
            ]
        else:
            # Only an uncapped mutant may run more batches than the proof unrolls.
            assert mutant == "no burstReplicas cap" and replicas - active > mutants.UNCAPPED_MAX_PODS


@given(
    count=st.integers(0, 600),
    initial=st.integers(0, 3),
    fail_start=st.integers(0, 700),
    fail_count=st.integers(0, 50),
)
def test_slow_start_batch_term(count: int, initial: int, fail_start: int, fail_count: int) -> None:
    n, start, failing = z3.Ints("n start failing")
    attempted, successes, finished = encodings.slow_start_batch_term(
        n, initial, start, failing, unrolled_batches(600)
    )
    substitution = [(n, z3.IntVal(count)), (start, z3.IntVal(fail_start)), (failing, z3.IntVal(fail_count))]
    batches, done = slow_start_batch(count, initial, run(fail_start, fail_count))
    assert evaluate(finished, substitution) is True
    assert evaluate(attempted, substitution) == sum(batches)
    assert evaluate(successes, substitution) == done


@given(
    count=st.integers(0, 600),
    failed=st.frozensets(st.integers(0, 600), max_size=8),
)
def test_a_run_of_failures_from_the_first_one_gives_every_result(count: int, failed: frozenset[int]) -> None:
    # What the bounded proofs assume of the outcomes: slowStartBatch only sees how many calls of the
    # first failing batch fail.
    batches, successes = slow_start_batch(count, 1, failed)
    attempted = sum(batches)
    in_last = sum(1 for p in failed if attempted - batches[-1] <= p < attempted) if batches else 0
    first = min((p for p in failed if p < attempted), default=attempted)
    assert slow_start_batch(count, 1, run(first, in_last)) == (batches, successes)


@given(replicas=pods, active=pods, failed=st.frozensets(st.integers(0, 600), max_size=8))
def test_which_deletions_fail_does_not_matter(replicas: int, active: int, failed: frozenset[int]) -> None:
    result = manage_replicas(replicas, active, Outcomes(failed_deletions=failed))
    count = sum(1 for p in failed if p < result.deletions_attempted)
    assert manage_replicas(replicas, active, Outcomes(failed_deletions=run(0, count))) == result


@pytest.mark.parametrize("mutant", [None, "slow start that does not stop at a failed batch"])
@given(count=st.integers(0, 600), failed=st.frozensets(st.integers(0, 600), max_size=6))
def test_the_iteration_term_replays_the_loop(mutant: str | None, count: int, failed: frozenset[int]) -> None:
    # The symbolic proofs reason about one pass of the loop; running that pass over and over on
    # concrete values must give what the Python loop gives.
    with maybe(mutant):
        initial = replicaset.SLOW_START_INITIAL_BATCH_SIZE
        head = LoopHead(*(z3.IntVal(v) for v in (count, 0, 0, count, min(count, initial))))
        attempted = successes = 0
        if min(count, initial) > 0:
            while True:
                batch = int(evaluate(head.batch, []))
                failures = z3.IntVal(sum(1 for p in failed if attempted <= p < attempted + batch))
                after, goes_on = encodings.slow_start_iteration_term(head, failures)
                head = LoopHead(
                    *(
                        z3.IntVal(evaluate(t, []))
                        for t in (after.count, after.attempted, after.successes, after.remaining, after.batch)
                    )
                )
                attempted, successes = int(evaluate(head.attempted, [])), int(evaluate(head.successes, []))
                if not evaluate(goes_on, []):
                    break
        batches, expected = replicaset.slow_start_batch(count, initial, failed)
        assert (attempted, successes) == (sum(batches), expected)


@pytest.mark.parametrize("mutant", ALL_MUTANTS)
@pytest.mark.parametrize(
    "invariant", [CONVERGE_BOUNDED, SLOW_START_BOUNDED], ids=lambda invariant: invariant.id
)
@given(
    replicas=pods,
    active=pods,
    fail_start=st.integers(0, 600),
    fail_count=st.integers(0, 40),
    delete_failures=st.integers(0, 50),
)
def test_counterexample_conditions_are_check(
    invariant: encodings._BoundedSync,
    mutant: str | None,
    replicas: int,
    active: int,
    fail_start: int,
    fail_count: int,
    delete_failures: int,
) -> None:
    with maybe(mutant):
        sync = SyncTerms.fresh()
        built = encodings.manage_replicas_term(sync)
        substitution = sync.substitution(replicas, active, fail_start, fail_count, delete_failures)
        if not evaluate(built.finished, substitution):
            return
        burst = replicaset.BURST_REPLICAS
        if invariant is CONVERGE_BOUNDED:
            condition = converge_violation(sync.replicas, sync.active, built, burst)
        else:
            condition = slow_start_violation(built, burst)
        outcomes = Outcomes(run(fail_start, fail_count), run(0, delete_failures))
        result = replicaset.manage_replicas(replicas, active, outcomes)
        problems = invariant.check(ReplicaSetSync(replicas, active, result))
        violated = evaluate(condition, substitution)
        if invariant is CONVERGE_BOUNDED:
            assert violated == bool(problems)
        else:
            # check also looks at the shape of the batches; the proof's condition is the counts.
            counted = [p for p in problems if "burstReplicas" in p or "succeeded" in p]
            assert violated == bool(counted)
            if mutant is None:
                assert problems == []


def test_a_stale_encoding_is_caught() -> None:
    with maybe(None), pytest.MonkeyPatch.context() as patch:
        patch.setattr(replicaset, "manage_replicas", mutants.manage_replicas_creating_replicas)
        assert CONVERGE_BOUNDED.prove({"max_pods": 20}).proved  # the proof is about the old encoding
        sync = SyncTerms.fresh()
        built = encodings.manage_replicas_term(sync)
        substitution = sync.substitution(3, 1, 0, 0, 0)
        assert evaluate(built.created, substitution) != replicaset.manage_replicas(3, 1).created
