"""spec/rbac.py against upstream's unit cases (ported by name) and the reference's authorizer in process.

Upstream: k8s.io/apiserver pkg/endpoints/request/requestinfo_test.go (TestGetAPIRequestInfo,
TestGetNonAPIRequestInfo), k/k plugin/pkg/auth/authorizer/rbac/rbac_test.go (TestAuthorizer,
TestRuleMatches), pkg/registry/rbac/validation/policy_comparator_test.go (TestCovers*),
plugin/pkg/auth/authorizer/node/node_authorizer_test.go (the relationship cases).
"""

from __future__ import annotations

import pytest

from impl.apiclient import InProcessClient
from impl.apiserver.http import new_server
from impl.apiserver.memory import MemoryKV
from spec import rbac
from spec.authn import UserInfo
from spec.objects import core
from spec.objects.meta import ObjectMeta
from spec.objects.rbac import ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject

ALICE = UserInfo("alice", groups=("devs",))
G = "rbac.authorization.k8s.io"


def attrs(method: str, path: str, query: str = "", user: UserInfo = ALICE) -> rbac.Attributes:
    parsed: dict[str, list[str]] = {}
    for pair in filter(None, query.split("&")):
        name, _, value = pair.partition("=")
        parsed.setdefault(name, []).append(value)
    return rbac.request_attributes(method, path, parsed, user)


@pytest.mark.parametrize(
    ("method", "path", "query", "verb", "namespace", "group", "resource", "sub", "name"),
    [
        # TestGetAPIRequestInfo's successCases
        ("GET", "/api/v1/namespaces", "", "list", "", "", "namespaces", "", ""),
        ("GET", "/api/v1/namespaces/other", "", "get", "other", "", "namespaces", "", "other"),
        ("GET", "/api/v1/namespaces/other/pods", "", "list", "other", "", "pods", "", ""),
        ("GET", "/api/v1/namespaces/other/pods/foo", "", "get", "other", "", "pods", "", "foo"),
        ("HEAD", "/api/v1/namespaces/other/pods/foo", "", "get", "other", "", "pods", "", "foo"),
        ("GET", "/api/v1/pods", "", "list", "", "", "pods", "", ""),
        ("GET", "/api/v1/namespaces/other/pods", "watch=true", "watch", "other", "", "pods", "", ""),
        ("GET", "/api/v1/watch/pods", "", "watch", "", "", "pods", "", ""),
        ("GET", "/api/v1/watch/namespaces/other/pods", "", "watch", "other", "", "pods", "", ""),
        ("POST", "/api/v1/namespaces/other/pods", "", "create", "other", "", "pods", "", ""),
        ("PUT", "/api/v1/namespaces/other/pods/foo", "", "update", "other", "", "pods", "", "foo"),
        ("PATCH", "/api/v1/namespaces/other/pods/foo", "", "patch", "other", "", "pods", "", "foo"),
        ("DELETE", "/api/v1/namespaces/other/pods/foo", "", "delete", "other", "", "pods", "", "foo"),
        ("DELETE", "/api/v1/namespaces/other/pods", "", "deletecollection", "other", "", "pods", "", ""),
        ("GET", "/api/v1/namespaces/other/pods/foo/status", "", "get", "other", "", "pods", "status", "foo"),
        (
            "PUT",
            "/api/v1/namespaces/other/finalize",
            "",
            "update",
            "other",
            "",
            "namespaces",
            "finalize",
            "other",
        ),
        (
            "PUT",
            "/api/v1/namespaces/other/status",
            "",
            "update",
            "other",
            "",
            "namespaces",
            "status",
            "other",
        ),
        (
            "GET",
            "/apis/apps/v1/namespaces/a/deployments/d/scale",
            "",
            "get",
            "a",
            "apps",
            "deployments",
            "scale",
            "d",
        ),
        (
            "GET",
            "/api/v1/namespaces/a/pods",
            "fieldSelector=metadata.name=x",
            "list",
            "a",
            "",
            "pods",
            "",
            "x",
        ),
        (
            "GET",
            "/api/v1/namespaces/a/pods",
            "fieldSelector=metadata.name=x,a=b",
            "list",
            "a",
            "",
            "pods",
            "",
            "",
        ),
    ],
)
def test_request_attributes(
    method: str,
    path: str,
    query: str,
    verb: str,
    namespace: str,
    group: str,
    resource: str,
    sub: str,
    name: str,
) -> None:
    got = attrs(method, path, query)
    assert got.resource_request
    assert (got.verb, got.namespace, got.api_group, got.resource, got.subresource, got.name) == (
        verb, namespace, group, resource, sub, name,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "verb"),
    [("GET", "/", "get"), ("GET", "/healthz", "get"), ("GET", "/api", "get"), ("GET", "/api/v1", "get"),
     ("GET", "/apis/apps", "get"), ("POST", "/kspec-x", "post"), ("GET", "/apis/apps/v1", "get")],
)  # fmt: skip
def test_non_resource_requests(method: str, path: str, verb: str) -> None:
    got = attrs(method, path)
    assert not got.resource_request and got.verb == verb and got.path == path


def _rule(verbs: tuple[str, ...], groups: tuple[str, ...] = ("",), resources: tuple[str, ...] = (),
          names: tuple[str, ...] = (), urls: tuple[str, ...] = ()) -> PolicyRule:  # fmt: skip
    if urls:
        return PolicyRule(verbs=verbs, non_resource_urls=urls)
    return PolicyRule(verbs=verbs, api_groups=groups, resources=resources, resource_names=names)


@pytest.mark.requirement("SEC-RBAC-DECISION")
@pytest.mark.parametrize(
    ("rule", "method", "path", "allowed"),
    [
        # TestRuleMatches-style cases
        (_rule(("get",), resources=("pods",)), "GET", "/api/v1/namespaces/a/pods/x", True),
        (_rule(("get",), resources=("pods",)), "GET", "/api/v1/namespaces/a/pods", False),
        (_rule(("*",), resources=("pods",)), "DELETE", "/api/v1/namespaces/a/pods", True),
        (_rule(("get",), ("apps",), ("pods",)), "GET", "/api/v1/namespaces/a/pods/x", False),
        (_rule(("get",), ("*",), ("*",)), "GET", "/apis/apps/v1/namespaces/a/deployments/x", True),
        (_rule(("get",), resources=("pods",)), "GET", "/api/v1/namespaces/a/pods/x/status", False),
        (_rule(("get",), resources=("pods/status",)), "GET", "/api/v1/namespaces/a/pods/x/status", True),
        (_rule(("get",), resources=("*/status",)), "GET", "/api/v1/namespaces/a/pods/x/status", True),
        (_rule(("get",), resources=("*/status",)), "GET", "/api/v1/namespaces/a/pods/x", False),
        (_rule(("get",), resources=("*/scale",)), "GET", "/api/v1/namespaces/a/pods/x/status", False),
        (_rule(("get",), resources=("pods",), names=("x",)), "GET", "/api/v1/namespaces/a/pods/x", True),
        (_rule(("get",), resources=("pods",), names=("x",)), "GET", "/api/v1/namespaces/a/pods/y", False),
        (_rule(("list",), resources=("pods",), names=("x",)), "GET", "/api/v1/namespaces/a/pods", False),
        (
            _rule(("list",), resources=("pods",), names=("x",)),
            "GET",
            "/api/v1/namespaces/a/pods?fieldSelector=metadata.name=x",
            True,
        ),
        (_rule(("get",), urls=("/healthz",)), "GET", "/healthz", True),
        (_rule(("get",), urls=("/healthz",)), "GET", "/healthz/x", False),
        (_rule(("get",), urls=("/logs/*",)), "GET", "/logs/kubelet.log", True),
        (_rule(("get",), urls=("/logs*",)), "GET", "/logsfoo", True),
        (_rule(("get",), urls=("*",)), "GET", "/anything", True),
        (_rule(("post",), urls=("*",)), "GET", "/anything", False),
    ],
)
def test_rule_allows(rule: PolicyRule, method: str, path: str, allowed: bool) -> None:
    base, _, query = path.partition("?")
    assert rbac.rule_allows(attrs(method, base, query), rule) is allowed


def _cluster_role(name: str, *rules: PolicyRule) -> ClusterRole:
    return ClusterRole(metadata=ObjectMeta(name=name), rules=rules)


def _role_binding(ns: str, kind: str, role: str, *subjects: Subject) -> RoleBinding:
    return RoleBinding(
        metadata=ObjectMeta(name=f"rb-{role}", namespace=ns),
        subjects=subjects,
        role_ref=RoleRef(api_group=G, kind=kind, name=role),
    )


@pytest.mark.requirement("SEC-RBAC-DECISION")
def test_authorizer_bindings_and_subjects() -> None:
    """TestAuthorizer: a RoleBinding to a ClusterRole grants in its namespace only; SA subjects."""
    reader = _cluster_role("reader", _rule(("get",), resources=("pods",)))
    own = Role(
        metadata=ObjectMeta(name="own", namespace="b"), rules=(_rule(("get",), resources=("secrets",)),)
    )
    bindings = [
        _role_binding("a", "ClusterRole", "reader", Subject(kind="Group", api_group=G, name="devs")),
        _role_binding("b", "Role", "own", Subject(kind="ServiceAccount", name="robot")),
    ]
    policy = rbac.Policy([own], [reader], bindings, [])
    assert rbac.authorize_policy(attrs("GET", "/api/v1/namespaces/a/pods/x"), policy).allowed
    assert not rbac.authorize_policy(attrs("GET", "/api/v1/namespaces/b/pods/x"), policy).allowed
    assert not rbac.authorize_policy(attrs("GET", "/api/v1/pods"), policy).allowed
    robot = UserInfo("system:serviceaccount:b:robot")
    other = UserInfo("system:serviceaccount:a:robot")
    assert rbac.authorize_policy(attrs("GET", "/api/v1/namespaces/b/secrets/s", user=robot), policy).allowed
    assert not rbac.authorize_policy(
        attrs("GET", "/api/v1/namespaces/b/secrets/s", user=other), policy
    ).allowed
    # A ClusterRoleBinding's SA subject without a namespace matches nobody.
    crb = ClusterRoleBinding(
        metadata=ObjectMeta(name="x"),
        subjects=(Subject(kind="ServiceAccount", name="robot"),),
        role_ref=RoleRef(api_group=G, kind="ClusterRole", name="reader"),
    )
    assert not rbac.authorize_policy(
        attrs("GET", "/api/v1/namespaces/b/pods/x", user=robot), rbac.Policy(cluster_roles=[reader],
                                                                             cluster_role_bindings=[crb])
    ).allowed  # fmt: skip
    # A binding to a missing role grants nothing.
    missing = _role_binding("a", "Role", "nope", Subject(kind="User", api_group=G, name="alice"))
    assert not rbac.authorize_policy(
        attrs("GET", "/api/v1/namespaces/a/pods/x"), rbac.Policy(role_bindings=[missing])
    ).allowed


@pytest.mark.requirement("SEC-RBAC-ESCALATION")
@pytest.mark.parametrize(
    ("name", "owner", "servant"),
    [
        # policy_comparator_test.go
        ("TestCoversExactMatch", ((("get",), ("v1",), ("builds",)),), ((("get",), ("v1",), ("builds",)),)),
        (
            "TestCoversSubresourceWildcard",
            ((("get",), ("v1",), ("*/scale",)),),
            ((("get",), ("v1",), ("foo/scale",)),),
        ),
        (
            "TestCoversMultipleRulesCoveringSingleRule",
            (
                (("delete",), ("v1",), ("deployments",)),
                (("delete",), ("v1",), ("builds",)),
                (("update",), ("v1",), ("builds", "deployments")),
            ),
            ((("delete", "update"), ("v1",), ("builds", "deployments")),),
        ),
        (
            "TestCoversMultipleAPIGroupsCoveringSingleRule",
            (
                (("delete",), ("group1",), ("deployments",)),
                (("delete",), ("group1",), ("builds",)),
                (("update",), ("group1",), ("builds", "deployments")),
                (("delete",), ("group2",), ("deployments",)),
                (("delete",), ("group2",), ("builds",)),
                (("update",), ("group2",), ("builds", "deployments")),
            ),
            ((("delete", "update"), ("group1", "group2"), ("builds", "deployments")),),
        ),
        ("TestCoversStarVerbs", ((("*",), ("v1",), ("builds",)),), ((("get",), ("v1",), ("builds",)),)),
        (
            "TestCoversMissingVerb",
            ((("get",), ("v1",), ("builds",)),),
            ((("get", "create"), ("v1",), ("builds",)),),
        ),
        (
            "TestCoversMissingAPIGroup",
            ((("get",), ("v1",), ("builds",)),),
            ((("get",), ("v1", "v2"), ("builds",)),),
        ),
        (
            "TestCoversStarAPIGroup",
            ((("get",), ("*",), ("builds",)),),
            ((("get",), ("v1", "v2"), ("builds",)),),
        ),
        (
            "TestCoversMissingResource",
            ((("get",), ("v1",), ("builds",)),),
            ((("get",), ("v1",), ("builds", "x")),),
        ),
        ("TestCoversStarResource", ((("get",), ("v1",), ("*",)),), ((("get",), ("v1",), ("builds", "x")),)),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_covers_upstream_cases(name: str, owner: tuple, servant: tuple) -> None:  # type: ignore[type-arg]
    owner_rules = [_rule(*r) for r in owner]
    servant_rules = [_rule(*r) for r in servant]
    expected = name not in ("TestCoversMissingVerb", "TestCoversMissingAPIGroup", "TestCoversMissingResource")
    assert rbac.covers(owner_rules, servant_rules)[0] is expected


@pytest.mark.requirement("SEC-RBAC-ESCALATION")
def test_covers_resource_names_and_urls() -> None:
    """TestCoversResourceNameEmpty/Match/MissingResourceName, TestCoversNonResourceURLs*."""
    named = _rule(("get",), resources=("pods",), names=("a",))
    unnamed = _rule(("get",), resources=("pods",))
    assert rbac.covers([unnamed], [named])[0]
    assert rbac.covers([named], [named])[0]
    assert not rbac.covers([named], [unnamed])[0]
    assert not rbac.covers([named], [_rule(("get",), resources=("pods",), names=("a", "b"))])[0]
    assert rbac.covers([_rule(("get",), urls=("/apis/*",))], [_rule(("get",), urls=("/apis/v1",))])[0]
    assert not rbac.covers([_rule(("get",), urls=("/apis",))], [_rule(("get",), urls=("/apis/v1",))])[0]
    assert rbac.covers([_rule(("*",), urls=("*",))], [_rule(("get", "post"), urls=("/x", "/y"))])[0]


def _pod(name: str, node: str, secret: str) -> core.Pod:
    return core.Pod(
        metadata=ObjectMeta(name=name, namespace="a"),
        spec=core.PodSpec(
            node_name=node,
            volumes=(core.Volume(name="s", secret=core.SecretVolumeSource(secret_name=secret)),),
            image_pull_secrets=(core.LocalObjectReference(name=f"{secret}-pull"),),
        ),
    )


@pytest.mark.requirement("SEC-NODE-AUTHZ")
def test_node_authorizer_relationships() -> None:
    node1 = UserInfo("system:node:n1", groups=("system:nodes",))
    pods = [_pod("p1", "n1", "s1"), _pod("p2", "n2", "s2")]

    def allowed(method: str, path: str, user: UserInfo = node1) -> bool:
        return rbac.node_authorize(attrs(method, path, user=user), pods).allowed

    assert allowed("GET", "/api/v1/namespaces/a/secrets/s1")
    assert allowed("GET", "/api/v1/namespaces/a/secrets/s1-pull")
    assert not allowed("GET", "/api/v1/namespaces/a/secrets/s2")
    assert not allowed("GET", "/api/v1/namespaces/b/secrets/s1")
    assert not allowed("GET", "/api/v1/namespaces/a/secrets")
    assert allowed("GET", "/api/v1/nodes/n1") and allowed("PATCH", "/api/v1/nodes/n1/status")
    assert not allowed("PATCH", "/api/v1/nodes/n2") and not allowed("PATCH", "/api/v1/nodes/n2/status")
    assert allowed("PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1")
    assert not allowed("PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n2")
    assert allowed("PUT", "/api/v1/namespaces/a/pods/p1/status")
    assert not allowed("PUT", "/api/v1/namespaces/a/pods/p2/status")
    # Not a node: no opinion, whatever it asks.
    assert not allowed("GET", "/api/v1/namespaces/a/secrets/s1", UserInfo("system:node:n1"))


def _server() -> tuple[object, InProcessClient]:
    server = new_server(MemoryKV().client(), seed=3, authorization=True)
    return server, InProcessClient(server)


@pytest.mark.requirement("SEC-AUTHZ-IMPERSONATE", "SEC-AUTHZ-FORBIDDEN")
def test_impersonation_needs_the_impersonate_verb() -> None:
    server, admin = _server()
    alice = InProcessClient(server, user=UserInfo("alice", groups=("system:authenticated",)))  # type: ignore[arg-type]
    headers = {"impersonate-user": "bob"}
    from impl.apiserver.core import Request

    def as_alice_impersonating() -> int:
        answer = server.handle(
            Request("GET", "/api/v1/namespaces/default/pods", {}, headers, b"", alice.user)
        )  # type: ignore[attr-defined]
        return answer.status  # type: ignore[union-attr]

    assert as_alice_impersonating() == 403
    status, body = alice.call("GET", "/api/v1/namespaces/default/pods/x")
    assert status == 403 and body["reason"] == "Forbidden"
    assert body["message"] == (
        'pods "x" is forbidden: User "alice" cannot get resource "pods" in API group "" '
        'in the namespace "default"'
    )
    assert body["details"] == {"name": "x", "kind": "pods"}
    role = {
        "metadata": {"name": "imp"},
        "rules": [{"verbs": ["impersonate"], "apiGroups": [""], "resources": ["users"]}],
    }
    assert admin.call("POST", f"/apis/{G}/v1/clusterroles", role)[0] == 201
    binding = {"metadata": {"name": "imp"}, "subjects": [{"kind": "User", "name": "alice", "apiGroup": G}],
               "roleRef": {"kind": "ClusterRole", "name": "imp", "apiGroup": G}}  # fmt: skip
    assert admin.call("POST", f"/apis/{G}/v1/clusterrolebindings", binding)[0] == 201
    # Now alice may act as bob, who may not list pods: 403 for bob, not for alice's impersonation.
    answer = server.handle(Request("GET", "/api/v1/namespaces/default/pods", {}, headers, b"", alice.user))  # type: ignore[attr-defined]
    assert answer.status == 403 and 'User "bob"' in answer.json()["message"]  # type: ignore[union-attr]


@pytest.mark.requirement("SEC-RBAC-ESCALATION")
def test_escalation_in_process() -> None:
    server, admin = _server()
    alice = InProcessClient(server, user=UserInfo("alice", groups=("system:authenticated",)))  # type: ignore[arg-type]
    owner = {"metadata": {"name": "owner"}, "rules": [
        {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
        {"verbs": ["create"], "apiGroups": [G], "resources": ["roles", "rolebindings"]}]}  # fmt: skip
    assert admin.call("POST", f"/apis/{G}/v1/namespaces/default/roles", owner)[0] == 201
    binding = {"metadata": {"name": "owner"}, "subjects": [{"kind": "User", "name": "alice", "apiGroup": G}],
               "roleRef": {"kind": "Role", "name": "owner", "apiGroup": G}}  # fmt: skip
    assert admin.call("POST", f"/apis/{G}/v1/namespaces/default/rolebindings", binding)[0] == 201
    ok = {"metadata": {"name": "ok"}, "rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]}
    more = {
        "metadata": {"name": "more"},
        "rules": [{"verbs": ["delete"], "apiGroups": [""], "resources": ["pods"]}],
    }
    assert alice.call("POST", f"/apis/{G}/v1/namespaces/default/roles", ok)[0] == 201
    status, body = alice.call("POST", f"/apis/{G}/v1/namespaces/default/roles", more)
    assert status == 403 and "attempting to grant RBAC permissions not currently held" in body["message"]
    # A binding to cluster-admin is escalation too; in another namespace she may create nothing.
    admin_binding = {
        **binding,
        "metadata": {"name": "x"},
        "roleRef": {"kind": "ClusterRole", "name": "cluster-admin", "apiGroup": G},
    }
    assert alice.call("POST", f"/apis/{G}/v1/namespaces/default/rolebindings", admin_binding)[0] == 403
    assert alice.call("POST", f"/apis/{G}/v1/namespaces/kube-system/roles", ok)[0] == 403


@pytest.mark.requirement("SEC-NODE-AUTHZ")
def test_a_node_creates_only_its_own_node() -> None:
    """The node join's last step: the kubelet creates its Node (nodeRules + NodeRestriction)."""
    server, admin = _server()
    node1 = InProcessClient(server, user=UserInfo("system:node:n1", groups=("system:nodes",)))  # type: ignore[arg-type]
    assert node1.call("POST", "/api/v1/nodes", {"metadata": {"name": "n1"}})[0] == 201
    status, body = node1.call("POST", "/api/v1/nodes", {"metadata": {"name": "n2"}})
    assert status == 403 and 'node "n1" is not allowed to modify node "n2"' in body["message"]
    assert admin.call("POST", "/api/v1/nodes", {"metadata": {"name": "n2"}})[0] == 201
    assert node1.call("PATCH", "/api/v1/nodes/n2", {"metadata": {"labels": {"a": "b"}}},
                      content_type="application/merge-patch+json")[0] == 403  # fmt: skip
    assert node1.call("PATCH", "/api/v1/nodes/n1", {"metadata": {"labels": {"a": "b"}}},
                      content_type="application/merge-patch+json")[0] == 200  # fmt: skip


def test_bootstrap_policy_and_masters() -> None:
    server, admin = _server()
    names = {item["metadata"]["name"] for item in admin.call("GET", f"/apis/{G}/v1/clusterroles")[1]["items"]}
    assert {"cluster-admin", "system:discovery", "system:basic-user", "system:public-info-viewer",
            "system:node-bootstrapper", "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
            "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient"} <= names  # fmt: skip
    root = InProcessClient(server, user=UserInfo("root", groups=("system:masters",)))  # type: ignore[arg-type]
    assert root.call("GET", "/api/v1/namespaces/default/secrets")[0] == 200
    anyone = InProcessClient(server, user=UserInfo("x", groups=("system:authenticated",)))  # type: ignore[arg-type]
    assert anyone.call("GET", "/version")[0] == 200 and anyone.call("GET", "/api")[0] == 200
    assert anyone.call("GET", "/api/v1/namespaces/default/secrets")[0] == 403
    bootstrapper = InProcessClient(
        server, user=UserInfo("system:bootstrap:abcdef", groups=("system:bootstrappers",))
    )  # type: ignore[arg-type]
    assert bootstrapper.call("GET", "/apis/certificates.k8s.io/v1/certificatesigningrequests")[0] != 403
