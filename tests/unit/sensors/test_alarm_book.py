"""The alarm book against the in-memory alarm store: one open alarm per (device, rule), re-triggers counted
and republished at most every ``REPEAT_PUBLISH_S``, staff actions only from the statuses that allow them,
and an unpublished raise sent again with its own event id
(``sensors.services.alarm_book`` and ``sensors.lifecycle``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sensors.domain import AlarmStatus, Device, DeviceKind, DeviceStatus
from sensors.engine import OK_STATE, Signal, Step, compile_rule
from sensors.lifecycle import REPEAT_PUBLISH_S
from sensors.rules import RuleSpec
from sensors.services.alarm_book import AlarmBook

from courtyard.clock import FixedClock
from courtyard.errors import Conflict, NotFound
from tests.fakes.kernel import RecordedEvents, RecordingOutbox
from tests.fakes.sensors import InMemoryAlarms

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
LIFT = Device(
    tenant_id="t1",
    device_id="lift-1",
    site_id="s1",
    kind=DeviceKind.ELEVATOR,
    name="1号楼电梯",
    status=DeviceStatus.ACTIVE,
    created_at="2026-03-01T00:00:00Z",
    updated_at="2026-03-01T00:00:00Z",
)
VIBRATION = compile_rule(
    "r-vibration",
    RuleSpec.model_validate(
        {
            "name": "vibration",
            "scope": {"device_kind": "elevator"},
            "condition": {"type": "threshold", "metric": "vibration_mm_s", "op": ">", "value": 4.5},
            "actions": {"work_order": {"category": "elevator"}},
        }
    ),
)


def _book() -> tuple[AlarmBook, InMemoryAlarms, RecordedEvents, FixedClock]:
    store, events, clock = InMemoryAlarms(), RecordedEvents(), FixedClock(NOW)
    return AlarmBook(store, events, clock, RecordingOutbox()), store, events, clock


def _raise(book: AlarmBook, value: float = 6.0) -> None:
    book.apply(LIFT, VIBRATION, Step(state=OK_STATE, signal=Signal.RAISE, value=value))


def test_a_raise_opens_one_alarm_and_publishes_alarm_raised_once() -> None:
    book, store, events, _ = _book()

    _raise(book)

    (alarm,) = store.alarms.values()
    assert alarm.status is AlarmStatus.ACTIVE
    assert alarm.count == 1
    assert events.names() == ["AlarmRaised"]
    assert store.current_alarm("t1", "lift-1", "r-vibration") == alarm
    assert alarm.published_at is not None


def test_a_second_raise_of_the_same_device_and_rule_is_a_retrigger_not_a_second_alarm() -> None:
    book, store, events, clock = _book()
    _raise(book)
    clock.advance(30)

    _raise(book, value=7.0)

    (alarm,) = store.alarms.values()
    assert alarm.count == 2
    assert alarm.value == 7.0
    assert events.names() == ["AlarmRaised"]  # a repeat within REPEAT_PUBLISH_S is counted, not published


def test_a_retrigger_after_the_repeat_interval_publishes_a_repeat() -> None:
    book, _, events, clock = _book()
    _raise(book)
    clock.advance(REPEAT_PUBLISH_S)

    _raise(book)

    assert events.names() == ["AlarmRaised", "AlarmRaised"]
    assert events.published[1][1].model_dump()["repeat"] is True


def test_a_stored_but_unpublished_raise_is_published_again_with_its_own_event_id() -> None:
    book, store, events, _ = _book()
    _raise(book)
    (alarm,) = store.alarms.values()
    store.alarms[("t1", alarm.alarm_id)] = replace(alarm, published_at=None)
    events.published.clear()

    _raise(book)  # the same message retried

    first = events.published[0][1].model_dump()
    assert events.names()[0] == "AlarmRaised"
    assert first["event_id"] == alarm.raise_event_id
    assert first["repeat"] is False


def test_clearing_closes_the_alarm_and_the_next_raise_opens_a_new_one() -> None:
    book, store, events, _ = _book()
    _raise(book)
    (first,) = store.alarms.values()

    book.apply(LIFT, VIBRATION, Step(state=OK_STATE, signal=Signal.CLEAR))
    _raise(book)

    assert store.alarms[("t1", first.alarm_id)].status is AlarmStatus.CLEARED
    assert len(store.alarms) == 2
    assert events.names() == ["AlarmRaised", "AlarmCleared", "AlarmRaised"]


def test_only_an_active_alarm_can_be_acknowledged_and_a_cleared_one_not_cleared_again() -> None:
    book, store, _, _ = _book()
    _raise(book)
    (alarm,) = store.alarms.values()

    acknowledged = book.acknowledge("t1", alarm.alarm_id, "tech-1")
    assert acknowledged.status is AlarmStatus.ACKNOWLEDGED
    with pytest.raises(Conflict):
        book.acknowledge("t1", alarm.alarm_id, "tech-1")
    book.clear_by_hand("t1", alarm.alarm_id, "tech-1")
    with pytest.raises(Conflict):
        book.clear_by_hand("t1", alarm.alarm_id, "tech-1")


def test_another_tenants_alarm_is_not_found() -> None:
    book, store, _, _ = _book()
    _raise(book)
    (alarm,) = store.alarms.values()

    with pytest.raises(NotFound):
        book.acknowledge("t2", alarm.alarm_id, "tech-1")


def test_a_system_clear_of_an_alarm_cleared_by_hand_changes_nothing() -> None:
    book, store, events, _ = _book()
    _raise(book)
    (alarm,) = store.alarms.values()
    book.clear_by_hand("t1", alarm.alarm_id, "tech-1")

    assert book.clear_by_system(LIFT, "r-vibration") is None
    assert events.names() == ["AlarmRaised", "AlarmCleared"]


def test_an_acknowledgment_commits_its_event_in_the_outbox_with_the_alarm_then_sends_it() -> None:
    store, events, outbox = InMemoryAlarms(), RecordedEvents(), RecordingOutbox()
    book = AlarmBook(store, events, FixedClock(NOW), outbox)
    _raise(book)
    (alarm,) = store.alarms.values()

    book.acknowledge("t1", alarm.alarm_id, "tech-1")

    # The pending item was one of the alarm write's own actions (one transaction), then flushed once.
    assert store.written == [{"Put": {"outbox": {"pk": f"T#t1#ALARM#{alarm.alarm_id}", "sk": "OUTBOX#ack"}}}]
    assert outbox.sent_types() == ["AlarmAcknowledged"]
    assert outbox.stored == {}
    assert events.names() == ["AlarmRaised"]  # not published beside the outbox
