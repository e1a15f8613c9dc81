"""The sans-IO register core, in the etcd-io/raft manner: messages and ticks
go in, an ``Output`` (what to persist and sync, then what to send) comes out.
No clock, socket, disk or randomness is touched here; the driver does that.

Protocol, for ``n`` members with a fixed leader:
- a client sends ``Write(request_id, value)`` to the leader, which appends
  it to its log (once per request id: the network may duplicate), persists,
  and sends ``Append`` to every follower;
- a follower accepts an ``Append`` that continues its log, persists, and
  answers ``AppendAck(length)``; one that leaves a gap is answered with its
  current length so the leader resends from there;
- the leader commits the longest prefix held by a majority, persists the
  commit index (so that a restarted leader never serves older reads), and
  only then answers ``WriteOk``; ``Read`` is answered with the value of the
  last committed write;
- every tick the leader resends what each follower lacks, so drops heal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entry:
    request_id: int
    value: int


@dataclass(frozen=True)
class Write:
    request_id: int
    value: int


@dataclass(frozen=True)
class WriteOk:
    request_id: int


@dataclass(frozen=True)
class Read:
    request_id: int


@dataclass(frozen=True)
class ReadOk:
    request_id: int
    value: int | None


@dataclass(frozen=True)
class Append:
    prev_length: int
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class AppendAck:
    length: int


@dataclass
class Output:
    """What the driver must do, in order: write ``persist`` and sync, then send."""

    persist: dict[str, Any] = field(default_factory=dict)
    send: list[tuple[str, Any]] = field(default_factory=list)

    def then(self, later: Output) -> Output:
        """Both outputs as one: every write is synced before any message leaves."""
        return Output(persist={**self.persist, **later.persist}, send=[*self.send, *later.send])


LOG_KEY = "log"
COMMIT_KEY = "commit"


class RegisterCore:
    def __init__(
        self, address: str, members: tuple[str, ...], leader: str, stored: Mapping[str, Any]
    ) -> None:
        if address not in members or leader not in members:
            raise ValueError(f"{address!r} and leader {leader!r} must both be members of {members}")
        self.address = address
        self.members = members
        self.leader = leader
        self.log: tuple[Entry, ...] = tuple(stored.get(LOG_KEY, ()))
        self.commit_index: int = int(stored.get(COMMIT_KEY, 0))
        # Leader-only, volatile: what each follower is known to hold, and who waits for which entry.
        self.match: dict[str, int] = {m: 0 for m in members if m != address}
        self.waiting: dict[int, tuple[str, int]] = {}

    @property
    def is_leader(self) -> bool:
        return self.address == self.leader

    def applied_values(self) -> tuple[int, ...]:
        return tuple(entry.value for entry in self.log)

    def committed_value(self) -> int | None:
        return self.log[self.commit_index - 1].value if self.commit_index else None

    # -- input ---------------------------------------------------------------

    def step(self, src: str, message: object) -> Output:
        if self.is_leader:
            if isinstance(message, Write):
                return self._client_write(src, message)
            if isinstance(message, Read):
                return Output(send=[(src, ReadOk(message.request_id, self.committed_value()))])
            if isinstance(message, AppendAck) and src in self.match:
                return self._acknowledged(src, message.length)
        elif isinstance(message, Append) and src == self.leader:
            return self._append(message)
        return Output()  # not for this role: ignore, as a real server drops a misrouted request

    def tick(self) -> Output:
        """Resend to each follower what it is not known to hold."""
        if not self.is_leader:
            return Output()
        return Output(send=[self._append_for(f) for f, held in self.match.items() if held < len(self.log)])

    # -- leader --------------------------------------------------------------

    def _client_write(self, client: str, write: Write) -> Output:
        for index, entry in enumerate(self.log, start=1):
            if entry.request_id == write.request_id:  # a duplicate of a request already in the log
                if index <= self.commit_index:
                    return Output(send=[(client, WriteOk(write.request_id))])
                self.waiting[index] = (client, write.request_id)
                return Output()
        self.log = (*self.log, Entry(write.request_id, write.value))
        self.waiting[len(self.log)] = (client, write.request_id)
        replicate = Output(persist={LOG_KEY: self.log}, send=[self._append_for(f) for f in self.match])
        return replicate.then(self._advance_commit())  # a one-member cluster commits at once

    def _acknowledged(self, follower: str, length: int) -> Output:
        self.match[follower] = max(self.match[follower], min(length, len(self.log)))
        output = self._advance_commit()
        if length < len(self.log):
            output = output.then(Output(send=[self._append_for(follower)]))
        return output

    def _advance_commit(self) -> Output:
        """Commit the longest prefix a majority holds; answer the writes it covers."""
        held = sorted([len(self.log), *self.match.values()], reverse=True)
        majority_holds = held[len(self.members) // 2]
        if majority_holds <= self.commit_index:
            return Output()
        self.commit_index = majority_holds
        replies = [
            (c, WriteOk(rid))
            for index, (c, rid) in sorted(self.waiting.items())
            if index <= self.commit_index
        ]
        self.waiting = {i: w for i, w in self.waiting.items() if i > self.commit_index}
        return Output(persist={COMMIT_KEY: self.commit_index}, send=replies)

    def _append_for(self, follower: str) -> tuple[str, Append]:
        held = self.match[follower]
        return follower, Append(prev_length=held, entries=self.log[held:])

    # -- follower ------------------------------------------------------------

    def _append(self, append: Append) -> Output:
        if append.prev_length > len(self.log):
            return Output(send=[(self.leader, AppendAck(len(self.log)))])  # a gap: ask from our length
        # The leader's log only grows, so what we hold up to prev_length is what it holds.
        merged = self.log[: append.prev_length] + append.entries
        if len(merged) <= len(self.log):
            return Output(send=[(self.leader, AppendAck(len(self.log)))])  # stale or duplicate
        self.log = merged
        return Output(persist={LOG_KEY: self.log}, send=[(self.leader, AppendAck(len(self.log)))])
