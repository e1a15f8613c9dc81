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
from impl.controllers.garbagecollector import GarbageCollector, Graph, _delete, _without_finalizer
from impl.controllers.replicaset import ReplicaSetController, controller_of
from impl.controlplane import SimulatedControlPlaneProvider
from spec.apiserver import FOREGROUND_FINALIZER, ORPHAN_FINALIZER
from tests.controllers.seeded import seeded_bug_settings

SETTINGS = seeded_bug_settings(max_examples=100, stateful_step_count=30)
#: A run that deletes its ReplicaSets hides a missing scale-down: the first such catch comes between
#: the 101st and the 150th derandomized example, so the ReplicaSet machine's runs are 200.
REPLICASET_SETTINGS = settings(SETTINGS, max_examples=200)
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
    provider = SimulatedControlPlaneProvider(controllers=(controller, GarbageCollector))
    with pytest.raises(RequirementViolation) as caught:
        run_state_machine_as_test(machine_for(provider), settings=REPLICASET_SETTINGS)
    assert caught.value.requirement_id == requirement, str(caught.value)


def test_the_reference_passes_the_same_runs() -> None:
    run_state_machine_as_test(machine_for(SimulatedControlPlaneProvider()), settings=REPLICASET_SETTINGS)


class DeletesOrphans(GarbageCollector):
    """Deletes the dependents of an owner deleted with Orphan (issue 10's bug)."""

    def collect(self, graph: Graph) -> int:
        actions = 0
        for owner in graph.nodes:
            if owner.deleting and ORPHAN_FINALIZER in owner.finalizers:
                actions += sum(_delete(self.resources, d, "Background") for d in owner.dependents)
        return actions + super().collect(graph)


class DropsForegroundFirst(GarbageCollector):
    """Lets an owner deleted in the foreground go before its blocking dependents."""

    def collect(self, graph: Graph) -> int:
        actions = 0
        for owner in graph.nodes:
            if owner.deleting and FOREGROUND_FINALIZER in owner.finalizers:
                stripped = _without_finalizer(owner.obj, FOREGROUND_FINALIZER)
                actions += self.resources.update(owner.info, stripped) is not None
        return actions + super().collect(graph)


@pytest.mark.parametrize(
    ("collector", "requirement"),
    [(DeletesOrphans, "API-GC-ORPHAN"), (DropsForegroundFirst, "API-GC-FOREGROUND")],
    ids=["deletes-orphans", "drops-foreground-first"],
)
def test_the_replicaset_machine_catches_a_garbage_collector_that(collector: Any, requirement: str) -> None:
    provider = SimulatedControlPlaneProvider(controllers=(ReplicaSetController, collector))
    with pytest.raises(RequirementViolation) as caught:
        run_state_machine_as_test(machine_for(provider), settings=REPLICASET_SETTINGS)
    assert caught.value.requirement_id == requirement, str(caught.value)


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
