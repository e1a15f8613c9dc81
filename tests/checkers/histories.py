"""Sequential models and parsers for the ground-truth histories in tests/data/linearizability.

They exist to test the linearizability checker against verdicts nobody on
this project produced (tests/data/linearizability/README.md gives the
formats and the semantics followed here), so they live with the tests, not
in spec/.

- ``RegisterModel``: the compare-and-set register of the Jepsen etcd runs
  (read, write, cas); the register starts as nil (``None``).
- ``KvModel``: a string key-value store with get, put and append; a missing
  key reads as ``""``; partitioned per key.
"""

from __future__ import annotations

import heapq
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from conformance.checkers import UNKNOWN, Model, Operation, UnknownOutput, partition_by

DATA = Path(__file__).resolve().parent.parent / "data" / "linearizability"
JEPSEN_ETCD = DATA / "jepsen-etcd"
KV_APPEND = DATA / "kv-append"


# --------------------------------------------------------------------------- CAS register


@dataclass(frozen=True, slots=True)
class RegisterInput:
    kind: Literal["read", "write", "cas"]
    value: int | None = None  # write: the value written; cas: the expected value
    new: int | None = None  # cas: the value set when the expected one is there


RegisterOutput = int | bool | None  # read: the value (None = nil); write: None; cas: whether it swapped
RegisterOp = Operation[RegisterInput, RegisterOutput]


def read(client: int | str, call: float, ret: float, value: int | None) -> RegisterOp:
    return Operation(client, RegisterInput("read"), call, value, ret)


def write(client: int | str, call: float, ret: float, value: int) -> RegisterOp:
    return Operation(client, RegisterInput("write", value), call, None, ret)


def cas(
    client: int | str, call: float, ret: float, expected: int | None, new: int, swapped: bool
) -> RegisterOp:
    return Operation(client, RegisterInput("cas", expected, new), call, swapped, ret)


def unknown(client: int | str, call: float, input: RegisterInput) -> RegisterOp:
    """An operation whose response never came: it may take effect after ``call``, or never."""
    return Operation(client, input, call)


class RegisterModel(Model[int | None, RegisterInput, RegisterOutput]):
    def init(self) -> int | None:
        return None

    def step(
        self, state: int | None, input: RegisterInput, output: RegisterOutput | UnknownOutput
    ) -> tuple[bool, int | None]:
        if input.kind == "read":
            return (output is UNKNOWN or output == state), state
        if input.kind == "write":
            return True, input.value
        swaps = state == input.value
        if output is UNKNOWN:
            return True, input.new if swaps else state
        # A cas that says it swapped must have found the expected value; one
        # that failed must not have (it definitely did not take effect).
        return (output is True) == swaps, input.new if swaps else state

    def describe_operation(self, input: RegisterInput, output: RegisterOutput | UnknownOutput) -> str:
        shown = "?" if output is UNKNOWN else _nil(output)
        if input.kind == "read":
            return f"read() -> {shown}"
        if input.kind == "write":
            return f"write({input.value})" + (" -> ?" if output is UNKNOWN else "")
        result = {True: "ok", False: "fail"}.get(output, "?") if output is not UNKNOWN else "?"  # type: ignore[call-overload]
        return f"cas({_nil(input.value)}, {input.new}) -> {result}"

    def describe_state(self, state: int | None) -> str:
        return _nil(state)


def _nil(value: object) -> str:
    return "nil" if value is None else str(value)


_JEPSEN_LINE = re.compile(
    r"^INFO\s+jepsen\.util\s+-\s+(?P<process>\d+)\s+:(?P<type>invoke|ok|fail|info)\s+:(?P<f>read|write|cas)"
    r"\s+(?P<value>.*?)\s*$"
)


def _jepsen_value(text: str) -> int | tuple[int | None, int | None] | None:
    if text == "nil":
        return None
    if text.startswith("["):
        a, b = text.strip("[]").split()
        return (None if a == "nil" else int(a), None if b == "nil" else int(b))
    return int(text)


def parse_jepsen_log(text: str) -> list[RegisterOp]:
    """Operations of a Jepsen etcd log; the time of an event is its line number.

    Semantics (data README): ``:ok`` completes an operation; ``:fail`` on cas
    is a completed cas that did not swap; ``:fail :read :timed-out`` ends a
    read whose value is unknown (linearized within its interval, any value);
    ``:info`` and invocations never completed have an unknown outcome
    (return time infinity).
    """
    ops: list[RegisterOp] = []
    open_calls: dict[int, tuple[int, RegisterInput]] = {}
    for line_no, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        m = _JEPSEN_LINE.match(line)
        if m is None:
            raise ValueError(f"line {line_no + 1}: not a Jepsen log line: {line!r}")
        process, kind, f, raw = int(m["process"]), m["type"], m["f"], m["value"]
        if kind == "invoke":
            if process in open_calls:
                raise ValueError(f"line {line_no + 1}: process {process} invokes twice")
            value = _jepsen_value(raw)
            if f == "read":
                inp = RegisterInput("read")
            elif f == "write":
                assert isinstance(value, int)
                inp = RegisterInput("write", value)
            else:
                assert isinstance(value, tuple)
                inp = RegisterInput("cas", value[0], value[1])
            open_calls[process] = (line_no, inp)
            continue
        call, inp = open_calls.pop(process)
        if inp.kind != f:
            raise ValueError(f"line {line_no + 1}: {f} completes a {inp.kind}")
        if kind == "info":
            ops.append(Operation(process, inp, call))
        elif kind == "ok":
            output: RegisterOutput = True if f == "cas" else (_jepsen_value(raw) if f == "read" else None)  # type: ignore[assignment]
            ops.append(Operation(process, inp, call, output, line_no))
        elif f == "cas":  # :fail
            ops.append(Operation(process, inp, call, False, line_no))
        elif f == "read" and raw == ":timed-out":
            ops.append(Operation(process, inp, call, UNKNOWN, line_no))
        else:
            raise ValueError(f"line {line_no + 1}: no semantics for :fail {f} {raw}")
    ops.extend(Operation(process, inp, call) for process, (call, inp) in open_calls.items())
    return ops


# --------------------------------------------------------------------------- key-value store


@dataclass(frozen=True, slots=True)
class KvInput:
    kind: Literal["get", "put", "append"]
    key: str
    value: str | None = None


KvState = tuple[tuple[str, str], ...]  # sorted (key, value) pairs: hashable, so the search can memoize it
KvOp = Operation[KvInput, "str | None"]


class KvModel(Model[KvState, KvInput, "str | None"]):
    """Strings under keys; ``get`` of a missing key returns ``""``.

    With ``partitioned`` the history is checked one key at a time, which is
    valid because every operation touches one key (P-compositionality).
    """

    def __init__(self, partitioned: bool = True) -> None:
        self.partitioned = partitioned

    def init(self) -> KvState:
        return ()

    def step(
        self, state: KvState, input: KvInput, output: str | UnknownOutput | None
    ) -> tuple[bool, KvState]:
        current = dict(state).get(input.key, "")
        if input.kind == "get":
            return (output is UNKNOWN or output == current), state
        assert input.value is not None
        new = input.value if input.kind == "put" else current + input.value
        return True, tuple(sorted({**dict(state), input.key: new}.items()))

    def partition(self, history: Sequence[KvOp]) -> list[list[KvOp]]:
        if not self.partitioned:
            return [list(history)]
        return partition_by(history, lambda op: op.input.key)

    def describe_operation(self, input: KvInput, output: str | UnknownOutput | None) -> str:
        if input.kind == "get":
            return f"get({input.key!r}) -> {'?' if output is UNKNOWN else repr(output)}"
        return f"{input.kind}({input.key!r}, {input.value!r})" + (" -> ?" if output is UNKNOWN else "")

    def describe_state(self, state: KvState) -> str:
        return "{" + ", ".join(f"{k!r}: {v!r}" for k, v in state) + "}"


_EDN_LINE = re.compile(
    r"^\{:process (?P<process>\d+), :type :(?P<type>invoke|ok|fail|info), :f :(?P<f>get|put|append), "
    r':key "(?P<key>[^"]*)", :value (?:nil|"(?P<value>[^"]*)")\}$'
)


def parse_kv_log(text: str) -> list[KvOp]:
    """Operations of a kv-append EDN log; the time of an event is its line number.

    Every operation in these files completes with ``:ok``; any other
    completion, or an invocation never completed, is kept with an unknown
    outcome.
    """
    ops: list[KvOp] = []
    open_calls: dict[int, tuple[int, KvInput]] = {}
    for line_no, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        m = _EDN_LINE.match(line.strip())
        if m is None:
            raise ValueError(f"line {line_no + 1}: not a kv EDN map: {line!r}")
        process, kind = int(m["process"]), m["type"]
        if kind == "invoke":
            kv_input = KvInput(m["f"], m["key"], m["value"])  # type: ignore[arg-type]
            open_calls[process] = (line_no, kv_input)
            continue
        call, kv_input = open_calls.pop(process)
        if kind == "ok":
            output = (m["value"] or "") if kv_input.kind == "get" else None
            ops.append(Operation(process, kv_input, call, output, line_no))
        else:
            ops.append(Operation(process, kv_input, call))
    ops.extend(Operation(process, kv_input, call) for process, (call, kv_input) in open_calls.items())
    return ops


def generated_kv_history(ops: int, clients: int, keys: int, unknown: float, seed: int) -> list[KvOp]:
    """A history of a linearizable store: every operation takes effect at a random point of its interval.

    Clients run one operation at a time with random gaps and durations, so
    operations of different clients overlap. A put with an unknown outcome
    takes effect later than its client gave up, or never; its client then
    carries on under a new id, as Jepsen does after a timeout.
    """
    rng = random.Random(seed)
    ready = [(rng.uniform(0, 1), c) for c in range(clients)]  # (time the client is free, slot)
    heapq.heapify(ready)
    client_id = list(range(clients))
    next_id = clients
    specs: list[tuple[int, KvInput, float, float]] = []  # client, input, call, return (inf: unknown)
    effects: list[tuple[float, int]] = []  # (linearization point, spec index)
    for n in range(ops):
        free_at, slot = heapq.heappop(ready)
        call = free_at + rng.expovariate(2.0)
        duration = rng.uniform(0.05, 2.0)
        key = str(rng.randrange(keys))
        kind: Literal["get", "put"] = "put" if rng.random() < 0.5 else "get"
        inp = KvInput(kind, key, f"v{n}" if kind == "put" else None)
        if kind == "put" and rng.random() < unknown:
            specs.append((client_id[slot], inp, call, math.inf))
            if rng.random() < 0.5:  # it happened, possibly long after the client gave up
                effects.append((call + rng.uniform(0, 3 * duration), n))
            client_id[slot], next_id = next_id, next_id + 1
        else:
            specs.append((client_id[slot], inp, call, call + duration))
            effects.append((rng.uniform(call, call + duration), n))
        heapq.heappush(ready, (call + duration, slot))
    store: dict[str, str] = {}
    outputs: dict[int, str | None] = {}
    for _, n in sorted(effects):
        inp = specs[n][1]
        if inp.kind == "put":
            assert inp.value is not None
            store[inp.key] = inp.value
            outputs[n] = None
        else:
            outputs[n] = store.get(inp.key, "")
    history: list[KvOp] = []
    for n, (client, inp, call, ret) in enumerate(specs):
        if ret == math.inf:
            history.append(Operation(client, inp, call, UNKNOWN, ret))
        else:
            history.append(Operation(client, inp, call, outputs[n], ret))
    return history


def verdicts(folder: Path) -> dict[str, bool]:
    """``verdicts.tsv``: file name -> linearizable."""
    lines = (folder / "verdicts.tsv").read_text().splitlines()
    assert lines[0].split("\t") == ["history", "linearizable"], lines[0]
    table = {}
    for line in lines[1:]:
        name, verdict = line.split("\t")
        assert verdict in ("true", "false"), line
        table[name] = verdict == "true"
    return table


def load_jepsen(name: str) -> list[RegisterOp]:
    return parse_jepsen_log((JEPSEN_ETCD / name).read_text())


def load_kv(name: str) -> list[KvOp]:
    return parse_kv_log((KV_APPEND / name).read_text())
