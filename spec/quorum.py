"""Quorum arithmetic: majorities, fault tolerance and joint configurations.

What it models: the seed's fault-tolerance table for an etcd cluster of n
members (seed, "etcd": "3 nodes: Can tolerate 1 node failure (quorum = 2)",
"5 nodes: ... 2 ... (quorum = 3)", "7 nodes: ... 3 ... (quorum = 4)",
"fault tolerance = (n - 1) / 2"), and the majority rule that Raft's safety
rests on (Ongaro & Ousterhout, section 5.2: a candidate wins with votes
from a majority of the servers, and "the majority rule ensures that at most
one candidate can win the election for a particular term"). During a
membership change Raft goes through joint consensus (section 6): a decision
needs separate majorities of the old and of the new configuration, as
etcd-io/raft's ``quorum/joint.go`` does (``JointConfig.VoteResult`` wins only
when both halves win).

This module is the single place where the project counts a majority; the
reference implementation and the suite should call it rather than repeat
``n // 2 + 1``. ``invariants/quorum.py`` proves its requirements with Z3 and
ties each encoding to the functions here by differential tests.

A configuration is a non-empty set of member IDs. Only votes of members of a
configuration count towards its quorum (etcd's ``MajorityConfig.VoteResult``
looks only at the IDs in the configuration).

Requirements defined here:

- QUORUM-INTERSECTION (section 5.2; seed): any two majority quorums of one
  configuration share a member of it.
- QUORUM-FAULT-TOLERANCE (seed, "etcd"): ``(n - 1) / 2`` rounded down is the
  largest number of failed members that still leaves a quorum.
- QUORUM-JOINT-INTERSECTION (section 6; etcd-io/raft quorum/joint.go): every
  joint quorum shares a member with every quorum of the old and of the new
  configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

from spec.requirements import requirement

_PAPER = "Ongaro & Ousterhout, In Search of an Understandable Consensus Algorithm"
_SEED_ETCD = (
    'seed, "etcd": "3 nodes: Can tolerate 1 node failure (quorum = 2) ... 7 nodes: Can tolerate 3 '
    'node failures (quorum = 4)", "fault tolerance = (n - 1) / 2"'
)

QUORUM_INTERSECTION = requirement(
    "QUORUM-INTERSECTION",
    "Any two majority quorums of the same configuration MUST share at least one member of that "
    "configuration.",
    component="consensus",
    source=f"{_PAPER}, section 5.2 (the majority rule: at most one leader per term); {_SEED_ETCD}",
)
QUORUM_FAULT_TOLERANCE = requirement(
    "QUORUM-FAULT-TOLERANCE",
    "A configuration of n members MUST still have a majority quorum with any (n - 1) / 2 (rounded down) "
    "of its members failed, and MUST NOT with one more failed: 3 -> 1, 5 -> 2, 7 -> 3.",
    component="consensus",
    source=_SEED_ETCD,
)
QUORUM_JOINT_INTERSECTION = requirement(
    "QUORUM-JOINT-INTERSECTION",
    "During a joint-consensus configuration change, every joint quorum (a majority of the old AND a "
    "majority of the new configuration) MUST share a member with every majority quorum of the old "
    "configuration and with every majority quorum of the new configuration.",
    component="consensus",
    source=f"{_PAPER}, section 6 (joint consensus); etcd-io/raft quorum/joint.go JointConfig.VoteResult",
)


def majority(n: int) -> int:
    """The smallest quorum of a configuration of ``n`` members: more than half of them."""
    if n < 1:
        raise ValueError(f"a configuration has at least one member, not {n}")
    return n // 2 + 1


def is_quorum(voters: frozenset[str], config: frozenset[str]) -> bool:
    """Whether ``voters`` include a majority of ``config``; votes from non-members do not count."""
    return len(voters & config) >= majority(len(config))


def fault_tolerance(n: int) -> int:
    """How many of ``n`` members may fail with a quorum left: the seed's ``(n - 1) / 2``, rounded down."""
    if n < 1:
        raise ValueError(f"a configuration has at least one member, not {n}")
    return (n - 1) // 2


@dataclass(frozen=True)
class JointConfig:
    """C_old,new of Raft section 6: the configuration in force while a membership change is under way."""

    old: frozenset[str]
    new: frozenset[str]

    def __post_init__(self) -> None:
        if not self.old or not self.new:
            raise ValueError(f"both halves of a joint configuration need members: {self!r}")


def is_joint_quorum(voters: frozenset[str], joint: JointConfig) -> bool:
    """A decision under joint consensus needs a majority of the old AND of the new configuration."""
    return is_quorum(voters, joint.old) and is_quorum(voters, joint.new)
