"""The Kubernetes API server as clients see it: storage layout, Status errors, paging, watch, generation.

What it models: the generic REST storage of kube-apiserver over etcd, for
the kinds of ``spec.objects``. The reference server (``impl/apiserver``)
uses these functions, and the requirements below are what its tests (and,
later, the apiserver conformance suite) check. Everything here is pure.

Upstream sources (kubernetes/kubernetes at master, read, not copied):

- ``pkg/kubeapiserver/default_storage_factory_builder.go``
  (``SpecialDefaultResourcePrefixes``: nodes are kept under ``minions`` and
  services under ``services/specs``; ``AddCohabitatingResources``: core and
  events.k8s.io Events share ``/registry/events``),
  ``staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go``
  (``NamespaceKeyFunc``/``NoNamespaceKeyFunc``: ``<prefix>/<namespace>/<name>``,
  ``<prefix>/<name>``; ``Create``, ``Update``, ``Delete``, ``List``),
  ``.../registry/rest/create.go`` and ``update.go`` (``BeforeCreate``: uid,
  creationTimestamp, generateName; ``BeforeUpdate``: uid and
  creationTimestamp kept, generation only from the strategy).
- ``staging/src/k8s.io/apiserver/pkg/storage/etcd3/store.go``: the object's
  resourceVersion is its key's ``mod_revision``, a list's is the revision the
  read was served at; ``GuaranteedUpdate`` writes with a Txn comparing the
  ``mod_revision`` it read; ``GetList`` with ``limit`` and ``continue``.
  ``.../storage/continue.go``: the continue token is base64url (no padding)
  of ``{"v":"meta.k8s.io/v1","rv":R,"start":"<key after the prefix>"}``.
- ``.../storage/etcd3/watcher.go`` (``transform``: with a selector, an
  object that starts matching is ADDED and one that stops matching is
  DELETED), ``.../storage/cacher/watch_cache.go`` (``too old resource
  version: %d (%d)`` as a 410 ``Expired`` Status), ``.../endpoints/handlers/
  watch.go`` (the ERROR event carries the Status; the response itself is 200).
- ``staging/src/k8s.io/apimachinery/pkg/api/errors/errors.go``: ``NewNotFound``,
  ``NewAlreadyExists``, ``NewConflict`` (with ``OptimisticLockErrorMsg``),
  ``NewBadRequest``, ``NewMethodNotSupported``, ``NewResourceExpired``,
  ``NewRequestEntityTooLargeError``, ``NewInvalid`` (``spec.objects.validation``).
- ``pkg/registry/core/pod/strategy.go`` (``ToSelectableFields``),
  ``node/strategy.go``, ``namespace/strategy.go``, ``secret/strategy.go``: the
  field selectors each kind supports beyond ``metadata.name`` and
  ``metadata.namespace``; the strategies' ``PrepareForCreate`` and
  ``PrepareForUpdate``: which kinds track ``metadata.generation`` and have a
  status subresource (the main resource ignores status changes, ``/status``
  changes only status).
- ``plugin/pkg/admission/namespace/lifecycle/admission.go``: creating in a
  namespace that does not exist is ``namespaces "x" not found``.

Decisions and deviations (each is stated where it is used):

- events.k8s.io/v1 Events are kept under ``/registry/events.k8s.io/events``,
  not beside core Events: upstream stores both as core Events and converts,
  and the spec has no conversion between the two shapes.
- A watch from a compacted resourceVersion reports the oldest version it can
  still start from in parentheses, as the watch cache does.

Requirement IDs (component ``apiserver``): API-STORAGE-LAYOUT,
API-RV-MONOTONIC, API-OPTIMISTIC-CONCURRENCY, API-CREATE, API-NOT-FOUND,
API-LIST-SELECTORS, API-LIST-PAGING, API-LIST-AT-VERSION, API-WATCH-ORDER, API-WATCH-GONE,
API-WATCH-BOOKMARK, API-VALIDATION, API-STATUS-ERRORS, API-BAD-INPUT,
API-GENERATION, API-STATUS-SUBRESOURCE, API-NAMESPACE-EXISTS, API-FINALIZERS,
API-POD-BINDING, API-SCALE-SUBRESOURCE, API-DISCOVERY, API-DELETE-PROPAGATION,
API-GRACEFUL-DELETE, API-NAMESPACE-TERMINATING, API-NAMESPACE-CASCADE,
API-GC-BACKGROUND, API-GC-ORPHAN, API-GC-FOREGROUND, API-DELETECOLLECTION,
API-DRY-RUN (the garbage collector's and namespace controller's requirements
are met by impl/controllers/ in the server process), and the CRD ones below.
"""

from __future__ import annotations

import base64
import binascii
import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from datetime import datetime, timedelta
from typing import Any, Final

from spec import selectors
from spec.objects import apiextensions, apps, batch, core, events, networking
from spec.objects.base import Time
from spec.objects.meta import KindModel
from spec.objects.registry import KindInfo
from spec.objects.validation.errors import FieldError, invalid, not_supported
from spec.objects.validation.errors import Path as FieldPath
from spec.requirements import requirement

_STORE = "k8s.io/apiserver pkg/registry/generic/registry/store.go, pkg/storage/etcd3/store.go"

API_STORAGE_LAYOUT = requirement(
    "API-STORAGE-LAYOUT",
    "An object MUST be stored as JSON under /registry/<resource>/<namespace>/<name> (cluster-scoped: "
    "/registry/<resource>/<name>), with upstream's special prefixes (nodes under minions, services under "
    "services/specs), through the kv contract only.",
    component="apiserver",
    source="k/k pkg/kubeapiserver/default_storage_factory_builder.go; " + _STORE,
)
API_RV_MONOTONIC = requirement(
    "API-RV-MONOTONIC",
    "An object's resourceVersion MUST be its key's mod_revision and a list's the revision it was read at, "
    "so that every write gives the written object a resourceVersion greater than any seen before.",
    component="apiserver",
    source=_STORE,
)
API_OPTIMISTIC_CONCURRENCY = requirement(
    "API-OPTIMISTIC-CONCURRENCY",
    "An update whose metadata.resourceVersion is not the stored one MUST fail with 409 Conflict "
    '("the object has been modified; please apply your changes to the latest version and try again") and '
    "change nothing; the write MUST be a kv Txn comparing the mod_revision it read.",
    component="apiserver",
    source="k8s.io/apiserver pkg/storage/etcd3/store.go GuaranteedUpdate; apimachinery errors.NewConflict",
)
API_CREATE = requirement(
    "API-CREATE",
    "A create MUST fill uid, creationTimestamp and (for generateName) a name of the prefix plus 5 random "
    "characters, and MUST fail with 409 AlreadyExists if the name is taken.",
    component="apiserver",
    source="k8s.io/apiserver pkg/registry/rest/create.go BeforeCreate; pkg/storage/names/generate.go",
)
API_NOT_FOUND = requirement(
    "API-NOT-FOUND",
    "A get, update or delete of an object that does not exist MUST fail with 404 NotFound, message "
    '<resource>[.<group>] "<name>" not found.',
    component="apiserver",
    source="apimachinery pkg/api/errors/errors.go NewNotFound",
)
API_LIST_SELECTORS = requirement(
    "API-LIST-SELECTORS",
    "A list or watch MUST return exactly the objects matching its labelSelector and fieldSelector, and a "
    "field selector on a field the resource does not support MUST fail with 400.",
    component="apiserver",
    source="k/k pkg/registry/core/*/strategy.go ToSelectableFields; apimachinery pkg/labels, pkg/fields",
)
API_LIST_PAGING = requirement(
    "API-LIST-PAGING",
    "A list with limit MUST return at most limit items and a continue token while more remain; following "
    "the tokens MUST yield every matching object once, as of the first page's resourceVersion.",
    component="apiserver",
    source="k8s.io/apiserver pkg/storage/etcd3/store.go GetList; pkg/storage/continue.go",
)
API_LIST_AT_VERSION = requirement(
    "API-LIST-AT-VERSION",
    "A list with resourceVersion R and resourceVersionMatch=Exact MUST return the collection exactly as it "
    "was at R, with list resourceVersion R, or fail 410 Expired once R is compacted.",
    component="apiserver",
    source="k8s.io/apiserver pkg/storage/etcd3/store.go GetList; "
    "kubernetes/community api-conventions.md (resource versions: resourceVersionMatch)",
)
API_WATCH_ORDER = requirement(
    "API-WATCH-ORDER",
    "A watch from resourceVersion R MUST deliver every change after R exactly once, in resourceVersion "
    "order, as ADDED, MODIFIED or DELETED events (selector-aware: starting or stopping to match is "
    "ADDED or DELETED).",
    component="apiserver",
    source="k8s.io/apiserver pkg/storage/etcd3/watcher.go; pkg/endpoints/handlers/watch.go",
)
API_WATCH_GONE = requirement(
    "API-WATCH-GONE",
    "A watch from a resourceVersion older than the compacted history MUST end with an ERROR event holding "
    'a 410 Expired Status ("too old resource version"), never with events that skip changes.',
    component="apiserver",
    source="k8s.io/apiserver pkg/storage/cacher/watch_cache.go; pkg/endpoints/handlers/watch.go",
)
API_WATCH_BOOKMARK = requirement(
    "API-WATCH-BOOKMARK",
    "A watch with allowWatchBookmarks MAY get BOOKMARK events; a bookmark's resourceVersion MUST NOT "
    "exceed the revision up to which every change has been delivered, and MUST NOT go backwards.",
    component="apiserver",
    source="k8s.io/apiserver pkg/storage/cacher/cacher.go (bookmarks); KEP-956",
)
API_VALIDATION = requirement(
    "API-VALIDATION",
    "A create or update MUST default the object, then validate it, and fail with 422 Invalid listing every "
    "cause when validation finds any, storing nothing.",
    component="apiserver",
    source="k8s.io/apiserver pkg/registry/rest/create.go, update.go; spec.objects.validation",
)
API_STATUS_ERRORS = requirement(
    "API-STATUS-ERRORS",
    "Every failed request MUST be answered with a Kubernetes Status (kind Status, status Failure) whose "
    "code is the HTTP status and whose reason is upstream's for that failure.",
    component="apiserver",
    source="apimachinery pkg/api/errors/errors.go; k8s.io/apiserver pkg/endpoints/handlers/responsewriters",
)
API_BAD_INPUT = requirement(
    "API-BAD-INPUT",
    "Malformed JSON, a body of the wrong apiVersion or kind for the URL, a body over 3 MiB (413) and "
    "unknown paths or methods MUST get a 4xx Status, never a 5xx, and the server MUST keep serving.",
    component="apiserver",
    source="k8s.io/apiserver pkg/endpoints/handlers/rest.go (limitedReadBody), create.go (decode errors)",
)
API_GENERATION = requirement(
    "API-GENERATION",
    "For kinds that track it, metadata.generation MUST be 1 on create and MUST grow by one exactly when "
    "an update changes spec; clients MUST NOT be able to set it.",
    component="apiserver",
    source="k/k pkg/registry/apps/deployment/strategy.go PrepareForUpdate (and the other strategies)",
)
API_STATUS_SUBRESOURCE = requirement(
    "API-STATUS-SUBRESOURCE",
    "For kinds with a status subresource, an update of the main resource MUST keep the stored status, and "
    "an update of /status MUST change only status.",
    component="apiserver",
    source="k/k pkg/registry/*/strategy.go PrepareForUpdate of the strategy and the status strategy",
)
API_NAMESPACE_EXISTS = requirement(
    "API-NAMESPACE-EXISTS",
    "Creating a namespaced object in a namespace that does not exist MUST fail with 404 namespaces "
    '"<namespace>" not found.',
    component="apiserver",
    source="k/k plugin/pkg/admission/namespace/lifecycle/admission.go",
)
API_FINALIZERS = requirement(
    "API-FINALIZERS",
    "A delete of an object with finalizers MUST NOT remove it but set metadata.deletionTimestamp "
    "(once; generation grows by one for kinds that track it) and answer 200 with the object; the object "
    "MUST be removed by the update that leaves it with a deletionTimestamp and no finalizers; an update "
    "MUST NOT add a finalizer to an object being deleted (422).",
    component="apiserver",
    source="k8s.io/apiserver pkg/registry/generic/registry/store.go (Delete, "
    "updateForGracefulDeletionAndFinalizers, Update); apimachinery pkg/api/validation/objectmeta.go "
    "ValidateObjectMetaUpdate",
)
API_POD_BINDING = requirement(
    "API-POD-BINDING",
    "A Binding POSTed to pods/<name>/binding MUST set the pod's spec.nodeName to the target node (and a "
    "True PodScheduled condition) and answer 201 with a Success Status; it MUST fail with 409 Conflict "
    "when the pod is already assigned or is being deleted, 400 when the Binding names another pod, and "
    "422 when the target is not a named Node.",
    component="apiserver",
    source="k/k pkg/registry/core/pod/storage/storage.go BindingREST, assignPod, setPodHostAndAnnotations; "
    "pkg/apis/core/validation ValidatePodBinding",
)
API_SCALE_SUBRESOURCE = requirement(
    "API-SCALE-SUBRESOURCE",
    "GET <resource>/<name>/scale of a Deployment, ReplicaSet or StatefulSet MUST answer an autoscaling/v1 "
    "Scale with the object's spec.replicas, status.replicas, selector string and resourceVersion; PUT and "
    "PATCH of it MUST set spec.replicas as an update of the object would (409 on a stale resourceVersion, "
    "422 on negative replicas, generation bumped).",
    component="apiserver",
    source="k/k pkg/registry/apps/deployment/storage/storage.go ScaleREST (and replicaset, statefulset); "
    "pkg/apis/autoscaling/validation ValidateScale",
)
API_DISCOVERY = requirement(
    "API-DISCOVERY",
    "/api, /apis and each /api(s)/<group>/<version> MUST list every served resource with its kind, "
    "scope and verbs, as the official client's discovery reads them.",
    component="apiserver",
    source="k8s.io/apiserver pkg/endpoints/discovery",
)

# -- CustomResourceDefinitions (impl/apiserver/customresources.py; the schema side is spec/crd_schema.py) --

_CRD = "k8s.io/apiextensions-apiserver "
API_CRD_SERVE = requirement(
    "API-CRD-SERVE",
    "Once a CRD is Established, /apis/<group>/<version>/[namespaces/<ns>/]<plural> MUST serve each served "
    "version (Namespaced or Cluster scope) with create, get, list, update, merge and JSON patch (a strategic "
    "merge patch is 415), delete and watch, storing objects under /registry/<group>/<plural>/[<ns>/]<name> "
    "at the storage version with the apiVersion of the version asked for.",
    component="apiserver",
    source=_CRD + "pkg/apiserver/customresource_handler.go; pkg/registry/customresource",
)
API_CRD_STATUS = requirement(
    "API-CRD-STATUS",
    "With subresources.status, a custom object's create MUST drop status, an update of the main resource "
    "MUST keep the stored status and bump metadata.generation exactly when something other than metadata "
    "and status changed, and /status MUST write status only; without it, status is ordinary data and "
    "/status is 404.",
    component="apiserver",
    source=_CRD + "pkg/registry/customresource/strategy.go, status_strategy.go",
)
API_CRD_DISCOVERY = requirement(
    "API-CRD-DISCOVERY",
    "/apis MUST list an Established CRD's group with its served versions (preferred: the highest by "
    "Kubernetes version priority) and /apis/<group>/<version> its plural with kind, singularName, "
    "shortNames, scope, verbs and <plural>/status when enabled.",
    component="apiserver",
    source=_CRD + "pkg/apiserver/customresource_discovery_controller.go",
)
API_CRD_CONDITIONS = requirement(
    "API-CRD-CONDITIONS",
    "A created CRD MUST come to carry status.acceptedNames equal to its names and the conditions "
    "NamesAccepted=True (NoConflicts) and Established=True (InitialNamesAccepted).",
    component="apiserver",
    source=_CRD + "pkg/controller/status/naming_controller.go; pkg/controller/establish",
)
API_CRD_DELETE = requirement(
    "API-CRD-DELETE",
    "Deleting a CRD MUST delete every instance of it; afterwards its URLs MUST answer 404 and discovery "
    "MUST no longer list it.",
    component="apiserver",
    source=_CRD + "pkg/controller/finalizer/crd_finalizer.go; pkg/apiserver/customresource_handler.go",
)

#: The largest request body the server reads (handlers/rest.go: 3 MiB, "limitedReadBody").
MAX_REQUEST_BODY_BYTES: Final = 3 * 1024 * 1024

#: ``SpecialDefaultResourcePrefixes`` plus the events.k8s.io deviation (module docstring).
_SPECIAL_PREFIXES: Final[dict[tuple[str, str], str]] = {
    ("", "nodes"): "minions",
    ("", "services"): "services/specs",
    ("events.k8s.io", "events"): "events.k8s.io/events",
}


def storage_prefix(info: KindInfo) -> str:
    """The key prefix of a resource, without the trailing slash: ``/registry/pods``, ``/registry/minions``."""
    return "/registry/" + _SPECIAL_PREFIXES.get((info.group, info.resource), info.resource)


def object_key(info: KindInfo, namespace: str, name: str) -> str:
    """The key of one object (``NamespaceKeyFunc`` / ``NoNamespaceKeyFunc``)."""
    if info.namespaced:
        return f"{storage_prefix(info)}/{namespace}/{name}"
    return f"{storage_prefix(info)}/{name}"


def list_prefix(info: KindInfo, namespace: str | None) -> str:
    """The prefix a list reads, with the trailing slash etcd3 ``GetList`` adds: every namespace if None."""
    if info.namespaced and namespace:
        return f"{storage_prefix(info)}/{namespace}/"
    return storage_prefix(info) + "/"


# -- what the strategies say about each kind -------------------------------------------------------

#: Kinds whose strategy sets generation 1 on create and bumps it on a spec change.
TRACKS_GENERATION: Final[frozenset[type[KindModel]]] = frozenset(
    {
        core.Pod,  # PodObservedGenerationTracking (on by default since 1.34)
        apps.Deployment,
        apps.ReplicaSet,
        apps.StatefulSet,
        apps.DaemonSet,
        batch.Job,
        batch.CronJob,
        networking.NetworkPolicy,
        apiextensions.CustomResourceDefinition,
    }
)

#: Kinds with a status subresource (``<resource>/status`` in discovery).
HAS_STATUS: Final[frozenset[type[KindModel]]] = frozenset(
    {
        core.Pod,
        core.Node,
        core.Namespace,
        core.Service,
        core.PersistentVolume,
        core.PersistentVolumeClaim,
        apps.Deployment,
        apps.ReplicaSet,
        apps.StatefulSet,
        apps.DaemonSet,
        batch.Job,
        batch.CronJob,
        apiextensions.CustomResourceDefinition,
    }
)

#: Kinds whose create keeps the status the client sent (node/strategy.go: the kubelet registers with one).
_KEEPS_STATUS_ON_CREATE: Final = frozenset({core.Node})


def initial_status(obj: KindModel) -> dict[str, Any] | None:
    """The status a create stores for a kind with a status subresource (its ``PrepareForCreate``).

    None: keep what the client sent. Pods, volumes and claims start Pending,
    namespaces Active; the others start empty.
    """
    kind = type(obj)
    if kind not in HAS_STATUS or kind in _KEEPS_STATUS_ON_CREATE:
        return None
    if kind is core.Pod:
        return {"phase": "Pending"}
    if kind in (core.PersistentVolume, core.PersistentVolumeClaim):
        return {"phase": "Pending"}
    if kind is core.Namespace:
        return {"phase": "Active"}
    if isinstance(obj, apiextensions.CustomResourceDefinition):
        # customresourcedefinition/strategy.go PrepareForCreate: the storage version is recorded at once.
        return {"storedVersions": [version.name for version in obj.spec.versions if version.storage][:1]}
    return {}


def being_deleted(obj: KindModel) -> bool:
    """``deletionTimestamp`` is set: finalizers hold the object until they are all removed."""
    return obj.metadata.deletion_timestamp is not None


def added_finalizers(old: KindModel, new: KindModel) -> list[str]:
    """The finalizers ``new`` has that ``old`` does not: an update may not add any while deleting."""
    return [f for f in new.metadata.finalizers if f not in old.metadata.finalizers]


def next_generation(kind: type[KindModel], generation: int, old_spec: Any, new_spec: Any) -> int:
    """The generation after an update: one more exactly when a tracking kind's spec changed."""
    if kind not in TRACKS_GENERATION:
        return generation
    return generation + 1 if old_spec != new_spec else generation


# -- field selectors ---------------------------------------------------------------------------------


def _go_bool(value: bool) -> str:
    return "true" if value else "false"


def selectable_fields(obj: KindModel, namespaced: bool) -> dict[str, str]:
    """The fields a field selector can name for ``obj`` (each strategy's ``ToSelectableFields``)."""
    fields = selectors.object_meta_fields(obj.metadata.name, obj.metadata.namespace if namespaced else None)
    if isinstance(obj, core.Pod):
        fields |= {
            "spec.nodeName": obj.spec.node_name,
            "spec.restartPolicy": obj.spec.restart_policy,
            "spec.schedulerName": obj.spec.scheduler_name,
            "spec.serviceAccountName": obj.spec.service_account_name,
            "spec.hostNetwork": _go_bool(obj.spec.host_network),
            "status.phase": obj.status.phase,
            "status.podIP": obj.status.pod_ip,
            "status.nominatedNodeName": obj.status.nominated_node_name,
        }
    elif isinstance(obj, core.Node):
        fields["spec.unschedulable"] = _go_bool(obj.spec.unschedulable)
    elif isinstance(obj, core.Namespace):
        fields["status.phase"] = obj.status.phase
    elif isinstance(obj, core.Secret):
        fields["type"] = obj.type
    elif isinstance(obj, core.Event | events.Event):
        pass  # involvedObject.* and friends: not yet (README, "The API server")
    return fields


def supported_field_labels(kind: type[KindModel], namespaced: bool) -> frozenset[str]:
    """The field names a field selector may use for ``kind`` (the others are 400 BadRequest)."""
    return frozenset(selectable_fields(kind(), namespaced))


# -- continue tokens ---------------------------------------------------------------------------------


class ContinueError(ValueError):
    """A continue token this server cannot read (upstream answers 400 BadRequest)."""


def encode_continue(next_key: str, prefix: str, revision: int) -> str:
    """The token that resumes a list at ``next_key`` (a key under ``prefix``) at ``revision``."""
    if not next_key.startswith(prefix):
        raise ValueError(f"key {next_key!r} is not under the prefix {prefix!r}")
    token = {"v": "meta.k8s.io/v1", "rv": revision, "start": next_key[len(prefix) :]}
    text = json.dumps(token, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def decode_continue(token: str, prefix: str) -> tuple[str, int]:
    """(the key to resume from, the revision) of a token; ``ContinueError`` when it is not valid.

    As upstream's ``DecodeContinue``: the start key may not climb out of the
    prefix (``path.Clean`` must leave it unchanged).
    """
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError) as error:
        raise ContinueError(f"continue key is not valid: {error}") from None
    if not isinstance(data, Mapping) or data.get("v") != "meta.k8s.io/v1":
        raise ContinueError("continue key is not valid: server does not recognize this encoded version")
    revision, start = data.get("rv"), data.get("start")
    if not isinstance(revision, int) or isinstance(revision, bool) or revision <= 0:
        raise ContinueError(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        )
    if not isinstance(start, str) or not start:
        raise ContinueError("continue key is not valid: encoded start key empty (version meta.k8s.io/v1)")
    key = start if start.startswith("/") else "/" + start
    if posixpath.normpath(key) != key:
        raise ContinueError(f"continue key is not valid: {start}")
    return prefix + key[1:], revision


# -- watch -----------------------------------------------------------------------------------------


def watch_event_type(*, created: bool, deleted: bool, old_matches: bool, new_matches: bool) -> str | None:
    """The event a watch with a selector sends for one change, or None (etcd3 watcher ``transform``).

    ``old_matches`` is about the object before the change (ignored for a
    create), ``new_matches`` after it (ignored for a delete).
    """
    if deleted:
        return "DELETED" if old_matches else None
    if created:
        return "ADDED" if new_matches else None
    if old_matches and new_matches:
        return "MODIFIED"
    if new_matches:
        return "ADDED"
    if old_matches:
        return "DELETED"
    return None


# -- Status ------------------------------------------------------------------------------------------


def group_resource(group: str, resource: str) -> str:
    """``schema.GroupResource.String``: ``pods``, ``deployments.apps``."""
    return f"{resource}.{group}" if group else resource


def failure(code: int, reason: str, message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A Status with status Failure, as every error response carries."""
    status: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details:
        status["details"] = dict(details)
    status["code"] = code
    return status


def _details(group: str, resource: str, name: str) -> dict[str, Any]:
    return {"name": name, **({"group": group} if group else {}), "kind": resource}


def not_found(group: str, resource: str, name: str) -> dict[str, Any]:
    return failure(
        404,
        "NotFound",
        f'{group_resource(group, resource)} "{name}" not found',
        _details(group, resource, name),
    )


def already_exists(group: str, resource: str, name: str) -> dict[str, Any]:
    what = f'{group_resource(group, resource)} "{name}" already exists'
    return failure(409, "AlreadyExists", what, _details(group, resource, name))


#: apimachinery ``storage.OptimisticLockErrorMsg``.
OPTIMISTIC_LOCK_MESSAGE: Final = (
    "the object has been modified; please apply your changes to the latest version and try again"
)


def conflict(group: str, resource: str, name: str, why: str = OPTIMISTIC_LOCK_MESSAGE) -> dict[str, Any]:
    message = f'Operation cannot be fulfilled on {group_resource(group, resource)} "{name}": {why}'
    return failure(409, "Conflict", message, _details(group, resource, name))


def bad_request(message: str) -> dict[str, Any]:
    return failure(400, "BadRequest", message)


def method_not_supported(group: str, resource: str, verb: str) -> dict[str, Any]:
    message = f"{verb} is not supported on resources of kind {group_resource(group, resource)!r}"
    return failure(
        405, "MethodNotAllowed", message, {**({"group": group} if group else {}), "kind": resource}
    )


def path_not_found() -> dict[str, Any]:
    """What an unknown path gets (the API server's NotFound handler, as a Status)."""
    return failure(404, "NotFound", "the server could not find the requested resource", {})


def expired(message: str) -> dict[str, Any]:
    """410 Expired (``NewResourceExpired``): a resourceVersion or continue token whose history is gone."""
    return failure(410, "Expired", message)


def too_old_resource_version(requested: int, oldest: int) -> dict[str, Any]:
    """The Status of a watch that starts before the kept history (the watch cache's wording)."""
    return expired(f"too old resource version: {requested} ({oldest})")


def request_entity_too_large(limit: int = MAX_REQUEST_BODY_BYTES) -> dict[str, Any]:
    return failure(413, "RequestEntityTooLarge", f"Request entity too large: limit is {limit}")


def unsupported_media_type(content_type: str) -> dict[str, Any]:
    return failure(
        415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {content_type}"
    )


def too_large_resource_version(requested: int, current: int) -> dict[str, Any]:
    """504 for a read at a resourceVersion the store has not reached (``NewTooLargeResourceVersionError``).

    Upstream waits up to 3 s for the store to catch up and then answers this;
    it is the one 5xx answer to a client's input, and it says so with a cause.
    """
    return failure(
        504,
        "Timeout",
        f"Too large resource version: {requested}, current: {current}",
        {
            "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
            "retryAfterSeconds": 1,
        },
    )


def created_status() -> dict[str, Any]:
    """What a Binding answers (BindingREST.Create: ``Status{Status: Success, Code: 201}``)."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


def success(group: str, resource: str, name: str, uid: str) -> dict[str, Any]:
    """What a delete answers for kinds that do not return the deleted object."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {**_details(group, resource, name), "uid": uid},
    }


# -- deletion: DeleteOptions, propagation, graceful deletion, namespaces, the garbage collector ----------

_DELETE = (
    "k8s.io/apiserver pkg/registry/generic/registry/store.go (Delete, "
    "updateForGracefulDeletionAndFinalizers, deletionFinalizersForGarbageCollection, "
    "shouldOrphanDependents, shouldDeleteDependents, markAsDeleting); pkg/registry/rest/delete.go "
    "BeforeDelete; apimachinery pkg/apis/meta/v1/validation ValidateDeleteOptions"
)
_GC = "k/k pkg/controller/garbagecollector/garbagecollector.go (attemptToDeleteItem, classifyReferences, " + (
    "processDeletingDependentsItem, orphanDependents), graph_builder.go"
)
_NAMESPACES_SRC = (
    "k/k pkg/registry/core/namespace/storage/storage.go (Delete, ShouldDeleteNamespaceDuringUpdate), "
    "namespace/strategy.go (PrepareForCreate adds the kubernetes finalizer), "
    "pkg/controller/namespace/deletion/namespaced_resources_deleter.go, "
    "k8s.io/apiserver pkg/admission/plugin/namespace/lifecycle/admission.go"
)

API_DELETE_PROPAGATION = requirement(
    "API-DELETE-PROPAGATION",
    "A delete MUST add the orphan finalizer for propagationPolicy Orphan (or orphanDependents: true) and "
    "foregroundDeletion for Foreground, setting deletionTimestamp and keeping the object; Background (the "
    "default) MUST remove an object without finalizers at once; setting both orphanDependents and "
    "propagationPolicy, or an unknown policy, MUST fail with 422 Invalid DeleteOptions.",
    component="apiserver",
    source=_DELETE,
)
API_GRACEFUL_DELETE = requirement(
    "API-GRACEFUL-DELETE",
    "Deleting a pod bound to a node MUST set deletionTimestamp = now + grace and "
    "deletionGracePeriodSeconds = grace (gracePeriodSeconds, else spec.terminationGracePeriodSeconds) and "
    "keep it; a later delete MAY only shorten the grace period (a longer one changes nothing); grace 0, an "
    "unbound pod or a terminated one MUST be removed at once.",
    component="apiserver",
    source="k/k pkg/registry/core/pod/strategy.go CheckGracefulDelete; k8s.io/apiserver "
    "pkg/registry/rest/delete.go BeforeDelete",
)
API_NAMESPACE_TERMINATING = requirement(
    "API-NAMESPACE-TERMINATING",
    "Deleting a namespace MUST set its deletionTimestamp and phase Terminating and keep it while "
    "spec.finalizers holds kubernetes; creating in a terminating namespace MUST fail with 403 Forbidden "
    '("unable to create new content in namespace <ns> because it is being terminated"); default, '
    "kube-system and kube-public MUST NOT be deletable (403).",
    component="apiserver",
    source=_NAMESPACES_SRC,
)
API_NAMESPACE_CASCADE = requirement(
    "API-NAMESPACE-CASCADE",
    "Once a namespace is terminating, the namespace controller MUST delete every object in it, then "
    "remove the kubernetes finalizer (namespaces/<name>/finalize), and the namespace MUST then be removed.",
    component="apiserver",
    source=_NAMESPACES_SRC,
)
API_GC_BACKGROUND = requirement(
    "API-GC-BACKGROUND",
    "An object whose every owner reference is dangling (no object of that kind, name and uid, in the "
    "dependent's namespace or cluster-scoped) MUST be deleted by the garbage collector; an object with a "
    "live owner MUST NOT; a cluster-scoped dependent of a namespaced owner kind is never collected.",
    component="apiserver",
    source=_GC,
)
API_GC_ORPHAN = requirement(
    "API-GC-ORPHAN",
    "For an owner being deleted with the orphan finalizer, the garbage collector MUST remove the owner "
    "references to it from every dependent, keep the dependents, and only then remove the finalizer.",
    component="apiserver",
    source=_GC,
)
API_GC_FOREGROUND = requirement(
    "API-GC-FOREGROUND",
    "For an owner being deleted with the foregroundDeletion finalizer, the garbage collector MUST delete "
    "its dependents and MUST NOT remove the finalizer (so the owner stays) while a dependent with "
    "blockOwnerDeletion exists.",
    component="apiserver",
    source=_GC,
)
API_DELETECOLLECTION = requirement(
    "API-DELETECOLLECTION",
    "DELETE on a collection (one namespace's, or a cluster-scoped resource's but namespaces') MUST delete, "
    "with the given DeleteOptions, exactly the objects its labelSelector and fieldSelector match, and "
    "answer with the list of them.",
    component="apiserver",
    source="k8s.io/apiserver pkg/registry/generic/registry/store.go DeleteCollection",
)
API_DRY_RUN = requirement(
    "API-DRY-RUN",
    "A create, update, patch or delete with dryRun=All MUST validate and answer as the request would, "
    "and MUST store nothing; a dryRun value other than All MUST fail with 422.",
    component="apiserver",
    source="k8s.io/apiserver pkg/registry/generic/registry/dryrun.go; apimachinery ValidateDryRun",
)

#: metav1.FinalizerOrphanDependents, FinalizerDeleteDependents; core FinalizerKubernetes.
ORPHAN_FINALIZER: Final = "orphan"
FOREGROUND_FINALIZER: Final = "foregroundDeletion"
NAMESPACE_FINALIZER: Final = "kubernetes"
PROPAGATION_POLICIES: Final = ("Foreground", "Background", "Orphan")
#: The NamespaceLifecycle admission plugin's immortal namespaces (kube-node-lease is not one).
IMMORTAL_NAMESPACES: Final = ("default", "kube-system", "kube-public")
#: api.DefaultTerminationGracePeriodSeconds.
DEFAULT_POD_GRACE_SECONDS: Final = 30


@dataclass(frozen=True)
class DeleteOptions:
    """The DeleteOptions of one request, as decoded (None: not given)."""

    propagation_policy: str | None = None
    orphan_dependents: bool | None = None
    grace_period_seconds: int | None = None
    preconditions: Mapping[str, str] = dataclass_field(default_factory=dict)
    dry_run: tuple[str, ...] = ()


def validate_dry_run(values: tuple[str, ...]) -> list[FieldError]:
    """apimachinery ``ValidateDryRun``: only ``All`` is a dry-run value."""
    if any(value != "All" for value in values):
        return [not_supported(FieldPath("dryRun"), list(values), ["All"])]
    return []


def validate_delete_options(options: DeleteOptions) -> list[FieldError]:
    """``ValidateDeleteOptions``: at most one of orphanDependents and propagationPolicy, a known policy."""
    errors: list[FieldError] = []
    where = FieldPath("propagationPolicy")
    if options.orphan_dependents is not None and options.propagation_policy is not None:
        errors.append(
            invalid(
                where,
                options.propagation_policy,
                "orphanDependents and deletionPropagation cannot be both set",
            )
        )
    if options.propagation_policy is not None and options.propagation_policy not in PROPAGATION_POLICIES:
        errors.append(not_supported(where, options.propagation_policy, [*PROPAGATION_POLICIES, "nil"]))
    return errors + validate_dry_run(options.dry_run)


def default_orphans(info: KindInfo) -> bool:
    """A kind's ``DefaultGarbageCollectionPolicy`` is OrphanDependents.

    Upstream says so only for ReplicationControllers in core/v1 and for the
    deprecated extensions/v1beta1, apps/v1beta1 and apps/v1beta2 workloads;
    none of those is served here, so every kind deletes its dependents.
    """
    return False


def should_orphan(finalizers: tuple[str, ...], options: DeleteOptions, default_orphan: bool = False) -> bool:
    """``shouldOrphanDependents``: the request's choice, else the object's finalizers, else the default."""
    if options.orphan_dependents is not None:
        return options.orphan_dependents
    if options.propagation_policy is not None:
        return options.propagation_policy == "Orphan"
    for name in finalizers:
        if name == ORPHAN_FINALIZER:
            return True
        if name == FOREGROUND_FINALIZER:
            return False
    return default_orphan


def should_delete_dependents(finalizers: tuple[str, ...], options: DeleteOptions) -> bool:
    """``shouldDeleteDependents``: Foreground asked for, or already the object's finalizer."""
    if options.orphan_dependents is not None:
        return False
    if options.propagation_policy is not None:
        return options.propagation_policy == "Foreground"
    for name in finalizers:
        if name == FOREGROUND_FINALIZER:
            return True
        if name == ORPHAN_FINALIZER:
            return False
    return False


def gc_finalizers(
    finalizers: tuple[str, ...], options: DeleteOptions, default_orphan: bool = False
) -> tuple[str, ...]:
    """``deletionFinalizersForGarbageCollection``: the finalizers after a delete with ``options``."""
    kept = [name for name in finalizers if name not in (ORPHAN_FINALIZER, FOREGROUND_FINALIZER)]
    if should_orphan(finalizers, options, default_orphan):
        kept.append(ORPHAN_FINALIZER)
    if should_delete_dependents(finalizers, options):
        kept.append(FOREGROUND_FINALIZER)
    return tuple(kept) if set(kept) != set(finalizers) else finalizers


def pod_grace_period(pod: core.Pod, requested: int | None) -> int:
    """``podStrategy.CheckGracefulDelete``: the grace period a pod's deletion gets."""
    if requested is not None:
        period = requested
    else:
        period = pod.spec.termination_grace_period_seconds or 0
    if not pod.spec.node_name or pod.status.phase in ("Failed", "Succeeded"):
        period = 0  # not scheduled, or already terminated: nothing to wait for
    return period if period >= 0 else 1  # BeforeDelete: a negative grace period is 1 s


@dataclass(frozen=True)
class DeletePlan:
    """What one delete does to the stored object: ``"pending"`` (nothing), ``"update"`` or ``"delete"``.

    ``obj`` is the object to write for ``update`` (the one answered for ``pending``).
    """

    action: str
    obj: KindModel


def plan_delete(
    obj: KindModel, options: DeleteOptions, now: datetime, default_orphan: bool = False
) -> DeletePlan:
    """``Store.Delete`` for one object: BeforeDelete, the GC finalizers, markAsDeleting, or removal.

    Pods are the one kind with a graceful strategy here. A pod already being
    deleted with a grace period left is ``pending`` unless the request asks
    for a shorter one (the new deletionTimestamp keeps the old start).
    """
    metadata = obj.metadata
    graceful, grace = False, 0
    if options.grace_period_seconds is not None and options.grace_period_seconds < 0:
        options = replace(options, grace_period_seconds=1)  # BeforeDelete: negative means 1 s
    if isinstance(obj, core.Pod):
        if metadata.deletion_timestamp is not None:
            current = metadata.deletion_grace_period_seconds
            if current is not None and current > 0:
                requested = options.grace_period_seconds
                if requested is None or requested >= current:
                    return DeletePlan("pending", obj)
                shortened = requested
                start = metadata.deletion_timestamp - timedelta(seconds=current)
                metadata = metadata.replace(
                    deletion_timestamp=Time.of(start + timedelta(seconds=shortened)),
                    deletion_grace_period_seconds=shortened,
                )
                graceful, grace = True, shortened
        else:
            grace = pod_grace_period(obj, options.grace_period_seconds)
            metadata = metadata.replace(
                deletion_timestamp=Time.of(now + timedelta(seconds=grace)),
                deletion_grace_period_seconds=grace,
                generation=metadata.generation + 1 if metadata.generation > 0 else metadata.generation,
            )
            graceful = True
    finalizers = gc_finalizers(tuple(metadata.finalizers), options, default_orphan)
    metadata = metadata.replace(finalizers=finalizers)
    if not graceful:
        if not finalizers:
            return DeletePlan("delete", obj)
        # markAsDeleting: the generation grows the first time, the timestamp never moves later.
        first = metadata.deletion_timestamp is None
        stamp = metadata.deletion_timestamp
        if stamp is None or stamp > now:
            stamp = Time.of(now)
        metadata = metadata.replace(
            deletion_timestamp=stamp,
            deletion_grace_period_seconds=0,
            generation=metadata.generation + 1 if first and metadata.generation > 0 else metadata.generation,
        )
        return DeletePlan("update", obj.replace(metadata=metadata))
    if finalizers or grace > 0:
        return DeletePlan("update", obj.replace(metadata=metadata))
    return DeletePlan("delete", obj.replace(metadata=metadata))


def should_delete_during_update(obj: KindModel) -> bool:
    """``ShouldDeleteDuringUpdate``: marked and no finalizer left (a namespace: no spec finalizer either)."""
    if obj.metadata.deletion_timestamp is None or obj.metadata.finalizers:
        return False
    return not (isinstance(obj, core.Namespace) and obj.spec.finalizers)


def forbidden_status(group: str, resource: str, name: str, why: str) -> dict[str, Any]:
    """``NewForbidden``: 403 ``<resource> "<name>" is forbidden: <why>``."""
    what = f'{group_resource(group, resource)} "{name}"' if name else group_resource(group, resource)
    return failure(403, "Forbidden", f"{what} is forbidden: {why}", _details(group, resource, name))


def terminating_message(namespace: str) -> str:
    return f"unable to create new content in namespace {namespace} because it is being terminated"


def namespace_terminating(namespace: core.Namespace) -> bool:
    """The lifecycle admission's test: the phase says Terminating (a deletionTimestamp implies it)."""
    return namespace.status.phase == "Terminating" or namespace.metadata.deletion_timestamp is not None


def collect_garbage(
    owners: Mapping[str, tuple[str, ...]], deleted: str, policy: str | None
) -> dict[str, tuple[str, ...]]:
    """The model's prediction, once the controllers settle, for one namespace's objects after a delete.

    ``owners`` maps every object (by name) to the owners its references name
    (objects of the same namespace, by name, their uids matching). ``deleted``
    goes with ``policy`` (None: the default, Background for every kind
    here). The answer maps every object left to the owners it still names:
    under Orphan the references to ``deleted`` are gone and nothing else
    changes (API-GC-ORPHAN); otherwise every object whose owners are all gone
    goes too, transitively, and an object with a live owner left only loses
    its references to the gone ones (API-GC-BACKGROUND, API-GC-FOREGROUND).
    """
    left = {name: tuple(refs) for name, refs in owners.items() if name != deleted}
    if policy == "Orphan":
        return {name: tuple(r for r in refs if r != deleted) for name, refs in left.items()}
    gone = {deleted}
    changed = True
    while changed:
        changed = False
        for name, refs in sorted(left.items()):
            if not any(r in gone for r in refs):
                continue
            alive = tuple(r for r in refs if r not in gone)
            if alive:
                left[name] = alive
            else:
                del left[name]
                gone.add(name)
                changed = True
    return left
