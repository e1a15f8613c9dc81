"""The authorization suite: generated RBAC policies, the Node authorizer matrix, escalation attempts.

Against ``--impl``'s apiserver component, through the official ``kubernetes``
client impersonating generated users (conformance/security/rbac.py); the
kubeconfig must be allowed to impersonate (the reference provider's system:masters certificate,
or a cluster admin's). Skipped without the client.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings

from conformance.adapters import Implementation
from conformance.profiles import settings_for
from conformance.security import rbac as suite

pytestmark = pytest.mark.component("apiserver")


def _settings(provider: Any) -> settings:
    return settings_for(provider) or settings.default


def _run(kspec_implementation: Implementation, check: Any, *args: Any) -> int:
    provider = kspec_implementation.component("apiserver")
    config = pytest.importorskip("kubernetes.config", reason="the security suite needs the kubernetes client")
    with provider.serve() as kubeconfig:
        api = config.new_client_from_config(config_file=str(kubeconfig))
        try:
            return int(check(suite.Cluster(api), *(a(provider) if callable(a) else a for a in args)))
        finally:
            api.close()


@pytest.mark.requirement("SEC-RBAC-DECISION", "SEC-RBAC-ATTRIBUTES", "SEC-AUTHZ-FORBIDDEN")
def test_generated_policies_decide_as_the_model(kspec_implementation: Implementation) -> None:
    sent = _run(kspec_implementation, suite.check_generated_policies, _settings)
    assert sent >= len(suite.probe_matrix())


@pytest.mark.requirement("SEC-NODE-AUTHZ", "SEC-AUTHZ-FORBIDDEN")
def test_node_authorizer_matrix(kspec_implementation: Implementation) -> None:
    assert _run(kspec_implementation, suite.check_node_matrix) == len(suite.node_probes())


@pytest.mark.requirement("SEC-RBAC-ESCALATION")
def test_escalation_is_refused(kspec_implementation: Implementation) -> None:
    assert _run(kspec_implementation, suite.check_escalation, _settings) > 0


@pytest.mark.requirement("SEC-AUTHZ-IMPERSONATE")
def test_impersonated_users_have_upstreams_groups(kspec_implementation: Implementation) -> None:
    assert _run(kspec_implementation, suite.check_impersonation) == 16
