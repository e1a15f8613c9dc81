"""StatefulSet ordering and convergence: the requirements of ``spec/workloads/statefulset.py`` proved with Z3.

Invariants registered here (``ID:method``), each over both pod management
policies (the policy is a variable of the proof):

- ``STATEFULSET-ORDERED-CREATE:bounded``: every state of ordinals
  ``0 .. max_ordinals-1`` (each missing, pending, Running and Ready,
  terminating or failed), ``spec.replicas`` ``0 .. max_ordinals`` and every
  outcome of every call (each ordinal's call may fail).
- ``STATEFULSET-ORDERED-DELETE:bounded``: the same states and outcomes.
- ``STATEFULSET-CONVERGE:bounded``: every settled state (each ordinal
  missing, Running and Ready or failed) of those ordinals and replicas,
  every call succeeding.

Why bounded only: a sync walks the ordinals, and which pod it acts on
depends on every ordinal below (or above) it; over any number of ordinals
that needs quantifiers over arrays, which Z3 does not decide reliably. The
bound is on ordinals, not on time: ten ordinals hold every pattern of the
rules (a walk that stops at each of them, condemned pods below and above
the first unhealthy one, four slow-start batches under Parallel).

The encoding (``sync_term``) is hand-written after the Python, function by
function (``ordered_replicas_term``, ``ordered_condemned_term``,
``parallel_term``), and tied to it by
``tests/invariants/test_statefulset_invariants.py``, which evaluates it on
generated states and compares with ``spec.workloads.statefulset.sync``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import z3

from invariants.framework import Bounds, Counterexample, Invariant, find_smallest, register
from spec.workloads import statefulset as spec_sts
from spec.workloads.statefulset import ORDERED_READY, PARALLEL, Actions, PodState

#: Each pod state as an Int in the proofs.
CODES: dict[PodState, int] = {state: code for code, state in enumerate(PodState)}
STATES: dict[int, PodState] = {code: state for state, code in CODES.items()}
SETTLED = (PodState.MISSING, PodState.READY, PodState.FAILED)


@dataclass(frozen=True)
class SetTerms:
    """``spec.replicas``, the policy, the state of each ordinal ``0 .. size-1``, and which calls fail."""

    replicas: z3.ArithRef
    parallel: z3.BoolRef
    states: tuple[z3.ArithRef, ...]
    failing: tuple[z3.BoolRef, ...]

    @classmethod
    def fresh(cls, size: int) -> SetTerms:
        return cls(
            z3.Int("replicas"),
            z3.Bool("parallel"),
            tuple(z3.Int(f"pod{i}") for i in range(size)),
            tuple(z3.Bool(f"fails{i}") for i in range(size)),
        )

    @property
    def size(self) -> int:
        return len(self.states)

    def is_(self, ordinal: int, state: PodState) -> z3.BoolRef:
        return self.states[ordinal] == CODES[state]

    def exists(self, ordinal: int) -> z3.BoolRef:
        return z3.Not(self.is_(ordinal, PodState.MISSING))

    def in_range(self, ordinal: int) -> z3.BoolRef:
        return ordinal < self.replicas

    def domain(self) -> list[z3.BoolRef]:
        return [
            self.replicas >= 0,
            self.replicas <= self.size,
            *[z3.And(s >= 0, s < len(CODES)) for s in self.states],
        ]

    def substitution(
        self, replicas: int, policy: str, pods: Mapping[int, PodState], failing: frozenset[int]
    ) -> list[tuple[z3.ExprRef, z3.ExprRef]]:
        pairs: list[tuple[z3.ExprRef, z3.ExprRef]] = [
            (self.replicas, z3.IntVal(replicas)),
            (self.parallel, z3.BoolVal(policy == PARALLEL)),
        ]
        for i in range(self.size):
            pairs.append((self.states[i], z3.IntVal(CODES[pods.get(i, PodState.MISSING)])))
            pairs.append((self.failing[i], z3.BoolVal(i in failing)))
        return pairs

    def value(self, model: z3.ModelRef) -> tuple[int, str, dict[int, PodState], frozenset[int]]:
        def number(term: z3.ArithRef) -> int:
            return int(model.eval(term, model_completion=True).as_long())

        pods = {
            i: STATES[number(s)] for i, s in enumerate(self.states) if number(s) != CODES[PodState.MISSING]
        }
        failing = frozenset(
            i for i, f in enumerate(self.failing) if z3.is_true(model.eval(f, model_completion=True))
        )
        policy = PARALLEL if z3.is_true(model.eval(self.parallel, model_completion=True)) else ORDERED_READY
        return number(self.replicas), policy, pods, failing


@dataclass(frozen=True)
class ActionTerms:
    """Per ordinal: whether the sync creates it, whether it deletes it."""

    create: tuple[z3.BoolRef, ...]
    delete: tuple[z3.BoolRef, ...]

    def calls(self) -> z3.ArithRef:
        return z3.Sum([z3.If(c, 1, 0) for c in (*self.create, *self.delete)])


# -- encodings of spec/workloads/statefulset.py ------------------------------------------------


def _all(terms: list[z3.BoolRef]) -> z3.BoolRef:
    return z3.And(*terms) if terms else z3.BoolVal(True)


def _any(terms: list[z3.BoolRef]) -> z3.BoolRef:
    return z3.Or(*terms) if terms else z3.BoolVal(False)


def ordered_replicas_term(s: SetTerms) -> tuple[ActionTerms, z3.BoolRef]:
    """``ordered_replicas``: the walk up the replica slots, and whether it stopped (it acted or waits)."""
    reached: z3.BoolRef = z3.BoolVal(True)  # every slot below is Running and Ready
    create, delete = [], []
    for i in range(s.size):
        here = z3.And(reached, s.in_range(i))
        create.append(z3.And(here, s.is_(i, PodState.MISSING)))
        delete.append(z3.And(here, s.is_(i, PodState.FAILED)))
        reached = z3.And(reached, z3.Or(z3.Not(s.in_range(i)), s.is_(i, PodState.READY)))
    return ActionTerms(tuple(create), tuple(delete)), z3.Not(reached)


def is_condemned(s: SetTerms, ordinal: int) -> z3.BoolRef:
    return z3.And(z3.Not(s.in_range(ordinal)), s.exists(ordinal))


def ordered_condemned_term(s: SetTerms) -> ActionTerms:
    """``ordered_condemned``: the highest condemned pod, if it is Ready or the first unhealthy pod.

    Reached only with every replica slot healthy, so the first unhealthy pod
    is the lowest unhealthy condemned one.
    """
    delete = []
    for i in range(s.size):
        highest = z3.And(is_condemned(s, i), _all([z3.Not(s.exists(k)) for k in range(i + 1, s.size)]))
        lowest_unhealthy = z3.And(
            z3.Not(s.is_(i, PodState.READY)),
            _all([z3.Or(z3.Not(is_condemned(s, k)), s.is_(k, PodState.READY)) for k in range(i)]),
        )
        delete.append(
            z3.And(
                highest,
                z3.Not(s.is_(i, PodState.TERMINATING)),
                z3.Or(s.is_(i, PodState.READY), lowest_unhealthy),
            )
        )
    return ActionTerms(tuple(z3.BoolVal(False) for _ in range(s.size)), tuple(delete))


def batch_index_term(position: z3.ArithRef, size: int) -> z3.ArithRef:
    """The slow-start batch (0, 1, 2, ...) of a position: batch k holds positions 2^k - 1 .. 2^(k+1) - 2."""
    term: z3.ArithRef = z3.IntVal(size.bit_length())
    for k in reversed(range(size.bit_length() + 1)):
        term = z3.If(position <= 2 ** (k + 1) - 2, k, term)
    return term


def static_batch_index(position: int) -> int:
    return (position + 1).bit_length() - 1


def parallel_term(s: SetTerms) -> ActionTerms:
    """``sync`` under Parallel: slow-start over the replica slots, then over the condemned pods."""
    if s.size >= spec_sts.MAX_BATCH_SIZE:
        raise ValueError("the encoding leaves MaxBatchSize out; it needs fewer ordinals")
    makes_call = [
        z3.And(s.in_range(p), z3.Or(s.is_(p, PodState.MISSING), s.is_(p, PodState.FAILED)))
        for p in range(s.size)
    ]
    errors = [z3.And(makes_call[p], s.failing[p]) for p in range(s.size)]
    create, delete = [], []
    for p in range(s.size):
        earlier = [errors[q] for q in range(s.size) if static_batch_index(q) < static_batch_index(p)]
        called = z3.And(s.in_range(p), z3.Not(_any(earlier)))
        create.append(z3.And(called, s.is_(p, PodState.MISSING)))
        delete.append(z3.And(called, s.is_(p, PodState.FAILED)))
    replicas_failed = _any(errors)
    # Condemned pods are listed highest first; a pod's position counts the condemned pods above it.
    batch = [
        batch_index_term(
            z3.Sum([z3.If(is_condemned(s, k), 1, 0) for k in range(j + 1, s.size)] + [0]), s.size
        )
        for j in range(s.size)
    ]
    live = [z3.And(is_condemned(s, j), z3.Not(s.is_(j, PodState.TERMINATING))) for j in range(s.size)]
    condemned_errors = [z3.And(live[j], s.failing[j]) for j in range(s.size)]
    for j in range(s.size):
        earlier = [z3.And(condemned_errors[k], batch[k] < batch[j]) for k in range(s.size) if k != j]
        delete[j] = z3.Or(delete[j], z3.And(live[j], z3.Not(replicas_failed), z3.Not(_any(earlier))))
    return ActionTerms(tuple(create), tuple(delete))


def sync_term(s: SetTerms) -> ActionTerms:
    """``sync``: the calls of one sync, for either policy."""
    walked, stopped = ordered_replicas_term(s)
    scaled_down = ordered_condemned_term(s)
    ordered = ActionTerms(
        walked.create,
        tuple(z3.If(stopped, w, c) for w, c in zip(walked.delete, scaled_down.delete, strict=True)),
    )
    burst = parallel_term(s)
    return ActionTerms(
        tuple(z3.If(s.parallel, b, o) for b, o in zip(burst.create, ordered.create, strict=True)),
        tuple(z3.If(s.parallel, b, o) for b, o in zip(burst.delete, ordered.delete, strict=True)),
    )


def settled_after_term(s: SetTerms, actions: ActionTerms) -> tuple[z3.ArithRef, ...]:
    """``settle(after_sync(...))`` with every call succeeding: created -> Ready, deleted -> gone."""
    after = []
    for i in range(s.size):
        settled = z3.If(
            s.is_(i, PodState.PENDING),
            CODES[PodState.READY],
            z3.If(s.is_(i, PodState.TERMINATING), CODES[PodState.MISSING], s.states[i]),
        )
        after.append(
            z3.If(
                actions.create[i],
                CODES[PodState.READY],
                z3.If(actions.delete[i], CODES[PodState.MISSING], settled),
            )
        )
    return tuple(after)


def rank_term(replicas: z3.ArithRef, states: tuple[z3.ArithRef, ...]) -> z3.ArithRef:
    """``convergence_rank``."""
    terms = []
    for i, state in enumerate(states):
        in_range = i < replicas
        terms.append(
            z3.If(
                in_range,
                z3.If(state == CODES[PodState.MISSING], 1, z3.If(state == CODES[PodState.FAILED], 2, 0)),
                z3.If(state == CODES[PodState.MISSING], 0, 1),
            )
        )
    return z3.Sum(terms)


def complete_term(replicas: z3.ArithRef, states: tuple[z3.ArithRef, ...]) -> z3.BoolRef:
    """``is_complete``."""
    return _all(
        [
            z3.If(i < replicas, state == CODES[PodState.READY], state == CODES[PodState.MISSING])
            for i, state in enumerate(states)
        ]
    )


def failed_condemned_term(s: SetTerms) -> z3.ArithRef:
    return z3.Sum([z3.If(z3.And(is_condemned(s, i), s.is_(i, PodState.FAILED)), 1, 0) for i in range(s.size)])


# -- the requirements as counterexample conditions ----------------------------------------------


def ordered_create_violation(s: SetTerms, a: ActionTerms) -> z3.BoolRef:
    """Under OrderedReady: more than one call, or pod i created (failed pod i < replicas deleted) while a
    lower pod is not Running and Ready."""
    early = []
    for i in range(s.size):
        acts = z3.Or(a.create[i], z3.And(a.delete[i], s.in_range(i), s.is_(i, PodState.FAILED)))
        early.append(z3.And(acts, _any([z3.Not(s.is_(k, PodState.READY)) for k in range(i)])))
    return z3.And(z3.Not(s.parallel), z3.Or(a.calls() > 1, _any(early)))


def ordered_delete_violation(s: SetTerms, a: ActionTerms) -> z3.BoolRef:
    wrong = []
    for i in range(s.size):
        ready_replica = z3.And(a.delete[i], s.in_range(i), s.is_(i, PodState.READY))
        scaling = z3.And(a.delete[i], z3.Not(s.in_range(i)))
        higher_exists = _any([s.exists(k) for k in range(i + 1, s.size)])
        replica_unready = _any(
            [z3.And(s.in_range(k), z3.Not(s.is_(k, PodState.READY))) for k in range(s.size)]
        )
        lower_unready = _any(
            [z3.And(s.exists(k), z3.Not(s.is_(k, PodState.READY))) for k in range(i)]
            + [z3.And(s.in_range(k), z3.Not(s.exists(k))) for k in range(i)]
        )
        ordered = z3.And(
            z3.Not(s.parallel),
            scaling,
            z3.Or(higher_exists, replica_unready, z3.And(z3.Not(s.is_(i, PodState.READY)), lower_unready)),
        )
        skipped = _any(
            [
                z3.And(is_condemned(s, k), z3.Not(s.is_(k, PodState.TERMINATING)), z3.Not(a.delete[k]))
                for k in range(i + 1, s.size)
            ]
        )
        parallel = z3.And(s.parallel, scaling, skipped)
        wrong.append(z3.Or(ready_replica, ordered, parallel))
    return _any(wrong)


def converge_violation(s: SetTerms, a: ActionTerms) -> z3.BoolRef:
    """A complete set that the sync changes, or an incomplete one whose rank does not drop."""
    after = settled_after_term(s, a)
    complete = complete_term(s.replicas, s.states)
    return z3.Or(
        z3.And(complete, a.calls() > 0),
        z3.And(z3.Not(complete), rank_term(s.replicas, after) >= rank_term(s.replicas, s.states)),
    )


def converge_assumptions(s: SetTerms) -> list[z3.BoolRef]:
    """Settled states, every call succeeding, and under OrderedReady at most one failed condemned pod."""
    return [
        *[z3.Or(*[s.is_(i, state) for state in SETTLED]) for i in range(s.size)],
        *[z3.Not(f) for f in s.failing],
        z3.Or(s.parallel, failed_condemned_term(s) <= 1),
    ]


# -- the invariants -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatefulSetSync:
    """One sync a machine observed: spec.replicas, the policy, the pods before, what it did, which calls
    failed."""

    replicas: int
    policy: str
    pods: Mapping[int, PodState]
    actions: Actions
    failing: frozenset[int] = field(default_factory=frozenset)


def render_pods(pods: Mapping[int, PodState]) -> str:
    shown = [f"{o}:{s.value}" for o, s in sorted(pods.items()) if s.exists]
    return "{" + ", ".join(shown) + "}"


def describe_sync(state: StatefulSetSync) -> str:
    did = []
    if state.actions.creations:
        did.append("creates " + ", ".join(map(str, state.actions.creations)))
    if state.actions.deletions:
        did.append("deletes " + ", ".join(map(str, state.actions.deletions)))
    failing = f", calls on {sorted(state.failing)} fail" if state.failing else ""
    return (
        f"{state.policy}, spec.replicas={state.replicas}, pods {render_pods(state.pods)}{failing}: the sync "
        f"{' and '.join(did) if did else 'does nothing'}"
    )


def _lower_unready(pods: Mapping[int, PodState], replicas: int, ordinal: int) -> list[int]:
    return [
        k
        for k in range(ordinal)
        if (k < replicas and spec_sts.state_of(pods, k) is not PodState.READY)
        or (k >= replicas and spec_sts.state_of(pods, k) not in (PodState.READY, PodState.MISSING))
    ]


def ordered_create_problems(state: StatefulSetSync) -> list[str]:
    if state.policy != ORDERED_READY:
        return []
    problems = []
    if state.actions.calls > 1:
        problems.append(f"{state.actions.calls} calls in one OrderedReady sync, not at most 1")
    failed_replicas = [
        o
        for o in state.actions.deletions
        if o < state.replicas and spec_sts.state_of(state.pods, o) is PodState.FAILED
    ]
    for ordinal in (*state.actions.creations, *failed_replicas):
        below = [k for k in range(ordinal) if spec_sts.state_of(state.pods, k) is not PodState.READY]
        if below:
            problems.append(
                f"pod {ordinal} is replaced or created while pods {below} are not Running and Ready"
            )
    return problems


def ordered_delete_problems(state: StatefulSetSync) -> list[str]:
    problems = []
    pods, replicas = state.pods, state.replicas
    for ordinal in state.actions.deletions:
        here = spec_sts.state_of(pods, ordinal)
        if ordinal < replicas:
            if here is PodState.READY:
                problems.append(f"pod {ordinal} < spec.replicas is Running and Ready, yet deleted")
            continue
        if state.policy == ORDERED_READY:
            higher = [k for k, s in pods.items() if k > ordinal and s.exists]
            if higher:
                problems.append(f"pod {ordinal} is deleted while pods {sorted(higher)} above it exist")
            unready = [k for k in range(replicas) if spec_sts.state_of(pods, k) is not PodState.READY]
            if unready:
                problems.append(
                    f"pod {ordinal} is deleted while replicas {unready} are not Running and Ready"
                )
            below = _lower_unready(pods, replicas, ordinal)
            if here is not PodState.READY and below:
                problems.append(
                    f"pod {ordinal} ({here.value}) is deleted while pods {below} below it are not "
                    "Running and Ready"
                )
        else:
            skipped = [
                k
                for k in spec_sts.condemned(replicas, pods)
                if k > ordinal and pods[k] is not PodState.TERMINATING and k not in state.actions.deletions
            ]
            if skipped:
                problems.append(f"pod {ordinal} is deleted before pods {skipped} above it")
    return problems


def converge_problems(state: StatefulSetSync) -> list[str]:
    pods, replicas = state.pods, state.replicas
    if not spec_sts.is_settled(pods) or state.failing:
        return []  # the requirement is about settled states and calls that succeed
    if state.policy == ORDERED_READY and spec_sts.failed_condemned(replicas, pods) > 1:
        return []
    if spec_sts.is_complete(replicas, pods):
        return [] if state.actions == spec_sts.NO_ACTIONS else ["the set is complete, yet the sync acts"]
    after = spec_sts.settle(spec_sts.after_sync(pods, state.actions))
    before_rank, after_rank = (
        spec_sts.convergence_rank(replicas, pods),
        spec_sts.convergence_rank(replicas, after),
    )
    if after_rank >= before_rank:
        return [
            f"the set is not complete, yet the rank goes {before_rank} -> {after_rank} "
            f"(pods then {render_pods(after)})"
        ]
    return []


class _Bounded(Invariant[StatefulSetSync]):
    method = "bounded"
    requirement_id: ClassVar[str]
    default_bounds: ClassVar[Bounds] = {"max_ordinals": 10}

    def __init__(self) -> None:
        super().__init__(self.requirement_id)

    def describe_bounds(self, bounds: Bounds) -> str:
        return (
            f"ordinals 0..{bounds['max_ordinals'] - 1}, replicas 0..{bounds['max_ordinals']}, both policies"
        )

    def violation(self, s: SetTerms, a: ActionTerms) -> z3.BoolRef:
        raise NotImplementedError

    def assumptions(self, s: SetTerms) -> list[z3.BoolRef]:
        return []

    def problems(self, state: StatefulSetSync) -> list[str]:
        raise NotImplementedError

    def check(self, state: StatefulSetSync) -> list[str]:
        return self.problems(state)

    def find_counterexample(self, bounds: Bounds, timeout_ms: int) -> Counterexample | None:
        s = SetTerms.fresh(bounds["max_ordinals"])
        a = sync_term(s)
        constraints = [*s.domain(), *self.assumptions(s), self.violation(s, a)]
        # Few pods and low ordinals read best.
        objective = s.replicas + z3.Sum(
            [z3.If(s.exists(i), i + 1, 0) + z3.If(s.failing[i], 1, 0) for i in range(s.size)]
        )
        model = find_smallest(constraints, objective, timeout_ms=timeout_ms)
        if model is None:
            return None
        replicas, policy, pods, failing = s.value(model)
        # Rendered with the (possibly mutated) spec itself: what it does on the state Z3 found.
        done = StatefulSetSync(
            replicas, policy, pods, spec_sts.sync(replicas, pods, policy, failing), failing
        )
        return Counterexample(
            f"{describe_sync(done)}: {'; '.join(self.problems(done))}",
            {"replicas": replicas, "policy": policy, "pods": pods, "failing": failing, "sync": done},
        )


class OrderedCreateBounded(_Bounded):
    requirement_id = spec_sts.STATEFULSET_ORDERED_CREATE.id

    def violation(self, s: SetTerms, a: ActionTerms) -> z3.BoolRef:
        return ordered_create_violation(s, a)

    def problems(self, state: StatefulSetSync) -> list[str]:
        return ordered_create_problems(state)


class OrderedDeleteBounded(_Bounded):
    requirement_id = spec_sts.STATEFULSET_ORDERED_DELETE.id

    def violation(self, s: SetTerms, a: ActionTerms) -> z3.BoolRef:
        return ordered_delete_violation(s, a)

    def problems(self, state: StatefulSetSync) -> list[str]:
        return ordered_delete_problems(state)


class ConvergeBounded(_Bounded):
    requirement_id = spec_sts.STATEFULSET_CONVERGE.id

    def describe_bounds(self, bounds: Bounds) -> str:
        return super().describe_bounds(bounds) + ", settled states, calls succeed"

    def assumptions(self, s: SetTerms) -> list[z3.BoolRef]:
        return converge_assumptions(s)

    def violation(self, s: SetTerms, a: ActionTerms) -> z3.BoolRef:
        return converge_violation(s, a)

    def problems(self, state: StatefulSetSync) -> list[str]:
        return converge_problems(state)


ORDERED_CREATE_BOUNDED = register(OrderedCreateBounded())
ORDERED_DELETE_BOUNDED = register(OrderedDeleteBounded())
CONVERGE_BOUNDED = register(ConvergeBounded())
