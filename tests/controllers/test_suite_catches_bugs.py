"""The workloads suite (conformance/workloads/) catches seeded controller bugs, each a test-only variant."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.violation import RequirementViolation
from conformance.workloads.deployment import machine_for as deployment_machine_for
from conformance.workloads.replicaset import machine_for
from impl.controllers.deployment import DeploymentController
from impl.controllers.replicaset import ReplicaSetController, controller_of
from impl.controlplane import SimulatedControlPlaneProvider
from tests.controllers.seeded import seeded_bug_settings

SETTINGS = seeded_bug_settings(max_examples=100, stateful_step_count=30)
#: Deployment runs are longer (a rollout takes simulated time), so fewer of them.
DEPLOYMENT_SETTINGS = settings(SETTINGS, max_examples=20, stateful_step_count=30)


class NeverDeletes(ReplicaSetController):
    """Scales up but never down: the pods stay when spec.replicas is lowered."""

    def _manage(self, key: str, replicaset: Any, active: list[dict[str, Any]], now: float) -> None:
        replicas = int((replicaset.get("spec") or {}).get("replicas", 1))
        if len(active) < replicas:
            super()._manage(key, replicaset, active, now)


@pytest.mark.parametrize(
    ("controller", "requirement"),
    [
        (partial(ReplicaSetController, expectations=False), "REPLICASET-NO-OVERSHOOT"),
        (NeverDeletes, "REPLICASET-ESR"),
    ],
    ids=["ignores-expectations", "never-scales-down"],
)
def test_the_replicaset_machine_catches(controller: Any, requirement: str) -> None:
    provider = SimulatedControlPlaneProvider(controllers=(controller,))
    with pytest.raises(RequirementViolation) as caught:
        run_state_machine_as_test(machine_for(provider), settings=SETTINGS)
    assert caught.value.requirement_id == requirement, str(caught.value)


def test_the_reference_passes_the_same_runs() -> None:
    run_state_machine_as_test(machine_for(SimulatedControlPlaneProvider()), settings=SETTINGS)


class ScalesOldDownEarly(DeploymentController):
    """Scales the old ReplicaSets down as soon as the new one is scaled up (issue 10's bug): it does not
    wait for the new pods to be available."""

    def _rolling(self, key: str, deployment: Any, new: Any, old: list[Any]) -> None:
        replicas = int(deployment["spec"].get("replicas", 1))
        if int(new["spec"].get("replicas", 1)) != replicas:
            self._scale(new, replicas)
        for rs in old:
            if int(rs["spec"].get("replicas", 1)) != 0:
                self._scale(rs, 0)


class IgnoresMaxSurge(DeploymentController):
    """Scales the new ReplicaSet straight to replicas, then the old ones down by the spec's step."""

    def _rolling(self, key: str, deployment: Any, new: Any, old: list[Any]) -> None:
        replicas = int(deployment["spec"].get("replicas", 1))
        if int(new["spec"].get("replicas", 1)) < replicas:
            self._scale(new, replicas)
            return
        super()._rolling(key, deployment, new, old)


class NeverFinishes(DeploymentController):
    """Never scales the last old ReplicaSet with replicas to 0: the rollout stalls one pod short."""

    def _scale(self, rs: Any, replicas: int) -> None:
        if replicas == 0 and self._is_old(rs):
            return
        super()._scale(rs, replicas)

    def _is_old(self, rs: Any) -> bool:
        key = f"{rs['metadata']['namespace']}/{controller_of(rs)['name']}"  # type: ignore[index]
        d = self.deployments.cache.get(key)
        return d is not None and rs["spec"]["template"]["spec"] != d["spec"]["template"]["spec"]


@pytest.mark.parametrize(
    ("controller", "requirement"),
    [
        (ScalesOldDownEarly, "DEPLOY-ROLL-AVAILABILITY"),
        (IgnoresMaxSurge, "DEPLOY-ROLL-SURGE"),
        (NeverFinishes, "DEPLOY-ESR"),
    ],
    ids=["scales-old-down-early", "ignores-max-surge", "never-finishes"],
)
def test_the_deployment_machine_catches(controller: Any, requirement: str) -> None:
    provider = SimulatedControlPlaneProvider(controllers=(ReplicaSetController, controller))
    with pytest.raises(RequirementViolation) as caught:
        run_state_machine_as_test(deployment_machine_for(provider), settings=DEPLOYMENT_SETTINGS)
    assert caught.value.requirement_id == requirement, str(caught.value)


def test_the_reference_passes_the_same_deployment_runs() -> None:
    run_state_machine_as_test(
        deployment_machine_for(SimulatedControlPlaneProvider()), settings=DEPLOYMENT_SETTINGS
    )
