"""The DaemonSet machine: a simulated cluster, users with DaemonSets, nodes that change, a hostile world.

User rules: create a DaemonSet (with or without a toleration of the
``dedicated`` taint, with or without a nodeSelector ``role=infra``,
RollingUpdate with maxUnavailable 1 or 2, or with maxSurge 1 or "50%" and
maxUnavailable 0, or OnDelete), change its
template (a new image), delete it. Environment rules: those of
``EnvironmentRules`` (controller manager crashes, pod watch lag, time)
and node changes through the API: add or remove a taint (``dedicated``
NoSchedule, ``evict`` NoExecute), add or remove the ``role=infra`` label,
cordon and uncordon (``spec.unschedulable`` and the ``unschedulable``
taint the node lifecycle controller adds).

Safety after every step:

- DAEMONSET-TOLERATIONS: no daemon pod created after a NoSchedule or
  NoExecute taint was put on a node sits on that node (bound or pinned by
  affinity) unless the template or the automatic tolerations tolerate it.
  (A pod that was there before a NoSchedule taint may stay; one there before
  a NoExecute taint is the controller's to delete, which takes a sync.)
- DAEMONSET-ROLL-UNAVAILABLE: during a RollingUpdate, of the nodes that had
  an available daemon pod when the template last changed and that should
  still run one, at most maxUnavailable have none available. Not checked for a
  rollout started or running while the controllers' pod cache is stale
  (watch lag): a controller reading a stale cache replaces pods it takes
  for unavailable, upstream's too.
- DAEMONSET-ROLL-SURGE: during a RollingUpdate with maxSurge, the spec's
  ``surge_violations`` on those nodes and the pods now: every one keeps an
  available daemon pod (maxUnavailable is 0), none has two current pods or
  more than two in all, and at most maxSurge (resolved against the nodes
  that should run a pod, the largest since the template changed) have an
  old and a current pod. Same exemption for a stale cache.

Liveness at the end (Anvil's ESR): faults off, then within ``SETTLE_S``
simulated seconds (DAEMONSET-COVERAGE) every eligible node runs exactly one
Running and Ready daemon pod of the current template (for OnDelete, of any
template), a node that may not keep one runs none, every other node at most
one, and the status says so (desiredNumberScheduled, numberReady,
updatedNumberScheduled, observedGeneration). The safety checks keep running
every ``SETTLE_CHECK_S`` while it settles: a rollout the last step started is
carried out then.

Eligibility is the spec's ``node_should_run_daemon_pod`` on the nodes as the
API server has them. Everything is read back from the API server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from conformance.adapters.controllers import ControllersProvider, SimulatedControlPlane
from conformance.violation import RequirementViolation, require
from conformance.workloads.environment import PODS, EnvironmentRules
from spec.objects import from_dict
from spec.objects.core import Node, Pod, PodSpec, Taint
from spec.scheduling.corev1 import untolerated_taints
from spec.workloads.daemonset import (
    DAEMONSET_COVERAGE,
    DAEMONSET_ROLL_SURGE,
    DAEMONSET_ROLL_UNAVAILABLE,
    DAEMONSET_TOLERATIONS,
    NO_EXECUTE,
    NO_SCHEDULE,
    TAINT_UNSCHEDULABLE,
    UpdatePod,
    add_daemon_pod_tolerations,
    max_surge_of,
    node_should_run_daemon_pod,
    surge_violations,
)

NAMES = ("agent", "logs")
NAMESPACE = "default"
NODE_COUNT = 3
NODES = tuple(f"node-{i}" for i in range(NODE_COUNT))
TAINTS = {"dedicated": NO_SCHEDULE, "evict": NO_EXECUTE}
INFRA = ("role", "infra")
SETTLE_S = 30.0
#: While the cluster settles, the safety checks run every SETTLE_CHECK_S simulated seconds.
SETTLE_CHECK_S = 1.0


def daemonset(
    name: str,
    *,
    tolerate: bool,
    node_selector: bool,
    strategy: str,
    max_unavailable: int,
    image: int,
    max_surge: int | str = 0,
) -> dict[str, Any]:
    labels = {"app": name}
    spec: dict[str, Any] = {
        "containers": [{"name": "app", "image": f"agent:{image}"}],
        "terminationGracePeriodSeconds": 1,
    }
    if tolerate:
        spec["tolerations"] = [{"key": "dedicated", "operator": "Exists", "effect": NO_SCHEDULE}]
    if node_selector:
        spec["nodeSelector"] = {INFRA[0]: INFRA[1]}
    update: dict[str, Any] = {"type": strategy}
    if strategy == "RollingUpdate":
        # Validation: maxSurge > 0 only with maxUnavailable 0 (spec's rolling_update_strategy_errors).
        update["rollingUpdate"] = (
            {"maxSurge": max_surge, "maxUnavailable": 0} if max_surge else {"maxUnavailable": max_unavailable}
        )
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "selector": {"matchLabels": labels},
            "updateStrategy": update,
            "template": {"metadata": {"labels": labels}, "spec": spec},
        },
    }


def _ds_path(name: str) -> str:
    return f"/apis/apps/v1/namespaces/{NAMESPACE}/daemonsets/{name}"


@dataclass
class Wanted:
    """What the user asked of one DaemonSet, and what the rollout budget is measured against."""

    uid: str
    strategy: str
    max_unavailable: int
    image: int
    #: Nodes with an available daemon pod when the template last changed (RollingUpdate only).
    covered: set[str] = field(default_factory=set)
    #: maxSurge as the user wrote it (0: the rollout deletes first, within maxUnavailable).
    max_surge: int | str = 0
    #: maxSurge resolved against the nodes that should run a pod, the largest since the template changed
    #: (a surge started while more nodes were eligible may outlast a smaller percentage).
    surge_bound: int = 0


def pod_node(pod: dict[str, Any]) -> str:
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    for term in required.get("nodeSelectorTerms") or ():
        for f in term.get("matchFields") or ():
            if f.get("key") == "metadata.name" and f.get("values"):
                return str(f["values"][0])
    return ""


def available(pod: dict[str, Any]) -> bool:
    status = pod.get("status") or {}
    return (
        not pod["metadata"].get("deletionTimestamp")
        and status.get("phase") == "Running"
        and any(
            c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or ()
        )
    )


def as_node(obj: dict[str, Any]) -> Node:
    """A node of a list (list items carry no apiVersion and kind) as the spec's Node."""
    return cast(Node, from_dict({**obj, "apiVersion": "v1", "kind": "Node"}))


def template_spec(ds: dict[str, Any]) -> PodSpec:
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {}, "spec": ds["spec"]["template"]["spec"]}
    return cast(Pod, from_dict(body)).spec


class DaemonSetMachine(EnvironmentRules):
    provider: ClassVar[ControllersProvider]

    def __init__(self) -> None:
        super().__init__()
        self.cluster: SimulatedControlPlane = self.provider.new_cluster(seed=0, nodes=NODE_COUNT)
        self.wanted: dict[str, Wanted] = {}
        #: (node, taint key) -> uids of the daemon pods that existed when the taint was put on.
        self.tainted_at: dict[tuple[str, str], set[str]] = {}
        self.log: list[str] = []
        self.failed = False
        self.lag_s = 0.0  # the pod watch's lag now
        self.stale_s = 0.0  # how long the controllers' pod cache may still be stale after a lag ended

    # -- reading the cluster -----------------------------------------------------------------------

    def _ok(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        status, answer = self.cluster.call(method, path, body, content_type=content_type)
        assert status < 300, f"{method} {path}: {status} {answer}"  # the suite's own calls must work
        return answer

    def _all_pods(self) -> list[dict[str, Any]]:
        return list(self._ok("GET", f"/api/v1/namespaces/{NAMESPACE}/pods")["items"])

    def _pods(self, name: str, pods: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        uid = self.wanted[name].uid
        return [
            p
            for p in (self._all_pods() if pods is None else pods)
            if any(
                r.get("uid") == uid and r.get("controller")
                for r in p["metadata"].get("ownerReferences") or ()
            )
            and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        ]

    def _nodes(self) -> dict[str, dict[str, Any]]:
        return {n["metadata"]["name"]: n for n in self._ok("GET", "/api/v1/nodes")["items"]}

    def _eligibility(self, name: str) -> dict[str, tuple[bool, bool]]:
        spec = template_spec(self._ok("GET", _ds_path(name)))
        return {node: node_should_run_daemon_pod(as_node(obj), spec) for node, obj in self._nodes().items()}

    def _patch_node(self, node: str, change: Any) -> None:
        obj = self._ok("GET", f"/api/v1/nodes/{node}")
        change(obj)
        self._ok("PUT", f"/api/v1/nodes/{node}", obj)

    # -- users -------------------------------------------------------------------------------------------

    @precondition(lambda self: len(self.wanted) < len(NAMES))
    @rule(
        data=st.data(),
        tolerate=st.booleans(),
        node_selector=st.sampled_from([False, False, True]),
        strategy=st.sampled_from(["RollingUpdate", "RollingUpdate", "OnDelete"]),
        max_unavailable=st.sampled_from([1, 2]),
        max_surge=st.sampled_from([0, 0, 1, "50%"]),
    )
    def create(
        self,
        data: st.DataObject,
        tolerate: bool,
        node_selector: bool,
        strategy: str,
        max_unavailable: int,
        max_surge: int | str,
    ) -> None:
        name = data.draw(st.sampled_from([n for n in NAMES if n not in self.wanted]))
        body = daemonset(
            name,
            tolerate=tolerate,
            node_selector=node_selector,
            strategy=strategy,
            max_unavailable=max_unavailable,
            image=1,
            max_surge=max_surge,
        )
        if strategy != "RollingUpdate":
            max_surge = 0
        if max_surge:
            max_unavailable = 0
        created = self._ok("POST", f"/apis/apps/v1/namespaces/{NAMESPACE}/daemonsets", body)
        self.wanted[name] = Wanted(
            created["metadata"]["uid"], strategy, max_unavailable, 1, max_surge=max_surge
        )
        self.cluster.run(2.0)  # ... and the user waits a little (its pods start) before the next step
        self.stale_s = max(self.stale_s - 2.0, 0.0)
        self.log.append(
            f"create {name} tolerate={tolerate} nodeSelector={node_selector} {strategy} "
            f"maxUnavailable={max_unavailable} maxSurge={max_surge}"
        )

    @precondition(lambda self: bool(self.wanted))
    @rule(data=st.data())
    def change_template(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.wanted)))
        wanted = self.wanted[name]
        wanted.image += 1
        ds = self._ok("GET", _ds_path(name))
        ds["spec"]["template"]["spec"]["containers"][0]["image"] = f"agent:{wanted.image}"
        self._ok("PUT", _ds_path(name), ds)
        stale = self.lag_s > 0 or self.stale_s > 0
        wanted.covered = set() if stale else {pod_node(p) for p in self._pods(name) if available(p)}
        wanted.surge_bound = 0
        self.log.append(f"change {name} to agent:{wanted.image} (covered {sorted(wanted.covered)})")

    @precondition(lambda self: len(self.wanted) == len(NAMES))  # rarely: deleting ends a DaemonSet's story
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.wanted)))
        self._ok("DELETE", _ds_path(name))
        del self.wanted[name]  # its pods are the garbage collector's
        self.log.append(f"delete {name}")

    @rule(lag_s=st.sampled_from([0.0, 1.0, 3.0]))
    def lag_the_pod_watch(self, lag_s: float) -> None:
        """The environment's rule, plus: while the controllers' pod cache is stale, no rollout budget is
        measured. A controller that sees its pods late may take an available old pod for an unavailable
        one and replace it at once, as upstream's does (``rollingUpdate`` reads the informer cache); the
        budget holds against an up-to-date cache. A rollout started while the watch lags, or one the
        watch starts lagging during, is not checked; the cache is fresh again ``lag`` seconds after the
        lag ends, or at once after a controller manager restart (it lists)."""
        super().lag_the_pod_watch(lag_s)
        if lag_s > 0:
            for wanted in self.wanted.values():
                wanted.covered = set()
        else:
            self.stale_s = max(self.stale_s, self.lag_s)
        self.lag_s = lag_s

    @rule(seconds=st.sampled_from([0.25, 1.0, 3.0]))
    def time_passes(self, seconds: float) -> None:
        super().time_passes(seconds)
        self.stale_s = max(self.stale_s - seconds, 0.0)

    @rule(down_s=st.sampled_from([0.0, 0.5, 2.0]))
    def crash_the_controller_manager(self, down_s: float) -> None:
        super().crash_the_controller_manager(down_s)
        self.stale_s = 0.0

    @rule(writes=st.integers(0, 3), down_s=st.sampled_from([0.0, 2.0]))
    def crash_the_controller_manager_mid_reconcile(self, writes: int, down_s: float) -> None:
        super().crash_the_controller_manager_mid_reconcile(writes, down_s)
        self.stale_s = 0.0  # restarted: it listed again

    # -- nodes -------------------------------------------------------------------------------------------

    @rule(
        node=st.sampled_from(NODES),
        what=st.sampled_from([*sorted(TAINTS), "label", "cordon"]),
        on=st.booleans(),
    )
    def change_a_node(self, node: str, what: str, on: bool) -> None:
        """Taint or untaint, label or unlabel, cordon or uncordon a node (one rule: nodes change less often
        than users act)."""
        if what == "label":
            self.label(node, on)
        elif what == "cordon":
            self.cordon(node, on)
        else:
            self.taint(node, what, on)

    def taint(self, node: str, key: str, on: bool) -> None:
        def change(obj: dict[str, Any]) -> None:
            spec = obj.setdefault("spec", {})
            taints = [t for t in spec.get("taints") or () if t.get("key") != key]
            if on:
                taints.append({"key": key, "value": "x", "effect": TAINTS[key]})
            spec["taints"] = taints

        self._patch_node(node, change)
        if on:
            # Tainting a tainted node again changes nothing: the pods allowed stay those before the first.
            self.tainted_at.setdefault((node, key), {p["metadata"]["uid"] for p in self._all_pods()})
        else:
            self.tainted_at.pop((node, key), None)
        self.log.append(f"{'taint' if on else 'untaint'} {node} {key}:{TAINTS[key]}")

    def label(self, node: str, on: bool) -> None:
        def change(obj: dict[str, Any]) -> None:
            labels = obj["metadata"].setdefault("labels", {})
            if on:
                labels[INFRA[0]] = INFRA[1]
            else:
                labels.pop(INFRA[0], None)

        self._patch_node(node, change)
        self.log.append(f"{'label' if on else 'unlabel'} {node} role=infra")

    def cordon(self, node: str, on: bool) -> None:
        def change(obj: dict[str, Any]) -> None:
            spec = obj.setdefault("spec", {})
            spec["unschedulable"] = on
            taints = [t for t in spec.get("taints") or () if t.get("key") != TAINT_UNSCHEDULABLE]
            if on:
                taints.append({"key": TAINT_UNSCHEDULABLE, "effect": NO_SCHEDULE})
            spec["taints"] = taints

        self._patch_node(node, change)
        self.log.append(f"{'cordon' if on else 'uncordon'} {node}")

    # -- properties ------------------------------------------------------------------------------------------

    @invariant()
    def safety(self) -> None:
        try:
            self._safety()
        except RequirementViolation:
            self.failed = True  # Hypothesis runs teardown after a failed step: no liveness check on top
            raise

    def _safety(self) -> None:
        if not self.wanted:
            return
        pods = self._all_pods()
        nodes = self._nodes()
        for name, wanted in self.wanted.items():
            ds = self._ok("GET", _ds_path(name))
            tolerations = add_daemon_pod_tolerations(template_spec(ds))
            mine = self._pods(name, pods)
            for pod in mine:
                node = pod_node(pod)
                obj = nodes.get(node)
                if obj is None:
                    continue
                taints = as_node(obj).spec.taints
                for taint in untolerated_taints(taints, tolerations, (NO_SCHEDULE, NO_EXECUTE)):
                    before = self.tainted_at.get((node, taint.key))
                    if before is None or pod["metadata"]["uid"] in before:
                        continue
                    require(
                        DAEMONSET_TOLERATIONS,
                        False,
                        lambda pod=pod, node=node, taint=taint: (
                            f"daemon pod {pod['metadata']['name']} created on {node} after its untolerated "
                            f"taint {_taint(taint)}\n" + "\n".join(self.log)
                        ),
                    )
            if wanted.strategy != "RollingUpdate" or not wanted.covered:
                continue
            eligibility = {
                n: node_should_run_daemon_pod(as_node(o), template_spec(ds)) for n, o in nodes.items()
            }
            # A node that may no longer keep the pod leaves the budget for good (its pod is deleted for
            # another reason than the update).
            # (A node that may keep its pod but gets no new one, an untolerated NoSchedule taint, loses it
            # to the update for good, upstream too: it leaves the budget as well.)
            wanted.covered = {n for n in wanted.covered if eligibility.get(n, (False, False))[0]}
            if wanted.max_surge:
                desired = sum(1 for should_run, _ in eligibility.values() if should_run)
                wanted.surge_bound = max(wanted.surge_bound, max_surge_of(wanted.max_surge, desired))
                image = f"agent:{wanted.image}"
                pods_now = [
                    UpdatePod(
                        p["metadata"]["name"],
                        pod_node(p),
                        p["spec"]["containers"][0]["image"] == image,
                        available(p),
                        bool(p["metadata"].get("deletionTimestamp")),
                    )
                    for p in mine
                ]
                problems = surge_violations(sorted(wanted.covered), pods_now, wanted.surge_bound)
                require(
                    DAEMONSET_ROLL_SURGE,
                    not problems,
                    lambda name=name, problems=problems, mine=mine: (
                        f"{name}: {'; '.join(problems)}\n" + _describe(mine) + "\n" + "\n".join(self.log)
                    ),
                )
                continue
            down = sorted(
                n for n in wanted.covered if not any(available(p) and pod_node(p) == n for p in mine)
            )
            require(
                DAEMONSET_ROLL_UNAVAILABLE,
                len(down) <= wanted.max_unavailable,
                lambda name=name, down=down, wanted=wanted: (
                    f"{name}: nodes {down} without an available daemon pod during the rollout, "
                    f"maxUnavailable {wanted.max_unavailable}\n" + "\n".join(self.log)
                ),
            )

    def teardown(self) -> None:
        """The liveness phase: faults off, then every DaemonSet must cover its nodes within SETTLE_S."""
        if self.failed:
            return
        self.cluster.set_watch_lag(PODS, 0.0)
        self.cluster.restart_controller_manager()
        # Safety holds while the cluster settles too: a rollout the last step started (its template
        # changed, its pods not yet replaced) is judged as the restarted controller carries it out.
        for _ in range(int(SETTLE_S / SETTLE_CHECK_S)):
            self.cluster.run(SETTLE_CHECK_S)
            self._safety()
        for name, wanted in self.wanted.items():
            ds = self._ok("GET", _ds_path(name))
            image = f"agent:{wanted.image}"
            mine = self._pods(name)
            problems = []
            desired = 0
            for node, (should_run, should_continue) in self._eligibility(name).items():
                here = [p for p in mine if pod_node(p) == node]
                if should_run:
                    desired += 1
                    good = [
                        p
                        for p in here
                        if available(p)
                        and (wanted.strategy == "OnDelete" or p["spec"]["containers"][0]["image"] == image)
                    ]
                    if len(here) != 1 or len(good) != 1:
                        problems.append(f"{node} should run one Ready current pod: {_describe(here)}")
                elif not should_continue and here:
                    problems.append(f"{node} should run no daemon pod: {_describe(here)}")
                elif len(here) > 1:
                    problems.append(f"{node} may keep at most one daemon pod: {_describe(here)}")
            tolerations = add_daemon_pod_tolerations(template_spec(ds))
            nodes = self._nodes()
            kept = [
                f"{pod['metadata']['name']} on {pod_node(pod)}"
                for pod in mine
                if pod_node(pod) in nodes
                and not pod["metadata"].get("deletionTimestamp")
                and untolerated_taints(as_node(nodes[pod_node(pod)]).spec.taints, tolerations, (NO_EXECUTE,))
            ]
            require(
                DAEMONSET_TOLERATIONS,
                not kept,
                lambda name=name, kept=kept: (
                    f"{name} after {SETTLE_S} s without faults keeps pods on nodes with an untolerated "
                    f"NoExecute taint: {kept}\n" + "\n".join(self.log)
                ),
            )
            status = ds.get("status") or {}
            if (
                status.get("desiredNumberScheduled", 0) != desired
                or status.get("numberReady", 0) != desired
                or (wanted.strategy == "RollingUpdate" and status.get("updatedNumberScheduled", 0) != desired)
                or status.get("observedGeneration") != ds["metadata"].get("generation")
            ):
                problems.append(f"status {status} for {desired} eligible nodes")
            require(
                DAEMONSET_COVERAGE,
                not problems,
                lambda name=name, problems=problems: (
                    f"{name} after {SETTLE_S} s without faults: "
                    + "; ".join(problems)
                    + "\n"
                    + "\n".join(self.log)
                ),
            )


def _taint(taint: Taint) -> str:
    return f"{taint.key}={taint.value}:{taint.effect}"


def _describe(pods: list[dict[str, Any]]) -> str:
    return str(
        [
            (
                p["metadata"]["name"],
                (p.get("status") or {}).get("phase"),
                p["spec"]["containers"][0]["image"],
                bool(p["metadata"].get("deletionTimestamp")),
            )
            for p in pods
        ]
    )


def machine_for(provider: ControllersProvider) -> type[DaemonSetMachine]:
    return type("DaemonSetMachine", (DaemonSetMachine,), {"provider": provider})
