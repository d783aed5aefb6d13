"""The priority lane: with a bulk backlog on the delivery queue (notices), an alarm, a visitor's arrival and a
payment receipt go to the priority queue and its own sender delivers them while every bulk job still waits.
Shown by queue membership and order of delivery, not by time."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from courtyard.tenancy import Role
from infra.local.provision import Stack
from schemas import events as contracts
from tests.integration.conftest import Arranged
from tests.integration.notifications.conftest import Caller, Community, People, Pump, Reply

Call = Callable[..., Reply]
NOW = "2026-03-10T02:00:00.000Z"


@pytest.fixture
def world(arranged: Arranged, seed: Callable[..., Community], people: People) -> Community:
    def build() -> Community:
        community = seed()
        people.resident(community, "li", "a101", phone="13900000041")
        people.resident(community, "wu", "a102", phone="13900000042")
        people.resident(community, "ma", "b201", phone="13900000043")
        people.staff(community, "manager", Role.MANAGER)
        people.staff(community, "guard", Role.GUARD, phone="13900000044")
        return community

    return arranged(build)


def titles(call: Call, who: Caller) -> list[str]:
    reply = call("GET", "/inbox", as_=who)
    assert reply.status == 200, reply.body
    return [m["title"] for m in reply.body["items"]]


def waiting(stack: Stack, queue: str) -> list[dict[str, Any]]:
    """The jobs waiting in a queue, left where they are (each is made visible again after the look)."""
    sqs = boto3.client("sqs")
    url = stack.ref(queue)
    found: list[dict[str, Any]] = []
    handles: list[str] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
        "Messages", []
    ):
        found.extend(json.loads(m["Body"]) for m in messages)
        handles.extend(m["ReceiptHandle"] for m in messages)
    for handle in handles:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    return found


def publish(stack: Stack, *events: contracts.Event) -> None:
    entries: list[Any] = []
    for event in events:
        name = type(event).__name__
        source, _ = contracts.EVENTS[name]
        entries.append(
            {
                "EventBusName": stack.ref("EventBus"),
                "Source": source,
                "DetailType": name,
                "Detail": event.model_dump_json(),
            }
        )
    assert boto3.client("events").put_events(Entries=entries)["FailedEntryCount"] == 0


def test_with_a_bulk_backlog_queued_urgent_messages_are_delivered_first(
    call: Call, pump: Pump, world: Community, stack: Stack
) -> None:
    from notifications import events_handler, fanout_handler, sender_handler

    manager = world.people["manager"]
    for n in range(4):  # the backlog: four notices to everyone, an arrears letter
        body = {
            "content": {"zh-CN": {"title": f"通知{n}", "body": "正文"}},
            "audience": {"site_id": world.site_id, "everyone": True},
            "channels": ["inbox", "sms"],
            "priority": "urgent" if n == 0 else "normal",  # even an urgent notice is bulk
        }
        assert call("POST", "/notices", as_=manager, body=body).status == 201
    while pump.batch("NotificationsFanoutQueue", fanout_handler) is not None:
        pass
    li = world.people["li"]
    publish(
        stack,
        contracts.PaymentOverdue(
            tenant_id=world.tenant_id,
            bill_id="BILL1",
            site_id=world.site_id,
            unit_id=world.units["a102"],
            period="2026-02",
            amount_due=12_345,
            currency="CNY",
            due_date="2026-02-28",
            days_overdue=10,
            step="overdue_3",
            formal=False,
        ),
        contracts.VisitorArrived(
            tenant_id=world.tenant_id,
            pass_id="PASS1",
            site_id=world.site_id,
            unit_id=world.units["a101"],
            host_user_id=li.user_id,
            visitor_name="Zhao",
            gate_id=None,
            entry_number=1,
            arrived_at=NOW,
        ),
        contracts.PaymentSucceeded(
            tenant_id=world.tenant_id,
            payment_id="PAY1",
            provider="sandbox",
            payer_user_id=li.user_id,
            site_id=world.site_id,
            unit_ids=[world.units["a101"]],
            bill_ids=["BILL0"],
            amount=123_450,
            currency="CNY",
            paid_at=NOW,
        ),
        contracts.AlarmRaised(
            tenant_id=world.tenant_id,
            alarm_id="ALM1",
            rule_id="R1",
            rule_name="电梯困人",
            device_id="LIFT-1",
            device_kind="elevator",
            site_id=world.site_id,
            building_id=world.building_a,
            severity="critical",
            kind="entrapment",
            notify_roles=["guard"],
        ),
    )
    while pump.batch("NotificationsEventQueue", events_handler) is not None:
        pass

    bulk = waiting(stack, "NotificationsDeliveryQueue")
    priority = waiting(stack, "NotificationsPriorityQueue")
    assert sorted(j["source"].split(":")[0] + ":" + j["category"] for j in bulk) == sorted(
        ["notice:notice"] * 12 + ["event:billing"]  # 4 notices x 3 residents, the arrears letter
    )
    assert sorted(j["category"] for j in priority) == ["alarm", "billing", "visitor"]

    # The priority lane's sender runs: every urgent message is delivered while the whole backlog waits.
    while pump.batch("NotificationsPriorityQueue", sender_handler) is not None:
        pass
    assert sorted(titles(call, li)) == sorted(["缴费成功", "访客已到达"])
    assert titles(call, world.people["guard"]) == ["告警：电梯困人"]
    assert titles(call, world.people["wu"]) == []  # the arrears letter and the notices still queued
    assert len(waiting(stack, "NotificationsDeliveryQueue")) == 13

    pump()  # then the bulk lane drains
    expected = ["通知0", "通知1", "通知2", "通知3", "缴费提醒"]
    assert sorted(titles(call, world.people["wu"])) == sorted(expected)
