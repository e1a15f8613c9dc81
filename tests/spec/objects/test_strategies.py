"""The valid-object strategies keep the validity rules they promise, checked here rule by rule.

Each rule here is one of upstream's validation rules (k/k
``pkg/apis/core/validation/validation.go``, ``pkg/apis/apps/validation``,
``pkg/apis/batch/validation``), checked with the syntax helpers of
``spec/selectors.py``; test_validation.py checks them against the whole of ``spec.objects.validation``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.strategies.objects import RandomChoices, build_pod, objects, objects_of
from spec.objects import KindModel, info_of
from spec.objects.apps import DaemonSet, Deployment, ReplicaSet, StatefulSet
from spec.objects.base import FrozenMap, Model
from spec.objects.batch import CronJob, Job
from spec.objects.core import Container, Pod, PodSpec
from spec.objects.meta import LabelSelector
from spec.selectors import (
    validate_dns1123_subdomain,
    validate_label_key,
    validate_label_selector,
    validate_label_value,
)

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def _models(value: Any) -> Iterator[Model]:
    if isinstance(value, Model):
        yield value
        for name in type(value).model_fields:
            yield from _models(getattr(value, name))
    elif isinstance(value, tuple):
        for item in value:
            yield from _models(item)


@given(objects())
def test_names_and_labels_have_valid_syntax(obj: KindModel) -> None:
    assert obj.metadata.name and not validate_dns1123_subdomain(obj.metadata.name)
    assert bool(obj.metadata.namespace) == info_of(obj).namespaced
    for model in _models(obj):
        for name in ("labels", "match_labels", "node_selector"):
            mapping = getattr(model, name, None)
            if isinstance(mapping, FrozenMap):
                for key, value in mapping.items():
                    assert not validate_label_key(key), key
                    assert not validate_label_value(value), value
        if isinstance(model, LabelSelector):
            assert not validate_label_selector(model.to_selector())


def _pod_specs(obj: KindModel) -> Iterator[PodSpec]:
    yield from (model for model in _models(obj) if isinstance(model, PodSpec))


@given(objects())
def test_pod_specs_are_internally_consistent(obj: KindModel) -> None:
    for spec in _pod_specs(obj):
        containers: tuple[Container, ...] = spec.all_containers()
        names = [container.name for container in containers]
        assert spec.containers and len(names) == len(set(names))
        assert all(_DNS1123_LABEL.fullmatch(name) for name in names)
        volumes = {volume.name for volume in spec.volumes}
        assert len(volumes) == len(spec.volumes)
        numbers = [port.container_port for container in containers for port in container.ports]
        assert len(numbers) == len(set(numbers)) and all(1 <= n <= 65535 for n in numbers)
        for container in containers:
            assert {mount.name for mount in container.volume_mounts} <= volumes
            paths = [mount.mount_path for mount in container.volume_mounts]
            assert len(paths) == len(set(paths))
            for resource, limit in container.resources.limits.items():
                request = container.resources.requests.get(resource)
                assert request is None or request <= limit
            for toleration in spec.tolerations:
                assert toleration.operator != "Exists" or toleration.value == ""


@pytest.mark.parametrize("kind", [ReplicaSet, Deployment, StatefulSet, DaemonSet])
@given(data=st.data())
def test_workload_selectors_are_non_empty_and_select_their_template(
    kind: type[Any], data: st.DataObject
) -> None:
    workload = data.draw(objects_of(kind))
    selector = workload.spec.selector
    assert selector is not None and (selector.match_labels or selector.match_expressions)
    assert selector.matches(workload.spec.template.metadata.labels)
    assert workload.spec.template.spec.restart_policy in ("", "Always")


@given(st.one_of(objects_of(Job), objects_of(CronJob)))
def test_job_pods_restart_on_failure_or_never(obj: Job | CronJob) -> None:
    spec = obj.spec if isinstance(obj, Job) else obj.spec.job_template.spec
    assert spec.template.spec.restart_policy in ("OnFailure", "Never")
    if spec.completion_mode == "Indexed":
        assert spec.completions is not None


@given(objects_of(Deployment))
def test_rolling_updates_can_progress(deployment: Deployment) -> None:
    rolling = deployment.spec.strategy.rolling_update
    if rolling is not None and rolling.max_surge is not None and rolling.max_unavailable is not None:
        assert {rolling.max_surge.value, rolling.max_unavailable.value} - {0, "0%"}


def test_builders_are_deterministic_functions_of_their_choices() -> None:
    # What makes a failing example replay: the same choices give the same object.
    assert build_pod(RandomChoices(1), RandomChoices(2)) == build_pod(RandomChoices(1), RandomChoices(2))
    assert build_pod(RandomChoices(1), RandomChoices(2)) != build_pod(RandomChoices(1), RandomChoices(3))
    assert isinstance(build_pod(RandomChoices(3), RandomChoices(4)), Pod)
