"""The RBAC suite's machinery: generated policies and requests, sent through the official client.

Every request is a real request (the kubernetes client's ``call_api``) made
as a generated user with ``Impersonate-User``/``Impersonate-Group``, so the
same checks run against the reference and against any cluster whose
kubeconfig may impersonate (an admin's). The server's answer counts as
"allowed" unless it is 403 Forbidden; every mutating request carries
``dryRun=All`` and an empty body, so an allowed one changes nothing. The
expected answer is ``spec.rbac``'s decision for the request's attributes over
the RBAC objects the server holds (listed after the generated ones are
written, so a cluster's own default policy is part of the model too).

Requirement IDs: checks SEC-RBAC-ATTRIBUTES, SEC-RBAC-DECISION, SEC-RBAC-ESCALATION, SEC-NODE-AUTHZ,
SEC-AUTHZ-FORBIDDEN, SEC-AUTHZ-IMPERSONATE (declared in spec/rbac.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from hypothesis import strategies as st

from spec import rbac
from spec.authn import UserInfo
from spec.objects import core
from spec.objects.rbac import ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject
from spec.objects.registry import from_dict, to_dict

NAMESPACES: Final = ("kspec-rbac-a", "kspec-rbac-b")
#: (user name, its one group or "") — one group each, as one Impersonate-Group header carries it.
USERS: Final = (
    ("kspec-alice", "kspec-devs"),
    ("kspec-bob", "kspec-ops"),
    ("kspec-carol", ""),
    ("system:serviceaccount:kspec-rbac-a:kspec-robot", ""),
)
VERBS: Final = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
#: (group, resource) the requests touch; subresources below.
RESOURCES: Final = (("", "pods"), ("", "configmaps"), ("", "secrets"), ("apps", "deployments"))
SUBRESOURCES: Final = (("", "pods", "status"), ("apps", "deployments", "scale"))
NAMES: Final = ("n1", "n2")
URLS: Final = ("/kspec-x", "/kspec-x/y", "/kspec-z")
RBAC_PATH: Final = "/apis/rbac.authorization.k8s.io/v1"
LABEL: Final = "kspec-rbac-suite"
_PROPAGATION_S: Final = 3.0  # a real cluster's RBAC informers lag the write a little


# -- the client ------------------------------------------------------------------------------------


@dataclass
class Cluster:
    """Raw requests through the official client (``ApiClient.call_api``): (status, decoded body)."""

    api: Any

    def request(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]] = (),
        body: Any = None,
        user: tuple[str, str] | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        if user is not None:
            headers["Impersonate-User"] = user[0]
            if user[1]:
                headers["Impersonate-Group"] = user[1]
        # The generated client's two steps (kubernetes >= 31): the URL, headers and auth, then the call.
        method_, url, headers_, body_, _ = self.api.param_serialize(
            method,
            path,
            query_params=list(query),
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        response = self.api.call_api(method_, url, header_params=headers_, body=body_, _request_timeout=30)
        if ("watch", "true") in query and response.status == 200:
            response.response.close()  # an allowed watch streams: its status line is all we need
            return response.status, None
        return response.status, _decode(response.read())

    def write(self, path: str, obj: dict[str, Any]) -> None:
        status, body = self.request("POST", path, body=obj)
        if status == 409:
            return
        if status >= 300:
            raise AssertionError(f"setup: POST {path} answered {status}: {body}")

    def items(self, path: str, query: Sequence[tuple[str, str]] = ()) -> list[dict[str, Any]]:
        status, body = self.request("GET", path, query)
        if status != 200:
            raise AssertionError(f"GET {path} answered {status}: {body}")
        return list(body.get("items") or [])


def _decode(data: Any) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except (ValueError, TypeError):
        return data


def read_policy(cluster: Cluster) -> rbac.Policy:
    """Every Role, ClusterRole and binding the server holds, as spec objects."""

    def objects(resource: str, kind: str) -> list[Any]:
        out = []
        for item in cluster.items(f"{RBAC_PATH}/{resource}"):
            item = {**item, "apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind}
            out.append(from_dict(item))
        return out

    return rbac.Policy(
        objects("roles", "Role"),
        objects("clusterroles", "ClusterRole"),
        objects("rolebindings", "RoleBinding"),
        objects("clusterrolebindings", "ClusterRoleBinding"),
    )


def read_pods(cluster: Cluster) -> list[core.Pod]:
    return [from_dict({**item, "apiVersion": "v1", "kind": "Pod"}) for item in cluster.items("/api/v1/pods")]  # type: ignore[misc]


def prepare(cluster: Cluster) -> None:
    for namespace in NAMESPACES:
        cluster.write("/api/v1/namespaces", {"metadata": {"name": namespace}})


def clear_policy(cluster: Cluster) -> None:
    """Remove what an earlier example wrote (everything the suite writes carries its label)."""
    selector = [("labelSelector", f"{LABEL}=1")]
    for namespace in NAMESPACES:
        for resource in ("roles", "rolebindings"):
            cluster.request("DELETE", f"{RBAC_PATH}/namespaces/{namespace}/{resource}", selector)
    for resource in ("clusterroles", "clusterrolebindings"):
        cluster.request("DELETE", f"{RBAC_PATH}/{resource}", selector)


def write_policy(cluster: Cluster, policy: rbac.Policy) -> None:
    for role in policy.roles:
        cluster.write(f"{RBAC_PATH}/namespaces/{role.metadata.namespace}/roles", _labelled(role))
    for cluster_role in policy.cluster_roles:
        cluster.write(f"{RBAC_PATH}/clusterroles", _labelled(cluster_role))
    for binding in policy.role_bindings:
        cluster.write(f"{RBAC_PATH}/namespaces/{binding.metadata.namespace}/rolebindings", _labelled(binding))
    for cluster_binding in policy.cluster_role_bindings:
        cluster.write(f"{RBAC_PATH}/clusterrolebindings", _labelled(cluster_binding))


def _labelled(obj: Any) -> dict[str, Any]:
    data = to_dict(obj)
    data["metadata"]["labels"] = {LABEL: "1"}
    return data


# -- generated policies ----------------------------------------------------------------------------


def rules(namespaced: bool = False) -> st.SearchStrategy[PolicyRule]:
    """A rule of the universe; a namespaced Role's has no non-resource URLs (validation refuses them)."""
    resource_rule = st.builds(
        lambda verbs, groups, resources, names: PolicyRule(
            verbs=verbs, api_groups=groups, resources=resources, resource_names=names
        ),
        st.lists(st.sampled_from((*VERBS, "*")), min_size=1, max_size=3, unique=True).map(tuple),
        st.lists(st.sampled_from(("", "apps", "*")), min_size=1, max_size=2, unique=True).map(tuple),
        st.lists(
            st.sampled_from(
                (
                    "pods",
                    "configmaps",
                    "secrets",
                    "deployments",
                    "pods/status",
                    "*/status",
                    "*/scale",
                    "*",
                    "namespaces",
                    "deployments/scale",
                )
            ),
            min_size=1,
            max_size=3,
            unique=True,
        ).map(tuple),
        st.one_of(
            st.just(()),
            st.lists(st.sampled_from((*NAMES, *NAMESPACES)), min_size=1, max_size=2, unique=True).map(tuple),
        ),
    )
    url_rule = st.builds(
        lambda verbs, urls: PolicyRule(verbs=verbs, non_resource_urls=urls),
        st.lists(
            st.sampled_from(("get", "post", "put", "delete", "*")), min_size=1, max_size=2, unique=True
        ).map(tuple),
        st.lists(
            st.sampled_from((*URLS, "/kspec-x/*", "/kspec-*", "*")), min_size=1, max_size=2, unique=True
        ).map(tuple),
    )
    return resource_rule if namespaced else st.one_of(resource_rule, resource_rule, url_rule)


def subjects() -> st.SearchStrategy[Subject]:
    group = "rbac.authorization.k8s.io"
    return st.one_of(
        st.sampled_from([Subject(kind="User", api_group=group, name=name) for name, _ in USERS]),
        st.sampled_from(
            [Subject(kind="Group", api_group=group, name=g) for g in ("kspec-devs", "kspec-ops")]
        ),
        st.sampled_from(
            [
                Subject(kind="ServiceAccount", name="kspec-robot", namespace="kspec-rbac-a"),
                Subject(kind="ServiceAccount", name="kspec-robot", namespace="kspec-rbac-b"),
            ]
        ),
    )


@st.composite
def policies(draw: st.DrawFn) -> rbac.Policy:
    """A few Roles and ClusterRoles, bound by RoleBindings and ClusterRoleBindings to generated subjects."""
    from spec.objects.meta import ObjectMeta

    role_names = ("kspec-r0", "kspec-r1")
    cluster_role_names = ("kspec-c0", "kspec-c1", "kspec-c2")
    roles = [
        Role(
            metadata=ObjectMeta(name=name, namespace=ns), rules=tuple(draw(st.lists(rules(True), max_size=3)))
        )
        for ns in NAMESPACES
        for name in role_names
        if draw(st.booleans())
    ]
    cluster_roles = [
        ClusterRole(
            metadata=ObjectMeta(name=name), rules=tuple(draw(st.lists(rules(), min_size=1, max_size=3)))
        )
        for name in cluster_role_names
    ]
    group = "rbac.authorization.k8s.io"
    role_bindings = []
    for index in range(draw(st.integers(1, 4))):
        ns = draw(st.sampled_from(NAMESPACES))
        kind = draw(st.sampled_from(("Role", "ClusterRole")))
        name = draw(st.sampled_from(role_names if kind == "Role" else cluster_role_names))
        role_bindings.append(
            RoleBinding(
                metadata=ObjectMeta(name=f"kspec-rb{index}", namespace=ns),
                subjects=tuple(draw(st.lists(subjects(), min_size=1, max_size=2))),
                role_ref=RoleRef(api_group=group, kind=kind, name=name),
            )
        )
    cluster_bindings = [
        ClusterRoleBinding(
            metadata=ObjectMeta(name=f"kspec-crb{index}"),
            subjects=tuple(draw(st.lists(subjects(), min_size=1, max_size=2))),
            role_ref=RoleRef(
                api_group=group, kind="ClusterRole", name=draw(st.sampled_from(cluster_role_names))
            ),
        )
        for index in range(draw(st.integers(1, 2)))
    ]
    return rbac.Policy(roles, cluster_roles, role_bindings, cluster_bindings)


# -- requests --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One request: who, method, path, query."""

    user: tuple[str, str]
    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()


def _resource_probes(prefix: str, sub: str = "") -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
    dry = (("dryRun", "All"),)
    if sub:
        return [
            ("GET", f"{prefix}/n1/{sub}", ()),
            ("PUT", f"{prefix}/n2/{sub}", dry),
            ("PATCH", f"{prefix}/n1/{sub}", dry),
        ]
    return [
        ("GET", f"{prefix}/n1", ()),
        ("GET", f"{prefix}/n2", ()),
        ("GET", prefix, ()),
        ("GET", prefix, (("watch", "true"), ("timeoutSeconds", "1"))),
        ("GET", prefix, (("fieldSelector", "metadata.name=n2"),)),
        ("POST", prefix, dry),
        ("PUT", f"{prefix}/n1", dry),
        ("PATCH", f"{prefix}/n2", dry),
        ("DELETE", f"{prefix}/n1", dry),
        ("DELETE", prefix, dry),
    ]


def probe_matrix() -> list[Probe]:
    """Every user against every request shape of the universe (a few hundred requests)."""
    shapes: list[tuple[str, str, tuple[tuple[str, str], ...]]] = []
    for namespace in NAMESPACES:
        for group, resource in RESOURCES:
            base = (
                f"/api/v1/namespaces/{namespace}" if not group else f"/apis/{group}/v1/namespaces/{namespace}"
            )
            shapes += _resource_probes(f"{base}/{resource}")
        for group, resource, sub in SUBRESOURCES:
            base = (
                f"/api/v1/namespaces/{namespace}" if not group else f"/apis/{group}/v1/namespaces/{namespace}"
            )
            shapes += _resource_probes(f"{base}/{resource}", sub)
        shapes.append(("GET", f"/api/v1/namespaces/{namespace}", ()))
    shapes += [("GET", "/api/v1/namespaces", ()), ("GET", "/api/v1/pods", ())]
    shapes += [(method, url, ()) for url in URLS for method in ("GET", "POST")]
    return [Probe(user, method, path, query) for user in USERS for method, path, query in shapes]


def expected(probe: Probe, policy: rbac.Policy, pods: Sequence[core.Pod] = ()) -> rbac.Decision:
    """The model: the Node authorizer, then RBAC, for the impersonated user."""
    user = rbac.impersonated_user(probe.user[0], (probe.user[1],) if probe.user[1] else ())
    query = {name: [value] for name, value in probe.query}
    attributes = rbac.request_attributes(probe.method, probe.path, query, user)
    if rbac.MASTERS in user.groups:
        return rbac.Decision(True)
    node = rbac.node_authorize(attributes, pods)
    return node if node.allowed else rbac.authorize_policy(attributes, policy)


def check_probes(
    cluster: Cluster, probes: Sequence[Probe], policy: rbac.Policy, pods: Sequence[core.Pod] = ()
) -> int:
    """Send every probe; AssertionError on the first answer that differs from the model. Counts them."""
    for probe in probes:
        want = expected(probe, policy, pods).allowed
        deadline = time.monotonic() + _PROPAGATION_S
        while True:
            status, body = cluster.request(
                probe.method, probe.path, probe.query, body=_body(probe), user=probe.user
            )
            if status >= 500:
                raise AssertionError(f"{probe.method} {probe.path}: a server error: {status} {body}")
            got = status != 403
            if got == want or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if got != want:
            raise AssertionError(
                f"{probe.user[0]} {probe.method} {probe.path}?{probe.query}: the model says "
                f"{'allow' if want else 'deny'}, the server answered {status}: {body}"
            )
        if status == 403:
            check_forbidden(probe, body)
    return len(probes)


def _body(probe: Probe) -> Any:
    return {} if probe.method in ("POST", "PUT", "PATCH") else None


def check_forbidden(probe: Probe, body: Any) -> None:
    """SEC-AUTHZ-FORBIDDEN: a refusal is a Status with reason Forbidden naming the user and verb."""
    if not isinstance(body, dict) or body.get("reason") != "Forbidden" or body.get("code") != 403:
        raise AssertionError(f"{probe.method} {probe.path}: a 403 without a Forbidden Status: {body}")
    message = str(body.get("message", ""))
    user = rbac.impersonated_user(probe.user[0])
    attributes = rbac.request_attributes(
        probe.method, probe.path, dict((k, [v]) for k, v in probe.query), user
    )
    if f'User "{probe.user[0]}" cannot {attributes.verb}' not in message:
        raise AssertionError(
            f"{probe.method} {probe.path}: the 403 message does not say who cannot what: {message}"
        )
    if attributes.resource_request:
        resource = attributes.resource + (f"/{attributes.subresource}" if attributes.subresource else "")
        if f'resource "{resource}" in API group "{attributes.api_group}"' not in message:
            raise AssertionError(
                f"{probe.method} {probe.path}: the 403 message misses the resource: {message}"
            )


def users_of(probes: Sequence[Probe]) -> set[UserInfo]:
    return {rbac.impersonated_user(p.user[0], (p.user[1],) if p.user[1] else ()) for p in probes}


# -- the suite's checks, one per test (the project's seeded-bug tests run them on broken servers) ----------


def check_generated_policies(cluster: Cluster, settings_: Any) -> int:
    """SEC-RBAC-DECISION: for generated policies, every probe of the matrix answers as the model."""
    from hypothesis import given, settings

    prepare(cluster)
    probes = probe_matrix()
    sent = [0]

    @settings(settings_)
    @given(policies())
    def example(policy: rbac.Policy) -> None:
        clear_policy(cluster)
        write_policy(cluster, policy)
        sent[0] += check_probes(cluster, probes, read_policy(cluster))

    try:
        example()
    finally:
        clear_policy(cluster)
    return sent[0]


NODE_USERS: Final = (
    ("system:node:kspec-node-1", "system:nodes"),
    ("system:node:kspec-node-2", "system:nodes"),
)


def _pod(name: str, node: str, secret: str, config_map: str, claim: str, pull: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {LABEL: "1"}},
        "spec": {
            "nodeName": node,
            "imagePullSecrets": [{"name": pull}],
            "volumes": [
                {"name": "s", "secret": {"secretName": secret}},
                {"name": "v", "persistentVolumeClaim": {"claimName": claim}},
            ],
            "containers": [
                {
                    "name": "c",
                    "image": "registry.k8s.io/pause:3.9",
                    "envFrom": [{"configMapRef": {"name": config_map}}],
                    "env": [
                        {"name": "E", "valueFrom": {"secretKeyRef": {"name": f"{secret}-env", "key": "k"}}}
                    ],
                }
            ],
        },
    }


def node_probes() -> list[Probe]:
    """Each node user against its own and the other node's objects."""
    ns = f"/api/v1/namespaces/{NAMESPACES[0]}"
    lease = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"
    dry = (("dryRun", "All"),)
    shapes: list[tuple[str, str, tuple[tuple[str, str], ...]]] = []
    for node in ("kspec-node-1", "kspec-node-2"):
        shapes += [
            ("GET", f"/api/v1/nodes/{node}", ()),
            ("POST", "/api/v1/nodes", dry),
            ("PUT", f"/api/v1/nodes/{node}", dry),
            ("PATCH", f"/api/v1/nodes/{node}", dry),
            ("PATCH", f"/api/v1/nodes/{node}/status", dry),
            ("DELETE", f"/api/v1/nodes/{node}", dry),
            ("GET", f"{lease}/{node}", ()),
            ("PUT", f"{lease}/{node}", dry),
        ]
    for pod in ("kspec-p1", "kspec-p2"):
        shapes += [("GET", f"{ns}/pods/{pod}", ()), ("PUT", f"{ns}/pods/{pod}/status", dry)]
        shapes += [("PATCH", f"{ns}/pods/{pod}/status", dry), ("DELETE", f"{ns}/pods/{pod}", dry)]
    for name in ("kspec-s1", "kspec-s2", "kspec-s1-env", "kspec-s2-env", "kspec-pull1", "kspec-other"):
        shapes += [("GET", f"{ns}/secrets/{name}", ())]
    for name in ("kspec-c1", "kspec-c2", "kspec-other"):
        shapes += [("GET", f"{ns}/configmaps/{name}", ())]
    for name in ("kspec-v1", "kspec-v2"):
        shapes += [("GET", f"{ns}/persistentvolumeclaims/{name}", ())]
    shapes += [
        ("GET", f"{ns}/secrets", ()),
        ("GET", f"{ns}/pods", ()),
        ("GET", lease, ()),
        ("GET", f"/api/v1/namespaces/{NAMESPACES[1]}/secrets/kspec-s1", ()),
    ]
    return [Probe(user, method, path, query) for user in NODE_USERS for method, path, query in shapes]


def check_node_matrix(cluster: Cluster) -> int:
    """SEC-NODE-AUTHZ: the node users' answers equal the model's over the pods bound to each node."""
    prepare(cluster)
    pods_path = f"/api/v1/namespaces/{NAMESPACES[0]}/pods"
    cluster.write(
        pods_path, _pod("kspec-p1", "kspec-node-1", "kspec-s1", "kspec-c1", "kspec-v1", "kspec-pull1")
    )
    cluster.write(
        pods_path, _pod("kspec-p2", "kspec-node-2", "kspec-s2", "kspec-c2", "kspec-v2", "kspec-pull2")
    )
    try:
        pods = [pod for pod in read_pods(cluster) if pod.metadata.name in ("kspec-p1", "kspec-p2")]
        if len(pods) != 2:
            raise AssertionError(f"setup: the two pods are not there: {[p.metadata.name for p in pods]}")
        return check_probes(cluster, node_probes(), read_policy(cluster), pods)
    finally:
        cluster.request("DELETE", pods_path, [("labelSelector", f"{LABEL}=1"), ("gracePeriodSeconds", "0")])


ESCALATOR: Final = ("kspec-esc", "")


@st.composite
def escalation_cases(draw: st.DrawFn) -> tuple[tuple[PolicyRule, ...], tuple[PolicyRule, ...]]:
    """Rules the user holds, and rules it tries to grant: often a part of what it holds, sometimes more."""
    owned = tuple(draw(st.lists(rules(True), min_size=1, max_size=3)))
    pieces = [sub for rule in owned for sub in rbac.breakdown_rule(rule)]
    granted = list(draw(st.lists(st.sampled_from(pieces), max_size=3))) if pieces else []
    if granted and draw(st.booleans()):
        # The same permission without its resourceNames: all of the resource, which a named grant is not.
        granted[0] = granted[0].replace(resource_names=())
    if draw(st.booleans()):
        granted += draw(st.lists(rules(True), min_size=1, max_size=2))
    return owned, tuple(granted)


def check_escalation(cluster: Cluster, settings_: Any) -> int:
    """SEC-RBAC-ESCALATION: creating a Role or a RoleBinding is refused exactly when the model refuses."""
    from hypothesis import given, settings

    from spec.objects.meta import ObjectMeta

    prepare(cluster)
    namespace = NAMESPACES[0]
    group = "rbac.authorization.k8s.io"
    may_create = PolicyRule(verbs=("create",), api_groups=(group,), resources=("roles", "rolebindings"))
    attempts = [0]

    @settings(settings_)
    @given(escalation_cases())
    def example(case: tuple[tuple[PolicyRule, ...], tuple[PolicyRule, ...]]) -> None:
        owned, granted = case
        clear_policy(cluster)
        write_policy(
            cluster,
            rbac.Policy(
                roles=[
                    Role(
                        metadata=ObjectMeta(name="kspec-esc-owner", namespace=namespace),
                        rules=(*owned, may_create),
                    ),
                    Role(metadata=ObjectMeta(name="kspec-esc-target", namespace=namespace), rules=granted),
                ],
                role_bindings=[
                    RoleBinding(
                        metadata=ObjectMeta(name="kspec-esc-owner", namespace=namespace),
                        subjects=(Subject(kind="User", api_group=group, name=ESCALATOR[0]),),
                        role_ref=RoleRef(api_group=group, kind="Role", name="kspec-esc-owner"),
                    )
                ],
            ),
        )
        policy = read_policy(cluster)
        user = rbac.impersonated_user(ESCALATOR[0])
        role = Role(metadata=ObjectMeta(name="kspec-esc-new", namespace=namespace), rules=granted)
        binding = RoleBinding(
            metadata=ObjectMeta(name="kspec-esc-new", namespace=namespace),
            subjects=(Subject(kind="User", api_group=group, name="kspec-carol"),),
            role_ref=RoleRef(api_group=group, kind="Role", name="kspec-esc-target"),
        )
        for obj, resource in ((role, "roles"), (binding, "rolebindings")):
            want = rbac.escalation_check(user, obj, policy)
            path = f"{RBAC_PATH}/namespaces/{namespace}/{resource}"
            status, body = cluster.request(
                "POST", path, [("dryRun", "All")], body=to_dict(obj), user=ESCALATOR
            )
            attempts[0] += 1
            if (status != 403) != want.allowed or (status >= 300 and status != 403):
                raise AssertionError(
                    f"{ESCALATOR[0]} holding {owned} creating a {obj.kind} granting {granted}: the model "
                    f"says {'allow' if want.allowed else 'refuse'} ({want.reason}), the server answered "
                    f"{status}: {body}"
                )

    try:
        example()
    finally:
        clear_policy(cluster)
    return attempts[0]


def check_impersonation(cluster: Cluster) -> int:
    """SEC-AUTHZ-IMPERSONATE: an impersonated user acts with the groups upstream gives it (its
    ServiceAccount groups, system:authenticated), and only those."""
    from spec.objects.meta import ObjectMeta

    prepare(cluster)
    group = "rbac.authorization.k8s.io"
    reader = ClusterRole(
        metadata=ObjectMeta(name="kspec-c0"),
        rules=(PolicyRule(verbs=("get",), api_groups=("",), resources=("configmaps",)),),
    )
    writer = ClusterRole(
        metadata=ObjectMeta(name="kspec-c1"),
        rules=(PolicyRule(verbs=("delete",), api_groups=("",), resources=("configmaps",)),),
    )
    policy = rbac.Policy(
        cluster_roles=[reader, writer],
        role_bindings=[
            RoleBinding(
                metadata=ObjectMeta(name="kspec-rb0", namespace=NAMESPACES[0]),
                subjects=(
                    Subject(kind="Group", api_group=group, name=f"system:serviceaccounts:{NAMESPACES[0]}"),
                ),
                role_ref=RoleRef(api_group=group, kind="ClusterRole", name="kspec-c0"),
            ),
            RoleBinding(
                metadata=ObjectMeta(name="kspec-rb1", namespace=NAMESPACES[1]),
                subjects=(Subject(kind="Group", api_group=group, name="system:authenticated"),),
                role_ref=RoleRef(api_group=group, kind="ClusterRole", name="kspec-c1"),
            ),
        ],
    )
    users = [
        ("system:serviceaccount:kspec-rbac-a:kspec-robot", ""),
        ("system:serviceaccount:kspec-rbac-b:kspec-robot", ""),
        ("kspec-carol", ""),
        ("kspec-alice", "kspec-devs"),
    ]
    dry = (("dryRun", "All"),)
    probes = [
        Probe(user, method, f"/api/v1/namespaces/{ns}/configmaps/n1", query)
        for user in users
        for ns in NAMESPACES
        for method, query in (("GET", ()), ("DELETE", dry))
    ]
    clear_policy(cluster)
    write_policy(cluster, policy)
    try:
        return check_probes(cluster, probes, read_policy(cluster))
    finally:
        clear_policy(cluster)
