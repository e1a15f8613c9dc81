"""CustomResourceDefinitions served as resources: the apiextensions API server inside the reference server.

What it models (k8s.io/apiextensions-apiserver, read, not copied):

- ``pkg/apiserver/customresource_handler.go`` (``crdHandler.ServeHTTP``):
  ``/apis/<group>/<version>/[namespaces/<ns>/]<plural>[/<name>[/status]]``
  is served for every *served* version of an *Established* CRD; anything
  else is 404. Strategic merge patch is 415 (only JSON patch and merge
  patch are accepted for custom resources); creates are refused with 405
  while the CRD is terminating.
- ``pkg/registry/customresource`` (``strategy.go``, ``status_strategy.go``,
  ``etcd.go``): objects are stored as JSON under
  ``/registry/<group>/<plural>/[<namespace>/]<name>``; create drops
  ``status`` when the status subresource is on; an update through the main
  resource keeps the stored status (status subresource on) and bumps
  ``metadata.generation`` when anything but metadata (and status) changed; the
  status subresource writes status only. Objects are pruned, defaulted
  and validated by ``spec/crd_schema.py`` on create and update, and pruned
  and defaulted when read from storage (KEP-575 "Defaulting for Custom
  Resources": defaults apply on deserialization, also from etcd;
  kubernetes/kubernetes#78829: pruning of what is read from storage).
- ``pkg/controller/status/naming_controller.go`` and
  ``pkg/controller/establish``: the naming controller accepts the names
  (NamesAccepted True "NoConflicts", or False "PluralConflict" when another
  CRD of the group holds the plural) and the establishing controller sets
  Established True ("InitialNamesAccepted"). Here both run synchronously
  right after a CRD is written, so a CRD is Established as soon as its create
  returns (the create response itself carries no conditions, as upstream's).
- ``pkg/controller/finalizer/crd_finalizer.go``: deleting a CRD deletes every
  instance first; then the CRD goes and its URLs answer 404. Here the
  finalizer's work is done synchronously as soon as the delete succeeds.
- ``pkg/apiserver/customresource_discovery_controller.go``: ``/apis`` lists
  each group, ``/apis/<group>`` its served versions (preferred: the highest
  by Kubernetes version priority), ``/apis/<group>/<version>`` the plural
  with kind, singularName, shortNames, categories, verbs and ``/status``.

Limits (README, "The API server"): no conversion webhooks (a CRD asking for
one is refused with 422) -- every version is the same object with its
apiVersion rewritten (the ``None`` strategy),
validated, pruned and defaulted by the schema of the version it is served
at; one storage version; no ``/scale`` subresource, no CEL rules, no
``x-kubernetes-list-type`` map-key checks, no deletecollection, no
server-side apply. Open watches on a deleted CRD's resources see DELETED
events for its instances and stay open (upstream ends them).

Requirement IDs: API-CRD-SERVE, API-CRD-STATUS, API-CRD-DISCOVERY,
API-CRD-DELETE, API-CRD-CONDITIONS (declared in ``spec/apiserver.py``).
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from impl.apiserver.routing import DiscoveryPath, ResourcePath
from impl.apiserver.storage import Stored
from impl.apiserver.watch import APIWatch, Selects
from spec import apiserver, crd_schema, patch, selectors
from spec.kv import WatchCreateRequest, prefix_end
from spec.objects import apiextensions, core
from spec.objects.apiextensions import CustomResourceDefinition, JSONSchemaProps
from spec.objects.base import Time
from spec.objects.meta import ObjectMeta
from spec.objects.registry import ObjectError, from_dict, info_of
from spec.objects.validation import meta as m
from spec.objects.validation.errors import FieldError, forbidden, invalid, invalid_status
from spec.objects.validation.errors import Path as FieldPath

if TYPE_CHECKING:
    from impl.apiserver.core import APIServer, Request, Response

CRD_INFO: Final = info_of(CustomResourceDefinition)
_NAMESPACES: Final = info_of(core.Namespace)
#: What the discovery document lists: the verbs this server serves (no deletecollection).
VERBS: Final = ["create", "delete", "get", "list", "patch", "update", "watch"]
STATUS_VERBS: Final = ["get", "patch", "update"]
#: The patch types a custom resource accepts (crdHandler: no strategic merge patch).
PATCH_TYPES: Final = (patch.JSON_PATCH, patch.MERGE_PATCH)
_UPDATE_ATTEMPTS: Final = 16
_NAME_ALPHABET: Final = "bcdfghjklmnpqrstvwxz2456789"
_KUBE_VERSION: Final = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


@dataclass(frozen=True)
class CustomResourceInfo:
    """One served version of a CRD, in the shape of ``KindInfo`` where the watch needs it."""

    group: str
    version: str
    resource: str  # the plural
    kind: str
    list_kind: str
    singular: str
    short_names: tuple[str, ...]
    categories: tuple[str, ...]
    namespaced: bool
    schema: JSONSchemaProps | None
    status_subresource: bool
    storage_version: str
    terminating: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"

    @property
    def storage_api_version(self) -> str:
        return f"{self.group}/{self.storage_version}"


@dataclass(frozen=True)
class CustomPath:
    """A path under a custom resource: collection, object, or its status."""

    info: CustomResourceInfo
    namespace: str | None
    name: str | None = None
    subresource: str | None = None


def condition_true(crd: CustomResourceDefinition, kind: str) -> bool:
    return any(c.type == kind and c.status == "True" for c in crd.status.conditions)


def served_versions(crd: CustomResourceDefinition) -> list[CustomResourceInfo]:
    """The versions of ``crd`` that are served (whatever its conditions say)."""
    spec, names = crd.spec, crd.spec.names
    storage = next((version.name for version in spec.versions if version.storage), "")
    out = []
    for version in spec.versions:
        if not version.served:
            continue
        out.append(
            CustomResourceInfo(
                group=spec.group,
                version=version.name,
                resource=names.plural,
                kind=names.kind,
                list_kind=names.list_kind or names.kind + "List",
                singular=names.singular or names.kind.lower(),
                short_names=tuple(names.short_names),
                categories=tuple(names.categories),
                namespaced=spec.scope == "Namespaced",
                schema=version.schema_.open_apiv3_schema if version.schema_ else None,
                status_subresource=bool(version.subresources and version.subresources.status is not None),
                storage_version=storage,
                terminating=crd.metadata.deletion_timestamp is not None,
            )
        )
    return out


def unsupported(crd: CustomResourceDefinition) -> list[FieldError]:
    """What ``crd`` asks for that this server refuses rather than ignores: conversion webhooks, CEL, ..."""
    errors = []
    if crd.spec.conversion is not None and crd.spec.conversion.strategy == "Webhook":
        why = "conversion webhooks are not supported by this server (only the None strategy)"
        errors.append(forbidden(FieldPath("spec.conversion.strategy"), why))
    for position, version in enumerate(crd.spec.versions):
        schema = version.schema_.open_apiv3_schema if version.schema_ else None
        at = FieldPath("spec.versions").index(position).child("schema", "openAPIV3Schema")
        errors += crd_schema.unsupported_errors(schema, at)
    return errors


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Sort key of ``CompareKubeAwareVersionStrings``: v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > others."""
    match = _KUBE_VERSION.match(version)
    if match is None:
        return (3, 0, 0, version)
    major, stage, minor = int(match[1]), match[2], int(match[3] or 0)
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -major, -minor, "")


def storage_prefix(info: CustomResourceInfo) -> str:
    """``/registry/<group>/<plural>`` (the apiextensions server's ResourcePrefix)."""
    return f"/registry/{info.group}/{info.resource}"


def object_key(info: CustomResourceInfo, namespace: str, name: str) -> str:
    if info.namespaced:
        return f"{storage_prefix(info)}/{namespace}/{name}"
    return f"{storage_prefix(info)}/{name}"


def list_prefix(info: CustomResourceInfo, namespace: str | None) -> str:
    if info.namespaced and namespace:
        return f"{storage_prefix(info)}/{namespace}/"
    return storage_prefix(info) + "/"


def _json_response(code: int, body: Any) -> Response:
    from impl.apiserver.core import Response

    return Response(code, json.dumps(body, separators=(",", ":")).encode())


def _error(status: dict[str, Any]) -> Exception:
    from impl.apiserver.core import APIError

    return APIError(status)


class CustomResources:
    """The custom resources of one ``APIServer``: routing, discovery, the REST verbs, and the CRD hooks."""

    def __init__(self, server: APIServer) -> None:
        self.server = server
        self._decoded: dict[tuple[str, int], CustomResourceDefinition] = {}

    # -- the CRDs in storage ---------------------------------------------------------------------------

    def definitions(self) -> list[CustomResourceDefinition]:
        """Every stored CRD (read from the store at each request: a deleted CRD stops serving at once)."""
        prefix = apiserver.list_prefix(CRD_INFO, None)
        page = self.server.storage.page(prefix, prefix, 0, 0)
        out = []
        decoded: dict[tuple[str, int], CustomResourceDefinition] = {}
        for stored in page.items:
            cache_key = (stored.key, stored.mod_revision)
            crd = self._decoded.get(cache_key)
            if crd is None:
                try:
                    parsed = from_dict(json.loads(stored.value))
                except (ObjectError, ValueError):
                    continue
                if not isinstance(parsed, CustomResourceDefinition):
                    continue
                crd = parsed
            decoded[cache_key] = crd
            out.append(crd)
        self._decoded = decoded
        return out

    def served(self) -> list[CustomResourceInfo]:
        """Every served version of every Established CRD."""
        return [
            info
            for crd in self.definitions()
            if condition_true(crd, "Established")
            for info in served_versions(crd)
        ]

    # -- routing and discovery --------------------------------------------------------------------------

    def route(self, path: str) -> CustomPath | DiscoveryPath | None:
        """What ``path`` names among the custom resources; None: 404."""
        parts = [part for part in path.split("/") if part]
        if len(parts) < 2 or parts[0] != "apis":
            return None
        served = self.served()
        group = parts[1]
        if len(parts) == 2:
            return DiscoveryPath(group=group) if any(i.group == group for i in served) else None
        version, rest = parts[2], parts[3:]
        here = [info for info in served if (info.group, info.version) == (group, version)]
        if not here:
            return None
        if not rest:
            return DiscoveryPath(group=group, version=version)
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        info = next((i for i in here if i.resource == rest[0]), None)
        if info is None or len(rest) > 3:
            return None
        if namespace is not None and not info.namespaced:
            return None
        if namespace is None and info.namespaced and len(rest) > 1:
            return None
        name = rest[1] if len(rest) >= 2 else None
        subresource = rest[2] if len(rest) == 3 else None
        return CustomPath(info, namespace, name, subresource)

    def api_groups(self) -> list[dict[str, Any]]:
        """The ``APIGroup`` entries ``/apis`` adds for the custom groups."""
        by_group: dict[str, set[str]] = {}
        for info in self.served():
            by_group.setdefault(info.group, set()).add(info.version)
        return [self._group(group, versions) for group, versions in by_group.items()]

    def _group(self, group: str, versions: set[str]) -> dict[str, Any]:
        entries = [
            {"groupVersion": f"{group}/{version}", "version": version}
            for version in sorted(versions, key=version_priority)
        ]
        return {"name": group, "versions": entries, "preferredVersion": entries[0]}

    def _discovery(self, request: Request, target: DiscoveryPath) -> Response:
        if request.method not in ("GET", "HEAD"):
            raise _error(apiserver.failure(405, "MethodNotAllowed", f"{request.method} is not allowed here"))
        served = [info for info in self.served() if info.group == target.group]
        if target.version is None:
            group = self._group(target.group or "", {info.version for info in served})
            return _json_response(200, {"kind": "APIGroup", "apiVersion": "v1", **group})
        resources: list[dict[str, Any]] = []
        for info in served:
            if info.version != target.version:
                continue
            entry: dict[str, Any] = {
                "name": info.resource,
                "singularName": info.singular,
                "namespaced": info.namespaced,
                "kind": info.kind,
                "verbs": VERBS,
            }
            if info.short_names:
                entry["shortNames"] = list(info.short_names)
            if info.categories:
                entry["categories"] = list(info.categories)
            resources.append(entry)
            if info.status_subresource:
                resources.append(
                    {
                        "name": f"{info.resource}/status",
                        "singularName": "",
                        "namespaced": info.namespaced,
                        "kind": info.kind,
                        "verbs": STATUS_VERBS,
                    }
                )
        return _json_response(
            200,
            {
                "kind": "APIResourceList",
                "apiVersion": "v1",
                "groupVersion": f"{target.group}/{target.version}",
                "resources": resources,
            },
        )

    # -- the CRD's own lifecycle ------------------------------------------------------------------------

    def definition_request(
        self,
        request: Request,
        target: ResourcePath,
        handle: Callable[[Request, ResourcePath], Response | APIWatch],
    ) -> Response | APIWatch:
        """A request on customresourcedefinitions: the finalizer before a delete, the controllers after."""
        if request.method in ("POST", "PUT") and target.subresource is None:
            self._refuse_unsupported(request.body)
        deleting = None
        if request.method == "DELETE" and target.name is not None and target.subresource is None:
            deleting = self._definition(target.name)
        response = handle(request, target)
        if deleting is not None and getattr(response, "status", 0) == 200:
            # The CRD is gone (or marked for its finalizers): the CRD finalizer's work, done at once.
            self.delete_instances(deleting)
        if isinstance(response, APIWatch):
            # The watch's decoder (a private hook of APIWatch) completes each CRD it sends, as below.
            decode = response._decode
            response._decode = lambda value, revision: _complete_status(decode(value, revision))
        elif response.status < 300:
            response = _with_status_fields(response)
        if (
            request.method in ("POST", "PUT", "PATCH")
            and getattr(response, "status", 0) in (200, 201)
            and target.subresource is None
        ):
            assert not isinstance(response, APIWatch)
            name = target.name or response.json().get("metadata", {}).get("name", "")
            if name:
                self.accept_names(name)
        return response

    def _refuse_unsupported(self, body: bytes) -> None:
        """422 for a CRD whose schemas use what spec/crd_schema.py does not implement (CEL, combinators)."""
        try:
            crd = from_dict(json.loads(body))
        except (ObjectError, ValueError):
            return  # the core answers the decoding error
        if isinstance(crd, CustomResourceDefinition):
            errors = unsupported(crd)
            if errors:
                raise _error(invalid_status(CRD_INFO.group, CRD_INFO.kind, crd.metadata.name, errors))

    def _definition(self, name: str) -> CustomResourceDefinition | None:
        stored = self.server.storage.get(apiserver.object_key(CRD_INFO, "", name))
        if stored is None:
            return None
        try:
            crd = from_dict(json.loads(stored.value))
        except (ObjectError, ValueError):
            return None
        return crd if isinstance(crd, CustomResourceDefinition) else None

    def delete_instances(self, crd: CustomResourceDefinition) -> None:
        """The CRD finalizer's work: every instance goes (all versions share one storage prefix)."""
        prefix = f"/registry/{crd.spec.group}/{crd.spec.names.plural}/"
        for stored in self.server.storage.page(prefix, prefix, 0, 0).items:
            self.server.storage.delete(stored.key, stored.mod_revision)

    def accept_names(self, name: str) -> None:
        """The naming and establishing controllers: acceptedNames, NamesAccepted, Established."""
        for _ in range(_UPDATE_ATTEMPTS):
            key = apiserver.object_key(CRD_INFO, "", name)
            stored = self.server.storage.get(key)
            if stored is None:
                return
            crd = from_dict(json.loads(stored.value))
            assert isinstance(crd, CustomResourceDefinition)
            if crd.metadata.deletion_timestamp is not None:
                return
            updated = crd.replace(status=self._names_status(crd))
            value = self.server._encode(updated)
            if (
                value == stored.value
                or self.server.storage.update(key, value, stored.mod_revision) is not None
            ):
                return

    def _names_status(self, crd: CustomResourceDefinition) -> apiextensions.CustomResourceDefinitionStatus:
        names = crd.spec.names
        # naming_controller getAcceptedNamesForGroup: every accepted name of the group's other CRDs.
        taken: set[str] = set()
        for other in self.definitions():
            if other.spec.group == crd.spec.group and other.metadata.name != crd.metadata.name:
                held = other.status.accepted_names
                taken |= {held.plural, held.singular, *held.short_names} - {""}
        status = crd.status
        now = Time.of(self.server.clock())
        previous = {c.type: c for c in status.conditions}

        def condition(kind: str, value: str, reason: str, message: str) -> Any:
            old = previous.get(kind)
            when = old.last_transition_time if old is not None and old.status == value else now
            return apiextensions.CustomResourceDefinitionCondition(
                type=kind, status=value, last_transition_time=when, reason=reason, message=message
            )

        accepted = status.accepted_names
        if unsupported(crd):  # a CRD written by a PATCH that slipped CEL rules in: never Established
            names_accepted = condition("NamesAccepted", "True", "NoConflicts", "no conflicts found")
            why = "; ".join(str(error) for error in unsupported(crd))
            established = condition("Established", "False", "Unsupported", why)
        elif names.plural in taken and accepted.plural != names.plural:
            names_accepted = condition(
                "NamesAccepted", "False", "PluralConflict", f'"{names.plural}" is already in use'
            )
            established = previous.get("Established")
        elif names.singular in taken and accepted.singular != names.singular:
            names_accepted = condition(
                "NamesAccepted", "False", "SingularConflict", f'"{names.singular}" is already in use'
            )
            established = previous.get("Established")
        else:
            accepted = names.replace(list_kind=names.list_kind or names.kind + "List")
            names_accepted = condition("NamesAccepted", "True", "NoConflicts", "no conflicts found")
            established = condition(
                "Established", "True", "InitialNamesAccepted", "the initial names have been accepted"
            )
        others = [c for c in status.conditions if c.type not in ("NamesAccepted", "Established")]
        conditions = [*others, names_accepted, *([established] if established is not None else [])]
        return status.replace(accepted_names=accepted, conditions=tuple(conditions))

    # -- the REST verbs ----------------------------------------------------------------------------------

    def handle(self, request: Request, target: CustomPath | DiscoveryPath) -> Response | APIWatch:
        if isinstance(target, DiscoveryPath):
            return self._discovery(request, target)
        info, method = target.info, request.method
        if request.param("dryRun"):
            raise _error(apiserver.bad_request("dryRun is not supported by this server yet"))
        if target.subresource is not None:
            if target.subresource != "status" or not info.status_subresource:
                raise _error(apiserver.path_not_found())
            if method == "GET":
                return self._get(target)
            if method == "PUT":
                return self._update(request, target, status_only=True)
            if method == "PATCH":
                return self._patch(request, target, status_only=True)
            raise _error(apiserver.method_not_supported(info.group, f"{info.resource}/status", method))
        if target.name is None:
            if method == "GET":
                return (
                    self._watch(request, target)
                    if _truthy(request.param("watch"))
                    else self._list(request, target)
                )
            if method == "POST":
                return self._create(request, target)
        else:
            if method == "GET":
                return self._get(target)
            if method == "PUT":
                return self._update(request, target, status_only=False)
            if method == "PATCH":
                return self._patch(request, target, status_only=False)
            if method == "DELETE":
                return self._delete(request, target)
        raise _error(apiserver.method_not_supported(info.group, info.resource, method))

    # -- objects in and out -----------------------------------------------------------------------------

    def _key(self, target: CustomPath, name: str) -> str:
        return object_key(target.info, target.namespace or "", name)

    def present(self, info: CustomResourceInfo, obj: dict[str, Any], revision: int) -> dict[str, Any]:
        """A stored object as served at ``info``'s version: pruned, defaulted, apiVersion rewritten."""
        if info.schema is not None:
            obj = crd_schema.default(self.prune(obj, info.schema), info.schema)
        obj["apiVersion"] = info.api_version  # the None conversion strategy
        obj.setdefault("metadata", {})["resourceVersion"] = str(revision)
        return obj

    def prune(self, obj: dict[str, Any], schema: JSONSchemaProps) -> dict[str, Any]:
        return crd_schema.prune(obj, schema)

    def schema_errors(self, obj: dict[str, Any], schema: JSONSchemaProps) -> list[FieldError]:
        return crd_schema.validate(obj, schema)

    def _decoder(self, info: CustomResourceInfo) -> Callable[[bytes, int], dict[str, Any] | None]:
        def decode(value: bytes, revision: int) -> dict[str, Any] | None:
            try:
                obj = json.loads(value)
            except ValueError:
                return None
            if not isinstance(obj, dict) or not isinstance(obj.get("metadata", {}), dict):
                return None
            return self.present(info, obj, revision)

        return decode

    def _read(self, target: CustomPath, name: str) -> tuple[dict[str, Any], Stored]:
        stored = self.server.storage.get(self._key(target, name))
        if stored is None:
            raise _error(apiserver.not_found(target.info.group, target.info.resource, name))
        obj = self._decoder(target.info)(stored.value, stored.mod_revision)
        if obj is None:
            raise _error(
                apiserver.failure(500, "InternalError", f"the stored object at {stored.key} is not JSON")
            )
        return obj, stored

    def _decode_body(self, request: Request, info: CustomResourceInfo) -> dict[str, Any]:
        content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if content_type not in ("application/json", "", "*/*"):
            raise _error(apiserver.unsupported_media_type(content_type))
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as error:
            raise _error(
                apiserver.bad_request(f"couldn't get version/kind; json parse error: {error}")
            ) from None
        if not isinstance(data, dict):
            raise _error(
                apiserver.bad_request(f"the object provided is unrecognized (must be of type {info.kind})")
            )
        return self._check_type(data, info)

    def _check_type(self, data: dict[str, Any], info: CustomResourceInfo) -> dict[str, Any]:
        data.setdefault("apiVersion", info.api_version)
        data.setdefault("kind", info.kind)
        if (data["apiVersion"], data["kind"]) != (info.api_version, info.kind):
            raise _error(
                apiserver.bad_request(
                    f"the API version in the data ({data['apiVersion']}) does not match the expected API "
                    "version "
                    f"({info.api_version})"
                    if data["apiVersion"] != info.api_version
                    else f"{data['kind']} is not the kind {info.kind} served at this URL"
                )
            )
        if not isinstance(data.get("metadata", {}), dict):
            raise _error(apiserver.bad_request("metadata must be an object"))
        return data

    def _meta(self, obj: dict[str, Any]) -> ObjectMeta:
        try:
            return ObjectMeta.model_validate(obj.get("metadata") or {})
        except ValueError as error:
            raise _error(apiserver.bad_request(f"invalid metadata: {error}")) from None

    def _check_scope(self, obj: dict[str, Any], target: CustomPath) -> dict[str, Any]:
        metadata = obj.setdefault("metadata", {})
        if not target.info.namespaced:
            metadata.pop("namespace", None)
            return obj
        namespace = target.namespace or ""
        if metadata.get("namespace") and metadata["namespace"] != namespace:
            raise _error(
                apiserver.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            )
        metadata["namespace"] = namespace
        return obj

    def _normalize(self, obj: dict[str, Any], info: CustomResourceInfo, meta: ObjectMeta) -> dict[str, Any]:
        """Pruned and defaulted (on decoding, before validation), with ObjectMeta's known fields only."""
        obj = dict(obj)
        obj["metadata"] = meta.model_dump(mode="json", exclude_defaults=True)
        if info.schema is not None:
            obj = crd_schema.default(self.prune(obj, info.schema), info.schema)
        return obj

    def _validate(self, obj: dict[str, Any], info: CustomResourceInfo, meta: ObjectMeta) -> None:
        errors = m.object_meta(
            meta, namespaced=info.namespaced, name_check=m.name_is_path_segment, path=FieldPath("metadata")
        )
        if info.schema is not None:
            errors += self.schema_errors(obj, info.schema)
        if errors:
            raise _error(invalid_status(info.group, info.kind, meta.name, errors))

    def _encode(self, obj: dict[str, Any], info: CustomResourceInfo) -> bytes:
        """The stored form: at the storage version's apiVersion, without resourceVersion."""
        stored = copy.deepcopy(obj)
        stored["apiVersion"] = info.storage_api_version
        stored.get("metadata", {}).pop("resourceVersion", None)
        return json.dumps(stored, separators=(",", ":")).encode()

    def _output(self, obj: dict[str, Any], info: CustomResourceInfo, revision: int) -> dict[str, Any]:
        out = copy.deepcopy(obj)
        out["apiVersion"] = info.api_version
        out.setdefault("metadata", {})["resourceVersion"] = str(revision)
        return out

    # -- get, create, update, patch, delete ------------------------------------------------------------

    def _get(self, target: CustomPath) -> Response:
        assert target.name is not None
        obj, _ = self._read(target, target.name)
        return _json_response(200, obj)

    def _create(self, request: Request, target: CustomPath) -> Response:
        info = target.info
        if info.terminating:
            message = "create not allowed while custom resource definition is terminating"
            raise _error(apiserver.failure(405, "MethodNotAllowed", message))
        obj = self._check_scope(self._decode_body(request, info), target)
        meta = self._meta(obj)
        if info.namespaced and meta.namespace:
            if self.server.storage.get(apiserver.object_key(_NAMESPACES, "", meta.namespace)) is None:
                raise _error(apiserver.not_found("", "namespaces", meta.namespace))
        uid = uuid.UUID(int=self.server.entropy.randint(0, (1 << 128) - 1), version=4)
        meta = meta.replace(
            uid=str(uid),
            creation_timestamp=Time.of(self.server.clock()),
            resource_version="",
            generation=1,
            deletion_timestamp=None,
            deletion_grace_period_seconds=None,
        )
        if info.status_subresource:
            obj.pop("status", None)  # strategy.PrepareForCreate: status is the subresource's
        generated = not meta.name and bool(meta.generate_name)
        for _ in range(8 if generated else 1):
            if generated:
                suffix = "".join(self.server.entropy.choice(_NAME_ALPHABET) for _ in range(5))
                meta = meta.replace(name=meta.generate_name[:58] + suffix)
            out = self._normalize(obj, info, meta)
            self._validate(out, info, meta)
            revision = self.server.storage.create(self._key(target, meta.name), self._encode(out, info))
            if revision is not None:
                return _json_response(201, self._output(out, info, revision))
        raise _error(apiserver.already_exists(info.group, info.resource, meta.name))

    def _update(self, request: Request, target: CustomPath, *, status_only: bool) -> Response:
        name = target.name
        assert name is not None
        new = self._check_scope(self._decode_body(request, target.info), target)
        self._check_name(new, name)
        return self._guaranteed_update(target, name, lambda old, stored: new, status_only=status_only)

    def _check_name(self, obj: dict[str, Any], name: str) -> None:
        given = (obj.get("metadata") or {}).get("name")
        if given != name:
            raise _error(
                apiserver.bad_request(
                    f"the name of the object ({given}) does not match the name on the URL ({name})"
                )
            )

    def _patch(self, request: Request, target: CustomPath, *, status_only: bool) -> Response:
        name = target.name
        assert name is not None
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in PATCH_TYPES:
            status = patch.unsupported_patch_type()
            status["message"] = (
                "the body of the request was in an unknown format - accepted media types include: "
                + ", ".join(PATCH_TYPES)
            )
            raise _error(status)
        try:
            body = json.loads(request.body)
            if content_type == patch.JSON_PATCH:
                patch.check_json_patch(body)
            elif not isinstance(body, dict):
                raise patch.MalformedPatch("a merge patch must be a JSON object")
        except (ValueError, UnicodeDecodeError) as error:
            raise _error(apiserver.bad_request(f"error decoding patch: {error}")) from None
        except patch.PatchError as error:
            raise _error(apiserver.bad_request(str(error))) from None

        def patched(old: dict[str, Any], stored: Stored) -> dict[str, Any]:
            try:
                if content_type == patch.JSON_PATCH:
                    result = patch.apply_json_patch(old, body)
                else:
                    result = patch.apply_merge_patch(old, body)
            except patch.PatchError as error:
                if error.malformed:
                    raise _error(apiserver.bad_request(str(error))) from None
                raise _error(
                    invalid_status(
                        "", "", "", [invalid(FieldPath("patch"), "<the patched object>", str(error))]
                    )
                ) from None
            if not isinstance(result, dict):
                raise _error(apiserver.bad_request("the patched object is not a JSON object"))
            obj = self._check_scope(self._check_type(result, target.info), target)
            self._check_name(obj, name)
            return obj

        return self._guaranteed_update(target, name, patched, status_only=status_only)

    def _guaranteed_update(
        self,
        target: CustomPath,
        name: str,
        next_object: Callable[[dict[str, Any], Stored], dict[str, Any]],
        *,
        status_only: bool,
    ) -> Response:
        info = target.info
        for _ in range(_UPDATE_ATTEMPTS):
            old, stored = self._read(target, name)
            new = next_object(copy.deepcopy(old), stored)
            precondition = (new.get("metadata") or {}).get("resourceVersion")
            if precondition and precondition != str(stored.mod_revision):
                if not str(precondition).isdigit():
                    raise _error(apiserver.bad_request(f'invalid resource version: "{precondition}"'))
                raise _error(apiserver.conflict(info.group, info.resource, name))
            # Decoding prunes and defaults before the strategy compares old and new (generation).
            new = self._normalize(new, info, self._meta(new))
            updated = self.prepare_for_update(new, old, info, status_only=status_only)
            meta = self._meta(updated)
            updated = self._normalize(updated, info, meta)
            self._validate(updated, info, meta)
            old_meta = self._meta(old)
            added = [f for f in meta.finalizers if f not in old_meta.finalizers]
            if old_meta.deletion_timestamp is not None and added:
                why = (
                    "no new finalizers can be added if the object is being deleted, found new finalizers "
                    f"{added!r}"
                )
                raise _error(
                    invalid_status(
                        info.group, info.kind, name, [forbidden(FieldPath("metadata.finalizers"), why)]
                    )
                )
            if meta.deletion_timestamp is not None and not meta.finalizers:
                if self.server.storage.delete(stored.key, stored.mod_revision) is not None:
                    return _json_response(200, self._output(updated, info, stored.mod_revision))
                continue
            value = self._encode(updated, info)
            if value == self._encode(old, info):
                return _json_response(200, self._output(updated, info, stored.mod_revision))
            revision = self.server.storage.update(stored.key, value, stored.mod_revision)
            if revision is not None:
                return _json_response(200, self._output(updated, info, revision))
        raise _error(apiserver.conflict(info.group, info.resource, name, "too many concurrent updates"))

    def prepare_for_update(
        self, new: dict[str, Any], old: dict[str, Any], info: CustomResourceInfo, *, status_only: bool
    ) -> dict[str, Any]:
        """``PrepareForUpdate`` of pkg/registry/customresource's strategy and status strategy."""
        new_meta, old_meta = new.get("metadata") or {}, old.get("metadata") or {}
        if new_meta.get("uid") and new_meta["uid"] != old_meta.get("uid"):
            error = invalid(FieldPath("metadata.uid"), new_meta["uid"], "field is immutable")
            raise _error(invalid_status(info.group, info.kind, old_meta.get("name", ""), [error]))
        if status_only:
            result = copy.deepcopy(old)
            if "status" in new:
                result["status"] = new["status"]
            else:
                result.pop("status", None)
            result["metadata"].pop("resourceVersion", None)
            return result
        result = dict(new)
        if info.status_subresource:
            if "status" in old:
                result["status"] = old["status"]
            else:
                result.pop("status", None)
        metadata = dict(new_meta)
        for field in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
            if field in old_meta:
                metadata[field] = old_meta[field]
            else:
                metadata.pop(field, None)
        metadata.pop("resourceVersion", None)
        generation = int(old_meta.get("generation") or 0)
        excluded = ("metadata", "status") if info.status_subresource else ("metadata",)

        def content(obj: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in obj.items() if k not in excluded and k not in ("apiVersion", "kind")}

        metadata["generation"] = generation + 1 if content(result) != content(old) else generation
        result["metadata"] = metadata
        return result

    def _delete(self, request: Request, target: CustomPath) -> Response:
        info, name = target.info, target.name
        assert name is not None
        # Preconditions only: propagationPolicy, grace periods and dryRun are not applied to custom
        # resources yet (the garbage collector does not list them either).
        preconditions = self.server._delete_options(request).preconditions
        for _ in range(_UPDATE_ATTEMPTS):
            old, stored = self._read(target, name)
            meta = self._meta(old)
            uid = preconditions.get("uid")
            if uid is not None and uid != meta.uid:
                why = f"Precondition failed: UID in precondition: {uid}, UID in object meta: {meta.uid}"
                raise _error(apiserver.conflict(info.group, info.resource, name, why))
            rv = preconditions.get("resourceVersion")
            if rv is not None and rv != str(stored.mod_revision):
                why = (
                    f"Precondition failed: ResourceVersion in precondition: {rv}, "
                    f"ResourceVersion in object meta: {stored.mod_revision}"
                )
                raise _error(apiserver.conflict(info.group, info.resource, name, why))
            if meta.finalizers:
                if meta.deletion_timestamp is not None:
                    return _json_response(200, old)
                marked = copy.deepcopy(old)
                marked["metadata"]["deletionTimestamp"] = Time.of(self.server.clock()).rfc3339()
                marked["metadata"]["deletionGracePeriodSeconds"] = 0
                marked["metadata"]["generation"] = int(marked["metadata"].get("generation") or 0) + 1
                revision = self.server.storage.update(
                    stored.key, self._encode(marked, info), stored.mod_revision
                )
                if revision is not None:
                    return _json_response(200, self._output(marked, info, revision))
                continue
            if self.server.storage.delete(stored.key, stored.mod_revision) is not None:
                return _json_response(200, apiserver.success(info.group, info.resource, name, meta.uid))
        raise _error(apiserver.conflict(info.group, info.resource, name, "too many concurrent updates"))

    # -- list and watch --------------------------------------------------------------------------------

    def _options(self, request: Request, target: CustomPath) -> Any:
        """The core's list options, with the field selectors of a custom resource (name, namespace)."""
        stand_in = ResourcePath(_FIELDS_LIKE[target.info.namespaced], target.namespace)
        return self.server._list_options(request, stand_in)

    def _matcher(self, target: CustomPath, options: Any) -> Callable[[dict[str, Any]], bool]:
        namespaced = target.info.namespaced

        def matches(obj: dict[str, Any]) -> bool:
            metadata = obj.get("metadata") or {}
            if not options.labels.matches(metadata.get("labels") or {}):
                return False
            fields = selectors.object_meta_fields(
                metadata.get("name", ""), metadata.get("namespace", "") if namespaced else None
            )
            return bool(options.fields.matches(fields))

        return matches

    def _selector(self, target: CustomPath, options: Any) -> Selects:
        """``_matcher`` on stored values, as the core's list and the watch take it (custom resources are
        few: no shared attribute cache)."""
        matches = self._matcher(target, options)

        def selects(key: str, value: bytes, mod_revision: int) -> bool | None:
            try:
                obj = json.loads(value)
            except ValueError:
                return None
            return matches(obj) if isinstance(obj, dict) else None

        return selects

    def _list(self, request: Request, target: CustomPath) -> Response:
        info = target.info
        options = self._options(request, target)
        prefix = list_prefix(info, target.namespace)
        revision, start = 0, prefix
        if options.continue_token:
            try:
                start, revision = apiserver.decode_continue(options.continue_token, prefix)
            except apiserver.ContinueError as error:
                raise _error(apiserver.bad_request(str(error))) from None
        elif options.resource_version and options.resource_version != "0":
            requested = _parse_revision(options.resource_version)
            if options.match == "Exact" or (not options.match and options.limit > 0):
                revision = requested
        selects = self._selector(target, options)
        items, next_key, revision, remaining = self.server._collect(prefix, start, revision, options, selects)
        presented = [self.present(info, item, int(item["metadata"]["resourceVersion"])) for item in items]
        metadata: dict[str, Any] = {"resourceVersion": str(revision)}
        if next_key is not None:
            metadata["continue"] = apiserver.encode_continue(next_key, prefix, revision)
            if remaining is not None:
                metadata["remainingItemCount"] = remaining
        return _json_response(
            200,
            {
                "kind": info.list_kind,
                "apiVersion": info.api_version,
                "metadata": metadata,
                "items": presented,
            },
        )

    def _watch(self, request: Request, target: CustomPath) -> APIWatch:
        info = target.info
        options = self._options(request, target)
        timeout_text = request.param("timeoutSeconds")
        timeout = None
        if timeout_text:
            if not timeout_text.isdigit() or not timeout_text.isascii():
                raise _error(apiserver.bad_request(f'invalid timeoutSeconds: "{timeout_text}"'))
            timeout = int(timeout_text)
        prefix = list_prefix(info, target.namespace)
        matches = self._matcher(target, options)
        decode = self._decoder(info)
        initial: list[dict[str, Any]] = []
        if options.resource_version in (None, "", "0"):
            revision = self.server.storage.revision()
            page = self.server.storage.page(prefix, prefix, revision, 0)
            start_revision = page.revision
            for stored in page.items:
                obj = decode(stored.value, stored.mod_revision)
                if obj is not None and matches(obj):
                    initial.append(obj)
        else:
            start_revision = _parse_revision(options.resource_version)
        bookmarks = _truthy(request.param("allowWatchBookmarks"))
        stream = self.server.kv.watch(
            WatchCreateRequest(
                prefix.encode(),
                prefix_end(prefix.encode()),
                start_revision=start_revision + 1,
                prev_kv=True,
                progress_notify=bookmarks,
            )
        )
        return APIWatch(
            stream,
            info=info,  # type: ignore[arg-type]  # kind and api_version are all a watch reads
            decode=decode,
            selects=self._selector(target, options),
            start_revision=start_revision,
            initial=initial,
            bookmarks=bookmarks,
            timeout_seconds=timeout,
        )


def _with_status_fields(response: Response) -> Response:
    """A CRD (or list of them) with status.acceptedNames.plural/kind and storedVersions always written.

    Upstream's types have no omitempty there, and the official client refuses
    to decode a CRD without them (client-side validation); spec/objects omits
    zero values, so the response is completed here.
    """
    from impl.apiserver.core import Response

    body = response.json()
    if not isinstance(body, dict) or body.get("kind") not in (
        "CustomResourceDefinition",
        "CustomResourceDefinitionList",
    ):
        return response
    for obj in body.get("items") or [body]:
        _complete_status(obj)
    return Response(response.status, json.dumps(body, separators=(",", ":")).encode(), response.content_type)


def _complete_status(obj: dict[str, Any] | None) -> dict[str, Any] | None:
    """``obj`` (a CRD as JSON) with status.acceptedNames.plural/kind and status.storedVersions present."""
    if obj is not None:
        status = obj.setdefault("status", {})
        names = status.setdefault("acceptedNames", {})
        names.setdefault("plural", "")
        names.setdefault("kind", "")
        status.setdefault("storedVersions", [])
    return obj


#: Kinds whose field selectors are exactly metadata.name (and metadata.namespace): what a CR offers.
_FIELDS_LIKE: Final = {True: info_of(core.ConfigMap), False: info_of(core.PersistentVolume)}


def _truthy(value: str | None) -> bool:
    return value in ("1", "t", "T", "true", "TRUE", "True")


def _parse_revision(text: str) -> int:
    if not text.isdigit() or not text.isascii():
        raise _error(apiserver.bad_request(f'invalid resource version: "{text}"'))
    return int(text)
