"""The ReplicaSet machine: a simulated cluster, users scaling ReplicaSets, and a hostile environment.

Rules are what users do (create a ReplicaSet, scale it through its scale
subresource, delete one of its pods) and what the environment does (the
controller manager crashes and restarts; the controllers' pod watch lags
behind; time passes). After every step the safety property holds
(REPLICASET-NO-OVERSHOOT): no ReplicaSet has more active pods than the
larger of its spec.replicas and the active pods it had when spec.replicas
was last set. When the run ends, the faults stop (no lag, the manager
running) and within ``SETTLE_S`` simulated seconds every ReplicaSet must
have exactly spec.replicas active pods, all Running and Ready, and a status
that says so (REPLICASET-ESR).

Everything is read back from the API server; the machine keeps only what
users asked for. Deterministic: the cluster runs on the simulator's clock.
"""

from __future__ import annotations

from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from conformance.adapters.controllers import ControllersProvider, SimulatedControlPlane
from conformance.violation import require
from conformance.workloads.environment import PODS, EnvironmentRules
from spec.workloads.replicaset import REPLICASET_ESR, REPLICASET_NO_OVERSHOOT

NAMES = ("web", "api")
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


class ReplicaSetMachine(EnvironmentRules):
    provider: ClassVar[ControllersProvider]

    def __init__(self) -> None:
        super().__init__()
        self.cluster: SimulatedControlPlane = self.provider.new_cluster(seed=0, nodes=3)
        #: name -> (spec.replicas, the ceiling REPLICASET-NO-OVERSHOOT allows).
        self.wanted: dict[str, tuple[int, int]] = {}
        self.log: list[str] = []

    # -- reading the cluster -----------------------------------------------------------------------

    def _ok(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        status, answer = self.cluster.call(method, path, body, content_type=content_type)
        assert status < 300, f"{method} {path}: {status} {answer}"  # the suite's own calls must work
        return answer

    def _active(self, name: str) -> list[dict[str, Any]]:
        """The active pods the ReplicaSet ``name`` controls, as the API server has them now."""
        uid = self._ok("GET", _rs_path(name))["metadata"]["uid"]
        pods = self._ok("GET", f"/api/v1/namespaces/{NAMESPACE}/pods")["items"]
        return [
            pod
            for pod in pods
            if any(
                ref.get("uid") == uid and ref.get("controller")
                for ref in pod["metadata"].get("ownerReferences") or ()
            )
            and not pod["metadata"].get("deletionTimestamp")
            and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        ]

    # -- users -------------------------------------------------------------------------------------------

    @precondition(lambda self: len(self.wanted) < len(NAMES))
    @rule(data=st.data(), replicas=st.integers(0, 4))
    def create(self, data: st.DataObject, replicas: int) -> None:
        name = data.draw(st.sampled_from([n for n in NAMES if n not in self.wanted]))
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


def _ready(pod: dict[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or ()
    )


def machine_for(provider: ControllersProvider) -> type[ReplicaSetMachine]:
    return type("ReplicaSetMachine", (ReplicaSetMachine,), {"provider": provider})
