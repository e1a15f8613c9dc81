"""invariants/daemonset.py: the coverage and eligibility encodings compute what spec/workloads/daemonset.py
computes (for the spec and every mutant), the proofs hold, each mutant breaks the proof it should, and
``check`` rejects hand-built bad states.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import z3
from hypothesis import given
from hypothesis import strategies as st

import spec.workloads.daemonset as ds
from invariants import daemonset as encodings
from invariants.daemonset import (
    COVERAGE_BOUNDED,
    TOLERATIONS_BOUNDED,
    DaemonSetRound,
    Eligibility,
    EligibilityTerms,
    NodeTerms,
    PodSlot,
)
from invariants.encoding import evaluate
from spec.objects.core import Node, NodeSpec, PodSpec, Taint, Toleration
from spec.objects.meta import ObjectMeta
from spec.workloads.daemonset import DaemonPod, NodeEligibility
from tests.invariants import mutants
from tests.invariants.mutants import swapped

ALL_MUTANTS: list[str | None] = [None, *mutants.DAEMONSET_MUTANTS]


@contextmanager
def maybe(mutant: str | None) -> Iterator[None]:
    if mutant is None:
        yield
    else:
        with pytest.MonkeyPatch.context() as patch, swapped(patch, mutants.DAEMONSET_MUTANTS[mutant]):
            yield


@st.composite
def node_pods(draw: st.DrawFn) -> tuple[bool, bool, list[DaemonPod]]:
    should_run = draw(st.booleans())
    should_continue = should_run or draw(st.booleans())
    pods = [
        DaemonPod(
            f"node0-pod{j}",
            "node0",
            draw(st.sampled_from(encodings.PHASES)),
            draw(st.booleans()),
            draw(st.integers(0, 3)),
            draw(st.booleans()),
        )
        for j in range(draw(st.integers(0, 3)))
    ]
    return should_run, should_continue, pods


def concrete_node(should_run: bool, should_continue: bool, pods: list[DaemonPod], size: int = 3) -> NodeTerms:
    slots = []
    for j in range(size):
        given_pod = j < len(pods)
        pod = pods[j] if given_pod else DaemonPod("none", "node0")
        slots.append(
            PodSlot(
                z3.BoolVal(given_pod),
                z3.IntVal(encodings.PHASES.index(pod.phase)),
                z3.BoolVal(pod.terminating),
                z3.IntVal(pod.created),
                z3.BoolVal(pod.scheduled),
                j,
            )
        )
    return NodeTerms(z3.BoolVal(should_run), z3.BoolVal(should_continue), tuple(slots))


@pytest.mark.requirement("DAEMONSET-COVERAGE")
@pytest.mark.parametrize("mutant", ALL_MUTANTS)
@given(node=node_pods())
def test_pods_should_be_on_node_term(mutant: str | None, node: tuple[bool, bool, list[DaemonPod]]) -> None:
    should_run, should_continue, pods = node
    with maybe(mutant):
        create, deletes = encodings.pods_should_be_on_node_term(
            concrete_node(should_run, should_continue, pods)
        )
        expected_create, expected_delete = ds.pods_should_be_on_node(
            should_run, should_continue, ds.nodes_to_daemon_pods(pods).get("node0")
        )
        assert evaluate(create, []) == expected_create
        assert {pods[j].name for j, d in enumerate(deletes) if evaluate(d, [])} == set(expected_delete)


@pytest.mark.requirement("DAEMONSET-COVERAGE")
@given(node=node_pods())
def test_coverage_condition_is_check(node: tuple[bool, bool, list[DaemonPod]]) -> None:
    # Two rounds and the quiet third sync, on one node, as the proof builds them.
    should_run, should_continue, pods = node
    now = concrete_node(should_run, should_continue, pods)
    for round_ in range(2):
        now = encodings.settle_term(now, *encodings.pods_should_be_on_node_term(now), 100 + round_)
    create, deletes = encodings.pods_should_be_on_node_term(now)
    quiet = evaluate(z3.And(encodings.covered_term(now), z3.Not(create), *[z3.Not(d) for d in deletes]), [])
    state = DaemonSetRound((NodeEligibility("node0", should_run, should_continue),), tuple(pods))
    assert quiet == (COVERAGE_BOUNDED.check(state) == [])


taints = st.builds(
    Taint,
    key=st.sampled_from(encodings.TAINT_KEYS),
    value=st.sampled_from(encodings.VALUES),
    effect=st.sampled_from(encodings.EFFECTS),
)
tolerations = st.builds(
    Toleration,
    key=st.sampled_from(("", *encodings.TAINT_KEYS)),
    operator=st.sampled_from(encodings.OPERATORS),
    value=st.sampled_from(encodings.VALUES),
    effect=st.sampled_from(("", *encodings.EFFECTS)),
)


@pytest.mark.requirement("DAEMONSET-TOLERATIONS")
@pytest.mark.parametrize("mutant", ALL_MUTANTS)
@given(
    node_taints=st.lists(taints, max_size=3),
    template=st.lists(tolerations, max_size=2),
    host_network=st.booleans(),
)
def test_eligibility_term(
    mutant: str | None, node_taints: list[Taint], template: list[Toleration], host_network: bool
) -> None:
    with maybe(mutant):
        e = EligibilityTerms.fresh(3, 2)
        should_run, should_continue = encodings.eligibility_term(e)
        substitution = e.substitution(node_taints, template, host_network, True)
        node = Node(metadata=ObjectMeta(name="node0"), spec=NodeSpec(taints=tuple(node_taints)))
        spec = PodSpec(host_network=host_network, tolerations=tuple(template))
        decision = ds.node_should_run_daemon_pod(node, spec)
        assert (evaluate(should_run, substitution), evaluate(should_continue, substitution)) == decision
        violated = evaluate(encodings.tolerations_violation(e, should_run, should_continue), substitution)
        assert violated == bool(TOLERATIONS_BOUNDED.check(Eligibility(node, spec, decision)))


@pytest.mark.parametrize("invariant", [COVERAGE_BOUNDED, TOLERATIONS_BOUNDED], ids=lambda i: i.key)
def test_the_spec_is_proved(invariant: encodings.Invariant) -> None:  # type: ignore[type-arg]
    result = invariant.prove()
    assert result.proved, result


BREAKS = {
    "ignores the automatic tolerations": "DAEMONSET-TOLERATIONS",
    "tolerates network-unavailable without hostNetwork": "DAEMONSET-TOLERATIONS",
    "keeps duplicate pods": "DAEMONSET-COVERAGE",
    "never deletes failed pods": "DAEMONSET-COVERAGE",
}
QUICK = {"DAEMONSET-COVERAGE": {"max_nodes": 2, "max_pods_per_node": 3}, "DAEMONSET-TOLERATIONS": None}


@pytest.mark.parametrize("invariant", [COVERAGE_BOUNDED, TOLERATIONS_BOUNDED], ids=lambda i: i.key)
@pytest.mark.parametrize("mutant", list(mutants.DAEMONSET_MUTANTS))
def test_mutants(monkeypatch: pytest.MonkeyPatch, mutant: str, invariant: encodings.Invariant) -> None:  # type: ignore[type-arg]
    assert set(BREAKS) == set(mutants.DAEMONSET_MUTANTS)
    with swapped(monkeypatch, mutants.DAEMONSET_MUTANTS[mutant]):
        result = invariant.prove(QUICK[invariant.id])
        if BREAKS[mutant] != invariant.id:
            assert result.proved, result
            return
        assert result.outcome == "counterexample" and result.counterexample is not None, result
        state = result.counterexample.values["state"]
        assert invariant.check(state), result.counterexample.description
    if mutant == "ignores the automatic tolerations":
        assert "every taint is tolerated automatically, yet the node is not eligible" in str(
            result.counterexample
        )
    if mutant == "keeps duplicate pods":
        assert "it has 2 (2 alive)" in str(result.counterexample)


# -- check rejects hand-built bad states ----------------------------------------------------------------


def node(name: str = "n1", *node_taints: Taint, labels: dict[str, str] | None = None) -> Node:
    return Node(metadata=ObjectMeta(name=name, labels=labels or {}), spec=NodeSpec(taints=node_taints))


@pytest.mark.requirement("DAEMONSET-TOLERATIONS")
def test_check_tolerations() -> None:
    not_ready = Taint(key=ds.TAINT_NOT_READY, effect=ds.NO_EXECUTE)
    dedicated = Taint(key="example.com/dedicated", value="a", effect=ds.NO_SCHEDULE)
    assert TOLERATIONS_BOUNDED.check(Eligibility(node("n1", not_ready), PodSpec(), (True, True))) == []
    assert TOLERATIONS_BOUNDED.check(Eligibility(node("n1", not_ready), PodSpec(), (False, True)))
    assert TOLERATIONS_BOUNDED.check(Eligibility(node("n1", dedicated), PodSpec(), (True, True)))
    assert TOLERATIONS_BOUNDED.check(Eligibility(node("n1", dedicated), PodSpec(), (False, True))) == []
    evicting = Taint(key="example.com/dedicated", effect=ds.NO_EXECUTE)
    assert TOLERATIONS_BOUNDED.check(Eligibility(node("n1", evicting), PodSpec(), (False, True)))


@pytest.mark.requirement("DAEMONSET-COVERAGE")
def test_check_coverage() -> None:
    nodes = (
        NodeEligibility("a", True, True),
        NodeEligibility("b", False, False),
        NodeEligibility("c", False, True),
    )
    messy = (
        DaemonPod("a1", "a", created=2),
        DaemonPod("a2", "a", created=1),
        DaemonPod("b1", "b"),
        DaemonPod("c1", "c", phase="Failed"),
        DaemonPod("c2", "c", terminating=True),
    )
    assert COVERAGE_BOUNDED.check(DaemonSetRound(nodes, messy)) == []
    # A state from which the spec converges is accepted; the end states are what check judges:
    assert ds.is_covered(nodes, [DaemonPod("a1", "a"), DaemonPod("a2", "a")])
    assert ds.is_covered(nodes, [DaemonPod("b1", "b")])
    assert ds.is_covered(nodes, [DaemonPod("c1", "c", phase="Failed")])
    assert ds.is_covered(nodes, [DaemonPod("a1", "a")]) == []


def test_check_coverage_rejects_a_wrong_controller(monkeypatch: pytest.MonkeyPatch) -> None:
    state = DaemonSetRound((NodeEligibility("a", True, True),), (DaemonPod("a1", "a"), DaemonPod("a2", "a")))
    with swapped(monkeypatch, mutants.DAEMONSET_MUTANTS["keeps duplicate pods"]):
        assert COVERAGE_BOUNDED.check(state) == ["node a should run one daemon pod, it has 2 (2 alive)"]
