"""The consensus state machine: proposals, faults and time as rules; the Raft
safety requirements (spec/raft.py) checked against the accumulated history
after every step; a liveness phase at the end.

Rules: propose, wait, power (crash or restart a member), freeze (pause or
resume one), partition (isolate the leader, isolate one member, random groups
including bridges -- members in no group still talk to everyone, Jepsen's
"bridge" nemesis -- or heal), message chaos (drop, duplicate, reorder),
isolate the leader, and cut the leader off while a client's proposal reaches
it. Fault targets are the current leader about half the time, and the leader
is the simplest choice, the one failures shrink towards: the nemesis that
hurts most cuts off, pauses or kills the leader (Jepsen's leader-targeted
partitions). Repeating the first rule, Hypothesis' simplest schedule, cuts
off leader after leader mid-proposal: figure 8's schedule.

Requirement families, checked only when enabled so that each test's report
covers exactly what it checked:

- ``status``: what any implementation's status shows (RAFT-ELECTION-SAFETY,
  RAFT-STATE-MACHINE-SAFETY, RAFT-COMMIT-MONOTONIC, RAFT-APPLY-COMMITTED,
  RAFT-PROPOSAL-OUTCOME);
- ``log``: what needs the members' logs (RAFT-LEADER-APPEND-ONLY,
  RAFT-LOG-MATCHING, RAFT-LEADER-COMPLETENESS);
- ``membership``: rules that add and remove members, and RAFT-CONFIG-SAFETY
  and RAFT-CONFIG-REMOVED-LEADER on the members' logs;
- ``transfer``: a rule that hands leadership over (no requirement of its
  own: it is there for the other families to check what follows);
- ``read``: a rule that reads through the adapter and checks
  RAFT-READ-LINEARIZABLE: every command acknowledged committed before the
  read was issued is in what it returns;
- ``liveness``: RAFT-LIVENESS in teardown. Faults stop: the network heals,
  paused members resume and crashed ones restart until a majority of the
  current configuration is up (the rest stay down, so a bare majority must
  suffice; if a membership change ended with an unknown outcome, the
  configuration is not known and every crashed member restarts); within
  ``LIVENESS_ELECTION_TIMEOUTS`` election timeouts a leader must be followed
  by every running member and stay so for one more, and a proposal then
  must commit. Then the rest restart and every member must apply every
  committed entry within the provider's convergence time. From the start of this phase
  the simulation's random choices come from a seeded stream instead of
  Hypothesis: Raft's liveness rests on randomized election timeouts (section
  5.2), and an adversary that picks every timeout and latency (Hypothesis
  shrinks them all to the same value) splits every vote forever, as FLP says
  some schedule must. FoundationDB's and VOPR's liveness modes are random too.

The ``membership``, ``transfer`` and ``read`` rules live in
``CapabilityMachine`` and apply only when the provider declares the
capability (``conformance.adapters.consensus``) and the family is enabled;
``machine_for`` uses the plain ``ConsensusMachine`` when none is, so an
adapter without them runs exactly the rules, and the derandomized
schedules, it ran before they existed.

Kept apart from the test module so the project's own tests can aim it at
deliberately broken nodes and show that it catches them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from conformance.adapters.consensus import (
    ConsensusCluster,
    ConsensusProvider,
    MembershipCluster,
    ReadCluster,
    TransferCluster,
    capabilities,
)
from conformance.adapters.faults import Faults, MessageFaults
from conformance.strategies.entropy import entropies
from conformance.violation import RequirementViolation, require
from spec.entropy import Entropy, SeededEntropy
from spec.quorum import is_quorum
from spec.raft import (
    LIVENESS_ELECTION_TIMEOUTS,
    RAFT_APPLY_COMMITTED,
    RAFT_COMMIT_MONOTONIC,
    RAFT_CONFIG_REMOVED_LEADER,
    RAFT_CONFIG_SAFETY,
    RAFT_ELECTION_SAFETY,
    RAFT_LEADER_APPEND_ONLY,
    RAFT_LEADER_COMPLETENESS,
    RAFT_LIVENESS,
    RAFT_LOG_MATCHING,
    RAFT_PROPOSAL_OUTCOME,
    RAFT_READ_LINEARIZABLE,
    RAFT_STATE_MACHINE_SAFETY,
    ChangeOutcome,
    ConfigAction,
    MemberStatus,
    Observation,
    RaftHistory,
    agreed_leader,
    apply_committed,
    commit_monotonic,
    config_safety,
    current_config,
    election_safety,
    leader_append_only,
    leader_completeness,
    leader_of,
    log_matching,
    missing_applied,
    proposal_outcomes,
    read_linearizable,
    removed_leader,
    state_machine_safety,
)
from spec.requirements import Requirement

CLUSTER_SIZES = (1, 3, 5)
FAMILIES = frozenset({"status", "log", "liveness", "membership", "transfer", "read"})
#: Bounds on how far ``membership_add`` grows a cluster (configuration members; processes started).
MAX_CONFIG_SIZE = 6
MAX_PROCESSES = 7
TIMELINE_EVENTS = 60
#: A real run cannot be replayed, so its failure message carries a longer history.
WALL_CLOCK_TIMELINE_EVENTS = 400

Check = Callable[[RaftHistory, Observation], list[str]]

STATUS_CHECKS: tuple[tuple[Requirement, Check], ...] = (
    (RAFT_ELECTION_SAFETY, election_safety),
    (RAFT_STATE_MACHINE_SAFETY, state_machine_safety),
    (RAFT_COMMIT_MONOTONIC, commit_monotonic),
    (RAFT_APPLY_COMMITTED, lambda history, observation: apply_committed(observation)),
    (RAFT_PROPOSAL_OUTCOME, proposal_outcomes),
)
LOG_CHECKS: tuple[tuple[Requirement, Check], ...] = (
    (RAFT_LEADER_APPEND_ONLY, leader_append_only),
    (RAFT_LOG_MATCHING, lambda history, observation: log_matching(observation)),
    (RAFT_LEADER_COMPLETENESS, leader_completeness),
)
#: The membership family's checks; they read the logs, so they need them exposed.
CONFIG_CHECKS: tuple[tuple[Requirement, Check], ...] = (
    (RAFT_CONFIG_SAFETY, config_safety),
    (RAFT_CONFIG_REMOVED_LEADER, removed_leader),
)

RATES = (0.0, 0.05, 0.3)

T = TypeVar("T")


class _Fairness:
    """Shared by a ``FairLater`` stream and its forks: whether the fair stream is in use."""

    __slots__ = ("fair",)

    def __init__(self) -> None:
        self.fair = False


class FairLater:
    """An ``Entropy`` that follows ``driven`` (Hypothesis) until ``make_fair()``, then ``fair`` (seeded).

    Forks stay paired, so every stream the simulation forked switches at once.
    """

    __slots__ = ("_driven", "_fair", "_fairness")

    def __init__(self, driven: Entropy, fair: Entropy, fairness: _Fairness | None = None) -> None:
        self._driven = driven
        self._fair = fair
        self._fairness = fairness or _Fairness()

    def make_fair(self) -> None:
        self._fairness.fair = True

    def _current(self) -> Entropy:
        return self._fair if self._fairness.fair else self._driven

    def random(self) -> float:
        return self._current().random()

    def randint(self, a: int, b: int) -> int:
        return self._current().randint(a, b)

    def choice(self, seq: Sequence[T]) -> T:
        return self._current().choice(seq)

    def fork(self, label: str) -> FairLater:
        return FairLater(self._driven.fork(label), self._fair.fork(label), self._fairness)

    def __repr__(self) -> str:
        return f"FairLater(fair={self._fairness.fair}, driven={self._driven!r}, then={self._fair!r})"


class ConsensusMachine(RuleBasedStateMachine):
    # Set by ``machine_for``.
    provider: ClassVar[ConsensusProvider]
    families: ClassVar[frozenset[str]] = FAMILIES
    sizes: ClassVar[tuple[int, ...]] = CLUSTER_SIZES

    def __init__(self) -> None:
        super().__init__()
        self.cluster: ConsensusCluster | None = None
        self.entropy: FairLater | None = None
        self.size = 0
        self.history = RaftHistory()
        self.last: Observation = {}
        self.next_command = 1
        self.crashed: set[str] = set()
        self.paused: set[str] = set()
        self.partitioned = False
        #: The configuration as clients were told it (start, then every committed change), or None
        #: once a change ended with an unknown outcome.
        self.configuration: frozenset[str] | None = None

    # -- set-up -----------------------------------------------------------

    @initialize(data=st.data())
    def start(self, data: st.DataObject) -> None:
        self.size = data.draw(st.sampled_from(self.sizes), label="cluster size")
        driven = data.draw(entropies(), label="entropy")
        seed = data.draw(st.integers(min_value=0, max_value=2**64 - 1), label="liveness seed")
        self.entropy = FairLater(driven, SeededEntropy(seed))
        self.cluster = self.provider.new_cluster(size=self.size, entropy=self.entropy)
        self.configuration = frozenset(self.members())

    @property
    def faults(self) -> Faults | None:
        return self.cluster if isinstance(self.cluster, Faults) else None

    def members(self) -> tuple[str, ...]:
        return self.faults.members() if self.faults else ()

    def leader_first(self, candidates: list[str]) -> list[str]:
        """``candidates`` with the member that leads (as last observed) first."""
        leader = leader_of(self.last)
        return sorted(candidates, key=lambda m: (m != leader, m))

    def draw_target(self, data: st.DataObject, candidates: list[str], label: str) -> str:
        """A fault target: the leader about half the time (and when shrinking), else any candidate."""
        ordered = self.leader_first(candidates)
        return data.draw(st.one_of(st.just(ordered[0]), st.sampled_from(ordered)), label=label)

    # -- client operations and time ---------------------------------------

    @rule()
    def propose(self) -> None:
        assert self.cluster is not None
        command, self.next_command = self.next_command, self.next_command + 1
        self.history.proposal_completed(command, self.cluster.propose(command))

    @rule(fraction=st.integers(min_value=1, max_value=300))
    def wait(self, fraction: int) -> None:
        """Let up to three election timeouts pass (in hundredths of one)."""
        assert self.cluster is not None
        self.cluster.advance(max(1, self.provider.election_timeout_ns * fraction // 100))

    # -- faults (only if the adapter supports them) -----------------------
    #
    # Few rules, each with several moves, so each step is likelier to be the one
    # a schedule needs. Hypothesis orders rules by argument count, then name,
    # and its index draw favours the first: ``cut_off_leader_mid_proposal``.

    @precondition(lambda self: self.faults is not None)
    @rule(data=st.data())
    def power(self, data: st.DataObject) -> None:
        """Crash a running member (kill -9), or restart a crashed one from its disk."""
        member = self.draw_target(data, list(self.members()), "power")
        assert self.faults is not None
        if member in self.crashed:
            self._restart(member)
        else:
            self.faults.crash(member)
            self.crashed.add(member)
            self.paused.discard(member)

    @precondition(lambda self: self.faults is not None)
    @rule(data=st.data())
    def freeze(self, data: st.DataObject) -> None:
        """Pause a running member (SIGSTOP), or resume a paused one."""
        running = [m for m in self.members() if m not in self.crashed]
        if not running:
            return
        member = self.draw_target(data, running, "freeze")
        assert self.faults is not None
        if member in self.paused:
            self.faults.resume(member)
            self.paused.discard(member)
        else:
            self.faults.pause(member)
            self.paused.add(member)

    @precondition(lambda self: self.faults is not None and len(self.members()) > 1)
    @rule()
    def isolate_leader(self) -> None:
        """Cut the member that leads (as last observed) off from everyone: a minority leader."""
        leader = leader_of(self.last)
        if leader is None:
            return
        assert self.faults is not None
        self.faults.partition([[leader], [m for m in self.members() if m != leader]])
        self.partitioned = True

    @precondition(lambda self: self.faults is not None and len(self.members()) > 1)
    @rule()
    def cut_off_leader_mid_proposal(self) -> None:
        """A client's proposal reaches the leader just as the leader is cut off from everyone.

        Jepsen's clients write while the nemesis acts; with one sequential
        client, this is that overlap: the leader appends an entry nobody else
        gets, while the others elect a new leader. Divergent uncommitted
        entries like this are what log repair (conflict truncation, the
        figure 8 commit rule) exists for.
        """
        self.isolate_leader()
        self.propose()

    @precondition(lambda self: self.faults is not None and len(self.members()) > 1)
    @rule(data=st.data())
    def partition(self, data: st.DataObject) -> None:
        """Isolate one member, split into two random groups, or heal.

        In random groups, members in neither group talk to both (a bridge).
        """
        members = self.leader_first(list(self.members()))
        topology = data.draw(st.sampled_from(("heal", "isolate one", "groups")), label="topology")
        assert self.faults is not None
        if topology == "heal":
            self.faults.heal()
            self.partitioned = False
            return
        if topology == "isolate one":
            member = data.draw(st.sampled_from(members), label="isolated")
            groups = [[member], [m for m in members if m != member]]
        else:
            sides = data.draw(
                st.lists(st.sampled_from((0, 1, None)), min_size=len(members), max_size=len(members)),
                label="sides",
            )
            groups = [[m for m, side in zip(members, sides, strict=True) if side == s] for s in (0, 1)]
            if not groups[0] or not groups[1]:
                return  # nobody is cut off from anybody
        self.faults.partition(groups)
        self.partitioned = True

    @precondition(lambda self: isinstance(self.cluster, MessageFaults))
    @rule(data=st.data())
    def message_chaos(self, data: st.DataObject) -> None:
        """Set the network's drop, duplicate and reorder rates (0 is the simplest)."""
        drop, duplicate, reorder = (
            data.draw(st.sampled_from(RATES), label=kind) for kind in ("drop", "duplicate", "reorder")
        )
        assert isinstance(self.cluster, MessageFaults)
        self.cluster.set_message_faults(drop_rate=drop, duplicate_rate=duplicate, reorder_rate=reorder)

    def can(self, capability: str) -> bool:
        """Whether ``capability`` is both enabled (as a family) and offered by the provider."""
        return capability in self.families and capability in capabilities(self.provider)

    # -- safety after every step -------------------------------------------

    @invariant()
    def safety(self) -> None:
        if self.cluster is not None:
            self.observe()

    def observe(self) -> Observation:
        """Read every member's status, check the enabled requirements against the history, record it."""
        assert self.cluster is not None
        observation = dict(self.cluster.status())
        checks: list[tuple[Requirement, Check]] = []
        if "status" in self.families:
            checks += STATUS_CHECKS
        exposes_logs = any(s.log is not None for s in observation.values())
        if "log" in self.families and exposes_logs:
            checks += LOG_CHECKS
        if self.can("membership") and exposes_logs:
            checks += CONFIG_CHECKS
        for requirement, check in checks:
            problems = check(self.history, observation)
            if problems:
                detail = self._explain("\n".join(problems), observation)
                raise RequirementViolation(requirement, detail)
        self.history.record(observation)
        self.last = observation
        return observation

    # -- liveness at the end -----------------------------------------------

    def teardown(self) -> None:
        if self.cluster is None:
            return
        try:
            if "liveness" in self.families:
                self._liveness_phase()
        finally:
            self.cluster.close()

    def _liveness_phase(self) -> None:
        assert self.cluster is not None
        if self.entropy is not None:
            self.entropy.make_fair()
        if isinstance(self.cluster, MessageFaults):
            self.cluster.set_message_faults(drop_rate=0.0, duplicate_rate=0.0, reorder_rate=0.0)
        if self.faults is not None:
            self.faults.heal()
            self.partitioned = False
            for member in sorted(self.paused):
                self.faults.resume(member)
            self.paused.clear()
            # Restart only until a majority of the configuration is up: a bare
            # majority must suffice. Not knowing the configuration, restart all.
            config = self.configuration
            for member in sorted(self.crashed, key=lambda m: (config is not None and m not in config, m)):
                if config and is_quorum(config - self.crashed, config):
                    break
                self._restart(member)
        timeout = self.provider.election_timeout_ns
        bound = LIVENESS_ELECTION_TIMEOUTS * timeout
        # Stable: the same leader, followed by all, for a whole election timeout.
        # A leader seen the instant a partition heals may still step down at
        # its next CheckQuorum check, which counts the time it was cut off.
        held: list[tuple[str, int, int]] = []  # (leader, term, ns waited when first seen)

        def stable(observation: Observation, waited: int) -> bool:
            leader = agreed_leader(observation)
            if leader is None:
                held.clear()
                return False
            term = observation[leader].term
            if not held or held[0][:2] != (leader, term):
                held[:] = [(leader, term, waited)]
            return waited - held[0][2] >= timeout

        settled = self._poll(stable, bound + timeout)
        require(
            RAFT_LIVENESS,
            settled is not None,
            lambda: self._explain(
                f"no leader that every running member follows for an election timeout within "
                f"{bound / 1e9:g} s ({LIVENESS_ELECTION_TIMEOUTS} election timeouts) after faults stopped "
                f"with {sorted(self.crashed) or 'no'} members down",
                self.last,
            ),
        )
        command, self.next_command = self.next_command, self.next_command + 1
        outcome = self.cluster.propose(command)
        self.history.proposal_completed(command, outcome)
        require(
            RAFT_LIVENESS,
            outcome.status == "committed",
            lambda: self._explain(f"with a leader and no faults, a proposal ended {outcome!r}", self.last),
        )
        self.observe()
        if self.faults is not None:
            for member in sorted(self.crashed):
                self._restart(member)
        wanted = [*self.history.acknowledged.values(), *self.history.changes]
        bound = self.provider.convergence_time_ns

        def lagging(observation: Observation) -> dict[str, list[int]]:
            # Members of the configuration the leader reports: a removed one gets nothing more.
            return missing_applied(observation, wanted, current_config(observation))

        converged = self._poll(lambda obs, waited: not lagging(obs), bound)
        require(
            RAFT_LIVENESS,
            converged is not None,
            lambda: self._explain(
                f"{bound / 1e9:g} s after every member was back, some had not "
                f"applied every committed entry: {lagging(self.last)}",
                self.last,
            ),
        )

    def _restart(self, member: str) -> None:
        assert self.faults is not None
        self.faults.restart(member)
        self.crashed.discard(member)
        self.history.restarted(member)

    def _poll(self, done: Callable[[Observation, int], bool], bound_ns: int) -> Observation | None:
        """Observe (checking safety) every tenth of an election timeout until ``done(observation,
        waited_ns)`` or ``bound_ns``; the observation that satisfied it, or None.

        A real (non-deterministic) provider's time is the wall clock's: observing takes time
        too, so ``waited`` is measured, not the sum of the steps advanced."""
        assert self.cluster is not None
        step = max(1, self.provider.election_timeout_ns // 10)
        clock = None if self.provider.deterministic else time.monotonic_ns
        began = clock() if clock else 0
        waited = 0
        while True:
            observation = self.observe()
            if done(observation, waited):
                return observation
            if waited >= bound_ns:
                return None
            self.cluster.advance(step)
            waited = clock() - began if clock else waited + step

    # -- reporting ---------------------------------------------------------

    def _explain(self, detail: str, observation: Observation) -> str:
        text = f"{detail}\n\nmembers now:\n{describe(observation)}"
        timeline = getattr(self.cluster, "timeline", None)
        if callable(timeline):
            events = TIMELINE_EVENTS if self.provider.deterministic else WALL_CLOCK_TIMELINE_EVENTS
            text += f"\n\nlast {events} events of the cluster:\n{timeline(events)}"
        return text


class CapabilityMachine(ConsensusMachine):
    """The machine with rules for the contract's optional capabilities: membership changes,
    leadership transfer, reads.

    A subclass, not more rules on ``ConsensusMachine``: Hypothesis draws
    among every rule a machine defines, enabled or not, so rules an adapter
    cannot use would still change which schedules a run tries. An adapter
    without the capabilities (or a run without their families) gets exactly
    the machine it had before they existed, and the same derandomized runs.
    """

    # Only where the provider declares the capability and the family is
    # enabled. No-argument rules are named to sort after
    # ``cut_off_leader_mid_proposal``, which stays Hypothesis' first choice.

    def config_now(self) -> list[str]:
        """The members of the configuration: as clients were told, else as the leader reports it,
        else every member observed."""
        if self.configuration:
            return sorted(self.configuration)
        return sorted(current_config(self.last) or self.last)

    @precondition(
        lambda self: (
            self.can("membership")
            and len(self.config_now()) < MAX_CONFIG_SIZE
            and len(self.members()) < MAX_PROCESSES
        )
    )
    @rule()
    def membership_add(self) -> None:
        """Start a new member and add it: the configuration grows by one."""
        assert isinstance(self.cluster, MembershipCluster)
        self._changed("add", self.cluster.add_member())

    @precondition(lambda self: self.can("membership") and len(self.config_now()) > 1)
    @rule(data=st.data())
    def membership_remove(self, data: st.DataObject) -> None:
        """Remove a member of the configuration, the leader about half the time (dissertation 4.2.2)."""
        member = self.draw_target(data, self.config_now(), "remove")
        assert isinstance(self.cluster, MembershipCluster)
        self._changed("remove", self.cluster.remove_member(member))

    def _changed(self, action: ConfigAction, outcome: ChangeOutcome) -> None:
        self.history.change_completed(action, outcome)
        if outcome.status == "unknown":
            self.configuration = None  # it may commit yet, or never
        elif outcome.status == "committed" and self.configuration is not None:
            if action == "add":
                self.configuration |= {outcome.member}
            else:
                self.configuration -= {outcome.member}
        if action == "remove" and outcome.status == "committed":
            self.crashed.discard(outcome.member)  # the adapter shut it down for good
            self.paused.discard(outcome.member)

    @precondition(lambda self: self.can("transfer") and len(self.config_now()) > 1)
    @rule(data=st.data())
    def transfer_leadership(self, data: st.DataObject) -> None:
        """Ask the leader to hand over to another member of the configuration."""
        leader = leader_of(self.last)
        target = data.draw(
            st.sampled_from([m for m in self.config_now() if m != leader]), label="transfer to"
        )
        assert isinstance(self.cluster, TransferCluster)
        self.cluster.transfer_leadership(target)

    @precondition(lambda self: self.can("read"))
    @rule(data=st.data())
    def read(self, data: st.DataObject) -> None:
        """A linearizable read through a member: the one claiming to lead the oldest term as last
        observed about half the time (a client still connected to a deposed leader), else any."""
        running = [m for m in self.members() if m not in self.crashed]
        claimed = sorted((s.term, m) for m, s in self.last.items() if s.role == "leader" and m in running)
        first = claimed[0][1] if claimed else None
        ordered = sorted(running, key=lambda m: (m != first, m))
        asked = None
        if ordered:
            asked = data.draw(st.one_of(st.just(ordered[0]), st.sampled_from(ordered)), label="read via")
        self._read_through(asked)

    @precondition(lambda self: self.can("read") and self.faults is not None and len(self.members()) > 1)
    @rule()
    def read_through_deposed_leader(self) -> None:
        """The leader freezes (SIGSTOP, a long GC pause); the others elect a leader and a proposal
        commits; the old leader wakes up still believing it leads, and a client connected to it
        reads at once. Jepsen's stale read: a leader that answers reads from its own state without
        confirming that it still leads returns one here."""
        leader = leader_of(self.last)
        if leader is None or leader in self.paused:
            return
        assert self.faults is not None and self.cluster is not None
        self.faults.pause(leader)
        self.cluster.advance(2 * self.provider.election_timeout_ns)
        self.propose()
        self.faults.resume(leader)
        self._read_through(leader)

    def _read_through(self, asked: str | None) -> None:
        """Read (asking ``asked`` first) and check RAFT-READ-LINEARIZABLE against what clients were
        told before the read was issued."""
        acknowledged = dict(self.history.acknowledged)
        assert isinstance(self.cluster, ReadCluster)
        outcome = self.cluster.read(asked)
        problems = read_linearizable(acknowledged, self.history.rejected, outcome)
        if problems:
            detail = f"a read through {asked or 'the leader'}: " + "\n".join(problems)
            raise RequirementViolation(RAFT_READ_LINEARIZABLE, self._explain(detail, self.last))


def describe(observation: Mapping[str, MemberStatus]) -> str:
    lines = []
    for member, s in sorted(observation.items()):
        log = "" if s.log is None else f" log={list(s.log)}"
        config = "" if s.config is None else f" config={sorted(s.config)}"
        lines.append(
            f"  {member}: term {s.term} {s.role} vote={s.voted_for} commit={s.commit_index} "
            f"applied={s.last_applied}{config}{log}"
        )
    return "\n".join(lines) or "  (no member up)"


def machine_for(
    provider: ConsensusProvider,
    *,
    families: frozenset[str] = FAMILIES,
    sizes: tuple[int, ...] = CLUSTER_SIZES,
) -> type[ConsensusMachine]:
    """A machine class bound to ``provider`` (Hypothesis builds machines with no arguments)."""
    unknown = families - FAMILIES
    if unknown:
        raise ValueError(f"unknown requirement families {sorted(unknown)}; known: {sorted(FAMILIES)}")
    attributes: dict[str, Any] = {"provider": provider, "families": families, "sizes": sizes}
    base = CapabilityMachine if families & capabilities(provider) else ConsensusMachine
    return type("ConsensusMachine", (base,), attributes)


__all__ = ["CLUSTER_SIZES", "FAMILIES", "CapabilityMachine", "ConsensusMachine", "describe", "machine_for"]
