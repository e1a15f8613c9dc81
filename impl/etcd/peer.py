"""What real-mode etcd members (impl/etcd/server.py) put in their Raft log and say to each other
besides Raft: the log's commands and the follower -> leader requests, as wire types.

What it models: etcd's server identifies each proposal by a request ID and the member that
proposed it answers its client when the entry applies (server/etcdserver/server.go
``applyEntryNormal`` triggering ``s.w``, its ``wait.Wait``); a follower hands its client's
proposal to the leader (raft's MsgProp forwarding), asks the leader for a read index
(MsgReadIndex) and sends its client's keepalives to the leader (``LeaseRenew`` forwards over
the peer HTTP API). Here:

- ``Proposal(origin, request_id, request)`` is a log entry's command. Every member applies the
  request to its store; only ``origin`` answers a client, matched by ``request_id``, which is
  drawn at random per process incarnation so that an entry of an earlier incarnation never
  answers a client of a later one.
- ``PeerAsk(src, dst, ask_id, kind, payload)`` goes from a member to the one it believes leads;
  ``PeerAnswer(src, dst, ask_id, answer)`` comes back. Kinds and answers are listed with the
  constants below. Both travel on the Raft peer connections (impl/raft/transport.py), which
  deliver any registered wire type addressed to the member.

Every spec/kv.py type that a command or an answer holds is registered with impl/raft/wire.py
here, so importing this module is what lets the WAL and the peer links carry etcd requests.
"""

from __future__ import annotations

from dataclasses import dataclass

from impl.raft import wire
from spec.kv import (
    CompactionRequest,
    Compare,
    CompareResult,
    CompareTarget,
    DeleteRangeRequest,
    LeaseExpire,
    LeaseGrantRequest,
    LeaseKeepAliveRequest,
    LeaseKeepAliveResponse,
    LeaseLeasesRequest,
    LeaseRevokeRequest,
    LeaseTimeToLiveRequest,
    PutRequest,
    RangeRequest,
    Request,
    ResponseHeader,
    SortOrder,
    SortTarget,
    TxnRequest,
)

#: ``payload`` a Proposal; answered ("accepted",) once appended, ("refused",) if the receiver did
#: not append it (not the leader), and ("lost",) later if another entry took its index.
PROPOSE = "propose"
#: ``payload`` None; answered with an index applied at the leader after the read was confirmed
#: (at least the read index), or None if the receiver could not confirm it.
READ_INDEX = "read_index"
#: ``payload`` a LeaseKeepAliveRequest; answered with the LeaseKeepAliveResponse, or None if the
#: receiver does not lead.
KEEPALIVE = "keepalive"


@dataclass(frozen=True)
class Proposal:
    """A log entry's command: a client's write, who proposed it and under which ID."""

    origin: str
    request_id: int
    request: Request

    def __repr__(self) -> str:
        return f"{self.origin}#{self.request_id}:{type(self.request).__name__}"


@dataclass(frozen=True)
class PeerAsk:
    src: str
    dst: str
    ask_id: int
    kind: str
    payload: object = None


@dataclass(frozen=True)
class PeerAnswer:
    src: str
    dst: str
    ask_id: int
    answer: object = None


wire.register(
    Proposal,
    PeerAsk,
    PeerAnswer,
    RangeRequest,
    PutRequest,
    DeleteRangeRequest,
    Compare,
    TxnRequest,
    CompactionRequest,
    LeaseGrantRequest,
    LeaseRevokeRequest,
    LeaseExpire,
    LeaseKeepAliveRequest,
    LeaseKeepAliveResponse,
    LeaseTimeToLiveRequest,
    LeaseLeasesRequest,
    ResponseHeader,
    SortOrder,
    SortTarget,
    CompareResult,
    CompareTarget,
)
