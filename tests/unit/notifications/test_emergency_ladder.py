"""The emergency ladder's rule: who each step calls, when the next is due, each step once, the first
acknowledgment kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from notifications.emergency_ladder import (
    STEPS,
    acknowledged,
    callees,
    climbed,
    due_step,
    is_critical_alarm,
    start,
    stopped,
)

from courtyard.directory import StaffView, StaffZoneView
from courtyard.on_duty import OnDutyView

T0 = datetime(2026, 10, 2, 19, 0, tzinfo=UTC)


def member(staff_id: str, *roles: str, active: bool = True) -> StaffView:
    return StaffView(
        staff_id, None, staff_id, frozenset(roles), frozenset(), (StaffZoneView("S"),), False, active
    )


GUARD, TECH, DESK = member("guard", "guard"), member("tech", "technician"), member("desk", "service_desk")
DUTY_MANAGER, BOSS = member("duty-mgr", "manager"), member("boss", "manager")
ON_DUTY = [OnDutyView(m, "roster", "night") for m in (GUARD, TECH, DESK, DUTY_MANAGER)]
EVERYONE = [GUARD, TECH, DESK, DUTY_MANAGER, BOSS, member("old-mgr", "manager", active=False)]


def test_each_step_calls_its_people_and_never_anyone_twice():
    ladder = start("T", "ticket", "K", "S", "sos", T0)
    called = []
    for step in range(len(STEPS)):
        who = callees(step, ladder, ON_DUTY, EVERYONE)
        called.append(who)
        ladder = climbed(ladder, step, who, T0, 2)
    assert called == [["guard", "tech"], ["desk"], ["duty-mgr"], ["boss"]]


def test_the_next_step_is_due_one_step_time_after_the_last_and_the_ladder_ends_after_the_fourth():
    ladder = start("T", "ticket", "K", "S", "sos", T0)
    assert due_step(ladder, T0) == 0
    ladder = climbed(ladder, 0, ["guard"], T0, 2)
    assert due_step(ladder, T0 + timedelta(minutes=1, seconds=59)) is None
    assert due_step(ladder, T0 + timedelta(minutes=2)) == 1
    for step in (1, 2, 3):
        ladder = climbed(ladder, step, [], T0 + timedelta(minutes=2 * step), 2)
    assert ladder.status == "done"
    assert due_step(ladder, T0 + timedelta(hours=1)) is None


def test_the_first_acknowledgment_stops_the_ladder_and_is_kept():
    ladder = climbed(start("T", "alarm", "A", "S", "critical_alarm", T0), 0, ["guard"], T0, 2)
    first = acknowledged(ladder, "guard-user", T0 + timedelta(minutes=1))
    later = acknowledged(first, "boss-user", T0 + timedelta(minutes=3))
    assert first.status == "acknowledged"
    assert due_step(first, T0 + timedelta(hours=1)) is None
    assert (later.acknowledged_by, later.acknowledged_at) == ("guard-user", T0 + timedelta(minutes=1))


def test_a_cleared_ladder_climbs_no_more_but_an_acknowledged_one_stays_acknowledged():
    ladder = start("T", "alarm", "A", "S", "critical_alarm", T0)
    assert due_step(stopped(ladder), T0) is None
    assert stopped(acknowledged(ladder, "u", T0)).status == "acknowledged"


@pytest.mark.parametrize(
    ("severity", "kind", "care", "critical"),
    [
        ("critical", "threshold", False, True),
        ("major", "fire", False, True),
        ("major", "gas", False, True),
        ("major", "elevator_entrapment", False, True),
        ("major", "threshold", False, False),
        ("warning", "offline", False, False),
        ("minor", "leak", True, True),  # a care-list resident's unit: always critical
    ],
)
def test_which_alarms_climb_the_ladder(severity, kind, care, critical):
    assert is_critical_alarm(severity, kind, care_unit=care) is critical
