"""apps/v1: ReplicaSet, Deployment, StatefulSet and DaemonSet.

Upstream: kubernetes/api ``apps/v1/types.go``. Defaults are in
``spec.objects.defaults`` (k/k ``pkg/apis/apps/v1/defaults.go``).

Requirement IDs: none.
"""

from __future__ import annotations

from typing import ClassVar, Final

from spec.objects.base import Int32, Int64, IntOrStringValue, Model, Seq, Time
from spec.objects.core import PersistentVolumeClaim, PodTemplateSpec
from spec.objects.meta import KindModel, LabelSelector

DEPLOYMENT_STRATEGY_TYPES: Final = ("Recreate", "RollingUpdate")
STATEFUL_SET_UPDATE_STRATEGY_TYPES: Final = ("RollingUpdate", "OnDelete")
DAEMON_SET_UPDATE_STRATEGY_TYPES: Final = ("RollingUpdate", "OnDelete")
POD_MANAGEMENT_POLICIES: Final = ("OrderedReady", "Parallel")
PVC_RETENTION_POLICIES: Final = ("Retain", "Delete")


class WorkloadCondition(Model):
    """The condition shape shared by ReplicaSet, StatefulSet and DaemonSet status."""

    type: str = ""
    status: str = ""
    last_transition_time: Time | None = None
    reason: str = ""
    message: str = ""


# -- ReplicaSet ------------------------------------------------------------------------


class ReplicaSetSpec(Model):
    replicas: Int32 | None = None
    min_ready_seconds: Int32 = 0
    selector: LabelSelector | None = None
    template: PodTemplateSpec = PodTemplateSpec()


class ReplicaSetStatus(Model):
    replicas: Int32 = 0
    fully_labeled_replicas: Int32 = 0
    ready_replicas: Int32 = 0
    available_replicas: Int32 = 0
    observed_generation: Int64 = 0
    conditions: Seq[WorkloadCondition] = ()


class ReplicaSet(KindModel):
    api_version: ClassVar[str] = "apps/v1"
    kind: ClassVar[str] = "ReplicaSet"

    spec: ReplicaSetSpec = ReplicaSetSpec()
    status: ReplicaSetStatus = ReplicaSetStatus()


# -- Deployment --------------------------------------------------------------------------


class RollingUpdateDeployment(Model):
    max_unavailable: IntOrStringValue | None = None
    max_surge: IntOrStringValue | None = None


class DeploymentStrategy(Model):
    type: str = ""
    rolling_update: RollingUpdateDeployment | None = None


class DeploymentSpec(Model):
    replicas: Int32 | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec = PodTemplateSpec()
    strategy: DeploymentStrategy = DeploymentStrategy()
    min_ready_seconds: Int32 = 0
    revision_history_limit: Int32 | None = None
    paused: bool = False
    progress_deadline_seconds: Int32 | None = None


class DeploymentCondition(Model):
    type: str = ""
    status: str = ""
    last_update_time: Time | None = None
    last_transition_time: Time | None = None
    reason: str = ""
    message: str = ""


class DeploymentStatus(Model):
    observed_generation: Int64 = 0
    replicas: Int32 = 0
    updated_replicas: Int32 = 0
    ready_replicas: Int32 = 0
    available_replicas: Int32 = 0
    unavailable_replicas: Int32 = 0
    conditions: Seq[DeploymentCondition] = ()
    collision_count: Int32 | None = None


class Deployment(KindModel):
    api_version: ClassVar[str] = "apps/v1"
    kind: ClassVar[str] = "Deployment"

    spec: DeploymentSpec = DeploymentSpec()
    status: DeploymentStatus = DeploymentStatus()


# -- StatefulSet ----------------------------------------------------------------------------


class RollingUpdateStatefulSetStrategy(Model):
    partition: Int32 | None = None
    max_unavailable: IntOrStringValue | None = None


class StatefulSetUpdateStrategy(Model):
    type: str = ""
    rolling_update: RollingUpdateStatefulSetStrategy | None = None


class StatefulSetPersistentVolumeClaimRetentionPolicy(Model):
    when_deleted: str = ""
    when_scaled: str = ""


class StatefulSetOrdinals(Model):
    start: Int32 = 0


class StatefulSetSpec(Model):
    replicas: Int32 | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec = PodTemplateSpec()
    volume_claim_templates: Seq[PersistentVolumeClaim] = ()
    service_name: str = ""
    pod_management_policy: str = ""
    update_strategy: StatefulSetUpdateStrategy = StatefulSetUpdateStrategy()
    revision_history_limit: Int32 | None = None
    min_ready_seconds: Int32 = 0
    persistent_volume_claim_retention_policy: StatefulSetPersistentVolumeClaimRetentionPolicy | None = None
    ordinals: StatefulSetOrdinals | None = None


class StatefulSetStatus(Model):
    observed_generation: Int64 = 0
    replicas: Int32 = 0
    ready_replicas: Int32 = 0
    current_replicas: Int32 = 0
    updated_replicas: Int32 = 0
    current_revision: str = ""
    update_revision: str = ""
    collision_count: Int32 | None = None
    conditions: Seq[WorkloadCondition] = ()
    available_replicas: Int32 = 0


class StatefulSet(KindModel):
    api_version: ClassVar[str] = "apps/v1"
    kind: ClassVar[str] = "StatefulSet"

    spec: StatefulSetSpec = StatefulSetSpec()
    status: StatefulSetStatus = StatefulSetStatus()


# -- DaemonSet ---------------------------------------------------------------------------------


class RollingUpdateDaemonSet(Model):
    max_unavailable: IntOrStringValue | None = None
    max_surge: IntOrStringValue | None = None


class DaemonSetUpdateStrategy(Model):
    type: str = ""
    rolling_update: RollingUpdateDaemonSet | None = None


class DaemonSetSpec(Model):
    selector: LabelSelector | None = None
    template: PodTemplateSpec = PodTemplateSpec()
    update_strategy: DaemonSetUpdateStrategy = DaemonSetUpdateStrategy()
    min_ready_seconds: Int32 = 0
    revision_history_limit: Int32 | None = None


class DaemonSetStatus(Model):
    current_number_scheduled: Int32 = 0
    number_misscheduled: Int32 = 0
    desired_number_scheduled: Int32 = 0
    number_ready: Int32 = 0
    observed_generation: Int64 = 0
    updated_number_scheduled: Int32 = 0
    number_available: Int32 = 0
    number_unavailable: Int32 = 0
    collision_count: Int32 | None = None
    conditions: Seq[WorkloadCondition] = ()


class DaemonSet(KindModel):
    api_version: ClassVar[str] = "apps/v1"
    kind: ClassVar[str] = "DaemonSet"

    spec: DaemonSetSpec = DaemonSetSpec()
    status: DaemonSetStatus = DaemonSetStatus()
