"""spec.workloads.deployment's rollback decision (kubectl rollout undo) and the revision check."""

from __future__ import annotations

import pytest

from spec.workloads.deployment import (
    PAUSED_ROLLBACK,
    RollbackRefused,
    revision_violations,
    rollback_revision,
)


def test_zero_goes_back_to_the_revision_before_the_latest() -> None:
    assert rollback_revision([1, 3, 2], 0, name="web", paused=False) == 2
    assert rollback_revision([5, 4], 0, name="web", paused=False) == 4


def test_a_named_revision_must_be_in_the_history() -> None:
    assert rollback_revision([1, 2, 3], 1, name="web", paused=False) == 1
    with pytest.raises(RollbackRefused, match="unable to find specified revision 7 in history"):
        rollback_revision([1, 2, 3], 7, name="web", paused=False)


def test_no_history_and_paused_are_refused() -> None:
    with pytest.raises(RollbackRefused, match='no rollout history found for deployment "web"'):
        rollback_revision([1], 0, name="web", paused=False)
    with pytest.raises(RollbackRefused) as refused:
        rollback_revision([1, 2], 1, name="web", paused=True)
    assert str(refused.value) == PAUSED_ROLLBACK


def test_revision_violations_accepts_a_clean_history_and_rejects_bad_ones() -> None:
    assert revision_violations([1, 2, 4], 4) == []
    assert revision_violations([], None) == []
    assert revision_violations([1, 2, 2], 2) == ["revisions [2] carried by more than one ReplicaSet"]
    assert revision_violations([1, 3], 1) == ["the new ReplicaSet's revision 1 is below the largest, 3"]
