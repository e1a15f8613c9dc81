"""coordination.k8s.io/v1: Lease (node heartbeats in ``kube-node-lease``, leader election).

Upstream: kubernetes/api ``coordination/v1/types.go``. Times are
``MicroTime``: a lease is renewed more often than once a second.

Requirement IDs: none.
"""

from __future__ import annotations

from typing import ClassVar

from spec.objects.base import Int32, MicroTime, Model
from spec.objects.meta import KindModel


class LeaseSpec(Model):
    holder_identity: str | None = None
    lease_duration_seconds: Int32 | None = None
    acquire_time: MicroTime | None = None
    renew_time: MicroTime | None = None
    lease_transitions: Int32 | None = None
    strategy: str | None = None


class Lease(KindModel):
    api_version: ClassVar[str] = "coordination.k8s.io/v1"
    kind: ClassVar[str] = "Lease"

    spec: LeaseSpec = LeaseSpec()
