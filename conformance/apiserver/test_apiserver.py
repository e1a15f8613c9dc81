"""The apiserver suite: the ConfigMap and ownership machines against ``--impl``'s apiserver component.

It needs the official ``kubernetes`` client (``pip install 'kspec[kubernetes]'``); without it the
test is skipped and reported as such.
"""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from conformance.adapters import Implementation
from conformance.apiserver.machine import machine_for, ownership_machine_for
from conformance.apiserver.specstatus import spec_status_machine_for
from conformance.profiles import settings_for

pytestmark = pytest.mark.component("apiserver")


@pytest.mark.requirement(
    "API-CREATE",
    "API-NOT-FOUND",
    "API-OPTIMISTIC-CONCURRENCY",
    "API-RV-MONOTONIC",
    "API-LIST-SELECTORS",
    "API-LIST-AT-VERSION",
    "API-WATCH-ORDER",
    "API-STATUS-ERRORS",
)
def test_objects_behave_as_the_model(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("apiserver")
    config = pytest.importorskip(
        "kubernetes.config", reason="the apiserver suite needs the kubernetes client"
    )
    with provider.serve() as kubeconfig:
        api = config.new_client_from_config(config_file=str(kubeconfig))
        try:
            run_state_machine_as_test(machine_for(api), settings=settings_for(provider))
        finally:
            api.close()


@pytest.mark.requirement(
    "API-DELETE-PROPAGATION",
    "API-GC-BACKGROUND",
    "API-GC-ORPHAN",
    "API-GC-FOREGROUND",
    "API-NAMESPACE-TERMINATING",
    "API-NAMESPACE-CASCADE",
    "API-GRACEFUL-DELETE",
)
def test_deletion_propagates_as_the_model(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("apiserver")
    config = pytest.importorskip(
        "kubernetes.config", reason="the apiserver suite needs the kubernetes client"
    )
    with provider.serve() as kubeconfig:
        api = config.new_client_from_config(config_file=str(kubeconfig))
        try:
            run_state_machine_as_test(ownership_machine_for(api), settings=settings_for(provider))
        finally:
            api.close()


@pytest.mark.requirement(
    "API-GENERATION",
    "API-STATUS-SUBRESOURCE",
    "API-FINALIZERS",
    "API-OPTIMISTIC-CONCURRENCY",
    "API-PATCH-MERGE",
)
def test_spec_status_and_finalizers_behave_as_the_model(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("apiserver")
    config = pytest.importorskip(
        "kubernetes.config", reason="the apiserver suite needs the kubernetes client"
    )
    with provider.serve() as kubeconfig:
        first = config.new_client_from_config(config_file=str(kubeconfig))
        second = config.new_client_from_config(config_file=str(kubeconfig))
        try:
            machine = spec_status_machine_for(first, second)
            run_state_machine_as_test(machine, settings=settings_for(provider))
        finally:
            first.close()
            second.close()
