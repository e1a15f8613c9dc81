"""Z3 terms for spec functions, and evaluating them on concrete values.

A proof is only about the spec if its Z3 terms compute what the spec's
Python functions compute (DESIGN.md, "Invariants"). Two ways tie them here:

- ``tabulate(fn, arg, domain)`` builds the term *from* the Python function:
  it calls ``fn`` on every value of a finite domain and chains the answers
  with ``If``. Bounded proofs use it, so they are tied to the spec by
  construction; a mutated spec function changes the term.
- A hand-written term (``n / 2 + 1`` for ``majority``) is needed when the
  argument is unbounded. Only a differential test ties it to the spec:
  ``evaluate`` substitutes concrete values into the very term a proof uses,
  simplifies it to a constant, and the test compares that constant with the
  Python function on generated inputs.

Sets of members are encoded in two ways, behind one interface
(``SetModel``), so the same term-building code (``count``, and the quorum
encodings built on it) serves bounded and unbounded proofs:

- ``FiniteSets``: a universe of ``size`` members ``m0 .. m{size-1}`` and one
  Bool per (set, member). Exact for that universe.
- ``VennSets``: sets of any size, described only by how many members lie in
  each Venn region (one Int >= 0 per non-empty membership pattern). Exact
  for every predicate that depends on sizes of Boolean combinations of the
  sets, which is all a majority rule looks at; any size is allowed, so a
  proof over ``VennSets`` holds for every n.

Both decode a Z3 model back into concrete ``frozenset[str]`` values, which is
how a counterexample comes back in spec terms.
"""

from __future__ import annotations

import itertools
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence

import z3

#: One member's (or one Venn region's) membership: set name -> "is in it".
Membership = Mapping[str, z3.BoolRef]
#: A Boolean combination of named sets, as a predicate on one membership row.
SetExpr = Callable[[Membership], z3.BoolRef]
#: What ``z3.substitute`` takes: (variable, concrete value) pairs.
Substitution = list[tuple[z3.ExprRef, z3.ExprRef]]


def member_of(name: str) -> SetExpr:
    """The set called ``name``."""
    return lambda row: row[name]


def both(first: SetExpr, second: SetExpr) -> SetExpr:
    """The intersection of two set expressions."""
    return lambda row: z3.And(first(row), second(row))


def all_of(*exprs: SetExpr) -> SetExpr:
    """The intersection of several set expressions."""
    return lambda row: z3.And(*[expr(row) for expr in exprs])


def without(kept: SetExpr, removed: SetExpr) -> SetExpr:
    """``kept`` minus ``removed``."""
    return lambda row: z3.And(kept(row), z3.Not(removed(row)))


def member_name(index: int) -> str:
    return f"m{index}"


def render_set(members: Iterable[str]) -> str:
    """``{m0,m1,m10}``: members in natural order, so counterexamples read well."""
    return "{" + ",".join(sorted(members, key=_natural_key)) + "}"


def _natural_key(name: str) -> tuple[object, ...]:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


class SetModel(ABC):
    """Named sets of members as Z3 variables."""

    names: tuple[str, ...]

    @abstractmethod
    def count(self, where: SetExpr) -> z3.ArithRef:
        """The number of members that satisfy ``where``."""

    @abstractmethod
    def constraints(self) -> list[z3.BoolRef]:
        """What every assignment must satisfy to stand for real sets."""

    @abstractmethod
    def substitution(self, values: Mapping[str, frozenset[str]]) -> Substitution:
        """Concrete sets, as values for this model's variables (for ``evaluate``)."""

    @abstractmethod
    def decode(self, model: z3.ModelRef) -> dict[str, frozenset[str]]:
        """The concrete sets a satisfying assignment stands for."""


class FiniteSets(SetModel):
    """Subsets of ``m0 .. m{size-1}``: one Bool per (set, member). ``fixed`` sets are constants."""

    def __init__(
        self, names: Sequence[str], size: int, fixed: Mapping[str, frozenset[str]] | None = None
    ) -> None:
        self.size = size
        self.members = tuple(member_name(i) for i in range(size))
        self.fixed = dict(fixed or {})
        self.names = tuple(names) + tuple(n for n in self.fixed if n not in names)
        for name, value in self.fixed.items():
            _require_subset(value, self.members, name)
        self._bits: dict[str, tuple[z3.BoolRef, ...]] = {}
        for name in self.names:
            if name in self.fixed:
                self._bits[name] = tuple(z3.BoolVal(m in self.fixed[name]) for m in self.members)
            else:
                self._bits[name] = tuple(z3.Bool(f"{name}.{m}") for m in self.members)

    def row(self, index: int) -> Membership:
        return {name: bits[index] for name, bits in self._bits.items()}

    def count(self, where: SetExpr) -> z3.ArithRef:
        if self.size == 0:
            return z3.IntVal(0)
        return z3.Sum([z3.If(_as_bool(where(self.row(i))), 1, 0) for i in range(self.size)])

    def constraints(self) -> list[z3.BoolRef]:
        return []

    def substitution(self, values: Mapping[str, frozenset[str]]) -> Substitution:
        pairs: Substitution = []
        for name, value in values.items():
            if name in self.fixed:
                if value != self.fixed[name]:
                    raise ValueError(f"set {name} is fixed to {render_set(self.fixed[name])}")
                continue
            _require_subset(value, self.members, name)
            pairs += [
                (bit, z3.BoolVal(m in value)) for bit, m in zip(self._bits[name], self.members, strict=True)
            ]
        return pairs

    def decode(self, model: z3.ModelRef) -> dict[str, frozenset[str]]:
        return {
            name: frozenset(
                m
                for bit, m in zip(self._bits[name], self.members, strict=True)
                if z3.is_true(model.eval(bit, model_completion=True))
            )
            for name in self.names
        }


class VennSets(SetModel):
    """Sets of any size, known only by the size of each Venn region (members in no set are not counted)."""

    def __init__(self, names: Sequence[str], prefix: str = "") -> None:
        self.names = tuple(names)
        # True first, so decoded members in every set get the smallest numbers.
        self.patterns = [p for p in itertools.product((True, False), repeat=len(self.names)) if any(p)]
        self.regions = {
            pattern: z3.Int(
                prefix
                + "|"
                + "".join(n if inside else "~" + n for n, inside in zip(names, pattern, strict=True))
            )
            for pattern in self.patterns
        }

    def _selected(self, where: SetExpr) -> list[tuple[bool, ...]]:
        chosen = []
        for pattern in self.patterns:
            row = {name: z3.BoolVal(inside) for name, inside in zip(self.names, pattern, strict=True)}
            if z3.is_true(z3.simplify(_as_bool(where(row)))):
                chosen.append(pattern)
        return chosen

    def count(self, where: SetExpr) -> z3.ArithRef:
        selected = self._selected(where)
        if not selected:
            return z3.IntVal(0)
        return z3.Sum([self.regions[p] for p in selected])

    def constraints(self) -> list[z3.BoolRef]:
        return [size >= 0 for size in self.regions.values()]

    def substitution(self, values: Mapping[str, frozenset[str]]) -> Substitution:
        if set(values) != set(self.names):
            raise ValueError(f"a Venn model needs every set at once: {', '.join(self.names)}")
        everyone = frozenset().union(*values.values())
        return [
            (
                size,
                z3.IntVal(
                    sum(
                        1
                        for m in everyone
                        if all(
                            (m in values[n]) == inside for n, inside in zip(self.names, pattern, strict=True)
                        )
                    )
                ),
            )
            for pattern, size in self.regions.items()
        ]

    def decode(self, model: z3.ModelRef) -> dict[str, frozenset[str]]:
        sets: dict[str, set[str]] = {name: set() for name in self.names}
        next_member = 0
        for pattern in self.patterns:
            size = model.eval(self.regions[pattern], model_completion=True).as_long()
            for _ in range(size):
                for name, inside in zip(self.names, pattern, strict=True):
                    if inside:
                        sets[name].add(member_name(next_member))
                next_member += 1
        return {name: frozenset(members) for name, members in sets.items()}


def tabulate(fn: Callable[[int], int], arg: z3.ArithRef, domain: range) -> z3.ArithRef:
    """``fn(arg)`` for ``arg`` in ``domain``, built by calling ``fn``; outside it, an unconstrained Int.

    Leaving the outside free keeps proofs sound: a proof that strays out of
    the domain finds counterexamples instead of borrowing a made-up value.
    """
    name = getattr(fn, "__name__", "fn")
    term: z3.ArithRef = z3.FreshInt(f"{name}_outside_{domain.start}_{domain.stop}")
    for value in reversed(domain):
        term = z3.If(arg == value, z3.IntVal(fn(value)), term)
    return term


def evaluate(term: z3.ExprRef, substitution: Substitution) -> bool | int:
    """The constant ``term`` reduces to once its variables take the given values."""
    reduced = z3.simplify(z3.substitute(term, *substitution) if substitution else term)
    if z3.is_true(reduced):
        return True
    if z3.is_false(reduced):
        return False
    if z3.is_int_value(reduced):
        return int(reduced.as_long())
    raise ValueError(f"not a constant after substitution: {reduced}")


def _as_bool(value: z3.BoolRef | bool) -> z3.BoolRef:
    return z3.BoolVal(value) if isinstance(value, bool) else value


def _require_subset(value: frozenset[str], members: Sequence[str], name: str) -> None:
    strangers = value - set(members)
    if strangers:
        raise ValueError(f"set {name} has members outside the universe: {render_set(strangers)}")
