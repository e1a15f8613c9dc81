"""The leader-election machine: two controller managers share one Lease in an unkind environment.

Rules: users create and scale a ReplicaSet and delete its pods; each
manager crashes, restarts, and pauses for a while (a long GC pause, a
frozen VM: it keeps its memory, and wakes up believing what it believed);
time passes in steps up to past the lease duration. After every step the
managers' writes, as the API server's audit log shows them, must keep
MANAGER-LEADER-EXCLUSIVE (``spec.leaderelection.leadership_violations``):
a manager writes only while its own latest Lease write is the latest one
and unexpired, and nobody takes an unexpired Lease.

When the run ends the faults stop (every manager running), the machine
crashes whichever manager holds the Lease, and the other must hold it and
act within ``takeover_bound_s()`` (MANAGER-LEADER-TAKEOVER), and the
ReplicaSets must then converge under the new leader.
"""

from __future__ import annotations

from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from conformance.adapters.controllers import ControllersProvider, ReplicatedControlPlane
from conformance.violation import require
from conformance.workloads.replicaset import NAMESPACE, replicaset
from spec.leaderelection import (
    LEASE_PATH,
    MANAGER_LEADER_EXCLUSIVE,
    MANAGER_LEADER_TAKEOVER,
    leadership_violations,
    takeover_bound_s,
)

MANAGERS = 2
NAME = "web"
#: After the takeover, the ReplicaSet's pods must be there and ready within this much more.
CONVERGE_S = 30.0


class LeaderElectionMachine(RuleBasedStateMachine):
    provider: ClassVar[ControllersProvider]

    def __init__(self) -> None:
        super().__init__()
        self.cluster: ReplicatedControlPlane = self.provider.new_cluster(  # type: ignore[assignment]
            seed=0, nodes=2, managers=MANAGERS
        )
        self.replicas: int | None = None
        self.down: set[int] = set()
        self.log: list[str] = []

    def _ok(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        status, answer = self.cluster.call(method, path, body, content_type=content_type)
        assert status < 300, f"{method} {path}: {status} {answer}"  # the suite's own calls must work
        return answer

    def _holder(self) -> str:
        status, lease = self.cluster.call("GET", LEASE_PATH)
        return (lease.get("spec") or {}).get("holderIdentity", "") if status == 200 else ""

    # -- users ---------------------------------------------------------------------------------------

    @precondition(lambda self: self.replicas is None)
    @rule(replicas=st.integers(1, 3))
    def create(self, replicas: int) -> None:
        self._ok("POST", f"/apis/apps/v1/namespaces/{NAMESPACE}/replicasets", replicaset(NAME, replicas))
        self.replicas = replicas
        self.log.append(f"create {NAME} replicas={replicas}")

    @precondition(lambda self: self.replicas is not None)
    @rule(replicas=st.integers(0, 4))
    def scale(self, replicas: int) -> None:
        self._ok(
            "PATCH",
            f"/apis/apps/v1/namespaces/{NAMESPACE}/replicasets/{NAME}/scale",
            {"spec": {"replicas": replicas}},
            content_type="application/merge-patch+json",
        )
        self.replicas = replicas
        self.log.append(f"scale {NAME} to {replicas}")

    # -- the environment -------------------------------------------------------------------------------

    @rule(index=st.integers(0, MANAGERS - 1))
    def crash(self, index: int) -> None:
        self.cluster.crash_controller_manager(index)
        self.down.add(index)
        self.log.append(f"manager {index} crashes")

    @precondition(lambda self: bool(self.down))
    @rule(data=st.data())
    def restart(self, data: st.DataObject) -> None:
        index = data.draw(st.sampled_from(sorted(self.down)))
        self.cluster.restart_controller_manager(index)
        self.down.discard(index)
        self.log.append(f"manager {index} restarts")

    @rule(index=st.integers(0, MANAGERS - 1), seconds=st.sampled_from([5.0, 20.0]))
    def pause_for(self, index: int, seconds: float) -> None:
        """Manager ``index`` freezes for ``seconds`` (a long GC pause, a stopped VM) with its memory kept."""
        if index in self.down:
            return
        self.cluster.pause_controller_manager(index)
        self.cluster.run(seconds)
        self.cluster.resume_controller_manager(index)
        self.log.append(f"manager {index} paused for {seconds} s")

    @precondition(lambda self: self.replicas)
    @rule(data=st.data())
    def delete_a_pod(self, data: st.DataObject) -> None:
        pods = self._ok("GET", f"/api/v1/namespaces/{NAMESPACE}/pods")["items"]
        names = sorted(p["metadata"]["name"] for p in pods if not p["metadata"].get("deletionTimestamp"))
        if names:
            pod = data.draw(st.sampled_from(names))
            self._ok("DELETE", f"/api/v1/namespaces/{NAMESPACE}/pods/{pod}")
            self.log.append(f"delete pod {pod}")

    @rule(seconds=st.sampled_from([1.0, 5.0, 12.0, 20.0]))
    def time_passes(self, seconds: float) -> None:
        self.cluster.run(seconds)
        self.log.append(f"{seconds} s pass")

    # -- properties --------------------------------------------------------------------------------------

    @invariant()
    def one_manager_acts(self) -> None:
        problems = leadership_violations(self.cluster.manager_writes)
        require(
            MANAGER_LEADER_EXCLUSIVE,
            not problems,
            lambda: "\n".join(problems[:5]) + "\n--- what happened:\n" + "\n".join(self.log),
        )

    def teardown(self) -> None:
        """Faults off; then the holder crashes and the other manager must take over and act."""
        for index in sorted(self.down):
            self.cluster.restart_controller_manager(index)
        self.cluster.run(takeover_bound_s())  # a leader, whoever it is, is settled by now
        holder = self._holder()
        leader = next((i for i in range(MANAGERS) if self.cluster.manager_identity(i) == holder), None)
        require(
            MANAGER_LEADER_TAKEOVER,
            leader is not None,
            lambda: (
                f"with every manager running for {takeover_bound_s()} s, the Lease names {holder!r}\n"
                + "\n".join(self.log)
            ),
        )
        assert leader is not None
        crashed_at = len(self.cluster.manager_writes)
        self.cluster.crash_controller_manager(leader)
        self.log.append(f"teardown: leader {holder} crashes")
        self.cluster.run(takeover_bound_s())
        taken = [
            w
            for w in self.cluster.manager_writes[crashed_at:]
            if w.path == LEASE_PATH and w.succeeded and w.manager != holder
        ]
        require(
            MANAGER_LEADER_TAKEOVER,
            bool(taken),
            lambda: (
                f"{takeover_bound_s()} s after {holder} crashed nobody else holds the Lease (now "
                f"{self._holder()!r})\n" + "\n".join(self.log)
            ),
        )
        self.cluster.run(CONVERGE_S)
        self.one_manager_acts()
        if self.replicas is not None:
            pods = self._ok("GET", f"/api/v1/namespaces/{NAMESPACE}/pods")["items"]
            active = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
            require(
                MANAGER_LEADER_TAKEOVER,
                len(active) == self.replicas,
                lambda: (
                    f"{CONVERGE_S} s after the takeover {NAME} has {len(active)} pods, spec.replicas "
                    f"{self.replicas}: the new leader does not act\n" + "\n".join(self.log)
                ),
            )


def machine_for(provider: ControllersProvider) -> type[LeaderElectionMachine]:
    return type("LeaderElectionMachine", (LeaderElectionMachine,), {"provider": provider})
