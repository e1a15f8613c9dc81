"""The ``controllers`` contract: a control plane whose controllers the suite drives through the API.

A provider makes simulated clusters (``new_cluster(seed, nodes=...)``): an
API server with a scheduler, the controller manager under test and
``nodes`` simulated kubelets that register Nodes, renew Leases and run the
pods bound to them (Pending, then Running and Ready after a startup delay;
a pod being deleted is confirmed gone once its grace period is over). The
suite talks to the cluster only as an API client would, plus the
environment's knobs:

- ``call(method, path, body=None, content_type=...) -> (status, JSON)``;
- ``run(seconds)``: let simulated time pass, every component doing its work;
- ``crash_controller_manager()`` / ``restart_controller_manager()``: the
  controllers lose their memory and list again when restarted;
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


class Kubelet(Protocol):
    def crash(self) -> None: ...

    def recover(self) -> None: ...


class SimulatedControlPlane(Protocol):
    def call(
        self, method: str, path: str, body: Any = None, *, content_type: str = "application/json"
    ) -> tuple[int, Any]: ...

    def run(self, seconds: float) -> None: ...

    def crash_controller_manager(self) -> None: ...

    def restart_controller_manager(self) -> None: ...

    def set_watch_lag(self, path_prefix: str, seconds: float) -> None: ...

    def kubelet(self, name: str) -> Kubelet: ...


class ControllersProvider(Protocol):
    deterministic: bool

    def new_cluster(self, seed: int, *, nodes: int) -> SimulatedControlPlane: ...
