"""The ``consensus`` contract: a replicated log the suite can propose to and observe.

A provider makes clusters. A cluster takes one proposal at a time and reports
each running member's status (``spec.raft.MemberStatus``: term, role, commit
index, what it applied and, if the implementation exposes it, its log), from
which the suite checks the Raft requirements in ``spec/raft.py`` after every
step. A cluster that also satisfies ``faults.Faults`` (and
``faults.MessageFaults``) gets fault rules in the state machine; one that
also satisfies ``ConcurrentClients`` is checked for linearizability of what
concurrent clients observe.

Value types (``MemberStatus``, ``ProposeOutcome``, ``LogEntry``) live in
``spec.raft`` so that implementations need not import the suite.

Deterministic providers run in a simulator and take an ``entropy`` object
(``spec.entropy.Entropy``) that the suite drives from Hypothesis, so every
message delay, drop and election timeout is a choice that replays and
shrinks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from spec.raft import MemberStatus, ProposeOutcome


class ConsensusCluster(Protocol):
    def propose(self, command: object) -> ProposeOutcome:
        """Propose ``command`` (never None; the suite makes each one unique).

        The adapter finds the leader itself and may retry where the
        implementation definitely did not append the command (not the leader,
        or its entry lost to another), all within a bounded client timeout:
        ``committed`` with the index, ``rejected`` if no attempt can ever be
        applied, ``unknown`` otherwise.
        """
        ...

    def status(self) -> Mapping[str, MemberStatus]:
        """Each running member's status now, by member name (crashed members are absent)."""
        ...

    def advance(self, duration_ns: int) -> None:
        """Let time pass with no client operation (simulated time for a deterministic adapter)."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class ConcurrentClients(Protocol):
    """Optional: many clients at once, for RAFT-CLIENT-LINEARIZABLE.

    The implementation's state machine is the register of
    ``spec.raft.apply_register``: a committed ``RegisterRead`` answers, in
    ``ProposeOutcome.result``, the value the register had where the read sits
    in the log. ``submit`` returns at once; the suite lets time pass with
    ``advance`` and asks ``outcome`` until it is not None. Each submission
    ends in one outcome, as ``propose``'s would (committed, rejected, or
    unknown once its client timeout has passed).
    """

    def submit(self, command: object) -> int:
        """Start proposing ``command``; returns a ticket for ``outcome``."""
        ...

    def outcome(self, ticket: int) -> ProposeOutcome | None:
        """The submission's outcome, or None while it is still undecided."""
        ...


class ConsensusProvider(Protocol):
    #: True if clusters run in a simulator and replay exactly from ``entropy``.
    deterministic: bool
    #: True if ``MemberStatus.log`` is filled in; the log-based requirements
    #: (RAFT-LEADER-APPEND-ONLY, RAFT-LOG-MATCHING, RAFT-LEADER-COMPLETENESS)
    #: are reported not applicable otherwise.
    exposes_logs: bool

    @property
    def election_timeout_ns(self) -> int:
        """The longest election timeout a member may wait (RAFT-LIVENESS counts in these)."""
        ...

    @property
    def convergence_time_ns(self) -> int:
        """How long after faults stop every member may take to apply every committed entry."""
        ...

    def new_cluster(self, *, size: int, entropy: Any) -> ConsensusCluster: ...
