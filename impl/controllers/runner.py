"""Running the controllers: ``settle`` for tests (deterministic), ``ControllerLoop`` beside the HTTP driver.

``settle`` runs every controller in turn until a whole round makes no write
(or ``max_rounds`` pass), on one thread, so a test that calls it after its
requests sees the state the controllers converge to. ``ControllerLoop``
does the same in a background thread whenever the core's
``lifecycle_changes`` counter moved (a delete, a deletion mark, an object
with owner references written), polling every ``interval_s``.

Requirement IDs: none.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from impl.apiserver.core import APIServer
from impl.controllers import garbagecollector, namespace
from impl.controllers.client import ResourceClient, Resources

Controller = Callable[[Resources], int]

#: The controllers the reference server runs, in the order of a round.
DEFAULT_CONTROLLERS: tuple[Controller, ...] = (namespace.reconcile, garbagecollector.reconcile)

_log = logging.getLogger(__name__)


def settle(
    client: Resources, controllers: Sequence[Controller] = DEFAULT_CONTROLLERS, max_rounds: int = 50
) -> bool:
    """Run the controllers until a round writes nothing; False if ``max_rounds`` did not get there."""
    for _ in range(max_rounds):
        if sum(controller(client) for controller in controllers) == 0:
            return True
    return False


class ControllerLoop:
    """The controllers of ``server``, in process, in a daemon thread; ``stop`` ends it (bounded)."""

    def __init__(
        self,
        server: APIServer,
        controllers: Sequence[Controller] = DEFAULT_CONTROLLERS,
        *,
        interval_s: float = 0.05,
    ) -> None:
        self.server = server
        self.client = ResourceClient.in_process(server)
        self.controllers = tuple(controllers)
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="controllers", daemon=True)

    def start(self) -> ControllerLoop:
        self._thread.start()
        return self

    def _run(self) -> None:
        seen = -1
        pending = False
        while not self._stop.wait(self.interval_s):
            current = self.server.lifecycle_changes
            if current == seen and not pending:
                continue
            seen = current
            try:
                # A round that did not settle (someone keeps writing) is tried again on the next tick.
                pending = not settle(self.client, self.controllers, max_rounds=10)
            except Exception:  # a controller bug must not stop the loop: log it, try again later
                _log.exception("a controller failed")
                pending = True

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
