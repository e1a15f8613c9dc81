"""Deliberately wrong quorum rules, each with a faithful Z3 encoding of the wrong rule.

A proof that cannot fail proves nothing. The tests put these in place of the
spec functions (and of their encodings, for the symbolic proofs) and require
a counterexample. Each mutant's encoding is checked against its Python
function like the real ones, so a counterexample is the rule's fault and not
an encoding slip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import z3

import invariants.quorum as encodings
import spec.quorum
from invariants.encoding import SetExpr, SetModel
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
