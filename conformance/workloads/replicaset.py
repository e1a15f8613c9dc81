"""The ReplicaSet machine: a simulated cluster, users scaling ReplicaSets, and a hostile environment.

Rules are what users do (create a ReplicaSet, scale it through its scale
subresource, delete one of its pods, delete the ReplicaSet with each
propagation policy) and what the environment does (the controller manager
crashes and restarts; the controllers' pod watch lags behind; time
passes). After every step the safety properties hold:
REPLICASET-NO-OVERSHOOT (no ReplicaSet has more active pods than the
larger of its spec.replicas and the active pods it had when spec.replicas
was last set) and API-GC-FOREGROUND (a ReplicaSet deleted in the
foreground is not gone while a pod with blockOwnerDeletion still names
it). When the run ends, the faults stop (no lag, the manager running) and
within ``SETTLE_S`` simulated seconds every ReplicaSet must have exactly
spec.replicas active pods, all Running and Ready, and a status that says
so (REPLICASET-ESR); and the garbage collector must have settled every
deletion: no pod names a deleted ReplicaSet, the pods of one deleted in
the background or foreground are gone (API-GC-BACKGROUND,
API-GC-FOREGROUND), and those of one orphaned are still there
(API-GC-ORPHAN).

Everything is read back from the API server; the machine keeps only what
users asked for. Deterministic: the cluster runs on the simulator's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from conformance.adapters.controllers import ControllersProvider, SimulatedControlPlane
from conformance.violation import require
from conformance.workloads.environment import PODS, EnvironmentRules
from spec.apiserver import API_GC_BACKGROUND, API_GC_FOREGROUND, API_GC_ORPHAN
from spec.workloads.replicaset import REPLICASET_ESR, REPLICASET_NO_OVERSHOOT

#: A deleted ReplicaSet's name is not used again, so that its orphans are never adopted.
NAMES = ("web", "api", "db", "cache")
POLICIES = ("Background", "Foreground", "Orphan")
GC_REQUIREMENT = {"Background": API_GC_BACKGROUND, "Foreground": API_GC_FOREGROUND, "Orphan": API_GC_ORPHAN}
NAMESPACE = "default"
SETTLE_S = 60.0


def replicaset(name: str, replicas: int) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {"name": "app", "image": "nginx:1.27", "resources": {"requests": {"cpu": "100m"}}}
                    ]
                },
            },
        },
    }


def _rs_path(name: str) -> str:
    return f"/apis/apps/v1/namespaces/{NAMESPACE}/replicasets/{name}"


@dataclass
class Deleted:
    """A ReplicaSet the user deleted, and the pods an Orphan deletion must leave behind."""

    name: str
    uid: str
    policy: str
    orphans: frozenset[str] = frozenset()


class ReplicaSetMachine(EnvironmentRules):
    provider: ClassVar[ControllersProvider]

    def __init__(self) -> None:
        super().__init__()
        self.cluster: SimulatedControlPlane = self.provider.new_cluster(seed=0, nodes=3)
        #: name -> (spec.replicas, the ceiling REPLICASET-NO-OVERSHOOT allows).
        self.wanted: dict[str, tuple[int, int]] = {}
        self.deleted: list[Deleted] = []
        self.log: list[str] = []

    # -- reading the cluster -----------------------------------------------------------------------

    def _ok(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        status, answer = self.cluster.call(method, path, body, content_type=content_type)
        assert status < 300, f"{method} {path}: {status} {answer}"  # the suite's own calls must work
        return answer

    def _active(self, name: str) -> list[dict[str, Any]]:
        """The active pods the ReplicaSet ``name`` controls, as the API server has them now."""
        uid = self._ok("GET", _rs_path(name))["metadata"]["uid"]
        return [
            pod
            for pod in self._pods()
            if any(
                ref.get("uid") == uid and ref.get("controller")
                for ref in pod["metadata"].get("ownerReferences") or ()
            )
            and not pod["metadata"].get("deletionTimestamp")
            and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        ]

    # -- users -------------------------------------------------------------------------------------------

    def _unused_names(self) -> list[str]:
        used = {*self.wanted, *(d.name for d in self.deleted)}
        return [n for n in NAMES if n not in used]

    def _pods(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self._ok("GET", f"/api/v1/namespaces/{NAMESPACE}/pods")["items"]
        return items

    @precondition(lambda self: bool(self._unused_names()))
    @rule(data=st.data(), replicas=st.integers(0, 4))
    def create(self, data: st.DataObject, replicas: int) -> None:
        name = data.draw(st.sampled_from(self._unused_names()))
        self._ok("POST", f"/apis/apps/v1/namespaces/{NAMESPACE}/replicasets", replicaset(name, replicas))
        self.wanted[name] = (replicas, replicas)
        self.log.append(f"create {name} replicas={replicas}")

    @precondition(lambda self: bool(self.wanted))
    @rule(data=st.data(), replicas=st.integers(0, 5))
    def scale(self, data: st.DataObject, replicas: int) -> None:
        name = data.draw(st.sampled_from(sorted(self.wanted)))
        active = len(self._active(name))
        self._ok(
            "PATCH",
            f"{_rs_path(name)}/scale",
            {"spec": {"replicas": replicas}},
            content_type="application/merge-patch+json",
        )
        self.wanted[name] = (replicas, max(replicas, active))
        self.log.append(f"scale {name} to {replicas} (active {active})")

    @precondition(lambda self: bool(self.wanted))
    @rule(data=st.data())
    def delete_a_pod(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.wanted)))
        pods = self._active(name)
        if not pods:
            return
        pod = data.draw(st.sampled_from(sorted(p["metadata"]["name"] for p in pods)))
        self._ok("DELETE", f"/api/v1/namespaces/{NAMESPACE}/pods/{pod}")
        self.log.append(f"delete pod {pod}")

    @precondition(lambda self: bool(self.wanted))
    @rule(data=st.data(), policy=st.sampled_from(POLICIES))
    def delete(self, data: st.DataObject, policy: str) -> None:
        name = data.draw(st.sampled_from(sorted(self.wanted)))
        rs = self._ok("GET", _rs_path(name))
        active = self._active(name)
        # Pods the ReplicaSet controller has no reason to delete (it is not above spec.replicas): an
        # Orphan deletion must leave them all. Above it, a controller not yet aware of the deletion may
        # still scale down, as upstream's may.
        orphans = (
            frozenset(p["metadata"]["name"] for p in active)
            if len(active) <= rs["spec"]["replicas"]
            else frozenset()
        )
        self._ok("DELETE", _rs_path(name), {"propagationPolicy": policy})
        del self.wanted[name]
        self.deleted.append(
            Deleted(name, rs["metadata"]["uid"], policy, orphans if policy == "Orphan" else frozenset())
        )
        self.log.append(f"delete {name} propagationPolicy={policy} ({len(active)} active pods)")

    # -- properties ------------------------------------------------------------------------------------------

    @invariant()
    def no_overshoot(self) -> None:
        for name, (replicas, ceiling) in self.wanted.items():
            active = len(self._active(name))
            require(
                REPLICASET_NO_OVERSHOOT,
                active <= ceiling,
                lambda name=name, active=active, replicas=replicas, ceiling=ceiling: (
                    f"{name}: {active} active pods, spec.replicas {replicas}, at most {ceiling} allowed\n"
                    + "\n".join(self.log)
                ),
            )

    @invariant()
    def foreground_owners_wait_for_their_blocking_pods(self) -> None:
        for deleted in self.deleted:
            if deleted.policy != "Foreground" or self._exists(deleted):
                continue
            blocking = [
                p["metadata"]["name"]
                for p in self._pods()
                if any(
                    r.get("uid") == deleted.uid and r.get("blockOwnerDeletion") is True
                    for r in p["metadata"].get("ownerReferences") or ()
                )
            ]
            require(
                API_GC_FOREGROUND,
                not blocking,
                lambda deleted=deleted, blocking=blocking: (
                    f"{deleted.name} (deleted in the foreground) is gone while pods {blocking} with "
                    "blockOwnerDeletion name it\n" + "\n".join(self.log)
                ),
            )

    def _exists(self, deleted: Deleted) -> bool:
        status, answer = self.cluster.call("GET", _rs_path(deleted.name))
        return status == 200 and answer["metadata"]["uid"] == deleted.uid

    def _deletions_settled(self) -> None:
        pods = self._pods()
        for deleted in self.deleted:
            naming = [
                p["metadata"]["name"]
                for p in pods
                if any(r.get("uid") == deleted.uid for r in p["metadata"].get("ownerReferences") or ())
            ]
            lost = sorted(deleted.orphans - {p["metadata"]["name"] for p in pods})
            require(
                GC_REQUIREMENT[deleted.policy],
                not self._exists(deleted) and not naming and not lost,
                lambda deleted=deleted, naming=naming, lost=lost: (
                    f"{deleted.name} deleted with propagationPolicy={deleted.policy}, {SETTLE_S} s without "
                    f"faults later: the ReplicaSet {'still exists' if self._exists(deleted) else 'is gone'}, "
                    f"pods naming it {naming}, orphans gone {lost}\n" + "\n".join(self.log)
                ),
            )

    def teardown(self) -> None:
        """The liveness phase: faults off, then everything must converge within SETTLE_S."""
        self.cluster.set_watch_lag(PODS, 0.0)
        self.cluster.restart_controller_manager()
        self.cluster.run(SETTLE_S)
        for name, (replicas, _) in self.wanted.items():
            active = self._active(name)
            ready = [p for p in active if _ready(p)]
            rs = self._ok("GET", _rs_path(name))
            status = rs.get("status") or {}
            converged = (
                len(active) == replicas
                and len(ready) == replicas
                and status.get("replicas", 0) == replicas
                and status.get("readyReplicas", 0) == replicas
                and status.get("availableReplicas", 0) == replicas
                and status.get("observedGeneration") == rs["metadata"].get("generation")
            )
            require(
                REPLICASET_ESR,
                converged,
                lambda name=name, active=active, ready=ready, status=status, replicas=replicas: (
                    f"{name}: after {SETTLE_S} s without faults, {len(active)} active and {len(ready)} "
                    f"ready pods for spec.replicas {replicas}; status {status}\n" + "\n".join(self.log)
                ),
            )
        self._deletions_settled()


def _ready(pod: dict[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or ()
    )


def machine_for(provider: ControllersProvider) -> type[ReplicaSetMachine]:
    return type("ReplicaSetMachine", (ReplicaSetMachine,), {"provider": provider})
