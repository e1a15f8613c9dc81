"""The simulated kubelet's finishing containers and the Job controller, one behaviour at a time, and the
test that every sync of the Job controller did what spec/workloads/job.py's ``sync_job`` says on what it
read."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.workloads.job import job
from impl.controllers.job import JobController, compress_indexes, pod_failure_backoff
from impl.controlplane import SimulatedCluster
from impl.node.simkubelet import crash_loop_delay
from spec.workloads.job import expected_outcome, sync_job
from spec.workloads.replicaset import Outcomes

NS = "default"


def _pod(name: str, policy: str, run_s: float | None = None, exit_code: int | None = None) -> dict[str, Any]:
    annotations = {}
    if run_s is not None:
        annotations["sim.kspec.io/run-seconds"] = str(run_s)
    if exit_code is not None:
        annotations["sim.kspec.io/exit-code"] = str(exit_code)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "annotations": annotations},
        "spec": {"restartPolicy": policy, "containers": [{"name": "c", "image": "busybox"}]},
    }


def _status(cluster: SimulatedCluster, name: str) -> dict[str, Any]:
    return cluster.call("GET", f"/api/v1/namespaces/{NS}/pods/{name}")[1]["status"]  # type: ignore[no-any-return]


def _container(cluster: SimulatedCluster, name: str) -> dict[str, Any]:
    return _status(cluster, name)["containerStatuses"][0]  # type: ignore[no-any-return]


# -- the simulated kubelet ----------------------------------------------------------------------------


def test_never_pods_succeed_or_fail_with_their_exit_code() -> None:
    cluster = SimulatedCluster(seed=1, nodes=1, controllers=())
    for name, code in (("ok", 0), ("bad", 3)):
        assert cluster.call("POST", f"/api/v1/namespaces/{NS}/pods", _pod(name, "Never", 2, code))[0] == 201
    cluster.call("POST", f"/api/v1/namespaces/{NS}/pods", _pod("forever", "Never"))
    cluster.run(2.5)
    assert _status(cluster, "ok")["phase"] == "Running"  # started at 1 s, runs 2 s
    cluster.run(2.0)
    assert _status(cluster, "ok")["phase"] == "Succeeded"
    assert _container(cluster, "ok")["state"]["terminated"].get("exitCode", 0) == 0
    assert _status(cluster, "bad")["phase"] == "Failed"
    assert _container(cluster, "bad")["state"]["terminated"]["exitCode"] == 3
    assert _status(cluster, "forever")["phase"] == "Running"


def test_terminate_makes_a_running_container_exit() -> None:
    cluster = SimulatedCluster(seed=1, nodes=1, controllers=())
    cluster.call("POST", f"/api/v1/namespaces/{NS}/pods", _pod("p", "Never"))
    cluster.run(2.0)
    cluster.kubelets[0].terminate(f"{NS}/p", 137)
    cluster.run(0.5)
    assert _status(cluster, "p")["phase"] == "Failed"
    assert _container(cluster, "p")["state"]["terminated"]["exitCode"] == 137


@pytest.mark.parametrize("policy", ["Always", "OnFailure"])
def test_restarting_policies_restart_in_place_with_crash_loop_backoff(policy: str) -> None:
    cluster = SimulatedCluster(seed=1, nodes=1, controllers=())
    cluster.call("POST", f"/api/v1/namespaces/{NS}/pods", _pod("p", policy, 1, 1))
    cluster.run(3.0)  # running from ~1.25 s, exits ~1 s later
    container = _container(cluster, "p")
    assert _status(cluster, "p")["phase"] == "Running"
    assert container["restartCount"] == 1 and container["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    cluster.run(8.0)  # the 10 s backoff is not over
    assert "waiting" in _container(cluster, "p")["state"]
    cluster.run(3.0)  # restarted at ~12.25 s, exits ~1 s later: the second wait is 20 s
    assert _container(cluster, "p")["restartCount"] == 2
    cluster.run(15.0)
    assert "waiting" in _container(cluster, "p")["state"]
    cluster.run(8.0)
    assert _container(cluster, "p")["restartCount"] == 3


def test_on_failure_pod_that_exits_zero_succeeds() -> None:
    cluster = SimulatedCluster(seed=1, nodes=1, controllers=())
    cluster.call("POST", f"/api/v1/namespaces/{NS}/pods", _pod("p", "OnFailure", 1, 0))
    cluster.run(3.0)
    assert _status(cluster, "p")["phase"] == "Succeeded"


def test_crash_loop_delay_doubles_to_five_minutes() -> None:
    assert [crash_loop_delay(n) for n in (1, 2, 3, 5, 6, 30)] == [10, 20, 40, 160, 300, 300]


# -- the Job controller -------------------------------------------------------------------------------


def _job_status(cluster: SimulatedCluster, name: str) -> dict[str, Any]:
    status, body = cluster.call("GET", f"/apis/batch/v1/namespaces/{NS}/jobs/{name}")
    assert status == 200, body
    return body.get("status") or {}  # type: ignore[no-any-return]


def _create(cluster: SimulatedCluster, body: dict[str, Any], **spec: Any) -> None:
    body["spec"].update(spec)
    assert cluster.call("POST", f"/apis/batch/v1/namespaces/{NS}/jobs", body)[0] == 201


def _reason(status: dict[str, Any], kind: str) -> str | None:
    for c in status.get("conditions") or ():
        if c["type"] == kind and c["status"] == "True":
            return c.get("reason")  # type: ignore[no-any-return]
    return None


def _spec(**over: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "parallelism": 2,
        "completions": 4,
        "backoff_limit": 2,
        "indexed": False,
        "restart_policy": "Never",
        "run_s": 1,
        "exit_code": 0,
    }
    args.update(over)
    return args


@pytest.mark.requirement("JOB-ESR")
def test_a_job_completes_and_an_indexed_job_succeeds_once_per_index() -> None:
    cluster = SimulatedCluster(seed=2, nodes=2, controllers=(JobController,))
    _create(cluster, job("plain", **_spec()))
    _create(cluster, job("idx", **_spec(indexed=True, parallelism=3, completions=5)))
    cluster.run(30)
    plain, idx = _job_status(cluster, "plain"), _job_status(cluster, "idx")
    assert _reason(plain, "Complete") and plain["succeeded"] == 4 and plain.get("completionTime")
    assert _reason(idx, "Complete") and idx["completedIndexes"] == "0-4"
    pods = cluster.call("GET", f"/api/v1/namespaces/{NS}/pods")[1]["items"]
    indexes = sorted(
        p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
        for p in pods
        if p["metadata"]["name"].startswith("idx-")
    )
    assert indexes == ["0", "1", "2", "3", "4"]


@pytest.mark.requirement("JOB-BACKOFF-LIMIT")
def test_failing_pods_back_off_then_the_job_fails() -> None:
    cluster = SimulatedCluster(seed=2, nodes=2, controllers=(JobController,))
    _create(cluster, job("bad", **_spec(parallelism=1, exit_code=1)))
    cluster.run(20)  # first failure at ~2 s, second pod after 10 s, second failure ~14 s: waits 20 s
    status = _job_status(cluster, "bad")
    assert status["failed"] == 2 and not _reason(status, "Failed")
    cluster.run(30)
    status = _job_status(cluster, "bad")
    assert status["failed"] == 3 and _reason(status, "Failed") == "BackoffLimitExceeded"


@pytest.mark.requirement("JOB-DEADLINE")
def test_active_deadline_fails_the_job_and_deletes_its_pods() -> None:
    cluster = SimulatedCluster(seed=2, nodes=2, controllers=(JobController,))
    _create(cluster, job("slow", **_spec(run_s=100)), activeDeadlineSeconds=5)
    cluster.run(4)
    assert _job_status(cluster, "slow")["active"] == 2
    cluster.run(3)
    status = _job_status(cluster, "slow")
    assert _reason(status, "Failed") == "DeadlineExceeded"
    pods = cluster.call("GET", f"/api/v1/namespaces/{NS}/pods")[1]["items"]
    assert all(p["metadata"].get("deletionTimestamp") for p in pods) or not pods


@pytest.mark.requirement("JOB-SUSPEND")
def test_suspend_deletes_active_pods_and_resume_runs_again() -> None:
    cluster = SimulatedCluster(seed=2, nodes=2, controllers=(JobController,))
    _create(cluster, job("s", **_spec(run_s=5)))
    cluster.run(3)
    patch = "application/merge-patch+json"
    cluster.call(
        "PATCH", f"/apis/batch/v1/namespaces/{NS}/jobs/s", {"spec": {"suspend": True}}, content_type=patch
    )
    cluster.run(3)
    status = _job_status(cluster, "s")
    assert _reason(status, "Suspended") and status.get("active", 0) == 0
    cluster.call(
        "PATCH", f"/apis/batch/v1/namespaces/{NS}/jobs/s", {"spec": {"suspend": False}}, content_type=patch
    )
    cluster.run(40)
    assert _reason(_job_status(cluster, "s"), "Complete")


def test_ttl_after_finished_deletes_the_job() -> None:
    cluster = SimulatedCluster(seed=2, nodes=2, controllers=(JobController,))
    _create(cluster, job("t", **_spec(completions=1, parallelism=1)), ttlSecondsAfterFinished=10)
    cluster.run(5)
    assert _reason(_job_status(cluster, "t"), "Complete")
    cluster.run(12)
    assert cluster.call("GET", f"/apis/batch/v1/namespaces/{NS}/jobs/t")[0] == 404


def test_pod_failure_backoff_and_completed_indexes() -> None:
    assert [pod_failure_backoff(n) for n in (0, 1, 2, 3, 7, 8, 20)] == [0, 10, 20, 40, 600, 600, 600]
    assert compress_indexes({0, 1, 2, 4, 6, 7}) == "0-2,4,6-7" and compress_indexes(set()) == ""
    assert expected_outcome(3, 1, 3, 2) == "Failed" and expected_outcome(3, 1, 3, 1) == "Complete"
    assert expected_outcome(None, 0, 1, 0) == "Complete" and expected_outcome(3, 1, 2, 1) is None


@pytest.mark.requirement("JOB-ACTIVE-BOUND", "JOB-COMPLETIONS-BOUND", "JOB-BACKOFF-LIMIT")
def test_every_sync_does_what_the_spec_step_says_on_what_it_read() -> None:
    cluster = SimulatedCluster(seed=3, nodes=2, controllers=(JobController,))
    _create(cluster, job("a", **_spec(parallelism=3, completions=7)))
    _create(cluster, job("b", **_spec(parallelism=2, exit_code=1, backoff_limit=3)))
    _create(cluster, job("c", **_spec(indexed=True, parallelism=4, completions=6, run_s=2)))
    cluster.set_watch_lag("/api/v1/pods", 1.0)
    cluster.run(20)
    before = list(cluster.controllers)
    cluster.crash_controller_manager()
    cluster.run(1)
    cluster.restart_controller_manager()
    cluster.run(60)
    syncs = [record for controller in [*before, *cluster.controllers] for record in controller.syncs]
    assert len(syncs) > 10
    for record in syncs:
        expected = sync_job(record.state, Outcomes(record.failed_creations, record.failed_deletions))
        assert record.done == expected, record
    for name in "abc":
        assert _reason(_job_status(cluster, name), "Complete" if name != "b" else "Failed")
