"""Rollout safety and progress: the requirements of ``spec/workloads/deployment.py`` proved with Z3.

Invariants registered here (``ID:method``):

- ``DEPLOY-ROLL-SURGE:bounded`` and ``:symbolic``: one reconcile never
  raises the sum of the ReplicaSets' ``spec.replicas`` above ``replicas +
  maxSurge`` (nor a sum above it already).
- ``DEPLOY-ROLL-AVAILABILITY:bounded`` and ``:symbolic``: one reconcile
  never scales ReplicaSets so that fewer than ``replicas - maxUnavailable``
  of their available pods are kept (nor removes one when fewer are kept
  already), in every state whose ReplicaSet status is not ahead of its spec
  (``is_observed``). Without that assumption it is false for upstream's
  algorithm; Z3's smallest counterexample: ``replicas=1, maxSurge=1,
  maxUnavailable=0``, new RS ``spec 0``, old RSs ``spec 1 (0 available)``
  and ``spec 1 (2 available, 2 pods)`` -- the second was just scaled from 2
  to 1 and its controller has not deleted the pod yet; the cleanup takes the
  first (unhealthy) one, the scale-down counts 2 available pods against
  ``minAvailable=1`` and scales the second to 0, so its last available pod
  goes too.
- ``DEPLOY-ROLL-PROGRESS:bounded`` and ``:symbolic``: a reconcile that
  changes any ``spec.replicas`` lowers ``rollout_rank``; when every pod is
  available it changes nothing exactly when the rollout is complete.

Bounded proofs: ``replicas`` 0..10,000; maxSurge and maxUnavailable each an
int (any value whose int32 sums upstream computes do not overflow) or a
percentage 0..100 %, valid as validation says (not both 0); 0..3 old
ReplicaSets (one solver call per count; their order matters to upstream's
loops); every ReplicaSet's ``spec.replicas``, ``status.replicas`` and
``status.availableReplicas`` any non-negative numbers with ``available <=
status.replicas``. The step is the whole ``rollout_step``, encoded exactly.

Symbolic proofs: any ``replicas`` (int32), maxSurge up to 1000 %, any number
of old ReplicaSets. The step depends on the old ReplicaSets through their
sums except inside the two loops of ``reconcile_old_replica_sets``, so the
proof is in two parts (see ``loop_lemma_failure``): lemmas over one pass of
each loop, with any ReplicaSet and any loop state, show by induction that
the loops over any number of old ReplicaSets scale down what they scale
down over one ReplicaSet holding the sums, and take at most as many
available pods as they scale down; the requirement is then proved over one
aggregated old ReplicaSet. A counterexample of the aggregate is turned back
into concrete old ReplicaSets that show it (``realize``).

The step is encoded by symbolic execution of the spec's Python: each
``*_term`` function below mirrors the function of the same name in
``spec.workloads.deployment`` (loops unrolled into ``*_pass_term`` calls,
``break`` as a flag), and ``tests/invariants/test_rollout_encodings.py``
evaluates each against it on generated inputs. Percentages are resolved
exactly (``invariants.intstr``). The requirements' bounds
(``allowed_total``, ``required_available``) are encoded from
``spec.intstr.scaled_value`` directly, as the spec states them; the
controller's own resolution (``resolve_max_surge_term``, ...) is what the
mutants replace. Every encoding is looked up when a proof runs, so a test
can put a mutant in its place.

Counterexamples come back as the ``RolloutState`` before the reconcile,
stepped with the spec's (or a mutant's) ``rollout_step`` and rendered like
``replicas=1, maxSurge=0%, maxUnavailable=1; new RS spec 0 (0 available);
old RSs (oldest first) spec 1 (0 available, 0 pods): the reconcile scales
the new RS 0 -> 1: sum of spec.replicas 1 -> 2 > 1 = replicas +
maxSurge(0)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

import z3

from invariants.encoding import Substitution
from invariants.framework import Bounds, Counterexample, Invariant, find_model, find_smallest, register
from invariants.intstr import (
    INT32_MAX,
    PERCENT_BITS,
    IntOrPercentTerm,
    max_term,
    min_term,
    scaled_value_term,
    sum_terms,
)
from spec.workloads import deployment as spec_deployment
from spec.workloads.deployment import (
    ReplicaSetState,
    RolloutState,
    allowed_total,
    deployment_complete,
    is_observed,
    is_settled,
    kept_available,
    required_available,
    rollout_rank,
    total_replicas,
)

# -- the state as Z3 terms ----------------------------------------------------------


@dataclass(frozen=True)
class ReplicaSetTerms:
    """``spec.replicas``, ``status.availableReplicas`` and ``status.replicas`` of one ReplicaSet."""

    replicas: z3.ArithRef
    available: z3.ArithRef
    pods: z3.ArithRef

    @classmethod
    def fresh(cls, name: str) -> ReplicaSetTerms:
        return cls(z3.Int(f"{name}.replicas"), z3.Int(f"{name}.available"), z3.Int(f"{name}.pods"))

    def scaled(self, replicas: z3.ArithRef) -> ReplicaSetTerms:
        return replace(self, replicas=replicas)

    def substitution(self, rs: ReplicaSetState) -> Substitution:
        return [
            (self.replicas, z3.IntVal(rs.replicas)),
            (self.available, z3.IntVal(rs.available)),
            (self.pods, z3.IntVal(rs.pods)),
        ]

    def value(self, model: z3.ModelRef, name: str) -> ReplicaSetState:
        def number(term: z3.ArithRef) -> int:
            return int(model.eval(term, model_completion=True).as_long())

        return ReplicaSetState(number(self.replicas), number(self.available), number(self.pods), name)


@dataclass(frozen=True)
class RolloutTerms:
    """A ``RolloutState`` with ``old_count`` old ReplicaSets, as Z3 terms."""

    replicas: z3.ArithRef
    max_surge: IntOrPercentTerm
    max_unavailable: IntOrPercentTerm
    new: ReplicaSetTerms
    old: tuple[ReplicaSetTerms, ...]

    @classmethod
    def fresh(cls, old_count: int, percent_bits: int = PERCENT_BITS) -> RolloutTerms:
        return cls(
            replicas=z3.Int("replicas"),
            max_surge=IntOrPercentTerm.fresh("maxSurge", percent_bits),
            max_unavailable=IntOrPercentTerm.fresh("maxUnavailable"),
            new=ReplicaSetTerms.fresh("new"),
            old=tuple(ReplicaSetTerms.fresh(f"old{i}") for i in range(old_count)),
        )

    @property
    def replica_sets(self) -> tuple[ReplicaSetTerms, ...]:
        return (*self.old, self.new)

    def with_replicas(self, new: z3.ArithRef, old: Sequence[z3.ArithRef]) -> RolloutTerms:
        return replace(
            self,
            new=self.new.scaled(new),
            old=tuple(rs.scaled(r) for rs, r in zip(self.old, old, strict=True)),
        )

    def domain(self, *, max_replicas: int, max_percent: int) -> list[z3.BoolRef]:
        """Valid Deployments within the bounds, consistent status, and sums that fit upstream's int32.

        Validation: maxSurge and maxUnavailable non-negative, maxUnavailable at
        most 100 %, not both 0. Status: available pods are pods
        (``availableReplicas <= status.replicas``).
        """
        surge = scaled_value_term(self.max_surge, self.replicas, round_up=True)
        return [
            self.replicas >= 0,
            self.replicas <= max_replicas,
            *self.max_surge.constraints(max_percent=max_percent),
            *self.max_unavailable.constraints(max_percent=min(max_percent, 100)),
            z3.Not(z3.And(self.max_surge.amount == 0, self.max_unavailable.amount == 0)),
            self.replicas + surge <= INT32_MAX,
            *[count >= 0 for rs in self.replica_sets for count in (rs.replicas, rs.available, rs.pods)],
            *[rs.available <= rs.pods for rs in self.replica_sets],
            sum_terms([rs.replicas for rs in self.replica_sets]) <= INT32_MAX,
            sum_terms([rs.available for rs in self.replica_sets]) <= INT32_MAX,
            sum_terms([rs.pods for rs in self.replica_sets]) <= INT32_MAX,
        ]

    def substitution(self, state: RolloutState) -> Substitution:
        if len(state.old) != len(self.old):
            raise ValueError(f"{len(state.old)} old ReplicaSets, the terms have {len(self.old)}")
        pairs = [(self.replicas, z3.IntVal(state.replicas))]
        pairs += self.max_surge.substitution(state.max_surge)
        pairs += self.max_unavailable.substitution(state.max_unavailable)
        pairs += self.new.substitution(state.new)
        for terms, rs in zip(self.old, state.old, strict=True):
            pairs += terms.substitution(rs)
        return pairs

    def value(self, model: z3.ModelRef) -> RolloutState:
        return RolloutState(
            replicas=int(model.eval(self.replicas, model_completion=True).as_long()),
            max_surge=self.max_surge.value(model),
            max_unavailable=self.max_unavailable.value(model),
            new=self.new.value(model, "new"),
            old=tuple(rs.value(model, f"old{i}") for i, rs in enumerate(self.old)),
        )

    def size(self) -> z3.ArithRef:
        """What ``find_smallest`` pushes down, so that counterexamples use few pods and small values."""
        return (
            self.replicas
            + self.max_surge.amount
            + self.max_unavailable.amount
            + sum_terms([count for rs in self.replica_sets for count in (rs.replicas, rs.available, rs.pods)])
        )


# -- encodings of spec/workloads/deployment.py -----------------------------------------------


def resolve_max_surge_term(max_surge: IntOrPercentTerm, replicas: z3.ArithRef) -> z3.ArithRef:
    """``resolve_max_surge``: a percentage rounded up."""
    return scaled_value_term(max_surge, replicas, round_up=True)


def resolve_max_unavailable_term(max_unavailable: IntOrPercentTerm, replicas: z3.ArithRef) -> z3.ArithRef:
    """``resolve_max_unavailable``: a percentage rounded down."""
    return scaled_value_term(max_unavailable, replicas, round_up=False)


def resolve_fenceposts_term(
    max_surge: IntOrPercentTerm, max_unavailable: IntOrPercentTerm, desired: z3.ArithRef
) -> tuple[z3.ArithRef, z3.ArithRef]:
    """``resolve_fenceposts``: (surge, unavailable), unavailable 1 when both come to 0."""
    surge = resolve_max_surge_term(max_surge, desired)
    unavailable = resolve_max_unavailable_term(max_unavailable, desired)
    return surge, z3.If(z3.And(surge == 0, unavailable == 0), 1, unavailable)


def resolved_max_unavailable_term(state: RolloutTerms) -> z3.ArithRef:
    """``resolved_max_unavailable`` (``MaxUnavailable``): 0 for 0 replicas, capped at ``replicas``."""
    unavailable = resolve_fenceposts_term(state.max_surge, state.max_unavailable, state.replicas)[1]
    return z3.If(state.replicas == 0, 0, min_term(unavailable, state.replicas))


def allowed_total_term(state: RolloutTerms) -> z3.ArithRef:
    """``allowed_total``: ``replicas`` + maxSurge rounded up, from ``scaled_value`` as the API states it."""
    return state.replicas + scaled_value_term(state.max_surge, state.replicas, round_up=True)


def required_available_term(state: RolloutTerms) -> z3.ArithRef:
    """``required_available``: ``replicas`` - maxUnavailable rounded down (1 if both 0), at least 0."""
    surge = scaled_value_term(state.max_surge, state.replicas, round_up=True)
    unavailable = scaled_value_term(state.max_unavailable, state.replicas, round_up=False)
    unavailable = z3.If(z3.And(surge == 0, unavailable == 0), 1, unavailable)
    return max_term(state.replicas - unavailable, z3.IntVal(0))


def kept_available_term(state: RolloutTerms) -> z3.ArithRef:
    """``kept_available``: ``min(available, spec.replicas)`` summed over the ReplicaSets."""
    return sum_terms([min_term(rs.available, rs.replicas) for rs in state.replica_sets])


def total_replicas_term(replica_sets: Sequence[ReplicaSetTerms]) -> z3.ArithRef:
    return sum_terms([rs.replicas for rs in replica_sets])


def rollout_rank_term(state: RolloutTerms) -> z3.ArithRef:
    """``rollout_rank``: old ``spec.replicas`` plus ``|replicas - new spec.replicas|``."""
    distance = state.replicas - state.new.replicas
    return total_replicas_term(state.old) + z3.If(distance >= 0, distance, -distance)


def is_observed_term(state: RolloutTerms) -> z3.BoolRef:
    return z3.And(*[rs.available <= rs.replicas for rs in state.replica_sets])


def is_settled_term(state: RolloutTerms) -> z3.BoolRef:
    return z3.And(*[z3.And(rs.pods == rs.replicas, rs.available == rs.replicas) for rs in state.replica_sets])


def deployment_complete_term(state: RolloutTerms) -> z3.BoolRef:
    """``deployment_complete`` on the status computed from the ReplicaSets."""
    return z3.And(
        state.new.pods == state.replicas,
        sum_terms([rs.pods for rs in state.replica_sets]) == state.replicas,
        sum_terms([rs.available for rs in state.replica_sets]) == state.replicas,
    )


def new_rs_new_replicas_term(
    replicas: z3.ArithRef, max_surge: IntOrPercentTerm, all_replicas: z3.ArithRef, new_replicas: z3.ArithRef
) -> z3.ArithRef:
    """``new_rs_new_replicas``: grow the new ReplicaSet within ``replicas + maxSurge``, up to ``replicas``."""
    max_total = replicas + resolve_max_surge_term(max_surge, replicas)
    return z3.If(
        all_replicas >= max_total,
        new_replicas,
        new_replicas + min_term(max_total - all_replicas, replicas - new_replicas),
    )


def reconcile_new_replica_set_term(state: RolloutTerms) -> RolloutTerms:
    """``reconcile_new_replica_set``."""
    new = state.new.replicas
    target = z3.If(
        new == state.replicas,
        new,
        z3.If(
            new > state.replicas,
            state.replicas,
            new_rs_new_replicas_term(
                state.replicas, state.max_surge, total_replicas_term(state.replica_sets), new
            ),
        ),
    )
    return replace(state, new=state.new.scaled(target))


@dataclass(frozen=True)
class CleanupTerms:
    """``Cleanup`` as terms: the old ReplicaSets' ``spec.replicas`` after it, the count, the failure."""

    replicas: tuple[z3.ArithRef, ...]
    cleaned: z3.ArithRef
    failed: z3.BoolRef


def cleanup_pass_term(
    rs: ReplicaSetTerms, max_cleanup: z3.ArithRef, cleaned: z3.ArithRef, left: z3.BoolRef
) -> tuple[z3.ArithRef, z3.ArithRef, z3.BoolRef, z3.BoolRef]:
    """One pass of ``cleanup_unhealthy_replicas``' loop over ``rs``.

    ``cleaned`` and ``left`` (the loop was left: ``break`` or the error) are
    the loop's state before the pass; returns ``rs``'s new ``spec.replicas``,
    ``cleaned`` and whether this pass fails and whether the loop is left after it.
    """
    running = z3.Not(left)
    stops = cleaned >= max_cleanup
    skips = z3.Or(rs.replicas == 0, rs.replicas == rs.available)
    count = min_term(max_cleanup - cleaned, rs.replicas - rs.available)
    acts = z3.And(running, z3.Not(stops), z3.Not(skips))
    fails = z3.And(acts, rs.replicas - count > rs.replicas)
    scales = z3.And(acts, z3.Not(fails))
    return (
        z3.If(scales, rs.replicas - count, rs.replicas),
        z3.If(scales, cleaned + count, cleaned),
        fails,
        z3.Or(left, z3.And(running, stops), fails),
    )


def cleanup_unhealthy_replicas_term(old: Sequence[ReplicaSetTerms], max_cleanup: z3.ArithRef) -> CleanupTerms:
    """``cleanup_unhealthy_replicas``: its loop unrolled, one ``cleanup_pass_term`` per old ReplicaSet."""
    replicas: list[z3.ArithRef] = []
    cleaned: z3.ArithRef = z3.IntVal(0)
    failed: z3.BoolRef = z3.BoolVal(False)
    left: z3.BoolRef = z3.BoolVal(False)
    for rs in old:
        scaled, cleaned, fails, left = cleanup_pass_term(rs, max_cleanup, cleaned, left)
        replicas.append(scaled)
        failed = z3.Or(failed, fails)
    return CleanupTerms(tuple(replicas), cleaned, failed)


def scale_down_budget_term(
    state: RolloutTerms, counted: Sequence[z3.BoolRef] | None = None
) -> tuple[z3.BoolRef, z3.ArithRef]:
    """``scale_down_old_replica_sets`` before its loop: (whether it scales at all, how many to scale down)."""
    mask = [z3.BoolVal(True)] * len(state.old) if counted is None else list(counted)
    min_available = state.replicas - resolved_max_unavailable_term(state)
    available = sum_terms([z3.If(c, rs.available, 0) for c, rs in zip(mask, state.old, strict=True)])
    available = available + state.new.available
    return available > min_available, available - min_available


def scale_down_pass_term(
    rs: ReplicaSetTerms, to_scale_down: z3.ArithRef, scaled_down: z3.ArithRef, left: z3.BoolRef
) -> tuple[z3.ArithRef, z3.ArithRef, z3.BoolRef]:
    """One pass of ``scale_down_old_replica_sets``' loop: ``rs``'s new replicas, ``scaled_down``, left."""
    running = z3.Not(left)
    stops = scaled_down >= to_scale_down
    acts = z3.And(running, z3.Not(stops), rs.replicas != 0)
    count = min_term(rs.replicas, to_scale_down - scaled_down)
    return (
        z3.If(acts, rs.replicas - count, rs.replicas),
        z3.If(acts, scaled_down + count, scaled_down),
        z3.Or(left, z3.And(running, stops)),
    )


def scale_down_old_replica_sets_term(
    state: RolloutTerms, counted: Sequence[z3.BoolRef] | None = None
) -> RolloutTerms:
    """``scale_down_old_replica_sets``; ``counted`` says which old ReplicaSets' available pods count.

    The Python function counts every old ReplicaSet of the state it gets;
    ``reconcile_old_replica_sets`` gives it only the active ones, which is
    what ``counted`` expresses without dropping list elements.
    """
    proceeds, to_scale_down = scale_down_budget_term(state, counted)
    scaled_down: z3.ArithRef = z3.IntVal(0)
    left: z3.BoolRef = z3.Not(proceeds)
    replicas: list[z3.ArithRef] = []
    for rs in state.old:
        scaled, scaled_down, left = scale_down_pass_term(rs, to_scale_down, scaled_down, left)
        replicas.append(scaled)
    return state.with_replicas(state.new.replicas, replicas)


def reconcile_old_budget_term(state: RolloutTerms) -> tuple[z3.BoolRef, z3.ArithRef]:
    """``reconcile_old_replica_sets`` before it scales: (whether it goes on, ``maxScaledDown``)."""
    old_pods = total_replicas_term(state.old)
    all_pods = total_replicas_term(state.replica_sets)
    min_available = state.replicas - resolved_max_unavailable_term(state)
    new_unavailable = state.new.replicas - state.new.available
    max_scaled_down = all_pods - min_available - new_unavailable
    return z3.And(old_pods != 0, max_scaled_down > 0), max_scaled_down


def reconcile_old_replica_sets_parts(state: RolloutTerms) -> tuple[tuple[z3.ArithRef, ...], RolloutTerms]:
    """``reconcile_old_replica_sets``: old ``spec.replicas`` after the cleanup, and the state after all."""
    active = [rs.replicas > 0 for rs in state.old]
    proceeds, max_scaled_down = reconcile_old_budget_term(state)
    cleanup = cleanup_unhealthy_replicas_term(state.old, max_scaled_down)
    after_cleanup = state.with_replicas(state.new.replicas, cleanup.replicas)
    scaled = scale_down_old_replica_sets_term(after_cleanup, counted=active)
    cleaned = tuple(
        z3.If(proceeds, r, rs.replicas) for r, rs in zip(cleanup.replicas, state.old, strict=True)
    )
    replicas = [
        z3.If(z3.Not(proceeds), rs.replicas, z3.If(cleanup.failed, cleaned_r, down.replicas))
        for rs, cleaned_r, down in zip(state.old, cleanup.replicas, scaled.old, strict=True)
    ]
    return cleaned, state.with_replicas(state.new.replicas, replicas)


def reconcile_old_replica_sets_term(state: RolloutTerms) -> RolloutTerms:
    """``reconcile_old_replica_sets``: the budget, the cleanup, then the scale-down of the active ones."""
    return reconcile_old_replica_sets_parts(state)[1]


def rollout_step_term(state: RolloutTerms) -> RolloutTerms:
    """``rollout_step``: the new ReplicaSet's reconcile if it scaled, else the old ones'."""
    scaled_up = reconcile_new_replica_set_term(state)
    changed = scaled_up.new.replicas != state.new.replicas
    scaled_down = reconcile_old_replica_sets_term(state)
    return state.with_replicas(
        z3.If(changed, scaled_up.new.replicas, state.new.replicas),
        [
            z3.If(changed, rs.replicas, down.replicas)
            for rs, down in zip(state.old, scaled_down.old, strict=True)
        ],
    )


# -- rendering -------------------------------------------------------------------------------


def describe_state(state: RolloutState) -> str:
    """``replicas=4, maxSurge=25%, maxUnavailable=0; new RS spec 0 (0 available); old RSs ...``."""

    def rs(r: ReplicaSetState) -> str:
        pods = "" if r.pods == r.replicas else f", {r.pods} pods"
        return f"spec {r.replicas} ({r.available} available{pods})"

    old = ", ".join(rs(r) for r in state.old) if state.old else "none"
    return (
        f"replicas={state.replicas}, maxSurge={_show(state.max_surge)}, "
        f"maxUnavailable={_show(state.max_unavailable)}; new RS {rs(state.new)}; "
        f"old RSs (oldest first) {old}"
    )


def describe_change(before: RolloutState, after: RolloutState) -> str:
    """``the reconcile scales the new RS 0 -> 2`` (or old RS #1, ...; or ``changes nothing``)."""
    moves = []
    if after.new.replicas != before.new.replicas:
        moves.append(f"the new RS {before.new.replicas} -> {after.new.replicas}")
    for i, (b, a) in enumerate(zip(before.old, after.old, strict=True)):
        if a.replicas != b.replicas:
            moves.append(f"old RS #{i + 1} {b.replicas} -> {a.replicas}")
    return "the reconcile scales " + ", ".join(moves) if moves else "the reconcile changes nothing"


def _show(value: object) -> str:
    return "0" if value is None else str(value)


# -- the invariants --------------------------------------------------------------------------


@dataclass(frozen=True)
class RolloutStep:
    """One reconcile a machine observed: the Deployment and its ReplicaSets before it and after it."""

    before: RolloutState
    after: RolloutState

    def __post_init__(self) -> None:
        if len(self.before.old) != len(self.after.old):
            raise ValueError("a reconcile neither creates nor deletes old ReplicaSets")


def _counterexample(invariant: _RolloutInvariant, state: RolloutState) -> Counterexample:
    """The state Z3 found, stepped by the spec's own ``rollout_step`` (a mutant's, in the mutation tests)."""
    stepped = spec_deployment.rollout_step(state)
    return Counterexample(
        f"{describe_state(state)}: {describe_change(state, stepped)}: {invariant.explain(state, stepped)}",
        {"before": state, "after": stepped},
    )


class _RolloutInvariant(Invariant[RolloutStep]):
    """A requirement about one reconcile: a counterexample condition over (before, after) terms."""

    method = "bounded"
    default_bounds: ClassVar[Bounds] = {"max_replicas": 10_000, "max_percent": 100, "max_old": 3}
    requirement_id: ClassVar[str]

    def __init__(self) -> None:
        super().__init__(self.requirement_id)

    def describe_bounds(self, bounds: Bounds) -> str:
        return (
            f"replicas 0..{bounds['max_replicas']:,}, ints or 0..{bounds['max_percent']}%, "
            f"0..{bounds['max_old']} old RSs"
        )

    def assumptions(self, before: RolloutTerms) -> list[z3.BoolRef]:
        return []

    def violation(self, before: RolloutTerms, after: RolloutTerms) -> z3.BoolRef:
        raise NotImplementedError

    def explain(self, before: RolloutState, after: RolloutState) -> str:
        raise NotImplementedError

    def find_counterexample(self, bounds: Bounds, timeout_ms: int) -> Counterexample | None:
        for old_count in range(bounds["max_old"] + 1):
            before = RolloutTerms.fresh(old_count)
            after = rollout_step_term(before)
            constraints = [
                *before.domain(max_replicas=bounds["max_replicas"], max_percent=bounds["max_percent"]),
                *self.assumptions(before),
                self.violation(before, after),
            ]
            model = find_smallest(constraints, before.size(), timeout_ms=timeout_ms)
            if model is not None:
                return _counterexample(self, before.value(model))
        return None


class RolloutSurge(_RolloutInvariant):
    requirement_id = spec_deployment.DEPLOY_ROLL_SURGE.id

    def violation(self, before: RolloutTerms, after: RolloutTerms) -> z3.BoolRef:
        total_before = total_replicas_term(before.replica_sets)
        total_after = total_replicas_term(after.replica_sets)
        return z3.And(total_after > total_before, total_after > allowed_total_term(before))

    def explain(self, before: RolloutState, after: RolloutState) -> str:
        limit = allowed_total(before)
        return (
            f"sum of spec.replicas {total_replicas(before.replica_sets)} -> "
            f"{total_replicas(after.replica_sets)} > {limit} = replicas + maxSurge({limit - before.replicas})"
        )

    def check(self, state: RolloutStep) -> list[str]:
        before, after = state.before, state.after
        limit = allowed_total(before)
        total_before, total_after = total_replicas(before.replica_sets), total_replicas(after.replica_sets)
        if total_after > max(total_before, limit):
            return [
                f"{describe_state(before)}: {describe_change(before, after)}: {self.explain(before, after)}"
            ]
        return []


class RolloutAvailability(_RolloutInvariant):
    requirement_id = spec_deployment.DEPLOY_ROLL_AVAILABILITY.id

    def assumptions(self, before: RolloutTerms) -> list[z3.BoolRef]:
        return [is_observed_term(before)]

    def violation(self, before: RolloutTerms, after: RolloutTerms) -> z3.BoolRef:
        kept_before, kept_after = kept_available_term(before), kept_available_term(after)
        return z3.And(kept_after < kept_before, kept_after < required_available_term(before))

    def explain(self, before: RolloutState, after: RolloutState) -> str:
        required = required_available(before)
        return (
            f"available pods kept {kept_available(before)} -> {kept_available(after)} < {required} = "
            f"replicas - maxUnavailable({before.replicas - required})"
        )

    def check(self, state: RolloutStep) -> list[str]:
        before, after = state.before, state.after
        if not is_observed(before):
            return []  # the guarantee is for observed states (module docstring of spec.workloads.deployment)
        if kept_available(after) < min(kept_available(before), required_available(before)):
            return [
                f"{describe_state(before)}: {describe_change(before, after)}: {self.explain(before, after)}"
            ]
        return []


class RolloutProgress(_RolloutInvariant):
    requirement_id = spec_deployment.DEPLOY_ROLL_PROGRESS.id

    def violation(self, before: RolloutTerms, after: RolloutTerms) -> z3.BoolRef:
        rank_before, rank_after = rollout_rank_term(before), rollout_rank_term(after)
        changed = z3.Or(
            *[a.replicas != b.replicas for a, b in zip(after.replica_sets, before.replica_sets, strict=True)]
        )
        settled, complete = is_settled_term(before), deployment_complete_term(before)
        return z3.Or(
            z3.And(changed, rank_after >= rank_before),
            z3.And(settled, complete, changed),
            z3.And(settled, z3.Not(complete), z3.Not(changed)),
        )

    @staticmethod
    def _changed(before: RolloutState, after: RolloutState) -> bool:
        return [rs.replicas for rs in after.replica_sets] != [rs.replicas for rs in before.replica_sets]

    def explain(self, before: RolloutState, after: RolloutState) -> str:
        ranks = f"rank {rollout_rank(before)} -> {rollout_rank(after)}"
        if not self._changed(before, after):
            return (
                f"every pod is available and the rollout is not complete, yet nothing changes "
                f"(rank {rollout_rank(before)})"
            )
        if rollout_rank(after) >= rollout_rank(before):
            return f"{ranks} does not decrease"
        return f"the rollout is complete and yet the reconcile changes it ({ranks})"

    def check(self, state: RolloutStep) -> list[str]:
        before, after = state.before, state.after
        changed = self._changed(before, after)
        broken = (
            (changed and rollout_rank(after) >= rollout_rank(before))
            or (is_settled(before) and deployment_complete(before) and changed)
            or (is_settled(before) and not deployment_complete(before) and not changed)
        )
        if broken:
            return [
                f"{describe_state(before)}: {describe_change(before, after)}: {self.explain(before, after)}"
            ]
        return []


# -- symbolic: any replicas and any number of old ReplicaSets ----------------------------------
#
# The step depends on the old ReplicaSets through sums (spec.replicas, available pods, unhealthy
# replicas), except inside the two loops of reconcile_old_replica_sets. The symbolic proofs
# therefore have two parts:
#
# - loop lemmas, over one pass with any ReplicaSet and any loop state: a pass never raises an
#   old ReplicaSet's spec.replicas; in an observed state the cleanup pass never fails, never
#   takes an available pod, and the cleanup loop removes min(budget, unhealthy so far) in total;
#   the scale-down loop scales down min(to scale down, spec.replicas so far) in total and a pass
#   takes at most as many available pods as replicas. By induction over the passes, the loops
#   over any number of old ReplicaSets remove exactly what they remove over a single ReplicaSet
#   holding the sums, and a sequence of passes takes at most as many available pods as it
#   scales down.
# - the requirement over one aggregated old ReplicaSet (the sums), with replicas any int32 and
#   maxSurge up to 1000 %, where available pods kept after the old-ReplicaSet branch are
#   bounded from below by (available before - replicas scaled down), as the lemmas allow.


@dataclass(frozen=True)
class LemmaFailure:
    """A loop lemma that does not hold: which, and the pass that breaks it."""

    lemma: str
    values: dict[str, int | bool]

    def describe(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.values.items())
        return f"loop lemma '{self.lemma}' fails for one pass: {shown}"


def _lemma_values(model: z3.ModelRef, terms: dict[str, z3.ExprRef]) -> dict[str, int | bool]:
    values: dict[str, int | bool] = {}
    for name, term in terms.items():
        value = model.eval(term, model_completion=True)
        values[name] = z3.is_true(value) if z3.is_bool(value) else int(value.as_long())
    return values


def loop_lemma_failure(*, observed: bool, timeout_ms: int) -> LemmaFailure | None:
    """The first loop lemma Z3 refutes, or None when they all hold (see the comment above)."""
    rs = ReplicaSetTerms.fresh("rs")
    budget, done, so_far = z3.Ints("budget done so_far")
    left = z3.Bool("left")
    shown = {
        "spec.replicas": rs.replicas,
        "available": rs.available,
        "budget": budget,
        "done before": done,
        "left": left,
    }
    # The first two lemmas are needed of every state, the others of observed states only.
    base = [rs.replicas >= 0, rs.available >= 0, done >= 0, rs.replicas <= INT32_MAX]
    cleaned_r, cleaned, fails, cleanup_left = cleanup_pass_term(rs, budget, done, left)
    down_r, scaled, down_left = scale_down_pass_term(rs, budget, done, left)
    lemmas: list[tuple[str, list[z3.BoolRef], dict[str, z3.ExprRef]]] = [
        (
            "a cleanup pass never raises spec.replicas",
            [z3.Or(cleaned_r > rs.replicas, cleaned_r < 0)],
            {"after": cleaned_r},
        ),
        (
            "a scale-down pass never raises spec.replicas",
            [z3.Or(down_r > rs.replicas, down_r < 0)],
            {"after": down_r},
        ),
    ]
    if observed:
        removed = rs.available - min_term(rs.available, down_r)
        observed_rs = rs.available <= rs.replicas
        lemmas += [
            (
                "a cleanup pass neither fails nor takes an available pod",
                [observed_rs, z3.Or(fails, cleaned_r < rs.available)],
                {"after": cleaned_r, "fails": fails},
            ),
            (
                "the cleanup loop removes min(budget, unhealthy so far)",
                [
                    observed_rs,
                    budget > 0,
                    so_far >= 0,
                    done == min_term(budget, so_far),
                    z3.Implies(left, done >= budget),
                    z3.Or(
                        cleaned != min_term(budget, so_far + rs.replicas - rs.available),
                        z3.And(cleanup_left, cleaned < budget),
                    ),
                ],
                {"unhealthy so far": so_far, "after": cleaned_r, "done after": cleaned},
            ),
            (
                "the scale-down loop scales down min(to scale down, spec.replicas so far)",
                [
                    observed_rs,
                    budget > 0,
                    so_far >= 0,
                    done == min_term(budget, so_far),
                    z3.Implies(left, done >= budget),
                    z3.Or(
                        scaled != min_term(budget, so_far + rs.replicas),
                        z3.And(down_left, scaled < budget),
                    ),
                ],
                {"spec.replicas so far": so_far, "after": down_r, "done after": scaled},
            ),
            (
                "a scale-down pass takes at most as many available pods as it scales down",
                [observed_rs, z3.Not(left), removed > scaled - done],
                {"after": down_r, "done after": scaled},
            ),
        ]
    for name, violation, extra in lemmas:
        model = find_model([*base, *violation], timeout_ms=timeout_ms)
        if model is not None:
            return LemmaFailure(name, _lemma_values(model, {**shown, **extra}))
    return None


class _AggregateInvariant(_RolloutInvariant):
    """The requirement over one aggregated old ReplicaSet, after the loop lemmas."""

    method = "symbolic"
    default_bounds: ClassVar[Bounds] = {"max_percent": 1000}
    observed_lemmas: ClassVar[bool]

    def describe_bounds(self, bounds: Bounds) -> str:
        return f"any replicas (int32), ints or 0..{bounds['max_percent']}%, any number of old RSs"

    def aggregate_violation(self, before: RolloutTerms) -> z3.BoolRef:
        return self.violation(before, rollout_step_term(before))

    def find_counterexample(self, bounds: Bounds, timeout_ms: int) -> Counterexample | None:
        failure = loop_lemma_failure(observed=self.observed_lemmas, timeout_ms=timeout_ms)
        if failure is not None:
            return Counterexample(failure.describe(), {"lemma": failure.lemma, **failure.values})
        before = RolloutTerms.fresh(1, percent_bits=max(bounds["max_percent"], 1).bit_length())
        constraints = [
            *before.domain(max_replicas=INT32_MAX, max_percent=bounds["max_percent"]),
            *self.assumptions(before),
            self.aggregate_violation(before),
        ]
        model = find_smallest(constraints, before.size(), timeout_ms=timeout_ms)
        if model is None:
            return None
        return _counterexample(self, self.realize(before.value(model)))

    def realize(self, aggregate: RolloutState) -> RolloutState:
        """Old ReplicaSets with the aggregated one's sums that show the counterexample: itself, here."""
        return aggregate


class RolloutSurgeSymbolic(_AggregateInvariant, RolloutSurge):
    observed_lemmas = False


class RolloutAvailabilitySymbolic(_AggregateInvariant, RolloutAvailability):
    observed_lemmas = True

    def aggregate_violation(self, before: RolloutTerms) -> z3.BoolRef:
        """Kept available pods after the step, at their lowest for any old ReplicaSets with these sums."""
        scaled_up = reconcile_new_replica_set_term(before)
        new_changed = scaled_up.new.replicas != before.new.replicas
        cleaned, after_old = reconcile_old_replica_sets_parts(before)
        scaled_down = total_replicas_term([rs.scaled(r) for rs, r in zip(before.old, cleaned, strict=True)])
        scaled_down = scaled_down - total_replicas_term(after_old.old)
        kept_before = kept_available_term(before)
        old_available = sum_terms([rs.available for rs in before.old])
        # A pass takes at most as many available pods as it scales down, and no more than there are.
        lowest_kept = kept_before - min_term(old_available, scaled_down)
        lowest_kept = z3.If(new_changed, kept_available_term(scaled_up), lowest_kept)
        return z3.And(lowest_kept < kept_before, lowest_kept < required_available_term(before))

    def realize(self, aggregate: RolloutState) -> RolloutState:
        """Two old ReplicaSets that reach the lowest count: all available pods in the older one.

        The cleanup takes the newer one's unhealthy replicas, and the
        scale-down starts with the older one, so every replica it scales down
        is an available pod, as many as the aggregate allows.
        """
        (old,) = aggregate.old
        healthy = ReplicaSetState.settled(old.available, "old0")
        unhealthy = ReplicaSetState(old.replicas - old.available, 0, old.pods - old.available, "old1")
        if unhealthy.replicas == unhealthy.pods == 0:
            return replace(aggregate, old=(healthy,))
        return replace(aggregate, old=(healthy, unhealthy))


class RolloutProgressSymbolic(_AggregateInvariant, RolloutProgress):
    observed_lemmas = True


ROLLOUT_SURGE_BOUNDED = register(RolloutSurge())
ROLLOUT_AVAILABILITY_BOUNDED = register(RolloutAvailability())
ROLLOUT_PROGRESS_BOUNDED = register(RolloutProgress())
ROLLOUT_SURGE_SYMBOLIC = register(RolloutSurgeSymbolic())
ROLLOUT_AVAILABILITY_SYMBOLIC = register(RolloutAvailabilitySymbolic())
ROLLOUT_PROGRESS_SYMBOLIC = register(RolloutProgressSymbolic())

#: What the differential tests compare, Python function -> its term builder.
STEP_ENCODINGS: dict[str, Callable[..., object]] = {
    "rollout_step": rollout_step_term,
    "reconcile_new_replica_set": reconcile_new_replica_set_term,
    "reconcile_old_replica_sets": reconcile_old_replica_sets_term,
    "scale_down_old_replica_sets": scale_down_old_replica_sets_term,
}
