"""The Job machine: a simulated cluster, users running Jobs, and a hostile environment.

User rules: create a Job (NonIndexed or Indexed; parallelism 1-3,
completions 1-4, backoffLimit 0-3; restartPolicy Never or OnFailure; its
pods' simulated containers run 1 or 2 s and exit 0, or, with Never, 1:
the annotations ``sim.kspec.io/run-seconds`` and ``sim.kspec.io/exit-code``
on the pod template, impl/node/simkubelet.py), change its parallelism,
suspend or resume it, delete it. Environment rules: EnvironmentRules
(controller manager crashes, pod watch lag, time passing); containers exit
0 or non-zero as their Job's template says.

Safety after every step, read back from the API server:

- JOB-ACTIVE-BOUND: a Job's active pods (not deleting, not finished) are
  at most the larger of its parallelism and the active pods it had when
  parallelism was last lowered (as REPLICASET-NO-OVERSHOOT; pods over a
  lowered parallelism are deleted, not at once).
- JOB-COMPLETIONS-BOUND: a NonIndexed Job's succeeded pods never exceed
  completions (the pods the controller deletes do not exit here, so the
  spec's caveat about terminating pods does not arise).
- JOB-BACKOFF-LIMIT: no pod of a Job is created after its Complete or
  Failed condition.

At the end (Anvil's ESR) the faults stop and within ``SETTLE_S``
simulated seconds (the failed-pod backoff of backoffLimit 3 is 10 + 20 +
40 s, plus the pods' run times): a Job whose failed pods exceed
backoffLimit is Failed with reason BackoffLimitExceeded and has no active
pod (JOB-BACKOFF-LIMIT); every other unsuspended Job is as
``spec.workloads.job.expected_outcome`` says (JOB-ESR: Complete with
completions pods, or distinct indexes, succeeded); a suspended Job has no
active pod and a Suspended condition (JOB-SUSPEND).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from conformance.adapters.controllers import ControllersProvider, SimulatedControlPlane
from conformance.violation import require
from conformance.workloads.environment import EnvironmentRules
from spec.workloads.job import (
    COMPLETE,
    FAILED,
    JOB_ACTIVE_BOUND,
    JOB_BACKOFF_LIMIT,
    JOB_COMPLETIONS_BOUND,
    JOB_ESR,
    JOB_SUSPEND,
    expected_outcome,
)

NAMES = ("calc", "batch")
NAMESPACE = "default"
SETTLE_S = 150.0
COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"


@dataclass
class Wanted:
    """What the user asked of one Job, and the ceiling JOB-ACTIVE-BOUND allows."""

    parallelism: int
    completions: int
    backoff_limit: int
    indexed: bool
    exit_code: int
    ceiling: int
    suspended: bool = False


def job(
    name: str,
    *,
    parallelism: int,
    completions: int,
    backoff_limit: int,
    indexed: bool,
    restart_policy: str,
    run_s: int,
    exit_code: int,
) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "parallelism": parallelism,
            "completions": completions,
            "backoffLimit": backoff_limit,
            "completionMode": "Indexed" if indexed else "NonIndexed",
            "template": {
                "metadata": {
                    "annotations": {
                        "sim.kspec.io/run-seconds": str(run_s),
                        "sim.kspec.io/exit-code": str(exit_code),
                    }
                },
                "spec": {
                    "restartPolicy": restart_policy,
                    "containers": [{"name": "task", "image": "busybox:1.36"}],
                },
            },
        },
    }


def _job_path(name: str) -> str:
    return f"/apis/batch/v1/namespaces/{NAMESPACE}/jobs/{name}"


def _condition(job: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") == kind and c.get("status") == "True":
            return c  # type: ignore[no-any-return]
    return None


def _phase(pod: dict[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase", "Pending"))


def _active(pod: dict[str, Any]) -> bool:
    return not pod["metadata"].get("deletionTimestamp") and _phase(pod) not in ("Succeeded", "Failed")


class JobMachine(EnvironmentRules):
    provider: ClassVar[ControllersProvider]

    def __init__(self) -> None:
        super().__init__()
        self.cluster: SimulatedControlPlane = self.provider.new_cluster(seed=0, nodes=2)
        self.wanted: dict[str, Wanted] = {}
        self.log: list[str] = []

    # -- reading the cluster -----------------------------------------------------------------------

    def _ok(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        status, answer = self.cluster.call(method, path, body, content_type=content_type)
        assert status < 300, f"{method} {path}: {status} {answer}"  # the suite's own calls must work
        return answer

    def _job_and_pods(self, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        job = self._ok("GET", _job_path(name))
        uid = job["metadata"]["uid"]
        pods = self._ok("GET", f"/api/v1/namespaces/{NAMESPACE}/pods")["items"]
        owned = [
            pod
            for pod in pods
            if any(
                ref.get("uid") == uid and ref.get("controller")
                for ref in pod["metadata"].get("ownerReferences") or ()
            )
        ]
        return job, owned

    # -- users -------------------------------------------------------------------------------------------

    @precondition(lambda self: len(self.wanted) < len(NAMES))
    @rule(
        data=st.data(),
        parallelism=st.integers(1, 3),
        completions=st.integers(1, 4),
        backoff_limit=st.integers(0, 3),
        indexed=st.booleans(),
        never=st.booleans(),
        run_s=st.sampled_from([1, 2]),
    )
    def create(
        self,
        data: st.DataObject,
        parallelism: int,
        completions: int,
        backoff_limit: int,
        indexed: bool,
        never: bool,
        run_s: int,
    ) -> None:
        name = data.draw(st.sampled_from([n for n in NAMES if n not in self.wanted]))
        # OnFailure with a non-zero exit restarts the container for ever (no outcome to wait for).
        exit_code = data.draw(st.sampled_from([0, 1])) if never else 0
        body = job(
            name,
            parallelism=parallelism,
            completions=completions,
            backoff_limit=backoff_limit,
            indexed=indexed,
            restart_policy="Never" if never else "OnFailure",
            run_s=run_s,
            exit_code=exit_code,
        )
        self._ok("POST", f"/apis/batch/v1/namespaces/{NAMESPACE}/jobs", body)
        self.wanted[name] = Wanted(parallelism, completions, backoff_limit, indexed, exit_code, parallelism)
        self.log.append(f"create {name}: {body['spec']} exit {exit_code}")

    @precondition(lambda self: bool(self.wanted))
    @rule(data=st.data(), parallelism=st.integers(0, 3))
    def scale_parallelism(self, data: st.DataObject, parallelism: int) -> None:
        name = data.draw(st.sampled_from(sorted(self.wanted)))
        _, pods = self._job_and_pods(name)
        active = sum(1 for pod in pods if _active(pod))
        self._ok(
            "PATCH",
            _job_path(name),
            {"spec": {"parallelism": parallelism}},
            content_type="application/merge-patch+json",
        )
        wanted = self.wanted[name]
        wanted.parallelism, wanted.ceiling = parallelism, max(parallelism, active)
        self.log.append(f"parallelism of {name} to {parallelism} (active {active})")

    @precondition(lambda self: bool(self.wanted))
    @rule(data=st.data(), suspend=st.booleans())
    def suspend_or_resume(self, data: st.DataObject, suspend: bool) -> None:
        name = data.draw(st.sampled_from(sorted(self.wanted)))
        self._ok(
            "PATCH",
            _job_path(name),
            {"spec": {"suspend": suspend}},
            content_type="application/merge-patch+json",
        )
        self.wanted[name].suspended = suspend
        self.log.append(f"{'suspend' if suspend else 'resume'} {name}")

    @precondition(lambda self: bool(self.wanted))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.wanted)))
        self._ok("DELETE", _job_path(name), {"propagationPolicy": "Background"})
        del self.wanted[name]
        self.log.append(f"delete {name}")

    # -- properties ------------------------------------------------------------------------------------------

    def _trace(self, message: str) -> str:
        return message + "\n" + "\n".join(self.log)

    @invariant()
    def bounded(self) -> None:
        for name, wanted in self.wanted.items():
            job, pods = self._job_and_pods(name)
            active = sum(1 for pod in pods if _active(pod))
            require(
                JOB_ACTIVE_BOUND,
                active <= wanted.ceiling,
                lambda name=name, active=active, wanted=wanted: self._trace(
                    f"{name}: {active} active pods, parallelism {wanted.parallelism}, at most "
                    f"{wanted.ceiling} allowed"
                ),
            )
            succeeded = sum(1 for pod in pods if _phase(pod) == "Succeeded")
            require(
                JOB_COMPLETIONS_BOUND,
                wanted.indexed or succeeded <= wanted.completions,
                lambda name=name, succeeded=succeeded, wanted=wanted: self._trace(
                    f"{name}: {succeeded} succeeded pods for completions {wanted.completions}"
                ),
            )
            done = _condition(job, COMPLETE) or _condition(job, FAILED)
            if done is not None:
                at = done.get("lastTransitionTime", "")
                late = [
                    p["metadata"]["name"] for p in pods if p["metadata"].get("creationTimestamp", "") > at
                ]
                require(
                    JOB_BACKOFF_LIMIT,
                    not late,
                    lambda name=name, late=late, done=done: self._trace(
                        f"{name}: pods {late} created after the Job finished ({done})"
                    ),
                )

    def teardown(self) -> None:
        """The liveness phase: faults off, then every Job must reach its outcome within SETTLE_S."""
        self.cluster.set_watch_lag("/api/v1/pods", 0.0)
        self.cluster.restart_controller_manager()
        self.cluster.run(SETTLE_S)
        for name, wanted in self.wanted.items():
            job, pods = self._job_and_pods(name)
            active = [p["metadata"]["name"] for p in pods if _active(p)]
            failed = sum(1 for p in pods if _phase(p) == "Failed")
            succeeded_pods = [p for p in pods if _phase(p) == "Succeeded"]
            indexes = {(p["metadata"].get("annotations") or {}).get(COMPLETION_INDEX) for p in succeeded_pods}
            succeeded = len(indexes - {None}) if wanted.indexed else len(succeeded_pods)
            finished = _condition(job, FAILED) or _condition(job, COMPLETE)
            status = job.get("status") or {}
            if failed > wanted.backoff_limit:
                require(
                    JOB_BACKOFF_LIMIT,
                    finished is not None
                    and finished["type"] == FAILED
                    and finished.get("reason") == "BackoffLimitExceeded"
                    and not active,
                    lambda name=name, failed=failed, status=status, active=active: self._trace(
                        f"{name}: {failed} failed pods over backoffLimit, active {active}, status {status}"
                    ),
                )
                continue
            if wanted.suspended and finished is None:
                require(
                    JOB_SUSPEND,
                    not active and _condition(job, "Suspended") is not None,
                    lambda name=name, active=active, status=status: self._trace(
                        f"{name}: suspended, active {active}, status {status}"
                    ),
                )
                continue
            if wanted.parallelism == 0 and finished is None:
                continue  # a Job at parallelism 0 runs no pod: no outcome to wait for
            expected = expected_outcome(wanted.completions, wanted.backoff_limit, succeeded, failed)
            require(
                JOB_ESR,
                expected is not None and finished is not None and finished["type"] == expected and not active,
                lambda name=name, expected=expected, status=status, active=active, succeeded=succeeded: (
                    self._trace(
                        f"{name}: after {SETTLE_S} s without faults expected {expected} with {succeeded} "
                        f"succeeded, active {active}; status {status}"
                    )
                ),
            )


def machine_for(provider: ControllersProvider) -> type[JobMachine]:
    return type("JobMachine", (JobMachine,), {"provider": provider})
