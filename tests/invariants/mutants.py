"""Deliberately wrong quorum rules, each with a faithful Z3 encoding of the wrong rule.

A proof that cannot fail proves nothing. The tests put these in place of the
spec functions (and of their encodings, for the symbolic proofs) and require
a counterexample. Each mutant's encoding is checked against its Python
function like the real ones, so a counterexample is the rule's fault and not
an encoding slip.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType

import pytest
import z3

import invariants.daemonset as ds_encodings
import invariants.deployment as rollout_encodings
import invariants.job as job_encodings
import invariants.quorum as encodings
import invariants.replicaset as replicaset_encodings
import invariants.statefulset as sts_encodings
import spec.quorum
import spec.workloads.daemonset as daemonset
import spec.workloads.deployment as rollout
import spec.workloads.job as job
import spec.workloads.replicaset as replicaset
import spec.workloads.statefulset as statefulset
from invariants.encoding import SetExpr, SetModel
from invariants.intstr import IntOrPercentTerm, max_term, min_term, scaled_value_term
from spec.intstr import percent_of, scaled_value
from spec.objects.core import PodSpec, Toleration
from spec.quorum import JointConfig


def half_for_even(n: int) -> int:
    """The wrong rule of the issue: quorum = n / 2 for an even n (two halves are both "quorums")."""
    if n < 1:
        raise ValueError(f"a configuration has at least one member, not {n}")
    return n // 2 if n % 2 == 0 else n // 2 + 1


def half_for_even_term(n: z3.ArithRef) -> z3.ArithRef:
    return z3.If(n % 2 == 0, n / 2, n / 2 + 1)


def tolerance_half(n: int) -> int:
    """Too bold: n / 2 failures, one too many for every even n."""
    return n // 2


def tolerance_half_term(n: z3.ArithRef) -> z3.ArithRef:
    return n / 2


def tolerance_third(n: int) -> int:
    """Too cautious: n / 3 failures, which leaves a quorum but is not the most (5 -> 1, not 2)."""
    return n // 3


def tolerance_third_term(n: z3.ArithRef) -> z3.ArithRef:
    return n / 3


def joint_new_only(voters: frozenset[str], joint: JointConfig) -> bool:
    """A joint rule that forgets the old configuration."""
    return spec.quorum.is_quorum(voters, joint.new)


def joint_new_only_term(
    sets: SetModel, voters: SetExpr, old: SetExpr, new: SetExpr, majority_of: encodings.MajorityOf
) -> z3.BoolRef:
    return encodings.is_quorum_term(sets, voters, new, majority_of)


MAJORITY_MUTANTS: dict[str, tuple[Callable[[int], int], Callable[[z3.ArithRef], z3.ArithRef]]] = {
    "half_for_even": (half_for_even, half_for_even_term),
}
TOLERANCE_MUTANTS: dict[str, tuple[Callable[[int], int], Callable[[z3.ArithRef], z3.ArithRef]]] = {
    "half": (tolerance_half, tolerance_half_term),
    "third": (tolerance_third, tolerance_third_term),
}


@contextmanager
def mutated(
    monkeypatch: pytest.MonkeyPatch, function: str, python: object, term: object | None = None
) -> Iterator[None]:
    """Replace ``spec.quorum.<function>`` (and its ``<function>_term`` encoding, if given) for a block."""
    with monkeypatch.context() as patch:
        patch.setattr(spec.quorum, function, python)
        if term is not None:
            patch.setattr(encodings, f"{function}_term", term)
        yield


# -- rollout and ReplicaSet mutants ------------------------------------------------------------
#
# Each is a wrong version of a function of spec/workloads/*.py with a faithful encoding of the
# wrong rule; tests/invariants/test_rollout_encodings.py and test_replicaset_encodings.py check
# each encoding against its Python like the real ones.


def _raw(value: rollout.IntOrPercent | None) -> int | str:
    if value is None:
        return 0
    return value.value if isinstance(value, rollout.IntOrString) else value


def surge_rounded_down(max_surge: rollout.IntOrPercent | None, replicas: int) -> int:
    """maxSurge as a percentage rounded down: 25% of 1 replica is 0 pods, not 1."""
    return scaled_value(_raw(max_surge), replicas, round_up=False)


def surge_rounded_down_term(max_surge: IntOrPercentTerm, replicas: z3.ArithRef) -> z3.ArithRef:
    return scaled_value_term(max_surge, replicas, round_up=False)


def surge_floor_plus_one(max_surge: rollout.IntOrPercent | None, replicas: int) -> int:
    """ "Rounding up" as floor + 1: one pod too many whenever the percentage comes out exact (25% of 4)."""
    raw = _raw(max_surge)
    if isinstance(raw, str):
        return percent_of(raw) * replicas // 100 + 1
    return raw


def surge_floor_plus_one_term(max_surge: IntOrPercentTerm, replicas: z3.ArithRef) -> z3.ArithRef:
    return z3.If(max_surge.is_percent, max_surge.percent_of(replicas) / 100 + 1, max_surge.amount)


def unavailable_rounded_up(max_unavailable: rollout.IntOrPercent | None, replicas: int) -> int:
    """maxUnavailable as a percentage rounded up: 25% of 10 is 3 pods, not 2."""
    return scaled_value(_raw(max_unavailable), replicas, round_up=True)


def unavailable_rounded_up_term(max_unavailable: IntOrPercentTerm, replicas: z3.ArithRef) -> z3.ArithRef:
    return scaled_value_term(max_unavailable, replicas, round_up=True)


def fenceposts_without_fallback(
    max_surge: rollout.IntOrPercent | None, max_unavailable: rollout.IntOrPercent | None, desired: int
) -> tuple[int, int]:
    """ResolveFenceposts without "both 0 makes unavailable 1": maxSurge 0 and 25% of 3 is stuck."""
    return rollout.resolve_max_surge(max_surge, desired), rollout.resolve_max_unavailable(
        max_unavailable, desired
    )


def fenceposts_without_fallback_term(
    max_surge: IntOrPercentTerm, max_unavailable: IntOrPercentTerm, desired: z3.ArithRef
) -> tuple[z3.ArithRef, z3.ArithRef]:
    return (
        rollout_encodings.resolve_max_surge_term(max_surge, desired),
        rollout_encodings.resolve_max_unavailable_term(max_unavailable, desired),
    )


def scale_down_counting_pods(state: rollout.RolloutState) -> rollout.RolloutState:
    """scaleDownOldReplicaSetsForRollingUpdate without the availability check: it counts pods
    (spec.replicas), not available pods, against minAvailable."""
    min_available = state.replicas - rollout.resolved_max_unavailable(state)
    pods = rollout.total_replicas(state.replica_sets)
    if pods <= min_available:
        return state
    to_scale_down, scaled_down = pods - min_available, 0
    updated = list(state.old)
    for index, rs in enumerate(state.old):
        if scaled_down >= to_scale_down:
            break
        if rs.replicas == 0:
            continue
        count = min(rs.replicas, to_scale_down - scaled_down)
        updated[index] = rs.scaled(rs.replicas - count)
        scaled_down += count
    return rollout.replace(state, old=tuple(updated))


def scale_down_counting_pods_budget_term(
    state: rollout_encodings.RolloutTerms, counted: Sequence[z3.BoolRef] | None = None
) -> tuple[z3.BoolRef, z3.ArithRef]:
    mask = [z3.BoolVal(True)] * len(state.old) if counted is None else list(counted)
    min_available = state.replicas - rollout_encodings.resolved_max_unavailable_term(state)
    pods = z3.Sum(
        [z3.If(c, rs.replicas, 0) for c, rs in zip(mask, state.old, strict=True)] + [state.new.replicas]
    )
    return pods > min_available, pods - min_available


@dataclass(frozen=True)
class Mutant:
    """A wrong spec function and its encoding: which attributes of which modules to swap."""

    name: str
    python: dict[tuple[ModuleType, str], object]
    terms: dict[tuple[ModuleType, str], object]

    def swaps(self, with_terms: bool = True) -> dict[tuple[ModuleType, str], object]:
        return {**self.python, **(self.terms if with_terms else {})}


ROLLOUT_MUTANTS = {
    mutant.name: mutant
    for mutant in [
        Mutant(
            "surge rounded down",
            {(rollout, "resolve_max_surge"): surge_rounded_down},
            {(rollout_encodings, "resolve_max_surge_term"): surge_rounded_down_term},
        ),
        Mutant(
            "surge rounded up as floor + 1",
            {(rollout, "resolve_max_surge"): surge_floor_plus_one},
            {(rollout_encodings, "resolve_max_surge_term"): surge_floor_plus_one_term},
        ),
        Mutant(
            "unavailable rounded up",
            {(rollout, "resolve_max_unavailable"): unavailable_rounded_up},
            {(rollout_encodings, "resolve_max_unavailable_term"): unavailable_rounded_up_term},
        ),
        Mutant(
            "no fallback when both resolve to 0",
            {(rollout, "resolve_fenceposts"): fenceposts_without_fallback},
            {(rollout_encodings, "resolve_fenceposts_term"): fenceposts_without_fallback_term},
        ),
        Mutant(
            "old ReplicaSets scaled without the availability check",
            {(rollout, "scale_down_old_replica_sets"): scale_down_counting_pods},
            {(rollout_encodings, "scale_down_budget_term"): scale_down_counting_pods_budget_term},
        ),
    ]
}


# The real functions, for mutants that keep part of them (the module attributes get swapped).
_MANAGE_REPLICAS = replicaset.manage_replicas
_MANAGE_REPLICAS_TERM = replicaset_encodings.manage_replicas_term
#: Pods the mutation tests give a sync without a burst cap; its slow start is unrolled that far.
UNCAPPED_MAX_PODS = 1_000


def slow_start_not_stopping(
    count: int, initial_batch_size: int, failed: frozenset[int]
) -> tuple[tuple[int, ...], int]:
    """slowStartBatch that goes on after a failed batch: a quota rejecting all costs 500 calls."""
    remaining, attempted, successes = count, 0, 0
    batches: list[int] = []
    batch = min(remaining, initial_batch_size)
    while batch > 0:
        failures = sum(1 for position in failed if attempted <= position < attempted + batch)
        batches.append(batch)
        attempted += batch
        successes += batch - failures
        remaining -= batch
        batch = min(2 * batch, remaining)
    return tuple(batches), successes


def slow_start_not_stopping_term(
    count: z3.ArithRef,
    initial_batch_size: int,
    fail_start: z3.ArithRef,
    fail_count: z3.ArithRef,
    batches: int,
) -> tuple[z3.ArithRef, z3.ArithRef, z3.BoolRef]:
    fail_end = fail_start + fail_count
    remaining: z3.ArithRef = count
    attempted: z3.ArithRef = z3.IntVal(0)
    successes: z3.ArithRef = z3.IntVal(0)
    batch = min_term(remaining, z3.IntVal(initial_batch_size))
    live: z3.BoolRef = batch > 0
    for _ in range(batches):
        overlap = z3.If(
            z3.Or(attempted + batch <= fail_start, fail_end <= attempted),
            0,
            min_term(attempted + batch, fail_end) - z3.If(attempted >= fail_start, attempted, fail_start),
        )
        next_remaining = remaining - batch
        next_batch = min_term(2 * batch, next_remaining)
        successes = z3.If(live, successes + batch - overlap, successes)
        attempted = z3.If(live, attempted + batch, attempted)
        remaining = z3.If(live, next_remaining, remaining)
        batch = z3.If(live, next_batch, batch)
        live = z3.And(live, next_batch > 0)
    return attempted, successes, z3.Not(live)


def slow_start_iteration_not_stopping_term(
    head: replicaset_encodings.LoopHead, failures: z3.ArithRef
) -> tuple[replicaset_encodings.LoopHead, z3.BoolRef]:
    batch = min_term(2 * head.batch, head.remaining - head.batch)
    after = replicaset_encodings.LoopHead(
        count=head.count,
        attempted=head.attempted + head.batch,
        successes=head.successes + head.batch - failures,
        remaining=head.remaining - head.batch,
        batch=batch,
    )
    return after, batch > 0


def manage_replicas_without_burst(
    replicas: int,
    active: int,
    outcomes: replicaset.Outcomes = replicaset.ALL_SUCCEED,
    burst_replicas: int | None = None,
) -> replicaset.SyncResult:
    """manageReplicas without the burstReplicas cap: 10,000 creations in one sync."""
    diff = active - replicas
    if diff < 0:
        batches, created = replicaset.slow_start_batch(
            -diff, replicaset.SLOW_START_INITIAL_BATCH_SIZE, outcomes.failed_creations
        )
        return replicaset.SyncResult(batches=batches, created=created)
    if diff > 0:
        failed = sum(1 for position in outcomes.failed_deletions if 0 <= position < diff)
        return replicaset.SyncResult(deletions_attempted=diff, deleted=diff - failed)
    return replicaset.SyncResult()


def manage_replicas_without_burst_term(
    sync: replicaset_encodings.SyncTerms,
    burst_replicas: z3.ArithRef | int | None = None,
    creations: replicaset_encodings.Creations | None = None,
) -> replicaset_encodings.SyncResultTerms:
    diff = sync.active - sync.replicas
    creating, deleting = diff < 0, diff > 0
    if creations is None:
        attempted, created, finished = replicaset_encodings.slow_start_batch_term(
            -diff,
            replicaset.SLOW_START_INITIAL_BATCH_SIZE,
            sync.fail_start,
            sync.fail_count,
            replicaset_encodings.unrolled_batches(UNCAPPED_MAX_PODS),
        )
    else:
        attempted, created, finished = creations(-diff)
    delete_failed = min_term(sync.delete_failures, diff)
    return replicaset_encodings.SyncResultTerms(
        creations_attempted=z3.If(creating, attempted, 0),
        created=z3.If(creating, created, 0),
        deletions_attempted=z3.If(deleting, diff, 0),
        deleted=z3.If(deleting, diff - delete_failed, 0),
        finished=z3.Or(z3.Not(creating), finished),
    )


def manage_replicas_creating_replicas(
    replicas: int,
    active: int,
    outcomes: replicaset.Outcomes = replicaset.ALL_SUCCEED,
    burst_replicas: int | None = None,
) -> replicaset.SyncResult:
    """manageReplicas that creates spec.replicas pods instead of the difference: 3 wanted, 1 there, 4."""
    burst = replicaset.BURST_REPLICAS if burst_replicas is None else burst_replicas
    if active < replicas:
        batches, created = replicaset.slow_start_batch(
            min(replicas, burst), replicaset.SLOW_START_INITIAL_BATCH_SIZE, outcomes.failed_creations
        )
        return replicaset.SyncResult(batches=batches, created=created)
    return _MANAGE_REPLICAS(replicas, active, outcomes, burst_replicas)


def manage_replicas_creating_replicas_term(
    sync: replicaset_encodings.SyncTerms,
    burst_replicas: z3.ArithRef | int | None = None,
    creations: replicaset_encodings.Creations | None = None,
) -> replicaset_encodings.SyncResultTerms:
    burst = replicaset.BURST_REPLICAS if burst_replicas is None else burst_replicas
    burst_term = z3.IntVal(burst) if isinstance(burst, int) else burst
    # The real sync's deletions; its creations are replaced below.
    real = _MANAGE_REPLICAS_TERM(
        sync, burst_replicas, creations=lambda count: (count, count, z3.BoolVal(True))
    )
    creating = sync.active < sync.replicas
    count = min_term(sync.replicas, burst_term)
    if creations is None:
        assert isinstance(burst, int)
        attempted, created, finished = replicaset_encodings.slow_start_batch_term(
            count,
            replicaset.SLOW_START_INITIAL_BATCH_SIZE,
            sync.fail_start,
            sync.fail_count,
            replicaset_encodings.unrolled_batches(burst),
        )
    else:
        attempted, created, finished = creations(count)
    return replicaset_encodings.SyncResultTerms(
        creations_attempted=z3.If(creating, attempted, 0),
        created=z3.If(creating, created, 0),
        deletions_attempted=real.deletions_attempted,
        deleted=real.deleted,
        finished=z3.Or(z3.Not(creating), finished),
    )


REPLICASET_MUTANTS = {
    mutant.name: mutant
    for mutant in [
        Mutant(
            "slow start that does not stop at a failed batch",
            {(replicaset, "slow_start_batch"): slow_start_not_stopping},
            {
                (replicaset_encodings, "slow_start_batch_term"): slow_start_not_stopping_term,
                (replicaset_encodings, "slow_start_iteration_term"): slow_start_iteration_not_stopping_term,
            },
        ),
        Mutant(
            "no burstReplicas cap",
            {(replicaset, "manage_replicas"): manage_replicas_without_burst},
            {(replicaset_encodings, "manage_replicas_term"): manage_replicas_without_burst_term},
        ),
        Mutant(
            "creates spec.replicas pods, not the difference",
            {(replicaset, "manage_replicas"): manage_replicas_creating_replicas},
            {(replicaset_encodings, "manage_replicas_term"): manage_replicas_creating_replicas_term},
        ),
        Mutant(
            "slow start from a batch of 0",
            {(replicaset, "SLOW_START_INITIAL_BATCH_SIZE"): 0},
            {},
        ),
    ]
}


@contextmanager
def swapped(monkeypatch: pytest.MonkeyPatch, mutant: Mutant, *, with_terms: bool = True) -> Iterator[None]:
    """Put a mutant (and its encodings) in place for a block."""
    with monkeypatch.context() as patch:
        for (module, name), value in mutant.swaps(with_terms).items():
            patch.setattr(module, name, value)
        yield


# -- StatefulSet, DaemonSet and Job mutants ------------------------------------------------------
#
# Each is a wrong version of a function of spec/workloads/{statefulset,daemonset,job}.py with, where a
# proof encodes that function by hand, a faithful encoding of the wrong rule; the differential tests
# (test_statefulset_invariants.py, test_daemonset_invariants.py, test_job_invariants.py) check each
# encoding against its Python like the real ones.


def ordered_replicas_not_waiting(replicas: int, pods: statefulset.Pods) -> tuple[statefulset.Actions, bool]:
    """OrderedReady that creates pod i without checking that pod i-1 is Running and Ready: it walks past
    pending and terminating pods."""
    for ordinal in range(replicas):
        state = statefulset.state_of(pods, ordinal)
        if state is statefulset.PodState.FAILED:
            return statefulset.Actions(deletions=(ordinal,)), True
        if state is statefulset.PodState.MISSING:
            return statefulset.Actions(creations=(ordinal,)), True
    waiting = any(statefulset.state_of(pods, o) is not statefulset.PodState.READY for o in range(replicas))
    return statefulset.NO_ACTIONS, waiting


def ordered_replicas_not_waiting_term(
    s: sts_encodings.SetTerms,
) -> tuple[sts_encodings.ActionTerms, z3.BoolRef]:
    reached: z3.BoolRef = z3.BoolVal(True)  # no missing or failed slot below
    create, delete = [], []
    for i in range(s.size):
        here = z3.And(reached, s.in_range(i))
        create.append(z3.And(here, s.is_(i, statefulset.PodState.MISSING)))
        delete.append(z3.And(here, s.is_(i, statefulset.PodState.FAILED)))
        blocking = z3.Or(s.is_(i, statefulset.PodState.MISSING), s.is_(i, statefulset.PodState.FAILED))
        reached = z3.And(reached, z3.Or(z3.Not(s.in_range(i)), z3.Not(blocking)))
    waiting = z3.Or(
        *[z3.And(s.in_range(i), z3.Not(s.is_(i, statefulset.PodState.READY))) for i in range(s.size)]
    )
    return sts_encodings.ActionTerms(tuple(create), tuple(delete)), waiting


def ordered_condemned_lowest_first(replicas: int, pods: statefulset.Pods) -> statefulset.Actions:
    """Scale-down that removes the lowest condemned ordinal first (with the same health checks)."""
    doomed = statefulset.condemned(replicas, pods)
    if not doomed:
        return statefulset.NO_ACTIONS
    lowest = doomed[-1]
    state = pods[lowest]
    if state is statefulset.PodState.TERMINATING:
        return statefulset.NO_ACTIONS
    if state is not statefulset.PodState.READY and lowest != statefulset.first_unhealthy(replicas, pods):
        return statefulset.NO_ACTIONS
    return statefulset.Actions(deletions=(lowest,))


def ordered_condemned_lowest_first_term(s: sts_encodings.SetTerms) -> sts_encodings.ActionTerms:
    delete = []
    for i in range(s.size):
        lowest = z3.And(
            sts_encodings.is_condemned(s, i),
            z3.And(*[z3.Not(sts_encodings.is_condemned(s, k)) for k in range(i)], z3.BoolVal(True)),
        )
        delete.append(
            z3.And(
                lowest,
                z3.Not(s.is_(i, statefulset.PodState.TERMINATING)),
                s.is_(i, statefulset.PodState.READY),
            )
        )
    # The lowest condemned pod is the first unhealthy one when it is unhealthy (replicas are healthy here).
    delete = [
        z3.Or(
            d,
            z3.And(
                sts_encodings.is_condemned(s, i),
                z3.And(*[z3.Not(sts_encodings.is_condemned(s, k)) for k in range(i)], z3.BoolVal(True)),
                z3.Not(s.is_(i, statefulset.PodState.TERMINATING)),
                z3.Not(s.is_(i, statefulset.PodState.READY)),
            ),
        )
        for i, d in enumerate(delete)
    ]
    return sts_encodings.ActionTerms(tuple(z3.BoolVal(False) for _ in range(s.size)), tuple(delete))


def ordered_replicas_not_replacing_failed(
    replicas: int, pods: statefulset.Pods
) -> tuple[statefulset.Actions, bool]:
    """OrderedReady that waits for a failed pod instead of deleting it: the set never recovers."""
    for ordinal in range(replicas):
        state = statefulset.state_of(pods, ordinal)
        if state is statefulset.PodState.MISSING:
            return statefulset.Actions(creations=(ordinal,)), True
        if state is not statefulset.PodState.READY:
            return statefulset.NO_ACTIONS, True
    return statefulset.NO_ACTIONS, False


def ordered_replicas_not_replacing_failed_term(
    s: sts_encodings.SetTerms,
) -> tuple[sts_encodings.ActionTerms, z3.BoolRef]:
    walked, stopped = _ORDERED_REPLICAS_TERM(s)
    return sts_encodings.ActionTerms(walked.create, tuple(z3.BoolVal(False) for _ in walked.delete)), stopped


_ORDERED_REPLICAS_TERM = sts_encodings.ordered_replicas_term

STATEFULSET_MUTANTS = {
    mutant.name: mutant
    for mutant in [
        Mutant(
            "creates pod i without pod i-1 Running and Ready",
            {(statefulset, "ordered_replicas"): ordered_replicas_not_waiting},
            {(sts_encodings, "ordered_replicas_term"): ordered_replicas_not_waiting_term},
        ),
        Mutant(
            "scale-down removes the lowest ordinal first",
            {(statefulset, "ordered_condemned"): ordered_condemned_lowest_first},
            {(sts_encodings, "ordered_condemned_term"): ordered_condemned_lowest_first_term},
        ),
        Mutant(
            "failed pods are waited for, not replaced",
            {(statefulset, "ordered_replicas"): ordered_replicas_not_replacing_failed},
            {(sts_encodings, "ordered_replicas_term"): ordered_replicas_not_replacing_failed_term},
        ),
    ]
}


def daemon_tolerations_ignored(spec: PodSpec) -> tuple[Toleration, ...]:
    """NewPod without AddOrUpdateDaemonPodTolerations: a not-ready node loses its daemon pods."""
    return tuple(spec.tolerations)


def daemon_tolerations_network_always(spec: PodSpec) -> tuple[Toleration, ...]:
    """network-unavailable tolerated for every pod, not only hostNetwork ones (whose network needs no CNI)."""
    return _ADD_DAEMON_POD_TOLERATIONS(spec.model_copy(update={"host_network": True}))


_ADD_DAEMON_POD_TOLERATIONS = daemonset.add_daemon_pod_tolerations
_PODS_SHOULD_BE_ON_NODE_TERM = ds_encodings.pods_should_be_on_node_term


def pods_should_be_on_node_keeping_duplicates(
    should_run: bool, should_continue_running: bool, pods: Sequence[daemonset.DaemonPod] | None
) -> tuple[bool, list[str]]:
    """podsShouldBeOnNode that deletes failed pods but keeps every running one (no "all but the oldest")."""
    if should_run and pods is None:
        return True, []
    if should_continue_running:
        return False, [p.name for p in pods or () if not p.terminating and p.terminal]
    return False, [p.name for p in pods or () if not p.terminating]


def pods_should_be_on_node_keeping_duplicates_term(
    node: ds_encodings.NodeTerms,
) -> tuple[z3.BoolRef, tuple[z3.BoolRef, ...]]:
    create, deletes = _PODS_SHOULD_BE_ON_NODE_TERM(node)
    kept = tuple(
        z3.And(d, z3.Or(z3.Not(node.should_continue), s.terminal))
        for s, d in zip(node.slots, deletes, strict=True)
    )
    return create, kept


def pods_should_be_on_node_keeping_failed(
    should_run: bool, should_continue_running: bool, pods: Sequence[daemonset.DaemonPod] | None
) -> tuple[bool, list[str]]:
    """podsShouldBeOnNode that never deletes a failed pod on an eligible node: the node stays without one."""
    create, delete = _PODS_SHOULD_BE_ON_NODE(should_run, should_continue_running, pods)
    failed = {p.name for p in pods or () if p.terminal}
    return create, [name for name in delete if not (should_continue_running and name in failed)]


_PODS_SHOULD_BE_ON_NODE = daemonset.pods_should_be_on_node


def pods_should_be_on_node_keeping_failed_term(
    node: ds_encodings.NodeTerms,
) -> tuple[z3.BoolRef, tuple[z3.BoolRef, ...]]:
    create, deletes = _PODS_SHOULD_BE_ON_NODE_TERM(node)
    kept = tuple(
        z3.And(d, z3.Not(z3.And(node.should_continue, s.terminal)))
        for s, d in zip(node.slots, deletes, strict=True)
    )
    return create, kept


DAEMONSET_MUTANTS = {
    mutant.name: mutant
    for mutant in [
        # The tolerations enter the Z3 terms through the spec function itself: no encoding to swap.
        Mutant(
            "ignores the automatic tolerations",
            {(daemonset, "add_daemon_pod_tolerations"): daemon_tolerations_ignored},
            {},
        ),
        Mutant(
            "tolerates network-unavailable without hostNetwork",
            {(daemonset, "add_daemon_pod_tolerations"): daemon_tolerations_network_always},
            {},
        ),
        Mutant(
            "keeps duplicate pods",
            {(daemonset, "pods_should_be_on_node"): pods_should_be_on_node_keeping_duplicates},
            {(ds_encodings, "pods_should_be_on_node_term"): pods_should_be_on_node_keeping_duplicates_term},
        ),
        Mutant(
            "never deletes failed pods",
            {(daemonset, "pods_should_be_on_node"): pods_should_be_on_node_keeping_failed},
            {(ds_encodings, "pods_should_be_on_node_term"): pods_should_be_on_node_keeping_failed_term},
        ),
    ]
}


def want_active_ignoring_parallelism(job_state: job.JobState) -> int:
    """wantActive = completions - succeeded, without the parallelism cap."""
    if job_state.completions is None:
        return job_state.active if job_state.succeeded > 0 else job_state.parallelism
    return max(0, job_state.completions - job_state.succeeded)


def want_active_ignoring_parallelism_term(j: job_encodings.JobTerms) -> z3.ArithRef:
    unset = z3.If(j.succeeded > 0, j.active, j.parallelism)
    return z3.If(j.has_completions, max_term(j.completions - j.succeeded, z3.IntVal(0)), unset)


def want_active_not_counting_succeeded(job_state: job.JobState) -> int:
    """wantActive = min(parallelism, completions): succeeded pods are forgotten, finished work is redone."""
    if job_state.completions is None:
        return job_state.active if job_state.succeeded > 0 else job_state.parallelism
    return min(job_state.parallelism, job_state.completions)


def want_active_not_counting_succeeded_term(j: job_encodings.JobTerms) -> z3.ArithRef:
    unset = z3.If(j.succeeded > 0, j.active, j.parallelism)
    return z3.If(j.has_completions, min_term(j.parallelism, j.completions), unset)


_SYNC_JOB = job.sync_job
_SYNC_JOB_TERM = job_encodings.sync_job_term


def sync_job_without_backoff_limit(
    job_state: job.JobState, outcomes: replicaset.Outcomes = replicaset.ALL_SUCCEED
) -> job.JobSync:
    """syncJob that never looks at backoffLimit: a crash-looping Job gets new pods for ever."""
    return _SYNC_JOB(dataclasses.replace(job_state, backoff_limit=2**40), outcomes)


def sync_job_without_backoff_limit_term(
    j: job_encodings.JobTerms, creations: job_encodings.Creations | None = None
) -> job_encodings.JobSyncTerms:
    return _SYNC_JOB_TERM(dataclasses.replace(j, backoff_limit=j.failed), creations)


JOB_MUTANTS = {
    mutant.name: mutant
    for mutant in [
        Mutant(
            "ignores parallelism",
            {(job, "want_active"): want_active_ignoring_parallelism},
            {(job_encodings, "want_active_term"): want_active_ignoring_parallelism_term},
        ),
        Mutant(
            "does not count succeeded pods",
            {(job, "want_active"): want_active_not_counting_succeeded},
            {(job_encodings, "want_active_term"): want_active_not_counting_succeeded_term},
        ),
        Mutant(
            "ignores backoffLimit",
            {(job, "sync_job"): sync_job_without_backoff_limit},
            {(job_encodings, "sync_job_term"): sync_job_without_backoff_limit_term},
        ),
    ]
}
