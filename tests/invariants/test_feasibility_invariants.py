"""SCHED-FEASIBLE-SOUND and -COMPLETE hold for the oracle, fail for wrong encodings, and ``check`` rejects
hand-built wrong answers.

Each mutant below is a plausible slip in one constraint group of
``FeasibilityEncoding``. Two things must catch it: the differential check
(its ``accepts`` disagrees with the filters on some placement), and the
registered invariant (swapped in, ``prove`` returns a counterexample whose
story re-checks against the filters).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import z3

import invariants.feasibility as feasibility
from invariants.feasibility import (
    SCHED_FEASIBLE_COMPLETE,
    SCHED_FEASIBLE_SOUND,
    FeasibilityEncoding,
    Feasible,
    Group,
    Infeasible,
    OracleAnswer,
    brute_force,
)
from invariants.framework import Invariant
from invariants.snapshots import (
    Problem,
    SeededChoices,
    anti_affinity,
    generate_problem,
    make_node,
    make_pod,
    mixed_shape,
)
from spec.objects.core import Node
from spec.scheduling.filters import ClusterSnapshot, first_rejection


class ForgetsBoundRequests(FeasibilityEncoding):
    """Reads allocatable as free: the requests of pods already on a node are not subtracted."""

    def used_on(self, node: Node) -> dict[str, int]:
        return {}


class CountsBoundRequestsTwice(FeasibilityEncoding):
    def used_on(self, node: Node) -> dict[str, int]:
        return {name: 2 * amount for name, amount in super().used_on(node).items()}


class ForgetsBoundAntiAffinity(FeasibilityEncoding):
    """Anti-affinity only among the pending pods, as if the bound pods had no terms and no labels."""

    def bound_anti_affinity_groups(self) -> list[Group]:
        return []


class SpreadIgnoresEarlierPods(FeasibilityEncoding):
    """Topology spread counted over the bound pods only, not the pending pods placed before."""

    def eligible_domain(self, k: int, key: str, value: str, eligible: object) -> z3.BoolRef:
        return self.terms.false


class _IgnoresBoundPods(FeasibilityEncoding):
    """Builds the groups of ``ignoring`` as if no pod were bound yet."""

    ignoring = ""

    def __getattribute__(self, name: str) -> object:
        method = super().__getattribute__(name)
        if name != type(self).ignoring:
            return method

        def without_bound_pods() -> list[Group]:
            saved = self.snapshot
            self.snapshot = ClusterSnapshot(saved.nodes, (), saved.namespace_labels)
            try:
                return method()  # type: ignore[operator,no-any-return]
            finally:
                self.snapshot = saved

        return without_bound_pods


class HostPortsIgnoreBoundPods(_IgnoresBoundPods):
    ignoring = "port_groups"


class AffinityIgnoresBoundPods(_IgnoresBoundPods):
    """Required pod affinity looks for matching pods among the pending ones only."""

    ignoring = "affinity_groups"


SOUNDNESS_MUTANTS = [
    ForgetsBoundRequests,
    ForgetsBoundAntiAffinity,
    SpreadIgnoresEarlierPods,
    HostPortsIgnoreBoundPods,
    AffinityIgnoresBoundPods,
]
COMPLETENESS_MUTANTS = [CountsBoundRequestsTwice]


def sweep(count: int = 300) -> Iterator[Problem]:
    for seed in range(count):
        c = SeededChoices(10_000 + seed)
        shape = mixed_shape(c, pods=(2, 5), nodes=(2, 4), existing=(1, 4))
        yield generate_problem(c, shape)


def disagreement(encoding_class: type[FeasibilityEncoding]) -> str | None:
    """A problem and placement where the encoding's ``accepts`` and the filters disagree, if any.

    The placements tried: brute force's (passes the filters), and every placement the encoding
    admits (its solutions, enumerated: which one Z3 would return first depends on what ran before
    in the process, the whole set does not).
    """
    for problem in sweep():
        encoding = encoding_class(problem)
        placements = [[node for _, node in placement] for placement in encoding.admitted_placements(300)]
        found = brute_force(problem)
        if found is not None:
            placements.append([node for _, node in found])
        for nodes in placements:
            wanted = first_rejection(problem.snapshot, list(zip(problem.pending, nodes, strict=True))) is None
            if encoding.accepts(nodes) != wanted:
                return f"{nodes}: accepts says {not wanted}, the filters {wanted}"
    return None


def test_the_real_encoding_agrees_on_the_sweep() -> None:
    assert disagreement(FeasibilityEncoding) is None


@pytest.mark.parametrize("mutant", SOUNDNESS_MUTANTS + COMPLETENESS_MUTANTS, ids=lambda m: m.__name__)
def test_the_differential_check_catches_each_mutant(mutant: type[FeasibilityEncoding]) -> None:
    assert disagreement(mutant) is not None


BOUNDS = {"problems": 300, "max_pods": 4, "max_nodes": 3, "seed": 1}


@pytest.mark.requirement("SCHED-FEASIBLE-SOUND")
@pytest.mark.requirement("SCHED-FEASIBLE-COMPLETE")
@pytest.mark.parametrize("invariant", [SCHED_FEASIBLE_SOUND, SCHED_FEASIBLE_COMPLETE], ids=lambda i: i.key)
def test_the_oracle_holds_on_the_default_and_wider_bounds(invariant: Invariant[OracleAnswer]) -> None:
    assert invariant.prove().proved
    assert invariant.prove(BOUNDS).proved


@pytest.mark.parametrize(
    ("mutant", "invariant"),
    [(m, SCHED_FEASIBLE_SOUND) for m in SOUNDNESS_MUTANTS]
    + [(m, SCHED_FEASIBLE_COMPLETE) for m in COMPLETENESS_MUTANTS],
    ids=lambda x: getattr(x, "__name__", getattr(x, "key", "")),
)
def test_each_mutant_breaks_its_invariant(
    monkeypatch: pytest.MonkeyPatch, mutant: type[FeasibilityEncoding], invariant: Invariant[OracleAnswer]
) -> None:
    monkeypatch.setattr(feasibility, "FeasibilityEncoding", mutant)
    result = invariant.prove()  # the default bounds, as `tox -e invariants` proves them
    assert result.outcome == "counterexample", result
    assert result.counterexample is not None
    answer = result.counterexample.values["answer"]
    assert isinstance(answer, OracleAnswer)
    # The counterexample re-checks against the filters, with the real oracle out of the picture.
    if invariant is SCHED_FEASIBLE_SOUND:
        assert isinstance(answer.answer, Feasible)
        pairs = feasibility.placement_pairs(answer.problem, answer.answer.placement)
        assert first_rejection(answer.problem.snapshot, pairs) is not None
    else:
        assert isinstance(answer.answer, Infeasible)
        assert brute_force(answer.problem) is not None


# -- check() on hand-built answers ------------------------------------------------------------------


def _two_web_pods() -> Problem:
    rule = {"affinity": anti_affinity({"app": "web"})}
    pods = tuple(make_pod(f"web-{i}", labels={"app": "web"}, spec=rule) for i in range(2))
    return Problem(ClusterSnapshot((make_node("a"), make_node("b"))), pods)


def test_check_rejects_a_placement_a_filter_rejects() -> None:
    problem = _two_web_pods()
    same_node = OracleAnswer(problem, Feasible((("default/web-0", "a"), ("default/web-1", "a"))))
    assert SCHED_FEASIBLE_SOUND.check(same_node) == [
        "the returned placement is rejected: pod default/web-1 on node a (placed #1): "
        "node(s) didn't match pod anti-affinity rules"
    ]
    good = OracleAnswer(problem, Feasible((("default/web-0", "a"), ("default/web-1", "b"))))
    assert SCHED_FEASIBLE_SOUND.check(good) == []


def test_check_rejects_a_placement_that_drops_or_reorders_pods() -> None:
    problem = _two_web_pods()
    reordered = OracleAnswer(problem, Feasible((("default/web-1", "a"), ("default/web-0", "b"))))
    assert SCHED_FEASIBLE_SOUND.check(reordered)
    missing = OracleAnswer(problem, Feasible((("default/web-0", "a"),)))
    assert SCHED_FEASIBLE_SOUND.check(missing)


def test_check_rejects_infeasible_when_a_placement_exists_or_the_core_is_empty() -> None:
    problem = _two_web_pods()
    wrong = OracleAnswer(problem, Infeasible(("made up",)))
    assert SCHED_FEASIBLE_COMPLETE.check(wrong) == [
        "infeasible, yet this placement passes every filter: (('default/web-0', 'a'), ('default/web-1', 'b'))"
    ]
    crowded = Problem(ClusterSnapshot((make_node("a"),)), problem.pending)
    assert SCHED_FEASIBLE_COMPLETE.check(OracleAnswer(crowded, Infeasible(("anti-affinity",)))) == []
    assert SCHED_FEASIBLE_COMPLETE.check(OracleAnswer(crowded, Infeasible(()))) == [
        "infeasible with an empty core"
    ]
