"""impl/raft/wire.py: every Raft message survives the trip, and nothing else gets in."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from impl.raft import wire
from impl.raft.core import (
    AppendEntries,
    AppendResponse,
    HardState,
    InstallSnapshot,
    Snapshot,
    TimeoutNow,
    VoteRequest,
    VoteResponse,
)
from spec.raft import ConfigChange, LogEntry, RegisterRead, RegisterWrite

names = st.sampled_from(["n1", "n2", "n3"])
small = st.integers(min_value=0, max_value=2**40)
commands = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.integers(),
    st.builds(RegisterWrite, small, small),
    st.builds(RegisterRead, small),
    st.tuples(st.text(max_size=3), st.integers()),
    st.binary(max_size=8),
)
entries = st.builds(LogEntry, small, small, commands)
snapshots = st.builds(
    Snapshot,
    small,
    small,
    st.tuples(entries, entries),
    st.one_of(st.none(), st.frozensets(names, min_size=1)),
)
messages = st.one_of(
    st.builds(VoteRequest, small, names, names, small, small, st.booleans(), st.booleans()),
    st.builds(VoteResponse, small, names, names, st.booleans(), st.booleans()),
    st.builds(
        AppendEntries,
        small,
        names,
        names,
        small,
        small,
        st.lists(entries, max_size=3).map(tuple),
        small,
        small,
    ),
    st.builds(AppendResponse, small, names, names, st.booleans(), small, small, small, small),
    st.builds(InstallSnapshot, small, names, names, snapshots),
    st.builds(TimeoutNow, small, names, names),
    st.builds(HardState, small, st.one_of(st.none(), names), small),
)


@given(messages)
def test_every_message_round_trips(message: object) -> None:
    assert wire.decode(wire.encode(message)) == message


def test_configuration_entries_round_trip() -> None:
    entry = LogEntry(4, 2, ConfigChange("add", "n4", frozenset({"n1", "n2", "n3", "n4"})))
    assert wire.decode(wire.encode(entry)) == entry


def test_equal_sets_encode_alike() -> None:
    assert wire.encode(frozenset({"n3", "n1", "n2"})) == wire.encode(frozenset({"n2", "n3", "n1"}))


class Foreign:
    pass


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"d": "Popen", "v": {"args": "rm -rf /"}}',  # only the listed types are rebuilt
        b'{"d": "LogEntry", "v": {"index": 1, "bogus": 2}}',
        b'{"b": "***"}',
        b'{"x": 1}',
        b"\xff\xfe",
    ],
)
def test_what_is_not_a_wire_value_is_refused(body: bytes) -> None:
    with pytest.raises(wire.WireError):
        wire.decode(body)


def test_unlisted_types_cannot_be_sent() -> None:
    with pytest.raises(wire.WireError, match="Foreign"):
        wire.encode(LogEntry(1, 1, Foreign()))
    with pytest.raises(wire.WireError):
        wire.encode({"a": 1})
