"""Validation of the workload kinds: ReplicaSet, Deployment, StatefulSet, DaemonSet, Job, CronJob.

Upstream: k/k ``pkg/apis/apps/validation/validation.go``
(``ValidateReplicaSetSpec``, ``ValidateDeploymentSpec``,
``ValidateRollingUpdateDeployment``, ``ValidateDeploymentStrategy``,
``ValidateStatefulSetSpec``, ``ValidateDaemonSetSpec``,
``ValidatePodTemplateSpecForReplicaSet``) and
``pkg/apis/batch/validation/validation.go`` (``validateJobSpec``,
``ValidateCronJobSpec``, ``validateScheduleFormat``, ``validateTimeZone``).

The rules every workload shares: the selector is present, valid, not empty
and matches the template's labels; the template's pods restart ``Always``
(a Job's ``OnFailure`` or ``Never``); counts are not negative.

Requirement IDs: none.
"""

from __future__ import annotations

from typing import Final

from spec import cron
from spec.intstr import IntOrString
from spec.objects import apps, batch, core
from spec.objects.meta import LabelSelector
from spec.objects.validation import corev1 as pods
from spec.objects.validation import meta as m
from spec.objects.validation.errors import (
    FieldError,
    Path,
    forbidden,
    invalid,
    not_supported,
    required,
)

DEPLOYMENT_STRATEGIES: Final = ("Recreate", "RollingUpdate")
STATEFUL_SET_STRATEGIES: Final = ("RollingUpdate", "OnDelete")
POD_MANAGEMENT_POLICIES: Final = ("OrderedReady", "Parallel")
DAEMON_SET_STRATEGIES: Final = ("RollingUpdate", "OnDelete")
RETENTION_POLICIES: Final = ("Retain", "Delete")
COMPLETION_MODES: Final = ("NonIndexed", "Indexed")
CONCURRENCY_POLICIES: Final = ("Allow", "Forbid", "Replace")
_SPEC: Final = Path("spec")
_META: Final = Path("metadata")


def _template_for_controller(
    template: core.PodTemplateSpec,
    selector: LabelSelector | None,
    path: Path,
    *,
    restart_policies: tuple[str, ...] = ("Always",),
    claim_templates: tuple[str, ...] = (),
) -> list[FieldError]:
    """The selector/template pair of a controller and the template itself."""
    errors = m.selector_matches_template(
        selector, template.metadata.labels, _SPEC.child("selector"), path.child("metadata", "labels")
    )
    errors += pods.pod_template(template, path, claim_templates)
    policy = template.spec.restart_policy
    if policy and policy not in restart_policies and policy in pods.RESTART_POLICIES:
        errors.append(not_supported(path.child("spec", "restartPolicy"), policy, restart_policies))
    return errors


def _no_active_deadline(template: core.PodTemplateSpec, path: Path, kind: str) -> list[FieldError]:
    if template.spec.active_deadline_seconds is not None:
        return [
            forbidden(
                path.child("spec", "activeDeadlineSeconds"),
                f"activeDeadlineSeconds in {kind} is not Supported",
            )
        ]
    return []


# -- apps/v1 -----------------------------------------------------------------------------------------------


def validate_replica_set(replica_set: apps.ReplicaSet) -> list[FieldError]:
    spec = replica_set.spec
    errors = m.nonnegative(spec.replicas, _SPEC.child("replicas"))
    errors += m.nonnegative(spec.min_ready_seconds, _SPEC.child("minReadySeconds"))
    template = _SPEC.child("template")
    errors += _template_for_controller(spec.template, spec.selector, template)
    errors += _no_active_deadline(spec.template, template, "ReplicaSet")
    return errors


def rolling_update_bounds(
    max_unavailable: IntOrString | None, max_surge: IntOrString | None, path: Path
) -> list[FieldError]:
    """``ValidateRollingUpdateDeployment``: int-or-percent, unavailable at most 100 %, not both zero."""
    errors = m.int_or_percent(max_unavailable, path.child("maxUnavailable"))
    errors += m.int_or_percent(max_surge, path.child("maxSurge"))
    if not errors and m.is_zero(max_unavailable) and m.is_zero(max_surge):
        errors.append(
            invalid(
                path.child("maxUnavailable"), str(max_unavailable or 0), "may not be 0 when `maxSurge` is 0"
            )
        )
    errors += m.percent_at_most_100(max_unavailable, path.child("maxUnavailable"))
    return errors


def validate_deployment(deployment: apps.Deployment) -> list[FieldError]:
    spec = deployment.spec
    errors = m.nonnegative(spec.replicas, _SPEC.child("replicas"))
    template = _SPEC.child("template")
    errors += _template_for_controller(spec.template, spec.selector, template)
    errors += _no_active_deadline(spec.template, template, "Deployment")
    strategy, strategy_path = spec.strategy, _SPEC.child("strategy")
    errors += m.one_of(strategy.type, DEPLOYMENT_STRATEGIES, strategy_path.child("type"))
    if strategy.type == "Recreate" and strategy.rolling_update is not None:
        errors.append(
            forbidden(
                strategy_path.child("rollingUpdate"),
                "may not be specified when strategy `type` is 'Recreate'",
            )
        )
    if strategy.type == "RollingUpdate" and strategy.rolling_update is not None:
        rolling = strategy.rolling_update
        errors += rolling_update_bounds(
            rolling.max_unavailable, rolling.max_surge, strategy_path.child("rollingUpdate")
        )
    errors += m.nonnegative(spec.min_ready_seconds, _SPEC.child("minReadySeconds"))
    errors += m.nonnegative(spec.revision_history_limit, _SPEC.child("revisionHistoryLimit"))
    if spec.progress_deadline_seconds is not None:
        errors += m.nonnegative(spec.progress_deadline_seconds, _SPEC.child("progressDeadlineSeconds"))
        if spec.progress_deadline_seconds <= spec.min_ready_seconds:
            errors.append(
                invalid(
                    _SPEC.child("progressDeadlineSeconds"),
                    spec.progress_deadline_seconds,
                    "must be greater than minReadySeconds",
                )
            )
    return errors


def validate_stateful_set(stateful_set: apps.StatefulSet) -> list[FieldError]:
    spec = stateful_set.spec
    errors = m.one_of(
        spec.pod_management_policy, POD_MANAGEMENT_POLICIES, _SPEC.child("podManagementPolicy")
    )
    strategy, strategy_path = spec.update_strategy, _SPEC.child("updateStrategy")
    errors += m.one_of(strategy.type, STATEFUL_SET_STRATEGIES, strategy_path.child("type"))
    if strategy.type == "OnDelete" and strategy.rolling_update is not None:
        errors.append(
            invalid(
                strategy_path.child("rollingUpdate"), "", "only allowed for updateStrategy 'RollingUpdate'"
            )
        )
    if strategy.type == "RollingUpdate" and strategy.rolling_update is not None:
        rolling = strategy.rolling_update
        errors += m.nonnegative(rolling.partition, strategy_path.child("rollingUpdate", "partition"))
        if rolling.max_unavailable is not None:
            at = strategy_path.child("rollingUpdate", "maxUnavailable")
            errors += m.int_or_percent(rolling.max_unavailable, at)
            if m.is_zero(rolling.max_unavailable):
                errors.append(invalid(at, str(rolling.max_unavailable), "must be greater than 0"))
            errors += m.percent_at_most_100(rolling.max_unavailable, at)
    retention = spec.persistent_volume_claim_retention_policy
    if retention is not None:
        at = _SPEC.child("persistentVolumeClaimRetentionPolicy")
        errors += m.one_of(retention.when_deleted, RETENTION_POLICIES, at.child("whenDeleted"))
        errors += m.one_of(retention.when_scaled, RETENTION_POLICIES, at.child("whenScaled"))
    errors += m.nonnegative(spec.replicas, _SPEC.child("replicas"))
    errors += m.nonnegative(spec.min_ready_seconds, _SPEC.child("minReadySeconds"))
    if spec.ordinals is not None:
        errors += m.nonnegative(spec.ordinals.start, _SPEC.child("ordinals", "start"))
    # Upstream leaves a StatefulSet's pod spec unvalidated because mounts of claim templates
    # would fail the volume check (its TODO: "check that the union of the given volumes and
    # volumeClaims match volume mounts"); kspec does what that TODO asks.
    template = _SPEC.child("template")
    claims = tuple(claim.metadata.name for claim in spec.volume_claim_templates)
    errors += _template_for_controller(spec.template, spec.selector, template, claim_templates=claims)
    errors += _no_active_deadline(spec.template, template, "StatefulSet")
    claim_names: list[str] = []
    for position, claim in enumerate(spec.volume_claim_templates):
        at = _SPEC.child("volumeClaimTemplates").index(position)
        if not claim.metadata.name:
            errors.append(required(at.child("metadata", "name"), ""))
        else:
            errors += [
                invalid(at.child("metadata", "name"), claim.metadata.name, message)
                for message in m.dns1123_subdomain(claim.metadata.name)
            ]
        claim_names.append(claim.metadata.name)
        errors += m.label_map(claim.metadata.labels, at.child("metadata", "labels"))
        errors += pods.persistent_volume_claim_spec(claim.spec, at.child("spec"))
    errors += m.unique(
        claim_names,
        lambda position: _SPEC.child("volumeClaimTemplates").index(position).child("metadata", "name"),
    )
    return errors


def validate_daemon_set(daemon_set: apps.DaemonSet) -> list[FieldError]:
    spec = daemon_set.spec
    errors: list[FieldError] = []
    template = _SPEC.child("template")
    errors += _template_for_controller(spec.template, spec.selector, template)
    errors += _no_active_deadline(spec.template, template, "DaemonSet")
    errors += m.nonnegative(spec.min_ready_seconds, _SPEC.child("minReadySeconds"))
    errors += m.nonnegative(spec.revision_history_limit, _SPEC.child("revisionHistoryLimit"))
    strategy, strategy_path = spec.update_strategy, _SPEC.child("updateStrategy")
    errors += m.one_of(strategy.type, DAEMON_SET_STRATEGIES, strategy_path.child("type"))
    if strategy.type == "RollingUpdate":
        if strategy.rolling_update is None:
            errors.append(required(strategy_path.child("rollingUpdate"), ""))
        else:
            rolling = strategy.rolling_update
            errors += rolling_update_bounds(
                rolling.max_unavailable, rolling.max_surge, strategy_path.child("rollingUpdate")
            )
    return errors


# -- batch/v1 ---------------------------------------------------------------------------------------------


def job_spec(spec: batch.JobSpec, path: Path) -> list[FieldError]:
    """``validateJobSpec``; no selector is fine: the API server generates one before it validates."""
    errors = m.nonnegative(spec.parallelism, path.child("parallelism"))
    errors += m.nonnegative(spec.completions, path.child("completions"))
    errors += m.nonnegative(spec.backoff_limit, path.child("backoffLimit"))
    errors += m.nonnegative(spec.ttl_seconds_after_finished, path.child("ttlSecondsAfterFinished"))
    errors += m.positive(spec.active_deadline_seconds, path.child("activeDeadlineSeconds"))
    if spec.completion_mode is not None:
        errors += m.one_of(spec.completion_mode, COMPLETION_MODES, path.child("completionMode"))
        if spec.completion_mode == "Indexed" and spec.completions is None:
            errors.append(required(path.child("completions"), "when completion mode is Indexed"))
    if spec.backoff_limit_per_index is not None and spec.completion_mode != "Indexed":
        errors.append(forbidden(path.child("backoffLimitPerIndex"), "requires indexed completion mode"))
    template = path.child("template")
    if spec.selector is not None:
        errors += m.selector_matches_template(
            spec.selector,
            spec.template.metadata.labels,
            path.child("selector"),
            template.child("metadata", "labels"),
        )
    errors += pods.pod_template(spec.template, template)
    policy = spec.template.spec.restart_policy
    if policy == "Always" or (policy and policy not in pods.RESTART_POLICIES):
        errors.append(not_supported(template.child("spec", "restartPolicy"), policy, ("OnFailure", "Never")))
    return errors


def validate_job(job: batch.Job) -> list[FieldError]:
    return job_spec(job.spec, _SPEC)


def validate_cron_job(cron_job: batch.CronJob) -> list[FieldError]:
    """``ValidateCronJobCreate``: a CronJob's name leaves room for the 11-character suffix of its Jobs."""
    errors: list[FieldError] = []
    if len(cron_job.metadata.name) > 52:
        errors.append(
            invalid(_META.child("name"), cron_job.metadata.name, "must be no more than 52 characters")
        )
    spec = cron_job.spec
    if not spec.schedule:
        errors.append(required(_SPEC.child("schedule"), ""))
    else:
        errors += [
            invalid(_SPEC.child("schedule"), spec.schedule, message)
            for message in cron.schedule_errors(spec.schedule)
        ]
    if spec.time_zone is not None:
        errors += [
            invalid(_SPEC.child("timeZone"), spec.time_zone, message)
            for message in cron.time_zone_errors(spec.time_zone)
        ]
    errors += m.nonnegative(spec.starting_deadline_seconds, _SPEC.child("startingDeadlineSeconds"))
    errors += m.one_of(spec.concurrency_policy, CONCURRENCY_POLICIES, _SPEC.child("concurrencyPolicy"))
    errors += m.nonnegative(spec.successful_jobs_history_limit, _SPEC.child("successfulJobsHistoryLimit"))
    errors += m.nonnegative(spec.failed_jobs_history_limit, _SPEC.child("failedJobsHistoryLimit"))
    template = _SPEC.child("jobTemplate")
    errors += m.label_map(spec.job_template.metadata.labels, template.child("metadata", "labels"))
    errors += m.annotation_map(
        spec.job_template.metadata.annotations, template.child("metadata", "annotations")
    )
    errors += job_spec(spec.job_template.spec, template.child("spec"))
    return errors
