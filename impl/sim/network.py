"""How the simulated network treats a message: latency, loss, duplication, reordering.

The model follows what consensus protocols must survive (raft.tla's
DropMessage and DuplicateMessage actions, etcd-io/raft's test network with
drop/cut/isolate, FoundationDB's simulated network) while keeping the
ordinary case ordered like a TCP connection, so that reordering is a fault
that is switched on, not background noise.

Per message, at send time, in this order (each coin is drawn only if its rate
is above 0, so a fault-free network spends no entropy on coins):

1. Drop: with probability ``drop_rate`` the message is lost (trace: ``drop``,
   reason ``random``).
2. Duplicate: with probability ``duplicate_rate`` the network makes a second
   copy (trace: ``duplicate``). Each copy then gets steps 3 and 4 on its own
   (its own latency and its own reorder coin).
3. Latency: an integer drawn uniformly from ``[min_latency_ns,
   max_latency_ns]``.
4. Reorder: with probability ``reorder_rate`` the copy is exempt from FIFO
   (trace: ``reorder``).

Ordering. Each link (source, destination) is FIFO: a copy that is not
reordered is delivered at ``max(send_time + latency, t_last)``, where
``t_last`` is the delivery time of the link's previous non-reordered copy
(ties keep send order). Such a copy therefore arrives by ``send_time +
max_latency_ns``. A reordered copy is delivered at ``send_time +
max_latency_ns + extra`` with ``extra`` uniform in ``[1, max(max_latency_ns,
1)]`` and does not move ``t_last``. It is therefore overtaken by every
non-reordered message sent on its link less than ``extra`` ns after it, and
always by those sent in the same instant (so in a burst, every reordered
message that has a later non-reordered one is visibly overtaken).

With ``reorder_rate == 0`` every link delivers in send order, duplicates
included (on its link, a second copy directly follows its original).

Loss at delivery time (partitions, a crashed or paused destination) is the
simulation's business, not this configuration's: see ``Simulation``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass


def _check_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int number of nanoseconds, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0 ns, got {value}")
    return value


def _check_rate(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number between 0 and 1, got {value!r}")
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1 inclusive, got {value!r}")


@dataclass(frozen=True)
class NetworkConfig:
    """Latency bounds and fault rates; see the module docstring for their meaning.

    Defaults: latency uniform in 1..5 ms, no loss, no duplication, no
    reordering.
    """

    min_latency_ns: int = 1_000_000
    max_latency_ns: int = 5_000_000
    drop_rate: float = 0.0
    duplicate_rate: float = 0.0
    reorder_rate: float = 0.0

    def __post_init__(self) -> None:
        low = _check_int("min_latency_ns", self.min_latency_ns)
        high = _check_int("max_latency_ns", self.max_latency_ns)
        if low > high:
            raise ValueError(
                f"min_latency_ns ({low}) must be <= max_latency_ns ({high})"
            )
        _check_rate("drop_rate", self.drop_rate)
        _check_rate("duplicate_rate", self.duplicate_rate)
        _check_rate("reorder_rate", self.reorder_rate)

    def without_faults(self) -> NetworkConfig:
        """The same latencies with no drops, duplicates or reordering.

        For the liveness phase of a run (FoundationDB, VOPR): faults off, and
        the system must converge.
        """
        return dataclasses.replace(self, drop_rate=0.0, duplicate_rate=0.0, reorder_rate=0.0)
