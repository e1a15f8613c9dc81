"""The garbage collector: owner references and the orphan and foregroundDeletion finalizers (simplified).

What it models: kube-controller-manager's garbage collector (k/k
``pkg/controller/garbagecollector/garbagecollector.go``: ``attemptToDeleteItem``,
``classifyReferences``, ``isDangling``, ``processDeletingDependentsItem``,
``orphanDependents``; ``graph_builder.go``), without its informers and work
queues: each ``reconcile`` lists every served resource, builds the
dependency graph from ``metadata.ownerReferences`` and takes every action the
graph calls for, through the API (``impl/controllers/client.Resources``).

- An owner reference resolves by kind (apiVersion + kind), name and uid: a
  namespaced owner is looked for in the dependent's namespace (a reference
  elsewhere is absent), a cluster-scoped one cluster-wide. An object of that
  name with another uid is absent too. A cluster-scoped dependent naming a
  namespaced owner kind, or a kind the server does not serve, cannot be
  resolved and counts as a live owner (upstream reports
  OwnerRefInvalidNamespace and never collects it).
- Background: an object whose owners are all absent, or absent or waiting
  for their dependents (foregroundDeletion), is deleted (Foreground if an
  owner waits and it has dependents of its own, else per its own finalizers,
  Background by default, as attemptToDeleteItem does); one that also has a
  live owner only loses the references to the others.
- Absence is confirmed with a GET before acting, as ``isDangling`` reads the
  owner live: the lists of different kinds are not read at one revision.
- Orphan: for an owner being deleted with the ``orphan`` finalizer, the
  references to it are removed from every dependent, then the finalizer.
- Foreground: an owner being deleted with ``foregroundDeletion`` keeps the
  finalizer while a dependent whose reference has ``blockOwnerDeletion``
  exists; its dependents are deleted by the Background rule above.

Simplifications: no event recording, no cycle detection beyond what the
rules give, no ``unblockOwnerReferences`` patch.

Requirement IDs: API-GC-BACKGROUND, API-GC-ORPHAN, API-GC-FOREGROUND (declared in spec/apiserver.py).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from impl.controllers.client import Resource, Resources
from spec.apiserver import FOREGROUND_FINALIZER, ORPHAN_FINALIZER


@dataclass
class Node:
    info: Resource
    obj: dict[str, Any]
    dependents: list[Node] = field(default_factory=list)

    @property
    def metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = self.obj.get("metadata") or {}
        return metadata

    @property
    def uid(self) -> str:
        return str(self.metadata.get("uid") or "")

    @property
    def namespace(self) -> str:
        return str(self.metadata.get("namespace") or "")

    @property
    def name(self) -> str:
        return str(self.metadata.get("name") or "")

    @property
    def references(self) -> list[dict[str, Any]]:
        return list(self.metadata.get("ownerReferences") or [])

    @property
    def finalizers(self) -> list[str]:
        return list(self.metadata.get("finalizers") or [])

    @property
    def deleting(self) -> bool:
        return bool(self.metadata.get("deletionTimestamp"))

    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.info.group, self.info.resource, self.namespace, self.name)


#: What an owner reference resolves to when it is not a node of the graph.
ABSENT = "absent"
UNRESOLVABLE = "unresolvable"


class Graph:
    """Every object of every served resource, and who depends on whom."""

    def __init__(self, client: Resources) -> None:
        self.client = client
        self.nodes: list[Node] = []
        self.by_coordinates: dict[tuple[str, str, str, str], Node] = {}
        served = client.served()
        #: What an ownerReference's apiVersion and kind name: a served resource (custom ones included).
        self.by_kind: dict[tuple[str, str], Resource] = {
            (info.api_version, info.kind): info for info in served
        }
        for info in served:
            for obj in client.list(info):
                node = Node(info, obj)
                self.nodes.append(node)
                self.by_coordinates[(info.group, info.resource, node.namespace, node.name)] = node
        self.nodes.sort(key=Node.sort_key)
        for node in self.nodes:
            for reference in node.references:
                owner = self.resolve(node, reference)
                if isinstance(owner, Node):
                    owner.dependents.append(node)

    def coordinates(self, dependent: Node, reference: dict[str, Any]) -> tuple[Resource, str] | None:
        """The owner's kind and namespace, or None when the reference cannot be resolved."""
        info = self.by_kind.get((str(reference.get("apiVersion") or ""), str(reference.get("kind") or "")))
        if info is None:
            return None
        if info.namespaced and not dependent.info.namespaced:
            return None  # a cluster-scoped dependent of a namespaced owner: invalid, never collected
        return info, dependent.namespace if info.namespaced else ""

    def resolve(self, dependent: Node, reference: dict[str, Any]) -> Node | str:
        where = self.coordinates(dependent, reference)
        if where is None:
            return UNRESOLVABLE
        info, namespace = where
        owner = self.by_coordinates.get((info.group, info.resource, namespace, str(reference.get("name"))))
        if owner is None or owner.uid != reference.get("uid"):
            return ABSENT
        return owner

    def confirmed_absent(self, dependent: Node, reference: dict[str, Any]) -> bool:
        """isDangling: read the owner live; absent if there is none of that name or it has another uid."""
        where = self.coordinates(dependent, reference)
        if where is None:
            return False
        info, namespace = where
        live = self.client.get(info, namespace, str(reference.get("name")))
        return live is None or (live.get("metadata") or {}).get("uid") != reference.get("uid")


def _without_references(obj: dict[str, Any], uids: set[str]) -> dict[str, Any]:
    changed = copy.deepcopy(obj)
    metadata = changed["metadata"]
    metadata["ownerReferences"] = [
        r for r in metadata.get("ownerReferences") or [] if r.get("uid") not in uids
    ]
    return changed


def _without_finalizer(obj: dict[str, Any], finalizer: str) -> dict[str, Any]:
    changed = copy.deepcopy(obj)
    metadata = changed["metadata"]
    metadata["finalizers"] = [f for f in metadata.get("finalizers") or [] if f != finalizer]
    return changed


def _delete(client: Resources, node: Node, policy: str) -> bool:
    options = {"propagationPolicy": policy, "preconditions": {"uid": node.uid}}
    return client.delete(node.info, node.namespace, node.name, options)


def reconcile(client: Resources) -> int:
    """One pass over the graph; the number of writes it made (0: nothing to do)."""
    graph = Graph(client)
    actions = 0
    for owner in graph.nodes:
        if not owner.deleting:
            continue
        if ORPHAN_FINALIZER in owner.finalizers:
            actions += _orphan(client, owner)
        elif FOREGROUND_FINALIZER in owner.finalizers:
            actions += _foreground(client, owner)
    for node in graph.nodes:
        if node.references and not node.deleting:
            actions += _attempt_to_delete(client, graph, node)
    return actions


def _orphan(client: Resources, owner: Node) -> int:
    """orphanDependents, then the orphan finalizer removed (API-GC-ORPHAN)."""
    actions = 0
    for dependent in owner.dependents:
        if client.update(dependent.info, _without_references(dependent.obj, {owner.uid})) is None:
            return actions  # it changed meanwhile: the next pass sees it again, the finalizer stays
        actions += 1
    if client.update(owner.info, _without_finalizer(owner.obj, ORPHAN_FINALIZER)) is not None:
        actions += 1
    return actions


def _foreground(client: Resources, owner: Node) -> int:
    """processDeletingDependentsItem: the finalizer goes once no blocking dependent is left."""
    blocking = [
        dependent
        for dependent in owner.dependents
        if any(
            r.get("uid") == owner.uid and r.get("blockOwnerDeletion") is True for r in dependent.references
        )
    ]
    if blocking:
        return 0  # their deletion is under way (the dependents' rule); the owner waits for them
    return 1 if client.update(owner.info, _without_finalizer(owner.obj, FOREGROUND_FINALIZER)) else 0


def _attempt_to_delete(client: Resources, graph: Graph, node: Node) -> int:
    """attemptToDeleteItem for an object with owner references (API-GC-BACKGROUND)."""
    solid, gone = [], []
    waiting = False
    for reference in node.references:
        owner = graph.resolve(node, reference)
        if owner == ABSENT:
            if graph.confirmed_absent(node, reference):
                gone.append(reference)
            else:
                solid.append(reference)  # it exists after all (listed before it was created)
        elif isinstance(owner, Node) and owner.deleting and FOREGROUND_FINALIZER in owner.finalizers:
            gone.append(reference)
            waiting = True
        else:
            solid.append(reference)
    if not gone:
        return 0
    if solid:
        uids = {str(reference.get("uid")) for reference in gone}
        return 1 if client.update(node.info, _without_references(node.obj, uids)) else 0
    if waiting and node.dependents:
        policy = "Foreground"
    elif ORPHAN_FINALIZER in node.finalizers:
        policy = "Orphan"
    elif FOREGROUND_FINALIZER in node.finalizers:
        policy = "Foreground"
    else:
        policy = "Background"
    return 1 if _delete(client, node, policy) else 0
