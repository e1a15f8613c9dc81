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

Optional capabilities. A provider lists in ``capabilities`` what its
clusters offer beyond proposals and status; the state machine applies the
matching rules only then, and the suite reports the matching requirements
not applicable otherwise (a provider without the attribute has none):

- ``"membership"``: ``MembershipCluster`` -- add a new member, remove one
  (RAFT-CONFIG-SAFETY, RAFT-CONFIG-REMOVED-LEADER; ``MemberStatus.config``
  should then be reported, and configuration entries carry
  ``spec.raft.ConfigChange`` so that the log shows them);
- ``"transfer"``: ``TransferCluster`` -- hand leadership to a member;
- ``"read"``: ``ReadCluster`` -- a linearizable read of the replicated state
  machine (RAFT-READ-LINEARIZABLE).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from spec.raft import ChangeOutcome, MemberStatus, ProposeOutcome, ReadOutcome, TransferOutcome

CAPABILITIES = frozenset({"membership", "transfer", "read"})


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


@runtime_checkable
class MembershipCluster(Protocol):
    """Single-server membership changes, one member added or removed at a time (capability
    ``"membership"``). Outcomes as for ``propose``: ``committed`` at the index of the configuration
    entry, ``rejected`` if it was never appended (including a change the leader refuses for good,
    such as removing the last member), ``unknown`` otherwise."""

    def add_member(self) -> ChangeOutcome:
        """Start a new member under a name never used before, and add it to the configuration.

        The new member appears in ``status`` and, if the cluster has faults,
        in ``members()``; if the change is rejected it is shut down again.
        """
        ...

    def remove_member(self, member: str) -> ChangeOutcome:
        """Remove ``member`` from the configuration; once that commits, the adapter shuts it down
        and it leaves ``members()`` (etcd stops a removed member)."""
        ...


@runtime_checkable
class TransferCluster(Protocol):
    """Leadership transfer (capability ``"transfer"``, dissertation 3.10)."""

    def transfer_leadership(self, target: str) -> TransferOutcome:
        """Ask the leader to hand over to ``target``: ``transferred`` once ``target`` leads, within a
        bounded wait; ``failed`` otherwise (no leader, target unreachable, transfer abandoned)."""
        ...


@runtime_checkable
class ReadCluster(Protocol):
    """Linearizable reads (capability ``"read"``), e.g. etcd's ReadIndex (dissertation 6.4)."""

    def read(self, member: str | None = None) -> ReadOutcome:
        """Read the replicated state machine: the client commands applied, in order.

        ``member``, if given, is asked first (a client connected to one
        member); the adapter may then go to the leader, within the client
        timeout. ``ok`` only for a read the implementation calls
        linearizable; ``failed`` when there was no answer.
        """
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


def capabilities(provider: object) -> frozenset[str]:
    """The optional capabilities ``provider`` declares (none if it does not say), known ones only."""
    declared: frozenset[str] = getattr(provider, "capabilities", frozenset())
    return frozenset(declared) & CAPABILITIES
