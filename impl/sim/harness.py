"""What every simulated cluster adapter offers the suite besides its own
component contract: the ``faults`` and message-chaos contracts
(conformance/adapters/faults.py, matched structurally) and the trace as a
timeline for failure messages (``SimulatedFaults``: an adapter mixes it in
and sets ``self.simulation`` and ``self._members``), and a client's
request/answer exchange (``ask``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from impl.sim.simulation import Simulation


class SimulatedFaults:
    simulation: Simulation
    _members: tuple[str, ...]

    def members(self) -> tuple[str, ...]:
        return self._members

    def crash(self, member: str) -> None:
        self.simulation.crash(member)

    def restart(self, member: str) -> None:
        self.simulation.restart(member)

    def pause(self, member: str) -> None:
        self.simulation.pause(member)

    def resume(self, member: str) -> None:
        self.simulation.resume(member)

    def partition(self, groups: Sequence[Sequence[str]]) -> None:
        self.simulation.partition(*groups)

    def heal(self) -> None:
        self.simulation.heal()

    def set_message_faults(self, *, drop_rate: float, duplicate_rate: float, reorder_rate: float) -> None:
        self.simulation.network = replace(
            self.simulation.network,
            drop_rate=drop_rate,
            duplicate_rate=duplicate_rate,
            reorder_rate=reorder_rate,
        )

    def timeline(self, last: int) -> str:
        return self.simulation.trace.render(last=last)


def ask(
    simulation: Simulation,
    client: str,
    server: str,
    request: object,
    *,
    is_answer: Callable[[object], bool],
    timeout_ns: int,
) -> object | None:
    """Play a client: send ``request`` from the mailbox ``client`` to ``server``
    and run the simulation until an answer arrives; None after ``timeout_ns``.

    Answers to earlier requests that timed out are stale by now and dropped.
    """
    mailbox = simulation.mailbox(client)
    mailbox.take()
    simulation.send_external(client, server, request)
    answers: list[object] = []

    def answered() -> bool:
        answers.extend(e.payload for e in mailbox.take() if is_answer(e.payload))
        return bool(answers)

    simulation.run_until(answered, timeout_ns=timeout_ns)
    return answers[0] if answers else None
