"""PATCH bodies: JSON merge patch, JSON patch and strategic merge patch, as pure functions on JSON values.

What it models: the three patch formats kube-apiserver accepts on
``PATCH`` besides server-side apply, applied to the object's JSON (the
versioned object, as upstream encodes it before patching).

- JSON merge patch, RFC 7386 (``application/merge-patch+json``): objects
  merge recursively, ``null`` deletes a key, anything else (arrays
  included) replaces. ``create_merge_patch`` is the inverse: the patch that
  turns one document into another.
- JSON patch, RFC 6902 (``application/json-patch+json``): ``add``,
  ``remove``, ``replace``, ``move``, ``copy``, ``test`` on RFC 6901 JSON
  pointers (``~0`` is ``~``, ``~1`` is ``/``, ``-`` appends to an array).
  The operations apply in order to a copy; any failure aborts the whole
  patch, so the input is never partly patched.
- Strategic merge patch (``application/strategic-merge-patch+json``, what
  the official clients send for a dict body): a merge patch, except that a
  list whose Go field is tagged ``patchStrategy:"merge"`` merges element by
  element on its ``patchMergeKey`` (or, for a list of strings, as a set), and
  the directives ``$patch: replace`` / ``$patch: delete`` (in a map or as a
  list element), ``$deleteFromPrimitiveList/<field>`` and ``$retainKeys``.
  ``STRATEGIC_FIELDS`` is the table of tagged fields per Go type and
  ``STRATEGIC_ROOTS`` the Go type of each kind.

Upstream (read, not copied):

- ``k8s.io/apiserver pkg/endpoints/handlers/patch.go``: the accepted content
  types (anything else: 415 from ``negotiation.NewUnsupportedMediaTypeError``,
  "the body of the request was in an unknown format - accepted media types
  include: ..."); ``applyJSPatch``: a JSON patch that does not decode
  (``jsonpatch.DecodePatch``: not an array of objects) is 400 BadRequest, one
  that fails to apply is ``NewGenericServerResponse(422, ...)``: reason
  Invalid, "the server rejected our request due to an error in our request";
  a merge patch that is not JSON is 400 (``jsonpatch.ErrBadJSONPatch``);
  ``strategicPatchObject``: a body that is not a JSON object is 400;
  ``interpretStrategicMergePatchError``: ``ErrBadJSONDoc``,
  ``ErrBadPatchFormatForPrimitiveList``, ``ErrBadPatchFormatForRetainKeys``
  are 400, ``ErrNoListOfLists`` is 422; a patched object that does not decode as the kind is
  ``NewInvalid`` on the field ``patch`` (422).
- ``k8s.io/apimachinery pkg/util/strategicpatch/patch.go`` (``mergeMap``,
  ``mergeSlice``, ``mergeSliceWithSpecialElements``,
  ``mergeSliceWithoutSpecialElements``, ``deleteFromSlice``,
  ``normalizeElementOrder``/``mergeSortedSlice``: patch elements keep the
  patch's order and elements only on the server are slotted in by their old
  order; ``applyRetainKeysDirective``; ``removeDirectives``; the options
  ``MergeParallelList`` and ``IgnoreUnmatchedNulls`` that
  ``StrategicMergeMapPatch`` uses) and ``pkg/util/mergepatch/errors.go``.
- ``k8s.io/api core/v1/types.go``, ``apps/v1/types.go``, ``batch/v1/types.go``
  and apimachinery ``pkg/apis/meta/v1/types.go``: the ``patchStrategy`` and
  ``patchMergeKey`` struct tags in ``STRATEGIC_FIELDS``.
- gopkg.in/evanphx/json-patch.v4 (what patch.go uses): ``replace`` and
  ``remove`` need an existing target, ``test`` compares JSON values.

Not modelled, and deviations:

- ``$setElementOrder/<field>`` (kubectl apply's ordering hint) is dropped
  without effect: lists come out in ``mergeSlice``'s order instead.
- Strategic errors upstream passes through unwrapped (a list element
  without its merge key, an unknown ``$patch`` value, mixed element types)
  become 500s there; here they are ``StrategicPatchError`` (422 in the
  server), because a client's body should never produce a 5xx.
- Go types not in ``STRATEGIC_FIELDS`` (kinds without tagged fields, and a
  kind the table does not know) merge as if no field were tagged: maps merge,
  lists replace, directives still apply. Upstream rejects strategic merge
  patches for custom resources (415 from the apiextensions server), which
  this server does not serve as resources.
- New list elements and new map values are cleaned of nulls and directives
  as they are added (upstream leaves them for the decoder to drop).

Requirement IDs (component ``apiserver``): API-PATCH-MERGE, API-PATCH-JSON,
API-PATCH-STRATEGIC, API-PATCH-CONTENT-TYPE.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from spec.requirements import requirement

#: A decoded JSON value (dict, list, str, int, float, bool or None).
JSON = Any

_HANDLERS = "k8s.io/apiserver pkg/endpoints/handlers/patch.go"

API_PATCH_MERGE = requirement(
    "API-PATCH-MERGE",
    "A PATCH with Content-Type application/merge-patch+json MUST apply the body to the stored object as "
    "RFC 7386 says (objects merge recursively, null deletes, anything else replaces), then store it as an "
    "update would.",
    component="apiserver",
    source=f"RFC 7386; {_HANDLERS} (jsonPatcher, MergePatchType)",
)
API_PATCH_JSON = requirement(
    "API-PATCH-JSON",
    "A PATCH with Content-Type application/json-patch+json MUST apply the operations in order as RFC 6902 "
    "says; a body that is not an array of operations MUST be 400, and an operation that fails (a failed "
    "test, a missing path) MUST be 422 with nothing stored.",
    component="apiserver",
    source=f"RFC 6902, RFC 6901; {_HANDLERS} (applyJSPatch)",
)
API_PATCH_STRATEGIC = requirement(
    "API-PATCH-STRATEGIC",
    "A PATCH with Content-Type application/strategic-merge-patch+json MUST merge lists tagged "
    'patchStrategy:"merge" element by element on their patchMergeKey (sets for lists of strings), honour '
    "$patch: replace/delete, $deleteFromPrimitiveList and $retainKeys, and otherwise behave as a merge "
    "patch.",
    component="apiserver",
    source="apimachinery pkg/util/strategicpatch/patch.go; k8s.io/api */types.go patchStrategy tags",
)
API_PATCH_CONTENT_TYPE = requirement(
    "API-PATCH-CONTENT-TYPE",
    "A PATCH whose Content-Type is not one of the patch types MUST be answered with 415 "
    "UnsupportedMediaType naming the accepted types; a patched object MUST then go through the update "
    "path (resourceVersion precondition, validation, generation, status subresource rules).",
    component="apiserver",
    source=f"{_HANDLERS} (PatchResource, patchResource via rest.Update)",
)

MERGE_PATCH: Final = "application/merge-patch+json"
JSON_PATCH: Final = "application/json-patch+json"
STRATEGIC_MERGE_PATCH: Final = "application/strategic-merge-patch+json"
#: The order upstream lists them in the 415 message (server-side apply is not served here).
PATCH_TYPES: Final = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH)


class PatchError(ValueError):
    """A patch that cannot be applied. ``malformed`` errors are 400 upstream, the others 422."""

    malformed: bool = False


class MalformedPatch(PatchError):
    """The body is not a patch of its type at all (400 BadRequest upstream)."""

    malformed = True


class JSONPatchFailed(PatchError):
    """An RFC 6902 operation that does not apply (a failed ``test``, a missing path, an unknown op)."""


class StrategicPatchError(PatchError):
    """A strategic merge patch that is JSON but does not fit the object (422 here)."""


def unsupported_patch_type() -> dict[str, Any]:
    """The 415 Status for any other Content-Type (``negotiation.NewUnsupportedMediaTypeError``)."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(PATCH_TYPES),
        "reason": "UnsupportedMediaType",
        "code": 415,
    }


# -- JSON values ----------------------------------------------------------------------------------


def json_equal(left: JSON, right: JSON) -> bool:
    """Equality of JSON values: numbers by value (1 == 1.0), but true is not 1 as it is in Python."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right, strict=True))
    return type(left) is type(right) and bool(left == right)


# -- RFC 7386 JSON merge patch ----------------------------------------------------------------------


def apply_merge_patch(target: JSON, patch: JSON) -> JSON:
    """RFC 7386 ``MergePatch(Target, Patch)``; neither argument is modified."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result


def create_merge_patch(original: JSON, modified: JSON) -> JSON:
    """A merge patch that turns ``original`` into ``modified``.

    Exact when ``modified`` has no null member values (a merge patch cannot
    set a member to null: null means delete).
    """
    if not (isinstance(original, dict) and isinstance(modified, dict)):
        return copy.deepcopy(modified)
    patch: dict[str, JSON] = {key: None for key in original if key not in modified}
    for key, value in modified.items():
        if key not in original:
            patch[key] = copy.deepcopy(value)
        elif isinstance(original[key], dict) and isinstance(value, dict):
            nested = create_merge_patch(original[key], value)
            if nested:
                patch[key] = nested
        elif not json_equal(original[key], value):
            patch[key] = copy.deepcopy(value)
    return patch


# -- RFC 6902 JSON patch ----------------------------------------------------------------------------

_BAD_ESCAPE: Final = re.compile(r"~(?![01])")
_ARRAY_INDEX: Final = re.compile(r"^(0|[1-9][0-9]*)$")


def parse_pointer(pointer: str) -> list[str]:
    """RFC 6901: the reference tokens of a JSON pointer (``""`` is the whole document)."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise JSONPatchFailed(f'JSON pointer must be empty or start with "/": {pointer!r}')
    if _BAD_ESCAPE.search(pointer):
        raise JSONPatchFailed(f"JSON pointer has a '~' not followed by 0 or 1: {pointer!r}")
    # ~1 first, then ~0, so that "~01" is "~1" and not "/" (RFC 6901 section 4).
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


def check_json_patch(patch: JSON) -> list[dict[str, JSON]]:
    """The operations of a JSON patch body, or ``MalformedPatch`` (``DecodePatch``: an array of objects)."""
    if not isinstance(patch, list) or not all(isinstance(op, dict) for op in patch):
        raise MalformedPatch("a JSON patch must be an array of operation objects")
    return patch


def _index(container: list[JSON], token: str, *, appending: bool) -> int:
    if appending and token == "-":
        return len(container)
    if not _ARRAY_INDEX.match(token):
        raise JSONPatchFailed(f"{token!r} is not an array index")
    index = int(token)
    if index > len(container) or (index == len(container) and not appending):
        raise JSONPatchFailed(f"array index {index} is out of bounds (length {len(container)})")
    return index


def _resolve(document: JSON, tokens: list[str]) -> JSON:
    node = document
    for token in tokens:
        if isinstance(node, dict):
            if token not in node:
                raise JSONPatchFailed(f"member {token!r} does not exist")
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, appending=False)]
        else:
            raise JSONPatchFailed(f"cannot step into {type(node).__name__} with {token!r}")
    return node


def _add(document: JSON, tokens: list[str], value: JSON) -> JSON:
    if not tokens:
        return value
    parent = _resolve(document, tokens[:-1])
    if isinstance(parent, dict):
        parent[tokens[-1]] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, tokens[-1], appending=True), value)
    else:
        raise JSONPatchFailed(f"cannot add to a {type(parent).__name__}")
    return document


def _remove(document: JSON, tokens: list[str]) -> tuple[JSON, JSON]:
    """(the document, the removed value)."""
    if not tokens:
        raise JSONPatchFailed("cannot remove the whole document")
    parent = _resolve(document, tokens[:-1])
    if isinstance(parent, dict):
        if tokens[-1] not in parent:
            raise JSONPatchFailed(f"member {tokens[-1]!r} does not exist")
        return document, parent.pop(tokens[-1])
    if isinstance(parent, list):
        return document, parent.pop(_index(parent, tokens[-1], appending=False))
    raise JSONPatchFailed(f"cannot remove from a {type(parent).__name__}")


def _member(operation: Mapping[str, JSON], name: str) -> JSON:
    if name not in operation:
        raise JSONPatchFailed(f"operation {operation.get('op')!r} needs {name!r}")
    return operation[name]


def _pointer(operation: Mapping[str, JSON], name: str) -> list[str]:
    pointer = _member(operation, name)
    if not isinstance(pointer, str):
        raise JSONPatchFailed(f"{name!r} must be a string")
    return parse_pointer(pointer)


def _apply_operation(document: JSON, operation: Mapping[str, JSON]) -> JSON:
    op = operation.get("op")
    path = _pointer(operation, "path")
    if op == "add":
        return _add(document, path, copy.deepcopy(_member(operation, "value")))
    if op == "remove":
        return _remove(document, path)[0]
    if op == "replace":
        value = copy.deepcopy(_member(operation, "value"))
        _resolve(document, path)  # the target must exist
        return _add(_remove(document, path)[0], path, value) if path else value
    if op == "move":
        source = _pointer(operation, "from")
        if path[: len(source)] == source and len(path) > len(source):
            raise JSONPatchFailed("cannot move a value into one of its own children")
        if source == path:
            _resolve(document, source)
            return document
        document, value = _remove(document, source)
        return _add(document, path, value)
    if op == "copy":
        value = copy.deepcopy(_resolve(document, _pointer(operation, "from")))
        return _add(document, path, value)
    if op == "test":
        if not json_equal(_resolve(document, path), _member(operation, "value")):
            raise JSONPatchFailed(f"test failed: the value at {operation['path']!r} is not the one given")
        return document
    raise JSONPatchFailed(f"unknown operation {op!r}")


def apply_json_patch(document: JSON, patch: JSON) -> JSON:
    """RFC 6902: the operations in order on a copy of ``document``; raises if any fails (nothing applied)."""
    result = copy.deepcopy(document)
    for operation in check_json_patch(patch):
        result = _apply_operation(result, operation)
    return result


# -- strategic merge patch: the tagged fields -------------------------------------------------------


@dataclass(frozen=True)
class MergeList:
    """A list field tagged ``patchStrategy:"merge"``: ``merge_key`` ("" for a set of scalars)."""

    merge_key: str = ""
    element: str | None = None  # the Go type of a map element, when it has tagged fields itself


#: A field's patch metadata: the Go type of a nested struct (by name), or a merge list.
FieldMeta = str | MergeList

_CONDITIONS: Final = MergeList("type")
_OBJECT: Final[dict[str, FieldMeta]] = {"metadata": "ObjectMeta"}
_WORKLOAD: Final[dict[str, FieldMeta]] = {**_OBJECT, "spec": "WorkloadSpec", "status": "ConditionsStatus"}

#: ``patchStrategy``/``patchMergeKey`` tags by Go type, from k8s.io/api and apimachinery types.go (the
#: kinds ``spec.objects`` serves; workload specs share one entry since only ``template`` is tagged below).
STRATEGIC_FIELDS: Final[dict[str, dict[str, FieldMeta]]] = {
    # meta/v1 ObjectMeta: ownerReferences (merge, uid), finalizers (merge: a set of strings).
    "ObjectMeta": {"ownerReferences": MergeList("uid"), "finalizers": MergeList()},
    "PodTemplateSpec": {**_OBJECT, "spec": "PodSpec"},
    # core/v1 PodSpec: volumes and resourceClaims are "merge,retainKeys" on name.
    "PodSpec": {
        "volumes": MergeList("name"),
        "initContainers": MergeList("name", "Container"),
        "containers": MergeList("name", "Container"),
        "ephemeralContainers": MergeList("name", "Container"),
        "imagePullSecrets": MergeList("name"),
        "hostAliases": MergeList("ip"),
        "topologySpreadConstraints": MergeList("topologyKey"),
        "schedulingGates": MergeList("name"),
        "resourceClaims": MergeList("name"),
    },
    # core/v1 Container and EphemeralContainerCommon carry the same tags.
    "Container": {
        "ports": MergeList("containerPort"),
        "env": MergeList("name"),
        "volumeMounts": MergeList("mountPath"),
        "volumeDevices": MergeList("devicePath"),
    },
    "PodStatus": {
        "conditions": _CONDITIONS,
        "podIPs": MergeList("ip"),
        "hostIPs": MergeList("ip"),
        "resourceClaimStatuses": MergeList("name"),
    },
    "Pod": {**_OBJECT, "spec": "PodSpec", "status": "PodStatus"},
    "NodeSpec": {"podCIDRs": MergeList()},
    "NodeStatus": {"conditions": _CONDITIONS, "addresses": MergeList("type")},
    "Node": {**_OBJECT, "spec": "NodeSpec", "status": "NodeStatus"},
    "ServiceSpec": {"ports": MergeList("port")},
    "Service": {**_OBJECT, "spec": "ServiceSpec", "status": "ConditionsStatus"},
    "ServiceAccount": {**_OBJECT, "secrets": MergeList("name")},
    # NamespaceStatus, PersistentVolumeClaimStatus, ServiceStatus and the apps/batch statuses: conditions
    # merge on type.
    "ConditionsStatus": {"conditions": _CONDITIONS},
    "Namespace": {**_OBJECT, "status": "ConditionsStatus"},
    "PersistentVolumeClaim": {**_OBJECT, "status": "ConditionsStatus"},
    "WorkloadSpec": {"template": "PodTemplateSpec"},
    "Deployment": _WORKLOAD,
    "ReplicaSet": _WORKLOAD,
    "StatefulSet": _WORKLOAD,
    "DaemonSet": _WORKLOAD,
    "Job": _WORKLOAD,
    "JobTemplateSpec": {**_OBJECT, "spec": "WorkloadSpec"},
    "CronJobSpec": {"jobTemplate": "JobTemplateSpec"},
    "CronJob": {**_OBJECT, "spec": "CronJobSpec"},
    "Object": _OBJECT,
}

_TAGGED_KINDS: Final = {
    ("v1", "Pod"): "Pod",
    ("v1", "Node"): "Node",
    ("v1", "Service"): "Service",
    ("v1", "ServiceAccount"): "ServiceAccount",
    ("v1", "Namespace"): "Namespace",
    ("v1", "PersistentVolumeClaim"): "PersistentVolumeClaim",
    ("apps/v1", "Deployment"): "Deployment",
    ("apps/v1", "ReplicaSet"): "ReplicaSet",
    ("apps/v1", "StatefulSet"): "StatefulSet",
    ("apps/v1", "DaemonSet"): "DaemonSet",
    ("batch/v1", "Job"): "Job",
    ("batch/v1", "CronJob"): "CronJob",
}


def strategic_root(api_version: str, kind: str) -> str:
    """The Go type a kind's patch starts at; other kinds have only ObjectMeta's tags."""
    return _TAGGED_KINDS.get((api_version, kind), "Object")


# -- strategic merge patch: applying it --------------------------------------------------------------

_DIRECTIVE: Final = "$patch"
_DELETE_FROM_PRIMITIVE_LIST: Final = "$deleteFromPrimitiveList/"
_SET_ELEMENT_ORDER: Final = "$setElementOrder/"
_RETAIN_KEYS: Final = "$retainKeys"


def _field(type_name: str | None, key: str) -> FieldMeta | None:
    return STRATEGIC_FIELDS.get(type_name or "", {}).get(key)


def _clean(value: JSON) -> tuple[JSON, bool]:
    """``removeDirectives`` with the nulls dropped: (the value, whether to keep it)."""
    if isinstance(value, dict):
        if _DIRECTIVE in value:
            return None, False
        cleaned = {}
        for key, item in value.items():
            if item is None or key.startswith(("$", _SET_ELEMENT_ORDER)):
                continue
            kept, keep = _clean(item)
            if keep:
                cleaned[key] = kept
        return cleaned, True
    if isinstance(value, list):
        kept_items = [_clean(item) for item in value]
        return [item for item, keep in kept_items if keep], True
    return value, True


def _kind_of(value: JSON) -> str:
    return "map" if isinstance(value, dict) else "list" if isinstance(value, list) else "scalar"


def _element_kind(original: list[JSON], patch: list[JSON]) -> str:
    """``sliceElementType``: one kind for every element, and never a list of lists."""
    kinds = {_kind_of(item) for item in original + patch}
    if "list" in kinds:
        raise StrategicPatchError("lists of lists are not supported")
    if len(kinds) > 1:
        raise StrategicPatchError("the elements of a list are not all of one type")
    return kinds.pop() if kinds else "scalar"


def _position(items: list[JSON], item: JSON, key_of: Callable[[JSON], JSON]) -> int:
    wanted = key_of(item)
    return next((i for i, other in enumerate(items) if json_equal(key_of(other), wanted)), -1)


def _ordered(
    merged: list[JSON], patch: list[JSON], original: list[JSON], key_of: Callable[[JSON], JSON]
) -> list[JSON]:
    """``normalizeElementOrder``: patch elements in the patch's order, server-only ones slotted in."""
    from_patch = [item for item in merged if _position(patch, item, key_of) >= 0]
    server_only = [item for item in merged if _position(patch, item, key_of) < 0]
    from_patch.sort(key=lambda item: _position(patch, item, key_of))
    server_only.sort(key=lambda item: _position(original, item, key_of))
    result: list[JSON] = []
    left, right = 0, 0
    while left < len(server_only) or right < len(from_patch):
        if right >= len(from_patch):
            result.append(server_only[left])
            left += 1
        elif left >= len(server_only):
            result.append(from_patch[right])
            right += 1
        else:
            # A server-only element goes first only if both are in the old list and it came first there.
            mine = _position(original, server_only[left], key_of)
            theirs = _position(original, from_patch[right], key_of)
            if mine >= 0 and theirs >= 0 and mine < theirs:
                result.append(server_only[left])
                left += 1
            else:
                result.append(from_patch[right])
                right += 1
    return result


def _merge_key_value(item: JSON, merge_key: str) -> JSON:
    if not isinstance(item, dict) or merge_key not in item:
        raise StrategicPatchError(f"map: {item!r} does not contain declared merge key: {merge_key}")
    return item[merge_key]


def _merge_list(original: list[JSON], patch: list[JSON], meta: MergeList) -> list[JSON]:
    """``mergeSlice`` for a list tagged merge."""
    if not original and not patch:
        return []
    if _element_kind(original, patch) != "map":
        merged: list[JSON] = []
        for item in original + patch:  # a union that keeps the first of equal scalars
            if not any(json_equal(item, seen) for seen in merged):
                merged.append(item)
        return _ordered(merged, patch, original, lambda item: item)
    key = meta.merge_key
    if not key:
        raise StrategicPatchError("cannot merge lists of maps without a merge key")
    remaining, replace = list(original), False
    plain: list[JSON] = []
    for item in patch:
        directive = item.get(_DIRECTIVE)
        if directive is None and _DIRECTIVE not in item:
            plain.append(item)
        elif directive == "delete":
            value = _merge_key_value(item, key)
            remaining = [kept for kept in remaining if not json_equal(kept.get(key), value)]
        elif directive == "replace":
            replace = True
        else:
            raise StrategicPatchError(f"unknown patch type: {directive!r} in map: {item!r}")
    if replace:
        # "$patch: replace" in a list: the patch's other elements are the whole list.
        return [_clean(item)[0] for item in plain]
    merged = list(remaining)
    for item in plain:
        value = _merge_key_value(item, key)
        found = next((i for i, kept in enumerate(merged) if json_equal(kept.get(key), value)), None)
        if found is None:
            merged.append(_clean(item)[0])
        else:
            merged[found] = _merge_map(merged[found], item, meta.element)
    return _ordered(merged, plain, remaining, lambda item: item.get(key))


def _retain_keys(original: dict[str, JSON], patch: dict[str, JSON]) -> dict[str, JSON]:
    """``applyRetainKeysDirective``: drop the original's keys the list does not name."""
    if _RETAIN_KEYS not in patch:
        return original
    retained = patch[_RETAIN_KEYS]
    if not isinstance(retained, list):
        raise MalformedPatch("invalid patch format of retainKeys")
    for key, value in patch.items():
        if value is not None and not key.startswith("$") and key not in retained:
            raise MalformedPatch("invalid patch format of retainKeys")
    return {key: value for key, value in original.items() if key in retained}


def _merge_map(original: JSON, patch: dict[str, JSON], type_name: str | None) -> JSON:
    """``mergeMap`` with ``MergeParallelList`` and ``IgnoreUnmatchedNulls``, without modifying its inputs."""
    if _DIRECTIVE in patch:
        directive = patch[_DIRECTIVE]
        if directive == "replace":
            return _clean({key: value for key, value in patch.items() if key != _DIRECTIVE})[0]
        if directive == "delete":
            return {}
        raise StrategicPatchError(f"unknown patch type: {directive!r} in map: {patch!r}")
    result = _retain_keys(dict(original) if isinstance(original, dict) else {}, patch)
    for key, value in patch.items():
        if key == _RETAIN_KEYS or key.startswith(_SET_ELEMENT_ORDER):
            continue
        if key.startswith(_DELETE_FROM_PRIMITIVE_LIST):
            target = key[len(_DELETE_FROM_PRIMITIVE_LIST) :]
            listed: JSON = result.get(target)
            if value is None:
                result.pop(target, None)  # as upstream: a null deletion list deletes the list
            elif isinstance(listed, list) and isinstance(value, list):
                _element_kind(listed, value)
                result[target] = [item for item in listed if not any(json_equal(item, v) for v in value)]
            continue  # anything else is ignored, as mergeMap skips a deletion list of another type
        if value is None:
            result.pop(key, None)
            continue
        current: JSON = result.get(key)
        if key not in result or _kind_of(current) != _kind_of(value) or _kind_of(value) == "scalar":
            cleaned, keep = _clean(value)
            if keep:
                result[key] = cleaned
            else:
                result.pop(key, None)
            continue
        meta = _field(type_name, key)
        if isinstance(value, dict):
            result[key] = _merge_map(current, value, meta if isinstance(meta, str) else None)
        elif isinstance(meta, MergeList):
            result[key] = _merge_list(current, value, meta)
        else:
            result[key] = _clean(value)[0]  # an untagged list: the patch's list replaces it
    return result


def apply_strategic_merge_patch(original: JSON, patch: JSON, root: str | None) -> JSON:
    """``StrategicMergeMapPatch`` of ``patch`` onto ``original``, whose Go type is ``root``.

    ``root`` names an entry of ``STRATEGIC_FIELDS`` (``strategic_root``
    gives it for a kind); None or an unknown name means no tagged fields.
    """
    if not isinstance(patch, dict):
        raise MalformedPatch("a strategic merge patch must be a JSON object")
    if not isinstance(original, dict):
        raise MalformedPatch("invalid JSON document")
    return _merge_map(copy.deepcopy(original), patch, root)
