"""The reference Raft: a sans-IO node (``core``) and its simulator driver and provider (``sim``)."""

from impl.raft.core import RaftConfig, RaftNode
from impl.raft.sim import SimulatedRaftProvider

__all__ = ["RaftConfig", "RaftNode", "SimulatedRaftProvider"]
