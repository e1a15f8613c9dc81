"""The EndpointSlice machine: ReplicaSets and Services come and go, pods turn unready, terminate and die.

Rules are what users do (create and scale ReplicaSets "web" and "api", whose
containers name port ``http`` 8080 and 9090, both labelled
``tier: front``; create Services selecting ``app: web``, ``app: api`` or
``tier: front`` with ``targetPort`` ``http`` or 8080 and
``publishNotReadyAddresses`` on or off; delete a Service; delete a pod,
which then terminates for its grace period, ``GRACE_S``: 120 s for web's
pods, so that terminating endpoints last, 5 s for api's) and what the environment
does (a pod turns unready or ready again, as its kubelet's probes would
say through the API; a kubelet crashes or comes back; the controller
manager crashes; the pod watch lags; time passes).

After every step (safety):

- ENDPOINTSLICE-MAX-ENDPOINTS: no slice holds more than 100 endpoints;
- ENDPOINTSLICE-LABELS: every slice with a ``kubernetes.io/service-name``
  label is managed by the controller and owned by its Service;
- ENDPOINTSLICE-MATCHES-PODS: every endpoint names a pod the Service's
  selector has matched (pods' labels never change here);
- once a Service's desired endpoints (spec/workloads/endpointslice.py
  ``desired_endpoints`` on the pods as the API server has them) have not
  changed for ``STALE_S`` simulated seconds, its slices hold exactly them:
  one endpoint per pod (ENDPOINTSLICE-MATCHES-PODS), with the conditions
  (ENDPOINTSLICE-CONDITIONS) and ports (ENDPOINTSLICE-PORTS) the spec
  gives; a Service deleted that long ago has no slices left.

At the end (ESR): faults off, every kubelet back, and after ``SETTLE_S``
the same comparison must hold for every Service.

``STALE_S`` is counted in the controller manager's uptime (crashes in a
row would otherwise eat it up); it covers a watch lag of up to 3 s and the
controller's tick.
"""

from __future__ import annotations

from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from conformance.adapters.controllers import ControllersProvider
from conformance.violation import require
from conformance.workloads.environment import PODS, EnvironmentRules
from conformance.workloads.nodelifecycle import Clocked
from spec.workloads.endpointslice import (
    CONTROLLER_NAME,
    ENDPOINTSLICE_CONDITIONS,
    ENDPOINTSLICE_LABELS,
    ENDPOINTSLICE_MATCHES_PODS,
    ENDPOINTSLICE_MAX_ENDPOINTS,
    ENDPOINTSLICE_PORTS,
    LABEL_MANAGED_BY,
    LABEL_SERVICE_NAME,
    MAX_ENDPOINTS_PER_SLICE,
    Endpoint,
    desired_endpoints,
    read_slice,
    selects,
)

NAMESPACE = "default"
WORKLOADS = {"web": 8080, "api": 9090}  # ReplicaSet -> the containerPort named http
SERVICES = {"svc-web": {"app": "web"}, "svc-api": {"app": "api"}, "svc-front": {"tier": "front"}}
NODES = ("node-0", "node-1", "node-2")
STALE_S = 6.0
#: The pods' terminationGracePeriodSeconds: web's long, so that terminating endpoints are seen for a while,
#: api's short, so that endpoints must go.
GRACE_S = {"web": 120, "api": 5}
SETTLE_S = 30.0
SLICES = f"/apis/discovery.k8s.io/v1/namespaces/{NAMESPACE}/endpointslices"


def replicaset(name: str, replicas: int) -> dict[str, Any]:
    labels = {"app": name, "tier": "front"}
    container = {
        "name": "app",
        "image": "nginx:1.27",
        "ports": [{"name": "http", "containerPort": WORKLOADS[name]}],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [container], "terminationGracePeriodSeconds": GRACE_S[name]},
            },
        },
    }


def service(name: str, target_port: str | int, publish_not_ready: bool) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"team": "kspec"}},
        "spec": {
            "selector": dict(SERVICES[name]),
            "ports": [{"name": "http", "port": 80, "targetPort": target_port}],
            "publishNotReadyAddresses": publish_not_ready,
        },
    }


def slice_endpoints(slice_: dict[str, Any]) -> list[Endpoint]:
    """A slice's endpoints as the spec's ``Endpoint`` (the slice's ports on each)."""
    return list(read_slice(slice_).endpoints)


class EndpointSliceMachine(EnvironmentRules):
    provider: ClassVar[ControllersProvider]

    def __init__(self) -> None:
        super().__init__()
        self.cluster = Clocked(self.provider.new_cluster(seed=0, nodes=len(NODES)))
        self.log: list[str] = []
        self.workloads: dict[str, int] = {}
        #: Service name -> its JSON as created (None: deleted, and when).
        self.services: dict[str, dict[str, Any]] = {}
        self.deleted: dict[str, float] = {}
        #: Service name -> pod uid -> (its desired endpoint or None, the manager's uptime when first seen so).
        self.since: dict[str, dict[str, tuple[Endpoint | None, float]]] = {}
        #: Service name -> the manager's uptime when it was created.
        self.created: dict[str, float] = {}
        #: Service name -> uids of the pods its selector ever matched.
        self.matched: dict[str, set[str]] = {name: set() for name in SERVICES}
        self.crashed: set[str] = set()
        #: Service name -> the uids of every Service of that name created.
        self.uids: dict[str, set[str]] = {}

    def _ok(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        status, answer = self.cluster.call(method, path, body, content_type=content_type)
        assert status < 300, f"{method} {path}: {status} {answer}"
        return answer

    def _pods(self) -> list[dict[str, Any]]:
        return list(self._ok("GET", f"/api/v1/namespaces/{NAMESPACE}/pods")["items"])

    def _trace(self) -> str:
        return "\n".join(self.log)

    # -- users -----------------------------------------------------------------------------------------

    @precondition(lambda self: len(self.workloads) < len(WORKLOADS))
    @rule(data=st.data(), replicas=st.sampled_from([0, 2, 5, 105]))
    def create_a_replicaset(self, data: st.DataObject, replicas: int) -> None:
        name = data.draw(st.sampled_from([n for n in WORKLOADS if n not in self.workloads]))
        self._ok("POST", f"/apis/apps/v1/namespaces/{NAMESPACE}/replicasets", replicaset(name, replicas))
        self.workloads[name] = replicas
        self.log.append(f"{self.cluster.now}: create ReplicaSet {name} replicas={replicas}")

    @precondition(lambda self: bool(self.workloads))
    @rule(data=st.data(), replicas=st.sampled_from([0, 1, 3, 105]))
    def scale_a_replicaset(self, data: st.DataObject, replicas: int) -> None:
        name = data.draw(st.sampled_from(sorted(self.workloads)))
        self._ok(
            "PATCH",
            f"/apis/apps/v1/namespaces/{NAMESPACE}/replicasets/{name}/scale",
            {"spec": {"replicas": replicas}},
            content_type="application/merge-patch+json",
        )
        self.workloads[name] = replicas
        self.log.append(f"{self.cluster.now}: scale {name} to {replicas}")

    @precondition(lambda self: len(self.services) < len(SERVICES))
    @rule(data=st.data(), target_port=st.sampled_from(["http", 8080]), publish=st.booleans())
    def create_a_service(self, data: st.DataObject, target_port: str | int, publish: bool) -> None:
        name = data.draw(st.sampled_from([n for n in SERVICES if n not in self.services]))
        body = self._ok(
            "POST", f"/api/v1/namespaces/{NAMESPACE}/services", service(name, target_port, publish)
        )
        self.services[name] = body
        self.uids.setdefault(name, set()).add(body["metadata"]["uid"])
        self.created[name] = self.cluster.up
        self.deleted.pop(name, None)
        self.since.pop(name, None)
        self.log.append(
            f"{self.cluster.now}: create Service {name} targetPort={target_port} publish={publish}"
        )

    @precondition(lambda self: bool(self.services))
    @rule(data=st.data())
    def delete_a_service(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.services)))
        self._ok("DELETE", f"/api/v1/namespaces/{NAMESPACE}/services/{name}")
        del self.services[name]
        self.since.pop(name, None)
        self.deleted[name] = self.cluster.up
        self.log.append(f"{self.cluster.now}: delete Service {name}")

    @precondition(lambda self: bool(self.workloads))
    @rule(data=st.data())
    def delete_a_pod(self, data: st.DataObject) -> None:
        pods = [p["metadata"]["name"] for p in self._pods() if not p["metadata"].get("deletionTimestamp")]
        if not pods:
            return
        pod = data.draw(st.sampled_from(sorted(pods)))
        self._ok("DELETE", f"/api/v1/namespaces/{NAMESPACE}/pods/{pod}")
        self.log.append(f"{self.cluster.now}: delete pod {pod}")

    # -- the environment --------------------------------------------------------------------------------

    @precondition(lambda self: bool(self.workloads))
    @rule(data=st.data(), ready=st.booleans())
    def a_pod_changes_readiness(self, data: st.DataObject, ready: bool) -> None:
        pods = [p for p in self._pods() if (p.get("status") or {}).get("phase") == "Running"]
        if not pods:
            return
        pod = data.draw(st.sampled_from(sorted(pods, key=lambda p: p["metadata"]["name"])))
        conditions = [
            {**c, "status": "True" if ready else "False"}
            if c.get("type") in ("Ready", "ContainersReady")
            else c
            for c in (pod.get("status") or {}).get("conditions") or ()
        ]
        self._ok(
            "PATCH",
            f"/api/v1/namespaces/{NAMESPACE}/pods/{pod['metadata']['name']}/status",
            {"status": {"conditions": conditions}},
            content_type="application/merge-patch+json",
        )
        self.log.append(f"{self.cluster.now}: pod {pod['metadata']['name']} ready={ready}")

    @rule(seconds=st.sampled_from([6.0, 12.0]))
    def more_time_passes(self, seconds: float) -> None:
        self.cluster.run(seconds)
        self.log.append(f"{seconds} s pass")

    @rule(data=st.data())
    def a_kubelet_crashes_or_recovers(self, data: st.DataObject) -> None:
        node = data.draw(st.sampled_from(NODES))
        if node in self.crashed:
            self.cluster.kubelet(node).recover()
            self.crashed.discard(node)
            self.log.append(f"{self.cluster.now}: kubelet {node} recovers")
        else:
            self.cluster.kubelet(node).crash()
            self.crashed.add(node)
            self.log.append(f"{self.cluster.now}: kubelet {node} crashes")

    # -- properties ---------------------------------------------------------------------------------------

    @invariant()
    def safety(self) -> None:
        self._check(settled=False)

    def _check(self, *, settled: bool) -> None:
        pods = self._pods()
        slices = self._ok("GET", SLICES)["items"]
        by_service: dict[str, list[dict[str, Any]]] = {}
        for s in slices:
            name = (s["metadata"].get("labels") or {}).get(LABEL_SERVICE_NAME)
            if name is None:
                continue
            by_service.setdefault(name, []).append(s)
            count = len(s.get("endpoints") or ())
            require(
                ENDPOINTSLICE_MAX_ENDPOINTS,
                count <= MAX_ENDPOINTS_PER_SLICE,
                lambda s=s, count=count: (
                    f"slice {s['metadata']['name']} holds {count} endpoints\n" + self._trace()
                ),
            )
            # Owned by a Service of that name (an earlier one's slices may linger until the STALE_S check).
            labelled = (s["metadata"].get("labels") or {}).get(LABEL_MANAGED_BY) == CONTROLLER_NAME and any(
                o.get("kind") == "Service" and o.get("uid") in self.uids.get(name, ()) and o.get("controller")
                for o in s["metadata"].get("ownerReferences") or ()
            )
            require(
                ENDPOINTSLICE_LABELS,
                labelled,
                lambda s=s: (
                    f"slice {s['metadata']['name']}: labels or owner wrong: {s['metadata']}\n" + self._trace()
                ),
            )
        for name, body in self.services.items():
            self.matched[name].update(p["metadata"]["uid"] for p in pods if selects(body, p))
        for name, owned in by_service.items():
            for endpoint in (e for s in owned for e in slice_endpoints(s)):
                require(
                    ENDPOINTSLICE_MATCHES_PODS,
                    endpoint.pod_uid in self.matched.get(name, set()),
                    lambda name=name, endpoint=endpoint: (
                        f"{name}: endpoint for pod {endpoint.pod_name} ({endpoint.pod_uid}), which its "
                        "selector never matched\n" + self._trace()
                    ),
                )
        up = self.cluster.up
        for name, when in self.deleted.items():
            if settled or up - when >= STALE_S:
                require(
                    ENDPOINTSLICE_MATCHES_PODS,
                    not by_service.get(name),
                    lambda name=name, when=when: (
                        f"Service {name} deleted (manager uptime {when}): slices left at {up}\n"
                        + self._trace()
                    ),
                )
        for name, body in self.services.items():
            uid = body["metadata"]["uid"]
            if settled or up - self.created[name] >= STALE_S:
                for s in by_service.get(name, ()):
                    require(
                        ENDPOINTSLICE_LABELS,
                        any(o.get("uid") == uid for o in s["metadata"].get("ownerReferences") or ()),
                        lambda s=s, name=name, uid=uid: (
                            f"slice {s['metadata']['name']} of {name} not owned by the Service {uid}\n"
                            + self._trace()
                        ),
                    )
            self._compare(
                name,
                desired_endpoints(body, pods),
                [e for s in by_service.get(name, ()) for e in slice_endpoints(s)],
                settled,
            )

    def _compare(
        self, name: str, desired: dict[str, Endpoint], actual: list[Endpoint], settled: bool
    ) -> None:
        """Each pod's endpoint as the spec wants it (or its absence), once that has not changed for
        STALE_S of the manager's uptime."""
        up = self.cluster.up
        got: dict[str, list[Endpoint]] = {}
        for endpoint in actual:
            got.setdefault(endpoint.pod_uid, []).append(endpoint)
        tracked = self.since.setdefault(name, {})
        for uid in set(desired) | set(got) | set(tracked):
            want = desired.get(uid)
            previous = tracked.get(uid)
            if previous is None or previous[0] != want:
                tracked[uid] = (want, up)
                if not settled:
                    continue
            elif not settled and up - previous[1] < STALE_S:
                continue
            endpoints = got.get(uid, [])
            if want is None:
                require(
                    ENDPOINTSLICE_MATCHES_PODS,
                    not endpoints,
                    lambda endpoints=endpoints: (
                        f"{name} at {self.cluster.now}: endpoint {endpoints[0]} for a pod gone or not "
                        "selected\n" + self._trace()
                    ),
                )
                if previous is not None and previous[0] is None:
                    del tracked[uid]
                continue
            require(
                ENDPOINTSLICE_MATCHES_PODS,
                len(endpoints) == 1
                and (endpoints[0].pod_name, endpoints[0].address) == (want.pod_name, want.address),
                lambda endpoints=endpoints, want=want: (
                    f"{name} at {self.cluster.now}: endpoints {endpoints} for pod {want.pod_name} "
                    f"({want.address})\n" + self._trace()
                ),
            )
            endpoint = endpoints[0]
            require(
                ENDPOINTSLICE_CONDITIONS,
                (endpoint.ready, endpoint.serving, endpoint.terminating)
                == (want.ready, want.serving, want.terminating),
                lambda endpoint=endpoint, want=want: (
                    f"{name} at {self.cluster.now}: {endpoint.pod_name} has ready/serving/terminating "
                    f"{endpoint.ready}/{endpoint.serving}/{endpoint.terminating}, expected "
                    f"{want.ready}/{want.serving}/{want.terminating}\n" + self._trace()
                ),
            )
            require(
                ENDPOINTSLICE_PORTS,
                endpoint.ports == want.ports,
                lambda endpoint=endpoint, want=want: (
                    f"{name}: {endpoint.pod_name} with ports {endpoint.ports}, expected {want.ports}\n"
                    + self._trace()
                ),
            )

    def teardown(self) -> None:
        self.cluster.set_watch_lag(PODS, 0.0)
        self.cluster.restart_controller_manager()
        for node in sorted(self.crashed):
            self.cluster.kubelet(node).recover()
        self.crashed.clear()
        self.cluster.run(SETTLE_S)
        self._check(settled=True)


def machine_for(provider: ControllersProvider) -> type[EndpointSliceMachine]:
    return type("EndpointSliceMachine", (EndpointSliceMachine,), {"provider": provider})
