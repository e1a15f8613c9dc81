"""DaemonSet coverage and tolerations: the requirements of ``spec/workloads/daemonset.py`` proved with Z3.

Invariants registered here (``ID:method``):

- ``DAEMONSET-COVERAGE:bounded``: up to 6 nodes with up to 3 daemon pods
  each (any phase, terminating or not, bound or only pinned, any creation
  times), every call succeeding: two rounds of ``manage`` then the cluster
  settling reach the covered state, and a third sync does nothing.
- ``DAEMONSET-TOLERATIONS:bounded``: up to 3 taints on the node and 2
  tolerations in the template, drawn from a vocabulary of the seven
  node-condition taint keys and one other key, values ``""`` and ``"a"``,
  every effect, operators Equal and Exists (and empty key, value and
  effect in tolerations), with and without hostNetwork.

The split, honestly: the coverage proof takes each node's
``(shouldRun, shouldContinueRunning)`` as free Booleans with ``shouldRun =>
shouldContinueRunning`` (which ``node_should_run_daemon_pod`` guarantees:
``tests/spec/workloads/test_daemonset.py`` checks it on generated nodes).
What decides those Booleans is proved apart, for the part that can go
wrong in interesting ways: taints against tolerations, including the
automatic ones. The automatic tolerations enter the Z3 terms by calling the
spec's ``add_daemon_pod_tolerations`` on an empty template (with and
without hostNetwork), so a spec that forgets one is proved wrong; the
requirement lists them from the documentation, not from the spec. Node
selectors and node affinity (``node_affinity_matches``) are left to the
unit and property tests: they are label matching, with no arithmetic to
prove.

The encodings (``manage_term``, ``eligibility_term``) are tied to the
Python by ``tests/invariants/test_daemonset_invariants.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import z3

from invariants.framework import Bounds, Counterexample, Invariant, find_smallest, register
from spec.objects.core import Node, NodeSpec, PodSpec, Taint, Toleration
from spec.objects.meta import ObjectMeta
from spec.scheduling.corev1 import tolerates
from spec.workloads import daemonset as spec_ds
from spec.workloads.daemonset import DaemonPod, NodeEligibility

# -- coverage ------------------------------------------------------------------------------------

#: A pod's phase as an Int: alive (Pending, Running, Unknown), Failed, Succeeded.
PHASES = ("Running", "Failed", "Succeeded")


@dataclass(frozen=True)
class PodSlot:
    """One daemon pod, or no pod (``present`` false), on a node."""

    present: z3.BoolRef
    phase: z3.ArithRef
    terminating: z3.BoolRef
    created: z3.ArithRef
    scheduled: z3.BoolRef
    tie: int  # its name's rank among the node's pods

    @property
    def terminal(self) -> z3.BoolRef:
        return self.phase != 0


@dataclass(frozen=True)
class NodeTerms:
    should_run: z3.BoolRef
    should_continue: z3.BoolRef
    slots: tuple[PodSlot, ...]


def fresh_nodes(nodes: int, pods: int) -> list[NodeTerms]:
    made = []
    for n in range(nodes):
        slots = tuple(
            PodSlot(
                z3.Bool(f"n{n}.p{j}"),
                z3.Int(f"n{n}.p{j}.phase"),
                z3.Bool(f"n{n}.p{j}.terminating"),
                z3.Int(f"n{n}.p{j}.created"),
                z3.Bool(f"n{n}.p{j}.scheduled"),
                j,
            )
            for j in range(pods)
        )
        made.append(NodeTerms(z3.Bool(f"n{n}.shouldRun"), z3.Bool(f"n{n}.shouldContinue"), slots))
    return made


def node_domain(node: NodeTerms) -> list[z3.BoolRef]:
    return [
        z3.Implies(node.should_run, node.should_continue),
        *[z3.And(s.phase >= 0, s.phase < len(PHASES), s.created >= 0) for s in node.slots],
    ]


def _counted(slot: PodSlot) -> z3.BoolRef:
    """Seen by ``manage``: present, and not a terminal pod being deleted."""
    return z3.And(slot.present, z3.Not(z3.And(slot.terminal, slot.terminating)))


def _runs(slot: PodSlot) -> z3.BoolRef:
    return z3.And(_counted(slot), z3.Not(slot.terminating), z3.Not(slot.terminal))


def _older(first: PodSlot, second: PodSlot) -> z3.BoolRef:
    """``oldest_first``: bound pods first, then creation time, then name."""
    return z3.Or(
        z3.And(first.scheduled, z3.Not(second.scheduled)),
        z3.And(
            first.scheduled == second.scheduled,
            z3.Or(
                first.created < second.created,
                z3.And(first.created == second.created, first.tie < second.tie),
            ),
        ),
    )


def pods_should_be_on_node_term(node: NodeTerms) -> tuple[z3.BoolRef, tuple[z3.BoolRef, ...]]:
    """``pods_should_be_on_node``: (create, delete per slot)."""
    exists = z3.Or(*[_counted(s) for s in node.slots]) if node.slots else z3.BoolVal(False)
    create = z3.And(node.should_run, z3.Not(exists))
    deletes = []
    for slot in node.slots:
        younger = z3.Or(
            *[z3.And(_runs(other), _older(other, slot)) for other in node.slots if other is not slot],
            z3.BoolVal(False),
        )
        keeping = z3.And(_counted(slot), z3.Not(slot.terminating), z3.Or(slot.terminal, younger))
        removing = z3.And(_counted(slot), z3.Not(slot.terminating))
        deletes.append(z3.And(z3.Not(create), z3.If(node.should_continue, keeping, removing)))
    return create, tuple(deletes)


def settle_term(node: NodeTerms, create: z3.BoolRef, deletes: Sequence[z3.BoolRef], newest: int) -> NodeTerms:
    """Deleted and terminating pods gone; a created pod bound and running, newer than every other."""
    kept = tuple(
        PodSlot(
            z3.And(s.present, z3.Not(d), z3.Not(s.terminating)),
            s.phase,
            z3.BoolVal(False),
            s.created,
            s.scheduled,
            s.tie,
        )
        for s, d in zip(node.slots, deletes, strict=True)
    )
    new = PodSlot(
        create, z3.IntVal(0), z3.BoolVal(False), z3.IntVal(newest), z3.BoolVal(True), len(node.slots)
    )
    return NodeTerms(node.should_run, node.should_continue, (*kept, new))


def covered_term(node: NodeTerms) -> z3.BoolRef:
    """``is_covered`` for one node."""
    present = z3.Sum([z3.If(s.present, 1, 0) for s in node.slots])
    alive = z3.Sum(
        [z3.If(z3.And(s.present, z3.Not(s.terminal), z3.Not(s.terminating)), 1, 0) for s in node.slots]
    )
    return z3.If(
        node.should_run,
        z3.And(present == 1, alive == 1),
        z3.If(node.should_continue, z3.And(present <= 1, present == alive), present == 0),
    )


@dataclass(frozen=True)
class DaemonSetRound:
    """What a machine observed: each node's eligibility and the pods before and after two rounds."""

    nodes: tuple[NodeEligibility, ...]
    pods: tuple[DaemonPod, ...]


def decode_nodes(
    model: z3.ModelRef, nodes: Sequence[NodeTerms]
) -> tuple[tuple[NodeEligibility, ...], tuple[DaemonPod, ...]]:
    def true(term: z3.BoolRef) -> bool:
        return bool(z3.is_true(model.eval(term, model_completion=True)))

    def number(term: z3.ArithRef) -> int:
        return int(model.eval(term, model_completion=True).as_long())

    eligible, pods = [], []
    for n, node in enumerate(nodes):
        eligible.append(NodeEligibility(f"node{n}", true(node.should_run), true(node.should_continue)))
        for slot in node.slots:
            if true(slot.present):
                pods.append(
                    DaemonPod(
                        f"node{n}-pod{slot.tie}",
                        f"node{n}",
                        PHASES[number(slot.phase)],
                        true(slot.terminating),
                        number(slot.created),
                        true(slot.scheduled),
                    )
                )
    return tuple(eligible), tuple(pods)


def render_cluster(nodes: Sequence[NodeEligibility], pods: Sequence[DaemonPod]) -> str:
    parts = []
    for node in nodes:
        kind = "run" if node.should_run else "keep" if node.should_continue_running else "none"
        here = [
            f"{p.name}({p.phase}{', terminating' if p.terminating else ''}"
            f"{'' if p.scheduled else ', unbound'}, t={p.created})"
            for p in pods
            if p.node == node.name
        ]
        parts.append(f"{node.name}[{kind}]: {', '.join(here) if here else 'no pod'}")
    return "; ".join(parts)


def coverage_problems(state: DaemonSetRound) -> list[str]:
    """Two rounds from ``state`` with every call succeeding; then the covered state and a quiet third sync."""
    pods = list(state.pods)
    for _ in range(2):
        pods = spec_ds.after_sync_and_settle(pods, spec_ds.manage(state.nodes, pods))
    problems = spec_ds.is_covered(state.nodes, pods)
    third = spec_ds.manage(state.nodes, pods)
    if not problems and third != spec_ds.DaemonSetSync():
        problems.append(f"a covered state, yet the next sync acts: {third}")
    return problems


class CoverageBounded(Invariant[DaemonSetRound]):
    method = "bounded"
    default_bounds: ClassVar[Bounds] = {"max_nodes": 6, "max_pods_per_node": 3}

    def __init__(self) -> None:
        super().__init__(spec_ds.DAEMONSET_COVERAGE.id)

    def describe_bounds(self, bounds: Bounds) -> str:
        return f"{bounds['max_nodes']} nodes, 0..{bounds['max_pods_per_node']} pods each, calls succeed"

    def check(self, state: DaemonSetRound) -> list[str]:
        return coverage_problems(state)

    def find_counterexample(self, bounds: Bounds, timeout_ms: int) -> Counterexample | None:
        nodes = fresh_nodes(bounds["max_nodes"], bounds["max_pods_per_node"])
        constraints: list[z3.BoolRef] = []
        newest = 10 * (bounds["max_nodes"] * bounds["max_pods_per_node"] + 10)
        for node in nodes:
            constraints += node_domain(node)
            constraints += [s.created < newest for s in node.slots]
        now = nodes
        for round_ in range(2):
            now = [settle_term(n, *pods_should_be_on_node_term(n), newest + round_) for n in now]
        quiet = []
        for node in now:
            create, deletes = pods_should_be_on_node_term(node)
            quiet.append(z3.And(covered_term(node), z3.Not(create), *[z3.Not(d) for d in deletes]))
        constraints.append(z3.Not(z3.And(*quiet)))
        objective = z3.Sum([z3.If(s.present, 1, 0) + s.created for n in nodes for s in n.slots])
        model = find_smallest(constraints, objective, timeout_ms=timeout_ms)
        if model is None:
            return None
        eligible, pods = decode_nodes(model, nodes)
        state = DaemonSetRound(eligible, pods)
        return Counterexample(
            f"{render_cluster(eligible, pods)}: {'; '.join(coverage_problems(state))}",
            {"state": state},
        )


# -- tolerations ---------------------------------------------------------------------------------

TAINT_KEYS = (
    spec_ds.TAINT_NOT_READY,
    spec_ds.TAINT_UNREACHABLE,
    spec_ds.TAINT_DISK_PRESSURE,
    spec_ds.TAINT_MEMORY_PRESSURE,
    spec_ds.TAINT_PID_PRESSURE,
    spec_ds.TAINT_UNSCHEDULABLE,
    spec_ds.TAINT_NETWORK_UNAVAILABLE,
    "example.com/dedicated",
)
VALUES = ("", "a")
EFFECTS = spec_ds.TAINT_EFFECTS
OPERATORS = ("Equal", "Exists")

#: DAEMONSET-TOLERATIONS as the documentation lists them: (key, effect), and those for hostNetwork pods.
DOCUMENTED_AUTOMATIC = (
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
)
DOCUMENTED_HOST_NETWORK = (("node.kubernetes.io/network-unavailable", "NoSchedule"),)


@dataclass(frozen=True)
class TaintTerms:
    present: z3.BoolRef
    key: z3.ArithRef  # index into TAINT_KEYS
    value: z3.ArithRef  # index into VALUES
    effect: z3.ArithRef  # index into EFFECTS


@dataclass(frozen=True)
class TolerationTerms:
    present: z3.BoolRef
    key: z3.ArithRef  # -1 for "", else an index into TAINT_KEYS
    operator: z3.ArithRef  # index into OPERATORS
    value: z3.ArithRef
    effect: z3.ArithRef  # -1 for "", else an index into EFFECTS


@dataclass(frozen=True)
class EligibilityTerms:
    taints: tuple[TaintTerms, ...]
    tolerations: tuple[TolerationTerms, ...]
    host_network: z3.BoolRef
    selectors_match: z3.BoolRef  # nodeName, nodeSelector and node affinity (proved apart: not at all)

    @classmethod
    def fresh(cls, taints: int, tolerations: int) -> EligibilityTerms:
        return cls(
            tuple(
                TaintTerms(z3.Bool(f"t{i}"), *z3.Ints(f"t{i}.key t{i}.value t{i}.effect"))
                for i in range(taints)
            ),
            tuple(
                TolerationTerms(
                    z3.Bool(f"tol{i}"), *z3.Ints(f"tol{i}.key tol{i}.op tol{i}.value tol{i}.effect")
                )
                for i in range(tolerations)
            ),
            z3.Bool("hostNetwork"),
            z3.Bool("selectorsMatch"),
        )

    def domain(self) -> list[z3.BoolRef]:
        constraints = []
        for t in self.taints:
            constraints += [t.key >= 0, t.key < len(TAINT_KEYS), t.value >= 0, t.value < len(VALUES)]
            constraints += [t.effect >= 0, t.effect < len(EFFECTS)]
        for tol in self.tolerations:
            constraints += [tol.key >= -1, tol.key < len(TAINT_KEYS), tol.operator >= 0, tol.operator < 2]
            constraints += [
                tol.value >= 0,
                tol.value < len(VALUES),
                tol.effect >= -1,
                tol.effect < len(EFFECTS),
            ]
        return constraints

    def node_and_spec(self, model: z3.ModelRef) -> tuple[Node, PodSpec, bool]:
        def number(term: z3.ArithRef) -> int:
            return int(model.eval(term, model_completion=True).as_long())

        def true(term: z3.BoolRef) -> bool:
            return bool(z3.is_true(model.eval(term, model_completion=True)))

        taints = tuple(
            Taint(
                key=TAINT_KEYS[number(t.key)], value=VALUES[number(t.value)], effect=EFFECTS[number(t.effect)]
            )
            for t in self.taints
            if true(t.present)
        )
        tolerations = tuple(
            Toleration(
                key="" if number(t.key) < 0 else TAINT_KEYS[number(t.key)],
                operator=OPERATORS[number(t.operator)],
                value=VALUES[number(t.value)],
                effect="" if number(t.effect) < 0 else EFFECTS[number(t.effect)],
            )
            for t in self.tolerations
            if true(t.present)
        )
        node = Node(metadata=ObjectMeta(name="node0"), spec=NodeSpec(taints=taints))
        spec = PodSpec(host_network=true(self.host_network), tolerations=tolerations)
        return node, spec, true(self.selectors_match)

    def substitution(
        self,
        taints: Sequence[Taint],
        tolerations: Sequence[Toleration],
        host_network: bool,
        selectors_match: bool,
    ) -> list[tuple[z3.ExprRef, z3.ExprRef]]:
        pairs: list[tuple[z3.ExprRef, z3.ExprRef]] = [
            (self.host_network, z3.BoolVal(host_network)),
            (self.selectors_match, z3.BoolVal(selectors_match)),
        ]
        for i, t in enumerate(self.taints):
            given = i < len(taints)
            pairs.append((t.present, z3.BoolVal(given)))
            if given:
                taint = taints[i]
                pairs += [
                    (t.key, z3.IntVal(TAINT_KEYS.index(taint.key))),
                    (t.value, z3.IntVal(VALUES.index(taint.value))),
                    (t.effect, z3.IntVal(EFFECTS.index(taint.effect))),
                ]
            else:
                pairs += [(t.key, z3.IntVal(0)), (t.value, z3.IntVal(0)), (t.effect, z3.IntVal(0))]
        for i, tol in enumerate(self.tolerations):
            given = i < len(tolerations)
            pairs.append((tol.present, z3.BoolVal(given)))
            if given:
                toleration = tolerations[i]
                pairs += [
                    (tol.key, z3.IntVal(TAINT_KEYS.index(toleration.key) if toleration.key else -1)),
                    (tol.operator, z3.IntVal(OPERATORS.index(toleration.operator or "Equal"))),
                    (tol.value, z3.IntVal(VALUES.index(toleration.value))),
                    (tol.effect, z3.IntVal(EFFECTS.index(toleration.effect) if toleration.effect else -1)),
                ]
            else:
                pairs += [
                    (tol.key, z3.IntVal(0)),
                    (tol.operator, z3.IntVal(0)),
                    (tol.value, z3.IntVal(0)),
                    (tol.effect, z3.IntVal(0)),
                ]
        return pairs


def tolerates_term(tol: TolerationTerms, taint: TaintTerms) -> z3.BoolRef:
    """``tolerates`` for symbolic tolerations."""
    return z3.And(
        tol.present,
        z3.Or(tol.effect == -1, tol.effect == taint.effect),
        z3.Or(tol.key == -1, tol.key == taint.key),
        z3.Or(tol.operator == OPERATORS.index("Exists"), tol.value == taint.value),
    )


def _tolerated_by(fixed: Sequence[Toleration], taint: TaintTerms) -> z3.BoolRef:
    """Whether one of concrete tolerations ``fixed`` tolerates a symbolic taint (vocabulary-exact)."""
    options = []
    for key in range(len(TAINT_KEYS)):
        for value in range(len(VALUES)):
            for effect in range(len(EFFECTS)):
                concrete = Taint(key=TAINT_KEYS[key], value=VALUES[value], effect=EFFECTS[effect])
                if any(tolerates(t, concrete) for t in fixed):
                    options.append(z3.And(taint.key == key, taint.value == value, taint.effect == effect))
    return z3.Or(*options) if options else z3.BoolVal(False)


def automatic_tolerated_term(e: EligibilityTerms, taint: TaintTerms) -> z3.BoolRef:
    """The spec's own automatic tolerations (``add_daemon_pod_tolerations`` on an empty template)."""
    plain = spec_ds.add_daemon_pod_tolerations(PodSpec())
    host = spec_ds.add_daemon_pod_tolerations(PodSpec(host_network=True))
    return z3.If(e.host_network, _tolerated_by(host, taint), _tolerated_by(plain, taint))


def eligibility_term(e: EligibilityTerms) -> tuple[z3.BoolRef, z3.BoolRef]:
    """``node_should_run_daemon_pod``, selectors as one Boolean: (shouldRun, shouldContinueRunning)."""

    def tolerated(taint: TaintTerms) -> z3.BoolRef:
        return z3.Or(automatic_tolerated_term(e, taint), *[tolerates_term(t, taint) for t in e.tolerations])

    def untolerated(effects: Sequence[str]) -> z3.BoolRef:
        codes = [EFFECTS.index(effect) for effect in effects]
        return z3.Or(
            *[
                z3.And(t.present, z3.Or(*[t.effect == c for c in codes]), z3.Not(tolerated(t)))
                for t in e.taints
            ],
            z3.BoolVal(False),
        )

    fits = z3.Not(untolerated((spec_ds.NO_SCHEDULE, spec_ds.NO_EXECUTE)))
    keeps = z3.Not(untolerated((spec_ds.NO_EXECUTE,)))
    return z3.And(e.selectors_match, fits), z3.And(e.selectors_match, z3.Or(fits, keeps))


def _documented(e: EligibilityTerms, taint: TaintTerms) -> z3.BoolRef:
    def listed(pairs: Sequence[tuple[str, str]]) -> z3.BoolRef:
        return z3.Or(
            *[z3.And(taint.key == TAINT_KEYS.index(k), taint.effect == EFFECTS.index(f)) for k, f in pairs]
        )

    return z3.Or(listed(DOCUMENTED_AUTOMATIC), z3.And(e.host_network, listed(DOCUMENTED_HOST_NETWORK)))


def tolerations_violation(
    e: EligibilityTerms, should_run: z3.BoolRef, should_continue: z3.BoolRef
) -> z3.BoolRef:
    def allowed(taint: TaintTerms) -> z3.BoolRef:
        return z3.Or(_documented(e, taint), *[tolerates_term(t, taint) for t in e.tolerations])

    only_documented = z3.And(*[z3.Implies(t.present, _documented(e, t)) for t in e.taints])
    blocking = [
        z3.And(t.present, t.effect != EFFECTS.index(spec_ds.PREFER_NO_SCHEDULE), z3.Not(allowed(t)))
        for t in e.taints
    ]
    evicting = [
        z3.And(t.present, t.effect == EFFECTS.index(spec_ds.NO_EXECUTE), z3.Not(allowed(t))) for t in e.taints
    ]
    return z3.Or(
        z3.And(e.selectors_match, only_documented, z3.Not(should_run)),
        z3.And(should_run, z3.Or(*blocking, z3.BoolVal(False))),
        z3.And(should_continue, z3.Or(*evicting, z3.BoolVal(False))),
    )


@dataclass(frozen=True)
class Eligibility:
    """A node, a DaemonSet's pod template, and the (shouldRun, shouldContinueRunning) a controller used."""

    node: Node
    spec: PodSpec
    decision: tuple[bool, bool]


def _documented_pairs(host_network: bool) -> set[tuple[str, str]]:
    return set(DOCUMENTED_AUTOMATIC) | (set(DOCUMENTED_HOST_NETWORK) if host_network else set())


def tolerations_problems(state: Eligibility) -> list[str]:
    should_run, should_continue = state.decision
    documented = _documented_pairs(state.spec.host_network)
    taints = state.node.spec.taints

    def allowed(taint: Taint) -> bool:
        return (taint.key, taint.effect) in documented or any(
            tolerates(t, taint) for t in state.spec.tolerations
        )

    problems = []
    selectors = spec_ds.node_affinity_matches(state.spec, state.node) and state.spec.node_name in (
        "",
        state.node.metadata.name,
    )
    if selectors and all((t.key, t.effect) in documented for t in taints) and not should_run:
        problems.append("every taint is tolerated automatically, yet the node is not eligible")
    blocking = [t for t in taints if t.effect in (spec_ds.NO_SCHEDULE, spec_ds.NO_EXECUTE) and not allowed(t)]
    if should_run and blocking:
        problems.append(f"eligible despite untolerated taints {[f'{t.key}:{t.effect}' for t in blocking]}")
    evicting = [t for t in blocking if t.effect == spec_ds.NO_EXECUTE]
    if should_continue and evicting:
        problems.append(f"keeps its pod despite untolerated NoExecute taints {[t.key for t in evicting]}")
    return problems


def render_eligibility(node: Node, spec: PodSpec) -> str:
    taints = ", ".join(f"{t.key}={t.value}:{t.effect}" for t in node.spec.taints) or "none"
    tolerations = (
        ", ".join(
            f"{t.key or '*'} {t.operator or 'Equal'} {t.value!r} {t.effect or '*'}" for t in spec.tolerations
        )
        or "none"
    )
    return f"taints [{taints}], template tolerations [{tolerations}], hostNetwork={spec.host_network}"


class TolerationsBounded(Invariant[Eligibility]):
    method = "bounded"
    default_bounds: ClassVar[Bounds] = {"max_taints": 3, "max_tolerations": 2}

    def __init__(self) -> None:
        super().__init__(spec_ds.DAEMONSET_TOLERATIONS.id)

    def describe_bounds(self, bounds: Bounds) -> str:
        return (
            f"0..{bounds['max_taints']} taints, 0..{bounds['max_tolerations']} tolerations over "
            f"{len(TAINT_KEYS)} keys, 2 values, every effect"
        )

    def check(self, state: Eligibility) -> list[str]:
        return tolerations_problems(state)

    def find_counterexample(self, bounds: Bounds, timeout_ms: int) -> Counterexample | None:
        e = EligibilityTerms.fresh(bounds["max_taints"], bounds["max_tolerations"])
        should_run, should_continue = eligibility_term(e)
        constraints = [*e.domain(), e.selectors_match, tolerations_violation(e, should_run, should_continue)]
        present = [t.present for t in e.taints] + [t.present for t in e.tolerations]
        objective = z3.Sum([z3.If(p, 1, 0) for p in present])
        model = find_smallest(constraints, objective, timeout_ms=timeout_ms)
        if model is None:
            return None
        node, spec, _ = e.node_and_spec(model)
        decision = spec_ds.node_should_run_daemon_pod(node, spec)
        state = Eligibility(node, spec, decision)
        return Counterexample(
            f"{render_eligibility(node, spec)}: shouldRun={decision[0]}, "
            f"shouldContinueRunning={decision[1]}: "
            f"{'; '.join(tolerations_problems(state))}",
            {"state": state},
        )


COVERAGE_BOUNDED = register(CoverageBounded())
TOLERATIONS_BOUNDED = register(TolerationsBounded())
