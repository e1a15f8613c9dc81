"""The reference API server's request core: an HTTP request in, a response or a watch out (sans-IO).

What it models: kube-apiserver's generic REST storage for the kinds of
``spec.objects``, over the ``kv`` contract (``impl/apiserver/storage.py``).
``APIServer.handle(Request)`` returns a ``Response`` or an ``APIWatch``; it
reads no clock and draws no randomness of its own (the driver injects a
clock and a ``spec.entropy.Entropy``) and opens no socket: the kv client it
is given is its only way out, so the same core serves HTTP
(``impl/apiserver/http.py``) and tests that call it directly.

Upstream (k8s.io/apiserver unless said otherwise; read, not copied):

- ``pkg/endpoints/handlers/create.go``, ``update.go``, ``get.go``,
  ``delete.go``, ``watch.go``, ``rest.go``: decoding (a body's missing
  apiVersion/kind default to the URL's; another kind is ``"X in version "v"
  cannot be handled as a Y"``), namespace and name checks against the URL,
  the 3 MiB body limit, ``fieldValidation=Strict``.
- ``pkg/registry/rest/create.go`` (``BeforeCreate``), ``update.go``
  (``BeforeUpdate``), ``pkg/storage/names/generate.go`` (generateName: the
  prefix cut to 58 characters plus 5 from ``bcdfghjklmnpqrstvwxz2456789``).
- ``pkg/registry/generic/registry/store.go`` and ``pkg/storage/etcd3/store.go``
  (resourceVersion = mod_revision; create = Txn on ModRevision == 0;
  update = read, then Txn on the read ModRevision, retried when the client
  sent no resourceVersion; an update that changes nothing writes nothing;
  list at one revision, paged with continue tokens).
- apimachinery ``pkg/apis/meta/internalversion/validation``
  (``ValidateListOptions``: resourceVersionMatch rules, 422 ListOptions).
- ``pkg/endpoints/handlers/patch.go`` (PATCH: the Content-Type picks
  merge, JSON or strategic merge patch, ``spec/patch.py`` applies it to the
  stored object's JSON at every attempt of the update loop, and the result
  goes through the update path; other types are 415).
- k/k ``plugin/pkg/admission/namespace/lifecycle`` (a namespaced create
  needs its namespace, which must not be terminating; default, kube-system
  and kube-public cannot be deleted) and
  ``pkg/controlplane/controller/systemnamespaces`` (default, kube-system,
  kube-public, kube-node-lease exist from the start).
- Deletion (``_delete``): ``Store.Delete`` as ``spec.apiserver.plan_delete``
  models it (DeleteOptions validated, propagationPolicy's GC finalizers,
  pods' grace periods, markAsDeleting); namespaces first through
  ``pkg/registry/core/namespace/storage/storage.go`` Delete (Terminating,
  then removed once ``spec.finalizers`` is empty, through ``/finalize``);
  ``Store.DeleteCollection``; ``dryRun=All`` (``DryRunStorage``: checked,
  not written). The garbage collector and the namespace controller are
  ``impl/controllers``; ``lifecycle_changes`` tells their loop when to run.

Not yet (README, "The API server"): server-side apply
(``application/apply-patch+yaml``) and ``fieldManager``/managedFields,
the scale
subresource, admission beyond NamespaceLifecycle, update-only validation
(immutable fields), CustomResourceDefinitions beyond what
``impl/apiserver/customresources.py`` says,
sendInitialEvents, YAML and protobuf bodies.

Requirement IDs: none defined here (``spec/apiserver.py`` declares them).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final, cast

from impl.apiserver import authz, certificates, discovery, scale
from impl.apiserver.authn import ServiceAccountTokens
from impl.apiserver.customresources import CRD_INFO, CustomResources
from impl.apiserver.encryption import TransformError, ValueTransformer
from impl.apiserver.routing import DiscoveryPath, OtherPath, ResourcePath, route
from impl.apiserver.storage import KV, DryRunStorage, Storage, StorageError, Stored
from impl.apiserver.watch import APIWatch, Selects
from impl.apiserver.watchindex import NodeNameIndex
from spec import admission, apiserver, authn_api, patch, rbac, selectors
from spec.authn import UserInfo
from spec.entropy import Entropy
from spec.kv import KeyValue, WatchCreateRequest, prefix_end
from spec.objects import core, defaults
from spec.objects.base import Time
from spec.objects.meta import KindModel
from spec.objects.registry import KindInfo, ObjectError, from_dict, info_of, kind_info, to_dict
from spec.objects.validation import FieldError, validate
from spec.objects.validation.errors import Path as FieldPath
from spec.objects.validation.errors import forbidden, invalid, invalid_status, not_supported, required

#: The namespaces the control plane creates at start (systemnamespaces controller).
SYSTEM_NAMESPACES: Final = ("default", "kube-system", "kube-public", "kube-node-lease")
#: names.SimpleNameGenerator's alphabet (utilrand.String) and lengths.
_NAME_ALPHABET: Final = "bcdfghjklmnpqrstvwxz2456789"
_RANDOM_LENGTH: Final = 5
_MAX_GENERATE_NAME_PREFIX: Final = 63 - _RANDOM_LENGTH
#: How often an unconditional update is retried when others keep writing (GuaranteedUpdate loops).
_UPDATE_ATTEMPTS: Final = 16
_GENERATE_NAME_ATTEMPTS: Final = 8
#: Objects a list reads per kv page while a selector filters them (etcd3 store: starts at limit, grows).
_MIN_LIST_BATCH: Final = 64
#: handlers/patch.go ``maxJSONPatchOperations``.
_MAX_JSON_PATCH_OPERATIONS: Final = 10000
#: What a 422 on the field ``patch`` shows as the value (upstream prints the whole patched JSON).
_PATCHED_VALUE: Final = "<the patched object>"


@dataclass(frozen=True)
class Request:
    """An HTTP request as the core sees it. Header names are lower case; each query name has its values."""

    method: str
    path: str
    query: Mapping[str, Sequence[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: Who is asking, as the transport authenticated it; None is a trusted in-process caller
    #: (a server run without authentication, or a component the test harness wires in directly).
    user: UserInfo | None = None

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"

    def json(self) -> Any:
        return json.loads(self.body)


class APIError(Exception):
    """A request that fails with ``status`` (a Kubernetes Status dict)."""

    def __init__(self, status: dict[str, Any]) -> None:
        super().__init__(status.get("message", ""))
        self.status = status


def _json_response(code: int, body: Any) -> Response:
    return Response(code, json.dumps(body, separators=(",", ":")).encode())


def _status_response(status: dict[str, Any]) -> Response:
    return _json_response(int(status["code"]), status)


def _truthy(value: str | None) -> bool:
    """Go's strconv.ParseBool, as the query decoder reads booleans (``true``, ``True``, ``1``, ...)."""
    return value in ("1", "t", "T", "true", "TRUE", "True")


def _parse_revision(text: str, what: str = "resource version") -> int:
    if not text.isdigit() or not text.isascii():
        raise APIError(apiserver.bad_request(f'invalid {what}: "{text}"'))
    return int(text)


@dataclass(frozen=True)
class _ListOptions:
    labels: selectors.Selector
    fields: selectors.FieldSelector
    limit: int
    continue_token: str
    resource_version: str | None
    match: str


class APIServer:
    """The request core: ``kv`` is a ``kv``-contract client; the driver gives ``clock`` and ``entropy``."""

    def __init__(
        self,
        kv: KV,
        *,
        clock: Callable[[], datetime],
        entropy: Entropy,
        git_version: str = "v1.31.0-kspec",
        index_pod_watches_by_node: bool = False,
        encryption: ValueTransformer | None = None,
    ) -> None:
        self._storage = Storage(kv, encryption)  # encryption at rest (impl/apiserver/encryption.py)
        self._local = threading.local()  # a dry-run request's storage, per worker thread
        self.kv = kv
        self.clock = clock
        self.entropy = entropy
        self.git_version = git_version
        self.custom_resources = CustomResources(self)
        #: Grows with every write the controllers (impl/controllers) may have to act on: a delete, a
        #: deletion mark, an object with owner references. Their loop settles when it changes.
        self.lifecycle_changes = 0
        #: (key, mod_revision) -> labels and selectable fields (``_attributes``).
        self._attributes_memo: dict[tuple[str, int], _Attributes | None] = {}
        #: For single-threaded drivers with many kubelets (impl/apiserver/watchindex.py).
        self._pod_watch_index = (
            NodeNameIndex(self._storage.watch, self._node_name_of) if index_pod_watches_by_node else None
        )
        #: Authorization (impl/apiserver/authz.py): None serves every request as before; with one,
        #: requests with a user (or Impersonate-User) are authorized and RBAC writes escalation-checked.
        self.authorizer: authz.Authorizer | None = None
        #: The ServiceAccount token signer and verifier of a server run with authentication, one key
        #: per server (impl/apiserver/secure.py): TokenRequest (serviceaccounts/<name>/token,
        #: impl/apiserver/certificates.py) issues with it; None: that subresource is not served.
        self.service_account_tokens: ServiceAccountTokens | None = None

    @property
    def storage(self) -> Storage:
        dry: Storage | None = getattr(self._local, "storage", None)
        return dry if dry is not None else self._storage

    def _note_lifecycle(self, obj: KindModel | None = None) -> None:
        if getattr(self._local, "storage", None) is not None:
            return  # a dry run changes nothing
        if obj is None or obj.metadata.owner_references or obj.metadata.deletion_timestamp is not None:
            self.lifecycle_changes += 1

    # -- entry point ---------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response | APIWatch:
        """Answer one request; every failure is a Status, and only a broken store gives a 5xx."""
        try:
            return self._dispatch(self._authorize(request))
        except authz.Forbidden as error:
            return _status_response(error.status)
        except APIError as error:
            return _status_response(error.status)
        except StorageError as error:
            return _status_response(self._storage_status(error))
        except TransformError as error:  # etcd3 store.go: storage.NewInternalError("failed to decrypt ...")
            return _status_response(
                apiserver.failure(500, "InternalError", f"Internal error occurred: {error}")
            )
        except Exception as error:  # a bug: still a Status, and the server keeps serving
            return _status_response(
                apiserver.failure(500, "InternalError", f"an error on the server: {error!r}")
            )

    def bootstrap(self) -> None:
        """Create the system namespaces that do not exist yet (what the control plane does at start),
        and with an authorizer the default RBAC policy (authz.bootstrap_policy)."""
        for name in SYSTEM_NAMESPACES:
            namespace = core.Namespace().replace(metadata=core.Namespace().metadata.replace(name=name))
            body = json.dumps(to_dict(namespace)).encode()
            self.handle(Request("POST", "/api/v1/namespaces", body=body))
        if self.authorizer is not None:
            roles, bindings = authz.bootstrap_policy()
            for role in roles:
                body = json.dumps(to_dict(role)).encode()
                self.handle(Request("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", body=body))
            for binding in bindings:
                body = json.dumps(to_dict(binding)).encode()
                self.handle(
                    Request("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", body=body)
                )

    def _authorize(self, request: Request) -> Request:
        """Impersonation, then the authorizer chain; the user stays on the thread for escalation checks."""
        self._local.user = None
        authorizer = self.authorizer
        if authorizer is None:
            return request
        user = authorizer.effective_user(request.user, request.headers)
        if user is None:
            return request  # a trusted in-process caller
        attributes = rbac.request_attributes(request.method, request.path, request.query, user)
        decision = authorizer.decide(attributes)
        if not decision.allowed:
            raise authz.Forbidden(authz.forbidden_status(attributes, decision.reason))
        self._local.user = user
        return replace(request, user=user)

    def _storage_status(self, error: StorageError) -> dict[str, Any]:
        if error.compacted:
            return apiserver.expired("The resourceVersion for the provided list is too old.")
        return apiserver.failure(500, "InternalError", f"etcd: {error.error.message}")

    def _dispatch(self, request: Request) -> Response | APIWatch:
        body_limit = apiserver.MAX_REQUEST_BODY_BYTES
        if len(request.body) > body_limit:
            raise APIError(apiserver.request_entity_too_large(body_limit))
        if request.path == authn_api.SELF_SUBJECT_REVIEWS:
            return self._self_subject_review(request)
        target = route(request.path)
        if target is None:
            custom = self.custom_resources.route(request.path)  # a CRD's resources (customresources.py)
            if custom is None:
                raise APIError(apiserver.path_not_found())
            return self.custom_resources.handle(request, custom)
        if isinstance(target, OtherPath):
            return self._other(request, target)
        if isinstance(target, DiscoveryPath):
            return self._discovery(request, target)
        if target.info is CRD_INFO:  # the naming/establishing controllers and the CRD finalizer
            return self.custom_resources.definition_request(request, target, self._resource)
        return self._resource(request, target)

    def _self_subject_review(self, request: Request) -> Response:
        """POST selfsubjectreviews: caller's user (after impersonation), 201 (selfsubjectreview/rest.go)."""
        if request.method != "POST":
            raise APIError(
                apiserver.method_not_supported("authentication.k8s.io", "selfsubjectreviews", request.method)
            )
        if request.user is None:  # a trusted in-process caller has no user (rest.go: "no user present")
            raise APIError(apiserver.failure(400, "BadRequest", "no user present on request"))
        return _json_response(201, authn_api.self_subject_review(request.user, self.clock()))

    def _other(self, request: Request, target: OtherPath) -> Response:
        if request.method not in ("GET", "HEAD"):
            raise APIError(
                apiserver.failure(405, "MethodNotAllowed", f"{request.method} is not allowed here")
            )
        if target.name == "version":
            return _json_response(200, discovery.version_info(self.git_version))
        return Response(200, b"ok", "text/plain; charset=utf-8")

    def _discovery(self, request: Request, target: DiscoveryPath) -> Response:
        if request.method not in ("GET", "HEAD"):
            raise APIError(
                apiserver.failure(405, "MethodNotAllowed", f"{request.method} is not allowed here")
            )
        if target.version is not None:
            return _json_response(200, discovery.api_resource_list(target.group or "", target.version))
        if target.legacy:
            return _json_response(200, discovery.api_versions())
        if target.group is not None:
            return _json_response(200, discovery.api_group(target.group))
        groups = discovery.api_group_list()
        groups["groups"] += self.custom_resources.api_groups()
        return _json_response(200, groups)

    def _resource(self, request: Request, target: ResourcePath) -> Response | APIWatch:
        method = request.method
        dry_run = tuple(request.query.get("dryRun") or ())
        if dry_run and method in ("POST", "PUT", "PATCH", "DELETE"):
            errors = apiserver.validate_dry_run(dry_run)
            if errors:
                kind = {"POST": "CreateOptions", "PUT": "UpdateOptions", "PATCH": "PatchOptions"}
                raise APIError(invalid_status("meta.k8s.io", kind.get(method, "DeleteOptions"), "", errors))
            self._local.storage = DryRunStorage(self._storage)
            try:
                response = self._resource_request(request, target)
            finally:
                self._local.storage = None
            if method == "POST" and isinstance(response, Response) and response.status == 201:
                body = response.json()  # a dry-run create has no resourceVersion: nothing was written
                if isinstance(body.get("metadata"), dict):
                    body["metadata"].pop("resourceVersion", None)
                    return _json_response(201, body)
            return response
        return self._resource_request(request, target)

    def _resource_request(self, request: Request, target: ResourcePath) -> Response | APIWatch:
        info, method = target.info, request.method
        if certificates.handles(target):  # CSRs and serviceaccounts/token (impl/apiserver/certificates.py)
            answer = certificates.handle(self, request, target)
            if answer is not None:
                return answer
        if target.subresource == "binding" and info.model is core.Pod:
            if method != "POST":
                raise APIError(apiserver.method_not_supported(info.group, "pods/binding", method))
            return self._bind(request, target)
        if info.model is core.Binding:
            # The bindings collection (upstream's legacy BindingREST): create only, for the pod named.
            if method != "POST" or target.name is not None or target.subresource is not None:
                raise APIError(apiserver.method_not_supported(info.group, info.resource, method))
            name = self._decode_body(request, info).metadata.name
            pods = ResourcePath(kind_info("v1", "Pod"), target.namespace, name, "binding")
            return self._bind(request, pods)
        if target.subresource == "scale" and info.model in scale.SCALABLE:
            return self._scale(request, target)
        if target.subresource == "finalize" and info.model is core.Namespace:
            if method != "PUT":
                raise APIError(apiserver.method_not_supported("", "namespaces/finalize", method))
            return self._update(request, target, status_only=False, finalize=True)
        if target.subresource is not None:
            if target.subresource != "status" or info.model not in apiserver.HAS_STATUS:
                raise APIError(apiserver.path_not_found())
            if method == "GET":
                return self._get(target)
            if method == "PUT":
                return self._update(request, target, status_only=True)
            if method == "PATCH":
                return self._patch(request, target, status_only=True)
            raise APIError(apiserver.method_not_supported(info.group, f"{info.resource}/status", method))
        if target.name is None:
            if method == "GET":
                return (
                    self._watch(request, target)
                    if _truthy(request.param("watch"))
                    else self._list(request, target)
                )
            if method == "POST":
                return self._create(request, target)
            if (
                method == "DELETE"
                and info.model is not core.Namespace
                and (target.namespace is not None or not info.namespaced)
            ):  # deletecollection: per namespace, or of a cluster-scoped resource but namespaces
                return self._delete_collection(request, target)
        else:
            if method == "GET":
                return self._get(target)
            if method == "PUT":
                return self._update(request, target, status_only=False)
            if method == "PATCH":
                return self._patch(request, target, status_only=False)
            if method == "DELETE":
                return self._delete(request, target)
        raise APIError(apiserver.method_not_supported(info.group, info.resource, method))

    # -- objects in and out --------------------------------------------------------------------------

    def _key(self, target: ResourcePath, name: str) -> str:
        return apiserver.object_key(target.info, target.namespace or "", name)

    def _decode_stored(self, value: bytes, revision: int) -> dict[str, Any] | None:
        """The stored JSON with its resourceVersion; None if the value is not a JSON object."""
        try:
            obj = json.loads(value)
        except ValueError:
            return None
        if not isinstance(obj, dict):
            return None
        metadata = obj.setdefault("metadata", {})
        if not isinstance(metadata, dict):
            return None
        metadata["resourceVersion"] = str(revision)
        return obj

    def _read(self, target: ResourcePath, name: str) -> tuple[KindModel, Stored]:
        stored = self.storage.get(self._key(target, name))
        if stored is None:
            raise APIError(apiserver.not_found(target.info.group, target.info.resource, name))
        try:
            obj = from_dict(json.loads(stored.value))
        except (ObjectError, ValueError):
            raise APIError(
                apiserver.failure(
                    500, "InternalError", f"the stored object at {stored.key} cannot be decoded"
                )
            ) from None
        return obj, stored

    def _decode_body(self, request: Request, info: KindInfo) -> KindModel:
        """The request body as an object of ``info``'s kind (handlers' decode step), or a 4xx."""
        content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if content_type not in ("application/json", "", "*/*"):
            raise APIError(apiserver.unsupported_media_type(content_type))
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as error:
            raise APIError(
                apiserver.bad_request(f"couldn't get version/kind; json parse error: {error}")
            ) from None
        if not isinstance(data, dict):
            raise APIError(
                apiserver.bad_request(f"the object provided is unrecognized (must be of type {info.kind})")
            )
        # A missing apiVersion or kind is the URL's (the decoder's default GVK).
        data.setdefault("apiVersion", info.api_version)
        data.setdefault("kind", info.kind)
        api_version, kind = data["apiVersion"], data["kind"]
        if (api_version, kind) != (info.api_version, info.kind):
            version = api_version.rpartition("/")[2] if isinstance(api_version, str) else api_version
            raise APIError(
                apiserver.bad_request(
                    f'{kind} in version "{version}" cannot be handled as a {info.kind}: '
                    "no kind is registered for it at this URL"
                )
            )
        strict = (request.param("fieldValidation") or "").lower() == "strict"
        try:
            return from_dict(data, strict=strict)
        except ObjectError as error:
            what = (
                "strict decoding error"
                if strict and any("unknown field" in str(p) for p in error.problems)
                else (f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}')
            )
            raise APIError(apiserver.bad_request(f"{what}: {error}")) from None

    def _check_scope(self, obj: KindModel, target: ResourcePath) -> KindModel:
        """The namespace of the body against the URL's (handlers' checks; cluster-scoped: cleared)."""
        if not target.info.namespaced:
            return obj.replace(metadata=obj.metadata.replace(namespace=""))
        namespace = target.namespace or ""
        if obj.metadata.namespace and obj.metadata.namespace != namespace:
            raise APIError(
                apiserver.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            )
        return obj.replace(metadata=obj.metadata.replace(namespace=namespace))

    def _validate(self, obj: KindModel) -> None:
        errors = validate(obj)
        if errors:
            raise APIError(_invalid(obj, errors))
        user = getattr(self._local, "user", None)
        if self.authorizer is not None and user is not None:
            self.authorizer.check_write(user, obj)  # RBAC escalation prevention (policybased storages)

    def _encode(self, obj: KindModel) -> bytes:
        """The stored form: the object without its resourceVersion (etcd3 ``PrepareObjectForStorage``)."""
        bare = obj.replace(metadata=obj.metadata.replace(resource_version=""))
        return json.dumps(to_dict(bare), separators=(",", ":")).encode()

    def _output(self, obj: KindModel, revision: int) -> dict[str, Any]:
        out = to_dict(obj)
        out.setdefault("metadata", {})["resourceVersion"] = str(revision)
        return out

    # -- get, create, update, delete -----------------------------------------------------------------

    def _get(self, target: ResourcePath) -> Response:
        assert target.name is not None
        stored = self.storage.get(self._key(target, target.name))
        if stored is None:
            raise APIError(apiserver.not_found(target.info.group, target.info.resource, target.name))
        obj = self._decode_stored(stored.value, stored.mod_revision)
        if obj is None:
            raise APIError(
                apiserver.failure(500, "InternalError", f"the stored object at {stored.key} is not JSON")
            )
        return _json_response(200, obj)

    def _create(self, request: Request, target: ResourcePath) -> Response:
        info = target.info
        obj = self._check_scope(self._decode_body(request, info), target)
        if info.namespaced and obj.metadata.namespace:  # an empty namespace is a validation error, below
            self._admit_namespace(target, obj)
        obj = self._prepare_for_create(admission.admit_create(defaults.default(obj)))
        generated = not obj.metadata.name and bool(obj.metadata.generate_name)
        for _ in range(_GENERATE_NAME_ATTEMPTS if generated else 1):
            if generated:
                obj = obj.replace(
                    metadata=obj.metadata.replace(name=self._generate_name(obj.metadata.generate_name))
                )
            self._validate(obj)
            revision = self.storage.create(self._key(target, obj.metadata.name), self._encode(obj))
            if revision is not None:
                self._note_lifecycle(obj)
                return _json_response(201, self._output(obj, revision))
        raise APIError(apiserver.already_exists(info.group, info.resource, obj.metadata.name))

    def _admit_namespace(self, target: ResourcePath, obj: KindModel) -> None:
        """NamespaceLifecycle on create: the namespace must exist (404) and not be terminating (403)."""
        namespace = obj.metadata.namespace
        stored = self.storage.get(apiserver.object_key(_NAMESPACES, "", namespace))
        if stored is None:
            raise APIError(apiserver.not_found("", "namespaces", namespace))
        try:
            holder = from_dict(json.loads(stored.value))
        except (ObjectError, ValueError):
            return  # an undecodable namespace is reported where it is read
        if isinstance(holder, core.Namespace) and apiserver.namespace_terminating(holder):
            info = target.info
            raise APIError(
                apiserver.forbidden_status(
                    info.group, info.resource, obj.metadata.name, apiserver.terminating_message(namespace)
                )
            )

    def _generate_name(self, prefix: str) -> str:
        suffix = "".join(self.entropy.choice(_NAME_ALPHABET) for _ in range(_RANDOM_LENGTH))
        return prefix[:_MAX_GENERATE_NAME_PREFIX] + suffix

    def _prepare_for_create(self, obj: KindModel) -> KindModel:
        """``BeforeCreate`` and the strategy's ``PrepareForCreate``: system fields, generation, status."""
        uid = uuid.UUID(int=self.entropy.randint(0, (1 << 128) - 1), version=4)
        metadata = obj.metadata.replace(
            uid=str(uid),
            creation_timestamp=Time.of(self.clock()),
            resource_version="",
            generation=1 if type(obj) in apiserver.TRACKS_GENERATION else 0,
            deletion_timestamp=None,
            deletion_grace_period_seconds=None,
        )
        obj = obj.replace(metadata=metadata)
        status = apiserver.initial_status(obj)
        if status is not None:
            obj = obj.replace(status=type(obj.status).model_validate(status))  # type: ignore[attr-defined]
        if isinstance(obj, core.Namespace) and apiserver.NAMESPACE_FINALIZER not in obj.spec.finalizers:
            # namespace/strategy.go PrepareForCreate: the namespace controller's finalizer, always.
            finalizers = (*obj.spec.finalizers, apiserver.NAMESPACE_FINALIZER)
            obj = obj.replace(spec=obj.spec.replace(finalizers=finalizers))
        return obj

    def _update(
        self, request: Request, target: ResourcePath, *, status_only: bool, finalize: bool = False
    ) -> Response:
        name = target.name
        assert name is not None
        new = self._check_scope(self._decode_body(request, target.info), target)
        self._check_name(new, name)
        if new.metadata.resource_version:
            _parse_revision(new.metadata.resource_version)  # a malformed precondition is 400 before any read
        return self._guaranteed_update(
            target,
            name,
            lambda old, stored: new,
            status_only=status_only,
            admit=not status_only and not finalize,
            finalize=finalize,
        )

    def _check_name(self, obj: KindModel, name: str) -> None:
        if obj.metadata.name != name:
            raise APIError(
                apiserver.bad_request(
                    f"the name of the object ({obj.metadata.name}) does not match the name on the URL "
                    f"({name})"
                )
            )

    def _guaranteed_update(
        self,
        target: ResourcePath,
        name: str,
        next_object: Callable[[KindModel, Stored], KindModel],
        *,
        status_only: bool,
        keep_status: bool = True,
        admit: bool = False,
        finalize: bool = False,
    ) -> Response:
        """Read, compute the new object from the stored one, Txn on the mod_revision read (GuaranteedUpdate).

        ``keep_status=False`` lets the new object's status through on the main resource (the binding
        subresource sets a condition as it assigns the node). ``admit`` runs the mutating admission of
        an update (spec/admission.py), which upstream runs on the object itself, not its subresources.

        The new object's resourceVersion, if it has one, must be the one read
        (a patched object carries the one read unless the patch sets another);
        a concurrent write makes it read and compute again, as etcd3's
        GuaranteedUpdate does, so a stale precondition fails on the next read.
        """
        info = target.info
        for _ in range(_UPDATE_ATTEMPTS):
            old, stored = self._read(target, name)
            new = next_object(old, stored)
            precondition = new.metadata.resource_version
            expected = _parse_revision(precondition) if precondition else None
            if expected is not None and expected != stored.mod_revision:
                raise APIError(apiserver.conflict(info.group, info.resource, name))
            mutated = admission.admit_update(defaults.default(new)) if admit else defaults.default(new)
            updated = self._prepare_for_update(mutated, old, status_only=status_only)
            if finalize and isinstance(updated, core.Namespace) and isinstance(new, core.Namespace):
                # namespaces/<name>/finalize: what changes is spec.finalizers (namespaceFinalizeStrategy).
                updated = updated.replace(spec=updated.spec.replace(finalizers=new.spec.finalizers))
            if not keep_status:
                updated = updated.replace(status=new.status)  # type: ignore[attr-defined]
            self._validate(updated)
            if apiserver.being_deleted(old) and apiserver.added_finalizers(old, updated):
                errors = [
                    forbidden(
                        FieldPath("metadata.finalizers"),
                        "no new finalizers can be added if the object is being deleted, found new finalizers "
                        + repr(apiserver.added_finalizers(old, updated)),
                    )
                ]
                raise APIError(_invalid(updated, errors))
            if apiserver.should_delete_during_update(updated):
                # The last finalizer went: the object goes (Store.Update's deleteWithoutFinalizers).
                revision = self.storage.delete(stored.key, stored.mod_revision)
                if revision is not None:
                    self._note_lifecycle()
                    return _json_response(200, self._output(updated, stored.mod_revision))
                continue
            value = self._encode(updated)
            if value == stored.value and not stored.stale:  # a stale value is rewritten (rotation)
                return _json_response(200, self._output(updated, stored.mod_revision))  # nothing to write
            revision = self.storage.update(stored.key, value, stored.mod_revision)
            if revision is not None:
                self._note_lifecycle(updated)
                return _json_response(200, self._output(updated, revision))
            # Someone wrote between the read and the Txn: read again. A precondition then fails above;
            # a patch is applied again to what was written.
        raise APIError(apiserver.conflict(info.group, info.resource, name, "too many concurrent updates"))

    def _patch(self, request: Request, target: ResourcePath, *, status_only: bool) -> Response:
        """PATCH (patch.go): the patch applied to the stored object at every attempt, then an update."""
        name = target.name
        assert name is not None
        content_type, body = _decode_patch(request)
        info = target.info
        root = patch.strategic_root(info.api_version, info.kind)
        strict = (request.param("fieldValidation") or "").lower() == "strict"

        def patched(old: KindModel, stored: Stored) -> KindModel:
            current = self._output(old, stored.mod_revision)
            result = _apply_patch(content_type, body, current, root)
            obj = self._check_scope(self._decode_patched(result, info, strict), target)
            self._check_name(obj, name)
            return obj

        return self._guaranteed_update(target, name, patched, status_only=status_only, admit=not status_only)

    def _scale(self, request: Request, target: ResourcePath) -> Response:
        """``<resource>/<name>/scale`` (ScaleREST): an autoscaling/v1 Scale in and out (scale.py)."""
        info, name, method = target.info, target.name, request.method
        assert name is not None
        if method == "GET":
            owner, stored = self._read(target, name)
            return _json_response(200, scale.scale_of(owner, str(stored.mod_revision)))
        if method == "PUT":
            try:
                body = json.loads(request.body)
            except (ValueError, UnicodeDecodeError) as error:
                raise APIError(apiserver.bad_request(f"couldn't decode the Scale: {error}")) from None
            given = (body.get("metadata") or {}).get("name") if isinstance(body, dict) else None
            if not isinstance(body, dict) or (given and given != name):
                raise APIError(apiserver.bad_request(f"the body must be a Scale named {name}"))
            content_type = ""
        elif method == "PATCH":
            content_type, body = _decode_patch(request)
        else:
            raise APIError(apiserver.method_not_supported(info.group, f"{info.resource}/scale", method))

        def new_scale(owner: KindModel, stored: Stored) -> dict[str, Any]:
            if not content_type:
                return cast(dict[str, Any], body)
            result = _apply_patch(content_type, body, scale.scale_of(owner, str(stored.mod_revision)), None)
            if not isinstance(result, dict):
                raise APIError(apiserver.bad_request("the patched Scale is not a JSON object"))
            return result

        def scaled(owner: KindModel, stored: Stored) -> KindModel:
            wanted = new_scale(owner, stored)
            errors = scale.scale_errors(wanted)
            if errors:
                raise APIError(invalid_status("autoscaling", "Scale", name, errors))
            return scale.with_replicas(owner, wanted)

        response = self._guaranteed_update(target, name, scaled, status_only=False)
        updated = response.json()
        owner = from_dict(updated)
        return _json_response(200, scale.scale_of(owner, updated["metadata"]["resourceVersion"]))

    def _decode_patched(self, data: Any, info: KindInfo, strict: bool) -> KindModel:
        """The patched JSON as an object of the kind, or 422 on the field ``patch`` (NewInvalid)."""
        problem = None
        if not isinstance(data, dict):
            problem = f"the patched object is a JSON {type(data).__name__}, not an object"
        elif (data.get("apiVersion"), data.get("kind")) != (info.api_version, info.kind):
            problem = f"the patch changes apiVersion or kind (to {data.get('apiVersion')} {data.get('kind')})"
        else:
            try:
                return from_dict(data, strict=strict)
            except ObjectError as error:
                problem = str(error)
        raise APIError(invalid_status("", "", "", [invalid(FieldPath("patch"), _PATCHED_VALUE, problem)]))

    def _prepare_for_update(self, new: KindModel, old: KindModel, *, status_only: bool) -> KindModel:
        """``BeforeUpdate`` with the strategy's (or status strategy's) ``PrepareForUpdate``."""
        if new.metadata.uid and new.metadata.uid != old.metadata.uid:
            errors = [invalid(FieldPath("metadata.uid"), new.metadata.uid, "field is immutable")]
            raise APIError(_invalid(new, errors))
        if status_only:
            # The status strategy: everything but status comes from the stored object.
            return old.replace(status=new.status)  # type: ignore[attr-defined]
        kind = type(new)
        metadata = new.metadata.replace(
            uid=old.metadata.uid,
            creation_timestamp=old.metadata.creation_timestamp,
            deletion_timestamp=old.metadata.deletion_timestamp,
            deletion_grace_period_seconds=old.metadata.deletion_grace_period_seconds,
            resource_version="",
            generation=apiserver.next_generation(
                kind, old.metadata.generation, getattr(old, "spec", None), getattr(new, "spec", None)
            ),
        )
        updated = new.replace(metadata=metadata)
        if kind in apiserver.HAS_STATUS:
            updated = updated.replace(status=old.status)  # type: ignore[attr-defined]
        if isinstance(updated, core.Namespace) and isinstance(old, core.Namespace):
            # namespace/strategy.go PrepareForUpdate: spec.finalizers change only through /finalize.
            updated = updated.replace(spec=updated.spec.replace(finalizers=old.spec.finalizers))
        return updated

    def _bind(self, request: Request, target: ResourcePath) -> Response:
        """pods/<name>/binding (BindingREST.Create, assignPod): what a scheduler posts."""
        name = target.name
        assert name is not None
        binding = self._decode_body(request, kind_info("v1", "Binding"))
        assert isinstance(binding, core.Binding)
        if binding.metadata.name != name:
            raise APIError(apiserver.bad_request("name in URL does not match name in Binding object"))
        errors = []
        if binding.target.kind not in ("", "Node"):
            errors.append(not_supported(FieldPath("target.kind"), binding.target.kind, ["Node", "<empty>"]))
        if not binding.target.name:
            errors.append(required(FieldPath("target.name")))
        if errors:
            raise APIError(_invalid(binding, errors))
        node = binding.target.name

        def assigned(pod: KindModel, stored: Stored) -> KindModel:
            assert isinstance(pod, core.Pod)
            if pod.metadata.deletion_timestamp is not None:
                why = f"pod {name} is being deleted, cannot be assigned to a host"
                raise APIError(apiserver.conflict("", "pods/binding", name, why))
            if pod.spec.node_name:
                why = f'pod {name} is already assigned to node "{pod.spec.node_name}"'
                raise APIError(apiserver.conflict("", "pods/binding", name, why))
            conditions = [c for c in pod.status.conditions if c.type != "PodScheduled"]
            scheduled = core.PodCondition(type="PodScheduled", status="True")
            return pod.replace(
                metadata=pod.metadata.replace(resource_version=str(stored.mod_revision)),
                spec=pod.spec.replace(node_name=node),
                status=pod.status.replace(conditions=(*conditions, scheduled)),
            )

        # The status changes too: the whole pod is written, as assignPod's GuaranteedUpdate does.
        response = self._guaranteed_update(target, name, assigned, status_only=False, keep_status=False)
        if response.status != 200:
            return response
        return _json_response(201, apiserver.created_status())

    def _delete(self, request: Request, target: ResourcePath) -> Response:
        """DELETE of one object: Store.Delete (BeforeDelete, GC finalizers, graceful deletion), as planned
        by ``spec.apiserver.plan_delete``; namespaces go through their registry's Delete first."""
        info, name = target.info, target.name
        assert name is not None
        options = self._delete_options(request)
        if info.model is core.Namespace and name in apiserver.IMMORTAL_NAMESPACES:
            # NamespaceLifecycle admission: the immortal namespaces.
            why = "this namespace may not be deleted"
            raise APIError(apiserver.forbidden_status("", "namespaces", name, why))
        for _ in range(_UPDATE_ATTEMPTS):
            old, stored = self._read(target, name)
            self._check_delete_preconditions(target, old, stored, options)
            if isinstance(old, core.Namespace):
                marked = self._mark_namespace(old, options)
                if marked is not None:
                    revision = self.storage.update(stored.key, self._encode(marked), stored.mod_revision)
                    if revision is None:
                        continue
                    self._note_lifecycle(marked)
                    return _json_response(200, self._output(marked, revision))
                if old.spec.finalizers:  # the namespace controller has not finished: nothing to do yet
                    return _json_response(200, self._output(old, stored.mod_revision))
            plan = apiserver.plan_delete(old, options, self.clock(), apiserver.default_orphans(info))
            if plan.action == "pending":
                return self._deleted_answer(target, old, stored.mod_revision)
            if plan.action == "update":
                value = self._encode(plan.obj)
                if (
                    value == stored.value and not stored.stale
                ):  # marked already: GuaranteedUpdate writes nothing
                    return _json_response(200, self._output(old, stored.mod_revision))
                revision = self.storage.update(stored.key, value, stored.mod_revision)
                if revision is None:
                    continue
                self._note_lifecycle(plan.obj)
                # handlers/delete.go: 202 when the client asked to cascade (orphanDependents: false) and
                # the object is not gone yet.
                code = 202 if options.orphan_dependents is False else 200
                return _json_response(code, self._output(plan.obj, revision))
            if self.storage.delete(stored.key, stored.mod_revision) is not None:
                self._note_lifecycle()
                return self._deleted_answer(target, plan.obj, stored.mod_revision)
        raise APIError(apiserver.conflict(info.group, info.resource, name, "too many concurrent updates"))

    def _deleted_answer(self, target: ResourcePath, obj: KindModel, revision: int) -> Response:
        """finalizeDelete: the pod registry returns the object, the others a Success Status."""
        info = target.info
        if info.model is core.Pod:
            return _json_response(200, self._output(obj, revision))
        return _json_response(
            200, apiserver.success(info.group, info.resource, obj.metadata.name, obj.metadata.uid)
        )

    def _mark_namespace(
        self, namespace: core.Namespace, options: apiserver.DeleteOptions
    ) -> KindModel | None:
        """The namespace registry's first delete: deletionTimestamp, phase Terminating, the GC finalizers.

        None when the namespace is already being deleted (the generic delete path then applies once
        spec.finalizers is empty).
        """
        if namespace.metadata.deletion_timestamp is not None:
            return None
        finalizers = apiserver.gc_finalizers(tuple(namespace.metadata.finalizers), options)
        return namespace.replace(
            metadata=namespace.metadata.replace(
                deletion_timestamp=Time.of(self.clock()), finalizers=finalizers
            ),
            status=namespace.status.replace(phase="Terminating"),
        )

    def _check_delete_preconditions(
        self, target: ResourcePath, old: KindModel, stored: Stored, options: apiserver.DeleteOptions
    ) -> None:
        info, name = target.info, old.metadata.name
        uid = options.preconditions.get("uid")
        if uid is not None and uid != old.metadata.uid:
            why = f"Precondition failed: UID in precondition: {uid}, UID in object meta: {old.metadata.uid}"
            raise APIError(apiserver.conflict(info.group, info.resource, name, why))
        rv = options.preconditions.get("resourceVersion")
        if rv is not None and rv != str(stored.mod_revision):
            why = (
                f"Precondition failed: ResourceVersion in precondition: {rv}, "
                f"ResourceVersion in object meta: {stored.mod_revision}"
            )
            raise APIError(apiserver.conflict(info.group, info.resource, name, why))

    def _delete_options(self, request: Request) -> apiserver.DeleteOptions:
        """DeleteOptions from the query, then the body (the body wins, as the handler decodes it last)."""
        fields: dict[str, Any] = {}
        for key in ("propagationPolicy", "gracePeriodSeconds", "orphanDependents"):
            value = request.param(key)
            if value is not None:
                fields[key] = value
        if request.query.get("dryRun"):
            fields["dryRun"] = list(request.query["dryRun"])
        if request.body.strip():
            try:
                body = json.loads(request.body)
            except (ValueError, UnicodeDecodeError) as error:
                raise APIError(
                    apiserver.bad_request(f"couldn't get version/kind; json parse error: {error}")
                ) from None
            if not isinstance(body, dict):
                raise APIError(apiserver.bad_request("the body of a delete must be a DeleteOptions object"))
            fields.update({key: value for key, value in body.items() if value is not None})
        preconditions = fields.get("preconditions") or {}
        if not isinstance(preconditions, dict):
            raise APIError(apiserver.bad_request("DeleteOptions.preconditions must be an object"))
        policy = fields.get("propagationPolicy")
        grace = fields.get("gracePeriodSeconds")
        orphan = fields.get("orphanDependents")
        dry_run = fields.get("dryRun") or []
        try:
            if grace is not None and not isinstance(grace, bool):
                grace = int(grace)
            if isinstance(orphan, str):
                orphan = {"true": True, "false": False}[orphan.lower()]
        except (ValueError, KeyError):
            raise APIError(
                apiserver.bad_request("DeleteOptions: gracePeriodSeconds or orphanDependents malformed")
            ) from None
        if (
            not (policy is None or isinstance(policy, str))
            or not (grace is None or (isinstance(grace, int) and not isinstance(grace, bool)))
            or not (orphan is None or isinstance(orphan, bool))
            or not isinstance(dry_run, list)
            or not all(isinstance(value, str) for value in dry_run)
        ):
            raise APIError(apiserver.bad_request("DeleteOptions: a field has the wrong type"))
        options = apiserver.DeleteOptions(
            propagation_policy=policy,
            orphan_dependents=orphan,
            grace_period_seconds=grace,
            preconditions={
                key: str(value)
                for key, value in preconditions.items()
                if key in ("uid", "resourceVersion") and value
            },
            dry_run=tuple(dry_run),
        )
        errors = apiserver.validate_delete_options(options)
        if errors:
            raise APIError(invalid_status("meta.k8s.io", "DeleteOptions", "", errors))
        return options

    def _delete_collection(self, request: Request, target: ResourcePath) -> Response:
        """DELETE on a collection (Store.DeleteCollection): list with the selectors, delete each item."""
        info = target.info
        options = self._list_options(request, target)
        self._delete_options(request)  # invalid DeleteOptions fail before anything is deleted
        selects = self._selector(target, options)
        prefix = apiserver.list_prefix(info, target.namespace)
        items, _, revision, _ = self._collect(prefix, prefix, 0, _all(options), selects)
        for item in items:
            name = (item.get("metadata") or {}).get("name")
            if not isinstance(name, str):
                continue
            one = ResourcePath(info, target.namespace, name)
            try:
                self._delete(request, one)
            except APIError as error:
                if error.status.get("code") != 404:  # gone meanwhile: as upstream, not an error
                    raise
            item.pop("apiVersion", None)
            item.pop("kind", None)
        return _json_response(
            200,
            {
                "kind": f"{info.kind}List",
                "apiVersion": info.api_version,
                "metadata": {"resourceVersion": str(revision)},
                "items": items,
            },
        )

    # -- list and watch ------------------------------------------------------------------------------

    def _list_options(self, request: Request, target: ResourcePath) -> _ListOptions:
        try:
            labels = selectors.parse_selector(request.param("labelSelector") or "")
            fields = selectors.parse_field_selector(request.param("fieldSelector") or "")
        except selectors.SelectorError as error:
            raise APIError(apiserver.bad_request(str(error))) from None
        supported = apiserver.supported_field_labels(target.info.model, target.info.namespaced)
        for requirement in fields.requirements:
            if requirement.field not in supported:
                raise APIError(apiserver.bad_request(f"field label not supported: {requirement.field}"))
        limit_text = request.param("limit") or "0"
        if not limit_text.lstrip("-").isdigit() or not limit_text.isascii():
            raise APIError(apiserver.bad_request(f'invalid limit: "{limit_text}"'))
        limit = max(int(limit_text), 0)  # a negative limit means none, as in upstream
        resource_version = request.param("resourceVersion")
        match = request.param("resourceVersionMatch") or ""
        continue_token = request.param("continue") or ""
        errors: list[FieldError] = []
        where = FieldPath("resourceVersionMatch")
        if match:
            if not resource_version:
                errors.append(
                    forbidden(where, "resourceVersionMatch is forbidden unless resourceVersion is provided")
                )
            if continue_token:
                errors.append(forbidden(where, "resourceVersionMatch is forbidden when continue is provided"))
            if match not in ("NotOlderThan", "Exact"):
                errors.append(not_supported(where, match, ["Exact", "NotOlderThan"]))
            if match == "Exact" and resource_version == "0":
                errors.append(
                    forbidden(where, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"')
                )
        if errors:
            raise APIError(invalid_status("meta.k8s.io", "ListOptions", "", errors))
        return _ListOptions(labels, fields, limit, continue_token, resource_version, match)

    def _selector(self, target: ResourcePath, options: _ListOptions) -> Selects:
        """Whether a stored object is selected by the options' selectors (None: it is unreadable)."""
        info = target.info

        def selects(key: str, value: bytes, mod_revision: int) -> bool | None:
            attributes = self._attributes(info, key, value, mod_revision)
            if attributes is None:
                return None
            labels, fields = attributes
            if not options.labels.matches(labels):
                return False
            if options.fields.empty():
                return True
            return fields is not None and options.fields.matches(fields)

        return selects

    def _attributes(self, info: KindInfo, key: str, value: bytes, mod_revision: int) -> _Attributes | None:
        """A stored object's labels and selectable fields, worked out once per object version.

        Every watch of a resource sees every event of it, most of them only to
        filter it out (each kubelet watches all pods with ``spec.nodeName=<node>``).
        Upstream's watch cache computes the attributes once per event for all
        its watchers (``GetAttrs``); so does this, and a watcher decodes only
        what it sends. None: the value is not an object of the kind.
        """
        memo_key = (key, mod_revision)
        if memo_key in self._attributes_memo:
            return self._attributes_memo[memo_key]
        obj = self._decode_stored(value, mod_revision)
        attributes: _Attributes | None = None
        if obj is not None:
            labels = (obj.get("metadata") or {}).get("labels") or {}
            try:
                fields: dict[str, str] | None = apiserver.selectable_fields(from_dict(obj), info.namespaced)
            except ObjectError:
                fields = None
            attributes = (labels if isinstance(labels, dict) else {}, fields)
        if len(self._attributes_memo) >= _ATTRIBUTES_MEMO_SIZE:
            self._attributes_memo.pop(next(iter(self._attributes_memo)))  # the oldest: dicts keep order
        self._attributes_memo[memo_key] = attributes
        return attributes

    def _node_name_of(self, kv: KeyValue) -> str:
        """The spec.nodeName of the pod stored in ``kv`` ("" if none or unreadable)."""
        attributes = self._attributes(_PODS, kv.key.decode(), kv.value, kv.mod_revision)
        fields = attributes[1] if attributes is not None else None
        return (fields or {}).get("spec.nodeName", "")

    def _list(self, request: Request, target: ResourcePath) -> Response:
        info = target.info
        options = self._list_options(request, target)
        prefix = apiserver.list_prefix(info, target.namespace)
        revision, minimum, start = 0, 0, prefix
        if options.continue_token:
            if options.resource_version:
                raise APIError(
                    apiserver.bad_request("specifying resource version is not allowed when using continue")
                )
            try:
                start, revision = apiserver.decode_continue(options.continue_token, prefix)
            except apiserver.ContinueError as error:
                raise APIError(apiserver.bad_request(str(error))) from None
        elif options.resource_version:
            requested = _parse_revision(options.resource_version)
            exact = options.match == "Exact" or (not options.match and options.limit > 0 and requested > 0)
            revision, minimum = (requested, 0) if exact else (0, requested)
        selects = self._selector(target, options)
        try:
            items, next_key, revision, remaining = self._collect(prefix, start, revision, options, selects)
        except StorageError as error:
            if error.compacted and options.continue_token:
                raise APIError(apiserver.expired(_CONTINUE_EXPIRED)) from None
            if error.future_revision:
                raise APIError(
                    apiserver.too_large_resource_version(revision, self.storage.revision())
                ) from None
            raise
        if minimum > revision:
            raise APIError(apiserver.too_large_resource_version(minimum, revision))
        metadata: dict[str, Any] = {"resourceVersion": str(revision)}
        if next_key is not None:
            metadata["continue"] = apiserver.encode_continue(next_key, prefix, revision)
            if remaining is not None:
                metadata["remainingItemCount"] = remaining
        for item in items:  # items of a typed list carry no apiVersion and kind
            item.pop("apiVersion", None)
            item.pop("kind", None)
        return _json_response(
            200,
            {
                "kind": f"{info.kind}List",
                "apiVersion": info.api_version,
                "metadata": metadata,
                "items": items,
            },
        )

    def _collect(
        self,
        prefix: str,
        start: str,
        revision: int,
        options: _ListOptions,
        selects: Selects,
    ) -> tuple[list[dict[str, Any]], str | None, int, int | None]:
        """(items, the key to continue from or None, the read revision, remainingItemCount or None)."""
        items: list[dict[str, Any]] = []
        limit = options.limit
        unfiltered = options.labels.empty() and options.fields.empty()
        batch = limit if unfiltered else max(limit, _MIN_LIST_BATCH) if limit else 0
        while True:
            page = self.storage.page(prefix, start, revision, batch)
            revision = page.revision
            for index, stored in enumerate(page.items):
                if selects(stored.key, stored.value, stored.mod_revision):
                    obj = self._decode_stored(stored.value, stored.mod_revision)
                    if obj is not None:
                        items.append(obj)
                if limit and len(items) == limit:
                    more = page.more or index + 1 < len(page.items)
                    if not more:
                        return items, None, revision, None
                    remaining = page.remaining + len(page.items) - index - 1 if unfiltered else None
                    return items, stored.key + "\0", revision, remaining
            if not page.more or not page.items:
                return items, None, revision, None
            start = page.items[-1].key + "\0"

    def _watch(self, request: Request, target: ResourcePath) -> APIWatch:
        info = target.info
        options = self._list_options(request, target)
        if request.param("sendInitialEvents"):
            raise APIError(apiserver.bad_request("sendInitialEvents is not supported by this server yet"))
        timeout_text = request.param("timeoutSeconds")
        timeout = None
        if timeout_text:
            if not timeout_text.isdigit() or not timeout_text.isascii():
                raise APIError(apiserver.bad_request(f'invalid timeoutSeconds: "{timeout_text}"'))
            timeout = int(timeout_text)
        prefix = apiserver.list_prefix(info, target.namespace)
        selects = self._selector(target, options)
        initial: list[dict[str, Any]] = []
        if options.resource_version in (None, "", "0"):
            # Start at the current state: synthetic ADDED events, then changes after it.
            initial, _, start_revision, _ = self._collect(prefix, prefix, 0, _all(options), selects)
        else:
            start_revision = _parse_revision(options.resource_version)
        watch_request = WatchCreateRequest(
            prefix.encode(),
            prefix_end(prefix.encode()),
            start_revision=start_revision + 1,
            prev_kv=True,
            progress_notify=_truthy(request.param("allowWatchBookmarks")),
        )
        node = _node_of_pod_watch(info, options)
        if self._pod_watch_index is not None and node is not None:
            pods = apiserver.list_prefix(info, None).encode()
            stream = self._pod_watch_index.watch(watch_request, node, pods, prefix_end(pods))
        else:
            stream = self._storage.watch(watch_request)
        return APIWatch(
            stream,
            info=info,
            decode=self._decode_stored,
            selects=selects,
            start_revision=start_revision,
            initial=initial,
            bookmarks=_truthy(request.param("allowWatchBookmarks")),
            timeout_seconds=timeout,
        )


_NAMESPACES: Final = info_of(core.Namespace)
_PODS: Final = info_of(core.Pod)


def _node_of_pod_watch(info: KindInfo, options: _ListOptions) -> str | None:
    """The node of a kubelet's pod watch (``fieldSelector=spec.nodeName=<node>``), else None."""
    if info is not _PODS or len(options.fields.requirements) != 1:
        return None
    (requirement,) = options.fields.requirements
    if requirement.field != "spec.nodeName" or requirement.operator is not selectors.Operator.EQUALS:
        return None
    return requirement.value or None


#: A stored object's labels and selectable fields (None if it does not decode as its kind).
_Attributes = tuple[Mapping[str, str], dict[str, str] | None]
#: Object versions whose attributes are remembered: the events every watcher of a resource is working
#: through at one time (the watchers of a simulated cluster are stepped together).
_ATTRIBUTES_MEMO_SIZE: Final = 20_000

#: NewResourceExpired's message for a continue token whose revision is compacted (etcd3 store).
_CONTINUE_EXPIRED: Final = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new "
    "list without the continue parameter."
)


def _all(options: _ListOptions) -> _ListOptions:
    """The same selectors without a limit: a watch's initial state is never paged."""
    return _ListOptions(options.labels, options.fields, 0, "", None, "")


def _decode_patch(request: Request) -> tuple[str, Any]:
    """A PATCH's content type and decoded body, checked as patch.go checks them before applying."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in patch.PATCH_TYPES:
        raise APIError(patch.unsupported_patch_type())
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as error:
        raise APIError(apiserver.bad_request(f"error decoding patch: {error}")) from None
    try:
        if content_type == patch.JSON_PATCH:
            patch.check_json_patch(body)
            if len(body) > _MAX_JSON_PATCH_OPERATIONS:
                why = (
                    f"The allowed maximum operations in a JSON patch is {_MAX_JSON_PATCH_OPERATIONS}, "
                    f"got {len(body)}"
                )
                raise APIError(
                    apiserver.failure(413, "RequestEntityTooLarge", f"Request entity too large: {why}")
                )
        elif content_type == patch.MERGE_PATCH and not isinstance(body, dict | list):
            raise patch.MalformedPatch("invalid JSON Patch")  # jsonpatch.ErrBadJSONPatch
        elif content_type == patch.STRATEGIC_MERGE_PATCH and not isinstance(body, dict):
            raise patch.MalformedPatch("a strategic merge patch must be a JSON object")
    except patch.PatchError as error:
        raise APIError(apiserver.bad_request(str(error))) from None
    return content_type, body


def _apply_patch(content_type: str, body: Any, current: dict[str, Any], root: str | None) -> Any:
    """``body`` applied to ``current``: 400 for a malformed patch, 422 for one that cannot apply."""
    try:
        if content_type == patch.JSON_PATCH:
            return patch.apply_json_patch(current, body)
        if content_type == patch.MERGE_PATCH:
            return patch.apply_merge_patch(current, body)
        return patch.apply_strategic_merge_patch(current, body, root)
    except patch.PatchError as error:
        if error.malformed:
            raise APIError(apiserver.bad_request(str(error))) from None
        raise APIError(_patch_failed(str(error))) from None


def _patch_failed(why: str) -> dict[str, Any]:
    """A JSON patch operation that does not apply: ``NewGenericServerResponse(422, ...)`` in applyJSPatch.

    Upstream's message is generic and carries no cause; the cause here says
    which operation failed (a deviation that only adds information).
    """
    status = apiserver.failure(
        422, "Invalid", "the server rejected our request due to an error in our request", {"causes": []}
    )
    status["details"]["causes"].append({"message": why})
    return status


def _invalid(obj: KindModel, errors: list[FieldError]) -> dict[str, Any]:
    info = info_of(obj)
    return invalid_status(info.group, info.kind, obj.metadata.name, errors)
