"""spec/quorum.py against the seed's table and the Raft paper, on concrete values."""

from __future__ import annotations

import pytest

from spec.quorum import JointConfig, fault_tolerance, is_joint_quorum, is_quorum, majority

ABC = frozenset("abc")


@pytest.mark.parametrize(("n", "quorum", "tolerated"), [(3, 2, 1), (5, 3, 2), (7, 4, 3)])
def test_the_seeds_table(n: int, quorum: int, tolerated: int) -> None:
    # seed, "etcd": "3 nodes: Can tolerate 1 node failure (quorum = 2)", and so on.
    assert majority(n) == quorum
    assert fault_tolerance(n) == tolerated


@pytest.mark.parametrize(("n", "quorum", "tolerated"), [(1, 1, 0), (2, 2, 0), (4, 3, 1), (6, 4, 2)])
def test_small_and_even_clusters(n: int, quorum: int, tolerated: int) -> None:
    # An even member adds no tolerance (seed: (n - 1) / 2 rounded down).
    assert majority(n) == quorum
    assert fault_tolerance(n) == tolerated


@pytest.mark.parametrize("n", [0, -1])
def test_a_configuration_needs_a_member(n: int) -> None:
    with pytest.raises(ValueError, match="at least one member"):
        majority(n)
    with pytest.raises(ValueError, match="at least one member"):
        fault_tolerance(n)
    with pytest.raises(ValueError, match="at least one member"):
        is_quorum(frozenset("a"), frozenset())


def test_a_quorum_is_more_than_half_of_the_configuration() -> None:
    assert is_quorum(frozenset("ab"), ABC)
    assert is_quorum(ABC, ABC)
    assert not is_quorum(frozenset("a"), ABC)
    assert not is_quorum(frozenset(), ABC)


def test_votes_from_outside_the_configuration_do_not_count() -> None:
    assert not is_quorum(frozenset("axyz"), ABC)
    assert is_quorum(frozenset("abx"), ABC)


def test_a_joint_quorum_needs_a_majority_of_both_halves() -> None:
    joint = JointConfig(old=ABC, new=frozenset("cde"))
    assert is_joint_quorum(frozenset("bcd"), joint)
    assert not is_joint_quorum(frozenset("ab"), joint)  # old only
    assert not is_joint_quorum(frozenset("de"), joint)  # new only
    assert is_joint_quorum(frozenset("abde"), joint)


def test_a_joint_configuration_needs_members_on_both_sides() -> None:
    with pytest.raises(ValueError, match="both halves"):
        JointConfig(old=ABC, new=frozenset())
    with pytest.raises(ValueError, match="both halves"):
        JointConfig(old=frozenset(), new=ABC)
