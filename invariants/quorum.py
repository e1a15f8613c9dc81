"""Quorum safety: the requirements of ``spec/quorum.py``, proved with Z3 and checked on concrete states.

Invariants registered here (``ID:method``):

- ``QUORUM-INTERSECTION:bounded``: for each n in 1..15, two sets of the n
  members that are both quorums share a member (Bool per member; the
  quorum threshold is ``spec.quorum.majority`` itself, tabulated).
- ``QUORUM-INTERSECTION:symbolic``: the same for every n >= 1, by
  cardinality reasoning over Venn regions (|A|, |B| >= majority(n) and
  |A u B| <= n force |A n B| >= 1), with ``majority_term`` (``n / 2 + 1``).
- ``QUORUM-FAULT-TOLERANCE:bounded`` and ``:symbolic``: the seed's
  ``(n - 1) / 2`` rounded down equals the largest number of failures that
  leaves a quorum: any f failed members leave one, any f + 1 do not.
- ``QUORUM-JOINT-INTERSECTION:bounded`` (old and new configurations of up
  to 7 members each, overlapping in any way, within 14 members) and
  ``:symbolic`` (any sizes): a joint quorum shares a member of the old
  configuration with every old quorum, and one of the new with every new
  quorum.

Every proof asks Z3 for a counterexample and turns one it finds back into
member sets (``m0``, ``m1``, ...). The encodings of the spec functions are
the ``*_term`` functions below; ``tests/invariants`` evaluates each on
generated inputs against the Python function it mirrors. The spec module is
looked up at proof time (``spec_quorum.majority``), so a test that mutates
a spec function sees the proof fail.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import z3

from invariants.encoding import (
    FiniteSets,
    SetExpr,
    SetModel,
    VennSets,
    all_of,
    both,
    member_name,
    member_of,
    render_set,
    tabulate,
    without,
)
from invariants.framework import (
    Bounds,
    Counterexample,
    Invariant,
    find_model,
    find_smallest,
    register,
)
from spec import quorum as spec_quorum
from spec.quorum import JointConfig

MajorityOf = Callable[[z3.ArithRef], z3.ArithRef]

# -- encodings of spec/quorum.py ---------------------------------------------


def majority_term(n: z3.ArithRef) -> z3.ArithRef:
    """``spec.quorum.majority`` for a symbolic size (Z3 divides integers rounding down for n >= 0)."""
    return n / 2 + 1


def fault_tolerance_term(n: z3.ArithRef) -> z3.ArithRef:
    """``spec.quorum.fault_tolerance`` for a symbolic size."""
    return (n - 1) / 2


def spec_majority(domain: range) -> MajorityOf:
    """``spec.quorum.majority`` as a Z3 table over ``domain``: a bounded proof's link to the spec."""
    return lambda n: tabulate(spec_quorum.majority, n, domain)


def symbolic_majority() -> MajorityOf:
    """``majority_term``, looked up when called so that a test can put a mutant in its place."""
    return lambda n: majority_term(n)


def is_quorum_term(sets: SetModel, voters: SetExpr, config: SetExpr, majority_of: MajorityOf) -> z3.BoolRef:
    """``spec.quorum.is_quorum``: the voters that are members of ``config`` number at least its majority."""
    return sets.count(both(voters, config)) >= majority_of(sets.count(config))


def is_joint_quorum_term(
    sets: SetModel, voters: SetExpr, old: SetExpr, new: SetExpr, majority_of: MajorityOf
) -> z3.BoolRef:
    """``spec.quorum.is_joint_quorum``: a quorum of the old AND of the new configuration."""
    return z3.And(
        is_quorum_term(sets, voters, old, majority_of), is_quorum_term(sets, voters, new, majority_of)
    )


CONFIG, A, B = member_of("config"), member_of("A"), member_of("B")
DOWN = member_of("down")
OLD, NEW, JOINT_VOTERS = member_of("old"), member_of("new"), member_of("Q")


def _members(n: int) -> frozenset[str]:
    return frozenset(member_name(i) for i in range(n))


def _size_range(bounds: Bounds) -> range:
    return range(bounds.get("min_members", 1), bounds["max_members"] + 1)


def _failures(count: int) -> str:
    return f"{count} failure" if count == 1 else f"{count} failures"


def _every_member(sets: SetModel) -> z3.ArithRef:
    return sets.count(lambda row: z3.Or(*row.values()))


# -- QUORUM-INTERSECTION ----------------------------------------------------


@dataclass(frozen=True)
class QuorumClaims:
    """Vote sets that a machine counted as quorums of one configuration (say, the voters of each leader)."""

    config: frozenset[str]
    quorums: tuple[frozenset[str], ...]


def _check_claimed_quorums(
    config: frozenset[str], claimed: Sequence[frozenset[str]], label: str
) -> list[str]:
    problems = []
    for voters in claimed:
        if not spec_quorum.is_quorum(voters, config):
            problems.append(
                f"{render_set(voters)} was counted as a quorum of {label}{render_set(config)} but holds "
                f"{len(voters & config)} of its {len(config)} members, fewer than "
                f"majority({len(config)})={spec_quorum.majority(len(config))}"
            )
    return problems


class _QuorumIntersection(Invariant[QuorumClaims]):
    def __init__(self) -> None:
        super().__init__(spec_quorum.QUORUM_INTERSECTION.id)

    def check(self, state: QuorumClaims) -> list[str]:
        problems = _check_claimed_quorums(state.config, state.quorums, "")
        for first, second in itertools.combinations(state.quorums, 2):
            if not first & second & state.config:
                problems.append(
                    f"quorums {render_set(first)} and {render_set(second)} of {render_set(state.config)} "
                    "share no member"
                )
        return problems

    @staticmethod
    def violation(sets: SetModel, majority_of: MajorityOf) -> list[z3.BoolRef]:
        """A and B are both quorums of ``config`` and share no member of it: what a counterexample is."""
        return [
            is_quorum_term(sets, A, CONFIG, majority_of),
            is_quorum_term(sets, B, CONFIG, majority_of),
            sets.count(all_of(A, B, CONFIG)) == 0,
        ]

    @staticmethod
    def _render(found: dict[str, frozenset[str]], majority: int) -> Counterexample:
        n = len(found["config"])
        # The quorum holding m0 first, so the same counterexample always reads the same.
        a, b = sorted((found["A"] & found["config"], found["B"] & found["config"]), key=render_set)
        return Counterexample(
            f"n={n}, majority({n})={majority}: {render_set(a)} and {render_set(b)} are both quorums "
            "and share no member",
            {"n": n, "config": found["config"], "A": found["A"], "B": found["B"]},
        )


class QuorumIntersectionBounded(_QuorumIntersection):
    method = "bounded"
    default_bounds: ClassVar[Bounds] = {"min_members": 1, "max_members": 15}

    def describe_bounds(self, bounds: Bounds) -> str:
        sizes = _size_range(bounds)
        return f"n = {sizes.start}..{sizes.stop - 1}, each n"

    def find_counterexample(self, bounds: Bounds, timeout_ms: int) -> Counterexample | None:
        for n in _size_range(bounds):
            sets = FiniteSets(["A", "B"], n, fixed={"config": _members(n)})
            majority_of = spec_majority(range(1, n + 1))
            model = find_model(self.violation(sets, majority_of), timeout_ms=timeout_ms)
            if model is not None:
                return self._render(sets.decode(model), spec_quorum.majority(n))
        return None


class QuorumIntersectionSymbolic(_QuorumIntersection):
    method = "symbolic"

    def describe_bounds(self, bounds: Bounds) -> str:
        return "every n >= 1 (cardinalities)"

    def find_counterexample(self, bounds: Bounds, timeout_ms: int) -> Counterexample | None:
        sets = VennSets(["config", "A", "B"])
        majority_of = symbolic_majority()
        n = sets.count(CONFIG)
        constraints = [*sets.constraints(), n >= 1, *self.violation(sets, majority_of)]
        model = find_smallest(constraints, _every_member(sets), timeout_ms=timeout_ms)
        if model is None:
            return None
        return self._render(sets.decode(model), model.eval(majority_of(n)).as_long())


# -- QUORUM-FAULT-TOLERANCE -------------------------------------------------


@dataclass(frozen=True)
class FaultToleranceClaim:
    """How many failures a configuration is said to tolerate (by a status report, a doc, a machine).

    ``check`` tries every choice of ``tolerated`` and ``tolerated + 1``
    failed members: C(n, f) of them, meant for the cluster sizes machines run.
    """

    config: frozenset[str]
    tolerated: int


class _FaultTolerance(Invariant[FaultToleranceClaim]):
    def __init__(self) -> None:
        super().__init__(spec_quorum.QUORUM_FAULT_TOLERANCE.id)

    def check(self, state: FaultToleranceClaim) -> list[str]:
        config, tolerated = state.config, state.tolerated
        n = len(config)
        problems = []
        seed = spec_quorum.fault_tolerance(n)
        if tolerated != seed:
            problems.append(
                f"n={n}: {_failures(tolerated)} claimed tolerated, the seed's (n - 1) / 2 gives {seed}"
            )
        if not 0 <= tolerated <= n:
            return [*problems, f"n={n}: {tolerated} is not a number of members that can fail"]
        # Every choice of failed members, not the first ones: a concrete check
        # must not assume that the rule only counts members.
        for down in itertools.combinations(sorted(config), tolerated):
            survivors = config - frozenset(down)
            if not spec_quorum.is_quorum(survivors, config):
                problems.append(
                    f"n={n}: with {render_set(down)} failed, {render_set(survivors)} is no quorum, "
                    f"so {_failures(tolerated)} are not tolerated"
                )
                break
        for down in itertools.combinations(sorted(config), tolerated + 1):
            survivors = config - frozenset(down)
            if spec_quorum.is_quorum(survivors, config):
                problems.append(
                    f"n={n}: with {render_set(down)} failed, {render_set(survivors)} is still a quorum, "
                    f"so {tolerated} is not the largest number of failures that leaves a quorum"
                )
                break
        return problems

    @staticmethod
    def violation(sets: SetModel, tolerated: z3.ArithRef, majority_of: MajorityOf) -> z3.BoolRef:
        """``tolerated`` is negative, or that many failures (or fewer) leave no quorum, or one more does."""
        failed = sets.count(both(DOWN, CONFIG))
        survivors_are_quorum = is_quorum_term(sets, without(CONFIG, DOWN), CONFIG, majority_of)
        return z3.Or(
            tolerated < 0,
            z3.And(failed <= tolerated, z3.Not(survivors_are_quorum)),
            z3.And(failed == tolerated + 1, survivors_are_quorum),
        )

    @staticmethod
    def _render(found: dict[str, frozenset[str]], tolerated: int, majority: int) -> Counterexample:
        config = found["config"]
        n = len(config)
        down = found["down"] & config
        survivors = config - down
        values = {"n": n, "tolerated": tolerated, "config": config, "down": down}
        said = f"n={n}: fault_tolerance({n})={tolerated}"
        if tolerated < 0:
            return Counterexample(f"{said} is negative", values)
        if len(down) <= tolerated:
            verdict = f"no quorum (majority({n})={majority})"
        else:
            verdict = f"still a quorum (majority({n})={majority}), so {_failures(len(down))} are tolerated"
        return Counterexample(
            f"{said}, but with {render_set(down)} failed the survivors {render_set(survivors)} are {verdict}",
            values,
        )


class FaultToleranceBounded(_FaultTolerance):
    method = "bounded"
    default_bounds: ClassVar[Bounds] = {"min_members": 1, "max_members": 15}

    def describe_bounds(self, bounds: Bounds) -> str:
        sizes = _size_range(bounds)
        return f"n = {sizes.start}..{sizes.stop - 1}, each n"

    def find_counterexample(self, bounds: Bounds, timeout_ms: int) -> Counterexample | None:
        for n in _size_range(bounds):
            sets = FiniteSets(["down"], n, fixed={"config": _members(n)})
            tolerated = spec_quorum.fault_tolerance(n)
            violation = self.violation(sets, z3.IntVal(tolerated), spec_majority(range(1, n + 1)))
            model = find_model([violation], timeout_ms=timeout_ms)
            if model is not None:
                return self._render(sets.decode(model), tolerated, spec_quorum.majority(n))
        return None


class FaultToleranceSymbolic(_FaultTolerance):
    method = "symbolic"

    def describe_bounds(self, bounds: Bounds) -> str:
        return "every n >= 1 (cardinalities)"

    def find_counterexample(self, bounds: Bounds, timeout_ms: int) -> Counterexample | None:
        sets = VennSets(["config", "down"])
        majority_of = symbolic_majority()
        n = sets.count(CONFIG)
        tolerated = fault_tolerance_term(n)
        constraints = [*sets.constraints(), n >= 1, self.violation(sets, tolerated, majority_of)]
        model = find_smallest(constraints, _every_member(sets), timeout_ms=timeout_ms)
        if model is None:
            return None
        return self._render(
            sets.decode(model), model.eval(tolerated).as_long(), model.eval(majority_of(n)).as_long()
        )


# -- QUORUM-JOINT-INTERSECTION ----------------------------------------------


@dataclass(frozen=True)
class JointClaims:
    """Vote sets a machine counted as quorums while a joint configuration was in force."""

    joint: JointConfig
    joint_quorums: tuple[frozenset[str], ...]
    old_quorums: tuple[frozenset[str], ...] = ()
    new_quorums: tuple[frozenset[str], ...] = ()


class _JointIntersection(Invariant[JointClaims]):
    def __init__(self) -> None:
        super().__init__(spec_quorum.QUORUM_JOINT_INTERSECTION.id)

    def check(self, state: JointClaims) -> list[str]:
        old, new = state.joint.old, state.joint.new
        problems = []
        for voters in state.joint_quorums:
            if not spec_quorum.is_joint_quorum(voters, state.joint):
                problems.append(
                    f"{render_set(voters)} was counted as a joint quorum of old={render_set(old)}, "
                    f"new={render_set(new)} but is not a majority of both"
                )
        problems += _check_claimed_quorums(old, state.old_quorums, "old=")
        problems += _check_claimed_quorums(new, state.new_quorums, "new=")
        for side, config, quorums in (("old", old, state.old_quorums), ("new", new, state.new_quorums)):
            for joint_voters, voters in itertools.product(state.joint_quorums, quorums):
                if not joint_voters & voters & config:
                    problems.append(
                        f"joint quorum {render_set(joint_voters)} and quorum {render_set(voters)} of "
                        f"{side}={render_set(config)} share no member of {side}"
                    )
        return problems

    @staticmethod
    def violation(sets: SetModel, majority_of: MajorityOf) -> tuple[list[z3.BoolRef], z3.BoolRef, z3.BoolRef]:
        """What every counterexample satisfies, and the two ways it can break: on the old side, on the new."""
        joint = [
            sets.count(OLD) >= 1,
            sets.count(NEW) >= 1,
            is_joint_quorum_term(sets, JOINT_VOTERS, OLD, NEW, majority_of),
        ]
        misses_old = z3.And(
            is_quorum_term(sets, A, OLD, majority_of), sets.count(all_of(JOINT_VOTERS, A, OLD)) == 0
        )
        misses_new = z3.And(
            is_quorum_term(sets, B, NEW, majority_of), sets.count(all_of(JOINT_VOTERS, B, NEW)) == 0
        )
        return joint, misses_old, misses_new

    def _search(
        self, sets: SetModel, majority_of: MajorityOf, timeout_ms: int, smallest: bool
    ) -> Counterexample | None:
        joint, misses_old, misses_new = self.violation(sets, majority_of)
        constraints = [*sets.constraints(), *joint, z3.Or(misses_old, misses_new)]
        if smallest:
            model = find_smallest(constraints, _every_member(sets), timeout_ms=timeout_ms)
        else:
            model = find_model(constraints, timeout_ms=timeout_ms)
        if model is None:
            return None
        found = sets.decode(model)
        old, new = found["old"], found["new"]
        if z3.is_true(model.eval(misses_old, model_completion=True)):
            side, config, voters = "old", old, found["A"]
        else:
            side, config, voters = "new", new, found["B"]
        return Counterexample(
            f"old={render_set(old)}, new={render_set(new)}: {render_set(found['Q'] & (old | new))} is a "
            f"joint quorum and {render_set(voters & config)} a quorum of {side}, and they share no member "
            f"of {side}",
            {"old": old, "new": new, "Q": found["Q"], "A": found["A"], "B": found["B"], "side": side},
        )


class JointIntersectionBounded(_JointIntersection):
    method = "bounded"
    default_bounds: ClassVar[Bounds] = {"max_old": 7, "max_new": 7}

    def describe_bounds(self, bounds: Bounds) -> str:
        return f"|old| = 1..{bounds['max_old']}, |new| = 1..{bounds['max_new']}, each overlap"

    def find_counterexample(self, bounds: Bounds, timeout_ms: int) -> Counterexample | None:
        # One solver call per shape (|old|, |new|, |old n new|), with old and
        # new fixed and the three vote sets free over old u new: every pair of
        # configurations is one of these shapes up to renaming members, and
        # the encodings only count members, so renaming changes nothing.
        # (Left symbolic in one call over 14 members, old and new made Z3
        # time out after 20 s.)
        for old_size, new_size in itertools.product(
            range(1, bounds["max_old"] + 1), range(1, bounds["max_new"] + 1)
        ):
            for overlap in range(min(old_size, new_size) + 1):
                universe = old_size + new_size - overlap
                old = _members(old_size)
                new = frozenset(member_name(i) for i in range(old_size - overlap, universe))
                sets = FiniteSets(["Q", "A", "B"], universe, fixed={"old": old, "new": new})
                majority_of = spec_majority(range(1, universe + 1))
                found = self._search(sets, majority_of, timeout_ms, smallest=False)
                if found is not None:
                    return found
        return None


class JointIntersectionSymbolic(_JointIntersection):
    method = "symbolic"

    def describe_bounds(self, bounds: Bounds) -> str:
        return "any |old|, |new| >= 1 (cardinalities)"

    def find_counterexample(self, bounds: Bounds, timeout_ms: int) -> Counterexample | None:
        sets = VennSets(["old", "new", "Q", "A", "B"])
        return self._search(sets, symbolic_majority(), timeout_ms, smallest=True)


QUORUM_INTERSECTION_BOUNDED = register(QuorumIntersectionBounded())
QUORUM_INTERSECTION_SYMBOLIC = register(QuorumIntersectionSymbolic())
FAULT_TOLERANCE_BOUNDED = register(FaultToleranceBounded())
FAULT_TOLERANCE_SYMBOLIC = register(FaultToleranceSymbolic())
JOINT_INTERSECTION_BOUNDED = register(JointIntersectionBounded())
JOINT_INTERSECTION_SYMBOLIC = register(JointIntersectionSymbolic())
