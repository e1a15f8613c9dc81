"""tests/checkers/histories.py: the parsers follow the data README's semantics, and the models theirs."""

from __future__ import annotations

import itertools
import math

import pytest

from conformance.checkers import UNKNOWN
from tests.checkers.histories import (
    JEPSEN_ETCD,
    KV_APPEND,
    KvInput,
    KvModel,
    RegisterInput,
    RegisterModel,
    generated_kv_history,
    load_jepsen,
    load_kv,
    parse_jepsen_log,
    parse_kv_log,
    verdicts,
)

JEPSEN_SAMPLE = """\
INFO  jepsen.util - 0\t:invoke\t:write\t3
INFO  jepsen.util - 1\t:invoke\t:read\tnil
INFO  jepsen.util - 0\t:ok\t:write\t3
INFO  jepsen.util - 1\t:ok\t:read\tnil
INFO  jepsen.util - 2   :invoke :cas    [3 4]
INFO  jepsen.util - 2   :fail   :cas    [3 4]
INFO  jepsen.util - 3\t:invoke\t:cas\t[3 1]
INFO  jepsen.util - 3\t:ok\t:cas\t[3 1]
INFO  jepsen.util - 4\t:invoke\t:read\tnil
INFO  jepsen.util - 4\t:fail\t:read\t:timed-out
INFO  jepsen.util - 5\t:invoke\t:write\t2
INFO  jepsen.util - 5\t:info\t:write\t:timed-out
INFO  jepsen.util - 6\t:invoke\t:cas\t[1 0]
"""


def test_jepsen_log_semantics() -> None:
    ops = parse_jepsen_log(JEPSEN_SAMPLE)
    by_client = {op.client_id: op for op in ops}
    assert len(ops) == 7
    assert (by_client[0].input, by_client[0].call, by_client[0].return_) == (RegisterInput("write", 3), 0, 2)
    assert (by_client[1].output, by_client[1].return_) == (None, 3)  # a read of nil
    # :fail on cas: completed, definitely did not swap.
    assert (by_client[2].input, by_client[2].output, by_client[2].return_) == (
        RegisterInput("cas", 3, 4),
        False,
        5,
    )
    assert by_client[3].output is True
    # :fail :read :timed-out: over at its line, value unknown.
    assert (by_client[4].output, by_client[4].return_) == (UNKNOWN, 9)
    # :info and never completed: may take effect any time after the call, or never.
    for client in (5, 6):
        assert by_client[client].output is UNKNOWN and by_client[client].return_ == math.inf
        assert not by_client[client].outcome_known


def test_jepsen_logs_parse_into_one_operation_per_invocation() -> None:
    for path in sorted(JEPSEN_ETCD.glob("*.log")):
        lines = path.read_text().splitlines()
        ops = load_jepsen(path.name)
        assert len(ops) == sum(":invoke" in line for line in lines), path.name
        assert sum(not op.outcome_known for op in ops) >= sum(":info" in line for line in lines)


def test_kv_log_semantics_and_files() -> None:
    ops = parse_kv_log(
        '{:process 0, :type :invoke, :f :get, :key "4", :value nil}\n'
        '{:process 1, :type :invoke, :f :append, :key "4", :value "x 1 0 y"}\n'
        '{:process 0, :type :ok, :f :get, :key "4", :value ""}\n'
        '{:process 1, :type :ok, :f :append, :key "4", :value "x 1 0 y"}\n'
        '{:process 2, :type :invoke, :f :put, :key "5", :value "z"}\n'
    )
    assert [(op.input, op.output, op.call, op.return_) for op in ops] == [
        (KvInput("get", "4"), "", 0, 2),
        (KvInput("append", "4", "x 1 0 y"), None, 1, 3),
        (KvInput("put", "5", "z"), UNKNOWN, 4, math.inf),
    ]
    for name in verdicts(KV_APPEND):
        text = (KV_APPEND / name).read_text()
        assert len(load_kv(name)) == text.count(":type :invoke"), name


@pytest.mark.parametrize("line", ["INFO  jepsen.util - 0\t:invoke\t:delete\t1", "garbage"])
def test_unknown_jepsen_lines_are_refused(line: str) -> None:
    with pytest.raises(ValueError):
        parse_jepsen_log(line)


def test_register_model() -> None:
    model = RegisterModel()
    assert model.step(None, RegisterInput("read"), None) == (True, None)
    assert model.step(1, RegisterInput("read"), None) == (False, 1)
    assert model.step(1, RegisterInput("read"), UNKNOWN) == (True, 1)
    assert model.step(None, RegisterInput("write", 2), None) == (True, 2)
    assert model.step(1, RegisterInput("cas", 1, 2), True) == (True, 2)
    assert model.step(3, RegisterInput("cas", 1, 2), True)[0] is False
    assert model.step(3, RegisterInput("cas", 1, 2), False) == (True, 3)
    assert model.step(1, RegisterInput("cas", 1, 2), False)[0] is False
    assert model.step(1, RegisterInput("cas", 1, 2), UNKNOWN) == (True, 2)
    assert model.step(3, RegisterInput("cas", 1, 2), UNKNOWN) == (True, 3)


def test_kv_model() -> None:
    model = KvModel()
    state = model.init()
    assert model.step(state, KvInput("get", "k"), "") == (True, state)
    for value in ("a", "b"):
        ok, state = model.step(state, KvInput("append", "k", value), None)
        assert ok
    assert model.step(state, KvInput("get", "k"), "ab")[0]
    assert not model.step(state, KvInput("get", "k"), "ba")[0]
    assert model.step(state, KvInput("get", "other"), "")[0]
    ok, state = model.step(state, KvInput("put", "k", "z"), None)
    assert ok and model.step(state, KvInput("get", "k"), "z")[0]


def test_generated_history_shape() -> None:
    history = generated_kv_history(ops=1000, clients=8, keys=10, unknown=0.2, seed=3)
    assert len(history) == 1000
    assert len({op.input.key for op in history}) == 10
    puts = [op for op in history if op.input.kind == "put"]
    assert 0.1 < sum(not op.outcome_known for op in puts) / len(puts) < 0.3
    assert all(op.outcome_known for op in history if op.input.kind == "get")
    # Clients overlap: some operation is called before another one has returned.
    by_call = sorted(history, key=lambda op: op.call)
    assert any(b.call < a.return_ for a, b in itertools.pairwise(by_call))
