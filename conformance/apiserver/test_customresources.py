"""The CRD suite: generated CustomResourceDefinitions and objects against ``--impl``'s apiserver component.

It needs the official ``kubernetes`` client (``pip install 'kspec[kubernetes]'``); without it the
test is skipped and reported as such. Against a real cluster (``--impl kubeconfig:PATH``) it needs
the right to create and delete CRDs and namespaces.
"""

from __future__ import annotations

import pytest

from conformance.adapters import Implementation
from conformance.apiserver.customresources import run_checks
from conformance.profiles import settings_for

pytestmark = pytest.mark.component("apiserver")


@pytest.mark.requirement(
    "API-CRD-SERVE",
    "API-CRD-SCHEMA",
    "API-CRD-PRUNE",
    "API-CRD-DEFAULT",
    "API-CRD-STATUS",
    "API-CRD-DISCOVERY",
    "API-CRD-CONDITIONS",
    "API-CRD-DELETE",
)
def test_custom_resources_behave_as_upstream(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("apiserver")
    config = pytest.importorskip(
        "kubernetes.config", reason="the apiserver suite needs the kubernetes client"
    )
    with provider.serve() as kubeconfig:
        api = config.new_client_from_config(config_file=str(kubeconfig))
        try:
            run_checks(api, settings_for(provider))
        finally:
            api.close()
