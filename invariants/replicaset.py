"""ReplicaSet convergence and slow start: the requirements of ``spec/workloads/replicaset.py`` proved with Z3.

Invariants registered here (``ID:method``):

- ``REPLICASET-CONVERGE:bounded`` and ``REPLICASET-SLOW-START:bounded``:
  ``manage_replicas`` with upstream's ``burstReplicas`` (500) and initial
  batch (1), for ``spec.replicas`` and active pods 0..10,000 and every
  outcome of the API calls. The slow-start loop is unrolled (it runs at
  most ``bit_length(burstReplicas) + 1`` batches); a loop that would run
  longer is reported as a counterexample, not assumed away.
- ``REPLICASET-CONVERGE:symbolic`` and ``REPLICASET-SLOW-START:symbolic``:
  the same for any ``burstReplicas >= 1`` and any number of pods (int32),
  by induction over the slow-start loop: an invariant of the loop head
  holds initially, is kept by one batch in which any number of calls fails,
  and implies the requirement when the loop ends. For convergence it is
  ``0 <= successes <= attempted``, ``remaining = count - attempted``, ``1 <=
  batch <= remaining``; for slow start also ``successes = attempted`` (every
  batch so far succeeded whole) and ``batch <= attempted + 1``.

Outcomes in the bounded proofs: the creations that fail are a run of
consecutive positions ``[fail_start, fail_start + fail_count)`` and the
deletions that fail are the first ``delete_failures``. That loses nothing:
a batch's calls run concurrently, so ``slowStartBatch`` depends only on how
many calls of the first failing batch fail, and any such number is a run
starting at the first failure; which deletions fail does not matter, only
how many (``tests/invariants/test_replicaset_encodings.py`` checks both
claims against the Python function).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import z3

from invariants.framework import Bounds, Counterexample, Invariant, find_model, find_smallest, register
from invariants.intstr import INT32_MAX, max_term, min_term
from spec.workloads import replicaset as spec_replicaset
from spec.workloads.replicaset import Outcomes, SyncResult, active_after, distance

# -- the inputs of one sync as Z3 terms ----------------------------------------------------


@dataclass(frozen=True)
class SyncTerms:
    """``spec.replicas``, the active pods, and which calls fail."""

    replicas: z3.ArithRef
    active: z3.ArithRef
    fail_start: z3.ArithRef
    fail_count: z3.ArithRef
    delete_failures: z3.ArithRef

    @classmethod
    def fresh(cls) -> SyncTerms:
        return cls(*z3.Ints("replicas active fail_start fail_count delete_failures"))

    def domain(self, max_pods: int) -> list[z3.BoolRef]:
        return [
            self.replicas >= 0,
            self.replicas <= max_pods,
            self.active >= 0,
            self.active <= max_pods,
            self.fail_start >= 0,
            self.fail_count >= 0,
            self.delete_failures >= 0,
        ]

    def substitution(
        self, replicas: int, active: int, fail_start: int, fail_count: int, delete_failures: int
    ) -> list[tuple[z3.ExprRef, z3.ExprRef]]:
        values = (replicas, active, fail_start, fail_count, delete_failures)
        terms = (self.replicas, self.active, self.fail_start, self.fail_count, self.delete_failures)
        return [(term, z3.IntVal(value)) for term, value in zip(terms, values, strict=True)]

    def value(self, model: z3.ModelRef) -> tuple[int, int, Outcomes]:
        def number(term: z3.ArithRef) -> int:
            return int(model.eval(term, model_completion=True).as_long())

        start, count = number(self.fail_start), number(self.fail_count)
        outcomes = Outcomes(
            failed_creations=frozenset(range(start, start + count)),
            failed_deletions=frozenset(range(number(self.delete_failures))),
        )
        return number(self.replicas), number(self.active), outcomes


@dataclass(frozen=True)
class SyncResultTerms:
    """``SyncResult`` as terms, and whether the unrolled slow-start loop ran to its end."""

    creations_attempted: z3.ArithRef
    created: z3.ArithRef
    deletions_attempted: z3.ArithRef
    deleted: z3.ArithRef
    finished: z3.BoolRef


# -- encodings of spec/workloads/replicaset.py --------------------------------------------


def unrolled_batches(burst_replicas: int) -> int:
    """Batches enough for ``count <= burst_replicas`` in batches 1, 2, 4, ..., and one to see the end."""
    return max(burst_replicas, 1).bit_length() + 1


def slow_start_batch_term(
    count: z3.ArithRef,
    initial_batch_size: int,
    fail_start: z3.ArithRef,
    fail_count: z3.ArithRef,
    batches: int,
) -> tuple[z3.ArithRef, z3.ArithRef, z3.BoolRef]:
    """``slow_start_batch`` unrolled ``batches`` times: (attempted, successes, whether the loop ended)."""
    fail_end = fail_start + fail_count
    remaining: z3.ArithRef = count
    attempted: z3.ArithRef = z3.IntVal(0)
    successes: z3.ArithRef = z3.IntVal(0)
    batch = min_term(remaining, z3.IntVal(initial_batch_size))
    live: z3.BoolRef = batch > 0
    for _ in range(batches):
        overlap = max_term(
            min_term(attempted + batch, fail_end) - max_term(attempted, fail_start), z3.IntVal(0)
        )
        whole = overlap == 0
        next_remaining = remaining - batch
        next_batch = min_term(2 * batch, next_remaining)
        successes = z3.If(live, successes + batch - overlap, successes)
        attempted = z3.If(live, attempted + batch, attempted)
        remaining = z3.If(z3.And(live, whole), next_remaining, remaining)
        batch = z3.If(z3.And(live, whole), next_batch, batch)
        live = z3.And(live, whole, next_batch > 0)
    return attempted, successes, z3.Not(live)


#: How a proof models the creations of one sync: count -> (attempted, created, loop ended).
Creations = Callable[[z3.ArithRef], tuple[z3.ArithRef, z3.ArithRef, z3.BoolRef]]


def manage_replicas_term(
    sync: SyncTerms, burst_replicas: z3.ArithRef | int | None = None, creations: Creations | None = None
) -> SyncResultTerms:
    """``manage_replicas``.

    ``burstReplicas`` and the initial batch are read from the spec when it
    runs. ``creations`` stands for the call to ``slow_start_batch``: by
    default the unrolled loop over the failures in ``sync``; the symbolic
    proofs pass what the loop induction shows instead.
    """
    burst = spec_replicaset.BURST_REPLICAS if burst_replicas is None else burst_replicas
    burst_term = z3.IntVal(burst) if isinstance(burst, int) else burst
    diff = sync.active - sync.replicas
    creating, deleting = diff < 0, diff > 0
    create_count = min_term(-diff, burst_term)
    if creations is None:
        if not isinstance(burst, int):
            raise ValueError("the unrolled slow start needs a concrete burstReplicas")
        initial = spec_replicaset.SLOW_START_INITIAL_BATCH_SIZE
        attempted, created, finished = slow_start_batch_term(
            create_count, initial, sync.fail_start, sync.fail_count, unrolled_batches(burst)
        )
    else:
        attempted, created, finished = creations(create_count)
    delete_count = min_term(diff, burst_term)
    delete_failed = min_term(sync.delete_failures, delete_count)
    return SyncResultTerms(
        creations_attempted=z3.If(creating, attempted, 0),
        created=z3.If(creating, created, 0),
        deletions_attempted=z3.If(deleting, delete_count, 0),
        deleted=z3.If(deleting, delete_count - delete_failed, 0),
        finished=z3.Or(z3.Not(creating), finished),
    )


def _abs(term: z3.ArithRef) -> z3.ArithRef:
    return z3.If(term >= 0, term, -term)


def _int(value: z3.ArithRef | int) -> z3.ArithRef:
    return z3.IntVal(value) if isinstance(value, int) else value


# -- the requirements as counterexample conditions -------------------------------------------


def converge_violation(
    replicas: z3.ArithRef, active: z3.ArithRef, result: SyncResultTerms, burst: z3.ArithRef | int
) -> z3.BoolRef:
    """The sync passes ``spec.replicas``, moves away from it, or succeeds in everything and falls short."""
    after = active + result.created - result.deleted
    before_distance = _abs(replicas - active)
    everything_succeeded = z3.And(
        result.created == result.creations_attempted, result.deleted == result.deletions_attempted
    )
    return z3.Or(
        z3.And(active <= replicas, z3.Or(after < active, after > replicas)),
        z3.And(active >= replicas, z3.Or(after > active, after < replicas)),
        z3.And(
            everything_succeeded,
            _abs(replicas - after) != before_distance - min_term(before_distance, _int(burst)),
        ),
    )


def slow_start_violation(result: SyncResultTerms, burst: z3.ArithRef | int) -> z3.BoolRef:
    """More than ``burst`` calls of a kind, or more failed creations than successful ones plus one."""
    failed = result.creations_attempted - result.created
    return z3.Or(
        result.creations_attempted > burst,
        result.deletions_attempted > burst,
        failed > result.created + 1,
    )


@dataclass(frozen=True)
class ReplicaSetSync:
    """One sync a machine observed: ``spec.replicas``, the active pods before it, and what it did."""

    replicas: int
    active: int
    result: SyncResult


def describe_sync(replicas: int, active: int, outcomes: Outcomes | None, result: SyncResult) -> str:
    """``spec.replicas=10, 0 active pods, creation #0 fails: batches (1), 0 created ... -> 0 active``."""
    failures = []
    if outcomes is not None and outcomes.failed_creations:
        failures.append(f"creations {_positions(outcomes.failed_creations)} fail")
    if outcomes is not None and outcomes.failed_deletions:
        failures.append(f"deletions {_positions(outcomes.failed_deletions)} fail")
    calls = ", ".join(failures) if failures else "every call succeeds"
    did = []
    if result.batches:
        batches = ", ".join(str(b) for b in result.batches)
        did.append(f"creation batches ({batches}): {result.created} of {result.creations_attempted} created")
    if result.deletions_attempted:
        did.append(f"{result.deleted} of {result.deletions_attempted} deleted")
    return (
        f"spec.replicas={replicas}, {active} active pods, {calls}: "
        f"{'; '.join(did) if did else 'nothing done'} -> {active_after(active, result)} active"
    )


def _positions(positions: frozenset[int]) -> str:
    ordered = sorted(positions)
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"#{ordered[0]}..#{ordered[-1]}"
    return ", ".join(f"#{p}" for p in ordered)


class _SyncInvariant(Invariant[ReplicaSetSync]):
    requirement_id: ClassVar[str]

    def __init__(self) -> None:
        super().__init__(self.requirement_id)

    def problems(self, replicas: int, active: int, result: SyncResult, burst: int) -> list[str]:
        raise NotImplementedError

    def check(self, state: ReplicaSetSync) -> list[str]:
        return self.problems(state.replicas, state.active, state.result, spec_replicaset.BURST_REPLICAS)


class _BoundedSync(_SyncInvariant):
    method = "bounded"
    default_bounds: ClassVar[Bounds] = {"max_pods": 10_000}

    def describe_bounds(self, bounds: Bounds) -> str:
        return f"replicas, active 0..{bounds['max_pods']:,}, burst 500, any outcomes"

    def violation(self, sync: SyncTerms, result: SyncResultTerms, burst: int) -> z3.BoolRef:
        raise NotImplementedError

    def find_counterexample(self, bounds: Bounds, timeout_ms: int) -> Counterexample | None:
        burst = spec_replicaset.BURST_REPLICAS
        sync = SyncTerms.fresh()
        result = manage_replicas_term(sync, burst)
        constraints = [
            *sync.domain(bounds["max_pods"]),
            z3.Or(z3.Not(result.finished), self.violation(sync, result, burst)),
        ]
        objective = sync.replicas + sync.active + sync.fail_start + sync.fail_count + sync.delete_failures
        model = find_smallest(constraints, objective, timeout_ms=timeout_ms)
        if model is None:
            return None
        replicas, active, outcomes = sync.value(model)
        if not z3.is_true(model.eval(result.finished, model_completion=True)):
            return Counterexample(
                f"spec.replicas={replicas}, {active} active pods: the slow-start loop runs more than "
                f"{unrolled_batches(burst)} batches, more than the proof unrolls",
                {"replicas": replicas, "active": active, "outcomes": outcomes},
            )
        # Rendered with the (possibly mutated) spec itself: what it does on the inputs Z3 found.
        done = spec_replicaset.manage_replicas(replicas, active, outcomes, burst)
        explained = "; ".join(self.problems(replicas, active, done, burst))
        return Counterexample(
            f"{describe_sync(replicas, active, outcomes, done)}: {explained}",
            {"replicas": replicas, "active": active, "outcomes": outcomes, "result": done},
        )


def _converge_problems(replicas: int, active: int, result: SyncResult, burst: int) -> list[str]:
    after = active_after(active, result)
    problems = []
    if not min(active, replicas) <= after <= max(active, replicas):
        problems.append(
            f"{after} active pods is past spec.replicas={replicas} or further from it than {active}"
        )
    if result.failed_creations == 0 and result.failed_deletions == 0:
        expected = distance(replicas, active) - min(distance(replicas, active), burst)
        if distance(replicas, after) != expected:
            problems.append(
                f"every call succeeded, yet the distance is {distance(replicas, active)} -> "
                f"{distance(replicas, after)}, not {expected}"
            )
    return problems


def _slow_start_problems(replicas: int, active: int, result: SyncResult, burst: int) -> list[str]:
    problems = []
    if result.creations_attempted > burst:
        problems.append(f"{result.creations_attempted} creations attempted, more than burstReplicas={burst}")
    if result.deletions_attempted > burst:
        problems.append(f"{result.deletions_attempted} deletions attempted, more than burstReplicas={burst}")
    if result.failed_creations > result.created + 1:
        problems.append(f"{result.failed_creations} creations failed but only {result.created} succeeded")
    batches = result.batches
    if batches:
        initial = spec_replicaset.SLOW_START_INITIAL_BATCH_SIZE
        if batches[0] > initial:
            problems.append(f"the first batch has {batches[0]} creations, more than {initial}")
        for index, (previous, batch) in enumerate(itertools.pairwise(batches)):
            last = index == len(batches) - 2
            if batch > 2 * previous or (not last and batch != 2 * previous):
                problems.append(
                    f"a batch of {batch} after one of {previous}: batches {batches} do not double"
                )
        if result.failed_creations > batches[-1]:
            problems.append(
                f"{result.failed_creations} creations failed, more than the last batch ({batches[-1]}): "
                "a batch started after one with a failure"
            )
    return problems


class ConvergeBounded(_BoundedSync):
    requirement_id = spec_replicaset.REPLICASET_CONVERGE.id

    def violation(self, sync: SyncTerms, result: SyncResultTerms, burst: int) -> z3.BoolRef:
        return converge_violation(sync.replicas, sync.active, result, burst)

    def problems(self, replicas: int, active: int, result: SyncResult, burst: int) -> list[str]:
        return _converge_problems(replicas, active, result, burst)


class SlowStartBounded(_BoundedSync):
    requirement_id = spec_replicaset.REPLICASET_SLOW_START.id

    def violation(self, sync: SyncTerms, result: SyncResultTerms, burst: int) -> z3.BoolRef:
        return slow_start_violation(result, burst)

    def problems(self, replicas: int, active: int, result: SyncResult, burst: int) -> list[str]:
        return _slow_start_problems(replicas, active, result, burst)


# -- the symbolic proofs: induction over the slow-start loop ----------------------------------


@dataclass(frozen=True)
class LoopHead:
    """The variables of ``slow_start_batch`` at the top of its loop."""

    count: z3.ArithRef
    attempted: z3.ArithRef
    successes: z3.ArithRef
    remaining: z3.ArithRef
    batch: z3.ArithRef

    @classmethod
    def fresh(cls, prefix: str) -> LoopHead:
        return cls(
            *[z3.Int(f"{prefix}.{n}") for n in ("count", "attempted", "successes", "remaining", "batch")]
        )


def slow_start_first_batch_term(count: z3.ArithRef, initial_batch_size: int) -> z3.ArithRef:
    """``slow_start_batch``'s first batch: ``min(count, initial_batch_size)``."""
    return min_term(count, z3.IntVal(initial_batch_size))


def slow_start_iteration_term(head: LoopHead, failures: z3.ArithRef) -> tuple[LoopHead, z3.BoolRef]:
    """One pass of ``slow_start_batch``'s loop body with ``failures`` of the batch's calls failing.

    Returns the next loop head and whether the loop goes on (no failure and
    a next batch > 0). Tied to the Python loop by running it pass by pass
    (``tests/invariants/test_replicaset_encodings.py``).
    """
    whole = failures == 0
    remaining = z3.If(whole, head.remaining - head.batch, head.remaining)
    batch = min_term(2 * head.batch, head.remaining - head.batch)
    after = LoopHead(
        count=head.count,
        attempted=head.attempted + head.batch,
        successes=head.successes + head.batch - failures,
        remaining=remaining,
        batch=z3.If(whole, batch, head.batch),
    )
    return after, z3.And(whole, batch > 0)


class _SymbolicSync(_SyncInvariant):
    """Induction over ``slow_start_batch``'s loop, then ``manage_replicas`` with the loop's summary.

    ``loop_invariant`` holds at the loop head whenever a batch is about to
    run; ``summary`` is what holds of (attempted, successes) once the loop
    has stopped. The loop stops: ``remaining`` drops by ``batch >= 1`` at
    each pass without failure, and a pass with a failure is the last.
    """

    method = "symbolic"

    def describe_bounds(self, bounds: Bounds) -> str:
        return "any replicas, active pods, burstReplicas >= 1 (loop induction)"

    def loop_invariant(self, head: LoopHead) -> z3.BoolRef:
        raise NotImplementedError

    def summary(self, head: LoopHead, all_succeeded: z3.BoolRef) -> z3.BoolRef:
        raise NotImplementedError

    def violation(self, sync: SyncTerms, result: SyncResultTerms, burst: z3.ArithRef) -> z3.BoolRef:
        raise NotImplementedError

    def loop_counterexample(self, timeout_ms: int) -> Counterexample | None:
        """Base case (no batch at all, or the first batch), inductive step, and the summary at the end."""
        initial = spec_replicaset.SLOW_START_INITIAL_BATCH_SIZE
        count = z3.Int("count")
        first = slow_start_first_batch_term(count, initial)
        start = LoopHead(count, z3.IntVal(0), z3.IntVal(0), count, first)
        found = find_model(
            [count >= 0, count <= INT32_MAX, first <= 0, z3.Not(self.summary(start, z3.BoolVal(True)))],
            timeout_ms=timeout_ms,
        )
        if found is not None:
            n = found.eval(count).as_long()
            return Counterexample(
                f"slow start of {n} creations with a first batch of {initial}: no batch runs and "
                f"0 of {n} are created, although none failed",
                {"count": n},
            )
        found = find_model(
            [count >= 1, count <= INT32_MAX, first > 0, z3.Not(self.loop_invariant(start))],
            timeout_ms=timeout_ms,
        )
        if found is not None:
            n = found.eval(count).as_long()
            return Counterexample(
                f"slow start of {n} creations: its first batch of {found.eval(first)} is more than one "
                "creation with none made yet",
                {"count": n},
            )
        head, failures = LoopHead.fresh("head"), z3.Int("failures")
        after, goes_on = slow_start_iteration_term(head, failures)
        step = [
            head.count <= INT32_MAX,
            self.loop_invariant(head),
            failures >= 0,
            failures <= head.batch,
            z3.Or(
                z3.And(goes_on, z3.Not(self.loop_invariant(after))),
                z3.And(z3.Not(goes_on), z3.Not(self.summary(after, after.successes == after.attempted))),
            ),
        ]
        found = find_smallest(step, head.count, timeout_ms=timeout_ms)
        if found is not None:
            values = {
                name: found.eval(getattr(head, name)).as_long() for name in ("count", "attempted", "batch")
            }
            failing = found.eval(failures).as_long()
            return Counterexample(
                f"slow start of {values['count']} creations, {values['attempted']} made: a batch of "
                f"{values['batch']} with {failing} failing leaves {found.eval(after.attempted)} attempted, "
                f"{found.eval(after.successes)} created and the loop "
                f"{'going on' if z3.is_true(found.eval(goes_on)) else 'stopped'}",
                {**values, "failures": failing},
            )
        return None

    def find_counterexample(self, bounds: Bounds, timeout_ms: int) -> Counterexample | None:
        found = self.loop_counterexample(timeout_ms)
        if found is not None:
            return found
        sync, burst = SyncTerms.fresh(), z3.Int("burstReplicas")
        attempted, created = z3.Ints("attempted created")
        counts: list[z3.ArithRef] = []

        def summarised(count: z3.ArithRef) -> tuple[z3.ArithRef, z3.ArithRef, z3.BoolRef]:
            counts.append(count)
            return attempted, created, z3.BoolVal(True)

        result = manage_replicas_term(sync, burst, creations=summarised)
        (count,) = counts
        loop_end = LoopHead(count, attempted, created, z3.IntVal(0), z3.IntVal(0))
        constraints = [
            *sync.domain(INT32_MAX),
            burst >= 1,
            burst <= INT32_MAX,
            self.summary(loop_end, created == attempted),
            self.violation(sync, result, burst),
        ]
        model = find_smallest(constraints, sync.replicas + sync.active + burst, timeout_ms=timeout_ms)
        if model is None:
            return None
        replicas, active, _ = sync.value(model)
        numbers = {
            name: int(model.eval(term, model_completion=True).as_long())
            for name, term in (
                ("burst", burst),
                ("creations_attempted", result.creations_attempted),
                ("created", result.created),
                ("deletions_attempted", result.deletions_attempted),
                ("deleted", result.deleted),
            )
        }
        return Counterexample(
            f"spec.replicas={replicas}, {active} active pods, burstReplicas={numbers['burst']}: "
            f"{numbers['created']} of {numbers['creations_attempted']} creations and {numbers['deleted']} of "
            f"{numbers['deletions_attempted']} deletions succeed: {self.explain(replicas, active, numbers)}",
            {"replicas": replicas, "active": active, **numbers},
        )

    def explain(self, replicas: int, active: int, numbers: dict[str, int]) -> str:
        raise NotImplementedError


def _batches_within_count(head: LoopHead) -> z3.BoolRef:
    """What convergence needs at the loop head: the next batch fits what remains of ``count``."""
    return z3.And(
        head.attempted >= 0,
        head.successes >= 0,
        head.successes <= head.attempted,
        head.remaining == head.count - head.attempted,
        head.batch >= 1,
        head.batch <= head.remaining,
    )


class ConvergeSymbolic(_SymbolicSync):
    requirement_id = spec_replicaset.REPLICASET_CONVERGE.id

    def loop_invariant(self, head: LoopHead) -> z3.BoolRef:
        return _batches_within_count(head)

    def summary(self, head: LoopHead, all_succeeded: z3.BoolRef) -> z3.BoolRef:
        """Within ``count``, and all of it when nothing failed."""
        return z3.And(
            0 <= head.successes,
            head.successes <= head.attempted,
            head.attempted <= head.count,
            z3.Implies(all_succeeded, head.successes == head.count),
        )

    def violation(self, sync: SyncTerms, result: SyncResultTerms, burst: z3.ArithRef) -> z3.BoolRef:
        return converge_violation(sync.replicas, sync.active, result, burst)

    def problems(self, replicas: int, active: int, result: SyncResult, burst: int) -> list[str]:
        return _converge_problems(replicas, active, result, burst)

    def explain(self, replicas: int, active: int, numbers: dict[str, int]) -> str:
        after = active + numbers["created"] - numbers["deleted"]
        before_distance = distance(replicas, active)
        said = f"{after} active pods, distance {before_distance} -> {distance(replicas, after)}"
        everything = numbers["created"] == numbers["creations_attempted"] and (
            numbers["deleted"] == numbers["deletions_attempted"]
        )
        if everything:
            expected = before_distance - min(before_distance, numbers["burst"])
            said += f", not {expected} with every call succeeding"
        return said


class SlowStartSymbolic(_SymbolicSync):
    requirement_id = spec_replicaset.REPLICASET_SLOW_START.id

    def loop_invariant(self, head: LoopHead) -> z3.BoolRef:
        """Every batch so far succeeded whole, and the next is at most one more than the successes."""
        return z3.And(
            _batches_within_count(head), head.successes == head.attempted, head.batch <= head.attempted + 1
        )

    def summary(self, head: LoopHead, all_succeeded: z3.BoolRef) -> z3.BoolRef:
        """Within ``count``, and at most one more failure than successes."""
        return z3.And(
            0 <= head.successes,
            head.successes <= head.attempted,
            head.attempted <= head.count,
            head.attempted - head.successes <= head.successes + 1,
        )

    def violation(self, sync: SyncTerms, result: SyncResultTerms, burst: z3.ArithRef) -> z3.BoolRef:
        return slow_start_violation(result, burst)

    def problems(self, replicas: int, active: int, result: SyncResult, burst: int) -> list[str]:
        return _slow_start_problems(replicas, active, result, burst)

    def explain(self, replicas: int, active: int, numbers: dict[str, int]) -> str:
        burst, failed = numbers["burst"], numbers["creations_attempted"] - numbers["created"]
        said = []
        if numbers["creations_attempted"] > burst or numbers["deletions_attempted"] > burst:
            said.append(f"more calls than burstReplicas={burst}")
        if failed > numbers["created"] + 1:
            said.append(f"{failed} creations failed, more than {numbers['created']} succeeded + 1")
        return "; ".join(said)


CONVERGE_BOUNDED = register(ConvergeBounded())
CONVERGE_SYMBOLIC = register(ConvergeSymbolic())
SLOW_START_BOUNDED = register(SlowStartBounded())
SLOW_START_SYMBOLIC = register(SlowStartSymbolic())
