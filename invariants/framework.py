"""Invariants: a requirement of the spec, proved with Z3 and checked on concrete states.

An ``Invariant`` names a requirement declared in ``spec/`` (its ID and MUST
statement come from the registry in ``spec.requirements``) and offers two
things:

- ``prove(bounds)``: search with Z3 for a counterexample within the bounds.
  None exists -> ``proved``; one exists -> ``counterexample``, decoded back
  into spec terms (member sets, sizes) and rendered as a sentence; the
  solver gives up (timeout) -> ``unknown``, which is not a proof.
- ``check(state)``: the same property on one concrete state that a machine
  reached, with the spec's Python functions; returns the violations found
  (an empty list when it holds).

A proof says something about the spec only if its Z3 terms compute what
the spec's Python functions compute; ``invariants.encoding`` has the tools
for that and every encoding has a differential test (``tests/invariants``).

``python -m invariants`` proves every registered invariant and prints a
table (``invariants.report``).
"""

from __future__ import annotations

import importlib
import pkgutil
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar

import z3

from spec.requirements import Requirement, registry

#: Named limits of a bounded proof (``{"min_members": 1, "max_members": 15}``);
#: empty for a proof over all sizes.
Bounds = Mapping[str, int]
Outcome = Literal["proved", "counterexample", "unknown"]

#: How long one solver call may take before the proof is reported unknown.
DEFAULT_TIMEOUT_MS = 20_000

State = TypeVar("State")


@dataclass(frozen=True)
class Counterexample:
    """Why an invariant does not hold: a sentence in spec terms and the objects it names."""

    description: str
    values: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.description


@dataclass(frozen=True)
class ProofResult:
    key: str
    requirement_id: str
    statement: str
    bounds: str
    outcome: Outcome
    seconds: float
    counterexample: Counterexample | None = None
    reason: str = ""

    @property
    def proved(self) -> bool:
        return self.outcome == "proved"


class SolverUnknown(Exception):
    """Z3 answered unknown (a timeout, or a theory it cannot decide)."""


class Invariant(ABC, Generic[State]):
    """One requirement, one proof method (``bounded`` or ``symbolic``), and a concrete check.

    Subclasses implement ``describe_bounds``, ``find_counterexample`` and
    ``check``; ``prove`` times the search and packages the answer.
    """

    #: Short name of how it is proved; the registry key is ``ID:method``.
    method: ClassVar[str]
    default_bounds: ClassVar[Bounds] = {}

    def __init__(self, requirement_id: str) -> None:
        declared = registry().get(requirement_id)
        if declared is None:
            raise KeyError(f"{requirement_id} is not a declared requirement (declare it in spec/)")
        self.requirement: Requirement = declared

    @property
    def id(self) -> str:
        return self.requirement.id

    @property
    def statement(self) -> str:
        return self.requirement.statement

    @property
    def key(self) -> str:
        return f"{self.id}:{self.method}"

    @abstractmethod
    def describe_bounds(self, bounds: Bounds) -> str:
        """What the proof covers, for people: ``n = 1..15``, ``every n >= 1``."""

    @abstractmethod
    def find_counterexample(self, bounds: Bounds, timeout_ms: int) -> Counterexample | None:
        """A state within ``bounds`` that violates the requirement, or None if Z3 shows there is none.

        Raises ``SolverUnknown`` when Z3 cannot decide.
        """

    @abstractmethod
    def check(self, state: State) -> list[str]:
        """The violations of the requirement in one concrete state (empty when it holds)."""

    def prove(self, bounds: Bounds | None = None, *, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> ProofResult:
        chosen = dict(self.default_bounds if bounds is None else bounds)
        started = time.perf_counter()
        outcome: Outcome
        reason = ""
        try:
            counterexample = self.find_counterexample(chosen, timeout_ms)
            outcome = "proved" if counterexample is None else "counterexample"
        except SolverUnknown as unknown:
            counterexample, outcome, reason = None, "unknown", str(unknown)
        return ProofResult(
            key=self.key,
            requirement_id=self.id,
            statement=self.statement,
            bounds=self.describe_bounds(chosen),
            outcome=outcome,
            seconds=time.perf_counter() - started,
            counterexample=counterexample,
            reason=reason,
        )


def find_model(constraints: Sequence[z3.BoolRef], *, timeout_ms: int) -> z3.ModelRef | None:
    """A model of ``constraints``, or None when they are unsatisfiable."""
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*constraints)
    answer = solver.check()
    if answer == z3.sat:
        return solver.model()
    if answer == z3.unsat:
        return None
    raise SolverUnknown(f"z3 answered unknown: {solver.reason_unknown()}")


def find_smallest(
    constraints: Sequence[z3.BoolRef], objective: z3.ArithRef, *, timeout_ms: int, rounds: int = 64
) -> z3.ModelRef | None:
    """A model of ``constraints`` with ``objective`` as small as Z3 can make it (small ones read best).

    Asks again with ``objective`` below the last value found until Z3 finds
    none (or after ``rounds`` tries); the objective must be bounded below.
    """
    best = find_model(constraints, timeout_ms=timeout_ms)
    for _ in range(rounds):
        if best is None:
            return None
        value = best.eval(objective, model_completion=True)
        smaller = find_model([*constraints, objective < value], timeout_ms=timeout_ms)
        if smaller is None:
            return best
        best = smaller
    return best


_REGISTRY: dict[str, Invariant[Any]] = {}

Registered = TypeVar("Registered", bound=Invariant[Any])


def register(invariant: Registered) -> Registered:
    """Add an invariant to the registry that ``python -m invariants`` proves; returns it."""
    if invariant.key in _REGISTRY and _REGISTRY[invariant.key] is not invariant:
        raise ValueError(f"invariant {invariant.key} registered twice")
    _REGISTRY[invariant.key] = invariant
    return invariant


def load_all() -> dict[str, Invariant[Any]]:
    """Import every module of the ``invariants`` package so that every invariant is registered."""
    import invariants

    for info in pkgutil.walk_packages(invariants.__path__, prefix="invariants."):
        if info.name != "invariants.__main__":
            importlib.import_module(info.name)
    return dict(_REGISTRY)
