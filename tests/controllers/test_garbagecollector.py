"""The garbage collector as a controller manager's controller, fed by watches (garbagecollector.py).

The collection rules themselves are held to the spec by tests/apiserver/test_deletion.py and the API
server suite; these tests check what the watch-fed controller adds: it collects what the listing pass
collects, custom resources included once their CRD is served, and it skips its pass when nothing a
pass looks at changed.
"""

from __future__ import annotations

from typing import Any

from impl.controllers.garbagecollector import GarbageCollector
from impl.controlplane import SimulatedCluster
from tests.apiserver.test_customresources import CRDS, GROUP, crd, cron_tab

CONFIGMAPS = "/api/v1/namespaces/default/configmaps"


def _cluster() -> SimulatedCluster:
    return SimulatedCluster(nodes=0, controllers=(GarbageCollector,))


def _collector(cluster: SimulatedCluster) -> GarbageCollector:
    (collector,) = cluster.controllers
    assert isinstance(collector, GarbageCollector)
    return collector


def _ok(cluster: SimulatedCluster, method: str, path: str, body: Any = None, **kw: Any) -> dict[str, Any]:
    status, answer = cluster.call(method, path, body, **kw)
    assert status < 300, (method, path, status, answer)
    result: dict[str, Any] = answer
    return result


def _configmap(name: str, owner: dict[str, Any] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if owner is not None:
        metadata["ownerReferences"] = [
            {
                "apiVersion": owner["apiVersion"],
                "kind": owner["kind"],
                "name": owner["metadata"]["name"],
                "uid": owner["metadata"]["uid"],
            }
        ]
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata}


def _exists(cluster: SimulatedCluster, path: str) -> bool:
    return cluster.call("GET", path)[0] == 200


def test_dependents_of_a_deleted_owner_are_collected_and_orphans_keep_living() -> None:
    cluster = _cluster()
    owner = _ok(cluster, "POST", CONFIGMAPS, _configmap("owner"))
    _ok(cluster, "POST", CONFIGMAPS, _configmap("dependent", owner))
    other = _ok(cluster, "POST", CONFIGMAPS, _configmap("other-owner"))
    _ok(cluster, "POST", CONFIGMAPS, _configmap("orphan", other))
    cluster.run(2.0)
    assert _exists(cluster, f"{CONFIGMAPS}/dependent")

    _ok(cluster, "DELETE", f"{CONFIGMAPS}/owner")
    _ok(cluster, "DELETE", f"{CONFIGMAPS}/other-owner", {"propagationPolicy": "Orphan"})
    cluster.run(3.0)
    assert not _exists(cluster, f"{CONFIGMAPS}/dependent")
    orphan = _ok(cluster, "GET", f"{CONFIGMAPS}/orphan")
    assert not orphan["metadata"].get("ownerReferences")
    assert not _exists(cluster, f"{CONFIGMAPS}/other-owner")  # its orphan finalizer went


def test_a_pass_runs_only_when_something_a_pass_looks_at_changed() -> None:
    cluster = _cluster()
    owner = _ok(cluster, "POST", CONFIGMAPS, _configmap("owner"))
    _ok(cluster, "POST", CONFIGMAPS, _configmap("dependent", owner))
    cluster.run(3.0)
    collector = _collector(cluster)
    settled = collector.passes

    for i in range(5):  # data and labels: no decision of the collector depends on them
        _ok(
            cluster,
            "PATCH",
            f"{CONFIGMAPS}/dependent",
            {"metadata": {"labels": {"round": str(i)}}, "data": {"k": str(i)}},
            content_type="application/merge-patch+json",
        )
        cluster.run(1.0)
    assert collector.passes == settled

    # A new object, a changed owner reference, a deletion: each is worth a pass.
    stranger = _ok(cluster, "POST", CONFIGMAPS, _configmap("stranger"))
    cluster.run(1.0)
    assert collector.passes == settled + 1
    _ok(
        cluster,
        "PATCH",
        f"{CONFIGMAPS}/dependent",
        {
            "metadata": {
                "ownerReferences": [
                    *_configmap("x", owner)["metadata"]["ownerReferences"],
                    *_configmap("x", stranger)["metadata"]["ownerReferences"],
                ]
            }
        },
        content_type="application/merge-patch+json",
    )
    cluster.run(1.0)
    assert collector.passes == settled + 2
    _ok(cluster, "DELETE", f"{CONFIGMAPS}/owner")
    cluster.run(3.0)
    dependent = _ok(cluster, "GET", f"{CONFIGMAPS}/dependent")  # it has a live owner left
    assert [r["name"] for r in dependent["metadata"]["ownerReferences"]] == ["stranger"]


def test_custom_resources_are_collected_once_their_definition_is_served() -> None:
    cluster = _cluster()
    cluster.run(1.0)  # the collector has discovered the built-in resources only
    _ok(cluster, "POST", CRDS, crd())
    cluster.run(1.0)
    owner = _ok(cluster, "POST", f"/apis/{GROUP}/v1/namespaces/default/crontabs", cron_tab("owner"))
    _ok(cluster, "POST", CONFIGMAPS, _configmap("dependent", owner))
    cluster.run(2.0)
    assert _exists(cluster, f"{CONFIGMAPS}/dependent")  # its owner is found, not absent
    _ok(cluster, "DELETE", f"/apis/{GROUP}/v1/namespaces/default/crontabs/owner")
    cluster.run(3.0)
    assert not _exists(cluster, f"{CONFIGMAPS}/dependent")


def test_a_restarted_collector_finishes_what_its_predecessor_left() -> None:
    cluster = _cluster()
    owner = _ok(cluster, "POST", CONFIGMAPS, _configmap("owner"))
    for i in range(4):
        _ok(cluster, "POST", CONFIGMAPS, _configmap(f"dependent-{i}", owner))
    cluster.run(2.0)
    _ok(cluster, "DELETE", f"{CONFIGMAPS}/owner")
    cluster.crash_controller_manager_mid_reconcile(1)  # it deletes one dependent, then dies
    cluster.run(2.0)
    left = [i for i in range(4) if _exists(cluster, f"{CONFIGMAPS}/dependent-{i}")]
    assert len(left) == 3
    cluster.restart_controller_manager()
    cluster.run(3.0)
    assert not [i for i in range(4) if _exists(cluster, f"{CONFIGMAPS}/dependent-{i}")]


def test_a_lagging_cache_does_not_let_an_owner_go_before_a_dependent_it_does_not_know() -> None:
    """The finalizers come off on fresh lists: the cache may not have the newest dependent yet."""
    secrets = "/api/v1/namespaces/default/secrets"
    for policy in ("Orphan", "Foreground"):
        cluster = _cluster()
        cluster.set_watch_lag("/api/v1/secrets", 5.0)  # the collector watches every namespace
        owner = _ok(cluster, "POST", CONFIGMAPS, _configmap("owner"))
        cluster.run(2.0)
        dependent = {**_configmap("dependent", owner), "kind": "Secret"}
        dependent["metadata"]["ownerReferences"][0]["blockOwnerDeletion"] = True
        _ok(cluster, "POST", secrets, dependent)
        _ok(cluster, "DELETE", f"{CONFIGMAPS}/owner", {"propagationPolicy": policy})
        cluster.run(2.0)  # the collector has seen the deletion mark, not yet the dependent
        assert _exists(cluster, f"{CONFIGMAPS}/owner")
        cluster.run(10.0)
        assert not _exists(cluster, f"{CONFIGMAPS}/owner")
        if policy == "Orphan":
            kept = _ok(cluster, "GET", f"{secrets}/dependent")
            assert not kept["metadata"].get("ownerReferences")
        else:
            assert not _exists(cluster, f"{secrets}/dependent")
