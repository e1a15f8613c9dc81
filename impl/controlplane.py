"""A whole control plane in one process on virtual time: API server, scheduler, controllers, kubelets.

``SimulatedCluster`` wires the reference components together the way a
cluster does, through the API only (impl/apiclient.py's in-process client
on the sans-IO API server core and the in-memory etcd store), and runs
them in rounds: each ``run(seconds)`` advances the clock by ``tick_s``
and steps every kubelet, the scheduler and every controller manager
(impl/controllers/manager.py) in a fixed order. The API server's clock is
the same virtual clock, so creationTimestamps, deletionTimestamps and
leases follow it. Nothing reads the wall clock or a global random source:
one seed, one run. Its pod watches are indexed by node
(impl/apiserver/watchindex.py), so a thousand kubelets cost what one does.

One manager runs without leader election; ``managers=2`` runs two that
elect a leader on the kube-controller-manager Lease, and every write each
makes is logged in ``manager_writes`` (MANAGER-LEADER-EXCLUSIVE's
evidence).

Faults, for the workloads suites (Sieve's kinds, REFERENCE.md):

- ``crash_controller_manager(i)`` / ``restart_controller_manager(i)``: the
  controllers' memory (caches, queues, expectations) is lost; on restart
  they list again from the API server (every manager when ``i`` is None);
- ``crash_controller_manager_mid_reconcile(writes)``: the manager dies at
  its next write past ``writes``, in the middle of a sync (an intermediate
  state);
- ``pause_controller_manager(i)`` / ``resume_controller_manager(i)``: it
  keeps its memory and does nothing meanwhile (a long GC pause);
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
from impl.controllers.cronjob import CronJobController
from impl.controllers.daemonset import DaemonSetController
from impl.controllers.deployment import DeploymentController
from impl.controllers.endpointslice import EndpointSliceController
from impl.controllers.garbagecollector import GarbageCollector
from impl.controllers.job import JobController
from impl.controllers.leaderelection import LeaderElector
from impl.controllers.manager import ControllerFactory, ControllerManager, ManagerCrashed
from impl.controllers.nodelifecycle import NodeLifecycleController
from impl.controllers.replicaset import ReplicaSetController
from impl.controllers.statefulset import StatefulSetController
from impl.node.simkubelet import EPOCH, SimulatedKubelet
from impl.scheduler.apidriver import APIScheduler
from impl.scheduler.core import ReferenceScheduler
from spec.entropy import SeededEntropy
from spec.leaderelection import ManagerWrite


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


class ManagerClient:
    """One controller manager's connection: every write is logged; an armed crash cuts the work short.

    The log is what an audit log of the API server shows of the managers
    (MANAGER-LEADER-EXCLUSIVE is judged on it). With ``writes_left`` set to
    ``n``, ``n`` more writes go through and the next one raises
    ``ManagerCrashed`` before it is sent, so a sync stops between two of
    its writes.
    """

    def __init__(self, inner: APIClient, identity: str, log: list[ManagerWrite], clock: Callable[[], float]):
        self.inner, self.identity, self.log, self.clock = inner, identity, log, clock
        self.writes_left: int | None = None

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: Query | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        if method == "GET":
            return self.inner.call(method, path, body, query=query, content_type=content_type)
        if self.writes_left is not None:
            if self.writes_left <= 0:
                raise ManagerCrashed(f"{self.identity} crashed before {method} {path}")
            self.writes_left -= 1
        status, answer = self.inner.call(method, path, body, query=query, content_type=content_type)
        if method == "POST" and isinstance(body, dict) and (body.get("metadata") or {}).get("name"):
            path = f"{path}/{body['metadata']['name']}"  # the object, as an audit event's objectRef names it
        self.log.append(ManagerWrite(self.clock(), self.identity, method, path, status < 300))
        return status, answer

    def watch(self, path: str, *, query: Query | None = None) -> APIWatchStream:
        return self.inner.watch(path, query=query)


@dataclass
class ManagerProcess:
    """One controller-manager process of the cluster: crashed (None), running, or paused."""

    index: int
    incarnation: int = 0
    manager: ControllerManager | None = None
    client: ManagerClient | None = None
    paused: bool = False

    @property
    def identity(self) -> str:
        # Upstream's identity is hostname + "_" + a fresh UUID per start: a restarted process is a
        # new candidate that must wait for its predecessor's lease to run out.
        return f"kcm-{self.index}_{self.incarnation}"


class SimulatedCluster:
    def __init__(
        self,
        *,
        seed: int = 0,
        nodes: int = 3,
        controllers: tuple[ControllerFactory, ...] = (ReplicaSetController,),
        managers: int = 1,
        elector: type[LeaderElector] = LeaderElector,
        tick_s: float = 0.25,
        startup_s: float = 1.0,
    ) -> None:
        self.now = 0.0
        self.tick_s = tick_s
        self.kv = MemoryKV()
        self.server = APIServer(
            self.kv.client(),
            clock=self.wall_time,
            entropy=SeededEntropy(seed),
            index_pod_watches_by_node=True,
        )
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
        self.elector = elector
        #: One manager runs without leader election (``--leader-elect=false``); several elect a leader.
        self.processes = [ManagerProcess(i) for i in range(managers)]
        #: Every write of every controller manager, in order (MANAGER-LEADER-EXCLUSIVE's evidence).
        self.manager_writes: list[ManagerWrite] = []
        self.restart_controller_manager()

    def wall_time(self) -> datetime:
        return EPOCH + timedelta(seconds=self.now)

    @property
    def controllers(self) -> list[Any]:
        """The controllers running now, in every manager."""
        return [c for p in self.processes if p.manager is not None for c in p.manager.controllers]

    # -- faults ------------------------------------------------------------------------------------

    def _chosen(self, index: int | None) -> list[ManagerProcess]:
        return self.processes if index is None else [self.processes[index]]

    def crash_controller_manager(self, index: int | None = None) -> None:
        """Crash manager ``index`` (every one when None): its memory is lost, its lease left to expire."""
        for process in self._chosen(index):
            if process.manager is not None:
                process.manager.close()
            process.manager = process.client = None
            process.paused = False

    def restart_controller_manager(self, index: int | None = None) -> None:
        """Start manager ``index`` (every one when None) afresh, crashing it first if it runs."""
        for process in self._chosen(index):
            self.crash_controller_manager(process.index)
            process.incarnation += 1
            process.client = ManagerClient(
                self.client, process.identity, self.manager_writes, lambda: self.now
            )
            process.manager = ControllerManager(
                LaggingClient(process.client, self.lags, lambda: self.now),
                self.controller_factories,
                identity=process.identity,
                epoch=EPOCH,
                leader_elect=len(self.processes) > 1,
                elector=self.elector,
            )
            process.manager.step(self.now)

    def crash_controller_manager_mid_reconcile(self, writes: int) -> None:
        """Every running manager crashes when it tries its ``writes + 1``-th write from now on."""
        for process in self.processes:
            if process.client is not None:
                process.client.writes_left = writes

    def pause_controller_manager(self, index: int) -> None:
        """Freeze manager ``index`` (a long GC pause, a stopped VM): it keeps its memory, does nothing."""
        self.processes[index].paused = True

    def resume_controller_manager(self, index: int) -> None:
        self.processes[index].paused = False

    def manager_identity(self, index: int) -> str:
        return self.processes[index].identity

    def set_watch_lag(self, prefix: str, seconds: float) -> None:
        if seconds <= 0:
            self.lags.by_prefix.pop(prefix, None)
        else:
            self.lags.by_prefix[prefix] = seconds

    def kubelet(self, name: str) -> SimulatedKubelet:
        return next(k for k in self.kubelets if k.node_name == name)

    # -- time ----------------------------------------------------------------------------------------

    def run(self, seconds: float, *, tick_s: float | None = None) -> None:
        """Advance the clock ``seconds`` in ticks (``tick_s``, else the cluster's), stepping every
        component once per tick; a coarser tick lets long stretches of simulated time pass faster."""
        end = self.now + seconds
        tick = tick_s or self.tick_s
        while self.now < end - 1e-9:
            self.now = min(self.now + tick, end)
            self.step()

    def step(self) -> None:
        for kubelet in self.kubelets:
            kubelet.step(self.now)
        self.scheduler.step()
        for process in self.processes:
            if process.manager is None or process.paused:
                continue
            try:
                process.manager.step(self.now)
            except ManagerCrashed:
                self.crash_controller_manager(process.index)

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
        JobController,
        CronJobController,
        NodeLifecycleController,
        EndpointSliceController,
        DaemonSetController,
        StatefulSetController,
        GarbageCollector,
    )

    #: The managers' leader election (tests substitute broken ones).
    elector: type[LeaderElector] = LeaderElector

    def new_cluster(self, seed: int, *, nodes: int = 3, managers: int = 1) -> SimulatedCluster:
        return SimulatedCluster(
            seed=seed, nodes=nodes, controllers=self.controllers, managers=managers, elector=self.elector
        )
