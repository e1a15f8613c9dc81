"""The simulation's trace: every event as a small record, rendered as a timeline on demand.

A failing property prints ``trace.render()``: one line per event, in the
order the simulator handled them, e.g.::

       1.000000ms  send       n1 -> n2  #1 Ping(seq=0)
       3.141592ms  deliver    n1 -> n2  #1 Ping(seq=0)
       4.000000ms  drop       n2 -> n1  #2 Pong(seq=0) [partition]
      10.000000ms  timer      n1        'heartbeat'
      12.000000ms  crash      n2        lost 3 unsynced writes

Recording is on the simulator's hot path, so a record is a plain tuple
appended to a list (or to a bounded deque); nothing is formatted until
``render``/``lines`` is called. Payloads are stored, not copied, and are
rendered with ``repr`` at that time: payloads must be immutable values whose
``repr`` is deterministic. In particular no default ``object.__repr__`` (it
shows a memory address) and no ``set``/``frozenset`` of strings (their order
follows string hashing, which is salted per interpreter run), or the trace of
one seed differs from run to run.

Record fields: ``time`` (global ns), ``kind`` (one of ``KINDS``), ``src``
and ``dst`` (a message's endpoints; for events about one process, ``dst`` is
its address and ``src`` is None), ``msg`` (the message id, shared by a
message's copies), ``payload`` and ``note`` (a drop's reason, a timer's
name, ...).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

SEND = "send"
DELIVER = "deliver"
DROP = "drop"
DUPLICATE = "duplicate"
REORDER = "reorder"
HOLD = "hold"
TIMER = "timer"
START = "start"
CRASH = "crash"
RESTART = "restart"
PAUSE = "pause"
RESUME = "resume"
PARTITION = "partition"
HEAL = "heal"
DRIFT = "drift"
SYNC = "sync"
NETWORK = "network"
NOTE = "note"

KINDS = (
    SEND, DELIVER, DROP, DUPLICATE, REORDER, HOLD, TIMER, START, CRASH, RESTART,
    PAUSE, RESUME, PARTITION, HEAL, DRIFT, SYNC, NETWORK, NOTE,
)  # fmt: skip

#: Kinds whose records are about one message.
MESSAGE_KINDS = frozenset({SEND, DELIVER, DROP, DUPLICATE, REORDER, HOLD})

# Drop reasons.
DROP_RANDOM = "[random]"
DROP_PARTITION = "[partition]"
DROP_CRASHED = "[crashed]"

_KIND_WIDTH = max(len(k) for k in KINDS)

RawRecord = tuple[int, str, str | None, str | None, int | None, Any, str | None]


class TraceRecord(NamedTuple):
    """One event; see the module docstring for the fields."""

    time: int
    kind: str
    src: str | None
    dst: str | None
    msg: int | None
    payload: Any
    note: str | None

    @property
    def where(self) -> str:
        if self.src is not None and self.dst is not None:
            return f"{self.src} -> {self.dst}"
        return self.dst or self.src or ""

    @property
    def detail(self) -> str:
        parts: list[str] = []
        if self.msg is not None:
            parts.append(f"#{self.msg}")
            parts.append(repr(self.payload))
        if self.note:
            parts.append(self.note)
        return " ".join(parts)


def format_time(time_ns: int) -> str:
    """Nanoseconds as milliseconds with all nine digits kept, e.g. ``12.345678ms``."""
    sign = "-" if time_ns < 0 else ""
    whole, frac = divmod(abs(time_ns), 1_000_000)
    return f"{sign}{whole}.{frac:06d}ms"


def render_records(records: Iterable[TraceRecord]) -> list[str]:
    """Aligned timeline lines for ``records``."""
    rows = [(format_time(r.time), r.kind, r.where, r.detail) for r in records]
    if not rows:
        return []
    time_width = max(len(row[0]) for row in rows)
    where_width = max(len(row[2]) for row in rows)
    return [
        f"{t:>{time_width}}  {kind:<{_KIND_WIDTH}}  {where:<{where_width}}  {detail}".rstrip()
        for t, kind, where, detail in rows
    ]


class Trace:
    """Records of a simulation's events.

    ``limit`` keeps only the last ``limit`` records (a ring buffer), for long
    runs whose failure only needs the end of the story. ``enabled=False``
    records nothing; the simulator then skips recording entirely.
    """

    def __init__(self, *, enabled: bool = True, limit: int | None = None) -> None:
        if limit is not None and limit <= 0:
            raise ValueError(f"trace limit must be > 0 or None, got {limit}")
        self.enabled = enabled
        self.limit = limit
        self._records: list[RawRecord] | deque[RawRecord] = (
            [] if limit is None else deque(maxlen=limit)
        )
        #: The simulator's recording hook: ``append(raw_tuple)``, or None when disabled.
        self.append: Callable[[RawRecord], None] | None = (
            self._records.append if enabled else None
        )

    def __len__(self) -> int:
        return len(self._records)

    def records(self, last: int | None = None) -> list[TraceRecord]:
        """The records, oldest first (only the last ``last`` if given)."""
        raw = list(self._records)
        if last is not None:
            if last < 0:
                raise ValueError(f"last must be >= 0, got {last}")
            raw = raw[len(raw) - last :] if last else []
        return [TraceRecord._make(r) for r in raw]

    def lines(self, last: int | None = None) -> list[str]:
        """One aligned line per record (only the last ``last`` if given)."""
        return render_records(self.records(last))

    def render(self, last: int | None = None) -> str:
        """The timeline as text, for failure messages."""
        if not self.enabled:
            return "(trace disabled)"
        lines = self.lines(last)
        total = len(self._records)
        if last is not None and last < total:
            lines.insert(0, f"... {total - last} earlier records not shown")
        return "\n".join(lines)

    def clear(self) -> None:
        self._records.clear()
