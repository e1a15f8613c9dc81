"""The ``controllers`` contract: a control plane whose controllers the suite drives through the API.

A provider makes simulated clusters (``new_cluster(seed, nodes=...)``): an
API server with a scheduler, the controller manager under test and
``nodes`` simulated kubelets that register Nodes, renew Leases and run the
pods bound to them (Pending, then Running and Ready after a startup delay;
a pod being deleted is confirmed gone once its grace period is over). The
suite talks to the cluster only as an API client would, plus the
environment's knobs:

- ``call(method, path, body=None, content_type=...) -> (status, JSON)``;
- ``run(seconds, tick_s=None)``: let simulated time pass, every component
  doing its work, in steps of ``tick_s`` seconds if given (a coarser tick
  for long stretches; None: the cluster's own);
- ``crash_controller_manager()`` / ``restart_controller_manager()``: the
  controllers lose their memory and list again when restarted;
- ``crash_controller_manager_mid_reconcile(writes)``: the manager dies
  when it tries its ``writes + 1``-th write from now on, in the middle of
  a sync (disarmed by the next restart);
- ``set_watch_lag(path_prefix, seconds)``: the controllers' watches of
  those paths deliver events that late (a stale cache, as Sieve injects);
- ``kubelet(node_name)``: that node's kubelet, which ``crash()`` stops (no
  Lease renewal, no pod work: a dead or partitioned machine) until
  ``recover()``.

Deterministic: the same seed and the same calls give the same cluster.

The reference (impl/controlplane.py) is such a provider; a controller
manager of yours plugs in by running its controllers against the
cluster's API (``controllers=`` factories taking an API client).
"""

from __future__ import annotations

from typing import Any, Protocol

from spec.leaderelection import ManagerWrite


class Kubelet(Protocol):
    def crash(self) -> None: ...

    def recover(self) -> None: ...


class SimulatedControlPlane(Protocol):
    def call(
        self, method: str, path: str, body: Any = None, *, content_type: str = "application/json"
    ) -> tuple[int, Any]: ...

    def run(self, seconds: float, *, tick_s: float | None = None) -> None: ...

    def crash_controller_manager(self) -> None: ...

    def restart_controller_manager(self) -> None: ...

    def crash_controller_manager_mid_reconcile(self, writes: int) -> None: ...

    def set_watch_lag(self, path_prefix: str, seconds: float) -> None: ...

    def kubelet(self, name: str) -> Kubelet: ...


class ReplicatedControlPlane(SimulatedControlPlane, Protocol):
    """A cluster of several controller managers electing a leader (``new_cluster(managers=n)``, n > 1).

    ``crash_controller_manager(i)``, ``restart_controller_manager(i)``,
    ``pause_controller_manager(i)`` and ``resume_controller_manager(i)`` act on
    manager ``i``; ``manager_identity(i)`` is the identity it writes into the
    Lease in its current incarnation; ``manager_writes`` lists every write each manager made
    (``spec.leaderelection.ManagerWrite``: time, manager identity, method,
    path, success), as the API server's audit log would show them.
    """

    manager_writes: list[ManagerWrite]

    def crash_controller_manager(self, index: int | None = None) -> None: ...

    def restart_controller_manager(self, index: int | None = None) -> None: ...

    def pause_controller_manager(self, index: int) -> None: ...

    def resume_controller_manager(self, index: int) -> None: ...

    def manager_identity(self, index: int) -> str: ...


class ControllersProvider(Protocol):
    deterministic: bool

    def new_cluster(self, seed: int, *, nodes: int, managers: int = 1) -> SimulatedControlPlane: ...
