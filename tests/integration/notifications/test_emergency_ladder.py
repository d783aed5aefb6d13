"""Issue 19's emergency ladder on moto, through the bus, the event and priority queues and the jobs function:
an SOS at 03:00 on a holiday reaches the rostered night guard and technician within one job run (push and
SMS), the ladder climbs one step every 2 minutes to the managers, each step once, the first acceptance stops
it, duplicate events climb nothing twice, and the SOS resident's household is told."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from courtyard.clock import FixedClock
from courtyard.directory import Keys
from courtyard.tenancy import Role
from infra.local.provision import Stack
from schemas import events as contracts
from tests.factories import lambda_context
from tests.integration.notifications.conftest import Community, People, Pump, outbox
from tests.integration.notifications.test_delivery import register_device
from tests.integration.notifications.test_events import publish

# 03:00 in Shanghai on 3 October 2026, a National Day holiday (19:00 UTC the day before).
HOLIDAY_3AM = datetime(2026, 10, 2, 19, 0, tzinfo=UTC)
PHONES = {
    "night_guard": "13900000101",
    "night_tech": "13900000102",
    "day_guard": "13900000103",
    "desk": "13900000104",
    "duty_manager": "13900000105",
    "other_manager": "13900000106",
}


# What moto captured before the test (its outbox lives as long as the session's moto).
_BEFORE: set[str] = set()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(HOLIDAY_3AM)


@pytest.fixture(autouse=True)
def _earlier_messages(env: dict[str, str]) -> None:
    box = outbox()
    _BEFORE.clear()
    _BEFORE.update(m.message_id for m in box.sms)
    _BEFORE.update(p.message_id for p in box.pushes)


def _put(stack: Stack, item: dict[str, Any]) -> None:
    boto3.resource("dynamodb").Table(stack.ref("DirectoryTable")).put_item(Item=item)


@pytest.fixture
def world(seed: Callable[..., Community], people: People, stack: Stack, call: Any) -> Community:
    community = seed()
    people.resident(community, "elder", "a101", phone="13900000011")
    people.resident(community, "daughter", "a101", phone="13900000012")
    people.resident(community, "neighbour", "a102", phone="13900000013")
    for name, role in (
        ("night_guard", Role.GUARD),
        ("night_tech", Role.TECHNICIAN),
        ("day_guard", Role.GUARD),
        ("desk", Role.SERVICE_DESK),
        ("duty_manager", Role.MANAGER),
        ("other_manager", Role.MANAGER),
    ):
        who = people.staff(community, name, role, phone=PHONES[name], on_duty=False)
        assert register_device(call, who, token=f"token-{name}").status == 201
    t, ids = community.tenant_id, community.staff_ids
    _put(
        stack,
        {
            **Keys.duty_calendar(t),
            "holidays": [f"2026-10-0{d}" for d in range(1, 8)],
            "workdays": ["2026-10-10"],
            "ladder_step_minutes": 2,
        },
    )
    lines = [
        {"staff_id": ids["night_guard"], "shift": "night", "days": "every"},
        {"staff_id": ids["night_tech"], "shift": "night", "days": "holiday"},
        {"staff_id": ids["day_guard"], "shift": "day", "days": "every"},
        {"staff_id": ids["desk"], "shift": "night", "days": "every"},
        {"staff_id": ids["duty_manager"], "shift": "night", "days": "holiday"},
    ]
    _put(stack, {**Keys.duty_roster(t, community.site_id), "lines": lines})
    return community


def sos(world: Community, ticket_id: str, event_id: str | None = None) -> contracts.TicketCreated:
    return contracts.TicketCreated(
        tenant_id=world.tenant_id,
        event_id=event_id or uuid.uuid4().hex,
        occurred_at=HOLIDAY_3AM,
        ticket_id=ticket_id,
        site_id=world.site_id,
        unit_id=world.units["a101"],
        kind="sos",
        category="other",
        priority="emergency",
        respond_by="2026-10-02T19:05:00.000Z",
        resolve_by="2026-10-02T21:00:00.000Z",
        assisted=False,
        reporter_user_id=world.people["elder"].user_id,
    )


def accepted(world: Community, ticket_id: str, by: str) -> contracts.TicketStatusChanged:
    return contracts.TicketStatusChanged(
        tenant_id=world.tenant_id,
        event_id=uuid.uuid4().hex,
        occurred_at=HOLIDAY_3AM,
        ticket_id=ticket_id,
        site_id=world.site_id,
        action="accept",
        from_status="assigned",
        to_status="accepted",
        by=by,
    )


def run_job(pump: Pump) -> dict[str, int]:
    from notifications import jobs_handler

    result: dict[str, int] = jobs_handler.lambda_handler({"time": "now"}, lambda_context())
    pump()
    return result


def texted(world: Community) -> dict[str, int]:
    """How many SMS each staff member and resident got (by their phone number) since the test began."""
    box = outbox()
    names = {f"+86{phone}": name for name, phone in PHONES.items()}
    names |= {"+8613900000011": "elder", "+8613900000012": "daughter", "+8613900000013": "neighbour"}
    counts: dict[str, int] = {}
    for sms in box.sms:
        if sms.message_id in _BEFORE:
            continue
        name = names.get(sms.phone_number, sms.phone_number)
        counts[name] = counts.get(name, 0) + 1
    return counts


def pushed(world: Community) -> dict[str, int]:
    counts: dict[str, int] = {}
    for push in outbox().pushes:
        if push.title.startswith("紧急") and push.message_id not in _BEFORE:
            counts[push.endpoint_arn] = counts.get(push.endpoint_arn, 0) + 1
    return counts


def test_an_sos_at_three_on_a_holiday_climbs_the_ladder_until_the_first_acceptance(
    stack: Stack, pump: Pump, world: Community, clock: FixedClock
) -> None:
    publish(stack, sos(world, "TICKET-SOS-1"))
    pump()

    # The first step, at once: the rostered night guard and holiday-night technician, by SMS and push;
    # the elder's daughter (household) is told; the day guard and the neighbour are not.
    assert texted(world) == {"night_guard": 1, "night_tech": 1, "daughter": 1}
    assert list(pushed(world).values()) == [1, 1]  # the guard's and the technician's phones
    sms_text = next(s.message for s in outbox().sms if s.phone_number == "+8613900000101")
    assert "紧急" in sms_text
    assert "03:00" in sms_text

    # Nobody acknowledged: one step time later the other on-duty staff (the desk) ...
    clock.advance(minutes=1)
    run_job(pump)
    assert "desk" not in texted(world)
    clock.advance(minutes=1)
    run_job(pump)
    assert texted(world)["desk"] == 1
    # ... a run in the same minute climbs nothing more ...
    run_job(pump)
    assert texted(world) == {"night_guard": 1, "night_tech": 1, "daughter": 1, "desk": 1}
    # ... then the manager on duty, then every manager.
    clock.advance(minutes=2)
    run_job(pump)
    assert texted(world)["duty_manager"] == 1
    assert "other_manager" not in texted(world)
    clock.advance(minutes=2)
    run_job(pump)
    assert texted(world)["other_manager"] == 1
    # Every step once: nobody was called twice, and the ladder has nothing more to climb.
    clock.advance(minutes=10)
    run_job(pump)
    assert texted(world) == {
        "night_guard": 1,
        "night_tech": 1,
        "daughter": 1,
        "desk": 1,
        "duty_manager": 1,
        "other_manager": 1,
    }


def test_the_first_acceptance_stops_the_ladder(
    stack: Stack, pump: Pump, world: Community, clock: FixedClock
) -> None:
    publish(stack, sos(world, "TICKET-SOS-2"))
    pump()
    clock.advance(minutes=1)
    publish(stack, accepted(world, "TICKET-SOS-2", world.people["night_tech"].user_id))
    pump()

    for _ in range(4):
        clock.advance(minutes=2)
        run_job(pump)

    assert texted(world) == {"night_guard": 1, "night_tech": 1, "daughter": 1}


def test_duplicate_events_climb_nothing_twice(
    stack: Stack, pump: Pump, world: Community, clock: FixedClock
) -> None:
    event = sos(world, "TICKET-SOS-3")
    publish(stack, event)
    publish(stack, event)
    pump()
    publish(stack, sos(world, "TICKET-SOS-3"))  # the same SOS again under a new event id
    pump()
    clock.advance(minutes=2)
    run_job(pump)
    run_job(pump)

    assert texted(world) == {"night_guard": 1, "night_tech": 1, "daughter": 1, "desk": 1}


def test_an_acceptance_before_the_sos_event_arrives_leaves_nothing_to_climb(
    stack: Stack, pump: Pump, world: Community, clock: FixedClock
) -> None:
    publish(stack, accepted(world, "TICKET-SOS-4", world.people["night_guard"].user_id))
    pump()
    publish(stack, sos(world, "TICKET-SOS-4"))
    pump()
    clock.advance(minutes=2)
    run_job(pump)

    assert texted(world) == {}


def test_a_critical_alarm_climbs_and_its_acknowledgment_stops_it(
    stack: Stack, pump: Pump, world: Community, clock: FixedClock
) -> None:
    alarm = contracts.AlarmRaised(
        tenant_id=world.tenant_id,
        event_id=uuid.uuid4().hex,
        occurred_at=HOLIDAY_3AM,
        alarm_id="ALARM-GAS-1",
        rule_id="R1",
        rule_name="燃气泄漏",
        device_id="D1",
        device_kind="gas_detector",
        site_id=world.site_id,
        severity="major",
        kind="gas",
    )
    minor = alarm.model_copy(update={"alarm_id": "ALARM-MINOR", "kind": "threshold", "event_id": "e2"})
    publish(stack, alarm)
    publish(stack, minor)
    pump()
    assert texted(world) == {"night_guard": 1, "night_tech": 1}

    publish(
        stack,
        contracts.AlarmAcknowledged(
            tenant_id=world.tenant_id,
            event_id=uuid.uuid4().hex,
            occurred_at=HOLIDAY_3AM + timedelta(minutes=1),
            alarm_id="ALARM-GAS-1",
            device_id="D1",
            site_id=world.site_id,
            severity="major",
            kind="gas",
            acknowledged_by=world.people["night_guard"].user_id,
        ),
    )
    pump()
    clock.advance(minutes=4)
    run_job(pump)

    assert texted(world) == {"night_guard": 1, "night_tech": 1}
