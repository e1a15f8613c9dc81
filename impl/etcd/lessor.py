"""The leader's lease clock: when each lease expires, and which expiries to propose. Sans-IO.

What it models: etcd's lessor (server/lease/lessor.go in etcd-io/etcd, read, not copied) as far
as time goes. The leases themselves (ID -> granted TTL, attached keys) are replicated state and
live in ``EtcdStore``; their deadlines are not replicated: only the leader keeps them, by its own
clock, as etcd's primary lessor does.

- A leader that takes office (a new term) restarts every lease at a full TTL (``Promote``; with
  lease checkpoints off etcd forgets the remaining TTL of the old leader). A lease the leader sees
  for the first time (just granted) gets a full TTL from then.
- ``keepalive`` renews a lease to a full TTL from now and answers its granted TTL (``Renew``);
  the caller makes sure only the leader answers keepalives.
- ``due`` names the leases whose deadline passed (``revokeExpiredLeases``): the driver proposes
  ``LeaseExpire`` for each, which every member applies as a revoke. An expiry proposed but not yet
  applied (the lease is still there) is proposed again once a second has gone by, in case the
  first proposal was lost with a leader change.
- A member that does not lead keeps no deadlines (``Demote``).

``now`` is always passed in, in nanoseconds of whatever clock the driver has: the simulator's
virtual time (impl/etcd/sim.py ``EtcdProcess``) or the real server's monotonic clock
(impl/etcd/server.py). Nothing here reads a clock.

Requirements: none defined here; KV-LEASE-EXPIRY (spec/kv.py) is checked on the members that use
it.
"""

from __future__ import annotations

from collections.abc import Mapping

from spec.kv import LeaseKeepAliveRequest, LeaseKeepAliveResponse, ResponseHeader

SECOND = 1_000_000_000


class LeaderLessor:
    """Lease deadlines (ns) kept by the leader, and the expiries it proposed (lease -> when)."""

    def __init__(self) -> None:
        self.deadlines: dict[int, int] = {}
        self.expiring: dict[int, int] = {}
        self._led_term = 0

    def demote(self) -> None:
        """This member does not lead (any more): it keeps no deadlines."""
        self.deadlines.clear()
        self.expiring.clear()
        self._led_term = 0

    def due(self, now: int, term: int, leases: Mapping[int, int]) -> list[int]:
        """As the leader of ``term``, with ``leases`` (ID -> TTL in seconds) in its store: the leases
        whose expiry to propose now, in the order of ``leases``."""
        if self._led_term != term:  # took office: every lease gets a full TTL (lessor Promote)
            self._led_term = term
            self.deadlines.clear()
            self.expiring.clear()
        for lease_id in [i for i in self.deadlines if i not in leases]:
            del self.deadlines[lease_id]
            self.expiring.pop(lease_id, None)
        expired = []
        for lease_id, ttl in leases.items():
            deadline = self.deadlines.setdefault(lease_id, now + ttl * SECOND)
            proposed = self.expiring.get(lease_id)
            if now >= deadline and (proposed is None or now - proposed > SECOND):
                self.expiring[lease_id] = now
                expired.append(lease_id)
        return expired

    def keepalive(
        self, now: int, request: LeaseKeepAliveRequest, leases: Mapping[int, int], revision: int
    ) -> LeaseKeepAliveResponse:
        """Renew ``request.id`` to a full TTL from ``now`` (TTL 0 in the answer: no such lease)."""
        ttl = leases.get(request.id, 0)
        if ttl:
            self.deadlines[request.id] = now + ttl * SECOND
        return LeaseKeepAliveResponse(ResponseHeader(revision), request.id, ttl)
