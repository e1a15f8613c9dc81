"""The workload machines judge a controller's decision against what its lagging cache could show.

A controller decides on caches that show the API as it was up to a watch's
lag ago (conformance/workloads/environment.py, ``StatesSeen``). Each case
here replays, step by step, a run a soak found: the reference made a
decision that the API as it is at the check makes look wrong, but that
was right against the state its cache showed. The machine must accept it,
and the run must really contain that state (else the test proves nothing).
Its counterpart: a broken controller in the same situation is still caught.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.violation import RequirementViolation
from conformance.workloads.deployment import machine_for as deployment_machine_for
from conformance.workloads.statefulset import SETS, StatefulSetChecks, machine_for, ready, statefulset
from impl.controllers.deployment import DeploymentController
from impl.controllers.garbagecollector import GarbageCollector
from impl.controllers.replicaset import ReplicaSetController
from impl.controllers.statefulset import StatefulSetController
from impl.controlplane import SimulatedControlPlaneProvider
from tests.controllers.test_statefulset import CreatesBeforeReady
from tests.controllers.test_suite_catches_bugs import ScalesOldDownEarly

# -- Deployment: a rollback decided on ReplicaSet status written from a lagging pod cache -----------


def _deployment_machine(controller: Any) -> Any:
    provider = SimulatedControlPlaneProvider(controllers=(ReplicaSetController, controller, GarbageCollector))
    return deployment_machine_for(provider)()


def _available(machine: Any) -> int:
    d = machine._ok("GET", "/apis/apps/v1/namespaces/default/deployments/web")
    return len(machine._available(machine._replicasets(d["metadata"]["uid"])))


def _record_available(machine: Any) -> list[int]:
    """The available pods at each of the machine's checks from now on, after its judgement."""
    seen: list[int] = []
    judge = machine.rollout_bounds

    def rollout_bounds() -> None:
        judge()
        seen.append(_available(machine))

    machine.rollout_bounds = rollout_bounds
    return seen


def test_a_rollback_on_stale_replicaset_status_is_judged_against_what_the_controller_saw() -> None:
    """Soak seed 503 (``workloads_soak.py --machines deployment --seed 500``, round 4): replicas 1,
    maxUnavailable 0; after a rollback under a 1 s pod-watch lag the available pods fell from 2 to 0,
    because the ReplicaSet rolled back to still reported an available pod its controller had already
    deleted. Against the pods of a second earlier, which its cache showed, the scale-down kept one."""
    machine = _deployment_machine(DeploymentController)
    lowest = _record_available(machine)
    machine.create(replicas=1, max_surge=1, max_unavailable=0)
    machine.change_image(then_s=1.0)
    machine.lag_the_pod_watch(lag_s=1.0)
    machine.change_image(then_s=3.0)
    before = _available(machine)
    machine.rollback(to_revision=0, then_s=1.0)
    machine.rollout_bounds()
    assert before == 2 and min(lowest[-5:]) == 0, "the run no longer reaches the stale-status scale-down"


def test_a_scale_down_on_status_ahead_of_spec_is_outside_the_requirement() -> None:
    """Soak seed 7049: replicas 2, maxSurge 0, maxUnavailable 1, a 1 s pod-watch lag, two rollbacks. The
    second makes the ReplicaSet just scaled to 0 the new one, and its status, written meanwhile from the
    lagging cache, still counts its terminating pod as available (status ahead of spec). Upstream's
    rolling step counts that pod and scales the other ReplicaSet, whose pod is Ready, to 0: the state
    ``is_observed`` excludes, where the requirement does not hold (spec/workloads/deployment.py)."""
    machine = _deployment_machine(DeploymentController)
    lowest = _record_available(machine)
    machine.create(replicas=2, max_surge=0, max_unavailable=0)
    machine.change_image(then_s=1.0)
    machine.change_image(then_s=1.0)
    machine.lag_the_pod_watch(lag_s=1.0)
    machine.pause_or_resume(then_s=0.0)
    machine.pause_or_resume(then_s=1.0)
    machine.rollback(to_revision=0, then_s=1.0)
    machine.rollback(to_revision=0, then_s=1.0)
    assert min(lowest[-4:]) == 0, "the run no longer reaches the scale-down on a status ahead of its spec"


def test_a_deployment_that_scales_old_pods_down_early_is_caught_under_a_lagging_watch() -> None:
    machine = _deployment_machine(ScalesOldDownEarly)
    machine.create(replicas=2, max_surge=1, max_unavailable=0)
    machine.time_passes(seconds=3.0)
    machine.lag_the_pod_watch(lag_s=3.0)
    with pytest.raises(RequirementViolation) as caught:
        machine.change_image(then_s=3.0)
        machine.rollout_bounds()
    assert caught.value.requirement_id == "DEPLOY-ROLL-AVAILABILITY", str(caught.value)


# -- StatefulSet: a pod created while, unseen yet, the pod below it lost its readiness ---------------


def _statefulset_machine(controller: Any) -> Any:
    provider = SimulatedControlPlaneProvider(controllers=(controller, GarbageCollector))
    machine = machine_for(provider)()
    machine._ok("POST", SETS, statefulset("db", 3, "OrderedReady"))
    machine.checks["db"] = StatefulSetChecks(machine.cluster, "db", machine.log)
    return machine


def _pods(machine: Any) -> dict[int, dict[str, Any]]:
    return machine.checks["db"].pods()  # type: ignore[no-any-return]


def test_a_pod_created_on_a_readiness_the_cache_still_showed_is_in_order() -> None:
    """Soak seed 9034: db-0 Ready, the controller's pod watch lagging 1 s, db-0 loses its readiness;
    the controller, still seeing db-0 Ready, creates db-1. Right against what it could see."""
    machine = _statefulset_machine(StatefulSetController)
    machine.lag_the_pod_watch(lag_s=1.0)
    for _ in range(80):
        if 0 in _pods(machine) and ready(_pods(machine)[0]):
            break
        machine.pass_time(0.25)
    assert ready(_pods(machine)[0]) and 1 not in _pods(machine)
    machine.pass_time(0.5)
    machine._set_ready("db-0", False)  # the environment; the controller sees it 1 s later
    machine.ordered_and_partitioned()
    machine.pass_time(1.0)
    pods = _pods(machine)
    assert 1 in pods and not ready(pods[0]), "the run no longer creates db-1 on the stale readiness"


def test_a_statefulset_that_creates_before_ready_is_caught_under_a_lagging_watch() -> None:
    machine = _statefulset_machine(CreatesBeforeReady)
    machine.lag_the_pod_watch(lag_s=3.0)
    with pytest.raises(RequirementViolation) as caught:
        machine.pass_time(10.0)
    assert caught.value.requirement_id == "STATEFULSET-ORDERED-CREATE", str(caught.value)
