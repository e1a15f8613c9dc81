"""invariants/framework.py: results, the registry and the solver helpers."""

from __future__ import annotations

from typing import ClassVar

import pytest
import z3

from invariants.framework import (
    Bounds,
    Counterexample,
    Invariant,
    SolverUnknown,
    find_model,
    find_smallest,
    load_all,
    register,
)
from spec.requirements import load_all as load_requirements


class _Scripted(Invariant[int]):
    """An invariant whose search answers what the test says, to exercise ``prove``."""

    method = "scripted"
    default_bounds: ClassVar[Bounds] = {"max_members": 3}

    def __init__(self, answer: Counterexample | SolverUnknown | None) -> None:
        super().__init__("QUORUM-INTERSECTION")
        self.answer = answer
        self.seen_bounds: Bounds | None = None

    def describe_bounds(self, bounds: Bounds) -> str:
        return f"n <= {bounds['max_members']}"

    def find_counterexample(self, bounds: Bounds, timeout_ms: int) -> Counterexample | None:
        self.seen_bounds = bounds
        if isinstance(self.answer, SolverUnknown):
            raise self.answer
        return self.answer

    def check(self, state: int) -> list[str]:
        return [] if state >= 0 else [f"{state} is negative"]


def test_a_proof_without_counterexample_is_proved_with_its_bounds_and_time() -> None:
    invariant = _Scripted(None)
    result = invariant.prove()
    assert result.proved and result.outcome == "proved"
    assert result.key == "QUORUM-INTERSECTION:scripted"
    assert result.requirement_id == "QUORUM-INTERSECTION"
    assert result.bounds == "n <= 3" and invariant.seen_bounds == {"max_members": 3}
    assert result.seconds >= 0
    assert result.counterexample is None


def test_a_counterexample_is_not_a_proof() -> None:
    found = Counterexample("n=2: {m0} and {m1} ...", {"n": 2})
    result = _Scripted(found).prove({"max_members": 9})
    assert not result.proved and result.outcome == "counterexample"
    assert result.counterexample == found and str(result.counterexample).startswith("n=2")
    assert result.bounds == "n <= 9"


def test_a_solver_give_up_is_unknown_not_proved() -> None:
    result = _Scripted(SolverUnknown("z3 answered unknown: timeout")).prove()
    assert not result.proved and result.outcome == "unknown"
    assert "timeout" in result.reason


def test_the_statement_comes_from_the_requirement_registry() -> None:
    requirements = load_requirements()
    assert _Scripted(None).statement == requirements["QUORUM-INTERSECTION"].statement


def test_an_invariant_needs_a_declared_requirement() -> None:
    class Undeclared(_Scripted):
        def __init__(self) -> None:
            Invariant.__init__(self, "NO-SUCH-REQUIREMENT")

    with pytest.raises(KeyError, match="not a declared requirement"):
        Undeclared()


def test_a_key_is_registered_once() -> None:
    registered = load_all()
    existing = registered["QUORUM-INTERSECTION:bounded"]
    assert register(existing) is existing  # the same object again is harmless
    impostor = type(existing)()
    with pytest.raises(ValueError, match="registered twice"):
        register(impostor)


def test_every_registered_invariant_names_a_declared_requirement() -> None:
    registered = load_all()
    requirements = load_requirements()
    assert registered, "no invariant registered"
    for key, invariant in registered.items():
        assert key == f"{invariant.id}:{invariant.method}"
        assert invariant.id in requirements
        assert invariant.statement == requirements[invariant.id].statement


def test_find_model_reports_sat_unsat_and_unknown() -> None:
    x, y, z = z3.Ints("x y z")
    model = find_model([x > 2, x < 4], timeout_ms=1000)
    assert model is not None and model.eval(x).as_long() == 3
    assert find_model([x > 2, x < 3], timeout_ms=1000) is None
    # Fermat for cubes: nonlinear integer arithmetic Z3 cannot settle in 50 ms.
    with pytest.raises(SolverUnknown, match="unknown"):
        find_model([x > 0, y > 0, z > 0, x * x * x + y * y * y == z * z * z], timeout_ms=50)


def test_find_smallest_pushes_the_objective_down() -> None:
    n = z3.Int("n")
    model = find_smallest([n >= 7, n % 5 == 3], n, timeout_ms=1000)
    assert model is not None and model.eval(n).as_long() == 8
    assert find_smallest([n > 1, n < 1], n, timeout_ms=1000) is None
