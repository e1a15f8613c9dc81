"""Job bounds: the requirements of ``spec/workloads/job.py`` proved with Z3.

Invariants registered here (``ID:method``):

- ``JOB-ACTIVE-BOUND``, ``JOB-COMPLETIONS-BOUND``, ``JOB-BACKOFF-LIMIT``,
  each ``:bounded``: ``sync_job`` for parallelism, completions (set or
  not), backoffLimit and the active, succeeded and failed pods 0..10,000,
  either condition or none, with or without the failed-pod backoff, and
  every outcome of the API calls (creations failing as one run of
  positions, deletions as a count; ``invariants.replicaset`` says why that
  loses nothing). The slow-start loop is unrolled as for the ReplicaSet; a
  loop that would run longer is a counterexample.
- the same three ``:symbolic``: any counts (int32). The creation loop is
  replaced by what ``REPLICASET-CONVERGE:symbolic``'s loop induction shows
  of ``slow_start_batch`` (``0 <= created <= attempted <= count``, all of
  ``count`` when nothing fails); each symbolic proof re-runs that induction
  first, so it cannot borrow a lemma that no longer holds.

The encoding (``sync_job_term``) mirrors ``sync_job`` line by line and is
tied to it by ``tests/invariants/test_job_invariants.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import z3

from invariants.framework import Bounds, Counterexample, Invariant, find_smallest, register
from invariants.intstr import INT32_MAX, max_term, min_term
from invariants.replicaset import CONVERGE_SYMBOLIC, LoopHead, slow_start_batch_term, unrolled_batches
from spec.workloads import job as spec_job
from spec.workloads.job import COMPLETE, FAILED, JobState, JobSync
from spec.workloads.replicaset import SLOW_START_INITIAL_BATCH_SIZE, Outcomes

#: The Job's condition as an Int: none, Complete, Failed.
CONDITIONS: dict[str | None, int] = {None: 0, COMPLETE: 1, FAILED: 2}
CONDITION_NAMES = {code: name for name, code in CONDITIONS.items()}


@dataclass(frozen=True)
class JobTerms:
    """The inputs of one sync: the Job's counts, its condition, the backoff, and which calls fail."""

    parallelism: z3.ArithRef
    has_completions: z3.BoolRef
    completions: z3.ArithRef
    backoff_limit: z3.ArithRef
    active: z3.ArithRef
    succeeded: z3.ArithRef
    failed: z3.ArithRef
    finished: z3.ArithRef
    in_backoff: z3.BoolRef
    fail_start: z3.ArithRef
    fail_count: z3.ArithRef
    delete_failures: z3.ArithRef

    @classmethod
    def fresh(cls) -> JobTerms:
        return cls(
            z3.Int("parallelism"),
            z3.Bool("has_completions"),
            z3.Int("completions"),
            z3.Int("backoffLimit"),
            z3.Int("active"),
            z3.Int("succeeded"),
            z3.Int("failed"),
            z3.Int("finished"),
            z3.Bool("in_backoff"),
            z3.Int("fail_start"),
            z3.Int("fail_count"),
            z3.Int("delete_failures"),
        )

    def counts(self) -> tuple[z3.ArithRef, ...]:
        return (
            self.parallelism,
            self.completions,
            self.backoff_limit,
            self.active,
            self.succeeded,
            self.failed,
        )

    def domain(self, max_count: int) -> list[z3.BoolRef]:
        return [
            *[z3.And(c >= 0, c <= max_count) for c in self.counts()],
            z3.Or(self.has_completions, self.completions == 0),
            self.finished >= 0,
            self.finished <= 2,
            self.fail_start >= 0,
            self.fail_count >= 0,
            self.delete_failures >= 0,
        ]

    def substitution(
        self, job: JobState, fail_start: int, fail_count: int, delete_failures: int
    ) -> list[tuple[z3.ExprRef, z3.ExprRef]]:
        ints = (
            (self.parallelism, job.parallelism),
            (self.completions, job.completions or 0),
            (self.backoff_limit, job.backoff_limit),
            (self.active, job.active),
            (self.succeeded, job.succeeded),
            (self.failed, job.failed),
            (self.finished, CONDITIONS[job.finished]),
            (self.fail_start, fail_start),
            (self.fail_count, fail_count),
            (self.delete_failures, delete_failures),
        )
        pairs: list[tuple[z3.ExprRef, z3.ExprRef]] = [(term, z3.IntVal(value)) for term, value in ints]
        pairs.append((self.has_completions, z3.BoolVal(job.completions is not None)))
        pairs.append((self.in_backoff, z3.BoolVal(job.in_backoff)))
        return pairs

    def value(self, model: z3.ModelRef) -> tuple[JobState, Outcomes]:
        def number(term: z3.ArithRef) -> int:
            return int(model.eval(term, model_completion=True).as_long())

        def flag(term: z3.BoolRef) -> bool:
            return bool(z3.is_true(model.eval(term, model_completion=True)))

        job = JobState(
            parallelism=number(self.parallelism),
            completions=number(self.completions) if flag(self.has_completions) else None,
            backoff_limit=number(self.backoff_limit),
            active=number(self.active),
            succeeded=number(self.succeeded),
            failed=number(self.failed),
            finished=CONDITION_NAMES[number(self.finished)],
            in_backoff=flag(self.in_backoff),
        )
        start, count = number(self.fail_start), number(self.fail_count)
        outcomes = Outcomes(
            failed_creations=frozenset(range(start, start + count)),
            failed_deletions=frozenset(range(number(self.delete_failures))),
        )
        return job, outcomes


@dataclass(frozen=True)
class JobSyncTerms:
    creations_attempted: z3.ArithRef
    created: z3.ArithRef
    deletions_attempted: z3.ArithRef
    deleted: z3.ArithRef
    finished: z3.ArithRef  # the condition the sync sets (CONDITIONS)
    loop_finished: z3.BoolRef


#: count -> (attempted, created, whether the loop ended); the symbolic proofs pass the loop's summary.
Creations = Callable[[z3.ArithRef], tuple[z3.ArithRef, z3.ArithRef, z3.BoolRef]]


def want_active_term(job: JobTerms) -> z3.ArithRef:
    """``want_active``."""
    unset = z3.If(job.succeeded > 0, job.active, job.parallelism)
    capped = max_term(min_term(job.parallelism, job.completions - job.succeeded), z3.IntVal(0))
    return z3.If(job.has_completions, capped, unset)


def _unrolled(job: JobTerms) -> Creations:
    def creations(count: z3.ArithRef) -> tuple[z3.ArithRef, z3.ArithRef, z3.BoolRef]:
        return slow_start_batch_term(
            count,
            SLOW_START_INITIAL_BATCH_SIZE,
            job.fail_start,
            job.fail_count,
            unrolled_batches(spec_job.MAX_POD_CREATE_DELETE_PER_SYNC),
        )

    return creations


def manage_job_term(job: JobTerms, creations: Creations | None = None) -> JobSyncTerms:
    """``manage_job``."""
    cap = z3.IntVal(spec_job.MAX_POD_CREATE_DELETE_PER_SYNC)
    wanted = want_active_term(job)
    excess = job.active - wanted
    deleting = excess > 0
    delete_count = min_term(excess, cap)
    creating = z3.And(z3.Not(deleting), wanted - job.active > 0, z3.Not(job.in_backoff))
    attempted, created, loop_done = (creations or _unrolled(job))(min_term(wanted - job.active, cap))
    zero = z3.IntVal(0)
    return JobSyncTerms(
        creations_attempted=z3.If(creating, attempted, zero),
        created=z3.If(creating, created, zero),
        deletions_attempted=z3.If(deleting, delete_count, zero),
        deleted=z3.If(deleting, delete_count - min_term(job.delete_failures, delete_count), zero),
        finished=zero,
        loop_finished=z3.Or(z3.Not(creating), loop_done),
    )


def sync_job_term(job: JobTerms, creations: Creations | None = None) -> JobSyncTerms:
    """``sync_job``."""
    zero = z3.IntVal(0)
    managed = manage_job_term(job, creations)
    after = job.active + managed.created - managed.deleted
    complete = z3.If(
        job.has_completions,
        z3.And(job.succeeded >= job.completions, after == 0),
        z3.And(job.succeeded > 0, after == 0),
    )
    failing_deleted = job.active - min_term(job.delete_failures, job.active)
    exceeded = job.failed > job.backoff_limit
    done = job.finished != CONDITIONS[None]

    def pick(on_failure: z3.ArithRef, managed_value: z3.ArithRef) -> z3.ArithRef:
        return z3.If(done, zero, z3.If(exceeded, on_failure, managed_value))

    return JobSyncTerms(
        creations_attempted=pick(zero, managed.creations_attempted),
        created=pick(zero, managed.created),
        deletions_attempted=pick(job.active, managed.deletions_attempted),
        deleted=pick(failing_deleted, managed.deleted),
        finished=pick(
            z3.If(failing_deleted == job.active, CONDITIONS[FAILED], 0),
            z3.If(complete, CONDITIONS[COMPLETE], 0),
        ),
        loop_finished=z3.Or(done, exceeded, managed.loop_finished),
    )


def active_bound_term(job: JobTerms) -> z3.ArithRef:
    """``active_bound``."""
    capped = max_term(min_term(job.parallelism, job.completions - job.succeeded), z3.IntVal(0))
    return z3.If(job.has_completions, capped, job.parallelism)


# -- the requirements as counterexample conditions ----------------------------------------------


def active_bound_violation(job: JobTerms, done: JobSyncTerms) -> z3.BoolRef:
    return z3.And(
        done.creations_attempted > 0, job.active + done.creations_attempted > active_bound_term(job)
    )


def completions_bound_violation(job: JobTerms, done: JobSyncTerms) -> z3.BoolRef:
    return z3.And(
        job.has_completions,
        done.creations_attempted > 0,
        job.succeeded + job.active + done.creations_attempted > job.completions,
    )


def backoff_limit_violation(job: JobTerms, done: JobSyncTerms) -> z3.BoolRef:
    unfinished = job.finished == CONDITIONS[None]
    everything_deleted = done.deleted == job.active
    return z3.Or(
        z3.And(z3.Not(unfinished), done.creations_attempted > 0),
        z3.And(
            unfinished,
            job.failed > job.backoff_limit,
            z3.Or(
                done.creations_attempted > 0,
                done.deletions_attempted != job.active,
                z3.And(everything_deleted, done.finished != CONDITIONS[FAILED]),
                z3.And(z3.Not(everything_deleted), done.finished == CONDITIONS[FAILED]),
            ),
        ),
    )


# -- check(state) on concrete syncs ------------------------------------------------------------


@dataclass(frozen=True)
class JobStep:
    """One sync a machine observed: the Job before it and what it did."""

    job: JobState
    done: JobSync


def describe_job(job: JobState) -> str:
    completions = "unset" if job.completions is None else str(job.completions)
    extra = []
    if job.finished:
        extra.append(f"condition {job.finished}")
    if job.in_backoff:
        extra.append("in failed-pod backoff")
    return (
        f"parallelism={job.parallelism}, completions={completions}, backoffLimit={job.backoff_limit}; "
        f"{job.active} active, {job.succeeded} succeeded, {job.failed} failed"
        + (f" ({', '.join(extra)})" if extra else "")
    )


def describe_step(step: JobStep) -> str:
    done = step.done
    did = []
    if done.creations_attempted:
        did.append(f"creates {done.created} of {done.creations_attempted}")
    if done.deletions_attempted:
        did.append(f"deletes {done.deleted} of {done.deletions_attempted}")
    if done.finished:
        did.append(f"marks the Job {done.finished}")
    return f"{describe_job(step.job)}: the sync {', '.join(did) if did else 'does nothing'}"


def active_bound_problems(step: JobStep) -> list[str]:
    job, done = step.job, step.done
    bound = spec_job.active_bound(job)
    if done.creations_attempted > 0 and job.active + done.creations_attempted > bound:
        return [f"{job.active} active + {done.creations_attempted} created is above the bound {bound}"]
    return []


def completions_bound_problems(step: JobStep) -> list[str]:
    job, done = step.job, step.done
    if job.completions is None or done.creations_attempted == 0:
        return []
    total = job.succeeded + job.active + done.creations_attempted
    if total > job.completions:
        return [
            f"{job.succeeded} succeeded + {job.active} active + {done.creations_attempted} created = {total} "
            f"> completions {job.completions}"
        ]
    return []


def backoff_limit_problems(step: JobStep) -> list[str]:
    job, done = step.job, step.done
    if job.finished is not None:
        return [f"the Job is {job.finished}, yet pods are created"] if done.creations_attempted else []
    if job.failed <= job.backoff_limit:
        return []
    problems = []
    if done.creations_attempted:
        problems.append(f"{job.failed} failed > backoffLimit {job.backoff_limit}, yet pods are created")
    if done.deletions_attempted != job.active:
        problems.append(f"{done.deletions_attempted} of {job.active} active pods deleted, not all")
    if done.deleted == job.active and done.finished != FAILED:
        problems.append("no pod is left, yet the Job is not marked Failed")
    if done.deleted != job.active and done.finished == FAILED:
        problems.append("the Job is marked Failed while pods are left")
    return problems


class _JobInvariant(Invariant[JobStep]):
    requirement_id: ClassVar[str]

    def __init__(self) -> None:
        super().__init__(self.requirement_id)

    def violation(self, job: JobTerms, done: JobSyncTerms) -> z3.BoolRef:
        raise NotImplementedError

    def problems(self, step: JobStep) -> list[str]:
        raise NotImplementedError

    def check(self, state: JobStep) -> list[str]:
        return self.problems(state)

    def counterexample(self, model: z3.ModelRef, job_terms: JobTerms) -> Counterexample:
        job, outcomes = job_terms.value(model)
        # Rendered with the (possibly mutated) spec itself: what it does on the inputs Z3 found.
        step = JobStep(job, spec_job.sync_job(job, outcomes))
        return Counterexample(
            f"{describe_step(step)}: {'; '.join(self.problems(step))}",
            {"job": job, "outcomes": outcomes, "step": step},
        )


def _objective(job: JobTerms) -> z3.ArithRef:
    return z3.Sum([*job.counts(), job.fail_start, job.fail_count, job.delete_failures])


class _Bounded(_JobInvariant):
    method = "bounded"
    default_bounds: ClassVar[Bounds] = {"max_count": 10_000}

    def describe_bounds(self, bounds: Bounds) -> str:
        return f"every count 0..{bounds['max_count']:,}, any outcomes"

    def find_counterexample(self, bounds: Bounds, timeout_ms: int) -> Counterexample | None:
        job = JobTerms.fresh()
        done = sync_job_term(job)
        constraints = [
            *job.domain(bounds["max_count"]),
            z3.Or(z3.Not(done.loop_finished), self.violation(job, done)),
        ]
        model = find_smallest(constraints, _objective(job), timeout_ms=timeout_ms)
        if model is None:
            return None
        if not z3.is_true(model.eval(done.loop_finished, model_completion=True)):
            found, _ = job.value(model)
            return Counterexample(
                f"{describe_job(found)}: the slow-start loop runs more batches than the proof unrolls",
                {"job": found},
            )
        return self.counterexample(model, job)


class _Symbolic(_JobInvariant):
    method = "symbolic"

    def describe_bounds(self, bounds: Bounds) -> str:
        return "any counts (int32), slow start by loop induction"

    def find_counterexample(self, bounds: Bounds, timeout_ms: int) -> Counterexample | None:
        lemma = CONVERGE_SYMBOLIC.loop_counterexample(timeout_ms)
        if lemma is not None:
            return Counterexample(f"the slow-start lemma fails: {lemma}", dict(lemma.values))
        job = JobTerms.fresh()
        attempted, created = z3.Ints("attempted created")
        counts: list[z3.ArithRef] = []

        def summarised(count: z3.ArithRef) -> tuple[z3.ArithRef, z3.ArithRef, z3.BoolRef]:
            counts.append(count)
            return attempted, created, z3.BoolVal(True)

        done = sync_job_term(job, summarised)
        (count,) = counts
        summary = CONVERGE_SYMBOLIC.summary(
            LoopHead(count, attempted, created, z3.IntVal(0), z3.IntVal(0)), created == attempted
        )
        constraints = [*job.domain(INT32_MAX), z3.Implies(count >= 0, summary), self.violation(job, done)]
        model = find_smallest(constraints, _objective(job), timeout_ms=timeout_ms)
        if model is None:
            return None
        return self.counterexample(model, job)


class _ActiveBound(_JobInvariant):
    requirement_id = spec_job.JOB_ACTIVE_BOUND.id

    def violation(self, job: JobTerms, done: JobSyncTerms) -> z3.BoolRef:
        return active_bound_violation(job, done)

    def problems(self, step: JobStep) -> list[str]:
        return active_bound_problems(step)


class _CompletionsBound(_JobInvariant):
    requirement_id = spec_job.JOB_COMPLETIONS_BOUND.id

    def violation(self, job: JobTerms, done: JobSyncTerms) -> z3.BoolRef:
        return completions_bound_violation(job, done)

    def problems(self, step: JobStep) -> list[str]:
        return completions_bound_problems(step)


class _BackoffLimit(_JobInvariant):
    requirement_id = spec_job.JOB_BACKOFF_LIMIT.id

    def violation(self, job: JobTerms, done: JobSyncTerms) -> z3.BoolRef:
        return backoff_limit_violation(job, done)

    def problems(self, step: JobStep) -> list[str]:
        return backoff_limit_problems(step)


class ActiveBoundBounded(_ActiveBound, _Bounded):
    pass


class ActiveBoundSymbolic(_ActiveBound, _Symbolic):
    pass


class CompletionsBoundBounded(_CompletionsBound, _Bounded):
    pass


class CompletionsBoundSymbolic(_CompletionsBound, _Symbolic):
    pass


class BackoffLimitBounded(_BackoffLimit, _Bounded):
    pass


class BackoffLimitSymbolic(_BackoffLimit, _Symbolic):
    pass


ACTIVE_BOUND_BOUNDED = register(ActiveBoundBounded())
ACTIVE_BOUND_SYMBOLIC = register(ActiveBoundSymbolic())
COMPLETIONS_BOUND_BOUNDED = register(CompletionsBoundBounded())
COMPLETIONS_BOUND_SYMBOLIC = register(CompletionsBoundSymbolic())
BACKOFF_LIMIT_BOUNDED = register(BackoffLimitBounded())
BACKOFF_LIMIT_SYMBOLIC = register(BackoffLimitSymbolic())
