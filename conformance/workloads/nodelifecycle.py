"""The node lifecycle machine: ReplicaSets whose pods tolerate node failures for a while, and nodes that die.

Rules are what users do (create a ReplicaSet whose pods tolerate the
``unreachable`` and ``not-ready`` NoExecute taints for 0, 10 or 30 s, or
forever) and what the environment does: a kubelet crashes (its Lease is no
longer renewed) or comes back (and posts Ready=True, which the simulated
kubelet does not do by itself); a live kubelet reports its node NotReady
or Ready again; the controller manager crashes; the pod watch lags; time
passes, up to a minute at a time (in 5 s slices, the safety checked after
each).

After every step (safety):

- NODE-LIFECYCLE-READY-UNKNOWN: a node whose Ready condition is Unknown
  went Unknown (its lastTransitionTime) no earlier than its kubelet's last
  Lease renewal + the grace period, during a crash;
- NODE-LIFECYCLE-NO-EARLY-EVICTION: every pod with a deletionTimestamp (no
  one else deletes pods here) was deleted (deletionTimestamp minus its
  grace period) during an episode of its node's ill health, no earlier
  than the episode's start + the pod's toleration time for that episode's
  taint, where a crash episode starts at the last Lease renewal + the grace
  period and a NotReady one when it is reported.

Kubelets crash and report NotReady only while another node stays healthy:
the controller's master disruption mode (no node Ready: no taints) is left
out of the machine (tests/controllers/test_nodelifecycle_bugs.py checks it
on its own), for it would hide evictions.

At the end (liveness, Anvil's ESR): faults off (the watch lag; the manager
is running), one node dead (the healthy one with the most pods crashes now
if none is), and within ``SETTLE_S`` simulated seconds
every crashed node is Ready=Unknown and tainted unreachable:NoExecute, a
NotReady one not-ready:NoExecute, a healthy one neither
(NODE-LIFECYCLE-READY-UNKNOWN, NODE-LIFECYCLE-UNREACHABLE-TAINT); no pod
that tolerates its unhealthy node only for a while is still active there,
and each ReplicaSet has its spec.replicas active pods
(NODE-LIFECYCLE-EVICT-AFTER-TOLERATION). Then every node comes back and
within ``RECOVER_S`` none carries a not-ready or unreachable taint
(NODE-LIFECYCLE-UNREACHABLE-TAINT).

Deletion and transition timestamps have whole seconds: the bounds allow
``ROUNDING_S``. A node that is healthy again keeps its taints until the
controller's next pass: an eviction up to ``MONITOR_SLACK_S`` after the end
of an episode is the episode's, and episodes that follow each other within
that slack form one spell (``spells``: the controller may not have seen the
node healthy in between, and the taint manager keeps its timers).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from conformance.adapters.controllers import ControllersProvider, Kubelet, SimulatedControlPlane
from conformance.violation import require
from conformance.workloads.environment import PODS, EnvironmentRules
from spec.objects.core import Taint, Toleration
from spec.workloads.nodelifecycle import (
    NODE_LIFECYCLE_EVICT_AFTER_TOLERATION,
    NODE_LIFECYCLE_NO_EARLY_EVICTION,
    NODE_LIFECYCLE_READY_UNKNOWN,
    NODE_LIFECYCLE_UNREACHABLE_TAINT,
    NODE_MONITOR_GRACE_PERIOD_S,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    earliest_eviction,
    eviction_delay,
    noexecute_taints,
)

NAMES = ("web", "api")
NODES = ("node-0", "node-1", "node-2")
NAMESPACE = "default"
TOLERATION_SECONDS = (0, 10, 30, None)  # None: tolerates forever
SETTLE_S = 120.0
#: How long a node that is healthy again may keep its taints (the controller passes every 5 s).
RECOVER_S = 15.0
ROUNDING_S = 1.0
MONITOR_SLACK_S = 10.0
SLICE_S = 5.0
MANAGED = (TAINT_UNREACHABLE, TAINT_NOT_READY)


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Clocked:
    """The cluster, counting the simulated time that passes (``now``, the machine's clock) and the part
    of it the controller manager was running (``up``)."""

    def __init__(self, inner: SimulatedControlPlane) -> None:
        self.inner = inner
        self.now = 0.0
        self.up = 0.0
        self.running = True

    def call(
        self, method: str, path: str, body: Any = None, *, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        return self.inner.call(method, path, body, content_type=content_type)

    def run(self, seconds: float) -> None:
        self.inner.run(seconds)
        self.now += seconds
        if self.running:
            self.up += seconds

    def crash_controller_manager(self) -> None:
        self.inner.crash_controller_manager()
        self.running = False

    def restart_controller_manager(self) -> None:
        self.inner.restart_controller_manager()
        self.running = True

    def crash_controller_manager_mid_reconcile(self, writes: int) -> None:
        self.inner.crash_controller_manager_mid_reconcile(writes)
        # It may die at any moment from now on: none of the time until its restart counts as uptime.
        self.running = False

    def set_watch_lag(self, path_prefix: str, seconds: float) -> None:
        self.inner.set_watch_lag(path_prefix, seconds)

    def kubelet(self, name: str) -> Kubelet:
        return self.inner.kubelet(name)


@dataclass
class Episode:
    """A time a node was not healthy: it ``began`` (a crash, a NotReady report), the controller may act on
    it from ``start`` (for a crash: the last Lease renewal + the grace period), and it ended at ``end``."""

    taint: str
    began: float
    start: float
    end: float | None = None


def spells(episodes: list[Episode]) -> list[list[Episode]]:
    """Episodes chained into spells: one that begins within MONITOR_SLACK_S of the end of the one before
    may find the node still tainted (the controller passes every 5 s and may never have seen it healthy),
    and the taint manager keeps the time it first saw a pod on a tainted node."""
    out: list[list[Episode]] = []
    for episode in sorted(episodes, key=lambda e: e.began):
        last = out[-1] if out else None
        ends = [e.end for e in last] if last else []
        if last and (
            None in ends or episode.began <= max(e for e in ends if e is not None) + MONITOR_SLACK_S
        ):
            last.append(episode)
        else:
            out.append([episode])
    return out


def replicaset(name: str, replicas: int, seconds: int | None) -> dict[str, Any]:
    labels = {"app": name}
    tolerations = []
    for key in MANAGED:
        toleration: dict[str, Any] = {"key": key, "operator": "Exists", "effect": "NoExecute"}
        if seconds is not None:
            toleration["tolerationSeconds"] = seconds
        tolerations.append(toleration)
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
                    "containers": [{"name": "app", "image": "nginx:1.27"}],
                    "tolerations": tolerations,
                },
            },
        },
    }


def tolerations_of(pod: dict[str, Any]) -> list[Toleration]:
    return [
        Toleration(
            key=t.get("key", ""),
            operator=t.get("operator", ""),
            value=t.get("value", ""),
            effect=t.get("effect", ""),
            toleration_seconds=t.get("tolerationSeconds"),
        )
        for t in (pod.get("spec") or {}).get("tolerations") or ()
    ]


def delay_for(pod: dict[str, Any], taint: str) -> float | None:
    return eviction_delay(tolerations_of(pod), [Taint(key=taint, effect="NoExecute")])


class NodeLifecycleMachine(EnvironmentRules):
    provider: ClassVar[ControllersProvider]

    def __init__(self) -> None:
        super().__init__()
        self.cluster = Clocked(self.provider.new_cluster(seed=0, nodes=len(NODES)))
        self.log: list[str] = []
        node = self._ok("GET", f"/api/v1/nodes/{NODES[0]}")
        self.epoch = parse_time(node["metadata"]["creationTimestamp"])  # registered at time 0
        self.crashed: set[str] = set()
        self.not_ready: set[str] = set()
        self.episodes: dict[str, list[Episode]] = {name: [] for name in NODES}
        self.wanted: dict[str, tuple[int, int | None]] = {}
        self.judged: set[str] = set()

    # -- reading the cluster ---------------------------------------------------------------------

    def _ok(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        status, answer = self.cluster.call(method, path, body, content_type=content_type)
        assert status < 300, f"{method} {path}: {status} {answer}"
        return answer

    def _seconds(self, text: str) -> float:
        return (parse_time(text) - self.epoch).total_seconds()

    def _pods(self) -> list[dict[str, Any]]:
        return list(self._ok("GET", f"/api/v1/namespaces/{NAMESPACE}/pods")["items"])

    def _nodes(self) -> dict[str, dict[str, Any]]:
        return {n["metadata"]["name"]: n for n in self._ok("GET", "/api/v1/nodes")["items"]}

    def _last_renewal(self, node: str) -> float:
        lease = self._ok("GET", f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{node}")
        return self._seconds(lease["spec"]["renewTime"])

    def _report(self, node: str, ready: bool) -> None:
        """What a live kubelet posts: its Ready condition."""
        condition = {
            "type": "Ready",
            "status": "True" if ready else "False",
            "reason": "KubeletReady" if ready else "KubeletNotReady",
            "lastTransitionTime": (self.epoch + timedelta(seconds=self.cluster.now)).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
        }
        self._ok(
            "PATCH",
            f"/api/v1/nodes/{node}/status",
            {"status": {"conditions": [condition]}},
            content_type="application/merge-patch+json",
        )

    def _end(self, node: str, taint: str) -> None:
        for episode in self.episodes[node]:
            if episode.taint == taint and episode.end is None:
                episode.end = self.cluster.now

    # -- users ---------------------------------------------------------------------------------------

    @precondition(lambda self: len(self.wanted) < len(NAMES))
    @rule(data=st.data(), replicas=st.integers(1, 4), seconds=st.sampled_from(TOLERATION_SECONDS))
    def create(self, data: st.DataObject, replicas: int, seconds: int | None) -> None:
        name = data.draw(st.sampled_from([n for n in NAMES if n not in self.wanted]))
        self._ok(
            "POST", f"/apis/apps/v1/namespaces/{NAMESPACE}/replicasets", replicaset(name, replicas, seconds)
        )
        self.wanted[name] = (replicas, seconds)
        self.log.append(f"{self.cluster.now}: create {name} replicas={replicas} tolerationSeconds={seconds}")

    # -- the environment ----------------------------------------------------------------------------

    def _healthy(self) -> list[str]:
        return [n for n in NODES if n not in self.crashed and n not in self.not_ready]

    @precondition(lambda self: len(self._healthy()) >= 2)
    @rule(data=st.data())
    def crash_a_kubelet(self, data: st.DataObject) -> None:
        self._crash(data.draw(st.sampled_from([n for n in NODES if n not in self.crashed])))

    def _crash(self, node: str) -> None:
        renewed = self._last_renewal(node)
        self.cluster.kubelet(node).crash()
        self.crashed.add(node)
        self.episodes[node].append(
            Episode(TAINT_UNREACHABLE, self.cluster.now, renewed + NODE_MONITOR_GRACE_PERIOD_S)
        )
        self.log.append(f"{self.cluster.now}: kubelet {node} crashes (Lease last renewed at {renewed})")

    @precondition(lambda self: bool(self.crashed))
    @rule(data=st.data())
    def recover_a_kubelet(self, data: st.DataObject) -> None:
        node = data.draw(st.sampled_from(sorted(self.crashed)))
        self.cluster.kubelet(node).recover()
        self._report(node, True)
        self.crashed.discard(node)
        self.not_ready.discard(node)
        self._end(node, TAINT_UNREACHABLE)
        self._end(node, TAINT_NOT_READY)
        self.log.append(f"{self.cluster.now}: kubelet {node} recovers, reports Ready")

    @precondition(lambda self: len(self._healthy()) >= 2)
    @rule(data=st.data())
    def a_kubelet_reports_not_ready(self, data: st.DataObject) -> None:
        node = data.draw(st.sampled_from(self._healthy()))
        self._report(node, False)
        self.not_ready.add(node)
        self.episodes[node].append(Episode(TAINT_NOT_READY, self.cluster.now, self.cluster.now))
        self.log.append(f"{self.cluster.now}: {node} reports NotReady")

    @precondition(lambda self: bool(self.not_ready - self.crashed))
    @rule(data=st.data())
    def a_kubelet_reports_ready(self, data: st.DataObject) -> None:
        node = data.draw(st.sampled_from(sorted(self.not_ready - self.crashed)))
        self._report(node, True)
        self.not_ready.discard(node)
        self._end(node, TAINT_NOT_READY)
        self.log.append(f"{self.cluster.now}: {node} reports Ready")

    @rule(seconds=st.sampled_from([10.0, 30.0, 60.0]))
    def much_time_passes(self, seconds: float) -> None:
        self._advance(seconds)
        self.log.append(f"{self.cluster.now}: {seconds} s passed")

    def _advance(self, seconds: float) -> None:
        """Time passes in slices, the safety checked after each (a pod evicted from a node that reports
        NotReady, its kubelet alive, is gone once its grace period is over)."""
        end = self.cluster.now + seconds
        while self.cluster.now < end - 1e-9:
            self.cluster.run(min(SLICE_S, end - self.cluster.now))
            self.safety()

    # -- properties ------------------------------------------------------------------------------------------

    def _trace(self) -> str:
        return "\n".join(self.log)

    @invariant()
    def safety(self) -> None:
        nodes = self._nodes()
        for name, node in nodes.items():
            for condition in (node.get("status") or {}).get("conditions") or ():
                if condition.get("type") != "Ready" or condition.get("status") != "Unknown":
                    continue
                at = self._seconds(condition.get("lastTransitionTime") or "1970-01-01T00:00:00Z")
                allowed = any(
                    e.taint == TAINT_UNREACHABLE
                    and e.start - ROUNDING_S <= at
                    and (e.end is None or at <= e.end + MONITOR_SLACK_S)
                    for e in self.episodes[name]
                )
                require(
                    NODE_LIFECYCLE_READY_UNKNOWN,
                    allowed,
                    lambda name=name, at=at: (
                        f"{name} went Ready=Unknown at {at}; its crashes: {self.episodes[name]}\n"
                        + self._trace()
                    ),
                )
        for pod in self._pods():
            metadata = pod["metadata"]
            uid = metadata["uid"]
            if not metadata.get("deletionTimestamp") or uid in self.judged:
                continue
            self.judged.add(uid)
            deleted = self._seconds(metadata["deletionTimestamp"]) - float(
                metadata.get("deletionGracePeriodSeconds") or 0
            )
            node_name = (pod.get("spec") or {}).get("nodeName") or ""
            allowed = False
            for spell in spells(self.episodes.get(node_name, [])):
                # The earliest any episode of the spell allows: its start (for a crash, earliest_eviction's
                # last renewal + grace period) + the pod's toleration of its taint.
                bounds = [
                    earliest_eviction(e.start - NODE_MONITOR_GRACE_PERIOD_S, delay)
                    if e.taint == TAINT_UNREACHABLE
                    else e.start + delay
                    for e in spell
                    if (delay := delay_for(pod, e.taint)) is not None
                ]
                ends = [e.end for e in spell]
                open_ended = None in ends
                if (
                    bounds
                    and min(b for b in bounds if b is not None) - ROUNDING_S <= deleted
                    and (open_ended or deleted <= max(e for e in ends if e is not None) + MONITOR_SLACK_S)
                ):
                    allowed = True
            require(
                NODE_LIFECYCLE_NO_EARLY_EVICTION,
                allowed,
                lambda metadata=metadata, deleted=deleted, node_name=node_name: (
                    f"pod {metadata['name']} on {node_name} deleted at {deleted} (now {self.cluster.now}); "
                    f"episodes of {node_name}: {self.episodes.get(node_name)}\n" + self._trace()
                ),
            )

    def teardown(self) -> None:
        """The liveness phase: faults off, a node healthy, then everything must converge within SETTLE_S."""
        self.cluster.set_watch_lag(PODS, 0.0)
        # The manager is running (its crashes end with a restart); restarting it again would only reset
        # its view of the nodes' health. A dead node is what this phase is about: when none is dead,
        # the healthy node with the most pods dies now (one stays healthy: never master disruption).
        healthy = self._healthy()
        if not self.crashed and len(healthy) >= 2:
            on = Counter((p.get("spec") or {}).get("nodeName") for p in self._pods())
            self._crash(max(healthy, key=lambda n: (on[n], n)))
        self._advance(SETTLE_S)
        expected = {
            n: "Unknown" if n in self.crashed else "False" if n in self.not_ready else "True" for n in NODES
        }
        nodes = self._nodes()
        for name, node in nodes.items():
            ready = next(
                (
                    c.get("status")
                    for c in (node.get("status") or {}).get("conditions") or ()
                    if c.get("type") == "Ready"
                ),
                None,
            )
            require(
                NODE_LIFECYCLE_READY_UNKNOWN,
                ready == expected[name],
                lambda name=name, ready=ready: (
                    f"{name}: Ready={ready} after {SETTLE_S} s, expected {expected[name]}\n" + self._trace()
                ),
            )
            have = {
                t.get("key")
                for t in (node.get("spec") or {}).get("taints") or ()
                if t.get("key") in MANAGED and t.get("effect") == "NoExecute"
            }
            want = noexecute_taints(expected[name], all_not_ready=False)
            require(
                NODE_LIFECYCLE_UNREACHABLE_TAINT,
                have == set(want),
                lambda name=name, have=have, want=want: (
                    f"{name} (Ready {expected[name]}): NoExecute taints {sorted(have)}, "
                    f"expected {sorted(want)} after {SETTLE_S} s\n" + self._trace()
                ),
            )
        pods = self._pods()
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            node_name = (pod.get("spec") or {}).get("nodeName") or ""
            taint = {"Unknown": TAINT_UNREACHABLE, "False": TAINT_NOT_READY}.get(
                expected.get(node_name, "True")
            )
            stuck = taint is not None and delay_for(pod, taint) is not None
            require(
                NODE_LIFECYCLE_EVICT_AFTER_TOLERATION,
                not stuck,
                lambda pod=pod, node_name=node_name: (
                    f"pod {pod['metadata']['name']} still active on {node_name} (Ready "
                    f"{expected.get(node_name)}) {SETTLE_S} s after the faults ended\n" + self._trace()
                ),
            )
        for name, (replicas, _) in self.wanted.items():
            active = [
                p
                for p in pods
                if p["metadata"].get("labels", {}).get("app") == name
                and not p["metadata"].get("deletionTimestamp")
            ]
            require(
                NODE_LIFECYCLE_EVICT_AFTER_TOLERATION,
                len(active) == replicas,
                lambda name=name, active=active, replicas=replicas: (
                    f"{name}: {len(active)} active pods for spec.replicas {replicas} after {SETTLE_S} s\n"
                    + self._trace()
                ),
            )
        # Then every node comes back: within RECOVER_S all are Ready and untainted again.
        for node in NODES:
            if node in self.crashed:
                self.cluster.kubelet(node).recover()
            if node in self.crashed or node in self.not_ready:
                self._report(node, True)
                self._end(node, TAINT_UNREACHABLE)
                self._end(node, TAINT_NOT_READY)
        self.crashed.clear()
        self.not_ready.clear()
        self.log.append(f"{self.cluster.now}: every node back")
        self._advance(RECOVER_S)
        for name, node in self._nodes().items():
            have = {
                (t.get("key"), t.get("effect"))
                for t in (node.get("spec") or {}).get("taints") or ()
                if t.get("key") in MANAGED
            }
            require(
                NODE_LIFECYCLE_UNREACHABLE_TAINT,
                not have,
                lambda name=name, have=have: (
                    f"{name}: Ready again for {RECOVER_S} s, still tainted {sorted(have)}\n" + self._trace()
                ),
            )


def machine_for(provider: ControllersProvider) -> type[NodeLifecycleMachine]:
    return type("NodeLifecycleMachine", (NodeLifecycleMachine,), {"provider": provider})
