"""The StatefulSet machine: users create, scale, update (with a partition) and delete StatefulSets.

User rules: create a StatefulSet (OrderedReady or Parallel, 0..4 replicas,
one volumeClaimTemplate), scale it, change its image together with a
partition (0..4), delete it. Environment rules: EnvironmentRules (crash the
controller manager, lag the pod watch, let time pass) plus a pod losing or
regaining readiness — flipped through the API as the environment (a status
patch of the Ready condition, what a failing readiness probe makes a
kubelet write), since the simulated kubelet has no probes.

After every step, and every 0.25 simulated s while time passes, from the
API (the pods compared with the previous check; ``StatefulSetChecks``,
which a scenario test uses too): STATEFULSET-ORDERED-CREATE (OrderedReady:
a new pod i only when pods 0..i-1 are Running and Ready),
STATEFULSET-PARTITION (no pod below the partition that was Running and
Ready is deleted; no user deletes a pod here).

A sync decides on the controller's pod cache, which shows the API as it
was up to the pod watch's lag ago. So a new pod i is judged against the
pods as the machine saw them at each check from the previous check less
that lag (and a check interval, the cache's own granularity) up to now: it
is out of order only if at none of them were pods 0..i-1 all Running and
Ready. Without a lag that is the previous check and this one; a controller
that creates pod i+1 before pod i was ever Ready fails it under any lag.
At the end (faults off, pods ready, ``SETTLE_S`` simulated s) STATEFULSET-CONVERGE:
pods exactly 0..replicas-1, Running and Ready, at the update revision from
the partition up, status replicas/readyReplicas and observedGeneration.
"""

from __future__ import annotations

from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from conformance.adapters.controllers import ControllersProvider, SimulatedControlPlane
from conformance.violation import require
from conformance.workloads.environment import PODS, EnvironmentRules, StatesSeen
from spec.workloads.statefulset import STATEFULSET_CONVERGE, STATEFULSET_ORDERED_CREATE, STATEFULSET_PARTITION

NAMESPACE = "default"
NAMES = ("db", "kv")
MAX_REPLICAS = 4
#: The pods' terminationGracePeriodSeconds, upstream's default, stated: a deleted pod stays (terminating)
#: that long in the simulated kubelet, and a StatefulSet replaces its pods one at a time.
GRACE_S = 30
#: The liveness bound. Once the faults stop, a pod may still be terminating, and each pod is then deleted
#: at most once more (condemned, or at an old revision) and, but for the condemned, created again, one
#: after another: at most MAX_REPLICAS + 1 rounds of a grace period, a pod start and the controllers'
#: reactions, each well under GRACE_S + 5 s. (120 s, the bound before, was short of a 4-pod rolling
#: update: a soak found it, seed 8095.)
SETTLE_S = (MAX_REPLICAS + 1) * (GRACE_S + 5.0)
SETS = f"/apis/apps/v1/namespaces/{NAMESPACE}/statefulsets"
REVISION_LABEL = "controller-revision-hash"
MERGE = "application/merge-patch+json"


def statefulset(name: str, replicas: int, policy: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "podManagementPolicy": policy,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [{"name": "a", "image": "db:0", "resources": {"requests": {"cpu": "10m"}}}],
                    "terminationGracePeriodSeconds": GRACE_S,
                },
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
                }
            ],
        },
    }


def ready(pod: dict[str, Any]) -> bool:
    status = pod.get("status") or {}
    return (
        not pod["metadata"].get("deletionTimestamp")
        and status.get("phase") == "Running"
        and any(
            c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or ()
        )
    )


def ordinal(name: str, pod: dict[str, Any]) -> int | None:
    prefix, _, suffix = pod["metadata"]["name"].rpartition("-")
    return int(suffix) if prefix == name and suffix.isdigit() else None


class StatefulSetChecks:
    """The properties of one StatefulSet, read from the API of ``cluster``: ``check`` after every step
    (STATEFULSET-ORDERED-CREATE, STATEFULSET-PARTITION), ``converged`` at the end (STATEFULSET-CONVERGE).
    The machine keeps one per StatefulSet; a scenario test (tests/controllers/test_statefulset.py) uses
    one directly. A StatefulSet deleted and created again is a new one, with new checks."""

    def __init__(self, cluster: SimulatedControlPlane, name: str, log: list[str] | None = None) -> None:
        self.cluster, self.name = cluster, name
        self.log = log if log is not None else []
        self.seen: dict[int, dict[str, Any]] = {}  # ordinal -> the pod at the previous check
        #: Its ordinals Running and Ready at each recent check.
        self.ready_seen: StatesSeen[frozenset[int]] = StatesSeen()

    def statefulset(self) -> dict[str, Any]:
        status, sts = self.cluster.call("GET", f"{SETS}/{self.name}")
        assert status == 200, f"GET {SETS}/{self.name}: {status} {sts}"
        return sts  # type: ignore[no-any-return]

    def pods(self, sts: dict[str, Any] | None = None) -> dict[int, dict[str, Any]]:
        """Its pods by ordinal: those it (``sts``, else as it is now) controls. A deleted StatefulSet's pods
        may still be terminating when one of the same name is created; they are not its pods."""
        uid = (sts or self.statefulset())["metadata"]["uid"]
        status, pods = self.cluster.call("GET", f"/api/v1/namespaces/{NAMESPACE}/pods")
        assert status == 200, pods
        out = {}
        for pod in pods["items"]:
            o = ordinal(self.name, pod)
            owned = any(
                r.get("controller") and r.get("uid") == uid
                for r in pod["metadata"].get("ownerReferences") or ()
            )
            if o is not None and owned:
                out[o] = pod
        return out

    def check(self, since: float, lag_s: float = 0.0) -> None:
        """A new pod i is judged against the pods as they were at the checks from ``since`` on (those the
        controller may have seen, ``seen_by_controllers_since``): out of order only if at none of them
        were pods 0..i-1 all Running and Ready. A pod below the partition that was Running and Ready at
        the previous check is not deleted (no user deletes a pod here)."""
        sts = self.statefulset()
        spec = sts["spec"]
        partition = int(((spec.get("updateStrategy") or {}).get("rollingUpdate") or {}).get("partition") or 0)
        replicas = int(spec.get("replicas", 1))
        now, before = self.pods(sts), self.seen
        self.ready_seen.add(self.cluster.now, frozenset(o for o, pod in now.items() if ready(pod)))
        history = self.ready_seen.since(since)
        for o, pod in now.items():
            old = before.get(o)
            new = old is None or old["metadata"]["uid"] != pod["metadata"]["uid"]
            if new and spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady":
                lower = frozenset(range(o))
                require(
                    STATEFULSET_ORDERED_CREATE,
                    any(lower <= ready_then for _, ready_then in history),
                    lambda o=o: (
                        f"{self.name}-{o} created while pods 0..{o - 1} were not all Running and Ready at "
                        f"any check the controller may have seen (pod watch lag {lag_s} s): Running and "
                        f"Ready at {[(t, sorted(r)) for t, r in history]}\n" + "\n".join(self.log)
                    ),
                )
        for o, old in before.items():
            pod = now.get(o)
            gone = pod is None or pod["metadata"]["uid"] != old["metadata"]["uid"]
            deleting = gone or bool(pod["metadata"].get("deletionTimestamp"))  # type: ignore[index]
            require(
                STATEFULSET_PARTITION,
                not (
                    deleting
                    and not old["metadata"].get("deletionTimestamp")
                    and o < min(partition, replicas)
                    and ready(old)
                ),
                lambda o=o: f"{self.name}-{o}, below partition {partition}, deleted\n" + "\n".join(self.log),
            )
        self.seen = now

    def converged(self, after_s: float) -> None:
        """STATEFULSET-CONVERGE: pods exactly 0..replicas-1, Running and Ready, at the update revision from
        the partition up; status replicas and readyReplicas, observedGeneration = generation."""
        sts = self.statefulset()
        spec, status = sts["spec"], sts.get("status") or {}
        partition = int(((spec.get("updateStrategy") or {}).get("rollingUpdate") or {}).get("partition") or 0)
        replicas = int(spec.get("replicas", 1))
        pods = self.pods(sts)
        update = status.get("updateRevision")
        converged = (
            sorted(pods) == list(range(replicas))
            and all(ready(p) for p in pods.values())
            and all(
                pods[o]["metadata"]["labels"].get(REVISION_LABEL) == update
                for o in range(partition, replicas)
            )
            and status.get("replicas", 0) == replicas
            and status.get("readyReplicas", 0) == replicas
            and status.get("observedGeneration") == sts["metadata"].get("generation")
        )
        require(
            STATEFULSET_CONVERGE,
            converged,
            lambda: (
                f"{self.name}: after {after_s} s pods {sorted(pods)} for replicas {replicas}, "
                f"status {status}\n" + "\n".join(self.log)
            ),
        )


class StatefulSetMachine(EnvironmentRules):
    provider: ClassVar[ControllersProvider]

    def __init__(self) -> None:
        super().__init__()
        self.cluster: SimulatedControlPlane = self.provider.new_cluster(seed=0, nodes=3)
        self.log: list[str] = []
        self.checks: dict[str, StatefulSetChecks] = {}  # the StatefulSets that exist, by name
        self.checked_at = 0.0
        self.unready: set[str] = set()  # pod names whose readiness the environment took
        self.images = 0

    def _ok(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        status, answer = self.cluster.call(method, path, body, content_type=content_type)
        assert status < 300, f"{method} {path}: {status} {answer}"
        return answer

    # -- users ---------------------------------------------------------------------------------

    @precondition(lambda self: len(self.checks) < len(NAMES))
    @rule(
        data=st.data(),
        replicas=st.integers(0, MAX_REPLICAS),
        policy=st.sampled_from(["OrderedReady", "Parallel"]),
    )
    def create(self, data: st.DataObject, replicas: int, policy: str) -> None:
        name = data.draw(st.sampled_from([n for n in NAMES if n not in self.checks]))
        self._ok("POST", SETS, statefulset(name, replicas, policy))
        self.checks[name] = StatefulSetChecks(self.cluster, name, self.log)
        self.log.append(f"create {name} {policy} replicas={replicas}")

    @precondition(lambda self: bool(self.checks))
    @rule(data=st.data(), replicas=st.integers(0, MAX_REPLICAS))
    def scale(self, data: st.DataObject, replicas: int) -> None:
        name = data.draw(st.sampled_from(sorted(self.checks)))
        self._ok("PATCH", f"{SETS}/{name}/scale", {"spec": {"replicas": replicas}}, MERGE)
        self.log.append(f"scale {name} to {replicas}")

    @precondition(lambda self: bool(self.checks))
    @rule(data=st.data(), partition=st.integers(0, 4))
    def update(self, data: st.DataObject, partition: int) -> None:
        name = data.draw(st.sampled_from(sorted(self.checks)))
        self.images += 1
        patch = {
            "spec": {
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": partition}},
                "template": {"spec": {"containers": [{"name": "a", "image": f"db:{self.images}"}]}},
            }
        }
        self._ok("PATCH", f"{SETS}/{name}", patch, "application/strategic-merge-patch+json")
        self.log.append(f"update {name} to db:{self.images} partition={partition}")

    @precondition(lambda self: bool(self.checks))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.checks)))
        self._ok("DELETE", f"{SETS}/{name}")  # the garbage collector deletes its pods
        del self.checks[name]
        self.log.append(f"delete {name}")

    # -- environment: readiness lost and regained ----------------------------------------------------

    @precondition(lambda self: bool(self.checks))
    @rule(data=st.data(), ready_now=st.booleans())
    def flip_readiness(self, data: st.DataObject, ready_now: bool) -> None:
        name = data.draw(st.sampled_from(sorted(self.checks)))
        pods = self.checks[name].pods().values()
        running = [p for p in pods if (p.get("status") or {}).get("phase") == "Running"]
        if not running:
            return
        pod = data.draw(st.sampled_from(sorted(p["metadata"]["name"] for p in running)))
        self._set_ready(pod, ready_now)

    def _set_ready(self, pod: str, value: bool) -> None:
        body = {"status": {"conditions": [{"type": "Ready", "status": "True" if value else "False"}]}}
        self.cluster.call(
            "PATCH",
            f"/api/v1/namespaces/{NAMESPACE}/pods/{pod}/status",
            body,
            content_type="application/strategic-merge-patch+json",
        )
        (self.unready.discard if value else self.unready.add)(pod)
        self.log.append(f"pod {pod} ready={value}")

    def pass_time(self, seconds: float) -> None:
        """Time passes in ticks with the checks after each: a pod is judged against the pods below it
        as they were when it appeared. (Checked only after a 3 s step, a pod created while the pods
        below were Ready looked created out of order once the rolling update had since deleted one
        of them, as a soak found.)"""
        self.pass_time_checking(seconds, self.ordered_and_partitioned)

    # -- properties -------------------------------------------------------------------------------

    @invariant()
    def ordered_and_partitioned(self) -> None:
        previous_check, self.checked_at = self.checked_at, self.cluster.now
        since = self.seen_by_controllers_since(previous_check)
        for name in sorted(self.checks):
            self.checks[name].check(since, self.pod_watch_lag_s)

    def teardown(self) -> None:
        self.cluster.set_watch_lag(PODS, 0.0)
        self.cluster.restart_controller_manager()
        for pod in sorted(self.unready):
            self._set_ready(pod, True)
        self.cluster.run(SETTLE_S)
        for name in sorted(self.checks):
            self.checks[name].converged(SETTLE_S)


def machine_for(provider: ControllersProvider) -> type[StatefulSetMachine]:
    return type("StatefulSetMachine", (StatefulSetMachine,), {"provider": provider})
