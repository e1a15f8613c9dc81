"""Leader election on the ``kube-system/kube-controller-manager`` Lease, on the caller's clock.

client-go's ``LeaderElector`` with a Lease lock (``spec.leaderelection``
says what it does and cites upstream), stepped instead of run: ``step(now)``
makes at most one try every retry period and answers whether this
manager leads *now*. Two departures, both stated in the spec module:

- no jitter on the retry period (the simulator has one clock and one
  order of steps, so there is nothing for jitter to break up);
- leading is judged on this manager's own last successful renewal, at
  every step, and it stops at the renew deadline: a manager that slept
  through its lease wakes up not leading, and acts again only after a
  successful renewal (client-go does not fence that case).

Requirement IDs: none (``spec.leaderelection`` defines them).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from impl.apiclient import APIClient
from spec.leaderelection import (
    LEASE_DURATION_S,
    LEASE_NAME,
    LEASE_NAMESPACE,
    LEASE_PATH,
    RENEW_DEADLINE_S,
    RETRY_PERIOD_S,
    LeaderRecord,
    may_take,
    next_record,
)
from spec.objects.base import MicroTime


class LeaderElector:
    def __init__(
        self,
        client: APIClient,
        identity: str,
        *,
        epoch: datetime,
        lease_duration_s: float = LEASE_DURATION_S,
        renew_deadline_s: float = RENEW_DEADLINE_S,
        retry_period_s: float = RETRY_PERIOD_S,
    ) -> None:
        self.client, self.identity, self.epoch = client, identity, epoch
        self.lease_duration_s = lease_duration_s
        self.renew_deadline_s = renew_deadline_s
        self.retry_period_s = retry_period_s
        self.observed: LeaderRecord | None = None
        self.observed_at = 0.0
        self.renewed_at: float | None = None  # our last successful write as holder
        self.next_try = 0.0

    def leading(self, now: float) -> bool:
        return self.renewed_at is not None and now - self.renewed_at < self.renew_deadline_s

    def step(self, now: float) -> bool:
        """Try to acquire or renew when due; whether this manager leads now."""
        if now >= self.next_try:
            self.next_try = now + self.retry_period_s
            if self._try_acquire_or_renew(now):
                self.renewed_at = now
        if not self.leading(now):
            self.renewed_at = None  # lost: only a fresh acquisition makes it lead again
        return self.leading(now)

    def _try_acquire_or_renew(self, now: float) -> bool:
        status, current = self.client.call("GET", LEASE_PATH)
        if status == 404:
            record = next_record(None, self.identity, now, self.lease_duration_s)
            body = self._lease(record, None)
            status, _ = self.client.call("POST", LEASE_PATH.rsplit("/", 1)[0], body)
            return status == 201
        if status != 200:
            return False
        record = self._record_of(current)
        if record != self.observed:
            self.observed, self.observed_at = record, now
        if not self._may_take(record, now):
            return False
        written = next_record(record, self.identity, now, self.lease_duration_s)
        status, _ = self.client.call(
            "PUT", LEASE_PATH, self._lease(written, current["metadata"]["resourceVersion"])
        )
        if status == 200:
            self.observed, self.observed_at = written, now
            return True
        return False  # a conflict: someone else wrote it first

    def _may_take(self, record: LeaderRecord, now: float) -> bool:
        return may_take(record, self.observed_at, now, self.identity)

    def _time(self, seconds: float) -> str:
        return MicroTime.of(self.epoch + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def _seconds_of(self, text: str | None) -> float:
        if not text:
            return 0.0
        return (MicroTime.fromisoformat(text.replace("Z", "+00:00")) - self.epoch).total_seconds()

    def _record_of(self, lease: dict[str, Any]) -> LeaderRecord:
        spec = lease.get("spec") or {}
        return LeaderRecord(
            holder=spec.get("holderIdentity") or "",
            lease_duration_s=float(spec.get("leaseDurationSeconds") or self.lease_duration_s),
            acquire_time=self._seconds_of(spec.get("acquireTime")),
            renew_time=self._seconds_of(spec.get("renewTime")),
            transitions=int(spec.get("leaseTransitions") or 0),
        )

    def _lease(self, record: LeaderRecord, resource_version: str | None) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": LEASE_NAME, "namespace": LEASE_NAMESPACE}
        if resource_version is not None:
            metadata["resourceVersion"] = resource_version
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": metadata,
            "spec": {
                "holderIdentity": record.holder,
                "leaseDurationSeconds": int(record.lease_duration_s),
                "acquireTime": self._time(record.acquire_time),
                "renewTime": self._time(record.renew_time),
                "leaseTransitions": record.transitions,
            },
        }
