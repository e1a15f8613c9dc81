"""The reference Raft over TCP on loopback, one OS process per member, behind the suite's
``consensus`` and ``faults`` contracts (``--impl reference-tcp``).

The members are ``impl/raft/tcp_member.py`` processes: the same ``RaftMember``
the simulator runs, on wall-clock ticks, TCP and files with fsync. Processes,
signals and cut links are ``impl/peers/processes.py``'s, as for pysyncobj,
so the faults mean the same for both: crash is SIGKILL (what was fsynced
stays; the simulator's crashes, which also lose what was written but not
synced, are stronger), pause is SIGSTOP, a partition drops every message on
a cut link at both ends.

This provider is not deterministic: it runs the suite on wall-clock time
with the ``for_wall_clock`` settings, like any real peer. It exposes logs
(``MemberStatus.log``), so every log-based requirement applies, and offers
the ``read`` and ``transfer`` capabilities; membership changes need members
started on ports the cluster did not reserve, and are left to the simulator.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from impl.peers.processes import GONE, NOT_SENT, MemberFailed, ProcessCluster
from impl.raft.core import RaftConfig
from spec.raft import MemberStatus, ProposeOutcome, ReadOutcome, TransferOutcome

NS = 1_000_000_000


class TcpRaftCluster(ProcessCluster):
    """A reference Raft cluster of ``size`` member processes on loopback ports."""

    kind = "kspec raft"

    def __init__(self, size: int, provider: TcpRaftProvider, seed: int) -> None:
        self.provider = provider
        self.seed = seed
        self._leader_hint: str | None = None
        self._incarnations = itertools.count()
        super().__init__(
            size,
            startup_timeout=provider.startup_timeout,
            status_timeout=provider.status_timeout,
            timeline_limit=provider.timeline_limit,
        )

    def member_command(self, member: str) -> list[str]:
        return [sys.executable, "-m", "impl.raft.tcp_member"]

    def member_config(self, member: str) -> object:
        provider = self.provider
        return {
            "name": member,
            "addresses": dict(self.addresses),
            "network": str(self.network_path),
            "data_dir": str(self.directory / member),
            "tick_ms": provider.tick_ms,
            "raft": {
                "election_ticks": provider.config.election_ticks,
                "heartbeat_ticks": provider.config.heartbeat_ticks,
                "pre_vote": provider.config.pre_vote,
                "check_quorum": provider.config.check_quorum,
                "max_entries_per_append": provider.config.max_entries_per_append,
                "noop_on_election": provider.config.noop_on_election,
            },
            "snapshot_every": provider.snapshot_every,
            "snapshot_keep": provider.snapshot_keep,
            # Each incarnation its own draws: a restarted member must not replay its old timeouts.
            "seed": f"{self.seed}/{member}/{next(self._incarnations)}",
        }

    # -- the consensus contract ------------------------------------------------

    def propose(self, command: object) -> ProposeOutcome:
        """Ask the member that leads; try again after definite refusals until the client timeout."""
        deadline = time.monotonic() + self.provider.client_timeout
        self._event(f"propose {command!r}: invoked")
        while time.monotonic() < deadline:
            target = self._choose_member(deadline)
            if target is None:
                self._sleep_until(deadline, self.provider.retry_pause)
                continue
            answer = self.request(target, "propose", command, deadline=deadline)
            if answer is NOT_SENT:
                self._sleep_until(deadline, self.provider.retry_pause)
                continue  # never reached the member (it was just crashed): try again
            if answer is None or answer is GONE:
                why = "no answer" if answer is None else "its process ended"
                self._event(f"propose {command!r}: unknown ({why} from {target})")
                return ProposeOutcome("unknown")
            (result,) = answer
            if result[0] == "committed":
                self._event(f"propose {command!r}: committed at {result[1]} via {target}")
                self._leader_hint = target
                return ProposeOutcome("committed", result[1], result[2])
            if result[0] == "refused" and not result[2]:
                self._event(f"propose {command!r}: rejected by {target} ({result[1]})")
                return ProposeOutcome("rejected")
            # not_leader, a transient refusal, or lost (another entry took its index, so this
            # copy can never commit): never applied, safe to try again.
            self._note_refusal(target, result)
            self._event(f"propose {command!r}: {result[0]} from {target}, trying again")
            self._sleep_until(deadline, self.provider.retry_pause)
        self._event(f"propose {command!r}: rejected (every attempt was refused)")
        return ProposeOutcome("rejected")

    def status(self) -> Mapping[str, MemberStatus]:
        """Every running, unpaused member's status (a paused one cannot answer)."""
        snapshots = self.snapshots(time.monotonic() + self.provider.status_timeout)
        silent = [m for m in self.reachable() if m not in snapshots]
        if silent:
            raise MemberFailed(
                f"member(s) {silent} are running and not paused but did not report their status within "
                f"{self.provider.status_timeout:g} s\n{self.timeline(30)}"
            )
        return snapshots

    # -- the optional capabilities: reads and leadership transfer ----------------

    def read(self, member: str | None = None) -> ReadOutcome:
        """A linearizable read (ReadIndex), asking ``member`` first if given and reachable."""
        deadline = time.monotonic() + self.provider.client_timeout
        target = member if member in self.reachable() else None
        while time.monotonic() < deadline:
            target = target or self._choose_member(deadline)
            if target is None:
                self._sleep_until(deadline, self.provider.retry_pause)
                continue
            answer = self.request(target, "read", deadline=deadline)
            if answer is None or answer is GONE:
                return ReadOutcome("failed")
            if answer is NOT_SENT:
                target = None
                continue
            (result,) = answer
            if result[0] == "ok":
                return ReadOutcome("ok", result[1])
            hint = result[1] if result[0] == "not_leader" else None
            target = hint if hint in self.reachable() else None
            self._sleep_until(deadline, self.provider.retry_pause)
        return ReadOutcome("failed")

    def transfer_leadership(self, target: str) -> TransferOutcome:
        """Ask the leader to hand over to ``target``; ``transferred`` once ``target`` leads."""
        deadline = time.monotonic() + self.provider.client_timeout
        while time.monotonic() < deadline:
            leader = self._choose_member(deadline)
            if leader is None:
                self._sleep_until(deadline, self.provider.retry_pause)
                continue
            if leader == target and self._leads(target, deadline):
                return "transferred"
            answer = self.request(leader, "transfer", target, deadline=deadline)
            if answer is None or answer is GONE:
                return "failed"
            if answer is NOT_SENT:
                continue
            (result,) = answer
            if result[0] == "refused" and not result[2]:
                return "failed"
            if result[0] == "started":
                wait_until = min(deadline, time.monotonic() + 2 * self.provider.election_timeout_ns / NS)
                while time.monotonic() < wait_until:
                    if self._leads(target, wait_until):
                        return "transferred"
                    self._sleep_until(wait_until, self.provider.retry_pause)
                return "failed"
            self._sleep_until(deadline, self.provider.retry_pause)
        return "failed"

    # -- internals ---------------------------------------------------------------

    def _leads(self, member: str, deadline: float) -> bool:
        status = self.snapshots(deadline).get(member)
        return status is not None and status.role == "leader"

    def _note_refusal(self, member: str, result: tuple[Any, ...]) -> None:
        if result[0] == "not_leader" and result[1] in self.reachable():
            self._leader_hint = result[1]

    def _choose_member(self, deadline: float) -> str | None:
        """Whom a client asks: the member leading the highest term, else the last hint, else any."""
        snapshots = self.snapshots(min(deadline, time.monotonic() + self.provider.status_timeout))
        leaders = [(s.term, m) for m, s in snapshots.items() if s.role == "leader"]
        if leaders:
            return max(leaders)[1]
        if self._leader_hint in snapshots:
            return self._leader_hint
        reachable = self.reachable()
        return reachable[0] if reachable else None


@dataclass
class TcpRaftProvider:
    """The ``consensus`` component of ``--impl reference-tcp``: wall-clock ticks of ``tick_ms``."""

    deterministic: bool = False
    exposes_logs: bool = True
    capabilities: frozenset[str] = frozenset({"read", "transfer"})
    config: RaftConfig = field(default_factory=RaftConfig)
    tick_ms: int = 20
    snapshot_every: int | None = 8
    snapshot_keep: int = 2
    #: How long ``propose`` keeps trying before it answers ``unknown``/``rejected``.
    client_timeout: float = 2.0
    retry_pause: float = 0.02
    status_timeout: float = 5.0
    startup_timeout: float = 20.0
    timeline_limit: int = 500

    @property
    def election_timeout_ns(self) -> int:
        """The longest randomized election timeout, plus the tick that notices it has passed."""
        return 2 * self.config.election_ticks * self.tick_ms * 1_000_000

    @property
    def convergence_time_ns(self) -> int:
        return 10 * self.election_timeout_ns

    def new_cluster(self, *, size: int, entropy: Any = None) -> TcpRaftCluster:
        """``entropy`` seeds the members' election timeouts, if it can give a number; it cannot
        make wall-clock runs replay."""
        seed = entropy.randint(0, 2**31) if hasattr(entropy, "randint") else 0
        return TcpRaftCluster(size, self, seed)


@dataclass(frozen=True)
class TcpRaftImplementation:
    name: str = "reference-tcp"
    description: str = "kspec's reference Raft, one OS process per member over TCP on loopback, fsynced files"
    components: Mapping[str, Any] = field(default_factory=lambda: {"consensus": TcpRaftProvider()})


def implementation() -> TcpRaftImplementation:
    """The factory ``--impl reference-tcp`` loads (entry point ``kspec.implementations``)."""
    return TcpRaftImplementation()
