"""The namespace controller: a terminating namespace is emptied, then finalized, then it goes.

What it models: k/k ``pkg/controller/namespace/deletion/namespaced_resources_deleter.go``
(``Delete``: the phase set to Terminating, ``deleteAllContent`` with
propagationPolicy Background for every namespaced resource, content left
means wait, then ``finalizeNamespace`` removes the ``kubernetes`` finalizer
through ``namespaces/<name>/finalize``; with no finalizer left the namespace
is deleted). Pods bound to a node keep their grace period, as upstream: they
go when their kubelet (or the pod GC) deletes them with grace 0, and the
namespace waits for them.

Simplifications: no NamespaceDeletionContentFailure / ContentRemaining
status conditions, no discovery (the served resources are known), no
estimate of the time left.

Requirement IDs: API-NAMESPACE-CASCADE (declared in spec/apiserver.py).
"""

from __future__ import annotations

import copy

from impl.controllers.client import Resources
from spec.apiserver import NAMESPACE_FINALIZER
from spec.objects import core
from spec.objects.registry import info_of

_NAMESPACES = info_of(core.Namespace)


def reconcile(client: Resources) -> int:
    """One pass over the namespaces being deleted; the number of writes it made."""
    actions = 0
    for namespace in sorted(client.list(_NAMESPACES), key=lambda n: n["metadata"]["name"]):
        metadata = namespace.get("metadata") or {}
        if not metadata.get("deletionTimestamp"):
            continue
        spec_finalizers = list((namespace.get("spec") or {}).get("finalizers") or [])
        if NAMESPACE_FINALIZER not in spec_finalizers:
            if not spec_finalizers and not metadata.get("finalizers"):
                # Finalized but still here (it was finalized elsewhere): delete it now.
                options = {"preconditions": {"uid": metadata.get("uid")}}
                actions += client.delete(_NAMESPACES, "", metadata["name"], options)
            continue
        actions += _delete_content(client, metadata["name"])
        if _remaining(client, metadata["name"]):
            continue  # finalizers or grace periods hold some content: the next pass looks again
        finalized = copy.deepcopy(namespace)
        finalized["spec"]["finalizers"] = [f for f in spec_finalizers if f != NAMESPACE_FINALIZER]
        if client.update(_NAMESPACES, finalized, "finalize") is not None:
            actions += 1
    return actions


def _delete_content(client: Resources, namespace: str) -> int:
    actions = 0
    for info in client.served():
        if not info.namespaced:
            continue
        for obj in client.list(info, namespace):
            metadata = obj.get("metadata") or {}
            if metadata.get("deletionTimestamp"):
                continue
            options = {"propagationPolicy": "Background", "preconditions": {"uid": metadata.get("uid")}}
            actions += client.delete(info, namespace, metadata["name"], options)
    return actions


def _remaining(client: Resources, namespace: str) -> bool:
    return any(client.list(info, namespace) for info in client.served() if info.namespaced)
