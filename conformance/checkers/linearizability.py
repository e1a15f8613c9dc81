"""A linearizability checker for histories of concurrent operations.

A history is linearizable (Herlihy & Wing, 1990) when every operation can be
given a single point in time, between its invocation and its response, such
that the operations taken in the order of those points are a legal run of a
sequential model. The suite records histories from real or simulated
implementations (DESIGN.md, "The suite": history checking where concurrency
makes outcomes non-deterministic) and checks them here.

How it searches, after Porcupine (github.com/anishathalye/porcupine, Athalye
2017), which follows Wing & Gong, "Testing and verifying concurrent objects"
(J. Parallel Distrib. Comput., 1993) and Lowe, "Testing for linearizability"
(Concurrency and Computation: Practice and Experience, 2017):

- Depth-first search for a linearization, one operation at a time. An
  operation may come next when no operation still to be placed returned
  before it was called (otherwise real-time order would be broken).
- Memoization (Lowe): a configuration is the set of operations linearized so
  far (a bitset held in a Python int) and the model state after them. Two
  paths reaching the same configuration have the same futures, so each
  configuration is explored once. This is what makes the search practical.
  We add one sound pruning for unknown-outcome operations: a configuration
  is skipped when one with the same state and the same known-outcome
  operations, but a subset of the unknown-outcome ones, was visited (see
  ``_search``).
- P-compositionality (Horn & Kroening, 2015): when the model says a history
  splits into independent parts (for a key-value store: one part per key),
  the history is linearizable iff every part is, and the parts are checked
  separately, which turns one exponential search into many small ones.

Operations whose outcome is unknown (a client timed out; the write may have
happened, or may happen later, or never) have ``return_ = math.inf`` and
output ``UNKNOWN``: the search may linearize them anywhere after their call,
or leave them out entirely; they are never required. A finite ``return_``
with output ``UNKNOWN`` is an operation known to be over whose result was
lost (a timed-out read): it must be linearized within its interval and the
model accepts any output for it.

``UNKNOWN`` is a sentinel rather than ``None`` because ``None`` is a real
output of many models (a read of an empty register).

The code is our own; only the ideas come from the papers and Porcupine.
"""

from __future__ import annotations

import enum
import html
import math
import time
from abc import ABC, abstractmethod
from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

__all__ = [
    "UNKNOWN",
    "Blocked",
    "DescribedOperation",
    "LinearizabilityResult",
    "Model",
    "Operation",
    "PartitionResult",
    "UnknownOutput",
    "Verdict",
    "Violation",
    "check",
    "partition_by",
    "render_html",
    "render_timeline",
]

StateT = TypeVar("StateT")
InputT = TypeVar("InputT")
OutputT = TypeVar("OutputT")


class UnknownOutput(enum.Enum):
    """The type of ``UNKNOWN``: the output of an operation whose response never arrived."""

    UNKNOWN = "unknown"

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = UnknownOutput.UNKNOWN


class Verdict(enum.StrEnum):
    LINEARIZABLE = "linearizable"
    NOT_LINEARIZABLE = "not linearizable"
    UNKNOWN = "unknown"  # the time budget ran out before the search finished


@dataclass(frozen=True, slots=True)
class Operation(Generic[InputT, OutputT]):
    """One client operation: invoked at ``call``, answered with ``output`` at ``return_``.

    Times are any comparable numbers on one clock (seconds, nanoseconds, or
    the line number of a log). Two operations are ordered only when one
    returned strictly before the other was called; equal times count as
    overlapping. ``return_ = math.inf`` (with output ``UNKNOWN``) means the
    outcome is unknown: the operation may take effect at any time after its
    call, or never.
    """

    client_id: int | str
    input: InputT
    call: float
    output: OutputT | UnknownOutput = UNKNOWN
    return_: float = math.inf

    def __post_init__(self) -> None:
        if not math.isfinite(self.call):
            raise ValueError(f"an operation's call time must be finite, got {self.call!r}")
        if math.isnan(self.return_) or self.return_ < self.call:
            raise ValueError(f"return_ {self.return_!r} precedes call {self.call!r}")
        if self.return_ == math.inf and self.output is not UNKNOWN:
            # An output was observed, so the response arrived: its time is known.
            raise ValueError("an operation that never returned (return_ = inf) must have output UNKNOWN")

    @property
    def outcome_known(self) -> bool:
        """False for an operation that may have taken effect or not (it need not be linearized)."""
        return self.return_ != math.inf


class Model(ABC, Generic[StateT, InputT, OutputT]):
    """A sequential specification. Subclass it and define ``init`` and ``step``.

    ``step`` must be deterministic and must not mutate ``state``. For an
    ``UNKNOWN`` output it accepts any output the operation could have had
    and returns the state as if the operation took effect at that point.
    States must be hashable, or ``key`` must map them to something that is:
    the search remembers (linearized set, key(state)) pairs.
    """

    @abstractmethod
    def init(self) -> StateT: ...

    @abstractmethod
    def step(self, state: StateT, input: InputT, output: OutputT | UnknownOutput) -> tuple[bool, StateT]:
        """Whether ``input`` answered with ``output`` is legal in ``state``, and the state after it."""

    def partition(
        self, history: Sequence[Operation[InputT, OutputT]]
    ) -> list[list[Operation[InputT, OutputT]]]:
        """Split the history into parts that are linearizable independently (P-compositionality).

        Only valid when the model is a product of independent models, one per
        part (for a key-value store with single-key operations: one per key).
        The parts must hold the history's own ``Operation`` objects, each once.
        """
        return [list(history)]

    def key(self, state: StateT) -> Hashable:
        """A hashable stand-in for ``state``: equal keys must mean equal states."""
        return state  # the default requires hashable states

    def describe_operation(self, input: InputT, output: OutputT | UnknownOutput) -> str:
        return f"{input!r} -> {output!r}"

    def describe_state(self, state: StateT) -> str:
        return repr(state)


def partition_by(
    history: Sequence[Operation[InputT, OutputT]], part: Callable[[Operation[InputT, OutputT]], Hashable]
) -> list[list[Operation[InputT, OutputT]]]:
    """Group operations by ``part(operation)`` (e.g. their key), in history order: for ``Model.partition``."""
    groups: dict[Hashable, list[Operation[InputT, OutputT]]] = {}
    for op in history:
        groups.setdefault(part(op), []).append(op)
    return list(groups.values())


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class DescribedOperation:
    """An operation as the explanation shows it, so a result renders without its model."""

    index: int  # position in the checked history
    client_id: int | str
    call: float
    return_: float
    description: str
    outcome_known: bool


@dataclass(frozen=True)
class Blocked:
    """An operation that could have come next after the longest prefix, and why it did not."""

    index: int
    reason: str


@dataclass(frozen=True)
class Violation:
    """Why one partition is not linearizable.

    The search found no linearization. It reports the deepest point it
    reached (most operations with a known outcome linearized, then fewest
    with an unknown outcome): ``linearized``, a legal order of some operations
    respecting real time, leaving the model in ``state``; and ``blocked``,
    every operation that real time allows to come next: each one with a
    known outcome is rejected by the model in that state (they come first),
    and placing any one with an unknown outcome leads nowhere the search has
    not already failed from. ``deadline_op`` is the unplaced operation that
    returned first: nothing called after its return may be linearized before
    it, so the search could not skip past it. Other prefixes of the same
    length may exist; this is one of them.
    """

    partition: int
    linearized: tuple[int, ...]
    state: str
    blocked: tuple[Blocked, ...]
    deadline_op: int
    operations: Mapping[int, DescribedOperation]  # every operation of the partition, by history index

    def window(self, context: int = 5) -> tuple[int, ...]:
        """The operations the explanation shows: the prefix's last ``context`` ones and the blocked ones."""
        shown = {*self.linearized[-context:], *(b.index for b in self.blocked), self.deadline_op}
        return tuple(sorted(shown, key=lambda i: (self.operations[i].call, i)))

    def explain(self, context: int = 5) -> str:
        ops = self.operations
        lines = [
            f"partition {self.partition} ({len(ops)} operations) is not linearizable.",
            f"Longest linearizable prefix found: {len(self.linearized)} operations"
            + (f" (the last {context} shown):" if len(self.linearized) > context else ":"),
        ]
        if len(self.linearized) > context:
            lines.append(f"  ... {len(self.linearized) - context} earlier operations")
        for i in self.linearized[-context:]:
            lines.append("  " + _describe_line(ops[i]))
        lines.append(f"State after the prefix: {self.state}")
        lines.append("No operation can be linearized next:")
        for b in self.blocked:
            lines.append(f"  {_describe_line(ops[b.index])}: {b.reason}")
        deadline = ops[self.deadline_op]
        lines.append(
            f"#{deadline.index} returned at {_fmt_time(deadline.return_)}, so every operation called after "
            "that must wait for it, and it cannot be placed."
        )
        marks = {i: "linearized" for i in self.linearized} | {b.index: "blocked" for b in self.blocked}
        lines.append("Timeline (one lane per client; columns are event order, not to scale):")
        lines.append(render_timeline([ops[i] for i in self.window(context)], marks))
        return "\n".join(lines)


@dataclass(frozen=True)
class PartitionResult:
    index: int
    operations: tuple[int, ...]  # history indices of the partition's operations
    verdict: Verdict
    elapsed_s: float
    configurations: int  # (linearized set, state) pairs explored; dominated ones are not counted
    linearization: tuple[int, ...] | None = None  # a witness order, when linearizable (known-outcome
    # operations and the unknown-outcome ones the witness needed)
    violation: Violation | None = None
    note: str = ""  # why the verdict is unknown
    searched: bool = True  # False when the check ended before this partition's turn


@dataclass(frozen=True)
class LinearizabilityResult:
    verdict: Verdict
    partitions: tuple[PartitionResult, ...]
    elapsed_s: float
    history: tuple[Operation[Any, Any], ...] = field(repr=False)
    timeout_s: float | None = None

    @property
    def linearizable(self) -> bool:
        return self.verdict is Verdict.LINEARIZABLE

    @property
    def violation(self) -> Violation | None:
        return next((p.violation for p in self.partitions if p.violation is not None), None)

    def summary(self) -> str:
        counts = {str(v): sum(p.searched and p.verdict is v for p in self.partitions) for v in Verdict}
        counts["not searched"] = sum(not p.searched for p in self.partitions)
        parts = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
        n_parts = f"{len(self.partitions)} partition" + ("" if len(self.partitions) == 1 else "s")
        return (
            f"{self.verdict}: {len(self.history)} operations in {n_parts} "
            f"({parts or 'none'}), checked in {self.elapsed_s:.3f} s"
            + (f" (budget {self.timeout_s} s)" if self.timeout_s is not None else "")
        )

    def explain(self, context: int = 5) -> str:
        """The summary and, for a violation, the failing partition's window as text."""
        lines = [self.summary()]
        violation = self.violation
        if violation is not None:
            lines.append(violation.explain(context))
        for p in self.partitions:
            if p.searched and p.note:
                lines.append(f"partition {p.index}: {p.note}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- the search


@dataclass
class _Outcome:
    verdict: Verdict
    configurations: int
    linearization: tuple[int, ...] | None = None  # local indices, when linearizable
    best_done: int = 0  # the deepest dead-end configuration, when not linearizable
    best_state: object = None
    best_path: tuple[int, ...] = ()


class _Partition(Generic[StateT, InputT, OutputT]):
    """One partition prepared for the search.

    Operations are numbered by call time, so "every operation called at or
    before t" is the low bits of a mask. Known-outcome operations are also
    listed by return time: the first one not yet linearized bounds which
    operations may come next.
    """

    def __init__(self, ops: Sequence[Operation[InputT, OutputT]]) -> None:
        self.ops = sorted(ops, key=lambda op: (op.call, op.return_))
        self.calls = [op.call for op in self.ops]
        self.required = 0
        for i, op in enumerate(self.ops):
            if op.outcome_known:
                self.required |= 1 << i
        self.by_return = sorted(
            (i for i, op in enumerate(self.ops) if op.outcome_known),
            key=lambda i: (self.ops[i].return_, self.ops[i].call),
        )
        # callable_count[p]: how many operations were called by the time the
        # p-th known-outcome operation (in return order) returned. Equal times
        # overlap, hence bisect_right.
        self.callable_count = [bisect_right(self.calls, self.ops[i].return_) for i in self.by_return]

    def first_unplaced(self, done: int, start: int = 0) -> int:
        """Position in ``by_return`` of the earliest-returning known-outcome operation not in ``done``."""
        p = start
        while p < len(self.by_return) and done >> self.by_return[p] & 1:
            p += 1
        return p

    def candidates(self, done: int, p: int) -> int:
        """Operations real time allows next: not placed, called no later than the first unplaced return."""
        return ((1 << self.callable_count[p]) - 1) & ~done


class _Frame:
    """One configuration on the search path and the candidates not yet tried from it."""

    __slots__ = ("done", "key", "op", "optional_left", "p", "required_left", "state")

    def __init__(
        self, done: int, state: object, key: Hashable, p: int, avail: int, required: int, op: int
    ) -> None:
        self.done = done  # bitset of linearized operations (by call order)
        self.state = state  # model state after them
        self.key = key
        self.p = p  # position in by_return of the first unplaced known-outcome operation
        # Known-outcome candidates are tried first: unknown-outcome ones can
        # always be left for later (or out), so trying them first mostly wanders.
        self.required_left = avail & required
        self.optional_left = avail & ~required
        self.op = op  # the operation whose linearization led here (-1 at the root)


def _search(
    model: Model[StateT, InputT, OutputT],
    part: _Partition[StateT, InputT, OutputT],
    deadline: float | None,
) -> _Outcome:
    n_required = len(part.by_return)
    inputs = [op.input for op in part.ops]
    outputs = [op.output for op in part.ops]
    step, key = model.step, model.key
    required = part.required

    state0 = model.init()
    if n_required == 0:
        return _Outcome(Verdict.LINEARIZABLE, 1, linearization=())
    key0 = key(state0)
    # Memoization with dominance. A configuration is (linearized set, state).
    # Say V dominates N when both have the same state and the same
    # known-outcome operations linearized, and V used a subset of N's
    # unknown-outcome ones. Then every operation that may come next from N
    # may come next from V (what may come next depends only on the first
    # unplaced known-outcome return, and unknown-outcome operations never
    # have one) and leads to the same state, to a configuration that again
    # dominates; and N is complete only if V is. So if N can be finished, V
    # can, and N is skipped once some V was visited (even one still on the
    # stack: its own search covers N's futures). Equality is the plain
    # memoization of Lowe and Porcupine. Per (known-outcome set, state) the
    # unknown-outcome sets visited are kept as an antichain.
    visited: dict[tuple[int, Hashable], list[int]] = {(0, key0): [0]}
    configurations = 1
    # An explicit stack instead of recursion: histories run to thousands of operations.
    stack = [_Frame(0, state0, key0, 0, part.candidates(0, 0), required, -1)]
    best_score = (-1, 0)
    best: tuple[int, object, tuple[int, ...]] = (0, state0, ())
    iterations = 0
    while stack:
        iterations += 1
        if deadline is not None and iterations & 1023 == 0 and time.perf_counter() > deadline:
            return _Outcome(Verdict.UNKNOWN, configurations)
        frame = stack[-1]
        todo = frame.required_left
        if todo:
            is_optional = False
            low = todo & -todo
            frame.required_left = todo ^ low
        else:
            todo = frame.optional_left
            if not todo:
                # Fully explored. The explanation starts from the deepest
                # configuration: most known-outcome operations linearized,
                # then fewest unknown-outcome ones (they explain nothing the
                # reader needs). Frames are compared as they are popped, so a
                # search that succeeds never pays for it, and a failing one
                # pops its deepest frames first and copies few paths.
                done = frame.done
                score = ((done & required).bit_count(), -(done & ~required).bit_count())
                if score > best_score:
                    best_score = score
                    best = (done, frame.state, tuple(f.op for f in stack[1:]))
                stack.pop()
                continue
            is_optional = True
            low = todo & -todo
            frame.optional_left = todo ^ low
        j = low.bit_length() - 1
        ok, state = step(frame.state, inputs[j], outputs[j])  # type: ignore[arg-type]
        if not ok:
            continue
        k = key(state)
        done = frame.done | low
        unknown_used = done & ~required
        seen = visited.setdefault((done & required, k), [])
        if any(not (earlier & ~unknown_used) for earlier in seen):
            continue  # dominated by (or equal to) a configuration already visited
        # Keep the antichain small: drop what the new configuration dominates.
        seen[:] = [earlier for earlier in seen if unknown_used & ~earlier]
        seen.append(unknown_used)
        configurations += 1
        p = frame.p if is_optional else part.first_unplaced(done, frame.p)
        if p == n_required:
            path = (*(f.op for f in stack[1:]), j)
            return _Outcome(Verdict.LINEARIZABLE, configurations, linearization=path)
        stack.append(_Frame(done, state, k, p, part.candidates(done, p), required, j))
    best_done, best_state, best_path = best
    return _Outcome(Verdict.NOT_LINEARIZABLE, configurations, None, best_done, best_state, best_path)


def _explain_violation(
    model: Model[StateT, InputT, OutputT],
    part: _Partition[StateT, InputT, OutputT],
    outcome: _Outcome,
    index_of: Mapping[int, int],
    partition_index: int,
) -> Violation:
    """Turn the deepest configuration into a ``Violation``: what was placed, and why nothing else fits."""
    hist = [index_of[id(op)] for op in part.ops]
    state: StateT = outcome.best_state  # type: ignore[assignment]
    done = outcome.best_done
    p = part.first_unplaced(done)
    # The known-outcome operations are the ones that had to come next: they are listed first.
    blocked: list[Blocked] = []
    blocked_unknown: list[Blocked] = []
    todo = part.candidates(done, p)
    state_key = model.key(state)
    while todo:
        low = todo & -todo
        todo ^= low
        j = low.bit_length() - 1
        op = part.ops[j]
        ok, after = model.step(state, op.input, op.output)
        if not ok:
            reason = f"the model rejects it in state {model.describe_state(state)}"
        elif not op.outcome_known and model.key(after) == state_key:
            reason = "unknown outcome; placing it here changes nothing"
        else:
            # Only an unknown-outcome operation gets here: a known-outcome one
            # the model accepts would make a deeper configuration. Placing it
            # leads where the search has already been, without success.
            reason = (
                f"unknown outcome; placing it here (state {model.describe_state(after)}) leads nowhere new"
            )
        (blocked if op.outcome_known else blocked_unknown).append(Blocked(hist[j], reason))
    described = {
        hist[j]: DescribedOperation(
            hist[j],
            op.client_id,
            op.call,
            op.return_,
            model.describe_operation(op.input, op.output),
            op.outcome_known,
        )
        for j, op in enumerate(part.ops)
    }
    return Violation(
        partition=partition_index,
        linearized=tuple(hist[j] for j in outcome.best_path),
        state=model.describe_state(state),
        blocked=(*blocked, *blocked_unknown),
        deadline_op=hist[part.by_return[p]],
        operations=described,
    )


def check(
    model: Model[StateT, InputT, OutputT],
    history: Iterable[Operation[InputT, OutputT]],
    *,
    timeout_s: float | None = None,
    stop_at_first_violation: bool = True,
) -> LinearizabilityResult:
    """Is ``history`` linearizable with respect to ``model``?

    ``timeout_s`` bounds the whole check (all partitions); when it runs out
    the verdict is ``unknown`` rather than a hang, unless a partition was
    already found not linearizable (that verdict stands). With
    ``stop_at_first_violation``, the search ends at the first partition found
    not linearizable (partitions are searched smallest first); those not
    searched get verdict ``unknown`` and a note.
    """
    started = time.perf_counter()
    deadline = None if timeout_s is None else started + timeout_s
    ops = tuple(history)
    index_of = {id(op): i for i, op in enumerate(ops)}
    parts = model.partition(ops)
    _check_partition_covers(parts, index_of, len(ops))

    # Smallest partitions first: under stop_at_first_violation a violation
    # in a small one ends the check early and is the easiest to read.
    results: dict[int, PartitionResult] = {}
    violated = False
    for n in sorted(range(len(parts)), key=lambda n: len(parts[n])):
        indices = tuple(index_of[id(op)] for op in parts[n])
        if violated and stop_at_first_violation:
            note = "not searched: another partition is not linearizable"
            results[n] = PartitionResult(n, indices, Verdict.UNKNOWN, 0.0, 0, note=note, searched=False)
            continue
        if deadline is not None and time.perf_counter() > deadline:
            note = "not searched: time budget exhausted"
            results[n] = PartitionResult(n, indices, Verdict.UNKNOWN, 0.0, 0, note=note, searched=False)
            continue
        part_started = time.perf_counter()
        part: _Partition[StateT, InputT, OutputT] = _Partition(parts[n])
        outcome = _search(model, part, deadline)
        elapsed = time.perf_counter() - part_started
        if outcome.verdict is Verdict.LINEARIZABLE:
            assert outcome.linearization is not None
            witness = tuple(index_of[id(part.ops[j])] for j in outcome.linearization)
            results[n] = PartitionResult(
                n, indices, outcome.verdict, elapsed, outcome.configurations, witness
            )
        elif outcome.verdict is Verdict.NOT_LINEARIZABLE:
            violated = True
            violation = _explain_violation(model, part, outcome, index_of, n)
            results[n] = PartitionResult(
                n, indices, outcome.verdict, elapsed, outcome.configurations, violation=violation
            )
        else:
            note = f"time budget exhausted after {outcome.configurations} configurations"
            results[n] = PartitionResult(
                n, indices, outcome.verdict, elapsed, outcome.configurations, note=note
            )

    verdicts = {r.verdict for r in results.values()}
    if Verdict.NOT_LINEARIZABLE in verdicts:
        verdict = Verdict.NOT_LINEARIZABLE
    elif Verdict.UNKNOWN in verdicts:
        verdict = Verdict.UNKNOWN
    else:
        verdict = Verdict.LINEARIZABLE
    return LinearizabilityResult(
        verdict,
        tuple(results[n] for n in range(len(parts))),
        time.perf_counter() - started,
        ops,
        timeout_s,
    )


def _check_partition_covers(
    parts: Sequence[Sequence[Operation[InputT, OutputT]]], index_of: Mapping[int, int], n: int
) -> None:
    # A wrong partition function would make the verdict meaningless, silently.
    seen: set[int] = set()
    for part in parts:
        for op in part:
            i = index_of.get(id(op))
            if i is None:
                raise ValueError(f"partition returned an operation not in the history: {op!r}")
            if i in seen:
                raise ValueError(f"partition returned operation {i} twice")
            seen.add(i)
    if len(seen) != n:
        missing = sorted(set(range(n)) - seen)[:5]
        raise ValueError(f"partition left out operations {missing}...")


# --------------------------------------------------------------------------- rendering


def _fmt_time(t: float) -> str:
    if t == math.inf:
        return "∞"
    return str(int(t)) if float(t).is_integer() else f"{t:g}"


def _describe_line(op: DescribedOperation) -> str:
    outcome = "" if op.outcome_known else " (unknown outcome)"
    return (
        f"#{op.index} client {op.client_id}: {op.description}{outcome}"
        f" [{_fmt_time(op.call)}, {_fmt_time(op.return_)}{']' if op.outcome_known else ')'}"
    )


def _lanes(
    ops: Sequence[DescribedOperation], column: Callable[[float, int], int]
) -> list[tuple[str, list[DescribedOperation]]]:
    """One lane per client; a client with overlapping operations (after a timeout) gets extra lanes."""
    lanes: list[tuple[str, list[DescribedOperation]]] = []
    by_client: dict[int | str, list[int]] = {}
    for op in sorted(ops, key=lambda o: (o.call, o.index)):
        mine = by_client.setdefault(op.client_id, [])
        start = column(op.call, 0)
        for lane_no in mine:
            last = lanes[lane_no][1][-1]
            if last.outcome_known and column(last.return_, 1) < start:
                lanes[lane_no][1].append(op)
                break
        else:
            label = f"client {op.client_id}" if not mine else f"client {op.client_id} ({len(mine) + 1})"
            mine.append(len(lanes))
            lanes.append((label, [op]))
    return lanes


def _event_columns(ops: Sequence[DescribedOperation]) -> dict[tuple[float, int], int]:
    # Ranks of events instead of a linear scale: a 1 ms read next to a 10 s
    # timeout stays readable. At equal times calls come before returns,
    # because equal times overlap.
    events = sorted({(op.call, 0) for op in ops} | {(op.return_, 1) for op in ops if op.outcome_known})
    return {event: rank for rank, event in enumerate(events)}


def render_timeline(ops: Sequence[DescribedOperation], marks: Mapping[int, str] | None = None) -> str:
    """A text timeline: one line per client, each operation a bar ``[#index===]`` from call to return.

    A bar long enough also shows the operation's input and output; the legend
    below the bars lists every operation in full. A bar ending in ``>`` never
    returned (unknown outcome). ``marks`` maps an operation's index to a note
    for the legend.
    """
    if not ops:
        return "(no operations)"
    marks = marks or {}
    ranks = _event_columns(ops)
    width = max(len(f"#{op.index}") for op in ops) + 2
    end_rank = len(ranks)

    def column(t: float, kind: int) -> int:
        return (ranks[(t, kind)] if t != math.inf else end_rank) * width

    lanes = _lanes(ops, column)
    label_width = max(len(name) for name, _ in lanes) + 2
    out = []
    for name, lane_ops in lanes:
        row = [" "] * ((end_rank + 1) * width + 1)
        for op in lane_ops:
            start = column(op.call, 0)
            stop = column(op.return_, 1) if op.outcome_known else (end_rank + 1) * width - 1
            bar = ["="] * (stop - start + 1)
            bar[0] = "["
            bar[-1] = "]" if op.outcome_known else ">"
            tag = f"#{op.index}"
            if len(tag) + len(op.description) + 1 <= len(bar) - 2:  # the whole description, or none
                tag = f"{tag} {op.description}"
            bar[1 : 1 + len(tag)] = tag
            row[start : stop + 1] = bar
        out.append(f"{name:<{label_width}}" + "".join(row).rstrip())
    for op in sorted(ops, key=lambda o: o.index):
        note = f"  <- {marks[op.index]}" if op.index in marks else ""
        out.append("  " + _describe_line(op) + note)
    return "\n".join(out)


_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}
.verdict-linearizable{color:#176f2c}.verdict-not{color:#b00020}.verdict-unknown{color:#8a6d00}
.timeline{position:relative;border:1px solid #ddd;background:#fafafa;overflow-x:auto}
.lane{position:relative;height:30px;border-bottom:1px dotted #ddd}
.lane-name{position:absolute;left:4px;top:7px;font-size:12px;color:#555;width:110px;overflow:hidden}
.op{position:absolute;top:4px;height:20px;border-radius:3px;font:11px monospace;line-height:20px;
 padding:0 3px;overflow:hidden;white-space:nowrap;box-sizing:border-box;border:1px solid #888;
 background:#e8e8e8}
.op.linearized{background:#cdeccf;border-color:#3c9a4a}.op.blocked{background:#f8c9cf;border-color:#b00020}
.op.open{border-right:3px dashed #888}
pre{background:#f4f4f4;padding:.6em;overflow-x:auto}
"""


def render_html(result: LinearizabilityResult, context: int = 5) -> str:
    """A self-contained HTML page (no external assets): the verdict and, for a violation, its window."""
    esc = html.escape
    verdict_class = {
        Verdict.LINEARIZABLE: "verdict-linearizable",
        Verdict.NOT_LINEARIZABLE: "verdict-not",
        Verdict.UNKNOWN: "verdict-unknown",
    }
    body = [
        f"<h1>Linearizability: <span class='{verdict_class[result.verdict]}'>"
        f"{esc(str(result.verdict))}</span></h1>",
        f"<p>{esc(result.summary())}</p>",
        "<table><tr><th>partition</th><th>operations</th><th>verdict</th><th>time (s)</th>"
        "<th>configurations</th><th>note</th></tr>",
    ]
    for p in result.partitions:
        body.append(
            f"<tr><td>{p.index}</td><td>{len(p.operations)}</td>"
            f"<td class='{verdict_class[p.verdict]}'>{esc(str(p.verdict))}</td><td>{p.elapsed_s:.3f}</td>"
            f"<td>{p.configurations}</td><td>{esc(p.note)}</td></tr>"
        )
    body.append("</table>")
    violation = result.violation
    if violation is not None:
        body.append(f"<h2>Why partition {violation.partition} is not linearizable</h2>")
        window = [violation.operations[i] for i in violation.window(context)]
        body.append(_html_timeline(window, violation))
        body.append(
            "<h2>Operations in the window</h2><table><tr><th>#</th><th>client</th><th>operation</th>"
            "<th>call</th><th>return</th><th>role</th></tr>"
        )
        position = {idx: n for n, idx in enumerate(violation.linearized, 1)}
        reasons = {b.index: b.reason for b in violation.blocked}
        for op in window:
            if op.index in position:
                role = f"linearized, position {position[op.index]} of {len(violation.linearized)}"
            else:
                role = f"cannot come next: {reasons.get(op.index, 'must be placed before later calls')}"
            body.append(
                f"<tr><td>{op.index}</td><td>{esc(str(op.client_id))}</td><td>{esc(op.description)}</td>"
                f"<td>{esc(_fmt_time(op.call))}</td><td>{esc(_fmt_time(op.return_))}</td><td>{esc(role)}</td></tr>"
            )
        body.append("</table>")
        body.append(f"<h2>Explanation as text</h2><pre>{esc(violation.explain(context))}</pre>")
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Linearizability: "
        f"{esc(str(result.verdict))}</title><style>{_CSS}</style></head><body>{''.join(body)}</body></html>"
    )


def _html_timeline(ops: Sequence[DescribedOperation], violation: Violation) -> str:
    ranks = _event_columns(ops)
    end_rank = len(ranks)
    step_px, left_px = 46, 120

    def column(t: float, kind: int) -> int:
        return ranks[(t, kind)] if t != math.inf else end_rank

    linearized = set(violation.linearized)
    blocked = {b.index for b in violation.blocked} | {violation.deadline_op}
    rows = []
    for name, lane_ops in _lanes(ops, column):
        bars = []
        for op in lane_ops:
            start = column(op.call, 0)
            stop = column(op.return_, 1) if op.outcome_known else end_rank + 1
            classes = ["op"]
            if op.index in linearized:
                classes.append("linearized")
            elif op.index in blocked:
                classes.append("blocked")
            if not op.outcome_known:
                classes.append("open")
            title = html.escape(_describe_line(op), quote=True)
            bars.append(
                f"<div class='{' '.join(classes)}' title='{title}' style='left:{left_px + start * step_px}px;"
                f"width:{max(step_px, (stop - start) * step_px)}px'>"
                f"#{op.index} {html.escape(op.description)}</div>"
            )
        rows.append(
            f"<div class='lane'><div class='lane-name'>{html.escape(name)}</div>{''.join(bars)}</div>"
        )
    width = left_px + (end_rank + 2) * step_px
    legend = (
        "<p>Green: the longest linearizable prefix found. Red: operations that cannot come next. "
        "A dashed right edge: unknown outcome (never returned). Columns are event order, not to scale; "
        "hover a bar for its times.</p>"
    )
    return f"{legend}<div class='timeline' style='min-width:{width}px'>{''.join(rows)}</div>"
