"""The controller manager: runs every controller while it leads, and restarts one that fails.

kube-controller-manager (cmd/kube-controller-manager/app/controllermanager.go)
starts its controllers once it holds the leader-election Lease and exits
when it loses it. Here, on the caller's clock:

- ``step(now)`` first steps the ``LeaderElector`` (when leader election is
  on); not leading, the manager drops its controllers with all their
  memory, as the upstream process exits on losing the Lease, and starts
  fresh ones (which list again) once it leads again;
- a controller whose ``step`` raises is closed and replaced by a fresh
  instance after ``restart_delay_s``, doubling per consecutive failure up
  to ``MAX_RESTART_DELAY_S``; the other controllers keep running
  (MANAGER-RESTART-FAILED). Upstream a panic in one controller takes the
  whole process down and the kubelet restarts it; restarting the one
  controller is the issue's ask and loses less.
- the garbage collector (impl/controllers/garbagecollector.py
  ``GarbageCollector``) is one of its controllers, as upstream's is;
- ``ManagerCrashed`` (a simulated crash, raised by the cluster's client in
  the middle of a controller's work) is not a controller failure: it goes
  up to whoever runs the manager.

Requirement IDs: none (``spec.leaderelection`` defines MANAGER-*).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from impl.apiclient import APIClient
from impl.controllers.leaderelection import LeaderElector

#: Makes a controller on a client: it has ``start(now)``, ``step(now)`` and ``close()``.
ControllerFactory = Callable[[APIClient], Any]

MAX_RESTART_DELAY_S = 60.0

_log = logging.getLogger(__name__)


class ManagerCrashed(Exception):
    """The simulated controller-manager process died in the middle of its work."""


@dataclass
class _Slot:
    factory: ControllerFactory
    controller: Any = None
    failures: int = 0
    restart_at: float = 0.0


class ControllerManager:
    def __init__(
        self,
        client: APIClient,
        factories: tuple[ControllerFactory, ...],
        *,
        identity: str,
        epoch: datetime,
        leader_elect: bool = True,
        elector: type[LeaderElector] = LeaderElector,
        restart_delay_s: float = 1.0,
    ) -> None:
        self.client = client
        self.identity = identity
        self.elector = elector(client, identity, epoch=epoch) if leader_elect else None
        self.restart_delay_s = restart_delay_s
        self.slots = [_Slot(factory) for factory in factories]
        self.running = False
        #: (time, controller factory, error) of every failure, for tests and logs.
        self.failures: list[tuple[float, str, str]] = []

    @property
    def controllers(self) -> list[Any]:
        return [slot.controller for slot in self.slots if slot.controller is not None]

    def step(self, now: float) -> None:
        if self.elector is not None and not self.elector.step(now):
            self.close()
            return
        if not self.running:
            self.running = True
            for slot in self.slots:
                slot.failures, slot.restart_at = 0, now
        for slot in self.slots:
            if slot.controller is None:
                if now < slot.restart_at:
                    continue
                slot.controller = slot.factory(self.client)
                self._guarded(slot, now, lambda slot=slot: slot.controller.start(now))
            if slot.controller is not None:
                self._guarded(slot, now, lambda slot=slot: slot.controller.step(now))

    def _guarded(self, slot: _Slot, now: float, work: Callable[[], Any]) -> None:
        try:
            work()
        except ManagerCrashed:
            raise
        except Exception as error:  # a controller bug: restart that controller, keep the others
            _log.warning("controller %s failed: %r", _name(slot.factory), error)
            self.failures.append((now, _name(slot.factory), repr(error)))
            slot.controller.close()
            slot.controller = None
            slot.restart_at = now + min(self.restart_delay_s * 2**slot.failures, MAX_RESTART_DELAY_S)
            slot.failures += 1
        else:
            if slot.failures and slot.controller is not None:
                slot.failures = 0

    def close(self) -> None:
        """Stop every controller, dropping its memory (caches, queues, expectations)."""
        for slot in self.slots:
            if slot.controller is not None:
                slot.controller.close()
                slot.controller = None
        self.running = False


def _name(factory: ControllerFactory) -> str:
    inner = getattr(factory, "func", factory)  # functools.partial
    return getattr(inner, "__name__", repr(inner))
