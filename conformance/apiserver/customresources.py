"""CustomResourceDefinitions through the official client: one generated CRD and its objects per example.

Each example creates a CRD in a group of its own (so runs never collide,
on a fresh reference server or a shared cluster) whose ``spec`` schema is
generated (conformance/strategies/crd_schemas.py), waits -- bounded -- for
it to be Established, then checks through ``ApiextensionsV1Api`` and
``CustomObjectsApi`` what upstream promises:

- API-CRD-CONDITIONS: NamesAccepted and Established True, acceptedNames.
- API-CRD-DISCOVERY: ``/apis`` lists the group, the group version lists
  the plural with its kind, shortNames and ``<plural>/status``.
- API-CRD-SERVE: create/get/list/merge and JSON patch/replace/delete of a
  generated valid object; a strategic merge patch is 415; a watch from
  before the writes replays them in order.
- API-CRD-SCHEMA: a generated object with one leaf mutated is 422 with a
  cause at that leaf's path.
- API-CRD-PRUNE and API-CRD-DEFAULT: an unknown field is gone from what
  create returns; a defaulted field is filled.
- API-CRD-STATUS: status is dropped on create and ignored on the main
  resource; ``/status`` writes it; generation moves with spec only.
- API-CRD-DELETE: once the CRD is deleted, its objects' URLs answer 404
  (bounded wait: a real cluster finalizes asynchronously).

Everything reads the JSON the server sent (``_preload_content=False`` for
the CRD itself), so a model class of the client never hides a field.

Requirement IDs: the API-CRD-* above (declared in spec/apiserver.py and spec/crd_schema.py).
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.strategies.crd_schemas import leaves, mutation, schema_and_value
from conformance.violation import require
from spec.apiserver import (
    API_CRD_CONDITIONS,
    API_CRD_DELETE,
    API_CRD_DISCOVERY,
    API_CRD_SERVE,
    API_CRD_STATUS,
    API_STATUS_ERRORS,
)
from spec.crd_schema import API_CRD_DEFAULT, API_CRD_PRUNE, API_CRD_SCHEMA

#: How long a CRD may take to become Established, and its objects to go once it is deleted.
WAIT_S = 30.0
_groups = itertools.count(1)
PLURAL, KIND, SHORT = "kspecwidgets", "KspecWidget", "ksw"
VERSION = "v1"


def crd_body(group: str, spec_schema: dict[str, Any], namespaced: bool) -> dict[str, Any]:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "value": spec_schema,
                    "defaulted": {"type": "string", "default": "filled"},
                },
            },
            "status": {"type": "object", "properties": {"phase": {"type": "string"}}},
        },
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{PLURAL}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced" if namespaced else "Cluster",
            "names": {"plural": PLURAL, "singular": KIND.lower(), "kind": KIND, "shortNames": [SHORT]},
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                    "subresources": {"status": {}},
                }
            ],
        },
    }


def _wait(condition: Callable[[], bool], timeout_s: float) -> bool:
    """Poll ``condition`` (backing off from 20 ms to 1 s) until it holds or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    pause = 0.02
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


class CustomResourceCheck:
    """One generated CRD, its objects, and its deletion."""

    def __init__(
        self, api: Any, spec_schema: dict[str, Any], value: Any, namespaced: bool, wait_s: float = WAIT_S
    ) -> None:
        from kubernetes import client  # an optional extra: imported only when the suite runs

        self.client = client
        self.extensions = client.ApiextensionsV1Api(api)
        self.objects = client.CustomObjectsApi(api)
        self.core = client.CoreV1Api(api)
        self.apis = client.ApisApi(api)
        self.group = f"g{os.getpid()}x{next(_groups)}.kspec.example.com"
        self.spec_schema = spec_schema
        self.value = value
        self.namespaced = namespaced
        self.wait_s = wait_s
        self.namespace = f"kspec-crd-{os.getpid()}-{next(_groups)}" if namespaced else ""

    # -- the objects API, namespaced or not --------------------------------------------------------------

    def _args(self, name: str | None = None) -> list[Any]:
        args: list[Any] = [self.group, VERSION]
        if self.namespaced:
            args.append(self.namespace)
        args.append(PLURAL)
        if name is not None:
            args.append(name)
        return args

    def _call(self, verb: str, *extra: Any, name: str | None = None, **kwargs: Any) -> Any:
        scope = "namespaced" if self.namespaced else "cluster"
        method = getattr(self.objects, verb.format(scope=scope))
        return method(*self._args(name), *extra, **kwargs)

    def _error(self, call: Callable[[], Any]) -> tuple[int, dict[str, Any]]:
        """(HTTP status, Status body) of a call that must fail; (0, {}) if it succeeded."""
        try:
            call()
        except self.client.ApiException as error:
            try:
                body = json.loads(error.body or "{}")
            except ValueError:
                body = {}
            return error.status, body if isinstance(body, dict) else {}
        return 0, {}

    def _object(self, name: str, value: Any, **extra: Any) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": name}
        return {
            "apiVersion": f"{self.group}/{VERSION}",
            "kind": KIND,
            "metadata": metadata,
            "spec": {"value": value, **extra},
        }

    def _crd(self) -> dict[str, Any] | None:
        try:
            response = self.extensions.read_custom_resource_definition(
                f"{PLURAL}.{self.group}", _preload_content=False
            )
        except self.client.ApiException as error:
            if error.status == 404:
                return None
            raise
        crd: dict[str, Any] = json.loads(response.data)
        return crd

    # -- the run ------------------------------------------------------------------------------------------

    def run(self, mutated_leaf: int) -> None:
        if self.namespaced:
            self.core.create_namespace(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace}}
            )
        self.extensions.create_custom_resource_definition(
            crd_body(self.group, self.spec_schema, self.namespaced), _preload_content=False
        )
        try:
            self._established()
            self._discovery()
            self._objects(mutated_leaf)
        finally:
            self._delete_definition()
            if self.namespaced:
                try:
                    self.core.delete_namespace(self.namespace, _preload_content=False)
                except self.client.ApiException:
                    pass  # namespace deletion is not this suite's subject

    def _established(self) -> None:
        def established() -> bool:
            crd = self._crd() or {}
            conditions = {
                c.get("type"): c.get("status") for c in crd.get("status", {}).get("conditions") or []
            }
            return conditions.get("Established") == "True"

        require(
            API_CRD_CONDITIONS,
            _wait(established, self.wait_s),
            lambda: f"CRD {PLURAL}.{self.group} not Established within {self.wait_s} s: {self._crd()}",
        )
        crd = self._crd() or {}
        status = crd.get("status", {})
        conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        require(
            API_CRD_CONDITIONS,
            conditions.get("NamesAccepted") == "True"
            and status.get("acceptedNames", {}).get("plural") == PLURAL
            and status.get("acceptedNames", {}).get("kind") == KIND,
            lambda: f"names not accepted: {status}",
        )

    def _discovery(self) -> None:
        def listed() -> bool:
            groups = self.apis.get_api_versions().groups or []
            return any(group.name == self.group for group in groups)

        require(API_CRD_DISCOVERY, _wait(listed, self.wait_s), lambda: f"/apis does not list {self.group}")
        resources = {r.name: r for r in self.objects.get_api_resources(self.group, VERSION).resources}
        main = resources.get(PLURAL)
        require(
            API_CRD_DISCOVERY,
            main is not None
            and main.kind == KIND
            and main.namespaced == self.namespaced
            and SHORT in (main.short_names or [])
            and {"create", "get", "list", "watch", "update", "patch", "delete"} <= set(main.verbs),
            lambda: f"{self.group}/{VERSION} lists {PLURAL} as {main}",
        )
        require(
            API_CRD_DISCOVERY,
            f"{PLURAL}/status" in resources,
            lambda: f"{PLURAL}/status missing from {sorted(resources)}",
        )

    def _objects(self, mutated_leaf: int) -> None:
        start = self._call("list_{scope}_custom_object")["metadata"]["resourceVersion"]
        self._changes(mutated_leaf)
        self._watch_replays(start)

    def _watch_replays(self, start: str) -> None:
        """A watch from before the run's writes sees "valid" ADDED first and DELETED last, versions rising."""
        from kubernetes import watch

        method = getattr(self.objects, f"list_{'namespaced' if self.namespaced else 'cluster'}_custom_object")
        stream = watch.Watch()
        seen: list[tuple[str, int]] = []
        for event in stream.stream(method, *self._args(), resource_version=start, timeout_seconds=5):
            obj = event["object"]
            if obj["metadata"]["name"] == "valid":
                seen.append((event["type"], int(obj["metadata"]["resourceVersion"])))
            if event["type"] == "DELETED" and obj["metadata"]["name"] == "valid":
                stream.stop()
        types = [kind for kind, _ in seen]
        versions = [version for _, version in seen]
        require(
            API_CRD_SERVE,
            types[:1] == ["ADDED"] and types[-1:] == ["DELETED"] and "MODIFIED" in types,
            lambda: f"a watch from {start} saw {seen}",
        )
        require(
            API_CRD_SERVE,
            versions == sorted(versions) and len(set(versions)) == len(versions),
            lambda: f"a watch from {start} saw resourceVersions {versions}",
        )

    def _changes(self, mutated_leaf: int) -> None:
        body = self._object("valid", self.value, junk="pruned")
        body["status"] = {"phase": "ignored"}
        created = self._call("create_{scope}_custom_object", body)
        spec = created.get("spec", {})
        require(API_CRD_SERVE, spec.get("value") == self.value, lambda: f"created {created}, sent {body}")
        require(API_CRD_PRUNE, "junk" not in spec, lambda: f"an unknown field survived: {created}")
        require(API_CRD_DEFAULT, spec.get("defaulted") == "filled", lambda: f"no default in {created}")
        require(API_CRD_STATUS, "status" not in created, lambda: f"status kept on create: {created}")
        require(API_CRD_STATUS, created["metadata"].get("generation") == 1, lambda: f"generation: {created}")
        got = self._call("get_{scope}_custom_object", name="valid")
        require(API_CRD_SERVE, got == created, lambda: f"get {got} != created {created}")
        listed = self._call("list_{scope}_custom_object")
        names = [item["metadata"]["name"] for item in listed.get("items", [])]
        require(API_CRD_SERVE, names == ["valid"], lambda: f"list: {names}")

        # the mutated object: 422 at the mutated leaf
        found = leaves(self.spec_schema, self.value, "spec.value")
        if found:
            where, leaf_schema, keys = found[mutated_leaf % len(found)]
            broken = json.loads(json.dumps(self.value))
            if keys:
                container = broken
                for key in keys[:-1]:
                    container = container[key]
                container[keys[-1]] = mutation(leaf_schema, container[keys[-1]])
            else:
                broken = mutation(leaf_schema, broken)
            code, status = self._error(
                lambda: self._call("create_{scope}_custom_object", self._object("broken", broken))
            )
            fields = [cause.get("field") for cause in (status.get("details") or {}).get("causes") or []]
            require(API_CRD_SCHEMA, code == 422, lambda: f"{where} mutated: HTTP {code} {status}")
            require(API_CRD_SCHEMA, where in fields, lambda: f"{where} mutated: causes at {fields}")
            require(
                API_STATUS_ERRORS,
                status.get("kind") == "Status" and status.get("reason") == "Invalid",
                lambda: f"the 422 is not an Invalid Status: {status}",
            )

        # status subresource and generation
        with_status = dict(got, status={"phase": "Running"})
        written = self._call("replace_{scope}_custom_object_status", with_status, name="valid")
        require(
            API_CRD_STATUS,
            written.get("status") == {"phase": "Running"} and written["metadata"]["generation"] == 1,
            lambda: f"/status wrote {written}",
        )
        main = dict(written, status={"phase": "Ignored"}, spec=dict(written["spec"], defaulted="changed"))
        replaced = self._call("replace_{scope}_custom_object", main, name="valid")
        require(
            API_CRD_STATUS,
            replaced.get("status") == {"phase": "Running"}
            and replaced["metadata"]["generation"] == 2
            and replaced["spec"].get("defaulted") == "changed",
            lambda: f"main resource update gave {replaced}",
        )
        labelled = self._call(
            "patch_{scope}_custom_object", {"metadata": {"labels": {"a": "b"}}}, name="valid"
        )
        require(
            API_CRD_STATUS,
            labelled["metadata"]["generation"] == 2 and labelled["metadata"].get("labels") == {"a": "b"},
            lambda: f"a metadata merge patch gave {labelled}",
        )
        patched = self._call(
            "patch_{scope}_custom_object",
            [{"op": "replace", "path": "/spec/defaulted", "value": "again"}],
            name="valid",
            _content_type="application/json-patch+json",
        )
        require(
            API_CRD_SERVE, patched["spec"].get("defaulted") == "again", lambda: f"JSON patch gave {patched}"
        )
        code, _ = self._error(
            lambda: self._call(
                "patch_{scope}_custom_object",
                {"spec": {}},
                name="valid",
                _content_type="application/strategic-merge-patch+json",
            )
        )
        require(API_CRD_SERVE, code == 415, lambda: f"a strategic merge patch answered {code}, not 415")
        self._call("delete_{scope}_custom_object", name="valid")
        code, _ = self._error(lambda: self._call("get_{scope}_custom_object", name="valid"))
        require(API_CRD_SERVE, code == 404, lambda: f"get after delete answered {code}")
        self._call("create_{scope}_custom_object", self._object("left-behind", self.value))

    def _delete_definition(self) -> None:
        self.extensions.delete_custom_resource_definition(f"{PLURAL}.{self.group}", _preload_content=False)

        def gone() -> bool:
            code, _ = self._error(lambda: self._call("list_{scope}_custom_object"))
            return code == 404

        require(
            API_CRD_DELETE,
            _wait(gone, self.wait_s),
            lambda: f"{PLURAL}.{self.group} still served {self.wait_s} s after delete",
        )
        require(
            API_CRD_DELETE,
            _wait(lambda: self._crd() is None, self.wait_s),
            lambda: "the CRD was never removed",
        )


def run_checks(api: Any, run_settings: settings, wait_s: float = WAIT_S) -> None:
    """``CustomResourceCheck`` over generated schemas, values, scopes and mutated leaves."""

    @run_settings
    @given(schema_and_value(), st.booleans(), st.integers(0, 50))
    def check(case: tuple[dict[str, Any], Any], namespaced: bool, leaf: int) -> None:
        schema, value = case
        CustomResourceCheck(api, schema, value, namespaced, wait_s).run(leaf)

    check()
