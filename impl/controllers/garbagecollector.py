"""The garbage collector: owner references and the orphan and foregroundDeletion finalizers (simplified).

What it models: kube-controller-manager's garbage collector (k/k
``pkg/controller/garbagecollector/garbagecollector.go``: ``attemptToDeleteItem``,
``classifyReferences``, ``isDangling``, ``processDeletingDependentsItem``,
``orphanDependents``; ``graph_builder.go``). ``reconcile``, without
informers or work queues, lists every served resource, builds the
dependency graph from ``metadata.ownerReferences`` and takes every action the
graph calls for, through the API (``impl/controllers/client.Resources``).
``GarbageCollector`` is the same pass as a controller manager's controller
fed by watches, as upstream's graph builder is: it keeps every served
resource in an informer and runs a pass on the informers' contents only
when an object appeared, went, or changed its owner references, finalizers
or deletion mark (or the last pass wrote something), instead of listing the
whole cluster on every period. A pass over caches acts only on what the
server has now: an item is read live before it is deleted or loses a
reference (``attemptToDeleteItem`` reads the latest object), and a finalizer
comes off an owner only when fresh lists show no dependent that needs it
(caches of different resources lag differently; a test lags one).

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from impl.apiclient import APIClient, Informer, object_key
from impl.controllers.client import Resource, ResourceClient, Resources, path_of
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

    def __init__(
        self, client: Resources, contents: Mapping[Resource, Iterable[dict[str, Any]]] | None = None
    ) -> None:
        """The graph of ``contents`` (every served resource and its objects), else of fresh lists."""
        self.client = client
        self.nodes: list[Node] = []
        self.by_coordinates: dict[tuple[str, str, str, str], Node] = {}
        #: Built from lists just made, not from caches that may lag.
        self.fresh = contents is None
        if contents is None:
            contents = {info: client.list(info) for info in client.served()}
        #: What an ownerReference's apiVersion and kind name: a served resource (custom ones included).
        self.by_kind: dict[tuple[str, str], Resource] = {
            (info.api_version, info.kind): info for info in contents
        }
        for info, objects in contents.items():
            for obj in objects:
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

    def relisted(self, owner: Node) -> Node | None:
        """``owner`` with its dependents as fresh lists show them (None if it went or changed uid).

        A finalizer comes off an owner only when no dependent is left that would need it; a graph built
        from caches may not know a dependent created a moment ago (in another resource, whose watch
        lags), so that decision is made again on fresh lists. Upstream trusts its informers here; a
        lagging one would let it orphan too few dependents, or let the owner go before a blocking one.
        """
        live = Graph(self.client).by_coordinates.get(
            (owner.info.group, owner.info.resource, owner.namespace, owner.name)
        )
        return live if live is not None and live.uid == owner.uid else None

    def current(self, node: Node) -> bool:
        """Whether ``node`` as the graph has it is what the server has now, as far as a pass looks."""
        live = self.client.get(node.info, node.namespace, node.name)
        return live is not None and _lifecycle(live) == _lifecycle(node.obj)

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


def reconcile(client: Resources, graph: Graph | None = None) -> int:
    """One pass over ``graph`` (else one built from fresh lists); the number of writes it made
    (0: nothing to do)."""
    graph = graph or Graph(client)
    actions = 0
    for owner in graph.nodes:
        if not owner.deleting:
            continue
        if ORPHAN_FINALIZER in owner.finalizers:
            actions += _orphan(client, graph, owner)
        elif FOREGROUND_FINALIZER in owner.finalizers:
            actions += _foreground(client, graph, owner)
    for node in graph.nodes:
        if node.references and not node.deleting:
            actions += _attempt_to_delete(client, graph, node)
    return actions


def _orphan(client: Resources, graph: Graph, owner: Node) -> int:
    """orphanDependents, then the orphan finalizer removed (API-GC-ORPHAN)."""
    actions = 0
    for dependent in owner.dependents:
        if client.update(dependent.info, _without_references(dependent.obj, {owner.uid})) is None:
            return actions  # it changed meanwhile: the next pass sees it again, the finalizer stays
        actions += 1
    if not graph.fresh:
        live = graph.relisted(owner)
        if live is None or live.dependents:
            return actions  # a dependent the graph did not know yet: the next pass orphans it
        owner = live
    if client.update(owner.info, _without_finalizer(owner.obj, ORPHAN_FINALIZER)) is not None:
        actions += 1
    return actions


def _blocking(owner: Node) -> list[Node]:
    return [
        dependent
        for dependent in owner.dependents
        if any(
            r.get("uid") == owner.uid and r.get("blockOwnerDeletion") is True for r in dependent.references
        )
    ]


def _foreground(client: Resources, graph: Graph, owner: Node) -> int:
    """processDeletingDependentsItem: the finalizer goes once no blocking dependent is left."""
    if _blocking(owner):
        return 0  # their deletion is under way (the dependents' rule); the owner waits for them
    if not graph.fresh:
        live = graph.relisted(owner)
        if live is None or _blocking(live):
            return 0
        owner = live
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
    if not graph.fresh and not graph.current(node):
        return 0  # the cache is behind (attemptToDeleteItem reads the item live): the next pass
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


# -- the collector as a controller, fed by watches ----------------------------------------------------


def _lifecycle(obj: Mapping[str, Any]) -> tuple[Any, ...]:
    """What of an object a pass looks at: a change elsewhere (status, spec, labels) changes no decision."""
    metadata = obj.get("metadata") or {}
    return (
        metadata.get("uid"),
        repr(metadata.get("ownerReferences")),
        repr(metadata.get("finalizers")),
        metadata.get("deletionTimestamp"),
    )


class GarbageCollector:
    """``reconcile`` as a controller manager's controller: at most one pass every ``period_s``, and
    only when the informers saw something a pass looks at.

    A pass depends on nothing but the objects' owner references, finalizers, deletion marks and
    existence (and live reads of owners, which change only with them), so a pass over an unchanged
    graph after a pass that wrote nothing would write nothing. The set of served resources is
    discovered again when a CustomResourceDefinition changes (upstream resyncs its monitors from
    discovery).
    """

    def __init__(self, client: APIClient, *, period_s: float = 1.0) -> None:
        self.api = client
        self.resources = ResourceClient(client)
        self.period_s = period_s
        self.next_run = 0.0
        self.informers: dict[Resource, Informer] = {}
        self._seen: dict[tuple[Resource, str], tuple[Any, ...]] = {}
        self._pending = True  # a pass is due: nothing seen yet, or the last pass wrote something
        self._rediscover = True
        #: The passes run (for tests and figures).
        self.passes = 0

    def start(self, now: float) -> None:
        self.next_run = now

    def step(self, now: float) -> int:
        if now < self.next_run:
            return 0
        self.next_run = now + self.period_s
        if self._rediscover:
            self._discover()
        for info, informer in self.informers.items():
            for kind, obj in informer.poll():
                self._observe(info, kind, obj)
        if not self._pending:
            return 0
        self.passes += 1
        actions = self.collect(
            Graph(self.resources, {info: list(i.cache.values()) for info, i in self.informers.items()})
        )
        self._pending = actions > 0
        return actions

    def collect(self, graph: Graph) -> int:
        """One pass over the informers' graph (tests substitute broken collectors here)."""
        return reconcile(self.resources, graph)

    def _discover(self) -> None:
        self._rediscover = False
        served = self.resources.served()
        for info in set(self.informers) - set(served):
            self.informers.pop(info).close()
            self._seen = {key: seen for key, seen in self._seen.items() if key[0] != info}
            self._pending = True
        for info in served:
            if info not in self.informers:
                informer = self.informers[info] = Informer(self.api, path_of(info, None))
                for kind, obj in informer.start():
                    self._observe(info, kind, obj)

    def _observe(self, info: Resource, kind: str, obj: dict[str, Any]) -> None:
        obj.setdefault("apiVersion", info.api_version)
        obj.setdefault("kind", info.kind)
        if info.resource == "customresourcedefinitions":
            self._rediscover = True  # served resources come and go with CRDs (and their Established)
        key = (info, object_key(obj))
        if kind == "DELETED":
            self._seen.pop(key, None)
            self._pending = True
            return
        lifecycle = _lifecycle(obj)
        if self._seen.get(key) != lifecycle:
            self._seen[key] = lifecycle
            self._pending = True

    def close(self) -> None:
        for informer in self.informers.values():
            informer.close()
        self.informers.clear()
