"""The Deployment machine: a simulated cluster, users rolling a Deployment out, and a hostile environment.

Rules are what users do (create a RollingUpdate Deployment with 1..4
replicas and a maxSurge/maxUnavailable drawn from integers and percentages,
0 included where validation allows it; change its image, which starts a
new rollout; change maxSurge/maxUnavailable; scale it; pause and resume it)
and what the environment does (the controller manager crashes and
restarts; the controllers' pod watch lags; time passes, and pods become
Ready after the kubelet's startup delay).

After every step, read from the API server:

- DEPLOY-ROLL-SURGE (``allowed_total``): the sum of the Deployment's
  ReplicaSets' spec.replicas is not above ``replicas + maxSurge``, unless
  it did not grow since the previous step (it was above already, after the
  user lowered replicas or maxSurge: the requirement forbids raising such
  a sum, not keeping it).
- DEPLOY-ROLL-AVAILABILITY (``required_available``): the requirement is
  about the available pods the controller's own scaling removes. Nothing
  else removes a pod here (no rule deletes pods, no node fails, a Ready pod
  stays Ready), so a drop in the number of available pods (active, Running
  and Ready pods of the Deployment's ReplicaSets) is the controller's
  doing; such a drop must not end below ``replicas - maxUnavailable``.
  Pods created and not Ready yet are not available and count nothing, so
  the check is: ``available_now >= min(required, available_before)`` (a
  drop to below the bound is a violation, and so is any drop while below
  it). ``required`` is the Deployment's spec as it is now; a user scaling
  down lowers it first. Only while the Deployment is not paused.

- DEPLOY-PROGRESS-DEADLINE: no ProgressDeadlineExceeded before
  progressDeadlineSeconds passed since the Progressing condition's last
  update (600 s by default; nothing here stalls that long).
- DEPLOY-ROLLBACK (``revision_violations``): once the controller has
  synced the Deployment's generation, no two of its ReplicaSets carry the
  same revision and the one whose template is the Deployment's carries the
  largest. Rollbacks themselves are not a rule of this machine (see
  docs/controllers.md: with them it met a stale-status scale-down it
  cannot yet tell from a controller bug); ``rollout_undo`` below is what a
  scenario test rolls back with.

When the run ends the faults stop, the Deployment is resumed, and within
``SETTLE_S`` simulated seconds the rollout must be complete (DEPLOY-ESR):
the new ReplicaSet at replicas with that many available pods, the old ones
at 0 with no pods, the status saying so with the current generation, and
its conditions Progressing=True NewReplicaSetAvailable and Available=True
MinimumReplicasAvailable (DEPLOY-CONDITIONS).

The machine keeps only what users asked for and the counts of the
previous step.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from conformance.adapters.controllers import ControllersProvider, SimulatedControlPlane
from conformance.violation import require
from conformance.workloads.environment import PODS, EnvironmentRules
from spec.workloads.deployment import (
    DEPLOY_CONDITIONS,
    DEPLOY_ESR,
    DEPLOY_PROGRESS_DEADLINE,
    DEPLOY_ROLL_AVAILABILITY,
    DEPLOY_ROLL_SURGE,
    DEPLOY_ROLLBACK,
    ReplicaSetState,
    RolloutState,
    allowed_total,
    required_available,
    revision_violations,
    rollback_revision,
)

NAME = "web"
REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
NAMESPACE = "default"
PATH = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/{NAME}"
SETTLE_S = 120.0
HASH_LABEL = "pod-template-hash"

SURGES = st.sampled_from([0, 1, 2, "0%", "25%", "50%", "100%"])
UNAVAILABLES = st.sampled_from([0, 1, 2, "0%", "25%", "50%"])
THEN = st.sampled_from([0.0, 1.0, 3.0])


def _zero(value: int | str) -> bool:
    return value in (0, "0%")


def deployment(replicas: int, max_surge: int | str, max_unavailable: int | str, image: str) -> dict[str, Any]:
    labels = {"app": NAME}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": NAME, "namespace": NAMESPACE},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": max_surge, "maxUnavailable": max_unavailable},
            },
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {"name": "app", "image": image, "resources": {"requests": {"cpu": "100m"}}}
                    ]
                },
            },
        },
    }


def _ready(pod: dict[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or ()
    )


def _without_hash(template: dict[str, Any]) -> Any:
    labels = dict((template.get("metadata") or {}).get("labels") or {})
    labels.pop(HASH_LABEL, None)
    return (labels, template.get("spec"))


class DeploymentMachine(EnvironmentRules):
    provider: ClassVar[ControllersProvider]

    def __init__(self) -> None:
        super().__init__()
        self.cluster: SimulatedControlPlane = self.provider.new_cluster(seed=0, nodes=3)
        self.created = False
        self.paused = False
        self.version = 1
        #: The previous step's sum of spec.replicas and available pods.
        self.previous_total = 0
        self.previous_available = 0
        #: The lowest required_available since the ReplicaSets were last quiet (see ``rollout_bounds``).
        self.floor: int | None = None
        #: The Progressing condition's last update before a ProgressDeadlineExceeded (``no_early_deadline``).
        self.last_progress: str | None = None
        self.log: list[str] = []

    # -- reading the cluster -----------------------------------------------------------------------

    def _ok(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        status, answer = self.cluster.call(method, path, body, content_type=content_type)
        assert status < 300, f"{method} {path}: {status} {answer}"  # the suite's own calls must work
        return answer

    def _patch(self, body: dict[str, Any]) -> None:
        self._ok("PATCH", PATH, body, content_type="application/merge-patch+json")

    def _replicasets(self, uid: str) -> list[dict[str, Any]]:
        items = self._ok("GET", f"/apis/apps/v1/namespaces/{NAMESPACE}/replicasets")["items"]
        return [rs for rs in items if _controlled_by(rs, uid)]

    def _available(self, replicasets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        uids = {rs["metadata"]["uid"] for rs in replicasets}
        pods = self._ok("GET", f"/api/v1/namespaces/{NAMESPACE}/pods")["items"]
        return [
            pod
            for pod in pods
            if any(_controlled_by(pod, uid) for uid in uids)
            and not pod["metadata"].get("deletionTimestamp")
            and _ready(pod)
        ]

    def _state(self, d: dict[str, Any]) -> RolloutState:
        """The Deployment's numbers as the requirements' bounds need them (the ReplicaSets do not matter)."""
        rolling = d["spec"]["strategy"]["rollingUpdate"]
        return RolloutState(
            d["spec"]["replicas"], rolling["maxSurge"], rolling["maxUnavailable"], ReplicaSetState(0, 0, 0)
        )

    # -- users -------------------------------------------------------------------------------------------

    @initialize(replicas=st.integers(1, 4), max_surge=SURGES, max_unavailable=UNAVAILABLES)
    def create(self, replicas: int, max_surge: int | str, max_unavailable: int | str) -> None:
        if _zero(max_surge) and _zero(max_unavailable):
            max_unavailable = 1  # validation: they may not both be 0
        body = deployment(replicas, max_surge, max_unavailable, f"nginx:1.{self.version}")
        self._ok("POST", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments", body)
        self.created = True
        self.log.append(f"create replicas={replicas} maxSurge={max_surge} maxUnavailable={max_unavailable}")

    @precondition(lambda self: self.created)
    @rule(then_s=THEN)
    def change_image(self, then_s: float) -> None:
        self.version += 1
        containers = [
            {"name": "app", "image": f"nginx:1.{self.version}", "resources": {"requests": {"cpu": "100m"}}}
        ]
        self._patch({"spec": {"template": {"spec": {"containers": containers}}}})
        self._then(f"image nginx:1.{self.version}", then_s)

    @precondition(lambda self: self.created)
    @rule(max_surge=SURGES, max_unavailable=UNAVAILABLES, then_s=THEN)
    def change_strategy(self, max_surge: int | str, max_unavailable: int | str, then_s: float) -> None:
        if _zero(max_surge) and _zero(max_unavailable):
            max_unavailable = 1
        rolling = {"maxSurge": max_surge, "maxUnavailable": max_unavailable}
        self._patch({"spec": {"strategy": {"rollingUpdate": rolling}}})
        self._then(f"maxSurge={max_surge} maxUnavailable={max_unavailable}", then_s)

    @precondition(lambda self: self.created)
    @rule(replicas=st.integers(1, 4), then_s=THEN)
    def scale(self, replicas: int, then_s: float) -> None:
        self._ok("PATCH", f"{PATH}/scale", {"spec": {"replicas": replicas}}, "application/merge-patch+json")
        self._then(f"scale to {replicas}", then_s)

    @precondition(lambda self: self.created)
    @rule(then_s=THEN)
    def pause_or_resume(self, then_s: float) -> None:
        self.paused = not self.paused
        self._patch({"spec": {"paused": self.paused}})
        self._then("pause" if self.paused else "resume", then_s)

    def _then(self, what: str, then_s: float) -> None:
        """Log a user's change and let ``then_s`` seconds pass (so changes land mid-rollout)."""
        self.cluster.run(then_s)
        self.log.append(f"{what}, then {then_s} s pass")

    # -- properties ------------------------------------------------------------------------------------------

    @invariant()
    def rollout_bounds(self) -> None:
        if not self.created:
            return
        d = self._ok("GET", PATH)
        replicasets = self._replicasets(d["metadata"]["uid"])
        state = self._state(d)
        total = sum(int(rs["spec"].get("replicas", 1)) for rs in replicasets)
        available = len(self._available(replicasets))
        bound, required = allowed_total(state), required_available(state)
        # A pod goes some time after the reconcile that scaled its ReplicaSet down (the ReplicaSet
        # controller acts on it later, later still with a lagging watch), and the user may have raised
        # replicas meanwhile: the removal is held to the requirement of a spec in force since the
        # ReplicaSets were last quiet (every status caught up with its spec), the lowest of them.
        floor = required if self.floor is None else min(self.floor, required)

        def detail(what: str) -> str:
            sets = ", ".join(
                f"{rs['metadata']['name']} spec {rs['spec'].get('replicas')} status {rs.get('status')}"
                for rs in replicasets
            )
            return (
                f"{what}; replicas {state.replicas}, maxSurge {state.max_surge}, maxUnavailable "
                f"{state.max_unavailable}; ReplicaSets: {sets}\n" + "\n".join(self.log)
            )

        require(
            DEPLOY_ROLL_SURGE,
            total <= bound or total <= self.previous_total,
            lambda: detail(f"sum of spec.replicas {total} (before {self.previous_total}) above {bound}"),
        )
        if not self.paused:
            require(
                DEPLOY_ROLL_AVAILABILITY,
                available >= min(floor, self.previous_available),
                lambda: detail(
                    f"available pods fell from {self.previous_available} to {available}, "
                    f"at least {floor} must stay"
                ),
            )
        self.previous_total, self.previous_available = total, available
        quiet = all(
            (rs.get("status") or {}).get("replicas", 0) == rs["spec"].get("replicas", 1)
            and (rs.get("status") or {}).get("observedGeneration") == rs["metadata"].get("generation")
            for rs in replicasets
        )
        self.floor = required if quiet else floor

    @invariant()
    def no_early_deadline(self) -> None:
        """DEPLOY-PROGRESS-DEADLINE: ProgressDeadlineExceeded only once progressDeadlineSeconds (600 by
        default) passed since the Progressing condition's last update (a run here is shorter than that,
        and pods become Ready within seconds, so it should never show)."""
        if not self.created:
            return
        d = self._ok("GET", PATH)
        deadline = d["spec"].get("progressDeadlineSeconds", 600)
        conditions = {c["type"]: c for c in (d.get("status") or {}).get("conditions") or ()}
        progressing = conditions.get("Progressing")
        if progressing is None:
            return
        if progressing["reason"] != "ProgressDeadlineExceeded":
            self.last_progress = progressing["lastUpdateTime"]
            return
        since = _seconds_between(self.last_progress, progressing["lastTransitionTime"])
        require(
            DEPLOY_PROGRESS_DEADLINE,
            since is not None and since >= deadline,
            lambda: (
                f"ProgressDeadlineExceeded at {progressing['lastTransitionTime']}, last progress at "
                f"{self.last_progress}, deadline {deadline} s\n" + "\n".join(self.log)
            ),
        )

    @invariant()
    def revisions(self) -> None:
        if not self.created:
            return
        d = self._ok("GET", PATH)
        if (d.get("status") or {}).get("observedGeneration") != d["metadata"].get("generation"):
            return  # the controller has not synced this spec yet
        replicasets = self._replicasets(d["metadata"]["uid"])
        wanted = _without_hash(d["spec"]["template"])
        new = [rs for rs in replicasets if _without_hash(rs["spec"]["template"]) == wanted]
        problems = revision_violations(
            [_revision(rs) for rs in replicasets], _revision(new[0]) if len(new) == 1 else None
        )
        require(
            DEPLOY_ROLLBACK,
            not problems,
            lambda: f"{'; '.join(problems)}: {_revisions(replicasets)}\n" + "\n".join(self.log),
        )

    def teardown(self) -> None:
        """The liveness phase: faults off, the Deployment resumed; the rollout must complete in SETTLE_S."""
        if not self.created:
            return
        self.cluster.set_watch_lag(PODS, 0.0)
        self.cluster.restart_controller_manager()
        if self.paused:
            self._patch({"spec": {"paused": False}})
        self.cluster.run(SETTLE_S)
        d = self._ok("GET", PATH)
        replicas = d["spec"]["replicas"]
        replicasets = self._replicasets(d["metadata"]["uid"])
        wanted = _without_hash(d["spec"]["template"])
        new = [rs for rs in replicasets if _without_hash(rs["spec"]["template"]) == wanted]
        old = [rs for rs in replicasets if rs not in new]
        status = d.get("status") or {}
        new_status = (new[0].get("status") or {}) if len(new) == 1 else {}
        available = self._available(new)
        complete = (
            len(new) == 1
            and new[0]["spec"].get("replicas") == replicas
            and new_status.get("availableReplicas", 0) == replicas
            and len(available) == replicas
            and all(
                rs["spec"].get("replicas") == 0 and not (rs.get("status") or {}).get("replicas") for rs in old
            )
            and status.get("updatedReplicas", 0) == replicas
            and status.get("replicas", 0) == replicas
            and status.get("availableReplicas", 0) == replicas
            and status.get("observedGeneration") == d["metadata"].get("generation")
        )
        conditions = {c["type"]: (c["status"], c["reason"]) for c in status.get("conditions") or ()}
        require(
            DEPLOY_CONDITIONS,
            not complete
            or (
                conditions.get("Progressing") == ("True", "NewReplicaSetAvailable")
                and conditions.get("Available") == ("True", "MinimumReplicasAvailable")
            ),
            lambda: f"a complete rollout's conditions read {conditions}\n" + "\n".join(self.log),
        )
        require(
            DEPLOY_ESR,
            complete,
            lambda: (
                f"after {SETTLE_S} s without faults: replicas {replicas}, status {status}, generation "
                f"{d['metadata'].get('generation')}; new {_summary(new)}; old {_summary(old)}\n"
                + "\n".join(self.log)
            ),
        )


def rollout_undo(cluster: SimulatedControlPlane, to_revision: int = 0) -> int:
    """``kubectl rollout undo --to-revision``: the template of that revision's ReplicaSet (less its
    pod-template-hash) replaces the Deployment's by kubectl's JSON patch; the revision rolled back to.
    Raises ``RollbackRefused`` with kubectl's message (paused, no such revision, no history)."""
    status, d = cluster.call("GET", PATH)
    assert status == 200, d
    status, listed = cluster.call("GET", f"/apis/apps/v1/namespaces/{NAMESPACE}/replicasets")
    assert status == 200, listed
    uid = d["metadata"]["uid"]
    replicasets = [rs for rs in listed["items"] if _controlled_by(rs, uid)]
    target = rollback_revision(
        [_revision(rs) for rs in replicasets], to_revision, name=NAME, paused=bool(d["spec"].get("paused"))
    )
    chosen = min((rs for rs in replicasets if _revision(rs) == target), key=lambda rs: rs["metadata"]["name"])
    if _without_hash(chosen["spec"]["template"]) != _without_hash(d["spec"]["template"]):
        template = copy.deepcopy(chosen["spec"]["template"])
        template.setdefault("metadata", {}).setdefault("labels", {}).pop(HASH_LABEL, None)
        patch = [{"op": "replace", "path": "/spec/template", "value": template}]
        status, answer = cluster.call("PATCH", PATH, patch, content_type="application/json-patch+json")
        assert status == 200, answer
    return target


def _seconds_between(earlier: str | None, later: str) -> float | None:
    if not earlier:
        return None
    parse = "%Y-%m-%dT%H:%M:%SZ"
    return (datetime.strptime(later, parse) - datetime.strptime(earlier, parse)).total_seconds()


def _revision(rs: dict[str, Any]) -> int:
    try:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION_ANNOTATION, "0"))
    except ValueError:
        return 0


def _revisions(replicasets: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return sorted((rs["metadata"]["name"], _revision(rs)) for rs in replicasets)


def _summary(replicasets: list[dict[str, Any]]) -> list[tuple[str, Any, Any]]:
    return [(rs["metadata"]["name"], rs["spec"].get("replicas"), rs.get("status")) for rs in replicasets]


def _controlled_by(obj: dict[str, Any], uid: str) -> bool:
    return any(
        ref.get("uid") == uid and ref.get("controller")
        for ref in obj["metadata"].get("ownerReferences") or ()
    )


def machine_for(provider: ControllersProvider) -> type[DeploymentMachine]:
    return type("DeploymentMachine", (DeploymentMachine,), {"provider": provider})
