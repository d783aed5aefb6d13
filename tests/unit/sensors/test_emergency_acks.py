"""A keypress of 1 on the emergency ladder's call (``EmergencyAcknowledged``) acknowledges the alarm as the
staff member who pressed it, through the alarm book's own rule (active only), against in-memory fakes
(``sensors.services.emergency_acks``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sensors.domain import AlarmStatus
from sensors.engine import OK_STATE, Signal, Step
from sensors.services.alarm_book import AlarmBook
from sensors.services.emergency_acks import EmergencyAlarmAcks, Outcome

from courtyard.clock import FixedClock
from courtyard.directory import StaffView
from courtyard.errors import Conflict
from schemas.events import EmergencyAcknowledged
from tests.fakes.kernel import InMemoryDirectory, RecordedAudit, RecordedEvents, RecordingOutbox
from tests.fakes.sensors import InMemoryAlarms
from tests.unit.sensors.test_alarm_book import LIFT, VIBRATION

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def _staff(staff_id: str, roles: set[str], *, active: bool = True, login: bool = True) -> StaffView:
    return StaffView(
        staff_id=staff_id, user_id=f"u-{staff_id}" if login else None, name=staff_id, roles=frozenset(roles),
        skills=frozenset(), zones=(), on_duty=True, active=active,
    )  # fmt: skip


class World:
    def __init__(self) -> None:
        self.store, self.events, self.audit = InMemoryAlarms(), RecordedEvents(), RecordedAudit()
        self.outbox = RecordingOutbox()  # the acknowledgment's event goes through it
        self.book = AlarmBook(self.store, self.events, FixedClock(NOW), self.outbox)
        self.directory = InMemoryDirectory(
            staff={
                "t1": [
                    _staff("guard", {"guard"}),
                    _staff("gone", {"guard"}, active=False),
                    _staff("cashier", {"finance"}),
                    _staff("nologin", {"technician"}, login=False),
                ]
            }
        )
        self.acks = EmergencyAlarmAcks(self.book, self.directory, self.audit)
        self.book.apply(LIFT, VIBRATION, Step(state=OK_STATE, signal=Signal.RAISE, value=9.0))
        (alarm,) = self.store.alarms.values()
        self.alarm_id = alarm.alarm_id

    def ack(self, staff_id: str, *, tenant: str = "t1", subject: str = "alarm") -> Outcome:
        alarm_id = self.alarm_id
        return self.acks.handle(
            EmergencyAcknowledged.model_validate(
                {"tenant_id": tenant, "subject": subject, "subject_id": alarm_id, "channel": "voice",
                 "ladder_key": f"{subject}:{alarm_id}", "person_id": staff_id, "user_id": f"u-{staff_id}"}
            )
        )  # fmt: skip

    def status(self) -> AlarmStatus:
        return self.book.get("t1", self.alarm_id).status


def test_the_guards_keypress_acknowledges_the_active_alarm_as_the_app_would() -> None:
    world = World()

    assert world.ack("guard") is Outcome.ACKNOWLEDGED

    alarm = world.book.get("t1", world.alarm_id)
    assert (alarm.status, alarm.acknowledged_by) == (AlarmStatus.ACKNOWLEDGED, "u-guard")
    assert world.events.names() == ["AlarmRaised"]
    assert world.outbox.sent_types() == ["AlarmAcknowledged"]
    assert world.audit.records == [("alarm.acknowledge", "alarm", world.alarm_id)]


def test_a_redelivery_or_an_alarm_no_longer_active_changes_nothing() -> None:
    world = World()
    world.ack("guard")

    assert world.ack("guard") is Outcome.ALREADY
    world.book.clear_by_hand("t1", world.alarm_id, "u-desk")
    assert world.ack("nologin") is Outcome.ALREADY

    assert world.book.get("t1", world.alarm_id).acknowledged_by == "u-guard"
    assert world.events.names() == ["AlarmRaised", "AlarmCleared"]
    assert world.outbox.sent_types() == ["AlarmAcknowledged"]
    assert len(world.audit.records) == 1


def test_a_member_without_a_login_acknowledges_under_their_staff_id() -> None:
    world = World()

    assert world.ack("nologin") is Outcome.ACKNOWLEDGED
    assert world.book.get("t1", world.alarm_id).acknowledged_by == "staff:nologin"


@pytest.mark.parametrize("who", ["gone", "cashier", "stranger"])
def test_a_deactivated_unknown_or_non_watching_member_changes_nothing(who: str) -> None:
    world = World()

    assert world.ack(who) is Outcome.UNKNOWN_STAFF
    assert world.status() is AlarmStatus.ACTIVE
    assert (world.events.names(), world.audit.records) == (["AlarmRaised"], [])


def test_another_firms_ids_or_a_tickets_acknowledgment_change_nothing() -> None:
    world = World()
    world.directory.staff["t2"] = [_staff("guard", {"guard"})]  # t2 has a "guard" too

    assert world.ack("guard", tenant="t2") is Outcome.NO_ALARM
    assert world.ack("guard", subject="ticket") is Outcome.IGNORED
    assert world.status() is AlarmStatus.ACTIVE
    assert world.events.names() == ["AlarmRaised"]


def test_a_lost_race_with_a_retrigger_fails_the_message_for_its_redelivery() -> None:
    world = World()
    real_update = world.store.update_alarm
    raced: list[bool] = []

    def update_once_stale(alarm: object, expected_version: int, also: Any = ()) -> None:
        if not raced:
            raced.append(True)
            raise Conflict("the alarm changed")
        real_update(alarm, expected_version, also)  # type: ignore[arg-type]

    world.store.update_alarm = update_once_stale  # type: ignore[method-assign]
    with pytest.raises(Conflict):
        world.ack("guard")
    assert world.status() is AlarmStatus.ACTIVE

    assert world.ack("guard") is Outcome.ACKNOWLEDGED  # the redelivery
