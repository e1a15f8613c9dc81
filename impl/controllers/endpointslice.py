"""The reference EndpointSlice controller: each Service with a selector gets slices of its pods' endpoints.

What it does, as k/k ``pkg/controller/endpointslice/endpointslice_controller.go`` and
``staging/src/k8s.io/endpointslice/reconciler.go``, through spec/workloads/endpointslice.py:

- Informers on Services, Pods and EndpointSlices. A Service event queues
  it; a pod event queues every Service of the pod's namespace (upstream
  queues those whose selector matches the pod's old or new labels; the
  informer here gives no old object, so all of the namespace); an event on
  a slice it manages queues that slice's Service (someone else changed or
  deleted it).
- ``sync(key)``: the desired endpoints (``desired_endpoints``), the slices
  it manages for the Service (labels ``kubernetes.io/service-name`` and
  ``endpointslice.kubernetes.io/managed-by``) read back as the spec's
  ``Slice``, then ``pack`` says which slices to create, update and delete,
  and the writes follow; slices owned by an earlier Service of the same
  name are deleted (``ownedBy``); a Service gone (or without a selector) has its
  slices deleted (upstream leaves that to the garbage collector through the
  ownerReference; the simulated control plane runs none).
- Its own writes go into its slice cache at once (what upstream's
  ``endpointSliceTracker`` is for): a second sync before the watch event
  must not create the same slice twice.

``max_endpoints_per_slice`` is a parameter (``--max-endpoints-per-slice``).

Requirement IDs: those of spec/workloads/endpointslice.py, met through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from impl.apiclient import APIClient, Informer, object_key
from impl.controllers.workqueue import SyncError, WorkQueue, process_queued
from spec.workloads.endpointslice import (
    CONTROLLER_NAME,
    LABEL_MANAGED_BY,
    LABEL_SERVICE_NAME,
    MAX_ENDPOINTS_PER_SLICE,
    Endpoint,
    Slice,
    desired_endpoints,
    pack,
    read_slice,
)

SERVICES = "/api/v1/services"
PODS = "/api/v1/pods"
SLICES = "/apis/discovery.k8s.io/v1/endpointslices"


def managed_service(slice_: Mapping[str, Any]) -> str | None:
    """The Service key of a slice this controller manages, else None."""
    metadata = slice_.get("metadata") or {}
    labels = metadata.get("labels") or {}
    if labels.get(LABEL_MANAGED_BY) != CONTROLLER_NAME or not labels.get(LABEL_SERVICE_NAME):
        return None
    return f"{metadata.get('namespace')}/{labels[LABEL_SERVICE_NAME]}"


class EndpointSliceController:
    """One EndpointSlice controller on ``client``; ``step(now)`` syncs the queued Services."""

    name = "endpointslice"

    def __init__(self, client: APIClient, *, max_endpoints_per_slice: int = MAX_ENDPOINTS_PER_SLICE) -> None:
        self.client = client
        self.max_endpoints_per_slice = max_endpoints_per_slice
        self.services = Informer(client, SERVICES)
        self.pods = Informer(client, PODS)
        self.slices = Informer(client, SLICES)
        self.queue = WorkQueue()

    def start(self, now: float) -> None:
        self._service_events(self.services.start())
        self._pod_events(self.pods.start())
        self._slice_events(self.slices.start())

    def close(self) -> None:
        self.services.close()
        self.pods.close()
        self.slices.close()

    def _service_events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for _, service in events:
            self.queue.add(object_key(service))

    def _pod_events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        namespaces = {(pod.get("metadata") or {}).get("namespace") for _, pod in events}
        for key, service in self.services.cache.items():
            if service["metadata"].get("namespace") in namespaces:
                self.queue.add(key)

    def _slice_events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for _, slice_ in events:
            key = managed_service(slice_)
            if key is not None:
                self.queue.add(key)

    def step(self, now: float) -> int:
        self._service_events(self.services.poll(0.0))
        self._pod_events(self.pods.poll(0.0))
        self._slice_events(self.slices.poll(0.0))
        return process_queued(self.queue, self.sync, now, SyncError)

    # -- one sync -------------------------------------------------------------------------------

    def sync(self, key: str, now: float) -> None:
        namespace = key.split("/", 1)[0]
        service = self.services.cache.get(key)
        mine = sorted(
            (s for s in self.slices.cache.values() if managed_service(s) == key),
            key=lambda s: s["metadata"]["name"],
        )
        if service is None or not (service.get("spec") or {}).get("selector"):
            for slice_ in mine:
                self._delete(slice_)
            return
        # Slices of an earlier Service of the same name (not owned by this one) go (``ownedBy``).
        owned = []
        for slice_ in mine:
            if self._owned(service, slice_):
                owned.append(slice_)
            else:
                self._delete(slice_)
        mine = owned
        pods = [p for p in self.pods.cache.values() if p["metadata"].get("namespace") == namespace]
        desired = desired_endpoints(service, pods)
        plan = self._pack([read_slice(s) for s in mine], desired)
        by_name = {s["metadata"]["name"]: s for s in mine}
        for planned in plan:
            current = by_name.pop(planned.name, None)
            body = self._slice_json(service, planned, current)
            if current is None:
                self._write("POST", f"/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices", body)
            elif read_slice(current) != planned or not self._labelled(service, current):
                self._write(
                    "PUT",
                    f"/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices/{planned.name}",
                    body,
                )
        for stale in by_name.values():
            self._delete(stale)

    def _pack(self, existing: list[Slice], desired: dict[str, Endpoint]) -> list[Slice]:
        return pack(existing, desired, self.max_endpoints_per_slice)

    def _owned(self, service: Mapping[str, Any], slice_: Mapping[str, Any]) -> bool:
        owners = (slice_.get("metadata") or {}).get("ownerReferences") or ()
        return any(o.get("uid") == service["metadata"].get("uid") and o.get("controller") for o in owners)

    def _labelled(self, service: Mapping[str, Any], slice_: Mapping[str, Any]) -> bool:
        labels = (slice_.get("metadata") or {}).get("labels") or {}
        return labels == self._labels(service) and self._owned(service, slice_)

    def _labels(self, service: Mapping[str, Any]) -> dict[str, str]:
        return {
            **((service.get("metadata") or {}).get("labels") or {}),
            LABEL_SERVICE_NAME: service["metadata"]["name"],
            LABEL_MANAGED_BY: CONTROLLER_NAME,
        }

    def _slice_json(
        self, service: Mapping[str, Any], planned: Slice, current: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        metadata = service["metadata"]
        meta: dict[str, Any] = {
            "namespace": metadata["namespace"],
            "labels": self._labels(service),
            "ownerReferences": [
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "name": metadata["name"],
                    "uid": metadata["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        }
        if current is None:
            meta["generateName"] = f"{metadata['name']}-"
        else:
            meta["name"] = current["metadata"]["name"]
            meta["resourceVersion"] = current["metadata"]["resourceVersion"]
        return {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": meta,
            "addressType": "IPv4",
            "ports": [{"name": n, "protocol": p, "port": port} for n, p, port in planned.ports],
            "endpoints": [self._endpoint_json(metadata["namespace"], e) for e in planned.endpoints],
        }

    def _endpoint_json(self, namespace: str, endpoint: Endpoint) -> dict[str, Any]:
        out: dict[str, Any] = {
            "addresses": [endpoint.address],
            "conditions": {
                "ready": endpoint.ready,
                "serving": endpoint.serving,
                "terminating": endpoint.terminating,
            },
            "targetRef": {
                "kind": "Pod",
                "namespace": namespace,
                "name": endpoint.pod_name,
                "uid": endpoint.pod_uid,
            },
        }
        if endpoint.node_name:
            out["nodeName"] = endpoint.node_name
        return out

    def _write(self, method: str, path: str, body: dict[str, Any]) -> None:
        status, answer = self.client.call(method, path, body)
        if status >= 300:
            raise SyncError(f"{method} {path}: {status} {answer}")  # a conflict: retry on fresh state
        self.slices.cache[object_key(answer)] = answer

    def _delete(self, slice_: Mapping[str, Any]) -> None:
        metadata = slice_["metadata"]
        status, answer = self.client.call(
            "DELETE",
            f"/apis/discovery.k8s.io/v1/namespaces/{metadata['namespace']}/endpointslices/{metadata['name']}",
        )
        if status >= 300 and status != 404:
            raise SyncError(f"delete slice {metadata['name']}: {status} {answer}")
        self.slices.cache.pop(object_key(slice_), None)
