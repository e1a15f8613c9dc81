"""The feasibility oracle is tied to spec/scheduling/filters.py (the honesty rule of DESIGN.md).

- ``FeasibilityEncoding.accepts`` evaluates the very constraints ``solve``
  hands to Z3 on a concrete placement; on generated problems and placements
  it must equal "every pod passes every filter, placed in order"
  (``first_rejection(...) is None``).
- ``solve`` must agree with a brute-force search of every placement on
  small problems: feasible exactly when one exists; a returned placement
  passes the filters; an unsat core is non-empty and is unsat on its own.
- A seeded sweep shows the generator reaches feasible and infeasible
  problems and every kind of constraint group in some core, so the tests
  above are not passing over easy problems only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

import pytest
import z3
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from conformance.strategies.objects import DrawChoices
from invariants.feasibility import (
    FeasibilityEncoding,
    Feasible,
    Infeasible,
    brute_force,
    placement_pairs,
    solve,
)
from invariants.snapshots import (
    Problem,
    SeededChoices,
    Shape,
    anti_affinity,
    generate_problem,
    make_node,
    make_pod,
    mixed_shape,
)
from spec.objects.core import Pod
from spec.scheduling.filters import LABEL_ZONE, ClusterSnapshot, first_rejection, pod_key


@st.composite
def problems(draw: st.DrawFn, max_pods: int = 4, max_nodes: int = 4) -> Problem:
    c = DrawChoices(draw)
    shape = Shape(
        pods=c.integer(1, max_pods),
        nodes=c.integer(1, max_nodes),
        existing=c.integer(0, 3),
        load=c.pick((40, 80, 150)),
        zones=c.integer(1, 3),
        affinity=c.coin(),
        spread=c.coin(),
        zone_anti_affinity=c.coin(),
    )
    return generate_problem(c, shape)


def passes_filters(problem: Problem, nodes: list[str]) -> bool:
    pairs = list(zip(problem.pending, nodes, strict=True))
    return first_rejection(problem.snapshot, pairs) is None


@pytest.mark.requirement("SCHED-FEASIBLE-SOUND")
@pytest.mark.requirement("SCHED-FEASIBLE-COMPLETE")
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems(), data=st.data())
def test_the_encoding_accepts_exactly_the_placements_the_filters_pass(
    problem: Problem, data: st.DataObject
) -> None:
    names = [n.metadata.name for n in problem.snapshot.nodes]
    found = brute_force(problem)
    if found is not None and data.draw(st.booleans(), label="start from a passing placement"):
        nodes = [node for _, node in found]
        if data.draw(st.booleans(), label="move one pod"):
            i = data.draw(st.integers(0, len(nodes) - 1), label="pod")
            nodes[i] = data.draw(st.sampled_from(names), label="to")
    else:
        nodes = data.draw(
            st.lists(st.sampled_from(names), min_size=len(problem.pending), max_size=len(problem.pending))
        )
    note(f"placement {nodes}")
    assert FeasibilityEncoding(problem).accepts(nodes) == passes_filters(problem, nodes)


def core_alone_is_unsat(encoding: FeasibilityEncoding, core: Collection[str]) -> bool:
    solver = z3.Solver(ctx=encoding.terms.ctx)
    solver.add(*encoding.structural)
    for group in encoding.groups:
        if group.description in core:
            solver.add(*group.terms)
    return solver.check() == z3.unsat


@pytest.mark.requirement("SCHED-FEASIBLE-SOUND")
@pytest.mark.requirement("SCHED-FEASIBLE-COMPLETE")
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems())
def test_solve_agrees_with_brute_force(problem: Problem) -> None:
    encoding = FeasibilityEncoding(problem)
    answer = encoding.solve()
    found = brute_force(problem)
    note(f"answer {answer}; brute force {found}")
    if isinstance(answer, Feasible):
        assert [key for key, _ in answer.placement] == [pod_key(p) for p in problem.pending]
        assert first_rejection(problem.snapshot, placement_pairs(problem, answer.placement)) is None
    else:
        assert found is None, f"infeasible, yet {found} passes every filter"
        assert answer.core
        assert core_alone_is_unsat(encoding, answer.core)
        assert answer.minimal  # small problems are minimised within the budget
        for dropped in answer.core:
            assert not core_alone_is_unsat(encoding, set(answer.core) - {dropped}), (
                f"{dropped!r} is not needed"
            )


def test_the_generator_reaches_every_kind_of_conflict() -> None:
    verdicts: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for seed in range(300):
        c = SeededChoices(seed)
        shape = mixed_shape(c, pods=(2, 6), nodes=(2, 5), existing=(0, 3))
        encoding = FeasibilityEncoding(generate_problem(c, shape))
        answer = encoding.solve()
        verdicts["feasible" if answer.feasible else "infeasible"] += 1
        if isinstance(answer, Infeasible):
            labels = {g.description: g.label for g in encoding.groups}
            kinds.update({labels[d].split(":")[0] for d in answer.core})
    assert verdicts["feasible"] >= 50 and verdicts["infeasible"] >= 50, verdicts
    for kind in ("place", "cpu", "memory", "pods", "ports", "anti", "anti-bound", "affinity", "spread"):
        assert kinds[kind] > 0, f"no core names a {kind} group: {kinds}"


# -- hand-built problems: the core names the conflict in spec terms ------------------------------------


def _problem(nodes: list[object], pending: list[Pod], bound: tuple[Pod, ...] = ()) -> Problem:
    return Problem(ClusterSnapshot(tuple(nodes), bound), tuple(pending))  # type: ignore[arg-type]


def test_three_replicas_with_hostname_anti_affinity_on_two_nodes() -> None:
    rule = {"affinity": anti_affinity({"app": "web"})}
    pods = [make_pod(f"web-{i}", labels={"app": "web"}, spec=rule) for i in range(3)]
    answer = solve(_problem([make_node("a"), make_node("b")], pods))
    assert isinstance(answer, Infeasible)
    # Every core holds "must be placed" groups: without them placing nothing satisfies the rest.
    assert answer.core == (
        *(f"pod default/web-{i} must be placed on one of: a, b" for i in range(3)),
        "pods default/web-0, default/web-1, default/web-2: required anti-affinity on kubernetes.io/hostname "
        "against pods default/web-0, default/web-1, default/web-2 (2 kubernetes.io/hostname domain(s))",
    )
    feasible = solve(_problem([make_node("a"), make_node("b"), make_node("c")], pods))
    assert isinstance(feasible, Feasible)
    assert sorted(node for _, node in feasible.placement) == ["a", "b", "c"]


def test_cpu_that_fits_each_node_alone_but_not_all_together() -> None:
    bound = (make_pod("running", cpu="3", node_name="a"),)
    pods = [make_pod("p0", cpu="600m"), make_pod("p1", cpu="600m")]
    answer = solve(_problem([make_node("a", cpu="4")], pods, bound))
    assert isinstance(answer, Infeasible)
    assert answer.core == (
        "pod default/p0 must be placed on one of: a",
        "pod default/p1 must be placed on one of: a",
        "node a: cpu requests placed there must fit in 4000m allocatable - 3000m requested = 1000m",
    )


def test_a_pod_no_node_admits_is_named_with_the_static_reasons() -> None:
    node = make_node("a", labels={LABEL_ZONE: "z1"}, taints=[{"key": "gpu", "effect": "NoSchedule"}])
    answer = solve(_problem([node], [make_pod("p")]))
    assert isinstance(answer, Infeasible)
    assert answer.core == (
        "pod default/p must be placed on one of: no node "
        "(static filters: 1 node(s) had untolerated taint {gpu: })",
    )


def test_pending_pods_must_have_distinct_names() -> None:
    with pytest.raises(ValueError, match="distinct"):
        FeasibilityEncoding(_problem([make_node("a")], [make_pod("p"), make_pod("p")]))
