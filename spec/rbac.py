"""Authorization: request attributes, the RBAC authorizer, escalation prevention and the Node authorizer.

What it models, as plain functions over ``spec.objects.rbac`` objects:

- ``request_attributes``: k8s.io/apiserver ``pkg/endpoints/request/requestinfo.go``
  (``RequestInfoFactory.NewRequestInfo``): verb from the method (POST create,
  GET/HEAD get, PUT update, PATCH patch, DELETE delete), ``/watch/`` paths,
  get without a name is list (watch with ``watch=true``), delete without a
  name deletecollection, ``fieldSelector=metadata.name=x`` names a list;
  ``/namespaces/<ns>/status|finalize`` are the namespace's subresources;
  paths outside ``/api/<v>/...`` and ``/apis/<g>/<v>/...`` are non-resource
  requests whose verb is the lower-case method.
- ``authorize``: k/k ``plugin/pkg/auth/authorizer/rbac/rbac.go`` (``RuleAllows``)
  with ``pkg/apis/rbac/v1/evaluation_helpers.go`` (``VerbMatches``,
  ``APIGroupMatches``, ``ResourceMatches`` incl. ``*/subresource``,
  ``ResourceNameMatches``, ``NonResourceURLMatches`` with a trailing ``*``)
  and ``pkg/registry/rbac/validation/rule.go`` (``VisitRulesFor``,
  ``appliesToUser``: a ServiceAccount subject is the user
  ``system:serviceaccount:<ns>:<name>``, its namespace defaulting to the
  binding's; a RoleBinding's rules, even a ClusterRole's, apply only in its
  namespace). RBAC only allows: a request no rule allows gets "no opinion".
- ``covers``: ``pkg/registry/rbac/validation/policy_comparator.go``
  (``Covers``, ``BreakdownRule``, ``ruleCovers``); ``escalation_check``:
  ``pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/
  policybased/storage.go`` and ``pkg/registry/rbac/escalation_check.go``
  (``EscalationAllowed`` for system:masters, the ``escalate`` verb on the
  role, the ``bind`` verb on the bound role, else ``ConfirmNoEscalation``:
  the requester's rules in the object's namespace cover the rules granted).
- ``node_authorize``: ``plugin/pkg/auth/authorizer/node/node_authorizer.go``
  together with the NodeRestriction admission plugin
  (``plugin/pkg/admission/noderestriction``), simplified: no graph of
  PersistentVolumes, VolumeAttachments, ResourceClaims or ServiceAccount
  tokens; a node user may read and write its own Node (create, get, list,
  watch, update, patch; ``nodes/status`` update and patch) and its own Lease
  ``kube-node-lease/<node>``, read pods and update or patch the status of
  pods bound to it, and get only the Secrets, ConfigMaps and
  PersistentVolumeClaims those pods reference (volumes, env, envFrom,
  imagePullSecrets). Anything else is "no opinion", as upstream, and falls
  through to RBAC.

Requirement IDs: SEC-RBAC-ATTRIBUTES, SEC-RBAC-DECISION, SEC-RBAC-ESCALATION,
SEC-NODE-AUTHZ, SEC-AUTHZ-FORBIDDEN, SEC-AUTHZ-IMPERSONATE.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from spec.authn import SERVICE_ACCOUNT_PREFIX, UserInfo, node_name_of
from spec.objects import core
from spec.objects.rbac import ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject
from spec.requirements import requirement

SEC_RBAC_ATTRIBUTES = requirement(
    "SEC-RBAC-ATTRIBUTES",
    "The authorizer MUST see a request's verb, namespace, API group, resource, subresource and name (or "
    "a non-resource path and verb) as RequestInfoFactory derives them: get without a name is list or "
    "watch, delete without a name is deletecollection.",
    component="apiserver",
    source="k8s.io/apiserver pkg/endpoints/request/requestinfo.go",
)
SEC_RBAC_DECISION = requirement(
    "SEC-RBAC-DECISION",
    "A request by a user other than system:masters MUST be allowed exactly when a rule of a role bound to "
    "the user, one of its groups or its ServiceAccount (cluster-wide, or by a RoleBinding in the request's "
    "namespace) matches its verb, API group, resource/subresource, name or non-resource URL; otherwise it "
    "MUST be refused with 403 Forbidden.",
    component="apiserver",
    source="k/k plugin/pkg/auth/authorizer/rbac/rbac.go; pkg/apis/rbac/v1/evaluation_helpers.go",
)
SEC_RBAC_ESCALATION = requirement(
    "SEC-RBAC-ESCALATION",
    "Creating or updating a Role, ClusterRole, RoleBinding or ClusterRoleBinding MUST be refused (403) "
    "unless the requester already holds every permission it grants (Covers), holds escalate on the role "
    "or bind on the bound role, or is in system:masters.",
    component="apiserver",
    source="k/k pkg/registry/rbac/escalation_check.go; pkg/registry/rbac/validation/policy_comparator.go",
)
SEC_NODE_AUTHZ = requirement(
    "SEC-NODE-AUTHZ",
    "A node user system:node:<name> MUST be allowed its own Node, nodes/status and Lease, pods and the "
    "status of pods bound to it, and get on exactly the Secrets, ConfigMaps and PVCs those pods reference; "
    "another node's objects MUST get no allow from the Node authorizer.",
    component="apiserver",
    source="k/k plugin/pkg/auth/authorizer/node/node_authorizer.go; plugin/pkg/admission/noderestriction",
)
SEC_AUTHZ_FORBIDDEN = requirement(
    "SEC-AUTHZ-FORBIDDEN",
    'A refused request MUST get 403 Forbidden, reason Forbidden, message `<resource> "<name>" is '
    'forbidden: User "<user>" cannot <verb> resource "<resource>" in API group "<group>" ...` and details '
    "naming the resource and name.",
    component="apiserver",
    source="k8s.io/apiserver pkg/endpoints/handlers/responsewriters/errors.go (ForbiddenStatusError)",
)
SEC_AUTHZ_IMPERSONATE = requirement(
    "SEC-AUTHZ-IMPERSONATE",
    "Impersonate-User/Impersonate-Group MUST make the request act as that user only when the requester "
    "may impersonate users (and groups); otherwise 403.",
    component="apiserver",
    source="k8s.io/apiserver pkg/endpoints/filters/impersonation.go",
)

VERB_ALL = "*"
API_GROUP_ALL = "*"
RESOURCE_ALL = "*"
NON_RESOURCE_ALL = "*"
RBAC_GROUP = "rbac.authorization.k8s.io"
MASTERS = "system:masters"

_API_PREFIXES = ("api", "apis")
_SPECIAL_VERBS = ("proxy", "watch")
_NAMESPACE_SUBRESOURCES = ("status", "finalize")
_METHOD_VERBS = {"POST": "create", "GET": "get", "HEAD": "get", "PUT": "update", "PATCH": "patch"}


@dataclass(frozen=True)
class Attributes:
    """``authorizer.AttributesRecord``: who asks for what."""

    user: UserInfo
    verb: str
    resource_request: bool
    path: str = ""
    namespace: str = ""
    api_group: str = ""
    api_version: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""


@dataclass(frozen=True)
class Decision:
    """Allowed, or not, and why (upstream's reason string, empty when there is nothing to say)."""

    allowed: bool
    reason: str = ""


def _name_from_field_selector(query: Mapping[str, Sequence[str]]) -> str:
    """``RequiresExactMatch("metadata.name")``: a selector that is just ``metadata.name=x`` names x."""
    values = query.get("fieldSelector") or ()
    if not values:
        return ""
    terms = [term for term in values[0].split(",") if term]
    if len(terms) != 1:
        return ""
    for operator in ("==", "="):
        field, sep, value = terms[0].partition(operator)
        if sep and field.strip() == "metadata.name" and "!" not in field:
            name = value.strip()
            # path.IsValidPathSegmentName: no "/" or "%", not "." or "..".
            return name if not ({"/", "%"} & set(name)) and name not in (".", "..") else ""
    return ""


def request_attributes(
    method: str, path: str, query: Mapping[str, Sequence[str]], user: UserInfo
) -> Attributes:
    """``NewRequestInfo`` + ``authorizer.AttributesRecord`` for one HTTP request."""
    parts = [part for part in path.strip("/").split("/")] if path.strip("/") else []
    non_resource = Attributes(user, method.lower(), False, path=path)
    if len(parts) < 3 or parts[0] not in _API_PREFIXES:
        return non_resource
    prefix, parts = parts[0], parts[1:]
    group = ""
    if prefix == "apis":
        if len(parts) < 3:
            return non_resource
        group, parts = parts[0], parts[1:]
    version, parts = parts[0], parts[1:]
    if parts[0] in _SPECIAL_VERBS:
        if len(parts) < 2:
            return non_resource  # upstream: an error, "unable to determine kind and namespace"
        verb, parts = parts[0], parts[1:]
    else:
        verb = _METHOD_VERBS.get(method.upper(), "delete" if method.upper() == "DELETE" else "")
    namespace = ""
    if parts[0] == "namespaces":
        if len(parts) > 1:
            namespace = parts[1]
            if len(parts) > 2 and parts[2] not in _NAMESPACE_SUBRESOURCES:
                parts = parts[2:]
    resource = parts[0]
    name = parts[1] if len(parts) >= 2 else ""
    subresource = parts[2] if len(parts) >= 3 and verb != "proxy" else ""
    if not name and verb == "get":
        watch = (query.get("watch") or [""])[0] in ("1", "t", "T", "true", "TRUE", "True")
        verb = "watch" if watch else "list"
        name = _name_from_field_selector(query)
    if not name and verb == "delete":
        verb = "deletecollection"
    return Attributes(
        user,
        verb,
        True,
        path=path,
        namespace=namespace,
        api_group=group,
        api_version=version,
        resource=resource,
        subresource=subresource,
        name=name,
    )


def impersonated_user(name: str, groups: Sequence[str] = ()) -> UserInfo:
    """The user an Impersonate-User/Impersonate-Group request acts as (impersonation.go): a
    ServiceAccount user gains system:serviceaccounts and system:serviceaccounts:<ns>, every user but
    system:anonymous gains system:authenticated."""
    extra: list[str] = []
    if name.startswith(SERVICE_ACCOUNT_PREFIX) and name.count(":") == 3:
        namespace = name.removeprefix(SERVICE_ACCOUNT_PREFIX).split(":")[0]
        extra += ["system:serviceaccounts", f"system:serviceaccounts:{namespace}"]
    if name != "system:anonymous" and "system:authenticated" not in groups:
        extra.append("system:authenticated")
    return UserInfo(name, groups=(*groups, *extra))


# -- rule matching (evaluation_helpers.go) ---------------------------------------------------------


def verb_matches(rule: PolicyRule, verb: str) -> bool:
    return any(v in (VERB_ALL, verb) for v in rule.verbs)


def api_group_matches(rule: PolicyRule, group: str) -> bool:
    return any(g in (API_GROUP_ALL, group) for g in rule.api_groups)


def resource_matches(rule: PolicyRule, combined: str, subresource: str) -> bool:
    for resource in rule.resources:
        if resource in (RESOURCE_ALL, combined):
            return True
        # "*/subresource" matches that subresource of every resource.
        if subresource and resource == f"*/{subresource}":
            return True
    return False


def resource_name_matches(rule: PolicyRule, name: str) -> bool:
    return not rule.resource_names or name in rule.resource_names


def non_resource_url_matches(rule: PolicyRule, url: str) -> bool:
    for pattern in rule.non_resource_urls:
        if pattern in (NON_RESOURCE_ALL, url):
            return True
        if pattern.endswith("*") and url.startswith(pattern.rstrip("*")):
            return True
    return False


def rule_allows(attributes: Attributes, rule: PolicyRule) -> bool:
    """``RuleAllows``."""
    if attributes.resource_request:
        combined = attributes.resource
        if attributes.subresource:
            combined = f"{attributes.resource}/{attributes.subresource}"
        return (
            verb_matches(rule, attributes.verb)
            and api_group_matches(rule, attributes.api_group)
            and resource_matches(rule, combined, attributes.subresource)
            and resource_name_matches(rule, attributes.name)
        )
    return verb_matches(rule, attributes.verb) and non_resource_url_matches(rule, attributes.path)


# -- whose rules (rule.go) ---------------------------------------------------------------------------


def applies_to_user(user: UserInfo, subject: Subject, namespace: str) -> bool:
    """``appliesToUser``; ``namespace`` is the binding's ("" for a ClusterRoleBinding)."""
    if subject.kind == "User":
        return user.name == subject.name
    if subject.kind == "Group":
        return subject.name in user.groups
    if subject.kind == "ServiceAccount":
        sa_namespace = subject.namespace or namespace
        if not sa_namespace:
            return False
        return user.name == f"{SERVICE_ACCOUNT_PREFIX}{sa_namespace}:{subject.name}"
    return False


def _key(namespace: str, name: str) -> tuple[str, str]:
    return (namespace, name)


@dataclass(frozen=True)
class Policy:
    """The RBAC objects an authorizer reads (what the informers' caches hold upstream)."""

    roles: Sequence[Role] = ()
    cluster_roles: Sequence[ClusterRole] = ()
    role_bindings: Sequence[RoleBinding] = ()
    cluster_role_bindings: Sequence[ClusterRoleBinding] = ()

    def role_reference_rules(self, kind: str, name: str, namespace: str) -> tuple[PolicyRule, ...] | None:
        """``GetRoleReferenceRules``: None when the role does not exist."""
        if kind == "Role":
            for role in self.roles:
                if role.metadata.name == name and role.metadata.namespace == namespace:
                    return tuple(role.rules)
            return None
        if kind == "ClusterRole":
            for cluster_role in self.cluster_roles:
                if cluster_role.metadata.name == name:
                    return tuple(cluster_role.rules)
            return None
        return None


def rules_for(policy: Policy, user: UserInfo, namespace: str) -> list[PolicyRule]:
    """``RulesFor`` (``VisitRulesFor``): the rules of every role bound to ``user`` that apply in
    ``namespace`` (cluster-wide bindings always; RoleBindings of ``namespace`` when it is not "")."""
    rules: list[PolicyRule] = []
    for binding in policy.cluster_role_bindings:
        if any(applies_to_user(user, subject, "") for subject in binding.subjects):
            ref = binding.role_ref
            # A ClusterRoleBinding may only name a ClusterRole (validation); GetRoleReferenceRules
            # would look a "Role" up in namespace "" and find nothing.
            rules.extend(policy.role_reference_rules(ref.kind, ref.name, "") or ())
    if namespace:
        for role_binding in policy.role_bindings:
            if role_binding.metadata.namespace != namespace:
                continue
            if any(applies_to_user(user, subject, namespace) for subject in role_binding.subjects):
                ref = role_binding.role_ref
                rules.extend(policy.role_reference_rules(ref.kind, ref.name, namespace) or ())
    return rules


def authorize(
    attributes: Attributes,
    roles: Sequence[Role] = (),
    cluster_roles: Sequence[ClusterRole] = (),
    role_bindings: Sequence[RoleBinding] = (),
    cluster_role_bindings: Sequence[ClusterRoleBinding] = (),
) -> Decision:
    """The RBAC authorizer: allowed when a rule bound to the user allows the request (SEC-RBAC-DECISION)."""
    policy = Policy(roles, cluster_roles, role_bindings, cluster_role_bindings)
    return authorize_policy(attributes, policy)


def authorize_policy(attributes: Attributes, policy: Policy) -> Decision:
    for rule in rules_for(policy, attributes.user, attributes.namespace):
        if rule_allows(attributes, rule):
            return Decision(True, "RBAC: allowed by a bound role")
    return Decision(False, "")


# -- escalation prevention (policy_comparator.go, escalation_check.go) --------------------------------


def breakdown_rule(rule: PolicyRule) -> list[PolicyRule]:
    """``BreakdownRule``: one rule per (group, resource, verb[, name]) and per (URL, verb)."""
    subrules: list[PolicyRule] = []
    for group in rule.api_groups:
        for resource in rule.resources:
            for verb in rule.verbs:
                if rule.resource_names:
                    subrules.extend(
                        PolicyRule(
                            verbs=(verb,), api_groups=(group,), resources=(resource,), resource_names=(name,)
                        )
                        for name in rule.resource_names
                    )
                else:
                    subrules.append(PolicyRule(verbs=(verb,), api_groups=(group,), resources=(resource,)))
    for url in rule.non_resource_urls:
        for verb in rule.verbs:
            subrules.append(PolicyRule(verbs=(verb,), non_resource_urls=(url,)))
    return subrules


def _has_all(owned: Iterable[str], wanted: Iterable[str]) -> bool:
    return set(wanted) <= set(owned)


def _resource_covers_all(owned: Sequence[str], wanted: Sequence[str]) -> bool:
    if RESOURCE_ALL in owned or _has_all(owned, wanted):
        return True
    for path in wanted:
        if path in owned:
            continue
        if "/" not in path:
            return False
        if "*/" + path.split("/", 1)[1] not in owned:
            return False
    return True


def _non_resource_url_covers(owner: str, sub: str) -> bool:
    return owner == sub or (owner.endswith("*") and sub.startswith(owner.rstrip("*")))


def rule_covers(owner: PolicyRule, sub: PolicyRule) -> bool:
    """``ruleCovers``."""
    verbs = VERB_ALL in owner.verbs or _has_all(owner.verbs, sub.verbs)
    groups = API_GROUP_ALL in owner.api_groups or _has_all(owner.api_groups, sub.api_groups)
    resources = _resource_covers_all(owner.resources, sub.resources)
    urls = all(
        any(_non_resource_url_covers(o, s) for o in owner.non_resource_urls) for s in sub.non_resource_urls
    )
    if not sub.resource_names:
        names = not owner.resource_names
    else:
        names = not owner.resource_names or _has_all(owner.resource_names, sub.resource_names)
    return verbs and groups and resources and names and urls


def covers(
    owner_rules: Sequence[PolicyRule], requested_rules: Sequence[PolicyRule]
) -> tuple[bool, list[PolicyRule]]:
    """``Covers``: whether ``owner_rules`` hold every permission of ``requested_rules``, and the rest."""
    uncovered = [
        sub
        for rule in requested_rules
        for sub in breakdown_rule(rule)
        if not any(rule_covers(owner, sub) for owner in owner_rules)
    ]
    return not uncovered, uncovered


def escalation_check(
    user: UserInfo, obj: Role | ClusterRole | RoleBinding | ClusterRoleBinding, policy: Policy
) -> Decision:
    """May ``user`` create or update ``obj`` as far as escalation goes (the policybased storages)?"""
    if MASTERS in user.groups:
        return Decision(True, "system:masters may escalate")  # EscalationAllowed
    namespace = obj.metadata.namespace if isinstance(obj, Role | RoleBinding) else ""
    if isinstance(obj, Role | ClusterRole):
        resource = "roles" if isinstance(obj, Role) else "clusterroles"
        escalate = Attributes(
            user, "escalate", True, namespace=namespace, api_group=RBAC_GROUP, resource=resource,
            name=obj.metadata.name,
        )  # fmt: skip
        if authorize_policy(escalate, policy).allowed:  # RoleEscalationAuthorized
            return Decision(True, "the user may escalate")
        granted: tuple[PolicyRule, ...] = tuple(obj.rules)
    else:
        ref = obj.role_ref
        bind = Attributes(
            user, "bind", True, namespace=namespace, api_group=RBAC_GROUP,
            resource="roles" if ref.kind == "Role" else "clusterroles", name=ref.name,
        )  # fmt: skip
        if authorize_policy(bind, policy).allowed:  # BindingAuthorized
            return Decision(True, "the user may bind the role")
        found = policy.role_reference_rules(ref.kind, ref.name, namespace)
        if found is None:
            return Decision(False, f'{ref.kind.lower()}s.{RBAC_GROUP} "{ref.name}" not found')
        granted = found
    held, missing = covers(rules_for(policy, user, namespace), granted)
    if held:
        return Decision(True, "the user holds every permission granted")
    return Decision(False, escalation_message(user, missing))


def escalation_message(user: UserInfo, missing: Sequence[PolicyRule]) -> str:
    """``ConfirmNoEscalation``'s error (the rules compacted to one line each)."""
    groups = "[" + " ".join(f'"{g}"' for g in user.groups) + "]"
    lines = "\n".join(_rule_string(rule) for rule in missing)
    return (
        f'user "{user.name}" (groups={groups}) is attempting to grant RBAC permissions not currently held:\n'
        f"{lines}"
    )


def _rule_string(rule: PolicyRule) -> str:
    """``rbacv1helpers.CompactString``'s shape: {APIGroups:[...], Resources:[...], Verbs:[...]}."""
    fields = []
    for label, values in (
        ("APIGroups", rule.api_groups),
        ("Resources", rule.resources),
        ("ResourceNames", rule.resource_names),
        ("NonResourceURLs", rule.non_resource_urls),
        ("Verbs", rule.verbs),
    ):
        if values:
            fields.append(f"{label}:[" + " ".join(f'"{v}"' for v in values) + "]")
    return "{" + ", ".join(fields) + "}"


# -- the Node authorizer (node_authorizer.go + NodeRestriction) --------------------------------------

NODE_LEASE_NAMESPACE = "kube-node-lease"
_NODE_READ = ("get", "list", "watch")


def pod_references(pod: core.Pod) -> dict[str, set[str]]:
    """The Secrets, ConfigMaps and PVCs a pod references (the graph's pod -> object edges)."""
    refs: dict[str, set[str]] = {"secrets": set(), "configmaps": set(), "persistentvolumeclaims": set()}
    spec = pod.spec
    for pull in spec.image_pull_secrets:
        refs["secrets"].add(pull.name)
    for volume in spec.volumes:
        if volume.secret is not None:
            refs["secrets"].add(volume.secret.secret_name)
        if volume.config_map is not None:
            refs["configmaps"].add(volume.config_map.name)
        if volume.persistent_volume_claim is not None:
            refs["persistentvolumeclaims"].add(volume.persistent_volume_claim.claim_name)
    for container in (*spec.init_containers, *spec.containers):
        for env in container.env:
            source = env.value_from
            if source is not None and source.secret_key_ref is not None:
                refs["secrets"].add(source.secret_key_ref.name)
            if source is not None and source.config_map_key_ref is not None:
                refs["configmaps"].add(source.config_map_key_ref.name)
        for env_from in container.env_from:
            if env_from.secret_ref is not None:
                refs["secrets"].add(env_from.secret_ref.name)
            if env_from.config_map_ref is not None:
                refs["configmaps"].add(env_from.config_map_ref.name)
    for names in refs.values():
        names.discard("")
    return refs


def node_authorize(attributes: Attributes, pods: Iterable[core.Pod]) -> Decision:
    """The Node authorizer's answer: allow, or "no opinion" (allowed False) for RBAC to decide."""
    node = node_name_of(attributes.user)
    if node is None:
        return Decision(False, "")
    if not attributes.resource_request:
        return Decision(False, "")
    verb, resource, sub, name = attributes.verb, attributes.resource, attributes.subresource, attributes.name
    group = attributes.api_group
    if group == "" and resource == "nodes":
        if sub == "" and verb in (*_NODE_READ, "update", "patch") and name == node:
            return Decision(True, "a node's own Node")
        if sub == "" and verb == "create" and not name:
            # A create names no object in its URL: NodeRestriction admits only the node's own
            # (node_restriction_admission below), as upstream's nodeRules allow create on nodes.
            return Decision(True, "a node creates its Node")
        if sub == "status" and verb in ("get", "update", "patch") and name == node:
            return Decision(True, "a node's own Node status")
        return Decision(False, f'node "{node}" cannot {verb} another node\'s object')
    if group == "coordination.k8s.io" and resource == "leases" and sub == "":
        if attributes.namespace == NODE_LEASE_NAMESPACE and name == node:
            if verb in ("get", "create", "update", "patch", "delete"):
                return Decision(True, "a node's own Lease")
        if attributes.namespace == NODE_LEASE_NAMESPACE and verb == "create" and not name:
            # node_authorizer.go authorizeLease skips the name on create (the URL has none);
            # NodeRestriction (node_restriction_lease below) admits only the node's own Lease.
            return Decision(True, "a node creates its Lease")
        return Decision(False, "can only access node lease with the same name as the requesting node")
    if group == "" and resource == "pods":
        if sub == "" and verb in _NODE_READ:
            return Decision(True, "nodes read pods")
        if sub == "status" and verb in ("update", "patch"):
            if any(_bound(pod, node, attributes.namespace, name) for pod in pods):
                return Decision(True, "the status of a pod bound to the node")
        return Decision(False, "no relationship found between node and this object")
    if group == "" and resource in ("secrets", "configmaps", "persistentvolumeclaims") and sub == "":
        if verb == "get" and name:
            for pod in pods:
                if pod.spec.node_name == node and pod.metadata.namespace == attributes.namespace:
                    if name in pod_references(pod)[resource]:
                        return Decision(True, "referenced by a pod bound to the node")
        return Decision(False, "no relationship found between node and this object")
    return Decision(False, "")


def node_restriction_admission(user: UserInfo, node: core.Node) -> str | None:
    """NodeRestriction on a Node written by a node user: why it is refused, or None (its own Node)."""
    own = node_name_of(user)
    if own is None or node.metadata.name == own:
        return None
    return f'node "{own}" is not allowed to modify node "{node.metadata.name}"'


def node_restriction_lease(user: UserInfo, namespace: str, name: str) -> str | None:
    """NodeRestriction's admitLease: a node user writes only the Lease named after it in kube-node-lease."""
    own = node_name_of(user)
    if own is None or namespace != NODE_LEASE_NAMESPACE or name == own:
        return None
    return "can only access node lease with the same name as the requesting node"


def _bound(pod: core.Pod, node: str, namespace: str, name: str) -> bool:
    return pod.spec.node_name == node and pod.metadata.namespace == namespace and pod.metadata.name == name


def forbidden_message(attributes: Attributes, reason: str = "") -> str:
    """``ForbiddenStatusError``'s message after ``<resource> "<name>" is forbidden: ``."""
    user = attributes.user.name
    if not attributes.resource_request:
        text = f'User "{user}" cannot {attributes.verb} path "{attributes.path}"'
    else:
        resource = attributes.resource + (f"/{attributes.subresource}" if attributes.subresource else "")
        group = attributes.api_group
        text = f'User "{user}" cannot {attributes.verb} resource "{resource}" in API group "{group}"'
        text += (
            f' in the namespace "{attributes.namespace}"' if attributes.namespace else " at the cluster scope"
        )
    return f"{text}: {reason}" if reason else text
