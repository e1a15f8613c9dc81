"""The Deployment machine: a simulated cluster, users rolling a Deployment out, and a hostile environment.

Rules are what users do (create a RollingUpdate Deployment with 1..4
replicas and a maxSurge/maxUnavailable drawn from integers and percentages,
0 included where validation allows it; change its image, which starts a
new rollout; change maxSurge/maxUnavailable; scale it; pause and resume it;
roll it back to a revision as ``kubectl rollout undo`` does, a refusal
(paused, no such revision) being a valid answer) and what the environment
does (the controller manager crashes and restarts; the controllers' pod
watch lags; time passes, and pods become Ready after the kubelet's startup
delay).

After every step, and every 0.25 simulated s while time passes, read from
the API server:

- DEPLOY-ROLL-SURGE (``allowed_total``): the sum of the Deployment's
  ReplicaSets' spec.replicas is not above ``replicas + maxSurge``, unless
  it did not grow since the previous check (it was above already, after
  the user lowered replicas or maxSurge: the requirement forbids raising
  such a sum, not keeping it).
- DEPLOY-ROLL-AVAILABILITY (``required_available``, ``kept_available``):
  judged on each decision, a ReplicaSet scaled down or deleted since the
  previous check, against the pods the controller may have seen when it
  made it. Its pod cache lags by the pod watch's lag and ReplicaSet status
  is written from a cache as lagging, so those are the pods at the checks
  within that lag (and a check interval) before the previous check, and,
  for the moment of the decision, the pods available at the previous check
  or now. The decision is wrong only if against every one of them the
  ReplicaSets as now scaled keep (``kept_available``: the ReplicaSet
  controller deletes unavailable pods first) fewer available pods than
  ``replicas - maxUnavailable``, or than there were when fewer were.
  ``required`` is the lowest since the ReplicaSets were last quiet (a user
  scaling down lowers it first; the pods go later). Only while not paused,
  and only from states where no ReplicaSet's status was ahead of its spec
  (``is_observed``), which the requirement is stated for: upstream counts
  the pods of a ReplicaSet just scaled down as available until its
  controller has deleted them (spec/workloads/deployment.py). Soaks found
  runs of both kinds, a stale status and one ahead of its spec, in which
  the reference, as upstream would, scaled Ready pods away
  (docs/controllers.md, "Judging a controller that reads a lagging cache").
- DEPLOY-PROGRESS-DEADLINE: no ProgressDeadlineExceeded before
  progressDeadlineSeconds passed since the Progressing condition's last
  update (600 s by default; nothing here stalls that long).
- DEPLOY-ROLLBACK (``revision_violations``): once the controller has
  synced the Deployment's generation, no two of its ReplicaSets carry the
  same revision and the one whose template is the Deployment's carries the
  largest (a rollback reuses the old ReplicaSet and raises its revision).

When the run ends the faults stop, the Deployment is resumed, and within
``SETTLE_S`` simulated seconds the rollout must be complete (DEPLOY-ESR):
the new ReplicaSet at replicas with that many available pods, the old ones
at 0 with no pods, the status saying so with the current generation, and
its conditions Progressing=True NewReplicaSetAvailable and Available=True
MinimumReplicasAvailable (DEPLOY-CONDITIONS).

The machine keeps what users asked for, the previous check's ReplicaSets
and the available pods of the checks a lagging cache may still show.
"""

from __future__ import annotations

import copy
import dataclasses
from datetime import datetime
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from conformance.adapters.controllers import ControllersProvider, SimulatedControlPlane
from conformance.violation import require
from conformance.workloads.environment import PODS, EnvironmentRules, StatesSeen
from spec.workloads.deployment import (
    DEPLOY_CONDITIONS,
    DEPLOY_ESR,
    DEPLOY_PROGRESS_DEADLINE,
    DEPLOY_ROLL_AVAILABILITY,
    DEPLOY_ROLL_SURGE,
    DEPLOY_ROLLBACK,
    ReplicaSetState,
    RollbackRefused,
    RolloutState,
    allowed_total,
    is_observed,
    kept_available,
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
        #: The previous check's sum of spec.replicas.
        self.previous_total = 0
        #: The lowest required_available since the ReplicaSets were last quiet (see ``rollout_bounds``).
        self.floor: int | None = None
        #: Each ReplicaSet's spec.replicas at the previous check, and its available pods at recent checks.
        self.previous_specs: dict[str, int] = {}
        self.available_seen: StatesSeen[dict[str, frozenset[str]]] = StatesSeen()
        self.checked_at = 0.0
        #: Whether no ReplicaSet's status was ahead of its spec at the previous check (``is_observed``).
        self.previous_observed = True
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

    @precondition(lambda self: self.created)
    @rule(to_revision=st.integers(0, 4), then_s=THEN)
    def rollback(self, to_revision: int, then_s: float) -> None:
        """``kubectl rollout undo --to-revision`` (``rollout_undo``); a refusal (paused, no such
        revision) is a valid answer."""
        try:
            target = rollout_undo(self.cluster, to_revision)
        except RollbackRefused as refused:
            self._then(f"rollback to {to_revision} refused: {refused}", then_s)
            return
        self._then(f"rollback to {to_revision} (revision {target})", then_s)

    def _then(self, what: str, then_s: float) -> None:
        """Log a user's change and let ``then_s`` seconds pass (so changes land mid-rollout)."""
        self.pass_time(then_s)
        self.log.append(f"{what}, then {then_s} s pass")

    def pass_time(self, seconds: float) -> None:
        self.pass_time_checking(seconds, self.rollout_bounds)

    # -- properties ------------------------------------------------------------------------------------------

    @invariant()
    def rollout_bounds(self) -> None:
        if not self.created:
            return
        previous_check, self.checked_at = self.checked_at, self.cluster.now
        d = self._ok("GET", PATH)
        replicasets = self._replicasets(d["metadata"]["uid"])
        state = self._state(d)
        specs = {rs["metadata"]["uid"]: int(rs["spec"].get("replicas", 1)) for rs in replicasets}
        total = sum(specs.values())
        available_pods = self._available(replicasets)
        available_now = {
            uid: frozenset(pod["metadata"]["uid"] for pod in available_pods if _controlled_by(pod, uid))
            for uid in specs
        }
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
        # The decision: ReplicaSets scaled down (or deleted) since the previous check, judged against the
        # pods as the controller may have seen them: its pod cache lags by the pod watch's lag, and
        # ReplicaSet status is written from a cache as lagging. So: the earlier checks within that lag,
        # and for the moment of the decision itself the pods available at the previous check or now (it
        # came after the first, and before the pods it removes went). It is wrong only if against every
        # such state the scales keep (``kept_available``) fewer available pods than the floor, or than
        # there were when fewer were. Judged where the requirement holds: from a state in which no
        # ReplicaSet's status was ahead of its spec (``is_observed``, see spec/workloads/deployment.py),
        # the statuses before the decision being those of the previous check or, written meanwhile,
        # of this one, against the specs before it.
        recent = self.available_seen.since(self.seen_by_controllers_since(previous_check))
        views = [then for seen_at, then in recent if seen_at < previous_check]
        if recent:
            last = recent[-1][1]
            views.append({uid: last.get(uid, frozenset()) | available_now[uid] for uid in specs})
        scaled_down = any(specs.get(uid, 0) < was for uid, was in self.previous_specs.items())
        statuses = {
            rs["metadata"]["uid"]: (
                int((rs.get("status") or {}).get("availableReplicas", 0)),
                int((rs.get("status") or {}).get("replicas", 0)),
            )
            for rs in replicasets
        }
        observed = self.previous_observed and _observed(state, {**specs, **self.previous_specs}, statuses)
        if scaled_down and observed and not self.paused and views:
            kept = [
                (
                    kept_available(
                        _with_replicasets(
                            state, [ReplicaSetState(n, len(then.get(uid, ())), n) for uid, n in specs.items()]
                        )
                    ),
                    sum(map(len, then.values())),
                )
                for then in views
            ]
            require(
                DEPLOY_ROLL_AVAILABILITY,
                any(k >= min(floor, had) for k, had in kept),
                lambda: detail(
                    f"ReplicaSets scaled to {sorted(specs.values())} keep (of the available pods) {kept} in "
                    f"the states the controller may have seen (pod watch lag {self.pod_watch_lag_s} s); at "
                    f"least {floor} must stay"
                ),
            )
        self.previous_total, self.previous_specs = total, specs
        self.previous_observed = _observed(state, specs, statuses)
        self.available_seen.add(self.cluster.now, available_now)
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


def _observed(state: RolloutState, specs: dict[str, int], statuses: dict[str, tuple[int, int]]) -> bool:
    """``is_observed`` for ReplicaSets of these spec.replicas and these (available, replicas) statuses."""
    return is_observed(
        _with_replicasets(
            state,
            [ReplicaSetState(specs[uid], available, pods) for uid, (available, pods) in statuses.items()],
        )
    )


def _with_replicasets(state: RolloutState, replicasets: list[ReplicaSetState]) -> RolloutState:
    """``state`` with these ReplicaSets (which one is new does not matter to the availability bounds)."""
    new, *old = replicasets or [ReplicaSetState(0, 0, 0)]
    return dataclasses.replace(state, new=new, old=tuple(old))


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
