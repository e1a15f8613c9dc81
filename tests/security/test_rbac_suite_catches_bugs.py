"""The authorization suite (conformance/security/rbac.py) catches seeded bugs of the reference's authorizer.

Each variant serves the reference API server with a broken piece of its
authorizer chain (impl/apiserver/authz.py takes the decision functions as
parameters) through the same ``ReferenceAPIServerProvider``; the suite's
check must fail on it, and pass on the unbroken server with the same runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

config = pytest.importorskip("kubernetes.config")

from conformance.security import rbac as suite  # noqa: E402
from impl.apiserver import authz  # noqa: E402
from impl.apiserver.core import APIServer  # noqa: E402
from impl.apiserver.http import new_server  # noqa: E402
from impl.apiserver.provider import ReferenceAPIServerProvider  # noqa: E402
from impl.apiserver.storage import KV  # noqa: E402
from spec import rbac  # noqa: E402
from spec.objects.rbac import PolicyRule  # noqa: E402

RUNS = settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _decide_with(rule_allows: Callable[[rbac.Attributes, PolicyRule], bool]) -> Any:
    def decide(attributes: rbac.Attributes, policy: rbac.Policy) -> rbac.Decision:
        rules = rbac.rules_for(policy, attributes.user, attributes.namespace)
        return rbac.Decision(any(rule_allows(attributes, rule) for rule in rules))

    return decide


def names_ignored(attributes: rbac.Attributes, rule: PolicyRule) -> bool:
    return rbac.rule_allows(attributes, rule.replace(resource_names=()))


def no_subresource_wildcard(attributes: rbac.Attributes, rule: PolicyRule) -> bool:
    kept = tuple(r for r in rule.resources if not r.startswith("*/"))
    return bool(kept) and rbac.rule_allows(attributes, rule.replace(resources=kept))


def url_prefix_ignored(attributes: rbac.Attributes, rule: PolicyRule) -> bool:
    if attributes.resource_request:
        return rbac.rule_allows(attributes, rule)
    return rbac.verb_matches(rule, attributes.verb) and (
        attributes.path in rule.non_resource_urls or "*" in rule.non_resource_urls
    )


def role_bindings_cluster_wide(attributes: rbac.Attributes, policy: rbac.Policy) -> rbac.Decision:
    """A RoleBinding to a ClusterRole grants in every namespace."""
    namespaces = {b.metadata.namespace for b in policy.role_bindings} | {attributes.namespace}
    for namespace in namespaces:
        for rule in rbac.rules_for(policy, attributes.user, namespace):
            if rbac.rule_allows(attributes, rule):
                return rbac.Decision(True)
    return rbac.Decision(False)


def watch_is_list(attributes: rbac.Attributes, policy: rbac.Policy) -> rbac.Decision:
    if attributes.verb == "watch":
        attributes = dataclasses.replace(attributes, verb="list")
    return rbac.authorize_policy(attributes, policy)


def node_reads_any_secret(attributes: rbac.Attributes, pods: Any) -> rbac.Decision:
    """The Node authorizer checks that a pod references the secret, not that the pod is on the node."""
    from spec.authn import node_name_of

    node = node_name_of(attributes.user)
    if node is not None and attributes.resource == "secrets" and attributes.verb == "get":
        for pod in pods:
            if pod.metadata.namespace == attributes.namespace:
                if attributes.name in rbac.pod_references(pod)["secrets"]:
                    return rbac.Decision(True)
    return rbac.node_authorize(attributes, pods)


def node_updates_any_node(attributes: rbac.Attributes, pods: Any) -> rbac.Decision:
    from spec.authn import node_name_of

    if (
        node_name_of(attributes.user)
        and attributes.resource == "nodes"
        and attributes.verb in ("update", "patch")
    ):
        return rbac.Decision(True)
    return rbac.node_authorize(attributes, pods)


def escalation_allowed(user: Any, obj: Any, policy: rbac.Policy) -> rbac.Decision:
    return rbac.Decision(True)


def covers_ignores_names(user: Any, obj: Any, policy: rbac.Policy) -> rbac.Decision:
    """Covers compares rules without their resourceNames (a named grant covers the whole resource)."""
    strip = [r.replace(resource_names=()) for r in rbac.rules_for(policy, user, obj.metadata.namespace)]
    widened = rbac.Policy(
        policy.roles, policy.cluster_roles, policy.role_bindings, policy.cluster_role_bindings
    )
    decision = rbac.escalation_check(user, obj, widened)
    if decision.allowed:
        return decision
    granted = getattr(obj, "rules", None)
    if granted is None:
        granted = (
            widened.role_reference_rules(obj.role_ref.kind, obj.role_ref.name, obj.metadata.namespace) or ()
        )
    return rbac.Decision(rbac.covers(strip, granted)[0])


_FORBIDDEN_STATUS = authz.forbidden_status


def forbidden_without_user(attributes: rbac.Attributes, reason: str = "") -> dict[str, Any]:
    status = _FORBIDDEN_STATUS(attributes, reason)
    status["message"] = status["message"].replace(f'User "{attributes.user.name}" ', "")
    return status


class NoImpersonatedGroups(authz.Authorizer):
    """Impersonation keeps only the groups asked for (no system:authenticated, no ServiceAccount groups)."""

    def effective_user(self, user: Any, headers: Any) -> Any:
        found = super().effective_user(user, headers)
        if found is None or "impersonate-user" not in headers:
            return found
        asked = tuple(g for g in (headers.get("impersonate-group"),) if g)
        return dataclasses.replace(found, groups=asked)


def _factory(
    kind: type[authz.Authorizer] = authz.Authorizer, **broken: Any
) -> Callable[[KV, int], APIServer]:
    def factory(kv: KV, seed: int) -> APIServer:
        server = new_server(kv, seed=seed)
        server.authorizer = kind(lambda: server.storage, **broken)
        server.bootstrap()  # the default policy, as with authorization=True
        return server

    return factory


GENERATED = lambda cluster: suite.check_generated_policies(cluster, RUNS)  # noqa: E731
NODES = suite.check_node_matrix
ESCALATION = lambda cluster: suite.check_escalation(cluster, RUNS)  # noqa: E731

VARIANTS = [
    pytest.param(GENERATED, {"rbac_decide": _decide_with(names_ignored)}, id="resourceNames-ignored"),
    pytest.param(GENERATED, {"rbac_decide": _decide_with(no_subresource_wildcard)}, id="no-*/subresource"),
    pytest.param(GENERATED, {"rbac_decide": _decide_with(url_prefix_ignored)}, id="url-trailing-*-ignored"),
    pytest.param(GENERATED, {"rbac_decide": role_bindings_cluster_wide}, id="rolebinding-not-namespaced"),
    pytest.param(GENERATED, {"rbac_decide": watch_is_list}, id="watch-authorized-as-list"),
    pytest.param(NODES, {"node": node_reads_any_secret}, id="node-reads-another-nodes-secret"),
    pytest.param(NODES, {"node": node_updates_any_node}, id="node-updates-another-node"),
    pytest.param(ESCALATION, {"escalation": escalation_allowed}, id="escalation-allowed"),
    pytest.param(ESCALATION, {"escalation": covers_ignores_names}, id="covers-ignores-resourceNames"),
]


def test_the_suite_catches_impersonation_without_groups() -> None:
    with pytest.raises(AssertionError):
        _run(suite.check_impersonation, _factory(NoImpersonatedGroups))


def _run(check: Any, factory: Callable[[KV, int], APIServer]) -> None:
    provider = ReferenceAPIServerProvider(server_factory=factory)
    with provider.serve() as kubeconfig:
        api = config.new_client_from_config(config_file=str(kubeconfig))
        try:
            check(suite.Cluster(api))
        finally:
            api.close()


@pytest.mark.parametrize(("check", "broken"), VARIANTS)
def test_the_suite_catches(check: Any, broken: dict[str, Any]) -> None:
    with pytest.raises(AssertionError):
        _run(check, _factory(**broken))


@pytest.mark.parametrize(
    "check",
    [GENERATED, NODES, ESCALATION, suite.check_impersonation],
    ids=["generated", "nodes", "escalation", "impersonation"],
)
def test_the_reference_passes_the_same_runs(check: Any) -> None:
    _run(check, _factory())


def test_the_403_shape_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refusal whose message does not name the user fails SEC-AUTHZ-FORBIDDEN's check."""
    monkeypatch.setattr(authz, "forbidden_status", forbidden_without_user)
    with pytest.raises(AssertionError, match="does not say who"):
        _run(NODES, _factory())
