"""A whole control plane in one process on virtual time: API server, scheduler, controllers, kubelets.

``SimulatedCluster`` wires the reference components together the way a
cluster does, through the API only (impl/apiclient.py's in-process client
on the sans-IO API server core and the in-memory etcd store), and runs
them in rounds: each ``run(seconds)`` advances the clock by ``tick_s``
and steps every kubelet, the scheduler and every controller in a fixed
order. The API server's clock is the same virtual clock, so
creationTimestamps, deletionTimestamps and leases follow it. Nothing reads
the wall clock or a global random source: one seed, one run.

Faults, for the workloads suites (Sieve's kinds, REFERENCE.md):

- ``crash_controller_manager()`` / ``restart_controller_manager()``: the
  controllers' memory (caches, queues, expectations) is lost; on restart
  they list again from the API server (an intermediate state: a sync may
  have been cut short between two writes only at write boundaries here).
- ``set_watch_lag(prefix, seconds)``: watch events of paths starting with
  ``prefix`` reach the controllers that long late (a lagging API server
  cache: stale state). Lists are not delayed.
- ``kubelet(name).crash()``: a node stops.

Requirement IDs: none.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from impl.apiclient import APIClient, APIWatchStream, InProcessClient, Query
from impl.apiserver.core import APIServer
from impl.apiserver.memory import MemoryKV
from impl.controllers.deployment import DeploymentController
from impl.controllers.replicaset import ReplicaSetController
from impl.controllers.statefulset import StatefulSetController
from impl.node.simkubelet import EPOCH, SimulatedKubelet
from impl.scheduler.apidriver import APIScheduler
from impl.scheduler.core import ReferenceScheduler
from spec.entropy import SeededEntropy

#: Makes a controller on a client (the manager calls it again on every restart).
ControllerFactory = Callable[[APIClient], Any]


@dataclass
class Lags:
    """Watch delay per path prefix, shared by the lagging clients of one cluster."""

    by_prefix: dict[str, float] = field(default_factory=dict)

    def of(self, path: str) -> float:
        return max((lag for prefix, lag in self.by_prefix.items() if path.startswith(prefix)), default=0.0)


class LaggingClient:
    """A client whose watch events arrive ``lags.of(path)`` seconds after they happened."""

    def __init__(self, inner: APIClient, lags: Lags, clock: Callable[[], float]) -> None:
        self.inner, self.lags, self.clock = inner, lags, clock

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: Query | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        return self.inner.call(method, path, body, query=query, content_type=content_type)

    def watch(self, path: str, *, query: Query | None = None) -> APIWatchStream:
        return _LaggingWatch(self.inner.watch(path, query=query), lambda: self.lags.of(path), self.clock)


class _LaggingWatch:
    def __init__(self, inner: APIWatchStream, lag: Callable[[], float], clock: Callable[[], float]) -> None:
        self.inner, self.lag, self.clock = inner, lag, clock
        self.held: deque[tuple[float, dict[str, Any]]] = deque()

    def next_events(self, timeout_s: float) -> list[dict[str, Any]]:
        now = self.clock()
        self.held.extend((now, event) for event in self.inner.next_events(timeout_s))
        out = []
        while self.held and now - self.held[0][0] >= self.lag():
            out.append(self.held.popleft()[1])
        return out

    def close(self) -> None:
        self.inner.close()


class SimulatedCluster:
    def __init__(
        self,
        *,
        seed: int = 0,
        nodes: int = 3,
        controllers: tuple[ControllerFactory, ...] = (ReplicaSetController,),
        tick_s: float = 0.25,
        startup_s: float = 1.0,
    ) -> None:
        self.now = 0.0
        self.tick_s = tick_s
        self.kv = MemoryKV()
        self.server = APIServer(self.kv.client(), clock=self.wall_time, entropy=SeededEntropy(seed))
        self.server.bootstrap()
        self.client = InProcessClient(self.server)
        self.lags = Lags()
        self.kubelets = [
            SimulatedKubelet(self.client, f"node-{i}", startup_s=startup_s, pod_ip_prefix=f"10.244.{i}.")
            for i in range(nodes)
        ]
        for kubelet in self.kubelets:
            kubelet.start(self.now)
        self.scheduler = APIScheduler(self.client, ReferenceScheduler(seed=seed), clock=lambda: self.now)
        self.scheduler.start()
        self.controller_factories = controllers
        self.controllers: list[Any] = []
        self.restart_controller_manager()

    def wall_time(self) -> datetime:
        return EPOCH + timedelta(seconds=self.now)

    # -- faults ------------------------------------------------------------------------------------

    def crash_controller_manager(self) -> None:
        for controller in self.controllers:
            controller.close()
        self.controllers = []

    def restart_controller_manager(self) -> None:
        self.crash_controller_manager()
        client = LaggingClient(self.client, self.lags, lambda: self.now)
        self.controllers = [factory(client) for factory in self.controller_factories]
        for controller in self.controllers:
            controller.start(self.now)

    def set_watch_lag(self, prefix: str, seconds: float) -> None:
        if seconds <= 0:
            self.lags.by_prefix.pop(prefix, None)
        else:
            self.lags.by_prefix[prefix] = seconds

    def kubelet(self, name: str) -> SimulatedKubelet:
        return next(k for k in self.kubelets if k.node_name == name)

    # -- time ----------------------------------------------------------------------------------------

    def run(self, seconds: float) -> None:
        """Advance the clock ``seconds`` in ticks, stepping every component once per tick."""
        end = self.now + seconds
        while self.now < end - 1e-9:
            self.now = min(self.now + self.tick_s, end)
            self.step()

    def step(self) -> None:
        for kubelet in self.kubelets:
            kubelet.step(self.now)
        self.scheduler.step()
        for controller in self.controllers:
            controller.step(self.now)

    # -- the API, as the suite sees it ---------------------------------------------------------------

    def call(
        self, method: str, path: str, body: Any = None, *, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        return self.client.call(method, path, body, content_type=content_type)


@dataclass
class SimulatedControlPlaneProvider:
    """The ``controllers`` component of the reference: simulated clusters running ``controllers``."""

    deterministic: bool = True
    #: The controllers the manager runs (tests substitute broken ones).
    controllers: tuple[ControllerFactory, ...] = (
        ReplicaSetController,
        DeploymentController,
        StatefulSetController,
    )

    def new_cluster(self, seed: int, *, nodes: int = 3) -> SimulatedCluster:
        return SimulatedCluster(seed=seed, nodes=nodes, controllers=self.controllers)
