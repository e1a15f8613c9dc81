"""spec/workloads/job.py: syncJob and manageJob for NonIndexed Jobs, on cases of upstream's
job_controller_test.go TestControllerSyncJob (parallelism and completions, "too few / too many active",
"WQ job" with completions unset, backoff limit exceeded, failed creations), and runs of many syncs.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec.workloads.job import (
    COMPLETE,
    FAILED,
    JobState,
    JobSync,
    active_after,
    active_bound,
    sync_job,
    want_active,
)
from spec.workloads.replicaset import Outcomes


@pytest.mark.requirement("JOB-ACTIVE-BOUND")
def test_job_start_and_bounds() -> None:
    assert sync_job(JobState(parallelism=2, completions=5)) == JobSync(2, 2)  # "job start"
    assert sync_job(JobState(parallelism=2, completions=5, active=1)) == JobSync(1, 1)  # "too few active"
    assert sync_job(JobState(parallelism=2, completions=5, active=3)) == JobSync(
        deletions_attempted=1, deleted=1
    )
    assert sync_job(JobState(parallelism=2, completions=5, active=1, succeeded=4)) == JobSync()
    assert want_active(JobState(parallelism=10, completions=5, succeeded=7)) == 0


def test_completions_unset_work_queue() -> None:
    assert sync_job(JobState(parallelism=2, completions=None)) == JobSync(2, 2)
    assert sync_job(JobState(parallelism=2, completions=None, active=1, succeeded=1)) == JobSync()
    assert sync_job(JobState(parallelism=2, completions=None, succeeded=1)).finished == COMPLETE


@pytest.mark.requirement("JOB-COMPLETIONS-BOUND")
def test_complete_when_succeeded_reaches_completions() -> None:
    assert sync_job(JobState(parallelism=2, completions=5, succeeded=5)) == JobSync(finished=COMPLETE)
    assert sync_job(JobState(parallelism=2, completions=5, active=1, succeeded=5)) == JobSync(
        deletions_attempted=1, deleted=1, finished=COMPLETE
    )


@pytest.mark.requirement("JOB-BACKOFF-LIMIT")
def test_backoff_limit() -> None:
    failing = JobState(parallelism=2, completions=5, backoff_limit=1, active=2, failed=2)
    assert sync_job(failing) == JobSync(deletions_attempted=2, deleted=2, finished=FAILED)
    stuck = sync_job(failing, Outcomes(failed_deletions=frozenset({0})))
    assert stuck == JobSync(deletions_attempted=2, deleted=1)  # Failed only once no pod is left
    assert sync_job(JobState(parallelism=2, completions=5, backoff_limit=1, failed=1)) == JobSync(2, 2)
    assert sync_job(JobState(parallelism=2, completions=5, finished=FAILED)) == JobSync()
    assert sync_job(JobState(parallelism=2, completions=5, failed=1, in_backoff=True)) == JobSync()


def test_slow_start_and_cap() -> None:
    result = sync_job(
        JobState(parallelism=100, completions=100), Outcomes(failed_creations=frozenset(range(10, 100)))
    )
    assert (result.creations_attempted, result.created) == (15, 10)
    assert sync_job(JobState(parallelism=2000, completions=None)).created == 500
    with pytest.raises(ValueError, match="negative"):
        JobState(parallelism=-1, completions=None)


@pytest.mark.requirement("JOB-ACTIVE-BOUND", "JOB-COMPLETIONS-BOUND")
@given(
    parallelism=st.integers(0, 30),
    completions=st.none() | st.integers(0, 60),
    outcomes=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), max_size=30),
)
def test_runs_stay_within_the_bounds(
    parallelism: int, completions: int | None, outcomes: list[tuple[int, int]]
) -> None:
    # Between syncs some active pods succeed and some fail; succeeded never passes completions.
    state = JobState(parallelism=parallelism, completions=completions, backoff_limit=10_000)
    for succeed, fail in outcomes:
        done = sync_job(state)
        active = active_after(state, done)
        assert active <= max(state.active, active_bound(state))
        succeed, fail = min(succeed, active), min(fail, active - min(succeed, active))
        state = JobState(
            parallelism,
            completions,
            10_000,
            active - succeed - fail,
            state.succeeded + succeed,
            state.failed + fail,
        )
        if completions is not None:
            assert state.succeeded + state.active <= completions
