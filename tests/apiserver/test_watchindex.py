"""Pod watches indexed by node (impl/apiserver/watchindex.py) deliver exactly what unindexed watches do.

The same writes go to two API servers, one with ``index_pod_watches_by_node``;
kubelet-style watches (``fieldSelector=spec.nodeName=<node>``, bookmarks
asked for) opened on both at the same points must return the same events.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from impl.apiclient import InProcessClient
from impl.apiserver.core import APIServer
from impl.apiserver.memory import MemoryKV
from spec.entropy import SeededEntropy
from tests.apiserver.helpers import NOW, PODS, pod

NODES = ("node-a", "node-b", "node-c")


def server(indexed: bool) -> InProcessClient:
    core = APIServer(
        MemoryKV().client(), clock=lambda: NOW, entropy=SeededEntropy(1), index_pod_watches_by_node=indexed
    )
    core.bootstrap()
    return InProcessClient(core)


def _bind(client: InProcessClient, name: str, node: str) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": name},
        "target": {"kind": "Node", "name": node},
    }
    status, answer = client.call("POST", f"{PODS}/{name}/binding", body)
    assert status == 201, answer


def _summary(events: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """The events but bookmarks, which are advisory: when one comes may differ (upstream's watch cache
    sends them on its own schedule too); ``_bookmarks_are_sound`` checks them."""
    return [
        (e["type"], e["object"]["metadata"].get("name", ""), e["object"]["metadata"]["resourceVersion"])
        for e in events
        if e["type"] != "BOOKMARK"
    ]


def _bookmarks_are_sound(events: list[dict[str, Any]], last: int) -> int:
    """Every bookmark is at or past the last event before it; returns the last version seen."""
    for event in events:
        version = int(event["object"]["metadata"]["resourceVersion"])
        assert version >= last or event["type"] != "BOOKMARK", events
        last = max(last, version)
    return last


operations = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(0, 5)),
        st.tuples(st.just("bind"), st.integers(0, 5), st.sampled_from(NODES)),
        st.tuples(st.just("label"), st.integers(0, 5)),
        st.tuples(st.just("delete"), st.integers(0, 5)),
        st.tuples(st.just("watch"), st.sampled_from(NODES), st.booleans()),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(operations=operations)
def test_indexed_pod_watches_deliver_what_plain_ones_do(operations: list[tuple[Any, ...]]) -> None:
    clients = (server(indexed=False), server(indexed=True))
    watches: list[list[Any]] = []  # per opened watch: [plain stream, indexed stream, last version]
    for operation in operations:
        kind, *args = operation
        for client in clients:
            if kind == "create":
                client.call("POST", PODS, pod(f"p{args[0]}"))
            elif kind == "bind":
                status, current = client.call("GET", f"{PODS}/p{args[0]}")
                if status == 200 and not current["spec"].get("nodeName"):
                    _bind(client, f"p{args[0]}", args[1])
            elif kind == "label":
                client.call(
                    "PATCH",
                    f"{PODS}/p{args[0]}",
                    {"metadata": {"labels": {"touched": "yes"}}},
                    content_type="application/merge-patch+json",
                )
            elif kind == "delete":
                client.call("DELETE", f"{PODS}/p{args[0]}", {"gracePeriodSeconds": 0})
        if kind == "watch":
            node, from_past = args
            pair = []
            for client in clients:
                query = {"fieldSelector": f"spec.nodeName={node}", "allowWatchBookmarks": "true"}
                if (
                    from_past
                ):  # resume from an early version: the index has routed it, a plain watch serves it
                    query["resourceVersion"] = "1"
                pair.append(client.watch("/api/v1/pods", query=query))
            watches.append([*pair, 0])
        for entry in watches:
            plain, indexed = entry[0].next_events(0.0), entry[1].next_events(0.0)
            assert _summary(plain) == _summary(indexed), operation
            entry[2] = _bookmarks_are_sound(indexed, entry[2])


def test_a_deleted_pod_reaches_its_nodes_indexed_watch() -> None:
    """The delete event carries no object, only the previous one: the index must route it by that."""
    client = server(indexed=True)
    client.call("POST", PODS, pod("p0"))
    _bind(client, "p0", "node-a")
    mine = client.watch("/api/v1/pods", query={"fieldSelector": "spec.nodeName=node-a"})
    other = client.watch("/api/v1/pods", query={"fieldSelector": "spec.nodeName=node-b"})
    assert [e["type"] for e in mine.next_events(0.0)] == ["ADDED"]
    status, answer = client.call("DELETE", f"{PODS}/p0", {"gracePeriodSeconds": 0})
    assert status == 200, answer
    assert [e["type"] for e in mine.next_events(0.0)] == ["DELETED"]
    assert [e["type"] for e in other.next_events(0.0) if e["type"] != "BOOKMARK"] == []
