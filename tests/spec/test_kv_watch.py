"""spec/kv_watch.py: each watch guarantee on deliveries it must accept and deliveries it must reject.

Known-good deliveries come from the model itself (spec.kv.watch), cut into
responses at revision boundaries, with progress notifications where they are
true. Known-bad ones are the failures etcd's robustness tests name
(tests/robustness/validate/watch.go) and the bugs their README lists: a
dropped event, an event delivered twice, a revision split over responses, a
watch going back in time, a progress notification before an event it
covers, a wrong prev_kv.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from spec import kv_watch
from spec.kv import (
    WATCH_RANGE_EMPTY,
    DeleteRangeRequest,
    Event,
    EventType,
    KeyValue,
    KVState,
    KVStore,
    PutRequest,
    ResponseHeader,
    WatchCreateRequest,
    WatchFilter,
    WatchResponse,
    step,
    watch,
)
from tests.spec.kv_strategies import watch_requests, writes


def history() -> KVState:
    """Revisions 2..7 on keys a, b, c: creates, an update, a two-key txn, a delete."""
    store = KVStore()
    store.put(b"a", b"1")  # 2
    store.put(b"b", b"1")  # 3
    store.put(b"a", b"2")  # 4
    store.txn(success=[PutRequest(b"b", b"2"), PutRequest(b"c", b"1")])  # 5: two events
    store.delete(b"a")  # 6
    store.put(b"a", b"3")  # 7: re-created
    return store.state


HISTORY = history()
ALL = WatchCreateRequest(b"\0", b"\0", start_revision=2, prev_kv=True)
EVENTS = watch(HISTORY, ALL).events


def respond(*groups: tuple[Event, ...], revision: int = 7) -> tuple[WatchResponse, ...]:
    return tuple(WatchResponse(ResponseHeader(revision), events=group) for group in groups)


def notify(revision: int) -> WatchResponse:
    return WatchResponse(ResponseHeader(revision))


def by_revision(events: tuple[Event, ...]) -> tuple[tuple[Event, ...], ...]:
    groups: list[list[Event]] = []
    for event in events:
        if groups and groups[-1][0].revision == event.revision:
            groups[-1].append(event)
        else:
            groups.append([event])
    return tuple(tuple(g) for g in groups)


GOOD = respond(*by_revision(EVENTS))


def violated(
    request: WatchCreateRequest,
    responses: tuple[WatchResponse, ...],
    compactions: tuple[int, ...] = (),
    compact_revision_at_creation: int = -1,
) -> set[str]:
    found = kv_watch.problems(request, responses, HISTORY, compactions, compact_revision_at_creation)
    return {requirement.id for requirement in found}


# -- known good --------------------------------------------------------------------------------------------


def test_the_model_delivery_satisfies_every_guarantee() -> None:
    assert len(EVENTS) == 7 and len(GOOD) == 6
    assert violated(ALL, GOOD) == set()
    assert violated(ALL, (*GOOD[:3], notify(4), *GOOD[3:], notify(7))) == set()
    assert violated(ALL, respond(EVENTS)) == set()  # every revision in one response is fine too


def test_a_watch_from_now_and_a_filtered_watch() -> None:
    from_now = WatchCreateRequest(b"a")
    assert (
        violated(
            from_now,
            (notify(3), *respond(*by_revision(watch(HISTORY, replace(from_now, start_revision=4)).events))),
        )
        == set()
    )
    no_delete = WatchCreateRequest(b"a", start_revision=2, filters=(WatchFilter.NODELETE,))
    assert violated(no_delete, respond(*by_revision(watch(HISTORY, no_delete).events))) == set()


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[KVState, WatchCreateRequest, tuple[WatchResponse, ...]]:
    """A history, a watch on it, and what a correct etcd may deliver: whole revisions per response,
    a progress notification now and then, at the revision delivered so far."""
    state = KVState()
    for write in draw(st.lists(writes, min_size=5, max_size=25)):
        state = step(state, write)[0]
    request = draw(watch_requests())
    if draw(st.booleans()):  # half the watches see every key
        request = replace(request, key=b"\0", range_end=b"\0")
    request = replace(request, start_revision=draw(st.integers(1, max(1, state.revision // 2))))
    groups = by_revision(watch(state, request).events)
    responses: list[WatchResponse] = []
    index = 0
    while index < len(groups):
        size = draw(st.integers(1, 3))
        chunk = tuple(e for group in groups[index : index + size] for e in group)
        responses.append(WatchResponse(ResponseHeader(state.revision), events=chunk))
        index += size
        if draw(st.booleans()):
            responses.append(notify(chunk[-1].revision))
    return state, request, tuple(responses)


@given(deliveries())
def test_every_correct_delivery_is_accepted(
    case: tuple[KVState, WatchCreateRequest, tuple[WatchResponse, ...]],
) -> None:
    state, request, responses = case
    assert kv_watch.problems(request, responses, state) == {}


@given(deliveries(), st.data())
def test_a_dropped_event_is_caught_unless_nothing_later_shows_it(
    case: tuple[KVState, WatchCreateRequest, tuple[WatchResponse, ...]], data: st.DataObject
) -> None:
    """KV-WATCH-RELIABLE / RESUMABLE: a gap is visible when a later event or notification covers it."""
    state, request, responses = case
    received = [(i, j) for i, r in enumerate(responses) for j in range(len(r.events))]
    if not received:
        return
    i, j = data.draw(st.sampled_from(received))
    dropped = responses[i].events[j]
    shorter = list(responses)
    shorter[i] = replace(responses[i], events=responses[i].events[:j] + responses[i].events[j + 1 :])
    covered = kv_watch.last_revision(tuple(shorter)) >= dropped.revision
    found = kv_watch.problems(request, tuple(shorter), state)
    assert bool({kv_watch.KV_WATCH_RELIABLE, kv_watch.KV_WATCH_RESUMABLE} & set(found)) == covered


@given(deliveries(), st.data())
def test_an_event_delivered_twice_breaks_unique(
    case: tuple[KVState, WatchCreateRequest, tuple[WatchResponse, ...]], data: st.DataObject
) -> None:
    state, request, responses = case
    events = [e for r in responses for e in r.events]
    if not events:
        return
    again = data.draw(st.sampled_from(events))
    found = kv_watch.problems(
        request, (*responses, WatchResponse(ResponseHeader(state.revision), events=(again,))), state
    )
    assert kv_watch.KV_WATCH_UNIQUE in found


# -- known bad, one guarantee at a time --------------------------------------------------------------------


def test_ordered_rejects_going_back_in_revision() -> None:
    swapped = respond(
        *by_revision(EVENTS)[:2], by_revision(EVENTS)[3], by_revision(EVENTS)[2], *by_revision(EVENTS)[4:]
    )
    assert kv_watch.ordered(swapped)
    assert "KV-WATCH-ORDERED" in violated(ALL, swapped)
    assert kv_watch.ordered(GOOD) == []


def test_unique_rejects_an_event_twice() -> None:
    assert kv_watch.unique((*GOOD, respond(EVENTS[-1:])[0]))
    assert kv_watch.unique(GOOD) == []


def test_unique_tells_a_delete_and_a_put_of_one_key_at_one_revision_apart() -> None:
    store = KVStore()
    store.put(b"a", b"1")
    store.txn(success=[DeleteRangeRequest(b"a", b"\0"), PutRequest(b"a", b"2")])
    events = watch(store.state, WatchCreateRequest(b"a", start_revision=3)).events
    assert [e.type for e in events] == [EventType.DELETE, EventType.PUT]
    assert kv_watch.unique(respond(events)) == []


def test_atomic_rejects_a_revision_split_over_two_responses() -> None:
    five = [e for e in EVENTS if e.revision == 5]
    split = respond(*by_revision(EVENTS)[:3], (five[0],), (five[1],), *by_revision(EVENTS)[4:])
    assert kv_watch.atomic(split)
    assert violated(ALL, split) == {"KV-WATCH-ATOMIC"}


def test_bookmarkable_rejects_an_event_a_notification_already_covered() -> None:
    early = (*GOOD[:2], notify(5), *GOOD[2:])  # the notification claims revision 4 and 5 were delivered
    assert "KV-WATCH-BOOKMARKABLE" in violated(ALL, early)
    back = (*GOOD, notify(7), notify(6))
    assert kv_watch.bookmarkable(back)
    assert kv_watch.bookmarkable((*GOOD, notify(6)))  # below the last event


def test_reliable_rejects_a_gap_and_an_event_that_never_happened() -> None:
    gap = (*GOOD[:2], *GOOD[3:])
    assert violated(ALL, gap) == {"KV-WATCH-RELIABLE"}
    ghost = Event(EventType.PUT, KeyValue(b"z", 8, 8, 1, b"?"))
    assert "KV-WATCH-RELIABLE" in violated(ALL, (*GOOD, respond((ghost,), revision=8)[0]))
    wrong_value = replace(EVENTS[0], kv=replace(EVENTS[0].kv, value=b"other"))
    assert violated(ALL, ((respond((wrong_value,))[0]), *GOOD[1:])) == {
        "KV-WATCH-RELIABLE",
        "KV-WATCH-RESUMABLE",
    }


def test_reliable_rejects_a_gap_before_a_progress_notification() -> None:
    assert violated(ALL, (*GOOD[:-1], notify(7))) == {"KV-WATCH-RELIABLE"}
    assert violated(ALL, (*GOOD, notify(8))) == {"KV-WATCH-RELIABLE"}  # a revision that never happened


def test_resumable_rejects_a_watch_that_starts_late() -> None:
    late = GOOD[1:]
    assert kv_watch.resumable(ALL, late, HISTORY)
    assert kv_watch.resumable(replace(ALL, start_revision=3), late, HISTORY) == []


def test_is_create_rejects_wrong_create_flags() -> None:
    first = EVENTS[0]  # the put that created a
    not_create = replace(first, kv=replace(first.kv, create_revision=1))
    assert kv_watch.is_create(ALL, (respond((not_create,))[0], *GOOD[1:]), HISTORY)
    update = EVENTS[2]  # a = 2 at revision 4
    claims_create = replace(update, kv=replace(update.kv, create_revision=4, version=1), prev_kv=None)
    assert kv_watch.is_create(ALL, (*GOOD[:2], respond((claims_create,))[0], *GOOD[3:]), HISTORY)
    inconsistent = replace(update, kv=replace(update.kv, version=1))
    assert kv_watch.is_create(ALL, (*GOOD[:2], respond((inconsistent,))[0], *GOOD[3:]), HISTORY)


def test_prev_kv_rejects_a_wrong_or_missing_previous_pair() -> None:
    update = EVENTS[2]
    assert update.prev_kv == KeyValue(b"a", 2, 2, 1, b"1")
    wrong = replace(update, prev_kv=replace(update.prev_kv, value=b"nope"))
    assert violated(ALL, (*GOOD[:2], respond((wrong,))[0], *GOOD[3:])) == {"KV-WATCH-PREVKV"}
    missing = replace(update, prev_kv=None)
    with_missing = (*GOOD[:2], respond((missing,))[0], *GOOD[3:])
    assert violated(ALL, with_missing) == {"KV-WATCH-PREVKV"}
    assert kv_watch.prev_kv(ALL, with_missing, HISTORY, compacted_before=4) == []  # revision 3 was compacted
    unasked = replace(ALL, prev_kv=False)
    assert violated(unasked, GOOD) == {"KV-WATCH-PREVKV"}
    assert violated(unasked, respond(*by_revision(watch(HISTORY, unasked).events))) == set()


def test_filter_rejects_events_outside_the_watch() -> None:
    only_a = WatchCreateRequest(b"a", start_revision=2, prev_kv=True)
    assert kv_watch.filtered(only_a, GOOD)
    no_put = replace(ALL, filters=(WatchFilter.NOPUT,))
    assert kv_watch.filtered(no_put, GOOD)
    assert kv_watch.filtered(ALL, GOOD) == []


def test_compacted_accepts_a_justified_cancel() -> None:
    store = KVStore(HISTORY)
    store.compact(5)
    request = WatchCreateRequest(b"\0", b"\0", start_revision=3)
    canceled = watch(store.state, request)
    assert (canceled.canceled, canceled.compact_revision) == (True, 5)
    assert kv_watch.compacted(request, (canceled,), compactions=(5,), compact_revision_at_creation=5) == []
    # a watch that got revisions 3 and 4 and then fell behind a compaction at 6
    late = WatchResponse(ResponseHeader(7), canceled=True, compact_revision=6)
    assert kv_watch.compacted(request, (*GOOD[1:3], late), compactions=(6,)) == []


def test_a_watch_refused_for_its_empty_range_needs_no_compaction_cancel() -> None:
    """etcd checks the range (watcher.go ErrEmptyWatcherRange) before the compact revision."""
    store = KVStore(HISTORY)
    store.compact(5)
    request = WatchCreateRequest(b"b", b"a", start_revision=3)
    refused = watch(store.state, request)
    assert refused.canceled and refused.cancel_reason == WATCH_RANGE_EMPTY
    assert kv_watch.compacted(request, (refused,), compactions=(5,), compact_revision_at_creation=5) == []
    # Without that reason the same response does not excuse the missing compaction cancel.
    silent = replace(refused, canceled=False, cancel_reason="")
    assert kv_watch.compacted(request, (silent,), compactions=(5,), compact_revision_at_creation=5)


def test_compacted_rejects_unjustified_or_incomplete_cancels() -> None:
    request = WatchCreateRequest(b"\0", b"\0", start_revision=3)
    cancel = WatchResponse(ResponseHeader(7), canceled=True, compact_revision=5)
    assert kv_watch.compacted(request, (cancel,), compactions=(4,))  # never compacted at 5
    assert kv_watch.compacted(request, (*GOOD[1:4], cancel), compactions=(5,))  # had everything below 5
    assert kv_watch.compacted(request, (cancel, GOOD[1]), compactions=(5,))  # something after the cancel
    not_canceled = replace(cancel, canceled=False)
    assert kv_watch.compacted(request, (not_canceled,), compactions=(5,))
    assert kv_watch.compacted(request, GOOD[1:], compactions=(5,), compact_revision_at_creation=5)
    assert kv_watch.compacted(request, (*GOOD[1:2], cancel), compactions=(5,), compact_revision_at_creation=5)


def test_a_history_compacted_past_the_watch_cannot_judge_it() -> None:
    compacted = KVStore(HISTORY)
    compacted.compact(6)
    try:
        kv_watch.reliable(ALL, GOOD, compacted.state)
    except ValueError as error:
        assert "never compacted" in str(error)
    else:
        raise AssertionError("expected ValueError")
