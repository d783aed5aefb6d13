"""Alarms become work orders, on moto: AlarmRaised on the bus -> the rule -> the tickets' alarm queue -> the
function. One ticket per alarm however often the event is delivered; re-raises go to its timeline."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from courtyard.clock import FixedClock, to_iso
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.factories import lambda_context
from tests.integration.conftest import Arranged
from tests.integration.tickets.conftest import Caller, Community, Reply

Call = Callable[..., Reply]
Events = list[tuple[str, dict[str, Any]]]
Deliver = Callable[..., dict[str, Any]]


@pytest.fixture
def alarms(call: Call, function_env: Callable[[str], dict[str, str]], clock: FixedClock) -> Iterator[Deliver]:
    """``alarms(body, body, ...)``: one SQS batch of message bodies through the real handler."""
    function_env("TicketsAlarmsFunction")
    from tickets import alarms_handler
    from tickets.wiring import wiring

    wiring.reset()

    def deliver(*bodies: str) -> dict[str, Any]:
        records = [
            {
                "messageId": f"m{n}",
                "receiptHandle": f"r{n}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:alarms",
                "awsRegion": "us-east-1",
            }
            for n, body in enumerate(bodies)
        ]
        result: dict[str, Any] = alarms_handler.lambda_handler({"Records": records}, lambda_context())
        return result

    yield deliver
    wiring.reset()


@pytest.fixture
def world(
    arranged: Arranged,
    seed: Callable[..., Community],
    residents: Callable[..., Caller],
    staff: Callable[..., Caller],
) -> Community:
    def build() -> Community:
        community = seed()
        residents(community, "li", "a101")
        staff(community, "desk", Role.SERVICE_DESK)
        staff(
            community,
            "guard",
            Role.TECHNICIAN,
            skills=("security",),
            buildings=(community.building_a,),
            staff_id="GUARD-A",
        )
        return community

    return arranged(build)


def detail(community: Community, alarm_id: str = "ALM-1", **changes: Any) -> dict[str, Any]:
    return {
        "tenant_id": community.tenant_id,
        "event_id": uuid.uuid4().hex,
        "occurred_at": "2026-03-10T01:59:00.000Z",
        "alarm_id": alarm_id,
        "device_id": "SMOKE-3F-01",
        "site_id": community.site_id,
        "building_id": community.building_a,
        "severity": "critical",
        "kind": "smoke",
        "action": {"category": "fire_safety", "priority": "urgent"},
        **changes,
    }


def envelope(alarm: dict[str, Any]) -> str:
    """The EventBridge event as an SQS target receives it."""
    return json.dumps(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "AlarmRaised",
            "source": "courtyard.sensors",
            "account": "123456789012",
            "time": "2026-03-10T01:59:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": alarm,
        }
    )


def _tickets(stack: Stack, tenant_id: str) -> list[dict[str, Any]]:
    from tickets import keys

    table = boto3.resource("dynamodb").Table(stack.ref("TicketsTable"))
    response = table.query(
        IndexName="gsi4",
        KeyConditionExpression="gsi4pk = :pk",
        ExpressionAttributeValues={":pk": keys.tenant_index(tenant_id)},
    )
    items: list[dict[str, Any]] = response["Items"]
    return items


def _timeline(call: Call, who: Caller, ticket_id: str) -> list[dict[str, Any]]:
    reply = call("GET", f"/tickets/{ticket_id}/timeline", as_=who)
    assert reply.status == 200, reply.body
    timeline: list[dict[str, Any]] = reply.body["timeline"]
    return timeline


@pytest.mark.reliability
def test_an_alarm_on_the_bus_opens_one_dispatched_emergency_ticket_however_often_delivered(
    alarms: Deliver, call: Call, world: Community, stack: Stack, published: Events
) -> None:
    events = boto3.client("events")
    alarm = detail(world)
    sent = events.put_events(
        Entries=[
            {
                "EventBusName": stack.ref("EventBus"),
                "Source": "courtyard.sensors",
                "DetailType": "AlarmRaised",
                "Detail": json.dumps(alarm),
            }
        ]
    )
    assert sent["FailedEntryCount"] == 0
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=stack.ref("TicketsAlarmQueue"), MaxNumberOfMessages=10)[
        "Messages"
    ]
    assert len(messages) == 1
    body = messages[0]["Body"]

    # Delivered three times: twice in one batch, once more later (a redelivery after a timeout).
    assert alarms(body, body) == {"batchItemFailures": []}
    assert alarms(body) == {"batchItemFailures": []}

    items = _tickets(stack, world.tenant_id)
    assert len(items) == 1
    ticket = items[0]
    assert (ticket["kind"], ticket["category"], ticket["priority"]) == ("repair", "fire_safety", "emergency")
    assert (ticket["reporter_user_id"], ticket["filed_by_user_id"]) == ("system", "system")
    assert (ticket["status"], ticket["assignee_staff_id"]) == ("assigned", "GUARD-A")
    assert ticket["building_id"] == world.building_a
    assert ticket["respond_by"] == "2026-03-10T02:05:00.000Z"  # 5 minutes: an emergency
    assert "due_pk" in ticket  # the scheduled job watches it like any ticket
    assert [name for name, _ in published] == ["TicketCreated", "TicketAssigned"]
    created = published[0][1]
    assert created["tenant_id"] == world.tenant_id
    # The sensors' device ledger follows the work orders of a device; nobody is the "reporter" of an alarm.
    assert (created["device_id"], created["alarm_id"]) == ("SMOKE-3F-01", "ALM-1")
    assert created["reporter_user_id"] is None

    actions = [(e["action"], e["actor"]) for e in _timeline(call, world.people["desk"], ticket["ticket_id"])]
    assert actions == [("create", "system"), ("assign", "system")]


def test_a_re_raise_adds_to_the_open_tickets_timeline_once_per_event(
    alarms: Deliver, call: Call, world: Community, stack: Stack, clock: FixedClock, published: Events
) -> None:
    desk = world.people["desk"]
    assert alarms(envelope(detail(world))) == {"batchItemFailures": []}
    ticket_id = _tickets(stack, world.tenant_id)[0]["ticket_id"]
    again = envelope(detail(world, severity="warning"))
    clock.advance(minutes=3)

    assert alarms(again, again) == {"batchItemFailures": []}

    assert len(_tickets(stack, world.tenant_id)) == 1
    timeline = _timeline(call, desk, ticket_id)
    repeats = [e for e in timeline if e["action"] == "alarm"]
    assert len(repeats) == 1
    assert repeats[0]["note"].startswith("alarm raised again (warning, smoke)")
    assert repeats[0]["at"] == to_iso(clock.now())
    assert [name for name, _ in published] == ["TicketCreated", "TicketAssigned"]

    # Once the work order is over, the same alarm changes nothing (a new incident has a new alarm_id).
    for action in ("resolve", "close"):
        reply = call("POST", f"/tickets/{ticket_id}/actions", as_=desk, body={"action": action})
        assert reply.status == 200, reply.body
    assert alarms(envelope(detail(world))) == {"batchItemFailures": []}
    assert len(_tickets(stack, world.tenant_id)) == 1
    assert len([e for e in _timeline(call, desk, ticket_id) if e["action"] == "alarm"]) == 1

    assert alarms(envelope(detail(world, alarm_id="ALM-2"))) == {"batchItemFailures": []}
    assert len(_tickets(stack, world.tenant_id)) == 2


def test_an_alarm_whose_rule_only_notifies_opens_no_work_order(
    alarms: Deliver, world: Community, stack: Stack, published: Events
) -> None:
    assert alarms(envelope(detail(world, action=None))) == {"batchItemFailures": []}

    assert _tickets(stack, world.tenant_id) == []
    assert published == []


def test_status_changes_of_an_alarm_work_order_name_its_device(
    alarms: Deliver, call: Call, world: Community, stack: Stack, published: Events
) -> None:
    assert alarms(envelope(detail(world))) == {"batchItemFailures": []}
    ticket_id = _tickets(stack, world.tenant_id)[0]["ticket_id"]

    desk = world.people["desk"]
    reply = call("POST", f"/tickets/{ticket_id}/actions", as_=desk, body={"action": "resolve"})

    assert reply.status == 200, reply.body
    changed = [detail for name, detail in published if name == "TicketStatusChanged"]
    assert [(c["to_status"], c["device_id"], c["reporter_user_id"]) for c in changed] == [
        ("resolved", "SMOKE-3F-01", None)
    ]


def test_malformed_records_fail_alone_and_the_rest_succeed(
    alarms: Deliver, world: Community, seed: Callable[..., Community], stack: Stack
) -> None:
    other = seed("Other")
    no_device = detail(world, alarm_id="ALM-X")
    del no_device["device_id"]
    bodies = [
        envelope(detail(world, alarm_id="ALM-OK", unit_id=world.units["a101"], severity="major")),
        "not json",
        envelope(no_device),
        envelope(detail(world, alarm_id="ALM-BADCAT", action={"category": "lava", "priority": "urgent"})),
        # Another tenant's site under this tenant: unknown here, never a ticket of either.
        envelope(detail(world, alarm_id="ALM-SITE", site_id=other.site_id)),
        envelope(detail(world, alarm_id="ALM-UNIT", unit_id=world.units["a101"], site_id="ELSEWHERE")),
        json.dumps({"source": "courtyard.billing", "detail-type": "AlarmRaised", "detail": detail(world)}),
    ]

    result = alarms(*bodies)

    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == [
        "m1",
        "m2",
        "m3",
        "m4",
        "m5",
        "m6",
    ]
    items = _tickets(stack, world.tenant_id)
    assert len(items) == 1
    assert (items[0]["unit_id"], items[0]["priority"]) == (world.units["a101"], "urgent")
    assert _tickets(stack, other.tenant_id) == []


def test_the_alarm_queue_is_wired_with_a_dead_letter_queue(stack: Stack) -> None:
    sqs = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=stack.ref("TicketsAlarmQueue"), AttributeNames=["All"])
    redrive = json.loads(attributes["Attributes"]["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == 3
    assert redrive["deadLetterTargetArn"] == stack.attr("TicketsAlarmDeadLetterQueue", "Arn")


def test_a_flapping_device_joins_its_open_work_order_and_a_closed_one_lets_the_next_episode_open_anew(
    alarms: Deliver, call: Call, world: Community, stack: Stack, clock: FixedClock, published: Events
) -> None:
    """A lift's fault clears and returns (a new alarm, same device and rule): one work order, not two."""
    desk = world.people["desk"]
    assert alarms(envelope(detail(world, alarm_id="ALM-1", rule_id="R-VIB"))) == {"batchItemFailures": []}
    [first] = _tickets(stack, world.tenant_id)
    clock.advance(minutes=20)

    episode = envelope(detail(world, alarm_id="ALM-2", rule_id="R-VIB", severity="major"))
    assert alarms(episode, episode) == {"batchItemFailures": []}  # delivered twice: joined once

    assert [t["ticket_id"] for t in _tickets(stack, world.tenant_id)] == [first["ticket_id"]]
    joined = [e for e in _timeline(call, desk, first["ticket_id"]) if e["action"] == "alarm"]
    assert [e["note"] for e in joined] == [
        "alarm episode 2 (major, smoke) by device SMOKE-3F-01, alarm ALM-2"
    ]
    assert joined[0]["at"] == to_iso(clock.now())
    assert [name for name, _ in published] == ["TicketCreated", "TicketAssigned"]  # nobody dispatched again
    # A repeat of the joined alarm lands on the same work order too.
    assert alarms(envelope(detail(world, alarm_id="ALM-2", rule_id="R-VIB"))) == {"batchItemFailures": []}
    assert len(_tickets(stack, world.tenant_id)) == 1

    # Another rule of the same device is another fault: its own work order.
    assert alarms(envelope(detail(world, alarm_id="ALM-3", rule_id="R-DOOR"))) == {"batchItemFailures": []}
    assert len(_tickets(stack, world.tenant_id)) == 2

    for action in ("resolve", "close"):
        reply = call("POST", f"/tickets/{first['ticket_id']}/actions", as_=desk, body={"action": action})
        assert reply.status == 200, reply.body
    published.clear()
    assert alarms(envelope(detail(world, alarm_id="ALM-4", rule_id="R-VIB"))) == {"batchItemFailures": []}

    tickets = _tickets(stack, world.tenant_id)
    assert len(tickets) == 3
    newest = next(t for t in tickets if t["alarm_id"] == "ALM-4")
    assert newest["status"] == "assigned"
    assert [name for name, _ in published] == ["TicketCreated", "TicketAssigned"]
    # The new work order is now the one later episodes join.
    assert alarms(envelope(detail(world, alarm_id="ALM-5", rule_id="R-VIB"))) == {"batchItemFailures": []}
    assert len(_tickets(stack, world.tenant_id)) == 3
    notes = [e["note"] for e in _timeline(call, desk, newest["ticket_id"]) if e["action"] == "alarm"]
    assert notes == ["alarm episode 2 (critical, smoke) by device SMOKE-3F-01, alarm ALM-5"]
