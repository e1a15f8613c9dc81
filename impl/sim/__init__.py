"""A deterministic discrete-event simulator for sans-IO component cores.

One process, one thread, virtual time in integer nanoseconds, and one source
of randomness (a seed, or Hypothesis' draws): the same entropy gives the same
run and the same trace, byte for byte. Simulated processes exchange messages
over a network that delays, drops, duplicates and reorders them and honours
partitions; they can crash (losing memory and unsynced disk writes), restart,
pause and have drifting clocks. Ideas from FoundationDB's simulation testing,
TigerBeetle's VOPR and etcd-io/raft's test network; see DESIGN.md, "The
simulator".

Modules: ``entropy`` (randomness), ``network`` (message faults), ``disk``
(crash-consistent storage), ``trace`` (the timeline), ``process`` (what a
process implements and is given), ``simulation`` (the event loop and faults).
"""

from impl.sim.disk import Disk
from impl.sim.entropy import Entropy, SeededEntropy
from impl.sim.errors import ProcessStateError, SimulationError, UnknownAddressError
from impl.sim.network import NetworkConfig
from impl.sim.process import Context, Process, Storage
from impl.sim.simulation import Envelope, Mailbox, Simulation
from impl.sim.trace import Trace, TraceRecord, format_time

__all__ = [
    "Context",
    "Disk",
    "Entropy",
    "Envelope",
    "Mailbox",
    "NetworkConfig",
    "Process",
    "ProcessStateError",
    "SeededEntropy",
    "Simulation",
    "SimulationError",
    "Storage",
    "Trace",
    "TraceRecord",
    "UnknownAddressError",
    "format_time",
]
