"""``spec.intstr`` in Z3: an int-or-percent value and its exact resolution against a total.

An ``IntOrString`` becomes three things: ``is_percent`` (Bool), ``amount``
(Int: the int, or the number before ``%``) and the bits of ``amount``. A
percentage of a total is ``amount * total``, a product of two variables;
written as ``sum(If(bit_j, 2**j * total, 0))`` it is linear, so Z3 decides
it exactly in linear integer arithmetic for any total, as long as the
percentage fits the bits (``percent_bits``; 7 bits cover 0..127 %).
Rounding is integer division by 100: down is ``x / 100``, up is ``(x + 99)
/ 100`` (``x >= 0``), which is ``spec.intstr.scaled_value``'s
``-(-x // 100)``.

``scaled_value_term`` is tied to ``spec.intstr.scaled_value`` by the
differential tests in ``tests/invariants/test_rollout_encodings.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from invariants.encoding import Substitution
from spec.intstr import IntOrString, percent_of

#: Bits of a percentage: 0..127 %, enough for maxUnavailable (at most 100 %).
PERCENT_BITS = 7
INT32_MAX = 2**31 - 1


def min_term(a: z3.ArithRef, b: z3.ArithRef) -> z3.ArithRef:
    return z3.If(a <= b, a, b)


def max_term(a: z3.ArithRef, b: z3.ArithRef) -> z3.ArithRef:
    return z3.If(a >= b, a, b)


def sum_terms(terms: list[z3.ArithRef]) -> z3.ArithRef:
    return z3.Sum(terms) if terms else z3.IntVal(0)


@dataclass(frozen=True)
class IntOrPercentTerm:
    """An ``IntOrString`` as Z3 variables; ``value`` turns a model back into one."""

    name: str
    is_percent: z3.BoolRef
    amount: z3.ArithRef
    bits: tuple[z3.BoolRef, ...]

    @classmethod
    def fresh(cls, name: str, percent_bits: int = PERCENT_BITS) -> IntOrPercentTerm:
        return cls(
            name=name,
            is_percent=z3.Bool(f"{name}.is_percent"),
            amount=z3.Int(f"{name}.amount"),
            bits=tuple(z3.Bool(f"{name}.bit{j}") for j in range(percent_bits)),
        )

    def percent_of(self, total: z3.ArithRef) -> z3.ArithRef:
        """``amount * total`` for a percentage (linear: one ``If`` per bit of ``amount``)."""
        return sum_terms([z3.If(bit, (2**j) * total, 0) for j, bit in enumerate(self.bits)])

    def constraints(self, *, max_percent: int, max_int: int = INT32_MAX) -> list[z3.BoolRef]:
        """A non-negative int up to ``max_int``, or a percentage up to ``max_percent`` held by the bits."""
        if max_percent >= 2 ** len(self.bits):
            raise ValueError(f"{max_percent}% does not fit in {len(self.bits)} bits")
        held = sum_terms([z3.If(bit, 2**j, 0) for j, bit in enumerate(self.bits)])
        return [
            self.amount >= 0,
            z3.If(
                self.is_percent,
                z3.And(self.amount == held, self.amount <= max_percent),
                self.amount <= max_int,
            ),
        ]

    def substitution(self, value: IntOrString | int | str | None) -> Substitution:
        """Concrete values for the variables (``None`` is 0, as ``intstr.ValueOrDefault`` gives)."""
        raw = 0 if value is None else value.value if isinstance(value, IntOrString) else value
        percent = isinstance(raw, str)
        amount = percent_of(raw) if isinstance(raw, str) else raw
        if percent and not 0 <= amount < 2 ** len(self.bits):
            raise ValueError(f"{raw!r} does not fit in {len(self.bits)} bits")
        pairs: Substitution = [(self.is_percent, z3.BoolVal(percent)), (self.amount, z3.IntVal(amount))]
        pairs += [(bit, z3.BoolVal(percent and bool(amount >> j & 1))) for j, bit in enumerate(self.bits)]
        return pairs

    def value(self, model: z3.ModelRef) -> IntOrString:
        amount = model.eval(self.amount, model_completion=True).as_long()
        if z3.is_true(model.eval(self.is_percent, model_completion=True)):
            return IntOrString(f"{amount}%")
        return IntOrString(amount)


def scaled_value_term(value: IntOrPercentTerm, total: z3.ArithRef, round_up: bool) -> z3.ArithRef:
    """``spec.intstr.scaled_value``: the int, or ``amount`` percent of ``total`` rounded up or down."""
    product = value.percent_of(total)
    scaled = (product + 99) / 100 if round_up else product / 100
    return z3.If(value.is_percent, scaled, value.amount)
