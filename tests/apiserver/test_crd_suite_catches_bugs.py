"""The CRD suite (conformance/apiserver/customresources.py) catches seeded bugs of the reference server.

Each variant replaces the server's ``CustomResources`` with a broken one,
served through the same ``ReferenceAPIServerProvider``; the suite must fail
with the requirement the bug breaks. A variant it does not catch fails this
test.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

config = pytest.importorskip("kubernetes.config")

from conformance.apiserver.customresources import run_checks  # noqa: E402
from conformance.violation import RequirementViolation  # noqa: E402
from impl.apiserver.core import APIServer  # noqa: E402
from impl.apiserver.customresources import CustomResourceInfo, CustomResources  # noqa: E402
from impl.apiserver.http import wall_clock  # noqa: E402
from impl.apiserver.provider import ReferenceAPIServerProvider  # noqa: E402
from impl.apiserver.storage import KV  # noqa: E402
from spec.entropy import SeededEntropy  # noqa: E402
from spec.objects.apiextensions import JSONSchemaProps  # noqa: E402
from spec.objects.validation.errors import FieldError  # noqa: E402


class SkipsValidation(CustomResources):
    """Stores whatever the schema forbids."""

    def schema_errors(self, obj: dict[str, Any], schema: JSONSchemaProps) -> list[FieldError]:
        return []


class KeepsUnknownFields(CustomResources):
    """Never prunes."""

    def prune(self, obj: dict[str, Any], schema: JSONSchemaProps) -> dict[str, Any]:
        return dict(obj)


class ServesAfterDelete(CustomResources):
    """Remembers every resource it ever served: a deleted CRD's URLs still answer."""

    remembered: list[CustomResourceInfo]

    def served(self) -> list[CustomResourceInfo]:
        current = super().served()
        seen = getattr(self, "remembered", [])
        self.remembered = seen + [info for info in current if info not in seen]
        return self.remembered


class StatusThroughMainResource(CustomResources):
    """Ignores the status subresource: the main resource writes status too."""

    def prepare_for_update(
        self, new: dict[str, Any], old: dict[str, Any], info: CustomResourceInfo, *, status_only: bool
    ) -> dict[str, Any]:
        plain = CustomResourceInfo(**{**info.__dict__, "status_subresource": False})
        return super().prepare_for_update(new, old, plain, status_only=status_only)


def _factory(variant: type[CustomResources]) -> Any:
    def factory(kv: KV, seed: int) -> APIServer:
        server = APIServer(kv, clock=wall_clock, entropy=SeededEntropy(seed))
        server.custom_resources = variant(server)
        server.bootstrap()
        return server

    return factory


_SETTINGS = settings(
    max_examples=8,
    deadline=None,
    database=None,
    derandomize=True,  # the same examples every run
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)


@pytest.mark.parametrize(
    ("variant", "requirement"),
    [
        (SkipsValidation, "API-CRD-SCHEMA"),
        (KeepsUnknownFields, "API-CRD-PRUNE"),
        (ServesAfterDelete, "API-CRD-DELETE"),
        (StatusThroughMainResource, "API-CRD-STATUS"),
    ],
    ids=["skips-schema-validation", "no-pruning", "serves-after-delete", "status-through-main"],
)
def test_the_crd_suite_catches(variant: type[CustomResources], requirement: str) -> None:
    provider = ReferenceAPIServerProvider(server_factory=_factory(variant))
    with provider.serve() as kubeconfig:
        api = config.new_client_from_config(config_file=str(kubeconfig))
        try:
            with pytest.raises(RequirementViolation) as caught:
                run_checks(api, _SETTINGS, wait_s=0.5)
        finally:
            api.close()
    assert caught.value.requirement_id == requirement, str(caught.value)


def test_the_reference_passes_the_same_runs() -> None:
    with ReferenceAPIServerProvider().serve() as kubeconfig:
        api = config.new_client_from_config(config_file=str(kubeconfig))
        try:
            run_checks(api, _SETTINGS, wait_s=5)
        finally:
            api.close()
