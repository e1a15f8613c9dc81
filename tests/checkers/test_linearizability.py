"""conformance/checkers/linearizability.py against ground truth, the definition, and known-bad histories.

- Ground truth: every verdict Porcupine's test-suite asserts for the Jepsen
  etcd histories and the kv-append histories (tests/data/linearizability).
- The definition: on small random histories the checker agrees with a
  brute-force search over every subset of the unknown-outcome operations
  and every order of the chosen operations that respects real time.
- Hand-built histories with a known flaw are rejected, and the explanation
  points at the operations that cannot be ordered; known-good ones pass.
- Whatever the checker answers, its evidence is re-checked independently:
  a witness must be a legal order respecting real time; a violation's
  prefix must be one, and every operation it says cannot come next must
  really be rejected by the model.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from conformance.checkers import (
    UNKNOWN,
    LinearizabilityResult,
    Model,
    Operation,
    UnknownOutput,
    Verdict,
    Violation,
    check,
    render_html,
)
from tests.checkers.histories import (
    JEPSEN_ETCD,
    KV_APPEND,
    KvInput,
    KvModel,
    KvOp,
    RegisterInput,
    RegisterModel,
    RegisterOp,
    cas,
    generated_kv_history,
    load_jepsen,
    load_kv,
    read,
    unknown,
    verdicts,
    write,
)

AnyOp = Operation[Any, Any]
AnyModel = Model[Any, Any, Any]
JEPSEN_VERDICTS = verdicts(JEPSEN_ETCD)
KV_VERDICTS = verdicts(KV_APPEND)
HISTORY_TIMEOUT_S = 20.0


# --------------------------------------------------------------------------- independent checks


def respects_real_time(order: Sequence[AnyOp]) -> bool:
    """No operation comes after one that was called only after it returned."""
    return all(
        not later.return_ < earlier.call for i, earlier in enumerate(order) for later in order[i + 1 :]
    )


def legal(model: AnyModel, order: Sequence[AnyOp]) -> tuple[bool, Any]:
    state = model.init()
    for op in order:
        ok, state = model.step(state, op.input, op.output)
        if not ok:
            return False, state
    return True, state


def brute_force_linearizable(model: AnyModel, history: Sequence[AnyOp]) -> bool:
    """The definition, searched exhaustively: some subset of the unknown-outcome operations, with
    every other operation, in some order that respects real time, is a legal sequential run."""
    known = [op for op in history if op.outcome_known]
    maybe = [op for op in history if not op.outcome_known]
    for size in range(len(maybe) + 1):
        for chosen in itertools.combinations(maybe, size):
            for order in itertools.permutations(known + list(chosen)):
                if legal(model, order)[0] and respects_real_time(order):
                    return True
    return False


def assert_witnesses_hold(model: AnyModel, history: Sequence[AnyOp], result: LinearizabilityResult) -> None:
    """Each partition's witness orders all of its known-outcome operations legally and in real time."""
    for part in result.partitions:
        assert part.linearization is not None
        order = [history[i] for i in part.linearization]
        assert len(set(part.linearization)) == len(order)
        assert set(part.linearization) <= set(part.operations)
        assert {i for i in part.operations if history[i].outcome_known} <= set(part.linearization)
        assert respects_real_time(order)
        assert legal(model, order)[0]


def assert_violation_holds(model: AnyModel, history: Sequence[AnyOp], violation: Violation) -> None:
    """The prefix is a legal real-time order, nothing before it was skipped, and every known-outcome
    operation that real time allows next is rejected by the model in the state after it."""
    ops_of_partition = set(violation.operations)
    prefix = [history[i] for i in violation.linearized]
    assert set(violation.linearized) <= ops_of_partition
    ok, state = legal(model, prefix)
    assert ok and respects_real_time(prefix)
    unplaced = [i for i in ops_of_partition if i not in set(violation.linearized)]
    placed = set(violation.linearized)
    for i in unplaced:  # an unplaced operation may not have returned before a placed one was called
        assert all(not history[i].return_ < history[j].call for j in placed)
    first_return = min(history[i].return_ for i in unplaced if history[i].outcome_known)
    assert history[violation.deadline_op].return_ == first_return
    could_come_next = {i for i in unplaced if history[i].call <= first_return}
    assert {b.index for b in violation.blocked} == could_come_next
    for i in could_come_next:
        if history[i].outcome_known:
            assert not model.step(state, history[i].input, history[i].output)[0], i
    assert model.describe_state(state) == violation.state


def checked(
    model: AnyModel, history: Sequence[AnyOp], timeout_s: float | None = HISTORY_TIMEOUT_S
) -> LinearizabilityResult:
    result = check(model, history, timeout_s=timeout_s)
    if result.verdict is Verdict.LINEARIZABLE:
        assert_witnesses_hold(model, history, result)
    elif result.verdict is Verdict.NOT_LINEARIZABLE:
        assert result.violation is not None
        assert_violation_holds(model, history, result.violation)
    return result


# --------------------------------------------------------------------------- ground truth


@pytest.mark.parametrize("name", sorted(JEPSEN_VERDICTS))
def test_jepsen_etcd_verdicts(name: str) -> None:
    history = load_jepsen(name)
    result = checked(RegisterModel(), history)
    expected = Verdict.LINEARIZABLE if JEPSEN_VERDICTS[name] else Verdict.NOT_LINEARIZABLE
    assert result.verdict is expected, result.explain()


@pytest.mark.parametrize("name", sorted(KV_VERDICTS))
def test_kv_append_verdicts(name: str) -> None:
    history = load_kv(name)
    result = checked(KvModel(), history)
    expected = Verdict.LINEARIZABLE if KV_VERDICTS[name] else Verdict.NOT_LINEARIZABLE
    assert result.verdict is expected, result.explain()


def test_kv_append_bad_histories_fail_in_every_partition_searched() -> None:
    history = load_kv("c10-bad.txt")
    result = check(KvModel(), history, timeout_s=HISTORY_TIMEOUT_S, stop_at_first_violation=False)
    assert result.verdict is Verdict.NOT_LINEARIZABLE
    assert all(p.searched and p.verdict is not Verdict.UNKNOWN for p in result.partitions)
    for part in result.partitions:
        if part.violation is not None:
            assert_violation_holds(KvModel(), history, part.violation)
        else:
            assert part.linearization is not None


def test_etcd_095_has_no_upstream_verdict_and_is_checked_within_its_bound() -> None:
    assert "etcd_095.log" not in JEPSEN_VERDICTS
    history = load_jepsen("etcd_095.log")
    started = time.perf_counter()
    result = checked(RegisterModel(), history)
    assert time.perf_counter() - started < HISTORY_TIMEOUT_S + 1.0
    print(f"etcd_095.log ({len(history)} operations): {result.summary()}")


def test_generated_kv_history_is_linearizable_and_a_corrupted_read_is_caught() -> None:
    history = generated_kv_history(ops=2000, clients=8, keys=20, unknown=0.05, seed=7)
    assert sum(not op.outcome_known for op in history) > 10
    assert checked(KvModel(), history).verdict is Verdict.LINEARIZABLE
    # The last get that saw a value now claims one no put ever wrote.
    n = max(i for i, op in enumerate(history) if op.input.kind == "get" and op.output)
    bad: KvOp = Operation(
        history[n].client_id, history[n].input, history[n].call, "never written", history[n].return_
    )
    corrupted = [*history[:n], bad, *history[n + 1 :]]
    result = checked(KvModel(), corrupted)
    assert result.verdict is Verdict.NOT_LINEARIZABLE
    assert result.violation is not None
    assert n in {b.index for b in result.violation.blocked}


# --------------------------------------------------------------------------- the definition


@st.composite
def register_histories(draw: st.DrawFn) -> list[RegisterOp]:
    """Run a register with each operation taking effect inside its interval, then maybe corrupt an output.

    Unknown-outcome operations take effect after their call, or never. The
    uncorrupted history is linearizable; a corrupted one may or may not be.
    """
    clients = draw(st.integers(1, 3))
    free_at = [0] * clients
    client_ids = list(range(clients))
    specs: list[tuple[int, RegisterInput, int, float]] = []
    effects: list[tuple[int, int]] = []
    for n in range(draw(st.integers(1, 7))):
        slot = draw(st.integers(0, clients - 1))
        call = free_at[slot] + draw(st.integers(0, 3))
        duration = draw(st.integers(0, 4))
        kind = draw(st.sampled_from(["read", "write", "cas"]))
        if kind == "read":
            inp = RegisterInput("read")
        elif kind == "write":
            inp = RegisterInput("write", draw(st.integers(1, 3)))
        else:
            inp = RegisterInput("cas", draw(st.sampled_from([None, 1, 2, 3])), draw(st.integers(1, 3)))
        if draw(st.integers(0, 4)) == 0:  # unknown outcome
            specs.append((client_ids[slot], inp, call, math.inf))
            if draw(st.booleans()):
                effects.append((call + draw(st.integers(0, 8)), n))
            client_ids[slot] = clients + n  # the client carries on under a new id, as Jepsen does
        else:
            specs.append((client_ids[slot], inp, call, call + duration))
            effects.append((call + draw(st.integers(0, duration)), n))
        free_at[slot] = call + duration + 1
    state: int | None = None
    outputs: dict[int, Any] = {}
    for _, n in sorted(effects):
        inp = specs[n][1]
        outputs[n] = state if inp.kind == "read" else (state == inp.value if inp.kind == "cas" else None)
        if inp.kind == "write" or (inp.kind == "cas" and state == inp.value):
            state = inp.value if inp.kind == "write" else inp.new
    history: list[RegisterOp] = []
    for n, (client, inp, call, ret) in enumerate(specs):
        history.append(Operation(client, inp, call, UNKNOWN if ret == math.inf else outputs[n], ret))
    corruptible = [n for n, op in enumerate(history) if op.outcome_known and op.input.kind != "write"]
    if draw(st.booleans()) and corruptible:
        n = draw(st.sampled_from(corruptible))
        op = history[n]
        others = [v for v in (None, 1, 2, 3) if v != op.output]
        wrong = not op.output if op.input.kind == "cas" else draw(st.sampled_from(others))
        history[n] = Operation(op.client_id, op.input, op.call, wrong, op.return_)
    return history


@st.composite
def kv_histories(draw: st.DrawFn) -> list[KvOp]:
    """Random get/put/append on two keys, outputs guessed from a small set (so both verdicts occur)."""
    history: list[KvOp] = []
    for n in range(draw(st.integers(1, 7))):
        key = draw(st.sampled_from(["x", "y"]))
        value = draw(st.sampled_from(["a", "b"]))
        inp = draw(
            st.sampled_from([KvInput("get", key), KvInput("put", key, value), KvInput("append", key, value)])
        )
        call = draw(st.integers(0, 12))
        output = draw(st.sampled_from(["", "a", "b", "ab", "ba"])) if inp.kind == "get" else None
        if inp.kind != "get" and draw(st.integers(0, 4)) == 0:
            history.append(Operation(n, inp, call))
        else:
            history.append(Operation(n, inp, call, output, call + draw(st.integers(0, 5))))
    return history


@given(register_histories())
def test_register_checker_agrees_with_brute_force(history: list[RegisterOp]) -> None:
    expected = brute_force_linearizable(RegisterModel(), history)
    event("linearizable" if expected else "not linearizable")
    result = checked(RegisterModel(), history, timeout_s=None)
    assert result.linearizable == expected, result.explain()


@given(kv_histories())
def test_partitioned_kv_checker_agrees_with_brute_force_on_the_whole_history(history: list[KvOp]) -> None:
    # The oracle searches the unpartitioned history: P-compositionality is checked, not assumed.
    expected = brute_force_linearizable(KvModel(partitioned=False), history)
    event("linearizable" if expected else "not linearizable")
    result = checked(KvModel(), history, timeout_s=None)
    assert result.linearizable == expected, result.explain()
    assert checked(KvModel(partitioned=False), history, timeout_s=None).linearizable == expected


def test_generators_produce_both_verdicts() -> None:
    seen: Counter[tuple[str, bool]] = Counter()

    @settings(derandomize=True, max_examples=100, database=None, deadline=None)
    @given(register_histories(), kv_histories())
    def collect(register: list[RegisterOp], kv: list[KvOp]) -> None:
        seen["register", brute_force_linearizable(RegisterModel(), register)] += 1
        seen["kv", brute_force_linearizable(KvModel(partitioned=False), kv)] += 1

    collect()
    for kind in ("register", "kv"):
        assert seen[kind, True] >= 10, seen
        assert seen[kind, False] >= 10, seen


# --------------------------------------------------------------------------- known-bad histories


def rejected(model: AnyModel, history: Sequence[AnyOp]) -> Violation:
    result = checked(model, history)
    assert result.verdict is Verdict.NOT_LINEARIZABLE
    assert result.violation is not None
    return result.violation


def test_stale_read_after_an_acknowledged_write_is_rejected() -> None:
    history = [write(0, 0, 1, 1), write(0, 2, 3, 2), read(1, 4, 5, 1)]
    violation = rejected(RegisterModel(), history)
    assert violation.linearized == (0, 1)
    assert violation.state == "2"
    assert [b.index for b in violation.blocked] == [2]
    assert "rejects" in violation.blocked[0].reason
    assert violation.deadline_op == 2
    assert violation.window() == (0, 1, 2)


def test_two_readers_seeing_concurrent_writes_in_opposite_orders_are_rejected() -> None:
    history = [
        write("A", 0, 100, 1),
        write("B", 0, 100, 2),
        read("C", 10, 20, 1),  # C: 1 then 2
        read("C", 30, 40, 2),
        read("D", 10, 20, 2),  # D: 2 then 1
        read("D", 30, 40, 1),
    ]
    violation = rejected(RegisterModel(), history)
    # Either order of the first reads is fine, and so is any single reader:
    # the conflict needs a second read, so one must be in the window.
    window = set(violation.window())
    assert window & {3, 5}
    assert all(history[b.index].input.kind == "read" for b in violation.blocked if b.index not in (0, 1))
    for reader in (["C"], ["D"]):
        alone = [op for op in history if op.client_id in ("A", "B", *reader)]
        assert checked(RegisterModel(), alone).linearizable


def test_read_of_a_value_never_written_is_rejected() -> None:
    history = [write(0, 0, 1, 1), read(1, 2, 3, 7)]
    violation = rejected(RegisterModel(), history)
    assert violation.linearized == (0,)
    assert [b.index for b in violation.blocked] == [1]
    assert violation.state == "1"


def test_lost_acknowledged_write_is_rejected() -> None:
    violation = rejected(RegisterModel(), [write(0, 0, 1, 1), read(1, 2, 3, None)])
    assert [b.index for b in violation.blocked] == [1]


def test_unknown_write_seen_then_unseen_is_rejected() -> None:
    history = [
        write(0, 0, 1, 1),
        unknown(1, 2, RegisterInput("write", 2)),
        read(2, 3, 4, 2),
        read(2, 5, 6, 1),
    ]
    violation = rejected(RegisterModel(), history)
    assert 1 in violation.linearized  # the unknown write had to be placed to explain the first read
    assert 3 in {b.index for b in violation.blocked}


def test_unknown_write_cannot_take_effect_before_it_was_called() -> None:
    history = [write(0, 0, 1, 1), read(1, 2, 3, 2), unknown(2, 5, RegisterInput("write", 2))]
    violation = rejected(RegisterModel(), history)
    assert [b.index for b in violation.blocked] == [1]
    assert 2 not in violation.linearized


def test_cas_that_reports_failure_while_its_expected_value_was_there_is_rejected() -> None:
    violation = rejected(RegisterModel(), [write(0, 0, 1, 1), cas(1, 2, 3, 1, 2, swapped=False)])
    assert [b.index for b in violation.blocked] == [1]


def test_an_operation_returning_before_another_is_called_precedes_it() -> None:
    # Equal times overlap (the read may come first); a strictly later call may not.
    assert checked(RegisterModel(), [write(0, 0, 5, 1), read(1, 5, 6, None)]).linearizable
    rejected(RegisterModel(), [write(0, 0, 5, 1), read(1, 6, 7, None)])


# --------------------------------------------------------------------------- known-good histories


def test_concurrent_operations_may_be_ordered_either_way() -> None:
    history = [write("A", 0, 10, 1), read("B", 1, 2, None), read("B", 3, 4, 1)]
    result = checked(RegisterModel(), history)
    assert result.linearizable
    assert result.partitions[0].linearization == (1, 0, 2)


def test_unknown_write_seen_is_accepted() -> None:
    history = [write(0, 0, 1, 1), unknown(1, 2, RegisterInput("write", 2)), read(2, 5, 6, 2)]
    result = checked(RegisterModel(), history)
    assert result.linearizable
    assert result.partitions[0].linearization == (0, 1, 2)


def test_unknown_write_not_seen_is_accepted() -> None:
    history = [
        write(0, 0, 1, 1),
        unknown(1, 2, RegisterInput("write", 2)),
        read(2, 5, 6, 1),
        read(2, 7, 8, 1),
    ]
    result = checked(RegisterModel(), history)
    assert result.linearizable


def test_unknown_write_seen_long_after_its_client_gave_up_is_accepted() -> None:
    history = [unknown(1, 0, RegisterInput("write", 2)), read(2, 1, 2, None), read(2, 100, 101, 2)]
    assert checked(RegisterModel(), history).linearizable


def test_timed_out_read_is_accepted_with_any_value() -> None:
    history = [write(0, 0, 1, 1), Operation(1, RegisterInput("read"), 2, UNKNOWN, 3), read(2, 4, 5, 1)]
    assert checked(RegisterModel(), history).linearizable


class PoisonModel(Model[int, str, None]):
    """``poison`` is illegal in every state, even with an unknown output."""

    def init(self) -> int:
        return 0

    def step(self, state: int, input: str, output: UnknownOutput | None) -> tuple[bool, int]:
        return (input != "poison"), state + 1


def test_unknown_outcome_operations_are_never_required() -> None:
    history: list[Operation[str, None]] = [Operation(0, "inc", 0, None, 1), Operation(1, "poison", 0)]
    result = checked(PoisonModel(), history)
    assert result.linearizable
    assert result.partitions[0].linearization == (0,)
    # With a known outcome the same operation must be placed, and cannot be.
    bad: list[Operation[str, None]] = [Operation(0, "inc", 0, None, 1), Operation(1, "poison", 0, None, 2)]
    assert not checked(PoisonModel(), bad).linearizable


class SmallRegister(RegisterModel):
    """A register that refuses to write values outside 0..9, whatever the output says."""

    def step(self, state: int | None, input: RegisterInput, output: Any) -> tuple[bool, int | None]:
        ok, after = super().step(state, input, output)
        if input.kind == "write" and not 0 <= (input.value or 0) <= 9:
            return False, after  # the state it would have been: a checker must not use it
        return ok, after


def test_unknown_outcome_operations_take_effect_only_as_the_model_allows() -> None:
    history = [unknown(0, 0, RegisterInput("write", 42)), read(1, 1, 2, 42)]
    violation = rejected(SmallRegister(), history)
    assert [b.index for b in violation.blocked] == [1, 0]
    assert checked(RegisterModel(), history).linearizable


def test_empty_history_is_linearizable() -> None:
    assert checked(RegisterModel(), []).linearizable


# --------------------------------------------------------------------------- time budget and partitions


def pathological(writers: int) -> list[RegisterOp]:
    """Concurrent writes, then a read of a value none wrote: every order of the writes gets tried."""
    return [write(i, 0, 100, i) for i in range(1, writers + 1)] + [read(0, 101, 102, 999)]


def test_time_budget_gives_unknown_instead_of_a_hang() -> None:
    started = time.perf_counter()
    result = check(RegisterModel(), pathological(40), timeout_s=0.2)
    assert time.perf_counter() - started < 1.2
    assert result.verdict is Verdict.UNKNOWN
    assert "time budget" in result.partitions[0].note
    assert result.violation is None
    # Small enough to finish, the same shape is a violation: unknown meant "ran out of time".
    assert (
        check(RegisterModel(), pathological(6), timeout_s=HISTORY_TIMEOUT_S).verdict
        is Verdict.NOT_LINEARIZABLE
    )


def test_a_violation_in_one_partition_stands_when_another_runs_out_of_time() -> None:
    hard: list[KvOp] = [Operation(i, KvInput("put", "hard", f"v{i}"), 0, None, 100) for i in range(40)]
    hard.append(Operation(99, KvInput("get", "hard"), 101, "never written", 102))
    bad: list[KvOp] = [
        Operation(0, KvInput("put", "bad", "a"), 0, None, 1),
        Operation(1, KvInput("get", "bad"), 2, "", 3),
    ]
    result = check(KvModel(), hard + bad, timeout_s=0.5)
    assert result.verdict is Verdict.NOT_LINEARIZABLE
    assert result.violation is not None
    assert result.violation.blocked[0].index == len(hard) + 1
    assert check(KvModel(), hard, timeout_s=0.2).verdict is Verdict.UNKNOWN


def test_no_budget_left_means_unknown() -> None:
    result = check(KvModel(), load_kv("c01-ok.txt"), timeout_s=0.0)
    assert result.verdict is Verdict.UNKNOWN
    assert not any(p.searched for p in result.partitions)


class BrokenPartitionModel(KvModel):
    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    def partition(self, history: Sequence[KvOp]) -> list[list[KvOp]]:
        if self.mode == "drop":
            return [list(history[1:])]
        if self.mode == "twice":
            return [list(history), [history[0]]]
        return [[Operation(op.client_id, op.input, op.call, op.output, op.return_) for op in history]]


@pytest.mark.parametrize("mode", ["drop", "twice", "copies"])
def test_a_partition_function_that_is_not_a_partition_is_refused(mode: str) -> None:
    with pytest.raises(ValueError):
        check(BrokenPartitionModel(mode), load_kv("c01-ok.txt"))


@pytest.mark.parametrize(
    "make",
    [
        lambda: Operation(0, RegisterInput("read"), 2, None, 1),  # returns before its call
        lambda: Operation(0, RegisterInput("read"), 0, None, math.inf),  # an output it never received
        lambda: Operation(0, RegisterInput("read"), math.nan, None, 1),
        lambda: Operation(0, RegisterInput("read"), 0, None, math.nan),
    ],
)
def test_impossible_operations_are_refused(make: Any) -> None:
    with pytest.raises(ValueError):
        make()


# --------------------------------------------------------------------------- explanations


class _TagBalance(HTMLParser):
    VOID = frozenset({"meta", "br", "hr", "img", "input", "link"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, (self.open, tag)
        self.open.pop()


def test_explanation_text_names_the_failing_operations() -> None:
    history = [write(0, 0, 1, 1), write(0, 2, 3, 2), read(1, 4, 5, 1), read(2, 50, 60, 2)]
    result = check(RegisterModel(), history)
    text = result.explain()
    assert text.startswith("not linearizable")
    assert "#2 client 1: read() -> 1 [4, 5]" in text
    assert "State after the prefix: 2" in text
    assert "the model rejects it in state 2" in text
    assert "#3" not in text  # far after the window: not part of the explanation
    timeline = text[text.index("Timeline") :]
    assert "client 0" in timeline and "client 1" in timeline
    assert "[#2" in timeline


def test_html_is_self_contained_well_formed_and_names_the_failing_operations() -> None:
    history = [write(0, 0, 1, 1), write(0, 2, 3, 2), read(1, 4, 5, 1)]
    page = render_html(check(RegisterModel(), history))
    assert page.startswith("<!DOCTYPE html>")
    assert "read() -&gt; 1" in page and "#2" in page
    parser = _TagBalance()
    parser.feed(page)
    assert parser.open == ["html"] or parser.open == []
    assert not {"script", "link", "img", "iframe"} & set(parser.tags)
    assert "http://" not in page and "https://" not in page and "url(" not in page


def test_html_escapes_what_the_history_contains() -> None:
    history: list[KvOp] = [
        Operation(0, KvInput("put", "k", "<b>x</b>"), 0, None, 1),
        Operation(1, KvInput("get", "k"), 2, "<script>alert(1)</script>", 3),
    ]
    page = render_html(check(KvModel(), history))
    assert "&lt;script&gt;" in page
    assert "<script>" not in page and "<b>x" not in page


def test_html_of_a_linearizable_history_has_only_the_summary() -> None:
    result = check(KvModel(), load_kv("c10-ok.txt"))
    page = render_html(result)
    assert "linearizable" in page and "Why partition" not in page
    assert result.violation is None
    assert result.explain() == result.summary()


def test_unknown_outcome_operations_are_drawn_open_ended() -> None:
    history = [
        write(0, 0, 1, 1),
        unknown(1, 2, RegisterInput("write", 2)),
        read(2, 5, 6, 2),
        read(2, 7, 8, 1),
    ]
    text = check(RegisterModel(), history).explain()
    assert "write(2) -> ? (unknown outcome) [2, ∞)" in text
    bars = [line for line in text.splitlines() if line.startswith("client 1")]
    assert bars and bars[0].rstrip().endswith(">")
