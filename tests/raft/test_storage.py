"""impl/raft/storage.py: what a member wrote and synced comes back after a restart, as the
simulator's disk gives it back (impl/raft/sim.py ``DiskStorage``), and a torn tail costs nothing
that was synced."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from impl.raft.core import HardState, Ready, Snapshot, Stored
from impl.raft.sim import DiskStorage
from impl.raft.storage import FileStorage
from impl.sim.disk import Disk
from spec.raft import LogEntry


def ready(
    *,
    hard_state: HardState | None = None,
    entries_from: int | None = None,
    entries: tuple[LogEntry, ...] = (),
) -> Ready:
    return Ready(hard_state, entries_from, entries, (), ())


def entries(first: int, last: int, term: int) -> tuple[LogEntry, ...]:
    return tuple(LogEntry(i, term, f"c{i}") for i in range(first, last + 1))


def reopen(directory: Path) -> Stored:
    storage = FileStorage(directory)
    try:
        return storage.load()
    finally:
        storage.close()


def test_a_new_directory_holds_nothing(tmp_path: Path) -> None:
    assert reopen(tmp_path / "m") == Stored()


def test_synced_state_and_entries_come_back(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    storage.load()
    storage.write_ready(ready(hard_state=HardState(3, "n2", 4), entries_from=1, entries=entries(1, 5, 3)))
    storage.sync()
    storage.close()
    assert reopen(tmp_path) == Stored(HardState(3, "n2", 4), entries(1, 5, 3), Snapshot())


def test_a_conflicting_suffix_is_replaced(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    storage.load()
    storage.write_ready(ready(entries_from=1, entries=entries(1, 5, 1)))
    storage.write_ready(ready(entries_from=3, entries=entries(3, 3, 2)))
    storage.sync()
    storage.close()
    assert reopen(tmp_path).entries == (*entries(1, 2, 1), *entries(3, 3, 2))


def test_a_torn_tail_is_cut_off_and_writing_goes_on(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    storage.load()
    storage.write_ready(ready(hard_state=HardState(1, "n1", 0), entries_from=1, entries=entries(1, 2, 1)))
    storage.sync()
    storage.close()
    wal = tmp_path / "wal"
    good = wal.read_bytes()
    wal.write_bytes(good + b"\x40\x00\x00\x00\x01\x02")  # a record header whose body never made it
    storage = FileStorage(tmp_path)
    assert storage.load() == Stored(HardState(1, "n1", 0), entries(1, 2, 1), Snapshot())
    assert wal.read_bytes() == good
    storage.write_ready(ready(entries_from=3, entries=entries(3, 3, 1)))
    storage.sync()
    storage.close()
    assert reopen(tmp_path).entries == entries(1, 3, 1)


def test_a_corrupt_record_ends_the_log(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    storage.load()
    storage.write_ready(ready(entries_from=1, entries=entries(1, 1, 1)))
    storage.write_ready(ready(entries_from=2, entries=entries(2, 2, 1)))
    storage.sync()
    storage.close()
    wal = tmp_path / "wal"
    data = bytearray(wal.read_bytes())
    data[-2] ^= 0xFF  # the last record's checksum no longer matches
    wal.write_bytes(bytes(data))
    assert reopen(tmp_path).entries == entries(1, 1, 1)


def test_a_snapshot_replaces_the_entries_it_covers(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    storage.load()
    storage.write_ready(ready(hard_state=HardState(2, "n1", 6), entries_from=1, entries=entries(1, 8, 2)))
    storage.sync()
    snapshot = Snapshot(6, 2, entries(1, 6, 2), frozenset({"n1", "n2", "n3"}))
    storage.write_snapshot(snapshot)
    storage.sync()
    storage.close()
    assert reopen(tmp_path) == Stored(HardState(2, "n1", 6), entries(7, 8, 2), snapshot)
    assert (tmp_path / "wal").stat().st_size < 600, "the WAL was rewritten without the covered entries"


# A storage operation: (hard state or None, (entries_from, count, term) or None) or a snapshot index.
operations = st.lists(
    st.one_of(
        st.tuples(
            st.one_of(st.none(), st.builds(HardState, st.integers(0, 9), st.sampled_from([None, "n1"]))),
            st.one_of(st.none(), st.tuples(st.integers(1, 12), st.integers(0, 4), st.integers(1, 9))),
        ),
        st.integers(1, 12),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(operations)
def test_files_keep_what_the_simulated_disk_keeps(tmp_path_factory: object, ops: list[object]) -> None:
    directory = tmp_path_factory.mktemp("wal")  # type: ignore[attr-defined]
    files, disk = FileStorage(directory), DiskStorage(Disk("n1"))
    files.load()
    disk.load()
    last = 0
    for op in ops:
        if isinstance(op, int):
            index = min(op, last)
            if index == 0:
                continue
            snapshot = Snapshot(index, 1, ("state", index), None)
            for storage in (files, disk):
                storage.write_snapshot(snapshot)
        else:
            hard_state, append = op
            if append is not None:
                first, count, term = append
                first = min(first, last + 1)  # a contiguous log
                batch = entries(first, first + count - 1, term)
                last = first + count - 1
            r = ready(
                hard_state=hard_state,
                entries_from=None if append is None else first,
                entries=() if append is None else batch,
            )
            for storage in (files, disk):
                storage.write_ready(r)
        for storage in (files, disk):
            storage.sync()
    files.close()
    expected = disk.load()
    got = reopen(directory)
    # The simulated disk keeps entries at or below a snapshot that a later append rewrote; both
    # start a node from the snapshot and the entries after it.
    assert got.hard_state == expected.hard_state
    assert got.snapshot == expected.snapshot
    assert got.entries == tuple(e for e in expected.entries if e.index > expected.snapshot.index)
