"""events.k8s.io/v1: Event, the structured event API that controllers' event recorders write.

Upstream: kubernetes/api ``events/v1/types.go``. It is stored with core/v1
Event (same ``events`` resource, different field names: ``regarding`` for
``involvedObject``, ``note`` for ``message``, ``deprecated*`` for the old
counters).

Requirement IDs: none.
"""

from __future__ import annotations

from typing import ClassVar

from spec.objects.base import Int32, MicroTime, Model, Time
from spec.objects.core import EventSource, ObjectReference
from spec.objects.meta import KindModel


class EventSeries(Model):
    count: Int32 = 0
    last_observed_time: MicroTime | None = None


class Event(KindModel):
    api_version: ClassVar[str] = "events.k8s.io/v1"
    kind: ClassVar[str] = "Event"

    event_time: MicroTime | None = None
    series: EventSeries | None = None
    reporting_controller: str = ""
    reporting_instance: str = ""
    action: str = ""
    reason: str = ""
    regarding: ObjectReference = ObjectReference()
    related: ObjectReference | None = None
    note: str = ""
    type: str = ""
    deprecated_source: EventSource = EventSource()
    deprecated_first_timestamp: Time | None = None
    deprecated_last_timestamp: Time | None = None
    deprecated_count: Int32 = 0
