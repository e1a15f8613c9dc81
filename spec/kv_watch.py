"""etcd's watch guarantees, as predicates over what one watch delivered.

What it models: the guarantees of etcd's API documentation ("etcd API
guarantees", Watch APIs: Ordered, Unique, Atomic, Reliable, Resumable,
Bookmarkable), the event properties etcd's robustness tests validate besides
them (tests/robustness/validate/watch.go: IsCreate, PrevKV, the event filter),
and what a watch whose revisions were compacted receives
(server/storage/mvcc/watcher_group.go ``chooseAll``: a watcher that needs a
revision below the compact revision gets one response with
``compact_revision`` set, and v3rpc/watch.go marks it canceled).

Every predicate takes the ``WatchCreateRequest``, the responses the watch
received in order (fragments joined: a client reassembles responses sent with
``fragment``), and, where it needs one, ``history``: a ``spec.kv.KVState``
that holds every revision the watch saw. The suite builds it by replaying
the writes into a model it never compacts, as etcd's robustness tests replay
persisted requests (tests/robustness/model/replay.go). Lease IDs in the
events must already be mapped to the model's. Each predicate returns the
problems it finds, worded for a failure report (an empty list when the
property holds), like spec/raft.py.

Decisions:

- An event is identified by (revision, key, type). etcd's robustness tests
  use (revision, key), but a txn may delete a key with ``range_end == "\\0"``
  and put it again at one revision (spec/kv.py), giving two events.
- RELIABLE compares whole events (type and kv: value, versions, lease), not
  only the type, key and value robustness compares.
- Where a watch with ``start_revision == 0`` starts is taken from its first
  event or progress notification, as robustness does: the created response's
  header revision is read after the watcher registers, so a write in between
  may precede it.
- PREVKV: etcd fills prev_kv by reading ``mod_revision - 1`` when it sends
  the event and omits it if that revision is compacted by then (rpc.proto
  WatchCreateRequest.prev_kv). The caller passes the highest revision it
  compacted at while the watch ran; a missing prev_kv is allowed only below
  it. A create never has one (v3rpc ``IsCreateEvent``).

Requirements defined here (component ``kv``): KV-WATCH-ORDERED,
KV-WATCH-UNIQUE, KV-WATCH-ATOMIC, KV-WATCH-BOOKMARKABLE, KV-WATCH-RELIABLE,
KV-WATCH-RESUMABLE, KV-WATCH-ISCREATE, KV-WATCH-PREVKV, KV-WATCH-FILTER,
KV-WATCH-COMPACTED.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence

from spec.kv import (
    Event,
    EventType,
    KVState,
    WatchCreateRequest,
    WatchResponse,
    events_between,
    watch_matches,
)
from spec.requirements import Requirement, requirement

_GUARANTEES = "etcd api_guarantees.md (Watch APIs)"
_ROBUSTNESS = "etcd tests/robustness/validate/watch.go"

KV_WATCH_ORDERED = requirement(
    "KV-WATCH-ORDERED",
    "A watch MUST deliver events in revision order: no event may follow an event of a later revision.",
    component="kv",
    source=f"{_GUARANTEES}, Ordered; {_ROBUSTNESS} validateOrdered",
)
KV_WATCH_UNIQUE = requirement(
    "KV-WATCH-UNIQUE",
    "A watch MUST NOT deliver the same event (revision, key, type) twice.",
    component="kv",
    source=f"{_GUARANTEES}, Unique; {_ROBUSTNESS} validateUnique",
)
KV_WATCH_ATOMIC = requirement(
    "KV-WATCH-ATOMIC",
    "A watch MUST deliver all the events of one revision in one response, never split over several.",
    component="kv",
    source=f"{_GUARANTEES}, Atomic; {_ROBUSTNESS} validateAtomic",
)
KV_WATCH_BOOKMARKABLE = requirement(
    "KV-WATCH-BOOKMARKABLE",
    "A progress notification at revision R MUST come after every event up to R and before any event "
    "after R, and progress notifications MUST NOT go back in revision.",
    component="kv",
    source=f"{_GUARANTEES}, Bookmarkable; {_ROBUSTNESS} validateBookmarkable",
)
KV_WATCH_RELIABLE = requirement(
    "KV-WATCH-RELIABLE",
    "Between its first and its last revision a watch MUST deliver exactly the events of the history that "
    "match it, with no gap.",
    component="kv",
    source=f"{_GUARANTEES}, Reliable; {_ROBUSTNESS} validateReliable",
)
KV_WATCH_RESUMABLE = requirement(
    "KV-WATCH-RESUMABLE",
    "A watch started at revision R (not compacted) MUST deliver as its first event the first event of the "
    "history at or after R that matches it.",
    component="kv",
    source=f"{_GUARANTEES}, Resumable; {_ROBUSTNESS} validateResumable",
)
KV_WATCH_ISCREATE = requirement(
    "KV-WATCH-ISCREATE",
    "A PUT event MUST be a create (version 1, create_revision equal to mod_revision) exactly when the put "
    "created its key.",
    component="kv",
    source=f"etcd mvccpb/kv.proto Event; {_ROBUSTNESS} validateIsCreate",
)
KV_WATCH_PREVKV = requirement(
    "KV-WATCH-PREVKV",
    "For a watch created with prev_kv, an event's prev_kv MUST be the key's pair at the revision before "
    "the event's, absent for a create, and absent otherwise only if that revision was compacted; without "
    "prev_kv it MUST be absent.",
    component="kv",
    source=f"etcd rpc.proto WatchCreateRequest.prev_kv; v3rpc/watch.go sendLoop; "
    f"{_ROBUSTNESS} validatePrevKV",
)
KV_WATCH_FILTER = requirement(
    "KV-WATCH-FILTER",
    "A watch MUST deliver only events on keys in its range that its filters (NOPUT, NODELETE) keep.",
    component="kv",
    source=f"etcd rpc.proto WatchCreateRequest; {_ROBUSTNESS} validateFilter",
)
KV_WATCH_COMPACTED = requirement(
    "KV-WATCH-COMPACTED",
    "A watch that needs a revision below the compact revision MUST get one canceled response whose "
    "compact_revision is the store's compact revision, and nothing after it; a watch that needs no "
    "compacted revision MUST NOT be canceled that way.",
    component="kv",
    source="etcd rpc.proto WatchResponse.compact_revision; mvcc/watcher_group.go chooseAll",
)


def event_identity(event: Event) -> tuple[int, bytes, EventType]:
    return (event.revision, event.kv.key, event.type)


def _received(responses: Sequence[WatchResponse]) -> Iterator[tuple[int, Event]]:
    """Every event received, with the index of its response."""
    for index, response in enumerate(responses):
        for event in response.events:
            yield index, event


def _describe(event: Event) -> str:
    return f"{event.type.name} {event.kv.key!r}@{event.revision}"


def ordered(responses: Sequence[WatchResponse]) -> list[str]:
    """KV-WATCH-ORDERED."""
    problems: list[str] = []
    last: Event | None = None
    for index, event in _received(responses):
        if last is not None and event.revision < last.revision:
            problems.append(f"response {index}: {_describe(event)} after {_describe(last)}")
        last = event
    return problems


def unique(responses: Sequence[WatchResponse]) -> list[str]:
    """KV-WATCH-UNIQUE."""
    problems: list[str] = []
    seen: set[tuple[int, bytes, EventType]] = set()
    for index, event in _received(responses):
        if event_identity(event) in seen:
            problems.append(f"response {index}: {_describe(event)} delivered again")
        seen.add(event_identity(event))
    return problems


def atomic(responses: Sequence[WatchResponse]) -> list[str]:
    """KV-WATCH-ATOMIC: a response never starts with the revision the previous one ended with."""
    problems: list[str] = []
    last_revision: int | None = None
    for index, response in enumerate(responses):
        if not response.events:
            continue
        if response.events[0].revision == last_revision:
            problems.append(f"response {index}: revision {last_revision} is split over two responses")
        last_revision = response.events[-1].revision
    return problems


def bookmarkable(responses: Sequence[WatchResponse]) -> list[str]:
    """KV-WATCH-BOOKMARKABLE."""
    problems: list[str] = []
    last_notified = 0
    last_event_revision = 0
    for index, response in enumerate(responses):
        for event in response.events:
            if event.revision <= last_notified:
                problems.append(
                    f"response {index}: {_describe(event)} after a progress notification at {last_notified}"
                )
            last_event_revision = event.revision
        if response.is_progress_notify():
            revision = response.header.revision
            if revision < last_notified:
                problems.append(
                    f"response {index}: progress notification at {revision} after one at {last_notified}"
                )
            if revision < last_event_revision:
                problems.append(
                    f"response {index}: progress notification at {revision} "
                    f"after an event at {last_event_revision}"
                )
            last_notified = revision
    return problems


def first_revision(request: WatchCreateRequest, responses: Sequence[WatchResponse]) -> int:
    """The first revision the watch is known to cover (robustness firstExpectedRevision); 0 if unknown."""
    if request.start_revision > 0:
        return request.start_revision
    for response in responses:
        if response.is_progress_notify():
            return response.header.revision + 1
        if response.events:
            return response.events[0].revision
    return 0


def last_revision(responses: Sequence[WatchResponse]) -> int:
    """The last revision the watch is known to cover (robustness lastRevision); 0 if none."""
    for response in reversed(responses):
        if response.is_progress_notify():
            return response.header.revision
        if response.events:
            return response.events[-1].revision
    return 0


def _history_events(
    history: KVState, request: WatchCreateRequest, first: int, last: int
) -> tuple[Event, ...]:
    if first < history.compact_revision:
        raise ValueError(
            f"the history is compacted at {history.compact_revision}, the watch needs revision {first}: "
            "pass a history that was never compacted"
        )
    found = events_between(history, request.key or b"\0", request.range_end, first, last)
    return tuple(e for e in found if watch_matches(request, e))


def _without_prev_kv(event: Event) -> tuple[EventType, object]:
    return (event.type, event.kv)


def reliable(request: WatchCreateRequest, responses: Sequence[WatchResponse], history: KVState) -> list[str]:
    """KV-WATCH-RELIABLE: what was received equals the history's matching events between first and last."""
    first, last = first_revision(request, responses), last_revision(responses)
    if first == 0 or last < first:
        return []
    if last > history.revision:
        return [f"the watch saw revision {last}, but the history ends at {history.revision}"]
    wanted = [_without_prev_kv(e) for e in _history_events(history, request, first, last)]
    got = [_without_prev_kv(e) for _, e in _received(responses)]
    if wanted == got:
        return []
    for position, (want, have) in enumerate(zip(wanted, got, strict=False)):
        if want != have:
            return [f"event {position} of revisions {first}..{last}: expected {want}, received {have}"]
    if len(wanted) > len(got):
        return [f"revisions {first}..{last}: {len(wanted) - len(got)} events missing after the last received"]
    return [f"revisions {first}..{last}: {len(got) - len(wanted)} events received that never happened"]


def resumable(request: WatchCreateRequest, responses: Sequence[WatchResponse], history: KVState) -> list[str]:
    """KV-WATCH-RESUMABLE: the first event received is the first matching one at or after start_revision."""
    if request.start_revision <= 0:
        return []
    received = next((event for _, event in _received(responses)), None)
    if received is None:
        return []
    wanted = _history_events(history, request, request.start_revision, history.revision)
    if not wanted:
        return [
            f"first event {_describe(received)}, but nothing happened from revision {request.start_revision}"
        ]
    if _without_prev_kv(wanted[0]) != _without_prev_kv(received):
        return [f"first event {_describe(received)}, expected {_describe(wanted[0])}"]
    return []


def _history_by_identity(
    request: WatchCreateRequest, responses: Sequence[WatchResponse], history: KVState
) -> dict[tuple[int, bytes, EventType], Event]:
    revisions = [event.revision for _, event in _received(responses)]
    if not revisions:
        return {}
    found = _history_events(history, request, min(revisions), min(max(revisions), history.revision))
    return {event_identity(e): e for e in found}


def is_create(request: WatchCreateRequest, responses: Sequence[WatchResponse], history: KVState) -> list[str]:
    """KV-WATCH-ISCREATE: version 1 exactly on creates, and creates exactly where the history created."""
    problems: list[str] = []
    happened = _history_by_identity(request, responses, history)
    for index, event in _received(responses):
        if event.type != EventType.PUT:
            continue
        if (event.kv.version == 1) != event.is_create():
            problems.append(
                f"response {index}: {_describe(event)} has version {event.kv.version} and create_revision "
                f"{event.kv.create_revision}"
            )
        truth = happened.get(event_identity(event))
        if truth is not None and truth.is_create() != event.is_create():
            created = "created" if truth.is_create() else "did not create"
            problems.append(
                f"response {index}: {_describe(event)} {created} its key, the event says otherwise"
            )
    return problems


def prev_kv(
    request: WatchCreateRequest,
    responses: Sequence[WatchResponse],
    history: KVState,
    compacted_before: int = -1,
) -> list[str]:
    """KV-WATCH-PREVKV. ``compacted_before``: the highest revision compacted at while the watch ran."""
    problems: list[str] = []
    happened = _history_by_identity(request, responses, history) if request.prev_kv else {}
    for index, event in _received(responses):
        if not request.prev_kv:
            if event.prev_kv is not None:
                problems.append(f"response {index}: {_describe(event)} has a prev_kv nobody asked for")
            continue
        truth = happened.get(event_identity(event))
        if truth is None:
            continue  # an event that never happened: RELIABLE reports it
        if event.prev_kv is not None and event.prev_kv != truth.prev_kv:
            problems.append(
                f"response {index}: {_describe(event)} prev_kv {event.prev_kv}, expected {truth.prev_kv}"
            )
        if event.prev_kv is None and truth.prev_kv is not None and event.revision - 1 >= compacted_before:
            problems.append(f"response {index}: {_describe(event)} has no prev_kv, expected {truth.prev_kv}")
    return problems


def filtered(request: WatchCreateRequest, responses: Sequence[WatchResponse]) -> list[str]:
    """KV-WATCH-FILTER."""
    return [
        f"response {index}: {_describe(event)} is outside the watch's range or filters"
        for index, event in _received(responses)
        if not watch_matches(request, event)
    ]


def compacted(
    request: WatchCreateRequest,
    responses: Sequence[WatchResponse],
    compactions: Collection[int],
    compact_revision_at_creation: int = -1,
) -> list[str]:
    """KV-WATCH-COMPACTED.

    ``compactions``: every revision the store was successfully compacted at
    while the watch ran (or before). ``compact_revision_at_creation``: the
    store's compact revision when the watch was created, if known; a watch
    starting below it must be canceled before any event.
    """
    problems: list[str] = []
    needed = max(request.start_revision, 0)
    canceled_at: int | None = None
    for index, response in enumerate(responses):
        if canceled_at is not None:
            problems.append(
                f"response {index} arrived after the watch was canceled by response {canceled_at}"
            )
            break
        if response.compact_revision != 0:
            canceled_at = index
            if not response.canceled:
                problems.append(f"response {index}: compact_revision set but not canceled")
            if response.compact_revision not in compactions:
                problems.append(
                    f"response {index}: compact_revision {response.compact_revision} is not a revision the "
                    f"store was compacted at ({sorted(compactions)})"
                )
            if needed >= response.compact_revision:
                problems.append(
                    f"response {index}: canceled at compact revision {response.compact_revision}, "
                    f"but the watch only needed revisions from {needed} on"
                )
            continue
        if response.events:
            needed = response.events[-1].revision + 1
        elif response.is_progress_notify():
            needed = max(needed, response.header.revision + 1)
    refused = any(r.created and r.canceled and r.cancel_reason for r in responses)
    if 0 < request.start_revision < compact_revision_at_creation and not refused:
        # (A watch refused for another reason, such as an empty range, needs no revision at all:
        # spec.kv.watch checks the range before the compact revision, as watchable_store.go does.)
        if canceled_at is None:
            problems.append(
                f"started at {request.start_revision}, below the compact revision "
                f"{compact_revision_at_creation}, and never canceled"
            )
        elif any(r.events for r in responses[:canceled_at]):
            problems.append(f"started at {request.start_revision}, compacted, yet delivered events")
    return problems


def problems(
    request: WatchCreateRequest,
    responses: Sequence[WatchResponse],
    history: KVState,
    compactions: Collection[int] = (),
    compact_revision_at_creation: int = -1,
) -> dict[Requirement, list[str]]:
    """Every watch requirement that one watch violates, with its problems."""
    compacted_before = max(compactions, default=-1)
    found = {
        KV_WATCH_ORDERED: ordered(responses),
        KV_WATCH_UNIQUE: unique(responses),
        KV_WATCH_ATOMIC: atomic(responses),
        KV_WATCH_BOOKMARKABLE: bookmarkable(responses),
        KV_WATCH_RELIABLE: reliable(request, responses, history),
        KV_WATCH_RESUMABLE: resumable(request, responses, history),
        KV_WATCH_ISCREATE: is_create(request, responses, history),
        KV_WATCH_PREVKV: prev_kv(request, responses, history, compacted_before),
        KV_WATCH_FILTER: filtered(request, responses),
        KV_WATCH_COMPACTED: compacted(request, responses, compactions, compact_revision_at_creation),
    }
    return {req: found_problems for req, found_problems in found.items() if found_problems}
